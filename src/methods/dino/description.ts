import { commonCollapseCharts, type Lesson } from '../collapse';
import { commonLiveSettings, LEARN_COMMON, vitLargestTensor, vitProblems, COMMON_GROUPS } from '../common';
import { readValues, type SettingValues } from '../schema';
import { DINO_SETTINGS } from './settings';
import type { MethodDescription } from '../types';
import { PALETTE } from '../palette';
import { FACTORS, stepMemory, vitTokens, vitUnits } from '../memory';

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
  settings: DINO_SETTINGS,
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
    const v = readValues(DINO_SETTINGS, values);
    const problems = vitProblems(values);
    const patch = v.patchSize;
    const imageSize = Number(v.imageSize);
    if (v.multiCrop && v.localCropSize % patch !== 0) {
      problems.push(`Local crop size ${v.localCropSize} must be a multiple of the patch size ${patch}.`);
    }
    if (v.multiCrop && v.localCropSize > imageSize) {
      problems.push(`Local crop size ${v.localCropSize} must not exceed the image size ${imageSize}.`);
    }
    if (v.localScaleMin > v.localScaleMax) {
      problems.push('Local crop min scale must not exceed its max scale.');
    }
    return problems;
  },
  largestTensorBytes: (values) => vitLargestTensor(values, 'the global crops'),
  stepMemory(values) {
    const v = readValues(DINO_SETTINGS, values);
    const global = vitTokens(Number(v.imageSize), v.patchSize);
    const local = v.multiCrop ? Array<number>(v.localCrops).fill(vitTokens(v.localCropSize, v.patchSize)) : [];
    return stepMemory(values, vitUnits(values, [global, global, ...local]), FACTORS.dino);
  },
  charts(values) {
    const v = readValues(DINO_SETTINGS, values);
    const lnK = Math.log(v.outputDim);
    return [
      {
        id: 'loss', title: 'Loss', section: 'training', yLabel: 'cross-entropy (nats)',
        help: 'Cross-entropy between teacher and student distributions, averaged over crop pairs: entropy of the teacher + KL.',
        lines: [{ name: 'loss', label: 'loss', color: PALETTE.blue }],
        references: [{ value: lnK, label: 'ln K: uniform collapse' }],
      },
      {
        id: 'teacher-entropy', title: 'Teacher entropy', section: 'collapse', yLabel: 'entropy (nats)',
        help: 'Entropy of each centered, sharpened teacher output, averaged: near ln K = uniform collapse, near 0 = every output picks one prototype.',
        lines: [{ name: 'teacherEntropy', label: 'H(P_t)', color: PALETTE.vermillion }],
        references: [{ value: lnK, label: 'ln K (uniform)' }, { value: 0, label: '0 (one-hot)' }],
      },
      {
        id: 'kl', title: 'KL(teacher ‖ student)', section: 'collapse', yLabel: 'KL (nats)',
        help: 'What the student still has to learn: loss − teacher entropy. It reaches 0 in every collapse, because a collapsed teacher is trivial to match.',
        lines: [{ name: 'kl', label: 'KL', color: PALETTE.orange }],
        references: [{ value: 0, label: '0 (nothing to learn)' }],
      },
      {
        id: 'batch-entropy', title: 'Entropy of the batch-mean teacher output', section: 'collapse', yLabel: 'entropy (nats)',
        help: 'Entropy of the teacher output averaged over the batch: high when different images use different prototypes, near 0 when one prototype wins for all.',
        lines: [{ name: 'batchMeanEntropy', label: 'H(mean P_t)', color: PALETTE.green }],
        references: [{ value: lnK, label: 'ln K' }],
      },
      {
        id: 'center-norm', title: 'Center norm', section: 'collapse', yLabel: '‖C‖',
        help: '‖C‖, the running mean of the teacher logits that centering subtracts. It stays 0 with centering off.',
        lines: [{ name: 'centerNorm', label: '‖C‖', color: PALETTE.sky }],
      },
      ...commonCollapseCharts(2 * v.batchSize, v.width),
      {
        id: 'schedules', title: 'Schedules', section: 'collapse', summary: false, yLabel: 'τ_t, λ',
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
