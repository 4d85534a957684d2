/**
 * The evaluation results table's data, DOM-free: one row per evaluated run (its latest
 * evaluation), each score beside the untrained network's, sorting, formatting, and the series
 * of the score-vs-step chart. Pure, so the table's rules are tested without a browser.
 */
import { scoreColumns, SEGMENTATION_FRACTIONS, type EvaluationRecord } from '../../methods/evaluation';
import { findMethod, getMethod } from '../../methods/registry';
import type { SettingValues } from '../../methods/schema';
import { describeChanges } from '../../state/store';
import { presetValues } from '../../state/url';
import { learnReference, type LearnReference } from '../../methods/learnReference';
import { PALETTE } from '../../methods/palette';
import type { StageMark } from '../../methods/collapse';

/** What the table reads of a run (RunView has it all once it carries `evaluations`). */
export interface ResultsRunInput {
  key: number;
  name: string;
  color: string;
  methodId: string;
  presetId: string;
  values: SettingValues;
  /** Oldest first, at increasing steps. */
  evaluations?: readonly EvaluationRecord[];
  /** The worker is evaluating it now. */
  evaluating?: boolean;
}

export type ScoreColumn = ReturnType<typeof scoreColumns>[number];

/** One score of a row: the trained network's, the untrained one's, and the gap. */
export interface ResultCell {
  value: number | undefined;
  baseline: number | undefined;
  /** value − baseline; undefined when either is missing. */
  delta: number | undefined;
}

export interface ResultRow {
  key: number;
  name: string;
  color: string;
  methodId: string;
  /** The method's display name ("DINO"). */
  method: string;
  /** The preset and what differs from it ("Tiny · centering off"). */
  settings: string;
  /** Step of the latest evaluation. */
  step: number;
  evaluating: boolean;
  /** Score column id → its cell (every column of scoreColumns()). */
  cells: Record<string, ResultCell>;
  /** Every evaluation of the run, oldest first (the chart's points). */
  evaluations: readonly EvaluationRecord[];
  /** The study's supervised reference, when the run is a `learn` preset as the study ran it. */
  reference?: LearnReference;
  /** Where the run's later stages begin (DreamTeacher's distillation, DDeP's denoising): the method's own chart marks. */
  stages: StageMark[];
}

const finite = (v: number | undefined): number | undefined => (v !== undefined && Number.isFinite(v) ? v : undefined);

/** "Tiny · centering off": the run's preset, then how its settings differ from the preset's (live settings aside). */
export function settingsSummary(methodId: string, presetId: string, values: SettingValues): string {
  let method;
  try {
    method = getMethod(methodId);
  } catch {
    return '';
  }
  const preset = method.presets.find((p) => p.id === presetId) ?? method.presets[0];
  const changes = describeChanges(methodId, presetValues(method, preset.id), values);
  return changes ? `${preset.label} · ${changes}` : preset.label;
}

function methodTitle(methodId: string): string {
  try {
    return getMethod(methodId).title;
  } catch {
    return methodId;
  }
}

/** The latest evaluation of a run (highest step; the last one on ties), or undefined. */
export function latestEvaluation(evaluations: readonly EvaluationRecord[] | undefined): EvaluationRecord | undefined {
  if (!evaluations || evaluations.length === 0) return undefined;
  let latest = evaluations[0];
  for (const record of evaluations) if (record.step >= latest.step) latest = record;
  return latest;
}

/** The cells of one evaluation, one per score column. */
export function cellsOf(record: EvaluationRecord, columns: readonly ScoreColumn[] = scoreColumns()): Record<string, ResultCell> {
  const cells: Record<string, ResultCell> = {};
  for (const column of columns) {
    const value = finite(column.get(record.scores));
    const baseline = finite(column.get(record.baseline));
    cells[column.id] = { value, baseline, delta: value !== undefined && baseline !== undefined ? value - baseline : undefined };
  }
  return cells;
}

/** One row per run with at least one evaluation, in the runs' order. */
export function buildRows(runs: readonly ResultsRunInput[]): ResultRow[] {
  const columns = scoreColumns();
  const rows: ResultRow[] = [];
  for (const run of runs) {
    const latest = latestEvaluation(run.evaluations);
    if (!latest || !run.evaluations) continue;
    rows.push({
      key: run.key, name: run.name, color: run.color, methodId: run.methodId,
      method: methodTitle(run.methodId),
      settings: settingsSummary(run.methodId, run.presetId, run.values),
      step: latest.step,
      evaluating: run.evaluating ?? false,
      cells: cellsOf(latest, columns),
      evaluations: run.evaluations,
      reference: learnReference(run.methodId, run.presetId, run.values),
      stages: stagesOf(run.methodId, run.values),
    });
  }
  return rows;
}

/**
 * The stage boundaries a method marks on its own charts for these settings (the first chart
 * that has any: every chart of a method marks the same stages), or none.
 */
export function stagesOf(methodId: string, values: SettingValues): StageMark[] {
  return findMethod(methodId)?.charts(values).find((chart) => chart.stages?.length)?.stages ?? [];
}

/** Runs without an evaluation yet (named under the table). */
export function unevaluatedRuns<T extends ResultsRunInput>(runs: readonly T[]): T[] {
  return runs.filter((run) => !run.evaluations || run.evaluations.length === 0);
}

/** The score columns some row has a value (or baseline) for: segmentation is hidden in a CNN-only session. */
export function visibleColumns(rows: readonly ResultRow[], columns: readonly ScoreColumn[] = scoreColumns()): ScoreColumn[] {
  return columns.filter((column) => rows.some((row) => {
    const cell = row.cells[column.id];
    return cell !== undefined && (cell.value !== undefined || cell.baseline !== undefined);
  }));
}

/** The table's fixed columns, then the score columns by id. */
export type SortColumn = 'name' | 'method' | 'settings' | 'step' | string;
export type SortDirection = 'asc' | 'desc';
export interface SortState {
  column: SortColumn;
  direction: SortDirection;
}

export const TEXT_COLUMNS: readonly SortColumn[] = ['name', 'method', 'settings'];

/** The value a row is sorted by in a column: text for name/method/settings, numbers otherwise. */
export function sortValue(row: ResultRow, column: SortColumn): string | number | undefined {
  switch (column) {
    case 'name': return row.name;
    case 'method': return row.method;
    case 'settings': return row.settings;
    case 'step': return row.step;
    default: return row.cells[column]?.value;
  }
}

/**
 * Rows sorted by a column, ascending or descending; rows without a value in that column come
 * last either way, and equal rows keep their order. Returns a new array.
 */
export function sortRows(rows: readonly ResultRow[], sort: SortState | null): ResultRow[] {
  const indexed = rows.map((row, index) => ({ row, index }));
  if (!sort) return rows.slice();
  const sign = sort.direction === 'asc' ? 1 : -1;
  indexed.sort((a, b) => {
    const va = sortValue(a.row, sort.column);
    const vb = sortValue(b.row, sort.column);
    const missingA = va === undefined || (typeof va === 'number' && Number.isNaN(va));
    const missingB = vb === undefined || (typeof vb === 'number' && Number.isNaN(vb));
    if (missingA || missingB) return missingA === missingB ? a.index - b.index : missingA ? 1 : -1;
    const order = typeof va === 'number' && typeof vb === 'number'
      ? va - vb
      : String(va).localeCompare(String(vb), undefined, { numeric: true, sensitivity: 'base' });
    return order !== 0 ? sign * order : a.index - b.index;
  });
  return indexed.map(({ row }) => row);
}

/**
 * The sort after clicking a column's header: a new column sorts ascending for text and
 * descending for numbers (best score first); clicking the sorted column flips it.
 */
export function nextSort(current: SortState | null, column: SortColumn): SortState {
  if (current && current.column === column) return { column, direction: current.direction === 'asc' ? 'desc' : 'asc' };
  return { column, direction: TEXT_COLUMNS.includes(column) ? 'asc' : 'desc' };
}

export const MISSING = '–';

/** 0.1234 → "12.3%"; missing → "–". Accuracies, mIoU and the Jaccard index are all fractions. */
export function formatScore(value: number | undefined): string {
  return value === undefined || !Number.isFinite(value) ? MISSING : `${(value * 100).toFixed(1)}%`;
}

/** The gap to the baseline in percentage points: "+12.3", "−4.0", "±0.0"; missing → "–". */
export function formatDelta(delta: number | undefined): string {
  if (delta === undefined || !Number.isFinite(delta)) return MISSING;
  const text = Math.abs(delta * 100).toFixed(1);
  if (text === '0.0') return '±0.0';
  return `${delta > 0 ? '+' : '−'}${text}`;
}

/** Whether training helped, hurt, or did nothing visible (under 0.05 points). */
export function deltaTone(delta: number | undefined): 'up' | 'down' | 'flat' | 'none' {
  if (delta === undefined || !Number.isFinite(delta)) return 'none';
  if (Math.abs(delta * 100) < 0.05) return 'flat';
  return delta > 0 ? 'up' : 'down';
}

/** One run's line on the score-vs-step chart. */
export interface EvaluationSeries {
  key: number;
  name: string;
  color: string;
  steps: number[];
  /** The score at each step; NaN where the evaluation has none. */
  values: number[];
  /** The untrained network's score (from the latest evaluation), drawn dashed. */
  baseline: number | undefined;
  /** The study's supervised reference for this score (kNN and linear of `learn` presets), drawn dotted. */
  supervised?: number;
  /** The run's stage boundaries, drawn as dashed vertical lines. */
  stages: StageMark[];
}

/** The chart's lines: one per run with at least two evaluations that have a value in this column. */
export function evaluationSeries(rows: readonly ResultRow[], columnId: string, columns: readonly ScoreColumn[] = scoreColumns()): EvaluationSeries[] {
  const column = columns.find((c) => c.id === columnId);
  if (!column) return [];
  const series: EvaluationSeries[] = [];
  for (const row of rows) {
    if (row.evaluations.length < 2) continue;
    const ordered = row.evaluations.slice().sort((a, b) => a.step - b.step);
    const values = ordered.map((record) => finite(column.get(record.scores)) ?? Number.NaN);
    if (values.filter(Number.isFinite).length === 0) continue;
    const latest = latestEvaluation(ordered);
    series.push({
      key: row.key, name: row.name, color: row.color,
      steps: ordered.map((record) => record.step), values,
      baseline: latest ? finite(column.get(latest.baseline)) : undefined,
      supervised: supervisedValue(row.reference, columnId),
      stages: row.stages,
    });
  }
  return series;
}

function supervisedValue(reference: LearnReference | undefined, columnId: string): number | undefined {
  if (!reference) return undefined;
  const value = columnId === 'knn' ? reference.knn.supervised : columnId === 'linear' ? reference.linear.supervised : null;
  return value ?? undefined;
}

/** The supervised references as dotted lines, one per distinct value. */
export function supervisedLines(series: readonly EvaluationSeries[]): BaselineLine[] {
  const seen = new Map<string, BaselineLine>();
  for (const line of series) {
    if (line.supervised === undefined) continue;
    const id = line.supervised.toFixed(6);
    if (!seen.has(id)) seen.set(id, { value: line.supervised, label: 'supervised reference (study)', color: SUPERVISED_COLOR });
  }
  const lines = [...seen.values()];
  if (lines.length > 1) {
    for (const line of lines) {
      const runs = series.filter((s) => s.supervised !== undefined && s.supervised.toFixed(6) === line.value.toFixed(6)).map((s) => s.name);
      line.label = `supervised reference (${runs.join(', ')})`;
    }
  }
  return lines;
}

/** The stage marks of the chart: every line's, each step and name once. */
export function stageMarks(series: readonly EvaluationSeries[]): StageMark[] {
  const seen = new Map<string, StageMark>();
  for (const line of series) for (const mark of line.stages) seen.set(`${mark.step}:${mark.label}`, mark);
  return [...seen.values()].sort((a, b) => a.step - b.step);
}

/** Whether the chart has anything to show: some run with two or more evaluations. */
export function hasHistory(rows: readonly ResultRow[]): boolean {
  return rows.some((row) => row.evaluations.length >= 2);
}

/** A dashed line of the chart: the untrained network's score. */
export interface BaselineLine {
  value: number;
  label: string;
  color: string;
}

export const SHARED_BASELINE_COLOR = PALETTE.grey;
/** The supervised reference's dotted line: dark, distinct from every run colour. */
export const SUPERVISED_COLOR = PALETTE.ink;

/**
 * The untrained networks' scores as dashed lines: one per distinct value (runs with the same
 * architecture and seed share one, grey); a value only one run has is drawn in its colour
 * (unless it is the only one).
 */
export function baselineLines(series: readonly EvaluationSeries[]): BaselineLine[] {
  const groups = new Map<string, { value: number; runs: EvaluationSeries[] }>();
  for (const line of series) {
    if (line.baseline === undefined) continue;
    const id = line.baseline.toFixed(6);
    const group = groups.get(id) ?? { value: line.baseline, runs: [] };
    group.runs.push(line);
    groups.set(id, group);
  }
  if (groups.size === 1) {
    const [{ value }] = groups.values();
    return [{ value, label: 'untrained', color: SHARED_BASELINE_COLOR }];
  }
  return [...groups.values()].map(({ value, runs }) => (runs.length === 1
    ? { value, label: `${runs[0].name}, untrained`, color: runs[0].color }
    : { value, label: `untrained (${runs.map((r) => r.name).join(', ')})`, color: SHARED_BASELINE_COLOR }));
}

/** A header cell of the table's top row: a column alone, or a group over adjacent columns. */
export interface HeaderGroup {
  /** The group's label ("Seg mIoU"); undefined for a column that stands alone. */
  label: string | undefined;
  columns: { column: ScoreColumn; short: string }[];
}

/**
 * The score columns' two-row header: columns of one group (the label fractions of the
 * segmentation probe, of the fine-tuning) under one heading, each then labelled by its fraction
 * alone ("10%"); the other columns alone.
 */
export function headerGroups(columns: readonly ScoreColumn[]): HeaderGroup[] {
  const groups: HeaderGroup[] = [];
  for (const column of columns) {
    const last = groups[groups.length - 1];
    if (column.group) {
      const entry = { column, short: column.group.short };
      if (last?.label === column.group.label) last.columns.push(entry);
      else groups.push({ label: column.group.label, columns: [entry] });
    } else {
      groups.push({ label: undefined, columns: [{ column, short: column.label }] });
    }
  }
  return groups;
}

/** One run's fine-tuning mIoU per label fraction, and the same fine-tuning from random weights. */
export interface LabelEfficiencySeries {
  key: number;
  name: string;
  color: string;
  step: number;
  /** Per SEGMENTATION_FRACTIONS entry; NaN where missing. */
  trained: number[];
  baseline: number[];
}

/** The label-efficiency curves of the rows whose latest evaluation fine-tuned (DeP/DDeP). */
export function labelEfficiencySeries(rows: readonly ResultRow[]): LabelEfficiencySeries[] {
  return rows.flatMap((row) => {
    const last = latestEvaluation(row.evaluations);
    const trained = last?.scores.fineTune;
    if (!last || !trained || trained.length === 0) return [];
    const fill = (values: readonly number[] | undefined) => SEGMENTATION_FRACTIONS.map((_, i) => finite(values?.[i]) ?? Number.NaN);
    return [{ key: row.key, name: row.name, color: row.color, step: last.step, trained: fill(trained), baseline: fill(last.baseline.fineTune) }];
  });
}
