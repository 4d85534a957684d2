import * as tf from '@tensorflow/tfjs';
import type { Corruption } from '../../measures/noise';
import { corruptionScales } from '../../measures/noise';
import type { Rng } from '../random';

/**
 * DeP's denoising objective (Brempong et al. 2022, "Denoising Pretraining for Semantic
 * Segmentation", §3) on tensors. No official code is public; these are the paper's equations,
 * restated in measures/noise.ts (the CPU version the page draws with, which these must agree with)
 * and in scripts/reference/dep_reference.py (the test's reference numbers).
 *
 * x is in model units (2·pixel − 1), ε ~ N(0, I) of x's shape, σ a noise level:
 * - 'vp' (variance preserving): x̃ = √γ·x + √(1 − γ)·ε, γ = 1 / (1 + σ²);
 * - 'simple': x̃ = x + σ·ε.
 * The network predicts ε̂ = f(x̃) and is trained with ‖f(x̃) − ε‖². σ may be one number for the
 * batch or one per image (a [N] tensor, as sampleSigmas draws them).
 */

/** A per-image σ [N] → the corruption's scales a, b as [N, 1, 1, 1] tensors (x̃ = a·x + b·ε). */
function tensorScales(sigma: tf.Tensor1D, batch: number, kind: Corruption): [tf.Tensor, tf.Tensor] {
  if (sigma.rank !== 1 || sigma.shape[0] !== batch) {
    throw new Error(`denoise: σ has shape [${sigma.shape}], expected [${batch}] (one per image)`);
  }
  const s = tf.reshape(sigma, [batch, 1, 1, 1]);
  if (kind === 'simple') return [tf.onesLike(s), s];
  // √γ = 1/√(1 + σ²) and √(1 − γ) = σ·√γ: the same values as noise.ts, without 1 − γ's
  // cancellation in float32 at small σ.
  const a = tf.rsqrt(tf.add(tf.square(s), 1));
  return [a, tf.mul(s, a)];
}

function scales(sigma: number | tf.Tensor1D, batch: number, kind: Corruption): [number | tf.Tensor, number | tf.Tensor] {
  return typeof sigma === 'number' ? corruptionScales(sigma, kind) : tensorScales(sigma, batch, kind);
}

/** The noisy input x̃ = a·x + b·ε (model units in, model units out; not clipped). */
export function corrupt(x: tf.Tensor4D, noise: tf.Tensor4D, sigma: number | tf.Tensor1D, kind: Corruption): tf.Tensor4D {
  return tf.tidy(() => {
    const [a, b] = scales(sigma, x.shape[0], kind);
    return tf.add(tf.mul(x, a), tf.mul(noise, b)) as tf.Tensor4D;
  });
}

/** The clean image the predicted noise implies: x̂ = (x̃ − b·ε̂) / a, inverting corrupt(). */
export function denoisedEstimate(noisy: tf.Tensor4D, predicted: tf.Tensor4D, sigma: number | tf.Tensor1D, kind: Corruption): tf.Tensor4D {
  return tf.tidy(() => {
    const [a, b] = scales(sigma, noisy.shape[0], kind);
    return tf.div(tf.sub(noisy, tf.mul(predicted, b)), a) as tf.Tensor4D;
  });
}

/** The paper's ‖f(x̃) − ε‖², averaged per element: mean over all entries of (ε̂ − ε)². */
export function denoisingLoss(predicted: tf.Tensor4D, noise: tf.Tensor4D): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.squaredDifference(predicted, noise)) as tf.Scalar);
}

/**
 * `count` noise levels, log-uniform in [min, max] (σ drawn per image): every octave of σ gets
 * the same share of the batch, so small and large noise are both trained on.
 */
export function sampleSigmas(rng: Rng, count: number, min: number, max: number): Float32Array {
  if (!(min > 0) || !(max >= min)) throw new Error(`sampleSigmas: need 0 < min ≤ max, got [${min}, ${max}]`);
  const low = Math.log(min);
  const high = Math.log(max);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = Math.min(max, Math.max(min, Math.exp(rng.uniform(low, high))));
  return out;
}
