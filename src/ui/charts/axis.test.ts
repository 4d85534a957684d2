import { describe, expect, it } from 'vitest';
import { describeLine, formatTicks } from './axis';

// Issue 23: charts had repeated y labels ("0.0, 0.0, 0.0" on a narrow range), no ticks on tiny
// values (the attention-transfer chart, ~1e-5) and a hyphen for minus.
describe('tick labels', () => {
  it('use the fewest decimals that keep every label different', () => {
    expect(formatTicks([0, 1, 2, 3])).toEqual(['0', '1', '2', '3']);
    expect(formatTicks([1, 1.5, 2])).toEqual(['1.0', '1.5', '2.0']);
    expect(formatTicks([4.1, 4.12, 4.14])).toEqual(['4.10', '4.12', '4.14']);
  });
  it('write tiny and huge values with exponents, and negative values with a minus sign', () => {
    expect(formatTicks([0, 2e-5, 4e-5])).toEqual(['0', '2e-5', '4e-5']);
    expect(formatTicks([1e6, 2e6])).toEqual(['1e6', '2e6']);
    expect(formatTicks([-0.5, 0, 0.5])).toEqual(['−0.5', '0', '0.5']);
  });
});

describe('a chart’s text alternative', () => {
  it('says the points, the last value and the trend', () => {
    expect(describeLine('loss', [10, 20, 30], [4.2, 3.9, 3.1])).toBe('loss: 3 points from step 10 to 30; last 3.1, falling (from 4.2).');
    expect(describeLine('std', [10, 20], [0.2, 0.201])).toBe('std: 2 points from step 10 to 20; last 0.201, about level (from 0.2).');
    expect(describeLine('acc', [5], [0.5])).toBe('acc: 0.5 at step 5.');
    expect(describeLine('acc', [5, 6], [null, null])).toBe('acc: no points yet.');
  });
});
