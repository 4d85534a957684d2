import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { batchMeanEntropy, embeddingStd, meanEntropy, meanKl, smallGram } from './collapse';
import { rankMeFromGram } from './spectrum';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const value = (t: tf.Tensor) => t.dataSync()[0];
const K = 8;

describe('distribution metrics on hand-made inputs', () => {
  it('entropy is ln K for uniform rows and 0 for one-hot rows', () => {
    const uniform = tf.logSoftmax(tf.zeros([4, K])) as tf.Tensor2D;
    expect(value(meanEntropy(uniform))).toBeCloseTo(Math.log(K), 5);
    const oneHot = tf.logSoftmax(tf.mul(tf.oneHot([0, 3, 5, 7], K).asType('float32'), 100)) as tf.Tensor2D;
    expect(value(meanEntropy(oneHot))).toBeCloseTo(0, 5);
  });

  it('entropy of a known distribution', () => {
    // p = [0.5, 0.25, 0.25] → H = 1.5 ln 2.
    const logP = tf.log(tf.tensor2d([[0.5, 0.25, 0.25]])) as tf.Tensor2D;
    expect(value(meanEntropy(logP))).toBeCloseTo(1.5 * Math.log(2), 5);
  });

  it('batch-mean entropy separates sharp-but-spread from one dominant prototype', () => {
    const spread = tf.oneHot([0, 1, 2, 3], 4).asType('float32') as tf.Tensor2D; // every row sharp, all different
    expect(value(batchMeanEntropy(spread))).toBeCloseTo(Math.log(4), 5);
    const same = tf.oneHot([2, 2, 2, 2], 4).asType('float32') as tf.Tensor2D;
    expect(value(batchMeanEntropy(same))).toBeCloseTo(0, 5);
  });

  it('KL is 0 between equal distributions and matches the formula otherwise', () => {
    const logP = tf.log(tf.tensor2d([[0.5, 0.5], [0.9, 0.1]])) as tf.Tensor2D;
    expect(value(meanKl(logP, logP))).toBeCloseTo(0, 6);
    const logQ = tf.log(tf.tensor2d([[0.9, 0.1], [0.5, 0.5]])) as tf.Tensor2D;
    const kl = (p: number[], q: number[]) => p.reduce((a, pi, i) => a + pi * Math.log(pi / q[i]), 0);
    const expected = (kl([0.5, 0.5], [0.9, 0.1]) + kl([0.9, 0.1], [0.5, 0.5])) / 2;
    expect(value(meanKl(logP, logQ))).toBeCloseTo(expected, 5);
  });
});

describe('representation metrics', () => {
  it('std is 0 when every embedding is the same and √D·√(1/D)·… ≈ 1 for spread ones', () => {
    const same = tf.tile(tf.tensor2d([[1, 2, 3, 4]]), [16, 1]) as tf.Tensor2D;
    expect(value(embeddingStd(same))).toBeCloseTo(0, 3);
    // ±e_i for each axis: each coordinate is ±1 on 2 of 2D rows, 0 elsewhere → std √(1/D), × √D = 1.
    const D = 8;
    const rows: number[][] = [];
    for (let i = 0; i < D; i++) for (const sign of [1, -1]) rows.push(Array.from({ length: D }, (_, j) => (j === i ? sign : 0)));
    expect(value(embeddingStd(tf.tensor2d(rows)))).toBeCloseTo(1, 3);
  });

  it('RankMe from the small Gram: 1 for collinear embeddings, D for orthonormal ones', () => {
    const collinear = tf.mul(tf.tensor2d([[1], [2], [-1], [3]]), tf.tensor2d([[1, 0.5, 0]])) as tf.Tensor2D; // [4, 3], rank 1
    const g1 = smallGram(collinear);
    expect(g1.shape).toEqual([3, 3]);
    expect(rankMeFromGram(g1.dataSync(), 3)).toBeCloseTo(1, 3);
    const eye = tf.eye(5) as tf.Tensor2D;
    const wide = tf.concat([eye, tf.zeros([5, 3])], 1) as tf.Tensor2D; // [5, 8] → Gram 5×5
    const g2 = smallGram(wide);
    expect(g2.shape).toEqual([5, 5]);
    expect(rankMeFromGram(g2.dataSync(), 5)).toBeCloseTo(5, 3);
  });
});
