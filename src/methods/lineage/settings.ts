/**
 * Settings of the SimCLR / MoCo / BYOL / SimSiam lineage. One list, with per-method defaults
 * and only the switches that apply to each method (plain data: the page imports this).
 */
import { commonCollapseCharts, type ChartSpec, type Lesson } from '../collapse';
import { commonSettings, LEARN_COMMON, shapesAugmentationSettings, vitLargestTensor, vitProblems, vitSettings, COMMON_GROUPS } from '../common';
import { readValues, type Preset, type Setting, type SettingValues, type ValuesOf } from '../schema';
import { PALETTE } from '../palette';
import { convUnits, stepMemory, vitTokens, vitUnits, type StepMemory } from '../memory';

export type Variant = 'simclr' | 'moco' | 'byol' | 'simsiam';

/** Which mechanisms a method has, so its panel shows only the switches that mean something. */
export const MECHANISMS: Record<Variant, { temperature: boolean; predictor: boolean; momentum: boolean; stopGradient: boolean; queue: boolean }> = {
  simclr: { temperature: true, predictor: false, momentum: false, stopGradient: false, queue: false },
  moco: { temperature: true, predictor: true, momentum: true, stopGradient: false, queue: true },
  byol: { temperature: false, predictor: true, momentum: true, stopGradient: false, queue: false },
  simsiam: { temperature: false, predictor: true, momentum: false, stopGradient: true, queue: false },
};

export const LINEAGE_GROUPS = [
  { id: 'model', label: 'Model' },
  { id: 'heads', label: 'Projector and predictor' },
  { id: 'objective', label: 'Objective' },
  { id: 'augmentation', label: 'Augmentation' },
  ...COMMON_GROUPS,
  { id: 'probes', label: 'Probes' },
] as const;

/** The lineage's settings for one method: only the switches that method has (MECHANISMS). */
export function lineageSettings(variant: Variant) {
  const has = MECHANISMS[variant];
  const model = [
    { kind: 'choice', name: 'backbone', urlKey: 'bb', label: 'Backbone', group: 'model',
      help: 'vit: a ViT as in DINO (attention maps). cnn: a small CNN (stride-2 conv–BN–ReLU stages, average pooled), closer to the papers’ ResNets.',
      default: 'vit', choices: ['vit', 'cnn'] },
    ...vitSettings('Transformer blocks (ViT) or stride-2 stages (CNN).'),
    { kind: 'number', name: 'projectorHidden', urlKey: 'ph', label: 'Projector hidden', group: 'heads',
      help: 'Hidden width of the projector MLP (Linear–BN–ReLU layers).', default: 256, min: 8, max: 4096, step: 8, integer: true },
    { kind: 'number', name: 'projectorOut', urlKey: 'po', label: 'Projection dim', group: 'heads',
      help: 'Output of the projector: the space the loss compares views in.', default: 128, min: 8, max: 2048, step: 8, integer: true },
  ] as const satisfies readonly Setting[];
  const predictor = [
    { kind: 'boolean', name: 'predictor', urlKey: 'pr', label: 'Predictor', group: 'heads',
      help: 'An MLP on the online side only, predicting the other view’s projection. Off: the asymmetry is gone.', default: true },
    { kind: 'number', name: 'predictorHidden', urlKey: 'qh', label: 'Predictor hidden', group: 'heads',
      help: 'Hidden width of the predictor MLP.', default: variant === 'simsiam' ? 64 : 256, min: 8, max: 4096, step: 8, integer: true },
    { kind: 'boolean', name: 'fixPredictorLr', urlKey: 'pf', label: 'Constant predictor lr', group: 'optimization',
      help: 'The predictor trains at the peak learning rate throughout, while the rest warms up and decays (SimSiam’s ' +
        '--fix-pred-lr, its recommended recipe: a predictor that keeps adapting to the latest representation). Off: one schedule for all.',
      default: false },
  ] as const satisfies readonly Setting[];
  const temperature = [{ kind: 'number', name: 'temperature', urlKey: 't', label: 'Temperature τ', group: 'objective',
    help: 'Divides the cosine similarities before the softmax: low τ weighs the hardest negatives most.',
    default: 0.2, min: 0.01, max: 2, step: 0.01, log: true }] as const satisfies readonly Setting[];
  const queue = [{ kind: 'number', name: 'queueSize', urlKey: 'qs', label: 'Queue of negatives', group: 'objective',
    help: 'MoCo v2-style queue of past keys used as negatives (0: MoCo v3, negatives from the batch). A multiple of 2 × batch size.',
    default: 0, min: 0, max: 65536, step: 64, integer: true }] as const satisfies readonly Setting[];
  const momentum = [
    { kind: 'boolean', name: 'momentumEncoder', urlKey: 'mt', label: 'Momentum encoder', group: 'objective',
      help: 'Targets from an EMA of the online network. Off: targets from the online network itself (with stop-gradient).', default: true },
    { kind: 'number', name: 'momentum', urlKey: 'tm', label: 'Momentum', group: 'objective',
      help: 'EMA coefficient at step 0; it rises to 1 on a cosine schedule.', default: 0.99, min: 0.5, max: 1, step: 0.001 },
  ] as const satisfies readonly Setting[];
  const stopGradient = [{ kind: 'boolean', name: 'stopGradient', urlKey: 'sg', label: 'Stop-gradient', group: 'objective',
    help: 'No gradient through the target branch. Off: SimSiam collapses (its paper’s Fig. 2).', default: true }] as const satisfies readonly Setting[];
  const rest = [
    { kind: 'number', name: 'cropScaleMin', urlKey: 'cs', label: 'Crop min scale', group: 'augmentation',
      help: 'Smallest fraction of the image a view covers (random resized crop).', default: 0.2, min: 0.05, max: 1, step: 0.01 },
    { kind: 'number', name: 'colorJitter', urlKey: 'cj', label: 'Colour jitter', group: 'augmentation',
      help: 'Strength of brightness/contrast/saturation/hue jitter (p = 0.8). Without it, matching colours is enough.', default: 1, min: 0, max: 2, step: 0.05 },
    ...shapesAugmentationSettings('augmentation'),
    { kind: 'number', name: 'grayscaleProbability', urlKey: 'gp', label: 'Grayscale p', group: 'augmentation',
      help: 'Probability that a view is turned grey.', default: 0.2, min: 0, max: 1, step: 0.05 },
    { kind: 'boolean', name: 'blur', urlKey: 'bl', label: 'Blur', group: 'augmentation',
      help: 'Gaussian blur with p = 0.5 on each view.', default: true },
    { kind: 'number', name: 'learningRate', urlKey: 'lr', label: 'Learning rate', group: 'optimization',
      help: 'AdamW peak lr for batch 256 (scaled by batch/256), after a linear warm-up; cosine decay to 0.', default: 0.002, min: 0.00001, max: 0.1, step: 0.00001, log: true },
    { kind: 'number', name: 'warmupSteps', urlKey: 'wu', label: 'lr warm-up', group: 'optimization',
      help: 'Steps of linear warm-up from 0.', default: 100, min: 0, max: 100000, step: 10, integer: true, unit: 'steps' },
    { kind: 'number', name: 'weightDecay', urlKey: 'wd', label: 'Weight decay', group: 'optimization',
      help: 'AdamW decoupled weight decay (not on biases and norms).', default: 0.05, min: 0, max: 1, step: 0.01 },
    { kind: 'number', name: 'attentionMass', urlKey: 'am', label: 'Attention mass', group: 'probes',
      help: 'The highlighted patches hold this fraction of the CLS attention.', default: 0.6, min: 0.05, max: 1, step: 0.05 },
  ] as const satisfies readonly Setting[];
  return [
    ...model,
    ...(has.predictor ? predictor : []),
    ...(has.temperature ? temperature : []),
    ...(has.queue ? queue : []),
    ...(has.momentum ? momentum : []),
    ...(has.stopGradient ? stopGradient : []),
    ...rest,
    ...commonSettings,
  ] as const;
}

/** A lineage run's values, typed: every setting any of the four methods has (see lineageSettings). */
export type LineageValues = ValuesOf<ReturnType<typeof lineageSettings>>;

/** Small enough for tests and slow GPUs. */
export const LINEAGE_TINY: SettingValues = {
  imageSize: '16', datasetSize: 256, batchSize: 16, totalSteps: 100, metricsEvery: 2, probeEvery: 10,
  width: 32, depth: 2, heads: 2, mlpRatio: 2, projectorHidden: 64, projectorOut: 32, predictorHidden: 16,
  warmupSteps: 10, learningRate: 0.03, colorJitter: 0.5,
};

/**
 * The `learn` preset of the lineage (measured by `npm run study`): the small CNN the papers'
 * ResNets shrink to, on 16 px easy shapes, with the augmentations that fit them — views turned
 * by any angle, hue turned anywhere, crops of at least 70 % (smaller ones cut the object away)
 * — and a learning rate high enough to move in 800 steps (the study's ablations: lr 0.002 →
 * kNN +0.05 over the untrained network in 1,000 steps; 0.04 → +0.31; 0.1 → +0.37).
 */
export const LINEAGE_LEARN: SettingValues = {
  ...LEARN_COMMON,
  backbone: 'cnn', width: 64, depth: 3, batchSize: 64, totalSteps: 800, learningRate: 0.1, warmupSteps: 80,
  rotation: 180, hueJitter: 0.5, cropScaleMin: 0.7,
};

export function lineagePresets(variant: Variant, broken: Preset[], tinyOverrides: SettingValues = {}, tinyNote = '', learnOverrides: SettingValues = {}): Preset[] {
  const tinyValues = {
    ...Object.fromEntries(Object.entries(LINEAGE_TINY).filter(([key]) => key !== 'predictorHidden' || MECHANISMS[variant].predictor)),
    ...tinyOverrides,
  };
  const learnValues = { ...LINEAGE_LEARN, ...learnOverrides };
  return [
    { id: 'default', label: 'Default', description: 'ViT-tiny on 32 px shapes, two views per image.', values: {} },
    { id: 'tiny', label: 'Tiny', description: `A very small model on 16 px images: fast enough for tests and slow GPUs.${tinyNote}`, values: tinyValues },
    { id: 'learn', label: 'Learn', description: `A small CNN on 16 px shapes, ${learnValues.totalSteps} steps with augmentations that fit the shapes, sized for a CPU. SimCLR learns shape classes with it (held-out kNN about 0.5 against 0.2 untrained); see “Does it learn?” for each method.`, values: learnValues },
    ...broken.map((p) => ({ ...p, values: { ...tinyValues, ...p.values } })),
  ];
}

/** Whether the run has a predictor and keeps it at the peak lr (SimSiam's --fix-pred-lr). */
export function predictorAtPeakLr(variant: Variant, v: { predictor: boolean; fixPredictorLr: boolean }): boolean {
  return MECHANISMS[variant].predictor && v.predictor && v.fixPredictorLr;
}

export function lineageCharts(values: SettingValues, variant: Variant): ChartSpec[] {
  const v = readValues(lineageSettings(variant), values);
  const charts: ChartSpec[] = [
    {
      id: 'loss', title: 'Loss', section: 'training',
      yLabel: { simclr: 'NT-Xent (nats)', moco: 'InfoNCE (nats)', byol: '2 − 2·cos', simsiam: '−cos' }[variant],
      help: {
        simclr: 'NT-Xent: −log of the positive’s softmax share among all 2B − 1 other views, both directions added.',
        moco: 'InfoNCE of queries against momentum keys, both directions added (× 2τ in MoCo v3).',
        byol: '2 − 2·cos(prediction, target projection), both directions added: 0 when they agree.',
        simsiam: '−cos(prediction, other view’s projection), averaged over both directions: −1 is perfect agreement.',
      }[variant],
      lines: [{ name: 'loss', label: 'loss', color: PALETTE.blue }],
      references: variant === 'simclr'
        ? [{ value: 2 * Math.log(2 * v.batchSize - 1), label: '2·ln(2B − 1): all embeddings equal' }]
        : variant === 'simsiam' ? [{ value: -1, label: '−1: perfect agreement' }] : [],
    },
    {
      id: 'similarity', title: 'Positive and negative similarity', section: 'collapse', yLabel: 'cosine similarity',
      help: 'Mean cosine between the two views of an image (positives) and between different images (negatives): both near 1 is collapse.',
      lines: [
        { name: 'positiveSimilarity', label: 'positives', color: PALETTE.green },
        { name: 'negativeSimilarity', label: 'negatives', color: PALETTE.vermillion },
      ],
      references: [{ value: 1, label: '1' }, { value: 0, label: '0' }],
    },
    {
      id: 'projection-std', title: 'Projection std', section: 'collapse', yLabel: 'std × √D',
      help: 'Std of the L2-normalised projections z (what the loss compares), × √D, as in SimSiam’s Fig. 2: 0 when every image gets the same z.',
      lines: [{ name: 'projectionStd', label: 'std(z) × √D', color: PALETTE.olive }],
      references: [{ value: 1, label: 'healthy (1)' }, { value: 0, label: 'collapsed (0)' }],
    },
    ...commonCollapseCharts(2 * v.batchSize, v.width),
  ];
  const predictorAtPeak = predictorAtPeakLr(variant, v);
  charts.push({
    id: 'learning-rate', title: 'Learning rate', section: 'collapse', summary: false, yLabel: 'learning rate',
    help: predictorAtPeak
      ? 'Learning rate as the run applies it: linear warm-up, then cosine to 0 for the backbone and projector; the predictor stays at the peak (Constant predictor lr).'
      : 'Learning rate as the run applies it: linear warm-up, then cosine to 0.',
    lines: [
      { name: 'learningRate', label: predictorAtPeak ? 'backbone, projector' : 'lr', color: PALETTE.purple },
      ...(predictorAtPeak ? [{ name: 'predictorLearningRate', label: 'predictor', color: PALETTE.orange }] : []),
    ],
  });
  if (MECHANISMS[variant].momentum) {
    charts.push({
      id: 'schedules', title: 'Schedules', section: 'collapse', summary: false, yLabel: 'EMA momentum',
      help: 'The EMA momentum of the target (key) network as the run applies it.',
      lines: [{ name: 'momentum', label: 'momentum', color: PALETTE.slate }],
    });
  }
  return charts;
}

/** A healthy tiny run next to one with a mechanism removed. */
export function lesson(id: string, title: string, metric: string, text: string, name: string, values: SettingValues): Lesson {
  return { id, title, metric, text, runs: [{ name: 'healthy', preset: 'tiny', values: {} }, { name, preset: 'tiny', values }] };
}

export function lineageValidate(values: SettingValues, variant: Variant): string[] {
  const v = readValues(lineageSettings(variant), values);
  const problems = v.backbone === 'cnn' ? [] : vitProblems(values);
  if (v.backbone === 'cnn' && 2 ** v.depth > Number(v.imageSize)) {
    problems.push(`A CNN of depth ${v.depth} halves ${v.imageSize} px images below 1 px: use at most ${Math.floor(Math.log2(Number(v.imageSize)))} stages.`);
  }
  if (variant === 'moco') {
    const queue = v.queueSize;
    const perStep = 2 * v.batchSize;
    if (queue > 0 && queue % perStep !== 0) problems.push(`Queue size ${queue} must be a multiple of 2 × batch size = ${perStep} (the keys enqueued per step).`);
    // MoCo v2's queue holds the momentum encoder's keys: without that encoder nothing would ever
    // be enqueued, and the negatives would stay the queue's random start for the whole run.
    if (queue > 0 && !v.momentumEncoder) problems.push('A queue of negatives holds the momentum encoder’s keys: turn the momentum encoder on, or set the queue to 0 (negatives from the batch, as MoCo v3).');
  }
  return problems;
}

/** Two views through the backbone (the momentum or target branch's forward counted in the factor). */
export function lineageStepMemory(values: SettingValues, factor: number): StepMemory {
  const v = readValues(lineageSettings('simclr'), values);
  const size = Number(v.imageSize);
  if (v.backbone === 'cnn') {
    const stem = Math.max(8, Math.round(v.width / 2 ** (v.depth - 1)));
    return stepMemory(values, 2 * convUnits(size, stem, v.depth), factor);
  }
  const tokens = vitTokens(size, v.patchSize);
  return stepMemory(values, vitUnits(values, [tokens, tokens]), factor);
}

export function lineageLargestTensor(values: SettingValues): { bytes: number; what: string } {
  const v = readValues(lineageSettings('simclr'), values);
  if (v.backbone !== 'cnn') return vitLargestTensor(values, 'the two views');
  // The CNN's largest activation is its stem: [2B, S, S, channels].
  const size = Number(v.imageSize);
  const stem = Math.max(8, Math.round(v.width / 2 ** (v.depth - 1)));
  const candidates = [
    { bytes: v.datasetSize * size * size * 3 * 4, what: 'the training images' },
    { bytes: 2 * v.batchSize * size * size * stem * 4, what: 'the first convolution’s activations' },
  ];
  return candidates.reduce((a, b) => (b.bytes > a.bytes ? b : a));
}
