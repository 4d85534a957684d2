import * as tf from '@tensorflow/tfjs';

/**
 * LOCA's losses (Caron et al. 2022; google-research/scenic projects/loca, trainer.py
 * loca_train_step and utils.sinkhorn), over the query patches of one step.
 *
 *   L = L_loc + L_clu + R
 *   L_loc = Σ_p w_p · −log softmax(z_p)[y_p] / (Σ_p w_p + 1e-8)   (w_p = 1 when y_p ≠ −1)
 *   L_clu = Σ_p w_p · −Σ_k Q[y_p]_k log softmax(s_p/τ_s)_k / (Σ_p w_p + 1e-8)
 *   R     = Σ_k p̄_k log p̄_k,  p̄ = mean over every query patch of softmax(s_p/τ_s)
 *
 * z_p: position logits over the N_ref reference patches; y_p: the reference patch under query
 * patch p, −1 outside the reference; s_p: the student's prototype logits; Q: Sinkhorn-normalised
 * teacher assignments of the reference patches.
 */

/**
 * utils.sinkhorn: starts from row-softmaxed probabilities [N, K] and alternates, `iterations`
 * times, dividing each column by its sum and then each row by its sum (so rows end summing to
 * 1 and every prototype gets roughly the same total weight). No exp inside, no 1/K factors.
 */
export function sinkhorn(probabilities: tf.Tensor2D, iterations: number): tf.Tensor2D {
  return tf.tidy(() => {
    let q: tf.Tensor2D = probabilities;
    for (let i = 0; i < iterations; i++) {
      q = tf.div(q, tf.sum(q, 0, true));
      q = tf.div(q, tf.sum(q, 1, true));
    }
    return q;
  });
}

/** The teacher's cluster targets for every reference patch: Sinkhorn(softmax(t / τ_t)). */
export function clusterTargets(teacherLogits: tf.Tensor2D, teacherTemperature: number, iterations: number): tf.Tensor2D {
  return tf.tidy(() => sinkhorn(tf.softmax(tf.div(teacherLogits, teacherTemperature)) as tf.Tensor2D, iterations));
}

/** 1 where the query patch lies inside the reference (target ≥ 0), else 0: [P] float32. */
export function insideWeights(targets: tf.Tensor1D): tf.Tensor1D {
  return tf.tidy(() => tf.cast(tf.greaterEqual(targets, 0), 'float32') as tf.Tensor1D);
}

/** Σ_p w_p · x_p / (Σ_p w_p + 1e-8), as weighted_softmax_cross_entropy normalises. */
function weightedMean(values: tf.Tensor1D, weights: tf.Tensor1D): tf.Scalar {
  return tf.div(tf.sum(tf.mul(values, weights)), tf.add(tf.sum(weights), 1e-8)) as tf.Scalar;
}

/**
 * Position cross-entropy over the query patches inside the reference. Outside targets (−1)
 * are clamped to 0 before the one-hot, so they cost nothing and cannot produce NaN.
 */
export function localizationLoss(positionLogits: tf.Tensor2D, targets: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const classes = positionLogits.shape[1];
    const clamped = tf.maximum(targets, tf.scalar(0, 'int32')) as tf.Tensor1D;
    const logProbs = tf.logSoftmax(positionLogits);
    const picked = tf.sum(tf.mul(logProbs, tf.oneHot(clamped, classes)), 1) as tf.Tensor1D;
    return weightedMean(tf.neg(picked) as tf.Tensor1D, insideWeights(targets));
  });
}

/** Soft cross-entropy of softmax(s/τ_s) against the targets [P, K], over inside patches. */
export function clusterLoss(
  studentLogits: tf.Tensor2D, targets: tf.Tensor2D, weights: tf.Tensor1D, studentTemperature: number,
): tf.Scalar {
  return tf.tidy(() => {
    const logProbs = tf.logSoftmax(tf.div(studentLogits, studentTemperature));
    return weightedMean(tf.neg(tf.sum(tf.mul(targets, logProbs), 1)) as tf.Tensor1D, weights);
  });
}

/**
 * The mean-entropy term R = Σ_k p̄_k log p̄_k = −H(p̄) over every query patch (inside or not):
 * minimising it spreads the student's predictions over the prototypes.
 */
export function meanEntropyTerm(studentLogits: tf.Tensor2D, studentTemperature: number): tf.Scalar {
  return tf.tidy(() => {
    const mean = tf.mean(tf.softmax(tf.div(studentLogits, studentTemperature)), 0);
    return tf.sum(tf.mul(mean, tf.log(tf.maximum(mean, 1e-12)))) as tf.Scalar; // the clamp only guards underflow
  });
}

/**
 * Top-1 position accuracy over inside patches: the fraction whose argmax is the true reference
 * patch (0 when no patch is inside). `weights` (0/1, only on inside patches) picks a subset,
 * e.g. the patches whose true position is visible in the masked reference.
 */
export function positionAccuracy(positionLogits: tf.Tensor2D, targets: tf.Tensor1D, weights?: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const hits = tf.cast(tf.equal(tf.argMax(positionLogits, 1), targets), 'float32') as tf.Tensor1D;
    return weightedMean(hits, weights ?? insideWeights(targets));
  });
}
