/**
 * One headless training run with the app's engine, and the comparison table. Shared by the
 * CLI (train.ts) and the tests that check DINO's collapse outcomes.
 */
import { Trainer, type MetricsRecord } from '../training/trainer';
import { collapseModesOf, detectCollapse, type DetectorState } from '../methods/collapse';
import { scoreColumns, SEGMENTATION_FRACTIONS, type EvaluationRecord } from '../methods/evaluation';
import type { SettingValues } from '../methods/schema';
import type { MethodDescription } from '../methods/types';

export interface RunResult {
  name: string;
  method: MethodDescription;
  values: SettingValues;
  steps: number;
  msPerStep: number;
  records: MetricsRecord[];
  /** The last window's means. */
  final: Record<string, number>;
  detector: DetectorState;
  /** Evaluations on the evalEvery cadence and, when asked for, at the end. */
  evaluations: EvaluationRecord[];
}

/** Trains to `totalSteps`, keeping one metrics window in flight; `onRecord` sees each window. */
export async function trainExperiment(
  name: string, method: MethodDescription, values: SettingValues, onRecord?: (record: MetricsRecord) => void,
  options: { evaluate?: boolean; onEvaluation?: (record: EvaluationRecord) => void } = {},
): Promise<RunResult> {
  const trainer = await Trainer.create(method, values);
  const total = trainer.common.totalSteps;
  const records: MetricsRecord[] = [];
  const evaluations: EvaluationRecord[] = [];
  const evalEvery = Number(values.evalEvery ?? 0);
  const evaluate = async () => {
    const record = await trainer.evaluate(SEGMENTATION_FRACTIONS);
    evaluations.push(record);
    options.onEvaluation?.(record);
  };
  const take = (record: MetricsRecord) => {
    records.push(record);
    onRecord?.(record);
  };
  const started = performance.now();
  let pending: Promise<void> | null = null;
  try {
    while (trainer.step < total) {
      // The last step always closes a window, so the final metrics include RankMe.
      const readback = trainer.runStep(trainer.step + 1 === total);
      if (readback) {
        // Keep one window in flight: handle the previous window while this one computes.
        if (pending) await pending;
        pending = readback.then(take);
      }
      if (evalEvery > 0 && trainer.step % evalEvery === 0) {
        if (pending) await pending;
        await evaluate();
      }
    }
    if (pending) await pending;
    if ((options.evaluate || evalEvery > 0) && evaluations.at(-1)?.step !== trainer.step) await evaluate();
  } finally {
    trainer.dispose();
  }
  const elapsed = performance.now() - started;
  return {
    name, method, values, steps: total, msPerStep: elapsed / total, records,
    final: records[records.length - 1]?.values ?? {},
    detector: detectCollapse(records, collapseModesOf(method), values),
    evaluations,
  };
}

/** The metrics a summary shows: every line of the method's charts except its schedules. */
export function summaryMetrics(method: MethodDescription, values: SettingValues): { name: string; label: string }[] {
  const seen = new Map<string, string>();
  for (const chart of method.charts(values)) {
    if (chart.summary === false) continue;
    for (const line of chart.lines) if (!seen.has(line.name)) seen.set(line.name, line.label);
  }
  return [...seen].map(([name, label]) => ({ name, label }));
}

/** What the detector concluded, in words: "uniform since step 40", "recovered", "none". */
export function collapseVerdict(detector: DetectorState): string {
  if (detector.active) return `${detector.active.mode} since step ${detector.active.since}`;
  const last = detector.episodes[detector.episodes.length - 1];
  return last ? `none (${last.mode} ${last.since}–${last.until})` : 'none';
}

/** A plain-text table of final metrics, one row per run, columns aligned. */
export function formatTable(results: readonly RunResult[]): string {
  if (results.length === 0) return '';
  const metrics = summaryMetrics(results[0].method, results[0].values);
  // Evaluation scores (the last evaluation of each run), "trained (untrained)", where any run has them.
  const columns = scoreColumns().filter((c) => results.some((r) => {
    const last = r.evaluations.at(-1);
    return last !== undefined && c.get(last.scores) !== undefined;
  }));
  const score = (r: RunResult, column: (typeof columns)[number]) => {
    const last = r.evaluations.at(-1);
    const value = last && column.get(last.scores);
    const baseline = last && column.get(last.baseline);
    return value === undefined || !last ? '–' : `${value.toFixed(3)} (${baseline === undefined ? '–' : baseline.toFixed(3)})`;
  };
  const header = ['run', 'steps', ...metrics.map((m) => m.label), 'ln K', 'collapse', ...columns.map((c) => `${c.label} (untrained)`)];
  const rows = results.map((r) => [
    r.name,
    String(r.steps),
    ...metrics.map((m) => (r.final[m.name] === undefined ? '–' : r.final[m.name].toFixed(3))),
    r.values.outputDim === undefined ? '–' : Math.log(Number(r.values.outputDim)).toFixed(3),
    collapseVerdict(r.detector),
    ...columns.map((c) => score(r, c)),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** One evaluation as a plain-text table: each score, trained and untrained, and the difference. */
export function formatEvaluation(record: EvaluationRecord): string {
  const rows = scoreColumns().flatMap((column) => {
    const value = column.get(record.scores);
    if (value === undefined) return [];
    const baseline = column.get(record.baseline);
    const delta = baseline === undefined ? '–' : `${value >= baseline ? '+' : ''}${(value - baseline).toFixed(3)}`;
    return [[column.label, value.toFixed(3), baseline === undefined ? '–' : baseline.toFixed(3), delta]];
  });
  const header = ['score', `step ${record.step}`, 'untrained', 'Δ'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
