/**
 * The work the session does on one run: a step's dispatch with its chained metrics readback
 * (`dispatchStep`, `settle`), probes, checkpoints and evaluations, each posting its result, and
 * `exclusive`, which orders such work after the run's work in flight. The session (session.ts) decides when; these do it. `live(run)` is
 * checked after every await before posting for a run that may have been stopped meanwhile.
 */
import { SEGMENTATION_FRACTIONS } from '../methods/evaluation';
import type { MetricsRecord } from '../training/trainer';
import type { WorkerEvent } from './protocol';
import type { Checkpoint, Run } from './run';

export interface RunContext {
  post: (event: WorkerEvent) => void;
  /** The run is still the session's (not stopped or replaced). */
  live: (run: Run) => boolean;
}

/**
 * Runs `work` as the run's work in flight, after any before it, so Stop waits for it: a
 * lesson replacing the runs must not dispose a trainer while its probe still computes and
 * reads back (on WebGPU that failed with "Cannot read properties of undefined (reading
 * 'backend')").
 */
export async function exclusive(run: Run, context: RunContext, work: () => Promise<void>): Promise<void> {
  const previous = run.busy;
  const current = (async () => {
    if (previous) await previous.catch(() => undefined);
    if (context.live(run)) await work();
  })();
  run.busy = current;
  try {
    await current;
  } finally {
    if (run.busy === current) run.busy = null;
  }
}

export async function probeRun(run: Run, context: RunContext): Promise<void> {
  run.probeWanted = false;
  if (!run.trainer) return;
  const payloads = await run.trainer.probe();
  if (context.live(run)) context.post({ type: 'probes', runId: run.id, payloads });
}

/** Copies the weights to the CPU (kept for recovery) and sends them to the page to keep; nothing when they have not changed. */
export async function checkpointRun(run: Run, context: RunContext): Promise<void> {
  const trainer = run.trainer;
  if (!trainer || trainer.step === 0 || run.checkpoint?.step === trainer.step) return;
  const step = trainer.step;
  const weights: Checkpoint['weights'] = {};
  for (const [name, tensor] of Object.entries(trainer.instance.save())) {
    weights[name] = { shape: tensor.shape, data: (await tensor.data()) as Float32Array };
  }
  run.checkpoint = { step, weights };
  run.checkpointAt = performance.now();
  context.post({ type: 'checkpoint', runId: run.id, step, weights });
}

export async function evaluateRun(run: Run, context: RunContext): Promise<void> {
  run.evaluateWanted = false;
  const trainer = run.trainer;
  if (!trainer) return;
  context.post({ type: 'evaluating', runId: run.id, busy: true });
  try {
    const record = await trainer.evaluate(SEGMENTATION_FRACTIONS, (progress) => {
      if (context.live(run)) context.post({ type: 'evaluating', runId: run.id, busy: true, progress });
    });
    run.lastEvaluatedStep = record.step;
    if (context.live(run)) context.post({ type: 'evaluation', runId: run.id, record });
  } finally {
    if (context.live(run)) context.post({ type: 'evaluating', runId: run.id, busy: false });
  }
}

/** What the page is told when the GPU device is lost, for the runs it stopped. */
export function deviceLostMessage(reason: string, affected: readonly Run[]): string {
  const single = affected.length === 1 ? affected[0] : null;
  return `The GPU device was lost (${reason}). ` + (single
    ? (single.checkpoint ? `Resume continues from the checkpoint at step ${single.checkpoint.step}.` : 'Resume restarts the run from step 0.')
    : 'Resume continues every run from its last checkpoint (step 0 for runs without one).');
}

/**
 * One step. A metrics readback is chained behind the run's previous one: the GPU may run at
 * most one metrics window behind the dispatches, which bounds queued work and memory.
 */
export function dispatchStep(run: Run, context: RunContext, closeWindow: boolean): Promise<void> | null {
  const readback = run.trainer!.runStep(closeWindow);
  if (!readback) return null;
  const previous = run.pendingMetrics;
  // A readback that fails (the device released or lost) is reported through the run's chain;
  // these no-op handlers only keep an unawaited copy from surfacing as an unhandled rejection.
  readback.catch(() => undefined);
  const next = (async () => {
    if (previous) await previous;
    const record = await readback;
    onMetrics(run, record, context);
  })();
  next.catch(() => undefined);
  run.pendingMetrics = next;
  // Backpressure: the caller waits for the window before this one, never for the newest.
  return previous;
}

function onMetrics(run: Run, record: MetricsRecord, context: RunContext): void {
  if (!context.live(run)) return;
  const now = performance.now();
  if (run.lastRecord && record.step > run.lastRecord.step) {
    const rate = (record.step - run.lastRecord.step) / ((now - run.lastRecord.time) / 1000);
    run.stepsPerSecond = run.stepsPerSecond === 0 ? rate : 0.7 * run.stepsPerSecond + 0.3 * rate;
  }
  run.lastRecord = { step: record.step, time: now };
  context.post({ type: 'metrics', runId: run.id, record });
}

/** Waits for the run's readbacks in flight. */
export async function settle(run: Run): Promise<void> {
  const pending = run.pendingMetrics;
  if (pending) await pending;
  if (run.pendingMetrics === pending) run.pendingMetrics = null;
}
