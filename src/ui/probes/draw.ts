/**
 * Pure maths behind the probe views: attention maps, a colour map and pixel conversion. No
 * React, no canvas: unit-tested in Node. DINO's mass thresholding and the mask overlap score
 * live in measures/masks.ts (the evaluation probes share them) and are re-exported here.
 */
import type { AttentionProbe } from '../../methods/probes';

export { massMask, maskJaccard } from '../../measures/masks';

/** One image's CLS→patch attention, [grid·grid]: one head, or the mean over heads (head = -1). */
export function headMap(
  probe: Pick<AttentionProbe, 'attention' | 'heads' | 'grid'>, imageIndex: number, head: number,
): Float32Array {
  const n = probe.grid * probe.grid;
  const base = imageIndex * probe.heads * n;
  if (head >= 0) return probe.attention.slice(base + head * n, base + (head + 1) * n);
  const mean = new Float32Array(n);
  for (let h = 0; h < probe.heads; h++) {
    const offset = base + h * n;
    for (let i = 0; i < n; i++) mean[i] += probe.attention[offset + i];
  }
  for (let i = 0; i < n; i++) mean[i] /= probe.heads;
  return mean;
}

// Matplotlib's inferno at t = 0, 1/9, …, 1: dark → purple → orange → pale yellow, perceptually uniform.
const INFERNO: readonly (readonly [number, number, number])[] = [
  [0, 0, 4], [27, 12, 66], [75, 12, 107], [120, 28, 109], [165, 44, 96],
  [207, 68, 70], [237, 105, 37], [251, 154, 6], [247, 208, 60], [252, 255, 164],
];

/** Inferno colour for t in [0, 1] (clamped; NaN → 0), as 0..255 integers. */
export function colormap(t: number): [number, number, number] {
  const x = Number.isFinite(t) ? Math.min(Math.max(t, 0), 1) * (INFERNO.length - 1) : 0;
  const i = Math.min(Math.floor(x), INFERNO.length - 2);
  const f = x - i;
  const a = INFERNO[i];
  const b = INFERNO[i + 1];
  return [0, 1, 2].map((c) => Math.round(a[c] + (b[c] - a[c]) * f)) as [number, number, number];
}

/** RGBA bytes (opaque) of a size×size RGB float image starting at `offset` floats into `pixels`. */
export function imageToRgba(pixels: Float32Array, offset: number, size: number): Uint8ClampedArray<ArrayBuffer> {
  const count = size * size;
  const rgba = new Uint8ClampedArray(count * 4);
  for (let i = 0; i < count; i++) {
    const src = offset + i * 3;
    // Uint8ClampedArray clamps and rounds, so out-of-range floats from augmentation are safe.
    rgba[i * 4] = pixels[src] * 255;
    rgba[i * 4 + 1] = pixels[src + 1] * 255;
    rgba[i * 4 + 2] = pixels[src + 2] * 255;
    rgba[i * 4 + 3] = 255;
  }
  return rgba;
}

/** RGBA bytes of an attention map through the colour map, normalised to its max (alpha given). */
export function heatToRgba(map: Float32Array, alpha: number): Uint8ClampedArray<ArrayBuffer> {
  let max = 0;
  for (const v of map) if (v > max) max = v;
  const rgba = new Uint8ClampedArray(map.length * 4);
  for (let i = 0; i < map.length; i++) {
    const [r, g, b] = colormap(max > 0 ? map[i] / max : 0);
    rgba.set([r, g, b, alpha], i * 4);
  }
  return rgba;
}
