/**
 * Fused LayerNorm and GELU on WebGPU, each an op with its own gradient (tf.customGrad). Stock
 * tfjs spends about 10 dispatches on a LayerNorm's forward pass and about 25 on its backward
 * pass, 5 and 10 on a GELU's; these take 1 forward and 4 backward (LayerNorm: row statistics,
 * the input's gradient, γ's and β's) and 1 and 1 (GELU). The maths is the stock path's:
 *   LayerNorm  y = (x − μ)·rstd·γ + β,  rstd = 1/√(σ² + ε), σ² the biased variance;
 *              dx = rstd·(g − mean(g) − x̂·mean(g·x̂)) with g = dy·γ, x̂ = (x − μ)·rstd;
 *              dγ = Σ dy·x̂, dβ = Σ dy over the rows.
 *   GELU       y = x·Φ(x), Φ(x) = ½(1 + erf(x/√2));  dy/dx = Φ(x) + x·φ(x).
 * erf is tfjs's own approximation (Abramowitz–Stegun 7.1.26, |error| < 1.5e-7), so the fused
 * and stock paths agree to float rounding. Tests: layers.test.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { f32, i32, program, run } from './program';

/* The mean and 1/√(σ² + ε) of row `index` of width D (two passes, as the stock moments). */
const ROW_STATISTICS = `
  let D = uniforms.width;
  let base = index * D;
  var mean = 0.0;
  for (var i = 0; i < D; i++) { mean = mean + X[base + i]; }
  mean = mean / f32(D);
  var variance = 0.0;
  for (var i = 0; i < D; i++) { let d = X[base + i] - mean; variance = variance + d * d; }
  let rstd = inverseSqrt(variance / f32(D) + uniforms.eps);
`;

/* One thread per row: statistics, then the normalised, scaled and shifted row. */
const LN_FORWARD = `${ROW_STATISTICS}
  for (var i = 0; i < D; i++) { result[base + i] = (X[base + i] - mean) * rstd * G[i] + B[i]; }
`;

/* One thread per row: [μ, rstd]. */
const LN_STATS = `${ROW_STATISTICS}
  result[2 * index] = mean;
  result[2 * index + 1] = rstd;
`;

/* One thread per row: the input's gradient. */
const LN_DX = `
  let D = uniforms.width;
  let base = index * D;
  let mean = S[2 * index];
  let rstd = S[2 * index + 1];
  var sumG = 0.0;
  var sumGX = 0.0;
  for (var i = 0; i < D; i++) {
    let g = DY[base + i] * G[i];
    sumG = sumG + g;
    sumGX = sumGX + g * (X[base + i] - mean) * rstd;
  }
  let meanG = sumG / f32(D);
  let meanGX = sumGX / f32(D);
  for (var i = 0; i < D; i++) {
    let xhat = (X[base + i] - mean) * rstd;
    result[base + i] = rstd * (DY[base + i] * G[i] - meanG - xhat * meanGX);
  }
`;

/* One thread per column: Σ over rows of dy·x̂ (γ) or of dy (β, when uniforms.shift = 1). */
const LN_PARAMS = `
  let D = uniforms.width;
  var sum = 0.0;
  for (var r = 0; r < uniforms.rows; r++) {
    let dy = DY[r * D + index];
    if (uniforms.shift == 1) {
      sum = sum + dy;
    } else {
      sum = sum + dy * (X[r * D + index] - S[2 * r]) * S[2 * r + 1];
    }
  }
  result[index] = sum;
`;

const ERF = `
  fn erfApprox(v : f32) -> f32 {
    let a = abs(v);
    let t = 1.0 / (1.0 + 0.3275911 * a);
    let y = 1.0 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * exp(-a * a);
    return sign(v) * y;
  }
`;

const GELU_FORWARD = `
  let x = X[index];
  result[index] = 0.5 * x * (1.0 + erfApprox(x * 0.7071067811865476));
`;

const GELU_BACKWARD = `
  let x = X[index];
  let cdf = 0.5 * (1.0 + erfApprox(x * 0.7071067811865476));
  let pdf = exp(-0.5 * x * x) * 0.3989422804014327;
  result[index] = DY[index] * (cdf + x * pdf);
`;

const layerNormOps = new Map<number, (x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor) => tf.Tensor>();

/** LayerNorm over the last axis (γ, β of its width) in one dispatch; its gradient in four. */
export function fusedLayerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps: number): tf.Tensor {
  let op = layerNormOps.get(eps);
  if (!op) {
    op = tf.customGrad(((input: tf.Tensor, g: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
      const width = input.shape[input.shape.length - 1]!;
      const rows = input.size / width;
      const flat = tf.reshape(input, [rows * width]);
      const y = run(program('ssl-ln-forward', [rows * width], rows, ['X', 'G', 'B'], 'width : i32, eps : f32,', LN_FORWARD),
        [flat, g, b], rows, [i32(width), f32(eps)]);
      save([flat, g]);
      return {
        value: tf.reshape(y, input.shape),
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const [xs, gs] = saved;
          const dyFlat = tf.reshape(dy, [rows * width]);
          const stats = run(program('ssl-ln-stats', [2 * rows], rows, ['X'], 'width : i32, eps : f32,', LN_STATS), [xs], rows, [i32(width), f32(eps)]);
          const dx = run(program('ssl-ln-dx', [rows * width], rows, ['X', 'DY', 'G', 'S'], 'width : i32,', LN_DX), [xs, dyFlat, gs, stats], rows, [i32(width)]);
          const params = program('ssl-ln-params', [width], width, ['X', 'DY', 'S'], 'width : i32, rows : i32, shift : i32,', LN_PARAMS);
          const dGamma = run(params, [xs, dyFlat, stats], width, [i32(width), i32(rows), i32(0)]);
          const dBeta = run({ ...params }, [xs, dyFlat, stats], width, [i32(width), i32(rows), i32(1)]);
          return [tf.reshape(dx, input.shape), dGamma, dBeta];
        },
      };
    }) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor) => tf.Tensor;
    layerNormOps.set(eps, op);
  }
  return op(x, gamma, beta);
}

/** Exact GELU in one dispatch; its gradient in one. */
export const fusedGelu = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
  const n = x.size;
  const flat = tf.reshape(x, [n]);
  save([flat]);
  return {
    value: tf.reshape(run(program('ssl-gelu', [n], n, ['X'], '', GELU_FORWARD, ERF), [flat], n), x.shape),
    gradFunc: (dy: tf.Tensor, [xs]: tf.Tensor[]) =>
      tf.reshape(run(program('ssl-gelu-grad', [n], n, ['X', 'DY'], '', GELU_BACKWARD, ERF), [xs, tf.reshape(dy, [n])], n), x.shape),
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: tf.Tensor) => tf.Tensor;
