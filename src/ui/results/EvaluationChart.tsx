/**
 * A score of every run evaluated at least twice, against the step it was evaluated at: one
 * line per run in its colour, the untrained network's score dashed. The points arrive as props
 * (evaluations are rare), so the plot is simply rebuilt when they change.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import '../charts/charts.css';
import './results.css';
import { alignSeries } from '../charts/chartData';
import { baselineLines, evaluationSeries, formatScore, stageMarks, supervisedLines, type EvaluationSeries, type ResultRow, type ScoreColumn } from './resultsData';
import { chartAxis } from '../charts/axis';
import { drawStageMarks } from '../charts/stageMarks';

const FALLBACK_WIDTH = 480;

export interface EvaluationChartViewProps {
  /** The lines (evaluationSeries of the chosen column). */
  series: readonly EvaluationSeries[];
  /** The columns the picker offers. */
  columns: readonly ScoreColumn[];
  /** The chosen column's id. */
  metric: string;
  onMetricChange: (id: string) => void;
  height?: number;
}

/** The picker and the plot, for given lines. */
export function EvaluationChartView({ series, columns, metric, onMetricChange, height = 220 }: EvaluationChartViewProps) {
  const frameRef = useRef<HTMLElement>(null);
  const hostRef = useRef<HTMLDivElement>(null);
  const column = columns.find((c) => c.id === metric);
  const spec = JSON.stringify({ series, height });
  const points = Math.max(0, ...series.map((line) => line.values.filter(Number.isFinite).length));
  const hasReference = series.some((line) => line.supervised !== undefined);
  const stages = stageMarks(series);

  useEffect(() => {
    const frame = frameRef.current;
    const host = hostRef.current;
    if (!frame || !host) return;
    const { series: lines, height: plotHeight } = JSON.parse(spec) as { series: EvaluationSeries[]; height: number };
    // JSON turns NaN into null; alignSeries turns null and NaN alike into gaps.
    const sources = lines.map((line) => ({ steps: line.steps, values: line.values.map((v) => (v === null ? Number.NaN : v)) }));
    const baselines = baselineLines(lines);
    const references = supervisedLines(lines);
    const marks = stageMarks(lines);
    const data = alignSeries(sources, [...baselines, ...references]);

    const axis = chartAxis(frame);
    const percent = (_u: uPlot, value: number | null) => formatScore(value ?? undefined);
    const options: uPlot.Options = {
      width: host.clientWidth || FALLBACK_WIDTH,
      height: plotHeight,
      scales: { x: { time: false }, y: { range: (_u, min, max) => yRange(min, max) } },
      legend: { live: true },
      axes: [
        { ...axis, space: 60 },
        { ...axis, size: 56, space: 28, values: (_u, splits) => splits.map((v) => `${Math.round(v * 1000) / 10}%`) },
      ],
      series: [
        { label: 'step' },
        ...lines.map((line): uPlot.Series => ({
          label: line.name, stroke: line.color, width: 2, spanGaps: true, value: percent,
          points: { show: true, size: 7, fill: line.color },
        })),
        ...baselines.map((line): uPlot.Series => ({
          label: line.label, stroke: line.color, width: 1, dash: [6, 4], value: percent, points: { show: false },
        })),
        ...references.map((line): uPlot.Series => ({
          label: line.label, stroke: line.color, width: 1.5, dash: [2, 3], value: percent, points: { show: false },
        })),
      ],
      // Where a later stage begins (DreamTeacher's student learns only from its distillation on).
      hooks: { draw: [drawStageMarks(marks, axis.stroke as string)] },
    };
    const plot = new uPlot(options, data, host);
    const resize = new ResizeObserver(() => {
      const width = host.clientWidth;
      if (width > 0 && width !== plot.width) plot.setSize({ width, height: plot.height });
    });
    resize.observe(host);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [spec]);

  return (
    <figure ref={frameRef} className="metric-chart evaluation-chart" data-testid="evaluation-chart"
      data-metric={metric} data-lines={series.length} data-points={points} data-reference={hasReference ? 'yes' : 'no'}
      data-stages={stages.map((mark) => `${mark.step}:${mark.label}`).join(' ')}>
      <figcaption className="evaluation-chart__head">
        <span className="metric-chart__title">{column ? `${column.label} vs step` : 'Score vs step'}</span>
        <label>
          <span>Score</span>
          <select value={metric} onChange={(event) => onMetricChange(event.target.value)} aria-label="Score on the chart">
            {columns.map((c) => <option key={c.id} value={c.id}>{c.label}</option>)}
          </select>
        </label>
        {column && <span className="metric-chart__help">{column.help}; dashed: the untrained network{hasReference ? '; dotted: the same network trained with labels (the study’s supervised reference, mean of its seeds)' : ''}{stages.length ? `; a dashed vertical line where the run’s ${stages.map((mark) => mark.label).join(' and ')} stage begins` : ''}.</span>}
      </figcaption>
      <div className="metric-chart__body" style={{ minHeight: height }}>
        <div ref={hostRef} className="metric-chart__plot" />
      </div>
    </figure>
  );
}

/** A y range around the data with a little room, kept inside [0, 1] (scores are fractions). */
export function yRange(min: number | null, max: number | null): [number, number] {
  if (min === null || max === null || !Number.isFinite(min) || !Number.isFinite(max)) return [0, 1];
  const pad = Math.max(0.02, (max - min) * 0.1);
  return [Math.max(0, min - pad), Math.min(1, max + pad)];
}

export interface EvaluationChartProps {
  /** The table's rows (buildRows); runs with fewer than two evaluations are left out. */
  rows: readonly ResultRow[];
  /** The score columns to offer (visibleColumns of the rows). */
  columns: readonly ScoreColumn[];
  /** The score shown first (default: the first column with a line). */
  initialMetric?: string;
}

/** The chart with its own choice of score; nothing while no run has two evaluations. */
export function EvaluationChart({ rows, columns, initialMetric }: EvaluationChartProps) {
  // Only the scores that some line can show.
  const choices = useMemo(() => columns.filter((c) => evaluationSeries(rows, c.id, columns).length > 0), [rows, columns]);
  const [chosen, setChosen] = useState<string | undefined>(initialMetric);
  const metric = choices.find((c) => c.id === chosen)?.id ?? choices[0]?.id;
  const series = useMemo(() => (metric ? evaluationSeries(rows, metric, columns) : []), [rows, metric, columns]);
  if (!metric || series.length === 0) return null;
  return <EvaluationChartView series={series} columns={choices} metric={metric} onMetricChange={setChosen} />;
}
