/**
 * The fused LayerNorm and GELU against the stock tfjs ops (engine/nn/layers.ts with the fast
 * path off), on WebGPU in Node (Dawn on SwiftShader's Vulkan driver): values and gradients on
 * random inputs within float tolerance, and the dispatches they save.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { nodeWebGpuSuite } from './testing';
import { gelu, layerNorm } from '../nn/layers';
import { Rng } from '../random';
import { setFusedKernels } from './program';

const gpuTest = nodeWebGpuSuite();

function random(seed: number, shape: number[], scale = 1, offset = 0): tf.Tensor {
  const rng = Rng.stream(seed, 'gpu-layers');
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: size }, () => offset + (rng.next() * 2 - 1) * scale), shape);
}

/** The op's value and its gradients for a random upstream gradient, on one path; with the dispatches of the step. */
async function evaluate(fused: boolean, f: (inputs: tf.Tensor[]) => tf.Tensor, inputs: tf.Tensor[], upstream: tf.Tensor) {
  setFusedKernels(fused);
  const before = gpuTest.dispatches();
  const { value, grads } = tf.tidy(() => {
    const y = f(inputs);
    const gs = tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(f(xs), upstream)))(inputs);
    return { value: y, grads: gs };
  });
  const read = async (t: tf.Tensor) => (await t.data()) as Float32Array;
  const out = { value: await read(value), grads: await Promise.all(grads.map(read)), dispatches: gpuTest.dispatches() - before };
  tf.dispose([value, ...grads]);
  return out;
}

function expectClose(a: Float32Array, b: Float32Array, tolerance: number): void {
  expect(a.length).toBe(b.length);
  let worst = 0;
  a.forEach((v, i) => { worst = Math.max(worst, Math.abs(v - b[i]) / Math.max(1, Math.abs(b[i]))); });
  expect(worst).toBeLessThan(tolerance);
}

describe('fused LayerNorm (WebGPU)', () => {
  it('matches the stock ops in value and in the gradients of x, γ and β', async () => {
    // Rows with an offset and a spread, as activations have; widths as the models use (and odd).
    for (const [shape, width] of [[[6, 17, 48], 48], [[40, 37], 37]] as const) {
      const x = random(1, [...shape], 3, 0.5);
      const gamma = random(2, [width], 0.5, 1);
      const beta = random(3, [width], 0.2);
      const upstream = random(4, [...shape]);
      const f = ([a, g, b]: tf.Tensor[]) => layerNorm({ gamma: g as tf.Variable, beta: b as tf.Variable }, a, 1e-6);
      const stock = await evaluate(false, f, [x, gamma, beta], upstream);
      const fast = await evaluate(true, f, [x, gamma, beta], upstream);
      expectClose(fast.value, stock.value, 1e-5);
      fast.grads.forEach((g, i) => expectClose(g, stock.grads[i], 1e-4));
      // Forward once for the value and once under tf.grads (1 + 1), backward 4, and 4 for the
      // harness's product with the upstream gradient and its sum: 10 (stock: 50 measured).
      expect(fast.dispatches).toBeLessThanOrEqual(10);
      expect(stock.dispatches).toBeGreaterThan(4 * fast.dispatches);
      tf.dispose([x, gamma, beta, upstream]);
    }
  });
});

describe('fused GELU (WebGPU)', () => {
  it('matches the stock ops (exact GELU through tfjs’s erf) in value and gradient', async () => {
    const x = random(5, [33, 64], 4);
    const upstream = random(6, [33, 64]);
    const f = ([a]: tf.Tensor[]) => gelu(a);
    const stock = await evaluate(false, f, [x], upstream);
    const fast = await evaluate(true, f, [x], upstream);
    expectClose(fast.value, stock.value, 1e-5);
    expectClose(fast.grads[0], stock.grads[0], 1e-5);
    // 1 + 1 forward, 1 backward, 4 for the harness: 7 (stock: 24 measured).
    expect(fast.dispatches).toBeLessThanOrEqual(7);
    expect(stock.dispatches).toBeGreaterThan(3 * fast.dispatches);
    tf.dispose([x, upstream]);
  });
});
