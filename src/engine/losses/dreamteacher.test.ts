import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../random';
import { attentionMap, attentionTransferLoss, channelNormalize, featureRegressionLoss } from './dreamteacher';

/**
 * Reference numbers: float64 numpy from our own restatement of DreamTeacher's equations (Li et al.
 * 2023; no official code is public): LN over channels without affine (eps 1e-5), L_MSE as the
 * per-element mean of (f_s − LN(f_t))², attention maps Σ_c f_c² L2-normalised per image, L_AT the
 * mean over images of ‖Q_s − Q_t‖₂.
 */
// scripts/reference/dreamteacher_reference.py prints these.
const TEACHER = [1.0, -2.0, 0.5, 0.3, 0.8, -1.1, 2.5, 0.0, -0.5, -1.5, 1.2, 0.9];
const STUDENT = [0.7, -1.0, 0.2, 0.1, 1.4, -0.9, 1.1, -0.3, -0.6, -1.2, 0.4, 1.3];
const EXTRA = [0.4, -0.2, 1.0, 0.0, -0.7, 0.3, 0.5, 0.6]; // two more teacher channels per position
const REFERENCE = {
  normalized: [0.888998, -1.396997, 0.507999, 0.373059, 0.994824, -1.367883, 1.396997, -0.507999, -0.888998, -1.406925, 0.827603, 0.579322],
  mse: 0.142155,
  studentMap: [0.314619, 0.571661, 0.341351, 0.676534],
  teacherMap: [0.541998, 0.200281, 0.671045, 0.464569],
  at: 0.585876,
  wideTeacherMap: [0.509135, 0.274653, 0.661409, 0.477373],
  wideAt: 0.517834,
};

/** 2×2 positions × 3 channels as one [1, 2, 2, 3] map. */
const map = (values: number[], channels = 3) => tf.tensor4d(values, [1, 2, 2, channels]);
const close = (actual: ArrayLike<number>, expected: number[], digits = 5) =>
  expected.forEach((e, i) => expect(actual[i], `entry ${i}`).toBeCloseTo(e, digits));
const scalar = (t: tf.Tensor) => t.dataSync()[0];

function randomMap(seed: number, shape: [number, number, number, number]): tf.Tensor4D {
  const rng = new Rng(seed);
  const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < values.length; i++) values[i] = rng.normal();
  return tf.tensor4d(values, shape);
}

/** The 5-channel teacher: TEACHER's 3 channels then EXTRA's 2 at each position. */
function wideTeacher(): tf.Tensor4D {
  return tf.concat([map(TEACHER), map(EXTRA, 2)], 3);
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('DreamTeacher losses', () => {
  it('match the reference numbers', () => {
    close(channelNormalize(map(TEACHER)).dataSync(), REFERENCE.normalized);
    expect(scalar(featureRegressionLoss(map(STUDENT), map(TEACHER)))).toBeCloseTo(REFERENCE.mse, 5);
    close(attentionMap(map(STUDENT)).dataSync(), REFERENCE.studentMap);
    close(attentionMap(map(TEACHER)).dataSync(), REFERENCE.teacherMap);
    expect(attentionMap(map(STUDENT)).shape).toEqual([1, 4]);
    expect(scalar(attentionTransferLoss(map(STUDENT), map(TEACHER)))).toBeCloseTo(REFERENCE.at, 5);
  });

  it('channelNormalize gives every position mean 0 and variance ~1 over channels', () => {
    const x = tf.add(tf.mul(randomMap(1, [2, 3, 4, 16]), 5), 3) as tf.Tensor4D;
    const { mean, variance } = tf.moments(channelNormalize(x), 3);
    expect(mean.shape).toEqual([2, 3, 4]);
    mean.dataSync().forEach((m) => expect(m).toBeCloseTo(0, 5));
    variance.dataSync().forEach((v) => expect(v).toBeCloseTo(1, 4));
    // The MSE against the normalised teacher is 0 when the student already is that.
    expect(scalar(featureRegressionLoss(channelNormalize(x), x))).toBeLessThan(1e-10);
  });

  it('AT loss is 0 for identical maps and invariant to scaling either map', () => {
    const s = randomMap(2, [3, 4, 4, 8]);
    const t = randomMap(3, [3, 4, 4, 8]);
    expect(scalar(attentionTransferLoss(s, s))).toBe(0);
    // Scaling a map by k scales Q by k², which the L2 normalisation removes.
    expect(scalar(attentionTransferLoss(tf.mul(s, 7) as tf.Tensor4D, s))).toBeLessThan(1e-6);
    const base = scalar(attentionTransferLoss(s, t));
    expect(base).toBeGreaterThan(0);
    expect(scalar(attentionTransferLoss(tf.mul(s, 0.1) as tf.Tensor4D, t))).toBeCloseTo(base, 5);
    expect(scalar(attentionTransferLoss(s, tf.mul(t, 30) as tf.Tensor4D))).toBeCloseTo(base, 5);
    // The maps are unit vectors with non-negative entries, so the loss lies in [0, √2].
    expect(base).toBeLessThanOrEqual(Math.SQRT2);
    const norms = tf.norm(attentionMap(s), 2, 1).dataSync();
    norms.forEach((n) => expect(n).toBeCloseTo(1, 5));
  });

  it('AT loss works when student and teacher have different channel counts', () => {
    close(attentionMap(wideTeacher()).dataSync(), REFERENCE.wideTeacherMap);
    expect(scalar(attentionTransferLoss(map(STUDENT), wideTeacher()))).toBeCloseTo(REFERENCE.wideAt, 5);
    const loss = attentionTransferLoss(randomMap(4, [2, 4, 4, 8]), randomMap(5, [2, 4, 4, 32]));
    expect(Number.isFinite(scalar(loss))).toBe(true);
    expect(() => attentionTransferLoss(randomMap(4, [2, 4, 4, 8]), randomMap(5, [2, 2, 2, 8]))).toThrow(/do not match/);
    expect(() => featureRegressionLoss(map(STUDENT), wideTeacher())).toThrow(/do not match/);
  });

  it('the teacher gets no gradient; the student does', () => {
    const s = randomMap(6, [2, 4, 4, 8]);
    const t = randomMap(7, [2, 4, 4, 8]);
    const losses: [string, (a: tf.Tensor4D, b: tf.Tensor4D) => tf.Scalar][] = [
      ['mse', featureRegressionLoss],
      ['at', attentionTransferLoss],
      ['sum', (a, b) => tf.add(featureRegressionLoss(a, b), attentionTransferLoss(a, b))],
    ];
    for (const [name, loss] of losses) {
      const [gs, gt] = tf.grads((a: tf.Tensor, b: tf.Tensor) => loss(a as tf.Tensor4D, b as tf.Tensor4D))([s, t]);
      expect(tf.max(tf.abs(gt)).dataSync()[0], `${name} teacher`).toBe(0);
      expect(tf.max(tf.abs(gs)).dataSync()[0], `${name} student`).toBeGreaterThan(0);
      expect(gs.dataSync().every(Number.isFinite), `${name} finite`).toBe(true);
    }
  });

  it('the AT gradient is finite (zero) at identical maps and for an all-zero student', () => {
    const s = randomMap(8, [2, 4, 4, 8]);
    const atSame = tf.grad((a: tf.Tensor) => attentionTransferLoss(a as tf.Tensor4D, s))(s);
    expect(atSame.dataSync().every((v) => v === 0)).toBe(true);
    const zero = tf.zeros([2, 4, 4, 8]) as tf.Tensor4D;
    expect(attentionMap(zero).dataSync().every((v) => v === 0)).toBe(true);
    const atZero = tf.grad((a: tf.Tensor) => attentionTransferLoss(a as tf.Tensor4D, s))(zero);
    expect(atZero.dataSync().every(Number.isFinite)).toBe(true);
  });

  it('leaks no tensors', () => {
    const s = randomMap(9, [2, 4, 4, 8]);
    const t = randomMap(10, [2, 4, 4, 16]);
    const before = tf.memory().numTensors;
    const loss = attentionTransferLoss(s, t);
    const mse = featureRegressionLoss(s, randomMap(11, [2, 4, 4, 8]));
    expect(tf.memory().numTensors).toBe(before + 3); // the two losses and the random teacher
    tf.dispose([loss, mse]);
  });
});
