import { useMemo } from 'react';
import { getMethod } from '../../methods/registry';
import { actions, useAppStore, type StoreState } from '../../state/store';
import { MetricChart, type ChartMetric } from '../charts/MetricChart';

const selectRuns = (state: StoreState) => state.runs;
const selectMetric = (state: StoreState) => state.compareMetric;

/**
 * One metric of every visible run on one chart: the legend names the runs in their colors,
 * clicking a legend entry (or the checkbox in the runs bar) hides a run.
 */
export function CompareChart() {
  const runs = useAppStore(selectRuns);
  const metric = useAppStore(selectMetric);
  // Every metric any run's charts show, labelled as its chart does. Runs change on every
  // metrics record; the choices only when a run is added, removed or rebuilt.
  const buildsKey = runs.map((r) => `${r.methodId}:${r.id}`).join('|');
  const choices = useMemo(() => {
    const seen = new Map<string, { label: string; help: string; chart: string; yLabel?: string }>();
    for (const run of runs) {
      for (const chart of getMethod(run.methodId).charts(run.values)) {
        for (const line of chart.lines) {
          if (!seen.has(line.name)) seen.set(line.name, { label: chart.lines.length > 1 ? `${chart.title}: ${line.label}` : chart.title, help: chart.help, chart: chart.id, yLabel: chart.yLabel });
        }
      }
    }
    return seen;
    // eslint-disable-next-line react-hooks/exhaustive-deps -- `runs` changes with every record; buildsKey names what this reads
  }, [buildsKey]);
  const first = runs[0];
  const references = useMemo(() => {
    if (!first) return [];
    const chart = getMethod(first.methodId).charts(first.values).find((c) => c.lines.some((l) => l.name === metric));
    return chart?.references ?? [];
    // eslint-disable-next-line react-hooks/exhaustive-deps -- `first` changes with every record; its id names what this reads
  }, [first?.id, metric]);
  if (runs.length < 2) return null;
  const chosen: { label: string; help: string; yLabel?: string } = choices.get(metric) ?? { label: metric, help: '' };
  const lines: ChartMetric[] = runs
    .filter((run) => run.visible)
    .map((run) => ({ name: metric, label: run.name, color: run.color, runKey: run.key }));
  return (
    <section className="compare" aria-label="Compare runs">
      <div className="compare__head">
        <h2>Compare runs</h2>
        <label>
          <span>Metric</span>
          <select value={metric} onChange={(event) => actions.setCompareMetric(event.target.value)}>
            {[...choices].map(([name, { label }]) => <option key={name} value={name}>{label}</option>)}
          </select>
        </label>
      </div>
      <MetricChart title={`Compare: ${chosen.label}`} help={chosen.help} metrics={lines} references={references} yLabel={chosen.yLabel ?? chosen.label}
        emptyText={lines.length === 0 ? 'Tick a run above to show it' : 'Train the runs to compare them'} />
    </section>
  );
}
