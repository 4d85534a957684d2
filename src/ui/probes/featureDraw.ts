/**
 * Pure maths behind DreamTeacher's feature view: one level's PCA-RGB feature map, its attention
 * map on a viridis ramp, the per-position error on a white → red ramp whose top is shared across
 * levels (so levels compare), and the per-level summary. No React, no canvas: unit-tested in Node.
 */
import type { FeatureLevel, FeatureProbe } from '../../methods/probes';
import { gcd, ramp, toByte, type Rgb } from './canvas';
import { ERROR_STOPS } from './denoisingDraw';

/** Opaque RGBA bytes of map `index` of a [P, size, size, 3] array of values in [0, 1] (clipped). */
export function rgbToRgba(rgb: Float32Array, size: number, index: number): Uint8ClampedArray<ArrayBuffer> {
  const count = size * size;
  const base = index * count * 3;
  const rgba = new Uint8ClampedArray(count * 4);
  for (let i = 0; i < count; i++) {
    const src = base + i * 3;
    rgba[i * 4] = toByte(rgb[src]);
    rgba[i * 4 + 1] = toByte(rgb[src + 1]);
    rgba[i * 4 + 2] = toByte(rgb[src + 2]);
    rgba[i * 4 + 3] = 255;
  }
  return rgba;
}

/** Matplotlib's viridis at t = 0, 1/8, …, 1: dark purple → blue → teal → green → yellow, perceptually uniform. */
export const HEAT_STOPS: readonly Rgb[] = [
  [68, 1, 84], [72, 40, 120], [62, 73, 137], [49, 104, 142], [38, 130, 142],
  [31, 158, 137], [53, 183, 121], [110, 206, 88], [253, 231, 37],
];

/** The viridis colour of a value in [0, 1] (clamped; NaN → 0). */
export function heatColor(value: number): [number, number, number] {
  const t = Number.isFinite(value) ? Math.min(Math.max(value, 0), 1) : value > 0 ? 1 : 0;
  return ramp(HEAT_STOPS, t);
}

/** Opaque RGBA bytes of map `index` of a [P, size, size] array of values in [0, 1] (an attention map), on viridis. */
export function heatToRgba(map: Float32Array, size: number, index: number): Uint8ClampedArray<ArrayBuffer> {
  const count = size * size;
  const base = index * count;
  const rgba = new Uint8ClampedArray(count * 4);
  for (let i = 0; i < count; i++) {
    const [r, g, b] = heatColor(map[base + i]);
    rgba[i * 4] = r;
    rgba[i * 4 + 1] = g;
    rgba[i * 4 + 2] = b;
    rgba[i * 4 + 3] = 255;
  }
  return rgba;
}

/**
 * The white → red colour of an error against the top of the scale: 0 white, ≥ max dark red; NaN
 * is the darkest (an unknown prediction is wrong); with no positive max every finite error is white.
 */
export function errorColorScaled(error: number, max: number): [number, number, number] {
  let t: number;
  if (Number.isNaN(error)) t = 1;
  else if (!(max > 0) || !Number.isFinite(max)) t = error === Number.POSITIVE_INFINITY ? 1 : 0;
  else t = Math.min(Math.max(error / max, 0), 1);
  return ramp(ERROR_STOPS, t);
}

/** Opaque RGBA bytes of map `index` of a [P, size, size] array of squared errors, white (0) → dark red (≥ max). */
export function errorToRgbaScaled(
  map: Float32Array, size: number, index: number, max: number,
): Uint8ClampedArray<ArrayBuffer> {
  const count = size * size;
  const base = index * count;
  const rgba = new Uint8ClampedArray(count * 4);
  for (let i = 0; i < count; i++) {
    const [r, g, b] = errorColorScaled(map[base + i], max);
    rgba[i * 4] = r;
    rgba[i * 4 + 1] = g;
    rgba[i * 4 + 2] = b;
    rgba[i * 4 + 3] = 255;
  }
  return rgba;
}

/** A ramp's stops as a CSS linear-gradient, for a legend. */
export function gradientCss(stops: readonly Rgb[]): string {
  return `linear-gradient(to right, ${stops.map(([r, g, b]) => `rgb(${r}, ${g}, ${b})`).join(', ')})`;
}

export interface FeatureLevelSummary {
  name: string;
  /** The level's losses on the probe images, as the probe reports them. */
  mse: number;
  attentionLoss: number;
  /** The largest finite per-position error at this level over all probe images (0 with none). */
  errorMax: number;
}

export interface FeatureSummary {
  levels: FeatureLevelSummary[];
  /** The top of the error scale every level shares: the largest level errorMax (0 with none). */
  errorMax: number;
  /** Means over the levels (NaN with no levels). */
  meanMse: number;
  meanAttentionLoss: number;
}

/** Per level its name, losses and largest error; the shared error scale and the mean losses over levels. */
export function featureSummary(probe: Pick<FeatureProbe, 'levels'>): FeatureSummary {
  const levels = probe.levels.map((level: FeatureLevel): FeatureLevelSummary => {
    let errorMax = 0;
    for (const e of level.error) if (Number.isFinite(e) && e > errorMax) errorMax = e;
    return { name: level.name, mse: level.mse, attentionLoss: level.attentionLoss, errorMax };
  });
  const mean = (pick: (s: FeatureLevelSummary) => number) =>
    levels.length ? levels.reduce((a, s) => a + pick(s), 0) / levels.length : Number.NaN;
  return {
    levels,
    errorMax: levels.reduce((a, s) => Math.max(a, s.errorMax), 0),
    meanMse: mean((s) => s.mse),
    meanAttentionLoss: mean((s) => s.attentionLoss),
  };
}

/** A loss for display: three significant digits ("0.0421", "1.5"), exponent form below 0.001 ("2.5e−4"), "–" for none. */
export function formatLoss(value: number): string {
  if (!Number.isFinite(value)) return '–';
  if (value === 0) return '0';
  const abs = Math.abs(value);
  if (abs < 1e-3) return value.toExponential(1).replace('e-', 'e−');
  if (abs >= 1000) return value.toFixed(0);
  return String(Number(value.toPrecision(3)));
}

/**
 * CSS side shared by every level's cell: the whole multiple of all the level sizes (their least
 * common multiple) nearest `target` within ±25 %, the larger on a tie, so every level's pixels stay
 * equal squares; `target` itself when there is no such multiple (or no valid size).
 */
export function featureCellSide(sizes: readonly number[], target = 96): number {
  const valid = sizes.filter((s) => Number.isInteger(s) && s > 0);
  if (!valid.length) return target;
  const lcm = valid.reduce((a, s) => (a / gcd(a, s)) * s, 1);
  const lo = Math.ceil(target * 0.75);
  const hi = Math.floor(target * 1.25);
  let best = 0;
  for (let k = Math.max(1, Math.ceil(lo / lcm)); k * lcm <= hi; k++) {
    const side = k * lcm;
    if (!best || Math.abs(side - target) <= Math.abs(best - target)) best = side;
  }
  return best || target;
}
