import { describe, expect, it } from 'vitest';
import { adoptSaved, recordOf } from './saving';
import { actions, store } from './store';
import { defaultExperiment } from './url';

describe('saved records', () => {
  // Issue 22: an entry read "6 steps trained, resumes at step 8": the record took the step from
  // the last status the page had heard of, which can lag the checkpoint being written.
  it('never say fewer steps trained than the checkpoint they resume from', () => {
    const key = actions.addRun(1, 'Run 1', defaultExperiment('dino', 'tiny'));
    const run = store.getState().runs.find((r) => r.key === key)!;
    adoptSaved(run.uid, 8);
    const record = recordOf({ ...run, status: { runId: 1, state: 'running', step: 6, totalSteps: 100, stepsPerSecond: 1, elapsedMs: 0, checkpointStep: 8 } });
    expect(record).toMatchObject({ step: 8, checkpointStep: 8 });
  });
});
