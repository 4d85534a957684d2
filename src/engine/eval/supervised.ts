import * as tf from '@tensorflow/tfjs';
import { cropAndResize } from '../augment/cropResize';
import { sampleResizedCrop, samplePhotometric } from '../augment/crops';
import { applyPhotometric, packPhotometric, PHOTOMETRIC_WIDTH } from '../augment/photometric';
import { AdamW } from '../optim/adamw';
import { constantVariable, truncatedNormalVariable } from '../nn/params';
import { Rng } from '../random';
import { cosineAt } from '../schedules';

/**
 * The supervised reference of a self-supervised run: the method's own backbone, from the same
 * initial weights, trained with labels by softmax cross-entropy through a linear classifier for
 * the same number of steps, batch size and peak learning rate, on views drawn the way the
 * self-supervised methods draw theirs (random resized crop with flip, colour jitter with p = 0.8,
 * grayscale). What it scores is the ceiling the study reads a self-supervised number against:
 * the same network, the same budget, with the labels it did not have.
 */
export interface SupervisedNetwork {
  /** Fresh variables the trainer owns (and disposes). */
  variables: ReadonlyMap<string, tf.Variable>;
  /** Image-level features [N, featureDim] of images [N, S, S, 3] in [0, 1], computed with `variables` (the method's `embed`). */
  features(images: tf.Tensor4D): tf.Tensor2D;
  featureDim: number;
}

export interface SupervisedOptions {
  classes: number;
  steps: number;
  batchSize: number;
  /** Peak AdamW learning rate, reached after `warmupSteps`, then a cosine to 0. */
  learningRate: number;
  warmupSteps: number;
  weightDecay: number;
  seed: number;
  /** Random resized crop scale range: [cropScaleMin, 1]. */
  cropScaleMin: number;
  /** Colour jitter strength (1 = ColorJitter(0.4, 0.4, 0.2, 0.1)), p = 0.8; grayscale p = 0.2. */
  colorJitter: number;
  onProgress?: (done: number, total: number) => void;
}

/** Steps between yields to the event loop (progress lines). */
const YIELD_EVERY = 25;

/**
 * Trains `network` on the labelled images and returns an embedder of its trained features (the
 * caller disposes it). Nothing is read back while it trains.
 */
export async function trainSupervised(
  network: SupervisedNetwork, train: { images: tf.Tensor4D; labels: Int32Array }, options: SupervisedOptions,
): Promise<{ embed(images: tf.Tensor4D): tf.Tensor2D; dispose(): void }> {
  const { classes, steps, seed } = options;
  const [count, size] = train.images.shape;
  const batchSize = Math.min(options.batchSize, count);
  const rng = Rng.stream(seed, 'supervised:views');
  const head = {
    weight: truncatedNormalVariable(Rng.stream(seed, 'supervised:head'), [network.featureDim, classes], 0.01),
    bias: constantVariable([classes], 0),
  };
  const trainable = new Map<string, tf.Variable>();
  for (const [name, variable] of network.variables) if (variable.trainable) trainable.set(`network.${name}`, variable);
  trainable.set('head.weight', head.weight);
  trainable.set('head.bias', head.bias);
  const optimizer = new AdamW(trainable);
  const variables = [...trainable.values()];
  const labels = tf.tensor1d(train.labels, 'int32');
  const batchRng = Rng.stream(seed, 'supervised:batches');
  let order = batchRng.permutation(count);
  let cursor = 0;
  try {
    for (let step = 0; step < steps; step++) {
      if (cursor + batchSize > count) {
        order = batchRng.permutation(count);
        cursor = 0;
      }
      const indices = order.slice(cursor, cursor + batchSize);
      cursor += batchSize;
      const crops = Array.from({ length: batchSize }, () => sampleResizedCrop(rng, size, [options.cropScaleMin, 1]));
      const photometric = crops.map(() => samplePhotometric(rng, {
        jitterStrength: options.colorJitter, jitterProbability: 0.8, grayscaleProbability: 0.2, blurProbability: 0, solarizeProbability: 0,
      }));
      const learningRate = cosineAt({ base: options.learningRate, final: 0, totalSteps: steps, warmupSteps: options.warmupSteps }, step);
      tf.tidy(() => {
        const index = tf.tensor1d(indices, 'int32');
        const images = tf.gather(train.images, index) as tf.Tensor4D;
        const views = applyPhotometric(
          cropAndResize(images, tf.tensor2d(crops.flatMap((c) => c.samplingBox), [batchSize, 4]), crops.map((_, i) => i), [size, size]),
          tf.tensor2d(packPhotometric(photometric), [batchSize, PHOTOMETRIC_WIDTH]),
        ) as tf.Tensor4D;
        const target = tf.oneHot(tf.gather(labels, index), classes);
        const { grads } = tf.variableGrads(() => {
          const logits = tf.add(tf.matMul(network.features(views), head.weight), head.bias);
          return tf.losses.softmaxCrossEntropy(target, logits) as tf.Scalar;
        }, variables);
        const byName = new Map<string, tf.Tensor>();
        for (const [name, variable] of trainable) {
          const grad = grads[variable.name];
          if (grad) byName.set(name, grad);
        }
        optimizer.apply(byName, {
          learningRate, weightDecay: options.weightDecay, clip: 0,
        });
      });
      if ((step + 1) % YIELD_EVERY === 0 || step + 1 === steps) {
        options.onProgress?.(step + 1, steps);
        await new Promise((resolve) => setTimeout(resolve, 0));
      }
    }
  } finally {
    optimizer.dispose();
    labels.dispose();
    head.weight.dispose();
    head.bias.dispose();
  }
  return {
    embed: (images) => tf.tidy(() => network.features(images)),
    dispose: () => { for (const variable of network.variables.values()) variable.dispose(); },
  };
}
