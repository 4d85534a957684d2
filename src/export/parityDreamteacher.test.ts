/**
 * Issue 24, "proven equal", for DreamTeacher: two optimiser steps of the browser engine and of the
 * exported train.py from the same weights on the same noise must find the same losses, weights
 * and update direction (parityHarness.ts says which numbers and how close), in each of the
 * method's two stages and across the change from one to the other. The harness steps at 1 and 2
 * of a 100-step run; the teacher stage's length (an override) puts them where a case needs them:
 * the tiny preset's 60 steps keep both in the teacher stage, 0 puts both in the distillation, 2
 * puts step 1 in the teacher stage and step 2 in the distillation.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { implementation } from '../methods/dreamteacher/method';
import { findMethod } from '../methods/registry';
import { runFileFromTrainLog } from '../state/trainLog';
import { presetValues } from '../state/url';
import { checkParity, type ParityCase } from './parityHarness';
import { buildProject } from './project';
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
    const dir = mkdtempSync(join(tmpdir(), 'export-dreamteacher-'));
    // Ten teacher steps (the shortest stage the app accepts), then distillation.
    const values = { ...presetValues(findMethod('dreamteacher')!, 'tiny'), teacherSteps: 10 };
    const files = buildProject({ methodId: 'dreamteacher', values, link: '#m=dreamteacher&p=tiny', step: 0, weights: null }, SOURCES);
    for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
    const run = spawnSync(torchPython()!, [join(dir, 'train.py'), '--data', 'shapes', '--steps', '12', '--batch-size', '8', '--workers', '0', '--log-every', '1', '--out', join(dir, 'out')],
      { encoding: 'utf8', timeout: 120_000 });
    expect(run.status, run.stderr).toBe(0);
    const steps = run.stdout.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, number>)
      .filter((line) => typeof line.step === 'number');
    expect(steps.map((line) => line.step)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    for (const line of steps.slice(0, 10)) expect(Object.keys(line).sort()).toEqual(['learningRate', 'loss', 'step', 'stepsPerSecond', 'teacherLoss']);
    for (const line of steps.slice(10)) expect(Object.keys(line)).toEqual(expect.arrayContaining(['loss', 'distillLoss', 'learningRate', 'mse0', 'mse1', 'mse2', 'at0', 'at1', 'at2']));
    for (const line of steps) expect(Object.values(line).every(Number.isFinite)).toBe(true);

    // The log and the checkpoint import as a run, with the browser's weight names and shapes.
    const [imported] = runFileFromTrainLog(run.stdout, readFileSync(join(dir, 'out', 'last.safetensors')), 'log.jsonl').runs;
    expect(imported).toMatchObject({ methodId: 'dreamteacher', step: 12 });
    const browser = implementation.create({ values, seed: 1 });
    const names = Object.fromEntries(Object.entries(browser.save()).map(([name, t]) => [name, t.shape]));
    browser.dispose();
    expect(Object.fromEntries(Object.entries(imported.weights!).map(([name, w]) => [name, w.shape]))).toEqual(names);
  }, 300_000);
});
