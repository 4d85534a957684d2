import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { AdamW } from './adamw';

/** Plain-number AdamW (torch.optim.AdamW's update) for one parameter vector. */
function referenceAdamW(start: number[], grads: number[][], lr: number): number[] {
  const p = [...start];
  const m = p.map(() => 0);
  const v = p.map(() => 0);
  grads.forEach((g, t) => {
    for (let i = 0; i < p.length; i++) {
      m[i] = 0.9 * m[i] + 0.1 * g[i];
      v[i] = 0.999 * v[i] + 0.001 * g[i] ** 2;
      const mHat = m[i] / (1 - 0.9 ** (t + 1));
      const vHat = v[i] / (1 - 0.999 ** (t + 1));
      p[i] -= (lr * mHat) / (Math.sqrt(vHat) + 1e-8);
    }
  });
  return p;
}

describe('AdamW global-norm clipping', () => {
  it('scales every gradient by min(1, c / ‖g‖_global) over all parameters together', () => {
    const a = tf.variable(tf.tensor1d([1, 2]));
    const b = tf.variable(tf.tensor1d([-1]));
    const optimizer = new AdamW(new Map([['a', a], ['b', b]]));
    // Step 1: global norm √(3² + 4² + 12²) = 13 → factor 1/13. Step 2: norm 0.5 < 1 → unchanged.
    const steps = [[[3, 4], [12]], [[0.3, 0], [0.4]]];
    for (const [ga, gb] of steps) {
      tf.tidy(() => optimizer.apply(new Map([['a', tf.tensor1d(ga)], ['b', tf.tensor1d(gb)]]), {
        learningRate: 0.1, weightDecay: 0, clip: 0, globalClip: 1,
      }));
    }
    const expected = referenceAdamW([1, 2, -1], [[3 / 13, 4 / 13, 12 / 13], [0.3, 0, 0.4]], 0.1);
    const got = [...a.dataSync(), ...b.dataSync()];
    got.forEach((value, i) => expect(value).toBeCloseTo(expected[i], 5));
    // Without clipping the result differs (Adam is not scale-invariant over two steps).
    const unclipped = referenceAdamW([1, 2, -1], [[3, 4, 12], [0.3, 0, 0.4]], 0.1);
    expect(Math.abs(unclipped[0] - expected[0])).toBeGreaterThan(1e-3);
    optimizer.dispose();
  });
});
