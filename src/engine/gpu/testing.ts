/**
 * For tests of our WebGPU kernels: WebGPU in Node through Dawn on SwiftShader's Vulkan driver
 * (as `npm run bench`), required rather than skipped (CI installs what Dawn needs: .ci/run),
 * with dispatch counters; the fused kernels are switched back on after the file.
 */
import { afterAll, beforeAll, expect } from 'vitest';
import { installCounters } from '../node/counters';
import { setupBackend } from '../node/setup';
import { setFusedKernels } from './program';

export function nodeWebGpuSuite(): { dispatches(): number } {
  let counters: ReturnType<typeof installCounters> | null = null;
  beforeAll(async () => {
    const info = await setupBackend('webgpu');
    expect(info.name).toBe('webgpu');
    counters = installCounters();
  }, 120_000);
  afterAll(() => {
    setFusedKernels(true);
    counters?.uninstall();
  });
  return { dispatches: () => counters!.snapshot().dispatches };
}
