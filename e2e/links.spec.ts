import { expect, test, type Page } from '@playwright/test';
import { openOnWebGpu } from './app';
import { fuzzLinks } from '../src/state/fuzzLinks';

// Issue 22: links a person or a fuzzer could write. Each opens the experiment it names, or the
// notices say what was dropped or changed; no notice, run name or value widens the page.

/** Whether anything on the page is wider than the viewport (a horizontal scrollbar). */
const overflowsViewport = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);

/** Pastes a link into the open page the way the address bar does (a hash change). */
async function paste(page: Page, hash: string): Promise<void> {
  await page.evaluate((h) => { window.location.hash = h; }, hash);
}

test('links with stray "#", repeated keys, odd numbers and long text open what they name and never widen the page', async ({ page }) => {
  const errors = await openOnWebGpu(page, '#m=loca&p=tiny&lr=0.01#');
  // The second "#" no longer drops the experiment: LOCA's tiny preset with its learning rate.
  await expect(page.getByTestId('notices')).toContainText('second "#"');
  await expect(page.locator('.method-picker select')).toHaveValue('loca');
  await expect(page.getByLabel('Learning rate', { exact: true })).toHaveValue('0.01');
  expect(await overflowsViewport(page)).toBe(false);

  const links = [
    ['#m=dino&p=tiny&h=' + 'x'.repeat(3000), 'must be'],
    ['#' + 'a'.repeat(100000), 'Unknown setting'],
    ['#m=simsiam&p=tiny&b=0x10', 'written in decimals'],
    ['#m=dino&p=tiny&lr=0.01&lr=0.02', 'sets "lr" 2 times'],
    ['#m=dino&p=tiny&lesson=moco-queue', 'not these runs'],
    ['#m=dino&p=tiny&d=%E2%80%AE' + '%F0%9F%99%82'.repeat(400), ''],
    ['#m=dino&p=tiny&name=' + 'n'.repeat(300) + ';m=dino&p=tiny&c=0&name=' + 'w'.repeat(300), ''],
  ] as const;
  for (const [hash, expected] of links) {
    await paste(page, hash);
    if (expected) await expect(page.getByTestId('notices'), hash.slice(0, 60)).toContainText(expected);
    await expect.poll(() => overflowsViewport(page), { message: hash.slice(0, 60), timeout: 10_000 }).toBe(false);
    const dismiss = page.getByRole('button', { name: 'Dismiss notice' });
    while (await dismiss.count() > 0) await dismiss.first().click();
  }
  expect(errors).toEqual([]);
});

test('two dozen seeded random links pasted into the page: no error, and the page never scrolls sideways', async ({ page }) => {
  const errors = await openOnWebGpu(page, '#m=dino&p=tiny');
  const dismiss = page.getByRole('button', { name: 'Dismiss notice' });
  for (const link of fuzzLinks(7, 24)) {
    const hash = link.slice(Math.max(0, link.indexOf('#')));
    await paste(page, hash.startsWith('#') ? hash : `#${hash}`);
    await expect(page.getByTestId('backend-status')).toContainText('webgpu'); // the page is alive
    await expect.poll(() => overflowsViewport(page), { message: link.slice(0, 80), timeout: 10_000 }).toBe(false);
    while (await dismiss.count() > 0) await dismiss.first().click();
  }
  expect(errors).toEqual([]);
});
