import * as tf from '@tensorflow/tfjs';
import type { CommonValues } from '../runConfig';
import type { EvaluationData } from '../eval/evaluationData';
import { generateShapes } from './shapes';
import { HELD_OUT_SEED_OFFSET } from './dataset';

/**
 * The study's evaluation split, larger than the app's (512 labelled, 160 held out) so that a
 * difference of a few points is more than noise: at n held-out images one standard error of an
 * accuracy p is √(p(1−p)/n) — 0.024 at p = 0.1 and n = 160, 0.009 at n = 1,000.
 *
 * - The labelled bank: the first `bankCount` images of the run's own training stream (a prefix
 *   of what it trains on when datasetSize ≥ bankCount; images it never saw otherwise, still from
 *   the training split). Labels are used only here, after training.
 * - The test set: `testCount` images from the held-out stream — the same stream the app's
 *   embedding space draws its 160 from, so those are its first 160.
 */
export const STUDY_BANK_COUNT = 2000;
export const STUDY_TEST_COUNT = 1000;

export function studyEvaluationData(common: CommonValues, bankCount = STUDY_BANK_COUNT, testCount = STUDY_TEST_COUNT): EvaluationData {
  if (common.dataset !== 'shapes') throw new Error(`The study evaluates on shapes only (got the dataset "${common.dataset}").`);
  const base = { imageSize: common.imageSize, distractors: common.distractors, difficulty: common.difficulty };
  const bank = generateShapes({ ...base, seed: common.seed, count: bankCount, split: 'train' });
  const test = generateShapes({ ...base, seed: common.seed + HELD_OUT_SEED_OFFSET, count: testCount, split: 'heldout' });
  const s = common.imageSize;
  return {
    trainImages: tf.tensor4d(bank.images, [bank.count, s, s, 3]),
    trainLabels: bank.labels,
    trainMasks: bank.masks,
    testImages: tf.tensor4d(test.images, [test.count, s, s, 3]),
    testLabels: test.labels,
    testMasks: test.masks,
    imageSize: s,
    classes: bank.classNames.length,
    seed: common.seed,
  };
}

export function disposeEvaluationData(data: EvaluationData): void {
  data.trainImages.dispose();
  data.testImages.dispose();
}
