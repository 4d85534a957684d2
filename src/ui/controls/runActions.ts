/**
 * What the run buttons and their keyboard shortcuts may do to the focused run now, and what
 * they do: one place, so a shortcut never does what its button would refuse.
 */
import { runner } from '../../state/runner';
import type { RunStatus } from '../../worker/protocol';

export interface RunActions {
  train: boolean;
  pause: boolean;
  resume: boolean;
  step: boolean;
  reset: boolean;
}

/** Which controls apply to a run in `status` (null: none built yet); `pausing`: Pause was pressed, not yet answered. */
export function availableActions(status: RunStatus | null, pausing: boolean): RunActions {
  const state = status?.state ?? 'idle';
  const step = status?.step ?? 0;
  const fresh = state === 'paused' && step === 0;
  return {
    train: state === 'idle' || state === 'error' || state === 'finished' || fresh,
    pause: state === 'running' && !pausing,
    resume: state === 'paused' && step > 0,
    step: state === 'paused' && step < (status?.totalSteps ?? 0),
    // Also while preparing: a run that takes too long to prepare can be replaced at once.
    reset: true,
  };
}

/** Train: a fresh run with unchanged settings starts; otherwise the run is rebuilt from the panel and trained. */
export function train(status: RunStatus | null, changed: boolean): void {
  const fresh = status?.state === 'paused' && status.step === 0;
  if (fresh && !changed) runner.resume();
  else runner.start(true);
}

/** Space: pause a training run, resume a paused one, or train. */
export function toggle(status: RunStatus | null, pausing: boolean, changed: boolean): void {
  const can = availableActions(status, pausing);
  if (can.pause) runner.pause();
  else if (can.resume) runner.resume();
  else if (can.train) train(status, changed);
}
