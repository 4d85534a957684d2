import { describe, expect, it } from 'vitest';
import { similaritySummary, similarityToRgba } from './similarityDraw';

const f32 = (values: number[]) => Float32Array.from(values);

describe('similaritySummary', () => {
  // B = 2: rows/cols are [img0 v1, img1 v1, img0 v2, img1 v2]; positives at (0,2), (1,3), (2,0), (3,1).
  const matrix = f32([
    1, 0.1, 0.8, 0.2,
    0.1, 1, 0.3, 0.6,
    0.8, 0.3, 1, -0.2,
    0.2, 0.6, -0.2, 1,
  ]);

  it('averages the positive pairs and the other off-diagonal entries', () => {
    const { positive, negative } = similaritySummary(matrix, 4);
    expect(positive).toBeCloseTo((0.8 + 0.6 + 0.8 + 0.6) / 4);
    expect(negative).toBeCloseTo((0.1 + 0.2 + 0.1 + 0.3 + 0.3 - 0.2 + 0.2 - 0.2) / 8);
  });

  it('skips non-finite entries and reports empty sets as NaN', () => {
    const holey = matrix.slice();
    holey[2] = Number.NaN; // (0, 2), one positive
    expect(similaritySummary(holey, 4).positive).toBeCloseTo((0.6 + 0.8 + 0.6) / 3);
    const single = similaritySummary(f32([1]), 1);
    expect(Number.isNaN(single.positive)).toBe(true);
    expect(Number.isNaN(single.negative)).toBe(true);
  });

  it('gives one value for both when the matrix is one colour (collapse)', () => {
    const { positive, negative } = similaritySummary(new Float32Array(16).fill(1), 4);
    expect(positive).toBe(1);
    expect(negative).toBe(1);
  });
});

describe('similarityToRgba', () => {
  it('maps −1 to blue, 0 to white and 1 to red, opaque', () => {
    const rgba = similarityToRgba(f32([-1, 0, 1, Number.NaN]), 2);
    expect([...rgba]).toEqual([
      37, 99, 235, 255,
      255, 255, 255, 255,
      220, 38, 38, 255,
      255, 255, 255, 255,
    ]);
  });

  it('clamps values outside [−1, 1]', () => {
    expect([...similarityToRgba(f32([2]), 1)]).toEqual([220, 38, 38, 255]);
  });
});
