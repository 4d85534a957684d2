import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { SEGMENTATION_FRACTIONS } from '../methods/evaluation';
import { getMethod } from '../methods/registry';
import { presetValues } from '../state/url';
import { Trainer } from './trainer';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const tiny = (id: string, overrides: Record<string, number | boolean | string> = {}) =>
  ({ ...presetValues(getMethod(id), 'tiny'), datasetSize: 64, metricsEvery: 1, ...overrides });

describe('Trainer.evaluate (tiny, cpu)', () => {
  it('scores a DINO run and its untrained twin: every probe, the baseline computed once, nothing leaked', async () => {
    const trainer = await Trainer.create(getMethod('dino'), tiny('dino'));
    const before = tf.memory().numTensors;
    const first = await trainer.evaluate(SEGMENTATION_FRACTIONS);
    expect(tf.memory().numTensors).toBe(before);
    expect(first.step).toBe(0);
    // At step 0 the run is its random initialisation: the same seed builds the same network.
    expect(first.scores).toEqual(first.baseline);
    for (const score of [first.scores.knn, first.scores.linear, first.scores.jaccard!, ...first.scores.segmentation!]) {
      expect(score).toBeGreaterThanOrEqual(0);
      expect(score).toBeLessThanOrEqual(1);
    }
    expect(first.scores.segmentation).toHaveLength(SEGMENTATION_FRACTIONS.length);

    for (let i = 0; i < 3; i++) await trainer.runStep();
    const second = await trainer.evaluate(SEGMENTATION_FRACTIONS);
    expect(second.step).toBe(3);
    expect(second.baseline).toBe(first.baseline); // kept, not recomputed
    expect(second.scores).not.toBe(second.baseline);
    trainer.dispose();
  }, 120_000);

  it('offers what each architecture has: no attention Jaccard for a CNN or for LOCA', async () => {
    const cnn = await Trainer.create(getMethod('simclr'), tiny('simclr', { backbone: 'cnn' }));
    const cnnScores = (await cnn.evaluate([1])).scores;
    cnn.dispose();
    expect(cnnScores.jaccard).toBeUndefined();
    expect(cnnScores.segmentation).toHaveLength(1); // its last feature map is dense
    const loca = await Trainer.create(getMethod('loca'), tiny('loca'));
    const locaScores = (await loca.evaluate([1])).scores;
    loca.dispose();
    expect(locaScores.jaccard).toBeUndefined(); // LOCA's CLS token is trained by nothing
    expect(locaScores.segmentation).toHaveLength(1);
  }, 120_000);
});
