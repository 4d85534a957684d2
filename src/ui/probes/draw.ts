/**
 * Pure maths behind the probe views: attention maps, DINO's mass thresholding, a colour map,
 * the mask overlap score and pixel conversion. No React, no canvas: unit-tested in Node.
 */
import type { AttentionProbe } from '../../methods/probes';

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

/**
 * DINO's visualize_attention.py thresholding: the fewest highest-attention patches that hold
 * `mass` of the total (the patch that reaches it is kept). 1 = kept.
 * - Ties are ordered by patch index, so a tie at the threshold keeps the earlier patch only:
 *   deterministic, and the kept mass is still the smallest that reaches the target.
 * - Patches with no attention (0, or NaN) are never kept, so all-zero input keeps nothing and
 *   mass 1 keeps exactly the patches with some attention.
 * - Sums run in float64 with a 1e-6 relative slack so float32 rounding cannot make a
 *   cumulative sum miss a target it equals.
 */
export function massMask(attention: Float32Array, mass: number): Uint8Array {
  const n = attention.length;
  const kept = new Uint8Array(n);
  const value = (i: number) => (attention[i] > 0 ? attention[i] : 0); // NaN > 0 is false
  let total = 0;
  for (let i = 0; i < n; i++) total += value(i);
  if (total <= 0) return kept;
  const target = Math.min(Math.max(mass, 0), 1) * total * (1 - 1e-6);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => value(b) - value(a) || a - b);
  let cumulative = 0;
  for (const i of order) {
    if (value(i) <= 0) break;
    kept[i] = 1;
    cumulative += value(i);
    if (cumulative >= target) break;
  }
  return kept;
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

/**
 * Jaccard (intersection over union) between the kept patches, upsampled to pixels, and the
 * object mask [imageSize, imageSize] (non-zero = object). Both empty counts as agreement: 1.
 */
export function maskJaccard(kept: Uint8Array, grid: number, objectMask: Uint8Array, imageSize: number): number {
  let intersection = 0;
  let union = 0;
  for (let y = 0; y < imageSize; y++) {
    const row = Math.floor((y * grid) / imageSize) * grid;
    for (let x = 0; x < imageSize; x++) {
      const inKept = kept[row + Math.floor((x * grid) / imageSize)] !== 0;
      const inObject = objectMask[y * imageSize + x] !== 0;
      if (inKept && inObject) intersection++;
      if (inKept || inObject) union++;
    }
  }
  return union === 0 ? 1 : intersection / union;
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
