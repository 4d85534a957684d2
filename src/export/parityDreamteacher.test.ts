/**
 * Issue 24, "proven equal", for DreamTeacher: two optimiser steps of the browser engine and of the
 * exported train.py from the same weights on the same noise must find the same losses, weights
 * and update direction (parityHarness.testing.ts says which numbers and how close), in each of the
 * method's two stages and across the change from one to the other. The harness steps at 1 and 2
 * of a 100-step run; the teacher stage's length (an override) puts them where a case needs them:
 * the tiny preset's 60 steps keep both in the teacher stage, 0 puts both in the distillation, 2
 * puts step 1 in the teacher stage and step 2 in the distillation.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { findMethod } from '../methods/registry';
import { runFileFromTrainLog } from '../state/trainLog';
import { presetValues } from '../state/url';
import { browserWeightShapes, checkParity, trainOnShapes, type ParityCase } from './parityHarness.testing';
import { readTrainSources } from './sourceFiles';
import { requireTorchInCi, torchPython } from './torchPython';

beforeAll(async () => {
  await tf.setBackend('cpu');
  requireTorchInCi();
});

const SOURCES = readTrainSources();

describe.skipIf(!torchPython())('the exported DreamTeacher train.py computes what the browser computes (one batch, two steps)', () => {
  const cases: (ParityCase & { name: string })[] = [
    // The tiny preset (16 px, 3 levels): both steps train the teacher U-Net to denoise.
    { name: 'teacher stage', methodId: 'dreamteacher', preset: 'tiny', overrides: {}, trainedPrefix: 'teacher.' },
    // No teacher stage: both steps distil the (initial) teacher's features, MSE + 10·AT.
    { name: 'distillation, MSE + AT', methodId: 'dreamteacher', preset: 'tiny', overrides: { teacherSteps: 0 }, trainedPrefix: 'student.' },
    // Attention transfer alone, on the simple corruption's encoding.
    { name: 'distillation, AT only, simple noise', methodId: 'dreamteacher', preset: 'tiny', overrides: { teacherSteps: 0, mseLoss: false, corruption: 'simple' }, trainedPrefix: 'student.' },
    // Feature regression alone, two levels.
    { name: 'distillation, MSE only, 2 levels', methodId: 'dreamteacher', preset: 'tiny', overrides: { teacherSteps: 0, attentionLoss: false, levels: 2 }, trainedPrefix: 'student.' },
    // Step 1 is the teacher stage's last (lr at its peak), step 2 the distillation's first (lr 0):
    // its loss is the student's against the features of the teacher step 1 moved.
    { name: 'teacher → distillation', methodId: 'dreamteacher', preset: 'tiny', overrides: { teacherSteps: 2 }, trainedPrefix: 'teacher.' },
  ];
  for (const c of cases) {
    it(`${c.name}: loss, updated weights and update direction match`, async () => {
      console.log(`${c.name}: ${await checkParity(c, SOURCES)}`);
    }, 120_000);
  }

  it('trains on its run’s shapes through both stages and logs the app’s metric names', async () => {
    // Ten teacher steps (the shortest stage the app accepts), then distillation.
    const values = { ...presetValues(findMethod('dreamteacher')!, 'tiny'), teacherSteps: 10 };
    const { dir, stdout, steps } = trainOnShapes('dreamteacher', values, SOURCES, 12);
    expect(steps.map((line) => line.step)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    for (const line of steps.slice(0, 10)) expect(Object.keys(line).sort()).toEqual(['learningRate', 'loss', 'step', 'stepsPerSecond', 'teacherLoss']);
    for (const line of steps.slice(10)) expect(Object.keys(line)).toEqual(expect.arrayContaining(['loss', 'distillLoss', 'learningRate', 'mse0', 'mse1', 'mse2', 'at0', 'at1', 'at2']));
    for (const line of steps) expect(Object.values(line).every(Number.isFinite)).toBe(true);

    // The log and the checkpoint import as a run, with the browser's weight names and shapes.
    const [imported] = runFileFromTrainLog(stdout, readFileSync(join(dir, 'out', 'last.safetensors')), 'log.jsonl').runs;
    expect(imported).toMatchObject({ methodId: 'dreamteacher', step: 12 });
    expect(Object.fromEntries(Object.entries(imported.weights!).map(([name, w]) => [name, w.shape]))).toEqual(await browserWeightShapes('dreamteacher', values));
  }, 300_000);
});
