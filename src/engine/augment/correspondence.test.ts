import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { OUTSIDE, patchCorrespondence } from './correspondence';
import { sampleResizedCrop, type SampledCrop } from './crops';
import { Rng } from '../random';

const IMAGE = 16;
const PATCH = 4;
const X = OUTSIDE;

/** A crop of pixel rows [top, top+h) and columns [left, left+w), as sampleResizedCrop builds it. */
function pixelCrop(top: number, left: number, h: number, w: number, flipped = false): SampledCrop {
  const last = IMAGE - 1;
  const box: SampledCrop['box'] = [top / last, left / last, (top + h - 1) / last, (left + w - 1) / last];
  return { box, flipped, samplingBox: flipped ? [box[0], box[3], box[2], box[1]] : box };
}

const targets = (query: SampledCrop, querySize: number, reference: SampledCrop, referenceSize: number) =>
  Array.from(patchCorrespondence({ crop: query, size: querySize }, { crop: reference, size: referenceSize }, PATCH, IMAGE));

describe('patchCorrespondence', () => {
  const whole = pixelCrop(0, 0, 16, 16);

  it('maps a query quadrant onto the reference patches under it', () => {
    // Query = the top-left 8×8 pixels at native size: its 2×2 patches are reference patches 0, 1, 4, 5.
    expect(targets(pixelCrop(0, 0, 8, 8), 8, whole, 16)).toEqual([0, 1, 4, 5]);
    expect(targets(pixelCrop(8, 8, 8, 8), 8, whole, 16)).toEqual([10, 11, 14, 15]);
  });

  it('follows a flipped query: raster order is the order the student saw', () => {
    // Flipped, the query's first column shows source columns 4–7.
    expect(targets(pixelCrop(0, 0, 8, 8, true), 8, whole, 16)).toEqual([1, 0, 5, 4]);
  });

  it('follows a flipped reference', () => {
    expect(targets(pixelCrop(0, 0, 8, 8), 8, pixelCrop(0, 0, 16, 16, true), 16)).toEqual([3, 2, 7, 6]);
  });

  it('is the identity for a view against itself, flipped or not', () => {
    const identity = Array.from({ length: 16 }, (_, i) => i);
    expect(targets(whole, 16, whole, 16)).toEqual(identity);
    const flipped = pixelCrop(2, 3, 11, 9, true);
    expect(targets(flipped, 16, flipped, 16)).toEqual(identity);
  });

  it('marks patches outside a partially overlapping reference', () => {
    // Reference: pixels 0–7 upsampled to 16 px (corner-inclusive: source = u·7/15). Query: pixels
    // 4–11 at 8 px. The query's first patch centre, source 5.5, lands at reference 5.5·15/7 =
    // 11.8, row and column floor(12.3/4) = 3 → patch 15; the other centres (source 9.5 → 20.4)
    // fall past the reference's last pixel (15.5).
    expect(targets(pixelCrop(4, 4, 8, 8), 8, pixelCrop(0, 0, 8, 8), 16)).toEqual([15, X, X, X]);
  });

  it('marks every patch of a query that does not overlap the reference', () => {
    expect(targets(pixelCrop(0, 8, 16, 8), 8, pixelCrop(0, 0, 16, 8), 8)).toEqual([X, X, X, X]);
  });

  it('handles a query larger than the reference', () => {
    // Reference: the centre 8×8 pixels at native size (patches of 4 px). Query: the whole image;
    // its patch centres at source 5.5 and 9.5 land on reference rows/columns 0 and 1.
    expect(targets(whole, 16, pixelCrop(4, 4, 8, 8), 8)).toEqual([
      X, X, X, X,
      X, 0, 1, X,
      X, 2, 3, X,
      X, X, X, X,
    ]);
  });

  it('agrees with cropAndResize itself on random crops', () => {
    // A coordinate image (each pixel holds its own row and column) cropped by the query box gives
    // the source position of every query patch centre; the reference box's own crop of it says
    // which reference patch covers that position.
    const rng = new Rng(7);
    const coords = tf.tensor4d(
      Array.from({ length: IMAGE * IMAGE }, (_, i) => [Math.floor(i / IMAGE), i % IMAGE, 0]).flat(), [1, IMAGE, IMAGE, 3],
    );
    for (let trial = 0; trial < 20; trial++) {
      const reference = sampleResizedCrop(rng, IMAGE, [0.3, 1], undefined, 0.5);
      const query = sampleResizedCrop(rng, IMAGE, [0.1, 0.5], undefined, 0.5);
      const querySize = 8;
      const got = targets(query, querySize, reference, 16);
      const crop = tf.image.cropAndResize(coords, tf.tensor2d([query.samplingBox]), [0], [querySize, querySize]);
      const pixels = crop.dataSync();
      const refCrop = tf.image.cropAndResize(coords, tf.tensor2d([reference.samplingBox]), [0], [16, 16]).dataSync();
      for (let row = 0; row < 2; row++) {
        for (let col = 0; col < 2; col++) {
          // Centre of a 4-px patch = mean of its 4 central pixels (bilinear sampling is linear).
          let y = 0;
          let x = 0;
          for (const dy of [1, 2]) for (const dx of [1, 2]) {
            const at = ((row * PATCH + dy) * querySize + col * PATCH + dx) * 3;
            y += pixels[at] / 4;
            x += pixels[at + 1] / 4;
          }
          // Nearest reference pixel to (y, x) in source space, if it is within half a reference pixel.
          const step = [(refCrop[16 * 3] - refCrop[0]), (refCrop[3 + 1] - refCrop[1])]; // source px per reference px
          const ry = (y - refCrop[0]) / step[0];
          const rx = (x - refCrop[1]) / step[1];
          const inside = ry >= -0.5 - 1e-4 && ry < 15.5 + 1e-4 && rx >= -0.5 - 1e-4 && rx < 15.5 + 1e-4;
          const expected = inside
            ? Math.min(3, Math.max(0, Math.floor((ry + 0.5) / PATCH))) * 4 + Math.min(3, Math.max(0, Math.floor((rx + 0.5) / PATCH)))
            : X;
          expect(got[row * 2 + col], `trial ${trial} patch ${row},${col}`).toBe(expected);
        }
      }
      tf.dispose(crop);
    }
    coords.dispose();
  });
});
