/**
 * The lineage's losses against the official formulas, restated here with plain loops over
 * small fixed inputs (no tensors), and their closed forms for identical embeddings:
 *   SimCLR  (google-research/simclr objective.py add_contrastive_loss): L_a + L_b, each the
 *           batch mean of −log softmax over [a·bᵀ, a·aᵀ with self masked] / τ at the positive;
 *           identical embeddings → 2·ln(2B − 1).
 *   MoCo v3 (facebookresearch/moco-v3 builder.py contrastive_loss): CE(q·kᵀ/τ, diag)·2τ;
 *           identical → 2τ·ln B.
 *   MoCo v2 (facebookresearch/moco builder.py): CE([q·k, q·queueᵀ]/τ, 0).
 *   BYOL    (deepmind-research byol_experiment regression_loss): mean 2 − 2·cos; identical → 0.
 *   SimSiam (facebookresearch/simsiam main_simsiam.py): −mean cos; identical → −1.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { byolRegression, KeyQueue, mocoQueueLoss, mocoV3Loss, negativeCosine, ntXentLoss } from './contrastive';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const Z1 = [[1, 0.5, -0.2], [0.3, -1, 0.8], [-0.6, 0.2, 0.9], [0.1, 0.1, -1]];
const Z2 = [[0.9, 0.7, -0.1], [0.2, -0.8, 1], [-0.5, -0.1, 0.7], [0.4, 0.3, -0.9]];
const QUEUE = [[1, 0, 0], [0, 1, 0], [0, 0, 1], [0.6, 0.8, 0], [0, 0.6, -0.8], [-1, 0, 0]];

const unit = (v: number[]) => { const n = Math.hypot(...v); return v.map((x) => x / n); };
const dot = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i], 0);
const cos = (a: number[], b: number[]) => dot(unit(a), unit(b));
const logSumExp = (xs: number[]) => { const m = Math.max(...xs); return m + Math.log(xs.reduce((s, x) => s + Math.exp(x - m), 0)); };
const value = async (t: tf.Scalar) => (await t.data())[0];

function simclrReference(a: number[][], b: number[][], tau: number): number {
  const side = (x: number[][], y: number[][]) => {
    let total = 0;
    x.forEach((xi, i) => {
      const logits = [...y.map((yj) => cos(xi, yj) / tau), ...x.map((xj, j) => (j === i ? -Infinity : cos(xi, xj) / tau))];
      total += logSumExp(logits.filter(Number.isFinite)) - logits[i];
    });
    return total / x.length;
  };
  return side(a, b) + side(b, a);
}

function mocoV3Reference(q: number[][], k: number[][], tau: number): number {
  let total = 0;
  q.forEach((qi, i) => {
    const logits = k.map((kj) => cos(qi, kj) / tau);
    total += logSumExp(logits) - logits[i];
  });
  return (total / q.length) * 2 * tau;
}

function mocoQueueReference(q: number[][], k: number[][], queue: number[][], tau: number): number {
  let total = 0;
  q.forEach((qi, i) => {
    const logits = [cos(qi, k[i]) / tau, ...queue.map((n) => dot(unit(qi), n) / tau)];
    total += logSumExp(logits) - logits[0];
  });
  return total / q.length;
}

const t2 = (rows: number[][]) => tf.tensor2d(rows);

describe('contrastive and regression losses', () => {
  it('NT-Xent matches the official formula, and 2·ln(2B − 1) for identical embeddings', async () => {
    for (const tau of [0.1, 0.5]) {
      expect(await value(ntXentLoss(t2(Z1), t2(Z2), tau))).toBeCloseTo(simclrReference(Z1, Z2, tau), 4);
    }
    const same = Array.from({ length: 4 }, () => [0.3, -0.2, 0.7]);
    expect(await value(ntXentLoss(t2(same), t2(same), 0.2))).toBeCloseTo(2 * Math.log(7), 4);
  });

  it('MoCo v3 InfoNCE matches the official formula (scaled by 2τ), and 2τ·ln B for identical embeddings', async () => {
    expect(await value(mocoV3Loss(t2(Z1), t2(Z2), 0.2))).toBeCloseTo(mocoV3Reference(Z1, Z2, 0.2), 4);
    const same = Array.from({ length: 4 }, () => [1, 2, 3]);
    expect(await value(mocoV3Loss(t2(same), t2(same), 0.2))).toBeCloseTo(0.4 * Math.log(4), 4);
  });

  it('MoCo v2 InfoNCE with a queue matches the official formula', async () => {
    const queue = QUEUE.map(unit);
    expect(await value(mocoQueueLoss(t2(Z1), t2(Z2), t2(queue), 0.2))).toBeCloseTo(mocoQueueReference(Z1, Z2, queue, 0.2), 4);
  });

  it('BYOL regression: 2 − 2·cos, 0 for identical embeddings', async () => {
    const expected = Z1.reduce((s, p, i) => s + 2 - 2 * cos(p, Z2[i]), 0) / Z1.length;
    expect(await value(byolRegression(t2(Z1), t2(Z2)))).toBeCloseTo(expected, 5);
    expect(await value(byolRegression(t2(Z1), t2(Z1)))).toBeCloseTo(0, 5);
  });

  it('SimSiam negative cosine: −mean cos, −1 for identical embeddings', async () => {
    const expected = -Z1.reduce((s, p, i) => s + cos(p, Z2[i]), 0) / Z1.length;
    expect(await value(negativeCosine(t2(Z1), t2(Z2)))).toBeCloseTo(expected, 5);
    expect(await value(negativeCosine(t2(Z2), t2(Z2)))).toBeCloseTo(-1, 5);
  });

  it('stop-gradient: no gradient reaches the target unless switched off', () => {
    const p = t2(Z1);
    const z = t2(Z2);
    const gradZ = (stop: boolean) => tf.grad((zz: tf.Tensor) => negativeCosine(p, zz as tf.Tensor2D, stop))(z);
    expect(tf.max(tf.abs(gradZ(true))).dataSync()[0]).toBe(0);
    expect(tf.max(tf.abs(gradZ(false))).dataSync()[0]).toBeGreaterThan(0);
  });
});

describe('KeyQueue', () => {
  it('is first-in-first-out: each step overwrites the oldest keys', async () => {
    const queue = new KeyQueue(6, 2, new Float32Array(12).fill(1));
    const rows = async () => Array.from(await queue.keys.data()).map((v) => Math.round(v * 1000) / 1000);
    queue.enqueue(t2([[1, 0], [0, 1]]));
    expect(queue.writePosition).toBe(2);
    queue.enqueue(t2([[-1, 0], [0, -1]]));
    const r = Math.round(Math.SQRT1_2 * 1000) / 1000;
    expect(await rows()).toEqual([1, 0, 0, 1, -1, 0, 0, -1, r, r, r, r]);
    queue.enqueue(t2([[2, 2], [3, 3]])); // fills the last slots and wraps
    expect(queue.writePosition).toBe(0);
    queue.enqueue(t2([[5, 5], [6, 6]])); // the oldest (the first step's keys) go first
    expect((await rows()).slice(0, 4)).toEqual([5, 5, 6, 6]);
    expect((await rows()).slice(4, 8)).toEqual([-1, 0, 0, -1]);
    expect(() => queue.enqueue(t2([[1, 1], [1, 1], [1, 1], [1, 1]]))).toThrow(/multiple/);
    queue.dispose();
  });
});
