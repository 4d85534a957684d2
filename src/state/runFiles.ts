/**
 * Runs as files: every run of a comparison exported with its weights, an export opened beside
 * the runs here, and runs kept in this browser reopened. A file that cannot be used changes
 * nothing and says why.
 */
import { zipSync } from 'fflate';
import { buildProject, exportProblem } from '../export/project';
import { TRAIN_SOURCES } from '../export/sources';
import { encodeExperiment } from './url';
import { isTrainLog, runFileFromTrainLog } from './trainLog';
import { decodeRunFile, encodeRunFile, RUN_FILE_FORMAT, RUN_FILE_VERSION, RunFileError, type RunFile, type SavedRun } from './runFile';
import { imageSets } from './imageSets';
import { loadSaved } from './persist';
import { focus } from './runner';
import { adoptSaved, forgetSaved, refreshSaved } from './saving';
import { actions, store, uniqueRunName, type RunView } from './store';
import { MAX_RUNS } from './url';
import { importing, sendStart, takeRunId, weightsOf, type ImportBatch } from './workerLink';

/** A file name that says what is in it: the method (or "comparison") and the step. */
function exportName(runs: RunView[], file: RunFile): string {
  const what = runs.length === 1 ? runs[0].methodId : 'comparison';
  const step = Math.max(...file.runs.map((r) => r.step));
  return `ssl-playground-${what}-step${step}.json`;
}

export const files = {
  /**
   * "Export → PyTorch project": the focused run as a .zip — train.py, config.json, README.md and
   * its weights as weights.safetensors (docs/pytorch.md). A method or setting the export does
   * not cover yet is refused with the reason, before anything is read.
   */
  async exportPyTorch(): Promise<void> {
    const { runs, focusedKey } = store.getState();
    const run = runs.find((r) => r.key === focusedKey);
    if (!run) return;
    const problem = exportProblem(run.methodId, run.values);
    if (problem) {
      actions.notify('warning', problem);
      return;
    }
    try {
      const exported = await weightsOf(run);
      const link = `${window.location.origin}${window.location.pathname}#${encodeExperiment({ methodId: run.methodId, presetId: run.presetId, values: run.values })}`;
      const weights = exported.step > 0 ? exported.weights : null;
      const project = buildProject({ methodId: run.methodId, values: run.values, link, step: exported.step, weights }, TRAIN_SOURCES);
      const folder = `${run.methodId}-pytorch`;
      const entries = Object.fromEntries(Object.entries(project).map(([name, content]) => [`${folder}/${name}`, typeof content === 'string' ? new TextEncoder().encode(content) : content]));
      download(zipSync(entries), `ssl-playground-${run.methodId}-step${exported.step}-pytorch.zip`);
    } catch (error) {
      actions.notify('error', `The PyTorch export failed: ${(error as Error).message}`);
    }
  },

  /** Every run of the comparison, with its weights, as one file the browser downloads. */
  async exportRuns(): Promise<void> {
    const { runs, focusedKey, lesson } = store.getState();
    const built = runs.filter((r) => r.status && r.status.state !== 'initializing' && r.status.state !== 'idle');
    if (built.length === 0) {
      actions.notify('warning', 'There is no run to export yet: press Train or Step first.');
      return;
    }
    // Each run is read on its own: one that fails (a run whose training failed) is left out and
    // named, and the others are still exported.
    const results = await Promise.allSettled(built.map(async (run): Promise<SavedRun> => {
      const exported = await weightsOf(run);
      return {
        name: run.name, methodId: run.methodId, presetId: run.presetId, values: run.values,
        step: exported.step, elapsedMs: exported.elapsedMs,
        history: { steps: run.history.steps, series: run.history.series },
        evaluations: run.evaluations, weights: exported.weights,
      };
    }));
    const exported = built.filter((_, i) => results[i].status === 'fulfilled');
    const saved = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const failures = built.flatMap((run, i) => {
      const result = results[i];
      return result.status === 'rejected' ? [`${run.name} (${(result.reason as Error).message})`] : [];
    });
    if (saved.length === 0) {
      actions.notify('error', `The export failed: ${failures.join('; ')}`);
      return;
    }
    let sets: RunFile['imageSets'];
    try {
      sets = await imageSets.forExport(exported.map((run) => String(run.values.dataset)));
    } catch (error) {
      actions.notify('error', `The export failed: ${(error as Error).message}`);
      return;
    }
    if (failures.length > 0) actions.notify('warning', `The export left out ${failures.join('; ')}; the other runs are in the file.`);
    const file: RunFile = {
      format: RUN_FILE_FORMAT, version: RUN_FILE_VERSION, exportedAt: new Date().toISOString(), lesson,
      focus: Math.max(0, exported.findIndex((r) => r.key === focusedKey)), runs: saved, imageSets: sets,
    };
    download(encodeRunFile(file), exportName(exported, file));
  },

  /**
   * Opens an export next to the runs already here: each run comes back with its settings,
   * history, evaluations and weights, paused where it was, ready to continue. A file that is not
   * right is refused with a message and changes nothing.
   */
  async importRuns(file: File): Promise<void> {
    return files.importFiles([file]);
  },

  /**
   * Files picked or dropped together: one export of this app, or the log of an exported
   * train.py (.jsonl) with the last.safetensors its run wrote — a PyTorch run, opened beside
   * these on the same charts.
   */
  async importFiles(list: File[]): Promise<void> {
    const weights = list.find((f) => /\.safetensors$/i.test(f.name));
    const others = list.filter((f) => f !== weights);
    const name = (others[0] ?? list[0]).name;
    let parsed: RunFile;
    try {
      if (others.length !== 1) throw new RunFileError('Pick one exported .json file, or a train.py log (.jsonl) together with its last.safetensors.');
      const text = await others[0].text();
      // A train.py log is known by its first line, whatever the file is called.
      if (isTrainLog(text)) {
        parsed = runFileFromTrainLog(text, weights ? new Uint8Array(await weights.arrayBuffer()) : null, name);
      } else if (weights) {
        throw new RunFileError('is not the log of an exported train.py: its first line should name the experiment ({"config": …}).');
      } else {
        parsed = decodeRunFile(text);
      }
    } catch (error) {
      const message = error instanceof RunFileError ? error.message : `It could not be read (${(error as Error).message}).`;
      actions.notify('error', `${name}: ${message} Nothing was changed.`);
      return;
    }
    return importParsed({ name }, parsed);
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

/**
 * Whether an open run is this saved one: the same method and settings, trained through the same
 * steps to the same losses (an export imported twice, or a run exported and imported back).
 */
function isSameRun(open: RunView, saved: SavedRun): boolean {
  if (open.methodId !== saved.methodId) return false;
  const keys = new Set([...Object.keys(open.values), ...Object.keys(saved.values)]);
  for (const key of keys) if (open.values[key] !== saved.values[key]) return false;
  const steps = open.history.steps;
  const savedSteps = saved.history.steps;
  if (steps.length !== savedSteps.length || steps.at(-1) !== savedSteps.at(-1)) return false;
  return open.history.series.loss?.at(-1) === saved.history.series.loss?.at(-1);
}

/**
 * Builds runs from saved ones (an export's, or the browser's) beside the open runs, each paused
 * at its step with its history and weights; `source` names them if the worker refuses one.
 */
function openRuns(source: string, items: { saved: SavedRun; uid?: string }[], focusIndex: number): void {
  const batch: ImportBatch = { file: source, keys: [], pending: new Map(), failed: false };
  for (const { saved, uid } of items) {
    const id = takeRunId();
    const experiment = { methodId: saved.methodId, presetId: saved.presetId, values: saved.values };
    const key = actions.addRun(id, uniqueRunName(saved.name), experiment, uid);
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

/** Opens the runs of a checked run file beside the runs here (the import's second half). */
async function importParsed(file: { name: string }, parsed: RunFile): Promise<void> {
  const { runs } = store.getState();
  // Importing the same export again adds nothing: a run here with its settings and its history is that run.
  const isOpen = (saved: SavedRun) => store.getState().runs.some((open) => isSameRun(open, saved));
  const count = parsed.runs.filter((saved) => !isOpen(saved)).length;
  if (runs.length + count > MAX_RUNS) {
    actions.notify('error', `${file.name} holds ${count} run${count > 1 ? 's' : ''} and ${runs.length} ` +
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
  // A run on images renamed here (other pixels under a taken name) is a run of its own.
  const renamed = parsed.runs.map((saved) => {
    const dataset = names.get(String(saved.values.dataset));
    return dataset ? { ...saved, values: { ...saved.values, dataset } } : saved;
  });
  const fresh = renamed.filter((saved) => !isOpen(saved));
  const already = renamed.length - fresh.length;
  if (fresh.length === 0) {
    const n = renamed.length;
    actions.notify('warning', `${file.name}: ${n === 1 ? 'its run is' : `all ${n} of its runs are`} open here already. Nothing was added.`);
    return;
  }
  if (store.getState().runs.length + fresh.length > MAX_RUNS) {
    actions.notify('error', `${file.name}: its runs on renamed image sets would pass the ${MAX_RUNS} runs a comparison keeps. Remove runs first.`);
    return;
  }
  openRuns(file.name, fresh.map((saved) => ({ saved })), Math.max(0, fresh.indexOf(renamed[parsed.focus])));
  if (already > 0) {
    actions.notify('warning', `${file.name}: ${already} of its ${parsed.runs.length} runs ${already === 1 ? 'is' : 'are'} open here already and ${already === 1 ? 'was' : 'were'} not added again.`);
  }
  if (runs.length === 0 && parsed.lesson) actions.setLesson(parsed.lesson);
}

function download(content: string | Uint8Array, name: string): void {
  const type = typeof content === 'string' ? 'application/json' : 'application/zip';
  const url = URL.createObjectURL(new Blob([content as BlobPart], { type }));
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
