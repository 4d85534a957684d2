import { expect, test } from '@playwright/test';

// One spec per method of the SimCLR / MoCo / BYOL / SimSiam lineage: pick it, train the tiny
// preset a few steps on WebGPU, and find the loss chart, the embedding space and the batch
// similarity matrix drawn from the run.
for (const method of ['simclr', 'moco', 'byol', 'simsiam']) {
  test(`${method}: trains on WebGPU with its loss, embedding space and similarity matrix`, async ({ page }) => {
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`/#m=${method}&p=tiny&s=1&me=1&pe=2`);
    await expect(page.getByTestId('backend-status')).toContainText('webgpu', { timeout: 120_000 });
    await expect(page.getByRole('button', { name: 'Train', exact: true })).toBeEnabled({ timeout: 120_000 });
    // The untrained network's embedding space is there before the first step.
    await expect(page.getByTestId('embedding-canvas')).toHaveAttribute('data-points', '160', { timeout: 120_000 });

    await page.getByRole('button', { name: 'Train', exact: true }).click();
    await expect.poll(async () => Number(await page.getByTestId('chart-loss').getAttribute('data-points')), { timeout: 180_000 })
      .toBeGreaterThanOrEqual(3);
    await page.getByRole('button', { name: 'Pause', exact: true }).click();
    await expect(page.getByTestId('run-state')).toHaveText('paused');
    await expect(page.getByTestId('similarity-view')).toBeVisible();
    await expect(page.getByTestId('similarity-summary')).toContainText('positives');
    expect(Number(await page.getByTestId('chart-positive-and-negative-similarity').getAttribute('data-points'))).toBeGreaterThanOrEqual(3);
    expect(Number(await page.getByTestId('chart-embedding-std').getAttribute('data-points'))).toBeGreaterThanOrEqual(3);
    expect(errors).toEqual([]);
  });
}
