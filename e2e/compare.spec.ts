import { expect, test, type Page } from '@playwright/test';

/** Points of each line of a chart (data-line-points, "3,2"). */
async function linePoints(page: Page, testId: RegExp): Promise<number[]> {
  const value = await page.getByTestId(testId).first().getAttribute('data-line-points');
  return value ? value.split(',').map(Number) : [];
}

test('a teaching preset opens two runs, trains both on WebGPU and overlays their curves', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto('/#m=dino&p=tiny&s=4');
  await expect(page.getByTestId('backend-status')).toContainText('webgpu', { timeout: 120_000 });

  await page.getByRole('combobox', { name: 'Open a teaching comparison' }).selectOption('remove-centering');
  await expect(page.getByTestId('lesson')).toContainText('Remove centering');
  await expect(page.getByTestId('lesson')).toContainText('Centering subtracts the running mean');
  await expect(page.getByTestId('lesson')).toContainText('DINO lesson: Remove centering');
  // When the difference shows (methods/lessonTimings.json), and how long that is at this run's speed.
  await expect(page.getByTestId('lesson-when')).toContainText('The difference shows after about 57 steps');
  await expect(page.getByTestId('lesson-when')).toContainText(/at this run’s [\d.]+ steps\/s/, { timeout: 120_000 });
  const chips = page.getByTestId('run-chip');
  await expect(chips).toHaveCount(2);
  await expect(chips.nth(0)).toContainText('healthy');
  await expect(chips.nth(1)).toContainText('no centering');

  // Both runs train side by side: two curves on the comparison chart (teacher entropy).
  const compare = /^chart-compare-/;
  await expect.poll(async () => {
    const counts = await linePoints(page, compare);
    return counts.length === 2 ? Math.min(...counts) : 0;
  }, { timeout: 240_000 }).toBeGreaterThanOrEqual(2);
  expect(await linePoints(page, compare)).toHaveLength(2);
  await expect(page.getByTestId(compare)).toContainText('Teacher entropy');
  await page.getByRole('button', { name: 'Pause all' }).click();
  await expect(page.getByRole('button', { name: 'Train all' })).toBeEnabled({ timeout: 60_000 });

  // The focused run's collapse panel: its curves, the center and the distributions are drawn.
  expect(Number(await page.getByTestId('chart-teacher-entropy').getAttribute('data-points'))).toBeGreaterThanOrEqual(2);
  await expect(page.getByTestId('vector-center')).toHaveAttribute('data-rows', 'yes');
  await expect(page.getByTestId('distribution-stats')).toContainText('teacher H =');
  await expect(page.getByTestId('collapse-banner')).toBeVisible();

  // Hiding a run removes its curve.
  await page.getByRole('checkbox', { name: 'Show no centering on the comparison chart' }).uncheck();
  await expect.poll(() => linePoints(page, compare).then((c) => c.length)).toBe(1);

  // The comparison is a link: reload and find the same two runs (replayed from step 0) and the lesson.
  await expect(page).toHaveURL(/lesson=remove-centering/);
  expect(page.url()).toContain(';');
  await page.reload();
  await expect(page.getByTestId('run-chip')).toHaveCount(2);
  await expect(page.getByTestId('run-chip').nth(1)).toContainText('no centering');
  await expect(page.getByTestId('run-chip').nth(1)).toContainText('paused · 0/');
  await expect(page.getByTestId('lesson')).toContainText('Remove centering');
  expect(errors).toEqual([]);
});

test('duplicate with a change starts a sibling run; each run keeps its own settings', async ({ page }) => {
  await page.goto('/#m=dino&p=tiny&s=6');
  await expect(page.getByTestId('backend-status')).toContainText('webgpu', { timeout: 120_000 });
  await expect(page.getByTestId('run-state')).toHaveText('paused', { timeout: 120_000 });

  await page.getByLabel('Centering', { exact: true }).uncheck();
  await page.getByRole('button', { name: /Duplicate with a change/ }).click();
  const chips = page.getByTestId('run-chip');
  await expect(chips).toHaveCount(2);
  await expect(chips.nth(1)).toContainText('Run 1 · centering off');
  // The sibling is focused and trains; the panel shows its settings.
  await expect(page.getByLabel('Centering', { exact: true })).not.toBeChecked();
  await expect(page.getByTestId('run-state')).toHaveText('running', { timeout: 120_000 });

  // Back to the original: centering is on there, and nothing is pending.
  await chips.nth(0).getByRole('button', { name: 'Run 1', exact: true }).click();
  await expect(page.getByLabel('Centering', { exact: true })).toBeChecked();
  await expect(page.locator('.changed-banner')).toHaveCount(0);
  await expect(page).toHaveURL(/name=Run%201%20%C2%B7%20centering%20off/);

  // Removing the sibling leaves one run and the short link.
  await page.getByRole('button', { name: 'Remove Run 1 · centering off' }).click();
  await expect(chips).toHaveCount(1);
  await expect(page).not.toHaveURL(/;/);
});
