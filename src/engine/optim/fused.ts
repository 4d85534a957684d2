/**
 * Fused WebGPU kernels for the optimizer's per-variable updates. Stock tfjs spends one GPU
 * dispatch per elementwise op: an AdamW update is about 14 dispatches per variable (21 with
 * per-parameter clipping), an EMA update 3. Here each variable's moments are updated by one
 * dispatch and its weights by a second (4 with clipping: the gradient's sum of squares stays a
 * stock reduction), and an EMA update is one dispatch. They write in place (gpu/program.ts
 * `runInPlace`). Tests compare them with the stock ops on the same inputs.
 */
import * as tf from '@tensorflow/tfjs';
import { webgpu_util, type WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import { f32, gpu, i32, program, runInPlace } from '../gpu/program';

/*
 * AdamW moments, in place on the packed [m; v] buffer (2n): the gradient times the clip
 * coefficient (from its sum of squares S[slot], when clip > 0) times the global factor F.
 */
const MOMENTS_BODY = `
  let n = uniforms.threads;
  var g = G[index] * F[0];
  if (uniforms.clip > 0.0) {
    g = g * min(uniforms.clip / (sqrt(S[uniforms.slot]) + 1e-6), 1.0);
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
  /** Per-parameter clip (0 = off): the coefficient comes from `sumSquares[slot]`. */
  clip: number;
  sumSquares: tf.Tensor;
  slot: number;
  /** Global clip factor (a 1-element tensor; ones when off). */
  factor: tf.Tensor;
}

/** One AdamW update of `variable` from `grad`, with `moments` the packed [m; v] variable (2n). Call inside tf.tidy. */
export function fusedAdamW(variable: tf.Variable, moments: tf.Variable, grad: tf.Tensor, step: FusedAdamWStep): void {
  const n = variable.size;
  runInPlace(moments, program('ssl-adamw-moments', [2 * n], n, ['G', 'S', 'F'], 'beta1 : f32, beta2 : f32, clip : f32, slot : i32,', MOMENTS_BODY),
    [tf.reshape(grad, [n]), tf.reshape(step.sumSquares, [-1]), tf.reshape(step.factor, [1])], n,
    [f32(step.beta1), f32(step.beta2), f32(step.clip), i32(step.slot)]);
  runInPlace(variable, program('ssl-adamw-weights', [n], n, ['M'], 'decay : f32, stepSize : f32, sqrtCorrection2 : f32, epsilon : f32,', WEIGHTS_BODY),
    [moments], n, [f32(step.decay), f32(step.stepSize), f32(step.sqrtCorrection2), f32(step.epsilon)]);
}

/** θ_t ← λ·θ_t + (1 − λ)·θ_s in one dispatch. Call inside tf.tidy. */
export function fusedEma(target: tf.Variable, source: tf.Tensor, momentum: number): void {
  const n = target.size;
  runInPlace(target, program('ssl-ema', [n], n, ['X'], 'momentum : f32,', EMA_BODY), [tf.reshape(source, [n])], n, [f32(momentum)]);
}

/** Gradients per sum-of-squares dispatch: 7 inputs and the output fill the 8 storage buffers every device allows. */
const PER_DISPATCH = 7;
const LANES = 64;

/*
 * One workgroup per gradient: 64 lanes stride over it, then lane 0 adds their partial sums.
 * (Not through program(): a barrier must not sit under the `index < threads` test.)
 */
function sumsOfSquaresProgram(count: number): WebGPUProgram {
  const names = Array.from({ length: count }, (_, i) => `G${i}`);
  const dispatchLayout = webgpu_util.flatDispatchLayout([count * LANES]);
  return {
    outputShape: [count],
    shaderKey: `ssl-sum-squares-${count}`,
    dispatchLayout,
    dispatch: webgpu_util.computeDispatch(dispatchLayout, [count * LANES], [LANES, 1, 1]),
    variableNames: names,
    uniforms: names.map((_, i) => `n${i} : i32,`).join(' '),
    workgroupSize: [LANES, 1, 1],
    getUserCode: () => `
      var<workgroup> partial : array<f32, ${LANES}>;
      fn main(index : i32) {
        let which = i32(workgroupId.x);
        let lane = i32(localId.x);
        var sum = 0.0;
        ${names.map((name, i) => `if (which == ${i}) {
          for (var j = lane; j < uniforms.n${i}; j = j + ${LANES}) { let g = ${name}[j]; sum = sum + g * g; }
        }`).join('\n')}
        partial[lane] = sum;
        workgroupBarrier();
        if (lane == 0) {
          var total = 0.0;
          for (var l = 0; l < ${LANES}; l++) { total = total + partial[l]; }
          result[which] = total;
        }
      }
    `,
  };
}

/**
 * Σg² of each gradient, 7 gradients per dispatch (stock: a square and a sum each): for each
 * gradient, the tensor holding its sum and its slot there. Call inside tf.tidy.
 */
export function sumsOfSquares(grads: readonly tf.Tensor[]): { sums: tf.Tensor; slot: number }[] {
  const out: { sums: tf.Tensor; slot: number }[] = [];
  for (let start = 0; start < grads.length; start += PER_DISPATCH) {
    const group = grads.slice(start, start + PER_DISPATCH).map((g) => tf.reshape(g, [g.size]));
    const info = gpu().runWebGPUProgram(sumsOfSquaresProgram(group.length), group, 'float32', group.map((g) => i32(g.size)));
    const sums = tf.engine().makeTensorFromTensorInfo(info);
    group.forEach((_, slot) => out.push({ sums, slot }));
  }
  return out;
}
