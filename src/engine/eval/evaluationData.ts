import type * as tf from '@tensorflow/tfjs';

/**
 * What a run is evaluated on: a labelled split of its training images (the kNN bank, the linear
 * probe's and the segmentation probe's training set) and held-out images to score on. Images
 * in [0, 1]; masks [N, S, S] with 1 on the object (null when the images have none: the mask
 * scores are skipped); labels index `classes` classes (at least two).
 */
export interface EvaluationData {
  trainImages: tf.Tensor4D;
  trainLabels: Int32Array;
  trainMasks: Uint8Array | null;
  testImages: tf.Tensor4D;
  testLabels: Int32Array;
  testMasks: Uint8Array | null;
  imageSize: number;
  classes: number;
  seed: number;
}
