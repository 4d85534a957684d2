import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { segmentationLabels } from '../../measures/masks';
import { Rng } from '../random';
import { balancedWeights, bilinearUpsample, bilinearWeights, patchClassFractions, segmentationProbe } from './segmentation';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

afterEach(() => {
  vi.restoreAllMocks();
});

const SIZE = 8; // pixels per side
const GRID = 4; // patches per side: each patch is 2×2 pixels
const CLASSES = 3; // background + 2 shape classes

/**
 * Images with one square of shape class 0 or 1, 1 or 2 patches wide, on whole patches; pixel
 * classes via segmentationLabels (0 background, label + 1 object). Patch features [N, 4, 4, 8]:
 * the one-hot of the patch's class in the first 3 dimensions (the square covers whole patches,
 * so the majority class is the only class), plus N(0, noise²) on all 8; `informative` false
 * leaves only the noise.
 */
function shapes(rng: Rng, count: number, noise: number, informative: boolean) {
  const masks = new Uint8Array(count * SIZE * SIZE);
  const labels = new Int32Array(count);
  const patchClass = new Int32Array(count * GRID * GRID);
  for (let n = 0; n < count; n++) {
    labels[n] = rng.int(2);
    const side = 1 + rng.int(2);
    const top = rng.int(GRID - side + 1);
    const left = rng.int(GRID - side + 1);
    for (let py = top; py < top + side; py++) {
      for (let px = left; px < left + side; px++) {
        patchClass[(n * GRID + py) * GRID + px] = labels[n] + 1;
        for (let y = py * 2; y < py * 2 + 2; y++) for (let x = px * 2; x < px * 2 + 2; x++) masks[(n * SIZE + y) * SIZE + x] = 1;
      }
    }
  }
  const dims = 8;
  const values = new Float32Array(count * GRID * GRID * dims);
  for (let p = 0; p < patchClass.length; p++) {
    for (let d = 0; d < dims; d++) values[p * dims + d] = noise * rng.normal();
    if (informative) values[p * dims + patchClass[p]] += 1;
  }
  return { features: tf.tensor4d(values, [count, GRID, GRID, dims]), pixels: segmentationLabels(masks, labels) };
}

describe('segmentationProbe', () => {
  it('segments features that encode the patch class: mIoU > 0.7, two small readbacks, no leak', async () => {
    const rng = new Rng(5);
    const train = shapes(rng, 40, 0.3, true);
    const test = shapes(rng, 40, 0.3, true);
    const dataCalls = vi.spyOn(tf.Tensor.prototype, 'data');
    const before = tf.memory().numTensors;
    const result = await segmentationProbe(train.features, train.pixels, test.features, test.pixels, CLASSES, SIZE);
    expect(tf.memory().numTensors).toBe(before);
    expect(dataCalls).toHaveBeenCalledTimes(2); // the fit's moments, then the predictions
    expect(result.mIoU).toBeGreaterThan(0.7);
    expect(result.perClass).toHaveLength(CLASSES);
    for (const iou of result.perClass) expect(iou).toBeGreaterThan(0.6);
    tf.dispose([train.features, test.features]);
  });

  it('scores pure-noise features low (about the background IoU over the classes)', async () => {
    // About 84% of the pixels are background (squares of 1 or 2 patches out of 16), so a probe
    // that has nothing to go on predicts background: IoU ≈ 0.84 there, ≈ 0 for the shapes, mIoU ≈ 0.28.
    const rng = new Rng(6);
    const train = shapes(rng, 40, 1, false);
    const test = shapes(rng, 40, 1, false);
    const before = tf.memory().numTensors;
    const result = await segmentationProbe(train.features, train.pixels, test.features, test.pixels, CLASSES, SIZE);
    expect(tf.memory().numTensors).toBe(before);
    expect(result.mIoU).toBeLessThan(0.4);
    tf.dispose([train.features, test.features]);
  });

  it('matches a hand count on a tiny case: constant features → background everywhere', async () => {
    // One 8×8 image with a 4×4 square of shape class 0 (pixel class 1): 48 background pixels, 16
    // object. All features 0: standardised they stay 0, the logits are the bias, and the bias
    // learns the class frequencies, so every pixel is called background (the majority).
    //   background: TP 48, FP 16, FN 0 → 48/64 = 0.75;  class 1: TP 0, FN 16 → 0;
    //   class 2: in neither truth nor prediction → NaN, skipped.  mIoU = (0.75 + 0) / 2 = 0.375.
    const masks = new Uint8Array(SIZE * SIZE);
    for (let y = 2; y < 6; y++) for (let x = 2; x < 6; x++) masks[y * SIZE + x] = 1;
    const pixels = segmentationLabels(masks, Int32Array.from([0]));
    const features = tf.zeros([1, GRID, GRID, 4]) as tf.Tensor4D;
    const result = await segmentationProbe(features, pixels, features, pixels, CLASSES, SIZE);
    expect(result.perClass[0]).toBeCloseTo(0.75, 10);
    expect(result.perClass[1]).toBe(0);
    expect(result.perClass[2]).toBeNaN();
    expect(result.mIoU).toBeCloseTo(0.375, 10);
    features.dispose();
  });

  it('rejects pixel labels that do not match the images', async () => {
    const features = tf.zeros([1, GRID, GRID, 4]) as tf.Tensor4D;
    await expect(segmentationProbe(features, new Int32Array(10), features, new Int32Array(64), CLASSES, SIZE)).rejects.toThrow(/pixel labels/);
    features.dispose();
  });
});

describe('bilinearUpsample', () => {
  it('has the hand-computed weights for 4 cells → 8 pixels', () => {
    // Pixel y samples (y + 0.5)/2 − 0.5: −0.25 (clamped to cell 0), 0.25, 0.75, 1.25, … 3.25 (clamped to 3).
    const expected = [
      [1, 0, 0, 0], [0.75, 0.25, 0, 0], [0.25, 0.75, 0, 0], [0, 0.75, 0.25, 0],
      [0, 0.25, 0.75, 0], [0, 0, 0.75, 0.25], [0, 0, 0.25, 0.75], [0, 0, 0, 1],
    ].flat();
    expect([...bilinearWeights(8, 4)]).toEqual(expected);
    expect([...bilinearWeights(5, 1)]).toEqual([1, 1, 1, 1, 1]);
  });

  it('equals tf.image.resizeBilinear with half-pixel centres', () => {
    const rng = new Rng(7);
    const before = tf.memory().numTensors;
    for (const [grid, size] of [[4, 8], [3, 7], [2, 2], [5, 16]]) {
      const [ours, reference] = tf.tidy(() => {
        const x = tf.tensor4d(Float32Array.from({ length: 2 * grid * grid * 3 }, () => rng.normal()), [2, grid, grid, 3]);
        const weights = tf.tensor2d(bilinearWeights(size, grid), [size, grid]);
        return [bilinearUpsample(x, weights), tf.image.resizeBilinear(x, [size, size], false, true)];
      });
      expect(ours.shape).toEqual([2, size, size, 3]);
      const a = ours.dataSync();
      const b = reference.dataSync();
      for (let i = 0; i < a.length; i++) expect(a[i]).toBeCloseTo(b[i], 5);
      tf.dispose([ours, reference]);
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('back-propagates the exact transpose of the upsampling (what resizeBilinear\'s gradient gets wrong)', () => {
    // The map is linear, so ∂ sum(up(x) · y) / ∂x[i, j] = sum(up(e_ij) · y) for the basis image e_ij.
    const grid = 4;
    const size = 8;
    const rng = new Rng(8);
    const y = tf.tensor4d(Float32Array.from({ length: size * size }, () => rng.normal()), [1, size, size, 1]);
    const weights = tf.tensor2d(bilinearWeights(size, grid), [size, grid]);
    const gradient = tf.grad((x) => tf.sum(tf.mul(bilinearUpsample(x as tf.Tensor4D, weights), y)))(tf.zeros([1, grid, grid, 1]));
    const got = gradient.dataSync();
    for (let i = 0; i < grid * grid; i++) {
      const response = tf.tidy(() => {
        const basis = tf.oneHot(tf.tensor1d([i], 'int32'), grid * grid).reshape([1, grid, grid, 1]).toFloat() as tf.Tensor4D;
        return tf.sum(tf.mul(bilinearUpsample(basis, weights), y));
      });
      expect(got[i]).toBeCloseTo(response.dataSync()[0], 5);
      response.dispose();
    }
    tf.dispose([y, weights, gradient]);
  });
});

describe('patchClassFractions', () => {
  it('gives each patch the share of its pixels in each class', () => {
    // One 4×4 image on a 2×2 grid: the top-left patch holds 3 object pixels of 4, the others none
    // except the bottom-right, which is all object.
    const pixels = Int32Array.from([
      1, 1, 0, 0,
      1, 0, 0, 0,
      0, 0, 1, 1,
      0, 0, 1, 1,
    ]);
    expect(Array.from(patchClassFractions(pixels, 1, 4, 2, 2))).toEqual([0.25, 0.75, 1, 0, 1, 0, 0, 1]);
  });
});

describe('balancedWeights', () => {
  it('gives every class present the same total weight', () => {
    // Rows (fractions of 2 classes): three background rows, one object row. Shares: 0.75 / 0.25.
    const fractions = Float32Array.from([1, 0, 1, 0, 1, 0, 0, 1]);
    const weights = Array.from(balancedWeights(fractions, 2));
    weights.forEach((w, i) => expect(w).toBeCloseTo([4 / 3, 4 / 3, 4 / 3, 4][i], 6));
    // Totals per class: 3 · 4/3 = 4 for background, 4 for the object.
  });
});
