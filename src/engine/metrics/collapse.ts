import * as tf from '@tensorflow/tfjs';
import { l2Normalize } from '../nn/layers';

/**
 * Collapse metrics computed on the GPU. Every method reports the embeddings it wants watched
 * (StepOutput.embeddings); the trainer turns them into these, and methods with a softmax over
 * prototypes (DINO) add the distribution statistics below.
 */

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

/**
 * The smaller Gram matrix of the embeddings, Z·Zᵀ [N, N] or Zᵀ·Z [D, D]: both have the squared
 * singular values of Z as eigenvalues, so RankMe (spectrum.ts) needs only this small matrix on
 * the CPU, not the embeddings.
 */
export function smallGram(embeddings: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const [n, d] = embeddings.shape;
    return (n <= d ? tf.matMul(embeddings, embeddings, false, true) : tf.matMul(embeddings, embeddings, true, false)) as tf.Tensor2D;
  });
}

/** Mean over rows of the entropy −Σ_k p log p, from log-probabilities [N, K] (nats). */
export function meanEntropy(logProbs: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => tf.neg(tf.mean(tf.sum(tf.mul(tf.exp(logProbs), logProbs), 1))) as tf.Scalar);
}

/**
 * Entropy of the batch-mean distribution, H(mean_n p_n): ln K when the batch as a whole uses
 * every prototype equally (even if each row is sharp), 0 when every row picks the same one.
 */
export function batchMeanEntropy(probs: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const mean = tf.mean(probs, 0);
    return tf.neg(tf.sum(tf.mul(mean, tf.log(tf.maximum(mean, 1e-12))))) as tf.Scalar;
  });
}

/** Mean over rows of KL(p‖q) = Σ_k p (log p − log q), from log-probabilities [N, K]. */
export function meanKl(logP: tf.Tensor2D, logQ: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.sum(tf.mul(tf.exp(logP), tf.sub(logP, logQ)), 1)) as tf.Scalar);
}
