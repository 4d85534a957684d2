/**
 * Pure maths behind the embedding and similarity views: the class palette, fitting a PCA
 * scatter into a canvas with equal aspect, and summarising / colouring a two-view cosine
 * similarity matrix. No React, no canvas: unit-tested in Node.
 */
import { CLASS_COLORS as PALETTE_CLASS_COLORS, PALETTE } from '../../methods/palette';

/**
 * Ten categorical colours, one per class: Okabe & Ito's colour-blind-safe eight (black last,
 * so the first classes get the most distinct hues), then Paul Tol's wine and olive. Points
 * are drawn with a thin dark outline so the yellow stays visible on a light background.
 */
export const CLASS_COLORS: readonly string[] = Object.freeze([...PALETTE_CLASS_COLORS]);

/** Colour of an unknown (negative or non-integer) label. */
export const UNKNOWN_CLASS_COLOR = PALETTE.grey;

/** A label's colour; labels past the palette wrap around (more than ten classes share colours). */
export function classColor(label: number): string {
  if (!Number.isInteger(label) || label < 0) return UNKNOWN_CLASS_COLOR;
  return CLASS_COLORS[label % CLASS_COLORS.length];
}

/**
 * A class's marker shape, so classes differ by shape as well as colour (for anyone who cannot
 * tell two hues apart): five shapes, and classes sharing a shape are five colours apart.
 */
export const CLASS_SHAPES = ['circle', 'square', 'triangle', 'diamond', 'cross'] as const;
export type ClassShape = (typeof CLASS_SHAPES)[number];

export function classShape(label: number): ClassShape {
  if (!Number.isInteger(label) || label < 0) return 'circle';
  return CLASS_SHAPES[label % CLASS_SHAPES.length];
}

/** Traces a marker of radius r centred on (x, y); the caller fills and strokes it. */
export function traceMarker(ctx: Pick<CanvasRenderingContext2D, 'moveTo' | 'lineTo' | 'arc' | 'rect' | 'closePath'>, shape: ClassShape, x: number, y: number, r: number): void {
  switch (shape) {
    case 'circle':
      ctx.arc(x, y, r, 0, 2 * Math.PI);
      return;
    case 'square':
      ctx.rect(x - r * 0.85, y - r * 0.85, r * 1.7, r * 1.7);
      return;
    case 'triangle':
      ctx.moveTo(x, y - r * 1.15);
      ctx.lineTo(x + r, y + r * 0.75);
      ctx.lineTo(x - r, y + r * 0.75);
      ctx.closePath();
      return;
    case 'diamond':
      ctx.moveTo(x, y - r * 1.2);
      ctx.lineTo(x + r * 1.2, y);
      ctx.lineTo(x, y + r * 1.2);
      ctx.lineTo(x - r * 1.2, y);
      ctx.closePath();
      return;
    case 'cross': {
      const a = r * 0.4;
      const b = r * 1.1;
      const points = [[-a, -b], [a, -b], [a, -a], [b, -a], [b, a], [a, a], [a, b], [-a, b], [-a, a], [-b, a], [-b, -a], [-a, -a]];
      points.forEach(([dx, dy], i) => (i === 0 ? ctx.moveTo(x + dx, y + dy) : ctx.lineTo(x + dx, y + dy)));
      ctx.closePath();
    }
  }
}

/** Below this relative spread every point is treated as the same point: a collapsed representation. */
export const COLLAPSE_SPREAD = 1e-6;

export interface ScatterFit {
  /** Pixel x of each point (NaN for a point with a non-finite coordinate: not drawn). */
  x: Float32Array;
  /** Pixel y of each point, growing downwards (PC2 points up). NaN as for x. */
  y: Float32Array;
  /** Pixels per data unit, the same on both axes; 0 when the points coincide. */
  scale: number;
  /** Pixel position of the data origin (0, 0), for axes through 0; may lie off the canvas. */
  originX: number;
  originY: number;
  /** Points with finite coordinates: the ones drawn. */
  drawn: number;
  /** Largest extent of the points (either axis) over max(largest |coordinate|, 1). */
  relativeSpread: number;
  /** relativeSpread < COLLAPSE_SPREAD: every point is mapped to the centre. */
  collapsed: boolean;
}

/**
 * Maps [N, 2] points (x, y interleaved) into a width×height canvas leaving `margin` pixels on
 * every side, one scale for both axes (distances stay comparable) and the bounding box centred.
 * The spread is measured relative to the largest |coordinate|, or to 1 when all points lie
 * within 1 of the origin (principal components of unit-norm embeddings are at that scale), so
 * float noise around a centred, collapsed cloud counts as collapsed. Collapsed points all land
 * on the canvas centre, as do the axes; nothing is NaN except non-finite input points.
 */
export function fitScatter(points: ArrayLike<number>, width: number, height: number, margin: number): ScatterFit {
  const n = Math.floor(points.length / 2);
  let minX = Infinity;
  let maxX = -Infinity;
  let minY = Infinity;
  let maxY = -Infinity;
  let maxAbs = 0;
  let drawn = 0;
  const finite = (i: number) => Number.isFinite(points[2 * i]) && Number.isFinite(points[2 * i + 1]);
  for (let i = 0; i < n; i++) {
    if (!finite(i)) continue;
    const px = points[2 * i];
    const py = points[2 * i + 1];
    minX = Math.min(minX, px);
    maxX = Math.max(maxX, px);
    minY = Math.min(minY, py);
    maxY = Math.max(maxY, py);
    maxAbs = Math.max(maxAbs, Math.abs(px), Math.abs(py));
    drawn++;
  }
  const centreX = width / 2;
  const centreY = height / 2;
  const x = new Float32Array(n).fill(Number.NaN);
  const y = new Float32Array(n).fill(Number.NaN);
  const rangeX = drawn > 0 ? maxX - minX : 0;
  const rangeY = drawn > 0 ? maxY - minY : 0;
  const relativeSpread = Math.max(rangeX, rangeY) / Math.max(maxAbs, 1);
  const collapsed = drawn > 0 && relativeSpread < COLLAPSE_SPREAD;

  if (drawn === 0 || collapsed) {
    for (let i = 0; i < n; i++) {
      if (!finite(i)) continue;
      x[i] = centreX;
      y[i] = centreY;
    }
    return { x, y, scale: 0, originX: centreX, originY: centreY, drawn, relativeSpread, collapsed };
  }

  const availableX = Math.max(width - 2 * margin, 1);
  const availableY = Math.max(height - 2 * margin, 1);
  // A zero range on one axis (a line of points) leaves the other axis to set the scale.
  const scale = Math.min(rangeX > 0 ? availableX / rangeX : Infinity, rangeY > 0 ? availableY / rangeY : Infinity);
  const midX = (minX + maxX) / 2;
  const midY = (minY + maxY) / 2;
  for (let i = 0; i < n; i++) {
    if (!finite(i)) continue;
    x[i] = centreX + (points[2 * i] - midX) * scale;
    y[i] = centreY - (points[2 * i + 1] - midY) * scale;
  }
  return { x, y, scale, originX: centreX - midX * scale, originY: centreY + midY * scale, drawn, relativeSpread, collapsed };
}

/** "37.5 %" style percentage of a fraction, one decimal; "–" when it is not a number. */
export function formatPercent(fraction: number): string {
  return Number.isFinite(fraction) ? `${(fraction * 100).toFixed(1)} %` : '–';
}
