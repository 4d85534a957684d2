/**
 * The page's one connection to the training worker: starts it, sends requests, and routes its
 * events into the store (handleEvent). Run ids are handed out here; an import's runs are
 * tracked here until the worker has built them (a refusal takes the whole import back out),
 * and export requests wait here for the worker's weights.
 */
import type { WeightsData, WorkerEvent, WorkerRequest } from '../worker/protocol';
import { backendChoice, workerName } from './backendChoice';
import { imageSets } from './imageSets';
import { keepCheckpoint, keepSoon } from './saving';
import { actions, selectFocused, store, type RunView } from './store';

let worker: Worker | null = null;
let nextRunId = 1;

/** A fresh id for a run about to be built in the worker. */
export const takeRunId = (): number => nextRunId++;

export type Exported = Extract<WorkerEvent, { type: 'exported' }>;
/** Export requests waiting for the worker's weights, by run id. */
const exportWaiters = new Map<number, { resolve: (event: Exported) => void; reject: (error: Error) => void }>();
/**
 * Runs of an import still being built, by run id, with their batch: if the worker refuses one
 * (weights that do not fit), the whole import is taken back out and nothing else changes.
 */
export interface ImportBatch {
  file: string;
  keys: number[];
  /** Run ids still being built, with the weights to keep in the browser once they are (null: none to keep). */
  pending: Map<number, { step: number; weights: WeightsData } | null>;
  failed: boolean;
}
export const importing = new Map<number, ImportBatch>();

export function send(request: WorkerRequest): void {
  ensureWorker().postMessage(request);
}

type StartRequest = Extract<WorkerRequest, { type: 'start' }>;

/**
 * Starts a run in the worker, with the visitor's image set when its dataset names one (read
 * from the browser first). A set this browser lacks fails the run with a message, as the
 * worker fails a run it cannot build. Requests sent meanwhile are safe: the worker drops a run
 * stopped before its start arrives.
 */
export function sendStart(request: StartRequest): void {
  const dataset = String(request.values.dataset ?? 'shapes');
  imageSets.forRun(dataset).then(
    (images) => send(images ? { ...request, images } : request),
    (error: Error) => {
      const status = { runId: request.runId, step: 0, totalSteps: Number(request.values.totalSteps), stepsPerSecond: 0, elapsedMs: 0, checkpointStep: -1 };
      handleEvent({ type: 'status', status: { ...status, state: 'error' } });
      handleEvent({ type: 'error', runId: request.runId, message: error.message, recoverable: false });
    },
  );
}

function ensureWorker(): Worker {
  if (worker) return worker;
  worker = new Worker(new URL('../worker/training.worker.ts', import.meta.url), { type: 'module', name: workerName(backendChoice()) });
  worker.onmessage = (message: MessageEvent<WorkerEvent>) => handleEvent(message.data);
  worker.onerror = (event) => {
    actions.notify('error', `The training worker failed: ${event.message || 'unknown error'}. Reload the page to start over.`);
  };
  return worker;
}

export function handleEvent(event: WorkerEvent): void {
  switch (event.type) {
    case 'backend': {
      actions.setBackend(event.info);
      if (event.info.name !== 'webgpu' && event.info.name !== backendChoice()) {
        actions.notify('warning', `WebGPU is unavailable, training on ${event.info.name} instead (${event.info.fallbacks.join('; ')}).`);
      }
      return;
    }
    case 'status':
      actions.setStatus(event.status);
      if (event.status.state === 'paused') {
        // Built: an imported run is kept in the browser from here, with the weights it came with.
        const pending = importing.get(event.status.runId)?.pending;
        const kept = pending?.get(event.status.runId);
        pending?.delete(event.status.runId);
        if (kept) keepCheckpoint(event.status.runId, kept.step, kept.weights);
      }
      if (event.status.state !== 'initializing') importing.delete(event.status.runId);
      return;
    case 'exported':
      exportWaiters.get(event.runId)?.resolve(event);
      exportWaiters.delete(event.runId);
      return;
    case 'metrics':
      actions.addMetrics(event.runId, event.record);
      keepSoon(event.runId);
      return;
    case 'probes':
      actions.setProbes(event.runId, event.payloads);
      return;
    case 'checkpoint':
      keepCheckpoint(event.runId, event.step, event.weights);
      return;
    case 'evaluating':
      actions.setEvaluating(event.runId, event.busy, event.progress);
      return;
    case 'evaluation':
      actions.recordEvaluation(event.runId, event.record);
      keepSoon(event.runId);
      return;
    case 'notice':
      actions.notify('info', event.message);
      return;
    case 'error': {
      if (event.runId === -1) {
        actions.notify(event.recoverable ? 'warning' : 'error', event.message);
        return;
      }
      const waiter = exportWaiters.get(event.runId);
      if (waiter) {
        exportWaiters.delete(event.runId);
        waiter.reject(new Error(event.message));
      }
      const batch = importing.get(event.runId);
      if (batch) {
        rollBackImport(batch, event.message);
        return;
      }
      const { runs } = store.getState();
      const run = runs.find((r) => r.id === event.runId);
      if (!run) return; // a run discarded since: its errors no longer matter
      actions.notify(event.recoverable ? 'warning' : 'error', runs.length > 1 ? `${run.name}: ${event.message}` : event.message);
      return;
    }
  }
}

export const focused = (): RunView | undefined => selectFocused(store.getState());
export const runByKey = (key: number) => store.getState().runs.find((r) => r.key === key);

/** Takes every run of a failed import back out: the page is as it was before. */
function rollBackImport(batch: ImportBatch, message: string): void {
  if (batch.failed) return;
  batch.failed = true;
  for (const key of batch.keys) {
    const run = runByKey(key);
    if (!run) continue;
    importing.delete(run.id);
    send({ type: 'stop', runId: run.id });
    actions.removeRun(key);
  }
  const next = focused();
  if (next) send({ type: 'focus', runId: next.id });
  actions.notify('error', `${batch.file}: ${message} Nothing was changed.`);
}

/** The weights of one run, from the worker (which checkpoints it too); `pause` leaves it paused. */
export function weightsOf(run: RunView, pause = false): Promise<Exported> {
  return new Promise((resolve, reject) => {
    exportWaiters.set(run.id, { resolve, reject });
    send({ type: 'export', runId: run.id, pause });
  });
}
