/**
 * DINO's three outcomes (Caron et al. 2021, §5.3 and Fig. 7; Table 6 for the teacher), at the
 * scale of the tiny preset on `shapes`, on the CPU:
 *   - centering + sharpening (+ momentum teacher): healthy, teacher entropy well between 0
 *     and ln K, outputs that depend on the image;
 *   - centering without sharpening (τ_t = τ_s): uniform output, entropy → ln K, KL → 0;
 *   - sharpening without centering: one dominant prototype, entropy → 0;
 *   - teacher = student (no momentum): collapse, the teacher's output no longer depends on the
 *     image and the embeddings shrink to a point.
 * The thresholds come from 4 variants × 3 seeds run for 100 steps (docs/NOTES.md has the
 * table); this test runs seed 1, where the closest margins were: healthy entropy 0.29 ln K
 * (limits 0.15–0.8), no-sharpening KL 0.05 (limit 0.15), no-centering batch-mean entropy 0.11
 * nats (limit 0.1 ln K = 0.42), no-momentum std 0.05 (limit 0.3).
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { trainExperiment, type RunResult } from '../../cli/experiment';
import { presetValues } from '../../state/url';
import type { SettingValues } from '../schema';
import { dinoDescription } from './description';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const STEPS = 100;
const lnK = Math.log(64);

async function run(name: string, overrides: SettingValues): Promise<{ result: RunResult; last: Record<string, number> }> {
  const values = { ...presetValues(dinoDescription, 'tiny'), totalSteps: STEPS, metricsEvery: 2, seed: 1, ...overrides };
  const result = await trainExperiment(name, dinoDescription, values);
  // The mean of the last 5 windows (10 steps): one window is noisy at batch 8.
  const tail = result.records.slice(-5);
  const last: Record<string, number> = {};
  for (const key of ['teacherEntropy', 'kl', 'batchMeanEntropy', 'embeddingStd', 'rankMe']) {
    last[key] = tail.reduce((sum, r) => sum + r.values[key], 0) / tail.length;
  }
  last.imageDependence = last.batchMeanEntropy - last.teacherEntropy;
  console.log(`${name}: ${Object.entries(last).map(([k, v]) => `${k}=${v.toFixed(3)}`).join(' ')} ` +
    `collapse=${JSON.stringify(result.detector.active)} (${result.msPerStep.toFixed(0)} ms/step)`);
  return { result, last };
}

describe("DINO's collapse outcomes at small scale (tiny preset, 100 steps, cpu)", () => {
  it('centering and sharpening together stay healthy', async () => {
    const { result, last } = await run('healthy', {});
    expect(last.teacherEntropy).toBeGreaterThan(0.15 * lnK);
    expect(last.teacherEntropy).toBeLessThan(0.8 * lnK);
    expect(last.imageDependence).toBeGreaterThan(0.5);
    expect(last.embeddingStd).toBeGreaterThan(0.4);
    expect(result.detector.active).toBeNull();
  }, 300_000);

  it('centering without sharpening drifts to uniform output', async () => {
    const { result, last } = await run('no sharpening', { sharpening: false });
    expect(last.teacherEntropy).toBeGreaterThan(0.9 * lnK);
    expect(last.kl).toBeLessThan(0.15);
    expect(result.detector.active?.mode).toBe('uniform');
  }, 300_000);

  it('sharpening without centering lets one dimension dominate', async () => {
    const { result, last } = await run('no centering', { centering: false });
    expect(last.teacherEntropy).toBeLessThan(0.1 * lnK);
    expect(last.batchMeanEntropy).toBeLessThan(0.1 * lnK);
    expect(last.kl).toBeLessThan(0.15);
    expect(result.detector.active?.mode).toBe('one-dimension');
  }, 300_000);

  it('without the momentum teacher the run collapses', async () => {
    const { result, last } = await run('no momentum teacher', { momentumTeacher: false });
    // Its entropy swings as the center chases whichever prototype wins, so no direction is
    // asserted: what holds is that the output no longer depends on the image.
    expect(last.imageDependence).toBeLessThan(0.3);
    expect(last.embeddingStd).toBeLessThan(0.3);
    expect(result.detector.active).not.toBeNull();
  }, 300_000);
});
