import * as tf from '@tensorflow/tfjs';
import { destroyDeviceForTesting, maxGpuBufferBytes, onDeviceLost, onGpuError, selectBackend, type BackendInfo } from '../engine/backend';
import { Trainer, type MetricsRecord } from '../engine/trainer';
import { getMethod } from '../methods/registry';
import type { SettingValues } from '../methods/schema';
import type { RunState, RunStatus, WorkerEvent, WorkerRequest } from './protocol';

/** Weights are copied to the CPU this often (and on pause) so a lost GPU loses little. */
export const CHECKPOINT_EVERY = 200;
/** Status messages at most this often while training (the page re-renders on each). */
const STATUS_INTERVAL_MS = 200;

interface Checkpoint {
  step: number;
  weights: Record<string, { shape: number[]; data: Float32Array }>;
}

interface Run {
  id: number;
  methodId: string;
  values: SettingValues;
  trainer: Trainer | null;
  state: RunState;
  checkpoint: Checkpoint | null;
  elapsedMs: number;
  resumedAt: number; // performance.now() when the current running stretch began
  lastRecord: { step: number; time: number } | null;
  stepsPerSecond: number;
}

const megabytes = (bytes: number) => `${Math.round(bytes / 2 ** 20)} MB`;

/** Refuses a run whose largest tensor cannot be one GPU buffer, saying what to shrink. */
function checkFits(methodId: string, values: SettingValues, maxBytes: number | null): void {
  if (maxBytes === null) return;
  const { bytes, what } = getMethod(methodId).largestTensorBytes(values);
  if (bytes > maxBytes) {
    throw new Error(
      `This model is too big for the GPU: ${what} would take ${megabytes(bytes)}, and this device's largest ` +
      `buffer is ${megabytes(maxBytes)}. Lower the batch size, training images, image size, heads or width, then Reset.`,
    );
  }
}

/** Yields to the event loop without setTimeout's 4 ms clamp, so pause/stop are heard. */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

/**
 * The worker's state machine: one run at a time, stepped in a loop that yields to the event
 * loop between steps. It owns tfjs; the page only sends requests and renders events.
 */
export class TrainingSession {
  private backend: BackendInfo | null = null;
  private backendReady: Promise<BackendInfo> | null = null;
  private run: Run | null = null;
  /** The running loop, so Pause can wait for the step in progress to finish. */
  private loopDone: Promise<void> | null = null;
  private lastStatusAt = 0;
  private pendingMetrics: Promise<void> | null = null;

  constructor(private readonly post: (event: WorkerEvent) => void) {
    onDeviceLost((reason) => this.handleDeviceLost(reason));
    onGpuError((kind, message) => this.handleGpuError(kind, message));
  }

  /** A failed allocation or invalid GPU work: stop the run and say what to change. */
  private handleGpuError(kind: string, message: string): void {
    const run = this.run;
    if (!run || run.state === 'error' || run.state === 'device-lost') return;
    if (run.state === 'running') this.stopClock(run, 'error');
    run.state = 'error';
    const advice = kind === 'out-of-memory'
      ? 'The model does not fit in this GPU\'s memory: lower the batch size, width, depth, prototypes K or image size, then Reset.'
      : 'The GPU rejected a computation, so results from here on would be wrong.';
    this.post({ type: 'error', runId: run.id, recoverable: false, message: `${advice} (${kind}: ${message.split('\n')[0]})` });
    this.sendStatus(true);
  }

  ensureBackend(): Promise<BackendInfo> {
    if (!this.backendReady) {
      this.backendReady = selectBackend().then((info) => {
        this.backend = info;
        this.post({ type: 'backend', info });
        return info;
      });
    }
    return this.backendReady;
  }

  async handle(request: WorkerRequest): Promise<void> {
    try {
      switch (request.type) {
        case 'start':
          return await this.start(request.runId, request.methodId, request.values, request.train);
        case 'pause':
          return await this.pause();
        case 'resume':
          return this.resume();
        case 'step-once':
          return await this.stepOnce();
        case 'stop':
          return this.stop();
        case 'set-config':
          return this.setConfig(request.values);
        case 'probe-now':
          return await this.probe();
        case 'recover':
          return await this.recover();
        case 'simulate-device-loss':
          destroyDeviceForTesting();
          return;
      }
    } catch (error) {
      await this.fail(error);
    }
  }

  private async start(runId: number, methodId: string, values: SettingValues, train: boolean): Promise<void> {
    this.stop();
    const run: Run = {
      id: runId, methodId, values, trainer: null, state: 'initializing', checkpoint: null,
      elapsedMs: 0, resumedAt: 0, lastRecord: null, stepsPerSecond: 0,
    };
    this.run = run;
    this.sendStatus(true);
    const backend = await this.ensureBackend();
    checkFits(methodId, values, backend.name === 'webgpu' ? maxGpuBufferBytes() : null);
    const trainer = await Trainer.create(getMethod(methodId), values);
    if (this.run !== run) {
      trainer.dispose(); // reset while we were building
      return;
    }
    run.trainer = trainer;
    run.state = 'paused';
    await this.probe();
    if (train) this.resume();
    else this.sendStatus(true);
  }

  private resume(): void {
    const run = this.run;
    if (!run?.trainer || (run.state !== 'paused' && run.state !== 'finished')) return;
    if (run.trainer.step >= run.trainer.common.totalSteps) return;
    run.state = 'running';
    run.resumedAt = performance.now();
    run.lastRecord = null;
    this.sendStatus(true);
    if (!this.loopDone) this.loopDone = this.loop(run).finally(() => (this.loopDone = null));
  }

  private async pause(): Promise<void> {
    const run = this.run;
    if (!run || run.state !== 'running') return;
    this.stopClock(run, 'paused');
    if (this.loopDone) await this.loopDone; // the step in flight completes first
    await this.settle();
    await this.checkpoint(run);
    this.sendStatus(true);
  }

  private async stepOnce(): Promise<void> {
    const run = this.run;
    if (!run?.trainer || run.state !== 'paused') return;
    if (run.trainer.step >= run.trainer.common.totalSteps) return;
    const started = performance.now();
    this.dispatch(run);
    run.trainer.flushMetrics()?.then((record) => this.post({ type: 'metrics', runId: run.id, record }));
    await this.settle();
    await this.probe();
    run.elapsedMs += performance.now() - started;
    this.sendStatus(true);
  }

  private stop(): void {
    const run = this.run;
    this.run = null;
    this.pendingMetrics = null;
    if (run) {
      run.state = 'idle';
      run.trainer?.dispose();
      this.post({ type: 'status', status: { ...this.statusOf(run), state: 'idle', step: 0 } });
    }
  }

  private setConfig(values: SettingValues): void {
    const trainer = this.run?.trainer;
    if (!trainer) return;
    trainer.setCadence(Number(values.metricsEvery ?? trainer.common.metricsEvery), Number(values.probeEvery ?? trainer.common.probeEvery));
  }

  /** The training loop: dispatch, hand metric readbacks off without waiting, yield. */
  private async loop(run: Run): Promise<void> {
    try {
      while (this.run === run && run.state === 'running' && run.trainer) {
        const trainer = run.trainer;
        if (trainer.step >= trainer.common.totalSteps) {
          this.stopClock(run, 'finished');
          await this.settle();
          await this.checkpoint(run);
          break;
        }
        const behind = this.dispatch(run);
        if (behind) await behind;
        if (trainer.probeDue) await this.probe();
        if (trainer.step % CHECKPOINT_EVERY === 0) await this.checkpoint(run);
        this.sendStatus(false);
        await yieldToEventLoop();
      }
    } catch (error) {
      // A run that was reset while a readback was in flight fails harmlessly: say nothing.
      if (this.run === run) await this.fail(error);
    } finally {
      this.sendStatus(true);
    }
  }

  /**
   * One step. A metrics readback is chained behind the previous one: the GPU may run at
   * most one metrics window behind the dispatches, which bounds queued work and memory.
   */
  private dispatch(run: Run): Promise<void> | null {
    const readback = run.trainer!.runStep();
    if (!readback) return null;
    const previous = this.pendingMetrics;
    const next = (async () => {
      if (previous) await previous;
      const record = await readback;
      this.onMetrics(run, record);
    })();
    this.pendingMetrics = next;
    // Backpressure: the caller waits for the window before this one, never for the newest.
    return previous;
  }

  private onMetrics(run: Run, record: MetricsRecord): void {
    if (this.run !== run) return;
    const now = performance.now();
    if (run.lastRecord && record.step > run.lastRecord.step) {
      const rate = (record.step - run.lastRecord.step) / ((now - run.lastRecord.time) / 1000);
      run.stepsPerSecond = run.stepsPerSecond === 0 ? rate : 0.7 * run.stepsPerSecond + 0.3 * rate;
    }
    run.lastRecord = { step: record.step, time: now };
    this.post({ type: 'metrics', runId: run.id, record });
  }

  /** Waits for every readback in flight. */
  private async settle(): Promise<void> {
    if (this.pendingMetrics) await this.pendingMetrics;
    this.pendingMetrics = null;
  }

  private async probe(): Promise<void> {
    const run = this.run;
    if (!run?.trainer) return;
    const payloads = await run.trainer.probe();
    if (this.run === run) this.post({ type: 'probes', runId: run.id, payloads });
  }

  private async checkpoint(run: Run): Promise<void> {
    const trainer = run.trainer;
    if (!trainer || trainer.step === 0 || run.checkpoint?.step === trainer.step) return;
    const step = trainer.step;
    const weights: Checkpoint['weights'] = {};
    for (const [name, tensor] of Object.entries(trainer.instance.save())) {
      weights[name] = { shape: tensor.shape, data: (await tensor.data()) as Float32Array };
    }
    run.checkpoint = { step, weights };
    this.post({ type: 'checkpoint', runId: run.id, step });
  }

  private handleDeviceLost(reason: string): void {
    const run = this.run;
    this.backendReady = null;
    if (!run) return;
    if (run.state === 'running') this.stopClock(run, 'device-lost');
    run.state = 'device-lost';
    this.post({
      type: 'error', runId: run.id, recoverable: true,
      message: `The GPU device was lost (${reason}). ` +
        (run.checkpoint ? `Resume continues from the checkpoint at step ${run.checkpoint.step}.` : 'Resume restarts the run from step 0.'),
    });
    this.sendStatus(true);
  }

  /** Rebuilds the backend and the run, then loads the last checkpoint. */
  private async recover(): Promise<void> {
    const run = this.run;
    if (!run || run.state !== 'device-lost') return;
    try {
      run.trainer?.dispose();
    } catch {
      // The old device is gone; its buffers cannot be released cleanly.
    }
    run.trainer = null;
    run.state = 'initializing';
    this.sendStatus(true);
    await this.ensureBackend();
    const trainer = await Trainer.create(getMethod(run.methodId), run.values);
    if (run.checkpoint) {
      const weights = tf.tidy(() => {
        const map: tf.NamedTensorMap = {};
        for (const [name, { shape, data }] of Object.entries(run.checkpoint!.weights)) map[name] = tf.tensor(data, shape);
        return map;
      });
      trainer.instance.load(weights);
      tf.dispose(Object.values(weights));
      trainer.step = run.checkpoint.step;
    }
    run.trainer = trainer;
    run.state = 'paused';
    await this.probe();
    this.resume();
  }

  private stopClock(run: Run, state: RunState): void {
    if (run.state === 'running') run.elapsedMs += performance.now() - run.resumedAt;
    run.state = state;
  }

  /**
   * Reports an error. A lost GPU device makes work in flight fail *before* device.lost
   * resolves, so on WebGPU we give the loss a moment to be heard: then the user sees one
   * "device lost, resume" notice, not a raw mapAsync error.
   */
  private async fail(error: unknown): Promise<void> {
    const message = error instanceof Error ? error.message : String(error);
    if (this.backend?.name === 'webgpu') await new Promise((resolve) => setTimeout(resolve, 250));
    const run = this.run;
    if (run) {
      if (run.state === 'device-lost') return;
      this.stopClock(run, 'error');
    }
    this.post({ type: 'error', runId: run?.id ?? -1, message, recoverable: false });
    this.sendStatus(true);
  }

  private statusOf(run: Run): RunStatus {
    const running = run.state === 'running' ? performance.now() - run.resumedAt : 0;
    return {
      runId: run.id,
      state: run.state,
      step: run.trainer?.step ?? 0,
      totalSteps: Number(run.values.totalSteps),
      stepsPerSecond: run.stepsPerSecond,
      elapsedMs: run.elapsedMs + running,
      checkpointStep: run.checkpoint?.step ?? -1,
    };
  }

  private sendStatus(force: boolean): void {
    const run = this.run;
    if (!run) return;
    const now = performance.now();
    if (!force && now - this.lastStatusAt < STATUS_INTERVAL_MS) return;
    this.lastStatusAt = now;
    this.post({ type: 'status', status: this.statusOf(run) });
  }
}
