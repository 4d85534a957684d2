/**
 * The visitor's image sets: added from dropped or picked files (decodeImages.ts), kept in this
 * browser's IndexedDB under their name, listed for the dataset menu, and handed to the worker
 * with each run that trains on one. Its own small store: the set list and the progress of an
 * addition in flight.
 */
import { createStore } from 'zustand/vanilla';
import { useStore } from 'zustand';
import {
  BUILT_IN_DATASETS, imageSetDigest, imageSetNameProblem, isLabelled, type ImageSetData,
} from '../measures/imageSets';
import { decodeImages, describeSkipped, ImageSetError, suggestedName, type PickedFile } from './decodeImages';
import { persistenceAvailable, requestValue, transact } from './persist';
import { actions, store } from './store';

/** An image set without its pixels: what the list and the menus show. */
export interface ImageSetSummary {
  name: string;
  createdAt: number;
  count: number;
  classNames: string[];
  /** Images per class, in classNames' order. */
  classCounts: number[];
  digest: string;
  /** Up to 8 images (spread over the classes) at the stored side, RGB bytes, for thumbnails. */
  preview: Uint8Array;
  previewCount: number;
}

export interface Adding {
  name: string;
  done: number;
  total: number;
}

interface ImageState {
  /** null until listed (and where the browser keeps nothing). */
  sets: ImageSetSummary[] | null;
  adding: Adding | null;
}

export const imageStore = createStore<ImageState>(() => ({ sets: null, adding: null }));

export function useImageStore<T>(selector: (state: ImageState) => T): T {
  return useStore(imageStore, selector);
}

const PREVIEW = 8;

function summaryOf(set: ImageSetData): ImageSetSummary {
  const classCounts = set.classNames.map(() => 0);
  for (const label of set.labels) classCounts[label]++;
  // Round-robin over the classes, so the thumbnails show each.
  const picked: number[] = [];
  const next = set.classNames.map(() => 0);
  while (picked.length < Math.min(PREVIEW, set.count)) {
    for (let c = 0; c < set.classNames.length && picked.length < PREVIEW; c++) {
      while (next[c] < set.count && set.labels[next[c]] !== c) next[c]++;
      if (next[c] < set.count) picked.push(next[c]++);
    }
  }
  const area = set.side * set.side * 3;
  const preview = new Uint8Array(picked.length * area);
  picked.forEach((index, i) => preview.set(set.pixels.subarray(index * area, (index + 1) * area), i * area));
  return {
    name: set.name, createdAt: Date.now(), count: set.count, classNames: set.classNames, classCounts,
    digest: imageSetDigest(set), preview, previewCount: picked.length,
  };
}

/** "120 images, 3 classes (cat 40, dog 40, fox 40)" or "120 images, unlabelled". */
export function describeSet(set: Pick<ImageSetSummary, 'count' | 'classNames' | 'classCounts'>): string {
  const images = `${set.count} image${set.count === 1 ? '' : 's'}`;
  if (!isLabelled(set)) return `${images}, unlabelled`;
  const shown = set.classNames.slice(0, 6).map((name, i) => `${name} ${set.classCounts[i]}`).join(', ');
  const more = set.classNames.length > 6 ? `, +${set.classNames.length - 6} more` : '';
  return `${images}, ${set.classNames.length} classes (${shown}${more})`;
}

async function storeSet(set: ImageSetData, summary = summaryOf(set)): Promise<ImageSetSummary> {
  await transact(['image-sets', 'image-pixels'], 'readwrite', (tx) => {
    tx.objectStore('image-sets').put(summary);
    tx.objectStore('image-pixels').put({ name: set.name, side: set.side, count: set.count, pixels: set.pixels, labels: set.labels, classNames: set.classNames });
  });
  return summary;
}

async function readSet(name: string): Promise<ImageSetData | null> {
  const request = await transact(['image-pixels'], 'readonly', (tx) =>
    requestValue(tx.objectStore('image-pixels').get(name) as IDBRequest<ImageSetData | undefined>));
  return (await request) ?? null;
}

/** Sets loaded for runs this session, by name (a comparison's runs share one copy). */
const loaded = new Map<string, ImageSetData>();
let controller: AbortController | null = null;

export async function refreshImageSets(): Promise<void> {
  if (!persistenceAvailable()) {
    imageStore.setState({ sets: [] });
    return;
  }
  try {
    const request = await transact(['image-sets'], 'readonly', (tx) =>
      requestValue(tx.objectStore('image-sets').getAll() as IDBRequest<ImageSetSummary[]>));
    imageStore.setState({ sets: (await request).sort((a, b) => b.createdAt - a.createdAt) });
  } catch (error) {
    imageStore.setState({ sets: [] });
    actions.notify('warning', `This browser could not list your image sets (${(error as Error).message}).`);
  }
}

const isBuiltIn = (dataset: string) => BUILT_IN_DATASETS.includes(dataset);

/** `base`, or "base (2)", "base (3)", … when taken. */
export function uniqueSetName(base: string, taken: ReadonlySet<string>): string {
  let name = base;
  for (let n = 2; taken.has(name); n++) name = `${base.slice(0, 34)} (${n})`;
  return name;
}
const setNames = () => new Set((imageStore.getState().sets ?? []).map((s) => s.name));

export const imageSets = {
  /**
   * Decodes the files into a new set called `name`, keeps it in the browser and selects it as
   * the dataset. Anything wrong (a taken or bad name, no images, too few) is a notice and
   * nothing is kept; skipped files are named.
   */
  async add(picked: readonly PickedFile[], name: string): Promise<boolean> {
    const trimmed = name.trim();
    const problem = imageSetNameProblem(trimmed);
    if (problem) {
      actions.notify('error', problem);
      return false;
    }
    if (setNames().has(trimmed)) {
      actions.notify('error', `You already have an image set called "${trimmed}": choose another name, or delete that set first.`);
      return false;
    }
    if (!persistenceAvailable()) {
      actions.notify('error', 'This browser keeps no data for this page (private mode?), so it cannot hold an image set.');
      return false;
    }
    if (imageStore.getState().adding) return false;
    controller = new AbortController();
    imageStore.setState({ adding: { name: trimmed, done: 0, total: picked.length } });
    try {
      const result = await decodeImages(picked, trimmed, (done, total) => {
        imageStore.setState({ adding: { name: trimmed, done, total } });
      }, controller.signal);
      const summary = await storeSet(result.set);
      loaded.set(trimmed, result.set);
      await refreshImageSets();
      actions.setValue('dataset', trimmed);
      const notes = [describeSkipped(result.skipped), result.leftOut > 0 ? `${result.leftOut} more images were left out: a set keeps at most ${result.set.count}.` : '']
        .filter(Boolean).join(' ');
      actions.notify('info', `Added "${trimmed}": ${describeSet(summary)}. It is now the dataset: Reset or Train to use it.${notes ? ` ${notes}` : ''}`);
      return true;
    } catch (error) {
      const message = error instanceof ImageSetError ? error.message : `The images could not be kept (${(error as Error).message}).`;
      actions.notify('error', `${message}${error instanceof ImageSetError ? '' : ' Nothing was kept.'}`);
      return false;
    } finally {
      controller = null;
      imageStore.setState({ adding: null });
    }
  },

  /**
   * Adds what was dropped or picked, named `typed` (a taken typed name is an error to show), or
   * else after the folder, made unique among the sets.
   */
  async addPicked(picked: readonly PickedFile[], typed = ''): Promise<boolean> {
    if (typed.trim()) return imageSets.add(picked, typed);
    if (!imageStore.getState().sets) await refreshImageSets();
    return imageSets.add(picked, uniqueSetName(suggestedName(picked), setNames()));
  },

  cancel(): void {
    controller?.abort();
  },

  /** Deletes a set, unless an open run trains on it. */
  async remove(name: string): Promise<void> {
    const open = store.getState().runs.filter((run) => run.values.dataset === name);
    if (open.length > 0) {
      actions.notify('warning', `"${name}" is the dataset of ${open.map((r) => r.name).join(', ')}: remove or Reset those runs first.`);
      return;
    }
    try {
      await transact(['image-sets', 'image-pixels'], 'readwrite', (tx) => {
        tx.objectStore('image-sets').delete(name);
        tx.objectStore('image-pixels').delete(name);
      });
      loaded.delete(name);
      if (store.getState().experiment.values.dataset === name) actions.setValue('dataset', 'shapes');
    } catch (error) {
      actions.notify('error', `The image set could not be deleted: ${(error as Error).message}`);
    }
    await refreshImageSets();
  },

  /** The images a run on `dataset` needs (undefined for the built-in datasets); throws a message for the visitor when missing. */
  async forRun(dataset: string): Promise<ImageSetData | undefined> {
    if (isBuiltIn(dataset)) return undefined;
    const cached = loaded.get(dataset);
    if (cached) return cached;
    const set = persistenceAvailable() ? await readSet(dataset) : null;
    if (!set) {
      throw new Error(`This run trains on the image set "${dataset}", which is not in this browser: image sets stay in the browser ` +
        'that added them. Add images under that name, or choose shapes as the dataset, then Reset.');
    }
    loaded.set(dataset, set);
    return set;
  },

  /** The sets these runs train on, for an export file. */
  async forExport(datasets: readonly string[]): Promise<ImageSetData[]> {
    const names = [...new Set(datasets.filter((d) => !isBuiltIn(d)))];
    const sets = await Promise.all(names.map((name) => imageSets.forRun(name)));
    return sets.filter((s): s is ImageSetData => s !== undefined);
  },

  /**
   * An import's sets, kept in this browser: one this browser holds already (same name, same
   * images) is reused; one whose name is taken by other images is kept as "name (2)". Returns
   * the name each set goes by here.
   */
  async adopt(sets: readonly ImageSetData[]): Promise<Map<string, string>> {
    if (!imageStore.getState().sets) await refreshImageSets();
    const renamed = new Map<string, string>();
    const summaries = imageStore.getState().sets ?? [];
    for (const set of sets) {
      const digest = imageSetDigest(set);
      const same = summaries.find((s) => s.name === set.name && s.digest === digest);
      if (same) {
        renamed.set(set.name, set.name);
        continue;
      }
      const name = uniqueSetName(set.name, new Set([...setNames(), ...renamed.values()]));
      const kept = { ...set, name };
      loaded.set(name, kept);
      if (persistenceAvailable()) await storeSet(kept);
      renamed.set(set.name, name);
    }
    await refreshImageSets();
    return renamed;
  },
};
