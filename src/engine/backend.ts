import * as tf from '@tensorflow/tfjs';
import { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { registerCpuKernels } from './cpuKernels';

/**
 * Picks the compute backend: webgpu, then webgl, then cpu, and says which one is really in
 * use (tfjs falls back silently). WebGPU is registered by us rather than by the package's own
 * factory so that we hold the GPUDevice and hear when it is lost.
 */
/** `wasm` only where its package has been imported first (Node: engine/node/setup.ts). */
export type BackendName = 'webgpu' | 'webgl' | 'cpu' | 'wasm';

export interface BackendInfo {
  name: BackendName;
  /** Human description of the adapter: "swiftshader (google)", a GPU name, or "CPU". */
  adapter: string;
  /** Why preferred backends were skipped, in order. */
  fallbacks: string[];
  /**
   * The computation runs on the CPU, not a GPU: a software WebGPU or WebGL adapter
   * (SwiftShader, llvmpipe, a fallback adapter) or the cpu/wasm backends. Steps are ~100× slower.
   */
  software: boolean;
}

const SOFTWARE_ADAPTER = /swiftshader|llvmpipe|lavapipe|softpipe|software|basic render/i;

type DeviceLostListener = (reason: string) => void;
let deviceLostListener: DeviceLostListener | null = null;
let currentDevice: GPUDevice | null = null;
let currentAdapterDescription = '';
let currentAdapterIsFallback = false;
let currentLimits: { maxBufferSize: number; maxStorageBufferBindingSize: number } | null = null;

/** The largest buffer the current GPU device accepts (null on webgl/cpu). */
export function maxGpuBufferBytes(): number | null {
  return currentLimits ? Math.min(currentLimits.maxBufferSize, currentLimits.maxStorageBufferBindingSize) : null;
}
/** tfjs swallows a backend factory's error; we keep ours to say why WebGPU was skipped. */
let lastWebGpuError: string | null = null;

export function onDeviceLost(listener: DeviceLostListener | null): void {
  deviceLostListener = listener;
}

type GpuErrorListener = (kind: 'out-of-memory' | 'validation' | 'internal', message: string) => void;
let gpuErrorListener: GpuErrorListener | null = null;

/**
 * WebGPU reports failed allocations and invalid work as events, not exceptions: a model too
 * big for the device would otherwise train on garbage silently.
 */
export function onGpuError(listener: GpuErrorListener | null): void {
  gpuErrorListener = listener;
}

/**
 * Waits until the GPU has done all the work queued so far (WebGPU only; elsewhere work is done
 * when it returns). On a software adapter the training loop waits for this after each step:
 * its "GPU" is the same CPU, so running ahead only queues minutes of steps that make Pause
 * slow and the step counter count steps not yet computed.
 */
export async function gpuDone(): Promise<void> {
  const device = currentDevice;
  if (!device || tf.getBackend() !== 'webgpu') return;
  // As tfjs's own readback does: close the open pass, then submit what is recorded.
  const backend = tf.backend() as unknown as WebGPUBackend;
  backend.ensureCommandEncoderReady();
  backend.endComputePassEncoder();
  backend.submitQueue();
  await device.queue.onSubmittedWorkDone();
}

/**
 * Gives the GPU device up on purpose (the runs are moving to another backend): the work it
 * still has queued is dropped at once, and no loss is reported.
 */
export function releaseDevice(): void {
  const device = currentDevice;
  if (!device) return;
  currentDevice = null;
  currentLimits = null;
  device.destroy();
}

/** For tests and the "simulate device loss" debug action: destroys the device. */
export function destroyDeviceForTesting(): boolean {
  if (!currentDevice) return false;
  currentDevice.destroy();
  return true;
}

function describeAdapter(info: GPUAdapterInfo | undefined): string {
  if (!info) return 'unknown adapter';
  const parts = [info.description, info.device, info.architecture].filter((part) => part && part.length > 0);
  const main = parts[0] ?? 'GPU';
  return info.vendor ? `${main} (${info.vendor})` : main;
}

function registerWebGpu(): void {
  if (tf.findBackendFactory('webgpu')) {
    try {
      tf.removeBackend('webgpu');
    } catch {
      // Disposing a backend whose device is already gone can throw; it is unusable anyway.
    }
  }
  lastWebGpuError = null;
  tf.registerBackend('webgpu', async () => {
    try {
      return await createWebGpuBackend();
    } catch (error) {
      lastWebGpuError = error instanceof Error ? error.message : String(error);
      throw error;
    }
  }, 3);
}

async function createWebGpuBackend(): Promise<WebGPUBackend> {
  const gpu = (globalThis.navigator as Navigator | undefined)?.gpu;
  if (!gpu) throw new Error('navigator.gpu is not available (WebGPU unsupported or disabled)');
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new Error('no WebGPU adapter was found');
  // The limits tfjs's own factory asks for, so large models get large buffers.
  const limits = adapter.limits;
  const device = await adapter.requestDevice({
    requiredLimits: {
      maxComputeWorkgroupStorageSize: limits.maxComputeWorkgroupStorageSize,
      maxComputeWorkgroupsPerDimension: limits.maxComputeWorkgroupsPerDimension,
      maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
      maxBufferSize: limits.maxBufferSize,
      maxComputeWorkgroupSizeX: limits.maxComputeWorkgroupSizeX,
      maxComputeInvocationsPerWorkgroup: limits.maxComputeInvocationsPerWorkgroup,
    },
  });
  const info = 'info' in adapter ? (adapter.info as GPUAdapterInfo) : undefined;
  currentDevice = device;
  currentLimits = { maxBufferSize: device.limits.maxBufferSize, maxStorageBufferBindingSize: device.limits.maxStorageBufferBindingSize };
  currentAdapterDescription = describeAdapter(info);
  currentAdapterIsFallback = Boolean((info as { isFallbackAdapter?: boolean } | undefined)?.isFallbackAdapter);
  void device.lost.then((lost) => {
    if (currentDevice !== device) return; // a device we replaced on purpose
    currentDevice = null;
    deviceLostListener?.(lost.message || lost.reason || 'unknown reason');
  });
  device.addEventListener('uncapturederror', (event) => {
    const error = (event as GPUUncapturedErrorEvent).error;
    // By constructor name: Node's Dawn bindings do not always define the error classes globally.
    const name = error.constructor?.name;
    const kind = name === 'GPUOutOfMemoryError' ? 'out-of-memory' : name === 'GPUValidationError' ? 'validation' : 'internal';
    gpuErrorListener?.(kind, error.message);
  });
  // tfjs's WebGPUBackend constructor takes (device, adapterInfo).
  return new WebGPUBackend(device, info as never);
}

const order: BackendName[] = ['webgpu', 'webgl', 'cpu'];

/** The order to try when the visitor asked for `name` first: theirs, then the usual fallbacks. */
export function preferring(name: BackendName | null): BackendName[] {
  return name ? [name, ...order.filter((other) => other !== name)] : order;
}

/** Loads a backend's package where it is not bundled eagerly (the browser's wasm); set by the worker. */
let backendLoader: ((name: BackendName) => Promise<void>) | null = null;
export function setBackendLoader(loader: (name: BackendName) => Promise<void>): void {
  backendLoader = loader;
}

/**
 * Initialises the first backend of `preferred` (default: webgpu → webgl → cpu) that works.
 * `preferred` may name just one backend (the CLI's --backend); then there is no fallback.
 */
export async function selectBackend(preferred: readonly BackendName[] = order): Promise<BackendInfo> {
  const fallbacks: string[] = [];
  for (const name of preferred) {
    try {
      if (name === 'webgpu') registerWebGpu();
      if (name === 'wasm' && !tf.findBackendFactory('wasm') && backendLoader) await backendLoader(name);
      if (name === 'wasm' && !tf.findBackendFactory('wasm')) throw new Error('the wasm backend is not loaded here');
      if (name === 'cpu' || name === 'wasm') registerCpuKernels(name);
      if (name === 'webgl' && typeof OffscreenCanvas === 'undefined' && typeof document === 'undefined') {
        throw new Error('no OffscreenCanvas for WebGL here');
      }
      const ok = await tf.setBackend(name);
      await tf.ready();
      if (!ok || tf.getBackend() !== name) {
        throw new Error((name === 'webgpu' && lastWebGpuError) || `tfjs could not initialise ${name}`);
      }
      const adapter = adapterDescription(name);
      const software = name === 'cpu' || name === 'wasm' || SOFTWARE_ADAPTER.test(adapter) || (name === 'webgpu' && currentAdapterIsFallback);
      return { name, adapter, fallbacks, software };
    } catch (error) {
      fallbacks.push(`${name}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  throw new Error(`No backend could be initialised (${fallbacks.join('; ')})`);
}

function adapterDescription(name: BackendName): string {
  if (name === 'webgpu') return currentAdapterDescription;
  if (name === 'webgl') {
    const gl = (tf.backend() as unknown as { gpgpu?: { gl?: WebGL2RenderingContext } }).gpgpu?.gl;
    const renderer = gl?.getParameter(gl.RENDERER);
    return typeof renderer === 'string' ? renderer : 'WebGL';
  }
  if (name === 'wasm') return `CPU (WebAssembly${tf.env().getBool('WASM_HAS_SIMD_SUPPORT') ? ', SIMD' : ''})`;
  return 'CPU (JavaScript)';
}
