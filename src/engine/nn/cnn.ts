import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../random';
import { batchNorm } from './mlp';
import { constantVariable, truncatedNormalVariable } from './params';

/**
 * A small ResNet-free CNN backbone for the lineage methods (their papers use ResNets): a
 * stride-1 stem, then `stages` 3×3 convolutions of stride 2 with BatchNorm (batch
 * statistics) and ReLU, doubling the channels up to `width`, then global average pooling.
 */
export interface CnnConfig {
  imageSize: number;
  width: number; // channels of the last stage = feature dimension
  stages: number;
}

export interface CnnParams {
  convs: { kernel: tf.Variable; gamma: tf.Variable; beta: tf.Variable }[];
}

/** Channels of each conv: the stem, then one per stage, halving back from `width`. */
export function cnnChannels(config: CnnConfig): number[] {
  const stages = Array.from({ length: config.stages }, (_, i) => Math.max(8, Math.round(config.width / 2 ** (config.stages - 1 - i))));
  return [stages[0], ...stages];
}

export function createCnn(config: CnnConfig, rng: Rng): CnnParams {
  let inChannels = 3;
  return {
    convs: cnnChannels(config).map((out) => {
      // Kaiming normal (fan-in), as torchvision's ResNets: std √(2 / (3·3·in)).
      const kernel = truncatedNormalVariable(rng, [3, 3, inChannels, out], Math.sqrt(2 / (9 * inChannels)));
      inChannels = out;
      return { kernel, gamma: constantVariable([out], 1), beta: constantVariable([out], 0) };
    }),
  };
}

/** images [N, S, S, 3] (normalised) → features [N, width]: the last feature map, averaged. */
export function cnnForward(params: CnnParams, images: tf.Tensor4D): tf.Tensor2D {
  return tf.mean(cnnFeatureMap(params, images), [1, 2]) as tf.Tensor2D;
}

/** The last stage's feature map [N, h, w, width] (dense features for the segmentation probe). */
export function cnnFeatureMap(params: CnnParams, images: tf.Tensor4D): tf.Tensor4D {
  let h: tf.Tensor4D = images;
  params.convs.forEach((conv, i) => {
    h = tf.conv2d(h, conv.kernel as tf.Tensor4D, i === 0 ? 1 : 2, 'same');
    const [n, height, width, channels] = h.shape;
    const flat = batchNorm(tf.reshape(h, [n * height * width, channels]) as tf.Tensor2D, conv.gamma, conv.beta);
    h = tf.relu(tf.reshape(flat, [n, height, width, channels])) as tf.Tensor4D;
  });
  return h;
}
