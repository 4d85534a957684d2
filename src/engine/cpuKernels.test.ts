import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, describe, expect, it } from 'vitest';
import { im2colTransposed } from './cpuArrays';
import { registerCpuKernels } from './cpuKernels';
import { Rng } from './random';

// tfjs's own kernels on the cpu backend, kept before registerCpuKernels replaces the filter gradient.
const cpuFilterGradient = tf.getKernel('Conv2DBackpropFilter', 'cpu')!;
const cpuInputGradient = tf.getKernel('Conv2DBackpropInput', 'cpu')!;

/**
 * The replacement filter gradient against the definition, summed directly:
 * dW[i, j, ci, co] = Σ_{n, y, x} in[n, y·s + i − top, x·s + j − left, ci] · dy[n, y, x, co].
 */
function reference(x: Float32Array, xs: number[], dy: Float32Array, ds: number[], k: number, stride: number, top: number, left: number): Float32Array {
  const [n, h, w, ci] = xs;
  const [, ho, wo, co] = ds;
  const out = new Float32Array(k * k * ci * co);
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) for (let c = 0; c < ci; c++) for (let o = 0; o < co; o++) {
    let sum = 0;
    for (let b = 0; b < n; b++) for (let y = 0; y < ho; y++) for (let xx = 0; xx < wo; xx++) {
      const r = y * stride + i - top;
      const q = xx * stride + j - left;
      if (r < 0 || r >= h || q < 0 || q >= w) continue;
      sum += x[((b * h + r) * w + q) * ci + c] * dy[((b * ho + y) * wo + xx) * co + o];
    }
    out[((i * k + j) * ci + c) * co + o] = sum;
  }
  return out;
}

const random = (rng: Rng, size: number) => Float32Array.from({ length: size }, () => rng.normal());

describe.each(['cpu', 'wasm'] as const)('Conv2DBackpropFilter on %s', (backend) => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it.each([
    { size: 8, ci: 3, co: 5, stride: 1, pad: 'same' as const },
    { size: 8, ci: 4, co: 6, stride: 2, pad: 'same' as const },
    { size: 9, ci: 2, co: 3, stride: 2, pad: 'valid' as const },
  ])('matches the definition: $size px, $ci → $co, stride $stride, $pad', async ({ size, ci, co, stride, pad }) => {
    registerCpuKernels(backend);
    await tf.setBackend(backend);
    const rng = Rng.stream(7, `${size}-${stride}-${pad}`);
    const xs = [2, size, size, ci];
    const x = random(rng, xs.reduce((a, b) => a * b));
    const kernel = tf.tensor4d(random(rng, 9 * ci * co), [3, 3, ci, co]);
    const input = tf.tensor4d(x, xs as [number, number, number, number]);
    const y = tf.conv2d(input, kernel, stride, pad);
    const dy = random(rng, y.size);
    const grad = tf.grad((k: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(input, k as tf.Tensor4D, stride, pad), tf.tensor(dy, y.shape))))(kernel);
    const info = tf.backend_util.computeConv2DInfo(xs as [number, number, number, number], [3, 3, ci, co], stride, 1, pad);
    const expected = reference(x, xs, dy, y.shape, 3, stride, info.padInfo.top, info.padInfo.left);
    const got = await grad.data();
    for (let i = 0; i < expected.length; i++) expect(got[i]).toBeCloseTo(expected[i], 3);
    tf.dispose([kernel, input, y, grad]);
  });
});

describe('UnsortedSegmentSum on wasm (the gradient of gather)', () => {
  it('sums the rows of each segment, as on the cpu backend', async () => {
    registerCpuKernels('wasm');
    const values = [[1, 2], [3, 4], [5, 6], [7, 8]];
    const run = async (backend: string) => {
      await tf.setBackend(backend);
      const table = tf.tensor2d(values);
      const grad = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, tf.tensor1d([3, 0, 3, 1], 'int32')), tf.tensor2d([[1, 1], [2, 2], [3, 3], [4, 4]]))))(table);
      const out = Array.from(await grad.data());
      tf.dispose([table, grad]);
      return out;
    };
    const cpu = await run('cpu');
    const wasm = await run('wasm');
    expect(wasm).toEqual(cpu);
    expect(cpu).toEqual([2, 2, 4, 4, 0, 0, 4, 4]);
    await tf.setBackend('cpu');
  });
});

describe('matMul with transposed operands on wasm (transposed explicitly first)', () => {
  it.each([[false, false], [true, false], [false, true], [true, true]])('transposeA %s, transposeB %s: the cpu backend’s product', async (ta, tb) => {
    registerCpuKernels('wasm');
    const rng = Rng.stream(3, `mm-${ta}-${tb}`);
    const aShape = ta ? [2, 4, 3] : [2, 3, 4];
    const bShape = tb ? [2, 5, 4] : [2, 4, 5];
    const a = random(rng, 24);
    const b = random(rng, 40);
    const run = async (backend: string) => {
      await tf.setBackend(backend);
      const product = tf.matMul(tf.tensor3d(a, aShape as [number, number, number]), tf.tensor3d(b, bShape as [number, number, number]), ta, tb);
      const values = Array.from(await product.data());
      tf.dispose(product);
      return values;
    };
    const cpu = await run('cpu');
    const wasm = await run('wasm');
    wasm.forEach((v, i) => expect(v).toBeCloseTo(cpu[i], 4));
    await tf.setBackend('cpu');
  });
});

/**
 * The U-Net's and the lineage CNN's convolutions (3×3 'same' at stride 1 and 2, the 1×1 and
 * 'valid' cases, explicit padding), and odd sizes: each path of the im2col and of the input
 * gradient's convolution (stride 1 as wide and as tall as the input, as wide only, the general one).
 */
const CONV_CASES: { n: number; h: number; w: number; ci: number; co: number; k: number; stride: number; pad: 'same' | 'valid' | tf.backend_util.ExplicitPadding }[] = [
  { n: 2, h: 16, w: 16, ci: 8, co: 8, k: 3, stride: 1, pad: 'same' },
  { n: 2, h: 8, w: 8, ci: 24, co: 8, k: 3, stride: 1, pad: 'same' },
  { n: 2, h: 16, w: 16, ci: 3, co: 16, k: 3, stride: 1, pad: 'same' },
  { n: 2, h: 16, w: 16, ci: 8, co: 16, k: 3, stride: 2, pad: 'same' },
  { n: 2, h: 7, w: 9, ci: 5, co: 6, k: 3, stride: 2, pad: 'same' },
  { n: 2, h: 9, w: 9, ci: 4, co: 3, k: 3, stride: 2, pad: 'valid' },
  { n: 2, h: 6, w: 7, ci: 4, co: 5, k: 3, stride: 1, pad: 'valid' },
  { n: 1, h: 5, w: 6, ci: 3, co: 2, k: 5, stride: 1, pad: 'same' },
  { n: 2, h: 6, w: 6, ci: 4, co: 3, k: 1, stride: 1, pad: 'same' },
  { n: 2, h: 6, w: 5, ci: 3, co: 4, k: 3, stride: 1, pad: [[0, 0], [2, 0], [0, 1], [0, 0]] },
  { n: 2, h: 8, w: 6, ci: 3, co: 4, k: 3, stride: 1, pad: [[0, 0], [1, 1], [0, 0], [0, 0]] },
  { n: 2, h: 4, w: 4, ci: 2, co: 3, k: 4, stride: 2, pad: 'same' },
];

describe('the convolution gradients against tfjs\'s own kernels on the cpu backend', () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  /** Runs `kernel` (a registered kernel's config) on the cpu backend. */
  const runCpu = (kernel: tf.KernelConfig, inputs: Record<string, tf.Tensor>, attrs: object) => {
    const backend = tf.findBackend('cpu')!;
    const info = kernel.kernelFunc({ inputs, backend, attrs: attrs as tf.NamedAttrMap }) as tf.TensorInfo;
    return Float32Array.from((backend as unknown as { readSync(id: tf.DataId): Float32Array }).readSync(info.dataId));
  };

  describe.each(['cpu', 'wasm'] as const)('on %s', (backend) => {
    it.each(CONV_CASES)('$n×$h×$w×$ci → $co, $k×$k, stride $stride, pad $pad', async ({ n, h, w, ci, co, k, stride, pad }) => {
      registerCpuKernels(backend);
      await tf.setBackend('cpu');
      const rng = Rng.stream(11, `${n}-${h}-${w}-${ci}-${co}-${k}-${stride}-${JSON.stringify(pad)}`);
      const xShape: [number, number, number, number] = [n, h, w, ci];
      const filterShape: [number, number, number, number] = [k, k, ci, co];
      const info = tf.backend_util.computeConv2DInfo(xShape, filterShape, stride, 1, pad);
      const xValues = random(rng, n * h * w * ci);
      const filterValues = random(rng, k * k * ci * co);
      const dyValues = random(rng, info.outShape.reduce((a, b) => a * b));
      const filterAttrs = { strides: stride, pad, dataFormat: 'NHWC', filterShape };
      const inputAttrs = { strides: stride, pad, dataFormat: 'NHWC', inputShape: xShape };
      const cpuX = tf.tensor4d(xValues, xShape);
      const cpuDy = tf.tensor4d(dyValues, info.outShape);
      const cpuFilter = tf.tensor4d(filterValues, filterShape);
      const expectedFilter = runCpu(cpuFilterGradient, { x: cpuX, dy: cpuDy }, filterAttrs);
      const expectedInput = runCpu(cpuInputGradient, { dy: cpuDy, filter: cpuFilter }, inputAttrs);
      tf.dispose([cpuX, cpuDy, cpuFilter]);

      await tf.setBackend(backend);
      const x = tf.tensor4d(xValues, xShape);
      const dy = tf.tensor4d(dyValues, info.outShape);
      const filter = tf.tensor4d(filterValues, filterShape);
      const dW = tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, filterAttrs as unknown as tf.NamedAttrMap) as tf.Tensor;
      const dX = tf.engine().runKernel('Conv2DBackpropInput', { dy, filter }, inputAttrs as unknown as tf.NamedAttrMap) as tf.Tensor;
      expect(dW.shape).toEqual(filterShape);
      expect(dX.shape).toEqual(xShape);
      const gotFilter = await dW.data();
      const gotInput = await dX.data();
      for (let i = 0; i < expectedFilter.length; i++) expect(gotFilter[i], `dW[${i}]`).toBeCloseTo(expectedFilter[i], 3);
      for (let i = 0; i < expectedInput.length; i++) expect(gotInput[i], `dx[${i}]`).toBeCloseTo(expectedInput[i], 3);
      tf.dispose([x, dy, filter, dW, dX]);
    });
  });

  it('im2colTransposed: every path gives the patches of the definition', () => {
    for (const { n, h, w, ci, k, stride, pad } of CONV_CASES) {
      const rng = Rng.stream(5, `${n}-${h}-${w}-${ci}-${k}-${stride}-${JSON.stringify(pad)}`);
      const shape = [n, h, w, ci];
      const input = random(rng, n * h * w * ci);
      const info = tf.backend_util.computeConv2DInfo(shape as [number, number, number, number], [k, k, ci, 1], stride, 1, pad);
      const { outHeight: ho, outWidth: wo } = info;
      const got = im2colTransposed(input, shape, info.outShape, [k, k, ci, 1], { ...info, top: info.padInfo.top, left: info.padInfo.left });
      const rows = n * ho * wo;
      for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) for (let c = 0; c < ci; c++) {
        for (let b = 0; b < n; b++) for (let y = 0; y < ho; y++) for (let x = 0; x < wo; x++) {
          const r = y * stride + i - info.padInfo.top;
          const q = x * stride + j - info.padInfo.left;
          const expected = r < 0 || r >= h || q < 0 || q >= w ? 0 : input[((b * h + r) * w + q) * ci + c];
          expect(got[((i * k + j) * ci + c) * rows + (b * ho + y) * wo + x]).toBe(expected);
        }
      }
    }
  });
});

describe('Identity on wasm (the clone the engine keeps for a gradient)', () => {
  it('shares the data, and the clone outlives its source', async () => {
    registerCpuKernels('wasm');
    await tf.setBackend('wasm');
    const x = tf.tensor2d([[1, 2], [3, 4]]);
    const y = tf.clone(x);
    x.dispose();
    expect(Array.from(await y.data())).toEqual([1, 2, 3, 4]);
    y.dispose();
    await tf.setBackend('cpu');
  });
});

describe('Concat and SplitV on wasm, against the cpu backend', () => {
  it.each([0, 1, 2, 3])('along axis %i, including runs long enough to be copied by set()', async (axis) => {
    registerCpuKernels('wasm');
    const rng = Rng.stream(9, `concat-${axis}`);
    const shapes = [[2, 3, 4, 5], [2, 3, 4, 5], [2, 3, 4, 5]].map((shape, i) => shape.map((d, k) => (k === axis ? d + i * 30 : d)));
    const values = shapes.map((shape) => random(rng, shape.reduce((a, b) => a * b)));
    const run = async (backend: string) => {
      await tf.setBackend(backend);
      const parts = values.map((v, i) => tf.tensor(v, shapes[i]));
      const joined = tf.concat(parts, axis);
      const split = tf.split(joined, shapes.map((shape) => shape[axis]), axis);
      const out = [Array.from(await joined.data()), ...(await Promise.all(split.map(async (t) => Array.from(await t.data()))))];
      const outShapes = [joined.shape, ...split.map((t) => t.shape)];
      tf.dispose([...parts, joined, ...split]);
      return { out, outShapes };
    };
    const cpu = await run('cpu');
    const wasm = await run('wasm');
    expect(wasm).toEqual(cpu);
    expect(cpu.out.slice(1)).toEqual(values.map((v) => Array.from(v)));
    await tf.setBackend('cpu');
  });
});

describe('Sum on wasm over axes that are not the innermost, against the cpu backend', () => {
  it.each([[[0, 1, 2], false], [[1], true], [[0], false], [[1, 2], true], [[2, 1], false], [[3], false], [[0, 2], false], [[0, 1, 2, 3], false]] as const)(
    'axes %j, keepDims %s', async (axes, keepDims) => {
      registerCpuKernels('wasm');
      const shape = [3, 5, 7, 6];
      const values = random(Rng.stream(4, `sum-${axes}`), shape.reduce((a, b) => a * b));
      const run = async (backend: string) => {
        await tf.setBackend(backend);
        const x = tf.tensor(values, shape);
        const y = tf.sum(x, [...axes], keepDims);
        const out = { shape: y.shape, values: Array.from(await y.data()) };
        tf.dispose([x, y]);
        return out;
      };
      const cpu = await run('cpu');
      const wasm = await run('wasm');
      expect(wasm.shape).toEqual(cpu.shape);
      wasm.values.forEach((v, i) => expect(v).toBeCloseTo(cpu.values[i], 4));
      await tf.setBackend('cpu');
    });
});
