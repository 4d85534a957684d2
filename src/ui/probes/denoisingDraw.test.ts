import { describe, expect, it } from 'vitest';
import type { DenoisingProbe } from '../../methods/probes';
import { corruptPixels, denoisePixels, psnr } from '../../measures/noise';
import {
  ERROR_MAX, ERROR_STOPS, cellSide, corruptionSetting, denoisingSummary, errorColor, errorGradientCss, errorToRgba, formatDb,
  formatSigma, imageSlice, imageToRgba, noiseToRgba, previewPixels, sigmaSetting,
} from './denoisingDraw';

const f32 = (values: number[]) => Float32Array.from(values);
/** RGBA bytes of pixel p as a plain array. */
const px = (rgba: Uint8ClampedArray, p: number) => [...rgba.subarray(p * 4, p * 4 + 4)];

describe('imageSlice', () => {
  it('picks one image of a [P, S, S, 3] array without copying', () => {
    const all = f32([...Array(24).keys()]); // P = 2, S = 2
    const second = imageSlice(all, 2, 1);
    expect([...second]).toEqual([12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23]);
    expect(second.buffer).toBe(all.buffer);
  });
});

describe('imageToRgba', () => {
  it('maps [0, 1] to opaque bytes, per channel', () => {
    // One 1×1 image: r = 0, g = 0.5, b = 1.
    expect(px(imageToRgba(f32([0, 0.5, 1]), 1, 0), 0)).toEqual([0, 128, 255, 255]);
  });

  it('clips out-of-range and non-finite values', () => {
    // A 2×2 image: pixel 0 (−0.3, 1.7, NaN), pixel 1 (+∞, −∞, 0.2).
    const rgba = imageToRgba(f32([-0.3, 1.7, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0.2, 0, 0, 0, 0, 0, 0]), 2, 0);
    expect(px(rgba, 0)).toEqual([0, 255, 0, 255]);
    expect(px(rgba, 1)).toEqual([255, 0, 51, 255]);
  });

  it('reads image `index` of several, in raster order', () => {
    // Two 2×2 images; the second is red, green, blue, white.
    const first = Array(12).fill(0);
    const second = [1, 0, 0, /**/ 0, 1, 0, /**/ 0, 0, 1, /**/ 1, 1, 1];
    const rgba = imageToRgba(f32([...first, ...second]), 2, 1);
    expect(rgba.length).toBe(16);
    expect(px(rgba, 0)).toEqual([255, 0, 0, 255]);
    expect(px(rgba, 1)).toEqual([0, 255, 0, 255]);
    expect(px(rgba, 2)).toEqual([0, 0, 255, 255]);
    expect(px(rgba, 3)).toEqual([255, 255, 255, 255]);
  });
});

describe('noiseToRgba', () => {
  it('shows 0 as mid grey and ±2 (the default scale) as white and black, each channel on its own', () => {
    expect(px(noiseToRgba(f32([0, 2, -2]), 1, 0), 0)).toEqual([128, 255, 0, 255]);
  });

  it('maps ε to 0.5 + ε / (2·scale), clipped', () => {
    // ε = 1 at scale 2: 0.75 → 191; ε = −1: 0.25 → 64; ε = 5: clipped to white.
    expect(px(noiseToRgba(f32([1, -1, 5]), 1, 0), 0)).toEqual([191, 64, 255, 255]);
    // Scale 1: ε = 0.5 → 0.75, ε = −3 → black.
    expect(px(noiseToRgba(f32([0.5, -3, 0]), 1, 0, 1), 0)).toEqual([191, 0, 128, 255]);
  });

  it('reads noise image `index`', () => {
    expect(px(noiseToRgba(f32([0, 0, 0, 2, 2, 2]), 1, 1), 0)).toEqual([255, 255, 255, 255]);
  });
});

describe('errorColor / errorToRgba', () => {
  it('runs from white at 0 to dark red at ERROR_MAX and beyond', () => {
    expect(errorColor(0)).toEqual([255, 255, 255]);
    expect(errorColor(ERROR_MAX)).toEqual([...ERROR_STOPS[3]]);
    expect(errorColor(10)).toEqual([...ERROR_STOPS[3]]);
    expect(errorColor(-1)).toEqual([255, 255, 255]);
    expect(errorColor(Number.NaN)).toEqual([...ERROR_STOPS[3]]);
    expect(errorColor(ERROR_MAX / 3)).toEqual([...ERROR_STOPS[1]]);
  });

  it('gets redder (less green) as the error grows', () => {
    const greens = [0, 0.25, 0.5, 0.75, 1, 1.25, 1.5].map((e) => errorColor(e)[1]);
    for (let i = 1; i < greens.length; i++) expect(greens[i]).toBeLessThan(greens[i - 1]);
  });

  it('averages |ε̂ − ε| over the channels', () => {
    // Pixel 0: exact → white. Pixel 1: |errors| 1.5, 1.5, 1.5 → dark red. Pixel 2: errors 0.5, −0.5, 0.5 → mean 0.5 = 1/3 of the ramp.
    const predicted = f32([0.3, -1, 2, /**/ 1.5, 0, -1.5, /**/ 0.5, -0.5, 0.5, /**/ 0, 0, 0]);
    const truth = f32([0.3, -1, 2, /**/ 0, 1.5, 0, /**/ 0, 0, 0, /**/ 0, 0, 0]);
    const rgba = errorToRgba(predicted, truth, 2, 0);
    expect(px(rgba, 0)).toEqual([255, 255, 255, 255]);
    expect(px(rgba, 1)).toEqual([...ERROR_STOPS[3], 255]);
    expect(px(rgba, 2)).toEqual([...ERROR_STOPS[1], 255]);
    expect(px(rgba, 3)).toEqual([255, 255, 255, 255]);
  });

  it('reads image `index` of both arrays', () => {
    const predicted = f32([0, 0, 0, /**/ 3, 3, 3]);
    const truth = f32([9, 9, 9, /**/ 0, 0, 0]);
    expect(px(errorToRgba(predicted, truth, 1, 1), 0)).toEqual([...ERROR_STOPS[3], 255]);
  });

  it('has a CSS gradient through the same stops', () => {
    expect(errorGradientCss()).toBe(
      'linear-gradient(to right, rgb(255, 255, 255), rgb(252, 165, 165), rgb(220, 38, 38), rgb(127, 29, 29))',
    );
  });
});

/** A probe of P 2×2 images with noise and a prediction of `factor`·ε, at σ and the corruption given. */
function makeProbe(count: number, sigma: number, factor: number, corruption: 'vp' | 'simple' = 'vp'): DenoisingProbe {
  const n = count * 2 * 2 * 3;
  const clean = new Float32Array(n);
  const noise = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    clean[i] = ((i * 7) % 10) / 10;
    noise[i] = ((i * 13) % 9) / 4 - 1; // in [−1, 1]
  }
  const noisy = corruptPixels(clean, noise, sigma, corruption);
  const predicted = noise.map((e) => e * factor);
  const denoised = denoisePixels(noisy, predicted, sigma, corruption);
  let mse = 0;
  for (let i = 0; i < n; i++) mse += (predicted[i] - noise[i]) ** 2;
  return {
    kind: 'denoising', step: 10, imageSize: 2, count, corruption, sigma,
    clean, noise, noisy, predicted, denoised, mse: mse / n,
  };
}

describe('denoisingSummary', () => {
  it('gives each image the PSNR of its noisy input and of its denoised estimate', () => {
    const probe = makeProbe(3, 0.5, 0.5);
    const summary = denoisingSummary(probe);
    expect(summary.images).toHaveLength(3);
    for (let i = 0; i < 3; i++) {
      const clean = imageSlice(probe.clean, 2, i);
      expect(summary.images[i].noisy).toBeCloseTo(psnr(clean, imageSlice(probe.noisy, 2, i)), 10);
      expect(summary.images[i].denoised).toBeCloseTo(psnr(clean, imageSlice(probe.denoised, 2, i)), 10);
      // Predicting half of ε leaves half of it: the error is (ε/2)².
      const noise = imageSlice(probe.noise, 2, i);
      expect(summary.images[i].mse).toBeCloseTo(noise.reduce((a, e) => a + (e / 2) ** 2, 0) / noise.length, 6);
    }
    const mean = (k: 'noisy' | 'denoised') => summary.images.reduce((a, s) => a + s[k], 0) / 3;
    expect(summary.meanNoisy).toBeCloseTo(mean('noisy'), 10);
    expect(summary.meanDenoised).toBeCloseTo(mean('denoised'), 10);
  });

  it('denoises better than the noisy input with a partly right prediction', () => {
    const summary = denoisingSummary(makeProbe(2, 0.5, 0.7));
    expect(summary.meanDenoised).toBeGreaterThan(summary.meanNoisy);
  });

  it('shows a known value: a constant error of 0.1 everywhere is 20 dB', () => {
    const probe = makeProbe(1, 0.5, 0);
    probe.clean = new Float32Array(12).fill(0.5);
    probe.noisy = new Float32Array(12).fill(0.6);
    probe.denoised = new Float32Array(12).fill(0.5);
    const summary = denoisingSummary(probe);
    expect(summary.images[0].noisy).toBeCloseTo(20, 4);
    expect(summary.images[0].denoised).toBe(Number.POSITIVE_INFINITY);
    expect(summary.meanDenoised).toBe(Number.POSITIVE_INFINITY);
  });

  it('gives the probe loss back for a zero prediction (mean ε²)', () => {
    const probe = makeProbe(2, 1, 0);
    const summary = denoisingSummary(probe);
    const mean = (summary.images[0].mse + summary.images[1].mse) / 2;
    expect(mean).toBeCloseTo(probe.mse, 6);
  });

  it('is empty (NaN means) with no images', () => {
    const summary = denoisingSummary(makeProbe(0, 0.5, 1));
    expect(summary.images).toEqual([]);
    expect(summary.meanNoisy).toBeNaN();
    expect(summary.meanDenoised).toBeNaN();
  });
});

describe('previewPixels', () => {
  it('corrupts image `index`’s clean pixels with its own fixed noise at the σ given', () => {
    const probe = makeProbe(2, 0.5, 1);
    const preview = previewPixels(probe, 1, 2, 'simple');
    const expected = corruptPixels(imageSlice(probe.clean, 2, 1), imageSlice(probe.noise, 2, 1), 2, 'simple');
    expect([...preview]).toEqual([...expected]);
  });

  it('matches the probe’s noisy input at the probe’s own σ and corruption', () => {
    const probe = makeProbe(2, 0.8, 1, 'vp');
    expect([...previewPixels(probe, 0, 0.8, 'vp')]).toEqual([...imageSlice(probe.noisy, 2, 0)]);
  });

  it('is the clean image at σ = 0', () => {
    const probe = makeProbe(1, 0.5, 1);
    const preview = previewPixels(probe, 0, 0, 'vp');
    preview.forEach((v, i) => expect(v).toBeCloseTo(probe.clean[i], 6));
  });
});

describe('formatting and settings', () => {
  it('formats dB', () => {
    expect(formatDb(12.345)).toBe('12.3 dB');
    expect(formatDb(Number.POSITIVE_INFINITY)).toBe('∞ dB');
    expect(formatDb(Number.NaN)).toBe('–');
  });

  it('formats σ without trailing zeros', () => {
    expect(formatSigma(0.5)).toBe('0.5');
    expect(formatSigma(0.25)).toBe('0.25');
    expect(formatSigma(1)).toBe('1');
    expect(formatSigma(0.33333)).toBe('0.333');
    expect(formatSigma(Number.NaN)).toBe('–');
  });

  it('reads the σ and corruption settings, with fallbacks', () => {
    expect(sigmaSetting(0.7)).toBe(0.7);
    expect(sigmaSetting(undefined)).toBeUndefined();
    expect(sigmaSetting('0.7')).toBeUndefined();
    expect(sigmaSetting(Number.NaN)).toBeUndefined();
    expect(corruptionSetting('simple', 'vp')).toBe('simple');
    expect(corruptionSetting('vp', 'simple')).toBe('vp');
    expect(corruptionSetting(undefined, 'simple')).toBe('simple');
    expect(corruptionSetting('other', 'vp')).toBe('vp');
  });
});

describe('cellSide', () => {
  it('is the whole multiple of the image size nearest 80 px, within 64–96 px', () => {
    expect(cellSide(16)).toBe(80);
    expect(cellSide(32)).toBe(96);
    expect(cellSide(64)).toBe(64);
    expect(cellSide(8)).toBe(80);
    expect(cellSide(24)).toBe(72);
    expect(cellSide(48)).toBe(96);
    for (let s = 1; s <= 96; s++) {
      const side = cellSide(s);
      expect(side).toBeGreaterThanOrEqual(64);
      expect(side).toBeLessThanOrEqual(96);
      if (s <= 48 || s >= 64) expect(side % s).toBe(0);
    }
  });

  it('falls back to 80 px without a whole multiple in range', () => {
    expect(cellSide(56)).toBe(80);
    expect(cellSide(128)).toBe(80);
    expect(cellSide(0)).toBe(80);
  });
});
