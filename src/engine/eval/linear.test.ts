import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Rng } from '../random';
import { linearProbeAccuracy, solveSpd, standardiser } from './linear';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

afterEach(() => {
  vi.restoreAllMocks();
});

/**
 * 10-class features: dimension `label` carries +2 on top of N(0, 0.5²) noise, and 22 more
 * dimensions are pure noise. The best possible rule (argmax of the first 10 dimensions) is
 * right about 98% of the time (Monte Carlo), so a working probe clears 0.8 easily.
 */
function informative(rng: Rng, count: number): { x: tf.Tensor2D; labels: Int32Array } {
  const dims = 32;
  const values = new Float32Array(count * dims);
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    labels[i] = rng.int(10);
    for (let d = 0; d < dims; d++) values[i * dims + d] = 0.5 * rng.normal();
    values[i * dims + labels[i]] += 2;
  }
  return { x: tf.tensor2d(values, [count, dims]), labels };
}

describe('linearProbeAccuracy', () => {
  it('learns informative features: well above the 0.1 of chance, and deterministic', async () => {
    const rng = new Rng(1);
    const train = informative(rng, 500);
    const test = informative(rng, 300);
    const dataCalls = vi.spyOn(tf.Tensor.prototype, 'data');
    const before = tf.memory().numTensors;
    const accuracy = await linearProbeAccuracy(train.x, train.labels, test.x, test.labels, 10);
    expect(tf.memory().numTensors).toBe(before);
    expect(dataCalls).toHaveBeenCalledTimes(2); // the fit's small moments (XᵀX, XᵀY), then the predictions
    expect(accuracy).toBeGreaterThan(0.9);
    expect(await linearProbeAccuracy(train.x, train.labels, test.x, test.labels, 10)).toBe(accuracy);
    tf.dispose([train.x, test.x]);
  });

  it('scores random features with random labels near chance on held-out rows', async () => {
    const rng = new Rng(2);
    const make = (count: number) => ({
      x: tf.tensor2d(Float32Array.from({ length: count * 32 }, () => rng.normal()), [count, 32]),
      labels: Int32Array.from({ length: count }, () => rng.int(10)),
    });
    const train = make(300);
    const test = make(1000);
    const before = tf.memory().numTensors;
    const accuracy = await linearProbeAccuracy(train.x, train.labels, test.x, test.labels, 10);
    expect(tf.memory().numTensors).toBe(before);
    // Chance is 0.1; with 1000 test rows one standard deviation is about 0.01.
    expect(accuracy).toBeGreaterThan(0.04);
    expect(accuracy).toBeLessThan(0.17);
    tf.dispose([train.x, test.x]);
  });

  it('is unaffected by the features\' scale and offset (they are standardised)', async () => {
    // Two classes split by the sign of dimension 0, given at a scale of 1e-4 around 1000.
    const rng = new Rng(3);
    const make = (count: number) => {
      const labels = Int32Array.from({ length: count }, (_, i) => i % 2);
      const values = Float32Array.from({ length: count * 2 }, (_, j) =>
        (j % 2 === 0 ? (labels[j >> 1] === 1 ? 1 : -1) * (0.5 + rng.next()) : rng.normal()) * 1e-3 + 1000);
      return { x: tf.tensor2d(values, [count, 2]), labels };
    };
    const train = make(40);
    const test = make(40);
    expect(await linearProbeAccuracy(train.x, train.labels, test.x, test.labels, 2)).toBe(1);
    tf.dispose([train.x, test.x]);
  });

  it('rejects label counts that do not match the rows', async () => {
    const x = tf.tensor2d([[1, 0]]);
    await expect(linearProbeAccuracy(x, Int32Array.from([0, 1]), x, Int32Array.from([0]), 2)).rejects.toThrow(/labels/);
    x.dispose();
  });
});

describe('standardiser', () => {
  it('uses the train mean and population variance, with 1e-6 inside the root', () => {
    const before = tf.memory().numTensors;
    const out = tf.tidy(() => {
      // Column 0: mean 2, variance ((−1)² + 1²) / 2 = 1. Column 1: constant 5, variance 0.
      const standardise = standardiser(tf.tensor2d([[1, 5], [3, 5]]));
      return standardise(tf.tensor2d([[4, 6]]));
    });
    const [a, b] = out.dataSync();
    out.dispose();
    expect(a).toBeCloseTo(2 / Math.sqrt(1 + 1e-6), 5);
    expect(b).toBeCloseTo(1 / Math.sqrt(1e-6), 1); // a constant train dimension: 1000 per unit of test offset
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('solveSpd', () => {
  it('solves a symmetric positive-definite system (checked by multiplying back)', () => {
    // A = [[4, 2, 0], [2, 5, 1], [0, 1, 3]], B = A·X for X = [[1, 0], [−2, 1], [3, 0.5]].
    const a = Float64Array.from([4, 2, 0, 2, 5, 1, 0, 1, 3]);
    const b = Float64Array.from([0, 2, -5, 5.5, 7, 2.5]);
    const x = solveSpd(a, 3, b, 2);
    [1, 0, -2, 1, 3, 0.5].forEach((v, i) => expect(x[i]).toBeCloseTo(v, 12));
    expect(() => solveSpd(Float64Array.from([1, 2, 2, 1]), 2, Float64Array.from([1, 1]), 1)).toThrow(/positive definite/);
  });
});
