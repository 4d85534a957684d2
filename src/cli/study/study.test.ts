import { describe, expect, it } from 'vitest';
import { UsageError } from '../args';
import { parseStudyArgs, STUDY_ENTRIES } from './args';
import { cacheKey } from './cache';
import type { CellResult } from './cell';
import { markdownTable, stat, summarise } from './table';

describe('study arguments', () => {
  it('defaults to every method, seeds 1–3, the learn presets, wasm, two jobs', () => {
    const args = parseStudyArgs([]);
    expect(args.entries.map((e) => e.id)).toEqual(STUDY_ENTRIES.map((e) => e.id));
    expect(args.entries.map((e) => e.id)).toEqual(expect.arrayContaining(['dino', 'loca', 'itpn', 'mae', 'dep', 'ddep', 'dreamteacher', 'simclr', 'moco', 'byol', 'simsiam']));
    expect(args.seeds).toEqual([1, 2, 3]);
    expect(args.preset).toBe('learn');
    expect(args.backend).toBe('wasm');
    expect(args.jobs).toBe(2);
  });

  it('reads the flags of the issue’s example', () => {
    const args = parseStudyArgs(['--methods', 'dino,simclr', '--seeds', '1,2,3', '--preset', 'learn', '--backend', 'cpu', '--out', 'study.json']);
    expect(args.entries.map((e) => e.id)).toEqual(['dino', 'simclr']);
    expect(args.backend).toBe('cpu');
    expect(args.out).toBe('study.json');
  });

  it.each([
    [['--methods', 'dino,nope'], /unknown method "nope"/],
    [['--seeds', '1,x'], /non-negative integers/],
    [['--seeds', '1,1'], /twice/],
    [['--backend', 'tpu'], /--backend must be/],
    [['--jobs', '0'], /--jobs takes/],
    [['--set', 'nothing'], /key=value/],
    [['--out'], /needs a file name/],
    [['--frobnicate'], /unknown flag/],
  ])('refuses %j with a usage error', (argv, message) => {
    expect(() => parseStudyArgs(argv)).toThrow(UsageError);
    expect(() => parseStudyArgs(argv)).toThrow(message);
  });

  it('maps mae and ddep to their variant presets', () => {
    const mae = STUDY_ENTRIES.find((e) => e.id === 'mae')!;
    expect([mae.methodId, mae.preset('learn')]).toEqual(['itpn', 'learn-mae']);
    const ddep = STUDY_ENTRIES.find((e) => e.id === 'ddep')!;
    expect([ddep.methodId, ddep.preset('learn')]).toEqual(['dep', 'learn-ddep']);
  });
});

describe('study cache keys', () => {
  it('ignore key order and change with any value', () => {
    expect(cacheKey({ a: 1, b: { x: 1, y: 2 } })).toBe(cacheKey({ b: { y: 2, x: 1 }, a: 1 }));
    expect(cacheKey({ a: 1, b: { x: 1, y: 2 } })).not.toBe(cacheKey({ a: 1, b: { x: 1, y: 3 } }));
  });
});

describe('study summary', () => {
  it('gives mean, sample std and the standard error over seeds', () => {
    const s = stat([0.5, 0.6, 0.7])!;
    expect(s.mean).toBeCloseTo(0.6, 12);
    expect(s.std).toBeCloseTo(0.1, 12);
    expect(s.se).toBeCloseTo(0.1 / Math.sqrt(3), 12);
    expect(stat([])).toBeNull();
  });

  const cell = (seed: number, trained: number, untrained: number): CellResult => ({
    method: 'simclr', seed, steps: 100, trainSeconds: 60, msPerStep: 600, evalSeconds: 5, finalLoss: 1, backend: 'wasm',
    trained: { knn: trained, linear: trained }, untrained: { knn: untrained, linear: untrained },
  });

  it('checks the targets as margins over the baselines, and prints them', () => {
    const row = summarise({
      id: 'simclr', preset: 'learn', cells: [cell(1, 0.5, 0.2), cell(2, 0.6, 0.2)],
      raw: [{ knn: 0.3, linear: 0.2 }, { knn: 0.3, linear: 0.2 }], supervised: [{ knn: 0.9, linear: 0.9 }, null],
    });
    expect(row.scores.knn.trained!.mean).toBeCloseTo(0.55, 12);
    expect(row.scores.knn.supervised!.n).toBe(1);
    const knn = row.targets.find((t) => t.what === 'kNN − untrained')!;
    expect(knn.value).toBeCloseTo(0.35, 12);
    expect(knn.met).toBe(true);
    const raw = row.targets.find((t) => t.what === 'kNN − raw pixels')!;
    expect(raw.value).toBeCloseTo(0.25, 12);
    const table = markdownTable([row]);
    expect(table).toContain('| **simclr** (seeds 1,2; 100 steps, 60 s, 600 ms/step) | kNN | 0.300 ± 0.000 | 0.200 ± 0.000 | 0.550 ± 0.050 | 0.900 ± 0.000 | +0.350 |');
    expect(table).toContain('simclr: kNN − untrained = +0.350 (target ≥ +0.20) met');
  });
});
