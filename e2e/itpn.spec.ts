import { expect, test, type Page } from '@playwright/test';
import { openOnWebGpu } from './app';
import { canvasSpread } from './canvas';

/** The spread of probe row `index`'s canvas in column `role`. */
const cellSpread = (page: Page, role: string, index = 0) =>
  canvasSpread(page.getByTestId('reconstruction-row').nth(index).locator(`[data-testid="reconstruction-canvas"][data-part="${role}"]`));

// iTPN on WebGPU: the reconstruction view is drawn from the untrained network before the first
// step (masked input, prediction, error and three pyramid levels), the mask-ratio slider previews
// other masks at once, and a few training steps chart MIM and MFM and update the view.
test('itpn: trains on WebGPU and paints the reconstruction view', async ({ page }) => {
  // Smaller than tiny (batch 4, narrower): SwiftShader compiles every new shader on the CPU.
  const errors = await openOnWebGpu(page, '#m=itpn&p=tiny&s=1&me=1&pe=2&b=4&w=16&fw=8&dw=16&dp=1');

  const view = page.getByTestId('reconstruction-view');
  await expect(view).toBeVisible({ timeout: 120_000 });
  await expect(view).toHaveAttribute('data-step', '0');
  await expect(view).toHaveAttribute('data-mask-ratio', '0.75');
  const rows = page.getByTestId('reconstruction-row');
  expect(await rows.count()).toBeGreaterThan(0);
  for (const role of ['original', 'masked', 'reconstruction', 'prediction', 'error', 'level-0', 'level-1', 'level-2']) {
    expect(await cellSpread(page, role), role).toBeGreaterThan(20);
  }
  await expect(page.getByTestId('attention-view')).toHaveCount(0);
  await expect(page.getByTestId('denoising-view')).toHaveCount(0);

  // The mask-ratio slider previews the masks before any training.
  const slider = page.getByLabel('Mask ratio slider');
  await slider.fill('0.5');
  const preview = page.getByTestId('reconstruction-preview');
  await expect(preview).toHaveAttribute('data-mask-ratio', '0.5');
  const previews = page.locator('[data-testid="reconstruction-canvas"][data-part="preview"]');
  expect(await previews.count()).toBeGreaterThan(0);
  expect(await canvasSpread(previews.first())).toBeGreaterThan(20);
  await slider.fill('0.75');
  await expect(previews).toHaveCount(0);

  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect.poll(async () => Number(await page.getByTestId('chart-loss').getAttribute('data-points')), { timeout: 180_000 })
    .toBeGreaterThanOrEqual(3);
  await expect.poll(async () => Number(await view.getAttribute('data-step')), { timeout: 180_000 }).toBeGreaterThanOrEqual(2);
  await page.getByRole('button', { name: 'Pause', exact: true }).click();
  await expect(page.getByTestId('run-state')).toHaveText('paused');
  expect(Number(await page.getByTestId('chart-masked-feature-modeling-per-level').getAttribute('data-points'))).toBeGreaterThanOrEqual(3);
  const mse = Number(await view.getAttribute('data-mse'));
  expect(mse).toBeGreaterThan(0);
  expect(mse).toBeLessThan(3);
  expect(await cellSpread(page, 'reconstruction')).toBeGreaterThan(20);
  await expect(page.getByTestId('reconstruction-readout')).toContainText('MIM loss');
  expect(errors).toEqual([]);
});
