import { expect, test } from '@playwright/test';

// Runs in the `no-webgpu` project: Chromium without WebGPU enabled.
test('without WebGPU the app says so, shows the fallback backend and still trains', async ({ page }) => {
  await page.goto('/#m=dino&p=tiny&s=2&me=1');
  await expect(page.getByTestId('backend-status')).toContainText('webgl', { timeout: 120_000 });
  await expect(page.getByTestId('notices')).toContainText('WebGPU is unavailable, training on webgl instead');
  await page.getByRole('button', { name: 'Train' }).click();
  await expect.poll(
    async () => Number(await page.getByTestId('chart-loss').getAttribute('data-points')),
    { timeout: 120_000 },
  ).toBeGreaterThanOrEqual(3);
});
