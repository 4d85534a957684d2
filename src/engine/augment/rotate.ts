import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../random';

/**
 * Random rotation of views about their centre, for data whose labels do not depend on pose
 * (the shapes: every class is drawn at any angle). Without it, two views of one image share
 * their object's orientation, which no other image has — a shortcut instance discrimination
 * takes instead of learning the shape.
 *
 * The matrix rows are tf.image.transform's inverse maps (output pixel → input point); the
 * corners the rotation uncovers are filled by reflection, so no black wedge tells the angle.
 */
export function sampleRotations(rng: Rng, count: number, maxDegrees: number): Float32Array {
  const angles = new Float32Array(count);
  if (maxDegrees <= 0) return angles;
  const max = (Math.min(maxDegrees, 180) * Math.PI) / 180;
  for (let i = 0; i < count; i++) angles[i] = rng.uniform(-max, max);
  return angles;
}

/** The inverse maps of rotations by `angles` (radians) about the centre of size×size images: [N, 8]. */
export function rotationTransforms(angles: Float32Array, size: number): Float32Array {
  const out = new Float32Array(angles.length * 8);
  const c = (size - 1) / 2;
  angles.forEach((angle, i) => {
    const cos = Math.cos(angle);
    const sin = Math.sin(angle);
    // input = R(−θ)·(output − centre) + centre
    out.set([cos, sin, c - cos * c - sin * c, -sin, cos, c + sin * c - cos * c, 0, 0], i * 8);
  });
  return out;
}

/** Rotates each view by its angle (bilinear, reflected edges); angles of 0 leave views as they are. */
export function rotateViews(views: tf.Tensor4D, angles: Float32Array): tf.Tensor4D {
  if (angles.every((a) => a === 0)) return views;
  const size = views.shape[1];
  return tf.tidy(() => {
    const transforms = tf.tensor2d(rotationTransforms(angles, size), [angles.length, 8]);
    // tfjs 4.22's cpu Transform kernel fills every image after the first with zeros (webgpu,
    // webgl and wasm are right; rotate.test.ts checks each backend it can run): one view at a time there.
    if (tf.getBackend() !== 'cpu' || angles.length === 1) return tf.image.transform(views, transforms, 'bilinear', 'reflect');
    const one = (i: number) => tf.image.transform(tf.slice(views, [i, 0, 0, 0], [1, -1, -1, -1]), tf.slice(transforms, [i, 0], [1, 8]), 'bilinear', 'reflect');
    return tf.concat(Array.from({ length: angles.length }, (_, i) => one(i))) as tf.Tensor4D;
  });
}
