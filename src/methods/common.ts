import { readValues, type Setting, type SettingValues } from './schema';

/** The setting groups of `commonSettings` (each method lists its own before them). */
/**
 * Setting groups a first run need not touch (the network's size, the optimiser, augmentation
 * details): the panel keeps them under "Advanced", closed, so the method's own mechanisms, the
 * data and the run length are what a newcomer sees.
 */
export const ADVANCED_GROUPS: ReadonlySet<string> = new Set(['model', 'heads', 'optimization', 'augmentation', 'probes', 'fine-tuning', 'pyramid']);

export const COMMON_GROUPS = [
  { id: 'optimization', label: 'Optimization' },
  { id: 'data', label: 'Data' },
  { id: 'run', label: 'Run' },
] as const;

/**
 * Settings every method shares: data, run length and cadences, batch size. Each method's
 * description appends these to its own list, so the URL, the panel and the CLI see one list.
 */
export const commonSettings = [
  {
    kind: 'number', name: 'seed', urlKey: 's', label: 'Seed', group: 'run',
    help: 'Seeds the data, the crops and the initial weights: same seed, same run.',
    default: 1, min: 0, max: 2147483647, step: 1, integer: true,
  },
  {
    kind: 'number', name: 'totalSteps', urlKey: 'T', label: 'Training steps', group: 'run',
    help: 'Length of the run; every schedule (lr, weight decay, momentum) spans it.',
    default: 1000, min: 10, max: 100000, step: 10, integer: true, unit: 'steps',
  },
  {
    kind: 'number', name: 'metricsEvery', urlKey: 'me', label: 'Metrics every', group: 'run',
    help: 'Metrics stay on the GPU and are read back (averaged) once per this many steps.',
    default: 10, min: 1, max: 1000, step: 1, integer: true, unit: 'steps',
  },
  {
    kind: 'number', name: 'probeEvery', urlKey: 'pe', label: 'Probes every', group: 'run',
    help: 'Attention maps and crops are recomputed on the fixed probe images this often.',
    default: 50, min: 1, max: 10000, step: 1, integer: true, unit: 'steps',
  },
  {
    kind: 'number', name: 'evalEvery', urlKey: 'ev', label: 'Evaluate every', group: 'run',
    help: 'Evaluates the frozen features this often (kNN, linear and segmentation probes, attention Jaccard, on held-out images, next to the untrained network); 0 = only when you press Evaluate. Training waits while it runs.',
    default: 0, min: 0, max: 100000, step: 10, integer: true, unit: 'steps',
  },
  {
    kind: 'boolean', name: 'fusedKernels', urlKey: 'fk', label: 'Fused GPU kernels', group: 'run',
    help: 'On WebGPU, run attention, LayerNorm, GELU, the AdamW update and the EMA teachers as fused kernels (DINO tiny: about a third of the GPU dispatches, twice the speed). Off: stock tfjs ops, the same numbers within float rounding.',
    default: true,
  },
  {
    kind: 'choice', name: 'dataset', urlKey: 'd', label: 'Dataset', group: 'data',
    help: 'shapes: generated images, one object per image (the label is its shape, not its colour). Or one of your own image sets: they stay in this browser.',
    default: 'shapes', choices: ['shapes'], imageSets: true,
  },
  {
    kind: 'choice', name: 'imageSize', urlKey: 'is', label: 'Image size', group: 'data',
    help: 'Side of the square images and of the global crops, in pixels.',
    default: '32', choices: ['16', '32', '64'],
  },
  {
    kind: 'number', name: 'datasetSize', urlKey: 'n', label: 'Training images', group: 'data',
    help: 'Shapes generated once and kept on the GPU; batches are drawn from them. Your own image sets use all their images but a held-out fifth.',
    default: 2048, min: 64, max: 16384, step: 64, integer: true,
  },
  {
    kind: 'boolean', name: 'distractors', urlKey: 'dx', label: 'Distractors', group: 'data',
    help: 'Shapes only: small blobs of other colours around the object, clutter the model must learn to ignore.',
    default: true,
  },
  {
    kind: 'choice', name: 'difficulty', urlKey: 'df', label: 'Backgrounds', group: 'data',
    help: 'Shapes only. hard: textured backgrounds (gradients, noise, stripes, checks) that two crops of one image share, a shortcut a network can match instead of the object. easy: a gentle gradient, so the object is what tells images apart.',
    default: 'hard', choices: ['hard', 'easy'],
  },
  {
    kind: 'number', name: 'batchSize', urlKey: 'b', label: 'Batch size', group: 'optimization',
    help: 'Images per step (each is cropped several times).',
    default: 64, min: 2, max: 512, step: 1, integer: true,
  },
] as const satisfies readonly Setting[];

/** Settings that can change mid-run for every method (cadences only). */
export const commonLiveSettings = ['metricsEvery', 'probeEvery', 'evalEvery'] as const;

/**
 * The largest single tensor of a ViT step on two full-size views per image (dataset, attention
 * scores, MLP activations), for MethodDescription.largestTensorBytes. `views` names them.
 */
export function vitLargestTensor(values: SettingValues, views: string): { bytes: number; what: string } {
  const v = readValues(VIT_RUN_SETTINGS, values);
  const size = Number(v.imageSize);
  const batch = v.batchSize;
  const tokens = (size / v.patchSize) ** 2 + 1;
  const candidates = [
    { bytes: v.datasetSize * size * size * 3 * 4, what: 'the training images' },
    // Attention scores: [2B·heads, T, T].
    { bytes: 2 * batch * v.heads * tokens * tokens * 4, what: `the attention scores of ${views}` },
    { bytes: 2 * batch * tokens * v.width * v.mlpRatio * 4, what: `the MLP activations of ${views}` },
  ];
  return candidates.reduce((a, b) => (b.bytes > a.bytes ? b : a));
}

/**
 * The ViT backbone's settings, shared by every ViT method (same keys, ranges and defaults, so
 * a link's model part means the same thing for each). `depthHelp` lets a method say more.
 */
export function vitSettings(depthHelp = 'Transformer blocks.') {
  return [
    { kind: 'number', name: 'patchSize', urlKey: 'ps', label: 'Patch size', group: 'model',
      help: 'Pixels per side of a ViT patch; 4 on 32 px images gives 8×8 = 64 tokens + CLS.',
      default: 4, min: 2, max: 16, step: 1, integer: true, unit: 'px' },
    { kind: 'number', name: 'width', urlKey: 'w', label: 'Width', group: 'model',
      help: 'Token dimension of the ViT (must divide by the number of heads).',
      default: 96, min: 8, max: 384, step: 8, integer: true },
    { kind: 'number', name: 'depth', urlKey: 'dp', label: 'Depth', group: 'model',
      help: depthHelp, default: 4, min: 1, max: 12, step: 1, integer: true },
    { kind: 'number', name: 'heads', urlKey: 'h', label: 'Heads', group: 'model',
      help: 'Attention heads per block; each gets its own attention map in the probes.',
      default: 4, min: 1, max: 12, step: 1, integer: true },
    { kind: 'number', name: 'mlpRatio', urlKey: 'mr', label: 'MLP ratio', group: 'model',
      help: 'Hidden width of each block’s MLP, as a multiple of the width.',
      default: 2, min: 1, max: 4, step: 1, integer: true },
  ] as const satisfies readonly Setting[];
}

/** A ViT method's backbone and run settings: what the shared ViT checks below read. */
export const VIT_RUN_SETTINGS = [...vitSettings(), ...commonSettings] as const;

/** The ViT's own constraints, one message each. */
export function vitProblems(values: SettingValues): string[] {
  const problems: string[] = [];
  const v = readValues(VIT_RUN_SETTINGS, values);
  const patch = v.patchSize;
  if (Number(v.imageSize) % patch !== 0) problems.push(`Image size ${v.imageSize} must be a multiple of the patch size ${patch}.`);
  if (v.width % v.heads !== 0) {
    problems.push(`Width ${v.width} must be divisible by the number of heads ${v.heads}.`);
  }
  return problems;
}

/**
 * Augmentations that fit the shapes, whose classes come at any angle and in any colour: a
 * random rotation of each view, and a hue jitter that can turn the colour wheel all the way.
 * Both default to what the papers do (no rotation, hue ±0.1), so only presets that ask for them
 * (the `learn` ones) change; off, they draw no random numbers, so older runs replay exactly.
 */
export function shapesAugmentationSettings(group: string) {
  return [
    { kind: 'number', name: 'rotation', urlKey: 'ro', label: 'Rotation', group,
      help: 'Each view is turned by a random angle up to this many degrees (0: off, as in the papers). For shapes, whose classes come at any angle, it takes away a shortcut: two views of one image otherwise share their object’s pose.', default: 0, min: 0, max: 180, step: 15, unit: '°' },
    hueJitterSetting(group),
  ] as const satisfies readonly Setting[];
}

/**
 * The hue half of shapesAugmentationSettings alone, for methods whose views must keep their
 * orientation (LOCA predicts where a query patch lies in the reference: turning one view would
 * change the answer).
 */
export function hueJitterSetting(group: string) {
  return {
    kind: 'number', name: 'hueJitter', urlKey: 'hj', label: 'Hue jitter', group,
    help: 'Largest hue rotation of the colour jitter, in turns (0.1 as in the papers; 0.5: any hue). Where colour is random and not the label, as in shapes, a full turn stops the views matching by colour.', default: 0.1, min: 0, max: 0.5, step: 0.05,
  } as const satisfies Setting;
}

/**
 * The data and cadences every `learn` preset shares: 16 px shapes on easy backgrounds without
 * distractors (so the object, not a texture two crops share, is what tells images apart), a
 * training set of 2,048, and an evaluation every 250 steps so the app's evaluation chart shows
 * held-out kNN climbing away from the untrained network's line while the run trains. The
 * study (`npm run study`) measures these presets; README "Does it learn?" has its table.
 */
export const LEARN_COMMON: SettingValues = {
  imageSize: '16', difficulty: 'easy', distractors: false, datasetSize: 2048,
  metricsEvery: 10, probeEvery: 100, evalEvery: 250,
};
