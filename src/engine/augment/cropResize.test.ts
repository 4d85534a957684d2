import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { cropAndResize } from './cropResize';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('cropAndResize', () => {
  it('cuts box i from image imageIndex[i], with more boxes than images', async () => {
    // Image b is the constant b + 1, so a crop's mean names the image it came from. (tfjs's
    // WebGL kernel gets this wrong: it gives [1, 2, 3, 4, 4, 4, 4, 4] for this input.)
    const images = tf.mul(tf.ones([4, 8, 8, 3]), tf.reshape(tf.range(1, 5), [4, 1, 1, 1])) as tf.Tensor4D;
    const imageIndex = [0, 3, 2, 1, 0, 3, 2, 1];
    const boxes = tf.tensor2d(imageIndex.flatMap(() => [0.1, 0.9, 0.9, 0.1]), [8, 4]); // flipped boxes too
    const crops = cropAndResize(images, boxes, imageIndex, [4, 4]);
    expect(crops.shape).toEqual([8, 4, 4, 3]);
    expect(Array.from(await tf.mean(crops, [1, 2, 3]).data())).toEqual(imageIndex.map((b) => b + 1));
  });

  it('matches tf.image.cropAndResize where that is right', async () => {
    const images = tf.randomUniform([3, 6, 6, 3], 0, 1, 'float32', 5) as tf.Tensor4D;
    const boxes = tf.tensor2d([[0, 0, 1, 1], [0.2, 0.5, 0.7, 0.1], [0.3, 0.3, 0.6, 0.9]]);
    const ours = cropAndResize(images, boxes, [2, 0, 1], [5, 5]);
    const theirs = tf.image.cropAndResize(images, boxes, tf.tensor1d([2, 0, 1], 'int32'), [5, 5]);
    expect(Array.from(await ours.data())).toEqual(Array.from(await theirs.data()));
  });
});
