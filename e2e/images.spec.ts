import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { openOnWebGpu } from './app';
import { hugePngHeader, png } from './png';

const points = async (page: Page) => Number(await page.getByTestId('chart-loss').getAttribute('data-points'));

/**
 * A folder as a visitor would drop it: animals/red and animals/blue, ten images each of
 * different sizes and aspect ratios (a disc on a plain ground), plus a text file, a file that
 * claims to be a PNG but is not, and a PNG whose header claims 20000×15000 pixels.
 */
const roots: string[] = [];
test.afterAll(() => { for (const root of roots) rmSync(root, { recursive: true, force: true }); });

function animalsFolder(): string {
  const root = mkdtempSync(join(tmpdir(), 'ssl-images-'));
  roots.push(root);
  const folder = join(root, 'animals');
  for (const [name, colour] of [['red', [220, 40, 40]], ['blue', [40, 60, 220]]] as const) {
    mkdirSync(join(folder, name), { recursive: true });
    for (let i = 0; i < 10; i++) {
      const width = 40 + 7 * i;
      const height = 30 + 11 * ((i * 3) % 5);
      const r = Math.min(width, height) / 3;
      writeFileSync(join(folder, name, `${i}.png`), png(width, height, (x, y) =>
        ((x - width / 2) ** 2 + (y - height / 2) ** 2 < r * r ? [...colour] : [235 - 10 * i, 230, 210])));
    }
  }
  writeFileSync(join(folder, 'notes.txt'), 'what these are');
  writeFileSync(join(folder, 'broken.png'), Buffer.from('not really a png'));
  writeFileSync(join(folder, 'blue', 'huge.png'), hugePngHeader(20000, 15000));
  return folder;
}

const dataGroup = (page: Page) => page.locator('details.setting-group', { has: page.getByTestId('image-drop') });

// The visitor's own images: bad picks are refused with a message and keep nothing; a folder
// with one subfolder per class becomes a labelled set kept in the browser, shown with
// thumbnails and chosen as the dataset; a run trains on it (probes without masks, the classes
// in the embedding legend); it is still there after a reload; a link naming a set this browser
// lacks, and a link from a newer version, are refused with a message.
test('own images: a folder becomes a named, labelled set that runs train on and that lasts', async ({ page }) => {
  const errors = await openOnWebGpu(page, '#m=dino&p=tiny&s=3&me=1&pe=2');
  await dataGroup(page).locator('summary').click();
  const notices = page.getByTestId('notices');
  const sets = page.getByTestId('image-set');

  // Not images, and too few: refused, nothing kept.
  const files = page.getByTestId('image-files');
  await files.setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('hello') });
  await expect(notices).toContainText('None of the 1 file is an image this browser can read. 1 file skipped: notes.txt (not an image).');
  await files.setInputFiles(Array.from({ length: 5 }, (_, i) => ({ name: `${i}.png`, mimeType: 'image/png', buffer: png(20, 20, () => [i * 40, 0, 0]) })));
  await expect(notices).toContainText('An image set needs at least 16 images (8 are held out for the probes); only 5 could be read.');
  await expect(sets).toHaveCount(0);

  // A folder: decoded with a progress bar, labelled by its subfolders, the bad files named.
  await page.getByTestId('image-folder').setInputFiles(animalsFolder());
  await expect(sets).toHaveCount(1);
  await expect(sets).toContainText('animals');
  await expect(sets).toContainText('20 images, 2 classes (blue 10, red 10)');
  await expect(notices).toContainText('Added "animals": 20 images, 2 classes (blue 10, red 10). It is now the dataset');
  await expect(notices).toContainText('3 files skipped: animals/blue/huge.png (20000×15000 px, more than 50 megapixels), ' +
    'animals/broken.png (could not be decoded), animals/notes.txt (not an image).');
  const thumbs = sets.locator('canvas');
  const spread = await thumbs.evaluate((canvas: HTMLCanvasElement) => {
    const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
    let min = 255; let max = 0;
    for (let i = 0; i < data.length; i += 4) { min = Math.min(min, data[i]); max = Math.max(max, data[i]); }
    return [canvas.width, max - min];
  });
  expect(spread[0]).toBe(8 * 64);
  expect(spread[1]).toBeGreaterThan(100); // discs and grounds, not a blank strip
  const datasetSelect = page.locator('[data-setting="dataset"] select');
  await expect(datasetSelect).toHaveValue('animals');
  await expect(page).toHaveURL(/d=animals/);

  // A run on it: Reset builds it on the set, and it trains.
  await page.getByRole('button', { name: 'Reset', exact: true }).click();
  await expect(page.getByRole('button', { name: 'Train', exact: true })).toBeEnabled();
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect.poll(() => points(page), { timeout: 180_000 }).toBeGreaterThanOrEqual(3);
  await page.getByRole('button', { name: 'Pause', exact: true }).click();
  await expect(page.getByTestId('embedding-legend')).toContainText('blue');
  await expect(page.getByTestId('embedding-legend')).toContainText('red');
  await expect(page.getByTestId('attention-canvas')).toHaveCount(8);
  await expect(page.locator('.attention-grid .probe-view__metric')).toHaveCount(0); // no masks: no Jaccard
  await expect(page.getByTestId('notices').getByText(/error/i)).toHaveCount(0);

  // It lasts: after a reload the set is listed and the link's run is built on it.
  await page.reload();
  await expect(page.getByTestId('backend-status')).toContainText('webgpu', { timeout: 120_000 });
  await expect(page.getByRole('button', { name: 'Train', exact: true })).toBeEnabled();
  await expect(sets).toHaveCount(1);
  await expect(datasetSelect).toHaveValue('animals');
  await expect(page.getByTestId('attention-canvas')).toHaveCount(8);
  // An open run trains on it: it cannot be deleted.
  page.once('dialog', (dialog) => void dialog.accept());
  await sets.getByRole('button', { name: 'Delete animals' }).click();
  await expect(notices).toContainText('"animals" is the dataset of Run 1: remove or Reset those runs first.');
  await expect(sets).toHaveCount(1);

  // Exported, the run takes its images along. Imported again, the identical set is reused and
  // the run, open already, is not added twice; with other pixels under the same name, the set is
  // kept beside it as "animals (2)" and the run on it is a run of its own.
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-runs').click()]);
  const exported = JSON.parse(readFileSync(await download.path(), 'utf8'));
  expect(exported.imageSets.map((s: { name: string; count: number }) => [s.name, s.count])).toEqual([['animals', 20]]);
  const importer = page.getByTestId('import-runs');
  await importer.setInputFiles({ name: 'same.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(exported)) });
  await expect(notices).toContainText('same.json: its run is open here already. Nothing was added.');
  await expect(page.getByTestId('run-chip')).toHaveCount(1);
  await expect(sets).toHaveCount(1);
  exported.imageSets[0].pixels.base64 = `AAAA${exported.imageSets[0].pixels.base64.slice(4)}`;
  await importer.setInputFiles({ name: 'other.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(exported)) });
  await expect(page.getByTestId('run-chip')).toHaveCount(2);
  await expect(sets).toHaveCount(2);
  await expect(sets.first()).toContainText('animals (2)');
  await expect(page.getByTestId('run-chip').nth(1)).toContainText('paused', { timeout: 120_000 });
  await expect(datasetSelect).toHaveValue('animals (2)'); // the imported run is focused, on its own set

  // A link to a set this browser does not have, and a link from a newer version.
  await page.goto('/#m=dino&p=tiny&d=holiday%20photos');
  await expect(notices).toContainText('This run trains on the image set "holiday photos", which is not in this browser');
  await expect(datasetSelect.locator('option:checked')).toHaveText('holiday photos (not in this browser)');
  // Pasted into the open page, it changes nothing; arriving with it, the page opens as without a
  // link and keeps it in the address bar, to reload once the page is newer.
  const newer = 'This link was made by a newer version of SSL Playground (link version 2; this page reads version 1)';
  await page.goto('/#ver=2&m=loca&p=tiny');
  await expect(notices).toContainText(newer);
  await expect(page).toHaveURL(/#m=dino&p=tiny&s=1&d=holiday%20photos$/);
  await page.goto('about:blank');
  await page.goto('/#ver=2&m=loca&p=tiny');
  await expect(notices).toContainText(newer);
  await expect(page.getByTestId('backend-status')).toContainText('webgpu');
  await expect(page).toHaveURL(/#ver=2&m=loca&p=tiny$/);
  expect(errors).toEqual([]);
});
