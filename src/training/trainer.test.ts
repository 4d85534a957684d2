import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { methods } from '../methods/registry';
import { presetValues } from '../state/url';
import { Trainer } from './trainer';

beforeAll(async () => {
  await tf.setBackend('cpu');
  tf.env().set('IS_TEST', true);
});

/** Runs `steps` steps and returns every metrics record. */
async function train(trainer: Trainer, steps: number) {
  const records = [];
  for (let i = 0; i < steps; i++) {
    const readback = trainer.runStep();
    if (readback) records.push(await readback);
  }
  return records;
}

for (const method of methods) {
  describe(`${method.id} (tiny preset, cpu)`, () => {
    const tiny = (overrides: Record<string, number | boolean | string> = {}) => ({
      ...presetValues(method, 'tiny'),
      ...overrides,
    });

    it('keeps tf.memory().numTensors flat over 10 steps and 2 probes, and frees everything on dispose', async () => {
      const before = tf.memory().numTensors;
      const trainer = await Trainer.create(method, tiny({ metricsEvery: 1, probeEvery: 4 }));
      await train(trainer, 2); // accumulators and optimizer state are created on the first step
      const afterWarmup = tf.memory().numTensors;
      for (let i = 0; i < 8; i++) {
        const readback = trainer.runStep();
        if (readback) await readback;
        if (trainer.probeDue) await trainer.probe();
        expect(tf.memory().numTensors).toBeLessThanOrEqual(afterWarmup + 3); // + the captured crops
      }
      trainer.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });

    it('loads its own checkpoint: every saved tensor restored into a run built from another seed', async () => {
      const source = await Trainer.create(method, tiny({ seed: 1, metricsEvery: 1 }));
      await train(source, 1);
      const saved = source.instance.save();
      const target = await Trainer.create(method, tiny({ seed: 2, metricsEvery: 1 }));
      target.instance.load(saved);
      const restored = target.instance.save();
      expect(Object.keys(restored).sort()).toEqual(Object.keys(saved).sort());
      for (const [name, tensor] of Object.entries(saved)) {
        expect(Array.from(await restored[name].data()), name).toEqual(Array.from(await tensor.data()));
      }
      expect(() => target.instance.load({})).toThrow(/Checkpoint has no tensor named/);
      source.dispose();
      target.dispose();
    });

    it('gives identical first losses for the same seed, different ones for another seed', async () => {
      const first = async (seed: number) => {
        const trainer = await Trainer.create(method, tiny({ seed, metricsEvery: 1 }));
        const records = await train(trainer, 2);
        trainer.dispose();
        return records.map((r) => r.values.loss);
      };
      const a = await first(7);
      const b = await first(7);
      const c = await first(8);
      expect(a).toEqual(b);
      expect(a).not.toEqual(c);
      for (const loss of a) expect(Number.isFinite(loss)).toBe(true);
    });

    it('reads back nothing on ordinary steps', async () => {
      const trainer = await Trainer.create(method, tiny({ metricsEvery: 5 }));
      const backend = tf.backend();
      const original = backend.read.bind(backend);
      let reads = 0;
      backend.read = (dataId) => {
        reads++;
        return original(dataId);
      };
      try {
        for (let i = 0; i < 4; i++) expect(trainer.runStep()).toBeNull();
        expect(reads).toBe(0);
        await trainer.runStep();
        expect(reads).toBe(1); // one stacked read for all metrics of the window
      } finally {
        backend.read = original;
        trainer.dispose();
      }
    });

    it('reports the collapse metrics its charts draw: embedding std and RankMe in range', async () => {
      const trainer = await Trainer.create(method, tiny({ metricsEvery: 2 }));
      const [record] = await train(trainer, 2);
      const batch = Number(tiny().batchSize);
      // Methods with nothing to collapse into (DeP's denoiser) report no embeddings, and chart none.
      const watched = method.charts(tiny()).some((chart) => chart.lines.some((line) => line.name === 'embeddingStd'));
      if (watched) {
        expect(record.values.embeddingStd).toBeGreaterThan(0);
        expect(record.values.embeddingStd).toBeLessThan(1.5);
        expect(record.values.rankMe).toBeGreaterThanOrEqual(1);
        expect(record.values.rankMe).toBeLessThanOrEqual(2 * batch + 1e-3); // at most min(N, D)
        // A step closed early (Step button, end of run) still carries the snapshot.
        const early = await trainer.runStep(true);
        expect(early?.values.rankMe).toBeGreaterThanOrEqual(1);
      } else {
        expect(record.values.embeddingStd).toBeUndefined();
        expect(record.values.rankMe).toBeUndefined();
      }
      // Every chart line is a metric the run reports.
      for (const chart of method.charts(tiny())) {
        for (const line of chart.lines) expect(Object.keys(record.values), `${chart.id}: ${line.name}`).toContain(line.name);
      }
      // Every probe it sends is one its description announces (the page shows only those).
      const kinds = (await trainer.probe()).map((p) => p.kind);
      for (const kind of kinds) expect(method.probeKinds(tiny())).toContain(kind);
      trainer.dispose();
    });
  });
}
