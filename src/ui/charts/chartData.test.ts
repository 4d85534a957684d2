import { describe, expect, it } from 'vitest';
import { alignSeries, chartTestId, toAlignedData } from './chartData';

const history = { steps: [0, 2, 4], series: { loss: [3, Number.NaN, 1], lr: [0, 0.5, 1] } };

describe('toAlignedData', () => {
  it('puts steps first, then metrics in order, then constant reference columns', () => {
    const data = toAlignedData(history, ['loss', 'lr'], [{ value: 2.5, label: 'ln K' }]);
    expect(data).toEqual([[0, 2, 4], [3, null, 1], [0, 0.5, 1], [2.5, 2.5, 2.5]]);
  });

  it('turns unknown metrics into gaps', () => {
    expect(toAlignedData(history, ['missing'], [])).toEqual([[0, 2, 4], [null, null, null]]);
  });

  it('drops values ≤ 0 on a log axis', () => {
    expect(toAlignedData(history, ['lr'], [{ value: 0, label: 'zero' }], true)).toEqual([[0, 2, 4], [null, 0.5, 1], [null, null, null]]);
  });

  it('copies the steps (uPlot must not share the store array)', () => {
    const data = toAlignedData(history, [], []);
    expect(data[0]).not.toBe(history.steps);
  });

  it('handles an empty history', () => {
    expect(toAlignedData({ steps: [], series: {} }, ['loss'], [{ value: 1, label: 'x' }])).toEqual([[], [], []]);
  });
});

describe('chartTestId', () => {
  it('lower-cases and dashes the title', () => {
    expect(chartTestId('Loss')).toBe('chart-loss');
    expect(chartTestId('Teacher entropy (nats)')).toBe('chart-teacher-entropy-nats');
  });
});

describe('alignSeries', () => {
  it('joins runs recorded at different steps on the union of their steps', () => {
    const a = { steps: [2, 4, 6], values: [1, 2, 3] };
    const b = { steps: [3, 6], values: [10, 30] };
    expect(alignSeries([a, b], [{ value: 0, label: 'zero' }])).toEqual([
      [2, 3, 4, 6],
      [1, null, 2, 3],
      [null, 10, null, 30],
      [0, 0, 0, 0],
    ]);
  });

  it('shares one x column when the runs agree, and copes with an empty run', () => {
    const a = { steps: [2, 4], values: [1, 2] };
    expect(alignSeries([a, { steps: [], values: [] }], [])).toEqual([[2, 4], [1, 2], [null, null]]);
  });
});
