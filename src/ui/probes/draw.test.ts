import { describe, expect, it } from 'vitest';
import { colormap, headMap, heatToRgba, imageToRgba, maskJaccard, massMask } from './draw';

const f32 = (values: number[]) => Float32Array.from(values);

describe('massMask', () => {
  it('keeps the patch that crosses the threshold', () => {
    expect([...massMask(f32([0.5, 0.3, 0.1, 0.1]), 0.6)]).toEqual([1, 1, 0, 0]);
  });

  it('keeps exactly one patch when it alone reaches the mass', () => {
    expect([...massMask(f32([0.5, 0.3, 0.1, 0.1]), 0.5)]).toEqual([1, 0, 0, 0]);
  });

  it('sorts by attention, not position', () => {
    expect([...massMask(f32([0.1, 0.3, 0.1, 0.5]), 0.6)]).toEqual([0, 1, 0, 1]);
  });

  it('measures mass relative to the total (rows may sum to less than 1)', () => {
    // Total 0.5: 60% of it is 0.3, reached by the 0.25 and the 0.15 patches.
    expect([...massMask(f32([0.05, 0.25, 0.05, 0.15]), 0.6)]).toEqual([0, 1, 0, 1]);
  });

  it('breaks ties by patch index', () => {
    expect([...massMask(f32([0.25, 0.25, 0.25, 0.25]), 0.5)]).toEqual([1, 1, 0, 0]);
    expect([...massMask(f32([0.2, 0.4, 0.4]), 0.3)]).toEqual([0, 1, 0]);
  });

  it('keeps every non-zero patch at mass 1, and never zero ones', () => {
    expect([...massMask(f32([0.5, 0, 0.3, 0.2]), 1)]).toEqual([1, 0, 1, 1]);
  });

  it('keeps nothing when there is no attention', () => {
    expect([...massMask(f32([0, 0, 0, 0]), 0.6)]).toEqual([0, 0, 0, 0]);
    expect([...massMask(f32([Number.NaN, 0]), 0.6)]).toEqual([0, 0]);
  });

  it('is not fooled by float32 rounding at an exact threshold', () => {
    // In float32, 0.7 + 0.2 falls a hair short of 0.9 × the total.
    expect([...massMask(f32([0.7, 0.2, 0.1]), 0.9)]).toEqual([1, 1, 0]);
    expect([...massMask(f32([0.15, 0.15, 0.1, 0.6]), 0.9)]).toEqual([1, 1, 0, 1]);
  });
});

describe('headMap', () => {
  // 2 images, 2 heads, grid 2 (4 patches).
  const probe = {
    grid: 2, heads: 2,
    attention: f32([
      0.1, 0.2, 0.3, 0.4, /* image 0 head 0 */ 0.3, 0.2, 0.1, 0.0, // image 0 head 1
      1, 0, 0, 0, /* image 1 head 0 */ 0, 0, 0, 1, // image 1 head 1
    ]),
  };

  it('returns one head of one image', () => {
    expect([...headMap(probe, 0, 1)]).toEqual([...f32([0.3, 0.2, 0.1, 0])]);
    expect([...headMap(probe, 1, 0)]).toEqual([1, 0, 0, 0]);
  });

  it('averages the heads for head -1', () => {
    const mean = headMap(probe, 0, -1);
    [0.2, 0.2, 0.2, 0.2].forEach((v, i) => expect(mean[i]).toBeCloseTo(v, 6));
    expect([...headMap(probe, 1, -1)]).toEqual([0.5, 0, 0, 0.5]);
  });

  it('copies rather than aliasing the probe', () => {
    const map = headMap(probe, 0, 0);
    map[0] = 9;
    expect(probe.attention[0]).toBeCloseTo(0.1, 6);
  });
});

describe('maskJaccard', () => {
  // 4×4 image, 2×2 grid: each patch is 2×2 pixels.
  const object = (rows: string[]) => Uint8Array.from(rows.join('').split('').map(Number));

  it('is 1 when the kept patches cover the object exactly', () => {
    const mask = object(['1100', '1100', '0000', '0000']);
    expect(maskJaccard(Uint8Array.from([1, 0, 0, 0]), 2, mask, 4)).toBe(1);
  });

  it('counts pixels, not patches', () => {
    // Kept: top-left patch (4 px). Object: top row (4 px), 2 of them shared → 2 / 6.
    const mask = object(['1111', '0000', '0000', '0000']);
    expect(maskJaccard(Uint8Array.from([1, 0, 0, 0]), 2, mask, 4)).toBeCloseTo(2 / 6, 10);
  });

  it('is 0 without overlap, and 1 when both are empty', () => {
    const mask = object(['0000', '0000', '0011', '0011']);
    expect(maskJaccard(Uint8Array.from([1, 0, 0, 0]), 2, mask, 4)).toBe(0);
    expect(maskJaccard(new Uint8Array(4), 2, new Uint8Array(16), 4)).toBe(1);
  });
});

describe('colormap', () => {
  it('runs from near-black to pale yellow and clamps', () => {
    expect(colormap(0)).toEqual([0, 0, 4]);
    expect(colormap(1)).toEqual([252, 255, 164]);
    expect(colormap(-3)).toEqual(colormap(0));
    expect(colormap(7)).toEqual(colormap(1));
    expect(colormap(Number.NaN)).toEqual(colormap(0));
  });

  it('gets brighter as t grows', () => {
    const brightness = (t: number) => colormap(t).reduce((a, b) => a + b, 0);
    for (let t = 0; t < 1; t += 0.05) expect(brightness(t + 0.05)).toBeGreaterThan(brightness(t));
  });

  it('returns integers in 0..255', () => {
    for (const c of colormap(0.37)) {
      expect(Number.isInteger(c)).toBe(true);
      expect(c).toBeGreaterThanOrEqual(0);
      expect(c).toBeLessThanOrEqual(255);
    }
  });
});

describe('imageToRgba', () => {
  it('converts one image from an offset, opaque and clamped', () => {
    // Two 1×1 images; take the second.
    const pixels = f32([0, 0, 0, 1, 0.5, 1.2]);
    expect([...imageToRgba(pixels, 3, 1)]).toEqual([255, 128, 255, 255]);
  });
});

describe('heatToRgba', () => {
  it('normalises to the max and applies alpha', () => {
    const rgba = heatToRgba(f32([0, 0.5]), 100);
    expect([...rgba.slice(0, 4)]).toEqual([...colormap(0), 100]);
    expect([...rgba.slice(4, 8)]).toEqual([...colormap(1), 100]);
  });
});
