import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { maskedFromOrder } from '../../measures/masking';
import { Rng } from '../random';
import {
  maskedMeanSquaredError, maskFromOrder, normalizedPixelTargets, normalizeFeatures, patchify, sampleMask, unpatchify,
  visibleCount,
} from './mim';

/**
 * Reference numbers: float64 numpy from scripts/reference/itpn_reference.py, which restates
 * sunsmarterjie/iTPN itpn_pixel/models/masked_autoencoder.py (patchify; forward_loss with
 * norm_pix_loss=True, torch's unbiased variance; masking_id). B = 2, S = 4, p = 2, C = 3, so
 * N = 4 patches of K = 12 values. Image (NHWC, flat) sin(1 + 0.37·i), prediction ([B, N, K],
 * flat) cos(0.5 + 0.23·i), mask [[1, 0, 1, 1], [0, 1, 1, 0]] (1 = masked).
 */
const [B, S, P, C] = [2, 4, 2, 3];
const image = () => tf.tensor4d(Array.from({ length: B * S * S * C }, (_, i) => Math.sin(1 + 0.37 * i)), [B, S, S, C]);
const prediction = () => tf.tensor3d(Array.from({ length: B * 4 * 12 }, (_, i) => Math.cos(0.5 + 0.23 * i)), [B, 4, 12]);
const MASK = [1, 0, 1, 1, 0, 1, 1, 0];
const REFERENCE = {
  patch00: [0.841471, 0.979908, 0.985719, 0.858118, 0.614374, 0.287478, -0.746765, -0.455724, -0.103002, 0.26366, 0.594637, 0.845133],
  mean: [0.413751, -0.040096, -0.217211, -0.219115, -0.042215, 0.41489, 0.289419, -0.490547],
  std: [0.579612, 0.772565, 0.72577, 0.724888, 0.772392, 0.578358, 0.6859, 0.478649],
  target00: [0.737943, 0.976787, 0.986813, 0.766663, 0.346134, -0.217857, -2.002229, -1.500098, -0.89155, -0.25895, 0.312083, 0.744261],
  target13: [-1.064127, -0.911526, -0.496845, 0.123792, 0.866383, 1.630424, 1.556944, 0.790357, 0.055507, -0.548145, -0.938898, -1.063867],
  loss: 1.43423,
  biasedLoss: 1.518079, // the same loss with var divided by K instead of K − 1
  zeroPredictionLoss: 0.916664, // ≈ (K − 1)/K: a unit-unbiased-variance target has mean square 11/12
};

const close = (actual: ArrayLike<number>, expected: number[], tolerance = 1e-5) =>
  expected.forEach((e, i) => expect(Math.abs(actual[i] - e), `entry ${i}: ${actual[i]} vs ${e}`).toBeLessThan(tolerance));
const value = (t: tf.Tensor) => t.dataSync()[0];

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('patchify', () => {
  it('orders patches in raster order and values (row, column, channel) within a patch', () => {
    // One 4×4 image with 2 channels; pixel (y, x) holds [10·y + x, −(10·y + x)].
    const values: number[] = [];
    for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) values.push(10 * y + x, -(10 * y + x));
    const patches = patchify(tf.tensor4d(values, [1, 4, 4, 2]), 2);
    expect(patches.shape).toEqual([1, 4, 8]);
    const rows = patches.arraySync()[0];
    expect(rows[0]).toEqual([0, -0, 1, -1, 10, -10, 11, -11]);
    expect(rows[1]).toEqual([2, -2, 3, -3, 12, -12, 13, -13]); // top right
    expect(rows[2]).toEqual([20, -20, 21, -21, 30, -30, 31, -31]); // bottom left
    expect(rows[3]).toEqual([22, -22, 23, -23, 32, -32, 33, -33]);
  });

  it('matches the reference patches and unpatchify inverts it', () => {
    const x = image();
    const patches = patchify(x, P);
    close(patches.arraySync()[0][0], REFERENCE.patch00);
    expect(Array.from(unpatchify(patches, P, C).dataSync())).toEqual(Array.from(x.dataSync()));
    const rng = new Rng(4);
    const big = tf.tensor4d(Array.from({ length: 3 * 8 * 8 * 5 }, () => rng.normal()), [3, 8, 8, 5]);
    for (const p of [1, 2, 4, 8]) {
      expect(Array.from(unpatchify(patchify(big, p), p, 5).dataSync())).toEqual(Array.from(big.dataSync()));
    }
    expect(() => patchify(big, 3)).toThrow(/does not split/);
    expect(() => unpatchify(patchify(big, 2), 2)).toThrow(/not a square grid/); // 5 channels, default 3
  });
});

describe('normalised pixel targets and the masked loss', () => {
  it('match forward_loss with norm_pix_loss (unbiased variance)', () => {
    const { target, mean, std } = normalizedPixelTargets(patchify(image(), P));
    close(mean.dataSync(), REFERENCE.mean);
    close(std.dataSync(), REFERENCE.std);
    const rows = target.arraySync();
    close(rows[0][0], REFERENCE.target00);
    close(rows[1][3], REFERENCE.target13);
    const mask = tf.tensor2d(MASK, [B, 4]);
    expect(Math.abs(value(maskedMeanSquaredError(prediction(), target, mask)) - REFERENCE.loss)).toBeLessThan(1e-5);
    expect(Math.abs(value(maskedMeanSquaredError(tf.zerosLike(target), target, mask)) - REFERENCE.zeroPredictionLoss)).toBeLessThan(1e-5);
    // Un-normalising the target gives the patches back.
    close(tf.add(tf.mul(target, std), mean).dataSync(), Array.from(patchify(image(), P).dataSync()));
  });

  it('the biased variance gives a different loss, so the test tells them apart', () => {
    const patches = patchify(image(), P);
    const { mean, variance } = tf.moments(patches, -1, true); // biased: divides by K
    const biasedTarget = tf.div(tf.sub(patches, mean), tf.sqrt(tf.add(variance, 1e-6))) as tf.Tensor3D;
    const biased = value(maskedMeanSquaredError(prediction(), biasedTarget, tf.tensor2d(MASK, [B, 4])));
    expect(Math.abs(biased - REFERENCE.biasedLoss)).toBeLessThan(1e-5);
    expect(Math.abs(biased - REFERENCE.loss)).toBeGreaterThan(0.05);
  });

  it('ignores kept patches: same loss when they change, gradient only at masked patches', () => {
    const { target } = normalizedPixelTargets(patchify(image(), P));
    const mask = tf.tensor2d(MASK, [B, 4]);
    const keptOnly = tf.tensor3d(MASK.flatMap((m) => new Array(12).fill(m ? 0 : 5)), [B, 4, 12]);
    const loss = value(maskedMeanSquaredError(prediction(), target, mask));
    expect(Math.abs(value(maskedMeanSquaredError(tf.add(prediction(), keptOnly) as tf.Tensor3D, target, mask)) - loss)).toBeLessThan(1e-6);
    const grad = tf.grad((p: tf.Tensor) => maskedMeanSquaredError(p as tf.Tensor3D, target, mask))(prediction());
    const perPatch = tf.sum(tf.abs(grad), -1).dataSync();
    MASK.forEach((m, i) => (m ? expect(perPatch[i]).toBeGreaterThan(1e-3) : expect(perPatch[i]).toBe(0)));
    // d/dpred of Σ_masked mean_K (pred − t)² / Σmask = 2(pred − t)/(K·Σmask) at masked patches.
    const expected = tf.mul(tf.div(tf.mul(tf.sub(prediction(), target), 2), 12 * 5), tf.reshape(mask, [B, 4, 1]));
    close(grad.dataSync(), Array.from(expected.dataSync()), 1e-6);
    expect(() => maskedMeanSquaredError(prediction(), target, tf.ones([B, 3]) as tf.Tensor2D)).toThrow();
  });
});

describe('normalizeFeatures', () => {
  it('is a LayerNorm without affine: zero mean and unit (biased) variance per row', () => {
    // scripts/reference/itpn_reference.py: layer_norm with eps 1e-5.
    const features = tf.tensor2d([[0.3, -1.2, 2.5, 0], [1, 1, 1, 1.5]]);
    close(normalizeFeatures(features).dataSync(), [-0.074848, -1.197567, 1.571806, -0.299392, -0.577289, -0.577289, -0.577289, 1.731866]);
    const rng = new Rng(9);
    const x = tf.tensor3d(Array.from({ length: 2 * 5 * 16 }, () => 3 + 2 * rng.normal()), [2, 5, 16]);
    const { mean, variance } = tf.moments(normalizeFeatures(x), -1);
    close(mean.dataSync(), new Array(10).fill(0));
    close(variance.dataSync(), new Array(10).fill(1), 1e-4);
  });
});

describe('patch masks', () => {
  it('visibleCount is int(N·(1 − ratio)) and refuses masks that keep none or all', () => {
    // itpn_reference.py: int(16·0.25) = 4, int(64·0.25) = 16, int(16·0.5) = 8, int(49·0.25) = 12, int(196·0.25) = 49.
    const counts = [visibleCount(16, 0.75), visibleCount(64, 0.75), visibleCount(16, 0.5), visibleCount(49, 0.75), visibleCount(196, 0.75)];
    expect(counts).toEqual([4, 16, 8, 12, 49]);
    expect(() => visibleCount(10, 0.9)).toThrow(/keeps 0 of 10 patches/); // 10·(1 − 0.9) = 0.999…
    expect(() => visibleCount(16, 0)).toThrow(/keeps 16 of 16/);
    expect(() => visibleCount(16, 1)).toThrow(/at least one/);
    expect(() => visibleCount(16, Number.NaN)).toThrow();
  });

  it('maskFromOrder matches masking_id on the reference noise', () => {
    // ids_shuffle = argsort of the script's fixed noise; L = 8, ratio 0.75 keeps 2.
    const mask = maskFromOrder(Int32Array.from([5, 1, 7, 3, 4, 0, 6, 2, 0, 3, 6, 2, 7, 4, 1, 5]), 2, 8, 0.75);
    expect(mask.visible).toBe(2);
    expect(Array.from(mask.keep)).toEqual([1, 5, 8, 11]);
    expect(Array.from(mask.masked)).toEqual([1, 0, 1, 1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 1, 1, 1]);
    expect(Array.from(mask.restore)).toEqual([4, 0, 4, 4, 4, 1, 4, 4, 2, 4, 4, 3, 4, 4, 4, 4]);
    expect(() => maskFromOrder(Int32Array.from([0, 1, 1, 3]), 1, 4, 0.5)).toThrow(/permutation/);
    expect(() => maskFromOrder(Int32Array.from([0, 1, 2]), 1, 4, 0.5)).toThrow();
  });

  it('sampleMask: exact counts, consistent keep / restore / masked, reproducible', () => {
    for (const [patches, ratio, visible] of [[16, 0.75, 4], [64, 0.75, 16], [16, 0.5, 8], [49, 0.75, 12]]) {
      const batch = 6;
      const mask = sampleMask(new Rng(7), batch, patches, ratio);
      expect(mask.visible).toBe(visible);
      expect(mask.keep.length).toBe(batch * visible);
      expect(Array.from(maskedFromOrder(mask.order, batch, patches, visible))).toEqual(Array.from(mask.masked));
      for (let b = 0; b < batch; b++) {
        const row = Array.from(mask.masked.subarray(b * patches, (b + 1) * patches));
        expect(row.reduce((a, m) => a + m, 0)).toBe(patches - visible);
        const kept = Array.from(mask.keep.subarray(b * visible, (b + 1) * visible));
        expect(kept).toEqual([...kept].sort((x, y) => x - y)); // ascending, all in image b
        expect(kept.every((k) => k >= b * patches && k < (b + 1) * patches && mask.masked[k] === 0)).toBe(true);
        expect(new Set(Array.from(mask.order.subarray(b * patches, (b + 1) * patches)).slice(0, visible).map((i) => i + b * patches))).toEqual(new Set(kept));
      }
      // One gather of concat([visible rows, mask token]) with restore rebuilds the grid.
      const visibleRows = tf.tensor2d(Array.from(mask.keep, (k) => [k, 1]), [batch * visible, 2]);
      const grid = tf.gather(tf.concat([visibleRows, tf.tensor2d([[-1, -1]])]), mask.restore).arraySync();
      grid.forEach(([id, flag], row) => (mask.masked[row] ? expect([id, flag]).toEqual([-1, -1]) : expect([id, flag]).toEqual([row, 1])));
      mask.keep.forEach((k, j) => expect(mask.restore[k]).toBe(j));
      // Images differ; the same seed gives the same masks, another seed others.
      const patterns = new Set(Array.from({ length: batch }, (_, b) => mask.masked.subarray(b * patches, (b + 1) * patches).join('')));
      expect(patterns.size).toBeGreaterThan(1);
      expect(sampleMask(new Rng(7), batch, patches, ratio)).toEqual(mask);
      expect(Array.from(sampleMask(new Rng(8), batch, patches, ratio).masked)).not.toEqual(Array.from(mask.masked));
    }
    expect(() => sampleMask(new Rng(1), 2, 10, 0.9)).toThrow(/must keep at least one/);
  });

  it('sampleMask keeps every patch equally often', () => {
    const mask = sampleMask(new Rng(21), 4000, 16, 0.75);
    const keptCount = new Array(16).fill(0);
    for (let row = 0; row < mask.masked.length; row++) if (!mask.masked[row]) keptCount[row % 16] += 1;
    // Each patch is kept with probability 1/4: 1000 of 4000, standard deviation ≈ 27.
    keptCount.forEach((k) => expect(Math.abs(k - 1000)).toBeLessThan(120));
  });
});
