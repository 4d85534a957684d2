/**
 * The regression guard for learning itself: a short seeded SimCLR run of the `learn` preset
 * must beat its untrained network's held-out kNN by a clear margin. A change that breaks
 * learning — a loss, an augmentation, the optimiser, the data — fails here, in CI, not in a
 * visitor's first run. It trains with the study's own cell (the app's Trainer) on the wasm
 * backend (WebAssembly on the CPU, one core) and scores on the study's split: 1,000 held-out
 * images, a labelled bank of 2,000.
 *
 * The margin, not a score: at 300 steps this run scores kNN 0.360 against 0.202 untrained and
 * linear 0.354 against 0.151 (seed 1, wasm, 2026-12-06; the wasm backend is deterministic, so
 * a busy machine changes the time, not the numbers). The guard asks for +0.12 on both, six
 * standard errors of the difference of two accuracies near 0.3 on 1,000 images
 * (√(2·0.3·0.7/1000) ≈ 0.02), and 0.04 below what the run reaches on kNN.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { getMethod } from '../../methods/registry';
import { presetValues } from '../../state/url';
import { setupBackend } from '../../engine/node/setup';
import { runCell } from './cell';

const STEPS = 300;
const MARGIN = 0.12;

describe('learning (the regression guard)', () => {
  beforeAll(async () => {
    const backend = await setupBackend('wasm');
    expect(backend.name).toBe('wasm');
  });

  it(`SimCLR learn, ${STEPS} steps: held-out kNN beats the untrained network by ${MARGIN}`, async () => {
    const method = getMethod('simclr');
    const values = { ...presetValues(method, 'learn'), totalSteps: STEPS, warmupSteps: 30, seed: 1 };
    const result = await runCell(method, values, 'wasm');
    const gain = result.trained.knn - result.untrained.knn;
    console.info(`learning guard: kNN ${result.trained.knn.toFixed(3)} vs ${result.untrained.knn.toFixed(3)} untrained ` +
      `(linear ${result.trained.linear.toFixed(3)} vs ${result.untrained.linear.toFixed(3)}), ${result.trainSeconds.toFixed(0)} s training`);
    expect(gain).toBeGreaterThan(MARGIN);
    expect(result.trained.linear - result.untrained.linear).toBeGreaterThan(MARGIN);
  }, 240_000);
});
