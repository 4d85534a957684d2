/**
 * Issue 24, "proven equal", for iTPN and its plain-ViT MAE baseline: two optimiser steps of the
 * browser engine and of the exported train.py from the same weights on the same patch masks must
 * find the same losses, weights and update direction (parityHarness.testing.ts says which numbers and
 * how close). Then the assembled train.py trains on its run's shapes and logs the app's names.
 */
import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { findMethod } from '../methods/registry';
import type { SettingValues } from '../methods/schema';
import { runFileFromTrainLog } from '../state/trainLog';
import { presetValues } from '../state/url';
import { browserWeightShapes, checkParity, trainOnShapes, type ParityCase } from './parityHarness.testing';
import { decodeSafetensors } from './safetensors';
import { readTrainSources } from './sourceFiles';
import { requireTorchInCi, torchPython } from './torchPython';

beforeAll(async () => {
  await tf.setBackend('cpu');
  requireTorchInCi();
});

const SOURCES = readTrainSources();

/**
 * The key third of every attention block's q|k|v bias has a zero gradient in exact arithmetic
 * (one vector added to every key shifts a query's scores by a constant, which the softmax
 * ignores): both frameworks return rounding noise there, which Adam turns into ±lr.
 */
function zeroGradient(name: string, index: number, size: number): boolean {
  return name.endsWith('.qkv.bias') && index >= size / 3 && index < (2 * size) / 3;
}

describe.skipIf(!torchPython())('the exported iTPN train.py computes what the browser computes (one batch, two steps)', () => {
  // The tiny presets (16 px, 4 px patches: 16 patches), batch 8. Each case switches what changes
  // the computation: the pyramid (HiViT + neck vs the plain ViT), MIM and MFM and MFM's weight,
  // the mask ratio, the depths of HiViT's MLP stages, of the pyramid and of the decoder.
  const cases: (ParityCase & { name: string })[] = [
    { name: 'iTPN: HiViT + pyramid, MIM + MFM', methodId: 'itpn', preset: 'tiny', overrides: {}, trainedPrefix: '', zeroGradient },
    { name: 'MAE: plain ViT, MIM + MFM of the last layer', methodId: 'itpn', preset: 'tiny-mae', overrides: {}, trainedPrefix: '', zeroGradient },
    {
      name: 'MAE: pixels only, mask ratio 0.5, 2 decoder blocks', methodId: 'itpn', preset: 'tiny-mae',
      overrides: { mfm: false, maskRatio: 0.5, decoderDepth: 2 }, trainedPrefix: '', zeroGradient,
    },
    {
      name: 'iTPN: MFM only (weight 2), mask ratio 0.6, deeper MLP stages and pyramid', methodId: 'itpn', preset: 'tiny',
      overrides: { mim: false, mfmWeight: 2, maskRatio: 0.6, mlpDepth: 2, fpnDepth: 2, decoderDepth: 2 }, trainedPrefix: '', zeroGradient,
    },
    {
      name: 'iTPN: pixels only, 8 px patches (2 px sub-tokens), mask ratio 0.5', methodId: 'itpn', preset: 'tiny',
      overrides: { mfm: false, patchSize: 8, maskRatio: 0.5 }, trainedPrefix: '', zeroGradient,
    },
  ];
  for (const { name, ...c } of cases) {
    it(`${name}: loss, updated weights and update direction match`, async () => {
      console.log(`${name} — ${await checkParity(c, SOURCES)}`);
    }, 120_000);
  }

  // iTPN with MIM + MFM, and the MAE baseline with pixels only (no moving-averaged backbone).
  const runs: { preset: string; overrides: SettingValues; names: string[] }[] = [
    { preset: 'tiny', overrides: {}, names: ['loss', 'mimLoss', 'mfmLoss', 'mfm0', 'mfm1', 'mfm2', 'learningRate', 'teacherMomentum'] },
    { preset: 'tiny-mae', overrides: { mfm: false }, names: ['loss', 'mimLoss', 'learningRate'] },
  ];
  for (const { preset, overrides, names } of runs) {
    it(`${preset}${overrides.mfm === false ? ' without MFM' : ''}: trains on its run’s shapes, logs the app’s metric names, saves the browser’s weight names and shapes`, async () => {
      const values = { ...presetValues(findMethod('itpn')!, preset), ...overrides };
      const { dir, stdout, steps } = trainOnShapes('itpn', values, SOURCES, 3);
      expect(steps.map((line) => line.step)).toEqual([1, 2, 3]);
      for (const line of steps) {
        expect(Object.keys(line).sort()).toEqual([...names, 'step', 'stepsPerSecond'].sort());
        for (const key of names) expect(Number.isFinite(line[key]), key).toBe(true);
      }
      // The log and the checkpoint import into the app as a run.
      const [imported] = runFileFromTrainLog(stdout, readFileSync(join(dir, 'out', 'last.safetensors')), 'log.jsonl').runs;
      expect(imported).toMatchObject({ methodId: 'itpn', step: 3 });
      // train.py's own initialisers (no weights were exported) build what the browser builds.
      const saved = decodeSafetensors(readFileSync(join(dir, 'out', 'last.safetensors'))).tensors;
      expect(Object.fromEntries(Object.entries(saved).map(([name, t]) => [name, t.shape]))).toEqual(await browserWeightShapes('itpn', values));
    }, 300_000);
  }
});
