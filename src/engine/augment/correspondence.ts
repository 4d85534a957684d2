import type { SampledCrop } from './crops';

/**
 * LOCA's position targets, exact from the sampled boxes: for each patch of a query crop, the
 * index of the reference-view patch under the query patch's centre, or −1 when that centre lies
 * outside the reference view.
 *
 * Coordinates follow cropAndResize, which samples a box corner-inclusive: output pixel u of an
 * s-pixel crop of an H-pixel image reads source pixel y1·(H−1) + u·(y2 − y1)·(H−1)/(s−1). A patch
 * covers output pixels [i·p, i·p + p − 1], so its centre is u = i·p + (p − 1)/2. Mapping that
 * centre to the source and back into the reference crop gives a continuous reference pixel
 * coordinate; its patch is floor((u_ref + ½)/p), and the centre is inside when the coordinate
 * lies in [−½, S − ½), the pixels the reference crop covers. A flipped crop samples the box with
 * x1 > x2 (SampledCrop.samplingBox), so raster order is the order the network saw, flip included.
 */
export interface ViewGeometry {
  crop: SampledCrop;
  size: number; // the crop's side in pixels after resizing
}

export const OUTSIDE = -1;

/** Source-image pixel coordinate of crop pixel u along one axis of a sampling box. */
function toSource(start: number, end: number, u: number, size: number, imageSize: number): number {
  const last = imageSize - 1;
  return start * last + (size > 1 ? (u * (end - start) * last) / (size - 1) : ((end - start) * last) / 2);
}

/** Crop pixel coordinate of source coordinate v along one axis (the inverse of toSource). */
function fromSource(start: number, end: number, v: number, size: number, imageSize: number): number {
  const last = imageSize - 1;
  const span = (end - start) * last;
  if (span === 0) return v === start * last ? 0 : Number.NaN;
  return ((v - start * last) * (size - 1)) / span;
}

/**
 * targets[i] for every patch i (raster order) of `query`: the reference patch index
 * (row · referenceGrid + col) or OUTSIDE.
 */
export function patchCorrespondence(
  query: ViewGeometry, reference: ViewGeometry, patchSize: number, imageSize: number,
): Int32Array {
  const queryGrid = query.size / patchSize;
  const referenceGrid = reference.size / patchSize;
  const [qy1, qx1, qy2, qx2] = query.crop.samplingBox;
  const [ry1, rx1, ry2, rx2] = reference.crop.samplingBox;
  const centre = (patchSize - 1) / 2;
  const targets = new Int32Array(queryGrid * queryGrid);
  for (let row = 0; row < queryGrid; row++) {
    const sourceY = toSource(qy1, qy2, row * patchSize + centre, query.size, imageSize);
    const refY = fromSource(ry1, ry2, sourceY, reference.size, imageSize);
    for (let col = 0; col < queryGrid; col++) {
      const sourceX = toSource(qx1, qx2, col * patchSize + centre, query.size, imageSize);
      const refX = fromSource(rx1, rx2, sourceX, reference.size, imageSize);
      targets[row * queryGrid + col] = referencePatch(refY, refX, reference.size, patchSize, referenceGrid);
    }
  }
  return targets;
}

// Coordinates a hair outside [−½, S − ½) from float rounding count as inside (then clamp).
const EPS = 1e-6;

function referencePatch(y: number, x: number, size: number, patchSize: number, grid: number): number {
  if (!(y >= -0.5 - EPS && y < size - 0.5 + EPS && x >= -0.5 - EPS && x < size - 0.5 + EPS)) return OUTSIDE;
  const row = Math.min(grid - 1, Math.max(0, Math.floor((y + 0.5) / patchSize)));
  const col = Math.min(grid - 1, Math.max(0, Math.floor((x + 0.5) / patchSize)));
  return row * grid + col;
}
