import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../random';
import { createLayerNorm, createLinear, gelu, layerNorm, linear, type LayerNormParams, type LinearParams } from './layers';

/**
 * One cross-attention block (LOCA's CrossAttentionEncoderBlock in scenic projects/loca vit.py):
 * queries from one token set, keys and values from another, each through its own LayerNorm;
 * a residual onto the queries; then LayerNorm → MLP (GELU) → residual. There is no
 * self-attention among the queries, so each query token is processed independently of the
 * others: tokens of several query views of one image can share one call.
 */
export interface CrossAttentionParams {
  [key: string]: LayerNormParams | LinearParams;
  normQuery: LayerNormParams;
  normContext: LayerNormParams;
  query: LinearParams;
  key: LinearParams;
  value: LinearParams;
  proj: LinearParams;
  norm2: LayerNormParams;
  fc1: LinearParams;
  fc2: LinearParams;
}

export function createCrossAttention(rng: Rng, width: number, mlpRatio: number): CrossAttentionParams {
  return {
    normQuery: createLayerNorm(width),
    normContext: createLayerNorm(width),
    query: createLinear(rng, width, width),
    key: createLinear(rng, width, width),
    value: createLinear(rng, width, width),
    proj: createLinear(rng, width, width),
    norm2: createLayerNorm(width),
    fc1: createLinear(rng, width, mlpRatio * width),
    fc2: createLinear(rng, mlpRatio * width, width),
  };
}

/** queries [N, Tq, D], context [N, Tk, D] → [N, Tq, D]. */
export function crossAttentionForward(
  params: CrossAttentionParams, heads: number, queries: tf.Tensor3D, context: tf.Tensor3D,
): tf.Tensor3D {
  const [batch, queryTokens, width] = queries.shape;
  const contextTokens = context.shape[1];
  const headDim = width / heads;
  // [N, T, D] → [N·H, T, hd]
  const split = (x: tf.Tensor, tokens: number) =>
    tf.reshape(tf.transpose(tf.reshape(x, [batch, tokens, heads, headDim]), [0, 2, 1, 3]), [batch * heads, tokens, headDim]);
  const q = split(linear(params.query, layerNorm(params.normQuery, queries)), queryTokens);
  const normedContext = layerNorm(params.normContext, context);
  const k = split(linear(params.key, normedContext), contextTokens);
  const v = split(linear(params.value, normedContext), contextTokens);
  const weights = tf.softmax(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(headDim))); // [N·H, Tq, Tk]
  const mixed = tf.matMul(weights, v); // [N·H, Tq, hd]
  const merged = tf.reshape(tf.transpose(tf.reshape(mixed, [batch, heads, queryTokens, headDim]), [0, 2, 1, 3]), [batch, queryTokens, width]);
  let x: tf.Tensor = tf.add(queries, linear(params.proj, merged));
  x = tf.add(x, linear(params.fc2, gelu(linear(params.fc1, layerNorm(params.norm2, x)))));
  return x as tf.Tensor3D;
}
