/**
 * DeP's denoising training and probe, shared by DeP / DDeP and by DreamTeacher's teacher stage:
 * a U-Net learns to predict the Gaussian noise added to images, and its probe shows the clean,
 * noisy, predicted-noise and denoised images for fixed probe images and fixed noise.
 */
import * as tf from '@tensorflow/tfjs';
import { corrupt, denoisedEstimate, denoisingLoss, sampleSigmas } from '../../engine/losses/denoise';
import { unetDecode, unetEncode, unetForward, type UNetParams } from '../../engine/nn/unet';
import { AdamW } from '../../engine/optim/adamw';
import { Rng } from '../../engine/random';
import type { Corruption } from '../../measures/noise';
import type { DenoisingProbe } from '../probes';
import type { ProbeInput } from '../types';

export interface NoiseSettings {
  corruption: Corruption;
  sigma: number;
  sigmaMode: 'fixed' | 'sampled';
  sigmaMin: number;
  sigmaMax: number;
}

/** Pixels in [0, 1] → the network's inputs in [−1, 1]. */
export const toModel = (images: tf.Tensor4D) => tf.sub(tf.mul(images, 2), 1) as tf.Tensor4D;
export const toPixels = (x: tf.Tensor) => tf.div(tf.add(x, 1), 2);

/** PSNR in dB of pixel-unit estimates against clean pixels, over the whole batch (clipped to [0, 1]). */
export function batchPsnr(estimate: tf.Tensor4D, clean: tf.Tensor4D): tf.Scalar {
  const mse = tf.mean(tf.square(tf.sub(tf.clipByValue(estimate, 0, 1), clean)));
  return tf.mul(tf.log(tf.maximum(mse, 1e-10)), -10 / Math.LN10) as tf.Scalar;
}

/** Unit-Gaussian noise of `shape` from the seeded CPU stream (the same on every backend). */
export function gaussian(rng: Rng, shape: [number, number, number, number]): tf.Tensor4D {
  const values = new Float32Array(shape[0] * shape[1] * shape[2] * shape[3]);
  for (let i = 0; i < values.length; i++) values[i] = rng.normal();
  return tf.tensor4d(values, shape);
}

export class Denoiser {
  private readonly optimizer: AdamW;
  private readonly noiseRng: Rng;
  private readonly sigmaRng: Rng;
  private readonly probeNoiseRng: () => Rng;
  /** The probe images' fixed noise (made at the first probe). */
  private probeNoise: tf.Tensor4D | null = null;

  /** `trainable`: the U-Net variables the denoising loss updates (DDeP leaves the encoder out). */
  constructor(readonly unet: UNetParams, private readonly trainable: Map<string, tf.Variable>, seed: number, label: string) {
    this.optimizer = new AdamW(trainable);
    this.noiseRng = Rng.stream(seed, `${label}:noise`);
    this.sigmaRng = Rng.stream(seed, `${label}:sigma`);
    this.probeNoiseRng = () => Rng.stream(seed, `${label}:probe-noise`);
  }

  /**
   * The next step's noise ε [B, S, S, 3] and, when σ is sampled, its σ per image, from the run's
   * streams. Public for the PyTorch export's parity test (through DepInstance.sampleViews).
   */
  sampleNoise(B: number, S: number, noise: NoiseSettings): { epsilon: tf.Tensor4D; sigmas: Float32Array | null } {
    const sigmas = noise.sigmaMode === 'sampled' ? sampleSigmas(this.sigmaRng, B, noise.sigmaMin, noise.sigmaMax) : null;
    return { epsilon: gaussian(this.noiseRng, [B, S, S, 3]), sigmas };
  }

  /** One denoising update on pixel images [B, S, S, 3]; call inside tf.tidy. */
  step(images: tf.Tensor4D, noise: NoiseSettings, learningRate: number, weightDecay: number): { loss: tf.Scalar; metrics: Record<string, tf.Scalar> } {
    const [B, S] = images.shape;
    const { epsilon, sigmas } = this.sampleNoise(B, S, noise);
    const sigma = sigmas ? tf.tensor1d(sigmas) : noise.sigma;
    const noisy = corrupt(toModel(images), epsilon, sigma, noise.corruption);
    let kept: tf.Tensor | null = null;
    const { value: loss, grads } = tf.variableGrads(() => {
      const { output } = unetDecode(this.unet, unetEncode(this.unet, noisy));
      kept = tf.keep(output);
      return denoisingLoss(output, epsilon);
    }, [...this.trainable.values()]);
    const byName = new Map<string, tf.Tensor>();
    for (const [name, variable] of this.trainable) {
      const grad = grads[variable.name];
      if (grad) byName.set(name, grad);
    }
    this.optimizer.apply(byName, { learningRate, weightDecay, clip: 0 });
    const predicted = tf.clone(kept!) as tf.Tensor4D;
    (kept as tf.Tensor | null)?.dispose();
    const denoised = toPixels(denoisedEstimate(noisy, predicted, sigma, noise.corruption)) as tf.Tensor4D;
    return {
      loss,
      metrics: {
        denoiseLoss: loss,
        noisyPsnr: batchPsnr(toPixels(noisy) as tf.Tensor4D, images),
        denoisedPsnr: batchPsnr(denoised, images),
        sigma: sigmas ? tf.mean(sigma as tf.Tensor1D) as tf.Scalar : tf.scalar(noise.sigma),
      },
    };
  }

  /** The denoising view's payload on the probe images at the current σ (one readback). */
  async probe(input: ProbeInput, noise: NoiseSettings, step: number): Promise<DenoisingProbe> {
    const [P, S] = input.images.shape;
    if (!this.probeNoise) this.probeNoise = gaussian(this.probeNoiseRng(), [P, S, S, 3]);
    const epsilon = this.probeNoise;
    const flat = tf.tidy(() => {
      const noisy = corrupt(toModel(input.images), epsilon, noise.sigma, noise.corruption);
      const predicted = unetForward(this.unet, noisy).output;
      const denoised = denoisedEstimate(noisy, predicted, noise.sigma, noise.corruption);
      const mse = tf.reshape(tf.mean(tf.square(tf.sub(predicted, epsilon))), [1]);
      return tf.concat([mse, ...[epsilon, toPixels(noisy), predicted, toPixels(denoised)].map((t) => tf.reshape(t, [-1]))]);
    });
    const data = (await flat.data()) as Float32Array;
    flat.dispose();
    const size = P * S * S * 3;
    const part = (i: number) => data.slice(1 + i * size, 1 + (i + 1) * size);
    return {
      kind: 'denoising', step, imageSize: S, count: P, corruption: noise.corruption, sigma: noise.sigma,
      clean: input.pixels, noise: part(0), noisy: part(1), predicted: part(2), denoised: part(3), mse: data[0],
    };
  }

  dispose(): void {
    this.optimizer.dispose();
    this.probeNoise?.dispose();
    this.probeNoise = null;
  }
}
