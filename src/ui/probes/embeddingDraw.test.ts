import { describe, expect, it } from 'vitest';
import {
  CLASS_COLORS, UNKNOWN_CLASS_COLOR, classColor, fitScatter, formatPercent,
} from './embeddingDraw';

const f32 = (values: number[]) => Float32Array.from(values);

describe('CLASS_COLORS', () => {
  it('has ten distinct hex colours', () => {
    expect(CLASS_COLORS).toHaveLength(10);
    expect(new Set(CLASS_COLORS.map((c) => c.toLowerCase())).size).toBe(10);
    for (const c of CLASS_COLORS) expect(c).toMatch(/^#[0-9a-f]{6}$/i);
  });

  it('wraps labels past the palette and greys out unknown ones', () => {
    expect(classColor(0)).toBe(CLASS_COLORS[0]);
    expect(classColor(12)).toBe(CLASS_COLORS[2]);
    expect(classColor(-1)).toBe(UNKNOWN_CLASS_COLOR);
    expect(classColor(1.5)).toBe(UNKNOWN_CLASS_COLOR);
  });
});

describe('fitScatter', () => {
  it('keeps the aspect: one scale for both axes, set by the longer range', () => {
    // x spans 4, y spans 1: x fills the 80 px between the margins, y gets 20 px.
    const fit = fitScatter(f32([0, 0, 4, 1]), 100, 100, 10);
    expect(fit.scale).toBeCloseTo(20);
    expect([...fit.x]).toEqual([10, 90]);
    expect([...fit.y]).toEqual([60, 40]); // PC2 points up, box centred vertically
    expect(fit.collapsed).toBe(false);
    expect(fit.drawn).toBe(2);
  });

  it('fits the tighter side of a non-square canvas', () => {
    const fit = fitScatter(f32([-1, -1, 1, 1]), 200, 100, 0);
    expect(fit.scale).toBeCloseTo(50);
    expect([...fit.x]).toEqual([50, 150]);
    expect([...fit.y]).toEqual([100, 0]);
  });

  it('puts the data origin where the axes cross', () => {
    const fit = fitScatter(f32([0, 0, 2, 2]), 100, 100, 0);
    expect(fit.originX).toBeCloseTo(0);
    expect(fit.originY).toBeCloseTo(100);
    const centred = fitScatter(f32([-1, -2, 1, 2]), 100, 100, 0);
    expect(centred.originX).toBeCloseTo(50);
    expect(centred.originY).toBeCloseTo(50);
  });

  it('scales a line of points by its one non-zero range', () => {
    const fit = fitScatter(f32([0, 3, 2, 3, 4, 3]), 100, 100, 10);
    expect(fit.scale).toBeCloseTo(20);
    expect([...fit.y]).toEqual([50, 50, 50]);
    expect([...fit.x]).toEqual([10, 50, 90]);
    expect(fit.collapsed).toBe(false);
  });

  it('maps identical points to the centre without NaN and flags the collapse', () => {
    const fit = fitScatter(f32([0.3, -0.7, 0.3, -0.7, 0.3, -0.7]), 320, 320, 16);
    expect([...fit.x]).toEqual([160, 160, 160]);
    expect([...fit.y]).toEqual([160, 160, 160]);
    expect(fit.scale).toBe(0);
    expect([fit.originX, fit.originY]).toEqual([160, 160]);
    expect(fit.collapsed).toBe(true);
    expect(fit.relativeSpread).toBe(0);
  });

  it('treats float noise around the origin as collapsed, and a real spread as not', () => {
    expect(fitScatter(f32([1e-8, -2e-8, -3e-8, 1e-8]), 100, 100, 0).collapsed).toBe(true);
    expect(fitScatter(f32([1e-3, 0, -1e-3, 0]), 100, 100, 0).collapsed).toBe(false);
  });

  it('measures the spread relative to the coordinates away from the origin', () => {
    const far = fitScatter([1000, 1000, 1000 + 1e-4, 1000], 100, 100, 0);
    expect(far.collapsed).toBe(true);
    expect([...far.x]).toEqual([50, 50]);
  });

  it('skips non-finite points and handles no points', () => {
    const fit = fitScatter(f32([0, 0, Number.NaN, 1, 2, 2]), 100, 100, 0);
    expect(fit.drawn).toBe(2);
    expect(Number.isNaN(fit.x[1])).toBe(true);
    expect([fit.x[0], fit.x[2]]).toEqual([0, 100]);
    const empty = fitScatter(f32([]), 100, 100, 0);
    expect(empty.drawn).toBe(0);
    expect(empty.collapsed).toBe(false);
    expect([empty.originX, empty.originY]).toEqual([50, 50]);
  });
});

describe('formatPercent', () => {
  it('formats fractions and marks missing ones', () => {
    expect(formatPercent(0.375)).toBe('37.5 %');
    expect(formatPercent(Number.NaN)).toBe('–');
  });
});

// Issue 23: the scatter told classes apart by colour only, with close hues.
describe('class markers', () => {
  it('give each of the ten classes its own shape and colour pair, and neighbouring classes different shapes', async () => {
    const { classShape, CLASS_SHAPES } = await import('./embeddingDraw');
    const pairs = new Set(Array.from({ length: 10 }, (_, label) => `${classShape(label)} ${classColor(label)}`));
    expect(pairs.size).toBe(10);
    for (let label = 1; label < 10; label++) expect(classShape(label)).not.toBe(classShape(label - 1));
    expect(new Set(CLASS_SHAPES).size).toBe(5);
    expect(classShape(-1)).toBe('circle');
  });
});
