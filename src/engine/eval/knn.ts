import * as tf from '@tensorflow/tfjs';

/**
 * Weighted k-nearest-neighbour classification of frozen features, as DINO's eval_knn.py
 * (knn_classifier): features L2-normalised, cosine similarity of every test row to every train
 * row, the k most similar train rows vote for their labels with weight exp(similarity / T),
 * and the class with the largest summed weight is the prediction.
 */
export interface KnnOptions {
  /** Neighbours per query (default 20: DINO's eval_knn.py runs k = 10, 20, 100, 200 and reports 20). Capped at the train size. */
  k?: number;
  /** Temperature of the vote weights; DINO's default 0.07. Small T: the nearest neighbour dominates. */
  temperature?: number;
  /**
   * Test rows per similarity block (DINO's knn_classifier also walks the test set in chunks).
   * Default: as many as keep a block of [rows, N_train] similarities within 4M entries.
   */
  blockRows?: number;
}

const BLOCK_ENTRIES = 1 << 22;

/** Top-1 accuracy of the weighted kNN vote. Reads back the predictions once; disposes everything it makes. */
export async function knnAccuracy(
  train: tf.Tensor2D, trainLabels: Int32Array, test: tf.Tensor2D, testLabels: Int32Array,
  classes: number, options: KnnOptions = {},
): Promise<number> {
  const [trainCount, dimension] = train.shape;
  const testCount = test.shape[0];
  if (trainLabels.length !== trainCount || testLabels.length !== testCount) {
    throw new Error(`knnAccuracy: ${trainLabels.length}/${testLabels.length} labels for ${trainCount}/${testCount} rows`);
  }
  if (test.shape[1] !== dimension) throw new Error(`knnAccuracy: train has ${dimension} dimensions, test ${test.shape[1]}`);
  if (trainCount === 0 || testCount === 0) throw new Error('knnAccuracy: empty train or test set');
  const k = Math.max(1, Math.min(options.k ?? 20, trainCount));
  const temperature = options.temperature ?? 0.07;
  const rows = Math.max(1, options.blockRows ?? Math.floor(BLOCK_ENTRIES / trainCount));

  const predictions = tf.tidy(() => {
    const bank = l2Normalise(train);
    const bankLabels = tf.tensor1d(trainLabels, 'int32');
    const queries = l2Normalise(test);
    const parts: tf.Tensor1D[] = [];
    for (let start = 0; start < testCount; start += rows) {
      const block = queries.slice([start, 0], [Math.min(rows, testCount - start), dimension]);
      parts.push(vote(block, bank, bankLabels, k, temperature, classes));
    }
    return parts.length === 1 ? parts[0] : tf.concat(parts);
  });
  const predicted = await predictions.data();
  predictions.dispose();
  let correct = 0;
  for (let i = 0; i < testCount; i++) if (predicted[i] === testLabels[i]) correct++;
  return correct / testCount;
}

/** Rows divided by their L2 norm (torch's F.normalize: the norm floored at 1e-12, so zero rows stay zero). */
function l2Normalise(x: tf.Tensor2D): tf.Tensor2D {
  return tf.div(x, tf.maximum(tf.norm(x, 'euclidean', 1, true), 1e-12));
}

/**
 * Predicted class per query row: the k most similar bank rows, each adding exp(sim / T) to its
 * label's score. The row's top similarity is subtracted before the exp: every weight of the row
 * shrinks by the same factor, so the vote is unchanged, but a small T cannot overflow float32
 * (exp(1 / 0.01) is already inf, and inf · 0 in the one-hot product would be NaN).
 */
function vote(
  queries: tf.Tensor2D, bank: tf.Tensor2D, bankLabels: tf.Tensor1D, k: number, temperature: number, classes: number,
): tf.Tensor1D {
  const similarity = tf.matMul(queries, bank, false, true); // [B, N_train]
  const { values, indices } = tf.topk(similarity, k); // [B, k] each
  const neighbourLabels = tf.gather(bankLabels, indices); // [B, k]
  const weights = tf.exp(tf.div(tf.sub(values, tf.max(values, 1, true)), temperature)).expandDims(2); // [B, k, 1]
  const oneHot = tf.cast(tf.oneHot(neighbourLabels, classes), 'float32'); // [B, k, classes]
  const votes = tf.sum(tf.mul(oneHot, weights), 1); // [B, classes]
  return tf.argMax(votes, 1) as tf.Tensor1D;
}
