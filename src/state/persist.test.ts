import { describe, expect, it } from 'vitest';
import { savedRunAt, type SavedRecord } from './persist';

const record: SavedRecord = {
  uid: 'a', savedAt: 0, name: 'Run 1', methodId: 'dino', presetId: 'tiny', values: { totalSteps: 100 },
  step: 60, checkpointStep: 40, elapsedMs: 6000,
  history: { steps: [10, 20, 30, 40, 50, 60], series: { loss: [6, 5, 4, 3, 2, 1], rankMe: [1, 2, 3, 4, 5, 6] } },
  evaluations: [
    { step: 40, scores: { knn: 0.2, linear: 0.2 }, baseline: { knn: 0.1, linear: 0.1 }, ms: 1 },
    { step: 60, scores: { knn: 0.3, linear: 0.3 }, baseline: { knn: 0.1, linear: 0.1 }, ms: 1 },
  ],
};
const weights = { w: { shape: [1], data: Float32Array.from([1]) } };

describe('a saved run reopens at its checkpoint', () => {
  it('cuts the history and the evaluations back to the checkpoint step, and scales the training time', () => {
    const run = savedRunAt(record, { step: 40, weights });
    expect(run.step).toBe(40);
    expect(run.history.steps).toEqual([10, 20, 30, 40]);
    expect(run.history.series.loss).toEqual([6, 5, 4, 3]);
    expect(run.evaluations.map((e) => e.step)).toEqual([40]);
    expect(run.elapsedMs).toBeCloseTo(4000, 6);
    expect(run.weights).toBe(weights);
    // The record is not changed.
    expect(record.history.steps).toHaveLength(6);
  });

  it('without stored weights it reopens at step 0, its history empty', () => {
    const run = savedRunAt(record, null);
    expect([run.step, run.weights, run.history.steps, run.history.series.loss, run.elapsedMs]).toEqual([0, null, [], [], 0]);
  });

});
