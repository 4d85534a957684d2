/**
 * Every colour a chart line, a run, a class or a level is drawn in, in one place. The first
 * eight are Okabe and Ito's palette, told apart under the common colour-vision deficiencies;
 * wine, olive, indigo and teal (Paul Tol's) extend it past eight. Greys are for schedules,
 * baselines and references, never for a method's own curve. Plain data: methods (chart specs)
 * and the page (views) both read it; a dark theme swaps this table.
 */
export const PALETTE = {
  blue: '#0072B2',
  vermillion: '#D55E00',
  green: '#009E73',
  orange: '#E69F00',
  purple: '#CC79A7',
  sky: '#56B4E9',
  yellow: '#F0E442',
  black: '#000000',
  wine: '#882255',
  olive: '#999933',
  indigo: '#332288',
  teal: '#44AA99',
  /** Schedules (lr, momentum, σ) and other curves that are settings, not results. */
  slate: '#64748b',
  /** Baselines and reference lines. */
  grey: '#8a8f9c',
  /** The supervised reference: drawn darkest, as the bar to reach. */
  ink: '#1f2937',
} as const;

const P = PALETTE;

/** Runs of a comparison, in the order they are added. */
export const RUN_COLORS = [P.blue, P.vermillion, P.green, P.purple, P.orange, P.sky, P.olive, P.wine];

/** Classes in the embedding view (label i takes colour i mod the length). */
export const CLASS_COLORS = [P.blue, P.orange, P.green, P.vermillion, P.purple, P.sky, P.yellow, P.black, P.wine, P.olive];

/** Levels of a feature pyramid, coarse to fine or fine to coarse as the method lists them. */
export const LEVEL_COLORS = [P.blue, P.green, P.orange, P.purple];

/** Marks drawn over images (crop boxes, query arrows): saturated, apart from each other. */
export const MARK_COLORS = [P.blue, P.vermillion, P.green, P.purple, P.orange, P.sky, P.wine, P.teal, P.indigo, P.olive];

/** Reference lines on a metric chart (greys and muted tones, never a run's colour). */
export const REFERENCE_COLORS = [P.grey, '#b07d3a', '#5f8a6b', '#8a6bb0'];
