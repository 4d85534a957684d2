/**
 * The fused attention against the stock path, through a whole pre-norm transformer block
 * (engine/nn/vit.ts blockForward: LayerNorm, attention, GELU MLP, all fused or all stock), on
 * WebGPU in Node: the block's output and the gradients of its input and of every parameter on
 * random inputs, within float tolerance; and the dispatches saved.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { nodeWebGpuSuite } from './testing';
import { blockForward, createBlock } from '../nn/vit';
import { Rng } from '../random';
import { fusedAttention } from './attention';
import { setFusedKernels } from './program';

const gpuTest = nodeWebGpuSuite();

function random(seed: number, shape: number[], scale = 1): tf.Tensor {
  const rng = Rng.stream(seed, 'gpu-attention');
  return tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (rng.next() * 2 - 1) * scale), shape);
}

const read = async (t: tf.Tensor) => (await t.data()) as Float32Array;

/** The largest difference relative to the largest magnitude of the stock tensor. */
function worstError(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  let scale = 1e-6;
  b.forEach((v) => { scale = Math.max(scale, Math.abs(v)); });
  a.forEach((v, i) => { worst = Math.max(worst, Math.abs(v - b[i])); });
  return worst / scale;
}

describe('fused attention (WebGPU)', () => {
  it('gives a transformer block the stock output and gradients (input and every parameter)', async () => {
    for (const [batch, tokens, width, heads] of [[2, 17, 48, 4], [3, 10, 32, 1]]) {
      const block = createBlock(Rng.stream(7, 'block'), width, 2);
      const names = Object.keys(block).flatMap((part) => Object.keys(block[part as keyof typeof block]).map((p) => `${part}.${p}`));
      const variables = names.map((name) => {
        const [part, p] = name.split('.');
        return (block[part as keyof typeof block] as unknown as Record<string, tf.Variable>)[p];
      });
      const x = random(1, [batch, tokens, width], 2);
      const upstream = random(2, [batch, tokens, width]);
      const run = async (fused: boolean) => {
        setFusedKernels(fused);
        const before = gpuTest.dispatches();
        const { value, grads } = tf.tidy(() => {
          const loss = () => tf.sum(tf.mul(blockForward(block, heads, x).output, upstream)) as tf.Scalar;
          const dx = tf.grad((input: tf.Tensor) => tf.sum(tf.mul(blockForward(block, heads, input).output, upstream)))(x);
          const { value: v, grads: g } = tf.variableGrads(loss, variables);
          return { value: v, grads: [dx, ...variables.map((variable) => g[variable.name])] };
        });
        const dispatches = gpuTest.dispatches() - before;
        const out = { value: (await read(value))[0], grads: await Promise.all(grads.map(read)), dispatches };
        tf.dispose([value, ...grads]);
        return out;
      };
      const stock = await run(false);
      const fast = await run(true);
      expect(Math.abs(fast.value - stock.value) / Math.max(1, Math.abs(stock.value))).toBeLessThan(1e-4);
      fast.grads.forEach((g, i) => expect(worstError(g, stock.grads[i]), `gradient ${i === 0 ? 'x' : names[i - 1]}`).toBeLessThan(1e-3));
      expect(fast.dispatches).toBeLessThan(stock.dispatches / 2);
      tf.dispose([x, upstream, ...variables]);
    }
  });

  it('puts head h on columns h·hd … (h+1)·hd of each third, and attends over keys', async () => {
    // Two tokens, two heads of one channel: q = k = 0 (uniform attention), v distinct per head.
    const qkv = tf.tensor3d([[[0, 0, 0, 0, 1, 10], [0, 0, 0, 0, 3, 30]]]); // [1, 2, 3·2]
    setFusedKernels(true);
    const out = tf.tidy(() => fusedAttention(qkv, 2));
    expect(Array.from(await read(out))).toEqual([2, 20, 2, 20]); // each head averages its own values
    tf.dispose([qkv, out]);
  });
});
