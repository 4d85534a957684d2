/**
 * The page's one store, in slices (zustand's slices pattern): config (the experiment being
 * edited), run (what the worker reports), metrics (history for the charts), probes (the
 * latest visualisation payloads) and notices. Actions are plain functions callable outside
 * React; the worker client (runner.ts) is the only thing that talks to the worker.
 */
import { createStore } from 'zustand/vanilla';
import { useStore } from 'zustand';
import type { BackendInfo } from '../engine/backend';
import type { MetricsRecord } from '../engine/trainer';
import type { AttentionProbe, CropsProbe, ProbePayload } from '../methods/probes';
import { getMethod } from '../methods/registry';
import { validateSettingValue, type Setting, type SettingValue, type SettingValues } from '../methods/schema';
import type { RunStatus } from '../worker/protocol';
import { defaultExperiment, presetValues, type Experiment } from './url';

export interface Notice {
  id: number;
  level: 'info' | 'warning' | 'error';
  text: string;
}

export interface MetricsHistory {
  /** Steps of the points, ascending. */
  steps: number[];
  /** One array per metric, aligned with `steps`. */
  series: Record<string, number[]>;
}

export interface StoreState {
  // config slice
  experiment: Experiment;
  // run slice
  backend: BackendInfo | null;
  status: RunStatus | null;
  /** The settings the current run was started with (null: no run). */
  runValues: SettingValues | null;
  runId: number;
  recoverable: boolean;
  // metrics slice
  history: MetricsHistory;
  // probes slice
  attention: AttentionProbe | null;
  crops: CropsProbe | null;
  // notices slice
  notices: Notice[];
  // view state (not part of the experiment)
  attentionHead: number; // -1 = mean over heads
}

const emptyHistory = (): MetricsHistory => ({ steps: [], series: {} });

export function initialState(experiment: Experiment = defaultExperiment()): StoreState {
  return {
    experiment, backend: null, status: null, runValues: null, runId: 0, recoverable: false,
    history: emptyHistory(), attention: null, crops: null, notices: [], attentionHead: -1,
  };
}

export const store = createStore<StoreState>(() => initialState());

let nextNoticeId = 1;

export const actions = {
  reset(experiment?: Experiment): void {
    store.setState(initialState(experiment), true);
  },

  // config
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

  // run
  beginRun(runId: number, values: SettingValues): void {
    store.setState({ runId, runValues: values, history: emptyHistory(), attention: null, crops: null, status: null, recoverable: false });
  },
  endRun(): void {
    store.setState({ runValues: null, status: null, history: emptyHistory(), attention: null, crops: null, recoverable: false });
  },
  setBackend(backend: BackendInfo): void {
    store.setState({ backend });
  },
  setStatus(status: RunStatus): void {
    if (status.runId !== store.getState().runId) return;
    store.setState({ status, recoverable: status.state === 'device-lost' });
  },

  // metrics
  addMetrics(runId: number, record: MetricsRecord): void {
    const state = store.getState();
    if (runId !== state.runId) return;
    const { steps, series } = state.history;
    // New arrays each time so selectors see a change; the chart copies nothing else.
    const nextSeries: Record<string, number[]> = {};
    const names = new Set([...Object.keys(series), ...Object.keys(record.values)]);
    for (const name of names) {
      const previous = series[name] ?? new Array<number>(steps.length).fill(Number.NaN);
      nextSeries[name] = [...previous, record.values[name] ?? Number.NaN];
    }
    store.setState({ history: { steps: [...steps, record.step], series: nextSeries } });
  },

  // probes
  setProbes(runId: number, payloads: ProbePayload[]): void {
    if (runId !== store.getState().runId) return;
    const update: Partial<StoreState> = {};
    for (const payload of payloads) {
      if (payload.kind === 'attention') update.attention = payload;
      if (payload.kind === 'crops') update.crops = payload;
    }
    store.setState(update);
  },
  setAttentionHead(head: number): void {
    store.setState({ attentionHead: head });
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
/** Settings whose value differs from the running run's and that need a Reset to apply. */
export function changedSinceRun(state: StoreState): Setting[] {
  const runValues = state.runValues;
  if (!runValues) return [];
  const method = getMethod(state.experiment.methodId);
  return method.settings.filter(
    (s) => !method.liveSettings.includes(s.name) && state.experiment.values[s.name] !== runValues[s.name],
  );
}
