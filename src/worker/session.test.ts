import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { dinoDescription } from '../methods/dino/description';
import { presetValues } from '../state/url';
import type { WorkerEvent } from './protocol';
import { TrainingSession } from './session';
import { setBackendLoader } from '../engine/backend';
import type { Trainer } from '../training/trainer';

const values = (seed: number) => ({ ...presetValues(dinoDescription, 'tiny'), seed, metricsEvery: 1, probeEvery: 1000, totalSteps: 10 });

/** Resolves when `predicate` holds for the events so far. */
function until(events: WorkerEvent[], predicate: (events: WorkerEvent[]) => boolean, timeoutMs = 60_000): Promise<void> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const check = () => {
      if (predicate(events)) resolve();
      else if (Date.now() - started > timeoutMs) reject(new Error('timed out'));
      else setTimeout(check, 20);
    };
    check();
  });
}

const metricsOf = (events: WorkerEvent[], runId: number) =>
  events.filter((e): e is Extract<WorkerEvent, { type: 'metrics' }> => e.type === 'metrics' && e.runId === runId);
const lastStatus = (events: WorkerEvent[], runId: number) =>
  events.filter((e): e is Extract<WorkerEvent, { type: 'status' }> => e.type === 'status' && e.status.runId === runId).at(-1)?.status;

describe('TrainingSession with several runs (cpu)', () => {
  it('steps two runs in turn, pauses and removes one without disturbing the other, and frees everything', async () => {
    const events: WorkerEvent[] = [];
    const session = new TrainingSession((event) => events.push(event));
    await session.ensureBackend();
    await tf.ready();
    const before = tf.memory().numTensors;

    await session.handle({ type: 'start', runId: 1, methodId: 'dino', values: values(1), train: true });
    await session.handle({ type: 'start', runId: 2, methodId: 'dino', values: values(2), train: true });
    await until(events, (e) => metricsOf(e, 1).length >= 2 && metricsOf(e, 2).length >= 2);
    // Interleaved: neither run waited for the other to finish.
    expect(metricsOf(events, 1).length).toBeLessThan(10);
    expect(metricsOf(events, 2).length).toBeLessThan(10);
    // Probes go to the focused run only (the first one started).
    expect(events.some((e) => e.type === 'probes' && e.runId === 2)).toBe(false);

    await session.handle({ type: 'pause', runId: 1 });
    expect(lastStatus(events, 1)?.state).toBe('paused');
    const pausedAt = metricsOf(events, 1).length;
    await until(events, (e) => metricsOf(e, 2).length >= 4 || lastStatus(e, 2)?.state === 'finished');
    expect(metricsOf(events, 1).length).toBe(pausedAt);

    // Focusing a run probes it: at once when still, between two steps while it trains.
    await session.handle({ type: 'focus', runId: 2 });
    await until(events, (e) => e.some((x) => x.type === 'probes' && x.runId === 2));

    await session.handle({ type: 'stop', runId: 2 });
    expect(lastStatus(events, 2)?.state).toBe('idle');
    await session.handle({ type: 'resume', runId: 1 });
    await until(events, (e) => lastStatus(e, 1)?.state === 'finished');
    expect(metricsOf(events, 1).at(-1)?.record.step).toBe(10);
    expect(events.filter((e) => e.type === 'error')).toEqual([]);

    await session.handle({ type: 'stop', runId: 1 });
    expect(tf.memory().numTensors).toBe(before);
  }, 120_000);

  it('a stop that overtakes its start (it skips the request queue) cancels the run', async () => {
    const events: WorkerEvent[] = [];
    const session = new TrainingSession((event) => events.push(event));
    await session.handle({ type: 'stop', runId: 5 });
    await session.handle({ type: 'start', runId: 5, methodId: 'dino', values: values(1), train: true });
    expect(events.filter((e) => e.type === 'status' || e.type === 'metrics')).toEqual([]);
  });

  it('a stop that arrives while a still run is being probed waits for the probe (a lesson replacing the runs)', async () => {
    const events: WorkerEvent[] = [];
    const session = new TrainingSession((event) => events.push(event));
    await session.ensureBackend();
    await tf.ready();
    const before = tf.memory().numTensors;
    await session.handle({ type: 'start', runId: 7, methodId: 'dino', values: values(1), train: false });
    // Make the probe's readback slow, as on WebGPU, and record what happens in which order.
    const trainer = (session as unknown as { runs: Map<number, { trainer: Trainer }> }).runs.get(7)!.trainer;
    const order: string[] = [];
    const probe = trainer.probe.bind(trainer);
    trainer.probe = async () => {
      await new Promise((resolve) => setTimeout(resolve, 100));
      try {
        const payloads = await probe();
        order.push('probe done');
        return payloads;
      } catch (error) {
        order.push(`probe failed: ${(error as Error).message}`);
        throw error;
      }
    };
    const dispose = trainer.dispose.bind(trainer);
    trainer.dispose = () => {
      order.push('disposed');
      dispose();
    };
    const probing = session.handle({ type: 'focus', runId: 7 });
    await session.handle({ type: 'stop', runId: 7 }); // Stop skips the request queue
    await probing;
    expect(order).toEqual(['probe done', 'disposed']);
    expect(events.filter((e) => e.type === 'error')).toEqual([]);
    expect(tf.memory().numTensors).toBe(before);
  }, 60_000);

  it('exports a run’s weights and builds an identical run from them, paused where it was; refuses weights of another model', async () => {
    const events: WorkerEvent[] = [];
    const session = new TrainingSession((event) => events.push(event));
    await session.ensureBackend();
    await tf.ready();
    const before = tf.memory().numTensors;
    await session.handle({ type: 'start', runId: 11, methodId: 'dino', values: values(4), train: true });
    await until(events, (e) => metricsOf(e, 11).length >= 3);
    // Export while it trains: paused for the copy, then it goes on.
    await session.handle({ type: 'export', runId: 11 });
    const exported = events.find((e): e is Extract<WorkerEvent, { type: 'exported' }> => e.type === 'exported' && e.runId === 11)!;
    expect(exported.step).toBeGreaterThanOrEqual(3);
    expect(exported.elapsedMs).toBeGreaterThan(0);
    const runs = (session as unknown as { runs: Map<number, { trainer: Trainer }> }).runs;
    await session.handle({ type: 'pause', runId: 11 });

    await session.handle({
      type: 'start', runId: 12, methodId: 'dino', values: values(4), train: false,
      restore: { step: exported.step, elapsedMs: exported.elapsedMs, weights: exported.weights },
    });
    expect(lastStatus(events, 12)).toMatchObject({ state: 'paused', step: exported.step, checkpointStep: exported.step });
    const restored = runs.get(12)!.trainer.instance.save();
    expect(Object.keys(restored).sort()).toEqual(Object.keys(exported.weights!).sort());
    for (const [name, tensor] of Object.entries(restored)) {
      expect(Array.from(tensor.dataSync())).toEqual(Array.from(exported.weights![name].data));
    }
    // It continues from there.
    await session.handle({ type: 'step-once', runId: 12 });
    expect(lastStatus(events, 12)?.step).toBe(exported.step + 1);

    // Weights of another width: refused by name, no run left behind.
    await session.handle({
      type: 'start', runId: 13, methodId: 'dino', values: { ...values(4), width: Number((values(4) as Record<string, unknown>).width) * 2 }, train: false,
      restore: { step: exported.step, elapsedMs: 0, weights: exported.weights },
    });
    const error = events.find((e) => e.type === 'error' && e.runId === 13);
    expect(error && 'message' in error ? error.message : '').toMatch(/saved weights do not fit this model: .* is \[.*\] there and \[.*\] here/);
    expect(runs.get(13)?.trainer ?? null).toBeNull();

    for (const id of [11, 12, 13]) await session.handle({ type: 'stop', runId: id });
    expect(tf.memory().numTensors).toBe(before);
  }, 120_000);

  // Issue 23: "compute with WebAssembly" moves every run to another backend: each is paused,
  // checkpointed and rebuilt there, at the same step with the same weights, and a training run
  // goes on training. (Node has the wasm package; the page loads it on demand the same way.)
  it('moves its runs to another backend and back, keeping steps and weights', async () => {
    setBackendLoader(async (name) => {
      if (name === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
    });
    const events: WorkerEvent[] = [];
    const session = new TrainingSession((event) => events.push(event));
    const first = await session.ensureBackend();
    expect(first.name).toBe('cpu');
    const runs = (session as unknown as { runs: Map<number, { trainer: Trainer }> }).runs;
    await session.handle({ type: 'start', runId: 21, methodId: 'dino', values: { ...values(5), totalSteps: 1000 }, train: true });
    await session.handle({ type: 'start', runId: 22, methodId: 'dino', values: values(6), train: false });
    await until(events, (e) => metricsOf(e, 21).length >= 2);
    const stillWeights = Object.fromEntries(Object.entries(runs.get(22)!.trainer.instance.save()).map(([name, t]) => [name, Array.from(t.dataSync())]));

    await session.handle({ type: 'set-backend', name: 'wasm' });
    const backends = events.filter((e): e is Extract<WorkerEvent, { type: 'backend' }> => e.type === 'backend');
    expect(backends.at(-1)?.info.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    // The still run: rebuilt paused, at step 0, with the same (seeded) weights.
    expect(lastStatus(events, 22)).toMatchObject({ state: 'paused', step: 0 });
    for (const [name, tensor] of Object.entries(runs.get(22)!.trainer.instance.save())) {
      expect(Array.from(tensor.dataSync())).toEqual(stillWeights[name]);
    }
    // The training run: checkpointed where it was paused, rebuilt there, and training again.
    const checkpoint = events.filter((e): e is Extract<WorkerEvent, { type: 'checkpoint' }> => e.type === 'checkpoint' && e.runId === 21).at(-1)!;
    expect(checkpoint.step).toBeGreaterThanOrEqual(2);
    for (const [name, tensor] of Object.entries(runs.get(21)!.trainer.instance.save())) {
      // Equal until the rebuilt run's next step changes them: compare only if it has not stepped.
      if (runs.get(21)!.trainer.step === checkpoint.step) expect(Array.from(tensor.dataSync())).toEqual(Array.from(checkpoint.weights[name].data));
    }
    const moved = metricsOf(events, 21).length;
    await until(events, (e) => metricsOf(e, 21).length >= moved + 2);
    expect(metricsOf(events, 21).at(-1)!.record.step).toBeGreaterThan(checkpoint.step);
    expect(lastStatus(events, 21)?.state).toBe('running');

    await session.handle({ type: 'set-backend', name: 'cpu' });
    expect(tf.getBackend()).toBe('cpu');
    expect(lastStatus(events, 21)?.state).toBe('running');
    expect(events.filter((e) => e.type === 'error')).toEqual([]);
    for (const id of [21, 22]) await session.handle({ type: 'stop', runId: id });
  }, 120_000);
});
