import * as tf from '@tensorflow/tfjs';
import { confusionMatrix, meanIoU } from '../../measures/masks';
import { AdamW } from '../optim/adamw';
import { constantVariable, truncatedNormalVariable } from '../nn/params';
import { Rng } from '../random';

/**
 * Segmentation fine-tuning: the whole pretrained dense network (every weight it hands over, bar
 * the ones it marks frozen) plus a new 1×1 classification head is trained end to end on a few
 * labelled masks with per-pixel cross-entropy, then scored by mIoU on held-out images. This is
 * the label-efficiency protocol of the denoising-pretraining papers (DeP/DDeP fine-tune the
 * pretrained U-Net, and compare with the same network from random initialisation, at 1%, 10%
 * and 100% of the labels), shrunk to a few hundred AdamW steps. Unlike the frozen-feature
 * segmentation probe it measures how good a *starting point* the weights are, not how linearly
 * readable their features are: a denoiser's decoder features need not be linearly separable by
 * class, yet the network may adapt to the task from far fewer labels than a random one.
 *
 * It knows nothing about the network's architecture: the network is its variables by name plus
 * a function from images to per-pixel features at the image resolution, computed with them.
 */

/** A dense network handed over for fine-tuning: fresh trainable variables the fine-tuner owns (and disposes). */
export interface FineTuneNetwork {
  /** The network's variables by name (namedVariables of its tree): trained, then disposed. */
  variables: ReadonlyMap<string, tf.Variable>;
  /** Per-pixel features [N, S, S, featureDim] of images [N, S, S, 3] in [0, 1], computed with `variables`. */
  features(images: tf.Tensor4D): tf.Tensor4D;
  featureDim: number;
  /** Names (as namedVariables gives them) to keep frozen; default none. */
  frozen?: (name: string) => boolean;
}

export interface FineTuneOptions {
  /** Pixel classes (e.g. 2: background / object). */
  classes: number;
  /** Optimisation steps; 0 scores the untrained head on the handed-over network. */
  steps: number;
  /** Images per step (capped at the labelled count). */
  batchSize: number;
  /** AdamW learning rate, constant: a few hundred steps leave no room for a warm-up schedule. */
  learningRate: number;
  /** Batch order and head initialisation. */
  seed: number;
  /** AdamW decoupled weight decay (rank ≥ 2 weights only); default 0. */
  weightDecay?: number;
  /** Called with the steps done at each yield to the event loop and when training ends (done = total: scoring follows). */
  onProgress?: (done: number, total: number) => void;
}

export interface FineTuneResult {
  mIoU: number;
  perClass: number[];
  /** Training loss of the first and last step (NaN with steps = 0). */
  firstLoss: number;
  lastLoss: number;
}

/**
 * Test images per forward pass while predicting, at most: the training batch size is used when
 * smaller, so prediction runs the shapes training already compiled. On WebGPU tfjs keys many
 * shader programs by their input shapes, and a new batch size recompiles every one of them — on
 * SwiftShader that made scoring 160 images in chunks of 64 slower than the 40 training steps.
 */
const PREDICT_CHUNK = 64;
/** Steps between yields to the event loop, so a worker still answers messages while it trains. */
const YIELD_EVERY = 10;
/** Std of the head's truncated-normal initial weight: small, so the first logits are near uniform. */
const HEAD_INIT_STD = 0.01;

/**
 * Fine-tunes `network` with a new linear head [featureDim → classes] applied per pixel and
 * returns the held-out mIoU (meanIoU's convention: classes absent from both truth and
 * prediction are skipped). Pixels are class ids, [N·S·S] in raster order per image.
 *
 * Takes ownership of `network.variables`: they are trained in place and disposed before it returns
 * (or throws), with everything else it creates, so tf.memory().numTensors ends where it started
 * less the network's variables. Variables that are frozen or not trainable keep their values.
 *
 * Reads back nothing while it trains: the first and last losses stay on the device as tensors
 * and come back in one small read at the end, and the predictions in one read per chunk of 64
 * test images.
 */
export async function fineTuneSegmentation(
  network: FineTuneNetwork,
  train: { images: tf.Tensor4D; pixels: Int32Array /* [N·S·S] class ids */ },
  test: { images: tf.Tensor4D; pixels: Int32Array },
  options: FineTuneOptions,
): Promise<FineTuneResult> {
  const owned: tf.Tensor[] = [];
  let optimizer: AdamW | null = null;
  try {
    const { classes, steps, learningRate, seed } = options;
    const weightDecay = options.weightDecay ?? 0;
    const [trainCount, height, width] = train.images.shape;
    const testCount = test.images.shape[0];
    const area = height * width;
    if (test.images.shape[1] !== height || test.images.shape[2] !== width) {
      throw new Error(`fineTuneSegmentation: train images ${train.images.shape} and test images ${test.images.shape} differ in size`);
    }
    if (train.pixels.length !== trainCount * area || test.pixels.length !== testCount * area) {
      throw new Error(`fineTuneSegmentation: ${train.pixels.length}/${test.pixels.length} pixel labels for ${trainCount}/${testCount} images of ${height}×${width}`);
    }
    if (!(Number.isInteger(classes) && classes >= 2)) throw new Error(`fineTuneSegmentation: ${classes} classes`);
    if (!(Number.isInteger(steps) && steps >= 0)) throw new Error(`fineTuneSegmentation: ${steps} steps`);
    if (!(Number.isInteger(options.batchSize) && options.batchSize >= 1)) throw new Error(`fineTuneSegmentation: batch size ${options.batchSize}`);
    if (testCount === 0 || (steps > 0 && trainCount === 0)) throw new Error('fineTuneSegmentation: empty train or test set');

    const headRng = Rng.stream(seed, 'finetune-head');
    const head = {
      weight: truncatedNormalVariable(headRng, [network.featureDim, classes], HEAD_INIT_STD),
      bias: constantVariable([classes], 0),
    };
    owned.push(head.weight, head.bias);
    const logits = (images: tf.Tensor4D) => pixelLogits(network, head, images, classes);

    let firstLoss = Number.NaN;
    let lastLoss = Number.NaN;
    if (steps > 0) {
      // The optimiser's names are prefixed so a network variable called "head.weight" cannot
      // collide with the new head's.
      const trainable = new Map<string, tf.Variable>();
      for (const [name, variable] of network.variables) {
        if (variable.trainable && !network.frozen?.(name)) trainable.set(`network.${name}`, variable);
      }
      trainable.set('classifier.weight', head.weight);
      trainable.set('classifier.bias', head.bias);
      optimizer = new AdamW(trainable);
      const variables = [...trainable.values()];

      const batchSize = Math.min(options.batchSize, trainCount);
      // One permutation, uploaded twice in a row: any run of ≤ N consecutive positions of the
      // cycled order is then one contiguous slice, so a step selects its batch with no upload.
      const order = Rng.stream(seed, 'finetune-batches').permutation(trainCount);
      const cycled = new Int32Array(2 * trainCount);
      cycled.set(order, 0);
      cycled.set(order, trainCount);
      const indices = tf.tensor1d(cycled, 'int32');
      const labels = tf.tensor2d(train.pixels, [trainCount, area], 'int32');
      const classWeights = tf.tensor1d(balancedClassWeights(train.pixels, classes));
      owned.push(indices, labels, classWeights);

      let firstTensor: tf.Scalar | null = null;
      let lastTensor: tf.Scalar | null = null;
      for (let step = 0; step < steps; step++) {
        const kept = tf.tidy(() => {
          const batch = tf.slice(indices, (step * batchSize) % trainCount, batchSize);
          const images = tf.gather(train.images, batch) as tf.Tensor4D;
          const truth = tf.reshape(tf.gather(labels, batch), [-1]) as tf.Tensor1D; // [B·S·S]
          const targets = tf.oneHot(truth, classes);
          const pixelWeights = tf.gather(classWeights, truth);
          const { value: loss, grads } = tf.variableGrads(() => {
            const crossEntropy = tf.neg(tf.sum(tf.mul(targets, tf.logSoftmax(logits(images))), 1));
            return tf.mean(tf.mul(crossEntropy, pixelWeights)) as tf.Scalar;
          }, variables);
          const byName = new Map<string, tf.Tensor>();
          for (const [name, variable] of trainable) {
            const grad = grads[variable.name];
            if (grad) byName.set(name, grad);
          }
          optimizer!.apply(byName, { learningRate, weightDecay, clip: 0 });
          return step === 0 || step === steps - 1 ? loss : undefined;
        });
        if (kept) {
          if (step === 0) firstTensor = kept;
          else lastTensor = kept;
          owned.push(kept);
        }
        if ((step + 1) % YIELD_EVERY === 0) {
          options.onProgress?.(step + 1, steps);
          await new Promise((resolve) => setTimeout(resolve, 0));
        }
      }
      if (steps % YIELD_EVERY !== 0) options.onProgress?.(steps, steps);
      const losses = tf.stack([firstTensor!, lastTensor ?? firstTensor!]);
      owned.push(losses);
      [firstLoss, lastLoss] = await losses.data();
    }

    // Class ids of every test pixel, chunk by chunk on the device, then one read.
    const chunkSize = Math.max(1, Math.min(PREDICT_CHUNK, steps > 0 ? Math.min(options.batchSize, trainCount) : PREDICT_CHUNK));
    const chunks: tf.Tensor[] = [];
    for (let start = 0; start < testCount; start += chunkSize) {
      const size = Math.min(chunkSize, testCount - start);
      // One tidy per chunk, so a chunk's activations are freed before the next.
      chunks.push(tf.tidy(() => tf.argMax(logits(tf.slice(test.images, start, size) as tf.Tensor4D), 1)));
      owned.push(chunks[chunks.length - 1]);
    }
    const all = tf.concat(chunks);
    owned.push(all);
    const predicted = (await all.data()) as Int32Array;
    return { ...meanIoU(confusionMatrix(predicted, test.pixels, classes), classes), firstLoss, lastLoss };
  } finally {
    optimizer?.dispose();
    tf.dispose(owned);
    for (const variable of network.variables.values()) variable.dispose();
  }
}

/**
 * Per-pixel class logits [n·S·S, classes] of images [n, S, S, ·]: the network's features, then
 * the 1×1 head as one matrix product over all pixels. Checks the features' shape, since a
 * mismatch would otherwise surface as an opaque matMul or reshape error.
 */
function pixelLogits(
  network: FineTuneNetwork, head: { weight: tf.Variable; bias: tf.Variable }, images: tf.Tensor4D, classes: number,
): tf.Tensor2D {
  const features = network.features(images);
  const [n, height, width] = images.shape;
  const [fn, fh, fw, fd] = features.shape;
  if (fn !== n || fh !== height || fw !== width || fd !== network.featureDim) {
    throw new Error(`fineTuneSegmentation: features ${features.shape} for images ${images.shape} (expected [${n}, ${height}, ${width}, ${network.featureDim}])`);
  }
  const flat = tf.reshape(features, [n * height * width, fd]) as tf.Tensor2D;
  return tf.reshape(tf.add(tf.matMul(flat, head.weight), head.bias), [-1, classes]) as tf.Tensor2D;
}

/**
 * Class-balanced cross-entropy weights [classes]: each class weighted by the inverse of its
 * share of the labelled pixels, normalised so the weight averages 1 over those pixels (the
 * loss keeps the scale of plain cross-entropy, and the learning rate its meaning). Background
 * covers most pixels of object masks, and unweighted cross-entropy settles on "background
 * everywhere", a respectable pixel accuracy and half the mIoU. A class with no labelled pixel
 * gets weight 0 (it has no pixel to weigh). Throws on a class id outside [0, classes).
 */
export function balancedClassWeights(pixels: Int32Array, classes: number): Float32Array {
  const counts = new Float64Array(classes);
  for (let i = 0; i < pixels.length; i++) {
    const c = pixels[i];
    if (!(c >= 0 && c < classes)) throw new Error(`fineTuneSegmentation: class id ${c} at pixel ${i} outside [0, ${classes})`);
    counts[c]++;
  }
  let present = 0;
  for (const count of counts) if (count > 0) present++;
  // Σ_c count_c · w_c / total = 1 with w_c = total / (count_c · present).
  const weights = new Float32Array(classes);
  for (let c = 0; c < classes; c++) if (counts[c] > 0) weights[c] = pixels.length / (counts[c] * present);
  return weights;
}
