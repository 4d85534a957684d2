import { expect, test } from '@playwright/test';
import { openOnWebGpu } from './app';

// LOCA on WebGPU: train the tiny preset a few steps and find the position view drawn from the
// run — the masked reference, the queries, a prediction per query patch and its distribution
// on hover — and the position accuracy charted.
test('loca: trains on WebGPU and draws the position view', async ({ page }) => {
  const errors = await openOnWebGpu(page, '#m=loca&p=tiny&s=1&me=1&pe=2');
  // The untrained network's predictions are drawn before the first step.
  await expect(page.getByTestId('position-view')).toBeVisible({ timeout: 120_000 });
  await expect(page.getByTestId('crops-view')).toHaveCount(0); // LOCA has no DINO-style crops view

  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect.poll(async () => Number(await page.getByTestId('chart-position-accuracy').getAttribute('data-points')), { timeout: 180_000 })
    .toBeGreaterThanOrEqual(3);
  await page.getByRole('button', { name: 'Pause', exact: true }).click();
  await expect(page.getByTestId('run-state')).toHaveText('paused');
  await expect(page.getByText(/Step [1-9]/).first()).toBeVisible();

  const view = page.getByTestId('position-view');
  const accuracy = Number(await view.getAttribute('data-accuracy'));
  expect(accuracy).toBeGreaterThanOrEqual(0);
  expect(accuracy).toBeLessThanOrEqual(1);
  // Every query patch that went through the student is classified: correct, wrong or outside.
  const figure = page.getByTestId('position-figure');
  const count = async (name: string) => Number(await figure.getAttribute(`data-${name}`));
  expect((await count('correct')) + (await count('wrong'))).toBeGreaterThan(0);
  expect((await count('correct')) + (await count('wrong')) + (await count('outside')) + (await count('unused'))).toBeGreaterThan(4);
  await expect(page.getByTestId('position-accuracy')).toContainText('chance');

  // Hovering a predicted patch shows its distribution over the reference grid.
  await page.locator('[data-testid="position-patch"]:is([data-status="correct"], [data-status="wrong"])').first().hover();
  const heatmap = page.getByTestId('position-heatmap');
  await expect(heatmap).toBeVisible();
  await expect(page.getByTestId('position-readout')).toContainText('p =');
  expect(errors).toEqual([]);
});
