/**
 * SimCLR, MoCo v3, BYOL and SimSiam: four descriptions over one implementation (method.ts),
 * each with its own text, defaults, switches, presets and lessons.
 */
import { commonLiveSettings } from '../common';
import { FACTORS } from '../memory';
import type { SettingValues } from '../schema';
import type { MethodDescription } from '../types';
import {
  lesson, LINEAGE_GROUPS, lineageCharts, lineageLargestTensor, lineagePresets, lineageStepMemory, lineageSettings, lineageValidate, type Variant,
} from './settings';

type Texts = Omit<MethodDescription, 'groups' | 'settings' | 'liveSettings' | 'validate' | 'largestTensorBytes' | 'stepMemory' | 'charts' | 'collapseModes' | 'probeKinds' | 'load' | 'id'>;

function describe(variant: Variant, text: Texts): MethodDescription {
  return {
    id: variant,
    ...text,
    groups: LINEAGE_GROUPS,
    settings: lineageSettings(variant),
    liveSettings: [...commonLiveSettings, 'attentionMass'],
    validate: (values: SettingValues) => lineageValidate(values, variant),
    largestTensorBytes: lineageLargestTensor,
    stepMemory: (values: SettingValues) => lineageStepMemory(values, FACTORS[variant]),
    charts: (values: SettingValues) => lineageCharts(values, variant),
    collapseModes: [],
    probeKinds: (values: SettingValues) => (values.backbone === 'cnn'
      ? ['embedding', 'crops', 'similarity'] : ['attention', 'embedding', 'crops', 'similarity']),
    load: () => import('./method').then((module) => module.implementations[variant]),
  };
}

const common = 'Scaled down: a ViT-tiny backbone on small images, AdamW instead of LARS/SGD, BatchNorm with batch statistics in the heads, and epochs as steps.';

export const simclrDescription = describe('simclr', {
  title: 'SimCLR',
  paper: {
    title: 'A Simple Framework for Contrastive Learning of Visual Representations',
    authors: 'Chen, Kornblith, Norouzi, Hinton', year: 2020, url: 'https://arxiv.org/abs/2002.05709',
    code: 'https://github.com/google-research/simclr',
  },
  summary: 'Two augmented views of each image go through one encoder and a projector; each view must pick out its partner among all the other views in the batch. The other images are the negatives: pulling positives together while pushing negatives apart makes the embedding spread out.',
  whyNoCollapse: 'The negatives: mapping every image to one point would make the positive as similar as every negative, and the softmax over 2B − 1 candidates would sit at its worst value, ln(2B − 1). Nothing else is needed: no momentum encoder, no predictor, no stop-gradient.',
  lossMath: 'z = g(f(x)) / ‖g(f(x))‖\nℓ(i, j) = −log exp(zᵢ·zⱼ/τ) / Σ_{k ≠ i} exp(zᵢ·z_k/τ)   (k over the other 2B − 1 views)\nL = mean over view-1 anchors + mean over view-2 anchors',
  implementationNotes: `Follows google-research/simclr add_contrastive_loss: both directions' batch means are added, the anchor's own view is masked with a large negative. Projector Linear–BN–ReLU–Linear–BN. ${common}`,
  presets: lineagePresets('simclr', [
    { id: 'hot', label: 'High temperature', description: 'τ = 1: negatives all count alike, the embedding spreads less.', values: { temperature: 1 } },
  ]),
  lessons: [
    lesson('simclr-temperature', 'Temperature', 'negativeSimilarity',
      'Watch the negative similarity and the embedding std: at τ = 1 every negative weighs about the same, so the loss barely pushes the hard ones away and the embedding spreads less. At low τ the softmax concentrates on the most similar negatives (SimCLR Table 5; Wang & Isola 2020 on alignment and uniformity).',
      'τ = 1', { temperature: 1 }),
  ],
});

export const mocoDescription = describe('moco', {
  title: 'MoCo v3',
  paper: {
    title: 'An Empirical Study of Training Self-Supervised Vision Transformers',
    authors: 'Chen, Xie, He', year: 2021, url: 'https://arxiv.org/abs/2104.02057',
    code: 'https://github.com/facebookresearch/moco-v3',
  },
  summary: 'A query encoder (with a predictor) matches each view against keys from a momentum encoder, a slowly moving average of itself; the other images’ keys are the negatives. MoCo v2 kept a queue of past keys as negatives; v3 uses the batch. The queue is an option here.',
  whyNoCollapse: 'The negatives, as in SimCLR; the momentum encoder keeps the keys consistent from step to step, which is what made a queue of old keys usable as negatives in the first place.',
  lossMath: 'q = h(g(f(x₁))),  k = g_m(f_m(x₂)),  both L2-normalised\nctr(q, k) = CE(q·kᵀ / τ, diag) · 2τ   (v2 queue: CE([q·k₊, q·queueᵀ] / τ, 0))\nL = ctr(q₁, k₂) + ctr(q₂, k₁);   θ_m ← m·θ_m + (1 − m)·θ',
  implementationNotes: `Follows facebookresearch/moco-v3 builder.py: symmetric loss scaled by 2τ, momentum from the setting to 1 on a cosine schedule, predictor on the query side only. The queue option follows MoCo v2 (facebookresearch/moco): a ring buffer of normalised keys overwritten oldest-first. ${common}`,
  presets: lineagePresets('moco', [
    { id: 'no-momentum', label: 'No momentum encoder', description: 'Keys from the query encoder itself (stop-gradient).', values: { momentumEncoder: false } },
    { id: 'queue', label: 'With a queue (v2)', description: 'Negatives from a queue of 256 past keys instead of the batch.', values: { queueSize: 256 } },
    // Learn: a faster momentum encoder for 800 steps (the study, seed 1: kNN 0.316 at 0.99, 0.396 at 0.9, 0.433 at 0.8).
  ], {}, '', { momentum: 0.8 }),
  lessons: [
    lesson('moco-queue', 'Batch negatives vs a queue', 'negativeSimilarity',
      'Compare negatives from the batch (MoCo v3) with a queue of past keys (MoCo v2): the queue gives many more negatives per step than a small batch can, at the price of keys computed by older encoders. That is why MoCo needs its momentum encoder: it keeps the old keys consistent with the new ones (MoCo §3.2).',
      'queue of 256', { queueSize: 256 }),
    lesson('moco-no-momentum', 'Remove the momentum encoder', 'loss',
      'Watch the loss and the positive similarity: with keys from the query encoder itself the targets move with every step. MoCo v3 still trains without it but loses some accuracy (its ablation of the momentum coefficient: a few points at m = 0), because in-batch negatives do not need old keys to stay consistent — unlike a queue.',
      'no momentum encoder', { momentumEncoder: false }),
  ],
});

export const byolDescription = describe('byol', {
  title: 'BYOL',
  paper: {
    title: 'Bootstrap Your Own Latent: A New Approach to Self-Supervised Learning',
    authors: 'Grill, Strub, Altché, Tallec, Richemond et al.', year: 2020, url: 'https://arxiv.org/abs/2006.07733',
    code: 'https://github.com/deepmind/deepmind-research/tree/master/byol',
  },
  summary: 'No negatives at all: an online network with a projector and a predictor learns to predict the projection of the other view computed by a target network, an exponential moving average of the online one.',
  whyNoCollapse: 'Not by the loss, which a constant output would minimise. The predictor and the slowly moving target together make the collapsed solution unstable in practice: remove the predictor, or make the target the online network itself, and it collapses (BYOL Table 5).',
  lossMath: 'p = q(g(f(x₁))),  z′ = g_ξ(f_ξ(x₂)),  both L2-normalised\nL = (2 − 2·p·z′) + the same with the views swapped\nξ ← τ·ξ + (1 − τ)·θ,   τ = 1 − (1 − τ_base)·(cos(πk/K) + 1)/2',
  implementationNotes: `Follows deepmind-research/byol: regression_loss summed over both directions, target momentum on the cosine schedule, predictor Linear–BN–ReLU–Linear. ${common}`,
  presets: lineagePresets('byol', [
    { id: 'no-predictor', label: 'No predictor', description: 'Online projection regressed directly on the target: collapses.', values: { predictor: false } },
    { id: 'no-momentum', label: 'No momentum target', description: 'Target = online network (stop-gradient only).', values: { momentumEncoder: false } },
    // Learn: lr 0.03, a faster target (the study, seed 1, 800 steps: kNN 0.198 at momentum 0.99,
    // 0.256 at 0.9, 0.224 at 0.8; at 1,400 steps 0.234 / 0.312 / 0.275), and 1,400 steps, which
    // the faster wasm convolutions fit in the 3 minutes a seed may take (kNN 0.256 → 0.312).
  ], {}, '', { learningRate: 0.03, momentum: 0.9, totalSteps: 1400 }),
  lessons: [
    lesson('byol-no-predictor', 'Remove the predictor', 'embeddingStd',
      'Watch the embedding std and the negative similarity: without the predictor the online projection is regressed straight onto the target’s, a constant output satisfies the loss, and nothing pushes back — the std falls and every pair of images looks alike. The predictor is what lets BYOL learn without negatives (BYOL Table 5).',
      'no predictor', { predictor: false }),
  ],
});

export const simsiamDescription = describe('simsiam', {
  title: 'SimSiam',
  paper: {
    title: 'Exploring Simple Siamese Representation Learning',
    authors: 'Chen, He', year: 2021, url: 'https://arxiv.org/abs/2011.10566',
    code: 'https://github.com/facebookresearch/simsiam',
  },
  summary: 'BYOL without the momentum encoder: one network, two views, a predictor on one side and a stop-gradient on the other. It shows that the stop-gradient, not the moving average, is what prevents collapse.',
  whyNoCollapse: 'The stop-gradient: the target projection is treated as a constant, so the network cannot move both sides toward each other at once. Remove it and the output collapses to a constant within a few steps (SimSiam Fig. 2); the predictor is needed too.',
  lossMath: 'z = g(f(x)),  p = h(z)\nD(p, z) = −(p/‖p‖)·(z/‖z‖)\nL = ½·D(p₁, stopgrad(z₂)) + ½·D(p₂, stopgrad(z₁))',
  implementationNotes: `Follows facebookresearch/simsiam: projector with BN on every layer (the last without affine), predictor bottleneck Linear–BN–ReLU–Linear, symmetric negative cosine. ${common}`,
  presets: lineagePresets('simsiam', [
    { id: 'no-stop-gradient', label: 'No stop-gradient', description: 'The gradient flows through both branches: the projections of different images slide together (the paper: to one point).', values: { stopGradient: false } },
    { id: 'no-predictor', label: 'No predictor', description: 'Projection compared to projection: different images grow alike (the paper: collapse).', values: { predictor: false } },
  ],
  // At this size the slide toward collapse without stop-gradient needs a higher lr and a
  // longer run to show (docs/NOTES.md); the healthy run is unaffected by both.
  { learningRate: 0.1, totalSteps: 200 }, ' A higher lr and 200 steps, so the failures show.',
  // Learn: 1,400 steps, which fit the 3 minutes a seed may take (the study, seed 1: kNN 0.266 →
  // 0.294, linear 0.285 → 0.279 against 800; lr 0.05 and weight decay 0.3 did worse), and the
  // predictor at a constant lr as the official recipe's --fix-pred-lr (seed 1: kNN 0.294 →
  // 0.324, linear 0.279 → 0.358).
  { totalSteps: 1400, fixPredictorLr: true }),
  lessons: [
    lesson('simsiam-no-stop-gradient', 'Remove the stop-gradient', 'projectionStd',
      'Watch the projection std and the negative similarity: without the stop-gradient both branches are pulled toward each other, and the easiest way to agree is to give every image the same output, so different images’ projections grow alike and their spread shrinks. In the paper (Fig. 2) the std reaches 0; at this size the slide is slower, but it is there within 200 steps while the healthy run keeps its spread.',
      'no stop-gradient', { stopGradient: false }),
    lesson('simsiam-no-predictor', 'Remove the predictor', 'negativeSimilarity',
      'Watch the negative similarity. Without the predictor the loss compares the two projections directly, and with a symmetric loss the stop-gradient only halves the gradient that pulls both views together — the run collapses (SimSiam Table 1).',
      'no predictor', { predictor: false }),
  ],
});
