import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../random';
import {
  createLayerNorm, createLinear, gelu, layerNorm, linear, repeatRows,
  type LayerNormParams, type LinearParams,
} from './layers';
import { fanInUniformVariable, truncatedNormalVariable } from './params';
import { blockForward, createBlock, type BlockParams } from './vit';
import { hivitProblems } from '../../measures/hivit';

/**
 * HiViT (iTPN's backbone, sunsmarterjie/iTPN itpn_pixel/models/models_itpn.py), scaled down. A
 * patch of p px is embedded as 4×4 sub-tokens of p/4 px (dim d/4); stage 1 runs MLP-only blocks
 * on them, a patch merge halves the sub-grid (2×2, d/2), stage 2 runs MLP blocks again, a second
 * merge leaves one token per patch (d), and stage 3 runs attention blocks over the patches. No
 * stage mixes tokens of different patches before stage 3, so masking can drop whole patches
 * before stage 1: the encoder never sees a masked patch (MAE-style, only the visible ones go in).
 *
 * `hierarchical: false` is the plain ViT of the MAE baseline: one p×p patch embedding straight to
 * d and the attention blocks only. Both end in a LayerNorm (MAE's encoder norm).
 */
export interface HiViTConfig {
  imageSize: number;
  patchSize: number;
  width: number; // d, stage 3; stages 1 and 2 use d/4 and d/2
  /** MLP blocks in each of stages 1 and 2 (HiViT's mlp_depth). */
  mlpDepth: number;
  /** Attention blocks of stage 3. */
  depth: number;
  heads: number;
  mlpRatio: number;
  /** MLP ratio of the stage-1 and stage-2 blocks (HiViT's bridge_mlp_ratio, 3). */
  bridgeMlpRatio: number;
  hierarchical: boolean;
}

/** A block without attention: x + MLP(LN(x)) (BlockWithRPE with num_heads = 0). */
export interface MlpBlockParams {
  [key: string]: LayerNormParams | LinearParams;
  norm: LayerNormParams;
  fc1: LinearParams;
  fc2: LinearParams;
}

/** 2×2 neighbouring sub-tokens concatenated, LayerNorm, linear to twice the width, no bias. */
export interface MergeParams {
  [key: string]: LayerNormParams | tf.Variable;
  norm: LayerNormParams;
  reduction: tf.Variable; // [4C, 2C]
}

export interface HiViTParams {
  patchEmbed: { kernel: tf.Variable; bias: tf.Variable }; // [k·k·3, C] as a matrix, k = p/4 (or p)
  patchNorm: LayerNormParams | null;
  stage1: MlpBlockParams[];
  merge1: MergeParams | null;
  stage2: MlpBlockParams[];
  merge2: MergeParams | null;
  /** Absolute position embedding [N, d], initialised with 2-D sin-cos and trained (as iTPN's pixel model). */
  position: tf.Variable;
  blocks: BlockParams[];
  norm: LayerNormParams;
}

/** Which patches of each image go in: flat rows b·N + i of [B·N] and their patch indices i. */
export interface VisiblePatches {
  flat: tf.Tensor1D; // [B·n]
  patch: tf.Tensor1D; // [B·n]
  count: number; // n per image
}

export interface HiViTOutput {
  /** The stage-1 and stage-2 sub-token maps before each merge: [M, 4, 4, d/4], [M, 2, 2, d/2] (M = B·n); empty for the plain ViT. */
  stages: tf.Tensor4D[];
  /** Stage-3 tokens after the final norm: [B, n, d]. */
  top: tf.Tensor3D;
}

export function createMlpBlock(rng: Rng, dim: number, ratio: number): MlpBlockParams {
  const hidden = Math.round(dim * ratio);
  return { norm: createLayerNorm(dim), fc1: createLinear(rng, dim, hidden), fc2: createLinear(rng, hidden, dim) };
}

export function mlpBlock(block: MlpBlockParams, x: tf.Tensor): tf.Tensor {
  return tf.add(x, linear(block.fc2, gelu(linear(block.fc1, layerNorm(block.norm, x)))));
}

function createMerge(rng: Rng, dim: number): MergeParams {
  return { norm: createLayerNorm(4 * dim), reduction: truncatedNormalVariable(rng, [4 * dim, 2 * dim], 0.02) };
}

/**
 * PatchMerge on [M, h, w, C] → [M, h/2, w/2, 2C]: the four sub-tokens of each 2×2 block in the
 * official order (row-even col-even, row-odd col-even, row-even col-odd, row-odd col-odd) —
 * one reshape and one transpose.
 */
export function patchMerge(merge: MergeParams, x: tf.Tensor4D): tf.Tensor4D {
  const [m, h, w, c] = x.shape;
  // [M, h/2, r, w/2, s, C] → [M, h/2, w/2, s, r, C]: concat index s·2 + r.
  const grouped = tf.reshape(tf.transpose(tf.reshape(x, [m, h / 2, 2, w / 2, 2, c]), [0, 1, 3, 4, 2, 5]), [m, h / 2, w / 2, 4 * c]);
  const normed = layerNorm(merge.norm, grouped);
  return tf.reshape(tf.matMul(tf.reshape(normed, [-1, 4 * c]), merge.reduction), [m, h / 2, w / 2, 2 * c]) as tf.Tensor4D;
}

/**
 * MAE's get_2d_sincos_pos_embed (no CLS) for a g×g grid, [g², D]: the first D/2 dims encode the
 * column, the last D/2 the row, each as sin of pos·ω_k then cos of pos·ω_k, ω_k = 10000^(−k/(D/4)).
 */
export function sinCosPositions(dim: number, grid: number): Float32Array {
  const quarter = dim / 4;
  const out = new Float32Array(grid * grid * dim);
  for (let row = 0; row < grid; row++) {
    for (let col = 0; col < grid; col++) {
      const base = (row * grid + col) * dim;
      for (let k = 0; k < quarter; k++) {
        const omega = 1 / 10000 ** (k / quarter);
        out[base + k] = Math.sin(col * omega);
        out[base + quarter + k] = Math.cos(col * omega);
        out[base + 2 * quarter + k] = Math.sin(row * omega);
        out[base + 3 * quarter + k] = Math.cos(row * omega);
      }
    }
  }
  return out;
}

export function createHiViT(config: HiViTConfig, rng: Rng): HiViTParams {
  const problems = hivitProblems(config);
  if (problems.length) throw new Error(problems.join(' '));
  const { width: d, patchSize: p, hierarchical, mlpDepth, bridgeMlpRatio } = config;
  const k = hierarchical ? p / 4 : p;
  const embedDim = hierarchical ? d / 4 : d;
  const fanIn = k * k * 3;
  const grid = config.imageSize / p;
  return {
    // A strided conv (PyTorch's default init), held as the matrix of its matMul form.
    patchEmbed: { kernel: fanInUniformVariable(rng, [fanIn, embedDim], fanIn), bias: fanInUniformVariable(rng, [embedDim], fanIn) },
    patchNorm: hierarchical ? createLayerNorm(embedDim) : null,
    stage1: hierarchical ? Array.from({ length: mlpDepth }, () => createMlpBlock(rng, d / 4, bridgeMlpRatio)) : [],
    merge1: hierarchical ? createMerge(rng, d / 4) : null,
    stage2: hierarchical ? Array.from({ length: mlpDepth }, () => createMlpBlock(rng, d / 2, bridgeMlpRatio)) : [],
    merge2: hierarchical ? createMerge(rng, d / 2) : null,
    position: tf.tidy(() => tf.variable(tf.tensor2d(sinCosPositions(d, grid), [grid * grid, d]))),
    blocks: Array.from({ length: config.depth }, () => createBlock(rng, d, config.mlpRatio)),
    norm: createLayerNorm(d),
  };
}

/** Fixed flat/patch indices of every patch of every image (no masking), for the caller to own. */
export function allPatches(batch: number, patches: number): { flat: Int32Array; patch: Int32Array } {
  const flat = Int32Array.from({ length: batch * patches }, (_, i) => i);
  return { flat, patch: Int32Array.from(flat, (i) => i % patches) };
}

/**
 * The encoder on the visible patches of images [B, S, S, 3] (already normalised). The pixels of
 * the other patches are dropped before the patch embedding, so nothing downstream depends on
 * them. With `visible` null every patch goes in.
 */
export function hivitForward(params: HiViTParams, config: HiViTConfig, images: tf.Tensor4D, visible: VisiblePatches | null): HiViTOutput {
  const [batch, size] = images.shape;
  const p = config.patchSize;
  const g = size / p;
  const patches = g * g;
  const d = config.width;
  // [B, S, S, 3] → one row of pixels per patch [B·N, p, p, 3], then only the visible rows.
  let pixels: tf.Tensor = tf.reshape(tf.transpose(tf.reshape(images, [batch, g, p, g, p, 3]), [0, 1, 3, 2, 4, 5]), [batch * patches, p, p, 3]);
  if (visible) pixels = tf.gather(pixels, visible.flat);
  const m = pixels.shape[0]!;
  const n = m / batch;
  const stages: tf.Tensor4D[] = [];
  let x: tf.Tensor;
  if (config.hierarchical) {
    const k = p / 4;
    // Each patch's 4×4 sub-patches of k×k px as rows: [M·16, k·k·3] × [k·k·3, d/4].
    const rows = tf.reshape(tf.transpose(tf.reshape(pixels, [m, 4, k, 4, k, 3]), [0, 1, 3, 2, 4, 5]), [m * 16, k * k * 3]);
    x = tf.reshape(tf.add(tf.matMul(rows, params.patchEmbed.kernel), params.patchEmbed.bias), [m, 4, 4, d / 4]);
    x = layerNorm(params.patchNorm!, x);
    for (const block of params.stage1) x = mlpBlock(block, x);
    stages.push(x as tf.Tensor4D);
    x = patchMerge(params.merge1!, x as tf.Tensor4D);
    for (const block of params.stage2) x = mlpBlock(block, x);
    stages.push(x as tf.Tensor4D);
    x = patchMerge(params.merge2!, x as tf.Tensor4D); // [M, 1, 1, d]
  } else {
    x = tf.add(tf.matMul(tf.reshape(pixels, [m, p * p * 3]), params.patchEmbed.kernel), params.patchEmbed.bias);
  }
  // The kept patches' positions as a one-hot matMul (a gather's gradient is a slow segment sum).
  // Without a mask every image takes every position (repeatRows: tile's gradient works per image).
  const [rows, dim] = params.position.shape as [number, number];
  const position = visible
    ? tf.matMul(tf.oneHot(visible.patch, patches, 1, 0, 'float32'), params.position)
    : tf.reshape(repeatRows(tf.reshape(params.position, [1, rows, dim]), batch), [batch * rows, dim]);
  x = tf.reshape(tf.add(tf.reshape(x, [m, d]), position), [batch, n, d]);
  for (const block of params.blocks) x = blockForward(block, config.heads, x).output;
  return { stages, top: layerNorm(params.norm, x) as tf.Tensor3D };
}

/** Mean of the stage-3 tokens over every patch: the image embedding for kNN and the linear probe, [B, d]. */
export function hivitEmbed(params: HiViTParams, config: HiViTConfig, images: tf.Tensor4D): tf.Tensor2D {
  return tf.mean(hivitForward(params, config, images, null).top, 1) as tf.Tensor2D;
}
