import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../random';
import { constantVariable, truncatedNormalVariable } from './params';
import { avgPool2x2, conv3x3, groupNorm, normGroups, upsampleNearest2x, type ConvParams, type DoubleConvParams, type GroupNormParams } from './unet';

/**
 * DreamTeacher's student (Li et al., ICCV 2023, "DreamTeacher: Pretraining Image Backbones with
 * Deep Generative Models", §3.2): an image backbone whose multi-scale maps feed a feature
 * regressor that predicts the generative teacher's features at each level. The regressor is
 * "FPN-like": a top-down feature pyramid (Lin et al. 2017, "Feature Pyramid Networks") with a
 * pyramid pooling module on the coarsest level (Zhao et al. 2017, PSPNet; the combination is
 * Xiao et al. 2018's UPerNet), then per level a 3×3 conv and a 1×1 projection to the teacher's
 * channels. After pretraining the regressor is thrown away: only the backbone is evaluated.
 *
 * Backbone: level 0 at S is a 3×3 stem conv + one 3×3 conv; level i > 0 is a 2×2 average pool
 * then two 3×3 convs; each conv → GroupNorm → ReLU (a small ResNet-free CNN, as unet.ts's
 * encoder with ReLU). 1×1 convs run as matMuls over pixels; 3×3 convs through unet.ts's conv3x3
 * (the fast cpu filter gradient).
 *
 * The tree keeps `backbone` and `fpn` as separate top-level keys, so the backbone is addressed by
 * the name prefix "backbone." ("backbone.0.conv1.kernel") for evaluation and transfer.
 */
export interface StudentConfig {
  imageSize: number; // S, divisible by 2^(levels−1); the coarsest size S/2^(levels−1) divisible by every PPM bin
  channels: readonly number[]; // backbone channels per level, finest first, e.g. [16, 32, 64]: level i at S/2^i
  fpnChannels: number; // width of the FPN's lateral / top-down maps
  outChannels: readonly number[]; // the teacher's channels per level, finest first (the regressor's 1×1 outputs)
  groups: number; // GroupNorm groups (clamped per layer with normGroups)
}

export interface PyramidPoolingParams {
  [key: string]: ConvParams | ConvParams[];
  bins: ConvParams[]; // one 1×1 conv per bin size (PPM_BINS), fpnChannels → fpnChannels
  fuse: ConvParams; // 1×1, fpnChannels·(1 + bins) → fpnChannels
}

export interface RegressorLevelParams {
  [key: string]: ConvParams | GroupNormParams;
  lateral: ConvParams; // 1×1, channels[i] → fpnChannels
  conv: ConvParams; // 3×3, fpnChannels → fpnChannels, then GroupNorm, ReLU
  norm: GroupNormParams;
  out: ConvParams; // 1×1, fpnChannels → outChannels[i]
}

export interface FpnParams {
  [key: string]: RegressorLevelParams[] | PyramidPoolingParams;
  levels: RegressorLevelParams[]; // finest first
  ppm: PyramidPoolingParams;
}

export interface StudentParams {
  /** backbone[i]: level i; conv1 is the stem (3 → channels[0]) at i = 0, channels[i−1] → channels[i] after the pool otherwise. */
  backbone: DoubleConvParams[];
  fpn: FpnParams;
  /** config.groups: not a variable, so namedVariables/save/load skip it; cloneTree copies it as it is. */
  groups: number;
}

/** The pyramid pooling bins (PSPNet uses 1, 2, 3, 6; a 2×2 coarsest map at 16 px allows 1 and 2). */
export const PPM_BINS: readonly number[] = [1, 2];

/** Kaiming normal (fan-in), std √(2/fan_in), truncated at 2σ as unet.ts; bias 0. */
function kaimingConv(rng: Rng, size: number, inChannels: number, outChannels: number): ConvParams {
  const std = Math.sqrt(2 / (size * size * inChannels));
  return { kernel: truncatedNormalVariable(rng, [size, size, inChannels, outChannels], std), bias: constantVariable([outChannels], 0) };
}

function createNorm(channels: number): GroupNormParams {
  return { gamma: constantVariable([channels], 1), beta: constantVariable([channels], 0) };
}

/** Throws unless the coarsest map size splits into every PPM bin. */
function checkBins(size: number, where: string): void {
  for (const bins of PPM_BINS) {
    if (!Number.isInteger(size) || size % bins !== 0) {
      throw new Error(`${where}: the pyramid pooling needs the coarsest map size (${size}) to be divisible by every bin count [${PPM_BINS}] (${bins} does not divide it)`);
    }
  }
}

export function createStudent(config: StudentConfig, rng: Rng): StudentParams {
  const { channels, imageSize, fpnChannels: f, outChannels } = config;
  const levels = channels.length;
  if (levels < 1) throw new Error('createStudent: channels must name at least one level');
  if (outChannels.length !== levels) throw new Error(`createStudent: ${outChannels.length} outChannels for ${levels} levels`);
  if (imageSize % 2 ** (levels - 1) !== 0) throw new Error(`createStudent: image size ${imageSize} is not divisible by 2^${levels - 1}`);
  checkBins(imageSize / 2 ** (levels - 1), 'createStudent');
  if (!(config.groups >= 1)) throw new Error(`createStudent: groups must be ≥ 1, got ${config.groups}`);
  // Drawn in a fixed order (backbone fine → coarse, regressor fine → coarse, PPM) from the one
  // stream, so the same seed gives the same weights everywhere.
  const backbone = channels.map((out, i) => ({
    conv1: kaimingConv(rng, 3, i === 0 ? 3 : channels[i - 1], out),
    norm1: createNorm(out),
    conv2: kaimingConv(rng, 3, out, out),
    norm2: createNorm(out),
  }));
  const fpnLevels = channels.map((c, i) => ({
    lateral: kaimingConv(rng, 1, c, f),
    conv: kaimingConv(rng, 3, f, f),
    norm: createNorm(f),
    // The 1×1 outputs start small (trunc normal 0.02, as layers.ts's Linear): the first
    // predictions are near 0 and the MSE starts near E[LN(f_t)²] = 1.
    out: { kernel: truncatedNormalVariable(rng, [1, 1, f, outChannels[i]], 0.02), bias: constantVariable([outChannels[i]], 0) },
  }));
  const ppm = { bins: PPM_BINS.map(() => kaimingConv(rng, 1, f, f)), fuse: kaimingConv(rng, 1, f * (1 + PPM_BINS.length), f) };
  return { backbone, fpn: { levels: fpnLevels, ppm }, groups: config.groups };
}

function checkGroups(params: StudentParams): number {
  if (typeof params.groups !== 'number') throw new Error('StudentParams.groups is missing');
  return params.groups;
}

/** A 1×1 conv as a matMul over pixels (same result; matMul's gradients are fast on every backend). */
function conv1x1(params: ConvParams, x: tf.Tensor4D): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const out = params.kernel.shape[3]!;
  const y = tf.add(tf.matMul(tf.reshape(x, [n * h * w, c]), tf.reshape(params.kernel, [c, out])), params.bias);
  return tf.reshape(y, [n, h, w, out]);
}

/** conv3×3 → GroupNorm → ReLU. */
function convNormRelu(conv: ConvParams, norm: GroupNormParams, x: tf.Tensor4D, groups: number): tf.Tensor4D {
  const y = conv3x3(x, conv.kernel as tf.Tensor4D, conv.bias);
  return tf.relu(groupNorm(y, norm.gamma, norm.beta, normGroups(y.shape[3], groups)));
}

/**
 * Nearest-neighbour upsampling by integer factors: [N, h, w, C] → [N, h, 1, w, 1, C] × ones
 * [1, 1, fh, 1, fw, 1] → [N, fh·h, fw·w, C] (upsampleNearest2x for any factor). Its gradient is
 * the broadcast's sum over each block, on any backend.
 */
export function upsampleNearest(x: tf.Tensor4D, factor: number, factorW = factor): tf.Tensor4D {
  if (!Number.isInteger(factor) || !Number.isInteger(factorW) || factor < 1 || factorW < 1) {
    throw new Error(`upsampleNearest: factors must be positive integers, got ${factor}, ${factorW}`);
  }
  if (factor === 1 && factorW === 1) return tf.clone(x);
  return tf.tidy(() => {
    const [n, h, w, c] = x.shape;
    const spread = tf.mul(tf.reshape(x, [n, h, 1, w, 1, c]), tf.ones([1, 1, factor, 1, factorW, 1]));
    return tf.reshape(spread, [n, factor * h, factorW * w, c]);
  });
}

/**
 * The pyramid pooling module on the coarsest lateral x [N, h, w, F]: for each bin count b,
 * average-pool to b×b (filter and stride h/b, w/b), 1×1 conv + ReLU (PSPNet's bin branch, without
 * a norm: a 1×1 map has no spatial statistics), upsample back to h×w by nearest neighbour; concat
 * [x, branches…] and fuse with a 1×1 conv to F (linear, like the other levels' laterals).
 */
function pyramidPooling(params: PyramidPoolingParams, x: tf.Tensor4D): tf.Tensor4D {
  const [, h, w] = x.shape;
  checkBins(h, 'studentRegress');
  checkBins(w, 'studentRegress');
  return tf.tidy(() => {
    const branches = PPM_BINS.map((bins, k) => {
      const pooled = tf.avgPool(x, [h / bins, w / bins], [h / bins, w / bins], 'valid') as tf.Tensor4D;
      return upsampleNearest(tf.relu(conv1x1(params.bins[k], pooled)), h / bins, w / bins);
    });
    return conv1x1(params.fuse, tf.concat([x, ...branches], 3));
  });
}

/** Backbone feature maps, finest first: level i [N, S/2^i, S/2^i, channels[i]]. */
export function studentBackbone(params: StudentParams, x: tf.Tensor4D): tf.Tensor4D[] {
  const groups = checkGroups(params);
  const outputs: tf.Tensor4D[] = [];
  let h = x;
  params.backbone.forEach((level, i) => {
    const previous = h;
    h = tf.tidy(() => {
      const input = i === 0 ? previous : avgPool2x2(previous);
      return convNormRelu(level.conv2, level.norm2, convNormRelu(level.conv1, level.norm1, input, groups), groups);
    });
    outputs.push(h);
  });
  return outputs;
}

/**
 * The FPN regressor over the backbone maps (finest first): laterals L_i = 1×1(features[i]) to F;
 * P_top = PPM(L_top); P_i = L_i + upsample2×(P_{i+1}) (FPN's top-down sum); each P_i → 3×3 conv →
 * GroupNorm → ReLU → 1×1 to outChannels[i]. Returns the regressed maps finest first, level i
 * [N, S/2^i, S/2^i, outChannels[i]].
 */
export function studentRegress(params: StudentParams, features: tf.Tensor4D[]): tf.Tensor4D[] {
  const groups = checkGroups(params);
  const { levels, ppm } = params.fpn;
  if (features.length !== levels.length) throw new Error(`studentRegress: ${features.length} feature maps for ${levels.length} levels`);
  return tf.tidy(() => {
    const top = levels.length - 1;
    const pyramid: tf.Tensor4D[] = new Array(levels.length);
    pyramid[top] = pyramidPooling(ppm, conv1x1(levels[top].lateral, features[top]));
    for (let i = top - 1; i >= 0; i--) {
      pyramid[i] = tf.add(conv1x1(levels[i].lateral, features[i]), upsampleNearest2x(pyramid[i + 1]));
    }
    return pyramid.map((p, i) => conv1x1(levels[i].out, convNormRelu(levels[i].conv, levels[i].norm, p, groups)));
  });
}

/** The backbone maps and the regressed maps, both finest first; nothing else stays alive. */
export function studentForward(params: StudentParams, x: tf.Tensor4D): { features: tf.Tensor4D[]; regressed: tf.Tensor4D[] } {
  const features = studentBackbone(params, x);
  return { features, regressed: studentRegress(params, features) };
}
