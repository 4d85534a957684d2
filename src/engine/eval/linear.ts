import * as tf from '@tensorflow/tfjs';

/**
 * Linear probe: a linear classifier on frozen, standardised features, scored by top-1 accuracy
 * on the held-out split. It is fitted in closed form — ridge regression onto the one-hot labels
 * (a "ridge classifier", see fitRidge) on standardised X — rather
 * than by iterating a softmax layer: a few dispatches instead of thousands, so an evaluation
 * takes seconds even on a software GPU, and there is no learning rate or epoch count to tune.
 * The GPU forms XᵀX and XᵀY; the small (D+1)² system is solved on the CPU (Cholesky).
 */
export interface LinearProbeOptions {
  /** λ of the ridge penalty on standardised features (default 0.1). */
  ridge?: number;
}

export const LINEAR_PROBE_DEFAULTS = { ridge: 0.1 } as const;

/** Top-1 test accuracy of a ridge classifier fitted to the train features. Disposes everything it makes. */
export async function linearProbeAccuracy(
  train: tf.Tensor2D, trainLabels: Int32Array, test: tf.Tensor2D, testLabels: Int32Array,
  classes: number, options: LinearProbeOptions = {},
): Promise<number> {
  const [trainCount, dimension] = train.shape;
  const testCount = test.shape[0];
  if (trainLabels.length !== trainCount || testLabels.length !== testCount) {
    throw new Error(`linearProbeAccuracy: ${trainLabels.length}/${testLabels.length} labels for ${trainCount}/${testCount} rows`);
  }
  if (test.shape[1] !== dimension) throw new Error(`linearProbeAccuracy: train has ${dimension} dimensions, test ${test.shape[1]}`);
  if (trainCount === 0 || testCount === 0) throw new Error('linearProbeAccuracy: empty train or test set');
  const settings = { ...LINEAR_PROBE_DEFAULTS, ...options };

  const [x, xTest, targets] = tf.tidy(() => {
    const standardise = standardiser(train);
    return [standardise(train), standardise(test), tf.cast(tf.oneHot(tf.tensor1d(trainLabels, 'int32'), classes), 'float32') as tf.Tensor2D];
  });
  try {
    const head = await fitRidge(x, targets, settings.ridge);
    const predictions = tf.tidy(() => tf.argMax(applyHead(head, xTest), 1));
    disposeHead(head);
    const predicted = await predictions.data();
    predictions.dispose();
    let correct = 0;
    for (let i = 0; i < testCount; i++) if (predicted[i] === testLabels[i]) correct++;
    return correct / testCount;
  } finally {
    tf.dispose([x, xTest, targets]);
  }
}

/**
 * Standardisation with the train rows' statistics, per dimension: (x − mean) / √(var + 1e-6),
 * the population variance. This is what MAE's main_linprobe.py puts before its head
 * (BatchNorm1d without affine, eps 1e-6) and keeps the probe's learning rate independent of the
 * features' scale. A dimension constant on the train rows maps to 0 there, so a head that
 * starts near zero has no reason to weight it. Call inside tf.tidy; the returned function too.
 */
export function standardiser(train: tf.Tensor2D): (x: tf.Tensor2D) => tf.Tensor2D {
  const { mean, variance } = tf.moments(train, 0, true);
  const scale = tf.rsqrt(tf.add(variance, 1e-6));
  return (x) => tf.mul(tf.sub(x, mean), scale);
}

/** A linear layer's parameters: logits = x · weight + bias. */
export interface LinearHead {
  weight: tf.Tensor2D; // [D, C]
  bias: tf.Tensor1D; // [C]
}

export function applyHead(head: LinearHead, x: tf.Tensor2D): tf.Tensor2D {
  return tf.add(tf.matMul(x, head.weight), head.bias);
}

export function disposeHead(head: LinearHead): void {
  head.weight.dispose();
  head.bias.dispose();
}

/**
 * Ridge regression of `targets` [N, C] on standardised features `x` [N, D] with an unpenalised
 * bias: [W; b] = ([X 1]ᵀ Ω [X 1] + λ·diag(1, …, 1, 0))⁻¹ [X 1]ᵀ Ω Y, with Ω the row weights
 * normalised to sum 1 (uniform when absent). Reads back the (D+1)² and (D+1)×C moments once;
 * the solve is on the CPU.
 */
export async function fitRidge(x: tf.Tensor2D, targets: tf.Tensor2D, ridge: number, rowWeights?: Float32Array): Promise<LinearHead> {
  const [n, dimension] = x.shape;
  const classes = targets.shape[1];
  const size = dimension + 1;
  const moments = tf.tidy(() => {
    const augmented = tf.concat([x, tf.ones([n, 1])], 1);
    const weights = rowWeights ? tf.tensor2d(rowWeights, [n, 1]) : tf.fill([n, 1], 1);
    const weighted = tf.mul(augmented, tf.div(weights, tf.sum(weights)));
    return tf.concat([
      tf.reshape(tf.matMul(weighted, augmented, true, false), [-1]),
      tf.reshape(tf.matMul(weighted, targets, true, false), [-1]),
    ]);
  });
  const data = (await moments.data()) as Float32Array;
  moments.dispose();
  const gram = Float64Array.from(data.subarray(0, size * size));
  for (let i = 0; i < dimension; i++) gram[i * size + i] += ridge;
  const solution = solveSpd(gram, size, Float64Array.from(data.subarray(size * size)), classes);
  return {
    weight: tf.tensor2d(Float32Array.from(solution.subarray(0, dimension * classes)), [dimension, classes]),
    bias: tf.tensor1d(Float32Array.from(solution.subarray(dimension * classes))),
  };
}

/**
 * Solves A·X = B for a symmetric positive-definite A [n, n] and B [n, m] by Cholesky
 * (A = L·Lᵀ, then two triangular solves). Row-major arrays; A is not modified.
 */
export function solveSpd(a: Float64Array, n: number, b: Float64Array, m: number): Float64Array {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = a[i * n + j];
      for (let k = 0; k < j; k++) sum -= l[i * n + k] * l[j * n + k];
      if (i === j) {
        if (!(sum > 0)) throw new Error('solveSpd: the matrix is not positive definite');
        l[i * n + i] = Math.sqrt(sum);
      } else {
        l[i * n + j] = sum / l[j * n + j];
      }
    }
  }
  const y = new Float64Array(n * m); // L·Y = B
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < m; c++) {
      let sum = b[i * m + c];
      for (let k = 0; k < i; k++) sum -= l[i * n + k] * y[k * m + c];
      y[i * m + c] = sum / l[i * n + i];
    }
  }
  const out = new Float64Array(n * m); // Lᵀ·X = Y
  for (let i = n - 1; i >= 0; i--) {
    for (let c = 0; c < m; c++) {
      let sum = y[i * m + c];
      for (let k = i + 1; k < n; k++) sum -= l[k * n + i] * out[k * m + c];
      out[i * m + c] = sum / l[i * n + i];
    }
  }
  return out;
}
