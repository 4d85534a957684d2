/**
 * DeP's corruptions on plain arrays (no tfjs): the page draws what a noise level looks like
 * from a probe's clean pixels and its fixed unit-Gaussian noise, before and during training,
 * and the engine's tensor version (engine/losses/denoise.ts) is tested against these.
 *
 * The network works on x = 2·pixel − 1 (pixels in [0, 1]); with noise ε ~ N(0, I):
 * - variance preserving: x̃ = √γ·x + √(1 − γ)·ε with γ = 1 / (1 + σ²), so x̃ keeps unit-order
 *   variance and σ² is the noise-to-signal ratio (1 − γ)/γ;
 * - simple: x̃ = x + σ·ε.
 * The denoised estimate inverts the corruption with the predicted noise ε̂.
 */
export type Corruption = 'vp' | 'simple';

/** γ = 1 / (1 + σ²): the signal's share of the variance-preserving mix. */
export function noiseGamma(sigma: number): number {
  return 1 / (1 + sigma * sigma);
}

/** The corruption's [signal scale, noise scale]: x̃ = a·x + b·ε. */
export function corruptionScales(sigma: number, kind: Corruption): [number, number] {
  if (kind === 'simple') return [1, sigma];
  const gamma = noiseGamma(sigma);
  return [Math.sqrt(gamma), Math.sqrt(1 - gamma)];
}

/** Pixels in [0, 1] ↔ the network's inputs in [−1, 1]. */
export const toModel = (pixel: number) => 2 * pixel - 1;
export const toPixel = (value: number) => (value + 1) / 2;

/**
 * The noisy image the network would see, back in pixel units (not clipped: the view clips when
 * drawing): clean pixels [.., 3] in [0, 1], noise ε of the same length.
 */
export function corruptPixels(clean: Float32Array, noise: Float32Array, sigma: number, kind: Corruption): Float32Array {
  if (clean.length !== noise.length) throw new Error(`corruptPixels: ${clean.length} pixels, ${noise.length} noise values`);
  const [a, b] = corruptionScales(sigma, kind);
  const out = new Float32Array(clean.length);
  for (let i = 0; i < clean.length; i++) out[i] = toPixel(a * toModel(clean[i]) + b * noise[i]);
  return out;
}

/** x̂ = (x̃ − b·ε̂) / a in pixel units, from the noisy image (pixel units) and the predicted noise. */
export function denoisePixels(noisy: Float32Array, predicted: Float32Array, sigma: number, kind: Corruption): Float32Array {
  if (noisy.length !== predicted.length) throw new Error(`denoisePixels: ${noisy.length} pixels, ${predicted.length} predictions`);
  const [a, b] = corruptionScales(sigma, kind);
  const out = new Float32Array(noisy.length);
  for (let i = 0; i < noisy.length; i++) out[i] = toPixel((toModel(noisy[i]) - b * predicted[i]) / a);
  return out;
}

/** Peak signal-to-noise ratio in dB of `estimate` against `clean` (pixels in [0, 1]); Infinity when equal. */
export function psnr(clean: Float32Array, estimate: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < clean.length; i++) {
    const e = Math.min(Math.max(estimate[i], 0), 1) - clean[i];
    sum += e * e;
  }
  const mse = sum / clean.length;
  return mse === 0 ? Number.POSITIVE_INFINITY : -10 * Math.log10(mse);
}
