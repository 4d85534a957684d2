import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../random';
import { createLinear, linear, type LinearParams } from './layers';
import { constantVariable } from './params';

/**
 * The projectors and predictors of the SimCLR / MoCo / BYOL / SimSiam lineage: Linear layers
 * with BatchNorm and ReLU between them. BatchNorm uses the batch's statistics (training mode);
 * these heads are only used in training, so no running averages are kept.
 */
export interface MlpLayerConfig {
  out: number;
  /** BatchNorm after the linear layer: with learnable scale and shift, without, or none. */
  batchNorm: 'affine' | 'plain' | 'none';
  relu: boolean;
}

export interface MlpParams {
  layers: { linear: LinearParams; gamma?: tf.Variable; beta?: tf.Variable }[];
}

export function createMlp(inFeatures: number, layers: readonly MlpLayerConfig[], rng: Rng): MlpParams {
  let width = inFeatures;
  return {
    layers: layers.map((layer) => {
      const params: MlpParams['layers'][number] = { linear: createLinear(rng, width, layer.out) };
      if (layer.batchNorm === 'affine') {
        params.gamma = constantVariable([layer.out], 1);
        params.beta = constantVariable([layer.out], 0);
      }
      width = layer.out;
      return params;
    }),
  };
}

/** BatchNorm1d in training mode: normalise each feature over the batch (eps 1e-5 as torch). */
export function batchNorm(x: tf.Tensor2D, gamma?: tf.Tensor, beta?: tf.Tensor, eps = 1e-5): tf.Tensor2D {
  const { mean, variance } = tf.moments(x, 0, true);
  let y = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps)));
  if (gamma && beta) y = tf.add(tf.mul(y, gamma), beta);
  return y as tf.Tensor2D;
}

export function mlpForward(params: MlpParams, config: readonly MlpLayerConfig[], x: tf.Tensor2D): tf.Tensor2D {
  let h = x;
  params.layers.forEach((layer, i) => {
    h = linear(layer.linear, h) as tf.Tensor2D;
    if (config[i].batchNorm !== 'none') h = batchNorm(h, layer.gamma, layer.beta);
    if (config[i].relu) h = tf.relu(h);
  });
  return h;
}
