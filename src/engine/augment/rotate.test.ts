import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { Rng } from '../random';
import { rotateViews, sampleRotations } from './rotate';

describe('rotateViews', () => {
  const image = tf.tensor4d(Float32Array.from({ length: 4 * 4 * 3 }, (_, i) => i), [1, 4, 4, 3]);

  it('leaves views untouched at angle 0 and draws no random numbers when off', () => {
    const rng = Rng.stream(1, 'rot');
    expect(Array.from(sampleRotations(rng, 3, 0))).toEqual([0, 0, 0]);
    expect(rng.next()).toBe(Rng.stream(1, 'rot').next());
    expect(rotateViews(image, new Float32Array([0]))).toBe(image);
  });

  it('turns a view by a quarter turn about its centre (clockwise on screen, y pointing down)', async () => {
    const turned = rotateViews(image, new Float32Array([Math.PI / 2]));
    // out[y][x] = in[S−1−x][y]: the transpose, mirrored left to right.
    const expected = tf.reverse(tf.transpose(image, [0, 2, 1, 3]), 2);
    const [a, b] = await Promise.all([turned.data(), expected.data()]);
    for (let i = 0; i < a.length; i++) expect(a[i]).toBeCloseTo(b[i], 4);
  });

  it('draws angles within ±max', () => {
    const angles = sampleRotations(Rng.stream(2, 'rot'), 500, 45);
    expect(Math.max(...angles.map(Math.abs))).toBeLessThanOrEqual(Math.PI / 4);
    expect(Math.max(...angles)).toBeGreaterThan(0.7);
  });
});
