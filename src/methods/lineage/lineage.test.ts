import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Trainer } from '../../training/trainer';
import { presetValues } from '../../state/url';
import type { SettingValues } from '../schema';
import type { MethodDescription } from '../types';
import { byolDescription, mocoDescription, simclrDescription, simsiamDescription } from './descriptions';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const tiny = (method: MethodDescription, overrides: SettingValues = {}) => ({ ...presetValues(method, 'tiny'), ...overrides });

async function weights(trainer: Trainer): Promise<Record<string, Float32Array>> {
  const out: Record<string, Float32Array> = {};
  for (const [name, tensor] of Object.entries(trainer.instance.save())) out[name] = ((await tensor.data()) as Float32Array).slice();
  return out;
}

describe('the lineage’s mechanisms (tiny, cpu)', () => {
  it('BYOL: the target is an EMA of the online network, with the scheduled momentum', async () => {
    const trainer = await Trainer.create(byolDescription, tiny(byolDescription, { metricsEvery: 1 }));
    const before = await weights(trainer);
    const record = await trainer.runStep();
    const after = await weights(trainer);
    const m = record!.values.momentum;
    expect(m).toBeCloseTo(0.99, 6); // step 0 of the cosine from the base momentum to 1
    const name = 'backbone.blocks.0.qkv.weight';
    const expected = before[`target.${name}`].map((t, i) => m * t + (1 - m) * after[`online.${name}`][i]);
    let maxError = 0;
    expected.forEach((v, i) => (maxError = Math.max(maxError, Math.abs(v - after[`target.${name}`][i]))));
    expect(maxError).toBeLessThan(1e-6);
    expect(Object.keys(after).some((k) => k.startsWith('online.predictor.'))).toBe(true);
    trainer.dispose();
  });

  it('without a momentum encoder there is no target network, and without a predictor no predictor', async () => {
    const trainer = await Trainer.create(byolDescription, tiny(byolDescription, { momentumEncoder: false, predictor: false }));
    const names = Object.keys(trainer.instance.save());
    expect(names.some((k) => k.startsWith('target.'))).toBe(false);
    expect(names.some((k) => k.includes('predictor'))).toBe(false);
    trainer.dispose();
  });

  it('SimSiam’s constant predictor lr: at step 0 of the warm-up (lr 0) only the predictor moves, and the lr metric stays the schedule’s', async () => {
    // facebookresearch/simsiam --fix-pred-lr: the predictor's param group keeps init_lr while
    // the rest follows the schedule (here a linear warm-up from 0, so step 0 updates nothing else).
    const changed = (a: Record<string, Float32Array>, b: Record<string, Float32Array>, prefix: string) =>
      Object.keys(a).filter((k) => k.startsWith(prefix) && a[k].some((v, i) => v !== b[k][i])).length;
    for (const fixPredictorLr of [true, false]) {
      const trainer = await Trainer.create(simsiamDescription, tiny(simsiamDescription, { fixPredictorLr, metricsEvery: 1 }));
      const before = await weights(trainer);
      const record = await trainer.runStep();
      const after = await weights(trainer);
      expect(record!.values.learningRate).toBe(0);
      // The predictor's own lr is reported and charted beside the schedule's only when it differs.
      const values = tiny(simsiamDescription);
      const peak = (Number(values.learningRate) * Number(values.batchSize)) / 256; // lr × batch / 256
      if (fixPredictorLr) expect(record!.values.predictorLearningRate).toBeCloseTo(peak, 8);
      else expect(record!.values.predictorLearningRate).toBeUndefined();
      const lrChart = simsiamDescription.charts(tiny(simsiamDescription, { fixPredictorLr })).find((c) => c.id === 'learning-rate')!;
      expect(lrChart.lines.map((l) => l.name)).toEqual(fixPredictorLr ? ['learningRate', 'predictorLearningRate'] : ['learningRate']);
      expect(changed(before, after, 'online.predictor.')).toBe(fixPredictorLr ? Object.keys(before).filter((k) => k.startsWith('online.predictor.')).length : 0);
      expect(changed(before, after, 'online.backbone.')).toBe(0);
      if (fixPredictorLr) {
        await trainer.runStep(); // step 1: lr > 0, the backbone moves too
        expect(changed(after, await weights(trainer), 'online.backbone.')).toBeGreaterThan(0);
      }
      trainer.dispose();
    }
  });

  it('MoCo with a queue: each step writes its normalised keys over the oldest ones', async () => {
    const trainer = await Trainer.create(mocoDescription, tiny(mocoDescription, { queueSize: 64 })); // batch 16: 32 keys a step
    const dim = Number(tiny(mocoDescription).projectorOut);
    const initial = (await weights(trainer)).queue;
    void trainer.runStep(); // no readback wanted here
    const one = (await weights(trainer)).queue;
    const rowsChanged = (a: Float32Array, b: Float32Array) =>
      Array.from({ length: 64 }, (_, r) => a.subarray(r * dim, (r + 1) * dim).some((v, i) => v !== b[r * dim + i]));
    expect(rowsChanged(initial, one)).toEqual(Array.from({ length: 64 }, (_, r) => r < 32));
    for (let r = 0; r < 32; r++) expect(Math.hypot(...one.subarray(r * dim, (r + 1) * dim))).toBeCloseTo(1, 5);
    void trainer.runStep();
    const two = (await weights(trainer)).queue;
    expect(rowsChanged(one, two)).toEqual(Array.from({ length: 64 }, (_, r) => r >= 32));
    trainer.dispose();
    // Only momentum keys are enqueued: a queue without the momentum encoder is refused, not left random.
    expect(mocoDescription.validate(tiny(mocoDescription, { queueSize: 64 }))).toEqual([]);
    expect(mocoDescription.validate(tiny(mocoDescription, { queueSize: 64, momentumEncoder: false }))).toEqual([
      'A queue of negatives holds the momentum encoder’s keys: turn the momentum encoder on, or set the queue to 0 (negatives from the batch, as MoCo v3).',
    ]);
  });

  it('the tiny presets learn: SimCLR’s loss falls well below its value for identical embeddings', async () => {
    const values = tiny(simclrDescription, { metricsEvery: 10, totalSteps: 40 });
    const trainer = await Trainer.create(simclrDescription, values);
    const records = [];
    for (let i = 0; i < 40; i++) {
      const readback = trainer.runStep();
      if (readback) records.push(await readback);
    }
    trainer.dispose();
    const collapsed = 2 * Math.log(2 * Number(values.batchSize) - 1);
    expect(records[0].values.loss).toBeLessThan(collapsed + 0.1);
    expect(records.at(-1)!.values.loss).toBeLessThan(records[0].values.loss - 0.3);
    expect(records.at(-1)!.values.positiveSimilarity).toBeGreaterThan(records.at(-1)!.values.negativeSimilarity + 0.2);
  });

  it('SimSiam computes the same first loss with and without stop-gradient (it only changes the gradient)', async () => {
    const first = async (stopGradient: boolean) => {
      const trainer = await Trainer.create(simsiamDescription, tiny(simsiamDescription, { stopGradient, metricsEvery: 1 }));
      const record = await trainer.runStep();
      trainer.dispose();
      return record!.values.loss;
    };
    expect(await first(false)).toBeCloseTo(await first(true), 6);
  });

  it('a CNN backbone trains too: features of the configured width, no attention probe, tensors freed', async () => {
    const before = tf.memory().numTensors;
    const values = tiny(simclrDescription, { backbone: 'cnn', depth: 2, metricsEvery: 2, probeEvery: 2 });
    expect(simclrDescription.validate(values)).toEqual([]);
    const trainer = await Trainer.create(simclrDescription, values);
    await trainer.runStep();
    const record = await trainer.runStep();
    expect(Number.isFinite(record!.values.loss)).toBe(true);
    const features = trainer.instance.embed(trainer.data.probeImages);
    expect(features.shape).toEqual([8, Number(values.width)]);
    features.dispose();
    const kinds = (await trainer.probe()).map((p) => p.kind);
    expect(kinds).not.toContain('attention');
    expect(kinds).toEqual(expect.arrayContaining(['embedding', 'crops', 'similarity']));
    expect(simclrDescription.probeKinds(values)).not.toContain('attention');
    trainer.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(simclrDescription.validate({ ...values, depth: 5 })[0]).toMatch(/below 1 px/);
  });
});
