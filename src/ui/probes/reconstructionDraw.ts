/**
 * Pure maths behind the masked-image-modeling reconstruction view (iTPN and its MAE baseline):
 * the masked input with grey patches, the reconstruction with the visible patches pasted back,
 * the per-pixel error with the visible (unscored) patches faded and hatched, a pyramid level's
 * colours with the masked patches blank, the mask at another ratio from the fixed patch order,
 * and the summary. No React, no canvas: unit-tested in Node.
 */
import type { ReconstructionLevel, ReconstructionProbe } from '../../methods/probes';
import { gcd, toByte, type Rgb } from './canvas';
import { errorColorScaled, formatLoss } from './featureDraw';

/** Grey of a masked patch in the masked input, and of its hatch lines (every fourth diagonal). */
export const MASK_GREY = 0.5;
export const MASK_HATCH = 0.56;
/** Light grey of a masked patch in a pyramid level: the encoder never saw it. */
export const UNSEEN_GREY = 0.88;
/** The error (squared, normalised-pixel units) at which the ramp reaches its darkest red; 1 = predicting the patch mean. */
export const RECON_ERROR_MAX = 2;
/** How much of the error colour stays at a visible patch (the rest is light grey), and its hatch grey. */
export const VISIBLE_ERROR_ALPHA = 0.25;
const VISIBLE_BASE: Rgb = [212, 214, 220];
const VISIBLE_HATCH: Rgb = [176, 180, 189];

/** Whether pixel (x, y) lies on a hatch line: diagonals four pixels apart. */
export const onHatch = (x: number, y: number) => (x + y) % 4 === 0;

/** The patch index (row-major on the grid) of pixel (x, y); grid − 1 at most. */
export function patchOf(x: number, y: number, patch: number, grid: number): number {
  const px = Math.min(Math.floor(x / patch), grid - 1);
  const py = Math.min(Math.floor(y / patch), grid - 1);
  return py * grid + px;
}

/** Whether patch `q` of image `index` is masked (1 in a [P, N] mask). */
const isMasked = (masked: Uint8Array, patches: number, index: number, q: number) => masked[index * patches + q] === 1;

/** Writes an opaque grey byte at pixel i. */
function putGrey(rgba: Uint8ClampedArray, i: number, v: number) {
  const b = toByte(v);
  rgba[i * 4] = b;
  rgba[i * 4 + 1] = b;
  rgba[i * 4 + 2] = b;
  rgba[i * 4 + 3] = 255;
}

/** Writes pixel `src` of a float [.., 3] array (clipped) as opaque bytes at pixel i. */
function putRgb(rgba: Uint8ClampedArray, i: number, values: Float32Array, src: number) {
  rgba[i * 4] = toByte(values[src]);
  rgba[i * 4 + 1] = toByte(values[src + 1]);
  rgba[i * 4 + 2] = toByte(values[src + 2]);
  rgba[i * 4 + 3] = 255;
}

/**
 * A size×size RGBA image for probe image `index`, painted pixel by pixel: `paint(rgba, i, x, y,
 * hidden)` with i the pixel's raster index and `hidden` whether its patch is masked.
 */
function paintByPatch(
  size: number, patch: number, grid: number, masked: Uint8Array, index: number,
  paint: (rgba: Uint8ClampedArray<ArrayBuffer>, i: number, x: number, y: number, hidden: boolean) => void,
): Uint8ClampedArray<ArrayBuffer> {
  const patches = grid * grid;
  const rgba = new Uint8ClampedArray(size * size * 4);
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) {
    paint(rgba, y * size + x, x, y, isMasked(masked, patches, index, patchOf(x, y, patch, grid)));
  }
  return rgba;
}

/** What the encoder gets: image `index` with its masked patches grey (hatched), its visible ones untouched. */
export function maskedInputRgba(
  images: Float32Array, masked: Uint8Array, size: number, patch: number, grid: number, index: number,
): Uint8ClampedArray<ArrayBuffer> {
  const base = index * size * size * 3;
  return paintByPatch(size, patch, grid, masked, index, (rgba, i, x, y, hidden) => {
    if (hidden) putGrey(rgba, i, onHatch(x, y) ? MASK_HATCH : MASK_GREY);
    else putRgb(rgba, i, images, base + i * 3);
  });
}

/** MAE's "reconstruction + visible": the prediction (clipped) at masked patches, the original pixels at visible ones. */
export function pastedReconstructionRgba(
  images: Float32Array, reconstruction: Float32Array, masked: Uint8Array, size: number, patch: number, grid: number,
  index: number,
): Uint8ClampedArray<ArrayBuffer> {
  const base = index * size * size * 3;
  return paintByPatch(size, patch, grid, masked, index, (rgba, i, _x, _y, hidden) => {
    putRgb(rgba, i, hidden ? reconstruction : images, base + i * 3);
  });
}

/**
 * The per-pixel squared error of image `index` ([P, size, size], normalised units) on the white → red
 * ramp. Only masked patches count for the loss: at visible ones the colour is faded to
 * VISIBLE_ERROR_ALPHA over light grey, with grey hatch lines, so they read as "not scored".
 */
export function errorRgba(
  error: Float32Array, masked: Uint8Array, size: number, patch: number, grid: number, index: number,
  max = RECON_ERROR_MAX,
): Uint8ClampedArray<ArrayBuffer> {
  const base = index * size * size;
  return paintByPatch(size, patch, grid, masked, index, (rgba, i, x, y, hidden) => {
    const c = errorColorScaled(error[base + i], max);
    if (!hidden) {
      const under = onHatch(x, y) ? VISIBLE_HATCH : VISIBLE_BASE;
      for (let k = 0; k < 3; k++) c[k] = Math.round(under[k] + (c[k] - under[k]) * VISIBLE_ERROR_ALPHA);
    }
    rgba[i * 4] = c[0];
    rgba[i * 4 + 1] = c[1];
    rgba[i * 4 + 2] = c[2];
    rgba[i * 4 + 3] = 255;
  });
}

/**
 * A pyramid level's map for image `index`: its colours (clipped) at visible patches, UNSEEN_GREY at
 * masked ones (their values are 0: the encoder never saw them). A patch covers perPatch² cells.
 */
export function levelRgba(
  level: Pick<ReconstructionLevel, 'rgb' | 'size' | 'perPatch'>, masked: Uint8Array, grid: number, index: number,
): Uint8ClampedArray<ArrayBuffer> {
  const { rgb, size, perPatch } = level;
  const count = size * size;
  const base = index * count * 3;
  const patches = grid * grid;
  const rgba = new Uint8ClampedArray(count * 4);
  const step = Math.max(1, perPatch);
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) {
    const i = y * size + x;
    if (isMasked(masked, patches, index, patchOf(x, y, step, grid))) putGrey(rgba, i, UNSEEN_GREY);
    else putRgb(rgba, i, rgb, base + i * 3);
  }
  return rgba;
}

/**
 * Patches kept of N at a mask ratio: floor(N · (1 − ratio)), clamped to [0, N]. Exactly the
 * method's own float formula (no slack), so the preview keeps as many patches as training would
 * (10 patches at 0.9 keep 0: 10 · 0.0999… = 0.999…).
 */
export function visibleCount(patches: number, ratio: number): number {
  if (!(patches > 0) || !Number.isFinite(ratio)) return 0;
  return Math.min(patches, Math.max(0, Math.floor(patches * (1 - ratio))));
}

/**
 * The [count, patches] mask (1 = masked) at another ratio from each image's fixed patch order
 * ([count, patches], kept first): the first visibleCount(patches, ratio) of an image's order are
 * visible, every other patch masked (an index out of range in the order is ignored).
 */
export function maskedAtRatio(order: Int32Array, count: number, patches: number, ratio: number): Uint8Array {
  const masked = new Uint8Array(count * patches).fill(1);
  const keep = visibleCount(patches, ratio);
  for (let p = 0; p < count; p++) {
    for (let k = 0; k < keep; k++) {
      const q = order[p * patches + k];
      if (Number.isInteger(q) && q >= 0 && q < patches) masked[p * patches + q] = 0;
    }
  }
  return masked;
}

/** The mask-ratio setting as a number in [0, 1] (a number or a numeric string), else undefined. */
export function maskRatioSetting(value: unknown): number | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN;
  return Number.isFinite(n) && n >= 0 && n <= 1 ? n : undefined;
}

/** A ratio for display: up to three decimals, trailing zeros dropped ("0.75", "0.5"); "–" for none. */
export function formatRatio(ratio: number): string {
  return Number.isFinite(ratio) ? String(Number(ratio.toFixed(3))) : '–';
}

export interface ReconstructionSummary {
  /** N = grid², and the patches kept per image (the probe's own `visible`). */
  patches: number;
  visible: number;
  /** Mean squared error over each image's masked pixels (NaN with none masked). */
  imageMse: number[];
  /** One line for the readout. */
  text: string;
}

/** Per image the MIM error over its masked patches, and the readout: step, ratio, visible n of N, the loss. */
export function reconstructionSummary(
  probe: Pick<ReconstructionProbe, 'step' | 'imageSize' | 'patchSize' | 'grid' | 'count' | 'maskRatio' | 'visible' | 'masked' | 'error' | 'mse' | 'levels' | 'pyramid'>,
): ReconstructionSummary {
  const { imageSize: size, patchSize: patch, grid, count } = probe;
  const patches = grid * grid;
  const imageMse: number[] = [];
  for (let p = 0; p < count; p++) {
    let sum = 0;
    let n = 0;
    for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) {
      if (!isMasked(probe.masked, patches, p, patchOf(x, y, patch, grid))) continue;
      sum += probe.error[p * size * size + y * size + x];
      n++;
    }
    imageMse.push(n ? sum / n : Number.NaN);
  }
  const levels = probe.levels.length;
  const text = [
    `step ${probe.step}`,
    `mask ratio ${formatRatio(probe.maskRatio)}`,
    `visible ${probe.visible} of ${patches} patches`,
    `MIM loss ${formatLoss(probe.mse)} (1.0 = predicting the patch mean)`,
    probe.pyramid ? `${levels} pyramid level${levels === 1 ? '' : 's'}` : 'MAE baseline, pyramid off',
  ].join(' · ');
  return { patches, visible: probe.visible, imageMse, text };
}

/**
 * CSS side shared by every cell: a whole multiple of all the sizes (image and levels, so every
 * pixel is an equal square) in [min, max], the largest for which `columns` cells and their gaps fit
 * `budget` px, else the smallest such multiple; `fallback` when there is none in range.
 */
export function reconstructionCellSide(
  sizes: readonly number[], columns: number, { budget = 860, gap = 6, min = 56, max = 100, fallback = 80 } = {},
): number {
  const valid = sizes.filter((s) => Number.isInteger(s) && s > 0);
  if (!valid.length) return fallback;
  const lcm = valid.reduce((a, s) => (a / gcd(a, s)) * s, 1);
  const options: number[] = [];
  for (let k = Math.max(1, Math.ceil(min / lcm)); k * lcm <= max; k++) options.push(k * lcm);
  if (!options.length) return fallback;
  const fits = options.filter((s) => columns * s + Math.max(0, columns - 1) * gap <= budget);
  return fits.length ? fits[fits.length - 1] : options[0];
}
