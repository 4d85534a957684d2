/**
 * Shapes the store's metrics history into uPlot's aligned columns. Pure, so the chart's data
 * rules (gaps, log scales, reference lines) are tested without a DOM.
 */
import type uPlot from 'uplot';
import type { MetricsHistory } from '../../state/store';
import type { ReferenceLine } from '../../methods/types';

/**
 * [steps, ...one column per metric, ...one constant column per reference]. Missing values (NaN,
 * or a metric not reported yet) become null, which uPlot draws as a gap; on a log axis so do
 * values ≤ 0, which have no place there.
 */
export function toAlignedData(
  history: MetricsHistory, metricNames: readonly string[], references: readonly ReferenceLine[], logY = false,
): uPlot.AlignedData {
  const n = history.steps.length;
  const clean = (v: number | undefined): number | null =>
    v === undefined || !Number.isFinite(v) || (logY && v <= 0) ? null : v;
  const columns: (number | null)[][] = metricNames.map((name) => {
    const values = history.series[name];
    const column = new Array<number | null>(n);
    for (let i = 0; i < n; i++) column[i] = clean(values?.[i]);
    return column;
  });
  for (const reference of references) columns.push(new Array<number | null>(n).fill(clean(reference.value)));
  return [history.steps.slice(), ...columns] as uPlot.AlignedData;
}

/** `chart-<title>`: lower case, runs of anything else as one dash ("Loss (student)" → "chart-loss-student"). */
export function chartTestId(title: string): string {
  return `chart-${title.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '')}`;
}
