import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import {
  clusterLoss, clusterTargets, insideWeights, localizationLoss, meanEntropyTerm, positionAccuracy, sinkhorn,
} from './loca';

/**
 * Reference numbers: computed in float64 with numpy from the formulas of google-research/scenic
 * projects/loca (utils.sinkhorn: start from row-softmaxed probabilities, then per iteration divide
 * columns by their sums, then rows by theirs; trainer.py loca_train_step: soft cross-entropy with
 * weights [y ≠ −1] normalised by Σw + 1e-8, and the me-max term Σ p̄ log p̄). S is read as logits
 * already divided by their temperature (τ = 1 here).
 */
// scripts/reference/loca_reference.py prints these.
const S = [[0.5, -1.0, 2.0], [1.5, 0.2, -0.3], [0.0, 0.0, 1.0], [-2.0, 1.0, 0.5]];
const close = (actual: ArrayLike<number>, expected: number[], digits = 5) =>
  expected.forEach((e, i) => expect(actual[i], `entry ${i}`).toBeCloseTo(e, digits));

describe('LOCA losses', () => {
  it('Sinkhorn matches the official normalisation order (3 iterations and 1)', () => {
    const probabilities = tf.softmax(tf.tensor2d(S)) as tf.Tensor2D;
    close(sinkhorn(probabilities, 3).dataSync(), [
      0.281144, 0.066863, 0.651993,
      0.726738, 0.211101, 0.062161,
      0.287982, 0.306946, 0.405072,
      0.034829, 0.745616, 0.219556,
    ]);
    close(sinkhorn(probabilities, 1).dataSync(), [
      0.253554, 0.060283, 0.686163,
      0.719319, 0.208884, 0.071797,
      0.269766, 0.287444, 0.442790,
      0.033604, 0.719195, 0.247201,
    ]);
    // The same through clusterTargets with the temperature applied inside.
    close(clusterTargets(tf.mul(tf.tensor2d(S), 0.05) as tf.Tensor2D, 0.05, 3).dataSync().slice(0, 3), [0.281144, 0.066863, 0.651993]);
  });

  it('the mean-entropy term is Σ p̄ log p̄ of the mean softmax', () => {
    expect(meanEntropyTerm(tf.tensor2d(S), 1).dataSync()[0]).toBeCloseTo(-1.063588, 5);
    // τ_s divides the logits first: S/0.1 … as S read as raw outputs.
    expect(meanEntropyTerm(tf.tensor2d(S), 0.1).dataSync()[0]).toBeCloseTo(-1.038569, 5);
  });

  it('the cluster loss averages the soft cross-entropy over inside patches only', () => {
    const targets = sinkhorn(tf.softmax(tf.tensor2d(S)) as tf.Tensor2D, 3);
    expect(clusterLoss(tf.tensor2d(S), targets, tf.tensor1d([1, 1, 1, 1]), 1).dataSync()[0]).toBeCloseTo(0.869576, 5);
    expect(clusterLoss(tf.tensor2d(S), targets, tf.tensor1d([1, 0, 1, 1]), 1).dataSync()[0]).toBeCloseTo(0.909616, 5);
  });

  it('the localization loss ignores outside patches, whatever their logits', () => {
    // Patch 0: target 2, log-softmax of [0, 0, ln 2] at 2 = ln 2 − ln 4 → CE ln 2. Patch 2:
    // target 0 of [ln 3, 0, 0] → CE ln(5/3). Patch 1 is outside with wild logits.
    const logits = tf.tensor2d([[0, 0, Math.log(2)], [1e4, -1e4, 37], [Math.log(3), 0, 0]]);
    const targets = tf.tensor1d([2, -1, 0], 'int32');
    expect(localizationLoss(logits, targets).dataSync()[0]).toBeCloseTo((Math.log(2) + Math.log(5 / 3)) / 2, 5);
    expect(Array.from(insideWeights(targets).dataSync())).toEqual([1, 0, 1]);
    // No patch inside: 0, not NaN.
    expect(localizationLoss(logits, tf.tensor1d([-1, -1, -1], 'int32')).dataSync()[0]).toBe(0);
  });

  it('position accuracy counts argmax hits among inside patches', () => {
    const logits = tf.tensor2d([[0, 0, 5], [9, 0, 0], [0, 3, 0], [0, 0, 1]]);
    // Hits: patch 0 (2) and patch 3 (2); patch 2 predicts 1 but is 0; patch 1 is outside.
    expect(positionAccuracy(logits, tf.tensor1d([2, -1, 0, 2], 'int32')).dataSync()[0]).toBeCloseTo(2 / 3, 6);
  });

  it('the localization loss has a gradient only through inside patches', () => {
    const logits = tf.tensor2d([[1, 2, 3], [3, 2, 1]]);
    const grad = tf.grad((x: tf.Tensor) => localizationLoss(x as tf.Tensor2D, tf.tensor1d([0, -1], 'int32')))(logits);
    const g = grad.dataSync();
    expect(Array.from(g.slice(3)).map(Math.abs)).toEqual([0, 0, 0]);
    expect(Math.abs(g[0])).toBeGreaterThan(0.1);
  });
});
