import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Trainer } from '../../training/trainer';
import { presetValues } from '../../state/url';
import type { SettingValues } from '../schema';
import { dinoDescription } from './description';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

async function weights(trainer: Trainer): Promise<Record<string, Float32Array>> {
  const out: Record<string, Float32Array> = {};
  for (const [name, tensor] of Object.entries(trainer.instance.save())) out[name] = ((await tensor.data()) as Float32Array).slice();
  return out;
}

function maxDifference(a: Float32Array, b: Float32Array): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

const tiny = (overrides: SettingValues = {}) => ({ ...presetValues(dinoDescription, 'tiny'), ...overrides });

describe('DINO mechanisms (tiny, cpu)', () => {
  it('updates the teacher as an EMA of the student, and never by gradient', async () => {
    const trainer = await Trainer.create(dinoDescription, tiny({ freezeLastLayerSteps: 0 }));
    const before = await weights(trainer);
    // The teacher starts as an exact copy of the student.
    for (const name of Object.keys(before).filter((n) => n.startsWith('student.'))) {
      expect(maxDifference(before[name], before[name.replace('student.', 'teacher.')])).toBe(0);
    }
    void trainer.runStep(); // no readback wanted here
    const after = await weights(trainer);
    const momentum = 0.996; // step 0 of the cosine schedule: the base momentum
    for (const name of Object.keys(after).filter((n) => n.startsWith('teacher.'))) {
      const student = after[name.replace('teacher.', 'student.')];
      const expected = before[name].map((t, i) => momentum * t + (1 - momentum) * student[i]);
      expect(maxDifference(after[name], Float32Array.from(expected))).toBeLessThan(1e-6);
    }
    trainer.dispose();
  });

  it('with the momentum teacher off, the teacher is the student', async () => {
    const trainer = await Trainer.create(dinoDescription, tiny({ momentumTeacher: false }));
    void trainer.runStep();
    void trainer.runStep();
    const after = await weights(trainer);
    for (const name of Object.keys(after).filter((n) => n.startsWith('student.'))) {
      expect(maxDifference(after[name], after[name.replace('student.', 'teacher.')])).toBe(0);
    }
    trainer.dispose();
  });

  it('freezes the prototypes for the first steps, then trains them', async () => {
    const trainer = await Trainer.create(dinoDescription, tiny({ freezeLastLayerSteps: 2, warmupSteps: 0 }));
    const name = 'student.head.lastLayer.direction';
    const start = (await weights(trainer))[name];
    void trainer.runStep();
    void trainer.runStep();
    expect(maxDifference((await weights(trainer))[name], start)).toBe(0);
    void trainer.runStep();
    expect(maxDifference((await weights(trainer))[name], start)).toBeGreaterThan(0);
    trainer.dispose();
  });

  it('leaves the center at zero with centering off, and moves it with centering on', async () => {
    for (const centering of [false, true]) {
      const trainer = await Trainer.create(dinoDescription, tiny({ centering }));
      void trainer.runStep();
      const center = (await weights(trainer)).center;
      expect(Math.max(...center.map(Math.abs)) > 0).toBe(centering);
      trainer.dispose();
    }
  });

  it('trains the tiny preset: finite loss below ln K, and the embeddings spread out', async () => {
    // An untrained ViT maps every image to nearly the same CLS embedding (std × √D ≈ 0.25);
    // learning to tell the crops of different images apart spreads them (≈ 0.7 after 50
    // steps over seeds 1–3). The KL is not monotone at this scale (it falls, then rises as
    // the teacher's entropy climbs away from its early sharp targets); paper.test.ts checks
    // where a whole run ends.
    const trainer = await Trainer.create(dinoDescription, tiny({ metricsEvery: 5, totalSteps: 60, seed: 2 }));
    const records = [];
    for (let i = 0; i < 60; i++) {
      const readback = trainer.runStep();
      if (readback) records.push(await readback);
    }
    trainer.dispose();
    const lnK = Math.log(Number(tiny().outputDim));
    for (const record of records) {
      expect(Number.isFinite(record.values.loss)).toBe(true);
      expect(record.values.loss).toBeLessThan(lnK + 0.05);
      expect(record.values.kl).toBeGreaterThanOrEqual(-1e-4); // cross-entropy ≥ entropy
    }
    const std = records.map((r) => r.values.embeddingStd);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(std.slice(-3))).toBeGreaterThan(1.5 * std[0]);
  });

  it('reads the center back with the metrics window, equal to the center it trains with', async () => {
    const trainer = await Trainer.create(dinoDescription, tiny({ metricsEvery: 2 }));
    void trainer.runStep();
    const record = await trainer.runStep();
    const center = (await weights(trainer)).center;
    expect(record?.vectors?.center).toBeDefined();
    expect(maxDifference(record!.vectors!.center, center)).toBeLessThan(1e-7);
    expect(record!.values.centerNorm).toBeGreaterThan(0);
    trainer.dispose();
  });

  it('probes the teacher and student distributions: rows sum to 1 and the teacher is sharper', async () => {
    const trainer = await Trainer.create(dinoDescription, tiny());
    const payloads = await trainer.probe();
    trainer.dispose();
    const probe = payloads.find((p) => p.kind === 'distribution');
    if (probe?.kind !== 'distribution') throw new Error('no distribution probe');
    const K = Number(tiny().outputDim);
    expect(probe.classes).toBe(K);
    const entropy = (row: Float32Array) => -row.reduce((a, p) => a + (p > 0 ? p * Math.log(p) : 0), 0);
    for (let i = 0; i < probe.count; i++) {
      const t = probe.teacher.subarray(i * K, (i + 1) * K);
      const st = probe.student.subarray(i * K, (i + 1) * K);
      expect(t.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
      expect(st.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
      // At step 0 teacher = student and the center is 0: only τ_t < τ_s differs.
      expect(entropy(t)).toBeLessThan(entropy(st));
    }
  });
});
