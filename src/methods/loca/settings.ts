/** LOCA's settings (plain data: the page imports this), typed by name through ValuesOf. */
import { commonSettings, hueJitterSetting, vitSettings } from '../common';
import type { Setting, ValuesOf } from '../schema';

/**
 * LOCA's settings (METHODS.md; defaults scaled down from google-research/scenic projects/loca
 * configs/loca_imnet1k_base16.py: 224 px views with 14×14 patches become 32 px with 8×8).
 */
export const locaSettings = [
  // model
  ...vitSettings('Transformer blocks of the encoder (student and EMA teacher); one cross-attention block follows.'),
  { kind: 'number', name: 'headHidden', urlKey: 'hh', label: 'Head hidden', group: 'model',
    help: 'Hidden width of the 3-layer projection head on every patch token (2048 in the paper).',
    default: 256, min: 16, max: 2048, step: 16, integer: true },
  { kind: 'number', name: 'bottleneck', urlKey: 'bn', label: 'Head bottleneck', group: 'model',
    help: 'L2-normalised bottleneck before the prototypes (256 in the paper).',
    default: 64, min: 8, max: 512, step: 8, integer: true },
  { kind: 'number', name: 'outputDim', urlKey: 'k', label: 'Prototypes K', group: 'model',
    help: 'Number of patch-level clusters (prototypes) of the cluster loss (4096 in the paper).',
    default: 256, min: 8, max: 8192, step: 8, integer: true },
  // views
  { kind: 'number', name: 'maskRatio', urlKey: 'eta', label: 'Reference masking η', group: 'views',
    help: 'Fraction of the reference’s patch tokens hidden from the queries (a contiguous run of the rest is kept). ' +
      'η = 0: a query patch can find its place by matching appearance. High η: most of its true positions are hidden, ' +
      'so it must infer where it lies from the few visible patches and what it shows — a harder task (0.8 in the paper).',
    default: 0.8, min: 0, max: 0.95, step: 0.05, slider: true },
  { kind: 'number', name: 'referenceScaleMin', urlKey: 'rs', label: 'Reference min scale', group: 'views',
    help: 'Smallest fraction of the image the reference view covers (0.32 in the paper; largest 1). Never flipped.',
    default: 0.32, min: 0.05, max: 1, step: 0.01 },
  { kind: 'number', name: 'queryScaleMin', urlKey: 'qs', label: 'Large query min scale', group: 'views',
    help: 'Smallest fraction of the image the large ("random") query covers (0.32 in the paper).',
    default: 0.32, min: 0.05, max: 1, step: 0.01 },
  { kind: 'number', name: 'queryKeep', urlKey: 'qk', label: 'Large query tokens kept', group: 'views',
    help: 'Fraction of the large query’s patches the student sees, a random subset each step (70 of 196 in the paper).',
    default: 0.36, min: 0.05, max: 1, step: 0.01 },
  { kind: 'number', name: 'focalQueries', urlKey: 'fq', label: 'Focal queries', group: 'views',
    help: 'Small query crops per image, each flipped at random (9 in the paper).',
    default: 9, min: 0, max: 12, step: 1, integer: true },
  { kind: 'number', name: 'focalSize', urlKey: 'fz', label: 'Focal query size', group: 'views',
    help: 'Side of a focal query in pixels, a multiple of the patch size (96 of 224 in the paper).',
    default: 16, min: 2, max: 64, step: 2, integer: true, unit: 'px' },
  { kind: 'number', name: 'focalScaleMin', urlKey: 'fsn', label: 'Focal min scale', group: 'views',
    help: 'Smallest fraction of the image a focal query covers.', default: 0.05, min: 0.01, max: 1, step: 0.01 },
  { kind: 'number', name: 'focalScaleMax', urlKey: 'fsx', label: 'Focal max scale', group: 'views',
    help: 'Largest fraction of the image a focal query covers.', default: 0.32, min: 0.01, max: 1, step: 0.01 },
  { kind: 'number', name: 'colorJitter', urlKey: 'cj', label: 'Colour jitter', group: 'views',
    help: 'Strength of brightness/contrast/saturation/hue jitter on every view (1 = 0.4/0.4/0.2/0.1, p 0.8).',
    default: 1, min: 0, max: 2, step: 0.05 },
  hueJitterSetting('views'),
  { kind: 'number', name: 'grayscaleProbability', urlKey: 'gp', label: 'Grayscale p', group: 'views',
    help: 'Probability that a view is turned grey.', default: 0.2, min: 0, max: 1, step: 0.05 },
  { kind: 'number', name: 'solarizeProbability', urlKey: 'sp', label: 'Solarize p', group: 'views',
    help: 'Probability that the large query is solarised (0.2 in the paper).', default: 0.2, min: 0, max: 1, step: 0.05 },
  // loss
  { kind: 'boolean', name: 'clusterLoss', urlKey: 'cl', label: 'Cluster loss', group: 'loss',
    help: 'Patch-level clustering: each query patch predicts the EMA teacher’s Sinkhorn-balanced prototype assignment ' +
      'of the reference patch under it. Off: position prediction only, and the reference goes through the student.',
    default: true },
  { kind: 'boolean', name: 'meanEntropy', urlKey: 'mx', label: 'Mean-entropy term', group: 'loss',
    help: 'Adds Σ p̄ log p̄ (p̄: the student’s prediction averaged over all query patches), which spreads patches over the prototypes.',
    default: true },
  { kind: 'number', name: 'teacherTemperature', urlKey: 'tt', label: 'Teacher temperature', group: 'loss',
    help: 'Sharpening of the teacher’s assignments before Sinkhorn (0.05 in the paper).',
    default: 0.05, min: 0.005, max: 1, step: 0.005, log: true },
  { kind: 'number', name: 'studentTemperature', urlKey: 'st', label: 'Student temperature', group: 'loss',
    help: 'τ_s of the student’s prototype softmax (0.1 in the paper).', default: 0.1, min: 0.005, max: 1, step: 0.005, log: true },
  { kind: 'number', name: 'sinkhornIterations', urlKey: 'si', label: 'Sinkhorn iterations', group: 'loss',
    help: 'Column-then-row normalisations of the teacher’s assignments (3 in the paper; 0 = plain softmax).',
    default: 3, min: 0, max: 10, step: 1, integer: true },
  { kind: 'number', name: 'teacherMomentum', urlKey: 'tm', label: 'Teacher momentum', group: 'loss',
    help: 'EMA momentum of the teacher at step 0, cosine-scheduled to 1 by the end (0.996 in the paper).',
    default: 0.996, min: 0.5, max: 1, step: 0.001 },
  // optimization
  { kind: 'number', name: 'learningRate', urlKey: 'lr', label: 'Learning rate', group: 'optimization',
    help: 'Peak AdamW lr for a batch of 1024, scaled by batch/1024 as in the official code (1e-3 there; higher here for short runs).',
    default: 0.016, min: 0.00001, max: 4, step: 0.00001, log: true },
  { kind: 'number', name: 'minLearningRate', urlKey: 'mlr', label: 'Final learning rate', group: 'optimization',
    help: 'Learning rate at the end of the cosine decay (1% of the peak in the paper).',
    default: 0.00001, min: 0, max: 0.01, step: 0.000001 },
  { kind: 'number', name: 'warmupSteps', urlKey: 'wu', label: 'lr warm-up', group: 'optimization',
    help: 'Steps of linear learning-rate warm-up from 0 (15% of the run in the paper).',
    default: 150, min: 0, max: 100000, step: 10, integer: true, unit: 'steps' },
  { kind: 'number', name: 'weightDecay', urlKey: 'wd', label: 'Weight decay', group: 'optimization',
    help: 'AdamW weight decay (not on biases and norms).', default: 0.1, min: 0, max: 1, step: 0.01 },
  { kind: 'number', name: 'gradientClip', urlKey: 'gc', label: 'Gradient clip', group: 'optimization',
    help: 'Limit on the global norm of all gradients together (1 in the paper; 0 = off).', default: 1, min: 0, max: 100, step: 0.5 },
] as const satisfies readonly Setting[];

/** Every setting of a LOCA run: its own, then the common ones (the order of the panel, the link and the CLI). */
export const LOCA_SETTINGS = [...locaSettings, ...commonSettings] as const;

export type LocaValues = ValuesOf<typeof LOCA_SETTINGS>;
