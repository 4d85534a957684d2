import { commonCollapseCharts, type ChartLine, type Lesson } from '../collapse';
import { commonLiveSettings, commonSettings, LEARN_COMMON, vitSettings, COMMON_GROUPS } from '../common';
import type { Setting, SettingValues } from '../schema';
import type { MethodDescription } from '../types';
import { hivitProblems } from '../../measures/hivit';
import { itpnLevelNames } from './config';
import { LEVEL_COLORS, PALETTE } from '../palette';

/**
 * iTPN (Tian et al., CVPR 2023, "Integrally Pre-Trained Transformer Pyramid Networks";
 * sunsmarterjie/iTPN): a hierarchical ViT (HiViT) and its feature pyramid pre-trained together by
 * masked image modeling (the pixel decoder reads every pyramid level) and masked feature modeling
 * (every level predicts a moving-averaged backbone's features of the matching stage). "Pyramid
 * off" is the plain-ViT MAE baseline the paper compares against.
 */
const itpnSettings: readonly Setting[] = [
  { kind: 'boolean', name: 'pyramid', urlKey: 'py', label: 'Feature pyramid', group: 'method',
    help: 'On: HiViT (MLP stages on sub-patch tokens, patch merging, attention stage) with a feature pyramid trained in pre-training, ' +
      'all of whose levels feed the decoders. Off: a plain ViT whose last layer alone feeds them — the MAE baseline.',
    default: true },
  { kind: 'number', name: 'maskRatio', urlKey: 'mk', label: 'Mask ratio', group: 'method',
    help: 'Fraction of each image’s patches hidden from the encoder (0.75 in MAE and iTPN). Move it before training to preview the ' +
      'masks in the reconstruction view; during a run it applies from the next step.',
    default: 0.75, min: 0.1, max: 0.95, step: 0.05, slider: true },
  { kind: 'boolean', name: 'mim', urlKey: 'mim', label: 'Masked image modeling', group: 'loss',
    help: 'Predict the pixels of the masked patches, each patch normalised by its own mean and std (MSE on masked patches only).',
    default: true },
  { kind: 'boolean', name: 'mfm', urlKey: 'mfm', label: 'Masked feature modeling', group: 'loss',
    help: 'Each pyramid level also predicts, at the masked patches, the features of the matching stage of a moving-averaged copy of ' +
      'the backbone that sees the whole image.',
    default: true },
  { kind: 'number', name: 'mfmWeight', urlKey: 'mfw', label: 'MFM weight', group: 'loss',
    help: 'Weight of the masked feature modeling loss (the mean over levels) in the sum.', default: 1, min: 0, max: 100, step: 0.1 },
  { kind: 'number', name: 'teacherMomentum', urlKey: 'tm', label: 'Teacher momentum', group: 'loss',
    help: 'Start of the moving average that makes the MFM targets (it rises to 1 on a cosine).',
    default: 0.996, min: 0.9, max: 1, step: 0.001 },
  ...vitSettings('Attention blocks of the last stage (the plain ViT has these only).').map((setting) => (setting.name === 'patchSize'
    ? { ...setting, help: 'Pixels per side of a patch, the unit of masking; HiViT splits it into 4×4 sub-tokens (4 on 32 px images: 8×8 = 64 patches).' }
    : setting)),
  { kind: 'number', name: 'mlpDepth', urlKey: 'md', label: 'MLP stage depth', group: 'model',
    help: 'HiViT’s MLP-only blocks in each of the two early stages (on 4×4 and 2×2 sub-tokens per patch).',
    default: 1, min: 1, max: 4, step: 1, integer: true },
  { kind: 'number', name: 'fpnWidth', urlKey: 'fw', label: 'Pyramid width', group: 'pyramid',
    help: 'Channels of every pyramid level.', default: 48, min: 8, max: 256, step: 8, integer: true },
  { kind: 'number', name: 'fpnDepth', urlKey: 'fd', label: 'Pyramid depth', group: 'pyramid',
    help: 'MLP blocks after each top-down merge of the pyramid.', default: 1, min: 1, max: 4, step: 1, integer: true },
  { kind: 'number', name: 'decoderWidth', urlKey: 'dw', label: 'Decoder width', group: 'pyramid',
    help: 'Token width of the decoder (must divide by 16: the finest level gives it D/16 per sub-token).',
    default: 64, min: 16, max: 256, step: 16, integer: true },
  { kind: 'number', name: 'decoderDepth', urlKey: 'dd', label: 'Decoder depth', group: 'pyramid',
    help: 'Transformer blocks of the pixel decoder (MAE uses a light decoder).', default: 2, min: 1, max: 8, step: 1, integer: true },
  { kind: 'number', name: 'decoderHeads', urlKey: 'dh', label: 'Decoder heads', group: 'pyramid',
    help: 'Attention heads of the decoder blocks.', default: 4, min: 1, max: 16, step: 1, integer: true },
  { kind: 'number', name: 'learningRate', urlKey: 'lr', label: 'Learning rate', group: 'optimization',
    help: 'Peak AdamW learning rate (linear warm-up, then cosine to 1% of it).', default: 0.0015, min: 0.00001, max: 0.1, step: 0.00001, log: true },
  { kind: 'number', name: 'warmupSteps', urlKey: 'wu', label: 'lr warm-up', group: 'optimization',
    help: 'Steps of linear warm-up.', default: 50, min: 0, max: 100000, step: 10, integer: true, unit: 'steps' },
  { kind: 'number', name: 'weightDecay', urlKey: 'wd', label: 'Weight decay', group: 'optimization',
    help: 'AdamW weight decay on weight matrices (0.05 in MAE and iTPN).', default: 0.05, min: 0, max: 1, step: 0.01 },
];

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
    id: 'itpn-pyramid', title: 'iTPN: the pyramid on or off', metric: 'mimLoss',
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
  settings: [...itpnSettings, ...commonSettings],
  presets: [
    { id: 'default', label: 'Default (iTPN)', description: 'HiViT with a 3-level feature pyramid on 32 px shapes, 4 px patches, 75% masked, MIM + MFM.', values: {} },
    { id: 'mae', label: 'Pyramid off (MAE)', description: 'The baseline: a plain ViT, its last layer alone feeding the decoder.', values: { pyramid: false } },
    { id: 'mim-only', label: 'MIM only', description: 'Pixels only, no masked feature modeling (iTPN’s pixel model).', values: { mfm: false } },
    { id: 'tiny', label: 'Tiny', description: 'A small HiViT and pyramid on 16 px images: fast enough for tests and slow GPUs.', values: tinyValues },
    { id: 'learn', label: 'Learn', description: 'HiViT and its pyramid on 16 px shapes, 600 steps: a CPU-sized run the study measures (see “Does it learn?”).', values: learnValues },
    { id: 'learn-mae', label: 'Learn, pyramid off (MAE)', description: 'The learn preset as the plain-ViT MAE baseline.', values: { ...learnValues, pyramid: false } },
    { id: 'tiny-mae', label: 'Tiny, pyramid off', description: 'The tiny preset’s plain-ViT MAE baseline.', values: { ...tinyValues, pyramid: false } },
  ],
  liveSettings: [...commonLiveSettings, 'maskRatio'],
  validate(values) {
    const size = Number(values.imageSize);
    const patch = Number(values.patchSize);
    const problems = hivitProblems({
      imageSize: size, patchSize: patch, width: Number(values.width), heads: Number(values.heads), hierarchical: Boolean(values.pyramid),
    });
    const decoder = Number(values.decoderWidth);
    if (decoder % 16 !== 0) problems.push(`Decoder width ${decoder} must be divisible by 16.`);
    if (decoder % Number(values.decoderHeads) !== 0) problems.push(`Decoder width ${decoder} must be divisible by the decoder heads ${values.decoderHeads}.`);
    if (size % patch === 0) {
      const patches = (size / patch) ** 2;
      const visible = Math.floor(patches * (1 - Number(values.maskRatio)));
      if (visible < 1 || visible >= patches) {
        problems.push(`Mask ratio ${values.maskRatio} keeps ${visible} of ${patches} patches: it must keep at least one and mask at least one.`);
      }
    }
    if (!values.mim && !values.mfm) problems.push('Switch on masked image modeling, masked feature modeling or both: with neither nothing is learned.');
    return problems;
  },
  largestTensorBytes(values) {
    const size = Number(values.imageSize);
    const batch = Number(values.batchSize);
    const patches = (size / Number(values.patchSize)) ** 2;
    const candidates = [
      { bytes: Number(values.datasetSize) * size * size * 3 * 4, what: 'the training images' },
      // The teacher's stage 1 on every patch: B·N·16 sub-tokens × d/4 × the MLP's ratio 3.
      { bytes: batch * patches * 16 * (Number(values.width) / 4) * 3 * 4, what: 'the stage-1 MLP activations' },
      { bytes: batch * Number(values.decoderHeads) * patches * patches * 4, what: 'the decoder’s attention scores' },
    ];
    return candidates.reduce((a, b) => (b.bytes > a.bytes ? b : a));
  },
  charts(values) {
    const names = itpnLevelNames(Boolean(values.pyramid));
    const perLevel: ChartLine[] = names.map((name, i) => ({ name: `mfm${i}`, label: name, color: LEVEL_COLORS[i] }));
    return [
      {
        id: 'loss', title: 'Loss', section: 'training',
        help: 'MIM: normalised-pixel MSE on the masked patches (1 = predicting each patch’s mean). MFM: the mean over levels of the ' +
          'feature-prediction MSE at masked patches. Both are drawn whether or not they are switched on.',
        lines: [
          { name: 'mimLoss', label: 'MIM (pixels)', color: PALETTE.blue },
          { name: 'mfmLoss', label: 'MFM (features)', color: PALETTE.orange },
        ],
        references: [{ value: 1, label: 'predict the patch mean (1)' }],
      },
      ...(values.mfm ? [{
        id: 'mfm-levels', title: 'Masked feature modeling per level', section: 'training' as const,
        help: 'Each level’s MSE against the moving-averaged backbone’s normalised features of its stage, at masked patches (1 = predicting their mean).',
        lines: perLevel,
        references: [{ value: 1, label: 'predict the mean (1)' }],
      }] : []),
      ...commonCollapseCharts(Number(values.batchSize), Number(values.width)),
      {
        id: 'schedules', title: 'Learning rate', section: 'collapse', summary: false,
        help: 'Learning rate as the run applies it: linear warm-up, then cosine.',
        lines: [{ name: 'learningRate', label: 'lr', color: PALETTE.purple }],
      },
      ...(values.mfm ? [{
        id: 'teacher-momentum', title: 'Teacher momentum', section: 'collapse' as const, summary: false,
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
