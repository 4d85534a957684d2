import * as tf from '@tensorflow/tfjs';
import { fusedAttention, MAX_FUSED_HEAD } from '../gpu/attention';
import { fusedActive } from '../gpu/program';
import type { Rng } from '../random';
import {
  createLayerNorm, createLinear, gelu, layerNorm, linear, repeatRows,
  type LayerNormParams, type LinearParams,
} from './layers';
import { fanInUniformVariable, truncatedNormalVariable } from './params';

/**
 * A pre-LayerNorm Vision Transformer (DINO's vision_transformer.py, scaled down): patch
 * embedding by a strided conv, a CLS token, learned position embeddings resized for smaller
 * crops, `depth` blocks of multi-head self-attention + MLP, a final LayerNorm.
 */
export interface ViTConfig {
  imageSize: number; // the size the position embeddings are learned for
  patchSize: number;
  width: number; // D
  depth: number;
  heads: number;
  mlpRatio: number;
}

export interface BlockParams {
  [key: string]: LayerNormParams | LinearParams;
  norm1: LayerNormParams;
  qkv: LinearParams; // [D, 3D], qkv_bias=True as DINO's ViT-S/Ti
  proj: LinearParams;
  norm2: LayerNormParams;
  fc1: LinearParams;
  fc2: LinearParams;
}

export interface ViTParams {
  patchEmbed: { kernel: tf.Variable; bias: tf.Variable }; // kernel [p, p, 3, D]
  clsToken: tf.Variable; // [1, 1, D]
  positionEmbedding: tf.Variable; // [1, 1 + N, D]
  blocks: BlockParams[];
  norm: LayerNormParams;
}

export function createViT(config: ViTConfig, rng: Rng): ViTParams {
  const { patchSize, width, depth, mlpRatio } = config;
  const tokens = (config.imageSize / patchSize) ** 2;
  const blocks: BlockParams[] = [];
  for (let i = 0; i < depth; i++) blocks.push(createBlock(rng, width, mlpRatio));
  const fanIn = patchSize * patchSize * 3;
  return {
    // PatchEmbed is an nn.Conv2d, left at PyTorch's default init by DINO's _init_weights.
    patchEmbed: {
      kernel: fanInUniformVariable(rng, [patchSize, patchSize, 3, width], fanIn),
      bias: fanInUniformVariable(rng, [width], fanIn),
    },
    clsToken: truncatedNormalVariable(rng, [1, 1, width], 0.02),
    positionEmbedding: truncatedNormalVariable(rng, [1, 1 + tokens, width], 0.02),
    blocks,
    norm: createLayerNorm(width),
  };
}

/**
 * Bilinear resize of a g_in×g_in grid to g×g as a matrix [g², g_in²], matching
 * F.interpolate(mode='bilinear', align_corners=False). A matMul has a gradient on every
 * backend and is one dispatch (the official code interpolates bicubically).
 */
export function gridResizeMatrix(gridIn: number, gridOut: number): Float32Array {
  const axis = new Float32Array(gridOut * gridIn);
  const scale = gridIn / gridOut;
  for (let o = 0; o < gridOut; o++) {
    const source = Math.max((o + 0.5) * scale - 0.5, 0);
    const i0 = Math.min(Math.floor(source), gridIn - 1);
    const i1 = Math.min(i0 + 1, gridIn - 1);
    const w = source - i0;
    axis[o * gridIn + i0] += 1 - w;
    axis[o * gridIn + i1] += w;
  }
  const out = new Float32Array(gridOut * gridOut * gridIn * gridIn);
  for (let oy = 0; oy < gridOut; oy++)
    for (let ox = 0; ox < gridOut; ox++)
      for (let iy = 0; iy < gridIn; iy++)
        for (let ix = 0; ix < gridIn; ix++)
          out[(oy * gridOut + ox) * gridIn * gridIn + iy * gridIn + ix] =
            axis[oy * gridIn + iy] * axis[ox * gridIn + ix];
  return out;
}

export interface ViTOutput {
  cls: tf.Tensor2D; // [B, D] after the final norm
  tokens: tf.Tensor3D; // [B, 1 + N, D]
  /** Last block's attention [B, heads, 1 + N, 1 + N], when asked for. */
  lastAttention?: tf.Tensor4D;
}

/**
 * Forward pass. `resize` maps crop grid → matrix for crops smaller than config.imageSize
 * (held by the caller so it is uploaded once per run, not per step). `keep` (int32 patch
 * indices, the same for every image) drops the other patch tokens after the position
 * embedding, before the blocks: the encoder never sees them (LOCA's query subsets, MAE-style
 * masking). The output then has 1 + keep.length tokens.
 */
export function vitForward(
  params: ViTParams,
  config: ViTConfig,
  images: tf.Tensor4D, // [B, S, S, 3] normalised
  resize: tf.Tensor2D | null,
  returnAttention = false,
  keep: tf.Tensor1D | null = null,
): ViTOutput {
  const batch = images.shape[0];
  const { width } = config;
  // Patch embedding as one matMul: [B, S, S, 3] → [B·N, p·p·3] × [p·p·3, D]. Same maths as
  // the strided conv, but its gradient is a matMul too (tfjs's conv filter gradient is slow).
  const p = config.patchSize;
  const grid = images.shape[1] / p;
  const count = grid * grid;
  const patchRows = tf.reshape(
    tf.transpose(tf.reshape(images, [batch, grid, p, grid, p, 3]), [0, 1, 3, 2, 4, 5]),
    [batch * count, p * p * 3],
  );
  const kernel = tf.reshape(params.patchEmbed.kernel, [p * p * 3, width]); // conv layout [p, p, 3, D]
  const embedded = fusedActive()
    ? tf.fused.matMul({ a: patchRows, b: kernel, bias: params.patchEmbed.bias })
    : tf.add(tf.matMul(patchRows, kernel), params.patchEmbed.bias);
  let x: tf.Tensor = tf.reshape(embedded, [batch, count, width]); // [B, N, D]

  const position = params.positionEmbedding; // [1, 1 + N0, D]
  const clsPosition = tf.slice(position, [0, 0, 0], [1, 1, width]);
  let patchPosition: tf.Tensor = tf.slice(position, [0, 1, 0], [1, -1, width]); // [1, N0, D]
  if (resize) patchPosition = tf.reshape(tf.matMul(resize, tf.reshape(patchPosition, [-1, width])), [1, count, width]);

  const cls = repeatRows(tf.add(params.clsToken, clsPosition), batch); // [B, 1, D]
  x = tf.add(x, patchPosition);
  if (keep) x = tf.gather(x, keep, 1); // [B, n_kept, D]
  x = tf.concat([cls, x], 1); // [B, T, D], T = 1 + N (or 1 + n_kept)

  let lastAttention: tf.Tensor4D | undefined;
  params.blocks.forEach((block, index) => {
    const wantAttention = returnAttention && index === params.blocks.length - 1;
    const out = blockForward(block, config.heads, x, wantAttention);
    if (out.weights) lastAttention = out.weights;
    x = out.output;
  });
  const normed = layerNorm(params.norm, x) as tf.Tensor3D;
  const clsOut = tf.reshape(tf.slice(normed, [0, 0, 0], [batch, 1, width]), [batch, width]) as tf.Tensor2D;
  return { cls: clsOut, tokens: normed, lastAttention };
}

/** A fresh pre-norm transformer block of width D (attention + MLP of mlpRatio·D). */
export function createBlock(rng: Rng, width: number, mlpRatio: number): BlockParams {
  return {
    norm1: createLayerNorm(width),
    qkv: createLinear(rng, width, 3 * width),
    proj: createLinear(rng, width, width),
    norm2: createLayerNorm(width),
    fc1: createLinear(rng, width, mlpRatio * width),
    fc2: createLinear(rng, mlpRatio * width, width),
  };
}

/** One pre-norm block on tokens [B, T, D]: x + attn(LN(x)), then + MLP(LN(x)). */
export function blockForward(
  block: BlockParams, heads: number, x: tf.Tensor, returnWeights = false,
): { output: tf.Tensor; weights?: tf.Tensor4D } {
  const attended = attention(block, heads, layerNorm(block.norm1, x), returnWeights);
  const y = tf.add(x, attended.output);
  return { output: tf.add(y, linear(block.fc2, gelu(linear(block.fc1, layerNorm(block.norm2, y))))), weights: attended.weights };
}

function attention(
  block: BlockParams,
  heads: number,
  x: tf.Tensor, // [B, T, D]
  returnWeights: boolean,
): { output: tf.Tensor; weights?: tf.Tensor4D } {
  const [batch, tokens, width] = x.shape;
  const headDim = width / heads;
  if (!returnWeights && headDim <= MAX_FUSED_HEAD && fusedActive()) {
    // One matMul for q|k|v, one kernel for the heads (gpu/attention.ts).
    const packed = tf.fused.matMul({ a: tf.reshape(x, [batch * tokens, width]), b: block.qkv.weight, bias: block.qkv.bias });
    return { output: linear(block.proj, fusedAttention(tf.reshape(packed, [batch, tokens, 3 * width]), heads)) };
  }
  // q, k, v from column blocks of the fused [D, 3D] weight: slicing the small weight is
  // cheaper than splitting the large activation.
  const flat = tf.reshape(x, [batch * tokens, width]);
  const project = (part: number) => {
    const weight = tf.slice(block.qkv.weight, [0, part * width], [width, width]);
    const bias = tf.slice(block.qkv.bias, [part * width], [width]);
    const out = tf.add(tf.matMul(flat, weight), bias); // [B·T, D]
    // [B, T, H, hd] → [B, H, T, hd] → [B·H, T, hd]
    return tf.reshape(tf.transpose(tf.reshape(out, [batch, tokens, heads, headDim]), [0, 2, 1, 3]), [batch * heads, tokens, headDim]);
  };
  const [q, k, v] = [project(0), project(1), project(2)];
  const scores = tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(headDim)); // [B·H, T, T]
  const weights = tf.softmax(scores);
  const mixed = tf.matMul(weights, v); // [B·H, T, hd]
  const merged = tf.reshape(tf.transpose(tf.reshape(mixed, [batch, heads, tokens, headDim]), [0, 2, 1, 3]), [batch, tokens, width]);
  return {
    output: linear(block.proj, merged),
    weights: returnWeights ? (tf.reshape(weights, [batch, heads, tokens, tokens]) as tf.Tensor4D) : undefined,
  };
}

/** Patch tokens after the final norm as a grid [N, g, g, D] (dense features; CLS dropped). */
export function vitPatchGrid(params: ViTParams, config: ViTConfig, images: tf.Tensor4D): tf.Tensor4D {
  const { tokens } = vitForward(params, config, images, null);
  const [n, t, d] = tokens.shape;
  const grid = Math.round(Math.sqrt(t - 1));
  return tf.reshape(tf.slice(tokens, [0, 1, 0], [n, t - 1, d]), [n, grid, grid, d]);
}

/** Last block's CLS → patch attention [N, heads, g²] (rows sum to at most 1). */
export function vitClsAttention(params: ViTParams, config: ViTConfig, images: tf.Tensor4D): tf.Tensor3D {
  const attention = vitForward(params, config, images, null, true).lastAttention!; // [N, H, T, T]
  const [n, heads, t] = attention.shape;
  return tf.reshape(tf.slice(attention, [0, 0, 0, 1], [n, heads, 1, t - 1]), [n, heads, t - 1]);
}
