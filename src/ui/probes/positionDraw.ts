/**
 * Pure logic behind LOCA's position view: the predicted reference patch of each query patch,
 * whether it is right, the figure's geometry in CSS pixels and the heat map's colours.
 * No React, no canvas: unit-tested in Node.
 */
import type { PositionQuery } from '../../methods/probes';
import { colormap } from './draw';
import { PALETTE } from '../../methods/palette';

/**
 * What a query patch shows:
 * - `correct` / `wrong`: it went through the student and its centre lies on the reference;
 *   the argmax of its prediction is (or is not) the reference patch under it;
 * - `outside`: it went through the student but its centre lies outside the reference, so it is
 *   not in the loss (target −1);
 * - `unused`: the large query's patches that were not sent through the student (no prediction).
 */
export type PatchStatus = 'correct' | 'wrong' | 'outside' | 'unused';

export interface StatusCounts {
  correct: number;
  wrong: number;
  outside: number;
  unused: number;
}

/**
 * Index of the largest value of each row of a row-major [rows, cols] matrix. Ties keep the
 * first; NaN never wins; a row with no finite value (or missing from a short array) gives −1.
 */
export function argmaxRows(values: Float32Array, rows: number, cols: number): Int32Array {
  const out = new Int32Array(Math.max(rows, 0)).fill(-1);
  for (let r = 0; r < rows; r++) {
    let best = -Infinity;
    const base = r * cols;
    for (let c = 0; c < cols; c++) {
      const v = values[base + c]; // undefined past the end: the comparison is false
      if (v > best) {
        best = v;
        out[r] = c;
      }
    }
  }
  return out;
}

/** Each query patch's argmax over the referenceGrid² positions and its status. */
export function queryStatuses(
  query: Pick<PositionQuery, 'grid' | 'targets' | 'used' | 'predictions'>, referenceGrid: number,
): { argmax: Int32Array; status: PatchStatus[] } {
  const patches = query.grid * query.grid;
  const argmax = argmaxRows(query.predictions, patches, referenceGrid * referenceGrid);
  const status: PatchStatus[] = [];
  for (let i = 0; i < patches; i++) {
    const target = query.targets[i] ?? -1;
    if (query.used[i] === 0) status.push('unused');
    else if (target < 0) status.push('outside');
    else status.push(argmax[i] === target ? 'correct' : 'wrong');
  }
  return { argmax, status };
}

export function countStatuses(statuses: Iterable<PatchStatus>): StatusCounts {
  const counts: StatusCounts = { correct: 0, wrong: 0, outside: 0, unused: 0 };
  for (const s of statuses) counts[s]++;
  return counts;
}

export function addCounts(a: StatusCounts, b: StatusCounts): StatusCounts {
  return { correct: a.correct + b.correct, wrong: a.wrong + b.wrong, outside: a.outside + b.outside, unused: a.unused + b.unused };
}

/** Top-1 accuracy over the used patches inside the reference; NaN when there are none. */
export function accuracyOf(counts: StatusCounts): number {
  const inside = counts.correct + counts.wrong;
  return inside > 0 ? counts.correct / inside : Number.NaN;
}

/** Accuracy of guessing a reference patch uniformly: 1 / referenceGrid². */
export function chanceLevel(referenceGrid: number): number {
  return referenceGrid > 0 ? 1 / (referenceGrid * referenceGrid) : Number.NaN;
}

/** A percentage with enough digits to tell small numbers apart: 72%, 4.5%, 0.39%. NaN → '–'. */
export function formatPercent(fraction: number): string {
  if (!Number.isFinite(fraction)) return '–';
  const v = fraction * 100;
  if (v === 0 || Math.abs(v) >= 10) return `${Math.round(v)}%`;
  return `${v.toFixed(Math.abs(v) >= 1 ? 1 : 2)}%`;
}

/** Labels of the queries in payload order: "random" (numbered if several) and "focal 1", "focal 2", …. */
export function queryLabels(queries: readonly Pick<PositionQuery, 'role'>[]): string[] {
  const randoms = queries.filter((q) => q.role === 'random').length;
  let r = 0;
  let f = 0;
  return queries.map((q) => (q.role === 'random' ? (randoms > 1 ? `random ${++r}` : 'random') : `focal ${++f}`));
}

/** Which queries are shown: every one, or the selected one (an index out of range shows all). */
export type QuerySelection = 'all' | number;

export function shownQueries(count: number, selection: QuerySelection): number[] {
  if (selection !== 'all' && Number.isInteger(selection) && selection >= 0 && selection < count) return [selection];
  return Array.from({ length: count }, (_, i) => i);
}

// ---- geometry (CSS pixels) ----

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface Point {
  x: number;
  y: number;
}

/** Row and column of a raster-order patch index. */
export function patchRowCol(grid: number, index: number): { row: number; col: number } {
  return { row: Math.floor(index / grid), col: index % grid };
}

/**
 * The patch a key moves to on a grid×grid query (arrows, Home, End; Enter and Space keep it),
 * clamped at the edges; null for a key that does not move between patches.
 */
export function nextPatch(key: string, grid: number, patch: number): number | null {
  const { row, col } = patchRowCol(grid, patch);
  const last = grid - 1;
  const moves: Record<string, [number, number]> = {
    ArrowLeft: [row, Math.max(col - 1, 0)], ArrowRight: [row, Math.min(col + 1, last)],
    ArrowUp: [Math.max(row - 1, 0), col], ArrowDown: [Math.min(row + 1, last), col],
    Home: [0, 0], End: [last, last], Enter: [row, col], ' ': [row, col],
  };
  const move = Object.hasOwn(moves, key) ? moves[key] : undefined;
  return move ? move[0] * grid + move[1] : null;
}

/** The square of patch `index` (raster order) of a grid×grid view drawn in `rect`. */
export function patchRect(rect: Rect, grid: number, index: number): Rect {
  const { row, col } = patchRowCol(grid, index);
  const w = rect.width / grid;
  const h = rect.height / grid;
  return { x: rect.x + col * w, y: rect.y + row * h, width: w, height: h };
}

/** The centre of patch `index` (raster order) of a grid×grid view drawn in `rect`. */
export function patchCentre(rect: Rect, grid: number, index: number): Point {
  const { row, col } = patchRowCol(grid, index);
  return { x: rect.x + ((col + 0.5) * rect.width) / grid, y: rect.y + ((row + 0.5) * rect.height) / grid };
}

/**
 * A normalised [y1, x1, y2, x2] box drawn on a size×size image upscaled by `scale`: the box
 * runs through pixel centres (see CropView.box), so it ends one pixel past the last centre.
 */
export function boxRect(box: readonly [number, number, number, number], size: number, scale: number): Rect {
  const [y1, x1, y2, x2] = box;
  const last = size - 1;
  const top = y1 * last * scale;
  const left = x1 * last * scale;
  return { x: left, y: top, width: (x2 * last + 1) * scale - left, height: (y2 * last + 1) * scale - top };
}

export const FIGURE = {
  reference: 256, // the reference view's side
  lineGap: 72, // room between the reference and the queries for the lines
  label: 18, // the caption band above each view
  itemGap: 12, // between stacked queries
  columnGap: 16, // between columns of focal queries
  pad: 8,
  minQuery: 64, // a query is never drawn smaller (at its true scale) …
  maxQuery: 320, // … or larger than this
  minFocal: 56, // stacked focal queries shrink to fit the column, down to this
  columnHeight: 1.6, // a column of focal queries may be this many times the reference's height
} as const;

export interface FigureLayout {
  width: number;
  height: number;
  reference: Rect;
  /** One per query of the example: where it is drawn, or null when it is not shown. */
  queries: (Rect | null)[];
}

/**
 * Where the reference and the shown queries go. Queries keep their size relative to the
 * reference (same pixels per image pixel, clamped to FIGURE.minQuery..maxQuery). Random queries
 * stand left of the reference and focal queries right of it, so no line crosses the reference
 * from the wrong side and each query sits where it sits in "all queries" mode. Focal queries
 * stack in a column that shrinks them (to FIGURE.minFocal at least) before it adds columns.
 */
export function layoutFigure(
  referenceSize: number, queries: readonly Pick<PositionQuery, 'role' | 'size'>[], shown: readonly number[],
): FigureLayout {
  const F = FIGURE;
  const scale = F.reference / Math.max(referenceSize, 1);
  const side = (i: number) => Math.min(Math.max(queries[i].size * scale, F.minQuery), F.maxQuery);
  const randoms = shown.filter((i) => queries[i]?.role === 'random');
  const focals = shown.filter((i) => queries[i]?.role === 'focal');
  const stackHeight = (sides: number[]) => sides.reduce((a, s) => a + F.label + s, 0) + Math.max(sides.length - 1, 0) * F.itemGap;

  const randomSides = randoms.map(side);
  const leftHeight = stackHeight(randomSides);
  const leftWidth = Math.max(0, ...randomSides);
  const mainHeight = Math.max(F.label + F.reference, leftHeight);

  // Focal columns: the fewest columns whose shrink keeps every focal at F.minFocal or more.
  const focalTrue = focals.map(side);
  const limit = mainHeight * F.columnHeight;
  let columns: number[][] = [];
  let shrink = 1;
  for (let c = 1; c <= Math.max(focals.length, 1); c++) {
    const rows = Math.ceil(focals.length / c);
    columns = Array.from({ length: c }, (_, k) => focals.slice(k * rows, (k + 1) * rows)).filter((col) => col.length > 0);
    const tallest = Math.max(0, ...columns.map((col) => stackHeight(col.map(side))));
    const labels = rows * F.label + (rows - 1) * F.itemGap;
    shrink = tallest <= limit ? 1 : Math.max(0, (limit - labels) / (tallest - labels));
    const smallest = Math.min(Infinity, ...focalTrue) * shrink;
    if (shrink === 1 || smallest >= Math.min(F.minFocal, Math.min(...focalTrue))) break;
  }
  const focalSide = (i: number) => Math.max(side(i) * shrink, Math.min(F.minFocal, side(i)));
  const columnWidths = columns.map((col) => Math.max(...col.map(focalSide)));
  const columnHeights = columns.map((col) => stackHeight(col.map(focalSide)));

  const height = Math.max(mainHeight, ...columnHeights) + 2 * F.pad;
  const centreTop = (h: number) => (height - h) / 2;
  const rects: (Rect | null)[] = queries.map(() => null);

  let x = F.pad;
  if (randoms.length > 0) {
    let y = centreTop(leftHeight);
    randoms.forEach((i, k) => {
      const s = randomSides[k];
      rects[i] = { x: x + (leftWidth - s) / 2, y: y + F.label, width: s, height: s };
      y += F.label + s + F.itemGap;
    });
    x += leftWidth + F.lineGap;
  }
  const reference: Rect = { x, y: centreTop(F.label + F.reference) + F.label, width: F.reference, height: F.reference };
  x += F.reference;
  if (columns.length > 0) {
    x += F.lineGap;
    columns.forEach((col, c) => {
      let y = centreTop(columnHeights[c]);
      for (const i of col) {
        const s = focalSide(i);
        rects[i] = { x, y: y + F.label, width: s, height: s };
        y += F.label + s + F.itemGap;
      }
      x += columnWidths[c] + F.columnGap;
    });
    x -= F.columnGap;
  }
  return { width: x + F.pad, height, reference, queries: rects };
}

// ---- colours ----

export const STATUS_COLORS: Record<PatchStatus, string> = {
  correct: PALETTE.green,
  wrong: PALETTE.vermillion,
  outside: '#8a90a0',
  unused: '#c3c7d0',
};

export const HEAT_ALPHA = { min: 0.5, max: 0.92 } as const;

/**
 * RGBA of one reference patch in the heat map: inferno at p / max (clamped; NaN and a max of 0
 * give the bottom of the scale), more opaque the likelier, so unlikely patches stay visible.
 */
export function probabilityColor(p: number, max: number): [number, number, number, number] {
  const t = max > 0 && Number.isFinite(p) ? Math.min(Math.max(p / max, 0), 1) : 0;
  const [r, g, b] = colormap(t);
  return [r, g, b, Math.round(255 * (HEAT_ALPHA.min + (HEAT_ALPHA.max - HEAT_ALPHA.min) * t))];
}

/** One query patch's prediction row as referenceGrid² RGBA bytes, normalised to its max. */
export function heatmapRgba(row: ArrayLike<number>): Uint8ClampedArray<ArrayBuffer> {
  let max = 0;
  for (let i = 0; i < row.length; i++) if (row[i] > max) max = row[i];
  const rgba = new Uint8ClampedArray(row.length * 4);
  for (let i = 0; i < row.length; i++) rgba.set(probabilityColor(row[i], max), i * 4);
  return rgba;
}

/** Row `patch` of a query's [grid², referenceGrid²] predictions (a view, not a copy). */
export function predictionRow(predictions: Float32Array, referenceGrid: number, patch: number): Float32Array {
  const n = referenceGrid * referenceGrid;
  return predictions.subarray(patch * n, (patch + 1) * n);
}
