import { useAppStore, selectMethod, selectFocused, type StoreState } from '../state/store';
import { MetricChart } from './charts/MetricChart';
import { CollapsePanel } from './collapse/CollapsePanel';
import { ControlPanel } from './controls/ControlPanel';
import { RunControls } from './controls/RunControls';
import { Header } from './Header';
import { Intro } from './Intro';
import { SpeedAdvice } from './SpeedAdvice';
import { Shortcuts } from './Shortcuts';
import { MethodCard } from './MethodCard';
import { Notices } from './Notices';
import { ProbeViews } from './probes/ProbeViews';
import { CompareChart } from './runs/CompareChart';
import { ResultsTable } from './results/ResultsTable';
import { LessonBox } from './runs/LessonBox';
import { RunsBar } from './runs/RunsBar';
import { SwitchPrompt } from './runs/SwitchPrompt';

// The charts follow the focused run's settings (K, batch), not the panel's unapplied edits.
const selectValues = (state: StoreState) => selectFocused(state)?.values ?? state.experiment.values;

export function App() {
  const method = useAppStore(selectMethod);
  const values = useAppStore(selectValues);
  const training = method.charts(values).filter((chart) => chart.section === 'training');
  return (
    <div className="app">
      <a className="skip-link" href="#charts">Skip to the charts</a>
      <Header />
      <RunControls />
      <SpeedAdvice />
      <Notices />
      <SwitchPrompt />
      <Intro />
      <div className="layout">
        <ControlPanel />
        <main id="charts" tabIndex={-1}>
          <MethodCard />
          <LessonBox />
          <RunsBar />
          {training.map((chart) => (
            <MetricChart key={chart.id} title={chart.title} help={chart.help} metrics={chart.lines}
              references={chart.references} logY={chart.logY} yLabel={chart.yLabel} stages={chart.stages} emptyText={chart.waiting} />
          ))}
          <CompareChart />
          <ResultsTable />
          <CollapsePanel />
          <ProbeViews />
        </main>
      </div>
      <Shortcuts />
    </div>
  );
}
