import { runner } from '../../state/runner';
import { getMethod } from '../../methods/registry';
import { changedSinceRun, selectFocused, selectStatus, useAppStore, type StoreState } from '../../state/store';

const selectRecoverable = (state: StoreState) => state.recoverable;
const selectChanged = (state: StoreState) => {
  const run = selectFocused(state);
  // A different method changes everything: name it rather than list every setting.
  if (run && run.methodId !== state.experiment.methodId) return `the method (${getMethod(state.experiment.methodId).title})`;
  return changedSinceRun(state).map((s) => s.label).join(', ');
};

function formatElapsed(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  const m = Math.floor(seconds / 60);
  const s = seconds % 60;
  return `${m}:${String(s).padStart(2, '0')}`;
}

/** Train / Pause / Resume / Step / Reset and the live counters. */
export function RunControls() {
  const status = useAppStore(selectStatus);
  const changed = useAppStore(selectChanged);
  const recoverable = useAppStore(selectRecoverable);
  const state = status?.state ?? 'idle';
  const step = status?.step ?? 0;
  const total = status?.totalSteps ?? 0;
  const fresh = state === 'paused' && step === 0;
  const busy = state === 'initializing';

  // A fresh run with stale settings is rebuilt: Train always trains what the panel shows.
  const train = () => (fresh && !changed ? runner.resume() : runner.start(true));
  return (
    <section className="run-controls" aria-label="Run controls">
      <div className="buttons">
        <button type="button" className="primary" onClick={train}
          disabled={busy || state === 'running' || (state === 'paused' && !fresh) || state === 'device-lost'}>
          Train
        </button>
        <button type="button" onClick={runner.pause} disabled={state !== 'running'}>Pause</button>
        <button type="button" onClick={runner.resume} disabled={!(state === 'paused' && step > 0)}>Resume</button>
        <button type="button" onClick={runner.stepOnce} disabled={state !== 'paused' || step >= total}>Step</button>
        <button type="button" onClick={runner.reset} disabled={busy}>Reset</button>
        {recoverable && (
          <button type="button" className="primary" onClick={runner.recover}>Resume from checkpoint</button>
        )}
      </div>
      <dl className="counters" aria-live="off">
        <div><dt>Step</dt><dd data-testid="step-counter">{step}{total ? ` / ${total}` : ''}</dd></div>
        <div><dt>Steps/s</dt><dd data-testid="steps-per-second">{status && status.stepsPerSecond > 0 ? status.stepsPerSecond.toFixed(status.stepsPerSecond < 10 ? 2 : 1) : '–'}</dd></div>
        <div><dt>Elapsed</dt><dd data-testid="elapsed">{formatElapsed(status?.elapsedMs ?? 0)}</dd></div>
        <div><dt>First step</dt><dd data-testid="first-step" title="From Train to the first step finished on the GPU, shader compilation included">{status?.firstStepMs !== undefined ? `${(status.firstStepMs / 1000).toFixed(1)} s` : '–'}</dd></div>
        <div><dt>Checkpoint</dt><dd data-testid="checkpoint-step" title="Weights copied to the CPU: a lost GPU resumes from here">{status && status.checkpointStep >= 0 ? `step ${status.checkpointStep}` : '–'}</dd></div>
        <div><dt>State</dt><dd data-testid="run-state">{busy ? 'preparing…' : state}</dd></div>
      </dl>
      {total > 0 && <progress max={total} value={step} aria-label="Training progress" />}
      {changed && (
        <p className="changed-banner" role="status">
          Changed since this run started: {changed}. Press Reset to start a run with the changes.
        </p>
      )}
    </section>
  );
}
