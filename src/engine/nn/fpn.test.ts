import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../random';
import { disposeTree, namedVariables } from './params';
import {
  createStudent, studentBackbone, studentForward, studentRegress, upsampleNearest,
  type StudentConfig, type StudentParams,
} from './fpn';

const tree = (params: StudentParams) => params;

function randomImages(seed: number, shape: [number, number, number, number]): tf.Tensor4D {
  const rng = new Rng(seed);
  const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < values.length; i++) values[i] = rng.uniform(-1, 1);
  return tf.tensor4d(values, shape);
}

const BASE: StudentConfig = { imageSize: 16, channels: [8, 16, 32], fpnChannels: 16, outChannels: [8, 16, 32], groups: 4 };

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('DreamTeacher student (backbone + FPN regressor)', () => {
  for (const outChannels of [[8, 16, 32], [4, 8, 16]]) {
    it(`has the right shape at every level: channels [8,16,32] → outChannels [${outChannels}] on 16 px`, () => {
      const params = createStudent({ ...BASE, outChannels }, new Rng(1));
      tf.tidy(() => {
        const x = randomImages(2, [2, 16, 16, 3]);
        const features = studentBackbone(params, x);
        expect(features.map((t) => t.shape)).toEqual([[2, 16, 16, 8], [2, 8, 8, 16], [2, 4, 4, 32]]);
        const regressed = studentRegress(params, features);
        expect(regressed.map((t) => t.shape)).toEqual(outChannels.map((c, i) => [2, 16 / 2 ** i, 16 / 2 ** i, c]));
        const forward = studentForward(params, x);
        forward.regressed.forEach((t, i) => {
          expect(tf.max(tf.abs(tf.sub(t, regressed[i]))).dataSync()[0]).toBe(0);
          expect(t.dataSync().every(Number.isFinite)).toBe(true);
        });
      });
      disposeTree(tree(params));
    });
  }

  it('names the backbone and regressor separately; the backbone variables are exactly "backbone.*"', () => {
    const params = createStudent(BASE, new Rng(1));
    const variables = namedVariables(tree(params));
    const names = [...variables.keys()];
    expect(names).toContain('backbone.0.conv1.kernel');
    expect(names).toContain('backbone.2.norm2.beta');
    expect(names).toContain('fpn.levels.0.lateral.kernel');
    expect(names).toContain('fpn.ppm.bins.1.kernel');
    expect(names).toContain('fpn.ppm.fuse.bias');
    expect(names.every((n) => n.startsWith('backbone.') || n.startsWith('fpn.'))).toBe(true);
    // 3 levels × (2 convs × (kernel, bias) + 2 norms × (gamma, beta)) = 24; regressor 3 × 8 + PPM 2 × 2 + 2.
    const backbone = names.filter((n) => n.startsWith('backbone.'));
    expect(backbone.length).toBe(24);
    expect(names.length).toBe(24 + 24 + 6);
    // Shapes: stem 3 → 8, laterals c_i → 16, fuse 3·16 → 16, outputs 16 → outChannels[i].
    expect(params.backbone[0].conv1.kernel.shape).toEqual([3, 3, 3, 8]);
    expect(params.backbone[1].conv1.kernel.shape).toEqual([3, 3, 8, 16]);
    expect(params.fpn.levels[2].lateral.kernel.shape).toEqual([1, 1, 32, 16]);
    expect(params.fpn.ppm.fuse.kernel.shape).toEqual([1, 1, 48, 16]);
    expect(params.fpn.levels[1].out.kernel.shape).toEqual([1, 1, 16, 16]);
    // The backbone's variables are exactly those studentBackbone reads.
    const x = randomImages(4, [1, 16, 16, 3]);
    const { grads } = tf.variableGrads(() => tf.tidy(() => tf.addN(studentBackbone(params, x).map((f) => tf.sum(tf.square(f)))) as tf.Scalar));
    expect(new Set(Object.keys(grads))).toEqual(new Set(backbone.map((n) => variables.get(n)!.name)));
    tf.dispose(grads);
    disposeTree(tree(params));
  });

  it('gets a non-zero finite gradient to every variable', () => {
    const params = createStudent({ ...BASE, outChannels: [4, 8, 16] }, new Rng(7));
    const variables = namedVariables(tree(params));
    const x = randomImages(8, [2, 16, 16, 3]);
    const targets = [[2, 16, 16, 4], [2, 8, 8, 8], [2, 4, 4, 16]].map((s, i) => randomImages(9 + i, s as [number, number, number, number]));
    const { value, grads } = tf.variableGrads(
      () => tf.tidy(() => tf.addN(studentForward(params, x).regressed.map((r, i) => tf.mean(tf.squaredDifference(r, targets[i])))) as tf.Scalar),
      [...variables.values()],
    );
    expect(Number.isFinite(value.dataSync()[0])).toBe(true);
    for (const [name, variable] of variables) {
      const grad = grads[variable.name];
      expect(grad, name).toBeDefined();
      expect(grad.dataSync().every(Number.isFinite), `${name} finite`).toBe(true);
      expect(tf.max(tf.abs(grad)).dataSync()[0], `${name} non-zero`).toBeGreaterThan(0);
    }
    tf.dispose([value, grads]);
    disposeTree(tree(params));
  });

  it('the same seed gives identical weights; another seed does not', () => {
    const a = namedVariables(tree(createStudent(BASE, new Rng(3))));
    const b = namedVariables(tree(createStudent(BASE, new Rng(3))));
    const c = namedVariables(tree(createStudent(BASE, new Rng(4))));
    for (const [name, variable] of a) {
      expect(Array.from(b.get(name)!.dataSync()), name).toEqual(Array.from(variable.dataSync()));
    }
    expect(Array.from(c.get('backbone.0.conv1.kernel')!.dataSync())).not.toEqual(Array.from(a.get('backbone.0.conv1.kernel')!.dataSync()));
    // Kaiming normal std √(2/fan_in) truncated at 2σ; 1×1 outputs trunc normal 0.02; biases 0; GN γ 1, β 0.
    const lateral = a.get('fpn.levels.2.lateral.kernel')!.dataSync();
    expect(Math.max(...Array.from(lateral, Math.abs))).toBeLessThanOrEqual(2 * Math.sqrt(2 / 32) + 1e-7);
    expect(Math.max(...Array.from(a.get('fpn.levels.0.out.kernel')!.dataSync(), Math.abs))).toBeLessThanOrEqual(0.04 + 1e-7);
    expect(Array.from(a.get('fpn.levels.1.norm.gamma')!.dataSync()).every((v) => v === 1)).toBe(true);
    expect(Array.from(a.get('fpn.ppm.fuse.bias')!.dataSync()).every((v) => v === 0)).toBe(true);
    for (const map of [a, b, c]) for (const v of map.values()) v.dispose();
  });

  it('upsampleNearest repeats each pixel factor × factor times, with the block-sum gradient', () => {
    const x = tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]);
    expect(Array.from(upsampleNearest(x, 3).dataSync())).toEqual([
      1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4,
    ]);
    expect(upsampleNearest(tf.ones([2, 1, 1, 5]) as tf.Tensor4D, 4).shape).toEqual([2, 4, 4, 5]);
    expect(Array.from(upsampleNearest(x, 1).dataSync())).toEqual([1, 2, 3, 4]);
    const grad = tf.grad((input: tf.Tensor) => tf.sum(tf.mul(upsampleNearest(input as tf.Tensor4D, 3), 2)))(x);
    expect(Array.from(grad.dataSync())).toEqual([18, 18, 18, 18]);
    expect(() => upsampleNearest(x, 1.5)).toThrow(/positive integers/);
  });

  it('the pyramid pooling rejects a coarsest size not divisible by 2', () => {
    // 12 px over 3 levels: the coarsest map is 3×3, which does not split into 2×2 bins.
    expect(() => createStudent({ ...BASE, imageSize: 12 }, new Rng(1))).toThrow(/coarsest map size \(3\).*divisible by every bin count/);
    expect(() => createStudent({ ...BASE, imageSize: 18 }, new Rng(1))).toThrow(/image size 18 is not divisible by 2\^2/);
    // The weights do not depend on the size, so a 16-px student can be run on 12-px features: the forward checks too.
    const params = createStudent(BASE, new Rng(1));
    const features = [randomImages(1, [1, 12, 12, 8]), randomImages(2, [1, 6, 6, 16]), randomImages(3, [1, 3, 3, 32])];
    expect(() => studentRegress(params, features)).toThrow(/studentRegress: the pyramid pooling needs the coarsest map size \(3\)/);
    expect(() => createStudent({ ...BASE, outChannels: [8, 16] }, new Rng(1))).toThrow(/outChannels/);
    tf.dispose(features);
    disposeTree(tree(params));
  });

  it('leaks no tensors through a forward and backward pass', () => {
    const params = createStudent(BASE, new Rng(1));
    const variables = [...namedVariables(tree(params)).values()];
    const x = randomImages(3, [2, 16, 16, 3]);
    const step = () => tf.tidy(() => {
      const { grads } = tf.variableGrads(
        () => tf.addN(studentForward(params, x).regressed.map((r) => tf.mean(tf.square(r)))) as tf.Scalar, variables,
      );
      return tf.addN(Object.values(grads).map((g) => tf.sum(g)));
    });
    step().dispose(); // warm-up
    const before = tf.memory().numTensors;
    step().dispose();
    expect(tf.memory().numTensors).toBe(before);
    // Outside a tidy, studentForward keeps only its outputs (3 features + 3 regressed maps).
    const forward = studentForward(params, x);
    expect(tf.memory().numTensors).toBe(before + 6);
    tf.dispose([...forward.features, ...forward.regressed]);
    expect(tf.memory().numTensors).toBe(before);
    disposeTree(tree(params));
  });
});
