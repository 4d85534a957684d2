import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Trainer } from '../../training/trainer';
import { corruptPixels, denoisePixels } from '../../measures/noise';
import { presetValues } from '../../state/url';
import { probeOf, stepRecords as steps, weightsOf } from '../../training/testing';
import type { SettingValues } from '../schema';
import { depDescription } from './description';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** The tiny preset, smaller still: these tests check mechanisms, not learning. */
const small = (overrides: SettingValues = {}) => ({
  ...presetValues(depDescription, 'tiny'), width: 4, levels: 2, batchSize: 4, warmupSteps: 0, ...overrides,
});

const changed = (a: Float32Array, b: Float32Array) => a.some((v, i) => v !== b[i]);

describe('DeP settings', () => {
  it('accepts its presets and names what is wrong with a bad combination', () => {
    for (const preset of depDescription.presets) expect(depDescription.validate(presetValues(depDescription, preset.id))).toEqual([]);
    expect(depDescription.validate(small({ levels: 5 }))).toEqual([
      '5 levels halve the image 4 times: image size 16 must be a multiple of 16 and at least 32.',
    ]);
    expect(depDescription.validate(small({ variant: 'DDeP', supervisedSteps: 150 }))[0]).toMatch(/supervised stage \(150 steps\) must be shorter than the run \(150 steps\)/);
    expect(depDescription.validate(small({ sigmaMode: 'sampled', sigmaMin: 1, sigmaMax: 0.5 }))).toEqual(['Sampled σ min must not exceed its max.']);
  });
});

describe('DeP / DDeP mechanisms (cpu)', () => {
  it('DeP trains the whole U-Net', async () => {
    const trainer = await Trainer.create(depDescription, small());
    const before = await weightsOf(trainer);
    await steps(trainer, 1);
    const after = await weightsOf(trainer);
    for (const name of Object.keys(before)) expect(changed(before[name], after[name]), name).toBe(true);
    trainer.dispose();
  }, 60_000);

  it('DDeP trains encoder and classifier in its supervised stage, then only the decoder: the encoder never changes again', async () => {
    const trainer = await Trainer.create(depDescription, small({ variant: 'DDeP', supervisedSteps: 10, totalSteps: 20 }));
    const initial = await weightsOf(trainer);
    const names = Object.keys(initial);
    const encoder = names.filter((n) => n.startsWith('unet.encoder.'));
    const decoder = names.filter((n) => n.startsWith('unet.decoder.') || n.startsWith('unet.out.'));
    const classifier = names.filter((n) => n.startsWith('classifier.'));
    expect(encoder.length).toBeGreaterThan(0);
    expect(classifier).toEqual(['classifier.weight', 'classifier.bias']);

    // Supervised stage: the classification loss and accuracy are reported, the denoising ones are gaps (NaN).
    const supervised = await steps(trainer, 10);
    expect(Number.isFinite(supervised[0].supervisedLoss)).toBe(true);
    expect(supervised[0].supervisedLoss).toBeCloseTo(supervised[0].loss, 6);
    expect(Number.isNaN(supervised[0].denoiseLoss)).toBe(true);
    const afterSupervised = await weightsOf(trainer);
    for (const name of [...encoder, ...classifier]) expect(changed(initial[name], afterSupervised[name]), name).toBe(true);
    for (const name of decoder) expect(changed(initial[name], afterSupervised[name]), name).toBe(false);

    // Denoising stage: the encoder is frozen, the decoder learns.
    const denoising = await steps(trainer, 5);
    expect(Number.isFinite(denoising[0].denoiseLoss)).toBe(true);
    expect(Number.isNaN(denoising[0].supervisedLoss)).toBe(true);
    const afterDenoising = await weightsOf(trainer);
    for (const name of [...encoder, ...classifier]) expect(changed(afterSupervised[name], afterDenoising[name]), name).toBe(false);
    for (const name of decoder) expect(changed(afterSupervised[name], afterDenoising[name]), name).toBe(true);
    trainer.dispose();
  }, 120_000);

  it('holds no tensors per step', async () => {
    for (const variant of ['DeP', 'DDeP']) {
      const trainer = await Trainer.create(depDescription, small({ variant, supervisedSteps: 10, totalSteps: 20, sigmaMode: 'sampled' }));
      await steps(trainer, 2);
      const count = tf.memory().numTensors;
      await steps(trainer, 3);
      expect(tf.memory().numTensors, variant).toBe(count);
      trainer.dispose();
    }
  }, 120_000);

  it('probes the fixed probe images with fixed noise, and its images invert the corruption', async () => {
    const trainer = await Trainer.create(depDescription, small());
    const first = await probeOf(trainer, 'denoising');
    const { count, imageSize } = first;
    const size = count * imageSize * imageSize * 3;
    for (const part of [first.clean, first.noise, first.noisy, first.predicted, first.denoised]) expect(part.length).toBe(size);
    expect(first.sigma).toBe(0.22);
    // The noisy input is the VP corruption of the clean pixels by the reported noise; the denoised
    // estimate inverts it with the reported prediction (the page's formulas, measures/noise.ts).
    const noisy = corruptPixels(first.clean, first.noise, first.sigma, 'vp');
    const denoised = denoisePixels(first.noisy, first.predicted, first.sigma, 'vp');
    for (let i = 0; i < size; i += 37) {
      expect(first.noisy[i]).toBeCloseTo(noisy[i], 4);
      expect(first.denoised[i]).toBeCloseTo(denoised[i], 4);
    }
    let mse = 0;
    for (let i = 0; i < size; i++) mse += (first.predicted[i] - first.noise[i]) ** 2 / size;
    expect(first.mse).toBeCloseTo(mse, 4);
    // Unit-Gaussian noise: mean ≈ 0, variance ≈ 1.
    const mean = first.noise.reduce((a, b) => a + b, 0) / size;
    const variance = first.noise.reduce((a, b) => a + (b - mean) ** 2, 0) / size;
    expect(Math.abs(mean)).toBeLessThan(0.05);
    expect(variance).toBeGreaterThan(0.9);
    expect(variance).toBeLessThan(1.1);

    await steps(trainer, 2);
    const second = await probeOf(trainer, 'denoising');
    expect(second.noise).toEqual(first.noise);
    expect(second.clean).toEqual(first.clean);
    expect(second.predicted).not.toEqual(first.predicted);

    // σ is live: the next probe (and step) uses the new level.
    trainer.setLive({ sigma: 0.8 });
    const third = await probeOf(trainer, 'denoising');
    expect(third.sigma).toBe(0.8);
    expect(third.noisy[0]).toBeCloseTo(corruptPixels(third.clean, third.noise, 0.8, 'vp')[0], 4);
    const [record] = await steps(trainer, 1);
    expect(record.sigma).toBeCloseTo(0.8, 6);
    trainer.dispose();
  }, 120_000);

  it('hands the fine-tuner a copy: fine-tuning never changes the run’s weights', async () => {
    const trainer = await Trainer.create(depDescription, small());
    const before = await weightsOf(trainer);
    const count = tf.memory().numTensors;
    const { network } = trainer.instance.fineTuneNetwork!();
    const kernel = network.variables.get('encoder.0.conv1.kernel')!;
    tf.tidy(() => kernel.assign(tf.zerosLike(kernel)));
    const after = await weightsOf(trainer);
    expect(after['unet.encoder.0.conv1.kernel']).toEqual(before['unet.encoder.0.conv1.kernel']);
    const features = tf.tidy(() => network.features(tf.zeros([2, 16, 16, 3])));
    expect(features.shape).toEqual([2, 16, 16, network.featureDim]);
    features.dispose();
    // The noise head is not part of the segmentation network.
    expect(network.frozen?.('out.kernel')).toBe(true);
    expect(network.frozen?.('encoder.0.conv1.kernel')).toBe(false);
    for (const variable of network.variables.values()) variable.dispose();
    expect(tf.memory().numTensors).toBe(count);
    trainer.dispose();
  }, 60_000);

  it('evaluates by fine-tuning a copy of the U-Net and the same U-Net at its initialisation', async () => {
    const trainer = await Trainer.create(depDescription, small({ fineTuneSteps: 3, datasetSize: 64 }));
    await steps(trainer, 1);
    const before = await weightsOf(trainer);
    const count = tf.memory().numTensors;
    const record = await trainer.evaluate([0.1, 1]);
    expect(tf.memory().numTensors).toBe(count);
    for (const scores of [record.scores, record.baseline]) {
      expect(scores.fineTune).toHaveLength(2);
      for (const mIoU of scores.fineTune!) expect(mIoU).toBeGreaterThanOrEqual(0);
      for (const mIoU of scores.fineTune!) expect(mIoU).toBeLessThanOrEqual(1);
      expect(scores.segmentation).toHaveLength(2);
    }
    expect(record.scores.fineTune).not.toEqual(record.baseline.fineTune);
    expect(await weightsOf(trainer)).toEqual(before);
    trainer.dispose();
  }, 120_000);
});
