/**
 * Run controls: what the buttons do to the focused run, to every run, and to a comparison or
 * lesson opened from a link. Requests go to the worker through workerLink.
 */
import { findLesson } from '../methods/registry';
import type { BackendName } from '../engine/backend';
import { setBackendChoice } from './backendChoice';
import { flushSaves } from './saving';
import { actions, describeChanges, store, uniqueRunName, type PendingOpen, type RunView } from './store';
import { MAX_RUNS, presetValues, type Comparison, type Experiment } from './url';
import { focused, runByKey, send, sendStart, takeRunId, weightsOf } from './workerLink';

/** Asks the worker to evaluate a run now (between two steps when it trains). */
export function evaluate(key: number): void {
  const run = store.getState().runs.find((r) => r.key === key);
  if (run) send({ type: 'evaluate', runId: run.id });
}
function build(run: RunView, experiment: Experiment, train: boolean): void {
  const id = takeRunId();
  send({ type: 'stop', runId: run.id });
  actions.rebuildRun(run.key, id, experiment);
  sendStart({ type: 'start', runId: id, methodId: experiment.methodId, values: experiment.values, train });
  if (store.getState().focusedKey === run.key) send({ type: 'focus', runId: id });
}

function add(name: string, experiment: Experiment, train: boolean): number {
  const id = takeRunId();
  const key = actions.addRun(id, name, experiment);
  sendStart({ type: 'start', runId: id, methodId: experiment.methodId, values: experiment.values, train });
  return key;
}

export function focus(key: number): void {
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
  pause: () => withFocused((run) => {
    actions.setPausing(run.key); // shown at once: the worker answers after the step in flight
    send({ type: 'pause', runId: run.id });
  }),
  resume: () => withFocused((run) => send({ type: 'resume', runId: run.id })),
  stepOnce: () => withFocused((run) => send({ type: 'step-once', runId: run.id })),
  recover: () => send({ type: 'recover' }),
  /** Moves every run to another backend and remembers the choice (null: the usual order). */
  useBackend(name: BackendName | null): void {
    setBackendChoice(name);
    send({ type: 'set-backend', name });
  },
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

  /**
   * Opens a pasted link's or a picked lesson's runs in place of the open ones, or, when an open
   * run has trained (it would be lost), asks first: the choice waits in `pendingOpen`.
   */
  requestOpen(comparison: Comparison, train: boolean, source: PendingOpen['source']): void {
    if (store.getState().runs.some(hasProgress)) actions.setPendingOpen({ comparison, train, source, saving: false });
    else runner.openComparison(comparison, train);
  },
  /**
   * The visitor's answer: `beside` adds the new runs to the open ones, `save` checkpoints and
   * writes every trained run (paused, so nothing moves on after it) and then switches,
   * `cancel` keeps the page as it is (the address bar goes back to it).
   */
  async resolveOpen(choice: 'beside' | 'save' | 'cancel'): Promise<void> {
    const pending = store.getState().pendingOpen;
    if (!pending || pending.saving) return;
    if (choice === 'cancel') {
      actions.setPendingOpen(null);
      return;
    }
    if (choice === 'beside') {
      actions.setPendingOpen(null);
      runner.openBeside(pending.comparison, pending.train);
      return;
    }
    actions.setPendingOpen({ ...pending, saving: true });
    const trained = store.getState().runs.filter(hasProgress);
    const results = await Promise.allSettled(trained.map((run) => weightsOf(run, true)));
    await flushSaves();
    actions.setPendingOpen(null);
    const failed = results.flatMap((result, i) => (result.status === 'rejected' ? [`${trained[i].name} (${String(result.reason?.message ?? result.reason)})`] : []));
    if (failed.length > 0) {
      actions.notify('error', `Nothing was closed: ${failed.join(', ')} could not be saved. Open the new runs beside, or remove the failed run first.`);
      return;
    }
    runner.openComparison(pending.comparison, pending.train);
  },
  /** Adds a comparison's runs beside the open ones (names kept apart), focusing its first. */
  openBeside(comparison: Comparison, train = false): void {
    const keys = comparison.runs.map((run) => add(uniqueRunName(run.name ?? `Run ${store.getState().runs.length + 1}`), run.experiment, train));
    focus(keys[Math.min(comparison.focus, keys.length - 1)]);
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
    runner.requestOpen({
      lesson: lesson.id,
      focus: 0,
      runs: lesson.runs.map((run) => ({
        name: run.name,
        experiment: { methodId: method.id, presetId: run.preset, values: { ...presetValues(method, run.preset), ...run.values, seed } },
      })),
    }, true, 'lesson');
  },
};

/** An open run that has trained or trains: closing it loses what is not checkpointed. */
export function hasProgress(run: RunView): boolean {
  return (run.status?.step ?? 0) > 0 || run.status?.state === 'running';
}

function withFocused(act: (run: RunView) => void): void {
  const run = focused();
  if (run) act(run);
}
