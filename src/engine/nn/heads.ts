import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../random';
import { createLinear, gelu, l2Normalize, linear, type LinearParams } from './layers';
import { constantVariable, fanInUniformVariable } from './params';

/**
 * DINO's projection head (main_dino.py / vision_transformer.py DINOHead): a 3-layer MLP with
 * GELU to a bottleneck, L2 normalisation, then a weight-normalised linear layer to K
 * prototypes without bias. With `normLastLayer` the norm g is fixed at 1, so every prototype
 * is a unit vector and the logits are cosine similarities.
 */
export interface DinoHeadConfig {
  inputDim: number;
  hiddenDim: number;
  bottleneckDim: number;
  outputDim: number; // K
  normLastLayer: boolean;
}

export interface DinoHeadParams {
  mlp: LinearParams[];
  lastLayer: { direction: tf.Variable; norm: tf.Variable }; // v [bottleneck, K], g [K]
}

export function createDinoHead(config: DinoHeadConfig, rng: Rng): DinoHeadParams {
  const { inputDim, hiddenDim, bottleneckDim, outputDim } = config;
  return {
    mlp: [createLinear(rng, inputDim, hiddenDim), createLinear(rng, hiddenDim, hiddenDim), createLinear(rng, hiddenDim, bottleneckDim)],
    // The last layer is created after _init_weights ran, so it keeps PyTorch's default init.
    lastLayer: {
      direction: fanInUniformVariable(rng, [bottleneckDim, outputDim], bottleneckDim),
      norm: constantVariable([outputDim], 1),
    },
  };
}

/** Names of the head's last-layer parameters, frozen early in training. */
export const LAST_LAYER_PREFIX = 'lastLayer.';

export function dinoHeadForward(params: DinoHeadParams, config: DinoHeadConfig, x: tf.Tensor2D): tf.Tensor2D {
  let h: tf.Tensor = x;
  params.mlp.forEach((layer, i) => {
    h = linear(layer, h);
    if (i < params.mlp.length - 1) h = gelu(h);
  });
  h = l2Normalize(h); // [B, bottleneck]
  // weight_norm(dim=0) on a torch Linear (out, in) normalises each prototype: columns here.
  const { direction, norm } = params.lastLayer;
  const unit = tf.div(direction, tf.norm(direction, 'euclidean', 0, true)); // [bottleneck, K]
  const weight = config.normLastLayer ? unit : tf.mul(unit, norm);
  return tf.matMul(h, weight) as tf.Tensor2D; // [B, K]
}
