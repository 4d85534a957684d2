import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Trainer } from '../../training/trainer';
import { presetValues } from '../../state/url';
import type { PositionProbe } from '../probes';
import type { SettingValues } from '../schema';
import { locaDescription } from './description';
import { locaSizes } from './sizes';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const tiny = (overrides: SettingValues = {}) => ({ ...presetValues(locaDescription, 'tiny'), ...overrides });

async function weights(trainer: Trainer): Promise<Record<string, Float32Array>> {
  const out: Record<string, Float32Array> = {};
  for (const [name, tensor] of Object.entries(trainer.instance.save())) out[name] = ((await tensor.data()) as Float32Array).slice();
  return out;
}

const maxDifference = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

async function positionProbe(trainer: Trainer): Promise<PositionProbe> {
  const probe = (await trainer.probe()).find((p) => p.kind === 'position');
  if (probe?.kind !== 'position') throw new Error('no position probe');
  return probe;
}

describe('LOCA settings', () => {
  it('derives the token counts from the settings', () => {
    const defaults = presetValues(locaDescription, 'default');
    // 32 px, patch 4: 8×8 reference patches; η = 0.8 keeps round(0.2·64) = 13; the large query
    // keeps round(0.36·64) = 23 (70 of 196 in the paper); 16 px focal queries have 4×4 patches.
    expect(locaSizes(defaults)).toEqual({
      referenceGrid: 8, referencePatches: 64, referenceKept: 13, queryKept: 23, focalGrid: 4, focalPatches: 16,
    });
    expect(locaSizes({ ...defaults, maskRatio: 0 }).referenceKept).toBe(64);
    expect(locaSizes({ ...defaults, maskRatio: 0.95 }).referenceKept).toBe(3);
  });

  it('accepts its presets and names what is wrong with a bad combination', () => {
    for (const preset of locaDescription.presets) expect(locaDescription.validate(presetValues(locaDescription, preset.id))).toEqual([]);
    const problems = locaDescription.validate(tiny({ focalSize: 6 }));
    expect(problems).toEqual(['Focal query size 6 must be a multiple of the patch size 4.']);
    expect(locaDescription.validate(tiny({ focalScaleMin: 0.5, focalScaleMax: 0.2 }))).toEqual(['Focal min scale must not exceed its max scale.']);
  });
});

describe('LOCA views', () => {
  // The draws of one step, read through the instance's private drawStep (no tensor is made).
  type Draws = { reference: { hue: number }[]; query: { hue: number }[]; focal: { hue: number }[] };
  const largestHue = async (overrides: SettingValues) => {
    const trainer = await Trainer.create(locaDescription, tiny({ colorJitter: 1, ...overrides }));
    try {
      const draws = (trainer.instance as unknown as { drawStep(count: number): Draws }).drawStep(16);
      return Math.max(...[...draws.reference, ...draws.query, ...draws.focal].map((p) => Math.abs(p.hue)));
    } finally {
      trainer.dispose();
    }
  };

  it('turns the hue of every view as far as the hue jitter asks (the learn preset: any hue)', async () => {
    // Default 0.1 turns, as the paper's colour jitter: no view is turned further.
    expect(await largestHue({})).toBeLessThanOrEqual(0.1);
    // 0.5: uniform in ±0.5 turns; 16 images × 6 views, 80 % jittered, all but surely pass 0.3.
    expect(await largestHue({ hueJitter: 0.5 })).toBeGreaterThan(0.3);
    expect(presetValues(locaDescription, 'learn').hueJitter).toBe(0.5);
  });
});

describe('LOCA mechanisms (tiny, cpu)', () => {
  it('updates the teacher as an EMA of the student encoder and head, never by gradient', async () => {
    const trainer = await Trainer.create(locaDescription, tiny({ warmupSteps: 0 }));
    const before = await weights(trainer);
    const teacherNames = Object.keys(before).filter((n) => n.startsWith('teacher.'));
    // The teacher holds the encoder and the projection head only.
    expect(teacherNames.some((n) => n.startsWith('teacher.backbone.'))).toBe(true);
    expect(teacherNames.some((n) => n.startsWith('teacher.head.'))).toBe(true);
    expect(teacherNames.some((n) => n.includes('crossAttention') || n.startsWith('teacher.position.') || n.includes('finalNorm'))).toBe(false);
    void trainer.runStep(); // no readback wanted here
    const after = await weights(trainer);
    for (const name of teacherNames) {
      const student = after[name.replace('teacher.', 'student.')];
      const expected = before[name].map((t, i) => 0.996 * t + 0.004 * student[i]);
      expect(maxDifference(after[name], Float32Array.from(expected)), name).toBeLessThan(1e-6);
    }
    // The student did move (else the check above says nothing).
    expect(maxDifference(after['student.position.weight'], before['student.position.weight'])).toBeGreaterThan(0);
    trainer.dispose();
  });

  it('without the cluster loss there is no teacher and no cluster metrics', async () => {
    const trainer = await Trainer.create(locaDescription, tiny({ clusterLoss: false, metricsEvery: 1 }));
    const record = await trainer.runStep();
    expect(Object.keys(await weights(trainer)).some((n) => n.startsWith('teacher.'))).toBe(false);
    expect(record?.values.clusterLoss).toBeUndefined();
    // The loss is the position loss alone.
    expect(record!.values.loss).toBeCloseTo(record!.values.localizationLoss, 5);
    trainer.dispose();
  });

  it('adds the mean-entropy term only when it is on', async () => {
    for (const meanEntropy of [true, false]) {
      const trainer = await Trainer.create(locaDescription, tiny({ meanEntropy, metricsEvery: 1 }));
      const v = (await trainer.runStep())!.values;
      const expected = v.localizationLoss + v.clusterLoss - (meanEntropy ? v.predictionSpread : 0);
      expect(v.loss).toBeCloseTo(expected, 4);
      trainer.dispose();
    }
  });

  it('keeps the tensor count constant from step to step', async () => {
    const trainer = await Trainer.create(locaDescription, tiny({ metricsEvery: 1 }));
    await trainer.runStep();
    await trainer.runStep();
    const count = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) await trainer.runStep();
    expect(tf.memory().numTensors).toBe(count);
    trainer.dispose();
  });

  it('probes fixed views: full query grids, predictions that sum to 1, the masked run marked', async () => {
    const trainer = await Trainer.create(locaDescription, tiny());
    const first = await positionProbe(trainer);
    void trainer.runStep();
    const second = await positionProbe(trainer);
    trainer.dispose();
    const { referencePatches, referenceKept, queryKept, focalPatches } = locaSizes(tiny());
    expect(first.referenceGrid ** 2).toBe(referencePatches);
    expect(first.maskRatio).toBe(0.8);
    for (const example of first.examples) {
      const kept = Array.from(example.reference.kept);
      expect(kept.reduce((a, b) => a + b, 0)).toBe(referenceKept);
      // One contiguous run in raster order.
      const firstKept = kept.indexOf(1);
      expect(kept.slice(firstKept, firstKept + referenceKept).every((k) => k === 1)).toBe(true);
      expect(example.queries.map((q) => q.role)).toEqual(['random', 'focal', 'focal', 'focal', 'focal']);
      const [large, ...focals] = example.queries;
      expect(Array.from(large.used).reduce((a, b) => a + b, 0)).toBe(queryKept);
      expect(large.targets.length).toBe(referencePatches);
      for (const query of [large, ...focals]) {
        expect(query.pixels.length).toBe(query.size * query.size * 3);
        for (let p = 0; p < query.grid ** 2; p++) {
          const row = query.predictions.subarray(p * referencePatches, (p + 1) * referencePatches);
          const sum = row.reduce((a, b) => a + b, 0);
          expect(sum).toBeCloseTo(query.used[p] ? 1 : 0, 4);
          expect(query.targets[p]).toBeGreaterThanOrEqual(-1);
          expect(query.targets[p]).toBeLessThan(referencePatches);
        }
      }
      for (const focal of focals) expect(focal.targets.length).toBe(focalPatches);
    }
    // Same views at every probe (so the page shows predictions changing on unchanged views).
    expect(second.examples[0].queries[1].box).toEqual(first.examples[0].queries[1].box);
    expect(Array.from(second.examples[0].reference.kept)).toEqual(Array.from(first.examples[0].reference.kept));
    expect(maxDifference(second.examples[0].queries[0].predictions, first.examples[0].queries[0].predictions)).toBeGreaterThan(0);
  });
});
