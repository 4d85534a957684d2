import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, describe, expect, it } from 'vitest';
import { registerCpuKernels } from './cpuKernels';
import { Rng } from './random';

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
