import * as tf from '@tensorflow/tfjs';

/**
 * Counts what a step costs: tfjs kernels run, GPU compute dispatches (by wrapping
 * GPUComputePassEncoder.dispatchWorkgroups) and GPU→CPU reads (GPUBuffer.mapAsync on WebGPU,
 * backend reads elsewhere). For the benchmark only; nothing in the app is wrapped.
 */
export interface Counts {
  kernels: number;
  dispatches: number;
  reads: number;
}

export function installCounters(): { snapshot(): Counts } {
  const counts: Counts = { kernels: 0, dispatches: 0, reads: 0 };
  const engine = tf.engine() as unknown as { runKernel: (...args: unknown[]) => unknown };
  const runKernel = engine.runKernel.bind(engine);
  engine.runKernel = (...args: unknown[]) => {
    counts.kernels++;
    return runKernel(...args);
  };
  const g = globalThis as unknown as {
    GPUComputePassEncoder?: { prototype: { dispatchWorkgroups: (...a: unknown[]) => unknown } };
    GPUBuffer?: { prototype: { mapAsync: (...a: unknown[]) => Promise<unknown> } };
  };
  if (tf.getBackend() === 'webgpu' && g.GPUComputePassEncoder && g.GPUBuffer) {
    const dispatch = g.GPUComputePassEncoder.prototype.dispatchWorkgroups;
    g.GPUComputePassEncoder.prototype.dispatchWorkgroups = function (this: unknown, ...a: unknown[]) {
      counts.dispatches++;
      return dispatch.apply(this, a);
    };
    const mapAsync = g.GPUBuffer.prototype.mapAsync;
    g.GPUBuffer.prototype.mapAsync = function (this: unknown, ...a: unknown[]) {
      counts.reads++;
      return mapAsync.apply(this, a);
    };
  } else {
    // On cpu every kernel is a "dispatch", and a read is an awaited tensor read (`data()`).
    // Some cpu kernels call readSync on their own inputs: that is the cpu backend reading
    // its own memory, not a transfer, so it is not counted.
    const backend = tf.backend() as unknown as { read: (...a: unknown[]) => unknown };
    const read = backend.read.bind(backend);
    backend.read = (...a: unknown[]) => {
      counts.reads++;
      return read(...a);
    };
  }
  return {
    snapshot: () => ({
      ...counts,
      dispatches: tf.getBackend() === 'webgpu' ? counts.dispatches : counts.kernels,
    }),
  };
}
