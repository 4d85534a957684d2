import { destroyDeviceForTesting, gpuDone, maxGpuBufferBytes, onDeviceLost, onGpuError, preferring, releaseDevice, selectBackend, type BackendInfo, type BackendName } from '../engine/backend';
import { Trainer } from '../training/trainer';
import type { ImageSetData } from '../measures/imageSets';
import { getMethod } from '../methods/registry';
import type { SettingValues } from '../methods/schema';
import type { RestoredRun, WorkerEvent, WorkerRequest } from './protocol';
import { checkFits, createRun, PREPARING_PARTS, loadWeights, setState, statusOf, yieldToEventLoop, type Run } from './run';
import { checkpointRun, deviceLostMessage, dispatchStep, evaluateRun, exclusive, probeRun, settle, type RunContext } from './runWork';

/**
 * Weights are copied to the CPU this often in steps, or after this long in time, whichever
 * comes first (and on pause and at the end), so a lost GPU or a closed tab loses little. One
 * readback of the weights every 30 s is far below a step's cost.
 */
export const CHECKPOINT_EVERY = 200;
export const CHECKPOINT_EVERY_MS = 30_000;
/** Status messages at most this often while training (the page re-renders on each). */
const STATUS_INTERVAL_MS = 200;
const BACKEND_LABELS: Record<BackendName, string> = { webgpu: 'WebGPU', webgl: 'WebGL', cpu: 'the JavaScript CPU backend', wasm: 'WebAssembly' };
/** How long a backend switch waits for the runs to pause before giving the GPU up (switchBackend). */
const SWITCH_WAIT_MS = 3000;

/**
 * The worker's state machine. It keeps several runs (a comparison) on one device and steps
 * the running ones in turn, one step each, yielding to the event loop between steps. It owns
 * tfjs; the page only sends requests and renders events.
 *
 * Concurrency: one JavaScript thread, so "at once" means interleaved at `await`s.
 * - Requests (training.worker.ts) are handled one after another in arrival order, except
 *   Pause and Stop, which are handled on arrival: they must act between two steps, not after
 *   the queue drains. A Stop for a run whose Start is still queued marks it `cancelled`, and
 *   that Start then builds nothing.
 * - The loop (`loop`) is the only thing that steps running runs: one `iterate` per run in
 *   turn (a step, then its probe, checkpoint and evaluation when due), each recorded as the
 *   run's `busy` work, with a yield to the event loop after each.
 * - Work on a run that is not running (Step, a probe or an evaluation asked for by the page)
 *   goes through `exclusive`: it waits for the run's `busy` work and becomes the new one. On a
 *   running run the same requests only set `probeWanted` / `evaluateWanted`, and the loop does
 *   them between two steps, so nothing reads crops or weights a step is replacing.
 * - Metrics readbacks chain per run (`pendingMetrics`, at most one window behind); `settle`
 *   waits for them. Pause waits for `busy`; Stop waits for `busy` and the readbacks, then
 *   disposes the run: nothing may touch a trainer after that, and `live(run)` is checked after
 *   every await before posting an event for a run.
 * - A lost device (`handleDeviceLost`) marks every run lost; `recover` rebuilds them from
 *   their last CPU checkpoint on a new device.
 */
export class TrainingSession {
  private backend: BackendInfo | null = null;
  private backendReady: Promise<BackendInfo> | null = null;
  private readonly runs = new Map<number, Run>();
  private focusedId = -1;
  /** The scheduling loop while any run is running. */
  private loopDone: Promise<void> | null = null;
  /** Round-robin position among the runs. */
  private turn = 0;
  /** Runs stopped before their start request was handled (Stop skips the request queue). */
  private readonly cancelled = new Set<number>();

  /** What the run helpers (runWork.ts) need of the session. */
  private readonly context: RunContext = { post: (event) => this.post(event), live: (run) => this.live(run) };

  /** `choice`: the backend the visitor asked for (null: the usual webgpu → webgl → cpu). */
  constructor(private readonly post: (event: WorkerEvent) => void, private choice: BackendName | null = null) {
    onDeviceLost((reason) => this.handleDeviceLost(reason));
    onGpuError((kind, message) => this.handleGpuError(kind, message));
  }

  /** A failed allocation or invalid GPU work: stop every run and say what to change. */
  private handleGpuError(kind: string, message: string): void {
    const affected = [...this.runs.values()].filter((run) => run.trainer && run.state !== 'error' && run.state !== 'device-lost');
    if (affected.length === 0) return;
    for (const run of affected) setState(run, 'error');
    const advice = kind === 'out-of-memory'
      ? 'The model does not fit in this GPU\'s memory: lower the batch size, width, depth, prototypes K or image size, then Reset.'
      : 'The GPU rejected a computation, so results from here on would be wrong.';
    this.post({ type: 'error', runId: -1, recoverable: false, message: `${advice} (${kind}: ${message.split('\n')[0]})` });
    for (const run of affected) this.sendStatus(run, true);
  }

  ensureBackend(): Promise<BackendInfo> {
    if (!this.backendReady) {
      this.backendReady = selectBackend(preferring(this.choice)).then((info) => {
        this.backend = info;
        this.post({ type: 'backend', info });
        return info;
      });
    }
    return this.backendReady;
  }

  async handle(request: WorkerRequest): Promise<void> {
    const run = 'runId' in request ? this.runs.get(request.runId) : undefined;
    try {
      switch (request.type) {
        case 'start':
          return await this.start(request.runId, request.methodId, request.values, request.train, request.restore, request.images);
        case 'export':
          return run ? await this.exportRun(run, request.pause ?? false) : undefined;
        case 'pause':
          return run ? await this.pause(run) : undefined;
        case 'resume':
          return run ? this.resume(run) : undefined;
        case 'step-once':
          return run ? await this.stepOnce(run) : undefined;
        case 'stop':
          if (!run) this.cancelled.add(request.runId);
          return run ? await this.stop(run) : undefined;
        case 'set-config':
          return run ? this.setConfig(run, request.values) : undefined;
        case 'focus':
          this.focusedId = request.runId;
          return run ? await this.probeSoon(run) : undefined;
        case 'probe-now':
          return run ? await this.probeSoon(run) : undefined;
        case 'evaluate':
          return run ? await this.evaluateSoon(run) : undefined;
        case 'recover':
          return await this.recover();
        case 'set-backend':
          return await this.switchBackend(request.name);
        case 'simulate-device-loss':
          destroyDeviceForTesting();
          return;
      }
    } catch (error) {
      const target = request.type === 'start' ? this.runs.get(request.runId) : run;
      await this.fail(target ?? null, error);
    }
  }

  private live(run: Run): boolean {
    return this.runs.get(run.id) === run;
  }

  private async start(runId: number, methodId: string, values: SettingValues, train: boolean, restore?: RestoredRun, images?: ImageSetData): Promise<void> {
    if (this.cancelled.delete(runId)) return;
    const previous = this.runs.get(runId);
    if (previous) await this.stop(previous);
    const run = createRun(runId, methodId, values, images);
    this.runs.set(runId, run);
    if (this.focusedId < 0) this.focusedId = runId;
    this.sendStatus(run, true);
    const backend = await this.ensureBackend();
    checkFits(methodId, values, backend.name === 'webgpu' ? maxGpuBufferBytes() : null);
    const trainer = await Trainer.create(getMethod(methodId), values, images, (phase, progress) => {
      run.phase = phase;
      if (!progress) run.phaseCount = [Math.min(run.phaseCount[0] + 1, PREPARING_PARTS - 1), PREPARING_PARTS];
      this.sendStatus(run, true);
    });
    if (restore) {
      try {
        if (restore.weights) loadWeights(trainer, restore.weights);
      } catch (error) {
        trainer.dispose();
        throw error;
      }
      trainer.step = restore.step;
      run.elapsedMs = restore.elapsedMs;
      if (restore.weights && restore.step > 0) run.checkpoint = { step: restore.step, weights: restore.weights };
    }
    if (!this.live(run)) {
      trainer.dispose(); // removed while we were building
      return;
    }
    run.trainer = trainer;
    if (run.id === this.focusedId) {
      run.phase = 'computing the first probes (compiling their kernels)';
      run.phaseCount = [PREPARING_PARTS, PREPARING_PARTS];
      this.sendStatus(run, true);
      run.state = 'paused';
      await exclusive(run, this.context, () => probeRun(run, this.context));
    }
    run.state = 'paused';
    if (train) this.resume(run);
    else this.sendStatus(run, true);
  }

  private resume(run: Run): void {
    if (!run.trainer || (run.state !== 'paused' && run.state !== 'finished')) return;
    if (run.trainer.step >= run.trainer.common.totalSteps) return;
    run.state = 'running';
    run.resumedAt = performance.now();
    run.lastRecord = null;
    this.sendStatus(run, true);
    if (!this.loopDone) this.loopDone = this.loop().finally(() => (this.loopDone = null));
  }

  private async pause(run: Run): Promise<void> {
    if (run.state !== 'running') return;
    setState(run, 'paused');
    if (run.busy) await run.busy; // the step in flight completes first
    await settle(run);
    await checkpointRun(run, this.context);
    this.sendStatus(run, true);
  }

  private async stepOnce(run: Run): Promise<void> {
    const trainer = run.trainer;
    if (!trainer || run.state !== 'paused' || trainer.step >= trainer.common.totalSteps) return;
    const started = performance.now();
    const work = (async () => {
      void dispatchStep(run, this.context, true); // settle() awaits its readback
      await settle(run);
      if (run.id === this.focusedId) await probeRun(run, this.context);
    })();
    run.busy = work;
    try {
      await work;
    } finally {
      if (run.busy === work) run.busy = null;
    }
    run.elapsedMs += performance.now() - started;
    this.sendStatus(run, true);
  }

  /** Removes the run; its buffers are released once the step in flight has finished. */
  private async stop(run: Run): Promise<void> {
    if (!this.live(run)) return;
    this.runs.delete(run.id);
    const wasState = run.state;
    run.state = 'idle';
    this.post({ type: 'status', status: { ...statusOf(run), state: 'idle', step: 0 } });
    if (wasState !== 'device-lost') {
      // A removed run's readbacks may fail; nobody is listening any more.
      await (async () => (await run.busy, await run.pendingMetrics))().catch(() => {}); // the latter set while the step ran
    }
    this.disposeQuietly(run);
  }

  private disposeQuietly(run: Run): void {
    try {
      run.trainer?.dispose();
    } catch {
      // After a device loss the old buffers cannot be released cleanly.
    }
    run.trainer = null;
  }

  private setConfig(run: Run, values: SettingValues): void {
    const trainer = run.trainer;
    if (!trainer) return;
    trainer.setCadence(Number(values.metricsEvery ?? trainer.common.metricsEvery), Number(values.probeEvery ?? trainer.common.probeEvery));
    if (values.evalEvery !== undefined) run.evalEvery = Number(values.evalEvery);
    trainer.setLive(values);
  }

  /** Steps the running runs in turn until none is running. */
  private async loop(): Promise<void> {
    for (;;) {
      const running = [...this.runs.values()].filter((run) => run.state === 'running' && run.trainer);
      if (running.length === 0) return;
      const run = running[this.turn++ % running.length];
      const work = this.iterate(run);
      run.busy = work;
      try {
        await work;
      } catch (error) {
        // A run that was removed while a readback was in flight fails harmlessly: say nothing.
        if (this.live(run)) await this.fail(run, error);
      } finally {
        if (run.busy === work) run.busy = null;
      }
      if (this.live(run)) this.sendStatus(run, run.state !== 'running');
      await yieldToEventLoop();
    }
  }

  /** One step of one run, with its probe and checkpoint when due. */
  private async iterate(run: Run): Promise<void> {
    const trainer = run.trainer!;
    if (trainer.step >= trainer.common.totalSteps) {
      setState(run, 'finished');
      await settle(run);
      await checkpointRun(run, this.context);
      // A run evaluated on a cadence is also evaluated where it ends.
      if (run.evalEvery > 0 && run.lastEvaluatedStep !== trainer.step) await evaluateRun(run, this.context);
      return;
    }
    const first = trainer.step === 0; // its readback times the first step (shaders compiled); a chart point at once
    const behind = dispatchStep(run, this.context, first || trainer.step + 1 === trainer.common.totalSteps);
    if (behind) await behind;
    if (this.backend?.software && this.backend.name === 'webgpu') await gpuDone();
    if (first) await settle(run).then(() => (run.firstStepMs = performance.now() - run.resumedAt));
    if (!this.live(run)) return;
    if ((trainer.probeDue || run.probeWanted) && run.id === this.focusedId) await probeRun(run, this.context);
    if (trainer.step % CHECKPOINT_EVERY === 0 || performance.now() - run.checkpointAt > CHECKPOINT_EVERY_MS) await checkpointRun(run, this.context);
    if (run.evaluateWanted || (run.evalEvery > 0 && trainer.step % run.evalEvery === 0)) {
      await settle(run);
      await evaluateRun(run, this.context);
    }
  }

  /**
   * Probes now when the run is still, else between its next two steps: a probe racing the
   * loop could read crops that the next step is replacing.
   */
  private async probeSoon(run: Run): Promise<void> {
    if (run.state === 'running') run.probeWanted = true;
    else await exclusive(run, this.context, () => probeRun(run, this.context));
  }

  /** Evaluates now when the run is still, else between its next two steps. */
  private async evaluateSoon(run: Run): Promise<void> {
    if (run.state === 'running') run.evaluateWanted = true;
    else await exclusive(run, this.context, () => evaluateRun(run, this.context));
  }

  /** Sends the run's weights now; a training run is paused for the copy and goes on afterwards unless `stayPaused`. */
  private async exportRun(run: Run, stayPaused: boolean): Promise<void> {
    const wasRunning = run.state === 'running';
    if (wasRunning) await this.pause(run);
    await exclusive(run, this.context, async () => {
      await settle(run);
      await checkpointRun(run, this.context);
      const step = run.trainer?.step ?? 0;
      const weights = step > 0 && run.checkpoint?.step === step ? run.checkpoint.weights : null;
      this.post({ type: 'exported', runId: run.id, step, elapsedMs: statusOf(run).elapsedMs, weights });
    });
    if (wasRunning && !stayPaused && this.live(run)) this.resume(run);
  }

  private handleDeviceLost(reason: string): void {
    this.backendReady = null;
    const affected = [...this.runs.values()].filter((run) => run.state !== 'idle' && run.state !== 'device-lost');
    if (affected.length === 0) return;
    for (const run of affected) {
      run.wasRunning = run.state === 'running';
      setState(run, 'device-lost');
    }
    this.post({ type: 'error', runId: -1, recoverable: true, message: deviceLostMessage(reason, affected) });
    for (const run of affected) this.sendStatus(run, true);
  }

  /**
   * Moves every run to another backend (the speed advice's "compute with WebAssembly"): pauses
   * and checkpoints each, then rebuilds them on the new backend the way a lost device is
   * recovered; the runs that were training go on training. A software GPU can hold minutes of
   * queued steps: if pausing takes longer than SWITCH_WAIT_MS the device is given up, its queue
   * dropped, and a run goes on from its last checkpoint (at most CHECKPOINT_EVERY_MS old), which
   * a notice says.
   */
  private async switchBackend(name: BackendName | null): Promise<void> {
    this.choice = name;
    const current = await this.ensureBackend().catch(() => null);
    if (current && current.name === preferring(name)[0]) return;
    const built = [...this.runs.values()].filter((run) => run.trainer && run.state !== 'error' && run.state !== 'device-lost');
    const steps = new Map(built.map((run) => [run, run.trainer!.step]));
    for (const run of built) run.wasRunning = run.state === 'running';
    const paused = Promise.all(built.map((run) => this.pauseForSwitch(run)));
    const inTime = await Promise.race([paused.then(() => true), new Promise<boolean>((resolve) => setTimeout(resolve, SWITCH_WAIT_MS, false))]);
    if (!inTime && current?.name === 'webgpu') releaseDevice();
    await paused;
    await this.loopDone; // a step that failed with the released device has been heard
    for (const run of built) {
      setState(run, 'device-lost');
      run.stepsPerSecond = 0; // measured afresh on the new backend
      const from = run.checkpoint?.step ?? 0;
      if (from < steps.get(run)!) {
        this.post({ type: 'notice', message: `Moved to ${BACKEND_LABELS[name ?? 'webgpu']}: ${built.length === 1 ? 'the' : 'a'} run goes on from its copy at step ${from}; the GPU still had steps ${from + 1}–${steps.get(run)} queued, and they were dropped.` });
      }
    }
    this.backendReady = null;
    if (built.length === 0) await this.ensureBackend();
    else await this.recover(false);
  }

  /** Pause and checkpoint for a switch; a device given up meanwhile leaves the last checkpoint. */
  private async pauseForSwitch(run: Run): Promise<void> {
    try {
      await this.pause(run);
      await exclusive(run, this.context, async () => {
        await settle(run);
        await checkpointRun(run, this.context);
      });
    } catch {
      // The device was released: its readbacks fail, and the run's last checkpoint stands.
    }
  }

  /**
   * Rebuilds the backend and every lost run, each from its last checkpoint. A run that was
   * training goes on; so does a lone run after a device loss (`resumeLone`).
   */
  private async recover(resumeLone = true): Promise<void> {
    const lost = [...this.runs.values()].filter((run) => run.state === 'device-lost');
    if (lost.length === 0) return;
    for (const run of lost) {
      this.disposeQuietly(run);
      run.state = 'initializing';
      run.pendingMetrics = null;
      this.sendStatus(run, true);
    }
    await this.ensureBackend();
    for (const run of lost) {
      if (!this.live(run)) continue;
      const trainer = await Trainer.create(getMethod(run.methodId), run.values, run.images);
      if (run.checkpoint) {
        loadWeights(trainer, run.checkpoint.weights);
        trainer.step = run.checkpoint.step;
      }
      if (!this.live(run)) {
        trainer.dispose();
        continue;
      }
      run.trainer = trainer;
      run.state = 'paused';
      if (run.id === this.focusedId) await probeRun(run, this.context);
      if (run.wasRunning || (resumeLone && lost.length === 1)) this.resume(run);
      else this.sendStatus(run, true);
    }
  }

  /**
   * Reports an error. A lost GPU device makes work in flight fail *before* device.lost
   * resolves, so on WebGPU we give the loss a moment to be heard: then the user sees one
   * "device lost, resume" notice, not a raw mapAsync error.
   */
  private async fail(run: Run | null, error: unknown): Promise<void> {
    const message = error instanceof Error ? error.message : String(error);
    if (this.backend?.name === 'webgpu') await new Promise((resolve) => setTimeout(resolve, 250));
    if (run) {
      if (run.state === 'device-lost' || !this.live(run)) return;
      setState(run, 'error');
    }
    this.post({ type: 'error', runId: run?.id ?? -1, message, recoverable: false });
    if (run) this.sendStatus(run, true);
  }

  private sendStatus(run: Run, force: boolean): void {
    if (!this.live(run)) return;
    const now = performance.now();
    if (!force && now - run.lastStatusAt < STATUS_INTERVAL_MS) return;
    run.lastStatusAt = now;
    this.post({ type: 'status', status: statusOf(run) });
  }
}
