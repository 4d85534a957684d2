/**
 * Issue 24, "runs on one machine and many": the exported project trains under
 * `torchrun --nproc_per_node=2` on the CPU (gloo), for SimCLR and MoCo v3, on a small generated
 * ImageFolder (and DINO with its multi-crop): both ranks run every step, the losses are finite,
 * and afterwards both ranks hold the same weights (each prints a checksum of all its tensors);
 * the log imports as a run. Also one process on the run's own shapes, resumed.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { implementation as dinoImplementation } from '../methods/dino/method';
import { implementations } from '../methods/lineage/method';
import type { SettingValues } from '../methods/schema';
import type { Variant } from '../methods/lineage/settings';
import { runFileFromTrainLog } from '../state/trainLog';
import { findMethod } from '../methods/registry';
import { presetValues } from '../state/url';
import { buildProject } from './project';
import { readTrainSources } from './sourceFiles';
import { requireTorchInCi, torchPython } from './torchPython';
import { scratchDir } from './scratchDir.testing';

const SOURCES = readTrainSources();
let data = '';

beforeAll(() => {
  requireTorchInCi();
  if (!torchPython()) return;
  // Two classes of 12 images each: discs and squares of random colours, 16 px.
  data = scratchDir('imagefolder-');
  const make = spawnSync(torchPython()!, ['-c', `
import os, random
from PIL import Image, ImageDraw
random.seed(1)
for cls in ('disc', 'square'):
    os.makedirs(os.path.join('${data}', cls))
    for i in range(12):
        im = Image.new('RGB', (16, 16), tuple(random.randrange(40) for _ in range(3)))
        d = ImageDraw.Draw(im)
        box = [random.randrange(4), random.randrange(4), 10 + random.randrange(5), 10 + random.randrange(5)]
        colour = tuple(random.randrange(100, 256) for _ in range(3))
        (d.ellipse if cls == 'disc' else d.rectangle)(box, fill=colour)
        im.save(os.path.join('${data}', cls, f'{i}.png'))
`], { encoding: 'utf8' });
  if (make.status !== 0) throw new Error(make.stderr);
});

/**
 * DINO's tiny preset (ViT, two local crops); the lineage's learn preset (CNN), made smaller;
 * MoCo with v2's queue of 32 keys, which each step's 16 (2 views × the global batch of 8, gathered
 * from both processes) overwrite in turn — the checksums then also say both ranks hold one queue.
 */
const smallValues = (methodId: string): SettingValues => methodId === 'dino' || methodId === 'dep'
  ? presetValues(findMethod(methodId)!, 'tiny')
  : { ...presetValues(findMethod(methodId)!, 'learn'), width: 16, depth: 2, projectorHidden: 32, projectorOut: 16, predictorHidden: 16, ...(methodId === 'moco' ? { queueSize: 32, batchSize: 8 } : {}) };

function project(methodId: string): string {
  const dir = scratchDir(`export-${methodId}-`);
  const values = smallValues(methodId);
  const files = buildProject({ methodId, values, link: `#m=${methodId}&p=learn`, step: 0, weights: null }, SOURCES);
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return dir;
}

/** JSON lines of a log; torchrun's tee prefixes each line of a worker with "[default0]:". */
const jsonLines = (text: string) => text.split('\n').map((line) => line.replace(/^\[default\d+\]:/, '')).filter((line) => line.startsWith('{'))
  .map((line) => JSON.parse(line) as Record<string, unknown>);
let port = 29500 + (process.pid % 500);

describe.skipIf(!torchPython())('the exported train.py under torchrun (2 processes, gloo)', () => {
  for (const methodId of ['dino', 'simclr', 'moco']) {
    it(`${methodId}: both ranks train, losses are finite, weights stay identical; the log imports as a run`, async () => {
      const dir = project(methodId);
      const run = spawnSync(torchPython()!, [
        // --redirects 1 --tee 1: torch 1.13's torchrun cannot parse its default "0" under Python 3.11
        // (an IntFlag's zero member is not iterable there); stdout then reaches us through the tee.
        '-m', 'torch.distributed.run', '--nproc_per_node=2', `--master_port=${port++}`, '--redirects', '1', '--tee', '1',
        join(dir, 'train.py'), '--data', data, '--steps', '4', '--batch-size', '8', '--workers', '0', '--log-every', '1',
        '--checkpoint-every', '2', '--out', join(dir, 'out'),
      ], { encoding: 'utf8', timeout: 240_000, env: { ...process.env, OMP_NUM_THREADS: '1' } });
      expect(run.status, run.stderr).toBe(0);
      const log = jsonLines(run.stdout);
      expect(log[0]).toMatchObject({ config: { methodId }, world: 2, globalBatch: 8 });
      const steps = log.filter((line) => typeof line.step === 'number');
      expect(steps.map((line) => line.step)).toEqual([1, 2, 3, 4]);
      for (const line of steps) expect(Number.isFinite(line.loss)).toBe(true);
      const ranks = jsonLines(run.stderr).filter((line) => 'rank' in line);
      expect(ranks.map((line) => line.rank).sort()).toEqual([0, 1]);
      for (const line of ranks) expect(line).toMatchObject({ world: 2, steps: 4 });
      expect(ranks[0].checksum).toEqual(ranks[1].checksum);
      expect(existsSync(join(dir, 'out', 'last.safetensors'))).toBe(true);

      // The log and the checkpoint import into the app as a run: its history, at step 4, with
      // weights named and shaped as the browser's own model of these settings.
      const file = runFileFromTrainLog(run.stdout, readFileSync(join(dir, 'out', 'last.safetensors')), 'log.jsonl');
      const [imported] = file.runs;
      expect(imported).toMatchObject({ methodId, step: 4, name: `PyTorch: ${findMethod(methodId)!.title} ×2` });
      expect(imported.history.steps).toEqual([1, 2, 3, 4]);
      expect(imported.history.series.loss.every(Number.isFinite)).toBe(true);
      await tf.setBackend('cpu');
      const create = methodId === 'dino' ? dinoImplementation.create : implementations[methodId as Variant].create;
      const browser = create({ values: smallValues(methodId), seed: 1 });
      const names = Object.fromEntries(Object.entries(browser.save()).map(([name, t]) => [name, t.shape]));
      browser.dispose();
      expect(Object.fromEntries(Object.entries(imported.weights!).map(([name, w]) => [name, w.shape]))).toEqual(names);
    }, 300_000);
  }

  it('one process trains on the run’s own shapes, checkpoints, and resumes from its checkpoint', () => {
    const dir = project('byol');
    const common = [join(dir, 'train.py'), '--data', 'shapes', '--batch-size', '8', '--workers', '0', '--log-every', '1', '--checkpoint-every', '2', '--out', join(dir, 'out')];
    const first = spawnSync(torchPython()!, [...common, '--steps', '2'], { encoding: 'utf8', timeout: 120_000 });
    expect(first.status, first.stderr).toBe(0);
    const resumed = spawnSync(torchPython()!, [...common, '--steps', '4', '--resume'], { encoding: 'utf8', timeout: 120_000 });
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(jsonLines(resumed.stdout).filter((line) => typeof line.step === 'number').map((line) => line.step)).toEqual([3, 4]);
  }, 300_000);

  it('DeP trains on its run’s shapes and logs the app’s metric names', () => {
    const dir = project('dep');
    const run = spawnSync(torchPython()!, [join(dir, 'train.py'), '--data', 'shapes', '--steps', '3', '--batch-size', '8', '--workers', '0', '--log-every', '1', '--out', join(dir, 'out')],
      { encoding: 'utf8', timeout: 120_000 });
    expect(run.status, run.stderr).toBe(0);
    const steps = jsonLines(run.stdout).filter((line) => typeof line.step === 'number');
    expect(steps.map((line) => line.step)).toEqual([1, 2, 3]);
    for (const line of steps) expect(Object.keys(line)).toEqual(expect.arrayContaining(['loss', 'denoiseLoss', 'learningRate', 'sigma']));
  }, 300_000);

  it('--data fake trains on random images of the configured size; --memory counts the state and the activations', () => {
    const dir = project('dino');
    const ends = [8, 16].map((batch) => {
      const args = ['--data', 'fake', '--steps', '2', '--batch-size', String(batch), '--workers', '0', '--log-every', '1', '--memory', '--out', join(dir, `out${batch}`)];
      const run = spawnSync(torchPython()!, [join(dir, 'train.py'), ...args], { encoding: 'utf8', timeout: 120_000 });
      expect(run.status, run.stderr).toBe(0);
      expect(jsonLines(run.stdout).filter((line) => typeof line.step === 'number').map((line) => line.step)).toEqual([1, 2]);
      const [end] = jsonLines(run.stderr).filter((line) => 'rank' in line);
      expect(end).toMatchObject({ device: 'cpu', steps: 2 });
      expect(end.peakMemoryMiB).toBeGreaterThan(50);
      return end as { stateMiB: number; activationsMiB: number };
    });
    // The state does not depend on the batch; the activations grow with it (twice the images,
    // about twice the bytes: the weights autograd also keeps are not counted).
    expect(ends[1].stateMiB).toBe(ends[0].stateMiB);
    expect(ends[1].activationsMiB / ends[0].activationsMiB).toBeGreaterThan(1.7);
    expect(ends[1].activationsMiB / ends[0].activationsMiB).toBeLessThan(2.3);
  }, 300_000);

  it('DDeP classifies its run’s shapes for its supervised stage, then denoises, resuming across the stages', () => {
    const dir = scratchDir('export-ddep-');
    const values = { ...presetValues(findMethod('dep')!, 'tiny-ddep'), supervisedSteps: 10 };
    const files = buildProject({ methodId: 'dep', values, link: '#m=dep&p=tiny-ddep', step: 0, weights: null }, SOURCES);
    for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
    const common = [join(dir, 'train.py'), '--data', 'shapes', '--batch-size', '8', '--workers', '0', '--log-every', '1', '--checkpoint-every', '10', '--out', join(dir, 'out')];
    const first = spawnSync(torchPython()!, [...common, '--steps', '10'], { encoding: 'utf8', timeout: 120_000 });
    expect(first.status, first.stderr).toBe(0);
    // --steps 12 after 10 supervised steps: two denoising steps, with the decoder's own optimiser.
    const run = spawnSync(torchPython()!, [...common, '--steps', '12', '--resume'], { encoding: 'utf8', timeout: 120_000 });
    expect(run.status, run.stderr).toBe(0);
    const steps = [...jsonLines(first.stdout), ...jsonLines(run.stdout)].filter((line) => typeof line.step === 'number');
    expect(steps.map((line) => line.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    for (const line of steps.slice(0, 10)) expect(Object.keys(line)).toEqual(expect.arrayContaining(['loss', 'supervisedLoss', 'supervisedAccuracy', 'learningRate']));
    for (const line of steps.slice(10)) expect(Object.keys(line)).toEqual(expect.arrayContaining(['loss', 'denoiseLoss', 'learningRate', 'sigma']));
    for (const line of steps) expect(Number.isFinite(line.loss)).toBe(true);
    // Ten classes of shapes: the first supervised loss is near ln 10.
    expect(Number(steps[0].supervisedLoss)).toBeCloseTo(Math.log(10), 0);
  }, 300_000);
});
