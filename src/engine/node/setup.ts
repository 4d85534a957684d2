import { existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { selectBackend, type BackendInfo, type BackendName } from '../backend';

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/**
 * Node has no navigator.gpu; the `webgpu` package (Dawn) provides one. Without a real GPU it
 * runs on SwiftShader's Vulkan driver, the same one headless Chromium uses.
 */
async function installNodeWebGpu(): Promise<void> {
  if (!process.env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER_ICD) && !process.env.SSL_USE_SYSTEM_VULKAN) {
    process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  }
  const { create, globals } = await import('webgpu');
  Object.assign(globalThis, globals);
  const gpu = create([]);
  Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
}

export async function setupBackend(name: BackendName): Promise<BackendInfo> {
  if (name === 'webgpu') await installNodeWebGpu();
  // WebAssembly with SIMD (XNNPACK): single-threaded in Node, several times the JS cpu backend's speed.
  if (name === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
  tf.env().set('IS_TEST', false);
  return selectBackend([name]);
}

/** Silences tfjs's one-time advice to install tfjs-node (it would break JSON-lines output). */
export function quietTfjs(): void {
  const original = console.log;
  console.log = (...args: unknown[]) => {
    const text = String(args[0] ?? '');
    if (text.includes('tfjs-node') || text.includes('=====')) return;
    original(...args);
  };
}
