import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { corruptPixels, denoisePixels, toModel, toPixel, type Corruption } from '../../measures/noise';
import { Rng } from '../random';
import { corrupt, denoisedEstimate, denoisingLoss, sampleSigmas } from './denoise';

/**
 * Reference numbers: float64 numpy from our own restatement of DeP's equations (Brempong et al.
 * 2022; no official code is public): x̃ = √γ·x + √(1 − γ)·ε with γ = 1/(1 + σ²) ('vp'), or
 * x̃ = x + σ·ε ('simple'); x̂ = (x̃ − b·ε̂)/a; loss mean((ε̂ − ε)²).
 */
// scripts/reference/dep_reference.py prints these.
const X = [0.2, -0.6, 0.9, -1.0, 0.4, 0.0];
const EPS = [0.5, -1.2, 0.3, 1.5, 0.1, -0.7];
const EPS_HAT = [0.4, -1.0, 0.0, 1.2, 0.3, -0.5];
const REFERENCE: Record<Corruption, Record<string, { noisy: number[]; fromEpsHat: number[]; fromX: number[] }>> = {
  vp: {
    0.22: {
      noisy: [0.30276, -0.843821, 0.943439, -0.654352, 0.412144, -0.150403],
      fromEpsHat: [0.222, -0.644, 0.966, -0.934, 0.356, -0.044],
      fromX: [0.116783, -0.394348, 0.921523, -1.287914, 0.343566, 0.11],
    },
    0.5: {
      noisy: [0.402492, -1.073313, 0.939149, -0.223607, 0.402492, -0.31305],
      fromEpsHat: [0.25, -0.7, 1.05, -0.85, 0.3, -0.1],
      fromX: [0.023607, -0.17082, 1.006231, -1.718034, 0.297214, 0.25],
    },
  },
  simple: {
    0.22: {
      noisy: [0.31, -0.864, 0.966, -0.67, 0.422, -0.154],
      fromEpsHat: [0.222, -0.644, 0.966, -0.934, 0.356, -0.044],
      fromX: [0.112, -0.38, 0.9, -1.264, 0.334, 0.11],
    },
    0.5: {
      noisy: [0.45, -1.2, 1.05, -0.25, 0.45, -0.35],
      fromEpsHat: [0.25, -0.7, 1.05, -0.85, 0.3, -0.1],
      fromX: [0, -0.1, 0.9, -1.6, 0.25, 0.25],
    },
  },
};

/** 2 pixels × 3 channels as one [1, 1, 2, 3] image. */
const image = (values: number[]) => tf.tensor4d(values, [1, 1, 2, 3]);
const close = (actual: ArrayLike<number>, expected: number[], digits = 5) =>
  expected.forEach((e, i) => expect(actual[i], `entry ${i}`).toBeCloseTo(e, digits));
const KINDS: Corruption[] = ['vp', 'simple'];

function randomImages(shape: [number, number, number, number], draw: () => number): tf.Tensor4D {
  const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < values.length; i++) values[i] = draw();
  return tf.tensor4d(values, shape);
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('DeP corruption and loss', () => {
  it('matches the reference numbers for both corruptions at σ = 0.22 and 0.5', () => {
    for (const kind of KINDS) {
      for (const sigma of [0.22, 0.5]) {
        const expected = REFERENCE[kind][String(sigma)];
        const noisy = corrupt(image(X), image(EPS), sigma, kind);
        close(noisy.dataSync(), expected.noisy);
        close(denoisedEstimate(noisy, image(EPS_HAT), sigma, kind).dataSync(), expected.fromEpsHat);
        close(denoisedEstimate(image(X), image(EPS_HAT), sigma, kind).dataSync(), expected.fromX);
        // The same through a per-image σ tensor (the GPU-side scales).
        const perImage = tf.tensor1d([sigma]);
        close(corrupt(image(X), image(EPS), perImage, kind).dataSync(), expected.noisy);
        close(denoisedEstimate(image(X), image(EPS_HAT), perImage, kind).dataSync(), expected.fromX);
      }
    }
  });

  it('the loss is the per-element mean of (ε̂ − ε)²', () => {
    expect(denoisingLoss(image(EPS_HAT), image(EPS)).dataSync()[0]).toBeCloseTo(0.051667, 5);
    // A perfect prediction: 0; predicting 0: mean ε² (0.755 in the reference).
    expect(denoisingLoss(image(EPS), image(EPS)).dataSync()[0]).toBe(0);
    expect(denoisingLoss(image([0, 0, 0, 0, 0, 0]), image(EPS)).dataSync()[0]).toBeCloseTo(0.755, 5);
    const rng = new Rng(3);
    const noise = randomImages([2, 4, 4, 3], () => rng.normal());
    const meanSquare = tf.mean(tf.square(noise)).dataSync()[0];
    expect(denoisingLoss(tf.zerosLike(noise), noise).dataSync()[0]).toBeCloseTo(meanSquare, 6);
    expect(denoisingLoss(noise, noise).dataSync()[0]).toBe(0);
  });

  it('agrees with measures/noise.ts on random pixels (pixel ↔ model mapping)', () => {
    const rng = new Rng(11);
    const shape: [number, number, number, number] = [1, 5, 4, 3];
    const pixels = randomImages(shape, () => rng.next());
    const noise = randomImages(shape, () => rng.normal());
    const predicted = randomImages(shape, () => rng.normal());
    const clean = pixels.dataSync() as Float32Array;
    for (const kind of KINDS) {
      for (const sigma of [0.05, 0.22, 0.7, 2]) {
        const model = tf.tensor4d(Array.from(clean, toModel), shape);
        const noisyModel = corrupt(model, noise, sigma, kind);
        const expected = corruptPixels(clean, noise.dataSync() as Float32Array, sigma, kind);
        close(Array.from(noisyModel.dataSync(), toPixel), Array.from(expected));
        const estimate = denoisedEstimate(noisyModel, predicted, sigma, kind);
        const expectedEstimate = denoisePixels(expected, predicted.dataSync() as Float32Array, sigma, kind);
        close(Array.from(estimate.dataSync(), toPixel), Array.from(expectedEstimate), 4);
      }
    }
  });

  it('denoisedEstimate inverts corrupt with the true noise, for scalar and per-image σ', () => {
    const rng = new Rng(5);
    const x = randomImages([4, 3, 3, 3], () => rng.uniform(-1, 1));
    const noise = randomImages([4, 3, 3, 3], () => rng.normal());
    const sigmas = tf.tensor1d(sampleSigmas(rng, 4, 0.01, 3));
    for (const kind of KINDS) {
      for (const sigma of [0.3, 1.5, sigmas]) {
        const back = denoisedEstimate(corrupt(x, noise, sigma, kind), noise, sigma, kind);
        expect(tf.max(tf.abs(tf.sub(back, x))).dataSync()[0]).toBeLessThan(1e-4);
      }
    }
  });

  it('a per-image σ scales each image by its own level', () => {
    const rng = new Rng(8);
    const x = randomImages([3, 2, 2, 3], () => rng.uniform(-1, 1));
    const noise = randomImages([3, 2, 2, 3], () => rng.normal());
    const levels = [0.1, 0.5, 2];
    for (const kind of KINDS) {
      const batched = corrupt(x, noise, tf.tensor1d(levels), kind);
      levels.forEach((sigma, i) => {
        const one = corrupt(tf.slice(x, [i], [1]), tf.slice(noise, [i], [1]), sigma, kind);
        close(tf.slice(batched, [i], [1]).dataSync(), Array.from(one.dataSync()));
      });
    }
    expect(() => corrupt(x, noise, tf.tensor1d([0.1, 0.2]), 'vp')).toThrow(/one per image/);
  });

  it('the corruption is differentiable in x (∂x̃/∂x = √γ for vp)', () => {
    const x = image(X);
    const grad = tf.grad((input: tf.Tensor) => tf.sum(corrupt(input as tf.Tensor4D, image(EPS), 0.5, 'vp')))(x);
    close(grad.dataSync(), new Array(6).fill(Math.sqrt(0.8)));
  });

  it('sampleSigmas is log-uniform in [min, max]', () => {
    const rng = new Rng(42);
    const [min, max] = [0.05, 2];
    const sigmas = sampleSigmas(rng, 4000, min, max);
    expect(sigmas.length).toBe(4000);
    for (const s of sigmas) {
      expect(s).toBeGreaterThanOrEqual(Math.fround(min));
      expect(s).toBeLessThanOrEqual(Math.fround(max));
    }
    const sorted = Array.from(sigmas).sort((a, b) => a - b);
    // Log-uniform: the median is the geometric mean √(min·max) ≈ 0.316 (the arithmetic mid-point
    // would be 1.025), and each quarter of log σ holds about a quarter of the draws.
    expect(sorted[2000]).toBeGreaterThan(Math.sqrt(min * max) * 0.9);
    expect(sorted[2000]).toBeLessThan(Math.sqrt(min * max) * 1.1);
    const logs = sorted.map((s) => (Math.log(s) - Math.log(min)) / (Math.log(max) - Math.log(min)));
    for (let q = 0; q < 4; q++) {
      const share = logs.filter((v) => v >= q / 4 && v < (q + 1) / 4).length / 4000;
      expect(share).toBeGreaterThan(0.22);
      expect(share).toBeLessThan(0.28);
    }
    // Same seed, same draws; min = max gives that one level.
    expect(Array.from(sampleSigmas(new Rng(42), 5, min, max))).toEqual(Array.from(sigmas.slice(0, 5)));
    expect(Array.from(sampleSigmas(rng, 3, 0.5, 0.5))).toEqual([0.5, 0.5, 0.5]);
    expect(() => sampleSigmas(rng, 3, 0, 1)).toThrow();
  });
});
