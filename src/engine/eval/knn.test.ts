import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../random';
import { knnAccuracy } from './knn';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Runs fn and checks it left no tensor behind (inputs are made and disposed outside). */
async function noLeak<T>(fn: () => Promise<T>): Promise<T> {
  const before = tf.memory().numTensors;
  const result = await fn();
  expect(tf.memory().numTensors).toBe(before);
  return result;
}

const unit = (degrees: number): [number, number] => [Math.cos((degrees * Math.PI) / 180), Math.sin((degrees * Math.PI) / 180)];

describe('knnAccuracy', () => {
  it('classifies 2-D clusters by angle, and scores wrong labels as misses', async () => {
    // Three classes on directions 0°, 120° and 240°, 5 train points each within ±10°; the test
    // points sit within ±10° too, so every nearest neighbour shares the class.
    const rng = new Rng(3);
    const points = (count: number) => {
      const rows: number[][] = [];
      const labels: number[] = [];
      for (let c = 0; c < 3; c++) {
        for (let i = 0; i < count; i++) {
          // Lengths from 0.5 to 3: the normalisation makes them irrelevant.
          const [x, y] = unit(c * 120 + rng.uniform(-10, 10));
          const length = rng.uniform(0.5, 3);
          rows.push([x * length, y * length]);
          labels.push(c);
        }
      }
      return { rows, labels: Int32Array.from(labels) };
    };
    const train = points(5);
    const test = points(4);
    const trainT = tf.tensor2d(train.rows);
    const testT = tf.tensor2d(test.rows);
    // k defaults to 20 but only 15 train points exist: k = 15, all of them vote; the 5 of the
    // right class at cosine ≥ cos 20° ≈ 0.94 outweigh the 10 at cosine ≤ cos 100° by far.
    expect(await noLeak(() => knnAccuracy(trainT, train.labels, testT, test.labels, 3))).toBe(1);
    expect(await noLeak(() => knnAccuracy(trainT, train.labels, testT, test.labels, 3, { k: 3 }))).toBe(1);
    // Mislabel 3 of the 12 test points: exactly those count as misses.
    const wrong = test.labels.slice();
    wrong[0] = 1;
    wrong[5] = 2;
    wrong[11] = 0;
    expect(await noLeak(() => knnAccuracy(trainT, train.labels, testT, wrong, 3, { k: 3 }))).toBe(0.75);
    trainT.dispose();
    testT.dispose();
  });

  it('lets one very close neighbour outvote two farther ones at T = 0.07, unlike a plain majority', async () => {
    // Query q = (1, 0), label 0. Train: A = (1, 0) of class 0 (cosine 1); B1 = (0.8, 0.6) and
    // B2 = (0.8, -0.6) of class 1 (cosine 0.8 each); two points of class 2 facing away.
    // k = 3 neighbours: A, B1, B2.
    //   Plain majority: class 1, two votes to one → wrong.
    //   T = 0.07: class 0 gets e^(1/0.07) = e^14.29 ≈ 1.6·10⁶; class 1 gets 2·e^(0.8/0.07) =
    //     2·e^11.43 ≈ 1.8·10⁵ → class 0 wins → right.
    //   T = 1: class 0 gets e^1 ≈ 2.72; class 1 gets 2·e^0.8 ≈ 4.45 → class 1 wins → wrong.
    //   T = 1000 is close to the plain majority: e^0.001 ≈ 1.001 versus 2·e^0.0008 ≈ 2.002.
    const train = tf.tensor2d([[1, 0], [0.8, 0.6], [0.8, -0.6], [-1, 0.1], [-1, -0.1]]);
    const trainLabels = Int32Array.from([0, 1, 1, 2, 2]);
    const query = tf.tensor2d([[3, 0]]); // length 3: only the direction counts
    const label = Int32Array.from([0]);
    const accuracy = (options: { k?: number; temperature?: number }) =>
      noLeak(() => knnAccuracy(train, trainLabels, query, label, 3, options));
    expect(await accuracy({ k: 3 })).toBe(1);
    expect(await accuracy({ k: 3, temperature: 1 })).toBe(0);
    expect(await accuracy({ k: 3, temperature: 1000 })).toBe(0);
    // With k = 20 (capped to 5) the two class-2 points join at cosine ≈ -0.995: e^(-14.2) each,
    // negligible, so T = 0.07 still picks class 0.
    expect(await accuracy({})).toBe(1);
    // A tiny temperature overflows exp(sim / T) unless the weights are shifted: still class 0.
    expect(await accuracy({ k: 3, temperature: 0.001 })).toBe(1);
    train.dispose();
    query.dispose();
  });

  it('gives the same answer when the test set is split into blocks', async () => {
    const rng = new Rng(11);
    const trainCount = 60;
    const testCount = 25;
    const dims = 8;
    const make = (n: number) => tf.tensor2d(Float32Array.from({ length: n * dims }, () => rng.normal()), [n, dims]);
    const train = make(trainCount);
    const test = make(testCount);
    const trainLabels = Int32Array.from({ length: trainCount }, () => rng.int(4));
    const testLabels = Int32Array.from({ length: testCount }, () => rng.int(4));
    const whole = await noLeak(() => knnAccuracy(train, trainLabels, test, testLabels, 4, { k: 5 }));
    const blocks = await noLeak(() => knnAccuracy(train, trainLabels, test, testLabels, 4, { k: 5, blockRows: 7 }));
    expect(blocks).toBe(whole);
    train.dispose();
    test.dispose();
  });

  it('rejects label counts that do not match the rows', async () => {
    const x = tf.tensor2d([[1, 0]]);
    await expect(knnAccuracy(x, Int32Array.from([0, 1]), x, Int32Array.from([0]), 2)).rejects.toThrow(/labels/);
    x.dispose();
  });
});
