/** The two-view similarity matrix's numbers and colours (pure: tested without a canvas). */
import { divergingColor } from '../../collapse/draw';

export interface SimilaritySummary {
  /** Mean similarity of the positive pairs (i, B + i) and (B + i, i); NaN when there are none. */
  positive: number;
  /** Mean of every other off-diagonal entry; NaN when there are none. */
  negative: number;
}

/**
 * Means of the positive pairs and of the negatives of a size×size two-view similarity matrix
 * (view 1 of images 0..B−1, then view 2; B = ⌊size / 2⌋). The diagonal (self-similarity) is
 * in neither; non-finite entries are skipped.
 */
export function similaritySummary(matrix: ArrayLike<number>, size: number): SimilaritySummary {
  const half = Math.floor(size / 2);
  let positiveSum = 0;
  let positiveCount = 0;
  let negativeSum = 0;
  let negativeCount = 0;
  for (let r = 0; r < size; r++) {
    for (let c = 0; c < size; c++) {
      if (r === c) continue;
      const v = matrix[r * size + c];
      if (!Number.isFinite(v)) continue;
      const positive = (r < half && c === r + half) || (c < half && r === c + half);
      if (positive) {
        positiveSum += v;
        positiveCount++;
      } else {
        negativeSum += v;
        negativeCount++;
      }
    }
  }
  return {
    positive: positiveCount > 0 ? positiveSum / positiveCount : Number.NaN,
    negative: negativeCount > 0 ? negativeSum / negativeCount : Number.NaN,
  };
}

/** Opaque RGBA bytes of a size×size similarity matrix: blue (−1) → white (0) → red (+1), NaN → white. */
export function similarityToRgba(matrix: ArrayLike<number>, size: number): Uint8ClampedArray<ArrayBuffer> {
  const rgba = new Uint8ClampedArray(size * size * 4);
  for (let i = 0; i < size * size; i++) {
    const [r, g, b] = divergingColor(matrix[i]);
    rgba[i * 4] = r;
    rgba[i * 4 + 1] = g;
    rgba[i * 4 + 2] = b;
    rgba[i * 4 + 3] = 255;
  }
  return rgba;
}
