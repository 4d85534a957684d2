/**
 * Issue 24, "proven equal": for each exported method, the browser engine (tfjs, cpu backend)
 * and the exported train.py (PyTorch) run the same two optimiser steps from the same weights
 * on the same views, and must agree:
 * - the loss of each step to 1e-4 relative (the second step's loss is computed from weights the
 *   first update moved, so it also checks the gradients and the update);
 * - every weight after one optimiser step, online and target, to 1e-3 absolute;
 * - the direction of that update (after − before, every trained kernel, weight and BatchNorm
 *   scale and shift together): cosine ≥ 0.999. Adam's first update is ±lr for any gradient well
 *   above its ε, so this is what catches a wrong gradient. A linear layer's bias that feeds
 *   BatchNorm, or the key part of an attention bias, has a gradient of zero up to rounding in
 *   both frameworks, which Adam also turns into ±lr (zeroGradient): those are left out of the
 *   cosine, and the steps are early in the warm-up (lr = peak/19, then 2·peak/19) so that their
 *   noise stays inside the 1e-3 bound.
 * The views are drawn by the engine (its crops, rotations and colour jitter) and handed over;
 * torch's own augmentations are not part of the comparison.
 */
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../engine/random';
import { findMethod } from '../methods/registry';
import { implementation as depImplementation } from '../methods/dep/method';
import { implementation as dinoImplementation } from '../methods/dino/method';
import { implementations } from '../methods/lineage/method';
import type { Variant } from '../methods/lineage/settings';
import type { MethodInstance } from '../methods/types';
import type { SettingValues } from '../methods/schema';
import { presetValues } from '../state/url';
import { buildProject } from './project';
import { readTrainSources } from './sourceFiles';
import { decodeSafetensors, encodeSafetensors, type NamedArrays } from './safetensors';
import { requireTorchInCi, torchPython } from './torchPython';

beforeAll(async () => {
  await tf.setBackend('cpu');
  requireTorchInCi();
});

const SOURCES = readTrainSources();
/** Steps 1 and 2 of a 20-step warm-up: lr = peak/19 and 2·peak/19. */
const STEPS = [1, 2];

/**
 * Parameters whose gradient is zero in exact arithmetic, so both frameworks return rounding
 * noise that Adam turns into ±lr: a linear layer's bias that feeds BatchNorm (the mean is
 * subtracted), the ViT's final LayerNorm shift (the same vector added to every image's feature,
 * which the projector's first BatchNorm subtracts again), and the key third of an attention
 * block's q|k|v bias (adding one vector to every key shifts a query's scores by a constant,
 * which the softmax ignores).
 */
interface Case { variant: Variant | 'dino' | 'dep'; backbone: string; preset: string; overrides: SettingValues }

function zeroGradient(name: string, index: number, size: number): boolean {
  if (name.endsWith('.linear.bias') || name === 'online.backbone.norm.beta') return true;
  return name.endsWith('.qkv.bias') && index >= size / 3 && index < (2 * size) / 3;
}

async function arrays(map: tf.NamedTensorMap): Promise<NamedArrays> {
  const out: NamedArrays = {};
  for (const [name, tensor] of Object.entries(map)) out[name] = { shape: tensor.shape, data: ((await tensor.data()) as Float32Array).slice() };
  return out;
}

describe.skipIf(!torchPython())('the exported train.py computes what the browser computes (one batch, two steps)', () => {
  const lineage = (['simclr', 'moco', 'byol', 'simsiam'] as Variant[]).flatMap((variant): Case[] => [
    // The learn preset (CNN, its augmentations and lr), made small enough to run in seconds…
    { variant, backbone: 'cnn', preset: 'learn', overrides: { batchSize: 16, width: 16, depth: 2, projectorHidden: 32, projectorOut: 16, predictorHidden: 16 } },
    // …and the tiny preset (the ViT of the default presets, 16 px, patches of 4).
    { variant, backbone: 'vit', preset: 'tiny', overrides: {} },
  ]);
  // DINO's tiny preset with two local crops: the last layer frozen at step 1 and free at step 2,
  // gradients clipped, the teacher's EMA and the center moving.
  const cases: Case[] = [
    ...lineage,
    { variant: 'dino', backbone: 'vit', preset: 'tiny', overrides: { multiCrop: true, localCrops: 2, freezeLastLayerSteps: 2 } },
    // DeP's tiny U-Net, σ drawn per image (its learn preset's way), the variance-preserving corruption.
    { variant: 'dep', backbone: 'unet', preset: 'tiny', overrides: { sigmaMode: 'sampled' } },
  ];
  for (const { variant, backbone, preset, overrides } of cases) {
    it(`${variant} (${backbone}): loss, updated weights and update direction match`, async () => {
      const method = findMethod(variant)!;
      const values: SettingValues = { ...presetValues(method, preset), ...overrides, totalSteps: 100, warmupSteps: 20, seed: 3 };
      if (variant !== 'dino' && variant !== 'dep') expect(values.backbone).toBe(backbone);
      const create = variant === 'dino' ? dinoImplementation.create : variant === 'dep' ? depImplementation.create : implementations[variant as Variant].create;
      const trainedPrefix = variant === 'dino' ? 'student.' : variant === 'dep' ? 'unet.' : 'online.';
      const B = Number(values.batchSize);
      const size = Number(values.imageSize);
      const rng = new Rng(7);
      const images = tf.tensor4d(Float32Array.from({ length: B * size * size * 3 }, () => rng.uniform(0, 1)), [B, size, size, 3]);
      // Two instances from one seed: the same weights and the same crop stream, so `views`
      // draws exactly the views that `trained` steps on.
      const views = create({ values, seed: 3 }) as MethodInstance & { sampleViews(images: tf.Tensor4D): Record<string, unknown> };
      const trained = create({ values, seed: 3 });
      const before = await arrays(views.save());
      const inputs: NamedArrays = { images: { shape: images.shape, data: (await images.data()) as Float32Array } };
      for (let i = 0; i < STEPS.length; i++) {
        // The lineage draws `views` [2B, S, S, 3]; DINO `globals` [2B, …] and `locals` [L·B, s, s, 3];
        // DeP the noise `epsilon` [B, S, S, 3] and `sigmas` [B].
        const drawn = views.sampleViews(images);
        for (const key of ['views', 'globals', 'locals', 'epsilon', 'sigmas']) {
          const tensor = drawn[key] as tf.Tensor | null | undefined;
          if (!tensor) continue;
          inputs[key === 'views' ? `views.${i}` : `views.${i}.${key}`] = { shape: tensor.shape, data: (await tensor.data()) as Float32Array };
          tensor.dispose();
        }
      }
      const losses: number[] = [];
      let after: NamedArrays = {};
      for (const step of STEPS) {
        const out = trained.step({ images, indices: Int32Array.from({ length: B }, (_, i) => i), capture: false, snapshot: true }, step);
        losses.push((await out.loss.data())[0]);
        tf.dispose([out.loss, ...Object.values(out.metrics), out.embeddings ?? []]);
        if (step === STEPS[0]) after = await arrays(trained.save()); // after one optimiser step
      }
      views.dispose();
      trained.dispose();
      images.dispose();

      const dir = mkdtempSync(join(tmpdir(), `parity-${variant}-`));
      const files = buildProject({ methodId: variant, values, link: `#m=${variant}&p=learn`, step: 0, weights: null }, SOURCES);
      for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
      writeFileSync(join(dir, 'before.safetensors'), encodeSafetensors(before));
      writeFileSync(join(dir, 'inputs.safetensors'), encodeSafetensors(inputs));
      writeFileSync(join(dir, 'step.json'), JSON.stringify({ steps: STEPS }));
      const run = spawnSync(torchPython()!, [join(dir, 'train.py'), '--config', join(dir, 'config.json'), '--parity', dir], { encoding: 'utf8' });
      expect(run.stderr, run.stderr).not.toMatch(/Traceback/);
      expect(run.status).toBe(0);

      const torchLosses = JSON.parse(readFileSync(join(dir, 'losses.torch.json'), 'utf8')) as number[];
      for (let i = 0; i < STEPS.length; i++) expect(Math.abs(torchLosses[i] - losses[i]) / Math.abs(losses[i]), `loss of step ${STEPS[i]}: browser ${losses[i]}, torch ${torchLosses[i]} (${dir})`).toBeLessThan(1e-4);
      const torchAfter = decodeSafetensors(readFileSync(join(dir, 'after.0.torch.safetensors'))).tensors;
      expect(Object.keys(torchAfter).sort()).toEqual(Object.keys(after).filter((n) => n !== 'queue').sort());
      let dot = 0;
      let normBrowser = 0;
      let normTorch = 0;
      for (const [name, { data }] of Object.entries(torchAfter)) {
        const browser = after[name].data;
        let worst = 0;
        for (let i = 0; i < data.length; i++) {
          worst = Math.max(worst, Math.abs(data[i] - browser[i]));
          if (name.startsWith(trainedPrefix) && !zeroGradient(name, i, data.length)) {
            const dBrowser = browser[i] - before[name].data[i];
            const dTorch = data[i] - before[name].data[i];
            dot += dBrowser * dTorch;
            normBrowser += dBrowser ** 2;
            normTorch += dTorch ** 2;
          }
        }
        expect(worst, `${name} after one step`).toBeLessThan(1e-3);
      }
      const cosine = dot / Math.sqrt(normBrowser * normTorch);
      expect(cosine, 'update direction').toBeGreaterThan(0.999);
      console.log(`${variant} (${backbone}): losses ${losses.map((l) => l.toFixed(6)).join(', ')} (torch ${torchLosses.map((l) => l.toFixed(6)).join(', ')}), update cosine ${cosine.toFixed(6)}`);
    }, 120_000);
  }
});
