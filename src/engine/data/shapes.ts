/**
 * The `shapes` dataset: procedurally generated, seeded RGB images with one main object each.
 *
 * Why procedural: it needs no download, is identical in the browser, in a Web Worker and in
 * Node, and gives a ground-truth mask per image so a run can probe what a self-supervised
 * encoder learned (linear probe on the label, segmentation probe on the mask).
 *
 * The label is the object's SHAPE, never its colour: colour, size, position, rotation and
 * background are nuisance factors drawn at random, so an encoder must become invariant to
 * them to classify well. Pure typed arrays, no tfjs, no DOM.
 */
import { Rng } from '../random';

/** Class names, index = label. Chosen to stay distinguishable at 16 px under any rotation. */
export const SHAPE_CLASSES: readonly string[] = Object.freeze([
  'circle',
  'square',
  'triangle',
  'star',
  'cross',
  'ring',
  'diamond',
  'heart',
  'crescent',
  'arrow',
]);

export type ShapesSplit = 'train' | 'heldout';

export interface ShapesOptions {
  /** Side in pixels: 16, 32 or 64. */
  imageSize: number;
  /** Number of images N (positive integer). */
  count: number;
  seed: number;
  /** 'heldout' draws from streams disjoint from 'train' for the same seed. */
  split: ShapesSplit;
  /** 0–2 small blobs under the object (not in the mask), default true. */
  distractors?: boolean;
  /** Backgrounds: 'hard' (default) draws four kinds of textured ones; 'easy' a gentle gradient. */
  difficulty?: ShapesDifficulty;
}

/**
 * How much the background competes with the object. 'hard': gradients, value noise, stripes and
 * checkerboards of random colours — two crops of one image share a texture no other image has,
 * so instance discrimination can succeed on the background alone. 'easy': a gentle gradient
 * between two nearby colours, and objects of 65–80 % of the side, so size is no longer an
 * instance cue either: what tells one image from another is mostly the object's shape, colour
 * and pose, and colour and pose still vary at random, so raw pixels stay far from the label.
 */
export type ShapesDifficulty = 'easy' | 'hard';
export const SHAPES_DIFFICULTIES: readonly ShapesDifficulty[] = ['easy', 'hard'];

export interface ImageSet {
  size: number; // H = W
  count: number; // N
  images: Float32Array; // [N, H, W, 3] row-major, values in [0, 1]
  /** [N, H, W], 1 = pixel belongs to the main object; null for images without masks (own images). */
  masks: Uint8Array | null;
  labels: Int32Array; // [N], index into classNames
  classNames: readonly string[];
}

const ALLOWED_SIZES = [16, 32, 64];
/** Samples per pixel side for antialiased coverage (4×4 = coverage in steps of 1/16). */
const SUPERSAMPLE = 4;
/** Minimum RGB distance between the object colour and what lies under it. */
const MIN_CONTRAST = 0.45;

type Inside = (x: number, y: number) => boolean;
type Rgb = [number, number, number];

// Point-in-shape tests in the object's local frame: the shape fits in the unit disc.
const COS36 = Math.cos(Math.PI / 5);
const SIN36 = Math.sin(Math.PI / 5);
const STAR_INNER = 0.45;

const SHAPE_TESTS: readonly Inside[] = [
  // circle
  (x, y) => x * x + y * y <= 0.8,
  // square (diagonal ≈ 0.99)
  (x, y) => Math.abs(x) <= 0.68 && Math.abs(y) <= 0.68,
  // triangle: equilateral, vertices on the unit circle; inside iff all 3 edge half-planes hold
  (x, y) => y >= -0.5 && 0.866 * x - 0.5 * y >= -0.5 && -0.866 * x - 0.5 * y >= -0.5,
  // star: 5 points; fold the angle into [0°, 36°] and test against the outer→inner edge
  (x, y) => {
    const rho = Math.hypot(x, y);
    if (rho > 1) return false;
    const sector = (2 * Math.PI) / 5;
    let phi = Math.atan2(y, x) % sector;
    if (phi < 0) phi += sector;
    const psi = Math.min(phi, sector - phi);
    const px = rho * Math.cos(psi);
    const py = rho * Math.sin(psi);
    const ex = STAR_INNER * COS36 - 1;
    const ey = STAR_INNER * SIN36;
    // Inside = same side of the edge (1,0)→inner vertex as the origin (cross = ey > 0).
    return ex * py - ey * (px - 1) >= 0;
  },
  // cross (plus)
  (x, y) => {
    const ax = Math.abs(x);
    const ay = Math.abs(y);
    return (ax <= 0.3 && ay <= 0.92) || (ay <= 0.3 && ax <= 0.92);
  },
  // ring (annulus), thick enough to keep its hole at 16 px
  (x, y) => {
    const r2 = x * x + y * y;
    return r2 <= 0.92 && r2 >= 0.2;
  },
  // diamond: an elongated rhombus, so no rotation turns a square into it
  (x, y) => Math.abs(x) / 0.6 + Math.abs(y) / 0.98 <= 1,
  // heart: implicit curve (x²+y²−1)³ − x²y³ ≤ 0, scaled to fit the unit disc
  (x, y) => {
    const hx = x / 0.78;
    const hy = -y / 0.78 + 0.15;
    const a = hx * hx + hy * hy - 1;
    return a * a * a - hx * hx * hy * hy * hy <= 0;
  },
  // crescent: a disc minus an offset disc
  (x, y) => x * x + y * y <= 0.9 && (x - 0.45) * (x - 0.45) + y * y >= 0.55,
  // arrow: shaft plus triangular head, pointing along +x
  (x, y) => {
    const ay = Math.abs(y);
    if (x >= -0.95 && x <= 0.05) return ay <= 0.22;
    if (x > 0.05 && x <= 0.95) return ay <= (0.7 * (0.95 - x)) / 0.9;
    return false;
  },
];

/** A colour from HSV, so hues are spread evenly and greys/dark tones still occur. */
function randomColour(rng: Rng, minSat = 0, minVal = 0.1): Rgb {
  const h = rng.next() * 6;
  const s = rng.uniform(minSat, 1);
  const v = rng.uniform(minVal, 1);
  const i = Math.floor(h);
  const f = h - i;
  const p = v * (1 - s);
  const q = v * (1 - s * f);
  const t = v * (1 - s * (1 - f));
  switch (i % 6) {
    case 0: return [v, t, p];
    case 1: return [q, v, p];
    case 2: return [p, v, t];
    case 3: return [p, q, v];
    case 4: return [t, p, v];
    default: return [v, p, q];
  }
}

const clamp01 = (v: number) => (v < 0 ? 0 : v > 1 ? 1 : v);

/** Shift each channel by up to ±amount: a low-contrast companion colour. */
function nearColour(rng: Rng, base: Rgb, amount: number): Rgb {
  return [0, 1, 2].map((c) => clamp01(base[c] + rng.uniform(-amount, amount))) as Rgb;
}

/** A linear gradient from c1 to c2 along (dx, dy) across the whole image. */
function gradient(out: Float32Array, size: number, dx: number, dy: number, c1: Rgb, c2: Rgb): void {
  const half = (Math.abs(dx) + Math.abs(dy)) * size * 0.5;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const proj = (x + 0.5 - size / 2) * dx + (y + 0.5 - size / 2) * dy;
      const t = 0.5 + (0.5 * proj) / half;
      const o = (y * size + x) * 3;
      for (let c = 0; c < 3; c++) out[o + c] = c1[c] + (c2[c] - c1[c]) * t;
    }
  }
}

/** Fill `out` ([S, S, 3]) with one of four procedural background kinds (easy: a gentle gradient only). */
function drawBackground(rng: Rng, out: Float32Array, size: number, easy: boolean): void {
  if (easy) {
    const angle = rng.uniform(0, 2 * Math.PI);
    const c1 = randomColour(rng);
    const c2 = nearColour(rng, c1, 0.15);
    gradient(out, size, Math.cos(angle), Math.sin(angle), c1, c2);
    return;
  }
  const kind = rng.int(4);
  const angle = rng.uniform(0, 2 * Math.PI);
  const dx = Math.cos(angle);
  const dy = Math.sin(angle);
  const c1 = randomColour(rng);
  if (kind === 0) {
    // Linear gradient between two random colours.
    gradient(out, size, dx, dy, c1, randomColour(rng));
  } else if (kind === 1) {
    // Low-frequency value noise: a coarse grid of nearby colours, smoothly interpolated.
    const g = 2 + rng.int(3);
    const nodes: Rgb[] = [];
    for (let i = 0; i < (g + 1) * (g + 1); i++) nodes.push(nearColour(rng, c1, 0.3));
    for (let y = 0; y < size; y++) {
      const gy = ((y + 0.5) / size) * g;
      const iy = Math.min(Math.floor(gy), g - 1);
      const ty = gy - iy;
      const sy = ty * ty * (3 - 2 * ty);
      for (let x = 0; x < size; x++) {
        const gx = ((x + 0.5) / size) * g;
        const ix = Math.min(Math.floor(gx), g - 1);
        const tx = gx - ix;
        const sx = tx * tx * (3 - 2 * tx);
        const a = nodes[iy * (g + 1) + ix];
        const b = nodes[iy * (g + 1) + ix + 1];
        const cc = nodes[(iy + 1) * (g + 1) + ix];
        const d = nodes[(iy + 1) * (g + 1) + ix + 1];
        const o = (y * size + x) * 3;
        for (let c = 0; c < 3; c++) {
          const top = a[c] + (b[c] - a[c]) * sx;
          const bottom = cc[c] + (d[c] - cc[c]) * sx;
          out[o + c] = top + (bottom - top) * sy;
        }
      }
    }
  } else {
    // Low-contrast stripes (kind 2) or checkerboard (kind 3).
    const c2 = nearColour(rng, c1, 0.15);
    const cycles = rng.uniform(1.5, 5);
    const phase = rng.uniform(0, 2 * Math.PI);
    const cells = 2 + rng.int(5);
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        let t: number;
        if (kind === 2) {
          const proj = ((x + 0.5) * dx + (y + 0.5) * dy) / size;
          t = 0.5 + 0.5 * Math.sin(2 * Math.PI * cycles * proj + phase);
        } else {
          t = (Math.floor((x * cells) / size) + Math.floor((y * cells) / size)) & 1;
        }
        const o = (y * size + x) * 3;
        for (let c = 0; c < 3; c++) out[o + c] = c1[c] + (c2[c] - c1[c]) * t;
      }
    }
  }
}

/**
 * Antialiased coverage of a shape placed at (cx, cy) with radius r and rotation theta,
 * written into `cover` ([S, S], 0..1); only the bounding box is sampled, for speed.
 */
function rasterise(inside: Inside, cover: Float32Array, size: number, cx: number, cy: number, r: number, theta: number): void {
  cover.fill(0);
  const cos = Math.cos(theta) / r;
  const sin = Math.sin(theta) / r;
  const x0 = Math.max(0, Math.floor(cx - r));
  const x1 = Math.min(size - 1, Math.ceil(cx + r));
  const y0 = Math.max(0, Math.floor(cy - r));
  const y1 = Math.min(size - 1, Math.ceil(cy + r));
  const step = 1 / SUPERSAMPLE;
  const weight = step * step;
  for (let py = y0; py <= y1; py++) {
    for (let px = x0; px <= x1; px++) {
      let hits = 0;
      for (let sy = 0; sy < SUPERSAMPLE; sy++) {
        const dy = py + (sy + 0.5) * step - cy;
        for (let sx = 0; sx < SUPERSAMPLE; sx++) {
          const dx = px + (sx + 0.5) * step - cx;
          // Rotate the sample into the shape's local frame (inverse rotation, scaled by 1/r).
          if (inside(cos * dx + sin * dy, -sin * dx + cos * dy)) hits++;
        }
      }
      cover[py * size + px] = hits * weight;
    }
  }
}

/** Alpha-blend a solid colour over `img` with per-pixel coverage. */
function composite(img: Float32Array, cover: Float32Array, colour: Rgb): void {
  for (let p = 0; p < cover.length; p++) {
    const a = cover[p];
    if (a === 0) continue;
    for (let c = 0; c < 3; c++) img[p * 3 + c] += (colour[c] - img[p * 3 + c]) * a;
  }
}

/** Smallest RGB distance between `colour` and the image under the mask pixels. */
function minDistanceUnder(img: Float32Array, cover: Float32Array, colour: Rgb): number {
  let best = Infinity;
  for (let p = 0; p < cover.length; p++) {
    if (cover[p] < 0.5) continue;
    const d0 = img[p * 3] - colour[0];
    const d1 = img[p * 3 + 1] - colour[1];
    const d2 = img[p * 3 + 2] - colour[2];
    best = Math.min(best, d0 * d0 + d1 * d1 + d2 * d2);
  }
  return Math.sqrt(best);
}

/** Render image i into the given views; returns nothing, everything is drawn from `rng`. */
function renderOne(rng: Rng, label: number, size: number, distractors: boolean, easy: boolean, img: Float32Array, mask: Uint8Array, cover: Float32Array): void {
  drawBackground(rng, img, size, easy);
  if (distractors) {
    // Drawn first, UNDER the object, so they never enter or cut the mask.
    const n = rng.int(3);
    for (let k = 0; k < n; k++) {
      const r = rng.uniform(0.04, 0.085) * size; // ≤ ~2.3% of the area each
      const cx = rng.uniform(r, size - r);
      const cy = rng.uniform(r, size - r);
      rasterise(SHAPE_TESTS[0], cover, size, cx, cy, r / Math.sqrt(0.8), 0);
      composite(img, cover, randomColour(rng, 0.3, 0.2));
    }
  }
  // Extent (bounding-disc diameter) 35–75% of the side (50–80% at 16 px, where a 6 px arrow
  // or star is an unrecognisable blob), fully inside the image.
  const r = (easy ? rng.uniform(0.65, 0.8) : size <= 16 ? rng.uniform(0.5, 0.8) : rng.uniform(0.35, 0.75)) * size * 0.5;
  const cx = rng.uniform(r, size - r);
  const cy = rng.uniform(r, size - r);
  const theta = rng.uniform(0, 2 * Math.PI);
  rasterise(SHAPE_TESTS[label], cover, size, cx, cy, r, theta);
  // Redraw the colour until it stands out everywhere under the object; keep the best try.
  let colour = randomColour(rng, 0.2, 0.15);
  let bestDist = minDistanceUnder(img, cover, colour);
  for (let tries = 0; tries < 40 && bestDist < MIN_CONTRAST; tries++) {
    const candidate = randomColour(rng, 0.2, 0.15);
    const d = minDistanceUnder(img, cover, candidate);
    if (d > bestDist) {
      colour = candidate;
      bestDist = d;
    }
  }
  composite(img, cover, colour);
  for (let p = 0; p < cover.length; p++) mask[p] = cover[p] >= 0.5 ? 1 : 0;
  for (let k = 0; k < img.length; k++) img[k] = clamp01(img[k]);
}

function validate(options: ShapesOptions): void {
  const { imageSize, count, split } = options;
  if (!ALLOWED_SIZES.includes(imageSize)) {
    throw new Error(`shapes: imageSize must be one of ${ALLOWED_SIZES.join(', ')}, got ${imageSize}`);
  }
  if (!Number.isInteger(count) || count <= 0) {
    throw new Error(`shapes: count must be a positive integer, got ${count}`);
  }
  if (!Number.isFinite(options.seed)) throw new Error(`shapes: seed must be a finite number, got ${options.seed}`);
  if (options.difficulty !== undefined && !SHAPES_DIFFICULTIES.includes(options.difficulty)) {
    throw new Error(`shapes: difficulty must be one of ${SHAPES_DIFFICULTIES.join(', ')}, got ${String(options.difficulty)}`);
  }
  if (split !== 'train' && split !== 'heldout') {
    throw new Error(`shapes: split must be 'train' or 'heldout', got ${String(split)}`);
  }
}

/**
 * Generate N images. Image i depends only on (seed, split, i, imageSize, distractors, difficulty): each
 * image draws from its own stream, so splits are disjoint and a larger count keeps the prefix.
 * Labels: every block of 10 consecutive images is a seeded permutation of the 10 classes, so
 * classes stay balanced for any count and all appear once count >= 10.
 */
export function generateShapes(options: ShapesOptions): ImageSet & { masks: Uint8Array } {
  validate(options);
  const { imageSize: size, count, seed, split } = options;
  const distractors = options.distractors ?? true;
  const easy = options.difficulty === 'easy';
  const pixels = size * size;
  const images = new Float32Array(count * pixels * 3);
  const masks = new Uint8Array(count * pixels);
  const labels = new Int32Array(count);
  const cover = new Float32Array(pixels);
  const classes = SHAPE_CLASSES.length;
  let order: Int32Array = new Int32Array(0);
  for (let i = 0; i < count; i++) {
    if (i % classes === 0) order = Rng.stream(seed, `shapes:${split}:labels:${i / classes}`).permutation(classes);
    const label = order[i % classes];
    labels[i] = label;
    const rng = Rng.stream(seed, `shapes:${split}:${i}`);
    renderOne(rng, label, size, distractors, easy, images.subarray(i * pixels * 3, (i + 1) * pixels * 3), masks.subarray(i * pixels, (i + 1) * pixels), cover);
  }
  return { size, count, images, masks, labels, classNames: SHAPE_CLASSES };
}
