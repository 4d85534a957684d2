/**
 * Pure maths behind DeP's denoising view: one probe image (or its noise) as RGBA bytes, the
 * prediction error on a white → red ramp, the σ preview the page computes itself, and the
 * PSNR summary. No React, no canvas: unit-tested in Node.
 */
import type { DenoisingProbe } from '../../methods/probes';
import { corruptPixels, psnr, type Corruption } from '../../measures/noise';
import { toByte } from './canvas';

/** Floats of one [size, size, 3] image (or noise field) of a [P, size, size, 3] array. */
export function imageSlice(values: Float32Array, size: number, index: number): Float32Array {
  const n = size * size * 3;
  return values.subarray(index * n, (index + 1) * n);
}

/** Opaque RGBA bytes of image `index` of a [P, size, size, 3] array in pixel units, clipped to [0, 1]. */
export function imageToRgba(pixels: Float32Array, size: number, index: number): Uint8ClampedArray<ArrayBuffer> {
  const count = size * size;
  const base = index * count * 3;
  const rgba = new Uint8ClampedArray(count * 4);
  for (let i = 0; i < count; i++) {
    const src = base + i * 3;
    rgba[i * 4] = toByte(pixels[src]);
    rgba[i * 4 + 1] = toByte(pixels[src + 1]);
    rgba[i * 4 + 2] = toByte(pixels[src + 2]);
    rgba[i * 4 + 3] = 255;
  }
  return rgba;
}

/**
 * Opaque RGBA bytes of signed noise (unit-Gaussian units): each channel independently as
 * 0.5 + ε / (2·scale), clipped, so 0 is mid grey and ±scale spans black to white (the default
 * scale 2 covers ±2σ of a unit Gaussian). Predicted and true noise share the scale.
 */
export function noiseToRgba(noise: Float32Array, size: number, index: number, scale = 2): Uint8ClampedArray<ArrayBuffer> {
  const count = size * size;
  const base = index * count * 3;
  const rgba = new Uint8ClampedArray(count * 4);
  const k = 1 / (2 * scale);
  for (let i = 0; i < count; i++) {
    const src = base + i * 3;
    rgba[i * 4] = toByte(0.5 + noise[src] * k);
    rgba[i * 4 + 1] = toByte(0.5 + noise[src + 1] * k);
    rgba[i * 4 + 2] = toByte(0.5 + noise[src + 2] * k);
    rgba[i * 4 + 3] = 255;
  }
  return rgba;
}

/** The error at which the ramp reaches its darkest red (|ε̂ − ε| averaged over channels). */
export const ERROR_MAX = 1.5;

/** The error ramp's stops at t = 0, 1/3, 2/3, 1: white → light red → red → dark red. */
export const ERROR_STOPS: readonly (readonly [number, number, number])[] = [
  [255, 255, 255], [252, 165, 165], [220, 38, 38], [127, 29, 29],
];

/** The ramp's colour for an error (clamped to [0, ERROR_MAX]; NaN → the darkest: an unknown prediction is wrong). */
export function errorColor(error: number): [number, number, number] {
  const t = Number.isNaN(error) ? 1 : Math.min(Math.max(error / ERROR_MAX, 0), 1);
  const x = t * (ERROR_STOPS.length - 1);
  const i = Math.min(Math.floor(x), ERROR_STOPS.length - 2);
  const f = x - i;
  const a = ERROR_STOPS[i];
  const b = ERROR_STOPS[i + 1];
  return [0, 1, 2].map((c) => Math.round(a[c] + (b[c] - a[c]) * f)) as [number, number, number];
}

/** The ramp as a CSS linear-gradient, for the legend. */
export function errorGradientCss(): string {
  return `linear-gradient(to right, ${ERROR_STOPS.map(([r, g, b]) => `rgb(${r}, ${g}, ${b})`).join(', ')})`;
}

/** Opaque RGBA bytes of the per-pixel prediction error |ε̂ − ε|, averaged over the channels, on the white → red ramp. */
export function errorToRgba(
  predicted: Float32Array, truth: Float32Array, size: number, index: number,
): Uint8ClampedArray<ArrayBuffer> {
  const count = size * size;
  const base = index * count * 3;
  const rgba = new Uint8ClampedArray(count * 4);
  for (let i = 0; i < count; i++) {
    const src = base + i * 3;
    const e = (Math.abs(predicted[src] - truth[src]) + Math.abs(predicted[src + 1] - truth[src + 1])
      + Math.abs(predicted[src + 2] - truth[src + 2])) / 3;
    const [r, g, b] = errorColor(e);
    rgba[i * 4] = r;
    rgba[i * 4 + 1] = g;
    rgba[i * 4 + 2] = b;
    rgba[i * 4 + 3] = 255;
  }
  return rgba;
}

/**
 * What the network would see at another noise level: image `index`'s clean pixels corrupted
 * with the probe's own fixed noise at σ and the corruption given (pixel units, not clipped).
 */
export function previewPixels(
  probe: Pick<DenoisingProbe, 'clean' | 'noise' | 'imageSize'>, index: number, sigma: number, corruption: Corruption,
): Float32Array {
  const { clean, noise, imageSize: size } = probe;
  return corruptPixels(imageSlice(clean, size, index), imageSlice(noise, size, index), sigma, corruption);
}

export interface DenoisingImageSummary {
  /** PSNR of the network's input against the clean image, dB (the noise level). */
  noisy: number;
  /** PSNR of the denoised estimate against the clean image, dB. */
  denoised: number;
  /** Mean (ε̂ − ε)² over this image's values. */
  mse: number;
}

export interface DenoisingSummary {
  images: DenoisingImageSummary[];
  /** Means over the images of the dB values (Infinity if any image is exact; NaN with no images). */
  meanNoisy: number;
  meanDenoised: number;
}

/** Per image PSNR of the noisy input and of the denoised estimate against the clean image, and their means. */
export function denoisingSummary(
  probe: Pick<DenoisingProbe, 'count' | 'imageSize' | 'clean' | 'noisy' | 'denoised' | 'predicted' | 'noise'>,
): DenoisingSummary {
  const { imageSize: size } = probe;
  const images: DenoisingImageSummary[] = [];
  for (let i = 0; i < probe.count; i++) {
    const clean = imageSlice(probe.clean, size, i);
    const predicted = imageSlice(probe.predicted, size, i);
    const noise = imageSlice(probe.noise, size, i);
    let sum = 0;
    for (let j = 0; j < noise.length; j++) sum += (predicted[j] - noise[j]) ** 2;
    images.push({
      noisy: psnr(clean, imageSlice(probe.noisy, size, i)),
      denoised: psnr(clean, imageSlice(probe.denoised, size, i)),
      mse: noise.length ? sum / noise.length : Number.NaN,
    });
  }
  const mean = (pick: (s: DenoisingImageSummary) => number) =>
    images.length ? images.reduce((a, s) => a + pick(s), 0) / images.length : Number.NaN;
  return { images, meanNoisy: mean((s) => s.noisy), meanDenoised: mean((s) => s.denoised) };
}

/** A PSNR for display: one decimal and "dB", "∞ dB" for an exact estimate, "–" for none. */
export function formatDb(value: number): string {
  if (value === Number.POSITIVE_INFINITY) return '∞ dB';
  return Number.isFinite(value) ? `${value.toFixed(1)} dB` : '–';
}

/** A σ for display: up to three significant decimals, trailing zeros dropped ("0.5", "0.25", "1"). */
export function formatSigma(sigma: number): string {
  if (!Number.isFinite(sigma)) return '–';
  return String(Number(sigma.toFixed(3)));
}

/** The preview's corruption from the setting: 'vp' or 'simple', else the probe's own. */
export function corruptionSetting(value: unknown, fallback: Corruption): Corruption {
  return value === 'vp' || value === 'simple' ? value : fallback;
}

/** The σ setting as a number, or undefined for a method without one (or a value that is not a finite number). */
export function sigmaSetting(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/**
 * CSS side of one cell for a size-pixel image: the whole multiple of the size nearest 80 px
 * within 64–96 px, the larger on a tie (so the pixels stay equal squares); 80 px for a size
 * with no such multiple (49–63, or above 96).
 */
export function cellSide(size: number): number {
  let best = 80;
  if (!(size > 0)) return best;
  for (let k = Math.ceil(64 / size); k * size <= 96; k++) {
    if (best % size !== 0 || Math.abs(k * size - 80) <= Math.abs(best - 80)) best = k * size;
  }
  return best;
}
