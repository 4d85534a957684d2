import type { Lesson } from '../collapse';
import { commonLiveSettings, LEARN_COMMON, COMMON_GROUPS } from '../common';
import { readValues, type SettingValues } from '../schema';
import { DEP_SETTINGS } from './settings';
import type { MethodDescription } from '../types';
import { depChannels } from './config';
import { PALETTE } from '../palette';
import { FACTORS, convUnits, stepMemory } from '../memory';

/** The `learn` preset (measured by `npm run study`): 16 px easy shapes, a 3-level U-Net. */
const learnValues: SettingValues = {
  ...LEARN_COMMON,
  width: 16, levels: 3, groups: 4, batchSize: 64, totalSteps: 800, warmupSteps: 80, learningRate: 0.004, supervisedSteps: 200,
};

const tinyValues: SettingValues = {
  imageSize: '16', datasetSize: 256, batchSize: 8, totalSteps: 150, metricsEvery: 2, probeEvery: 10,
  width: 8, levels: 3, groups: 2, supervisedSteps: 60, warmupSteps: 10, learningRate: 0.005, fineTuneSteps: 40,
};

const depLessons: Lesson[] = [
  {
    id: 'dep-sigma', title: 'How much noise', metric: 'denoisedPsnr',
    text: 'σ sets what the U-Net must learn. At the paper’s σ = 0.22 the noisy input still shows the shapes and the ' +
      'network learns to separate fine noise from edges and flat colour; at σ = 1 the noise is as strong as the image ' +
      'and only coarse layout survives, so the denoised estimate is blurrier. The chart shows the PSNR of the denoised ' +
      'estimate (solid) against that of the noisy input: denoising helps when the first rises above the second. Open ' +
      'the denoising view to compare the predicted noise with the true one, and press Evaluate to fine-tune both on ' +
      'segmentation next to a randomly initialised U-Net.',
    runs: [
      { name: 'σ = 0.22', preset: 'tiny', values: {} },
      { name: 'σ = 1', preset: 'tiny', values: { sigma: 1 } },
    ],
  },
];

export const depDescription: MethodDescription = {
  id: 'dep',
  title: 'DeP / DDeP',
  paper: {
    title: 'Denoising Pretraining for Semantic Segmentation',
    authors: 'Brempong, Kornblith, Chen, Parmar, Minderer, Norouzi',
    year: 2022,
    url: 'https://arxiv.org/abs/2205.11423',
  },
  summary:
    'Add Gaussian noise to an image and train a U-Net to predict that noise. To do it, the network must tell image ' +
    'structure (edges, flat regions, objects) from noise at every pixel: the same dense, pixel-level knowledge a ' +
    'segmentation network needs. The pre-trained U-Net is then fine-tuned on a few labelled masks. DDeP first trains ' +
    'the encoder with image labels, freezes it, and pre-trains only the decoder by denoising.',
  whyNoCollapse:
    'Nothing to collapse into: the target is the noise itself, drawn fresh every step, so a constant output pays the ' +
    'full loss (1 per pixel). The risk is the opposite: a network that denoises well with features that are too local ' +
    'to help segmentation, which is why the noise level matters.',
  lossMath:
    'x̃ = √γ·x + √(1 − γ)·ε,  γ = 1 / (1 + σ²),  ε ~ N(0, I)   (simple: x̃ = x + σ·ε)\n' +
    'L = mean over pixels and channels of (f_θ(x̃) − ε)²\n' +
    'denoised estimate x̂ = (x̃ − √(1 − γ)·f_θ(x̃)) / √γ\n' +
    'DDeP: θ_encoder from supervised classification, frozen; only θ_decoder minimises L',
  implementationNotes:
    'A small U-Net (two 3×3 convolutions with GroupNorm and SiLU per level, average-pool down, nearest up with skip ' +
    'concatenation, a 1×1 output convolution), no timestep input, images mapped to [−1, 1]. The paper pre-trains a ' +
    'TransUNet-style network on ImageNet-21k; here: 32 px shapes, widths 16/32/64. DDeP’s supervised stage trains the ' +
    'encoder with a linear classifier on the labelled split for a few hundred steps instead of using an ImageNet ' +
    'classifier. Fine-tuning trains the whole U-Net with a new 1×1 head on object-vs-background masks, with class-' +
    'balanced cross-entropy, and the same recipe from a random initialisation is the baseline.',
  groups: [
    { id: 'method', label: 'Method' },
    { id: 'noise', label: 'Noise' },
    { id: 'model', label: 'Model' },
    { id: 'fine-tuning', label: 'Fine-tuning' },
    ...COMMON_GROUPS,
  ],
  settings: DEP_SETTINGS,
  presets: [
    { id: 'default', label: 'Default (DeP)', description: 'A 3-level U-Net on 32 px shapes, VP noise at σ = 0.22, the whole network denoise-pretrained.', values: {} },
    { id: 'ddep', label: 'DDeP', description: 'A supervised encoder stage first, then only the decoder learns to denoise.', values: { variant: 'DDeP' } },
    { id: 'tiny', label: 'Tiny', description: 'A very small U-Net on 16 px images, fast enough for tests and slow GPUs.', values: tinyValues },
    { id: 'learn', label: 'Learn', description: 'The U-Net on 16 px shapes, 800 steps: a CPU-sized run whose fine-tuning the study compares with random initialisation (see “Does it learn?”).', values: learnValues },
    // 400 supervised steps (the study, seeds 1–3: fine-tune 1 % − random init +0.042 with 200, +0.053 with 400; 1,400 steps in all: +0.038).
    { id: 'learn-ddep', label: 'Learn DDeP', description: 'The learn preset with a 400-step supervised encoder stage, then only the decoder denoise-pretrained for 400 steps.', values: { ...learnValues, variant: 'DDeP', supervisedSteps: 400 } },
    { id: 'tiny-ddep', label: 'Tiny DDeP', description: 'The tiny U-Net with a 60-step supervised encoder stage.', values: { ...tinyValues, variant: 'DDeP' } },
    { id: 'sampled-sigma', label: 'Sampled σ', description: 'σ drawn per image between 0.05 and 1, as a diffusion model would.', values: { sigmaMode: 'sampled' } },
  ],
  liveSettings: [...commonLiveSettings, 'sigma'],
  validate(values) {
    const v = readValues(DEP_SETTINGS, values);
    const problems: string[] = [];
    const size = Number(v.imageSize);
    const levels = v.levels;
    const factor = 2 ** (levels - 1);
    if (size % factor !== 0 || size / factor < 2) {
      problems.push(`${levels} levels halve the image ${levels - 1} times: image size ${size} must be a multiple of ${factor} and at least ${2 * factor}.`);
    }
    if (v.sigmaMode === 'sampled' && v.sigmaMin > v.sigmaMax) {
      problems.push('Sampled σ min must not exceed its max.');
    }
    if (v.variant === 'DDeP' && v.supervisedSteps >= v.totalSteps) {
      problems.push(`The supervised stage (${v.supervisedSteps} steps) must be shorter than the run (${v.totalSteps} steps), or nothing is left for denoising.`);
    }
    return problems;
  },
  stepMemory(values) {
    const v = readValues(DEP_SETTINGS, values);
    // The U-Net's encoder and decoder, each over every level.
    return stepMemory(values, 2 * convUnits(Number(v.imageSize), v.width, v.levels), FACTORS.dep);
  },
  largestTensorBytes(values) {
    const v = readValues(DEP_SETTINGS, values);
    const size = Number(v.imageSize);
    const batch = v.batchSize;
    const channels = depChannels(v.width, v.levels);
    const candidates = [
      { bytes: v.datasetSize * size * size * 3 * 4, what: 'the training images' },
      // The finest decoder level concatenates the upsampled and the skip maps: 2·w channels at full size.
      { bytes: batch * size * size * 2 * channels[0] * 4, what: 'the U-Net’s finest decoder activations' },
    ];
    return candidates.reduce((a, b) => (b.bytes > a.bytes ? b : a));
  },
  charts(values) {
    const v = readValues(DEP_SETTINGS, values);
    const ddep = v.variant === 'DDeP';
    const denoisingStage = ddep
      ? { stages: [{ step: v.supervisedSteps + 1, label: 'denoising' }], waiting: `Starts at step ${v.supervisedSteps + 1}, after the supervised stage` }
      : {};
    return [
      // DDeP's two stages each get their own chart (their losses are on different scales).
      ...(ddep ? [{
        id: 'supervised-loss', title: 'Supervised stage loss', section: 'training' as const, yLabel: 'cross-entropy (nats)',
        help: `DDeP’s first stage, steps 1–${v.supervisedSteps}: the encoder with a linear classifier, trained on the labelled images’ shape classes.`,
        lines: [{ name: 'supervisedLoss', label: 'supervised stage CE', color: PALETTE.orange }],
        references: [{ value: Math.log(10), label: 'chance, ln 10' }],
      }] : []),
      {
        id: 'loss', title: 'Loss', section: 'training', yLabel: 'denoising MSE',
        help: 'Denoising loss: mean squared error between the predicted and the true noise (1 = predicting no noise at all).',
        lines: [{ name: 'denoiseLoss', label: 'denoising MSE', color: PALETTE.blue }],
        references: [{ value: 1, label: 'ε̂ = 0 (no denoising)' }],
        ...denoisingStage,
      },
      {
        id: 'psnr', title: 'Denoising PSNR', section: 'training', yLabel: 'PSNR (dB)', ...denoisingStage,
        help: 'PSNR in dB against the clean batch: of the noisy input, and of the denoised estimate x̂. Denoising helps where the estimate’s line is above the input’s.',
        lines: [
          { name: 'denoisedPsnr', label: 'denoised x̂', color: PALETTE.green },
          { name: 'noisyPsnr', label: 'noisy input x̃', color: PALETTE.slate },
        ],
      },
      ...(ddep ? [{
        id: 'supervised-accuracy', title: 'Supervised stage accuracy', section: 'training' as const, yLabel: 'accuracy (0–1)',
        help: 'DDeP’s first stage: the encoder with a linear classifier, trained on the labelled images’ shape classes (batch accuracy).',
        lines: [{ name: 'supervisedAccuracy', label: 'top-1', color: PALETTE.orange }],
        references: [{ value: 0.1, label: 'chance (10 classes)' }],
      }] : []),
      {
        id: 'schedules', title: 'Schedules', section: 'collapse', summary: false, yLabel: 'lr, σ',
        stages: ddep ? [{ step: v.supervisedSteps + 1, label: 'denoising' }] : undefined,
        help: 'Learning rate as the run applies it' + (ddep ? ' (each stage warms up and decays on its own)' : '') + ', and the mean σ of the batch.',
        lines: [
          { name: 'learningRate', label: 'lr', color: PALETTE.purple },
          { name: 'sigma', label: 'mean σ', color: PALETTE.slate },
        ],
      },
    ];
  },
  collapseModes: [],
  lessons: depLessons,
  probeKinds: () => ['denoising', 'embedding'],
  load: () => import('./method').then((module) => module.implementation),
};
