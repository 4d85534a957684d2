import { describe, expect, it } from 'vitest';
import type { RunStatus } from '../../worker/protocol';
import { formatDuration, remainingMs, stateText } from './RunControls';
import { availableActions } from './runActions';
import { whenText } from '../runs/LessonBox';

const status = (over: Partial<RunStatus>): RunStatus =>
  ({ runId: 1, state: 'running', step: 40, totalSteps: 100, stepsPerSecond: 2, elapsedMs: 0, checkpointStep: -1, ...over });

// Issue 23, honest progress: what the run bar says while preparing, training and pausing.
describe('the run bar', () => {
  it('says what preparing is doing, and "pausing…" from the click until the worker answers', () => {
    expect(stateText(status({ state: 'initializing', phase: 'compiling the GPU kernels of a step at batch 8', phaseCount: [4, 5] }), false))
      .toBe('preparing 4/5: compiling the GPU kernels of a step at batch 8…');
    expect(stateText(status({ state: 'running' }), true)).toBe('pausing…');
    // Before the worker's first word about a requested run: not "idle".
    expect(stateText(null, false, true)).toBe('starting the training worker…');
    expect(stateText(null, false)).toBe('idle');
    expect(stateText(status({ state: 'paused' }), false)).toBe('paused');
  });
  it('shows the time left at the measured speed', () => {
    expect(remainingMs(status({}))).toBe(30_000);
    expect(remainingMs(status({ stepsPerSecond: 0 }))).toBeNull();
    expect(formatDuration(30_000)).toBe('0:30');
    expect(formatDuration(3_723_000)).toBe('1:02:03');
  });
  it('never offers Pause twice, and lets Reset replace a run that is still preparing', () => {
    expect(availableActions(status({}), true).pause).toBe(false);
    expect(availableActions(status({ state: 'initializing' }), false)).toMatchObject({ train: false, reset: true });
    expect(availableActions(status({ state: 'paused', step: 0 }), false)).toMatchObject({ train: true, resume: false, step: true });
  });
});

describe('a lesson says when its difference shows', () => {
  it('in steps, and in time once the run has a speed', () => {
    expect(whenText(52, 0)).toBe('The difference shows after about 52 steps; how long that takes here shows once training starts.');
    expect(whenText(52, 1.3)).toBe('The difference shows after about 52 steps: about 0:40 at this run’s 1.3 steps/s.');
    expect(whenText(1, 2)).toBe('The difference shows from the first steps.');
    expect(whenText(null, 2)).toMatch(/within the runs’ step-to-step noise/);
  });
});
