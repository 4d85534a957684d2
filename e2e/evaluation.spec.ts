import { expect, test } from '@playwright/test';

// Evaluation on WebGPU: a tiny DINO run evaluated on a cadence (every 5 steps of 10) fills the
// results table — every probe with its untrained baseline — and plots the scores against the
// step; then the Evaluate button evaluates the run again on request.
test('evaluates a tiny run on a cadence and on request, and fills the results table', async ({ page }) => {
  test.setTimeout(480_000);
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto('/#m=dino&p=tiny&s=1&T=10&me=1&ev=5');
  await expect(page.getByTestId('backend-status')).toContainText('webgpu', { timeout: 120_000 });
  await expect(page.getByTestId('results-empty')).toBeVisible({ timeout: 120_000 });
  await page.getByRole('button', { name: 'Train', exact: true }).click();

  const row = page.getByTestId('results-row');
  await expect(row.locator('[data-col="step"]')).toHaveAttribute('data-value', '10', { timeout: 360_000 });
  for (const column of ['knn', 'linear', 'seg1', 'seg10', 'seg100', 'jaccard']) {
    const cell = row.locator(`[data-col="${column}"]`);
    const value = Number(await cell.getAttribute('data-value'));
    const baseline = Number(await cell.getAttribute('data-baseline'));
    expect(value, column).toBeGreaterThanOrEqual(0);
    expect(value, column).toBeLessThanOrEqual(1);
    expect(baseline, column).toBeGreaterThanOrEqual(0);
  }
  // Two evaluations (steps 5 and 10): the score-vs-step chart is drawn.
  await expect(page.getByTestId('evaluation-chart')).toBeVisible();

  // On request: the button works on a finished run and the row keeps the latest step.
  const button = page.getByTestId('evaluate-button');
  await button.click();
  await expect(button).toBeEnabled({ timeout: 180_000 });
  await expect(row).toHaveCount(1);
  expect(errors).toEqual([]);
});
