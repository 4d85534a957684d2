import * as tf from '@tensorflow/tfjs';
import { fusedGelu, fusedLayerNorm } from '../gpu/layers';
import { fusedActive } from '../gpu/program';
import type { Rng } from '../random';
import { constantVariable, truncatedNormalVariable } from './params';

export interface LinearParams {
  [key: string]: tf.Variable;
  weight: tf.Variable; // [in, out]
  bias: tf.Variable; // [out]
}

export interface LayerNormParams {
  [key: string]: tf.Variable;
  gamma: tf.Variable; // [D]
  beta: tf.Variable; // [D]
}

/** timm/DINO `_init_weights`: Linear weights trunc_normal(std 0.02), biases 0. */
export function createLinear(rng: Rng, inFeatures: number, outFeatures: number): LinearParams {
  return {
    weight: truncatedNormalVariable(rng, [inFeatures, outFeatures], 0.02),
    bias: constantVariable([outFeatures], 0),
  };
}

export function createLayerNorm(dim: number): LayerNormParams {
  return { gamma: constantVariable([dim], 1), beta: constantVariable([dim], 0) };
}

/** x: [..., in] → [..., out]. Flattens leading dims so the matMul is one 2-D dispatch. */
export function linear(params: LinearParams, x: tf.Tensor): tf.Tensor {
  const inFeatures = x.shape[x.shape.length - 1]!;
  const lead = x.shape.slice(0, -1);
  const flat = tf.reshape(x, [-1, inFeatures]);
  // The fast path adds the bias inside the matMul's program (tfjs's fused matMul): one dispatch, not two.
  const out = fusedActive() ? tf.fused.matMul({ a: flat, b: params.weight, bias: params.bias }) : tf.add(tf.matMul(flat, params.weight), params.bias);
  return tf.reshape(out, [...lead, params.weight.shape[1]!]);
}

/** LayerNorm over the last axis, eps 1e-6 as in DINO's ViT. */
export function layerNorm(params: LayerNormParams, x: tf.Tensor, eps = 1e-6): tf.Tensor {
  if (fusedActive()) return fusedLayerNorm(x, params.gamma, params.beta, eps);
  const { mean, variance } = tf.moments(x, -1, true);
  const normalized = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps)));
  return tf.add(tf.mul(normalized, params.gamma), params.beta);
}

/**
 * `x` [1, …] repeated `count` times along the first axis. The fast path broadcasts an add,
 * whose gradient is one sum: tf.tile (and tf.broadcastTo, which runs the Tile kernel) has a
 * tfjs gradient that slices and adds once per repeat, hundreds of GPU dispatches for a batch's
 * CLS tokens. The stock path keeps tile, so its numbers stay exactly the old ones (the sums'
 * order differs, and a long run can drift apart from float rounding alone).
 */
export function repeatRows(x: tf.Tensor, count: number): tf.Tensor {
  if (!fusedActive()) return tf.tile(x, [count, ...x.shape.slice(1).map(() => 1)]);
  return tf.add(x, tf.zeros([count, ...x.shape.slice(1)]));
}

/** Exact GELU, as torch.nn.GELU: 0.5·x·(1 + erf(x/√2)). */
export function gelu(x: tf.Tensor): tf.Tensor {
  if (fusedActive()) return fusedGelu(x);
  return tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1));
}

/** F.normalize(x, dim=-1): x / max(‖x‖, eps). */
export function l2Normalize(x: tf.Tensor, eps = 1e-12): tf.Tensor {
  const norm = tf.sqrt(tf.sum(tf.square(x), -1, true));
  return tf.div(x, tf.maximum(norm, eps));
}

/**
 * tfjs 4.22 has no stop_gradient: an identity whose gradient is zero (PyTorch's .detach()).
 * Used for the teacher's targets.
 */
export const stopGradient = tf.customGrad(((x: tf.Tensor) => ({
  value: tf.clone(x),
  gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
})) as unknown as Parameters<typeof tf.customGrad>[0]) as (x: tf.Tensor) => tf.Tensor;
