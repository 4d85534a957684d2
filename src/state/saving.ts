/**
 * Keeps the page's runs in the browser's storage as they train (persist.ts does the IndexedDB
 * work): a run's checkpoint and record together when the worker takes a checkpoint, its record
 * alone (history, evaluations) at most every few seconds in between. Runs that never trained
 * are not kept. Failures are reported once and never stop training.
 */
import type { WeightsData } from '../worker/protocol';
import { deleteSaved, listSaved, persistenceAvailable, saveCheckpoint, saveRecord, type SavedRecord } from './persist';
import { actions, store, type RunView } from './store';

/** Record writes between checkpoints, at most this often per run. */
export const SAVE_EVERY_MS = 5_000;

/** The step of each run's stored checkpoint, by uid (−1: none yet). */
const checkpointSteps = new Map<string, number>();
const timers = new Map<string, ReturnType<typeof setTimeout>>();
/** Checkpoint writes not finished yet (flushSaves waits for them). */
const writing = new Set<Promise<void>>();
let warned = false;

function warn(error: unknown): void {
  if (warned) return;
  warned = true;
  actions.notify('warning', `This browser did not keep the runs (${(error as Error)?.message ?? String(error)}): ` +
    'a reload will lose them. Export them to keep them.');
}

export function recordOf(run: RunView): SavedRecord {
  const checkpointStep = checkpointSteps.get(run.uid) ?? -1;
  return {
    uid: run.uid, savedAt: Date.now(), name: run.name, methodId: run.methodId, presetId: run.presetId, values: run.values,
    // The status the page last heard of may lag the checkpoint that is being written.
    step: Math.max(run.status?.step ?? 0, checkpointStep), checkpointStep, elapsedMs: run.status?.elapsedMs ?? 0,
    history: { steps: run.history.steps, series: run.history.series }, evaluations: run.evaluations,
  };
}

const runOf = (runId: number) => store.getState().runs.find((r) => r.id === runId);

/** A checkpoint from the worker: the weights and the record that points at them, in one write. */
export function keepCheckpoint(runId: number, step: number, weights: WeightsData): void {
  const run = runOf(runId);
  if (!run || !persistenceAvailable()) return;
  checkpointSteps.set(run.uid, step);
  clearTimeout(timers.get(run.uid));
  timers.delete(run.uid);
  const write = saveCheckpoint(recordOf(run), weights).then(refreshSaved, warn);
  writing.add(write);
  void write.finally(() => writing.delete(write));
}

/** Resolves once every checkpoint handed over so far is written (or has failed and been reported). */
export async function flushSaves(): Promise<void> {
  await Promise.all([...writing]);
}

/** The run's history or results changed: written within SAVE_EVERY_MS. */
export function keepSoon(runId: number): void {
  const run = runOf(runId);
  if (!run || !persistenceAvailable() || timers.has(run.uid)) return;
  const uid = run.uid;
  timers.set(uid, setTimeout(() => {
    timers.delete(uid);
    const current = store.getState().runs.find((r) => r.uid === uid);
    if (current && (current.status?.step ?? 0) > 0) saveRecord(recordOf(current)).then(refreshSaved, warn);
  }, SAVE_EVERY_MS));
}

/** A reopened run keeps its identity and its stored checkpoint. */
export function adoptSaved(uid: string, checkpointStep: number): void {
  checkpointSteps.set(uid, checkpointStep);
}

export function refreshSaved(): Promise<void> {
  if (!persistenceAvailable()) {
    actions.setSaved([]);
    return Promise.resolve();
  }
  return listSaved().then(actions.setSaved, warn);
}

export async function forgetSaved(uid: string): Promise<void> {
  try {
    await deleteSaved(uid);
    checkpointSteps.delete(uid);
  } catch (error) {
    warn(error);
  }
  await refreshSaved();
}
