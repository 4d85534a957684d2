import { describe, expect, it } from 'vitest';
import type { EvaluationRecord, EvaluationScores } from '../../methods/evaluation';
import { getMethod } from '../../methods/registry';
import { presetValues } from '../../state/url';
import {
  baselineLines, buildRows, deltaTone, headerGroups, evaluationSeries, formatDelta, formatScore, hasHistory, labelEfficiencySeries, latestEvaluation, nextSort,
  settingsSummary, SHARED_BASELINE_COLOR, sortRows, stageMarks, stagesOf, supervisedLines, SUPERVISED_COLOR, unevaluatedRuns, visibleColumns,
  type ResultsRunInput,
} from './resultsData';
import { learnReference, LEARN_REFERENCES } from '../../methods/learnReference';

const VIT_BASELINE: EvaluationScores = { knn: 0.3, linear: 0.35, segmentation: [0.2, 0.25, 0.3], jaccard: 0.1 };
const CNN_BASELINE: EvaluationScores = { knn: 0.28, linear: 0.33 };

function record(step: number, scores: EvaluationScores, baseline: EvaluationScores): EvaluationRecord {
  return { step, scores, baseline, ms: 100 };
}

function run(
  key: number, name: string, methodId: string, presetId: string, evaluations?: EvaluationRecord[], extra: Partial<ResultsRunInput> = {},
): ResultsRunInput {
  return {
    key, name, color: `#00000${key}`, methodId, presetId,
    values: presetValues(getMethod(methodId), presetId), evaluations, ...extra,
  };
}

const dino = run(1, 'DINO', 'dino', 'tiny', [
  record(50, { knn: 0.5, linear: 0.55, segmentation: [0.3, 0.4, 0.45], jaccard: 0.2 }, VIT_BASELINE),
  record(100, { knn: 0.6, linear: 0.62, segmentation: [0.35, 0.45, 0.5], jaccard: 0.25 }, VIT_BASELINE),
  record(150, { knn: 0.7, linear: 0.66, segmentation: [0.4, 0.5, 0.55], jaccard: 0.3 }, VIT_BASELINE),
]);
const noCentering = run(2, 'No centering', 'dino', 'no-centering', [
  record(150, { knn: 0.25, linear: 0.4, segmentation: [0.2, 0.22, 0.31], jaccard: 0.1 }, VIT_BASELINE),
], { evaluating: true });
const cnn = run(3, 'SimCLR CNN', 'simclr', 'default', [
  record(120, { knn: 0.65, linear: 0.7 }, CNN_BASELINE),
]);
const fresh = run(4, 'Fresh', 'dino', 'tiny');

describe('rows', () => {
  it('has one row per evaluated run, from its latest evaluation', () => {
    const rows = buildRows([dino, fresh, noCentering, cnn]);
    expect(rows.map((r) => r.key)).toEqual([1, 2, 3]);
    const [first] = rows;
    expect(first.step).toBe(150);
    expect(first.method).toBe('DINO');
    expect(first.cells.knn).toEqual({ value: 0.7, baseline: 0.3, delta: expect.closeTo(0.4, 10) });
    expect(first.cells.seg1.value).toBe(0.4);
    expect(first.cells.seg10.value).toBe(0.5);
    expect(first.cells.seg100.value).toBe(0.55);
    expect(first.cells.jaccard.baseline).toBe(0.1);
    expect(first.evaluations).toHaveLength(3);
    expect(rows[1].evaluating).toBe(true);
    expect(first.evaluating).toBe(false);
  });

  it('leaves cells without a score undefined, and a NaN score counts as missing', () => {
    const rows = buildRows([cnn, run(5, 'NaN', 'dino', 'tiny', [record(10, { knn: Number.NaN, linear: 0.5 }, VIT_BASELINE)])]);
    expect(rows[0].cells.seg10).toEqual({ value: undefined, baseline: undefined, delta: undefined });
    expect(rows[0].cells.jaccard.value).toBeUndefined();
    expect(rows[1].cells.knn).toEqual({ value: undefined, baseline: 0.3, delta: undefined });
  });

  it('takes the evaluation at the highest step as the latest', () => {
    const a = record(100, { knn: 0.1, linear: 0.1 }, CNN_BASELINE);
    const b = record(200, { knn: 0.2, linear: 0.2 }, CNN_BASELINE);
    expect(latestEvaluation([a, b])).toBe(b);
    expect(latestEvaluation([b, a])).toBe(b);
    expect(latestEvaluation([])).toBeUndefined();
    expect(latestEvaluation(undefined)).toBeUndefined();
  });

  it('lists the runs not evaluated yet', () => {
    expect(unevaluatedRuns([dino, fresh, run(6, 'Empty', 'dino', 'tiny', [])]).map((r) => r.name)).toEqual(['Fresh', 'Empty']);
  });

  it('has no rows when nothing is evaluated (the empty state)', () => {
    expect(buildRows([fresh])).toEqual([]);
    expect(visibleColumns([])).toEqual([]);
  });
});

describe('settings summary', () => {
  it('names the preset and what differs from it', () => {
    const method = getMethod('dino');
    expect(settingsSummary('dino', 'default', presetValues(method, 'default'))).toBe('Default');
    expect(settingsSummary('dino', 'tiny', { ...presetValues(method, 'tiny'), centering: false })).toBe('Tiny · centering off');
    // A preset that is itself a change: its label says it, its own values are no change.
    expect(settingsSummary('dino', 'no-centering', presetValues(method, 'no-centering'))).toBe('No centering');
  });

  it('does not throw for an unknown method', () => {
    expect(settingsSummary('nope', 'default', {})).toBe('');
  });
});

describe('columns', () => {
  it('hides segmentation and Jaccard when no row has them (a CNN-only session)', () => {
    expect(visibleColumns(buildRows([cnn])).map((c) => c.id)).toEqual(['knn', 'linear']);
  });

  it('shows every column some row has, in table order', () => {
    expect(visibleColumns(buildRows([cnn, dino])).map((c) => c.id)).toEqual(['knn', 'linear', 'seg1', 'seg10', 'seg100', 'jaccard']);
  });
});

describe('sorting', () => {
  const rows = buildRows([dino, noCentering, cnn]);
  const keys = (sorted: { key: number }[]) => sorted.map((r) => r.key);

  it('sorts a score column both ways', () => {
    expect(keys(sortRows(rows, { column: 'knn', direction: 'asc' }))).toEqual([2, 3, 1]);
    expect(keys(sortRows(rows, { column: 'knn', direction: 'desc' }))).toEqual([1, 3, 2]);
  });

  it('puts rows without a value last in both directions', () => {
    expect(keys(sortRows(rows, { column: 'jaccard', direction: 'asc' }))).toEqual([2, 1, 3]);
    expect(keys(sortRows(rows, { column: 'jaccard', direction: 'desc' }))).toEqual([1, 2, 3]);
  });

  it('sorts text columns, keeps ties in order, and leaves the input alone', () => {
    expect(keys(sortRows(rows, { column: 'name', direction: 'asc' }))).toEqual([1, 2, 3]);
    expect(keys(sortRows(rows, { column: 'name', direction: 'desc' }))).toEqual([3, 2, 1]);
    expect(keys(sortRows(rows, { column: 'method', direction: 'asc' }))).toEqual([1, 2, 3]); // DINO, DINO, SimCLR
    expect(keys(sortRows(rows, { column: 'method', direction: 'desc' }))).toEqual([3, 1, 2]);
    expect(keys(sortRows(rows, { column: 'step', direction: 'asc' }))).toEqual([3, 1, 2]);
    expect(keys(sortRows(rows, null))).toEqual([1, 2, 3]);
    expect(keys(rows)).toEqual([1, 2, 3]);
  });

  it('sorts scores descending first, text ascending first, and flips on a second click', () => {
    expect(nextSort(null, 'linear')).toEqual({ column: 'linear', direction: 'desc' });
    expect(nextSort(null, 'name')).toEqual({ column: 'name', direction: 'asc' });
    expect(nextSort({ column: 'linear', direction: 'desc' }, 'linear')).toEqual({ column: 'linear', direction: 'asc' });
    expect(nextSort({ column: 'linear', direction: 'asc' }, 'knn')).toEqual({ column: 'knn', direction: 'desc' });
  });
});

describe('formatting', () => {
  it('shows fractions as percentages with one decimal', () => {
    expect(formatScore(0.1234)).toBe('12.3%');
    expect(formatScore(1)).toBe('100.0%');
    expect(formatScore(0)).toBe('0.0%');
    expect(formatScore(0.00049)).toBe('0.0%');
  });

  it('shows missing values as a dash', () => {
    expect(formatScore(undefined)).toBe('–');
    expect(formatScore(Number.NaN)).toBe('–');
    expect(formatDelta(undefined)).toBe('–');
  });

  it('signs the gap in percentage points', () => {
    expect(formatDelta(0.123)).toBe('+12.3');
    expect(formatDelta(-0.04)).toBe('−4.0');
    expect(formatDelta(0.0001)).toBe('±0.0');
    expect(deltaTone(0.1)).toBe('up');
    expect(deltaTone(-0.1)).toBe('down');
    expect(deltaTone(0.0001)).toBe('flat');
    expect(deltaTone(undefined)).toBe('none');
  });
});

describe('chart series', () => {
  it('has a line per run with two or more evaluations', () => {
    const rows = buildRows([dino, noCentering, cnn]);
    expect(hasHistory(rows)).toBe(true);
    expect(hasHistory(buildRows([noCentering, cnn]))).toBe(false);
    const series = evaluationSeries(rows, 'knn');
    expect(series).toHaveLength(1);
    expect(series[0]).toMatchObject({ key: 1, name: 'DINO', color: '#000001', steps: [50, 100, 150], values: [0.5, 0.6, 0.7], baseline: 0.3 });
    expect(evaluationSeries(rows, 'seg10')[0].values).toEqual([0.4, 0.45, 0.5]);
    expect(evaluationSeries(rows, 'nope')).toEqual([]);
  });

  it('orders points by step, marks missing scores NaN, and drops a run with none', () => {
    const mixed = run(7, 'Mixed', 'dino', 'tiny', [
      record(200, { knn: 0.4, linear: 0.4 }, VIT_BASELINE),
      record(100, { knn: 0.3, linear: 0.3, jaccard: 0.2 }, VIT_BASELINE),
    ]);
    const twoCnn = run(8, 'CNN twice', 'simclr', 'default', [record(1, { knn: 0.3, linear: 0.3 }, CNN_BASELINE), record(2, { knn: 0.4, linear: 0.4 }, CNN_BASELINE)]);
    const rows = buildRows([mixed, twoCnn]);
    const [line] = evaluationSeries(rows, 'jaccard');
    expect(line.steps).toEqual([100, 200]);
    expect(line.values[0]).toBe(0.2);
    expect(line.values[1]).toBeNaN();
    expect(evaluationSeries(rows, 'jaccard')).toHaveLength(1); // the CNN run has no Jaccard at all
    expect(evaluationSeries(rows, 'knn').map((s) => s.key)).toEqual([7, 8]);
  });

  it("marks where a run's later stage begins, as its own charts do: DreamTeacher's distillation, once per step and name", () => {
    const values = presetValues(getMethod('dreamteacher'), 'learn');
    const distillation = { step: Number(values.teacherSteps) + 1, label: 'distillation' };
    expect(stagesOf('dreamteacher', values)).toEqual([distillation]);
    expect(stagesOf('dreamteacher', { ...values, teacherSteps: 100 })).toEqual([{ step: 101, label: 'distillation' }]);
    expect(stagesOf('dino', presetValues(getMethod('dino'), 'learn'))).toEqual([]);
    expect(stagesOf('no-such-method', {})).toEqual([]);
    const twice = [record(250, { knn: 0.3, linear: 0.3 }, CNN_BASELINE), record(760, { knn: 0.45, linear: 0.55 }, CNN_BASELINE)];
    const rows = buildRows([
      run(11, 'DreamTeacher', 'dreamteacher', 'learn', twice), run(12, 'DreamTeacher 2', 'dreamteacher', 'learn', twice),
      run(13, 'DINO', 'dino', 'tiny', twice),
    ]);
    const series = evaluationSeries(rows, 'knn');
    expect(series.map((line) => line.stages)).toEqual([[distillation], [distillation], []]);
    expect(stageMarks(series)).toEqual([distillation]);
    expect(stageMarks(series.slice(2))).toEqual([]);
  });

  it('draws one grey baseline when the runs share it, else one per run in its colour', () => {
    const rows = buildRows([dino, { ...dino, key: 9, name: 'DINO 2', color: '#000009' }, run(10, 'CNN', 'simclr', 'default', [
      record(1, { knn: 0.3, linear: 0.3 }, CNN_BASELINE), record(2, { knn: 0.4, linear: 0.4 }, CNN_BASELINE)])]);
    expect(baselineLines(evaluationSeries(rows.slice(0, 2), 'knn'))).toEqual([{ value: 0.3, label: 'untrained', color: SHARED_BASELINE_COLOR }]);
    expect(baselineLines(evaluationSeries(rows, 'knn'))).toEqual([
      { value: 0.3, label: 'untrained (DINO, DINO 2)', color: SHARED_BASELINE_COLOR },
      { value: 0.28, label: 'CNN, untrained', color: '#0000010' },
    ]);
  });
});

describe('header groups', () => {
  it('puts the segmentation fractions under one heading and leaves the rest alone', () => {
    const groups = headerGroups(visibleColumns(buildRows([dino])));
    expect(groups.map((g) => g.label)).toEqual([undefined, undefined, 'Seg mIoU', undefined]);
    expect(groups[2].columns.map((c) => [c.column.id, c.short])).toEqual([['seg1', '1%'], ['seg10', '10%'], ['seg100', '100%']]);
    expect(groups[3].columns[0].short).toBe('Attn Jaccard');
    expect(headerGroups(visibleColumns(buildRows([cnn]))).every((g) => g.label === undefined)).toBe(true);
  });
});

describe('label efficiency', () => {
  it('takes each fine-tuned run’s latest fine-tuning mIoU and its random-init twin, and skips runs without', () => {
    const dep = run(5, 'DeP', 'dep', 'tiny', [
      record(50, { knn: 0.1, linear: 0.1, fineTune: [0.4, 0.5, 0.6] }, { knn: 0.1, linear: 0.1, fineTune: [0.3, 0.45, 0.58] }),
      record(150, { knn: 0.1, linear: 0.1, fineTune: [0.52, 0.66, Number.NaN] }, { knn: 0.1, linear: 0.1, fineTune: [0.5, 0.61] }),
    ]);
    const series = labelEfficiencySeries(buildRows([dino, dep, fresh]));
    expect(series).toHaveLength(1);
    expect(series[0]).toMatchObject({ name: 'DeP', step: 150, trained: [0.52, 0.66, Number.NaN], baseline: [0.5, 0.61, Number.NaN] });
    expect(labelEfficiencySeries(buildRows([dino, cnn]))).toEqual([]);
  });

  it('groups the fine-tuning columns under one heading, after the segmentation probe’s', () => {
    const labels = headerGroups(visibleColumns(buildRows([
      run(6, 'DeP', 'dep', 'tiny', [record(10, { knn: 0, linear: 0, segmentation: [0, 0, 0], fineTune: [0, 0, 0] }, { knn: 0, linear: 0 })]),
    ]))).map((g) => [g.label, g.columns.map((c) => c.short)]);
    expect(labels).toEqual([
      [undefined, ['kNN']], [undefined, ['Linear']], ['Seg mIoU', ['1%', '10%', '100%']], ['Fine-tune mIoU', ['1%', '10%', '100%']],
    ]);
  });
});

describe('supervised reference lines', () => {
  const line = (key: number, name: string, supervised?: number) => ({
    key, name, color: '#000', steps: [0, 250], values: [0.2, 0.4], baseline: 0.2, supervised, stages: [],
  });

  it('draws one dotted line per distinct reference, named by its runs when there are several', () => {
    expect(supervisedLines([line(1, 'a', 0.6), line(2, 'b', 0.6), line(3, 'c')])).toEqual([
      { value: 0.6, label: 'supervised reference (study)', color: SUPERVISED_COLOR },
    ]);
    expect(supervisedLines([line(1, 'a', 0.6), line(2, 'b', 0.5)]).map((l) => l.label)).toEqual([
      'supervised reference (a)', 'supervised reference (b)',
    ]);
    expect(supervisedLines([line(1, 'a')])).toEqual([]);
  });

  it('reads a reference only for a run of exactly its learn preset (any seed)', () => {
    for (const reference of LEARN_REFERENCES) {
      const method = getMethod(reference.methodId);
      expect(method.presets.some((p) => p.id === reference.presetId)).toBe(true);
      const values = presetValues(method, reference.presetId);
      expect(learnReference(reference.methodId, reference.presetId, { ...values, seed: 7 })).toBe(reference);
      expect(learnReference(reference.methodId, reference.presetId, { ...values, batchSize: 32 })).toBeUndefined();
    }
    expect(learnReference('dino', 'tiny', presetValues(getMethod('dino'), 'tiny'))).toBeUndefined();
  });
});
