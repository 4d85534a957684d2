import { expect, test } from '@playwright/test';
import { unzipSync } from 'fflate';
import { readFileSync } from 'node:fs';
import { decodeSafetensors } from '../src/export/safetensors';
import { openOnWebGpu } from './app';

// Issue 24: "Export → PyTorch project" downloads a .zip with train.py, config.json, README.md and
// the run's weights as safetensors; before training, the project has the initialisers and no weights.
test('the PyTorch button exports the focused run as a project with its weights', async ({ page }) => {
  // SimCLR's learn preset (the CNN), made tiny so a step is quick on SwiftShader.
  const errors = await openOnWebGpu(page, '#m=simclr&p=learn&s=2&w=16&dp=2&ph=32&po=16&b=8&n=64');
  await expect(page.getByRole('button', { name: 'Step', exact: true })).toBeEnabled({ timeout: 120_000 });
  await page.getByRole('button', { name: 'Step', exact: true }).click();
  await expect(page.getByTestId('step-counter')).toHaveText(/^1 \//, { timeout: 120_000 });
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-pytorch').click()]);
  expect(download.suggestedFilename()).toBe('ssl-playground-simclr-step1-pytorch.zip');
  const files = unzipSync(readFileSync(await download.path()));
  expect(Object.keys(files).sort()).toEqual([
    'simclr-pytorch/README.md', 'simclr-pytorch/config.json', 'simclr-pytorch/shapes.safetensors', 'simclr-pytorch/train.py', 'simclr-pytorch/weights.safetensors',
  ]);
  expect(decodeSafetensors(files['simclr-pytorch/shapes.safetensors']).tensors.images.shape).toEqual([64, 16, 16, 3]);
  const config = JSON.parse(new TextDecoder().decode(files['simclr-pytorch/config.json']));
  expect(config).toMatchObject({ methodId: 'simclr', step: 1, values: { backbone: 'cnn', width: 16, batchSize: 8 } });
  expect(config.link).toMatch(/#m=simclr/);
  const weights = decodeSafetensors(files['simclr-pytorch/weights.safetensors']).tensors;
  expect(weights['online.backbone.convs.0.kernel'].shape).toEqual([3, 3, 3, 8]);
  expect(new TextDecoder().decode(files['simclr-pytorch/train.py'])).toContain('def nt_xent');

  // Back from PyTorch: a train.py log (the header train.py writes, then its steps) with the
  // weights its run saved opens beside the browser's run, on the same charts, paused at its step.
  const log = [
    JSON.stringify({ config: { methodId: 'simclr', title: 'SimCLR', link: config.link, values: config.values }, world: 2, globalBatch: 8 }),
    `[default0]:${JSON.stringify({ step: 1, loss: 5.5, learningRate: 0.001, stepsPerSecond: 20 })}`,
  ].join('\n');
  await page.getByTestId('import-runs').setInputFiles([
    { name: 'log.jsonl', mimeType: 'application/x-ndjson', buffer: Buffer.from(log) },
    { name: 'last.safetensors', mimeType: 'application/octet-stream', buffer: Buffer.from(files['simclr-pytorch/weights.safetensors']) },
  ]);
  await expect(page.getByTestId('run-chip')).toHaveCount(2);
  await expect(page.getByTestId('run-chip').nth(1)).toContainText('PyTorch: SimCLR ×2');
  await expect(page.getByTestId('run-chip').nth(1)).toContainText(/paused · 1\/800/, { timeout: 120_000 });
  expect(errors).toEqual([]);
});

test('LOCA before training exports its project with the initialisers and no weights', async ({ page }) => {
  const errors = await openOnWebGpu(page, '#m=loca&p=tiny&s=1');
  await expect(page.getByRole('button', { name: 'Train', exact: true })).toBeEnabled({ timeout: 120_000 });
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-pytorch').click()]);
  expect(download.suggestedFilename()).toBe('ssl-playground-loca-step0-pytorch.zip');
  const files = unzipSync(readFileSync(await download.path()));
  expect(Object.keys(files).sort()).toEqual(['loca-pytorch/README.md', 'loca-pytorch/config.json', 'loca-pytorch/shapes.safetensors', 'loca-pytorch/train.py']);
  const train = new TextDecoder().decode(files['loca-pytorch/train.py']);
  expect(train).toContain('LOCA');
  expect(train).not.toMatch(/# \{\{(COMMON|VIT|UNET)\}\}/);
  expect(new TextDecoder().decode(files['loca-pytorch/README.md'])).toContain('/ 1024');
  expect(JSON.parse(new TextDecoder().decode(files['loca-pytorch/config.json']))).toMatchObject({ methodId: 'loca', step: 0 });
  expect(errors).toEqual([]);
});
