import type { Lesson } from '../collapse';
import { commonLiveSettings, commonSettings, LEARN_COMMON, COMMON_GROUPS } from '../common';
import type { ChartLine } from '../collapse';
import type { Setting, SettingValues } from '../schema';
import type { MethodDescription } from '../types';
import { levelNames } from './config';
import { LEVEL_COLORS, PALETTE } from '../palette';

/**
 * DreamTeacher (Li et al., ICCV 2023): a generative model's features distilled into an image
 * backbone. The generative teacher is a DeP denoising U-Net trained first in the same run; its
 * decoder features, from one denoising step of the noised image, are the targets at each
 * resolution; a small CNN student regresses them through an FPN-like regressor with MSE on the
 * per-position-normalised targets plus attention transfer.
 */
const dreamTeacherSettings: readonly Setting[] = [
  { kind: 'number', name: 'teacherSteps', urlKey: 'ts', label: 'Teacher stage', group: 'method',
    help: 'Steps of the first stage, which trains the generative teacher (a DeP denoising U-Net) on the images; distillation follows and the teacher is frozen.',
    default: 300, min: 10, max: 100000, step: 10, integer: true, unit: 'steps' },
  { kind: 'number', name: 'levels', urlKey: 'lv', label: 'Levels', group: 'method',
    help: 'Resolutions of the teacher U-Net and of the student: each level’s decoder features are a distillation target.',
    default: 3, min: 2, max: 4, step: 1, integer: true },
  // teacher
  { kind: 'number', name: 'teacherWidth', urlKey: 'tw', label: 'Teacher width', group: 'teacher',
    help: 'Channels of the teacher U-Net’s finest level; each coarser level doubles them (and so do its targets).',
    default: 16, min: 4, max: 128, step: 4, integer: true },
  { kind: 'choice', name: 'corruption', urlKey: 'cr', label: 'Corruption', group: 'teacher',
    help: 'How the teacher noises images, in training and when encoding them for the student: vp (√γ·x + √(1−γ)·ε) or simple (x + σ·ε).',
    default: 'vp', choices: ['vp', 'simple'] },
  { kind: 'number', name: 'sigma', urlKey: 'sg', label: 'Noise σ', group: 'teacher',
    help: 'Noise level of the teacher’s training and of the encoding step whose decoder features are the targets (the paper encodes at a small diffusion time).',
    default: 0.22, min: 0.01, max: 2, step: 0.01, slider: true },
  { kind: 'number', name: 'teacherLearningRate', urlKey: 'tlr', label: 'Teacher lr', group: 'teacher',
    help: 'Peak AdamW learning rate of the teacher stage.', default: 0.002, min: 0.00001, max: 0.1, step: 0.00001, log: true },
  // student
  { kind: 'number', name: 'width', urlKey: 'w', label: 'Student width', group: 'student',
    help: 'Channels of the student CNN’s finest level; each coarser level doubles them.', default: 16, min: 4, max: 128, step: 4, integer: true },
  { kind: 'number', name: 'fpnChannels', urlKey: 'fc', label: 'FPN width', group: 'student',
    help: 'Channels of the regressor’s lateral and top-down maps (before the 1×1 convolutions to the teacher’s channels).',
    default: 32, min: 4, max: 256, step: 4, integer: true },
  // loss
  { kind: 'boolean', name: 'mseLoss', urlKey: 'mse', label: 'Feature regression (MSE)', group: 'loss',
    help: 'MSE between the regressor’s output and the teacher’s features normalised per position over channels.', default: true },
  { kind: 'boolean', name: 'attentionLoss', urlKey: 'at', label: 'Attention transfer', group: 'loss',
    help: 'Match where the features are strong: the distance between the L2-normalised maps Σ_c A_c² of student and teacher.', default: true },
  { kind: 'number', name: 'attentionWeight', urlKey: 'aw', label: 'AT weight', group: 'loss',
    help: 'Weight of the attention-transfer term (10 in the paper).', default: 10, min: 0, max: 1000, step: 0.5 },
  // fine-tuning
  { kind: 'number', name: 'fineTuneSteps', urlKey: 'ft', label: 'Fine-tuning steps', group: 'fine-tuning',
    help: 'Steps of each segmentation fine-tuning of the student backbone the evaluation runs (per label fraction, distilled and random init alike).',
    default: 150, min: 0, max: 10000, step: 10, integer: true, unit: 'steps' },
  { kind: 'number', name: 'fineTuneLearningRate', urlKey: 'flr', label: 'Fine-tuning lr', group: 'fine-tuning',
    help: 'Constant AdamW learning rate of the fine-tuning (student backbone, FPN and a new 1×1 segmentation head).',
    default: 0.002, min: 0.00001, max: 0.1, step: 0.00001, log: true },
  // optimization
  { kind: 'number', name: 'learningRate', urlKey: 'lr', label: 'Learning rate', group: 'optimization',
    help: 'Peak AdamW learning rate of the distillation stage (linear warm-up, then cosine to 1% of it).',
    default: 0.002, min: 0.00001, max: 0.1, step: 0.00001, log: true },
  { kind: 'number', name: 'warmupSteps', urlKey: 'wu', label: 'lr warm-up', group: 'optimization',
    help: 'Steps of linear warm-up at the start of each stage.', default: 50, min: 0, max: 100000, step: 10, integer: true, unit: 'steps' },
  { kind: 'number', name: 'weightDecay', urlKey: 'wd', label: 'Weight decay', group: 'optimization',
    help: 'AdamW weight decay on convolution kernels.', default: 0, min: 0, max: 1, step: 0.01 },
];

/** The `learn` preset (measured by `npm run study`): 16 px easy shapes. */
const learnValues: SettingValues = {
  ...LEARN_COMMON,
  teacherSteps: 300, teacherWidth: 16, width: 16, fpnChannels: 32, batchSize: 64, totalSteps: 800, warmupSteps: 80,
  learningRate: 0.004, teacherLearningRate: 0.004,
};

const tinyValues: SettingValues = {
  imageSize: '16', datasetSize: 256, batchSize: 8, totalSteps: 150, metricsEvery: 2, probeEvery: 10,
  teacherSteps: 60, teacherWidth: 8, width: 8, fpnChannels: 16, warmupSteps: 10, learningRate: 0.005,
  teacherLearningRate: 0.005, fineTuneSteps: 40,
};


const dreamTeacherLessons: Lesson[] = [
  {
    id: 'dreamteacher-losses', title: 'DreamTeacher: MSE, attention transfer, or both', metric: 'distillLoss',
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
  settings: [...dreamTeacherSettings, ...commonSettings],
  presets: [
    { id: 'default', label: 'Default', description: 'A 3-level teacher U-Net trained for 300 steps on 32 px shapes, then distilled into a 3-level CNN with MSE + attention transfer.', values: {} },
    { id: 'tiny', label: 'Tiny', description: 'Small teacher and student on 16 px images, a 60-step teacher stage: fast enough for tests and slow GPUs.', values: tinyValues },
    { id: 'learn', label: 'Learn', description: 'Teacher and student on 16 px shapes, a 300-step teacher stage then 500 of distillation: a CPU-sized run the study measures (see “Does it learn?”).', values: learnValues },
    { id: 'mse-only', label: 'MSE only', description: 'Feature regression without attention transfer (an ablation of the paper).', values: { attentionLoss: false } },
    { id: 'at-only', label: 'AT only', description: 'Attention transfer without feature regression (an ablation of the paper).', values: { mseLoss: false } },
  ],
  liveSettings: [...commonLiveSettings],
  validate(values) {
    const problems: string[] = [];
    const size = Number(values.imageSize);
    const levels = Number(values.levels);
    const factor = 2 ** (levels - 1);
    if (size % factor !== 0 || size / factor < 2 || (size / factor) % 2 !== 0) {
      problems.push(`${levels} levels halve the image ${levels - 1} times and the pyramid pooling needs an even coarsest map: image size ${size} must be a multiple of ${2 * factor}.`);
    }
    if (Number(values.teacherSteps) >= Number(values.totalSteps)) {
      problems.push(`The teacher stage (${values.teacherSteps} steps) must be shorter than the run (${values.totalSteps} steps), or nothing is left for distillation.`);
    }
    if (!values.mseLoss && !values.attentionLoss) problems.push('Switch on feature regression, attention transfer or both: with neither the student learns nothing.');
    return problems;
  },
  largestTensorBytes(values) {
    const size = Number(values.imageSize);
    const batch = Number(values.batchSize);
    const widest = Math.max(2 * Number(values.teacherWidth), Number(values.fpnChannels) * 2, Number(values.width));
    const candidates = [
      { bytes: Number(values.datasetSize) * size * size * 3 * 4, what: 'the training images' },
      { bytes: batch * size * size * widest * 4, what: 'the finest-level activations' },
    ];
    return candidates.reduce((a, b) => (b.bytes > a.bytes ? b : a));
  },
  charts(values) {
    const names = levelNames(Number(values.levels));
    const mse = Boolean(values.mseLoss);
    const at = Boolean(values.attentionLoss);
    const perLevel = (prefix: string): ChartLine[] => names.map((name, i) => ({ name: `${prefix}${i}`, label: name, color: LEVEL_COLORS[i % LEVEL_COLORS.length] }));
    return [
      {
        id: 'loss', title: 'Loss', section: 'training',
        help: 'The teacher stage’s denoising loss (1 = predicting no noise), then the distillation loss (Σ over levels of MSE + λ·AT).',
        lines: [
          { name: 'teacherLoss', label: 'teacher (denoising MSE)', color: PALETTE.slate },
          { name: 'distillLoss', label: 'distillation', color: PALETTE.blue },
        ],
      },
      ...(mse ? [{
        id: 'feature-mse', title: 'Feature regression per level', section: 'training' as const,
        help: 'MSE between the student’s regressed features and the teacher’s, normalised per position (1 = predicting their mean, 0 = exact).',
        lines: perLevel('mse'),
        references: [{ value: 1, label: 'predict the mean (1)' }],
      }] : []),
      ...(at ? [{
        id: 'attention-transfer', title: 'Attention transfer per level', section: 'training' as const,
        help: 'Distance between the student’s and the teacher’s L2-normalised attention maps Σ_c A_c² at each level (0 = the same map).',
        lines: perLevel('at'),
      }] : []),
      {
        id: 'schedules', title: 'Schedules', section: 'collapse', summary: false,
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
