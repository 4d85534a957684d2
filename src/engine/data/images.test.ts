import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { STORED_SIDE, UNLABELLED, type ImageSetData } from '../../measures/imageSets';
import { getMethod } from '../../methods/registry';
import { presetValues } from '../../state/url';
import { readCommon } from '../runConfig';
import { Trainer } from '../../training/trainer';
import { RunData } from './dataset';
import { splitImageSet } from './images';

beforeAll(async () => {
  await tf.setBackend('cpu');
  tf.env().set('IS_TEST', true);
});

/**
 * A labelled set of `count` images: class c is a flat colour (c·80 red), with image i's index
 * in its top-left pixel so each image can be told apart after shrinking.
 */
function colourSet(count: number, classes = 2, name = 'blocks'): ImageSetData {
  const area = STORED_SIDE * STORED_SIDE * 3;
  const pixels = new Uint8Array(count * area);
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    labels[i] = i % classes;
    for (let p = 0; p < STORED_SIDE * STORED_SIDE; p++) pixels[i * area + p * 3] = labels[i] * 80;
    pixels[i * area + 1] = i; // green of pixel 0
  }
  const classNames = classes > 1 ? Array.from({ length: classes }, (_, c) => `class ${c}`) : [UNLABELLED];
  return { name, side: STORED_SIDE, count, pixels, labels, classNames };
}

/** Image index written into pixel 0's green (64 px → 16 px averages 16 pixels: i/16). */
const indexOf = (images: Float32Array, n: number, size: number) => Math.round(images[n * size * size * 3 + 1] * 255 * (STORED_SIDE / size) ** 2);

describe('an own image set split for a run', () => {
  it('holds out the same images for every run, disjoint from training, at the run’s size', () => {
    const set = colourSet(60);
    const a = splitImageSet(set, 16);
    const b = splitImageSet(set, 32);
    expect([a.train.count, a.heldOut.count, a.probe.count]).toEqual([48, 12, 8]);
    const held = Array.from({ length: 12 }, (_, n) => indexOf(a.heldOut.images, n, 16));
    expect(Array.from({ length: 12 }, (_, n) => indexOf(b.heldOut.images, n, 32))).toEqual(held);
    const train = Array.from({ length: 48 }, (_, n) => indexOf(a.train.images, n, 16));
    expect(new Set([...held, ...train]).size).toBe(60);
    expect(Array.from({ length: 8 }, (_, n) => indexOf(a.probe.images, n, 16))).toEqual(held.slice(0, 8));
    // Labels follow their images; no masks.
    expect(Array.from(a.train.labels)).toEqual(train.map((i) => i % 2));
    expect([a.train.masks, a.probe.masks]).toEqual([null, null]);
    expect(a.train.images[0]).toBeCloseTo((train[0] % 2) * 80 / 255, 5);
  });

  it('refuses a set too small to hold out the probes', () => {
    expect(() => splitImageSet(colourSet(10), 16)).toThrow(/has 10 images; a run needs at least 16/);
  });
});

describe('RunData and the trainer on an own image set', () => {
  const values = (overrides: Record<string, number | string | boolean> = {}) => ({
    ...presetValues(getMethod('dino'), 'tiny'), dataset: 'blocks', ...overrides,
  });

  it('needs the set it names, and a batch that fits its training images', () => {
    expect(() => new RunData(readCommon(values()))).toThrow(/images of the set "blocks" did not come with the run/);
    expect(() => new RunData(readCommon(values({ batchSize: 64 })), colourSet(60))).toThrow(/Batch size 64 is larger than the 48 training images of "blocks" \(12 more are held out/);
    const data = new RunData(readCommon(values()), colourSet(60));
    expect(data.trainImages.shape).toEqual([48, 16, 16, 3]);
    expect(data.embedImages.shape).toEqual([12, 16, 16, 3]);
    data.dispose();
  });

  it('trains, probes without masks, and evaluates kNN and the linear probe only', async () => {
    const trainer = await Trainer.create(getMethod('dino'), values({ metricsEvery: 2 }), colourSet(60));
    const record = await trainer.runStep(true);
    expect(Number.isFinite(record!.values.loss)).toBe(true);
    const probes = await trainer.probe();
    const attention = probes.find((p) => p.kind === 'attention');
    expect(attention && 'masks' in attention ? attention.masks : 'none').toBeNull();
    const evaluation = await trainer.evaluate([0.1]);
    expect(Object.keys(evaluation.scores).sort()).toEqual(['knn', 'linear']);
    expect(evaluation.scores.knn).toBeGreaterThan(0.9); // two flat colours: trivially apart
    trainer.dispose();
  });

  it('refuses to evaluate an unlabelled set, and DDeP on one, saying why', async () => {
    const trainer = await Trainer.create(getMethod('dino'), values(), colourSet(60, 1));
    await expect(trainer.evaluate([0.1])).rejects.toThrow(/needs labelled images.*one subfolder per class/);
    trainer.dispose();
    const dep = getMethod('dep');
    await expect(Trainer.create(dep, { ...presetValues(dep, 'tiny-ddep'), dataset: 'blocks' }, colourSet(60, 1)))
      .rejects.toThrow(/DDeP’s supervised stage classifies labelled images/);
  });
});
