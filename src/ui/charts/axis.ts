import type uPlot from 'uplot';

/**
 * The axis style every chart shares, from the page's CSS variables (`--chart-axis`,
 * `--chart-grid`): canvas colours cannot use CSS variables directly, so they are resolved once
 * per chart, on the chart's own element (a theme can override them per section).
 */
export function chartAxis(frame: HTMLElement): uPlot.Axis {
  const css = getComputedStyle(frame);
  const color = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback;
  const grid = color('--chart-grid', '#eceef2');
  return {
    stroke: color('--chart-axis', '#4a5060'),
    grid: { stroke: grid, width: 1 },
    ticks: { stroke: grid, width: 1 },
  };
}

/** Step ticks: whole steps only (uPlot would otherwise tick 1.1, 1.2 … on a short run). */
export const STEP_INCREMENTS = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10_000, 20_000, 25_000, 50_000, 100_000];

/**
 * Tick labels for values: the fewest decimals that keep every label different (so a narrow
 * range never reads "1.0, 1.0, 1.0"), exponents for tiny or huge values, and a true minus.
 */
export function formatTicks(splits: readonly number[]): string[] {
  const finite = splits.filter(Number.isFinite);
  const largest = Math.max(0, ...finite.map(Math.abs));
  const gaps = finite.slice(1).map((v, i) => Math.abs(v - finite[i])).filter((gap) => gap > 0);
  const tolerance = (gaps.length > 0 ? Math.min(...gaps) : largest || 1) * 1e-6;
  // Different labels, each within a millionth of a tick gap of its value.
  const distinct = (labels: string[]) => new Set(labels.filter((_, i) => Number.isFinite(splits[i]))).size === finite.length &&
    labels.every((label, i) => !Number.isFinite(splits[i]) || Math.abs(Number(label.replace('−', '-')) - splits[i]) <= tolerance);
  const minus = (text: string) => text.replace(/^-/, '−');
  const render = (format: (v: number) => string) => splits.map((v) => (Number.isFinite(v) ? (v === 0 ? '0' : minus(format(v))) : ''));
  if (largest > 0 && (largest < 1e-3 || largest >= 1e6)) {
    for (let digits = 0; digits <= 4; digits++) {
      const labels = render((v) => v.toExponential(digits).replace('e+', 'e'));
      if (distinct(labels)) return labels;
    }
  }
  for (let decimals = 0; decimals <= 8; decimals++) {
    const labels = render((v) => v.toFixed(decimals));
    if (distinct(labels)) return labels;
  }
  return render((v) => String(v));
}

/** A value in three significant digits, with a true minus. */
export function formatValue(v: number): string {
  if (v === 0) return '0';
  const text = Math.abs(v) < 1e-3 || Math.abs(v) >= 1e6 ? v.toExponential(2).replace('e+', 'e') : String(Number(v.toPrecision(3)));
  return text.replace(/^-/, '−');
}

/** What a chart shows, in a sentence, for a screen reader: its points, last value and trend. */
export function describeLine(label: string, steps: readonly number[], values: readonly (number | null)[]): string {
  const points: [number, number][] = [];
  values.forEach((v, i) => {
    if (v !== null && Number.isFinite(v)) points.push([steps[i], v]);
  });
  if (points.length === 0) return `${label}: no points yet.`;
  const [lastStep, last] = points[points.length - 1];
  const [firstStep, first] = points[0];
  const text = formatValue(last);
  if (points.length === 1) return `${label}: ${text} at step ${lastStep}.`;
  const change = last - first;
  const scale = Math.max(Math.abs(first), Math.abs(last), 1e-12);
  const trend = Math.abs(change) / scale < 0.02 ? 'about level' : change < 0 ? 'falling' : 'rising';
  const from = formatValue(first);
  return `${label}: ${points.length} points from step ${firstStep} to ${lastStep}; last ${text}, ${trend} (from ${from}).`;
}
