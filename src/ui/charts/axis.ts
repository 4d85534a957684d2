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
