/**
 * Runs kept in the browser (IndexedDB) as they train, so a reload, a closed tab or a crash
 * loses at most the steps since the last checkpoint. Two stores: `runs` holds each run's
 * settings, metric history and evaluations (rewritten every few seconds while it trains), and
 * `weights` its last checkpoint (written when the worker takes one: every 200 steps, every 30 s,
 * on pause and at the end). Reopening a saved run goes through the same path as importing an
 * export file. Where IndexedDB is missing (private modes, Node) nothing is saved, and the page
 * says so once.
 */
import type { EvaluationRecord } from '../methods/evaluation';
import type { SettingValues } from '../methods/schema';
import type { WeightsData } from '../worker/protocol';
import type { SavedRun } from './runFile';

const DB_NAME = 'ssl-playground';
/** 2: the visitor's image sets (imageStore.ts). */
const DB_VERSION = 2;

/** One run as kept in the browser (without its weights). */
export interface SavedRecord {
  uid: string;
  savedAt: number; // Date.now()
  name: string;
  methodId: string;
  presetId: string;
  values: SettingValues;
  /** Steps trained when last written (the history goes this far). */
  step: number;
  /** The step of the stored weights (−1: none yet; a reopened run resumes from here). */
  checkpointStep: number;
  elapsedMs: number;
  history: { steps: number[]; series: Record<string, number[]> };
  evaluations: EvaluationRecord[];
}

export type SavedSummary = Omit<SavedRecord, 'history' | 'evaluations' | 'values'>;

let opening: Promise<IDBDatabase> | null = null;

export function persistenceAvailable(): boolean {
  return typeof indexedDB !== 'undefined';
}

function database(): Promise<IDBDatabase> {
  if (!opening) {
    opening = new Promise((resolve, reject) => {
      const request = indexedDB.open(DB_NAME, DB_VERSION);
      request.onupgradeneeded = () => {
        const db = request.result;
        if (!db.objectStoreNames.contains('runs')) db.createObjectStore('runs', { keyPath: 'uid' });
        if (!db.objectStoreNames.contains('weights')) db.createObjectStore('weights', { keyPath: 'uid' });
        if (!db.objectStoreNames.contains('image-sets')) db.createObjectStore('image-sets', { keyPath: 'name' });
        if (!db.objectStoreNames.contains('image-pixels')) db.createObjectStore('image-pixels', { keyPath: 'name' });
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error ?? new Error('IndexedDB could not be opened'));
      request.onblocked = () => reject(new Error('IndexedDB is blocked by another tab with an older version open'));
    });
    opening.catch(() => (opening = null));
  }
  return opening;
}

/** Runs `work` in one transaction over `stores`; resolves when it commits. */
export async function transact<T>(stores: string[], mode: IDBTransactionMode, work: (tx: IDBTransaction) => T): Promise<T> {
  const db = await database();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(stores, mode);
    tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction failed'));
    tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
    const result = work(tx);
    tx.oncomplete = () => resolve(result); // completion is an event of a later task
  });
}

export const requestValue = <T>(request: IDBRequest<T>): Promise<T> => new Promise((resolve, reject) => {
  request.onsuccess = () => resolve(request.result);
  request.onerror = () => reject(request.error);
});

export async function saveRecord(record: SavedRecord): Promise<void> {
  await transact(['runs'], 'readwrite', (tx) => tx.objectStore('runs').put(record));
}

/** The checkpoint and the record that points at it, in one transaction: never a record whose weights are missing. */
export async function saveCheckpoint(record: SavedRecord, weights: WeightsData): Promise<void> {
  await transact(['runs', 'weights'], 'readwrite', (tx) => {
    tx.objectStore('weights').put({ uid: record.uid, step: record.checkpointStep, weights });
    tx.objectStore('runs').put(record);
  });
}

/** Every saved run, newest first, without their histories. */
export async function listSaved(): Promise<SavedSummary[]> {
  const records = await transact(['runs'], 'readonly', (tx) => requestValue(tx.objectStore('runs').getAll() as IDBRequest<SavedRecord[]>));
  return (await records)
    .map(({ history: _history, evaluations: _evaluations, values: _values, ...summary }) => summary)
    .sort((a, b) => b.savedAt - a.savedAt);
}

/**
 * A saved run as an export file's run, at its checkpoint: the history is cut back to the
 * checkpoint's step (what was charted after it is trained again on resume).
 */
export async function loadSaved(uid: string): Promise<SavedRun> {
  const [recordRequest, weightsRequest] = await transact(['runs', 'weights'], 'readonly', (tx) => [
    requestValue(tx.objectStore('runs').get(uid) as IDBRequest<SavedRecord | undefined>),
    requestValue(tx.objectStore('weights').get(uid) as IDBRequest<{ step: number; weights: WeightsData } | undefined>),
  ]);
  const record = await recordRequest;
  const stored = await weightsRequest;
  if (!record) throw new Error('This saved run is no longer in the browser’s storage.');
  return savedRunAt(record, stored && stored.step === record.checkpointStep ? stored : null);
}

/** The record cut back to its checkpoint (or to step 0 without one). Pure: tested without IndexedDB. */
export function savedRunAt(record: SavedRecord, stored: { step: number; weights: WeightsData } | null): SavedRun {
  const step = stored ? stored.step : 0;
  const keep = record.history.steps.filter((s) => s <= step).length;
  const series: Record<string, number[]> = {};
  for (const [name, column] of Object.entries(record.history.series)) series[name] = column.slice(0, keep);
  return {
    name: record.name, methodId: record.methodId, presetId: record.presetId, values: record.values,
    step, elapsedMs: stored ? record.elapsedMs * (step / Math.max(step, record.step)) : 0,
    history: { steps: record.history.steps.slice(0, keep), series },
    evaluations: record.evaluations.filter((e) => e.step <= step),
    weights: stored ? stored.weights : null,
  };
}

export async function deleteSaved(uid: string): Promise<void> {
  await transact(['runs', 'weights'], 'readwrite', (tx) => {
    tx.objectStore('runs').delete(uid);
    tx.objectStore('weights').delete(uid);
  });
}

/** A new run's identity in the browser's storage. */
export function newUid(): string {
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}
