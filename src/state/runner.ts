/**
 * The page's side of the training worker: starts it, sends requests, and routes its events
 * into the store. Nothing else on the page knows the worker exists. Run controls act on the
 * focused run; a comparison's runs are built and trained side by side in the one worker.
 */
import { findLesson } from '../methods/registry';
import type { WeightsData, WorkerEvent, WorkerRequest } from '../worker/protocol';
import { decodeRunFile, encodeRunFile, RUN_FILE_FORMAT, RUN_FILE_VERSION, RunFileError, type RunFile, type SavedRun } from './runFile';
import { imageSets } from './imageSets';
import { loadSaved } from './persist';
import { adoptSaved, forgetSaved, keepCheckpoint, keepSoon, refreshSaved } from './saving';
import { actions, describeChanges, selectFocused, store, type RunView } from './store';
import { MAX_RUNS, presetValues, type Comparison, type Experiment } from './url';

let worker: Worker | null = null;
let nextRunId = 1;

type Exported = Extract<WorkerEvent, { type: 'exported' }>;
/** Export requests waiting for the worker's weights, by run id. */
const exportWaiters = new Map<number, { resolve: (event: Exported) => void; reject: (error: Error) => void }>();
/**
 * Runs of an import still being built, by run id, with their batch: if the worker refuses one
 * (weights that do not fit), the whole import is taken back out and nothing else changes.
 */
interface ImportBatch {
  file: string;
  keys: number[];
  /** Run ids still being built, with the weights to keep in the browser once they are (null: none to keep). */
  pending: Map<number, { step: number; weights: WeightsData } | null>;
  failed: boolean;
}
const importing = new Map<number, ImportBatch>();

function send(request: WorkerRequest): void {
  ensureWorker().postMessage(request);
}

type StartRequest = Extract<WorkerRequest, { type: 'start' }>;

/**
 * Starts a run in the worker, with the visitor's image set when its dataset names one (read
 * from the browser first). A set this browser lacks fails the run with a message, as the
 * worker fails a run it cannot build. Requests sent meanwhile are safe: the worker drops a run
 * stopped before its start arrives.
 */
function sendStart(request: StartRequest): void {
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
  sendStart({ type: 'start', runId: id, methodId: experiment.methodId, values: experiment.values, train });
  if (store.getState().focusedKey === run.key) send({ type: 'focus', runId: id });
}

function add(name: string, experiment: Experiment, train: boolean): number {
  const id = nextRunId++;
  const key = actions.addRun(id, name, experiment);
  sendStart({ type: 'start', runId: id, methodId: experiment.methodId, values: experiment.values, train });
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

/** The weights of one run, from the worker. */
function weightsOf(run: RunView): Promise<Exported> {
  return new Promise((resolve, reject) => {
    exportWaiters.set(run.id, { resolve, reject });
    send({ type: 'export', runId: run.id });
  });
}

/** A file name that says what is in it: the method (or "comparison") and the step. */
function exportName(runs: RunView[], file: RunFile): string {
  const what = runs.length === 1 ? runs[0].methodId : 'comparison';
  const step = Math.max(...file.runs.map((r) => r.step));
  return `ssl-playground-${what}-step${step}.json`;
}

export const files = {
  /** Every run of the comparison, with its weights, as one file the browser downloads. */
  async exportRuns(): Promise<void> {
    const { runs, focusedKey, lesson } = store.getState();
    const built = runs.filter((r) => r.status && r.status.state !== 'initializing' && r.status.state !== 'idle');
    if (built.length === 0) {
      actions.notify('warning', 'There is no run to export yet: press Train or Step first.');
      return;
    }
    let saved: SavedRun[];
    let sets: RunFile['imageSets'];
    try {
      sets = await imageSets.forExport(built.map((run) => String(run.values.dataset)));
      saved = await Promise.all(built.map(async (run): Promise<SavedRun> => {
        const exported = await weightsOf(run);
        return {
          name: run.name, methodId: run.methodId, presetId: run.presetId, values: run.values,
          step: exported.step, elapsedMs: exported.elapsedMs,
          history: { steps: run.history.steps, series: run.history.series },
          evaluations: run.evaluations, weights: exported.weights,
        };
      }));
    } catch (error) {
      actions.notify('error', `The export failed: ${(error as Error).message}`);
      return;
    }
    const file: RunFile = {
      format: RUN_FILE_FORMAT, version: RUN_FILE_VERSION, exportedAt: new Date().toISOString(), lesson,
      focus: Math.max(0, built.findIndex((r) => r.key === focusedKey)), runs: saved, imageSets: sets,
    };
    download(encodeRunFile(file), exportName(built, file));
  },

  /**
   * Opens an export next to the runs already here: each run comes back with its settings,
   * history, evaluations and weights, paused where it was, ready to continue. A file that is not
   * right is refused with a message and changes nothing.
   */
  async importRuns(file: File): Promise<void> {
    let parsed: RunFile;
    try {
      parsed = decodeRunFile(await file.text());
    } catch (error) {
      const message = error instanceof RunFileError ? error.message : `It could not be read (${(error as Error).message}).`;
      actions.notify('error', `${file.name}: ${message} Nothing was changed.`);
      return;
    }
    const { runs } = store.getState();
    if (runs.length + parsed.runs.length > MAX_RUNS) {
      actions.notify('error', `${file.name} holds ${parsed.runs.length} run${parsed.runs.length > 1 ? 's' : ''} and ${runs.length} ` +
        `${runs.length === 1 ? 'is' : 'are'} open; a comparison keeps at most ${MAX_RUNS}. Remove runs first. Nothing was changed.`);
      return;
    }
    // The runs' image sets come with them; one whose name is taken here by other images is renamed.
    let names: Map<string, string>;
    try {
      names = await imageSets.adopt(parsed.imageSets);
    } catch (error) {
      actions.notify('error', `${file.name}: its image sets could not be kept in this browser (${(error as Error).message}). Nothing was changed.`);
      return;
    }
    const renamed = parsed.runs.map((saved) => {
      const dataset = names.get(String(saved.values.dataset));
      return { saved: dataset ? { ...saved, values: { ...saved.values, dataset } } : saved };
    });
    openRuns(file.name, renamed, parsed.focus);
    if (runs.length === 0 && parsed.lesson) actions.setLesson(parsed.lesson);
  },

  /** Reopens a run kept in this browser, paused at its last checkpoint, beside the runs open. */
  async openSaved(uid: string): Promise<void> {
    const { runs } = store.getState();
    if (runs.some((r) => r.uid === uid)) return;
    if (runs.length >= MAX_RUNS) {
      actions.notify('warning', `A comparison keeps at most ${MAX_RUNS} runs: remove one first.`);
      return;
    }
    try {
      const saved = await loadSaved(uid);
      adoptSaved(uid, saved.weights ? saved.step : -1);
      openRuns(saved.name, [{ saved, uid }], 0);
    } catch (error) {
      actions.notify('error', `The saved run could not be opened: ${(error as Error).message}`);
      await refreshSaved();
    }
  },
  forgetSaved,
  refreshSaved,
};

/** The name, or "name (2)", "name (3)", … when a run open here has it already. */
function uniqueName(name: string): string {
  const taken = new Set(store.getState().runs.map((r) => r.name));
  if (!taken.has(name)) return name;
  let n = 2;
  while (taken.has(`${name} (${n})`)) n++;
  return `${name} (${n})`;
}

/**
 * Builds runs from saved ones (an export's, or the browser's) beside the open runs, each paused
 * at its step with its history and weights; `source` names them if the worker refuses one.
 */
function openRuns(source: string, items: { saved: SavedRun; uid?: string }[], focusIndex: number): void {
  const batch: ImportBatch = { file: source, keys: [], pending: new Map(), failed: false };
  for (const { saved, uid } of items) {
    const id = nextRunId++;
    const experiment = { methodId: saved.methodId, presetId: saved.presetId, values: saved.values };
    const key = actions.addRun(id, uniqueName(saved.name), experiment, uid);
    actions.restoreRun(key, saved.history, saved.evaluations);
    batch.keys.push(key);
    // A reopened run's weights are in the browser already; an imported one's are kept once built.
    batch.pending.set(id, !uid && saved.weights && saved.step > 0 ? { step: saved.step, weights: saved.weights } : null);
    importing.set(id, batch);
    sendStart({
      type: 'start', runId: id, methodId: saved.methodId, values: saved.values, train: false,
      restore: { step: saved.step, elapsedMs: saved.elapsedMs, weights: saved.weights },
    });
  }
  focus(batch.keys[focusIndex] ?? batch.keys[0]);
}

function download(text: string, name: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function withFocused(act: (run: RunView) => void): void {
  const run = focused();
  if (run) act(run);
}
