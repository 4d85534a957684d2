/**
 * LOCA's position probe as the position view reads it: the student's predicted distributions over
 * reference patches, read back for a few images, cut into one example per image with every
 * query's full patch grid (unused patches marked) and its correspondence targets.
 */
import { patchCorrespondence } from '../../engine/augment/correspondence';
import type { SampledCrop } from '../../engine/augment/crops';
import type { PositionExample, PositionProbe, PositionQuery } from '../probes';
import type { ProbeInput } from '../types';
import type { LocaConfig } from './config';

/** One step's (or one probe's) views of B images, with every index the forward pass needs. */
export interface Views {
  references: SampledCrop[]; // [B]
  queries: SampledCrop[]; // [B] the large query
  focals: SampledCrop[]; // [F·B], focal-major (row f·B + b), as scenic's prepare_input
  queryKeep: Int32Array; // large-query patches through the student (one subset for the batch)
  referenceKeep: Int32Array; // the contiguous run of visible reference patches
  /** Per image: the large query's kept patches' targets, then each focal query's: [B·Tq]. */
  targets: Int32Array;
}

/** Patches of the student's query tokens per image: the large query's kept ones, then the focal queries'. */
export function queryTokensPerImage(c: LocaConfig): number {
  return c.sizes.queryKept + c.focalQueries * c.sizes.focalPatches;
}

/** Cuts the read-back arrays into one example per probe image (full query grids, unused patches marked). */
export function positionPayload(
  c: LocaConfig, input: ProbeInput, step: number, views: Views, count: number,
  data: { referencePixels: Float32Array; queryPixels: Float32Array; focalPixels: Float32Array; predictions: Float32Array },
): PositionProbe {
  const S = c.vit.imageSize;
  const { referenceGrid, referencePatches, focalPatches, queryKept } = c.sizes;
  const perImage = queryTokensPerImage(c);
  const imageArea = S * S * 3;
  const focalArea = c.focalSize * c.focalSize * 3;
  let hits = 0;
  let inside = 0;
  const examples: PositionExample[] = [];
  for (let b = 0; b < count; b++) {
    const rowsOf = (first: number, n: number) =>
      data.predictions.slice((b * perImage + first) * referencePatches, (b * perImage + first + n) * referencePatches);
    // The large query: all its patches, with predictions only for the kept ones.
    const largeTargets = patchCorrespondence({ crop: views.queries[b], size: S }, { crop: views.references[b], size: S }, c.vit.patchSize, S);
    const used = new Uint8Array(referencePatches);
    const largePredictions = new Float32Array(referencePatches * referencePatches);
    const keptRows = rowsOf(0, queryKept);
    views.queryKeep.forEach((patch, k) => {
      used[patch] = 1;
      largePredictions.set(keptRows.subarray(k * referencePatches, (k + 1) * referencePatches), patch * referencePatches);
    });
    const queries: PositionQuery[] = [{
      role: 'random', size: S, grid: referenceGrid, box: views.queries[b].box, flipped: views.queries[b].flipped,
      pixels: data.queryPixels.slice(b * imageArea, (b + 1) * imageArea),
      targets: largeTargets, used, predictions: largePredictions,
    }];
    for (let f = 0; f < c.focalQueries; f++) {
      const crop = views.focals[f * count + b];
      const row = f * count + b;
      queries.push({
        role: 'focal', size: c.focalSize, grid: c.sizes.focalGrid, box: crop.box, flipped: crop.flipped,
        pixels: data.focalPixels.slice(row * focalArea, (row + 1) * focalArea),
        targets: views.targets.slice(b * perImage + queryKept + f * focalPatches, b * perImage + queryKept + (f + 1) * focalPatches),
        used: new Uint8Array(focalPatches).fill(1),
        predictions: rowsOf(queryKept + f * focalPatches, focalPatches),
      });
    }
    for (const q of queries) {
      for (let p = 0; p < q.targets.length; p++) {
        if (!q.used[p] || q.targets[p] < 0) continue;
        inside++;
        if (argmax(q.predictions, p * referencePatches, referencePatches) === q.targets[p]) hits++;
      }
    }
    const kept = new Uint8Array(referencePatches);
    for (const index of views.referenceKeep) kept[index] = 1;
    examples.push({
      original: input.pixels.slice(b * imageArea, (b + 1) * imageArea),
      reference: {
        size: S, pixels: data.referencePixels.slice(b * imageArea, (b + 1) * imageArea),
        box: views.references[b].box, flipped: views.references[b].flipped, kept,
      },
      queries,
    });
  }
  return {
    kind: 'position', step, imageSize: S, patchSize: c.vit.patchSize, referenceGrid, maskRatio: c.maskRatio,
    examples, accuracy: inside > 0 ? hits / inside : 0,
  };
}

function argmax(values: Float32Array, offset: number, length: number): number {
  let best = 0;
  for (let i = 1; i < length; i++) if (values[offset + i] > values[offset + best]) best = i;
  return best;
}
