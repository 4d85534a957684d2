/**
 * The page's one store, in slices (zustand's slices pattern): config (the experiment being
 * edited: the focused run's settings), runs (every run of the comparison, with what the worker
 * reports for it and its metrics history), probes (the focused run's latest visualisation
 * payloads) and notices. Actions are plain functions callable outside React; the worker client
 * (runner.ts) is the only thing that talks to the worker.
 */
import { createStore } from 'zustand/vanilla';
import { useStore } from 'zustand';
import type { BackendInfo } from '../engine/backend';
import type { MetricsRecord } from '../training/trainer';
import { advanceDetector, collapseModesOf, initialDetector, type DetectorState } from '../methods/collapse';
import type { EvaluationRecord } from '../methods/evaluation';
import { withProbes, type ProbeKind, type ProbePayload, type ProbeSlots, type ProbeTypes } from '../methods/probes';
import { getMethod } from '../methods/registry';
import { validateSettingValue, type Setting, type SettingValue, type SettingValues } from '../methods/schema';
import type { RunStatus } from '../worker/protocol';
import { newUid, type SavedSummary } from './persist';
import { defaultExperiment, presetValues, type Comparison, type Experiment } from './url';
import { RUN_COLORS } from '../methods/palette';

export interface Notice {
  id: number;
  level: 'info' | 'warning' | 'error';
  text: string;
}

/**
 * A run's metrics. The arrays grow in place (one push per record, no copies); the object
 * itself is replaced on every record, so subscribers compare `history !== previous`.
 */
export interface MetricsHistory {
  /** Steps of the points, ascending. */
  steps: number[];
  /** One array per metric, aligned with `steps`. */
  series: Record<string, number[]>;
  /** Records so far. */
  version: number;
}

/** One run of the comparison, as the page sees it. */
export interface RunView {
  /** Stable identity of the run in the page (colors, React keys, focus). */
  key: number;
  /** The worker's id of the current build of this run; a Reset gives it a new one. */
  id: number;
  /** This build's identity in the browser's storage (a reopened run keeps its own). */
  uid: string;
  name: string;
  color: string;
  methodId: string;
  presetId: string;
  /** The settings this build runs with. */
  values: SettingValues;
  /** Its settings as last edited; for the focused run, `experiment` is the live copy. */
  draft: Experiment;
  status: RunStatus | null;
  history: MetricsHistory;
  detector: DetectorState;
  /** Latest vectors the method reads back with its metrics (DINO: the center). */
  vectors: Record<string, Float32Array>;
  /** Drawn on the comparison chart. */
  visible: boolean;
  /** Evaluations of this build, oldest first. */
  evaluations: EvaluationRecord[];
  /** The worker is evaluating this run. */
  evaluating: boolean;
  /** What that evaluation is doing now, in words (empty when idle). */
  evaluationProgress: string;
  /** Pause was pressed and the worker has not yet said the run stopped (the step in flight finishes first). */
  pausing: boolean;
}

/**
 * A link pasted or a lesson picked while open runs have trained: opening it would close them, so
 * it waits for the visitor's choice (runner.resolveOpen: beside, save and switch, or cancel).
 */
export interface PendingOpen {
  comparison: Comparison;
  train: boolean;
  source: 'link' | 'lesson';
  /** "Save and switch" was chosen: the runs are being checkpointed and written. */
  saving: boolean;
}

export interface StoreState {
  // config slice: the focused run's settings, as edited
  experiment: Experiment;
  // runs slice
  backend: BackendInfo | null;
  runs: RunView[];
  focusedKey: number;
  /** The lesson the comparison was opened from (its explanation is shown). */
  lesson: string | null;
  /** Runs kept in this browser, newest first (null until listed; empty where storage is missing). */
  saved: SavedSummary[] | null;
  /** A lost device: Resume rebuilds every run from its checkpoint. */
  recoverable: boolean;
  /** A link or lesson waiting for the visitor's choice before it closes trained runs. */
  pendingOpen: PendingOpen | null;
  /** The focused run's latest probe payload of each kind (see ProbeTypes; read with selectProbe). */
  probes: ProbeSlots;
  // notices slice
  notices: Notice[];
  // view state (not part of the experiment)
  attentionHead: number; // -1 = mean over heads
  probeImage: number; // which probe image the distribution view shows
  compareMetric: string; // the metric on the comparison chart
  /** The "start here" introduction is shown (a first visit, or reopened from the header). */
  introOpen: boolean;
  /** The keyboard shortcuts list is shown. */
  shortcutsOpen: boolean;
  /** The visitor's theme choice, what it resolves to now, and a counter bumped on every change (charts rebuild on it). */
  theme: 'auto' | 'light' | 'dark';
  resolvedTheme: 'light' | 'dark';
  themeVersion: number;
}

const emptyHistory = (): MetricsHistory => ({ steps: [], series: {}, version: 0 });

/** Run colors, in order of creation; chosen to stay apart for common color blindness. */
export { RUN_COLORS };

const NO_PROBES: ProbeSlots = {};

export function initialState(experiment: Experiment = defaultExperiment()): StoreState {
  return {
    experiment, backend: null, runs: [], focusedKey: -1, lesson: null, recoverable: false, saved: null, pendingOpen: null,
    probes: NO_PROBES, notices: [], attentionHead: -1, probeImage: 0,
    compareMetric: 'loss', introOpen: false, shortcutsOpen: false, theme: 'auto', resolvedTheme: 'light', themeVersion: 0,
  };
}

export const store = createStore<StoreState>(() => initialState());

let nextNoticeId = 1;
let nextRunKey = 1;

/** Replaces the run with `key` by `update(run)`. */
function updateRun(key: number, update: (run: RunView) => RunView): void {
  const runs = store.getState().runs;
  const index = runs.findIndex((r) => r.key === key);
  if (index < 0) return;
  const next = runs.slice();
  next[index] = update(runs[index]);
  store.setState({ runs: next });
}

const runById = (state: StoreState, id: number) => state.runs.find((r) => r.id === id);

/** The name, or "name (2)", "name (3)", … when an open run has it already. */
export function uniqueRunName(name: string): string {
  const taken = new Set(store.getState().runs.map((r) => r.name));
  if (!taken.has(name)) return name;
  let n = 2;
  while (taken.has(`${name} (${n})`)) n++;
  return `${name} (${n})`;
}

export const actions = {
  reset(experiment?: Experiment): void {
    store.setState(initialState(experiment), true);
  },

  // config (the focused run's draft)
  loadExperiment(experiment: Experiment, notices: string[] = []): void {
    store.setState({ experiment });
    for (const text of notices) actions.notify('warning', text);
  },
  /** Sets one setting after validating it; returns the error message if rejected. */
  setValue(name: string, value: SettingValue): string | null {
    const { experiment } = store.getState();
    const setting = getMethod(experiment.methodId).settings.find((s) => s.name === name);
    if (!setting) return `Unknown setting ${name}`;
    try {
      const checked = validateSettingValue(setting, value);
      store.setState({ experiment: { ...experiment, values: { ...experiment.values, [name]: checked } } });
      return null;
    } catch (error) {
      return (error as Error).message;
    }
  },
  applyPreset(presetId: string): void {
    const { experiment } = store.getState();
    const method = getMethod(experiment.methodId);
    // A preset keeps the seed: switching presets compares mechanisms, not luck.
    const values = { ...presetValues(method, presetId), seed: experiment.values.seed };
    store.setState({ experiment: { ...experiment, presetId, values } });
  },
  setMethod(methodId: string): void {
    const seed = store.getState().experiment.values.seed;
    const experiment = defaultExperiment(methodId);
    store.setState({ experiment: { ...experiment, values: { ...experiment.values, seed } } });
  },

  // runs
  /** Adds a run (not yet built) and returns its key. The first run is focused. */
  addRun(id: number, name: string, experiment: Experiment, uid = newUid()): number {
    const state = store.getState();
    const key = nextRunKey++;
    const used = new Set(state.runs.map((r) => r.color));
    const color = RUN_COLORS.find((c) => !used.has(c)) ?? RUN_COLORS[key % RUN_COLORS.length];
    const run: RunView = {
      key, id, uid, name, color, methodId: experiment.methodId, presetId: experiment.presetId,
      values: experiment.values, draft: experiment, status: null, history: emptyHistory(),
      detector: initialDetector(), vectors: {}, visible: true, evaluations: [], evaluating: false, evaluationProgress: '', pausing: false,
    };
    store.setState({ runs: [...state.runs, run], ...(state.focusedKey < 0 ? { focusedKey: key, experiment } : {}) });
    return key;
  },
  /** A new build of the run (Reset): new worker id and settings, history cleared. */
  rebuildRun(key: number, id: number, experiment: Experiment): void {
    updateRun(key, (run) => ({
      ...run, id, uid: newUid(), methodId: experiment.methodId, presetId: experiment.presetId, values: experiment.values,
      draft: experiment, status: null, history: emptyHistory(), detector: initialDetector(), vectors: {},
      evaluations: [], evaluating: false, evaluationProgress: '', pausing: false,
    }));
    if (store.getState().focusedKey === key) store.setState({ probes: NO_PROBES });
  },
  removeRun(key: number): void {
    const state = store.getState();
    const runs = state.runs.filter((r) => r.key !== key);
    store.setState({ runs });
    if (state.focusedKey === key) {
      store.setState({ focusedKey: -1 });
      if (runs.length > 0) actions.focusRun(runs[0].key);
    }
  },
  removeAllRuns(): void {
    store.setState({ runs: [], focusedKey: -1, lesson: null, probes: NO_PROBES });
  },
  /** Shows this run: its settings go into the panel (the previous run keeps its edits). */
  focusRun(key: number): void {
    const state = store.getState();
    const target = state.runs.find((r) => r.key === key);
    if (!target || state.focusedKey === key) return;
    const runs = state.runs.map((r) => (r.key === state.focusedKey ? { ...r, draft: state.experiment } : r));
    store.setState({
      runs, focusedKey: key, experiment: target.draft, probes: NO_PROBES,
    });
  },
  renameRun(key: number, name: string): void {
    updateRun(key, (run) => ({ ...run, name }));
  },
  setPausing(key: number): void {
    updateRun(key, (run) => ({ ...run, pausing: run.status?.state === 'running' }));
  },
  setRunVisible(key: number, visible: boolean): void {
    updateRun(key, (run) => ({ ...run, visible }));
  },
  setSaved(saved: SavedSummary[]): void {
    store.setState({ saved });
  },
  setTheme(theme: StoreState['theme'], resolvedTheme: StoreState['resolvedTheme']): void {
    store.setState({ theme, resolvedTheme, themeVersion: store.getState().themeVersion + 1 });
  },
  setIntroOpen(introOpen: boolean): void {
    store.setState({ introOpen });
  },
  setShortcutsOpen(shortcutsOpen: boolean): void {
    store.setState({ shortcutsOpen });
  },
  setPendingOpen(pendingOpen: PendingOpen | null): void {
    store.setState({ pendingOpen });
  },
  setLesson(lesson: string | null): void {
    store.setState({ lesson });
  },
  setCompareMetric(compareMetric: string): void {
    store.setState({ compareMetric });
  },
  setBackend(backend: BackendInfo): void {
    store.setState({ backend });
  },
  setStatus(status: RunStatus): void {
    const run = runById(store.getState(), status.runId);
    if (!run) return;
    updateRun(run.key, (r) => ({ ...r, status, pausing: r.pausing && status.state === 'running' }));
    store.setState({ recoverable: store.getState().runs.some((r) => r.status?.state === 'device-lost') });
  },

  // metrics
  addMetrics(runId: number, record: MetricsRecord): void {
    const run = runById(store.getState(), runId);
    if (!run) return;
    const { steps, series } = run.history;
    const length = steps.length;
    steps.push(record.step);
    for (const [name, value] of Object.entries(record.values)) {
      if (!series[name]) series[name] = new Array<number>(length).fill(Number.NaN);
      series[name].push(value);
    }
    for (const column of Object.values(series)) if (column.length === length) column.push(Number.NaN);
    const method = getMethod(run.methodId);
    const detector = advanceDetector(run.detector, record.step, record.values, collapseModesOf(method), run.values);
    updateRun(run.key, (r) => ({
      ...r,
      history: { steps, series, version: r.history.version + 1 },
      detector,
      vectors: record.vectors ? { ...r.vectors, ...record.vectors } : r.vectors,
    }));
  },

  /**
   * An imported run's past: its metric history (the collapse detector replayed over it, so its
   * episodes and badge come back) and its evaluations.
   */
  restoreRun(key: number, history: { steps: number[]; series: Record<string, number[]> }, evaluations: EvaluationRecord[]): void {
    updateRun(key, (run) => {
      const modes = collapseModesOf(getMethod(run.methodId));
      const series: Record<string, number[]> = {};
      for (const [name, column] of Object.entries(history.series)) series[name] = column.slice();
      let detector = initialDetector();
      history.steps.forEach((step, i) => {
        const values: Record<string, number> = {};
        for (const [name, column] of Object.entries(series)) if (Number.isFinite(column[i])) values[name] = column[i];
        detector = advanceDetector(detector, step, values, modes, run.values);
      });
      return { ...run, history: { steps: history.steps.slice(), series, version: history.steps.length }, detector, evaluations: evaluations.slice() };
    });
  },

  // evaluations
  recordEvaluation(runId: number, record: EvaluationRecord): void {
    const run = runById(store.getState(), runId);
    if (run) updateRun(run.key, (r) => ({ ...r, evaluations: [...r.evaluations, record] }));
  },
  setEvaluating(runId: number, busy: boolean, progress = ''): void {
    const run = runById(store.getState(), runId);
    if (run) updateRun(run.key, (r) => ({ ...r, evaluating: busy, evaluationProgress: busy ? progress : '' }));
  },

  // probes
  setProbes(runId: number, payloads: ProbePayload[]): void {
    const state = store.getState();
    const run = runById(state, runId);
    if (!run || run.key !== state.focusedKey) return;
    store.setState({ probes: withProbes(state.probes, payloads) });
  },
  setAttentionHead(head: number): void {
    store.setState({ attentionHead: head });
  },
  setProbeImage(index: number): void {
    store.setState({ probeImage: index });
  },

  // notices
  notify(level: Notice['level'], text: string): void {
    const notices = store.getState().notices;
    if (notices.some((n) => n.text === text)) return;
    store.setState({ notices: [...notices, { id: nextNoticeId++, level, text }] });
  },
  dismissNotice(id: number): void {
    store.setState({ notices: store.getState().notices.filter((n) => n.id !== id) });
  },
};

/** React hook over the vanilla store, with a selector (defined once, at module level, by callers). */
export function useAppStore<T>(selector: (state: StoreState) => T): T {
  return useStore(store, selector);
}

// Selectors used in more than one place.
export const selectMethod = (state: StoreState) => getMethod(state.experiment.methodId);
export const selectValues = (state: StoreState) => state.experiment.values;
export const selectFocused = (state: StoreState): RunView | undefined => state.runs.find((r) => r.key === state.focusedKey);
export const selectStatus = (state: StoreState) => selectFocused(state)?.status ?? null;
/**
 * The probe kinds the focused run's method fills (the panel's method before any run), space
 * separated: one string, so the selector's result compares by value. The page shows only these views.
 */
export const selectProbeKinds = (state: StoreState): string => {
  const run = selectFocused(state);
  const method = run ? getMethod(run.methodId) : selectMethod(state);
  return method.probeKinds(run?.values ?? state.experiment.values).join(' ');
};
/** The focused run's latest payload of one probe kind (null until its first probe). Build once per view, at module level. */
export const selectProbe = <K extends ProbeKind>(kind: K) => (state: StoreState): ProbeTypes[K] | null => state.probes[kind] ?? null;
const EMPTY_HISTORY = emptyHistory();
export const selectHistory = (state: StoreState) => selectFocused(state)?.history ?? EMPTY_HISTORY;
/** Settings whose value differs from the focused run's and that need a Reset to apply. */
export function changedSinceRun(state: StoreState): Setting[] {
  const run = selectFocused(state);
  if (!run) return [];
  const method = getMethod(state.experiment.methodId);
  if (run.methodId !== method.id) return method.settings.filter((s) => !method.liveSettings.includes(s.name));
  return method.settings.filter(
    (s) => !method.liveSettings.includes(s.name) && state.experiment.values[s.name] !== run.values[s.name],
  );
}

/** "centering off, lr 0.01": how `values` differ from `base`, for naming a sibling run. */
export function describeChanges(methodId: string, base: SettingValues, values: SettingValues): string {
  const method = getMethod(methodId);
  const parts: string[] = [];
  for (const setting of method.settings) {
    if (method.liveSettings.includes(setting.name) || values[setting.name] === base[setting.name]) continue;
    const value = values[setting.name];
    parts.push(setting.kind === 'boolean' ? `${setting.label.toLowerCase()} ${value ? 'on' : 'off'}` : `${setting.label.toLowerCase()} ${String(value)}`);
  }
  return parts.join(', ');
}
