import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { trainExperiment } from '../../cli/experiment';
import { presetValues } from '../../state/url';
import { depDescription } from './description';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('DeP tiny preset (cpu)', () => {
  it('learns to denoise: the noise MSE falls from 1 and the denoised estimate beats the noisy input', async () => {
    // Seed 1, 60 steps: the MSE starts near 1 (the untrained U-Net predicts almost no noise) and
    // ends near 0.55; the denoised PSNR passes the noisy input's (19.7 dB) within ~20 steps.
    const values = { ...presetValues(depDescription, 'tiny'), seed: 1, totalSteps: 60 };
    const { records } = await trainExperiment('tiny', depDescription, values);
    const first = records.slice(0, 3);
    const last = records.slice(-5);
    expect(mean(first.map((r) => r.values.denoiseLoss))).toBeGreaterThan(0.9);
    expect(mean(last.map((r) => r.values.denoiseLoss))).toBeLessThan(0.8 * mean(first.map((r) => r.values.denoiseLoss)));
    expect(mean(last.map((r) => r.values.denoisedPsnr))).toBeGreaterThan(mean(last.map((r) => r.values.noisyPsnr)) + 1);
    for (const record of records) expect(Number.isFinite(record.values.loss)).toBe(true);
  }, 180_000);

  it('DDeP: the supervised stage learns the classes, then the decoder alone learns to denoise', async () => {
    // Seed 1: the 60-step supervised stage ends near 0.3 batch accuracy (chance 0.1); the
    // decoder's denoising loss then falls from about 1.
    const values = { ...presetValues(depDescription, 'tiny-ddep'), seed: 1, totalSteps: 90 };
    const { records } = await trainExperiment('tiny-ddep', depDescription, values);
    const supervised = records.filter((r) => r.step <= 60);
    const denoising = records.filter((r) => r.step > 60);
    expect(supervised.every((r) => Number.isNaN(r.values.denoiseLoss))).toBe(true);
    expect(denoising.every((r) => Number.isNaN(r.values.supervisedLoss))).toBe(true);
    expect(mean(supervised.slice(-5).map((r) => r.values.supervisedLoss))).toBeLessThan(mean(supervised.slice(0, 3).map((r) => r.values.supervisedLoss)));
    expect(mean(supervised.slice(-5).map((r) => r.values.supervisedAccuracy))).toBeGreaterThan(0.15); // chance 0.1
    expect(mean(denoising.slice(-5).map((r) => r.values.denoiseLoss))).toBeLessThan(mean(denoising.slice(0, 3).map((r) => r.values.denoiseLoss)));
  }, 240_000);
});
