/**
 * Pure drawing helpers of the collapse panel (tested without a DOM).
 */

/** Blue (−1) → white (0) → red (+1), clamped; NaN → white. */
export function divergingColor(t: number): [number, number, number] {
  const x = Number.isFinite(t) ? Math.max(-1, Math.min(1, t)) : 0;
  const blue: [number, number, number] = [37, 99, 235];
  const red: [number, number, number] = [220, 38, 38];
  const end = x < 0 ? blue : red;
  const f = Math.abs(x);
  return [0, 1, 2].map((c) => Math.round(255 + (end[c] - 255) * f)) as [number, number, number];
}

/** RGBA rows of vectors (oldest first), each scaled by the largest |value| of all of them. */
export function vectorsToRgba(rows: readonly Float32Array[], width: number): { rgba: Uint8ClampedArray<ArrayBuffer>; scale: number } {
  let scale = 0;
  for (const row of rows) for (const v of row) scale = Math.max(scale, Math.abs(v));
  const rgba = new Uint8ClampedArray(rows.length * width * 4);
  rows.forEach((row, y) => {
    for (let x = 0; x < width; x++) {
      const [r, g, b] = divergingColor(scale > 0 ? row[x] / scale : 0);
      rgba.set([r, g, b, 255], (y * width + x) * 4);
    }
  });
  return { rgba, scale };
}

/** Entropy (nats) of a probability row. */
export function entropy(row: ArrayLike<number>): number {
  let h = 0;
  for (let i = 0; i < row.length; i++) if (row[i] > 0) h -= row[i] * Math.log(row[i]);
  return h;
}

/** Indices that sort `row` descending. */
export function descendingOrder(row: ArrayLike<number>): number[] {
  return Array.from({ length: row.length }, (_, i) => i).sort((a, b) => row[b] - row[a]);
}

/**
 * `values` (in `order`) reduced to `bins` bars by taking the max of each bin, so a peak
 * survives when K is larger than the canvas is wide.
 */
export function binMax(values: ArrayLike<number>, order: readonly number[], bins: number): Float32Array {
  const n = order.length;
  const count = Math.min(bins, n);
  const out = new Float32Array(count);
  for (let b = 0; b < count; b++) {
    const from = Math.floor((b * n) / count);
    const to = Math.max(from + 1, Math.floor(((b + 1) * n) / count));
    let max = 0;
    for (let i = from; i < to; i++) max = Math.max(max, values[order[i]]);
    out[b] = max;
  }
  return out;
}
