import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { confusionMatrix, meanIoU } from '../../measures/masks';
import { constantVariable, fanInUniformVariable, namedVariables } from '../nn/params';
import { Rng } from '../random';
import { type FineTuneNetwork, type FineTuneOptions, balancedClassWeights, fineTuneSegmentation } from './finetune';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

afterEach(() => {
  vi.restoreAllMocks();
});

const SIZE = 8; // pixels per side
const SQUARE = 3; // the object's side

/**
 * `count` images of a bright square (SQUARE² pixels, value ≈ 0.9) at a random position on a
 * dark background (≈ 0.1), all three channels alike plus N(0, 0.05²) noise; pixel labels 1 on
 * the square, 0 elsewhere. The square covers 9 of 64 pixels, so background dominates as in the
 * real masks.
 */
function squares(rng: Rng, count: number) {
  const values = new Float32Array(count * SIZE * SIZE * 3);
  const pixels = new Int32Array(count * SIZE * SIZE);
  for (let n = 0; n < count; n++) {
    const top = rng.int(SIZE - SQUARE + 1);
    const left = rng.int(SIZE - SQUARE + 1);
    for (let y = 0; y < SIZE; y++) {
      for (let x = 0; x < SIZE; x++) {
        const inside = y >= top && y < top + SQUARE && x >= left && x < left + SQUARE;
        const pixel = (n * SIZE + y) * SIZE + x;
        pixels[pixel] = inside ? 1 : 0;
        for (let c = 0; c < 3; c++) values[pixel * 3 + c] = (inside ? 0.9 : 0.1) + 0.05 * rng.normal();
      }
    }
  }
  return { images: tf.tensor4d(values, [count, SIZE, SIZE, 3]), pixels };
}

const CHANNELS = 8;

/** A tiny dense network: one 3×3 convolution to 8 channels ("same" padding) and a ReLU. */
function convNetwork(seed: number, frozen?: (name: string) => boolean): FineTuneNetwork & { params: { conv: { weight: tf.Variable; bias: tf.Variable } } } {
  const rng = Rng.stream(seed, 'test-conv');
  const params = { conv: { weight: fanInUniformVariable(rng, [3, 3, 3, CHANNELS], 27), bias: constantVariable([CHANNELS], 0) } };
  return {
    params,
    variables: namedVariables(params),
    features: (images: tf.Tensor4D) => {
      const { conv } = params;
      return tf.relu(tf.add(tf.conv2d(images, conv.weight as tf.Tensor4D, 1, 'same'), conv.bias)) as tf.Tensor4D;
    },
    featureDim: CHANNELS,
    frozen,
  };
}

/** Records a variable's values as it is disposed: the fine-tuner disposes what it was handed. */
function valuesAtDispose(variable: tf.Variable): { values: Float32Array | null } {
  const record: { values: Float32Array | null } = { values: null };
  const dispose = variable.dispose.bind(variable);
  variable.dispose = () => {
    record.values = (variable.dataSync() as Float32Array).slice();
    dispose();
  };
  return record;
}

const OPTIONS: FineTuneOptions = { classes: 2, steps: 60, batchSize: 8, learningRate: 0.03, seed: 3 };

describe('fineTuneSegmentation', () => {
  it('learns to segment bright squares (mIoU > 0.8), the loss falls, no readback per step, no leak', async () => {
    const rng = new Rng(11);
    const train = squares(rng, 16);
    const test = squares(rng, 70); // two prediction chunks of ≤ 64 images
    const before = tf.memory().numTensors;
    const network = convNetwork(1);
    expect(tf.memory().numTensors).toBe(before + 2); // the network's two variables, handed over
    const data = vi.spyOn(tf.Tensor.prototype, 'data');
    const dataSync = vi.spyOn(tf.Tensor.prototype, 'dataSync');
    const result = await fineTuneSegmentation(network, train, test, OPTIONS);
    // The fine-tuner disposed the network's variables and everything it made.
    expect(tf.memory().numTensors).toBe(before);
    expect(network.params.conv.weight.isDisposed).toBe(true);
    // One read for the two losses, one for all the predictions; none per step.
    expect(data).toHaveBeenCalledTimes(1 + 1);
    expect(dataSync).not.toHaveBeenCalled();

    expect(result.mIoU).toBeGreaterThan(0.8);
    expect(result.perClass).toHaveLength(2);
    expect(result.lastLoss).toBeLessThan(result.firstLoss);
    expect(result.firstLoss).toBeGreaterThan(0);
    tf.dispose([train.images, test.images]);
  });

  it('scores low with steps = 0 (untrained head) and is deterministic for a seed', async () => {
    const rng = new Rng(11);
    const train = squares(rng, 16);
    const test = squares(rng, 40);
    const before = tf.memory().numTensors;
    const untrained = await fineTuneSegmentation(convNetwork(1), train, test, { ...OPTIONS, steps: 0 });
    expect(untrained.mIoU).toBeLessThan(0.5);
    expect(untrained.firstLoss).toBeNaN();
    expect(untrained.lastLoss).toBeNaN();
    const a = await fineTuneSegmentation(convNetwork(1), train, test, { ...OPTIONS, steps: 20 });
    const b = await fineTuneSegmentation(convNetwork(1), train, test, { ...OPTIONS, steps: 20 });
    expect(b).toEqual(a);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([train.images, test.images]);
  });

  it('leaves frozen weights unchanged while the head trains; unfrozen weights move', async () => {
    const rng = new Rng(12);
    const train = squares(rng, 16);
    const test = squares(rng, 20);

    const frozen = convNetwork(2, () => true);
    const initial = frozen.params.conv.weight.dataSync().slice();
    const initialBias = frozen.params.conv.bias.dataSync().slice();
    const finalWeight = valuesAtDispose(frozen.params.conv.weight);
    const finalBias = valuesAtDispose(frozen.params.conv.bias);
    const frozenResult = await fineTuneSegmentation(frozen, train, test, OPTIONS);
    expect(finalWeight.values).toEqual(initial);
    expect(finalBias.values).toEqual(initialBias);
    expect(frozenResult.lastLoss).toBeLessThan(frozenResult.firstLoss); // the head alone still learns

    // Freezing by name: only the bias is frozen.
    const partly = convNetwork(2, (name) => name === 'conv.bias');
    const partlyWeight = valuesAtDispose(partly.params.conv.weight);
    const partlyBias = valuesAtDispose(partly.params.conv.bias);
    await fineTuneSegmentation(partly, train, test, OPTIONS);
    expect(partlyBias.values).toEqual(initialBias);
    expect(partlyWeight.values).not.toEqual(initial);
    tf.dispose([train.images, test.images]);
  });

  it('gives the mIoU of measures/masks for the confusion of separable features', async () => {
    // Features that are the mask itself ([object, background, 0] per pixel): the head learns
    // them exactly, so the predictions are the drawn squares and the score is fixed by how the
    // test labels below disagree with the drawing.
    const draw = (squaresAt: Array<[number, number]>) => {
      const values = new Float32Array(squaresAt.length * SIZE * SIZE * 3);
      const mask = new Int32Array(squaresAt.length * SIZE * SIZE);
      squaresAt.forEach(([top, left], n) => {
        for (let y = 0; y < SIZE; y++) {
          for (let x = 0; x < SIZE; x++) {
            const inside = y >= top && y < top + SQUARE && x >= left && x < left + SQUARE ? 1 : 0;
            const pixel = (n * SIZE + y) * SIZE + x;
            mask[pixel] = inside;
            values[pixel * 3] = inside;
            values[pixel * 3 + 1] = 1 - inside;
          }
        }
      });
      return { images: tf.tensor4d(values, [squaresAt.length, SIZE, SIZE, 3]), mask };
    };
    const scale = constantVariable([1], 1);
    const network: FineTuneNetwork = {
      variables: new Map([['scale', scale]]),
      features: (images) => tf.mul(images, scale) as tf.Tensor4D,
      featureDim: 3,
      frozen: () => true,
    };
    const train = draw([[0, 0], [2, 3], [5, 5], [1, 4]]);
    const test = draw([[0, 0], [4, 4]]);
    // Truth: 2 pixels of the first square are background (false positives), 3 background pixels
    // of the second image are object (false negatives).
    const truth = test.mask.slice();
    truth[0] = 0;
    truth[1] = 0;
    truth[SIZE * SIZE + 0] = 1;
    truth[SIZE * SIZE + 1] = 1;
    truth[SIZE * SIZE + 2] = 1;
    const before = tf.memory().numTensors;
    const result = await fineTuneSegmentation(network, { images: train.images, pixels: train.mask }, { images: test.images, pixels: truth },
      { classes: 2, steps: 40, batchSize: 4, learningRate: 0.1, seed: 1 });
    expect(tf.memory().numTensors).toBe(before - 1); // the network's one variable
    // By hand: object TP 7 + 9 = 16, FP 2, FN 3; background TP 128 − 21 = 107.
    expect(result.perClass[1]).toBeCloseTo(16 / 21, 10);
    expect(result.perClass[0]).toBeCloseTo(107 / 112, 10);
    expect(result.mIoU).toBeCloseTo((16 / 21 + 107 / 112) / 2, 10);
    expect(result).toMatchObject(meanIoU(confusionMatrix(test.mask, truth, 2), 2));
    tf.dispose([train.images, test.images]);
  });

  it('weights classes by inverse pixel share, mean 1 over pixels; absent classes 0', () => {
    // 6 background, 2 object pixels, no class 2: shares 3/4 and 1/4.
    const pixels = Int32Array.from([0, 0, 0, 1, 0, 0, 1, 0]);
    const weights = balancedClassWeights(pixels, 3);
    expect(weights[0]).toBeCloseTo(8 / (6 * 2), 6);
    expect(weights[1]).toBeCloseTo(8 / (2 * 2), 6);
    expect(weights[2]).toBe(0);
    let mean = 0;
    for (const c of pixels) mean += weights[c] / pixels.length;
    expect(mean).toBeCloseTo(1, 6);
    expect(() => balancedClassWeights(Int32Array.from([0, 3]), 3)).toThrow(/class id 3/);
  });

  it('disposes the network even when it rejects its arguments', async () => {
    const rng = new Rng(13);
    const train = squares(rng, 4);
    const test = squares(rng, 4);
    const before = tf.memory().numTensors;
    const network = convNetwork(3);
    await expect(fineTuneSegmentation(network, { images: train.images, pixels: train.pixels.subarray(1) }, test, OPTIONS))
      .rejects.toThrow(/pixel labels/);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([train.images, test.images]);
  });
});
