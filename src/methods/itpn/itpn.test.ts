import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { trainExperiment } from '../../cli/experiment';
import { Trainer } from '../../training/trainer';
import { presetValues } from '../../state/url';
import type { SettingValues } from '../schema';
import { changedNames as changed, probeOf, stepRecords as steps, weightsOf as weights } from '../../training/testing';
import { itpnDescription } from './description';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** The tiny preset, smaller still: these tests check mechanisms, not learning. */
const small = (overrides: SettingValues = {}) => ({
  ...presetValues(itpnDescription, 'tiny'), width: 16, fpnWidth: 8, decoderWidth: 16, depth: 1, batchSize: 4,
  warmupSteps: 0, totalSteps: 20, ...overrides,
});

describe('iTPN settings', () => {
  it('accepts its presets and names what is wrong with a bad combination', () => {
    for (const preset of itpnDescription.presets) expect(itpnDescription.validate(presetValues(itpnDescription, preset.id))).toEqual([]);
    expect(itpnDescription.validate(small({ mim: false, mfm: false }))[0]).toMatch(/Switch on masked image modeling/);
    expect(itpnDescription.validate(small({ maskRatio: 0.95 }))[0]).toMatch(/keeps 0 of 16 patches/);
    expect(itpnDescription.validate(small({ patchSize: 2 }))[0]).toMatch(/multiple of 4/);
    // The plain ViT has no sub-tokens: 2 px patches are fine with the pyramid off.
    expect(itpnDescription.validate(small({ patchSize: 2, pyramid: false }))).toEqual([]);
  });
});

describe('iTPN mechanics (cpu)', () => {
  it('trains backbone, pyramid and decoder; the MFM targets’ backbone moves only as their moving average', async () => {
    const trainer = await Trainer.create(itpnDescription, small());
    const student0 = await weights(trainer, (n) => !n.startsWith('teacher.'));
    const teacher0 = await weights(trainer, (n) => n.startsWith('teacher.'));
    // The teacher starts as an exact copy of the backbone.
    for (const [name, values] of Object.entries(teacher0)) expect(values).toEqual(student0[name.replace('teacher.', 'backbone.')]);
    // Whole metrics windows (2 steps at tiny), so the trainer holds no half-summed window at either count.
    const records = await steps(trainer, 2);
    const count = tf.memory().numTensors;
    records.push(...await steps(trainer, 4));
    expect(tf.memory().numTensors).toBe(count);
    for (const r of records) {
      expect(r.loss).toBeCloseTo(r.mimLoss + r.mfmLoss, 4);
      expect(r.mfmLoss).toBeCloseTo((r.mfm0 + r.mfm1 + r.mfm2) / 3, 4);
    }
    const student1 = await weights(trainer, (n) => !n.startsWith('teacher.'));
    const teacher1 = await weights(trainer, (n) => n.startsWith('teacher.'));
    const moved = changed(student0, student1);
    for (const part of ['backbone.', 'neck.', 'decoder.featureHeads.', 'decoder.blocks.', 'decoder.pred.']) {
      expect(moved.some((name) => name.startsWith(part))).toBe(true);
    }
    expect(changed(teacher0, teacher1).length).toBeGreaterThan(0);
    // One more step: the teacher is exactly m·teacher + (1 − m)·backbone with the step's momentum m.
    const [last] = await steps(trainer, 1);
    const teacher2 = await weights(trainer, (n) => n.startsWith('teacher.'));
    const student2 = await weights(trainer, (n) => n.startsWith('backbone.'));
    const m = last.teacherMomentum;
    expect(m).toBeGreaterThan(0.99);
    for (const name of ['teacher.blocks.0.fc1.weight', 'teacher.patchEmbed.kernel', 'teacher.merge1.reduction']) {
      const source = student2[name.replace('teacher.', 'backbone.')];
      teacher2[name].forEach((t, i) => expect(t).toBeCloseTo(m * teacher1[name][i] + (1 - m) * source[i], 6));
    }
    trainer.dispose();
  }, 60_000);

  it('pyramid off is the plain ViT of MAE: no pyramid, one level, no HiViT stages', async () => {
    const trainer = await Trainer.create(itpnDescription, small({ pyramid: false }));
    const names = Object.keys(trainer.instance.save());
    expect(names.some((n) => n.startsWith('neck.'))).toBe(false);
    expect(names.some((n) => n.includes('stage1') || n.includes('merge'))).toBe(false);
    const [record] = await steps(trainer, 2);
    expect(Number.isFinite(record.mfm0) && record.mfm1 === undefined).toBe(true);
    const probe = await probeOf(trainer, 'reconstruction');
    expect(probe.pyramid).toBe(false);
    expect(probe.levels.map((l) => [l.name, l.perPatch, l.size, l.channels])).toEqual([['last layer', 1, 4, 16]]);
    trainer.dispose();
  }, 60_000);

  it('switches either loss off and still reports both; without MIM the pixel decoder does not move', async () => {
    const trainer = await Trainer.create(itpnDescription, small({ mim: false }));
    const before = await weights(trainer, (n) => n.startsWith('decoder.pred.') || n.startsWith('decoder.blocks.'));
    const [r] = await steps(trainer, 2);
    expect(r.loss).toBeCloseTo(r.mfmLoss, 5);
    expect(Number.isFinite(r.mimLoss)).toBe(true);
    expect(changed(before, await weights(trainer, (n) => n in before))).toEqual([]);
    trainer.dispose();

    const pixels = await Trainer.create(itpnDescription, small({ mfm: false }));
    expect(Object.keys(pixels.instance.save()).some((n) => n.startsWith('teacher.') || n.includes('featureHeads'))).toBe(false);
    const [p] = await steps(pixels, 2);
    expect(p.loss).toBeCloseTo(p.mimLoss, 5);
    expect(Number.isNaN(p.mfmLoss)).toBe(true);
    pixels.dispose();
  }, 60_000);

  it('probes the reconstruction with fixed masks: shapes, un-normalised pixels, level maps blank where masked', async () => {
    const trainer = await Trainer.create(itpnDescription, small());
    const probe = await probeOf(trainer, 'reconstruction');
    const { count: P, imageSize: S, grid } = probe;
    const N = grid * grid;
    expect([S, probe.patchSize, grid, probe.visible, probe.maskRatio]).toEqual([16, 4, 4, 4, 0.75]);
    expect(probe.reconstruction).toHaveLength(P * S * S * 3);
    expect(probe.error).toHaveLength(P * S * S);
    for (let p = 0; p < P; p++) {
      expect([...probe.order.subarray(p * N, (p + 1) * N)].sort((a, b) => a - b)).toEqual([...Array(N).keys()]);
      expect(probe.masked.subarray(p * N, (p + 1) * N).reduce((a, b) => a + b, 0)).toBe(N - probe.visible);
      // The first `visible` of the order are the kept patches.
      for (let j = 0; j < N; j++) expect(probe.masked[p * N + probe.order[p * N + j]]).toBe(j < probe.visible ? 0 : 1);
    }
    // MSE is the mean error over masked patches' pixels (error is the per-pixel channel mean).
    let sum = 0;
    let pixels = 0;
    for (let p = 0; p < P; p++) {
      for (let y = 0; y < S; y++) {
        for (let x = 0; x < S; x++) {
          const patch = Math.floor(y / 4) * grid + Math.floor(x / 4);
          if (probe.masked[p * N + patch]) { sum += probe.error[(p * S + y) * S + x]; pixels++; }
        }
      }
    }
    expect(probe.mse).toBeCloseTo(sum / pixels, 4);
    expect(probe.levels.map((l) => [l.perPatch, l.size])).toEqual([[1, 4], [2, 8], [4, 16]]);
    for (const level of probe.levels) {
      expect(level.rgb).toHaveLength(P * level.size * level.size * 3);
      expect(Number.isFinite(level.featureLoss)).toBe(true);
      // A masked patch's cells are 0; a visible patch's are coloured somewhere.
      const s = level.perPatch;
      const cell = (p: number, patch: number) => {
        const values: number[] = [];
        for (let a = 0; a < s; a++) {
          for (let b = 0; b < s; b++) {
            const at = ((p * level.size + Math.floor(patch / grid) * s + a) * level.size + (patch % grid) * s + b) * 3;
            values.push(...level.rgb.subarray(at, at + 3));
          }
        }
        return values;
      };
      const maskedPatch = probe.order[N - 1];
      expect(cell(0, maskedPatch).every((v) => v === 0)).toBe(true);
      expect(level.rgb.some((v) => v > 0)).toBe(true);
    }
    // The same masks next time; the mask ratio moves from the next probe on.
    const again = await probeOf(trainer, 'reconstruction');
    expect(again.masked).toEqual(probe.masked);
    trainer.setLive({ maskRatio: 0.5 });
    const half = await probeOf(trainer, 'reconstruction');
    expect([half.maskRatio, half.visible]).toEqual([0.5, 8]);
    expect(half.order).toEqual(probe.order);
    const [record] = await steps(trainer, 1);
    expect(Number.isFinite(record.mimLoss)).toBe(true);
    expect((await trainer.probe()).map((p) => p.kind)).toEqual(['reconstruction', 'embedding']);
    trainer.dispose();
  }, 60_000);

  it('gives dense features from the pyramid’s finest level, at 4 sub-tokens per patch side', async () => {
    const trainer = await Trainer.create(itpnDescription, small());
    const dense = tf.tidy(() => trainer.instance.embedDense!(tf.zeros([2, 16, 16, 3])));
    expect(dense.shape).toEqual([2, 16, 16, 8]);
    dense.dispose();
    const embedded = tf.tidy(() => trainer.instance.embed(tf.zeros([2, 16, 16, 3])));
    expect(embedded.shape).toEqual([2, 16]);
    embedded.dispose();
    trainer.dispose();
  }, 60_000);
});

describe('iTPN tiny preset (cpu)', () => {
  it('learns to paint the masked patches: the MIM loss falls from about 1', async () => {
    // Seed 1, 80 steps of the tiny preset without MFM (iTPN's pixel model, the official
    // itpn_pixel; MFM triples the CPU step): the normalised-pixel loss starts near 0.99 (an
    // untrained decoder predicts about each patch's mean) and ends near 0.81 (docs/NOTES.md).
    const values = { ...presetValues(itpnDescription, 'tiny'), mfm: false, seed: 1, totalSteps: 80, metricsEvery: 5 };
    const { records } = await trainExperiment('tiny', itpnDescription, values);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const first = mean(records.slice(0, 2).map((r) => r.values.mimLoss));
    const last = mean(records.slice(-3).map((r) => r.values.mimLoss));
    expect(first).toBeGreaterThan(0.95);
    expect(last).toBeLessThan(0.9 * first);
    for (const record of records) expect(Number.isFinite(record.values.loss)).toBe(true);
  }, 180_000);
});
