/**
 * One run as the worker session keeps it: the record, its creation, its status for the page,
 * and the checks and helpers the session's state machine uses around it.
 */
import * as tf from '@tensorflow/tfjs';
import type { ImageSetData } from '../measures/imageSets';
import type { Trainer } from '../training/trainer';
import { getMethod } from '../methods/registry';
import { STEP_MEMORY_BUDGET } from '../methods/memory';
import type { SettingValues } from '../methods/schema';
import type { RunState, RunStatus, WeightsData } from './protocol';

export interface Checkpoint {
  step: number;
  weights: WeightsData;
}

export interface Run {
  id: number;
  methodId: string;
  values: SettingValues;
  /** The visitor's image set the run trains on (kept to rebuild the run after a device loss). */
  images: ImageSetData | undefined;
  trainer: Trainer | null;
  state: RunState;
  checkpoint: Checkpoint | null;
  /** performance.now() of the last checkpoint (or of the run's creation). */
  checkpointAt: number;
  elapsedMs: number;
  resumedAt: number; // performance.now() when the current running stretch began
  lastRecord: { step: number; time: number } | null;
  stepsPerSecond: number;
  /** The step (with its probe and checkpoint) in progress, so Pause and Stop can wait for it. */
  busy: Promise<void> | null;
  /** The last metrics readback in flight (each run runs at most one window behind). */
  pendingMetrics: Promise<void> | null;
  lastStatusAt: number;
  /** Was training when the device was lost: recovery resumes it. */
  wasRunning: boolean;
  /** A probe asked for while the run trains: the loop takes it between two steps. */
  probeWanted: boolean;
  /** Evaluation cadence in steps (0 = on request only), and a request waiting for the loop. */
  evalEvery: number;
  evaluateWanted: boolean;
  lastEvaluatedStep: number;
  /** From Train to the first step finished (its one readback), for the status line. */
  firstStepMs?: number;
  /** While initializing: what is being done, in words, and which part of how many. */
  phase: string;
  phaseCount: [number, number];
}

/** The parts of preparing a run: the backend, the images, the networks, the step's kernels, the first probes. */
export const PREPARING_PARTS = 5;

export const megabytes = (bytes: number) => `${Math.round(bytes / 2 ** 20)} MB`;
const gigabytes = (bytes: number) => `${(bytes / 2 ** 30).toFixed(bytes < 10 * 2 ** 30 ? 1 : 0)} GB`;

/**
 * Refuses a run, saying what to shrink, when one step would hold more than any GPU gives (on any
 * backend), or when its largest tensor cannot be one GPU buffer (`maxBytes`, WebGPU only). Both
 * are estimates from the settings, so the refusal comes before anything is prepared.
 */
export function checkFits(methodId: string, values: SettingValues, maxBytes: number | null): void {
  const method = getMethod(methodId);
  const memory = method.stepMemory(values);
  if (memory.bytes > STEP_MEMORY_BUDGET) {
    throw new Error(
      `This model is too big for the GPU: one training step would hold about ${gigabytes(memory.bytes)} ` +
      `(${megabytes(memory.imageBytes)} of it the training images, the rest the activations of ${values.batchSize} images), ` +
      `more than the ${gigabytes(STEP_MEMORY_BUDGET)} any GPU this page runs on can give it. ` +
      'Lower the batch size, image size, training images or width, then Reset.',
    );
  }
  if (maxBytes === null) return;
  const { bytes, what } = method.largestTensorBytes(values);
  if (bytes > maxBytes) {
    throw new Error(
      `This model is too big for the GPU: ${what} would take ${megabytes(bytes)}, and this device's largest ` +
      `buffer is ${megabytes(maxBytes)}. Lower the batch size, training images, image size, heads or width, then Reset.`,
    );
  }
}

/** Yields to the event loop without setTimeout's 4 ms clamp, so pause/stop are heard. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

export function createRun(id: number, methodId: string, values: SettingValues, images?: ImageSetData): Run {
  return {
    id, methodId, values, images, trainer: null, state: 'initializing', checkpoint: null, checkpointAt: performance.now(),
    elapsedMs: 0, resumedAt: 0, lastRecord: null, stepsPerSecond: 0, busy: null, pendingMetrics: null,
    lastStatusAt: 0, wasRunning: false, probeWanted: false,
    evalEvery: Number(values.evalEvery ?? 0), evaluateWanted: false, lastEvaluatedStep: -1, phase: 'starting the compute backend', phaseCount: [1, PREPARING_PARTS],
  };
}

/** Changes state, stopping the run's clock when it leaves `running`. */
export function setState(run: Run, state: RunState): void {
  if (run.state === 'running') run.elapsedMs += performance.now() - run.resumedAt;
  run.state = state;
}

export function statusOf(run: Run): RunStatus {
  const running = run.state === 'running' ? performance.now() - run.resumedAt : 0;
  return {
    runId: run.id,
    state: run.state,
    step: run.trainer?.step ?? 0,
    totalSteps: Number(run.values.totalSteps),
    stepsPerSecond: run.stepsPerSecond,
    elapsedMs: run.elapsedMs + running,
    checkpointStep: run.checkpoint?.step ?? -1,
    firstStepMs: run.firstStepMs,
    phase: run.state === 'initializing' ? run.phase : undefined,
    phaseCount: run.state === 'initializing' ? run.phaseCount : undefined,
  };
}

/**
 * Puts saved weights into a freshly built trainer, after checking that they are this model's:
 * every tensor present with the same shape (an export of other settings, or of another version's
 * model, is refused by name, not half loaded).
 */
export function loadWeights(trainer: Trainer, saved: WeightsData): void {
  for (const [name, variable] of Object.entries(trainer.instance.save())) {
    const entry = saved[name];
    if (!entry) throw new Error(`The saved weights do not fit this model: they have no tensor "${name}".`);
    if (entry.shape.length !== variable.shape.length || entry.shape.some((d, i) => d !== variable.shape[i])) {
      throw new Error(`The saved weights do not fit this model: "${name}" is [${entry.shape.join(', ')}] there and [${variable.shape.join(', ')}] here.`);
    }
  }
  const tensors = tf.tidy(() => {
    const map: tf.NamedTensorMap = {};
    for (const [name, { shape, data }] of Object.entries(saved)) map[name] = tf.tensor(data, shape);
    return map;
  });
  try {
    trainer.instance.load(tensors);
  } finally {
    tf.dispose(Object.values(tensors));
  }
}
