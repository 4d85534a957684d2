import { describe, it, expect } from 'vitest';
import { generateShapes, SHAPE_CLASSES, type ShapesOptions } from './shapes';

const base: ShapesOptions = { imageSize: 32, count: 20, seed: 7, split: 'train' };

function imageBytes(set: ReturnType<typeof generateShapes>, i: number): Float32Array {
  const n = set.size * set.size * 3;
  return set.images.slice(i * n, (i + 1) * n);
}

function sameArray(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

describe('generateShapes', () => {
  it('has the documented layout', () => {
    const set = generateShapes(base);
    expect(set.size).toBe(32);
    expect(set.count).toBe(20);
    expect(set.images.length).toBe(20 * 32 * 32 * 3);
    expect(set.masks.length).toBe(20 * 32 * 32);
    expect(set.labels.length).toBe(20);
    expect(set.classNames).toBe(SHAPE_CLASSES);
    expect(SHAPE_CLASSES.length).toBe(10);
  });

  it('is deterministic: same options give identical bytes', () => {
    const a = generateShapes(base);
    const b = generateShapes(base);
    expect(sameArray(a.images, b.images)).toBe(true);
    expect(sameArray(a.masks, b.masks)).toBe(true);
    expect(sameArray(a.labels, b.labels)).toBe(true);
  });

  it('different seeds and splits give different images', () => {
    const a = generateShapes(base);
    const b = generateShapes({ ...base, seed: 8 });
    const c = generateShapes({ ...base, split: 'heldout' });
    for (let i = 0; i < base.count; i++) {
      expect(sameArray(imageBytes(a, i), imageBytes(b, i))).toBe(false);
      expect(sameArray(imageBytes(a, i), imageBytes(c, i))).toBe(false);
    }
  });

  it('is prefix-stable: more images do not change earlier ones', () => {
    const short = generateShapes({ ...base, count: 20 });
    const long = generateShapes({ ...base, count: 40 });
    expect(sameArray(short.images, long.images.subarray(0, short.images.length))).toBe(true);
    expect(sameArray(short.masks, long.masks.subarray(0, short.masks.length))).toBe(true);
    expect(sameArray(short.labels, long.labels.subarray(0, 20))).toBe(true);
  });

  it('values are in [0, 1] and masks are binary', () => {
    const set = generateShapes({ ...base, count: 50 });
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of set.images) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    expect(lo).toBeGreaterThanOrEqual(0);
    expect(hi).toBeLessThanOrEqual(1);
    expect(set.masks.every((m) => m === 0 || m === 1)).toBe(true);
  });

  it('every class appears in 100 images, and each block of 10 is balanced', () => {
    const set = generateShapes({ ...base, count: 100 });
    const counts = new Array(SHAPE_CLASSES.length).fill(0);
    for (const l of set.labels) counts[l]++;
    expect(counts).toEqual(new Array(10).fill(10));
    expect(new Set(set.labels.subarray(0, 10)).size).toBe(10);
  });

  it('masks match a solid-coloured object that contrasts with its surroundings', () => {
    for (const distractors of [true, false]) {
      const set = generateShapes({ ...base, count: 60, distractors });
      const S = set.size;
      const P = S * S;
      for (let i = 0; i < set.count; i++) {
        const mask = set.masks.subarray(i * P, (i + 1) * P);
        const img = set.images.subarray(i * P * 3, (i + 1) * P * 3);
        const area = mask.reduce((s, m) => s + m, 0) / P;
        // Non-empty, not the whole image, and a sane fraction for 35–75% extents.
        expect(area).toBeGreaterThan(0.02);
        expect(area).toBeLessThan(0.6);
        // Interior pixels share one colour (the object is solid).
        const inner: number[] = [];
        const ring: number[] = [];
        for (let y = 0; y < S; y++) {
          for (let x = 0; x < S; x++) {
            const p = y * S + x;
            // Interior: the whole 3×3 neighbourhood is in the mask (away from the AA edge).
            let interior = x > 0 && y > 0 && x < S - 1 && y < S - 1;
            for (let dy = -1; dy <= 1 && interior; dy++) {
              for (let dx = -1; dx <= 1 && interior; dx++) if (!mask[p + dy * S + dx]) interior = false;
            }
            if (interior) inner.push(p);
            // "Just outside": a non-mask pixel two steps from the mask (past the AA edge).
            if (!mask[p]) {
              let near = false;
              for (let dy = -2; dy <= 2 && !near; dy++) {
                for (let dx = -2; dx <= 2 && !near; dx++) {
                  const xx = x + dx;
                  const yy = y + dy;
                  if (xx >= 0 && yy >= 0 && xx < S && yy < S && mask[yy * S + xx]) near = true;
                }
              }
              if (near) ring.push(p);
            }
          }
        }
        const mean = (ps: number[]) =>
          [0, 1, 2].map((c) => ps.reduce((s, p) => s + img[p * 3 + c], 0) / ps.length);
        const dist = (a: number[], b: number[]) => Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
        const inMean = mean(inner.length > 0 ? inner : Array.from(mask.keys()).filter((p) => mask[p]));
        if (inner.length > 0) {
          const spread = inner.reduce((s, p) => s + dist([img[p * 3], img[p * 3 + 1], img[p * 3 + 2]], inMean), 0);
          expect(spread / inner.length).toBeLessThan(0.02);
        }
        expect(ring.length).toBeGreaterThan(0);
        expect(dist(inMean, mean(ring))).toBeGreaterThan(0.15);
      }
    }
  });

  it('works at all three sizes', () => {
    for (const imageSize of [16, 32, 64]) {
      const set = generateShapes({ ...base, imageSize, count: 12 });
      expect(set.size).toBe(imageSize);
      expect(set.images.length).toBe(12 * imageSize * imageSize * 3);
      for (let i = 0; i < 12; i++) {
        const m = set.masks.subarray(i * imageSize * imageSize, (i + 1) * imageSize * imageSize);
        const area = m.reduce((s, v) => s + v, 0);
        expect(area).toBeGreaterThan(0);
        expect(area).toBeLessThan(imageSize * imageSize);
      }
    }
  });

  it('rejects bad options with a clear message', () => {
    expect(() => generateShapes({ ...base, imageSize: 48 })).toThrow(/imageSize must be one of 16, 32, 64/);
    expect(() => generateShapes({ ...base, count: 0 })).toThrow(/count must be a positive integer/);
    expect(() => generateShapes({ ...base, count: 2.5 })).toThrow(/count must be a positive integer/);
    expect(() => generateShapes({ ...base, seed: NaN })).toThrow(/seed/);
    expect(() => generateShapes({ ...base, split: 'test' as never })).toThrow(/split/);
  });

  it('generates 2048 images of 32×32 quickly', () => {
    const start = performance.now();
    generateShapes({ ...base, count: 2048 });
    expect(performance.now() - start).toBeLessThan(2000);
  });
});
