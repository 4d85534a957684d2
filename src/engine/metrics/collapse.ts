import * as tf from '@tensorflow/tfjs';
import { l2Normalize } from '../nn/layers';

/**
 * Standard deviation of L2-normalised embeddings across the batch, averaged over dimensions
 * and scaled by √D (SimSiam §4.1): ≈ 1 for well-spread unit vectors, 0 when every image maps
 * to the same point.
 */
export function embeddingStd(embeddings: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const dim = embeddings.shape[1];
    const normalized = l2Normalize(embeddings);
    const { variance } = tf.moments(normalized, 0);
    return tf.mul(tf.mean(tf.sqrt(tf.add(variance, 1e-12))), Math.sqrt(dim)) as tf.Scalar;
  });
}
