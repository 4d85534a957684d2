/**
 * The fused optimizer kernels against the stock tfjs ops, on WebGPU in Node (Dawn on
 * SwiftShader's Vulkan driver, as `npm run bench` uses): same random inputs, same results within
 * float tolerance, and the dispatch counts they exist for.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { nodeWebGpuSuite } from '../gpu/testing';
import { Rng } from '../random';
import { AdamW, emaUpdate, type AdamWStep } from './adamw';
import { fusedActive, setFusedKernels } from '../gpu/program';

const gpuTest = nodeWebGpuSuite();

const SHAPES = [[7, 5], [13], [3, 4, 2]];
/** Large enough that tfjs's webgpu backend does not hand the stock ops to the CPU (it does below ~1000 elements held on the CPU). */
const LARGE = [[40, 30], [1200], [12, 10, 11]];

function randomValues(rng: Rng, shape: number[], scale: number): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: size }, () => (rng.next() * 2 - 1) * scale), shape);
}

/** Variables named p0, p1, … with the `shapes`, from `seed`. */
function variables(seed: number, shapes = SHAPES): Map<string, tf.Variable> {
  const rng = Rng.stream(seed, 'fused:weights');
  // As the models make them: the initial tensor disposed, the variable the buffer's one owner.
  return new Map(shapes.map((shape, i) => [`p${i}`, tf.tidy(() => tf.variable(randomValues(rng, shape, 1)))]));
}

/** `steps` AdamW steps on fixed random gradients, on the fused or the stock path: the final values. */
async function train(fused: boolean[], step: AdamWStep, shapes = SHAPES): Promise<Float32Array[]> {
  const params = variables(1, shapes);
  const optimizer = new AdamW(params);
  const rng = Rng.stream(2, 'fused:grads');
  for (const [k, on] of fused.entries()) {
    setFusedKernels(on);
    // Large gradients, so that the per-parameter and global clips engage; each tensor its own scale.
    tf.tidy(() => optimizer.apply(new Map(shapes.map((shape, i) => [`p${i}`, randomValues(rng, shape, 1 + ((i + k) % 4) * 3)])), step));
  }
  const values = await Promise.all([...params.values()].map(async (p) => (await p.data()) as Float32Array));
  optimizer.dispose();
  tf.dispose([...params.values()]);
  return values;
}

function expectClose(a: Float32Array[], b: Float32Array[], tolerance = 1e-5): void {
  expect(a.length).toBe(b.length);
  a.forEach((values, i) => values.forEach((value, j) => expect(Math.abs(value - b[i][j])).toBeLessThan(tolerance * Math.max(1, Math.abs(b[i][j])))));
}

describe('fused AdamW (WebGPU)', () => {
  const plain: AdamWStep = { learningRate: 0.01, weightDecay: 0.04, clip: 0 };
  const clipped: AdamWStep = { learningRate: 0.01, weightDecay: 0.4, clip: 3 };
  const globallyClipped: AdamWStep = { learningRate: 0.003, weightDecay: 0.1, clip: 0, globalClip: 1 };

  it('is active on webgpu and switched by the setting', () => {
    setFusedKernels(true);
    expect(fusedActive()).toBe(true);
    setFusedKernels(false);
    expect(fusedActive()).toBe(false);
  });

  for (const [label, step] of [['decoupled decay', plain], ['per-parameter clipping', clipped], ['global-norm clipping', globallyClipped]] as const) {
    it(`matches the stock ops over 4 steps, with ${label}`, async () => {
      const stock = await train([false, false, false, false], step);
      const fast = await train([true, true, true, true], step);
      expectClose(fast, stock);
      // The update moved the weights (a no-op kernel would fail above only by luck).
      const start = await Promise.all([...variables(1).values()].map(async (p) => (await p.data()) as Float32Array));
      expect(Math.abs(stock[0][0] - start[0][0])).toBeGreaterThan(1e-3);
    });
  }

  it('clips each of more than 7 gradients by its own norm (two Σg² dispatches)', async () => {
    const many = Array.from({ length: 10 }, (_, i) => [3 + i, 4]);
    expectClose(await train([true, true, true], clipped, many), await train([false, false, false], clipped, many));
  });

  it('carries its moments across a switch of path mid-run', async () => {
    expectClose(await train([true, false, true, false], clipped), await train([false, false, false, false], clipped));
  });

  it('takes 2 dispatches per variable (and one per 7 for clipping) where the stock ops take 14 (21 with clipping)', () => {
    const params = variables(3, LARGE);
    const optimizer = new AdamW(params);
    const grads = () => new Map(LARGE.map((shape, i) => [`p${i}`, tf.fill(shape, 0.5)]));
    const dispatches = (on: boolean, step: AdamWStep) => {
      setFusedKernels(on);
      tf.tidy(() => optimizer.apply(grads(), step)); // the first step converts the moments' layout
      const before = gpuTest.dispatches();
      tf.tidy(() => optimizer.apply(grads(), step));
      return gpuTest.dispatches() - before - LARGE.length; // less the gradients' tf.fill
    };
    expect(dispatches(true, plain)).toBe(2 * 3);
    expect(dispatches(true, clipped)).toBe(2 * 3 + 1); // the three Σg² in one dispatch
    expect(dispatches(false, plain)).toBe(14 * 3);
    expect(dispatches(false, clipped)).toBeGreaterThanOrEqual(20 * 3);
    optimizer.dispose();
    tf.dispose([...params.values()]);
  });
});

describe('fused EMA (WebGPU)', () => {
  it('matches the stock ops in one dispatch per variable', async () => {
    const run = async (on: boolean) => {
      setFusedKernels(on);
      const target = variables(4, LARGE);
      const source = variables(5, LARGE);
      const before = gpuTest.dispatches();
      tf.tidy(() => emaUpdate(target, source, 0.9));
      tf.tidy(() => emaUpdate(target, source, 0.99));
      const dispatches = (gpuTest.dispatches() - before) / (2 * LARGE.length);
      const values = await Promise.all([...target.values()].map(async (p) => (await p.data()) as Float32Array));
      tf.dispose([...target.values(), ...source.values()]);
      return { values, dispatches };
    };
    const stock = await run(false);
    const fast = await run(true);
    expectClose(fast.values, stock.values);
    expect(fast.dispatches).toBe(1);
    expect(stock.dispatches).toBe(3);
  });

  it('never writes through a buffer another tensor shares, and never serves a stale CPU copy', async () => {
    setFusedKernels(true);
    const student = tf.variable(tf.tensor1d([1, 2, 3]));
    const teacher = tf.variable(student); // tfjs shares the student's buffer
    const read = async (t: tf.Tensor) => Array.from(await t.data());
    expect(await read(teacher)).toEqual([1, 2, 3]); // caches the values on the CPU
    const moved = tf.variable(tf.tensor1d([3, 2, 1]));
    tf.tidy(() => emaUpdate(new Map([['w', teacher]]), new Map([['w', moved]]), 0.5));
    expect(await read(teacher)).toEqual([2, 2, 2]);
    expect(await read(student)).toEqual([1, 2, 3]);
    tf.dispose([student, teacher, moved]);
  });
});
