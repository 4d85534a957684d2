import * as tf from '@tensorflow/tfjs';
import type { EvaluationScores } from '../methods/evaluation';
import type { MethodInstance } from '../methods/types';
import { maskJaccard, massMask } from '../measures/masks';
import { knnAccuracy } from '../engine/eval/knn';
import { linearProbeAccuracy } from '../engine/eval/linear';
import { segmentationProbe } from '../engine/eval/segmentation';
import { fineTuneSegmentation } from '../engine/eval/finetune';
import type { EvaluationData } from '../engine/eval/evaluationData';

export type { EvaluationData };

/** Images per forward pass while extracting features (bounds the activations' memory). */
const CHUNK = 128;
/** The attention mass whose patches form the mask compared with the object (DINO's visualisation). */
export const ATTENTION_MASS = 0.6;

/** `fn` over the images in chunks, concatenated along the batch. */
function inChunks<T extends tf.Tensor>(images: tf.Tensor4D, fn: (chunk: tf.Tensor4D) => T): T {
  const n = images.shape[0];
  if (n <= CHUNK) return tf.tidy(() => fn(images));
  return tf.tidy(() => {
    const parts: T[] = [];
    for (let start = 0; start < n; start += CHUNK) {
      parts.push(fn(tf.slice(images, start, Math.min(CHUNK, n - start)) as tf.Tensor4D));
    }
    return tf.concat(parts, 0) as T;
  });
}

/** The first `count` of a seeded permutation of 0..n−1: a fixed labelled subset per fraction. */
function subset(n: number, count: number, seed: number): Int32Array {
  const order = Int32Array.from({ length: n }, (_, i) => i);
  let state = (seed * 2654435761) >>> 0 || 1;
  for (let i = n - 1; i > 0; i--) {
    state ^= state << 13; state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5; state >>>= 0;
    const j = state % (i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order.slice(0, count).sort();
}

/** The labelled subset for one fraction (at least one image): the same images for every method and run of a seed. */
function labelledSubset(n: number, fraction: number, seed: number): Int32Array {
  return subset(n, Math.max(1, Math.round(fraction * n)), seed);
}

/** Pixel classes for object vs background (the labelled masks are object masks): 1 on the object, 0 elsewhere. */
function objectPixels(data: EvaluationData): { trainPixels: Int32Array; testPixels: Int32Array } {
  if (!data.trainMasks || !data.testMasks) throw new Error('These images have no object masks.');
  const binary = (masks: Uint8Array) => Int32Array.from(masks, (v) => (v !== 0 ? 1 : 0));
  return { trainPixels: binary(data.trainMasks), testPixels: binary(data.testMasks) };
}

/** The pixel classes of the picked images, in their order. */
function pixelsOf(pixels: Int32Array, picked: Int32Array, area: number): Int32Array {
  const out = new Int32Array(picked.length * area);
  picked.forEach((image, i) => out.set(pixels.subarray(image * area, (image + 1) * area), i * area));
  return out;
}

/**
 * Every score the instance supports: kNN and linear probe on `embed`, the segmentation probe on
 * `embedDense` for each fraction of the labelled masks, and the attention-vs-mask Jaccard on
 * `clsAttention`. The features are frozen: nothing here trains the instance.
 */
export async function evaluateInstance(
  instance: MethodInstance, data: EvaluationData, fractions: readonly number[],
  onProgress: (stage: string) => void = () => {},
): Promise<EvaluationScores> {
  const { classes, seed } = data;
  if (classes < 2) {
    throw new Error('Evaluating needs labelled images: kNN and the linear probe classify them. Put your images in one subfolder per class, or train on shapes.');
  }
  onProgress('kNN and linear probe');
  const masked = data.trainMasks !== null && data.testMasks !== null;
  const trainFeatures = inChunks(data.trainImages, (x) => instance.embed(x));
  const testFeatures = inChunks(data.testImages, (x) => instance.embed(x));
  const scores: EvaluationScores = { knn: 0, linear: 0 };
  try {
    scores.knn = await knnAccuracy(trainFeatures, data.trainLabels, testFeatures, data.testLabels, classes);
    scores.linear = await linearProbeAccuracy(trainFeatures, data.trainLabels, testFeatures, data.testLabels, classes);
  } finally {
    trainFeatures.dispose();
    testFeatures.dispose();
  }

  if (instance.embedDense && masked) {
    onProgress('segmentation probe');
    const dense = instance.embedDense.bind(instance);
    const trainDense = inChunks(data.trainImages, dense);
    const testDense = inChunks(data.testImages, dense);
    try {
      // Object vs background: the labelled masks are object masks.
      const { trainPixels, testPixels } = objectPixels(data);
      const n = data.trainImages.shape[0];
      const area = data.imageSize * data.imageSize;
      scores.segmentation = [];
      for (const fraction of fractions) {
        const picked = labelledSubset(n, fraction, seed);
        const features = tf.gather(trainDense, picked) as tf.Tensor4D;
        const pixels = pixelsOf(trainPixels, picked, area);
        try {
          const { mIoU } = await segmentationProbe(features, pixels, testDense, testPixels, 2, data.imageSize);
          scores.segmentation.push(mIoU);
        } finally {
          features.dispose();
        }
      }
    } finally {
      trainDense.dispose();
      testDense.dispose();
    }
  }

  if (instance.fineTuneNetwork && masked) {
    // Fine-tuning changes weights: each fraction starts from a fresh copy of the network.
    const n = data.trainImages.shape[0];
    const area = data.imageSize * data.imageSize;
    const { trainPixels, testPixels } = objectPixels(data);
    scores.fineTune = [];
    for (const fraction of fractions) {
      const picked = labelledSubset(n, fraction, seed);
      const images = tf.gather(data.trainImages, picked) as tf.Tensor4D;
      const pixels = pixelsOf(trainPixels, picked, area);
      const spec = instance.fineTuneNetwork();
      const stage = `fine-tuning on ${fraction * 100}% of the masks`;
      onProgress(stage);
      try {
        const result = await fineTuneSegmentation(spec.network, { images, pixels }, { images: data.testImages, pixels: testPixels }, {
          classes: 2, steps: spec.steps, batchSize: spec.batchSize, learningRate: spec.learningRate, seed,
          onProgress: (done, total) => onProgress(done < total ? `${stage}, step ${done}/${total}` : `${stage}: scoring the ${data.testImages.shape[0]} held-out images`),
        });
        scores.fineTune.push(result.mIoU);
      } finally {
        images.dispose();
      }
    }
  }

  if (instance.clsAttention && data.testMasks) {
    onProgress('attention Jaccard');
    const attention = inChunks(data.testImages, instance.clsAttention.bind(instance)); // [N, H, g²]
    const [n, heads, patches] = attention.shape;
    let values: Float32Array;
    try {
      values = (await attention.data()) as Float32Array;
    } finally {
      attention.dispose();
    }
    const grid = Math.round(Math.sqrt(patches));
    const area = data.imageSize * data.imageSize;
    let total = 0;
    for (let i = 0; i < n; i++) {
      const mean = new Float32Array(patches);
      for (let h = 0; h < heads; h++) {
        for (let p = 0; p < patches; p++) mean[p] += values[(i * heads + h) * patches + p] / heads;
      }
      total += maskJaccard(massMask(mean, ATTENTION_MASS), grid, data.testMasks!.subarray(i * area, (i + 1) * area), data.imageSize);
    }
    scores.jaccard = total / n;
  }
  return scores;
}
