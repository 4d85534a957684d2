/** DreamTeacher's settings (plain data: the page imports this), typed by name through ValuesOf. */
import { commonSettings } from '../common';
import { stagedOptimizationSettings } from '../dep/settings';
import type { Setting, ValuesOf } from '../schema';

/**
 * DreamTeacher (Li et al., ICCV 2023): a generative model's features distilled into an image
 * backbone. The generative teacher is a DeP denoising U-Net trained first in the same run; its
 * decoder features, from one denoising step of the noised image, are the targets at each
 * resolution; a small CNN student regresses them through an FPN-like regressor with MSE on the
 * per-position-normalised targets plus attention transfer.
 */
export const dreamTeacherSettings = [
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
  ...stagedOptimizationSettings,
] as const satisfies readonly Setting[];

/** Every setting of a DreamTeacher run: its own, then the common ones (the order of the panel, the link and the CLI). */
export const DREAMTEACHER_SETTINGS = [...dreamTeacherSettings, ...commonSettings] as const;

export type DreamTeacherValues = ValuesOf<typeof DREAMTEACHER_SETTINGS>;
