/**
 * The typed messages between the page and the training worker: one discriminated union per
 * direction, keyed by `type`. Everything here is structured-cloneable plain data.
 */
import type { BackendInfo } from '../engine/backend';
import type { MetricsRecord } from '../engine/trainer';
import type { ProbePayload } from '../methods/probes';
import type { SettingValues } from '../methods/schema';

export type RunState = 'idle' | 'initializing' | 'running' | 'paused' | 'finished' | 'error' | 'device-lost';

/** Page → worker. */
export type WorkerRequest =
  /** Create a run (replacing any) and, when `train` is set, start stepping. */
  | { type: 'start'; runId: number; methodId: string; values: SettingValues; train: boolean }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'step-once' }
  /** Discard the run (Reset). */
  | { type: 'stop' }
  /** Settings that may change mid-run (cadences). */
  | { type: 'set-config'; values: SettingValues }
  | { type: 'probe-now' }
  /** After a GPU device loss: a new device, the run rebuilt from its last checkpoint. */
  | { type: 'recover' }
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
}

/** Worker → page. */
export type WorkerEvent =
  | { type: 'backend'; info: BackendInfo }
  | { type: 'status'; status: RunStatus }
  | { type: 'metrics'; runId: number; record: MetricsRecord }
  | { type: 'probes'; runId: number; payloads: ProbePayload[] }
  | { type: 'checkpoint'; runId: number; step: number }
  | { type: 'error'; runId: number; message: string; recoverable: boolean };
