/**
 * Issue 24, "proven equal", for LOCA: two optimiser steps of the browser engine and of the
 * exported train.py from the same weights on the same views must find the same losses, weights
 * and update direction (parityHarness.testing.ts says which numbers and how close). train.py rebuilds
 * the position targets from the browser's crop boxes and checks them against the browser's;
 * without colour augmentation it also cuts the crops itself and compares them. A second case
 * trains the assembled train.py for 3 steps on the run's shapes and reads its log.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { findMethod } from '../methods/registry';
import { presetValues } from '../state/url';
import { checkParity, trainOnShapes, type ParityCase } from './parityHarness.testing';
import { readTrainSources } from './sourceFiles';
import { requireTorchInCi, torchPython } from './torchPython';

beforeAll(async () => {
  await tf.setBackend('cpu');
  requireTorchInCi();
});

const SOURCES = readTrainSources();

/**
 * Parameters whose gradient is zero in exact arithmetic (both frameworks return rounding noise
 * that Adam turns into ±lr): the key bias of every attention, the encoder's (the middle third
 * of q|k|v) and the cross-attention's — adding one vector to every key shifts a query's scores
 * by a constant, which the softmax ignores.
 */
function zeroGradient(name: string, index: number, size: number): boolean {
  if (name === 'student.crossAttention.key.bias') return true;
  return name.endsWith('.qkv.bias') && index >= size / 3 && index < (2 * size) / 3;
}

const loca = (label: string, overrides: ParityCase['overrides']): ParityCase & { label: string } =>
  ({ label, methodId: 'loca', preset: 'tiny', overrides, trainedPrefix: 'student.', zeroGradient });

describe.skipIf(!torchPython())('the exported LOCA train.py computes what the browser computes (one batch, two steps)', () => {
  const cases = [
    // The tiny preset: cluster loss with Sinkhorn and the mean-entropy term, the EMA teacher,
    // η = 0.8 (a visible run of 3 of 16 reference patches), half the large query kept, 4 focal
    // queries of 8 px (their position embeddings resized from 4×4 to 2×2), no colour changes.
    loca('tiny: cluster loss, masked reference, focal queries', {}),
    // Position only: no teacher, the reference through the student with its masked tokens dropped.
    loca('position only', { clusterLoss: false, maskRatio: 0.5, queryKeep: 0.75 }),
    // No masking (no visible/hidden split), no focal queries, no mean-entropy term, plain softmax
    // targets, no gradient clipping.
    loca('η = 0, no focal queries, no mean entropy, no Sinkhorn', {
      maskRatio: 0, focalQueries: 0, meanEntropy: false, sinkhornIterations: 0, gradientClip: 0, queryKeep: 1,
    }),
    // Colour jitter (hue turned anywhere, as the learn preset), grey and solarised views handed
    // over; focal queries as large as the image (no position-embedding resize); other
    // temperatures and prototype count.
    loca('colour augmentation, full-size focal queries', {
      colorJitter: 1, hueJitter: 0.5, grayscaleProbability: 0.3, solarizeProbability: 0.5, focalQueries: 2, focalSize: 16,
      teacherTemperature: 0.1, studentTemperature: 0.2, outputDim: 32, sinkhornIterations: 5, weightDecay: 0.3,
    }),
  ];
  for (const c of cases) {
    it(`loca (${c.label}): loss, updated weights and update direction match`, async () => {
      console.log(await checkParity(c, SOURCES));
    }, 120_000);
  }

  it('trains on its run’s shapes and logs the app’s metric names', () => {
    const { steps } = trainOnShapes('loca', presetValues(findMethod('loca')!, 'tiny'), SOURCES, 3);
    expect(steps.map((line) => line.step)).toEqual([1, 2, 3]);
    const names = ['loss', 'localizationLoss', 'positionAccuracy', 'insideFraction', 'learningRate', 'visibleAccuracy', 'hiddenAccuracy',
      'clusterLoss', 'predictionSpread', 'studentEntropy', 'targetEntropy', 'teacherMomentum'];
    for (const line of steps) {
      expect(Object.keys(line)).toEqual(expect.arrayContaining(names));
      for (const name of ['loss', 'localizationLoss', 'clusterLoss']) expect(Number.isFinite(line[name]), name).toBe(true);
    }
  }, 300_000);
});
