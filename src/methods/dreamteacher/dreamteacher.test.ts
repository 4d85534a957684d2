import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { trainExperiment } from '../../cli/experiment';
import { Trainer } from '../../training/trainer';
import { presetValues } from '../../state/url';
import type { SettingValues } from '../schema';
import { changedNames as changed, probeOf, stepRecords as steps, weightsOf } from '../../training/testing';
import { dreamTeacherDescription } from './description';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** The tiny preset, smaller still: these tests check mechanisms, not learning. */
const small = (overrides: SettingValues = {}) => ({
  ...presetValues(dreamTeacherDescription, 'tiny'), teacherWidth: 4, width: 4, fpnChannels: 8, levels: 2, batchSize: 4,
  warmupSteps: 0, teacherSteps: 10, totalSteps: 20, ...overrides,
});

describe('DreamTeacher settings', () => {
  it('accepts its presets and names what is wrong with a bad combination', () => {
    for (const preset of dreamTeacherDescription.presets) {
      expect(dreamTeacherDescription.validate(presetValues(dreamTeacherDescription, preset.id))).toEqual([]);
    }
    expect(dreamTeacherDescription.validate(small({ mseLoss: false, attentionLoss: false }))[0]).toMatch(/Switch on feature regression/);
    expect(dreamTeacherDescription.validate(small({ teacherSteps: 20 }))[0]).toMatch(/teacher stage \(20 steps\) must be shorter/);
  });
});

describe('DreamTeacher stages (cpu)', () => {
  it('trains the teacher first, then only the student: distillation never changes the teacher', async () => {
    const trainer = await Trainer.create(dreamTeacherDescription, small());
    const teacher0 = await weightsOf(trainer, (n) => n.startsWith('teacher.'));
    const student0 = await weightsOf(trainer, (n) => n.startsWith('student.'));
    const teacherStage = await steps(trainer, 10);
    expect(teacherStage.every((r) => Number.isFinite(r.teacherLoss) && Number.isNaN(r.distillLoss) && Number.isNaN(r.mse0))).toBe(true);
    const teacher1 = await weightsOf(trainer, (n) => n.startsWith('teacher.'));
    const student1 = await weightsOf(trainer, (n) => n.startsWith('student.'));
    expect(changed(teacher0, teacher1)).toHaveLength(Object.keys(teacher0).length);
    expect(changed(student0, student1)).toEqual([]);

    const count = tf.memory().numTensors;
    const distillation = await steps(trainer, 6);
    expect(tf.memory().numTensors).toBe(count);
    expect(distillation.every((r) => Number.isNaN(r.teacherLoss) && Number.isFinite(r.distillLoss))).toBe(true);
    // MSE + AT on: the loss is the sum over levels of MSE + 10 · AT.
    for (const r of distillation) expect(r.distillLoss).toBeCloseTo(r.mse0 + r.mse1 + 10 * (r.at0 + r.at1), 3);
    const teacher2 = await weightsOf(trainer, (n) => n.startsWith('teacher.'));
    const student2 = await weightsOf(trainer, (n) => n.startsWith('student.'));
    expect(changed(teacher1, teacher2)).toEqual([]);
    expect(changed(student1, student2).length).toBeGreaterThan(0);
    trainer.dispose();
  }, 120_000);

  it('switches each loss term off (the paper’s ablation), still reporting both', async () => {
    for (const [overrides, expected] of [
      [{ attentionLoss: false }, (r: Record<string, number>) => r.mse0 + r.mse1],
      [{ mseLoss: false }, (r: Record<string, number>) => 10 * (r.at0 + r.at1)],
    ] as const) {
      const trainer = await Trainer.create(dreamTeacherDescription, small({ ...overrides, teacherSteps: 10 }));
      const records = await steps(trainer, 12);
      const last = records[records.length - 1];
      expect(last.distillLoss).toBeCloseTo(expected(last), 4);
      expect(Number.isFinite(last.mse0) && Number.isFinite(last.at0)).toBe(true);
      trainer.dispose();
    }
  }, 120_000);

  it('probes teacher and student features per level, coarse to fine, in the view’s ranges', async () => {
    const trainer = await Trainer.create(dreamTeacherDescription, small({ levels: 3 }));
    const before = await probeOf(trainer, 'features');
    expect(before.stage).toBe('teacher');
    expect(before.levels.map((l) => [l.name, l.size, l.channels])).toEqual([['S/4', 4, 16], ['S/2', 8, 8], ['S', 16, 4]]);
    for (const level of before.levels) {
      const rows = before.count * level.size * level.size;
      expect(level.teacherRgb).toHaveLength(rows * 3);
      expect(level.studentRgb).toHaveLength(rows * 3);
      expect(level.error).toHaveLength(rows);
      for (const v of [...level.teacherRgb, ...level.studentRgb]) expect(v >= 0 && v <= 1).toBe(true);
      expect(Math.max(...level.teacherAttention)).toBeCloseTo(1, 6);
      expect(level.mse).toBeCloseTo(level.error.reduce((a, b) => a + b, 0) / rows, 5);
      expect(level.attentionLoss).toBeGreaterThanOrEqual(0);
    }
    await steps(trainer, 11);
    const after = await probeOf(trainer, 'features');
    expect(after.stage).toBe('distillation');
    expect(after.levels[0].studentRgb).not.toEqual(before.levels[0].studentRgb);
    const kinds = (await trainer.probe()).map((p) => p.kind);
    expect(kinds).toEqual(['features', 'denoising', 'embedding']);
    trainer.dispose();
  }, 120_000);

  it('hands the fine-tuner a copy of the student (backbone and FPN)', async () => {
    const trainer = await Trainer.create(dreamTeacherDescription, small());
    const count = tf.memory().numTensors;
    const { network } = trainer.instance.fineTuneNetwork!();
    const features = tf.tidy(() => network.features(tf.zeros([2, 16, 16, 3])));
    expect(features.shape).toEqual([2, 16, 16, network.featureDim]);
    features.dispose();
    for (const variable of network.variables.values()) variable.dispose();
    expect(tf.memory().numTensors).toBe(count);
    trainer.dispose();
  }, 60_000);
});

describe('DreamTeacher tiny preset (cpu)', () => {
  it('distils: the regression and attention-transfer losses fall once the teacher is trained', async () => {
    // Seed 1: a 40-step teacher stage, then 60 distillation steps; the distillation loss falls
    // from about 20 to 15 (docs/NOTES.md).
    const values = { ...presetValues(dreamTeacherDescription, 'tiny'), seed: 1, totalSteps: 100, teacherSteps: 40, metricsEvery: 5 };
    const { records } = await trainExperiment('tiny', dreamTeacherDescription, values);
    const teacher = records.filter((r) => r.step <= 40);
    const distill = records.filter((r) => r.step > 40);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(teacher.at(-1)!.values.teacherLoss).toBeLessThan(teacher[0].values.teacherLoss);
    expect(mean(distill.slice(-3).map((r) => r.values.distillLoss))).toBeLessThan(0.9 * mean(distill.slice(0, 2).map((r) => r.values.distillLoss)));
    expect(mean(distill.slice(-3).map((r) => r.values.at1))).toBeLessThan(mean(distill.slice(0, 2).map((r) => r.values.at1)));
  }, 240_000);
});
