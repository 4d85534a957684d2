import { beforeEach, describe, expect, it } from 'vitest';
import { dinoDescription } from '../methods/dino/description';
import { actions, changedSinceRun, describeChanges, selectFocused, selectProbe, store } from './store';
import { defaultExperiment, presetValues } from './url';

const tiny = () => defaultExperiment('dino', 'tiny');
const lnK = Math.log(64);

beforeEach(() => actions.reset(tiny()));

describe('store: runs of a comparison', () => {
  it('focuses the first run, and each run keeps its own edits when focus moves', () => {
    const a = actions.addRun(1, 'a', tiny());
    const b = actions.addRun(2, 'b', { ...tiny(), values: { ...tiny().values, centering: false } });
    expect(store.getState().focusedKey).toBe(a);
    actions.setValue('learningRate', 0.01); // an edit on a, not applied yet
    expect(changedSinceRun(store.getState()).map((s) => s.name)).toEqual(['learningRate']);
    actions.focusRun(b);
    expect(store.getState().experiment.values.centering).toBe(false);
    expect(changedSinceRun(store.getState())).toEqual([]);
    actions.focusRun(a);
    expect(store.getState().experiment.values.learningRate).toBe(0.01);
  });

  it('appends metrics in place, without copying the history, and runs the collapse detector', () => {
    const key = actions.addRun(7, 'r', tiny());
    const uniform = { loss: lnK, teacherEntropy: 0.98 * lnK, kl: 0.001, batchMeanEntropy: lnK, embeddingStd: 0.5, rankMe: 4 };
    actions.addMetrics(7, { step: 2, values: { loss: 3 } });
    const steps = selectFocused(store.getState())!.history.steps;
    for (let i = 2; i <= 5; i++) actions.addMetrics(7, { step: 2 * i, values: uniform, vectors: { center: new Float32Array([i]) } });
    const run = store.getState().runs.find((r) => r.key === key)!;
    expect(run.history.steps).toBe(steps); // same array, grown
    expect(run.history.steps).toEqual([2, 4, 6, 8, 10]);
    expect(run.history.series.teacherEntropy.slice(0, 2)).toEqual([Number.NaN, 0.98 * lnK]);
    expect(run.history.series.loss).toHaveLength(5);
    expect(run.history.version).toBe(5);
    expect(run.detector.active).toEqual({ mode: 'uniform', since: 4, until: null });
    expect(Array.from(run.vectors.center)).toEqual([5]);
  });

  it('ignores events of runs it no longer has, and shows probes of the focused run only', () => {
    const a = actions.addRun(1, 'a', tiny());
    actions.addRun(2, 'b', tiny());
    actions.addMetrics(99, { step: 1, values: { loss: 1 } });
    actions.setProbes(2, [{ kind: 'distribution', step: 1, count: 1, classes: 2, teacherTemperature: 0.04, studentTemperature: 0.1, teacher: new Float32Array(2), student: new Float32Array(2) }]);
    expect(store.getState().probes.distribution).toBeUndefined();
    const similarity = { kind: 'similarity' as const, step: 1, size: 2, matrix: new Float32Array(4) };
    actions.setProbes(1, [similarity]);
    expect(selectProbe('similarity')(store.getState())).toBe(similarity);
    expect(selectProbe('embedding')(store.getState())).toBeNull();
    actions.removeRun(a);
    expect(store.getState().runs.map((r) => r.name)).toEqual(['b']);
    expect(selectFocused(store.getState())?.name).toBe('b');
  });

  it('a rebuilt run (Reset) keeps its place, name and color but starts a fresh history', () => {
    const key = actions.addRun(1, 'a', tiny());
    actions.addMetrics(1, { step: 2, values: { loss: 3 } });
    const color = selectFocused(store.getState())!.color;
    actions.rebuildRun(key, 5, tiny());
    const run = selectFocused(store.getState())!;
    expect([run.id, run.name, run.color, run.history.steps.length]).toEqual([5, 'a', color, 0]);
  });

  it('describes how a sibling differs, for its name', () => {
    const base = presetValues(dinoDescription, 'tiny');
    expect(describeChanges('dino', base, { ...base, centering: false, learningRate: 0.01 })).toBe('centering off, learning rate 0.01');
    expect(describeChanges('dino', base, { ...base, metricsEvery: 7 })).toBe(''); // cadences are live, not a change
  });
});
