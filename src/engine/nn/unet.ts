import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../random';
import { constantVariable, truncatedNormalVariable } from './params';

/**
 * The small U-Net that DeP / DDeP pretrain as a denoiser (Brempong et al. 2022, "Denoising
 * Pretraining for Semantic Segmentation"; the architecture is Ronneberger et al. 2015's U-Net,
 * shrunk): an encoder of "double conv" levels, each halving the resolution, and a decoder that
 * upsamples, concatenates the encoder's skip at the same resolution and double-convs back down,
 * then a 1×1 conv to the predicted noise.
 *
 * Double conv: conv3×3 'same' (bias) → GroupNorm → SiLU → conv3×3 → GroupNorm → SiLU. GroupNorm
 * rather than the original's BatchNorm (DeP's denoisers follow the diffusion U-Nets, and group
 * statistics do not depend on the batch). Downsampling is 2×2 average pooling, upsampling
 * nearest-neighbour ×2 built from reshape × ones, so its gradient is a broadcast sum on every
 * backend (no ResizeNearestNeighborGrad kernel needed). On the cpu backend the 3×3 convs take
 * their filter gradient from a forward conv (conv3x3Cpu below): tfjs's own is ~40× slower there.
 *
 * The tree keeps `encoder`, `decoder` and `out` as separate top-level keys: DDeP freezes the
 * encoder by the name prefix "encoder." and trains only the decoder (+ out) as a denoiser.
 */
export interface UNetConfig {
  imageSize: number; // S, divisible by 2^(levels−1)
  channels: readonly number[]; // channels per level: level 0 at S, level i at S/2^i
  outChannels: number; // 3 for the predicted noise
  groups: number; // GroupNorm groups (clamped per layer to a divisor of its channels)
}

export interface ConvParams {
  [key: string]: tf.Variable;
  kernel: tf.Variable; // [k, k, in, out]
  bias: tf.Variable; // [out]
}

export interface GroupNormParams {
  [key: string]: tf.Variable;
  gamma: tf.Variable; // [C]
  beta: tf.Variable; // [C]
}

export interface DoubleConvParams {
  [key: string]: ConvParams | GroupNormParams;
  conv1: ConvParams;
  norm1: GroupNormParams;
  conv2: ConvParams;
  norm2: GroupNormParams;
}

export interface UNetParams {
  /** encoder[i]: level i (i > 0 starts with a 2×2 average pool), channels[i−1] (3 at i = 0) → channels[i]. */
  encoder: DoubleConvParams[];
  /** decoder[i]: level i < L−1, (channels[i] skip + channels[i+1] upsampled) → channels[i]; run from L−2 down to 0. */
  decoder: DoubleConvParams[];
  out: ConvParams; // 1×1, channels[0] → outChannels
  /**
   * config.groups, the one number the forward needs that no variable shape carries. Not a
   * variable, so namedVariables/save/load skip it; cloneTree copies it as it is.
   */
  groups: number;
}

export interface UNetEncoding {
  skips: tf.Tensor4D[]; // level 0..L−2 outputs, fine → coarse
  bottleneck: tf.Tensor4D; // level L−1 output [N, S/2^(L−1), S/2^(L−1), channels[L−1]]
}

export interface UNetDecoding {
  output: tf.Tensor4D; // [N, S, S, outChannels]
  /** The decoder's feature maps coarse → fine: the bottleneck, then each decoder level's output; the last is [N, S, S, channels[0]]. */
  features: tf.Tensor4D[];
}

/** The largest divisor of `channels` that is ≤ `groups` (at least 1): GroupNorm needs C % G = 0. */
export function normGroups(channels: number, groups: number): number {
  for (let g = Math.max(1, Math.min(Math.floor(groups), channels)); g > 1; g--) if (channels % g === 0) return g;
  return 1;
}

function createConv(rng: Rng, size: number, inChannels: number, outChannels: number, std: number): ConvParams {
  return { kernel: truncatedNormalVariable(rng, [size, size, inChannels, outChannels], std), bias: constantVariable([outChannels], 0) };
}

function createNorm(channels: number): GroupNormParams {
  return { gamma: constantVariable([channels], 1), beta: constantVariable([channels], 0) };
}

/** Kaiming normal (fan-in) as cnn.ts, std √(2 / (3·3·in)); biases 0; GroupNorm γ = 1, β = 0. */
function createDoubleConv(rng: Rng, inChannels: number, outChannels: number): DoubleConvParams {
  return {
    conv1: createConv(rng, 3, inChannels, outChannels, Math.sqrt(2 / (9 * inChannels))),
    norm1: createNorm(outChannels),
    conv2: createConv(rng, 3, outChannels, outChannels, Math.sqrt(2 / (9 * outChannels))),
    norm2: createNorm(outChannels),
  };
}

export function createUNet(config: UNetConfig, rng: Rng): UNetParams {
  const { channels, imageSize } = config;
  const levels = channels.length;
  if (levels < 1) throw new Error('createUNet: channels must name at least one level');
  if (imageSize % 2 ** (levels - 1) !== 0) throw new Error(`createUNet: image size ${imageSize} is not divisible by 2^${levels - 1}`);
  if (!(config.groups >= 1)) throw new Error(`createUNet: groups must be ≥ 1, got ${config.groups}`);
  // Drawn in a fixed order (encoder fine → coarse, decoder fine → coarse, out) from the one
  // stream, so the same seed gives the same weights everywhere.
  const encoder = channels.map((out, i) => createDoubleConv(rng, i === 0 ? 3 : channels[i - 1], out));
  const decoder = channels.slice(0, -1).map((out, i) => createDoubleConv(rng, out + channels[i + 1], out));
  // The output conv starts small (trunc normal 0.02, as layers.ts's Linear): the first
  // predictions are near 0, the loss starts near E[ε²] = 1, and every layer still gets a gradient.
  const out = createConv(rng, 1, channels[0], config.outChannels, 0.02);
  return { encoder, decoder, out, groups: config.groups };
}

/**
 * torch.nn.GroupNorm on NHWC: channels split into `groups` contiguous groups; each (image, group)
 * is normalised by its mean and biased variance over (H, W, C/groups), then scaled and shifted
 * per channel.
 *
 * The gradient is written out rather than left to autograd, which differentiates tf.moments
 * through ~30 ops, most of them the activation's size (broadcast means, Square's and Mean's
 * gradients, casts): on the CPU backends they took a third of a U-Net step. With x̂ the
 * normalised input, r = 1/√(var + eps) and g = dy·γ, per (image, group):
 *   dβ = Σ dy, dγ = Σ dy·x̂ (over N, H, W), dx = r·(g − mean(g) − x̂·mean(g·x̂))
 * and mean(g), mean(g·x̂) come from per-(image, channel) sums: dx = dy·(γr) − x̂·(r·mean(g·x̂)) − r·mean(g).
 * Per-(image, group) statistics are spread to [N, 1, C] before they meet an activation: wasm
 * broadcasts over [N, H·W, C] as fast as it adds equal shapes, over [N, H·W, G, C/G] ~4× slower.
 * The forward values are those of the moments formulation, bit for bit (same reductions).
 */
export function groupNorm(
  x: tf.Tensor4D, gamma: tf.Variable | tf.Tensor, beta: tf.Variable | tf.Tensor, groups: number, eps = 1e-5,
): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  if (c % groups !== 0) throw new Error(`groupNorm: ${c} channels do not split into ${groups} groups`);
  const size = c / groups;
  const groupedShape = [n, h * w, groups, size];
  const flatShape = [n, h * w, c];
  /** [N, 1, G, 1] per-group values → [N, 1, C] per channel (a product with ones: wasm's Tile costs 4× more). */
  const spread = (t: tf.Tensor) => tf.reshape(tf.mul(t, tf.ones([1, 1, 1, size])), [n, 1, c]);
  /** [N, C] per-channel sums → [N, 1, G, 1] per-group means (over H·W·C/G). */
  const groupMean = (t: tf.Tensor) => tf.reshape(tf.div(tf.sum(tf.reshape(t, [n, groups, size]), 2), h * w * size), [n, 1, groups, 1]);
  /** x̂ [N, H·W, C] and r = 1/√(var + eps) [N, 1, C] of an input. */
  const normalize = (input: tf.Tensor) => {
    const mean = tf.mean(tf.reshape(input, groupedShape), [1, 3], true);
    const centred = tf.sub(tf.reshape(input, flatShape), spread(mean));
    const variance = tf.mean(tf.reshape(tf.square(centred), groupedShape), [1, 3], true);
    const r = spread(tf.rsqrt(tf.add(variance, eps)));
    return { normalized: tf.mul(centred, r), r };
  };
  const norm = tf.customGrad(((input: tf.Tensor4D, scale: tf.Tensor, shift: tf.Tensor, save: tf.GradSaveFunc) => {
    const { normalized } = normalize(input);
    // Only inputs are saved (tfjs counts a saved intermediate as a leaked tensor); the backward
    // pass recomputes x̂ and r from the input, a few reductions.
    save([input, scale]);
    return {
      value: tf.reshape(tf.add(tf.mul(normalized, scale), shift), [n, h, w, c]),
      gradFunc: (dy: tf.Tensor4D, saved: tf.Tensor[]) => {
        const [inputSaved, gammaSaved] = saved;
        const { normalized: xHat, r: rs } = normalize(inputSaved);
        const grads = tf.reshape(dy, flatShape);
        const gradsXHat = tf.mul(grads, xHat);
        const sumDy = tf.sum(grads, 1); // [N, C]
        const sumDyXHat = tf.sum(gradsXHat, 1);
        const dBeta = tf.reshape(tf.sum(sumDy, 0), shift.shape);
        const dGamma = tf.reshape(tf.sum(sumDyXHat, 0), scale.shape);
        const gammaRow = tf.reshape(gammaSaved, [1, c]);
        const meanG = spread(groupMean(tf.mul(sumDy, gammaRow))); // mean(g) per channel, [N, 1, C]
        const meanGX = spread(groupMean(tf.mul(sumDyXHat, gammaRow))); // mean(g·x̂)
        const dx = tf.sub(
          tf.add(tf.mul(grads, tf.mul(rs, tf.reshape(gammaSaved, [1, 1, c]))), tf.mul(xHat, tf.neg(tf.mul(rs, meanGX)))),
          tf.mul(rs, meanG));
        return [tf.reshape(dx, [n, h, w, c]), dGamma, dBeta];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]) as (x: tf.Tensor4D, gamma: tf.Tensor, beta: tf.Tensor) => tf.Tensor4D;
  return norm(x, gamma, beta);
}

/** SiLU / swish: x·sigmoid(x) (tfjs 4.22 has no silu op). */
function silu(x: tf.Tensor4D): tf.Tensor4D {
  return tf.mul(x, tf.sigmoid(x));
}

/**
 * A 3×3 'same' conv whose filter gradient is itself a forward conv: dW[i, j, ci, co] =
 * Σ_{n,h,w} x_pad[n, h+i, w+j, ci]·dy[n, h, w, co], i.e. conv2d of xᵀ [Cin, H, W, N] with the
 * "filter" dyᵀ [H, W, N, Cout], padded by 1 → [Cin, 3, 3, Cout]. Why: tfjs-backend-cpu's
 * Conv2DBackpropFilter walks TensorBuffer.get per element, ~40× slower than its Conv2D (≈5.5 s
 * against 0.14 s for [16, 32, 32, 16] → 16), which made a U-Net step on the cpu backend take
 * ~80 s. The input gradient is conv2dTranspose (Conv2DBackpropInput, already fast).
 */
const conv3x3Cpu = tf.customGrad(((x: tf.Tensor4D, kernel: tf.Tensor4D, save: tf.GradSaveFunc) => {
  save([x, kernel]);
  return {
    value: tf.conv2d(x, kernel, 1, 'same'),
    gradFunc: (dy: tf.Tensor4D, saved: tf.Tensor[]) => {
      const [input, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
      const dx = tf.conv2dTranspose(dy, filter, input.shape, 1, 'same');
      const xT = tf.transpose(input, [3, 1, 2, 0]) as tf.Tensor4D;
      const dyT = tf.transpose(dy, [1, 2, 0, 3]) as tf.Tensor4D;
      const dw = tf.transpose(tf.conv2d(xT, dyT, 1, [[0, 0], [1, 1], [1, 1], [0, 0]]), [1, 2, 0, 3]);
      return [dx, dw];
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as (x: tf.Tensor4D, kernel: tf.Tensor4D) => tf.Tensor4D;

/** conv3×3 'same' + bias: tfjs's own gradients on WebGPU/WebGL, conv3x3Cpu's on the cpu backend. */
export function conv3x3(x: tf.Tensor4D, kernel: tf.Tensor4D, bias: tf.Tensor): tf.Tensor4D {
  const y = tf.getBackend() === 'cpu' ? conv3x3Cpu(x, kernel) : tf.conv2d(x, kernel, 1, 'same');
  return tf.add(y, bias);
}

/** The 1×1 output conv as a matMul over pixels (same result; matMul's gradients are fast on every backend). */
function conv1x1(params: ConvParams, x: tf.Tensor4D): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const kernel = tf.reshape(params.kernel, [c, params.kernel.shape[3]!]);
  const y = tf.add(tf.matMul(tf.reshape(x, [n * h * w, c]), kernel), params.bias);
  return tf.reshape(y, [n, h, w, params.kernel.shape[3]!]);
}

function doubleConv(params: DoubleConvParams, x: tf.Tensor4D, groups: number): tf.Tensor4D {
  return tf.tidy(() => {
    const norm = (p: GroupNormParams, h: tf.Tensor4D) => groupNorm(h, p.gamma, p.beta, normGroups(h.shape[3], groups));
    const h = silu(norm(params.norm1, conv3x3(x, params.conv1.kernel as tf.Tensor4D, params.conv1.bias)));
    return silu(norm(params.norm2, conv3x3(h, params.conv2.kernel as tf.Tensor4D, params.conv2.bias)));
  });
}

/**
 * Nearest-neighbour ×2: [N, h, w, C] → [N, h, 1, w, 1, C] × ones [1, 1, 2, 1, 2, 1] → [N, 2h, 2w, C].
 * Its gradient is the sum over each 2×2 block, taken as 4 × a 2×2 average pool (exact scalings by
 * powers of 2): autograd's sum over the broadcast axes of a rank-6 tensor cost 7× more on wasm.
 */
export function upsampleNearest2x(x: tf.Tensor4D): tf.Tensor4D {
  return upsample(x);
}

const upsample = tf.customGrad(((x: tf.Tensor4D, save: tf.GradSaveFunc) => {
  save([]);
  const [n, h, w, c] = x.shape;
  const spread = tf.mul(tf.reshape(x, [n, h, 1, w, 1, c]), tf.ones([1, 1, 2, 1, 2, 1]));
  return {
    value: tf.reshape(spread, [n, 2 * h, 2 * w, c]),
    gradFunc: (dy: tf.Tensor4D) => tf.mul(tf.avgPool(dy, 2, 2, 'valid'), 4),
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as (x: tf.Tensor4D) => tf.Tensor4D;

/**
 * 2×2 average pooling (stride 2), whose gradient is dy/4 spread over each block by the same
 * broadcast product as upsampleNearest2x: wasm's AvgPoolGrad is a generic loop, 2× slower.
 */
export const avgPool2x2 = tf.customGrad(((x: tf.Tensor4D, save: tf.GradSaveFunc) => {
  save([]);
  const [n, h, w, c] = x.shape;
  return {
    value: tf.avgPool(x, 2, 2, 'valid') as tf.Tensor4D,
    gradFunc: (dy: tf.Tensor4D) => {
      const [ho, wo] = [Math.floor(h / 2), Math.floor(w / 2)];
      const spread = tf.mul(tf.reshape(dy, [n, ho, 1, wo, 1, c]), tf.fill([1, 1, 2, 1, 2, 1], 0.25));
      const dx = tf.reshape(spread, [n, 2 * ho, 2 * wo, c]);
      // An odd last row/column is in no window ('valid'): its gradient is 0.
      return h % 2 || w % 2 ? tf.pad(dx, [[0, 0], [0, h % 2], [0, w % 2], [0, 0]]) : dx;
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as (x: tf.Tensor4D) => tf.Tensor4D;

function checkGroups(params: UNetParams): number {
  if (typeof params.groups !== 'number') throw new Error('UNetParams.groups is missing');
  return params.groups;
}

/** x [N, S, S, 3] (model units) → the encoder's level outputs. */
export function unetEncode(params: UNetParams, x: tf.Tensor4D): UNetEncoding {
  const groups = checkGroups(params);
  const outputs: tf.Tensor4D[] = [];
  let h = x;
  params.encoder.forEach((level, i) => {
    const previous = h;
    h = tf.tidy(() => doubleConv(level, i === 0 ? previous : (avgPool2x2(previous)), groups));
    outputs.push(h);
  });
  return { skips: outputs.slice(0, -1), bottleneck: outputs[outputs.length - 1] };
}

/** The decoder from an encoding: upsample, concat the skip, double conv, for levels L−2 … 0, then the 1×1 output conv. */
export function unetDecode(params: UNetParams, encoding: UNetEncoding): UNetDecoding {
  const groups = checkGroups(params);
  if (encoding.skips.length !== params.decoder.length) {
    throw new Error(`unetDecode: ${encoding.skips.length} skips for ${params.decoder.length} decoder levels`);
  }
  const features: tf.Tensor4D[] = [encoding.bottleneck];
  let h = encoding.bottleneck;
  for (let i = params.decoder.length - 1; i >= 0; i--) {
    const coarse = h;
    h = tf.tidy(() => doubleConv(params.decoder[i], tf.concat([encoding.skips[i], upsampleNearest2x(coarse)], 3), groups));
    features.push(h);
  }
  return { output: tf.tidy(() => conv1x1(params.out, h)), features };
}

/** Encode then decode. The encoder's skips stay alive (they are not part of the result): call inside tf.tidy. */
export function unetForward(params: UNetParams, x: tf.Tensor4D): UNetDecoding {
  return unetDecode(params, unetEncode(params, x));
}

/** The dense feature dimension a probe reads: channels[0], the finest decoder level's output. */
export function unetFeatureDim(config: UNetConfig): number {
  return config.channels[0];
}
