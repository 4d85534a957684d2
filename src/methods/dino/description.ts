import { commonCollapseCharts, type Lesson } from '../collapse';
import { commonLiveSettings, commonSettings, LEARN_COMMON, shapesAugmentationSettings, vitLargestTensor, vitProblems, vitSettings, COMMON_GROUPS } from '../common';
import type { Setting, SettingValues } from '../schema';
import type { MethodDescription } from '../types';
import { PALETTE } from '../palette';

/** DINO's own settings (METHODS.md; defaults scaled down from facebookresearch/dino main_dino.py). */
const dinoSettings: readonly Setting[] = [
  // model
  ...vitSettings(),
  { kind: 'number', name: 'headHidden', urlKey: 'hh', label: 'Head hidden', group: 'model',
    help: 'Hidden width of the 3-layer DINO head MLP (2048 in the paper).',
    default: 256, min: 16, max: 2048, step: 16, integer: true },
  { kind: 'number', name: 'bottleneck', urlKey: 'bn', label: 'Head bottleneck', group: 'model',
    help: 'Dimension of the L2-normalised bottleneck before the prototypes (256 in the paper).',
    default: 64, min: 8, max: 512, step: 8, integer: true },
  { kind: 'number', name: 'outputDim', urlKey: 'k', label: 'Prototypes K', group: 'model',
    help: 'Output dimension K of the head: the teacher’s "classes" (65536 in the paper).',
    default: 1024, min: 8, max: 8192, step: 8, integer: true },
  { kind: 'boolean', name: 'normLastLayer', urlKey: 'nl', label: 'Normalise last layer', group: 'model',
    help: 'Weight-normalised prototypes with their norm fixed at 1 (norm_last_layer in the code).',
    default: true },
  // crops
  { kind: 'boolean', name: 'multiCrop', urlKey: 'mc', label: 'Multi-crop', group: 'crops',
    help: 'Local crops through the student only (off: two global crops, as in the ablation).',
    default: true },
  { kind: 'number', name: 'localCrops', urlKey: 'lc', label: 'Local crops', group: 'crops',
    help: 'Small crops per image, seen by the student only.',
    default: 4, min: 1, max: 10, step: 1, integer: true },
  { kind: 'number', name: 'localCropSize', urlKey: 'lz', label: 'Local crop size', group: 'crops',
    help: 'Side of a local crop in pixels (a multiple of the patch size).',
    default: 16, min: 4, max: 64, step: 2, integer: true, unit: 'px' },
  { kind: 'number', name: 'globalScaleMin', urlKey: 'gs', label: 'Global crop min scale', group: 'crops',
    help: 'Smallest fraction of the image a global crop covers (largest is 1).',
    default: 0.25, min: 0.05, max: 1, step: 0.01 },
  { kind: 'number', name: 'localScaleMin', urlKey: 'lsn', label: 'Local crop min scale', group: 'crops',
    help: 'Smallest fraction of the image a local crop covers.',
    default: 0.05, min: 0.01, max: 1, step: 0.01 },
  { kind: 'number', name: 'localScaleMax', urlKey: 'lsx', label: 'Local crop max scale', group: 'crops',
    help: 'Largest fraction of the image a local crop covers.',
    default: 0.25, min: 0.01, max: 1, step: 0.01 },
  { kind: 'number', name: 'colorJitter', urlKey: 'cj', label: 'Colour jitter', group: 'crops',
    help: 'Strength of brightness/contrast/saturation/hue jitter (1 = DINO’s 0.4/0.4/0.2/0.1, p 0.8).',
    default: 1, min: 0, max: 2, step: 0.05 },
  ...shapesAugmentationSettings('crops'),
  { kind: 'number', name: 'grayscaleProbability', urlKey: 'gp', label: 'Grayscale p', group: 'crops',
    help: 'Probability that a crop is turned grey.', default: 0.2, min: 0, max: 1, step: 0.05 },
  { kind: 'boolean', name: 'blurSolarize', urlKey: 'bs', label: 'Blur and solarize', group: 'crops',
    help: 'DINO’s asymmetric blur (p 1.0 / 0.1 / 0.5) and solarisation (p 0.2 on the second global crop).',
    default: true },
  // teacher
  { kind: 'boolean', name: 'centering', urlKey: 'c', label: 'Centering', group: 'teacher',
    help: 'Subtract a running mean C from teacher outputs: prevents one dimension dominating.',
    default: true },
  { kind: 'number', name: 'centerMomentum', urlKey: 'cm', label: 'Center momentum', group: 'teacher',
    help: 'C ← m·C + (1−m)·batch mean of teacher outputs.', default: 0.9, min: 0, max: 0.999, step: 0.001 },
  { kind: 'boolean', name: 'sharpening', urlKey: 'sh', label: 'Sharpening', group: 'teacher',
    help: 'Teacher temperature below the student’s (off: τ_t = τ_s): prevents uniform output.',
    default: true },
  { kind: 'number', name: 'teacherTemperature', urlKey: 'tt', label: 'Teacher temperature', group: 'teacher',
    help: 'τ_t after warm-up (0.04 in the paper; 0.07 if training is unstable).',
    default: 0.04, min: 0.005, max: 1, step: 0.005, log: true },
  { kind: 'number', name: 'warmupTeacherTemperature', urlKey: 'wtt', label: 'Warm-up τ_t start', group: 'teacher',
    help: 'τ_t at step 0, rising linearly to the teacher temperature.',
    default: 0.04, min: 0.005, max: 1, step: 0.005, log: true },
  { kind: 'number', name: 'teacherTemperatureWarmupSteps', urlKey: 'wts', label: 'τ_t warm-up', group: 'teacher',
    help: 'Steps of the linear teacher-temperature warm-up (0 = none).',
    default: 0, min: 0, max: 100000, step: 10, integer: true, unit: 'steps' },
  { kind: 'number', name: 'studentTemperature', urlKey: 'st', label: 'Student temperature', group: 'teacher',
    help: 'τ_s of the student softmax.', default: 0.1, min: 0.005, max: 1, step: 0.005, log: true },
  { kind: 'boolean', name: 'momentumTeacher', urlKey: 'mt', label: 'Momentum teacher', group: 'teacher',
    help: 'Teacher = EMA of the student (off: teacher = student, which collapses).', default: true },
  { kind: 'number', name: 'teacherMomentum', urlKey: 'tm', label: 'Teacher momentum', group: 'teacher',
    help: 'EMA momentum at step 0, cosine-scheduled to 1 by the end.',
    default: 0.996, min: 0.5, max: 1, step: 0.001 },
  // optimization
  { kind: 'number', name: 'learningRate', urlKey: 'lr', label: 'Learning rate', group: 'optimization',
    help: 'Peak AdamW lr for a batch of 256, scaled by batch/256 as in the official code.',
    default: 0.002, min: 0.00001, max: 0.1, step: 0.00001, log: true },
  { kind: 'number', name: 'minLearningRate', urlKey: 'mlr', label: 'Final learning rate', group: 'optimization',
    help: 'Learning rate at the end of the cosine decay.', default: 0.000001, min: 0, max: 0.01, step: 0.000001 },
  { kind: 'number', name: 'warmupSteps', urlKey: 'wu', label: 'lr warm-up', group: 'optimization',
    help: 'Steps of linear learning-rate warm-up from 0.', default: 100, min: 0, max: 100000, step: 10, integer: true, unit: 'steps' },
  { kind: 'number', name: 'weightDecay', urlKey: 'wd', label: 'Weight decay', group: 'optimization',
    help: 'AdamW weight decay at step 0 (not on biases and norms).', default: 0.04, min: 0, max: 1, step: 0.01 },
  { kind: 'number', name: 'weightDecayEnd', urlKey: 'wde', label: 'Final weight decay', group: 'optimization',
    help: 'Weight decay at the end (cosine schedule).', default: 0.4, min: 0, max: 1, step: 0.01 },
  { kind: 'number', name: 'gradientClip', urlKey: 'gc', label: 'Gradient clip', group: 'optimization',
    help: 'Per-parameter gradient norm limit (0 = off).', default: 3, min: 0, max: 100, step: 0.5 },
  { kind: 'number', name: 'freezeLastLayerSteps', urlKey: 'fl', label: 'Freeze prototypes', group: 'optimization',
    help: 'Steps during which the last head layer gets no gradient (the paper: first epoch).',
    default: 100, min: 0, max: 100000, step: 10, integer: true, unit: 'steps' },
  // probes
  { kind: 'number', name: 'attentionMass', urlKey: 'am', label: 'Attention mass', group: 'probes',
    help: 'The highlighted patches hold this fraction of the CLS attention (DINO’s visualisation: 0.6).',
    default: 0.6, min: 0.05, max: 1, step: 0.05 },
];

/**
 * Small enough for tests and slow GPUs, and healthy at that size: with 8 images of 16 px per
 * step, DINO's colour augmentation (jitter, grayscale, blur, solarize) leaves too little signal
 * and even the full method drifts to uniform collapse within 100 steps; without it, and with a
 * colder teacher (τ_t = 0.015), the teacher entropy settles between 0.2 and 0.5 ln K while
 * each mechanism removed still fails as in the paper (paper.test.ts, docs/NOTES.md). 100 steps:
 * exactly the runs that test checks, which the lessons open (a 200-step run stays healthy too).
 */
const tinyValues: SettingValues = {
  imageSize: '16', datasetSize: 256, batchSize: 8, totalSteps: 100, metricsEvery: 2, probeEvery: 10,
  width: 32, depth: 2, heads: 2, mlpRatio: 2, headHidden: 64, bottleneck: 32, outputDim: 64,
  localCrops: 2, localCropSize: 8, warmupSteps: 10, freezeLastLayerSteps: 10, learningRate: 0.03,
  colorJitter: 0, grayscaleProbability: 0, blurSolarize: false, teacherTemperature: 0.015,
};

/**
 * The teaching comparisons of the DINO paper's §5.3 (Fig. 7: centering and sharpening) and its
 * teacher ablation (Table 6: a teacher copied from the student does not train).
 */
/**
 * The `learn` preset (measured by `npm run study`): a 4-block ViT on 16 px easy shapes, views
 * turned by any angle and any hue, no blur or solarisation (at 16 px a blur erases the shape),
 * global crops of at least 60 %, four 8 px local crops.
 */
const learnValues: SettingValues = {
  ...LEARN_COMMON,
  width: 48, depth: 3, heads: 3, mlpRatio: 2, headHidden: 128, bottleneck: 64, outputDim: 256,
  batchSize: 48, totalSteps: 800, warmupSteps: 80, learningRate: 0.02, freezeLastLayerSteps: 0, teacherMomentum: 0.99,
  teacherTemperature: 0.02, warmupTeacherTemperature: 0.02,
  globalScaleMin: 0.6, localCrops: 2, localCropSize: 8, localScaleMin: 0.25, localScaleMax: 0.6,
  rotation: 180, hueJitter: 0.5, blurSolarize: false,
};

/** The healthy tiny run next to the same run with one mechanism removed. */
const healthyVersus = (name: string, values: SettingValues): Lesson['runs'] => [
  { name: 'healthy', preset: 'tiny', values: {} },
  { name, preset: 'tiny', values },
];
const dinoLessons: Lesson[] = [
  {
    id: 'remove-centering', title: 'Remove centering', metric: 'teacherEntropy',
    text: 'Watch the teacher entropy: with sharpening alone it falls toward 0 and the batch-mean entropy follows, ' +
      'because nothing stops one prototype from winning for every image. Centering subtracts the running mean of ' +
      'the teacher outputs, so a prototype that every image picks is pushed down again (DINO §5.3, Fig. 7).',
    runs: healthyVersus('no centering', { centering: false }),
  },
  {
    id: 'remove-sharpening', title: 'Remove sharpening', metric: 'teacherEntropy',
    text: 'Watch the teacher entropy climb to the ln K line while the KL falls to 0: with centering alone (τ_t = τ_s) ' +
      'the targets flatten to the uniform distribution, which the student matches without learning anything. ' +
      'Sharpening with a low teacher temperature has the opposite effect, and together they balance (DINO §5.3).',
    runs: healthyVersus('no sharpening', { sharpening: false }),
  },
  {
    id: 'no-momentum-teacher', title: 'No momentum teacher', metric: 'embeddingStd',
    text: 'Watch the embedding std fall toward 0 and the two teacher entropies meet: with the teacher a copy of the ' +
      'student at every step, the targets move as fast as the student does, and within a few steps the teacher ' +
      'gives every image the same output (its KL swings as the center chases whichever prototype wins). A slowly ' +
      'moving average of past students gives targets the student cannot drag along; the paper reports that a ' +
      'copied teacher does not train at all (DINO Table 6).',
    runs: healthyVersus('no momentum teacher', { momentumTeacher: false }),
  },
];

export const dinoDescription: MethodDescription = {
  id: 'dino',
  title: 'DINO',
  paper: {
    title: 'Emerging Properties in Self-Supervised Vision Transformers',
    authors: 'Caron, Touvron, Misra, Jégou, Mairal, Bojanowski, Joulin',
    year: 2021,
    url: 'https://arxiv.org/abs/2104.14294',
    code: 'https://github.com/facebookresearch/dino',
  },
  summary:
    'A student ViT learns to match the output distribution of a teacher ViT on different crops of the same image: ' +
    'the teacher sees only the two large (global) crops, the student sees those and several small (local) crops, ' +
    'so the student must infer the whole from a part. There are no labels and no negatives; the CLS token’s ' +
    'attention comes to pick out the object.',
  whyNoCollapse:
    'The teacher is a slowly moving average of the student, so targets are stable. Its outputs are centered ' +
    '(a running mean is subtracted) so no single prototype can win every image, and sharpened (low temperature) ' +
    'so the output cannot drift to uniform. Either alone collapses — centering to uniform, sharpening to one ' +
    'dimension — together they balance.',
  lossMath:
    'P_t(x) = softmax((g_t(x) − C) / τ_t),  P_s(x) = softmax(g_s(x) / τ_s)\n' +
    'L = mean over pairs (global crop x ∈ {x₁ᵍ, x₂ᵍ}, crop x′ ≠ x) of  − Σ_k P_t(x)_k · log P_s(x′)_k\n' +
    'C ← m·C + (1 − m)·mean_batch g_t;   θ_t ← λ·θ_t + (1 − λ)·θ_s',
  implementationNotes:
    'Follows facebookresearch/dino: the loss averages over the batch then over crop pairs (DINOLoss), the center ' +
    'is updated after the loss from the teacher’s raw outputs, the lr is scaled by batch/256, weight decay skips ' +
    'biases and norms, gradients are clipped per parameter, and the prototypes are frozen early. Scaled down: ' +
    'ViT-tiny on 32 px images with patch 4, K = 1024 prototypes, epochs become steps, the "epoch" of frozen ' +
    'prototypes is a step count, position embeddings are resized bilinearly (bicubic in the code), and the blur ' +
    'is a fixed 3×3 Gaussian mixed in per image.',
  groups: [
    { id: 'model', label: 'Model' },
    { id: 'crops', label: 'Crops' },
    { id: 'teacher', label: 'Teacher' },
    ...COMMON_GROUPS,
    { id: 'probes', label: 'Probes' },
  ],
  settings: [...dinoSettings, ...commonSettings],
  presets: [
    { id: 'default', label: 'Default', description: 'ViT-tiny on 32 px shapes, all of DINO’s mechanisms on.', values: {} },
    { id: 'tiny', label: 'Tiny', description: 'A very small model on 16 px images, fast enough for tests and slow GPUs; no colour augmentation and τ_t = 0.015 keep it healthy at this size.', values: tinyValues },
    { id: 'learn', label: 'Learn', description: 'A ViT on 16 px shapes with augmentations that fit them (any angle, any hue), sized for a CPU. At this size it learns dense features (the segmentation probe gains), not yet shape classes: see “Does it learn?”.', values: learnValues },
    { id: 'no-centering', label: 'No centering', description: 'Sharpening alone: the teacher locks onto one prototype (entropy → 0).', values: { centering: false } },
    { id: 'no-sharpening', label: 'No sharpening', description: 'Centering alone: τ_t = τ_s and the teacher drifts to uniform (entropy → ln K).', values: { sharpening: false } },
    { id: 'no-momentum', label: 'No momentum teacher', description: 'Teacher = student at every step: the paper reports this collapses.', values: { momentumTeacher: false } },
    { id: 'no-multicrop', label: 'No multi-crop', description: 'Two global crops only: slower to learn local-to-global correspondences.', values: { multiCrop: false } },
  ],
  liveSettings: [...commonLiveSettings, 'attentionMass'],
  validate(values) {
    const problems = vitProblems(values);
    const patch = Number(values.patchSize);
    const imageSize = Number(values.imageSize);
    if (values.multiCrop && Number(values.localCropSize) % patch !== 0) {
      problems.push(`Local crop size ${values.localCropSize} must be a multiple of the patch size ${patch}.`);
    }
    if (values.multiCrop && Number(values.localCropSize) > imageSize) {
      problems.push(`Local crop size ${values.localCropSize} must not exceed the image size ${imageSize}.`);
    }
    if (Number(values.localScaleMin) > Number(values.localScaleMax)) {
      problems.push('Local crop min scale must not exceed its max scale.');
    }
    return problems;
  },
  largestTensorBytes: (values) => vitLargestTensor(values, 'the global crops'),
  charts(values) {
    const lnK = Math.log(Number(values.outputDim));
    return [
      {
        id: 'loss', title: 'Loss', section: 'training',
        help: 'Cross-entropy between teacher and student distributions, averaged over crop pairs: entropy of the teacher + KL.',
        lines: [{ name: 'loss', label: 'loss', color: PALETTE.blue }],
        references: [{ value: lnK, label: 'ln K: uniform collapse' }],
      },
      {
        id: 'teacher-entropy', title: 'Teacher entropy', section: 'collapse',
        help: 'Entropy of each centered, sharpened teacher output, averaged: near ln K = uniform collapse, near 0 = every output picks one prototype.',
        lines: [{ name: 'teacherEntropy', label: 'H(P_t)', color: PALETTE.vermillion }],
        references: [{ value: lnK, label: 'ln K (uniform)' }, { value: 0, label: '0 (one-hot)' }],
      },
      {
        id: 'kl', title: 'KL(teacher ‖ student)', section: 'collapse',
        help: 'What the student still has to learn: loss − teacher entropy. It reaches 0 in every collapse, because a collapsed teacher is trivial to match.',
        lines: [{ name: 'kl', label: 'KL', color: PALETTE.orange }],
        references: [{ value: 0, label: '0 (nothing to learn)' }],
      },
      {
        id: 'batch-entropy', title: 'Entropy of the batch-mean teacher output', section: 'collapse',
        help: 'Entropy of the teacher output averaged over the batch: high when different images use different prototypes, near 0 when one prototype wins for all.',
        lines: [{ name: 'batchMeanEntropy', label: 'H(mean P_t)', color: PALETTE.green }],
        references: [{ value: lnK, label: 'ln K' }],
      },
      {
        id: 'center-norm', title: 'Center norm', section: 'collapse',
        help: '‖C‖, the running mean of the teacher logits that centering subtracts. It stays 0 with centering off.',
        lines: [{ name: 'centerNorm', label: '‖C‖', color: PALETTE.sky }],
      },
      ...commonCollapseCharts(2 * Number(values.batchSize), Number(values.width)),
      {
        id: 'schedules', title: 'Schedules', section: 'collapse', summary: false,
        help: 'Teacher temperature τ_t and momentum λ as the run applies them (cosine and warm-up schedules).',
        lines: [
          { name: 'teacherTemperature', label: 'τ_t', color: PALETTE.purple },
          { name: 'teacherMomentum', label: 'λ', color: PALETTE.slate },
        ],
      },
    ];
  },
  collapseModes: [
    {
      id: 'uniform', label: 'Uniform collapse',
      symptom: 'the teacher outputs the same flat distribution for every image: entropy near ln K and KL near 0',
      prevention: 'Sharpening prevents it: a teacher temperature τ_t well below the student’s makes each target peaked, which centering alone flattens out.',
      test: (v, settings) => v.teacherEntropy > 0.9 * Math.log(Number(settings.outputDim)) && v.kl < 0.15,
    },
    {
      id: 'one-dimension', label: 'One-dimension collapse',
      symptom: 'one prototype wins for every image: teacher entropy near 0 and the batch-mean distribution one-hot',
      prevention: 'Centering prevents it: subtracting the running mean of the teacher outputs penalises any prototype that every image picks.',
      test: (v, settings) => {
        const lnK = Math.log(Number(settings.outputDim));
        return v.teacherEntropy < 0.1 * lnK && v.batchMeanEntropy < 0.1 * lnK;
      },
    },
    {
      id: 'constant-output', label: 'Constant-output collapse',
      symptom: 'the teacher gives every image the same distribution: the batch-mean entropy equals the per-image entropy, whatever that is',
      prevention: 'The momentum teacher prevents it: a slow average of past students cannot be dragged along by the student, so the targets keep depending on the image. With teacher = student the pair agrees on one output for everything (DINO Table 6).',
      test: (v, settings) => v.batchMeanEntropy - v.teacherEntropy < 0.05 * Math.log(Number(settings.outputDim)),
    },
  ],
  lessons: dinoLessons,
  probeKinds: () => ['attention', 'crops', 'distribution', 'embedding'],
  vectors: [{
    name: 'center', title: 'Center C',
    help: 'C ← m·C + (1 − m)·batch mean of the teacher logits; centering subtracts it from every teacher output. One row per metrics window, newest at the bottom.',
  }],
  load: () => import('./method').then((module) => module.implementation),
};
