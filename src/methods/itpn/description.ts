import { commonCollapseCharts, type ChartLine, type Lesson } from '../collapse';
import { commonLiveSettings, LEARN_COMMON, COMMON_GROUPS } from '../common';
import { readValues, type SettingValues } from '../schema';
import { ITPN_SETTINGS } from './settings';
import type { MethodDescription } from '../types';
import { hivitProblems } from '../../measures/hivit';
import { itpnLevelNames } from './config';
import { LEVEL_COLORS, PALETTE } from '../palette';
import { FACTORS, stepMemory, vitUnits } from '../memory';

/** The `learn` preset (measured by `npm run study`): 16 px easy shapes, 4 px patches (a 4×4 grid). */
const learnValues: SettingValues = {
  ...LEARN_COMMON,
  patchSize: 4, width: 48, depth: 3, heads: 3, mlpRatio: 2, fpnWidth: 24, decoderWidth: 48, decoderDepth: 1, decoderHeads: 3,
  batchSize: 64, totalSteps: 600, warmupSteps: 60, learningRate: 0.003, teacherMomentum: 0.99,
};

const tinyValues: SettingValues = {
  imageSize: '16', datasetSize: 256, batchSize: 8, totalSteps: 100, metricsEvery: 2, probeEvery: 10,
  patchSize: 4, width: 32, depth: 2, heads: 2, mlpRatio: 2, fpnWidth: 16, decoderWidth: 32, decoderDepth: 1, decoderHeads: 2,
  warmupSteps: 10, learningRate: 0.003,
};

const itpnLessons: Lesson[] = [
  {
    id: 'itpn-pyramid', title: 'The pyramid on or off', metric: 'mimLoss',
    text: 'The paper’s argument in miniature: the same seed, the same data and the same masks, once with HiViT and a feature ' +
      'pyramid trained during pre-training, once with a plain ViT whose last layer alone feeds the decoder (the MAE baseline). ' +
      'With the pyramid the decoder reads sub-patch detail from the finer levels, so the pixel loss on masked patches ' +
      'usually falls faster; open the reconstruction view to see the levels’ features (each at its own resolution) and ' +
      'the predicted patches. Press Evaluate to compare what both backbones learned.',
    runs: [
      { name: 'iTPN', preset: 'tiny', values: {} },
      { name: 'pyramid off (MAE)', preset: 'tiny', values: { pyramid: false } },
    ],
  },
];

export const itpnDescription: MethodDescription = {
  id: 'itpn',
  title: 'iTPN',
  paper: {
    title: 'Integrally Pre-Trained Transformer Pyramid Networks',
    authors: 'Tian, Ye, Xie, Chen, Wang, Jiao, Tian',
    year: 2023,
    url: 'https://arxiv.org/abs/2211.12735',
    code: 'https://github.com/sunsmarterjie/iTPN',
  },
  summary:
    'Hide three quarters of each image’s patches and ask the network to paint them back (masked image modeling, as MAE). ' +
    'iTPN’s change is where the prediction comes from: a hierarchical backbone whose early stages keep sub-patch detail, ' +
    'and a feature pyramid on top of it that is trained in the same pre-training — every level feeds the pixel decoder, ' +
    'and every level also predicts a moving-averaged backbone’s features at the masked patches (masked feature modeling). ' +
    'So the pyramid a detector or segmenter needs is pre-trained too, not bolted on afterwards.',
  whyNoCollapse:
    'The pixel target cannot collapse: it is the image. A constant prediction pays 1 per masked value (each patch is ' +
    'normalised to zero mean and unit variance). The feature target comes from a moving average of the backbone itself and ' +
    'could drift toward something trivial on its own, but the pixel loss keeps the backbone anchored to the image.',
  lossMath:
    'x̂_p = (x_p − mean(x_p)) / √(var(x_p) + 10⁻⁶)   per patch p (unbiased variance)\n' +
    'L_MIM = Σ_p m_p · mean_k (f(x_visible)_p,k − x̂_p,k)² / Σ_p m_p   (m_p = 1 for masked patches)\n' +
    'L_MFM = mean over levels l of Σ_p m_p · mean (g_l(x_visible)_p − LN(ξ_stage(l)(x)_p))² / Σ_p m_p   (ξ: moving-averaged backbone)\n' +
    'L = L_MIM + λ·L_MFM   (λ = 1)',
  implementationNotes:
    'HiViT-tiny shrunk: 4×4 sub-tokens per patch, one MLP block per early stage, widths d/4, d/2, d; the pyramid is the ' +
    'official top-down design (patch split of the coarser level + a lateral projection of the matching stage, MLP blocks), ' +
    'and the pixel decoder sums the levels’ embeddings on the full grid as in itpn_pixel. iTPN takes its feature targets ' +
    'from a CLIP teacher; here, with no CLIP model in the browser, each level predicts the matching stage of an EMA copy of the backbone ' +
    'through its own one-block head (the encoder never sees masked patches, so a head must fill them in). The encoder’s ' +
    'input is the normalised image; the pixel targets are the [0, 1] pixels normalised per patch.',
  groups: [
    { id: 'method', label: 'Method' },
    { id: 'loss', label: 'Loss' },
    { id: 'model', label: 'Model' },
    { id: 'pyramid', label: 'Pyramid and decoder' },
    ...COMMON_GROUPS,
  ],
  settings: ITPN_SETTINGS,
  presets: [
    { id: 'default', label: 'Default (iTPN)', description: 'HiViT with a 3-level feature pyramid on 32 px shapes, 4 px patches, 75% masked, MIM + MFM.', values: {} },
    { id: 'mae', label: 'Pyramid off (MAE)', description: 'The baseline: a plain ViT, its last layer alone feeding the decoder.', values: { pyramid: false } },
    { id: 'mim-only', label: 'MIM only', description: 'Pixels only, no masked feature modeling (iTPN’s pixel model).', values: { mfm: false } },
    { id: 'tiny', label: 'Tiny', description: 'A small HiViT and pyramid on 16 px images: fast enough for tests and slow GPUs.', values: tinyValues },
    { id: 'learn', label: 'Learn', description: 'HiViT and its pyramid on 16 px shapes, 600 steps: a CPU-sized run the study measures (see “Does it learn?”).', values: learnValues },
    // The plain ViT's step is 2.5× cheaper than HiViT's, so its 3 minutes hold 1,400 steps, and
    // 6 of the 16 patches stay visible rather than 4 (the study, seeds 1–3: linear +0.037 at 600
    // steps → +0.095 at 1,400 → +0.122 with mask ratio 0.6; fine-tune 10 % on par with random
    // init throughout, within ±0.008).
    { id: 'learn-mae', label: 'Learn, pyramid off (MAE)', description: 'The learn preset as the plain-ViT MAE baseline: 1,400 steps (its step is cheaper), 60 % of the patches masked.',
      values: { ...learnValues, pyramid: false, totalSteps: 1400, maskRatio: 0.6 } },
    { id: 'tiny-mae', label: 'Tiny, pyramid off', description: 'The tiny preset’s plain-ViT MAE baseline.', values: { ...tinyValues, pyramid: false } },
  ],
  liveSettings: [...commonLiveSettings, 'maskRatio'],
  validate(values) {
    const v = readValues(ITPN_SETTINGS, values);
    const size = Number(v.imageSize);
    const patch = v.patchSize;
    const problems = hivitProblems({
      imageSize: size, patchSize: patch, width: v.width, heads: v.heads, hierarchical: v.pyramid,
    });
    const decoder = v.decoderWidth;
    if (decoder % 16 !== 0) problems.push(`Decoder width ${decoder} must be divisible by 16.`);
    if (decoder % v.decoderHeads !== 0) problems.push(`Decoder width ${decoder} must be divisible by the decoder heads ${v.decoderHeads}.`);
    if (size % patch === 0) {
      const patches = (size / patch) ** 2;
      const visible = Math.floor(patches * (1 - v.maskRatio));
      if (visible < 1 || visible >= patches) {
        problems.push(`Mask ratio ${v.maskRatio} keeps ${visible} of ${patches} patches: it must keep at least one and mask at least one.`);
      }
    }
    if (!v.mim && !v.mfm) problems.push('Switch on masked image modeling, masked feature modeling or both: with neither nothing is learned.');
    return problems;
  },
  stepMemory(values) {
    const v = readValues(ITPN_SETTINGS, values);
    const patches = (Number(v.imageSize) / v.patchSize) ** 2;
    // HiViT's MLP stages on 4×4 and 2×2 sub-patch tokens, the attention stage, the pixel decoder.
    const stages = v.pyramid ? v.mlpDepth * patches * (16 * (v.width / 4) + 4 * (v.width / 2)) * 4 : 0;
    const decoder = v.decoderDepth * patches * (v.decoderWidth * 3 + v.decoderHeads * patches);
    return stepMemory(values, stages + vitUnits(values, [patches]) + decoder, FACTORS.itpn);
  },
  largestTensorBytes(values) {
    const v = readValues(ITPN_SETTINGS, values);
    const size = Number(v.imageSize);
    const batch = v.batchSize;
    const patches = (size / v.patchSize) ** 2;
    const candidates = [
      { bytes: v.datasetSize * size * size * 3 * 4, what: 'the training images' },
      // The teacher's stage 1 on every patch: B·N·16 sub-tokens × d/4 × the MLP's ratio 3.
      { bytes: batch * patches * 16 * (v.width / 4) * 3 * 4, what: 'the stage-1 MLP activations' },
      { bytes: batch * v.decoderHeads * patches * patches * 4, what: 'the decoder’s attention scores' },
    ];
    return candidates.reduce((a, b) => (b.bytes > a.bytes ? b : a));
  },
  charts(values) {
    const v = readValues(ITPN_SETTINGS, values);
    const names = itpnLevelNames(v.pyramid);
    const perLevel: ChartLine[] = names.map((name, i) => ({ name: `mfm${i}`, label: name, color: LEVEL_COLORS[i] }));
    return [
      {
        id: 'loss', title: 'Loss', section: 'training', yLabel: 'MSE (normalised pixels)',
        help: 'MIM: normalised-pixel MSE on the masked patches (1 = predicting each patch’s mean). MFM: the mean over levels of the ' +
          'feature-prediction MSE at masked patches. Both are drawn whether or not they are switched on.',
        lines: [
          { name: 'mimLoss', label: 'MIM (pixels)', color: PALETTE.blue },
          { name: 'mfmLoss', label: 'MFM (features)', color: PALETTE.orange },
        ],
        references: [{ value: 1, label: 'predict the patch mean (1)' }],
      },
      ...(v.mfm ? [{
        id: 'mfm-levels', title: 'Masked feature modeling per level', section: 'training' as const, yLabel: 'feature MSE',
        help: 'Each level’s MSE against the moving-averaged backbone’s normalised features of its stage, at masked patches (1 = predicting their mean).',
        lines: perLevel,
        references: [{ value: 1, label: 'predict the mean (1)' }],
      }] : []),
      ...commonCollapseCharts(v.batchSize, v.width),
      {
        id: 'schedules', title: 'Learning rate', section: 'collapse', summary: false, yLabel: 'learning rate',
        help: 'Learning rate as the run applies it: linear warm-up, then cosine.',
        lines: [{ name: 'learningRate', label: 'lr', color: PALETTE.purple }],
      },
      ...(v.mfm ? [{
        id: 'teacher-momentum', title: 'Teacher momentum', section: 'collapse' as const, summary: false, yLabel: 'EMA momentum',
        help: 'Momentum of the moving-averaged backbone whose features MFM predicts: from its start to 1 on a cosine (1 = frozen).',
        lines: [{ name: 'teacherMomentum', label: 'momentum', color: PALETTE.slate }],
      }] : []),
    ];
  },
  collapseModes: [],
  lessons: itpnLessons,
  probeKinds: () => ['reconstruction', 'embedding'],
  load: () => import('./method').then((module) => module.implementation),
};
