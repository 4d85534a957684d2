/**
 * Shapes metrics histories into uPlot's aligned columns. Pure, so the chart's data rules
 * (gaps, log scales, reference lines, runs recorded at different steps) are tested without a
 * DOM.
 */
import type uPlot from 'uplot';
import type { MetricsHistory } from '../../state/store';
import type { ReferenceLine } from '../../methods/types';

/** One line's points: the steps of a run and that run's values of one metric. */
export interface SeriesSource {
  steps: readonly number[];
  values: readonly number[] | undefined;
}

/**
 * [steps, ...one column per source, ...one constant column per reference]. The x column is
 * the sorted union of every source's steps, so runs recorded at different steps share a chart.
 * Missing values (NaN, a metric not reported yet, a step another run has) become null, which
 * uPlot draws as a gap (or spans, with spanGaps); on a log axis so do values ≤ 0.
 */
export function alignSeries(sources: readonly SeriesSource[], references: readonly ReferenceLine[], logY = false): uPlot.AlignedData {
  const clean = (v: number | undefined): number | null =>
    v === undefined || !Number.isFinite(v) || (logY && v <= 0) ? null : v;
  let xs: number[];
  if (sources.length === 1) {
    xs = sources[0].steps.slice();
  } else {
    const all = new Set<number>();
    for (const source of sources) for (const step of source.steps) all.add(step);
    xs = [...all].sort((a, b) => a - b);
  }
  const columns: (number | null)[][] = sources.map(({ steps, values }) => {
    const column = new Array<number | null>(xs.length).fill(null);
    let j = 0;
    for (let i = 0; i < steps.length; i++) {
      while (xs[j] < steps[i]) j++;
      column[j] = clean(values?.[i]);
    }
    return column;
  });
  for (const reference of references) columns.push(new Array<number | null>(xs.length).fill(clean(reference.value)));
  return [xs, ...columns] as uPlot.AlignedData;
}

/** Several metrics of one run's history. */
export function toAlignedData(
  history: Pick<MetricsHistory, 'steps' | 'series'>, metricNames: readonly string[], references: readonly ReferenceLine[], logY = false,
): uPlot.AlignedData {
  if (metricNames.length === 0) {
    // Only the step column (and references): align one empty line, then drop it.
    const [xs, , ...rest] = alignSeries([{ steps: history.steps, values: undefined }], references, logY);
    return [xs, ...rest] as uPlot.AlignedData;
  }
  return alignSeries(metricNames.map((name) => ({ steps: history.steps, values: history.series[name] })), references, logY);
}

/** `chart-<title>`: lower case, runs of anything else as one dash ("Loss (student)" → "chart-loss-student"). */
export function chartTestId(title: string): string {
  return `chart-${title.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '')}`;
}
