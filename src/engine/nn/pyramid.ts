import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../random';
import { createMlpBlock, mlpBlock, type HiViTOutput, type MlpBlockParams } from './hivit';
import { createLayerNorm, createLinear, layerNorm, linear, repeatRows, type LayerNormParams, type LinearParams } from './layers';
import { truncatedNormalVariable } from './params';
import { blockForward, createBlock, type BlockParams } from './vit';

/**
 * iTPN's feature pyramid and MAE-style decoders (sunsmarterjie/iTPN itpn_pixel/models/
 * models_itpn_mim.py), scaled down. The neck is trained with the backbone during pre-training
 * (the paper's point): top-down from stage 3, each level splits the coarser one into 2×2
 * sub-tokens and adds a lateral projection of the matching backbone stage. Every level works per
 * visible patch (no token of a masked patch exists before the decoder).
 *
 * The pixel decoder embeds each level to D per patch (level i: D / 4^i per sub-token, 4^i
 * sub-tokens), puts the visible patches back on the full grid with a learned mask token
 * elsewhere, sums the levels and a fixed sin-cos position, and runs transformer blocks to
 * predict each patch's normalised pixels. Masked feature modeling gives each level its own small
 * head: the level's embedding on the full grid (its own mask token), one transformer block, and a
 * linear map to the moving-averaged backbone's features of the matching stage at every patch.
 *
 * With the pyramid off there is one level, the stage-3 tokens themselves (the MAE baseline).
 */
export interface PyramidConfig {
  width: number; // d of the backbone
  pyramid: boolean;
  fpnWidth: number;
  fpnDepth: number;
  mlpRatio: number;
  patchSize: number;
  decoderWidth: number;
  decoderDepth: number;
  decoderHeads: number;
  /** Create masked-feature-modeling heads. */
  featureHeads: boolean;
}

/** One level as the decoder and the view see it. */
export interface LevelShape {
  /** Sub-tokens per patch side: 1, 2, 4. */
  perPatch: number;
  /** Channels of the level's output. */
  channels: number;
  /** Channels of the backbone stage its MFM head predicts. */
  targetChannels: number;
}

/** Coarse → fine. The pyramid's levels match stage 3, stage 2 and stage 1 of HiViT. */
export function levelShapes(config: Pick<PyramidConfig, 'width' | 'pyramid' | 'fpnWidth'>): LevelShape[] {
  const { width: d, fpnWidth: f } = config;
  if (!config.pyramid) return [{ perPatch: 1, channels: d, targetChannels: d }];
  return [
    { perPatch: 1, channels: f, targetChannels: d },
    { perPatch: 2, channels: f, targetChannels: d / 2 },
    { perPatch: 4, channels: f, targetChannels: d / 4 },
  ];
}

export interface SplitParams {
  [key: string]: LayerNormParams | tf.Variable;
  norm: LayerNormParams;
  reduction: tf.Variable; // [C, 4f]
}

export interface NeckParams {
  alignTop: LinearParams;
  split16to8: SplitParams;
  align16to8: tf.Variable; // [d/2, f]
  block16to8: MlpBlockParams[];
  split8to4: SplitParams;
  align8to4: tf.Variable; // [d/4, f]
  block8to4: MlpBlockParams[];
  /** One MLP block per output level (fpn_modules). */
  out: MlpBlockParams[];
}

export interface FeatureHeadParams {
  maskToken: tf.Variable; // [1, D]
  block: BlockParams;
  norm: LayerNormParams;
  head: LinearParams; // [D, perPatch²·targetChannels]
}

export interface DecoderParams {
  embed: { norm: LayerNormParams; linear: LinearParams }[];
  maskToken: tf.Variable; // [1, D]
  blocks: BlockParams[];
  norm: LayerNormParams;
  pred: LinearParams; // [D, p²·3]
  featureHeads: FeatureHeadParams[];
}

export function createNeck(config: PyramidConfig, rng: Rng): NeckParams {
  const { width: d, fpnWidth: f, fpnDepth, mlpRatio } = config;
  const split = (dim: number): SplitParams => ({ norm: createLayerNorm(dim), reduction: truncatedNormalVariable(rng, [dim, 4 * f], 0.02) });
  const blocks = (count: number) => Array.from({ length: count }, () => createMlpBlock(rng, f, mlpRatio));
  return {
    alignTop: createLinear(rng, d, f),
    split16to8: split(d),
    align16to8: truncatedNormalVariable(rng, [d / 2, f], 0.02),
    block16to8: blocks(fpnDepth),
    split8to4: split(f),
    align8to4: truncatedNormalVariable(rng, [d / 4, f], 0.02),
    block8to4: blocks(fpnDepth),
    out: blocks(3),
  };
}

/** PatchSplit: [M, h, w, C] → LN → linear to 4f → [M, 2h, 2w, f] (each sub-token becomes 2×2). */
function patchSplit(split: SplitParams, x: tf.Tensor4D): tf.Tensor4D {
  const [m, h, w] = x.shape;
  const f = split.reduction.shape[1]! / 4;
  const y = tf.reshape(linearNoBias(layerNorm(split.norm, x), split.reduction), [m, h, w, 2, 2, f]);
  return tf.reshape(tf.transpose(y, [0, 1, 3, 2, 4, 5]), [m, 2 * h, 2 * w, f]) as tf.Tensor4D;
}

function linearNoBias(x: tf.Tensor, weight: tf.Variable): tf.Tensor {
  const inFeatures = x.shape[x.shape.length - 1]!;
  return tf.reshape(tf.matMul(tf.reshape(x, [-1, inFeatures]), weight), [...x.shape.slice(0, -1), weight.shape[1]!]);
}

/** The pyramid's levels, coarse → fine: [M, 1, 1, f], [M, 2, 2, f], [M, 4, 4, f] (M = B·n visible patches). */
export function neckForward(neck: NeckParams, backbone: HiViTOutput): tf.Tensor4D[] {
  const [batch, n, d] = backbone.top.shape;
  const top = tf.reshape(backbone.top, [batch * n, 1, 1, d]) as tf.Tensor4D;
  const [stage1, stage2] = backbone.stages;
  let mid: tf.Tensor = tf.add(patchSplit(neck.split16to8, top), linearNoBias(stage2, neck.align16to8));
  for (const block of neck.block16to8) mid = mlpBlock(block, mid);
  let fine: tf.Tensor = tf.add(patchSplit(neck.split8to4, mid as tf.Tensor4D), linearNoBias(stage1, neck.align8to4));
  for (const block of neck.block8to4) fine = mlpBlock(block, fine);
  return [linear(neck.alignTop, top), mid, fine].map((level, i) => mlpBlock(neck.out[i], level) as tf.Tensor4D);
}

/** The levels the decoder gets: the pyramid's, or (pyramid off) the stage-3 tokens as one level. */
export function pyramidLevels(neck: NeckParams | null, backbone: HiViTOutput): tf.Tensor4D[] {
  if (neck) return neckForward(neck, backbone);
  const [batch, n, d] = backbone.top.shape;
  return [tf.reshape(backbone.top, [batch * n, 1, 1, d]) as tf.Tensor4D];
}

export function createDecoder(config: PyramidConfig, rng: Rng): DecoderParams {
  const D = config.decoderWidth;
  const shapes = levelShapes(config);
  return {
    embed: shapes.map((s) => ({ norm: createLayerNorm(s.channels), linear: createLinear(rng, s.channels, D / (s.perPatch * s.perPatch)) })),
    maskToken: truncatedNormalVariable(rng, [1, D], 0.02),
    blocks: Array.from({ length: config.decoderDepth }, () => createBlock(rng, D, config.mlpRatio)),
    norm: createLayerNorm(D),
    pred: createLinear(rng, D, config.patchSize * config.patchSize * 3),
    featureHeads: config.featureHeads
      ? shapes.map((s) => ({
        maskToken: truncatedNormalVariable(rng, [1, D], 0.02),
        block: createBlock(rng, D, config.mlpRatio),
        norm: createLayerNorm(D),
        head: createLinear(rng, D, s.perPatch * s.perPatch * s.targetChannels),
      }))
      : [],
  };
}

/**
 * Where the decoder puts the visible patches back: per image a one-hot [N, n + 1] that picks, for
 * each patch, its visible token or (column n) the mask token. A batched matMul rather than a
 * gather: its gradient is a matMul too, where a gather's is an unsorted segment sum (slow on every
 * tfjs backend, and hundreds of kernels on the CPU).
 */
export interface FullGrid {
  scatter: tf.Tensor3D; // [B, N, n + 1]
  batch: number;
  patches: number; // N
  visible: number; // n
}

/**
 * From PatchMask.restore (rows of concat([visible (B·n), mask token]), the MAE unshuffle as one
 * gather) to the per-image one-hot. Call inside a tidy; the caller owns the tensor.
 */
export function fullGrid(restore: Int32Array, batch: number, patches: number, visible: number): FullGrid {
  const local = new Int32Array(batch * patches);
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < patches; i++) {
      const row = restore[b * patches + i];
      local[b * patches + i] = row === batch * visible ? visible : row - b * visible;
    }
  }
  const scatter = tf.oneHot(tf.tensor2d(local, [batch, patches], 'int32'), visible + 1) as tf.Tensor3D;
  return { scatter: tf.cast(scatter, 'float32') as tf.Tensor3D, batch, patches, visible };
}

/** Visible rows [B·n, D] on the full grid with `token` at masked patches: [B, N, D]. */
function onGrid(rows: tf.Tensor, token: tf.Variable, grid: FullGrid): tf.Tensor3D {
  const D = token.shape[1]!;
  const tokens = tf.concat([tf.reshape(rows, [grid.batch, grid.visible, D]), repeatRows(tf.reshape(token, [1, 1, D]), grid.batch)], 1);
  return tf.matMul(grid.scatter, tokens) as tf.Tensor3D;
}

export interface DecoderOutput {
  /** Normalised pixels of every patch: [B, N, p²·3]. */
  prediction: tf.Tensor3D;
  /** Each level embedded to D per visible patch, [B·n, D] (the MFM heads start from these). */
  embedded: tf.Tensor2D[];
}

/** `position`: the fixed sin-cos table [N, D] (held by the caller). */
export function decoderForward(
  decoder: DecoderParams, levels: tf.Tensor4D[], grid: FullGrid, position: tf.Tensor2D, heads: number,
): DecoderOutput {
  const D = decoder.maskToken.shape[1]!;
  const embedded = levels.map((level, i) => {
    const { norm, linear: proj } = decoder.embed[i];
    return tf.reshape(linear(proj, layerNorm(norm, level)), [level.shape[0], D]) as tf.Tensor2D;
  });
  let x: tf.Tensor = tf.add(onGrid(embedded[0], decoder.maskToken, grid), position);
  for (let i = 1; i < embedded.length; i++) x = tf.add(x, onGrid(embedded[i], decoder.maskToken, grid));
  for (const block of decoder.blocks) x = blockForward(block, heads, x).output;
  const prediction = linear(decoder.pred, layerNorm(decoder.norm, x)) as tf.Tensor3D;
  return { prediction, embedded };
}

/** Each level's MFM prediction of its target stage at every patch: [B, N, perPatch²·targetChannels]. */
export function featureHeadsForward(
  decoder: DecoderParams, embedded: tf.Tensor2D[], grid: FullGrid, position: tf.Tensor2D, heads: number,
): tf.Tensor3D[] {
  return decoder.featureHeads.map((head, i) => {
    const x = tf.add(onGrid(embedded[i], head.maskToken, grid), position);
    const y = blockForward(head.block, heads, x).output;
    return linear(head.head, layerNorm(head.norm, y)) as tf.Tensor3D;
  });
}

/**
 * The MFM targets from the moving-averaged backbone on all patches, matching levelShapes:
 * pyramid: stage 3 [B·N, 1, 1, d], stage 2 [B·N, 2, 2, d/2], stage 1 [B·N, 4, 4, d/4]; plain: stage 3.
 */
export function targetStages(backbone: HiViTOutput, pyramid: boolean): tf.Tensor4D[] {
  const [batch, count, d] = backbone.top.shape;
  const top = tf.reshape(backbone.top, [batch * count, 1, 1, d]) as tf.Tensor4D;
  return pyramid ? [top, backbone.stages[1], backbone.stages[0]] : [top];
}
