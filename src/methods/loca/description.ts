import { commonCollapseCharts, type Lesson } from '../collapse';
import { commonLiveSettings, commonSettings, LEARN_COMMON, vitLargestTensor, vitProblems, vitSettings, COMMON_GROUPS } from '../common';
import type { Setting, SettingValues } from '../schema';
import type { MethodDescription } from '../types';
import { locaSizes } from './sizes';
import { PALETTE } from '../palette';

/**
 * LOCA's settings (METHODS.md; defaults scaled down from google-research/scenic projects/loca
 * configs/loca_imnet1k_base16.py: 224 px views with 14×14 patches become 32 px with 8×8).
 */
const locaSettings: readonly Setting[] = [
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
];

/**
 * Small enough for tests and slow GPUs: 16 px images, 4×4 reference patches (chance 1/16),
 * 2×2-patch focal queries, no colour augmentation (at this size it leaves too little signal).
 */
/** The `learn` preset (measured by `npm run study`): 16 px easy shapes, a 3-block ViT, η = 0.5. */
const learnValues: SettingValues = {
  ...LEARN_COMMON,
  width: 48, depth: 3, heads: 3, mlpRatio: 2, headHidden: 128, bottleneck: 64, outputDim: 128,
  batchSize: 48, totalSteps: 800, warmupSteps: 80, learningRate: 0.03, teacherMomentum: 0.99,
  maskRatio: 0.5, focalQueries: 4, focalSize: 8, focalScaleMin: 0.1, referenceScaleMin: 0.5, queryScaleMin: 0.4,
  solarizeProbability: 0,
};

const tinyValues: SettingValues = {
  imageSize: '16', datasetSize: 256, batchSize: 8, totalSteps: 150, metricsEvery: 2, probeEvery: 10,
  width: 32, depth: 2, heads: 2, mlpRatio: 2, headHidden: 64, bottleneck: 32, outputDim: 64,
  focalQueries: 4, focalSize: 8, queryKeep: 0.5, warmupSteps: 15, learningRate: 0.5,
  colorJitter: 0, grayscaleProbability: 0, solarizeProbability: 0,
};

const locaLessons: Lesson[] = [
  {
    id: 'loca-masking', title: 'LOCA: reference masking η', metric: 'positionAccuracy',
    text: 'η sets how much of the reference the query patches can look at. With η = 0 every true position is among ' +
      'the visible reference patches, so a query patch could be placed by finding the reference patch that looks like ' +
      'it; with the paper’s η = 0.8 only a fifth is visible and most positions must be inferred from context — where ' +
      'the object is, which side of it a patch shows. Watch the accuracy chart’s split into "true patch visible" and ' +
      '"true patch masked": at this tiny scale both runs reach about 10% (chance 6%) and the split shows how — the ' +
      'model places a patch by where it sits in the large query, not by matching appearance, so visible positions are ' +
      'found no more often than masked ones. Appearance matching needs a bigger model and a longer run (the default ' +
      'preset). Open the position view to see the masked reference and where each query patch lands.',
    runs: [
      { name: 'η = 0.8', preset: 'tiny', values: {} },
      { name: 'η = 0', preset: 'tiny', values: { maskRatio: 0 } },
    ],
  },
];

export const locaDescription: MethodDescription = {
  id: 'loca',
  title: 'LOCA',
  paper: {
    title: 'Location-Aware Self-Supervised Transformers for Semantic Segmentation',
    authors: 'Caron, Houlsby, Schmid',
    year: 2022,
    url: 'https://arxiv.org/abs/2212.02400',
    code: 'https://github.com/google-research/scenic/tree/main/scenic/projects/loca',
  },
  summary:
    'A pretext task about where things are: a large reference view and several query views of one image. Each ' +
    'query patch must say which patch of the reference it lies on, while most of the reference is masked out. ' +
    'The reference’s geometry never reaches the network; only pixels do, so the position must be read from ' +
    'content. A patch-level cluster loss adds semantics: each query patch predicts the prototype the teacher ' +
    'assigns to the reference patch under it.',
  whyNoCollapse:
    'Position prediction cannot collapse: its targets come from the crop geometry, not from the network. The ' +
    'cluster loss could (every patch in one prototype); Sinkhorn balances the teacher’s assignments across ' +
    'prototypes, the mean-entropy term spreads the student’s predictions, and the teacher is a slow EMA.',
  lossMath:
    'L_loc = mean over query patches p inside the reference of −log softmax(z_p)[y_p]   (z_p: logits over the N_ref reference patches)\n' +
    'Q = Sinkhorn(softmax(t / τ_t)) over the teacher’s reference patches;  L_clu = mean over inside p of −Σ_k Q[y_p]_k log softmax(s_p / τ_s)_k\n' +
    'R = Σ_k p̄_k log p̄_k,  p̄ = mean over all query patches of softmax(s_p / τ_s)\n' +
    'L = L_loc + L_clu + R;   θ_t ← λ·θ_t + (1 − λ)·θ_s',
  implementationNotes:
    'Follows scenic projects/loca: the EMA teacher encodes the whole reference and a contiguous raster run of ' +
    '(1 − η) of its tokens (the same offset for the batch) are the keys and values of one cross-attention block ' +
    'over the student’s query tokens, followed by LayerNorm and an N_ref-way linear classifier; the large query ' +
    'keeps a random token subset before the encoder; queries carry position embeddings (the code’s default with ' +
    'the cluster loss on); Sinkhorn starts from the softmax and normalises columns then rows; the me-max average ' +
    'includes outside patches; AdamW with lr × batch/1024 and global-norm clipping. Position targets come from ' +
    'the sampled boxes (each query patch centre mapped into the reference), which is what the official index ' +
    'grid carried through the same crops computes up to nearest-neighbour rounding. Scaled down: 32 px views ' +
    'with 8×8 patches, 16 px focal queries, K = 256, no stochastic depth, our ViT keeps a CLS token that no loss ' +
    'reads, no blur (the released config’s blur is a no-op), and colour jitter as DINO’s.',
  groups: [
    { id: 'model', label: 'Model' },
    { id: 'views', label: 'Views' },
    { id: 'loss', label: 'Loss' },
    ...COMMON_GROUPS,
  ],
  settings: [...locaSettings, ...commonSettings],
  presets: [
    { id: 'default', label: 'Default', description: 'ViT-tiny on 32 px shapes: 8×8 reference patches, η = 0.8, one large and 9 focal queries.', values: {} },
    { id: 'tiny', label: 'Tiny', description: 'A very small model on 16 px images (4×4 reference patches), fast enough for tests and slow GPUs.', values: tinyValues },
    { id: 'learn', label: 'Learn', description: 'A ViT on 16 px shapes (4×4 reference patches), half the reference hidden, sized for a CPU: it learns where its query patches lie (a quarter right after 800 steps, chance is 1/16) and dense features; see “Does it learn?”.', values: learnValues },
    { id: 'no-masking', label: 'No masking', description: 'η = 0: the whole reference is visible, so positions can be found by matching appearance.', values: { maskRatio: 0 } },
    { id: 'position-only', label: 'Position only', description: 'No cluster loss: the position task alone, the reference through the student.', values: { clusterLoss: false } },
  ],
  liveSettings: [...commonLiveSettings],
  validate(values) {
    const problems = vitProblems(values);
    const patch = Number(values.patchSize);
    const imageSize = Number(values.imageSize);
    const focalSize = Number(values.focalSize);
    if (Number(values.focalQueries) > 0) {
      if (focalSize % patch !== 0) problems.push(`Focal query size ${focalSize} must be a multiple of the patch size ${patch}.`);
      if (focalSize > imageSize) problems.push(`Focal query size ${focalSize} must not exceed the image size ${imageSize}.`);
      if (Number(values.focalScaleMin) > Number(values.focalScaleMax)) problems.push('Focal min scale must not exceed its max scale.');
    }
    return problems;
  },
  largestTensorBytes: (values) => vitLargestTensor(values, 'the reference and large query'),
  charts(values) {
    const { referencePatches, referenceKept, focalPatches } = locaSizes(values);
    const masked = referenceKept < referencePatches;
    const lnK = Math.log(Number(values.outputDim));
    const cluster = Boolean(values.clusterLoss);
    const rows = Number(values.batchSize) * Number(values.focalQueries) * focalPatches;
    return [
      {
        id: 'loss', title: 'Loss', section: 'training',
        help: 'Total loss and its parts: position cross-entropy over query patches inside the reference, and (cluster loss on) the cluster cross-entropy. ln N_ref is the position loss of a uniform guess.',
        lines: [
          { name: 'loss', label: 'total', color: PALETTE.blue },
          { name: 'localizationLoss', label: 'position', color: PALETTE.wine },
          ...(cluster ? [{ name: 'clusterLoss', label: 'cluster', color: PALETTE.green }] : []),
        ],
        references: [{ value: Math.log(referencePatches), label: `ln N_ref (chance, ${referencePatches} positions)` }],
      },
      {
        id: 'position-accuracy', title: 'Position accuracy', section: 'training',
        help: 'Top-1: the fraction of query patches inside the reference whose most likely reference patch is the true one, over this step’s training views' +
          (masked ? '; split by whether that true patch is among the visible reference patches (found by matching what they show) or masked (to be inferred from context).' : '.'),
        lines: [
          { name: 'positionAccuracy', label: 'top-1', color: PALETTE.wine },
          ...(masked ? [
            { name: 'visibleAccuracy', label: 'true patch visible', color: PALETTE.sky },
            { name: 'hiddenAccuracy', label: 'true patch masked', color: PALETTE.slate },
          ] : []),
        ],
        references: [{ value: 1 / referencePatches, label: `chance (1/${referencePatches})` }, { value: 1, label: '1' }],
      },
      ...(cluster ? [
        {
          id: 'prototype-spread', title: 'Prototype use', section: 'collapse' as const,
          help: 'H(p̄): entropy of the student’s prototype prediction averaged over all query patches (ln K = every prototype used equally, 0 = one prototype for everything); the mean-entropy term maximises it. Next to it, the mean entropy of one patch’s prediction.',
          lines: [
            { name: 'predictionSpread', label: 'H(p̄)', color: PALETTE.green },
            { name: 'studentEntropy', label: 'mean H(p)', color: PALETTE.orange },
          ],
          references: [{ value: lnK, label: 'ln K' }, { value: 0, label: '0 (one prototype)' }],
        },
        {
          id: 'target-entropy', title: 'Teacher target entropy', section: 'collapse' as const,
          help: 'Mean entropy of the Sinkhorn-balanced teacher assignments the query patches learn from: near ln K they say nothing, near 0 each reference patch gets one prototype.',
          lines: [{ name: 'targetEntropy', label: 'H(Q)', color: PALETTE.vermillion }],
          references: [{ value: lnK, label: 'ln K' }],
        },
      ] : []),
      {
        id: 'inside', title: 'Query patches inside the reference', section: 'collapse', summary: false,
        help: 'Fraction of query patches whose centre lies in the reference view: only those carry a position target.',
        lines: [{ name: 'insideFraction', label: 'inside', color: PALETTE.slate }],
      },
      ...commonCollapseCharts(rows, Number(values.width)),
      {
        id: 'schedules', title: 'Schedules', section: 'collapse', summary: false,
        help: 'Learning rate and teacher momentum λ as the run applies them (warm-up then cosine; cosine to 1).',
        lines: [
          { name: 'learningRate', label: 'lr', color: PALETTE.purple },
          ...(cluster ? [{ name: 'teacherMomentum', label: 'λ', color: PALETTE.slate }] : []),
        ],
      },
    ];
  },
  collapseModes: [
    {
      id: 'one-prototype', label: 'Prototype collapse',
      symptom: 'the student assigns every patch to the same few prototypes: the entropy of its average prediction is near 0',
      prevention: 'The mean-entropy term maximises that entropy, and Sinkhorn balances the teacher’s targets across prototypes.',
      test: (v, settings) => v.predictionSpread !== undefined && v.predictionSpread < 0.1 * Math.log(Number(settings.outputDim)),
    },
  ],
  lessons: locaLessons,
  probeKinds: () => ['position', 'embedding'],
  load: () => import('./method').then((module) => module.implementation),
};
