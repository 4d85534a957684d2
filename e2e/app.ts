import { expect, type Page } from '@playwright/test';

/**
 * Opens an experiment link, waits until the app runs on WebGPU and Train is enabled, and returns
 * the list the page's uncaught errors are collected into (a spec ends by expecting it empty).
 */
export async function openOnWebGpu(page: Page, hash: string): Promise<string[]> {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(`/${hash}`);
  await expect(page.getByTestId('backend-status')).toContainText('webgpu', { timeout: 120_000 });
  await expect(page.getByRole('button', { name: 'Train', exact: true })).toBeEnabled({ timeout: 120_000 });
  return errors;
}
