import { commonCollapseCharts, type Lesson } from '../collapse';
import { commonLiveSettings, LEARN_COMMON, vitLargestTensor, vitProblems, COMMON_GROUPS } from '../common';
import { readValues, type SettingValues } from '../schema';
import { LOCA_SETTINGS } from './settings';
import type { MethodDescription } from '../types';
import { locaSizes } from './sizes';
import { PALETTE } from '../palette';
import { FACTORS, stepMemory, vitTokens, vitUnits } from '../memory';

/**
 * Small enough for tests and slow GPUs: 16 px images, 4×4 reference patches (chance 1/16),
 * 2×2-patch focal queries, no colour augmentation (at this size it leaves too little signal).
 */
/**
 * The `learn` preset (measured by `npm run study`): 16 px easy shapes, a 3-block ViT, η = 0.5,
 * lr 0.1 and a fast teacher (momentum 0.8 at step 0). At lr 0.03 the position task underfit
 * (training accuracy 0.23 at step 500, as on held-out images); seeds 1–3 at lr 0.1: position
 * accuracy 0.250 → 0.283, kNN +0.044 → +0.061 (0.3 as good on seed 1, 1.0 worse). A teacher
 * that barely moves in 800 steps then held the student back, as MoCo's and BYOL's did: teacher
 * momentum 0.99 → 0.9 → 0.8, seeds 1–3: kNN +0.061 → +0.179 → +0.193, linear +0.125 → +0.175 →
 * +0.179, position 0.283 → 0.300 → 0.294 (0.7 on seed 1 no better). Then a colour jitter that
 * may turn the hue all the way round (0.5 turns, as the lineage's and DINO's learn presets), since
 * a shape's colour is random and not its class: seeds 4 and 5 kNN +0.205 → +0.228, linear +0.163
 * → +0.179; seeds 1–3 kNN +0.193 → +0.206, linear +0.179 → +0.171. docs/NOTES.md has the tables.
 */
const learnValues: SettingValues = {
  ...LEARN_COMMON,
  width: 48, depth: 3, heads: 3, mlpRatio: 2, headHidden: 128, bottleneck: 64, outputDim: 128,
  batchSize: 48, totalSteps: 800, warmupSteps: 80, learningRate: 0.1, teacherMomentum: 0.8,
  maskRatio: 0.5, focalQueries: 4, focalSize: 8, focalScaleMin: 0.1, referenceScaleMin: 0.5, queryScaleMin: 0.4,
  solarizeProbability: 0, hueJitter: 0.5,
};

const tinyValues: SettingValues = {
  imageSize: '16', datasetSize: 256, batchSize: 8, totalSteps: 150, metricsEvery: 2, probeEvery: 10,
  width: 32, depth: 2, heads: 2, mlpRatio: 2, headHidden: 64, bottleneck: 32, outputDim: 64,
  focalQueries: 4, focalSize: 8, queryKeep: 0.5, warmupSteps: 15, learningRate: 0.5,
  colorJitter: 0, grayscaleProbability: 0, solarizeProbability: 0,
};

const locaLessons: Lesson[] = [
  {
    id: 'loca-masking', title: 'Reference masking η', metric: 'positionAccuracy',
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
  settings: LOCA_SETTINGS,
  presets: [
    { id: 'default', label: 'Default', description: 'ViT-tiny on 32 px shapes: 8×8 reference patches, η = 0.8, one large and 9 focal queries.', values: {} },
    { id: 'tiny', label: 'Tiny', description: 'A very small model on 16 px images (4×4 reference patches), fast enough for tests and slow GPUs.', values: tinyValues },
    { id: 'learn', label: 'Learn', description: 'A ViT on 16 px shapes (4×4 reference patches), half the reference hidden, views in any hue, sized for a CPU: with a fast teacher it learns shape classes (held-out kNN about 0.32 against 0.11 untrained), dense features, and where its query patches lie (three in ten right after 800 steps, chance is 1/16); see “Does it learn?”.', values: learnValues },
    { id: 'no-masking', label: 'No masking', description: 'η = 0: the whole reference is visible, so positions can be found by matching appearance.', values: { maskRatio: 0 } },
    { id: 'position-only', label: 'Position only', description: 'No cluster loss: the position task alone, the reference through the student.', values: { clusterLoss: false } },
  ],
  liveSettings: [...commonLiveSettings],
  validate(values) {
    const v = readValues(LOCA_SETTINGS, values);
    const problems = vitProblems(values);
    const patch = v.patchSize;
    const imageSize = Number(v.imageSize);
    const focalSize = v.focalSize;
    if (v.focalQueries > 0) {
      if (focalSize % patch !== 0) problems.push(`Focal query size ${focalSize} must be a multiple of the patch size ${patch}.`);
      if (focalSize > imageSize) problems.push(`Focal query size ${focalSize} must not exceed the image size ${imageSize}.`);
      if (v.focalScaleMin > v.focalScaleMax) problems.push('Focal min scale must not exceed its max scale.');
    }
    return problems;
  },
  largestTensorBytes: (values) => vitLargestTensor(values, 'the reference and large query'),
  stepMemory(values) {
    const v = readValues(LOCA_SETTINGS, values);
    const reference = vitTokens(Number(v.imageSize), v.patchSize);
    const focal = Array<number>(v.focalQueries).fill(vitTokens(v.focalSize, v.patchSize));
    return stepMemory(values, vitUnits(values, [reference, Math.ceil(reference * v.queryKeep), ...focal]), FACTORS.loca);
  },
  charts(values) {
    const v = readValues(LOCA_SETTINGS, values);
    const { referencePatches, referenceKept, focalPatches } = locaSizes(values);
    const masked = referenceKept < referencePatches;
    const lnK = Math.log(v.outputDim);
    const cluster = v.clusterLoss;
    const rows = v.batchSize * v.focalQueries * focalPatches;
    return [
      {
        id: 'loss', title: 'Loss', section: 'training', yLabel: 'cross-entropy (nats)',
        help: 'Total loss and its parts: position cross-entropy over query patches inside the reference, and (cluster loss on) the cluster cross-entropy. ln N_ref is the position loss of a uniform guess.',
        lines: [
          { name: 'loss', label: 'total', color: PALETTE.blue },
          { name: 'localizationLoss', label: 'position', color: PALETTE.wine },
          ...(cluster ? [{ name: 'clusterLoss', label: 'cluster', color: PALETTE.green }] : []),
        ],
        references: [{ value: Math.log(referencePatches), label: `ln N_ref (chance, ${referencePatches} positions)` }],
      },
      {
        id: 'position-accuracy', title: 'Position accuracy', section: 'training', yLabel: 'accuracy (0–1)',
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
          id: 'prototype-spread', title: 'Prototype use', section: 'collapse' as const, yLabel: 'entropy (nats)',
          help: 'H(p̄): entropy of the student’s prototype prediction averaged over all query patches (ln K = every prototype used equally, 0 = one prototype for everything); the mean-entropy term maximises it. Next to it, the mean entropy of one patch’s prediction.',
          lines: [
            { name: 'predictionSpread', label: 'H(p̄)', color: PALETTE.green },
            { name: 'studentEntropy', label: 'mean H(p)', color: PALETTE.orange },
          ],
          references: [{ value: lnK, label: 'ln K' }, { value: 0, label: '0 (one prototype)' }],
        },
        {
          id: 'target-entropy', title: 'Teacher target entropy', section: 'collapse' as const, yLabel: 'entropy (nats)',
          help: 'Mean entropy of the Sinkhorn-balanced teacher assignments the query patches learn from: near ln K they say nothing, near 0 each reference patch gets one prototype.',
          lines: [{ name: 'targetEntropy', label: 'H(Q)', color: PALETTE.vermillion }],
          references: [{ value: lnK, label: 'ln K' }],
        },
      ] : []),
      {
        id: 'inside', title: 'Query patches inside the reference', section: 'collapse', summary: false, yLabel: 'share (0–1)',
        help: 'Fraction of query patches whose centre lies in the reference view: only those carry a position target.',
        lines: [{ name: 'insideFraction', label: 'inside', color: PALETTE.slate }],
      },
      ...commonCollapseCharts(rows, v.width),
      {
        id: 'schedules', title: 'Schedules', section: 'collapse', summary: false, yLabel: cluster ? 'lr, λ' : 'learning rate',
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
