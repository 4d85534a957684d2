import { useEffect, useRef, useState } from 'react';
import { runner } from '../../state/runner';
import { getMethod } from '../../methods/registry';
import { actions, changedSinceRun, selectFocused, selectStatus, useAppStore, type StoreState } from '../../state/store';
import type { RunStatus } from '../../worker/protocol';
import { availableActions, train } from './runActions';
import { ThemeToggle } from '../ThemeToggle';

const selectRecoverable = (state: StoreState) => state.recoverable;
const selectPausing = (state: StoreState) => selectFocused(state)?.pausing ?? false;
const selectChanged = (state: StoreState) => {
  const run = selectFocused(state);
  // A different method changes everything: name it rather than list every setting.
  if (run && run.methodId !== state.experiment.methodId) return `the method (${getMethod(state.experiment.methodId).title})`;
  return changedSinceRun(state).map((s) => s.label).join(', ');
};

/** "4:05", or "1:02:03" past an hour. */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = String(seconds % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

/** Time left at the measured speed, or null when there is no speed yet. */
export function remainingMs(status: RunStatus | null): number | null {
  if (!status || status.stepsPerSecond <= 0 || status.step >= status.totalSteps) return null;
  return ((status.totalSteps - status.step) / status.stepsPerSecond) * 1000;
}

/**
 * The state in words, as the bar shows it. `requested`: a run has been asked of the worker but
 * has not reported yet (the first seconds of a visit, while the worker's code loads).
 */
export function stateText(status: RunStatus | null, pausing: boolean, requested = false): string {
  if (!status) return requested ? 'starting the training worker…' : 'idle';
  if (status.state === 'initializing') {
    if (!status.phase) return 'preparing…';
    return status.phaseCount ? `preparing ${status.phaseCount[0]}/${status.phaseCount[1]}: ${status.phase}…` : `preparing: ${status.phase}…`;
  }
  if (pausing) return 'pausing…';
  return status.state;
}

/** What a screen reader hears when the run's state changes (not on every step). */
function announcement(status: RunStatus | null, pausing: boolean): string {
  if (!status) return '';
  switch (status.state) {
    case 'running': return pausing ? 'Pausing after the step in flight.' : 'Training.';
    case 'paused': return status.step > 0 ? `Paused at step ${status.step}.` : 'Ready: press Train.';
    case 'finished': return `Finished: ${status.step} steps.`;
    case 'initializing': return 'Preparing the run.';
    case 'error': return 'The run stopped with an error: see the notice.';
    case 'device-lost': return 'The GPU was lost: see the notice.';
    default: return '';
  }
}

/**
 * Train / Pause / Resume / Step / Reset and the live counters: a bar that stays at the top of
 * the window while the page scrolls, so the run can be paused from any chart.
 */
const selectHasRuns = (state: StoreState) => state.runs.length > 0;

export function RunControls() {
  const status = useAppStore(selectStatus);
  const requested = useAppStore(selectHasRuns);
  const changed = useAppStore(selectChanged);
  const recoverable = useAppStore(selectRecoverable);
  const pausing = useAppStore(selectPausing);
  const can = availableActions(status, pausing);
  const step = status?.step ?? 0;
  const total = status?.totalSteps ?? 0;
  const busy = status?.state === 'initializing';
  const left = status?.state === 'running' ? remainingMs(status) : null;
  const spoken = announcement(status, pausing);
  // Announced once per change of state, after the state has settled for a moment.
  const [said, setSaid] = useState('');
  const timer = useRef<ReturnType<typeof setTimeout>>(undefined);
  useEffect(() => {
    clearTimeout(timer.current);
    timer.current = setTimeout(() => setSaid(spoken), 400);
    return () => clearTimeout(timer.current);
  }, [spoken]);

  return (
    <section className="run-controls" aria-label="Run controls" id="run-controls">
      <div className="buttons">
        <button type="button" className="primary" onClick={() => train(status, changed !== '')} disabled={!can.train}
          aria-keyshortcuts="Space">
          Train
        </button>
        <button type="button" onClick={runner.pause} disabled={!can.pause} aria-keyshortcuts="Space">Pause</button>
        <button type="button" onClick={runner.resume} disabled={!can.resume} aria-keyshortcuts="Space">Resume</button>
        <button type="button" onClick={runner.stepOnce} disabled={!can.step} aria-keyshortcuts="S">Step</button>
        <button type="button" onClick={runner.reset} disabled={!can.reset} aria-keyshortcuts="R"
          title={busy ? 'Stop preparing and start again with the panel’s settings' : 'Start the run again from step 0 with the panel’s settings'}>
          Reset
        </button>
        {recoverable && (
          <button type="button" className="primary" onClick={runner.recover}>Resume from checkpoint</button>
        )}
        <button type="button" className="shortcuts-button" onClick={() => actions.setShortcutsOpen(true)} aria-keyshortcuts="?"
          title="Keyboard shortcuts (?)">Keys</button>
        <ThemeToggle className="shortcuts-button theme-button" />
      </div>
      <dl className="counters">
        <div><dt>Step</dt><dd data-testid="step-counter">{step}{total ? ` / ${total}` : ''}</dd></div>
        <div><dt>Steps/s</dt><dd data-testid="steps-per-second">{status && status.stepsPerSecond > 0 ? status.stepsPerSecond.toFixed(status.stepsPerSecond < 10 ? 2 : 1) : '–'}</dd></div>
        <div><dt>Remaining</dt><dd data-testid="remaining" title="At the measured speed">{left === null ? '–' : formatDuration(left)}</dd></div>
        <div className="counter--secondary"><dt>Elapsed</dt><dd data-testid="elapsed">{formatDuration(status?.elapsedMs ?? 0)}</dd></div>
        <div className="counter--secondary"><dt>First step</dt><dd data-testid="first-step" title="From Train to the first step finished on the GPU, shader compilation included">{status?.firstStepMs !== undefined ? `${(status.firstStepMs / 1000).toFixed(1)} s` : '–'}</dd></div>
        <div className="counter--secondary"><dt>Checkpoint</dt><dd data-testid="checkpoint-step" title="Weights copied to the CPU: a lost GPU resumes from here">{status && status.checkpointStep >= 0 ? `step ${status.checkpointStep}` : '–'}</dd></div>
        <div className="counter--state"><dt>State</dt><dd data-testid="run-state">{stateText(status, pausing, requested)}</dd></div>
      </dl>
      {total > 0 && <progress max={total} value={step} aria-label="Training progress" />}
      <p className="sr-only" aria-live="polite" data-testid="run-announcement">{said}</p>
      {changed && (
        <p className="changed-banner" role="status">
          Changed since this run started: {changed}. Press Reset to start a run with the changes.
        </p>
      )}
    </section>
  );
}
