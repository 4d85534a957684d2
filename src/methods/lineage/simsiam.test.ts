/**
 * SimSiam's Fig. 2 at small scale: without the stop-gradient the projections of different
 * images slide together (negative similarity up, std of the normalised projections down),
 * while the healthy run keeps them apart. The paper's run reaches std 0; at this size (ViT of
 * depth 1, batch 16, 200 steps on cpu) the slide is partial, so the test checks the
 * separation: over seed 1 we saw negatives 0.47 vs −0.02 and std(z) × √D 0.71 vs 0.98 in the
 * last window (docs/NOTES.md).
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { trainExperiment } from '../../cli/experiment';
import { presetValues } from '../../state/url';
import { simsiamDescription } from './descriptions';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

async function finalOf(stopGradient: boolean) {
  const values = { ...presetValues(simsiamDescription, 'tiny'), depth: 1, metricsEvery: 10, seed: 1, stopGradient };
  const result = await trainExperiment(stopGradient ? 'healthy' : 'no stop-gradient', simsiamDescription, values);
  const tail = result.records.slice(-3);
  const mean = (key: string) => tail.reduce((sum, r) => sum + r.values[key], 0) / tail.length;
  const final = { negatives: mean('negativeSimilarity'), std: mean('projectionStd'), loss: mean('loss') };
  console.log(`${result.name}: ${JSON.stringify(final)} (${result.msPerStep.toFixed(0)} ms/step)`);
  return final;
}

describe('SimSiam without stop-gradient slides toward collapse (tiny, depth 1, 200 steps, cpu)', () => {
  it('keeps different images apart with the stop-gradient, and lets them slide together without it', async () => {
    const healthy = await finalOf(true);
    const broken = await finalOf(false);
    expect(healthy.negatives).toBeLessThan(0.1);
    expect(healthy.std).toBeGreaterThan(0.9);
    expect(broken.negatives).toBeGreaterThan(0.3);
    expect(broken.std).toBeLessThan(0.85);
    expect(broken.std).toBeLessThan(healthy.std - 0.15);
  }, 400_000);
});
