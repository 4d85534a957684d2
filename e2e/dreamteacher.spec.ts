import { expect, test } from '@playwright/test';
import { openOnWebGpu } from './app';
import { canvasSpread } from './canvas';

// DreamTeacher on WebGPU: a short teacher stage, then distillation; the feature view shows the
// teacher's and the student's maps per level, and the per-level loss charts fill.
test('dreamteacher: trains both stages on WebGPU and draws the feature view', async ({ page }) => {
  // Smaller than tiny (2 levels, 4-image batches): SwiftShader compiles every new shader on the CPU.
  const errors = await openOnWebGpu(page, '#m=dreamteacher&p=tiny&s=1&me=1&pe=2&ts=10&lv=2&b=4&tw=4&w=4&fc=8');

  const view = page.getByTestId('feature-view');
  await expect(view).toBeVisible({ timeout: 120_000 });
  await expect(view).toHaveAttribute('data-stage', 'teacher');
  await expect(page.getByTestId('feature-level')).toHaveCount(2);
  await expect(page.getByTestId('denoising-view')).toBeVisible(); // the teacher's own view

  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect.poll(async () => Number(await page.getByTestId('chart-feature-regression-per-level').getAttribute('data-points')), { timeout: 240_000 })
    .toBeGreaterThanOrEqual(2);
  await expect(view).toHaveAttribute('data-stage', 'distillation', { timeout: 120_000 });
  await page.getByRole('button', { name: 'Pause', exact: true }).click();
  await expect(page.getByTestId('run-state')).toHaveText('paused');
  expect(Number(await page.getByTestId('chart-attention-transfer-per-level').getAttribute('data-points'))).toBeGreaterThanOrEqual(2);

  // Every map of the finest level is drawn (not one flat colour).
  const finest = page.getByTestId('feature-level').last();
  // (The student's own PCA colours are still nearly flat after a few steps: checked for being drawn only.)
  for (const role of ['teacher', 'teacher-attention', 'student-attention', 'error', 'student']) {
    const spread = await canvasSpread(finest.locator(`[data-testid="feature-canvas"][data-part="${role}"]`));
    expect(spread, role).toBeGreaterThan(role === 'student' ? 0 : 20);
  }
  // Picking another probe image redraws the rows for it.
  await page.getByTestId('feature-image-picker').locator('button[data-index="3"]').click();
  await expect(view).toHaveAttribute('data-image', '3');
  await expect(page.getByTestId('feature-readout')).toContainText('distilling');
  expect(errors).toEqual([]);
});
