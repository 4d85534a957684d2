import * as tf from '@tensorflow/tfjs';
import { l2Normalize, stopGradient } from '../nn/layers';

/**
 * The losses of the SimCLR / MoCo / BYOL / SimSiam lineage. Inputs are [B, D] embeddings of
 * view 1 and view 2 of the same B images, row i of each from image i.
 */

/** Cross-entropy of `logits` [N, C] against the class index in `labels` (CPU), batch mean. */
function crossEntropy(logits: tf.Tensor2D, labels: number[]): tf.Scalar {
  const logProbs = tf.logSoftmax(logits);
  const picked = tf.sum(tf.mul(logProbs, tf.oneHot(tf.tensor1d(labels, 'int32'), logits.shape[1])), 1);
  return tf.neg(tf.mean(picked)) as tf.Scalar;
}

const LARGE = 1e9;

/**
 * SimCLR's NT-Xent (google-research/simclr, objective.py add_contrastive_loss): cosine
 * similarities / τ; for each image of view 1 the positive is its view 2, and the negatives are
 * every other image of both views (its own view-1 logit masked out); likewise from view 2. The
 * official code adds the two directions' batch means: L = L_a + L_b.
 */
export function ntXentLoss(z1: tf.Tensor2D, z2: tf.Tensor2D, temperature: number): tf.Scalar {
  return tf.tidy(() => {
    const B = z1.shape[0];
    const a = l2Normalize(z1) as tf.Tensor2D;
    const b = l2Normalize(z2) as tf.Tensor2D;
    const self = tf.mul(tf.eye(B), LARGE);
    const ab = tf.div(tf.matMul(a, b, false, true), temperature);
    const aa = tf.sub(tf.div(tf.matMul(a, a, false, true), temperature), self);
    const ba = tf.div(tf.matMul(b, a, false, true), temperature);
    const bb = tf.sub(tf.div(tf.matMul(b, b, false, true), temperature), self);
    const labels = Array.from({ length: B }, (_, i) => i);
    const lossA = crossEntropy(tf.concat([ab, aa], 1) as tf.Tensor2D, labels);
    const lossB = crossEntropy(tf.concat([ba, bb], 1) as tf.Tensor2D, labels);
    return tf.add(lossA, lossB) as tf.Scalar;
  });
}

/**
 * MoCo v3's InfoNCE (facebookresearch/moco-v3, builder.py contrastive_loss): q·kᵀ / τ over
 * the batch, the matching key as the positive, scaled by 2τ. Keys carry no gradient.
 */
export function mocoV3Loss(q: tf.Tensor2D, k: tf.Tensor2D, temperature: number): tf.Scalar {
  return tf.tidy(() => {
    const B = q.shape[0];
    const logits = tf.div(tf.matMul(l2Normalize(q), stopGradient(l2Normalize(k)), false, true), temperature) as tf.Tensor2D;
    return tf.mul(crossEntropy(logits, Array.from({ length: B }, (_, i) => i)), 2 * temperature) as tf.Scalar;
  });
}

/**
 * MoCo v2's InfoNCE with a queue (facebookresearch/moco, builder.py MoCo.forward): the
 * positive logit q·k and the negatives q·queueᵀ, all / τ, class 0 is the positive.
 */
export function mocoQueueLoss(q: tf.Tensor2D, k: tf.Tensor2D, queue: tf.Tensor2D, temperature: number): tf.Scalar {
  return tf.tidy(() => {
    const qn = l2Normalize(q);
    const kn = stopGradient(l2Normalize(k));
    const positive = tf.sum(tf.mul(qn, kn), 1, true);
    const negatives = tf.matMul(qn, stopGradient(queue), false, true);
    const logits = tf.div(tf.concat([positive, negatives], 1), temperature) as tf.Tensor2D;
    return crossEntropy(logits, new Array<number>(q.shape[0]).fill(0));
  });
}

/** Batch mean of 2 − 2·cos(p, z) (BYOL's regression_loss); z is the target, no gradient. */
export function byolRegression(p: tf.Tensor2D, z: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const cos = tf.sum(tf.mul(l2Normalize(p), stopGradient(l2Normalize(z))), 1);
    return tf.mean(tf.sub(2, tf.mul(cos, 2))) as tf.Scalar;
  });
}

/**
 * SimSiam's negative cosine D(p, z) = −cos(p, z), batch mean (facebookresearch/simsiam: the
 * criterion is CosineSimilarity, loss = −(D… + D…)·0.5). With `stop` false the gradient also
 * flows into z: the "no stop-gradient" switch, which collapses.
 */
export function negativeCosine(p: tf.Tensor2D, z: tf.Tensor2D, stop = true): tf.Scalar {
  return tf.tidy(() => {
    const target = l2Normalize(z);
    const cos = tf.sum(tf.mul(l2Normalize(p), stop ? stopGradient(target) : target), 1);
    return tf.neg(tf.mean(cos)) as tf.Scalar;
  });
}

/**
 * MoCo's queue of negative keys: a ring buffer [K, D] on the GPU that the newest keys
 * overwrite at the write position (MoCo._dequeue_and_enqueue), so the oldest keys leave
 * first. K must be a multiple of the keys enqueued per step.
 */
export class KeyQueue {
  readonly keys: tf.Variable; // [K, D], rows unit vectors
  private position = 0;

  constructor(readonly size: number, dim: number, initial: Float32Array) {
    this.keys = tf.tidy(() => tf.variable(l2Normalize(tf.tensor2d(initial, [size, dim])), false));
  }

  /** Writes `keys` [n, D] (unit vectors, no gradient) at the write position and advances it. */
  enqueue(keys: tf.Tensor2D): void {
    const n = keys.shape[0];
    if (this.size % n !== 0) throw new Error(`Queue size ${this.size} is not a multiple of the ${n} keys per step`);
    tf.tidy(() => {
      const parts: tf.Tensor[] = [];
      if (this.position > 0) parts.push(tf.slice(this.keys, [0, 0], [this.position, -1]));
      parts.push(keys);
      const after = this.size - this.position - n;
      if (after > 0) parts.push(tf.slice(this.keys, [this.position + n, 0], [after, -1]));
      this.keys.assign(parts.length === 1 ? parts[0] : tf.concat(parts, 0));
    });
    this.position = (this.position + n) % this.size;
  }

  get writePosition(): number {
    return this.position;
  }

  dispose(): void {
    this.keys.dispose();
  }
}
