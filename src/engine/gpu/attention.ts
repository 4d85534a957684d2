/**
 * Fused multi-head self-attention on WebGPU, with its own gradient (tf.customGrad). It takes
 * the packed q|k|v projections [B, T, 3D] (one matMul with the block's [D, 3D] weight; head h
 * owns columns h·hd … (h+1)·hd of each third, as the stock path's reshape) and returns the heads'
 * outputs merged back to [B, T, D]:
 *   S = Q·Kᵀ/√hd,  P = softmax(S) over keys,  O = P·V.
 * Forward: one dispatch, one thread per (image, head, query) that computes its scores, their
 * softmax and the weighted sum of the values (no [B·H, T, T] tensor, no transposes). Backward:
 * two dispatches. The first recomputes each row of P and writes it with
 *   dS = P ⊙ (dP − Σⱼ P·dP),  dP = dO·Vᵀ
 * into one buffer; the second gives every element of d(q|k|v):
 *   dQ = dS·K/√hd,  dK = dSᵀ·Q/√hd,  dV = Pᵀ·dO.
 * Stock tfjs takes about 10 dispatches forward and 25 backward for the same (slices,
 * transposes, two batched matMuls, scaling, softmax). Heads of up to 64 channels (the
 * per-thread accumulator). Tests: attention.test.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { f32, i32, program, run } from './program';

/** Widest head the fused kernel takes (its accumulator is a fixed-size WGSL array). */
export const MAX_FUSED_HEAD = 64;

const COMMON = `
  let T = uniforms.tokens;
  let H = uniforms.heads;
  let hd = uniforms.headDim;
  let D = H * hd;
  let row = 3 * D;
`;

/* The scaled score of the query at qBase against the key at kBase, over hd channels. */
const SCORE = `
  fn score(qBase : i32, kBase : i32, hd : i32) -> f32 {
    var s = 0.0;
    for (var e = 0; e < hd; e++) { s = s + QKV[qBase + e] * QKV[kBase + e]; }
    return s * uniforms.scale;
  }
`;

/* The scores of query i of head h in image b against every key: max and normaliser first. */
const SOFTMAX_STATS = `
  let qBase = (b * T + i) * row + h * hd;
  var m = -3.0e38;
  for (var j = 0; j < T; j++) { m = max(m, score(qBase, (b * T + j) * row + D + h * hd, hd)); }
  var l = 0.0;
  for (var j = 0; j < T; j++) { l = l + exp(score(qBase, (b * T + j) * row + D + h * hd, hd) - m); }
`;

/** p for key j, with qBase, m and l in scope. */
const PROBABILITY = `
    let p = exp(score(qBase, (b * T + j) * row + D + h * hd, hd) - m) / l;
`;

const FORWARD = `
  ${COMMON}
  let b = index / (H * T);
  let h = (index / T) % H;
  let i = index % T;
  ${SOFTMAX_STATS}
  var acc : array<f32, ${MAX_FUSED_HEAD}>;
  for (var e = 0; e < hd; e++) { acc[e] = 0.0; }
  for (var j = 0; j < T; j++) {
    ${PROBABILITY}
    let vBase = (b * T + j) * row + 2 * D + h * hd;
    for (var e = 0; e < hd; e++) { acc[e] = acc[e] + p * QKV[vBase + e]; }
  }
  let out = (b * T + i) * D + h * hd;
  for (var e = 0; e < hd; e++) { result[out + e] = acc[e]; }
`;

/* Backward, pass 1: P and dS of row (b, h, i), into the two halves of the output. */
const BACKWARD_SCORES = `
  ${COMMON}
  let b = index / (H * T);
  let h = (index / T) % H;
  let i = index % T;
  ${SOFTMAX_STATS}
  let oBase = (b * T + i) * D + h * hd;
  let rowBase = index * T;
  let half = uniforms.threads * T;
  var total = 0.0;
  for (var j = 0; j < T; j++) {
    ${PROBABILITY}
    let vBase = (b * T + j) * row + 2 * D + h * hd;
    var dp = 0.0;
    for (var e = 0; e < hd; e++) { dp = dp + DO[oBase + e] * QKV[vBase + e]; }
    result[rowBase + j] = p;
    result[half + rowBase + j] = dp;
    total = total + p * dp;
  }
  for (var j = 0; j < T; j++) {
    let p = result[rowBase + j];
    result[half + rowBase + j] = p * (result[half + rowBase + j] - total);
  }
`;

/* Backward, pass 2: one element of d(q|k|v) [B, T, 3D]. */
const BACKWARD_INPUTS = `
  ${COMMON}
  let b = index / (T * row);
  let t = (index / row) % T;
  let c = index % row;
  let part = c / D;
  let h = (c % D) / hd;
  let e = c % hd;
  let half = uniforms.rows * T;
  var sum = 0.0;
  if (part == 0) {
    for (var j = 0; j < T; j++) {
      sum = sum + PS[half + ((b * H + h) * T + t) * T + j] * QKV[(b * T + j) * row + D + h * hd + e];
    }
    sum = sum * uniforms.scale;
  } else if (part == 1) {
    for (var q = 0; q < T; q++) {
      sum = sum + PS[half + ((b * H + h) * T + q) * T + t] * QKV[(b * T + q) * row + h * hd + e];
    }
    sum = sum * uniforms.scale;
  } else {
    for (var q = 0; q < T; q++) {
      sum = sum + PS[((b * H + h) * T + q) * T + t] * DO[(b * T + q) * D + h * hd + e];
    }
  }
  result[index] = sum;
`;

const UNIFORMS = 'tokens : i32, heads : i32, headDim : i32, rows : i32, scale : f32,';

const ops = new Map<number, (qkv: tf.Tensor) => tf.Tensor>();

/** Self-attention of `heads` heads on packed projections [B, T, 3D] → [B, T, D]. */
export function fusedAttention(qkv: tf.Tensor, heads: number): tf.Tensor {
  let op = ops.get(heads);
  if (!op) {
    op = tf.customGrad(((packed: tf.Tensor, save: tf.GradSaveFunc) => {
      const [batch, tokens, threeD] = packed.shape as [number, number, number];
      const width = threeD / 3;
      const headDim = width / heads;
      if (!Number.isInteger(headDim) || headDim > MAX_FUSED_HEAD) throw new Error(`fusedAttention: heads of ${headDim} channels`);
      const rows = batch * heads * tokens;
      const uniforms = [i32(tokens), i32(heads), i32(headDim), i32(rows), f32(1 / Math.sqrt(headDim))];
      const flat = tf.reshape(packed, [packed.size]);
      const out = run(program('ssl-attention', [batch * tokens * width], rows, ['QKV'], UNIFORMS, FORWARD, SCORE), [flat], rows, uniforms);
      save([flat]);
      return {
        value: tf.reshape(out, [batch, tokens, width]),
        gradFunc: (dy: tf.Tensor, [saved]: tf.Tensor[]) => {
          const dOut = tf.reshape(dy, [dy.size]);
          const scores = run(program('ssl-attention-scores', [2 * rows * tokens], rows, ['QKV', 'DO'], UNIFORMS, BACKWARD_SCORES, SCORE),
            [saved, dOut], rows, uniforms);
          const inputs = program('ssl-attention-inputs', [packed.size], packed.size, ['QKV', 'DO', 'PS'], UNIFORMS, BACKWARD_INPUTS);
          return tf.reshape(run(inputs, [saved, dOut, scores], packed.size, uniforms), packed.shape);
        },
      };
    }) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (qkv: tf.Tensor) => tf.Tensor;
    ops.set(heads, op);
  }
  return op(qkv);
}
