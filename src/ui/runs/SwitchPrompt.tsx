import { useEffect, useRef } from 'react';
import { findLesson, findMethod } from '../../methods/registry';
import { persistenceAvailable } from '../../state/persist';
import { hasProgress, runner } from '../../state/runner';
import { useAppStore, type PendingOpen, type RunView, type StoreState } from '../../state/store';
import { MAX_RUNS, type Comparison } from '../../state/url';

const selectPending = (state: StoreState) => state.pendingOpen;
const selectRuns = (state: StoreState) => state.runs;

/** "DINO · Tiny, seed 8" for each run of what is about to open. */
export function describeComparison(comparison: Comparison): string {
  return comparison.runs.map(({ experiment, name }) => {
    const method = findMethod(experiment.methodId);
    const preset = method?.presets.find((p) => p.id === experiment.presetId)?.label ?? experiment.presetId;
    const what = `${method?.title ?? experiment.methodId} · ${preset}, seed ${experiment.values.seed}`;
    return name ? `${name} (${what})` : what;
  }).join('; ');
}

/** "Run 1 (step 14, training)" for each open run that would be closed with progress. */
function describeTrained(runs: readonly RunView[]): string {
  return runs.filter(hasProgress)
    .map((run) => `${run.name} (step ${run.status?.step ?? 0}${run.status?.state === 'running' ? ', training' : ''})`).join(', ');
}

function title(pending: PendingOpen): string {
  if (pending.source === 'lesson') {
    const found = pending.comparison.lesson ? findLesson(pending.comparison.lesson) : undefined;
    return `Open the lesson “${found?.lesson.title ?? pending.comparison.lesson}”?`;
  }
  return 'Open the pasted link?';
}

/**
 * Asks before a pasted link or a picked lesson closes runs that have trained: open it beside
 * them, save them and switch, or cancel. Training goes on while the question waits.
 */
export function SwitchPrompt() {
  const pending = useAppStore(selectPending);
  const runs = useAppStore(selectRuns);
  const first = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (pending && !pending.saving) first.current?.focus();
  }, [pending]);
  if (!pending) return null;
  const room = runs.length + pending.comparison.runs.length <= MAX_RUNS;
  const canSave = persistenceAvailable();
  return (
    <section className="switch-prompt" role="alertdialog" aria-labelledby="switch-prompt-title" aria-describedby="switch-prompt-text"
      data-testid="switch-prompt">
      <h2 id="switch-prompt-title">{title(pending)}</h2>
      <p id="switch-prompt-text">
        It opens {describeComparison(pending.comparison)}. Opening it in place of the runs on the page would close{' '}
        {describeTrained(runs)}.
        {pending.saving ? ' Saving: each run is paused and checkpointed at its current step (after the step in flight)…' : ''}
      </p>
      <div className="switch-prompt__actions">
        <button type="button" ref={first} disabled={pending.saving || !room} onClick={() => void runner.resolveOpen('beside')}
          title={room ? 'Keep every open run and add the new ones to the comparison' : `A comparison keeps at most ${MAX_RUNS} runs`}>
          Open beside{room ? '' : ` (at most ${MAX_RUNS} runs)`}
        </button>
        <button type="button" disabled={pending.saving} onClick={() => void runner.resolveOpen('save')}
          title={canSave ? 'Checkpoint every trained run now, keep it under “Saved in this browser”, then open the new runs'
            : 'This browser keeps no runs: they are closed for good'}>
          {pending.saving ? 'Saving…' : canSave ? 'Save and switch' : 'Discard and switch'}
        </button>
        <button type="button" disabled={pending.saving} onClick={() => void runner.resolveOpen('cancel')}>Cancel</button>
      </div>
    </section>
  );
}
