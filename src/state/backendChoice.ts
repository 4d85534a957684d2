/**
 * The compute backend the visitor chose (the speed advice's "compute with WebAssembly"), kept
 * in localStorage so a returning visitor keeps it; null is the usual order (WebGPU, then
 * WebGL, then the CPU). Storage that throws keeps the choice for this page only.
 */
import type { BackendName } from '../engine/backend';

const KEY = 'ssl-playground:backend';
const NAMES: readonly BackendName[] = ['webgpu', 'webgl', 'cpu', 'wasm'];
let current: BackendName | null | undefined;

export function backendChoice(): BackendName | null {
  if (current !== undefined) return current;
  try {
    const value = window.localStorage.getItem(KEY);
    current = (NAMES as readonly (string | null)[]).includes(value) ? (value as BackendName) : null;
  } catch {
    current = null;
  }
  return current;
}

/**
 * The worker's name carries the choice ("training" or "training:wasm"), so the first backend it
 * starts is the chosen one; worker/workerName.ts reads it back (workerName.test.ts round-trips).
 */
export function workerName(choice: BackendName | null): string {
  return choice ? `training:${choice}` : 'training';
}

export function setBackendChoice(choice: BackendName | null): void {
  current = choice;
  try {
    if (choice) window.localStorage.setItem(KEY, choice);
    else window.localStorage.removeItem(KEY);
  } catch {
    // Kept for this page only.
  }
}
