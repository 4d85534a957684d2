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

  // tfjs 4.22's cpu Transform kernel turns only the first image of a batch and leaves the rest
  // black; the learn presets (rotation 180) trained on black second views on the cpu backend.
  it('turns every view of a batch, each by its own angle, on cpu and on wasm', async () => {
    const batch = tf.tensor4d(Float32Array.from({ length: 3 * 4 * 4 * 3 }, (_, i) => (i % 48) + 1), [3, 4, 4, 3]);
    const angles = new Float32Array([Math.PI / 2, Math.PI, -Math.PI / 2]);
    const previous = tf.getBackend();
    await import('@tensorflow/tfjs-backend-wasm');
    for (const backend of ['cpu', 'wasm']) {
      await tf.setBackend(backend);
      const turned = rotateViews(batch, angles);
      for (let i = 0; i < 3; i++) {
        const alone = rotateViews(tf.slice(batch, [i, 0, 0, 0], [1, -1, -1, -1]), angles.subarray(i, i + 1));
        const [a, b] = await Promise.all([tf.slice(turned, [i, 0, 0, 0], [1, -1, -1, -1]).data(), alone.data()]);
        expect(Array.from(a).map((v) => Math.round(v * 1e4)), `${backend}, view ${i}`).toEqual(Array.from(b).map((v) => Math.round(v * 1e4)));
      }
      // No view is black: each keeps about its image's mean (reflected edges, nothing uncovered).
      const means = await tf.mean(turned, [1, 2, 3]).data();
      for (const mean of means) expect(mean).toBeGreaterThan(0.8 * 24.5);
    }
    await tf.setBackend(previous);
  });

  it('draws angles within ±max', () => {
    const angles = sampleRotations(Rng.stream(2, 'rot'), 500, 45);
    expect(Math.max(...angles.map(Math.abs))).toBeLessThanOrEqual(Math.PI / 4);
    expect(Math.max(...angles)).toBeGreaterThan(0.7);
  });
});
