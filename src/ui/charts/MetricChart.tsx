/**
 * A live line chart of metrics from the runs' histories: several metrics of the focused run,
 * or one metric of several runs (the comparison). uPlot owns the canvas: React renders the
 * frame once, and new points go straight to `plot.setData` (at most once per animation frame),
 * so a fast run never re-renders React per point.
 */
import { useEffect, useId, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import './charts.css';
import { store, useAppStore, type MetricsHistory, type StoreState } from '../../state/store';
import type { ReferenceLine } from '../../methods/types';
import { alignSeries, chartTestId } from './chartData';
import { scheduleDraw } from '../drawQueue';
import { chartAxis, describeLine, formatTicks, STEP_INCREMENTS } from './axis';
import { REFERENCE_COLORS } from '../../methods/palette';
import type { StageMark } from '../../methods/collapse';
import { drawStageMarks } from './stageMarks';

export interface ChartMetric {
  /** Key in `history.series`. */
  name: string;
  label: string;
  color: string;
  /** The run (RunView.key) it comes from; the focused run when absent. */
  runKey?: number;
}

export interface MetricChartProps {
  title: string;
  /** One line under the title, also its hover text: what the curve means. */
  help?: string;
  metrics: ChartMetric[];
  /** Dashed constant lines (e.g. ln K on the loss), listed in the legend. */
  references?: ReferenceLine[];
  height?: number;
  logY?: boolean;
  /** Shown over the chart while there are no points. */
  emptyText?: string;
  /** The y axis's label; the title when absent. */
  yLabel?: string;
  /** Steps where a stage begins: a dashed vertical line with the stage's name. */
  stages?: StageMark[];
}

function historyOf(state: StoreState, runKey: number | undefined): MetricsHistory | undefined {
  const key = runKey ?? state.focusedKey;
  return state.runs.find((r) => r.key === key)?.history;
}

/** Reference lines are muted: a grey, then Tol's muted tones (they label values, not results). */
const FALLBACK_WIDTH = 480;
const selectThemeVersion = (state: StoreState) => state.themeVersion;

export function MetricChart({
  title, help, metrics, references = [], height = 220, logY = false, emptyText = 'Press Train to see the loss', yLabel, stages = [],
}: MetricChartProps) {
  const frameRef = useRef<HTMLElement>(null);
  const plotHostRef = useRef<HTMLDivElement>(null);
  const summaryRef = useRef<HTMLParagraphElement>(null);
  const summaryId = useId();
  const isEmpty = useAppStore((state) => metrics.every((m) => {
    const history = historyOf(state, m.runKey);
    return !history?.series[m.name]?.some(Number.isFinite);
  }));

  // Callers often pass inline arrays; a string key rebuilds the plot only when its options really change.
  const themeVersion = useAppStore(selectThemeVersion);
  // The y label: the chart's own, else its title when that fits along the axis (the title is above the chart anyway).
  const yAxis = yLabel ?? (title.length * 6.5 <= height - 40 ? title : '');
  const spec = JSON.stringify({ metrics, references, logY, height, yAxis, stages, themeVersion });

  useEffect(() => {
    const frame = frameRef.current;
    const host = plotHostRef.current;
    if (!frame || !host) return;
    const { metrics: lines, references: refs, logY: log, height: plotHeight, yAxis, stages: marks } = JSON.parse(spec) as {
      metrics: ChartMetric[]; references: ReferenceLine[]; logY: boolean; height: number; yAxis: string; stages: StageMark[];
    };

    const axis = chartAxis(frame);

    // Set by the x setScale hook: true while the user's drag-zoom hides part of the data.
    let zoomed = false;
    const options: uPlot.Options = {
      width: host.clientWidth || FALLBACK_WIDTH,
      height: plotHeight,
      scales: { x: { time: false }, y: log ? { distr: 3 } : {} },
      cursor: { drag: { x: true, y: false } },
      legend: { live: true },
      axes: [
        { ...axis, label: 'training step', labelSize: 16, labelFont: '12px system-ui, sans-serif', incrs: STEP_INCREMENTS, values: (_, splits) => splits.map(String) },
        { ...axis, size: 60, label: yAxis || undefined, labelSize: yAxis ? 16 : 0, labelFont: '12px system-ui, sans-serif', values: (_, splits) => formatTicks(splits) },
      ],
      series: [
        { label: 'step' },
        ...lines.map((m): uPlot.Series => ({ label: m.label, stroke: m.color, width: 1.5, spanGaps: true })),
        ...refs.map((r, i): uPlot.Series => ({
          label: r.label, stroke: REFERENCE_COLORS[i % REFERENCE_COLORS.length], width: 1, dash: [6, 4],
          points: { show: false },
        })),
      ],
      hooks: {
        // Stage boundaries: a dashed line and the stage's name at the top.
        draw: [drawStageMarks(marks, axis.stroke as string)],
        setScale: [(u, key) => {
          if (key !== 'x') return;
          const xs = u.data[0];
          const { min, max } = u.scales.x;
          zoomed = xs.length > 0 && min != null && max != null && (min > xs[0] || max < xs[xs.length - 1]);
        }],
      },
    };

    const histories = (state: StoreState) => lines.map((m) => historyOf(state, m.runKey));
    const readData = () => {
      const state = store.getState();
      return alignSeries(lines.map((m) => {
        const history = historyOf(state, m.runKey);
        return { steps: history?.steps ?? [], values: history?.series[m.name] };
      }), refs, log);
    };
    // Points of the lines that have any (what tests and the empty text look at).
    const perLine = (data: uPlot.AlignedData) =>
      data.slice(1, 1 + lines.length).map((column) => Array.from(column as ArrayLike<number | null>).filter((v) => v !== null).length);
    // Points per line, for tests and anyone inspecting the page: data-points is the longest line.
    const label = (data: uPlot.AlignedData) => {
      const counts = perLine(data);
      frame.dataset.points = String(Math.max(0, ...counts));
      frame.dataset.linePoints = counts.join(',');
      // The chart's text alternative: what each line did, in a sentence.
      const steps = Array.from(data[0] as ArrayLike<number>);
      if (summaryRef.current) {
        summaryRef.current.textContent = lines.map((m, i) => describeLine(m.label, steps, Array.from(data[1 + i] as ArrayLike<number | null>))).join(' ');
      }
    };
    const initial = readData();
    const plot = new uPlot(options, initial, host);
    label(initial);

    let lastHistories = histories(store.getState());
    const flush = () => {
      const data = readData();
      // batch: draw now, inside the queue's budgeted task, not in a microtask after it.
      plot.batch(() => {
        if (zoomed) {
          // Keep the user's x range; redraw() re-fits y to what is visible.
          plot.setData(data, false);
          plot.redraw();
        } else {
          plot.setData(data);
        }
      });
      label(data);
    };
    let cancel = () => {};
    const unsubscribe = store.subscribe((state) => {
      const current = histories(state);
      if (current.every((h, i) => h === lastHistories[i])) return;
      lastHistories = current;
      // Charts draw through the queue: eight of them in one frame made one long task.
      cancel = scheduleDraw(plot, flush);
    });

    const resize = new ResizeObserver(() => {
      const width = host.clientWidth;
      if (width > 0 && width !== plot.width) plot.setSize({ width, height: plot.height });
    });
    resize.observe(host);

    return () => {
      unsubscribe();
      resize.disconnect();
      cancel();
      plot.destroy();
    };
  }, [spec]);

  return (
    <figure ref={frameRef} className="metric-chart" data-testid={chartTestId(title)} aria-describedby={summaryId}>
      <figcaption className="metric-chart__title" title={help}>
        {title}
        {help && <span className="metric-chart__help">{help}</span>}
      </figcaption>
      <div className="metric-chart__body" style={{ minHeight: height }}>
        <div ref={plotHostRef} className="metric-chart__plot" />
        {isEmpty && <p className="metric-chart__empty">{emptyText}</p>}
      </div>
      <p className="sr-only" id={summaryId} ref={summaryRef} data-testid="chart-summary" />
    </figure>
  );
}
