import type { BackendName } from '../engine/backend';

const NAMES: readonly BackendName[] = ['webgpu', 'webgl', 'cpu', 'wasm'];

/** The worker's name carries the visitor's backend choice: "training" or "training:wasm". */
export function workerName(choice: BackendName | null): string {
  return choice ? `training:${choice}` : 'training';
}

export function backendFromWorkerName(name: string): BackendName | null {
  const choice = name.split(':')[1];
  return (NAMES as readonly string[]).includes(choice) ? (choice as BackendName) : null;
}
