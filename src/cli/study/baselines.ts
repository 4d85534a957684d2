/**
 * The study's reference rows: raw pixels (kNN and the linear probe on the flattened image), and
 * the supervised reference (the method's own backbone, from the same initialisation, trained
 * with labels for the same steps on the same kind of views).
 */
import * as tf from '@tensorflow/tfjs';
import { evaluateInstance } from '../../training/evaluate';
import type { EvaluationData } from '../../training/evaluate';
import { trainSupervised } from '../../engine/eval/supervised';
import { generateShapes } from '../../engine/data/shapes';
import { EVAL_TRAIN_COUNT } from '../../engine/data/dataset';
import { readCommon } from '../../engine/runConfig';
import type { SettingValues } from '../../methods/schema';
import type { MethodDescription, MethodInstance } from '../../methods/types';
import type { CellScores } from './cell';

/** An "instance" whose features are the images themselves, flattened ([N, S·S·3], in [0, 1]). */
export function rawPixels(): MethodInstance {
  const never = (what: string) => () => { throw new Error(`raw pixels have no ${what}`); };
  return {
    step: never('training step'),
    probes: never('probes'),
    embed: (images) => tf.tidy(() => tf.reshape(images, [images.shape[0], -1]) as tf.Tensor2D),
    save: () => ({}),
    load: () => {},
    dispose: () => {},
  };
}

export async function rawPixelScores(data: EvaluationData): Promise<CellScores> {
  const { knn, linear } = await evaluateInstance(rawPixels(), data, []);
  return { knn, linear };
}

/** The supervised reference's optimiser: AdamW at this peak lr (warm-up over the first 10 % of steps, cosine to 0). */
export const SUPERVISED_LEARNING_RATE = 2e-3;

/**
 * Trains the method's backbone with labels (see engine/eval/supervised.ts) on the run's own
 * training images and scores it like the run: kNN and the linear probe on the study's split.
 */
export async function supervisedScores(
  method: MethodDescription, values: SettingValues, data: EvaluationData,
  onProgress: (done: number, total: number) => void = () => {},
): Promise<CellScores & { trainSeconds: number }> {
  const common = readCommon(values);
  const implementation = await method.load();
  const train = generateShapes({
    imageSize: common.imageSize, seed: common.seed, distractors: common.distractors, difficulty: common.difficulty,
    count: common.datasetSize, split: 'train',
  });
  const s = common.imageSize;
  const images = tf.tensor4d(train.images, [train.count, s, s, 3]);
  const labelled = { images, labels: train.labels.slice(0, Math.min(EVAL_TRAIN_COUNT, train.count)), classes: train.classNames.length };
  const instance = implementation.create({ values, seed: common.seed, labelled });
  let network;
  try {
    if (!instance.supervisedNetwork) throw new Error(`${method.title} has no supervised reference network`);
    network = instance.supervisedNetwork();
  } finally {
    instance.dispose();
  }
  const started = performance.now();
  try {
    const trained = await trainSupervised(network, { images, labels: train.labels }, {
      classes: train.classNames.length, steps: common.totalSteps, batchSize: common.batchSize,
      learningRate: SUPERVISED_LEARNING_RATE, warmupSteps: Math.round(common.totalSteps / 10), weightDecay: 0.05,
      seed: common.seed, cropScaleMin: Number(values.cropScaleMin ?? values.globalScaleMin ?? 0.25), colorJitter: 1, onProgress,
    });
    const trainSeconds = (performance.now() - started) / 1000;
    try {
      const { knn, linear } = await evaluateInstance({ ...rawPixels(), embed: trained.embed }, data, []);
      return { knn, linear, trainSeconds };
    } finally {
      trained.dispose();
    }
  } finally {
    images.dispose();
  }
}
