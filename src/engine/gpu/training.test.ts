/**
 * The fused kernels inside a real run: DINO’s tiny preset trained 3 steps on WebGPU in Node,
 * once on the fused path and once on the stock ops, from the same seed. The losses agree
 * step by step (float rounding apart), the fused run holds no more tensors from step to step,
 * and it dispatches under half as many GPU programs.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { nodeWebGpuSuite } from './testing';
import { getMethod } from '../../methods/registry';
import { presetValues } from '../../state/url';
import { Trainer } from '../../training/trainer';

const gpuTest = nodeWebGpuSuite();

async function train(fusedKernels: boolean) {
  const method = getMethod('dino');
  const trainer = await Trainer.create(method, { ...presetValues(method, 'tiny'), seed: 4, metricsEvery: 1, probeEvery: 1000, fusedKernels });
  const losses: number[] = [];
  const tensors: number[] = [];
  let dispatches = 0;
  for (let step = 0; step < 3; step++) {
    const before = gpuTest.dispatches();
    const record = await trainer.runStep()!;
    if (step > 0) dispatches = gpuTest.dispatches() - before; // the last step's (first: optimizer state made)
    losses.push(record.values.loss);
    tensors.push(tf.memory().numTensors);
  }
  trainer.dispose();
  return { losses, tensors, dispatches };
}

describe('a DINO run on the fused kernels (WebGPU)', () => {
  it('follows the stock run’s losses, holds its tensors flat, and dispatches less than half as much', async () => {
    const stock = await train(false);
    const fast = await train(true);
    fast.losses.forEach((loss, i) => expect(Math.abs(loss - stock.losses[i])).toBeLessThan(1e-3 * Math.abs(stock.losses[i])));
    expect(new Set(fast.tensors.slice(1)).size).toBe(1);
    expect(fast.dispatches).toBeLessThan(stock.dispatches / 2);
  }, 240_000);
});
