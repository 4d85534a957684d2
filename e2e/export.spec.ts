import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { openOnWebGpu } from './app';

const points = async (page: import('@playwright/test').Page) => Number(await page.getByTestId('chart-loss').getAttribute('data-points'));

// Export → import: a run trained a few steps is saved as one file, opened in a fresh page next to
// that page's own run with its history, settings and weights, and continues training from where
// it was. Files that are not exports, or whose weights do not fit their settings, are refused with
// a message and change nothing.
test('export a run and import it elsewhere: history, step and weights come back, and it trains on', async ({ page, browser }) => {
  const errors = await openOnWebGpu(page, '#m=dino&p=tiny&s=3&me=1&pe=50');
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect.poll(() => points(page), { timeout: 180_000 }).toBeGreaterThanOrEqual(3);
  await page.getByRole('button', { name: 'Pause', exact: true }).click();
  await expect(page.getByTestId('run-state')).toHaveText('paused');
  const step = Number((await page.getByTestId('step-counter').textContent())!.split(' / ')[0]);

  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-runs').click()]);
  expect(download.suggestedFilename()).toBe(`ssl-playground-dino-step${step}.json`);
  const path = await download.path();
  const text = readFileSync(path, 'utf8');
  expect(JSON.parse(text)).toMatchObject({ format: 'ssl-playground-runs', version: 1, runs: [{ methodId: 'dino', step }] });
  const trained = JSON.parse(text).runs[0].history.steps.length;
  expect(trained).toBe(await points(page));
  expect(errors).toEqual([]);

  // A fresh page (another machine): its own run, then the import beside it.
  const other = await (await browser.newContext()).newPage();
  const otherErrors = await openOnWebGpu(other, '#m=dino&p=tiny&s=9');
  const chips = other.getByTestId('run-chip');
  await expect(chips).toHaveCount(1);

  // Not an export, and an export whose weights do not fit its settings: refused, nothing changes.
  const input = other.getByTestId('import-runs');
  await input.setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('hello, not a run') });
  await expect(other.getByTestId('notices')).toContainText('notes.txt: This file is not an SSL Playground export');
  const misfit = JSON.parse(text);
  misfit.runs[0].values.width = Number(misfit.runs[0].values.width) * 2;
  await input.setInputFiles({ name: 'misfit.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(misfit)) });
  await expect(other.getByTestId('notices')).toContainText(/misfit\.json: The saved weights do not fit this model.*Nothing was changed/);
  await expect(chips).toHaveCount(1);

  await input.setInputFiles(path);
  await expect(chips).toHaveCount(2);
  await expect(chips.nth(1)).toContainText(`paused · ${step}/`, { timeout: 120_000 });
  await expect(other.getByTestId('step-counter')).toHaveText(new RegExp(`^${step} / `));
  await expect(other.getByTestId('checkpoint-step')).toHaveText(`step ${step}`);
  expect(await points(other)).toBe(trained);
  // It continues from its step, not from 0.
  await other.getByRole('button', { name: 'Step', exact: true }).click();
  await expect(other.getByTestId('step-counter')).toHaveText(new RegExp(`^${step + 1} / `), { timeout: 120_000 });
  expect(otherErrors).toEqual([]);
});
