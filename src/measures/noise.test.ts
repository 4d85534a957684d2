import { describe, expect, it } from 'vitest';
import { Rng } from '../engine/random';
import { corruptionScales, corruptPixels, denoisePixels, noiseGamma, psnr, toModel, toPixel } from './noise';

/**
 * The CPU corruption formulas the page draws with. Reference numbers from
 * scripts/reference/dep_reference.py (float64 numpy, our restatement of DeP's equations:
 * γ = 1/(1 + σ²), x̃ = √γ·x + √(1 − γ)·ε or x + σ·ε, in model units x = 2·pixel − 1).
 */
const close = (actual: ArrayLike<number>, expected: ArrayLike<number>, digits = 5) =>
  Array.from(expected).forEach((e, i) => expect(actual[i], `entry ${i}`).toBeCloseTo(e, digits));

function draws(count: number, draw: () => number): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = draw();
  return out;
}

describe('noise (CPU corruption formulas)', () => {
  it('γ = 1/(1 + σ²) and the corruption scales', () => {
    expect(noiseGamma(0.22)).toBeCloseTo(0.953834, 6);
    expect(noiseGamma(0.5)).toBeCloseTo(0.8, 12);
    expect(noiseGamma(1)).toBeCloseTo(0.5, 12);
    expect(noiseGamma(0)).toBe(1);
    close(corruptionScales(0.22, 'vp'), [0.976644, 0.214862], 6);
    close(corruptionScales(0.5, 'vp'), [0.894427, 0.447214], 6);
    expect(corruptionScales(0.5, 'simple')).toEqual([1, 0.5]);
    // VP keeps unit variance for unit-variance x and ε: a² + b² = 1; and b/a = σ for both kinds.
    for (const sigma of [0.01, 0.3, 1, 4]) {
      const [a, b] = corruptionScales(sigma, 'vp');
      expect(a * a + b * b).toBeCloseTo(1, 12);
      expect(b / a).toBeCloseTo(sigma, 10);
    }
  });

  it('corruptPixels matches the reference x̃ (pixel units in and out)', () => {
    // The reference's x and x̃ are model units: pixels = (x + 1)/2.
    const x = [0.2, -0.6, 0.9, -1.0, 0.4, 0.0];
    const eps = Float32Array.from([0.5, -1.2, 0.3, 1.5, 0.1, -0.7]);
    const clean = Float32Array.from(x, toPixel);
    close(Array.from(corruptPixels(clean, eps, 0.22, 'vp'), toModel), [0.30276, -0.843821, 0.943439, -0.654352, 0.412144, -0.150403]);
    close(Array.from(corruptPixels(clean, eps, 0.5, 'simple'), toModel), [0.45, -1.2, 1.05, -0.25, 0.45, -0.35]);
    const epsHat = Float32Array.from([0.4, -1.0, 0.0, 1.2, 0.3, -0.5]);
    close(Array.from(denoisePixels(corruptPixels(clean, eps, 0.5, 'vp'), epsHat, 0.5, 'vp'), toModel), [0.25, -0.7, 1.05, -0.85, 0.3, -0.1]);
    expect(() => corruptPixels(clean, eps.slice(1), 0.5, 'vp')).toThrow();
    expect(() => denoisePixels(clean, eps.slice(1), 0.5, 'vp')).toThrow();
  });

  it('toModel and toPixel are inverse maps of [0, 1] onto [−1, 1]', () => {
    expect(toModel(0)).toBe(-1);
    expect(toModel(1)).toBe(1);
    expect(toModel(0.5)).toBe(0);
    for (const p of [0, 0.13, 0.5, 0.97, 1]) expect(toPixel(toModel(p))).toBeCloseTo(p, 12);
  });

  it('denoising with the true noise gives back the clean pixels, for both kinds', () => {
    const rng = new Rng(1);
    const clean = draws(300, () => rng.next());
    const noise = draws(300, () => rng.normal());
    for (const kind of ['vp', 'simple'] as const) {
      for (const sigma of [0.05, 0.5, 3]) {
        const noisy = corruptPixels(clean, noise, sigma, kind);
        close(denoisePixels(noisy, noise, sigma, kind), clean, 4);
      }
    }
  });

  it('psnr: −10·log10(MSE) on clipped estimates, Infinity when equal', () => {
    const clean = Float32Array.from([0.2, 0.4, 0.6, 0.8]);
    expect(psnr(clean, clean)).toBe(Number.POSITIVE_INFINITY);
    // Every entry off by 0.1: MSE 0.01 → 20 dB.
    expect(psnr(clean, Float32Array.from([0.3, 0.5, 0.7, 0.9]))).toBeCloseTo(20, 4);
    // Estimates are clipped to [0, 1] first: 1.5 counts as 1, −1 as 0.
    expect(psnr(Float32Array.from([1, 0]), Float32Array.from([1.5, -1]))).toBe(Number.POSITIVE_INFINITY);
    expect(psnr(Float32Array.from([0.9, 0]), Float32Array.from([2, 0]))).toBeCloseTo(-10 * Math.log10(0.01 / 2), 4);
    // More noise, lower PSNR of the noisy image.
    const rng = new Rng(2);
    const pixels = draws(500, () => rng.next());
    const noise = draws(500, () => rng.normal());
    const low = psnr(pixels, corruptPixels(pixels, noise, 0.1, 'simple'));
    const high = psnr(pixels, corruptPixels(pixels, noise, 0.5, 'simple'));
    expect(low).toBeGreaterThan(high);
  });
});
