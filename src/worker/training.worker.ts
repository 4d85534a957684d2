/// <reference lib="webworker" />
/**
 * The training worker: owns tfjs and the GPU. The page talks to it only through the
 * messages of protocol.ts.
 */
import { setBackendLoader } from '../engine/backend';
import { loadBrowserWasm } from '../engine/wasmBrowser';
import type { WorkerEvent, WorkerRequest } from './protocol';
import { TrainingSession } from './session';
import { backendFromWorkerName } from './workerName';

const scope = self as unknown as DedicatedWorkerGlobalScope;
setBackendLoader(async (name) => {
  if (name === 'wasm') await loadBrowserWasm();
});
// The page names the worker after the backend the visitor chose ("training:wasm"), so the
// first backend it initialises is the right one.
const session = new TrainingSession((event: WorkerEvent) => scope.postMessage(event), backendFromWorkerName(scope.name));

// Requests are handled in order: a Pause arriving while a Start is still building the run
// waits for it, so no request sees a half-built run.
let queue: Promise<void> = Promise.resolve();
scope.onmessage = (message: MessageEvent<WorkerRequest>) => {
  const request = message.data;
  if (request.type === 'pause' || request.type === 'stop') {
    // Pause and Reset must take effect between two steps, not after the run's queue drains.
    void session.handle(request);
    return;
  }
  queue = queue.then(() => session.handle(request));
};

void session.ensureBackend().catch((error: unknown) => {
  scope.postMessage({ type: 'error', runId: -1, message: `No compute backend: ${String(error)}`, recoverable: false } satisfies WorkerEvent);
});
