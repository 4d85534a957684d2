/**
 * The page's side of the training worker: starts it, sends requests, and routes its events
 * into the store. Nothing else on the page knows the worker exists.
 */
import type { WorkerEvent, WorkerRequest } from '../worker/protocol';
import { actions, store } from './store';

let worker: Worker | null = null;
let nextRunId = 1;

function send(request: WorkerRequest): void {
  ensureWorker().postMessage(request);
}

function ensureWorker(): Worker {
  if (worker) return worker;
  worker = new Worker(new URL('../worker/training.worker.ts', import.meta.url), { type: 'module', name: 'training' });
  worker.onmessage = (message: MessageEvent<WorkerEvent>) => handleEvent(message.data);
  worker.onerror = (event) => {
    actions.notify('error', `The training worker failed: ${event.message || 'unknown error'}. Reload the page to start over.`);
  };
  return worker;
}

function handleEvent(event: WorkerEvent): void {
  switch (event.type) {
    case 'backend': {
      actions.setBackend(event.info);
      if (event.info.name !== 'webgpu') {
        actions.notify('warning', `WebGPU is unavailable, training on ${event.info.name} instead (${event.info.fallbacks.join('; ')}).`);
      }
      return;
    }
    case 'status':
      actions.setStatus(event.status);
      return;
    case 'metrics':
      actions.addMetrics(event.runId, event.record);
      return;
    case 'probes':
      actions.setProbes(event.runId, event.payloads);
      return;
    case 'checkpoint':
      return;
    case 'error':
      if (event.runId === -1 || event.runId === store.getState().runId) {
        actions.notify(event.recoverable ? 'warning' : 'error', event.message);
      }
      return;
  }
}

export const runner = {
  /** Builds a run from the current settings; trains right away when `train` is set. */
  start(train: boolean): void {
    const { experiment } = store.getState();
    const runId = nextRunId++;
    actions.beginRun(runId, experiment.values);
    send({ type: 'start', runId, methodId: experiment.methodId, values: experiment.values, train });
  },
  pause: () => send({ type: 'pause' }),
  resume: () => send({ type: 'resume' }),
  stepOnce: () => send({ type: 'step-once' }),
  recover: () => send({ type: 'recover' }),
  simulateDeviceLoss: () => send({ type: 'simulate-device-loss' }),
  /** Discards the run and builds a fresh one (paused at step 0) with the current settings. */
  reset(): void {
    send({ type: 'stop' });
    actions.endRun();
    runner.start(false);
  },
  /** Live settings (cadences) go to the running run without restarting it. */
  setLive(values: Record<string, number | string | boolean>): void {
    if (worker) send({ type: 'set-config', values });
  },
};
