import * as tf from '@tensorflow/tfjs';
import type { PhotometricParams } from './crops';

/**
* Applies per-crop photometric augmentation on the GPU. Parameters arrive as one small
 * [M, 14] upload: brightness, contrast, saturation, blur, solarize and a 3×3 hue rotation.
 * The order is fixed (brightness → contrast → saturation → hue; torchvision randomises it).
 */
const LUMA = [0.299, 0.587, 0.114];

export const PHOTOMETRIC_WIDTH = 14;

/** Packs crop parameters as rows of [brightness, contrast, saturation, blur, solarize, hue 3×3]. */
export function packPhotometric(params: readonly PhotometricParams[]): Float32Array {
  const packed = new Float32Array(params.length * PHOTOMETRIC_WIDTH);
  params.forEach((p, i) => {
    const offset = i * PHOTOMETRIC_WIDTH;
    packed[offset] = p.brightness;
    packed[offset + 1] = p.contrast;
    packed[offset + 2] = p.saturation;
    packed[offset + 3] = p.blur;
    packed[offset + 4] = p.solarize;
    packed.set(hueRotation(p.hue), offset + 5);
  });
  return packed;
}

/** Hue rotation by `turns` as a row-major 3×3 RGB matrix: rotate the chroma plane of YIQ. */
function hueRotation(turns: number): Float32Array {
  const angle = turns * 2 * Math.PI;
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const toYiq = [0.299, 0.587, 0.114, 0.596, -0.274, -0.322, 0.211, -0.523, 0.312];
  const fromYiq = [1, 0.956, 0.621, 1, -0.272, -0.647, 1, -1.106, 1.703];
  const rotate = [1, 0, 0, 0, cos, -sin, 0, sin, cos];
  return Float32Array.from(multiply3(fromYiq, multiply3(rotate, toYiq)));
}

function multiply3(a: number[], b: number[]): number[] {
  const out = new Array<number>(9).fill(0);
  for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) for (let k = 0; k < 3; k++) out[r * 3 + c] += a[r * 3 + k] * b[k * 3 + c];
  return out;
}

/** ImageNet statistics, as DINO's Normalize. */
const MEAN = [0.485, 0.456, 0.406];
const STD = [0.229, 0.224, 0.225];

/**
 * crops: [M, s, s, 3] in [0, 1]; params: [M, 14] (see packPhotometric). Returns normalised crops.
 */
export function applyPhotometric(crops: tf.Tensor4D, params: tf.Tensor2D): tf.Tensor4D {
  const [count, height, width] = crops.shape;
  const column = (index: number) => tf.reshape(tf.slice(params, [0, index], [count, 1]), [count, 1, 1, 1]);
  const luma = tf.tensor1d(LUMA);
  const grey = (x: tf.Tensor) => tf.sum(tf.mul(x, luma), -1, true); // [M, s, s, 1]

  let x: tf.Tensor = tf.clipByValue(tf.mul(crops, column(0)), 0, 1); // brightness
  const meanGrey = tf.mean(grey(x), [1, 2, 3], true); // [M, 1, 1, 1]
  x = tf.clipByValue(tf.add(tf.mul(tf.sub(x, meanGrey), column(1)), meanGrey), 0, 1); // contrast
  const g = grey(x);
  x = tf.clipByValue(tf.add(tf.mul(tf.sub(x, g), column(2)), g), 0, 1); // saturation / grayscale
  // Hue: per-crop 3×3 matrix, one batched matMul [M, s·s, 3] × [M, 3, 3].
  const hue = tf.reshape(tf.slice(params, [0, 5], [count, 9]), [count, 3, 3]);
  x = tf.reshape(tf.matMul(tf.reshape(x, [count, height * width, 3]), hue, false, true), [count, height, width, 3]);
  x = tf.clipByValue(x, 0, 1);
  // Blur: a fixed 3×3 Gaussian (σ ≈ 0.85 px), mixed in per crop.
  const kernel1d = [0.25, 0.5, 0.25];
  const kernel = tf.tile(
    tf.reshape(tf.tensor1d(kernel1d.flatMap((a) => kernel1d.map((b) => a * b))), [3, 3, 1, 1]),
    [1, 1, 3, 1],
  ) as tf.Tensor4D;
  // Edges are mirrored (as PIL extends them) so the border does not darken.
  const padded = tf.mirrorPad(x as tf.Tensor4D, [[0, 0], [1, 1], [1, 1], [0, 0]], 'symmetric');
  const blurred = tf.depthwiseConv2d(padded, kernel, 1, 'valid');
  const blurMix = column(3);
  x = tf.add(tf.mul(x, tf.sub(1, blurMix)), tf.mul(blurred, blurMix));
  // Solarize (threshold 0.5 on [0, 1] images, as PIL's solarize(128)).
  const solarized = tf.where(tf.greaterEqual(x, 0.5), tf.sub(1, x), x);
  const solarizeMix = column(4);
  x = tf.add(tf.mul(x, tf.sub(1, solarizeMix)), tf.mul(solarized, solarizeMix));
  return tf.div(tf.sub(x, tf.tensor1d(MEAN)), tf.tensor1d(STD)) as tf.Tensor4D;
}

/** Undo the normalisation for display. */
export function denormalize(x: tf.Tensor): tf.Tensor {
  return tf.clipByValue(tf.add(tf.mul(x, tf.tensor1d(STD)), tf.tensor1d(MEAN)), 0, 1);
}

export function normalize(x: tf.Tensor): tf.Tensor {
  return tf.div(tf.sub(x, tf.tensor1d(MEAN)), tf.tensor1d(STD));
}
