import { readFileSync } from 'node:fs';
import { expect, test, type Page } from '@playwright/test';
import { openOnWebGpu } from './app';

const points = async (page: Page) => Number(await page.getByTestId('chart-loss').getAttribute('data-points'));
const stepNow = async (page: Page) => Number((await page.getByTestId('step-counter').textContent())!.split(' / ')[0]);

// Runs that last. A run trained a few steps and paused is kept in the browser and exported as a
// file. After a reload it is in the saved list and reopens paused at its checkpoint with its
// history, and trains on. Files that are not exports, or whose weights do not fit their settings,
// are refused and change nothing; the export itself imports with its history and weights and
// continues from its step. A saved run that is not open can be deleted.
test('runs that last: kept in the browser across a reload, exported and imported, bad files refused', async ({ page }) => {
  const errors = await openOnWebGpu(page, '#m=dino&p=tiny&s=5&me=1&pe=50');
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect.poll(() => points(page), { timeout: 180_000 }).toBeGreaterThanOrEqual(3);
  await page.getByRole('button', { name: 'Pause', exact: true }).click();
  await expect(page.getByTestId('run-state')).toHaveText('paused');
  const step = await stepNow(page);
  await expect(page.getByTestId('checkpoint-step')).toHaveText(`step ${step}`);
  const saved = page.getByTestId('saved-run');
  await expect(saved).toHaveCount(1, { timeout: 30_000 });
  await expect(saved).toContainText(`resumes at step ${step}`);
  await expect(saved.getByTestId('saved-run-open')).toBeDisabled(); // it is the open run

  // Export: one file with the run's settings, history and weights.
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-runs').click()]);
  expect(download.suggestedFilename()).toBe(`ssl-playground-dino-step${step}.json`);
  const path = await download.path();
  const text = readFileSync(path, 'utf8');
  const exported = JSON.parse(text);
  expect(exported).toMatchObject({ format: 'ssl-playground-runs', version: 2, runs: [{ methodId: 'dino', step }] });
  const charted = exported.runs[0].history.steps.length;
  expect(await points(page)).toBe(charted);

  // A reload (a closed tab, a crash): the page opens its link's run, and the saved one is listed.
  await page.reload();
  await expect(page.getByTestId('backend-status')).toContainText('webgpu', { timeout: 120_000 });
  await expect(saved).toHaveCount(1);
  await expect(page.getByTestId('saved-runs')).toHaveAttribute('open', '');
  await saved.getByTestId('saved-run-open').click();
  const chips = page.getByTestId('run-chip');
  await expect(chips).toHaveCount(2);
  await expect(chips.nth(1)).toContainText(`paused · ${step}/`, { timeout: 120_000 });
  await expect(chips.nth(1)).toContainText('Run 1 (2)'); // beside the page's own Run 1
  await expect(page.getByTestId('step-counter')).toHaveText(new RegExp(`^${step} / `));
  expect(await points(page)).toBe(charted);
  await page.getByRole('button', { name: 'Resume', exact: true }).click();
  await expect.poll(() => stepNow(page), { timeout: 120_000 }).toBeGreaterThan(step);
  await page.getByRole('button', { name: 'Pause', exact: true }).click();
  await expect(page.getByTestId('run-state')).toHaveText('paused');
  await expect(saved).not.toContainText(`resumes at step ${step} `, { timeout: 30_000 }); // its new checkpoint is kept

  // Not an export, and an export whose weights do not fit its settings: refused, nothing changes.
  const input = page.getByTestId('import-runs');
  await input.setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('hello, not a run') });
  await expect(page.getByTestId('notices')).toContainText('notes.txt: This file is not an SSL Playground export');
  exported.runs[0].values.width = Number(exported.runs[0].values.width) * 2;
  await input.setInputFiles({ name: 'misfit.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(exported)) });
  await expect(page.getByTestId('notices')).toContainText(/misfit\.json: The saved weights do not fit this model.*Nothing was changed/);
  await expect(chips).toHaveCount(2);

  // The export imports beside them, at its step with its history, and continues from there.
  await input.setInputFiles(path);
  await expect(chips).toHaveCount(3);
  await expect(chips.nth(2)).toContainText(`paused · ${step}/`, { timeout: 120_000 });
  await expect(page.getByTestId('checkpoint-step')).toHaveText(`step ${step}`);
  expect(await points(page)).toBe(charted);
  await page.getByRole('button', { name: 'Step', exact: true }).click();
  await expect(page.getByTestId('step-counter')).toHaveText(new RegExp(`^${step + 1} / `), { timeout: 120_000 });
  await expect(saved).toHaveCount(2, { timeout: 30_000 }); // the imported run is kept too

  // Delete: not while a run is open; after a reload none is.
  await expect(saved.first().getByTestId('saved-run-delete')).toBeDisabled();
  await page.reload();
  await expect(saved).toHaveCount(2, { timeout: 60_000 });
  page.once('dialog', (dialog) => void dialog.accept());
  await saved.first().getByTestId('saved-run-delete').click();
  await expect(saved).toHaveCount(1);

  // A file dropped on the page goes through the same import (here one that is not an export).
  await page.evaluate(() => {
    const data = new DataTransfer();
    data.items.add(new File(['not json'], 'dropped.txt', { type: 'text/plain' }));
    window.dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));
  });
  await expect(page.getByTestId('notices')).toContainText('dropped.txt: This file is not an SSL Playground export');
  expect(errors).toEqual([]);
});

// Issue 22: a link pasted while a run trains used to close it at once, with up to 200 steps or
// 30 s of training lost and a saved entry that contradicted itself. Now the page asks: the run
// trains on while the question waits; Cancel keeps it, Open beside adds the link's run, and
// Save and switch checkpoints it at its current step before switching.
test('a link pasted during training asks first: cancel, open beside, save and switch', async ({ page }) => {
  const errors = await openOnWebGpu(page, '#m=dino&p=tiny&s=5&me=1&pe=50');
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect.poll(() => stepNow(page), { timeout: 180_000 }).toBeGreaterThanOrEqual(2);
  const prompt = page.getByTestId('switch-prompt');
  const chips = page.getByTestId('run-chip');
  const paste = (hash: string) => page.evaluate((h) => { window.location.hash = h; }, hash);

  await paste('#m=dino&p=tiny&s=8');
  await expect(prompt).toBeVisible();
  await expect(prompt).toContainText('It opens DINO · Tiny, seed 8');
  await expect(prompt).toContainText(/would close Run 1 \(step \d+, training\)/);
  await expect(page).toHaveURL(/s=5/); // the address bar shows what the page shows until the choice
  await expect(page.getByRole('button', { name: 'Open beside' })).toBeFocused();
  await prompt.getByRole('button', { name: 'Cancel' }).click();
  await expect(prompt).toBeHidden();
  await expect(chips).toHaveCount(1);
  await expect(page.getByTestId('run-state')).toHaveText('running');

  await paste('#m=dino&p=tiny&s=8');
  await prompt.getByRole('button', { name: 'Open beside' }).click();
  await expect(chips).toHaveCount(2);
  await expect(chips.nth(0)).toContainText('running');
  await expect(page).toHaveURL(/s=8/);

  await chips.nth(0).locator('.run-chip__name').click();
  await paste('#m=simclr&p=tiny');
  await prompt.getByRole('button', { name: 'Save and switch' }).click();
  await expect(chips).toHaveCount(1, { timeout: 120_000 });
  await expect(page).toHaveURL(/m=simclr/);
  const saved = page.getByTestId('saved-run');
  await expect(saved).toHaveCount(1, { timeout: 30_000 }); // Run 1; Run 2 never trained
  const entry = (await saved.textContent())!;
  const [, trained, resumes] = entry.match(/(\d+) steps trained, resumes at step (\d+)/)!;
  expect(Number(trained)).toBeGreaterThanOrEqual(2);
  expect(resumes).toBe(trained);
  expect(errors).toEqual([]);
});
