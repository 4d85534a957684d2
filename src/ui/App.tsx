import { useAppStore, selectMethod, type StoreState } from '../state/store';
import { MetricChart } from './charts/MetricChart';
import { ControlPanel } from './controls/ControlPanel';
import { RunControls } from './controls/RunControls';
import { Header } from './Header';
import { MethodCard } from './MethodCard';
import { Notices } from './Notices';
import { AttentionView } from './probes/AttentionView';
import { CropsView } from './probes/CropsView';

const selectValues = (state: StoreState) => state.runValues ?? state.experiment.values;

export function App() {
  const method = useAppStore(selectMethod);
  const values = useAppStore(selectValues);
  return (
    <div className="app">
      <Header />
      <Notices />
      <div className="layout">
        <ControlPanel />
        <main>
          <MethodCard />
          <RunControls />
          <MetricChart
            title="Loss"
            metrics={[{ name: 'loss', label: 'loss', color: '#2563eb' }]}
            references={method.lossReferences(values)}
          />
          <AttentionView />
          <CropsView />
        </main>
      </div>
    </div>
  );
}
