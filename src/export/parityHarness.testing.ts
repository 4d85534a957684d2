/**
 * Issue 24, "proven equal": the browser engine (tfjs, cpu backend) and an exported train.py
 * (PyTorch) run the same two optimiser steps from the same weights on the same random draws,
 * and must agree:
 * - the loss of each step to 1e-4 relative (the second step's loss is computed from weights the
 *   first update moved, so it also checks the gradients and the update);
 * - every weight after one optimiser step, online and target, to 1e-3 absolute;
 * - the direction of that update (after − before, over the trained weights): cosine ≥ 0.999.
 *   Adam's first update is ±lr for any gradient well above its ε, so this is what catches a
 *   wrong gradient. Parameters whose gradient is zero in exact arithmetic get rounding noise
 *   that Adam also turns into ±lr (zeroGradient): those are left out of the cosine, and the
 *   steps are early in the warm-up (lr = peak/19, then 2·peak/19) so that their noise stays
 *   inside the 1e-3 bound.
 * The random draws (views, crops, noise, masks) are made by the engine — its method's
 * `sampleViews(images)`, from a second instance on the same seed, so it draws exactly what the
 * trained instance steps on — and handed over; torch's own augmentations are not compared.
 */
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { Rng } from '../engine/random';
import { findMethod } from '../methods/registry';
import type { MethodInstance } from '../methods/types';
import type { SettingValues } from '../methods/schema';
import { presetValues } from '../state/url';
import { buildProject, type TrainSources } from './project';
import { decodeSafetensors, encodeSafetensors, type NamedArrays } from './safetensors';
import { torchPython } from './torchPython';
import { scratchDir } from './scratchDir.testing';

/** Steps 1 and 2 of a 20-step warm-up: lr = peak/19 and 2·peak/19. */
export const PARITY_STEPS = [1, 2];

export interface ParityCase {
  methodId: string;
  preset: string;
  overrides: SettingValues;
  /** The prefix of the weights the optimiser trains (the update's cosine is taken over them). */
  trainedPrefix: string;
  /** Weights the browser saves that train.py does not keep (MoCo v2's queue, say). */
  browserOnly?: readonly string[];
  /** Element `index` of weight `name` (of `size` elements) has a zero gradient in exact arithmetic. */
  zeroGradient?: (name: string, index: number, size: number) => boolean;
  /**
   * The prefix of weights trained at the peak lr from step 0 (SimSiam's constant predictor lr),
   * not early in the warm-up: their zero-gradient elements' ±lr noise exceeds the 1e-3 bound, so
   * they are held to |Δ| ≤ 1.01·peak on both sides instead (Adam's first step is at most lr per
   * element), the peak being the run's lr · batch / 256.
   */
  atPeak?: string;
  /** The two steps compared (default PARITY_STEPS): later ones reach a later stage of a staged method. */
  steps?: readonly number[];
  /** Classes of random labels for the batch's images, as the labelled split (DDeP's supervised stage). */
  labelled?: number;
}

/** A method instance that can show what its next step will draw (see the methods' sampleViews). */
type Sampling = MethodInstance & { sampleViews(images: tf.Tensor4D, step: number): Record<string, unknown> };

async function arrays(map: tf.NamedTensorMap): Promise<NamedArrays> {
  const out: NamedArrays = {};
  for (const [name, tensor] of Object.entries(map)) out[name] = { shape: tensor.shape, data: ((await tensor.data()) as Float32Array).slice() };
  return out;
}

/**
 * Runs one case; returns its summary line. Inputs handed to train.py --parity, in
 * inputs.safetensors: `images` [B, S, S, 3], and per step i every tensor `sampleViews(images,
 * step)` returned, as `views.{i}` (a draw named `views`) or `views.{i}.{name}`.
 */
export async function checkParity(c: ParityCase, sources: TrainSources): Promise<string> {
  const method = findMethod(c.methodId)!;
  const implementation = await method.load();
  const values: SettingValues = { ...presetValues(method, c.preset), ...c.overrides, totalSteps: 100, warmupSteps: 20, seed: 3 };
  const B = Number(values.batchSize);
  const peak = (Number(values.learningRate) * B) / 256;
  const size = Number(values.imageSize);
  const rng = new Rng(7);
  const images = tf.tensor4d(Float32Array.from({ length: B * size * size * 3 }, () => rng.uniform(0, 1)), [B, size, size, 3]);
  const steps = c.steps ?? PARITY_STEPS;
  const labelled = c.labelled ? { images, labels: Int32Array.from({ length: B }, () => rng.int(c.labelled!)), classes: c.labelled } : undefined;
  const views = implementation.create({ values, seed: 3, labelled }) as Sampling;
  const trained = implementation.create({ values, seed: 3, labelled });
  const before = await arrays(views.save());
  const inputs: NamedArrays = { images: { shape: images.shape, data: (await images.data()) as Float32Array } };
  for (let i = 0; i < steps.length; i++) {
    const drawn = views.sampleViews(images, steps[i]);
    for (const [key, value] of Object.entries(drawn)) {
      if (!(value instanceof tf.Tensor)) continue;
      inputs[key === 'views' ? `views.${i}` : `views.${i}.${key}`] = { shape: value.shape, data: Float32Array.from(await value.data()) };
      value.dispose();
    }
  }
  const losses: number[] = [];
  let after: NamedArrays = {};
  for (const step of steps) {
    const out = trained.step({ images, indices: Int32Array.from({ length: B }, (_, i) => i), capture: false, snapshot: true }, step);
    losses.push((await out.loss.data())[0]);
    tf.dispose([out.loss, ...Object.values(out.metrics), out.embeddings ?? []]);
    if (step === steps[0]) after = await arrays(trained.save()); // after one optimiser step
  }
  views.dispose();
  trained.dispose();
  images.dispose();

  const dir = scratchDir(`parity-${c.methodId}-`);
  const files = buildProject({ methodId: c.methodId, values, link: `#m=${c.methodId}&p=${c.preset}`, step: 0, weights: null }, sources);
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  writeFileSync(join(dir, 'before.safetensors'), encodeSafetensors(before));
  writeFileSync(join(dir, 'inputs.safetensors'), encodeSafetensors(inputs));
  writeFileSync(join(dir, 'step.json'), JSON.stringify({ steps }));
  const run = spawnSync(torchPython()!, [join(dir, 'train.py'), '--config', join(dir, 'config.json'), '--parity', dir], { encoding: 'utf8' });
  expect(run.stderr, run.stderr).not.toMatch(/Traceback/);
  expect(run.status).toBe(0);

  const torchLosses = JSON.parse(readFileSync(join(dir, 'losses.torch.json'), 'utf8')) as number[];
  for (let i = 0; i < steps.length; i++) {
    expect(Math.abs(torchLosses[i] - losses[i]) / Math.abs(losses[i]), `loss of step ${steps[i]}: browser ${losses[i]}, torch ${torchLosses[i]} (${dir})`).toBeLessThan(1e-4);
  }
  const torchAfter = decodeSafetensors(readFileSync(join(dir, 'after.0.torch.safetensors'))).tensors;
  expect(Object.keys(torchAfter).sort()).toEqual(Object.keys(after).filter((n) => !c.browserOnly?.includes(n)).sort());
  let dot = 0;
  let normBrowser = 0;
  let normTorch = 0;
  for (const [name, { data }] of Object.entries(torchAfter)) {
    const browser = after[name].data;
    let worst = 0;
    const noisyAtPeak = c.atPeak !== undefined && name.startsWith(c.atPeak);
    for (let i = 0; i < data.length; i++) {
      const zero = c.zeroGradient?.(name, i, data.length) ?? false;
      if (noisyAtPeak && zero) {
        for (const side of [data[i], browser[i]]) expect(Math.abs(side - before[name].data[i]), `${name}[${i}] moved more than the peak lr`).toBeLessThanOrEqual(1.01 * peak);
      } else {
        worst = Math.max(worst, Math.abs(data[i] - browser[i]));
      }
      if (name.startsWith(c.trainedPrefix) && !zero) {
        const dBrowser = browser[i] - before[name].data[i];
        const dTorch = data[i] - before[name].data[i];
        dot += dBrowser * dTorch;
        normBrowser += dBrowser ** 2;
        normTorch += dTorch ** 2;
      }
    }
    expect(worst, `${name} after one step`).toBeLessThan(1e-3);
  }
  expect(normBrowser, 'the trained weights moved').toBeGreaterThan(0);
  const cosine = dot / Math.sqrt(normBrowser * normTorch);
  expect(cosine, 'update direction').toBeGreaterThan(0.999);
  return `${c.methodId}: losses ${losses.map((l) => l.toFixed(6)).join(', ')} (torch ${torchLosses.map((l) => l.toFixed(6)).join(', ')}), update cosine ${cosine.toFixed(6)}`;
}

/** JSON lines of a train.py log; torchrun's tee prefixes each line of a worker with "[default0]:". */
export const jsonLines = (text: string): Record<string, unknown>[] => text.split('\n').map((line) => line.replace(/^\[default\d+\]:/, ''))
  .filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>);

/**
 * Builds the project of these settings in a new folder and trains its train.py for `steps` steps
 * on the run's own shapes (one process, batch 8, a log line per step); fails on a non-zero exit.
 * Returns the folder (checkpoint: out/last.safetensors), the log and its step lines.
 */
export function trainOnShapes(
  methodId: string, values: SettingValues, sources: TrainSources, steps: number,
): { dir: string; stdout: string; steps: Record<string, number>[] } {
  const dir = scratchDir(`export-${methodId}-`);
  const files = buildProject({ methodId, values, link: `#m=${methodId}`, step: 0, weights: null }, sources);
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  const args = ['--data', 'shapes', '--steps', String(steps), '--batch-size', '8', '--workers', '0', '--log-every', '1', '--out', join(dir, 'out')];
  const run = spawnSync(torchPython()!, [join(dir, 'train.py'), ...args], { encoding: 'utf8', timeout: 120_000 });
  expect(run.status, run.stderr).toBe(0);
  return { dir, stdout: run.stdout, steps: jsonLines(run.stdout).filter((line) => typeof line.step === 'number') as Record<string, number>[] };
}

/** The browser's weight names and shapes for these settings (what an exported checkpoint must hold). */
export async function browserWeightShapes(methodId: string, values: SettingValues): Promise<Record<string, number[]>> {
  const browser = (await findMethod(methodId)!.load()).create({ values, seed: 1 });
  const shapes = Object.fromEntries(Object.entries(browser.save()).map(([name, t]) => [name, t.shape]));
  browser.dispose();
  return shapes;
}
