import { describe, expect, it } from 'vitest';
import { mergeStudy, type StudyFile } from './merge';
import type { CellResult } from './cell';
import type { RowSummary } from './table';

const row = (id: string, seeds: number[]): RowSummary => ({
  id, preset: 'learn', seeds, scores: {}, trainSeconds: null, msPerStep: null, steps: 800, targets: [],
});
const cell = (method: string, seed: number): CellResult => ({
  method, seed, steps: 800, trainSeconds: 1, msPerStep: 1, evalSeconds: 1, trained: {}, untrained: {}, finalLoss: 0, backend: 'wasm',
} as CellResult);
const study = (rows: RowSummary[], cells: CellResult[], over: Partial<StudyFile> = {}): StudyFile => ({
  date: '2026-12-07', preset: 'learn', seeds: [1], backend: 'wasm', evaluation: { labelledBank: 2000, heldOut: 1000 }, rows, cells, ...over,
});
const order = ['dino', 'simclr', 'dreamteacher'];
const methodOf = (id: string) => id;

describe('mergeStudy', () => {
  it('keeps the rows (and cells) of methods this run did not measure, in the study’s order', () => {
    const previous = study([row('dreamteacher', [1]), row('dino', [1]), row('simclr', [1])], [cell('dino', 1), cell('simclr', 1), cell('dreamteacher', 1)]);
    const fresh = study([row('simclr', [1, 2, 3])], [cell('simclr', 1), cell('simclr', 2), cell('simclr', 3)], { seeds: [1, 2, 3] });
    const { file, kept, replaced } = mergeStudy(previous, fresh, order, methodOf);
    expect(replaced).toBeNull();
    expect(kept).toEqual(['dreamteacher', 'dino']);
    expect(file.rows.map((r) => [r.id, r.seeds])).toEqual([['dino', [1]], ['simclr', [1, 2, 3]], ['dreamteacher', [1]]]);
    expect(file.cells.map((c) => `${c.method}${c.seed}`).sort()).toEqual(['dino1', 'dreamteacher1', 'simclr1', 'simclr2', 'simclr3']);
    expect(file.seeds).toEqual([1, 2, 3]);
  });

  it('replaces a file of another study whole, and says why', () => {
    const previous = study([row('dino', [1])], [cell('dino', 1)], { backend: 'cpu' });
    const fresh = study([row('simclr', [1])], [cell('simclr', 1)]);
    const merged = mergeStudy(previous, fresh, order, methodOf);
    expect(merged.file).toBe(fresh);
    expect(merged.replaced).toContain('backend cpu');
    expect(mergeStudy(null, fresh, order, methodOf)).toEqual({ file: fresh, kept: [], replaced: null });
  });
});
