/**
 * Our own WebGPU programs, run through tfjs's webgpu backend (`runWebGPUProgram`): the switch
 * that turns them on (the run setting `fusedKernels`; webgpu backend only) and the helpers that
 * build them. tfjs declares each input as a read-only storage array named after
 * `variableNames` and the output as the read_write array `result`, and passes `uniforms`.
 */
import * as tf from '@tensorflow/tfjs';
import { webgpu_util, type WebGPUBackend, type WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';

let enabled = true;

/** Turns the fused kernels on or off (the trainer sets it from the run's settings each step). */
export function setFusedKernels(on: boolean): void {
  enabled = on;
}

/** Whether the fused kernels run now: switched on, and on the webgpu backend. */
export function fusedActive(): boolean {
  return enabled && tf.getBackend() === 'webgpu';
}

const WORKGROUP: [number, number, number] = [64, 1, 1];

/**
 * A program of `threads` invocations (one per element, row or column) writing an output of
 * `outputShape`; `body` is WGSL run with `index` < uniforms.threads; `prelude` is WGSL (helper
 * functions) placed before it.
 */
export function program(key: string, outputShape: number[], threads: number, variableNames: string[], uniforms: string, body: string, prelude = ''): WebGPUProgram {
  const dispatchLayout = webgpu_util.flatDispatchLayout([threads]);
  return {
    outputShape,
    shaderKey: key,
    dispatchLayout,
    dispatch: webgpu_util.computeDispatch(dispatchLayout, [threads], WORKGROUP),
    variableNames,
    uniforms: `threads : i32, ${uniforms}`,
    workgroupSize: WORKGROUP,
    getUserCode: () => `${prelude}
      fn main(index : i32) {
        if (index < uniforms.threads) {
          ${body}
        }
      }
    `,
  };
}

export type Uniform = { type: 'float32' | 'int32'; data: number[] };
export const f32 = (value: number): Uniform => ({ type: 'float32', data: [value] });
export const i32 = (value: number): Uniform => ({ type: 'int32', data: [value] });

export function gpu(): WebGPUBackend {
  return tf.backend() as WebGPUBackend;
}

/** Runs `prog` on `inputs` with `threads` invocations; a new tensor of the program's output shape. */
export function run(prog: WebGPUProgram, inputs: tf.Tensor[], threads: number, uniforms: Uniform[] = []): tf.Tensor {
  const info = gpu().runWebGPUProgram(prog, inputs, 'float32', [i32(threads), ...uniforms]);
  return tf.engine().makeTensorFromTensorInfo(info);
}

/**
 * Runs a program whose output is `variable` itself (read and overwritten in place). A variable
 * whose GPU buffer another tensor shares (tfjs shares data between a tensor and its clone or the
 * variable made from it) gets a copy of its own first; its CPU copy of earlier values (cached by
 * a readback) is dropped after.
 */
export function runInPlace(variable: tf.Variable, prog: WebGPUProgram, inputs: tf.Tensor[], threads: number, uniforms: Uniform[] = []): void {
  const backend = gpu();
  if (backend.refCount(variable.dataId) > 1) variable.assign(tf.tidy(() => tf.add(variable, 0)));
  backend.runWebGPUProgram(prog, inputs, 'float32', [i32(threads), ...uniforms], { dataId: variable.dataId, shape: [variable.size], dtype: 'float32' });
  backend.tensorMap.get(variable.dataId).values = null as unknown as Float32Array;
}
