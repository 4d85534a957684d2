import * as tf from '@tensorflow/tfjs';
import { maskedFromOrder } from '../../measures/masking';
import type { Rng } from '../random';

/**
 * Masked image modeling as iTPN trains it (Tian et al. 2023, "Integrally Pre-Trained
 * Transformer Pyramid Networks"), whose pixel objective is MAE's (He et al. 2022). Our
 * restatement of sunsmarterjie/iTPN itpn_pixel/models/masked_autoencoder.py (patchify,
 * masking_id, forward_loss with norm_pix_loss=True); scripts/reference/itpn_reference.py restates
 * the same in numpy and prints the test's reference numbers.
 *
 * Images here are NHWC ([B, S, S, C]); the official code is NCHW, but its patchify puts each
 * patch's values in (row in patch, column in patch, channel) order, which is NHWC's own order
 * within a patch, so a patch's vector is the same in both layouts.
 */

/** [B, S, S, C] → [B, N, p·p·C], N = (S/p)², patches in raster order, values (row, col, channel) within a patch (MAE's patchify). */
export function patchify(images: tf.Tensor4D, patch: number): tf.Tensor3D {
  const [batch, height, width, channels] = images.shape;
  if (height !== width || !Number.isInteger(patch) || patch < 1 || height % patch !== 0) {
    throw new Error(`patchify: a ${height}×${width} image does not split into ${patch}×${patch} patches`);
  }
  const side = height / patch;
  return tf.tidy(() => {
    // [B·h, p, w, p·C]: (patch row, row in patch, patch column, (column in patch, channel)).
    // Swapping the middle axes gives (patch row, patch column, row in patch, ...) — the official
    // 'nchpwq->nhwpqc' — with a rank-4 transpose that every backend runs.
    const rows = tf.reshape(images, [batch * side, patch, side, patch * channels]);
    const grouped = tf.transpose(rows, [0, 2, 1, 3]);
    return tf.reshape(grouped, [batch, side * side, patch * patch * channels]) as tf.Tensor3D;
  });
}

/** Inverse of patchify. */
export function unpatchify(patches: tf.Tensor3D, patch: number, channels = 3): tf.Tensor4D {
  const [batch, count, length] = patches.shape;
  const side = Math.round(Math.sqrt(count));
  if (side * side !== count || length !== patch * patch * channels) {
    throw new Error(`unpatchify: [${patches.shape}] is not a square grid of ${patch}×${patch}×${channels} patches`);
  }
  return tf.tidy(() => {
    const grouped = tf.reshape(patches, [batch * side, side, patch, patch * channels]);
    const rows = tf.transpose(grouped, [0, 2, 1, 3]);
    return tf.reshape(rows, [batch, side * patch, side * patch, channels]) as tf.Tensor4D;
  });
}

/**
 * Per-patch normalisation of patchify's output (forward_loss, norm_pix_loss=True):
 * target = (x − mean)/√(var + eps) with torch's default unbiased variance Σ(x − mean)²/(K − 1)
 * and eps = 1e-6, both from the official code. Also returns mean and std = √(var + eps), each
 * [B, N, 1], so a prediction can be un-normalised (pred·std + mean).
 */
export function normalizedPixelTargets(patches: tf.Tensor3D, eps = 1e-6): { target: tf.Tensor3D; mean: tf.Tensor3D; std: tf.Tensor3D } {
  const length = patches.shape[2];
  if (length < 2) throw new Error(`normalizedPixelTargets: the unbiased variance needs at least 2 values per patch, got ${length}`);
  return tf.tidy(() => {
    const mean = tf.mean(patches, -1, true) as tf.Tensor3D;
    const centered = tf.sub(patches, mean);
    const variance = tf.div(tf.sum(tf.square(centered), -1, true), length - 1);
    const std = tf.sqrt(tf.add(variance, eps)) as tf.Tensor3D;
    return { target: tf.div(centered, std) as tf.Tensor3D, mean, std };
  });
}

/**
 * MAE's forward_loss: mean over the last axis of (prediction − target)², then Σ(loss·mask)/Σmask.
 * mask [B, N] float, 1 = masked, so kept patches add nothing and get no gradient. Works for pixel
 * and feature targets alike. As in the official code, a mask with no masked patch gives NaN
 * (visibleCount rules that out for the masks drawn here).
 */
export function maskedMeanSquaredError(prediction: tf.Tensor3D, target: tf.Tensor3D, mask: tf.Tensor2D): tf.Scalar {
  const [batch, count] = prediction.shape;
  if (!tf.util.arraysEqual(prediction.shape, target.shape) || mask.shape[0] !== batch || mask.shape[1] !== count) {
    throw new Error(`maskedMeanSquaredError: prediction [${prediction.shape}], target [${target.shape}], mask [${mask.shape}]`);
  }
  return tf.tidy(() => {
    const perPatch = tf.mean(tf.squaredDifference(prediction, target), -1);
    return tf.div(tf.sum(tf.mul(perPatch, mask)), tf.sum(mask)) as tf.Scalar;
  });
}

/**
 * LayerNorm without affine over the last axis (biased variance, as nn.LayerNorm): the masked
 * feature modeling targets (itpn_clip/clip/create_clip.py normalises the CLIP teacher's tokens
 * with nn.LayerNorm(dim, elementwise_affine=False), whose eps is torch's default 1e-5).
 */
export function normalizeFeatures(x: tf.Tensor, eps = 1e-5): tf.Tensor {
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(x, -1, true);
    return tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps)));
  });
}

/** A batch's random masks, drawn on the CPU from the seeded stream (uploaded as small int arrays). */
export interface PatchMask {
  batch: number;
  patches: number; // N
  visible: number; // n = floor(N·(1 − ratio)) (Python's int() of a positive float)
  /** [B, N] per image the patch indices in ascending noise order: the first `visible` are kept (MAE's ids_shuffle). */
  order: Int32Array;
  /**
   * [B·n] flat row indices b·N + i of the kept patches, image by image, each image's kept patches
   * in ascending patch index (sorted, so the encoder's token order is raster order).
   */
  keep: Int32Array;
  /** [B·N] 1 where masked, 0 where kept. */
  masked: Float32Array;
  /**
   * [B·N] for every patch of every image (raster order), its row in concat([visibleRows (B·n rows, in `keep` order), maskTokenRow]):
   * the kept patch's position in `keep`, or B·n for a masked patch. One tf.gather of that concat with this index puts the
   * encoder's visible tokens back on the full grid with a mask token everywhere else (MAE's unshuffle with ids_restore).
   */
  restore: Int32Array;
}

/**
 * masking_id's len_keep = int(L·(1 − ratio)): Math.floor of the same double product, which is
 * what Python's int() gives for a positive float (so 49 patches at 0.75 keep 12, and 10 at 0.9
 * keep 0, since 1 − 0.9 is a hair under 0.1 in both languages). Throws unless it keeps at least
 * one patch and masks at least one.
 */
export function visibleCount(patches: number, ratio: number): number {
  if (!Number.isInteger(patches) || patches < 1) throw new Error(`visibleCount: ${patches} patches`);
  const visible = Math.floor(patches * (1 - ratio));
  if (!(visible >= 1 && visible < patches)) {
    throw new Error(`mask ratio ${ratio} keeps ${visible} of ${patches} patches; it must keep at least one and mask at least one`);
  }
  return visible;
}

/** Masks from an explicit per-image order [B, N] (for fixed probe masks). */
export function maskFromOrder(order: Int32Array, batch: number, patches: number, ratio: number): PatchMask {
  const visible = visibleCount(patches, ratio);
  const bytes = maskedFromOrder(order, batch, patches, visible); // checks each row is a permutation
  const keep = new Int32Array(batch * visible);
  const restore = new Int32Array(batch * patches);
  const maskRow = batch * visible;
  let next = 0;
  // Walking the patches in raster order lists each image's kept patches in ascending index.
  for (let row = 0; row < batch * patches; row++) {
    if (bytes[row]) {
      restore[row] = maskRow;
    } else {
      restore[row] = next;
      keep[next++] = row;
    }
  }
  return { batch, patches, visible, order: Int32Array.from(order), keep, masked: Float32Array.from(bytes), restore };
}

/**
 * Random masks. Each image's order is rng.permutation(N), a uniform random permutation
 * (Fisher–Yates): the same distribution as masking_id's argsort of i.i.d. uniform noise, without
 * the sort. Images draw one after another from the one stream, so a seed fixes the whole batch.
 */
export function sampleMask(rng: Rng, batch: number, patches: number, ratio: number): PatchMask {
  visibleCount(patches, ratio); // fail before drawing
  const order = new Int32Array(batch * patches);
  for (let b = 0; b < batch; b++) order.set(rng.permutation(patches), b * patches);
  return maskFromOrder(order, batch, patches, ratio);
}
