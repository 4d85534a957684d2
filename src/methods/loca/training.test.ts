import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { trainExperiment } from '../../cli/experiment';
import { presetValues } from '../../state/url';
import { locaDescription } from './description';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('LOCA tiny preset (cpu, 150 steps, ~1 min)', () => {
  it('learns positions: accuracy above chance and the position loss below ln N_ref', async () => {
    // 16 px images, 4×4 reference patches: chance is 1/16 = 0.0625 and a uniform guess costs
    // ln 16 = 2.77. Seed 1 ends (mean of the last 10 windows) near accuracy 0.10 and position
    // loss 2.65, the cluster loss near 3.6 (ln 64 = 4.16); docs/NOTES.md has the numbers.
    const values = { ...presetValues(locaDescription, 'tiny'), seed: 1 };
    const result = await trainExperiment('tiny', locaDescription, values);
    const records = result.records;
    const last = records.slice(-10);
    const first = records.slice(0, 3);
    const accuracy = mean(last.map((r) => r.values.positionAccuracy));
    expect(accuracy).toBeGreaterThan(1.3 * (1 / 16));
    expect(accuracy).toBeGreaterThan(mean(first.map((r) => r.values.positionAccuracy)));
    expect(mean(last.map((r) => r.values.localizationLoss))).toBeLessThan(Math.log(16) - 0.05);
    expect(mean(last.map((r) => r.values.clusterLoss))).toBeLessThan(mean(first.map((r) => r.values.clusterLoss)));
    for (const record of records) expect(Number.isFinite(record.values.loss)).toBe(true);
    // No collapse: the student keeps using many prototypes.
    expect(result.detector.active).toBeNull();
    expect(mean(last.map((r) => r.values.predictionSpread))).toBeGreaterThan(0.5 * Math.log(64));
  }, 300_000);
});
