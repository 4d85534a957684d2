/**
 * The page's side of the training worker: starts it, sends requests, and routes its events
 * into the store. Nothing else on the page knows the worker exists. Run controls act on the
 * focused run; a comparison's runs are built and trained side by side in the one worker.
 */
import { findLesson } from '../methods/registry';
import type { WorkerEvent, WorkerRequest } from '../worker/protocol';
import { actions, describeChanges, selectFocused, store, type RunView } from './store';
import { MAX_RUNS, presetValues, type Comparison, type Experiment } from './url';

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
    case 'evaluating':
      actions.setEvaluating(event.runId, event.busy, event.progress);
      return;
    case 'evaluation':
      actions.recordEvaluation(event.runId, event.record);
      return;
    case 'error': {
      if (event.runId === -1) {
        actions.notify(event.recoverable ? 'warning' : 'error', event.message);
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

const focused = (): RunView | undefined => selectFocused(store.getState());

/** Asks the worker to evaluate a run now (between two steps when it trains). */
export function evaluate(key: number): void {
  const run = store.getState().runs.find((r) => r.key === key);
  if (run) send({ type: 'evaluate', runId: run.id });
}
const runByKey = (key: number) => store.getState().runs.find((r) => r.key === key);

function build(run: RunView, experiment: Experiment, train: boolean): void {
  const id = nextRunId++;
  send({ type: 'stop', runId: run.id });
  actions.rebuildRun(run.key, id, experiment);
  send({ type: 'start', runId: id, methodId: experiment.methodId, values: experiment.values, train });
  if (store.getState().focusedKey === run.key) send({ type: 'focus', runId: id });
}

function add(name: string, experiment: Experiment, train: boolean): number {
  const id = nextRunId++;
  const key = actions.addRun(id, name, experiment);
  send({ type: 'start', runId: id, methodId: experiment.methodId, values: experiment.values, train });
  return key;
}

function focus(key: number): void {
  actions.focusRun(key);
  const run = runByKey(key);
  if (run) send({ type: 'focus', runId: run.id });
}

export const runner = {
  /**
   * (Re)builds the focused run from the settings in the panel, or the first run when there is
   * none; trains right away when `train` is set.
   */
  start(train: boolean): void {
    const { experiment } = store.getState();
    const run = focused();
    if (run) build(run, experiment, train);
    else focus(add('Run 1', experiment, train));
  },
  pause: () => withFocused((run) => send({ type: 'pause', runId: run.id })),
  resume: () => withFocused((run) => send({ type: 'resume', runId: run.id })),
  stepOnce: () => withFocused((run) => send({ type: 'step-once', runId: run.id })),
  recover: () => send({ type: 'recover' }),
  simulateDeviceLoss: () => send({ type: 'simulate-device-loss' }),
  /** Discards the focused run's progress and rebuilds it (paused at step 0) with the panel's settings. */
  reset(): void {
    runner.start(false);
  },
  /** Live settings (cadences) go to the focused run without restarting it. */
  setLive(values: Record<string, number | string | boolean>): void {
    withFocused((run) => send({ type: 'set-config', runId: run.id, values }));
  },

  focus,
  /**
   * "Duplicate with a change": a sibling of the focused run built from the panel's settings,
   * trained right away and focused; the original keeps the settings it runs with.
   */
  duplicate(): void {
    const { experiment, runs } = store.getState();
    const run = focused();
    if (runs.length >= MAX_RUNS) {
      actions.notify('warning', `A comparison keeps at most ${MAX_RUNS} runs: remove one first.`);
      return;
    }
    let name = `Run ${runs.length + 1}`;
    if (run) {
      const changes = run.methodId === experiment.methodId ? describeChanges(run.methodId, run.values, experiment.values) : '';
      name = changes ? `${run.name} · ${changes}` : `${run.name} (copy)`;
      if (name.length > 60) name = `${name.slice(0, 57)}…`;
      // The original goes back to what it runs with; the change now belongs to the sibling.
      actions.loadExperiment({ methodId: run.methodId, presetId: run.presetId, values: run.values });
    }
    focus(add(name, experiment, true));
  },
  remove(key: number): void {
    const run = runByKey(key);
    if (!run || store.getState().runs.length <= 1) return;
    send({ type: 'stop', runId: run.id });
    const wasFocused = store.getState().focusedKey === key;
    actions.removeRun(key);
    const next = focused();
    if (wasFocused && next) send({ type: 'focus', runId: next.id });
  },
  trainAll(): void {
    for (const run of store.getState().runs) {
      const state = run.status?.state;
      if (state === 'paused' || state === 'finished') send({ type: 'resume', runId: run.id });
    }
  },
  pauseAll(): void {
    for (const run of store.getState().runs) if (run.status?.state === 'running') send({ type: 'pause', runId: run.id });
  },

  /** Replaces every run by the comparison's (from a link): built paused, ready to replay. */
  openComparison(comparison: Comparison, train = false): void {
    for (const run of store.getState().runs) send({ type: 'stop', runId: run.id });
    actions.removeAllRuns();
    const keys = comparison.runs.map((run, i) => add(run.name ?? `Run ${i + 1}`, run.experiment, train));
    focus(keys[Math.min(comparison.focus, keys.length - 1)]);
    actions.setLesson(comparison.lesson);
    const found = comparison.lesson ? findLesson(comparison.lesson) : undefined;
    if (found) actions.setCompareMetric(found.lesson.metric);
  },
  /** A teaching comparison: the healthy run and the broken one, same seed, trained side by side. */
  openLesson(lessonId: string): void {
    const found = findLesson(lessonId);
    if (!found) return;
    const { method, lesson } = found;
    const seed = store.getState().experiment.values.seed;
    runner.openComparison({
      lesson: lesson.id,
      focus: 0,
      runs: lesson.runs.map((run) => ({
        name: run.name,
        experiment: { methodId: method.id, presetId: run.preset, values: { ...presetValues(method, run.preset), ...run.values, seed } },
      })),
    }, true);
  },
};

function withFocused(act: (run: RunView) => void): void {
  const run = focused();
  if (run) act(run);
}
