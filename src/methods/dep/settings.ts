/** DeP and DDeP's settings (plain data: the page imports this), typed by name through ValuesOf. */
import { commonSettings } from '../common';
import type { Setting, ValuesOf } from '../schema';

/** The warm-up and weight decay of a run trained in stages (DeP's DDeP, DreamTeacher's teacher then student). */
export const stagedOptimizationSettings = [
  { kind: 'number', name: 'warmupSteps', urlKey: 'wu', label: 'lr warm-up', group: 'optimization',
    help: 'Steps of linear warm-up at the start of each stage.', default: 50, min: 0, max: 100000, step: 10, integer: true, unit: 'steps' },
  { kind: 'number', name: 'weightDecay', urlKey: 'wd', label: 'Weight decay', group: 'optimization',
    help: 'AdamW weight decay on convolution kernels.', default: 0, min: 0, max: 1, step: 0.01 },
] as const satisfies readonly Setting[];

/**
 * DeP / DDeP (Brempong et al. 2022, "Denoising Pretraining for Semantic Segmentation"): a small
 * U-Net pre-trained to predict the noise added to an image, then fine-tuned for segmentation
 * with few labels. No official code is public; the defaults follow the paper's text (σ = 0.22
 * variance-preserving noise, no timestep conditioning) scaled down to the shapes dataset.
 */
export const depSettings = [
  { kind: 'choice', name: 'variant', urlKey: 'v', label: 'Variant', group: 'method',
    help: 'DeP: the whole U-Net learns to denoise. DDeP: a short supervised stage first trains the encoder to classify the ' +
      'labelled images; it is then frozen and only the decoder learns to denoise.',
    default: 'DeP', choices: ['DeP', 'DDeP'] },
  { kind: 'number', name: 'supervisedSteps', urlKey: 'ss', label: 'Supervised stage', group: 'method',
    help: 'DDeP only: steps of the supervised encoder stage (image classification on the labelled split) that run before denoising.',
    default: 200, min: 10, max: 100000, step: 10, integer: true, unit: 'steps' },
  // model
  { kind: 'number', name: 'width', urlKey: 'w', label: 'Width', group: 'model',
    help: 'Channels of the U-Net’s finest level; each coarser level doubles them.',
    default: 16, min: 4, max: 128, step: 4, integer: true },
  { kind: 'number', name: 'levels', urlKey: 'lv', label: 'Levels', group: 'model',
    help: 'Resolutions of the U-Net: the encoder halves the image levels − 1 times, the decoder climbs back with skip connections.',
    default: 3, min: 2, max: 5, step: 1, integer: true },
  { kind: 'number', name: 'groups', urlKey: 'g', label: 'GroupNorm groups', group: 'model',
    help: 'Channel groups of each GroupNorm (clamped to divide the channels).', default: 4, min: 1, max: 32, step: 1, integer: true },
  // noise
  { kind: 'choice', name: 'corruption', urlKey: 'cr', label: 'Corruption', group: 'noise',
    help: 'vp: x̃ = √γ·x + √(1−γ)·ε with γ = 1/(1+σ²) (variance preserving, the paper’s); simple: x̃ = x + σ·ε.',
    default: 'vp', choices: ['vp', 'simple'] },
  { kind: 'number', name: 'sigma', urlKey: 'sg', label: 'Noise σ', group: 'noise',
    help: 'Noise level (0.22 in the paper). Move it before training to see the noisy inputs in the denoising view; during a ' +
      'run it applies from the next step.',
    default: 0.22, min: 0.01, max: 2, step: 0.01, slider: true },
  { kind: 'choice', name: 'sigmaMode', urlKey: 'sm', label: 'σ per image', group: 'noise',
    help: 'fixed: every image gets σ. sampled: each image draws σ log-uniformly between the min and max below (a diffusion-like ' +
      'spread of noise levels; the paper found one fixed σ better).',
    default: 'fixed', choices: ['fixed', 'sampled'] },
  { kind: 'number', name: 'sigmaMin', urlKey: 'sn', label: 'Sampled σ min', group: 'noise',
    help: 'Smallest σ when σ is sampled per image.', default: 0.05, min: 0.01, max: 2, step: 0.01 },
  { kind: 'number', name: 'sigmaMax', urlKey: 'sx', label: 'Sampled σ max', group: 'noise',
    help: 'Largest σ when σ is sampled per image.', default: 1, min: 0.01, max: 4, step: 0.01 },
  // fine-tuning
  { kind: 'number', name: 'fineTuneSteps', urlKey: 'ft', label: 'Fine-tuning steps', group: 'fine-tuning',
    help: 'Steps of each segmentation fine-tuning the evaluation runs (per label fraction, for the pre-trained and the ' +
      'randomly initialised U-Net alike).', default: 150, min: 0, max: 10000, step: 10, integer: true, unit: 'steps' },
  { kind: 'number', name: 'fineTuneLearningRate', urlKey: 'flr', label: 'Fine-tuning lr', group: 'fine-tuning',
    help: 'Constant AdamW learning rate of the fine-tuning (whole U-Net and a new 1×1 segmentation head).',
    default: 0.002, min: 0.00001, max: 0.1, step: 0.00001, log: true },
  // optimization
  { kind: 'number', name: 'learningRate', urlKey: 'lr', label: 'Learning rate', group: 'optimization',
    help: 'Peak AdamW learning rate of each stage (linear warm-up, then cosine to 1% of it).',
    default: 0.002, min: 0.00001, max: 0.1, step: 0.00001, log: true },
  ...stagedOptimizationSettings,
] as const satisfies readonly Setting[];

/** Every setting of a DeP or DDeP run: its own, then the common ones (the order of the panel, the link and the CLI). */
export const DEP_SETTINGS = [...depSettings, ...commonSettings] as const;

export type DepValues = ValuesOf<typeof DEP_SETTINGS>;
