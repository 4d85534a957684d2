import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../random';
import { disposeTree, namedVariables } from './params';
import {
  avgPool2x2, conv3x3, createUNet, groupNorm, normGroups, unetDecode, unetEncode, unetFeatureDim, unetForward, upsampleNearest2x,
  type UNetConfig, type UNetParams,
} from './unet';

const tree = (params: UNetParams) => params;

function randomImages(seed: number, shape: [number, number, number, number]): tf.Tensor4D {
  const rng = new Rng(seed);
  const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < values.length; i++) values[i] = rng.uniform(-1, 1);
  return tf.tensor4d(values, shape);
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('U-Net', () => {
  const cases: { config: UNetConfig; batch: number }[] = [
    { config: { imageSize: 16, channels: [8, 16, 32], outChannels: 3, groups: 4 }, batch: 2 },
    { config: { imageSize: 8, channels: [8, 16], outChannels: 3, groups: 8 }, batch: 3 },
  ];

  for (const { config, batch } of cases) {
    it(`has the right shape at every level: channels [${config.channels}] on ${config.imageSize} px`, () => {
      const params = createUNet(config, new Rng(1));
      const { channels, imageSize: s } = config;
      const levels = channels.length;
      tf.tidy(() => {
        const x = randomImages(2, [batch, s, s, 3]);
        const encoding = unetEncode(params, x);
        expect(encoding.skips.map((t) => t.shape)).toEqual(channels.slice(0, -1).map((c, i) => [batch, s / 2 ** i, s / 2 ** i, c]));
        const coarse = s / 2 ** (levels - 1);
        expect(encoding.bottleneck.shape).toEqual([batch, coarse, coarse, channels[levels - 1]]);
        const decoding = unetDecode(params, encoding);
        // Coarse → fine: the bottleneck, then decoder levels L−2 … 0.
        const expected = channels.map((_, j) => {
          const level = levels - 1 - j;
          return [batch, s / 2 ** level, s / 2 ** level, channels[level]];
        });
        expect(decoding.features.map((t) => t.shape)).toEqual(expected);
        expect(decoding.features[0]).toBe(encoding.bottleneck);
        expect(decoding.features[levels - 1].shape[3]).toBe(unetFeatureDim(config));
        expect(decoding.output.shape).toEqual([batch, s, s, 3]);
        // unetForward is encode then decode.
        const forward = unetForward(params, x);
        expect(tf.max(tf.abs(tf.sub(forward.output, decoding.output))).dataSync()[0]).toBe(0);
        expect(Number.isFinite(tf.sum(forward.output).dataSync()[0])).toBe(true);
      });
      disposeTree(tree(params));
    });
  }

  it('names the encoder, decoder and output separately, so DDeP can freeze "encoder.*"', () => {
    const config = cases[0].config;
    const params = createUNet(config, new Rng(1));
    const names = [...namedVariables(tree(params)).keys()];
    expect(names).toContain('encoder.0.conv1.kernel');
    expect(names).toContain('encoder.2.norm2.gamma');
    expect(names).toContain('decoder.0.conv2.bias');
    expect(names).toContain('out.kernel');
    const encoder = names.filter((n) => n.startsWith('encoder.'));
    // 3 levels × (2 convs × (kernel, bias) + 2 norms × (gamma, beta)) = 24 variables.
    expect(encoder.length).toBe(24);
    expect(names.filter((n) => n.startsWith('decoder.')).length).toBe(16);
    expect(names.filter((n) => !n.startsWith('encoder.') && !n.startsWith('decoder.'))).toEqual(['out.kernel', 'out.bias']);
    // The encoder variables are exactly those unetEncode reads.
    const encoderVariables = new Set(encoder.map((n) => namedVariables(tree(params)).get(n)!));
    const x = randomImages(4, [1, 16, 16, 3]);
    const { grads } = tf.variableGrads(() => tf.tidy(() => tf.sum(unetEncode(params, x).bottleneck)));
    expect(new Set(Object.keys(grads))).toEqual(new Set([...encoderVariables].map((v) => v.name)));
    tf.dispose(grads);
    disposeTree(tree(params));
  });

  it('the decoder input channels are skip + upsampled, and the output conv is 1×1', () => {
    const params = createUNet(cases[0].config, new Rng(1));
    expect(params.decoder[0].conv1.kernel.shape).toEqual([3, 3, 8 + 16, 8]);
    expect(params.decoder[1].conv1.kernel.shape).toEqual([3, 3, 16 + 32, 16]);
    expect(params.encoder[0].conv1.kernel.shape).toEqual([3, 3, 3, 8]);
    expect(params.out.kernel.shape).toEqual([1, 1, 8, 3]);
    disposeTree(tree(params));
  });

  it('gets a non-zero finite gradient to every variable', () => {
    const config = cases[0].config;
    const params = createUNet(config, new Rng(7));
    const variables = namedVariables(tree(params));
    const x = randomImages(8, [2, 16, 16, 3]);
    const target = randomImages(9, [2, 16, 16, 3]);
    const { value, grads } = tf.variableGrads(
      () => tf.tidy(() => tf.mean(tf.squaredDifference(unetForward(params, x).output, target)) as tf.Scalar),
      [...variables.values()],
    );
    expect(Number.isFinite(value.dataSync()[0])).toBe(true);
    for (const [name, variable] of variables) {
      const grad = grads[variable.name];
      expect(grad, name).toBeDefined();
      const values = grad.dataSync();
      expect(values.every(Number.isFinite), `${name} finite`).toBe(true);
      expect(tf.max(tf.abs(grad)).dataSync()[0], `${name} non-zero`).toBeGreaterThan(0);
    }
    tf.dispose([value, grads]);
    disposeTree(tree(params));
  });

  it('the same seed gives identical weights; another seed does not', () => {
    const config = cases[0].config;
    const a = namedVariables(tree(createUNet(config, new Rng(3))));
    const b = namedVariables(tree(createUNet(config, new Rng(3))));
    const c = namedVariables(tree(createUNet(config, new Rng(4))));
    for (const [name, variable] of a) {
      expect(Array.from(b.get(name)!.dataSync()), name).toEqual(Array.from(variable.dataSync()));
    }
    expect(Array.from(c.get('encoder.0.conv1.kernel')!.dataSync())).not.toEqual(Array.from(a.get('encoder.0.conv1.kernel')!.dataSync()));
    // Kaiming normal std √(2/(9·in)), truncated at 2σ; biases 0; GroupNorm γ 1, β 0.
    const kernel = a.get('encoder.1.conv1.kernel')!.dataSync();
    const std = Math.sqrt(2 / (9 * 8));
    expect(Math.max(...Array.from(kernel, Math.abs))).toBeLessThanOrEqual(2 * std + 1e-7);
    expect(Array.from(a.get('decoder.0.norm1.gamma')!.dataSync()).every((v) => v === 1)).toBe(true);
    expect(Array.from(a.get('out.bias')!.dataSync()).every((v) => v === 0)).toBe(true);
    expect(Math.max(...Array.from(a.get('out.kernel')!.dataSync(), Math.abs))).toBeLessThanOrEqual(0.04 + 1e-7);
    for (const map of [a, b, c]) for (const v of map.values()) v.dispose();
  });

  it('groupNorm matches a hand computation (torch.nn.GroupNorm semantics)', () => {
    // [1, 1, 2, 4]: two pixels, 4 channels in 2 groups of 2 → each group normalises 4 numbers.
    const x = tf.tensor4d([1, 2, 10, 20, 3, 4, 30, 60], [1, 1, 2, 4]);
    const plain = groupNorm(x, tf.ones([4]), tf.zeros([4]), 2).dataSync();
    const expected: number[] = new Array(8);
    for (const [channels, values] of [[[0, 1], [1, 2, 3, 4]], [[2, 3], [10, 20, 30, 60]]] as const) {
      const mean = values.reduce((s, v) => s + v, 0) / 4;
      const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / 4; // biased, as torch
      [0, 1].forEach((pixel) => channels.forEach((c, k) => {
        expected[pixel * 4 + c] = (values[pixel * 2 + k] - mean) / Math.sqrt(variance + 1e-5);
      }));
    }
    expected.forEach((e, i) => expect(plain[i], `entry ${i}`).toBeCloseTo(e, 5));
    // Per group: mean 0, variance 1 (up to eps) before the affine.
    const groups = tf.reshape(tf.tensor(plain, [2, 4]), [2, 2, 2]);
    const { mean, variance } = tf.moments(tf.transpose(groups, [1, 0, 2]), [1, 2]);
    mean.dataSync().forEach((m) => expect(m).toBeCloseTo(0, 5));
    variance.dataSync().forEach((v) => expect(v).toBeCloseTo(1, 3));
    // The affine is per channel.
    const affine = groupNorm(x, tf.tensor1d([1, 2, 3, 4]), tf.tensor1d([0, 1, 0, -1]), 2).dataSync();
    affine.forEach((v, i) => expect(v).toBeCloseTo(expected[i] * [1, 2, 3, 4][i % 4] + [0, 1, 0, -1][i % 4], 4));
    expect(() => groupNorm(x, tf.ones([4]), tf.zeros([4]), 3)).toThrow(/groups/);
  });

  it('groupNorm\'s written-out gradient equals autograd through tf.moments', () => {
    // The formulation groupNorm had before its gradient was written out.
    const autograd = (x: tf.Tensor4D, gamma: tf.Tensor, beta: tf.Tensor, groups: number) => {
      const [n, h, w, c] = x.shape;
      const grouped = tf.reshape(x, [n, h, w, groups, c / groups]);
      const { mean, variance } = tf.moments(grouped, [1, 2, 4], true);
      const normalized = tf.reshape(tf.mul(tf.sub(grouped, mean), tf.rsqrt(tf.add(variance, 1e-5))), [n, h, w, c]);
      return tf.add(tf.mul(normalized, gamma), beta) as tf.Tensor4D;
    };
    for (const [shape, groups] of [[[2, 5, 6, 8], 4], [[3, 4, 4, 12], 3], [[1, 2, 3, 6], 1], [[2, 3, 3, 4], 4]] as const) {
      const x = tf.add(tf.mul(randomImages(31, [...shape]), 3), 0.5) as tf.Tensor4D;
      const c = shape[3];
      const gamma = tf.add(tf.mul(randomImages(32, [1, 1, 1, c]).reshape([c]), 0.5), 1);
      const beta = randomImages(33, [1, 1, 1, c]).reshape([c]);
      const weights = randomImages(34, [...shape]);
      const loss = (f: typeof autograd) => (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
        tf.sum(tf.mul(tf.square(f(a as tf.Tensor4D, g, b, groups)), weights));
      expect(tf.max(tf.abs(tf.sub(groupNorm(x, gamma, beta, groups), autograd(x, gamma, beta, groups)))).dataSync()[0]).toBe(0);
      const ours = tf.grads(loss(groupNorm))([x, gamma, beta]);
      const reference = tf.grads(loss(autograd))([x, gamma, beta]);
      ours.forEach((grad, i) => {
        expect(grad.shape).toEqual(reference[i].shape);
        const scale = Math.max(1, tf.max(tf.abs(reference[i])).dataSync()[0]);
        expect(tf.max(tf.abs(tf.sub(grad, reference[i]))).dataSync()[0] / scale, `${shape} input ${i}`).toBeLessThan(1e-4);
      });
    }
  });

  it('clamps the group count to a divisor of the channels', () => {
    expect(normGroups(8, 4)).toBe(4);
    expect(normGroups(12, 8)).toBe(6);
    expect(normGroups(8, 32)).toBe(8);
    expect(normGroups(7, 4)).toBe(1);
    // An awkward width still runs (12 channels, 8 groups → 6).
    const params = createUNet({ imageSize: 8, channels: [12, 24], outChannels: 3, groups: 8 }, new Rng(1));
    const out = tf.tidy(() => unetForward(params, randomImages(1, [1, 8, 8, 3])).output.shape);
    expect(out).toEqual([1, 8, 8, 3]);
    disposeTree(tree(params));
  });

  it('the cpu conv3x3 gradients equal tfjs\'s own conv2d gradients', () => {
    const x = randomImages(21, [2, 5, 6, 3]);
    const kernel = tf.mul(randomImages(22, [3, 3, 3, 4]), 0.5) as tf.Tensor4D;
    const bias = tf.tensor1d([0.1, -0.2, 0.3, 0]);
    const weights = randomImages(23, [2, 5, 6, 4]);
    const loss = (conv: (a: tf.Tensor4D, w: tf.Tensor4D) => tf.Tensor) => (a: tf.Tensor, w: tf.Tensor) =>
      tf.sum(tf.mul(tf.square(conv(a as tf.Tensor4D, w as tf.Tensor4D)), weights));
    const ours = tf.grads(loss((a, w) => conv3x3(a, w, bias)))([x, kernel]);
    const native = tf.grads(loss((a, w) => tf.add(tf.conv2d(a, w, 1, 'same'), bias)))([x, kernel]);
    expect(tf.max(tf.abs(tf.sub(conv3x3(x, kernel, bias), tf.add(tf.conv2d(x, kernel, 1, 'same'), bias)))).dataSync()[0]).toBe(0);
    ours.forEach((grad, i) => {
      expect(grad.shape).toEqual(native[i].shape);
      expect(tf.max(tf.abs(tf.sub(grad, native[i]))).dataSync()[0], `input ${i}`).toBeLessThan(1e-4);
    });
  });

  it('upsamples by nearest neighbour, with the block-sum gradient', () => {
    const x = tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]);
    expect(Array.from(upsampleNearest2x(x).dataSync())).toEqual([1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);
    const weights = tf.tensor4d(Array.from({ length: 16 }, (_, i) => i), [1, 4, 4, 1]);
    const grad = tf.grad((input: tf.Tensor) => tf.sum(tf.mul(upsampleNearest2x(input as tf.Tensor4D), weights)))(x);
    // Block sums of 0..15 laid out 4×4: [0+1+4+5, 2+3+6+7, 8+9+12+13, 10+11+14+15].
    expect(Array.from(grad.dataSync())).toEqual([10, 18, 42, 50]);
  });

  it('avgPool2x2 and its gradient equal tf.avgPool\'s, odd sizes included', () => {
    for (const shape of [[2, 4, 6, 3], [1, 5, 7, 2]] as const) {
      const x = randomImages(41, [...shape]);
      const weights = randomImages(42, [shape[0], Math.floor(shape[1] / 2), Math.floor(shape[2] / 2), shape[3]]);
      const ours = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(avgPool2x2(a as tf.Tensor4D), weights)))(x);
      const native = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.avgPool(a as tf.Tensor4D, 2, 2, 'valid'), weights)))(x);
      expect(Array.from(avgPool2x2(x).dataSync())).toEqual(Array.from(tf.avgPool(x, 2, 2, 'valid').dataSync()));
      expect(ours.shape).toEqual(native.shape);
      expect(Array.from(ours.dataSync())).toEqual(Array.from(native.dataSync()));
    }
  });

  it('leaks no tensors through a forward and backward pass', () => {
    const params = createUNet(cases[1].config, new Rng(1));
    const variables = [...namedVariables(tree(params)).values()];
    const x = randomImages(3, [2, 8, 8, 3]);
    const step = () => tf.tidy(() => {
      const { grads } = tf.variableGrads(() => tf.mean(tf.square(unetForward(params, x).output)) as tf.Scalar, variables);
      return tf.addN(Object.values(grads).map((g) => tf.sum(g)));
    });
    step().dispose(); // warm-up
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) step().dispose();
    expect(tf.memory().numTensors).toBe(before);
    disposeTree(tree(params));
  });

  it('rejects an image size the levels cannot halve', () => {
    expect(() => createUNet({ imageSize: 10, channels: [8, 16, 32], outChannels: 3, groups: 4 }, new Rng(1))).toThrow(/divisible/);
  });
});
