import { expect, test, type Page } from '@playwright/test';
import { openOnWebGpu } from './app';
import { canvasSpread } from './canvas';

/** The spread of probe row `index`'s canvas in column `role`. */
const cellSpread = (page: Page, role: string, index = 0) =>
  canvasSpread(page.getByTestId('denoising-row').nth(index).locator(`[data-testid="denoising-canvas"][data-part="${role}"]`));

// DeP on WebGPU: the denoising view is drawn from the untrained network before the first step,
// the σ slider changes the preview at once, and a few training steps chart the loss and PSNR and
// update the view.
test('dep: trains on WebGPU and draws the denoising view', async ({ page }) => {
  const errors = await openOnWebGpu(page, '#m=dep&p=tiny&s=1&me=1&pe=2');

  const view = page.getByTestId('denoising-view');
  await expect(view).toBeVisible({ timeout: 120_000 });
  await expect(view).toHaveAttribute('data-step', '0');
  await expect(page.getByTestId('denoising-row')).toHaveCount(8);
  for (const role of ['clean', 'noisy', 'noise', 'error', 'denoised']) {
    expect(await cellSpread(page, role), role).toBeGreaterThan(20);
  }
  // The untrained network predicts almost no noise: a nearly flat grey, but drawn.
  expect(await cellSpread(page, 'predicted')).toBeGreaterThan(0);
  await expect(page.getByTestId('attention-view')).toHaveCount(0);

  // The σ slider: the preview follows before any training.
  const preview = page.getByTestId('denoising-preview');
  await expect(preview).toHaveAttribute('data-sigma', '0.22');
  await page.getByLabel('Noise σ slider').fill('1');
  await expect(preview).toHaveAttribute('data-sigma', '1');
  const previews = page.locator('[data-testid="denoising-canvas"][data-part="preview"]');
  await expect(previews).toHaveCount(8);
  expect(await previews.first().evaluate((node) => (node as HTMLCanvasElement).width)).toBeGreaterThan(0);
  await page.getByLabel('Noise σ slider').fill('0.22');
  await expect(previews).toHaveCount(0); // back at the probe's own level: its noisy column is the preview

  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect.poll(async () => Number(await page.getByTestId('chart-loss').getAttribute('data-points')), { timeout: 180_000 })
    .toBeGreaterThanOrEqual(3);
  await expect.poll(async () => Number(await view.getAttribute('data-step')), { timeout: 180_000 }).toBeGreaterThanOrEqual(2);
  await page.getByRole('button', { name: 'Pause', exact: true }).click();
  await expect(page.getByTestId('run-state')).toHaveText('paused');
  expect(Number(await page.getByTestId('chart-denoising-psnr').getAttribute('data-points'))).toBeGreaterThanOrEqual(3);
  // After a few steps the prediction has structure.
  expect(await cellSpread(page, 'predicted')).toBeGreaterThan(20);
  const mse = Number(await view.getAttribute('data-mse'));
  expect(mse).toBeGreaterThan(0);
  expect(mse).toBeLessThan(2);
  await expect(page.getByTestId('denoising-readout')).toContainText('dB');
  expect(errors).toEqual([]);
});
