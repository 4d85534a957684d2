import { describe, expect, it } from 'vitest';
import { principalComponents } from './pca';

describe('principalComponents', () => {
  it('finds the axes of an elongated cloud and their share of the variance', () => {
    // Points on x with spread 10, on y with spread 1, z constant: PC1 = x, PC2 = y.
    const rows: number[][] = [];
    for (let i = -5; i <= 5; i++) for (const y of [-1, 1]) rows.push([i * 2, y, 3]);
    const { points, explained } = principalComponents(rows.flat(), rows.length, 3);
    rows.forEach((row, i) => {
      expect(Math.abs(points[i * 2])).toBeCloseTo(Math.abs(row[0]), 4);
      expect(Math.abs(points[i * 2 + 1])).toBeCloseTo(1, 4);
    });
    const varX = rows.reduce((s, r) => s + r[0] ** 2, 0);
    const varY = rows.length;
    expect(explained[0]).toBeCloseTo(varX / (varX + varY), 4);
    expect(explained[1]).toBeCloseTo(varY / (varX + varY), 4);
  });

  it('maps identical embeddings (a collapsed run) to the origin without NaN', () => {
    const { points, explained } = principalComponents(new Array(5 * 4).fill(0.5), 5, 4);
    expect(Array.from(points).every((v) => v === 0)).toBe(true);
    expect(explained).toEqual([0, 0]);
  });
});
