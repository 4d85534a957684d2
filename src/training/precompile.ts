/**
 * Compiles a run's GPU pipelines before its first step, all at once. tfjs's webgpu backend can
 * record a computation without running it (the WEBGPU_ENGINE_COMPILE_ONLY flag): each program
 * it meets starts an asynchronous pipeline compilation, and checkCompileCompletionAsync waits
 * for them together, so the driver compiles them in parallel instead of one by one as the
 * first step reaches each. The recorded step is a throwaway copy of the method (same shapes,
 * so the same pipelines) on the first images: the run itself is untouched. Anything that goes
 * wrong here only costs the head start; the first step compiles what is missing.
 */
import * as tf from '@tensorflow/tfjs';
import type { MethodContext, MethodImplementation } from '../methods/types';
import { gpu } from '../engine/gpu/program';

let precompiling = true;

/** Turns compiling ahead on or off (the benchmark measures both). */
export function setPrecompile(on: boolean): void {
  precompiling = on;
}

/**
 * `onProgress(done, total)` hears how many of the step's pipelines have compiled, at most every
 * PROGRESS_MS and once at the end (the page shows "compiling … 12/40" while preparing).
 */
export async function precompileStep(
  implementation: MethodImplementation, context: MethodContext, trainImages: tf.Tensor4D, batchSize: number,
  onProgress: (done: number, total: number) => void = () => {},
): Promise<void> {
  if (tf.getBackend() !== 'webgpu' || !precompiling) return;
  let throwaway: ReturnType<MethodImplementation['create']> | null = null;
  try {
    throwaway = implementation.create(context);
    tf.env().set('WEBGPU_ENGINE_COMPILE_ONLY', true);
    const instance = throwaway;
    tf.tidy(() => {
      const indices = Int32Array.from({ length: batchSize }, (_, i) => i);
      const images = tf.gather(trainImages, tf.tensor1d(indices, 'int32')) as tf.Tensor4D;
      instance.step({ images, indices, capture: false, snapshot: true }, 0);
    });
  } catch {
    // A head start only: the first step compiles what this did not.
  } finally {
    tf.env().set('WEBGPU_ENGINE_COMPILE_ONLY', false);
    throwaway?.dispose();
  }
  // tfjs keeps a compilation in flight as a promise in its (private) pipeline cache.
  const cache = (gpu() as unknown as { pipelineCache: Record<string, GPUComputePipeline | Promise<GPUComputePipeline>> }).pipelineCache;
  const pending = Object.values(cache).filter((pipeline) => pipeline instanceof Promise);
  let done = 0;
  let reported = 0;
  onProgress(0, pending.length);
  await Promise.all(pending.map((pipeline) => pipeline.then(() => {
    done++;
    const now = performance.now();
    if (now - reported >= PROGRESS_MS && done < pending.length) {
      reported = now;
      onProgress(done, pending.length);
    }
  }, () => undefined)));
  onProgress(pending.length, pending.length);
  await gpu().checkCompileCompletionAsync();
}

const PROGRESS_MS = 250;
