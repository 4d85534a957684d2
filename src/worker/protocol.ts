/**
 * The typed messages between the page and the training worker: one discriminated union per
 * direction, keyed by `type`. Everything here is structured-cloneable plain data.
 */
import type { BackendInfo, BackendName } from '../engine/backend';
import type { ImageSetData } from '../measures/imageSets';
import type { MetricsRecord } from '../training/trainer';
import type { EvaluationRecord } from '../methods/evaluation';
import type { ProbePayload } from '../methods/probes';
import type { SettingValues } from '../methods/schema';

/** Weights by name, as the CPU holds them (checkpoints, export files). */
export type WeightsData = Record<string, { shape: number[]; data: Float32Array }>;

/** A run built from saved weights (an imported file) instead of from its seed alone. */
export interface RestoredRun {
  /** Steps already trained: the run continues from here. */
  step: number;
  elapsedMs: number;
  /** null at step 0: the seed rebuilds the initial weights exactly. */
  weights: WeightsData | null;
}

export type RunState = 'idle' | 'initializing' | 'running' | 'paused' | 'finished' | 'error' | 'device-lost';

/**
 * Page → worker. The worker keeps several runs (a comparison) and steps the running ones in
 * turn; every run request names its run. Probes are computed for the focused run only.
 */
export type WorkerRequest =
  /**
   * Create a run next to the others and, when `train` is set, start stepping it. `images`: the
   * visitor's image set when the settings' dataset names one.
   */
  | { type: 'start'; runId: number; methodId: string; values: SettingValues; train: boolean; restore?: RestoredRun; images?: ImageSetData }
  /**
   * The run's weights now (pausing it for the copy if it trains), for an export file; a
   * checkpoint is taken too. With `pause` the run stays paused afterwards (before it is closed).
   */
  | { type: 'export'; runId: number; pause?: boolean }
  | { type: 'pause'; runId: number }
  | { type: 'resume'; runId: number }
  | { type: 'step-once'; runId: number }
  /** Discard a run (Reset, or removing it from the comparison). */
  | { type: 'stop'; runId: number }
  /** Settings that may change mid-run (cadences). */
  | { type: 'set-config'; runId: number; values: SettingValues }
  /** The run whose probes the page shows: probed now and on its probe cadence. */
  | { type: 'focus'; runId: number }
  | { type: 'probe-now'; runId: number }
  /** Evaluate the run's frozen features now (between two steps when it trains). */
  | { type: 'evaluate'; runId: number }
  /** After a GPU device loss: a new device, every run rebuilt from its last checkpoint. */
  | { type: 'recover' }
  /** Moves every run to another backend (null: the usual order), each from a fresh checkpoint. */
  | { type: 'set-backend'; name: BackendName | null }
  /** Destroys the GPU device, to exercise the recovery path (tests, debugging). */
  | { type: 'simulate-device-loss' };

export interface RunStatus {
  runId: number;
  state: RunState;
  step: number;
  totalSteps: number;
  stepsPerSecond: number;
  /** Training time, excluding pauses. */
  elapsedMs: number;
  /** Last checkpoint step (kept on the CPU for recovery), -1 when none. */
  checkpointStep: number;
  /** From Train to the first step finished on the GPU (shader compilation included), once measured. */
  firstStepMs?: number;
  /** While preparing: what the worker is doing now, in words ("compiling the step's GPU kernels"). */
  phase?: string;
  /** While preparing: which part that is, and how many there are ([3, 5]). */
  phaseCount?: [number, number];
}

/** Worker → page. */
export type WorkerEvent =
  | { type: 'backend'; info: BackendInfo }
  | { type: 'status'; status: RunStatus }
  | { type: 'metrics'; runId: number; record: MetricsRecord }
  | { type: 'probes'; runId: number; payloads: ProbePayload[] }
  /** Weights copied to the CPU after `step` (the page keeps them in the browser's storage). */
  | { type: 'checkpoint'; runId: number; step: number; weights: WeightsData }
  /** The answer to 'export': the run's weights after `step` (null at step 0). */
  | { type: 'exported'; runId: number; step: number; elapsedMs: number; weights: WeightsData | null }
  /** An evaluation began (busy) or ended without a record (failed). */
  /** `progress`: what the evaluation is doing now, in words ("step 40: fine-tuning on 10% of the masks, step 20/40"). */
  | { type: 'evaluating'; runId: number; busy: boolean; progress?: string }
  | { type: 'evaluation'; runId: number; record: EvaluationRecord }
  /** runId −1: about the device or the worker, not one run. */
  | { type: 'error'; runId: number; message: string; recoverable: boolean }
  /** Something the visitor should know that is not a fault (a run moved back to an earlier copy). */
  | { type: 'notice'; message: string };
