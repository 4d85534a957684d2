import type { BackendName } from '../engine/backend';

const NAMES: readonly BackendName[] = ['webgpu', 'webgl', 'cpu', 'wasm'];

/** The backend the page asked for in the worker's name ("training:wasm"; state/backendChoice.ts writes it). */
export function backendFromWorkerName(name: string): BackendName | null {
  const choice = name.split(':')[1];
  return (NAMES as readonly string[]).includes(choice) ? (choice as BackendName) : null;
}
