/**
 * `npm run export:memory`: what each exported train.py needs per GPU at the papers' scale
 * (ViT-S/16 at 224 px, the papers' heads, 64 images per GPU), for docs/pytorch.md. Each case's
 * train.py runs two steps on random images (`--data fake --memory`, 4 images) and counts, on any
 * device, the state a GPU holds throughout (every tensor, and each trained one's gradient and two
 * Adam moments) and the tensors autograd keeps for the backward pass (the activations, which
 * grow with the batch). A GPU needs somewhat more: the transient buffers of the largest layer and
 * the allocator's slack. Needs torch (SSL_PYTHON or Debian's python3).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildProject } from '../export/project';
import { readTrainSources } from '../export/sourceFiles';
import { torchPython } from '../export/torchPython';
import { findMethod } from '../methods/registry';
import type { SettingValues } from '../methods/schema';
import { presetValues } from '../state/url';

const VIT_S16 = { imageSize: '224', patchSize: 16, width: 384, depth: 12, heads: 6, mlpRatio: 4 };
const PER_GPU = 64;

/** The papers' configurations, as the app's settings. */
const CASES: { label: string; methodId: string; values: SettingValues }[] = [
  { label: 'DINO (2 × 224² + 10 × 96², head 2048 → 256 → 65536)', methodId: 'dino',
    values: { ...VIT_S16, headHidden: 2048, bottleneck: 256, outputDim: 65536, multiCrop: true, localCrops: 10, localCropSize: 96 } },
  { label: 'LOCA (reference 224², query 224² with 70 of 196 patches kept, 9 × 96² focal queries, head 2048 → 256 → 4096)', methodId: 'loca',
    values: { ...VIT_S16, headHidden: 2048, bottleneck: 256, outputDim: 4096, queryKeep: 0.36, focalQueries: 9, focalSize: 96 } },
  { label: 'SimCLR (projector 2048 → 128)', methodId: 'simclr', values: { ...VIT_S16, backbone: 'vit', projectorHidden: 2048, projectorOut: 128 } },
  { label: 'MoCo v3 (projector 4096 → 256, predictor 4096)', methodId: 'moco',
    values: { ...VIT_S16, backbone: 'vit', projectorHidden: 4096, projectorOut: 256, predictorHidden: 4096, queueSize: 0 } },
  { label: 'BYOL (projector 4096 → 256, predictor 4096)', methodId: 'byol', values: { ...VIT_S16, backbone: 'vit', projectorHidden: 4096, projectorOut: 256, predictorHidden: 4096 } },
  { label: 'SimSiam (projector 2048 → 2048, predictor 512)', methodId: 'simsiam', values: { ...VIT_S16, backbone: 'vit', projectorHidden: 2048, projectorOut: 2048, predictorHidden: 512 } },
  { label: 'MAE (mask 0.75, decoder 512 wide, 8 blocks)', methodId: 'itpn', values: { ...VIT_S16, pyramid: false, maskRatio: 0.75, decoderWidth: 512, decoderDepth: 8, decoderHeads: 16 } },
  { label: 'iTPN (the pyramid on the same ViT-S/16, MAE decoder)', methodId: 'itpn', values: { ...VIT_S16, pyramid: true, maskRatio: 0.75, decoderWidth: 512, decoderDepth: 8, decoderHeads: 16 } },
  { label: 'DeP (the default U-Net at 224 px)', methodId: 'dep', values: { imageSize: '224' } },
  { label: 'DreamTeacher (the default teacher and student at 224 px; the larger of its two stages)', methodId: 'dreamteacher', values: { imageSize: '224', teacherSteps: 1 } },
];

const MEASURED = 4;

function memory(dir: string): { stateMiB: number; activationsMiB: number } {
  const args = ['--data', 'fake', '--steps', '2', '--batch-size', String(MEASURED), '--workers', '0', '--log-every', '1', '--memory', '--out', join(dir, 'out')];
  const run = spawnSync(torchPython()!, [join(dir, 'train.py'), ...args], { encoding: 'utf8', timeout: 1_200_000 });
  const line = run.stderr.split('\n').find((l) => l.startsWith('{') && l.includes('activationsMiB'));
  if (run.status !== 0 || !line) throw new Error(`${dir}: ${run.stderr.slice(-2000)}`);
  return JSON.parse(line) as { stateMiB: number; activationsMiB: number };
}

function main(): void {
  if (!torchPython()) throw new Error('needs torch: set SSL_PYTHON, or apt install python3-torch python3-torchvision');
  const only = process.argv.slice(2);
  const sources = readTrainSources();
  console.log(`| method, as the paper ran it | state (GiB) | activations per image (MiB) | at ${PER_GPU} per GPU (GiB) |\n|---|---|---|---|`);
  for (const c of CASES) {
    if (only.length > 0 && !only.includes(c.methodId)) continue;
    const method = findMethod(c.methodId)!;
    // Not the shapes (16–64 px): train.py gets random images of the size (--data fake).
    const values = { ...presetValues(method, 'default'), ...c.values, dataset: 'images', totalSteps: 100, warmupSteps: 10 };
    const dir = mkdtempSync(join(tmpdir(), `memory-${c.methodId}-`));
    for (const [name, content] of Object.entries(buildProject({ methodId: c.methodId, values, link: '', step: 0, weights: null }, sources))) writeFileSync(join(dir, name), content);
    const { stateMiB, activationsMiB } = memory(dir);
    rmSync(dir, { recursive: true, force: true });
    const perImage = activationsMiB / MEASURED;
    console.log(`| ${c.label} | ${(stateMiB / 1024).toFixed(2)} | ${perImage.toFixed(0)} | ${((stateMiB + PER_GPU * perImage) / 1024).toFixed(1)} |`);
  }
}

main();
