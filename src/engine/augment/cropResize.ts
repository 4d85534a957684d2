import * as tf from '@tensorflow/tfjs';

/**
 * tf.image.cropAndResize, but correct on every backend: box i is cut from image
 * `imageIndex[i]`. tfjs-backend-webgl 4.22's kernel ignores boxInd and reads image i
 * (clamped to the last one), so with more boxes than images — every multi-crop batch — all
 * crops past the first B came from the last image. Gathering the images into box order
 * first makes boxInd the identity, which every backend gets right; the gather costs one copy
 * of the source images per crop, small next to the network.
 */
export function cropAndResize(
  images: tf.Tensor4D, boxes: tf.Tensor2D, imageIndex: readonly number[], size: [number, number],
): tf.Tensor4D {
  return tf.tidy(() => {
    const count = imageIndex.length;
    const identity = imageIndex.every((b, i) => b === i) && count === images.shape[0];
    const source = identity ? images : (tf.gather(images, tf.tensor1d(imageIndex as number[], 'int32')) as tf.Tensor4D);
    const order = tf.tensor1d(Array.from({ length: count }, (_, i) => i), 'int32');
    return tf.image.cropAndResize(source, boxes, order, size, 'bilinear');
  });
}
