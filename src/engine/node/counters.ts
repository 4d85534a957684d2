import * as tf from '@tensorflow/tfjs';

/**
 * Counts what a step costs: tfjs kernels run, GPU compute dispatches (by wrapping
 * GPUComputePassEncoder.dispatchWorkgroups) and GPU→CPU reads (GPUBuffer.mapAsync on WebGPU,
 * backend reads elsewhere), for the backend active when installed. For the benchmark and the
 * tests only; nothing in the app is wrapped. `uninstall` restores what it wrapped.
 */
export interface Counts {
  kernels: number;
  dispatches: number;
  reads: number;
}

export function installCounters(): { snapshot(): Counts; uninstall(): void } {
  const counts: Counts = { kernels: 0, dispatches: 0, reads: 0 };
  const restore: (() => void)[] = [];
  const engine = tf.engine() as unknown as { runKernel: (...args: unknown[]) => unknown };
  const runKernel = engine.runKernel;
  engine.runKernel = function (this: unknown, ...args: unknown[]) {
    counts.kernels++;
    return runKernel.apply(this, args);
  };
  restore.push(() => (engine.runKernel = runKernel));
  const g = globalThis as unknown as {
    GPUComputePassEncoder?: { prototype: { dispatchWorkgroups: (...a: unknown[]) => unknown } };
    GPUBuffer?: { prototype: { mapAsync: (...a: unknown[]) => Promise<unknown> } };
  };
  const webgpu = tf.getBackend() === 'webgpu' && g.GPUComputePassEncoder && g.GPUBuffer;
  if (webgpu) {
    const encoder = g.GPUComputePassEncoder!.prototype;
    const dispatch = encoder.dispatchWorkgroups;
    encoder.dispatchWorkgroups = function (this: unknown, ...a: unknown[]) {
      counts.dispatches++;
      return dispatch.apply(this, a);
    };
    const buffer = g.GPUBuffer!.prototype;
    const mapAsync = buffer.mapAsync;
    buffer.mapAsync = function (this: unknown, ...a: unknown[]) {
      counts.reads++;
      return mapAsync.apply(this, a);
    };
    restore.push(() => {
      encoder.dispatchWorkgroups = dispatch;
      buffer.mapAsync = mapAsync;
    });
  } else {
    // On cpu every kernel is a "dispatch", and a read is an awaited tensor read (`data()`).
    // Some cpu kernels call readSync on their own inputs: that is the cpu backend reading
    // its own memory, not a transfer, so it is not counted.
    const backend = tf.backend() as unknown as { read: (...a: unknown[]) => unknown };
    const read = backend.read;
    backend.read = function (this: unknown, ...a: unknown[]) {
      counts.reads++;
      return read.apply(this, a);
    };
    restore.push(() => (backend.read = read));
  }
  return {
    snapshot: () => ({ ...counts, dispatches: webgpu ? counts.dispatches : counts.kernels }),
    uninstall: () => restore.reverse().forEach((undo) => undo()),
  };
}
