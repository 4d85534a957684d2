import * as tf from '@tensorflow/tfjs';
import type { CommonValues } from '../runConfig';
import { Rng } from '../random';
import { generateShapes, type ImageSet } from './shapes';
import { splitImageSet } from './images';
import type { ImageSetData } from '../../measures/imageSets';
import type { EvaluationData } from '../eval/evaluationData';

/** How many fixed held-out images the probes draw on. */
export const PROBE_COUNT = 8;
/** Held-out images whose embeddings the embedding-space probe projects (16 per class). */
export const EMBED_COUNT = 160;
/** Labelled training images the evaluation probes learn from (the kNN bank; 100% of the masks). */
export const EVAL_TRAIN_COUNT = 512;
/** The held-out images of the embedding space (and the study's test set) come from seed + this. */
export const HELD_OUT_SEED_OFFSET = 7919;

/**
 * A run's data: the training images generated (shapes) or given (the visitor's own image set)
 * once and uploaded once ([N, S, S, 3] on the GPU), a seeded batch sampler (a fresh permutation
 * per epoch; the ragged tail is dropped so every step has the same shapes), and the fixed
 * held-out probe images.
 */
export class RunData {
  readonly train: ImageSet;
  readonly probe: ImageSet;
  /** A larger held-out set for the embedding space (labels on the CPU, images on the GPU). */
  readonly embedSet: ImageSet;
  readonly trainImages: tf.Tensor4D;
  readonly probeImages: tf.Tensor4D;
  readonly embedImages: tf.Tensor4D;
  private readonly batchRng: Rng;
  private readonly seed: number;
  private order: Int32Array;
  private cursor = 0;

  /** `images`: the run's own image set, required when the dataset is not `shapes`. */
  constructor(common: CommonValues, images?: ImageSetData) {
    if (common.dataset === 'shapes') {
      if (common.batchSize > common.datasetSize) {
        throw new Error(`Batch size ${common.batchSize} is larger than the ${common.datasetSize} training images`);
      }
      const base = { imageSize: common.imageSize, seed: common.seed, distractors: common.distractors, difficulty: common.difficulty };
      this.train = generateShapes({ ...base, count: common.datasetSize, split: 'train' });
      this.probe = generateShapes({ ...base, count: PROBE_COUNT, split: 'heldout' });
      this.embedSet = generateShapes({ ...base, seed: base.seed + HELD_OUT_SEED_OFFSET, count: EMBED_COUNT, split: 'heldout' });
    } else {
      if (!images || images.name !== common.dataset) throw new Error(`The images of the set "${common.dataset}" did not come with the run.`);
      const split = splitImageSet(images, common.imageSize);
      if (common.batchSize > split.train.count) {
        throw new Error(`Batch size ${common.batchSize} is larger than the ${split.train.count} training images of "${images.name}" ` +
          `(${split.heldOut.count} more are held out for the probes): lower the batch size or add images.`);
      }
      this.train = split.train;
      this.probe = split.probe;
      this.embedSet = split.heldOut;
    }
    const s = common.imageSize;
    this.trainImages = tf.tensor4d(this.train.images, [this.train.count, s, s, 3]);
    this.probeImages = tf.tensor4d(this.probe.images, [this.probe.count, s, s, 3]);
    this.embedImages = tf.tensor4d(this.embedSet.images, [this.embedSet.count, s, s, 3]);
    this.batchRng = Rng.stream(common.seed, 'batches');
    this.seed = common.seed;
    this.order = this.batchRng.permutation(this.train.count);
  }

  /** The next batch's indices (CPU), reshuffling at each epoch boundary. */
  nextIndices(batchSize: number): Int32Array {
    if (this.cursor + batchSize > this.order.length) {
      this.order = this.batchRng.permutation(this.train.count);
      this.cursor = 0;
    }
    const indices = this.order.slice(this.cursor, this.cursor + batchSize);
    this.cursor += batchSize;
    return indices;
  }

  /**
   * The evaluation split: the first EVAL_TRAIN_COUNT training images as the labelled set (its
   * images are a fresh slice: the caller disposes `trainImages`), the embedding-space images as
   * the held-out test set.
   */
  evaluationData(): EvaluationData {
    const n = Math.min(EVAL_TRAIN_COUNT, this.train.count);
    const area = this.train.size * this.train.size;
    return {
      trainImages: tf.slice(this.trainImages, 0, n) as tf.Tensor4D,
      trainLabels: this.train.labels.slice(0, n),
      trainMasks: this.train.masks ? this.train.masks.slice(0, n * area) : null,
      testImages: this.embedImages,
      testLabels: this.embedSet.labels,
      testMasks: this.embedSet.masks,
      imageSize: this.train.size,
      classes: this.train.classNames.length,
      seed: this.seed,
    };
  }

  trainPixels(index: number): Float32Array {
    const area = this.train.size * this.train.size * 3;
    return this.train.images.slice(index * area, (index + 1) * area);
  }

  dispose(): void {
    this.trainImages.dispose();
    this.probeImages.dispose();
    this.embedImages.dispose();
  }
}
