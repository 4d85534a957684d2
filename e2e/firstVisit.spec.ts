import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { openOnWebGpu } from './app';

const stepNow = async (page: Page) => Number((await page.getByTestId('step-counter').textContent())!.split(' / ')[0]);
const pageWidth = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth);

// Issue 23, "start here": a first visit explains what the page is and offers one button that
// starts a guided run; closed, it stays closed on the next visit, and the header reopens it.
test('a first visit shows the introduction once; its button starts a guided first run', async ({ page }) => {
  const errors = await openOnWebGpu(page, '#m=dino&p=tiny&s=3');
  const intro = page.getByTestId('intro');
  await expect(intro).toContainText('Self-supervised learning');
  await intro.getByRole('button', { name: 'Close' }).click();
  await expect(intro).toBeHidden();
  await page.reload();
  await expect(page.getByTestId('backend-status')).toContainText('webgpu', { timeout: 120_000 });
  await expect(intro).toBeHidden(); // a returning visitor is not shown it again
  await page.getByRole('button', { name: 'Start here' }).click();
  await intro.getByRole('button', { name: 'Start a guided first run' }).click();
  await expect(intro).toContainText('What to watch');
  await expect(page).toHaveURL(/m=simclr/);
  await expect(page).toHaveURL(/p=learn/);
  // SwiftShader's WebGPU does this preset at ~0.2 steps/s: the guided run computes with WebAssembly.
  await expect(page.getByTestId('intro-wasm')).toBeVisible();
  await expect(page.getByTestId('backend-status')).toContainText('wasm', { timeout: 120_000 });
  await expect(page.getByTestId('run-state')).toHaveText('running', { timeout: 120_000 });
  await expect.poll(() => stepNow(page), { timeout: 120_000 }).toBeGreaterThanOrEqual(10);
  await page.getByRole('button', { name: 'Pause', exact: true }).click();
  await expect(page.getByTestId('run-state')).toHaveText(/pausing…|paused/);
  await expect(page.getByTestId('run-state')).toHaveText('paused', { timeout: 120_000 });
  expect(errors).toEqual([]);
});

// Issue 23, "honest progress": a software adapter is named and the fastest preset offered;
// preparing says what it is doing; training shows steps/s and the time left.
test('on a software adapter the page says so, offers Tiny, and shows what preparing and training are doing', async ({ page }) => {
  // Every text the state shows, recorded in the page as it changes.
  await page.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { states: string[] }).states = seen;
    new MutationObserver(() => {
      const text = document.querySelector('[data-testid="run-state"]')?.textContent ?? '';
      if (text && seen.at(-1) !== text) seen.push(text);
    }).observe(document, { subtree: true, childList: true, characterData: true });
  });
  await page.goto('/#m=loca&p=learn&s=2');
  const advice = page.getByTestId('speed-advice');
  await expect(advice).toContainText('runs on the CPU (swiftshader', { timeout: 120_000 });
  await expect(page.getByRole('button', { name: 'Train', exact: true })).toBeEnabled({ timeout: 120_000 });
  const states = await page.evaluate(() => (window as unknown as { states: string[] }).states);
  expect(states).toContain('preparing 3/5: building the networks…');
  expect(states.some((text) => text.startsWith('preparing 4/5: compiling the GPU kernels of a step at batch'))).toBe(true);
  // …counting the step's kernels as they compile, up to all of them.
  expect(states.some((text) => /^preparing 4\/5: compiling the GPU kernels of a step at batch \d+: ([1-9]\d*)\/\1…$/.test(text))).toBe(true);
  expect(states.at(-1)).toBe('paused');
  await advice.getByRole('button', { name: 'Switch to Tiny' }).click();
  await expect(page.getByLabel('Preset')).toHaveValue('tiny');
  await expect(page).toHaveURL(/p=tiny/);
  await expect(page.getByRole('button', { name: 'Train', exact: true })).toBeEnabled({ timeout: 120_000 });
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect(page.getByTestId('remaining')).toHaveText(/^\d+:\d\d$/, { timeout: 120_000 });
  await expect(page.getByTestId('steps-per-second')).not.toHaveText('–');

  // The fastest working choice on this CPU: WebAssembly. The training run moves and goes on.
  await advice.getByRole('button', { name: 'Compute with WebAssembly' }).click();
  await expect(page.getByTestId('backend-status')).toContainText('wasm', { timeout: 120_000 });
  await expect(advice).toContainText('computes with WebAssembly on the CPU');
  await expect(advice).toContainText('as you chose');
  await expect(page.getByTestId('run-state')).toHaveText('running', { timeout: 120_000 });
  const onWasm = await stepNow(page);
  await expect.poll(() => stepNow(page), { timeout: 60_000 }).toBeGreaterThan(onWasm + 5);
  // The choice is kept for the next visit, and can be undone.
  await page.reload();
  await expect(page.getByTestId('backend-status')).toContainText('wasm', { timeout: 120_000 });
  await advice.getByRole('button', { name: 'Use WebGPU again' }).click();
  await expect(page.getByTestId('backend-status')).toContainText('webgpu', { timeout: 120_000 });
  await expect(advice.getByRole('button', { name: 'Compute with WebAssembly' })).toBeVisible();
});

// Issue 23, keyboard: a skip link first, Train within five Tab stops, shortcuts that act like
// the buttons (and not while typing), a list of them on "?", and the state announced politely.
test('keyboard: skip link, Train early in the Tab order, Space / S / R / ? shortcuts', async ({ page }) => {
  const errors = await openOnWebGpu(page, '#m=simclr&p=tiny&s=4');
  const focusedName = () => page.evaluate(() => (document.activeElement as HTMLElement | null)?.textContent?.trim() ?? '');
  const stops: string[] = [];
  for (let i = 0; i < 5; i++) {
    await page.keyboard.press('Tab');
    stops.push(await focusedName());
  }
  expect(stops[0]).toBe('Skip to the charts');
  expect(stops).toContain('Train');

  await page.locator('body').click({ position: { x: 5, y: 300 } });
  await page.keyboard.press(' ');
  await expect(page.getByTestId('run-state')).toHaveText('running', { timeout: 120_000 });
  await expect(page.getByTestId('run-announcement')).toHaveText('Training.');
  await page.keyboard.press(' ');
  await expect(page.getByTestId('run-state')).toHaveText('paused', { timeout: 120_000 });
  const step = await stepNow(page);
  await page.keyboard.press('s');
  await expect.poll(() => stepNow(page), { timeout: 120_000 }).toBe(step + 1);
  await expect(page.getByTestId('run-announcement')).toHaveText(`Paused at step ${step + 1}.`);

  // In a text field, keys are typing.
  const seed = page.getByLabel('Seed');
  await page.getByText('Run', { exact: true }).click(); // opens the run group
  await seed.fill('');
  await seed.pressSequentially('7s');
  await expect.poll(() => stepNow(page)).toBe(step + 1);

  await page.locator('body').click({ position: { x: 5, y: 300 } });
  await page.keyboard.press('?');
  await expect(page.getByTestId('shortcuts')).toContainText('Space');
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('shortcuts')).toBeHidden();
  await page.keyboard.press('r');
  await expect(page.getByTestId('step-counter')).toHaveText(/^0 \//, { timeout: 120_000 });
  expect(errors).toEqual([]);
});

// Issue 23, phones: no sideways scroll at 360–400 px for any method, and the run bar stays on
// screen wherever the page is scrolled to.
test('phone-sized windows: no sideways scroll, run controls always reachable', async ({ page }) => {
  await page.setViewportSize({ width: 360, height: 740 });
  for (const method of ['dino', 'loca', 'itpn', 'dep', 'dreamteacher', 'simclr', 'moco', 'byol', 'simsiam']) {
    await page.goto(`/#m=${method}&p=tiny`);
    await expect(page.getByTestId('backend-status')).toContainText('webgpu', { timeout: 120_000 });
    expect(await pageWidth(page), method).toBeLessThanOrEqual(360);
  }
  await page.setViewportSize({ width: 400, height: 800 });
  await page.getByRole('button', { name: 'Train', exact: true }).click({ timeout: 120_000 });
  await expect.poll(() => stepNow(page), { timeout: 120_000 }).toBeGreaterThanOrEqual(2);
  expect(await pageWidth(page)).toBeLessThanOrEqual(400);
  await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
  await expect(page.getByRole('button', { name: 'Pause', exact: true })).toBeInViewport();
  await page.getByRole('button', { name: 'Pause', exact: true }).click();
  await expect(page.getByTestId('run-state')).toHaveText('paused', { timeout: 120_000 });
  expect(await pageWidth(page)).toBeLessThanOrEqual(400);
});

// Issue 23: an automated accessibility check over every method's page finds no serious or
// critical violation (and one page again after training, with its probes drawn).
test('accessibility: no serious or critical axe violations on any method page', async ({ page }) => {
  const serious = async () => (await new AxeBuilder({ page }).analyze()).violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')})`);
  for (const method of ['dino', 'loca', 'itpn', 'dep', 'dreamteacher', 'simclr', 'moco', 'byol', 'simsiam']) {
    await openOnWebGpu(page, `#m=${method}&p=tiny`);
    expect(await serious(), method).toEqual([]);
  }
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect.poll(() => stepNow(page), { timeout: 120_000 }).toBeGreaterThanOrEqual(3);
  await page.getByRole('button', { name: 'Pause', exact: true }).click();
  await expect(page.getByTestId('run-state')).toHaveText('paused', { timeout: 120_000 });
  expect(await serious(), 'simsiam after training').toEqual([]);
});

// Issue 23, dark mode: it follows the system, the toggle overrides it (and is remembered), and
// the dark page passes the same accessibility check (contrast included), charts and all.
test('dark mode follows the system, toggles, and stays readable', async ({ page }) => {
  await page.emulateMedia({ colorScheme: 'dark' });
  await openOnWebGpu(page, '#m=dino&p=tiny&s=6');
  const theme = () => page.evaluate(() => document.documentElement.dataset.theme);
  expect(await theme()).toBe('dark');
  const toggle = page.getByTestId('theme-toggle');
  await expect(toggle).toHaveAttribute('aria-label', 'Theme: auto (dark)');
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect.poll(() => stepNow(page), { timeout: 120_000 }).toBeGreaterThanOrEqual(3);
  await page.getByRole('button', { name: 'Pause', exact: true }).click();
  await expect(page.getByTestId('run-state')).toHaveText('paused', { timeout: 120_000 });
  const serious = (await new AxeBuilder({ page }).analyze()).violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(serious.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`)).toEqual([]);
  await toggle.click(); // auto → dark (kept even if the system turns light)
  await toggle.click(); // dark → light
  await expect(toggle).toHaveAttribute('aria-label', 'Theme: light');
  expect(await theme()).toBe('light');
  await page.reload();
  await expect(page.getByTestId('theme-toggle')).toHaveAttribute('aria-label', 'Theme: light');
  expect(await theme()).toBe('light');
});
