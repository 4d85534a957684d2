import { describe, expect, it } from 'vitest';
import { workerName } from '../state/backendChoice';
import { backendFromWorkerName } from './workerName';

describe('the backend choice travels in the worker’s name', () => {
  it('round-trips every backend, and no choice', () => {
    for (const name of ['webgpu', 'webgl', 'cpu', 'wasm'] as const) expect(backendFromWorkerName(workerName(name))).toBe(name);
    expect(backendFromWorkerName(workerName(null))).toBeNull();
    expect(backendFromWorkerName('training:quantum')).toBeNull();
  });
});
