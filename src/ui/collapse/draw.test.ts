import { describe, expect, it } from 'vitest';
import { binMax, descendingOrder, divergingColor, entropy, vectorsToRgba } from './draw';

describe('collapse panel drawing', () => {
  it('maps the diverging scale: white at 0, blue and red at the ends', () => {
    expect(divergingColor(0)).toEqual([255, 255, 255]);
    expect(divergingColor(-1)).toEqual([37, 99, 235]);
    expect(divergingColor(2)).toEqual([220, 38, 38]);
    expect(divergingColor(Number.NaN)).toEqual([255, 255, 255]);
  });

  it('scales all rows of the center history by one shared maximum', () => {
    const { rgba, scale } = vectorsToRgba([new Float32Array([0, 2]), new Float32Array([-4, 0])], 2);
    expect(scale).toBe(4);
    expect(Array.from(rgba.subarray(8, 12))).toEqual([37, 99, 235, 255]); // −4 → full blue
  });

  it('entropy of uniform and one-hot rows', () => {
    expect(entropy([0.25, 0.25, 0.25, 0.25])).toBeCloseTo(Math.log(4), 10);
    expect(entropy([0, 1, 0])).toBe(0);
  });

  it('bins by max so a sharp peak survives, in the given order', () => {
    const values = [0.1, 0.7, 0.05, 0.15];
    const order = descendingOrder(values);
    expect(order).toEqual([1, 3, 0, 2]);
    expect(Array.from(binMax(values, order, 2))).toEqual([expect.closeTo(0.7), expect.closeTo(0.1)]);
    expect(binMax(values, order, 10)).toHaveLength(4);
  });
});
