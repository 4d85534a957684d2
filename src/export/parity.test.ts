/**
 * Issue 24, "proven equal", for DINO, DeP and the lineage (SimCLR, MoCo v3, BYOL, SimSiam): two
 * optimiser steps of the browser engine and of the exported train.py from the same weights on
 * the same views must find the same losses, weights and update direction (parityHarness.testing.ts says
 * which numbers and how close).
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, it } from 'vitest';
import type { Variant } from '../methods/lineage/settings';
import { checkParity, type ParityCase } from './parityHarness.testing';
import { readTrainSources } from './sourceFiles';
import { requireTorchInCi, torchPython } from './torchPython';

beforeAll(async () => {
  await tf.setBackend('cpu');
  requireTorchInCi();
});

const SOURCES = readTrainSources();

/**
 * Parameters whose gradient is zero in exact arithmetic, so both frameworks return rounding
 * noise that Adam turns into ±lr: a linear layer's bias that feeds BatchNorm (the mean is
 * subtracted), the ViT's final LayerNorm shift (the same vector added to every image's feature,
 * which the projector's first BatchNorm subtracts again), and the key third of an attention
 * block's q|k|v bias (adding one vector to every key shifts a query's scores by a constant,
 * which the softmax ignores).
 */
function zeroGradient(name: string, index: number, size: number): boolean {
  if (name.endsWith('.linear.bias') || name === 'online.backbone.norm.beta') return true;
  return name.endsWith('.qkv.bias') && index >= size / 3 && index < (2 * size) / 3;
}

describe.skipIf(!torchPython())('the exported train.py computes what the browser computes (one batch, two steps)', () => {
  const lineage = (['simclr', 'moco', 'byol', 'simsiam'] as Variant[]).flatMap((methodId): (ParityCase & { backbone: string })[] => [
    // The learn preset (CNN, its augmentations and lr), made small enough to run in seconds…
    // (SimSiam's learn preset keeps its predictor at the peak lr.)
    { methodId, backbone: 'cnn', preset: 'learn', overrides: { batchSize: 16, width: 16, depth: 2, projectorHidden: 32, projectorOut: 16, predictorHidden: 16 }, trainedPrefix: 'online.', zeroGradient,
      ...(methodId === 'simsiam' ? { atPeak: 'online.predictor.' } : {}) },
    // …and the tiny preset (the ViT of the default presets, 16 px, patches of 4).
    { methodId, backbone: 'vit', preset: 'tiny', overrides: {}, trainedPrefix: 'online.', zeroGradient },
  ]);
  const cases = [
    ...lineage,
    // MoCo v2: a queue of 64 keys (the browser's random start handed over in the weights) gives
    // the negatives, and each step's 32 keys overwrite the oldest.
    { ...lineage[2], backbone: 'cnn (queue)', overrides: { ...lineage[2].overrides, queueSize: 64 } },
    // DINO's tiny preset with two local crops: the last layer frozen at step 1 and free at step 2,
    // gradients clipped, the teacher's EMA and the center moving.
    { methodId: 'dino', backbone: 'vit', preset: 'tiny', overrides: { multiCrop: true, localCrops: 2, freezeLastLayerSteps: 2 }, trainedPrefix: 'student.', zeroGradient },
    // DeP's tiny U-Net, σ drawn per image (its learn preset's way), the variance-preserving corruption.
    { methodId: 'dep', backbone: 'unet', preset: 'tiny', overrides: { sigmaMode: 'sampled' }, trainedPrefix: 'unet.' },
    // DDeP's supervised stage (steps 1 and 2 of 10: the encoder and the classifier learn the
    // batch's random labels), then its denoising stage (steps 11 and 12, the encoder frozen).
    { methodId: 'dep', backbone: 'unet (DDeP, supervised)', preset: 'tiny-ddep', overrides: { supervisedSteps: 10 }, trainedPrefix: '', labelled: 4 },
    { methodId: 'dep', backbone: 'unet (DDeP, denoising)', preset: 'tiny-ddep', overrides: { supervisedSteps: 10 }, trainedPrefix: '', labelled: 4, steps: [11, 12] },
  ];
  for (const c of cases) {
    it(`${c.methodId} (${c.backbone}): loss, updated weights and update direction match`, async () => {
      console.log(await checkParity(c, SOURCES));
    }, 120_000);
  }
});
