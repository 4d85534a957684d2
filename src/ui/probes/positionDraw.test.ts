import { describe, expect, it } from 'vitest';
import { colormap } from './draw';
import {
  FIGURE, HEAT_ALPHA, accuracyOf, addCounts, argmaxRows, boxRect, chanceLevel, countStatuses, formatPercent,
  heatmapRgba, layoutFigure, nextPatch, patchCentre, patchRect, predictionRow, probabilityColor, queryLabels, queryStatuses,
  shownQueries,
} from './positionDraw';

const f32 = (values: number[]) => Float32Array.from(values);

describe('argmaxRows', () => {
  it('finds the largest entry of each row', () => {
    const m = f32([
      0.1, 0.7, 0.2, 0.0,
      0.5, 0.1, 0.1, 0.3,
      0.0, 0.0, 0.1, 0.9,
    ]);
    expect([...argmaxRows(m, 3, 4)]).toEqual([1, 0, 3]);
  });

  it('keeps the first of a tie and skips NaN', () => {
    expect([...argmaxRows(f32([0.4, 0.4, 0.2]), 1, 3)]).toEqual([0]);
    expect([...argmaxRows(f32([Number.NaN, 0.1, 0.3]), 1, 3)]).toEqual([2]);
  });

  it('gives −1 for a row with no number, or one past the end of a short array', () => {
    expect([...argmaxRows(f32([Number.NaN, Number.NaN, 0, 1]), 2, 2)]).toEqual([-1, 1]);
    expect([...argmaxRows(f32([0, 1]), 2, 2)]).toEqual([1, -1]);
  });

  it('handles negative values (logits, not only probabilities)', () => {
    expect([...argmaxRows(f32([-3, -1, -2]), 1, 3)]).toEqual([1]);
  });
});

describe('queryStatuses', () => {
  // A 2×2 query over a 2×2 reference: 4 patches × 4 reference positions.
  const query = {
    grid: 2,
    targets: Int32Array.from([0, 3, -1, 2]),
    used: Uint8Array.from([1, 1, 1, 0]),
    predictions: f32([
      0.7, 0.1, 0.1, 0.1, // → 0 = target 0: correct
      0.6, 0.2, 0.1, 0.1, // → 0 ≠ target 3: wrong
      0.1, 0.1, 0.1, 0.7, // outside the reference: not scored
      0.0, 0.0, 1.0, 0.0, // → 2 = target 2 but never sent through the student
    ]),
  };

  it('classifies each patch', () => {
    const { argmax, status } = queryStatuses(query, 2);
    expect([...argmax]).toEqual([0, 0, 3, 2]);
    expect(status).toEqual(['correct', 'wrong', 'outside', 'unused']);
  });

  it('counts statuses and scores accuracy over used patches inside the reference only', () => {
    const counts = countStatuses(queryStatuses(query, 2).status);
    expect(counts).toEqual({ correct: 1, wrong: 1, outside: 1, unused: 1 });
    expect(accuracyOf(counts)).toBe(0.5);
    expect(addCounts(counts, counts)).toEqual({ correct: 2, wrong: 2, outside: 2, unused: 2 });
  });

  it('has no accuracy without a scored patch', () => {
    expect(accuracyOf({ correct: 0, wrong: 0, outside: 3, unused: 5 })).toBeNaN();
  });
});

describe('chanceLevel and formatPercent', () => {
  it('is one over the reference patches', () => {
    expect(chanceLevel(8)).toBeCloseTo(1 / 64, 12);
    expect(chanceLevel(2)).toBe(0.25);
    expect(chanceLevel(0)).toBeNaN();
  });

  it('keeps small percentages distinguishable', () => {
    expect(formatPercent(0.723)).toBe('72%');
    expect(formatPercent(1 / 64)).toBe('1.6%');
    expect(formatPercent(1 / 256)).toBe('0.39%');
    expect(formatPercent(0)).toBe('0%');
    expect(formatPercent(1)).toBe('100%');
    expect(formatPercent(Number.NaN)).toBe('–');
  });
});

describe('queryLabels and shownQueries', () => {
  it('numbers focal queries, and random ones only when there are several', () => {
    expect(queryLabels([{ role: 'random' }, { role: 'focal' }, { role: 'focal' }])).toEqual(['random', 'focal 1', 'focal 2']);
    expect(queryLabels([{ role: 'random' }, { role: 'focal' }, { role: 'random' }])).toEqual(['random 1', 'focal 1', 'random 2']);
  });

  it('shows one query or all of them', () => {
    expect(shownQueries(3, 'all')).toEqual([0, 1, 2]);
    expect(shownQueries(3, 1)).toEqual([1]);
    expect(shownQueries(3, 5)).toEqual([0, 1, 2]);
  });
});

describe('patch geometry', () => {
  const rect = { x: 10, y: 20, width: 80, height: 80 };

  it('puts patch centres on the grid in raster order', () => {
    // 4×4 grid of 20 px cells: patch 6 is row 1, col 2.
    expect(patchCentre(rect, 4, 0)).toEqual({ x: 20, y: 30 });
    expect(patchCentre(rect, 4, 6)).toEqual({ x: 60, y: 50 });
    expect(patchCentre(rect, 4, 15)).toEqual({ x: 80, y: 90 });
    expect(patchRect(rect, 4, 6)).toEqual({ x: 50, y: 40, width: 20, height: 20 });
  });

  it('draws boxes through pixel centres like the crops view', () => {
    // 8-pixel image ×4: [0, 0, 1, 1] covers the whole 32 px canvas; [0.5, 0, 1, 0.5] starts at pixel 3.5.
    expect(boxRect([0, 0, 1, 1], 8, 4)).toEqual({ x: 0, y: 0, width: 32, height: 32 });
    expect(boxRect([0.5, 0, 1, 0.5], 8, 4)).toEqual({ x: 0, y: 14, width: 18, height: 18 });
  });
});

describe('layoutFigure', () => {
  const queries = [
    { role: 'random' as const, size: 32 },
    { role: 'focal' as const, size: 16 },
    { role: 'focal' as const, size: 16 },
  ];
  const overlaps = (a: { x: number; y: number; width: number; height: number }, b: typeof a) =>
    a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

  it('puts the random query left of the reference and focal queries right of it, at true scale', () => {
    const layout = layoutFigure(32, queries, [0, 1, 2]);
    const [random, focal1, focal2] = layout.queries;
    expect(layout.reference.width).toBe(FIGURE.reference);
    expect(random!.width).toBe(FIGURE.reference); // same size as the reference → same side
    expect(random!.x + random!.width).toBeLessThan(layout.reference.x);
    expect(focal1!.x).toBeGreaterThan(layout.reference.x + layout.reference.width);
    expect(focal1!.width).toBe(FIGURE.reference / 2);
    expect(focal2!.y).toBeGreaterThan(focal1!.y + focal1!.height);
    expect(overlaps(focal1!, focal2!)).toBe(false);
    for (const r of [layout.reference, random!, focal1!, focal2!]) {
      expect(r.x).toBeGreaterThanOrEqual(0);
      expect(r.y).toBeGreaterThanOrEqual(FIGURE.label); // room for the caption above
      expect(r.x + r.width).toBeLessThanOrEqual(layout.width);
      expect(r.y + r.height).toBeLessThanOrEqual(layout.height);
    }
  });

  it('leaves out the queries that are not shown', () => {
    const layout = layoutFigure(32, queries, [2]);
    expect(layout.queries[0]).toBeNull();
    expect(layout.queries[1]).toBeNull();
    expect(layout.queries[2]).not.toBeNull();
    expect(layout.reference.x).toBe(FIGURE.pad); // no random query on the left
  });

  it('shrinks a tall column of focal queries, then adds columns, never overlapping', () => {
    const many = [{ role: 'random' as const, size: 32 }, ...Array.from({ length: 10 }, () => ({ role: 'focal' as const, size: 16 }))];
    const layout = layoutFigure(32, many, many.map((_, i) => i));
    const focals = layout.queries.slice(1).map((r) => r!);
    for (const r of focals) expect(r.width).toBeGreaterThanOrEqual(FIGURE.minFocal);
    for (const r of focals) expect(r.width).toBeLessThan(FIGURE.reference / 2);
    expect(new Set(focals.map((r) => r.x)).size).toBeGreaterThan(1);
    for (let a = 0; a < focals.length; a++) for (let b = a + 1; b < focals.length; b++) expect(overlaps(focals[a], focals[b])).toBe(false);
    expect(layout.height).toBeLessThanOrEqual((FIGURE.label + FIGURE.reference) * FIGURE.columnHeight + 2 * FIGURE.pad + 1);
  });
});

describe('heat map colours', () => {
  it('maps 0 to the bottom of the scale, the max to the top, and grows more opaque', () => {
    const low = probabilityColor(0, 0.5);
    const high = probabilityColor(0.5, 0.5);
    expect(low.slice(0, 3)).toEqual(colormap(0));
    expect(high.slice(0, 3)).toEqual(colormap(1));
    expect(low[3]).toBe(Math.round(255 * HEAT_ALPHA.min));
    expect(high[3]).toBe(Math.round(255 * HEAT_ALPHA.max));
    expect(probabilityColor(0.25, 0.5)[3]).toBeGreaterThan(low[3]);
    expect(probabilityColor(0.25, 0.5)[3]).toBeLessThan(high[3]);
  });

  it('treats NaN and an all-zero row as the bottom of the scale', () => {
    expect(probabilityColor(Number.NaN, 1)).toEqual(probabilityColor(0, 1));
    expect(probabilityColor(0.3, 0)).toEqual(probabilityColor(0, 1));
  });

  it('normalises a prediction row to its max', () => {
    const rgba = heatmapRgba(f32([0.1, 0.2, 0.0, 0.7]));
    expect(rgba).toHaveLength(16);
    expect([...rgba.slice(12, 16)]).toEqual(probabilityColor(1, 1));
    expect([...rgba.slice(8, 12)]).toEqual(probabilityColor(0, 1));
    expect([...rgba.slice(4, 8)]).toEqual(probabilityColor(0.2, 0.7));
  });

  it('reads one patch row out of the predictions', () => {
    const predictions = f32([1, 0, 0, 0, 0, 0, 0.5, 0.5]);
    expect([...predictionRow(predictions, 2, 1)]).toEqual([0, 0, 0.5, 0.5]);
  });
});

describe('nextPatch: keyboard moves between the patches of a query', () => {
  it('moves by one and stops at the edges; Home and End jump to the corners', () => {
    // 3×3: patch 4 is the centre.
    expect(nextPatch('ArrowLeft', 3, 4)).toBe(3);
    expect(nextPatch('ArrowRight', 3, 4)).toBe(5);
    expect(nextPatch('ArrowUp', 3, 4)).toBe(1);
    expect(nextPatch('ArrowDown', 3, 4)).toBe(7);
    expect(nextPatch('ArrowLeft', 3, 3)).toBe(3);
    expect(nextPatch('ArrowDown', 3, 8)).toBe(8);
    expect(nextPatch('Home', 3, 5)).toBe(0);
    expect(nextPatch('End', 3, 1)).toBe(8);
  });

  it('Enter and Space keep the patch; other keys are not the view\'s', () => {
    expect(nextPatch('Enter', 4, 6)).toBe(6);
    expect(nextPatch(' ', 4, 6)).toBe(6);
    expect(nextPatch('a', 4, 6)).toBeNull();
    expect(nextPatch('Tab', 4, 6)).toBeNull();
  });
});
