import type { Lesson } from '../collapse';
import { commonLiveSettings, LEARN_COMMON, COMMON_GROUPS } from '../common';
import type { ChartLine } from '../collapse';
import { readValues, type SettingValues } from '../schema';
import { DREAMTEACHER_SETTINGS } from './settings';
import type { MethodDescription } from '../types';
import { levelNames } from './config';
import { LEVEL_COLORS, PALETTE } from '../palette';
import { FACTORS, convUnits, stepMemory } from '../memory';

/**
 * The `learn` preset (measured by `npm run study`): 16 px easy shapes. 760 steps so a seed trains
 * inside the study's 3 minutes (800 took 183–192 s; seed 1 at 760: 173 s, its scores within noise
 * of 800's). 600 of them train the teacher and 160 distil it: a better-trained teacher is worth
 * more to the student's kNN than longer distillation (screens on seeds 4 and 5, kNN − untrained:
 * teacher stage 300 → +0.073 / +0.082, 450 → +0.092, 600 → +0.146 / +0.140, 700 → +0.100;
 * docs/NOTES.md), and the teacher's step is the cheaper one.
 */
const learnValues: SettingValues = {
  ...LEARN_COMMON,
  teacherSteps: 600, teacherWidth: 16, width: 16, fpnChannels: 32, batchSize: 64, totalSteps: 760, warmupSteps: 80,
  learningRate: 0.004, teacherLearningRate: 0.004,
};

const tinyValues: SettingValues = {
  imageSize: '16', datasetSize: 256, batchSize: 8, totalSteps: 150, metricsEvery: 2, probeEvery: 10,
  teacherSteps: 60, teacherWidth: 8, width: 8, fpnChannels: 16, warmupSteps: 10, learningRate: 0.005,
  teacherLearningRate: 0.005, fineTuneSteps: 40,
};

const dreamTeacherLessons: Lesson[] = [
  {
    id: 'dreamteacher-losses', title: 'MSE, attention transfer, or both', metric: 'distillLoss',
    text: 'The paper’s ablation in miniature: the same teacher distilled with feature regression and attention transfer, ' +
      'with regression alone, and with attention transfer alone. Regression asks the student to reproduce the ' +
      'teacher’s normalised features at every position; attention transfer only asks it to be strong where the ' +
      'teacher is strong. Watch the per-level curves and open the feature view: without regression the student’s ' +
      'PCA colours drift from the teacher’s while its attention maps still agree. Press Evaluate to fine-tune each ' +
      'student on segmentation next to a random initialisation.',
    runs: [
      { name: 'MSE + AT', preset: 'tiny', values: {} },
      { name: 'MSE only', preset: 'tiny', values: { attentionLoss: false } },
      { name: 'AT only', preset: 'tiny', values: { mseLoss: false } },
    ],
  },
];

export const dreamTeacherDescription: MethodDescription = {
  id: 'dreamteacher',
  title: 'DreamTeacher',
  paper: {
    title: 'DreamTeacher: Pretraining Image Backbones with Deep Generative Models',
    authors: 'Li, Gao, Wang, Acuna, Fidler, Kreis, Ling',
    year: 2023,
    url: 'https://arxiv.org/abs/2307.07487',
  },
  summary:
    'A generative model that can denoise images must know what is in them: edges, parts, objects. DreamTeacher ' +
    'makes that knowledge a backbone’s. A denoising U-Net (the teacher, trained first as in DeP) encodes each real ' +
    'image by noising it and running one denoising step; its decoder features at several resolutions are the ' +
    'targets. A small CNN student with an FPN-style regressor learns to reproduce them — feature regression on ' +
    'the per-position-normalised targets, plus attention transfer. The student backbone is what is kept.',
  whyNoCollapse:
    'The targets come from a frozen teacher, not from the student, so there is no trivial solution to slide into: ' +
    'a constant student pays the full variance of the normalised targets. The teacher itself learns by predicting ' +
    'noise, which cannot collapse either.',
  lossMath:
    'Teacher stage: L_teacher = mean (f_θ(x̃) − ε)²   (DeP)\n' +
    'Targets: t_l = decoder features of f_θ(√γ·x + √(1−γ)·ε) at level l;  LN(t) = (t − mean_c t) / std_c t per position\n' +
    'L_MSE = Σ_l mean (r_l − LN(t_l))²   (r_l: the student regressor’s output at level l)\n' +
    'AT(a) = vec(Σ_c a_c²) / ‖vec(Σ_c a_c²)‖₂;  L_AT = Σ_l distance(AT(s_l), AT(t_l))\n' +
    'L = L_MSE + λ_AT·L_AT   (λ_AT = 10)',
  implementationNotes:
    'The paper distils diffusion models (ADM, Stable Diffusion) and BigGAN into ResNets and ConvNeXts on ImageNet; ' +
    'here the teacher is a DeP U-Net trained in the first stage of the same run, encoded at its own σ with one ' +
    'forward pass, and the student a 3-level CNN with GroupNorm, an FPN with a pyramid pooling module on its ' +
    'coarsest level, and 1×1 convolutions to the teacher’s channels at each level (the paper’s regressor design, ' +
    'shrunk). The targets are the U-Net decoder’s outputs, coarse to fine. Both loss terms can be switched off.',
  groups: [
    { id: 'method', label: 'Method' },
    { id: 'teacher', label: 'Teacher' },
    { id: 'student', label: 'Student' },
    { id: 'loss', label: 'Loss' },
    { id: 'fine-tuning', label: 'Fine-tuning' },
    ...COMMON_GROUPS,
  ],
  settings: DREAMTEACHER_SETTINGS,
  presets: [
    { id: 'default', label: 'Default', description: 'A 3-level teacher U-Net trained for 300 steps on 32 px shapes, then distilled into a 3-level CNN with MSE + attention transfer.', values: {} },
    { id: 'tiny', label: 'Tiny', description: 'Small teacher and student on 16 px images, a 60-step teacher stage: fast enough for tests and slow GPUs.', values: tinyValues },
    { id: 'learn', label: 'Learn', description: 'Teacher and student on 16 px shapes, a 600-step teacher stage then 160 of distillation: a CPU-sized run the study measures (see “Does it learn?”). The evaluation scores the student, which learns only once distillation starts at step 600.', values: learnValues },
    { id: 'mse-only', label: 'MSE only', description: 'Feature regression without attention transfer (an ablation of the paper).', values: { attentionLoss: false } },
    { id: 'at-only', label: 'AT only', description: 'Attention transfer without feature regression (an ablation of the paper).', values: { mseLoss: false } },
  ],
  liveSettings: [...commonLiveSettings],
  validate(values) {
    const v = readValues(DREAMTEACHER_SETTINGS, values);
    const problems: string[] = [];
    const size = Number(v.imageSize);
    const levels = v.levels;
    const factor = 2 ** (levels - 1);
    if (size % factor !== 0 || size / factor < 2 || (size / factor) % 2 !== 0) {
      problems.push(`${levels} levels halve the image ${levels - 1} times and the pyramid pooling needs an even coarsest map: image size ${size} must be a multiple of ${2 * factor}.`);
    }
    if (v.teacherSteps >= v.totalSteps) {
      problems.push(`The teacher stage (${v.teacherSteps} steps) must be shorter than the run (${v.totalSteps} steps), or nothing is left for distillation.`);
    }
    if (!v.mseLoss && !v.attentionLoss) problems.push('Switch on feature regression, attention transfer or both: with neither the student learns nothing.');
    return problems;
  },
  stepMemory(values) {
    const v = readValues(DREAMTEACHER_SETTINGS, values);
    // The larger stage: the teacher's U-Net alone, or the student's encoder with its feature pyramid (and the frozen teacher's features).
    const widest = Math.max(2 * v.teacherWidth, v.width + v.fpnChannels + v.teacherWidth);
    return stepMemory(values, convUnits(Number(v.imageSize), widest, v.levels), FACTORS.dreamteacher);
  },
  largestTensorBytes(values) {
    const v = readValues(DREAMTEACHER_SETTINGS, values);
    const size = Number(v.imageSize);
    const batch = v.batchSize;
    const widest = Math.max(2 * v.teacherWidth, v.fpnChannels * 2, v.width);
    const candidates = [
      { bytes: v.datasetSize * size * size * 3 * 4, what: 'the training images' },
      { bytes: batch * size * size * widest * 4, what: 'the finest-level activations' },
    ];
    return candidates.reduce((a, b) => (b.bytes > a.bytes ? b : a));
  },
  charts(values) {
    const v = readValues(DREAMTEACHER_SETTINGS, values);
    const names = levelNames(v.levels);
    const mse = v.mseLoss;
    const at = v.attentionLoss;
    const distillStage = {
      stages: [{ step: v.teacherSteps + 1, label: 'distillation' }],
      waiting: `Starts at step ${v.teacherSteps + 1}, after the teacher stage`,
    };
    const perLevel = (prefix: string): ChartLine[] => names.map((name, i) => ({ name: `${prefix}${i}`, label: name, color: LEVEL_COLORS[i % LEVEL_COLORS.length] }));
    return [
      // The two stages' losses are on different scales: a chart each.
      {
        id: 'teacher-loss', title: 'Teacher stage loss', section: 'training', yLabel: 'denoising MSE',
        help: `Steps 1–${v.teacherSteps}: the generative teacher learns to denoise (1 = predicting no noise).`,
        lines: [{ name: 'teacherLoss', label: 'teacher (denoising MSE)', color: PALETTE.slate }],
        references: [{ value: 1, label: 'predict no noise (1)' }],
      },
      {
        id: 'loss', title: 'Distillation loss', section: 'training', yLabel: 'Σ MSE + λ·AT', ...distillStage,
        help: 'The student regresses the frozen teacher’s features: Σ over levels of the feature MSE + λ·AT (attention transfer: the distance between their attention maps).',
        lines: [{ name: 'distillLoss', label: 'distillation', color: PALETTE.blue }],
      },
      ...(mse ? [{
        id: 'feature-mse', title: 'Feature regression per level', section: 'training' as const, yLabel: 'normalised MSE', ...distillStage,
        help: 'MSE between the student’s regressed features and the teacher’s, normalised per position (1 = predicting their mean, 0 = exact).',
        lines: perLevel('mse'),
        references: [{ value: 1, label: 'predict the mean (1)' }],
      }] : []),
      ...(at ? [{
        id: 'attention-transfer', title: 'Attention transfer per level', section: 'training' as const, yLabel: 'AT distance', ...distillStage,
        help: 'Distance between the student’s and the teacher’s L2-normalised attention maps Σ_c A_c² at each level (0 = the same map).',
        lines: perLevel('at'),
      }] : []),
      {
        id: 'schedules', title: 'Schedules', section: 'collapse', summary: false, yLabel: 'learning rate', stages: distillStage.stages,
        help: 'Learning rate as the run applies it: each stage warms up and decays on its own.',
        lines: [{ name: 'learningRate', label: 'lr', color: PALETTE.purple }],
      },
    ];
  },
  collapseModes: [],
  lessons: dreamTeacherLessons,
  probeKinds: () => ['features', 'denoising', 'embedding'],
  load: () => import('./method').then((module) => module.implementation),
};
