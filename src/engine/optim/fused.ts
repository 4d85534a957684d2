/**
 * Fused WebGPU kernels for the optimizer's per-variable updates. Stock tfjs spends one GPU
 * dispatch per elementwise op: an AdamW update is about 14 dispatches per variable (21 with
 * per-parameter clipping), an EMA update 3. Here each variable's moments are updated by one
 * dispatch and its weights by a second (4 with clipping: the gradient's sum of squares stays a
 * stock reduction), and an EMA update is one dispatch. They write in place (gpu/program.ts
 * `runInPlace`). Tests compare them with the stock ops on the same inputs.
 */
import * as tf from '@tensorflow/tfjs';
import { f32, program, runInPlace } from '../gpu/program';

/*
 * AdamW moments, in place on the packed [m; v] buffer (2n): the gradient times the clip
 * coefficient (from its sum of squares S, when clip > 0) times the global factor F.
 */
const MOMENTS_BODY = `
  let n = uniforms.threads;
  var g = G[index] * F[0];
  if (uniforms.clip > 0.0) {
    g = g * min(uniforms.clip / (sqrt(S[0]) + 1e-6), 1.0);
  }
  result[index] = uniforms.beta1 * result[index] + (1.0 - uniforms.beta1) * g;
  result[index + n] = uniforms.beta2 * result[index + n] + (1.0 - uniforms.beta2) * g * g;
`;

/* AdamW weights, in place: decoupled decay, then the bias-corrected step. */
const WEIGHTS_BODY = `
  let n = uniforms.threads;
  let m = M[index];
  let v = M[index + n];
  result[index] = result[index] * uniforms.decay - uniforms.stepSize * m / (sqrt(v) / uniforms.sqrtCorrection2 + uniforms.epsilon);
`;

/* EMA, in place on the target: θ_t ← λ·θ_t + (1 − λ)·θ_s. */
const EMA_BODY = `
  result[index] = uniforms.momentum * result[index] + (1.0 - uniforms.momentum) * X[index];
`;

export interface FusedAdamWStep {
  beta1: number;
  beta2: number;
  epsilon: number;
  /** lr / (1 − β₁ᵗ). */
  stepSize: number;
  /** √(1 − β₂ᵗ). */
  sqrtCorrection2: number;
  /** 1 − lr·wd (1 for parameters without decay). */
  decay: number;
  /** Per-parameter clip (0 = off): the coefficient comes from `sumSquares`. */
  clip: number;
  sumSquares: tf.Tensor;
  /** Global clip factor (a 1-element tensor; ones when off). */
  factor: tf.Tensor;
}

/** One AdamW update of `variable` from `grad`, with `moments` the packed [m; v] variable (2n). Call inside tf.tidy. */
export function fusedAdamW(variable: tf.Variable, moments: tf.Variable, grad: tf.Tensor, step: FusedAdamWStep): void {
  const n = variable.size;
  runInPlace(moments, program('ssl-adamw-moments', [2 * n], n, ['G', 'S', 'F'], 'beta1 : f32, beta2 : f32, clip : f32,', MOMENTS_BODY),
    [tf.reshape(grad, [n]), tf.reshape(step.sumSquares, [1]), tf.reshape(step.factor, [1])], n,
    [f32(step.beta1), f32(step.beta2), f32(step.clip)]);
  runInPlace(variable, program('ssl-adamw-weights', [n], n, ['M'], 'decay : f32, stepSize : f32, sqrtCorrection2 : f32, epsilon : f32,', WEIGHTS_BODY),
    [moments], n, [f32(step.decay), f32(step.stepSize), f32(step.sqrtCorrection2), f32(step.epsilon)]);
}

/** θ_t ← λ·θ_t + (1 − λ)·θ_s in one dispatch. Call inside tf.tidy. */
export function fusedEma(target: tf.Variable, source: tf.Tensor, momentum: number): void {
  const n = target.size;
  runInPlace(target, program('ssl-ema', [n], n, ['X'], 'momentum : f32,', EMA_BODY), [tf.reshape(source, [n])], n, [f32(momentum)]);
}
