import { describe, expect, it } from 'vitest';
import { showsAfter, smooth } from './lessonTiming';

describe('when a lesson’s difference shows', () => {
  const steps = Array.from({ length: 100 }, (_, i) => i + 1);
  it('is the first step from which the smoothed gap stays above half its final size', () => {
    const healthy = steps.map(() => 1);
    const broken = steps.map((s) => (s < 40 ? 1 : 2)); // a step change at 40
    // The 10-step mean reaches half the final gap (0.5) at step 44 and stays.
    expect(showsAfter(steps, healthy, broken)).toBe(44);
    expect(smooth([1, 2, 3, 4], 2)).toEqual([1, 1.5, 2.5, 3.5]);
  });
  it('is null when the runs differ by less than the noise of a step', () => {
    const healthy = steps.map((s) => 1 + (s % 2 ? 0.3 : -0.3));
    const broken = steps.map((s) => 1.05 + (s % 2 ? -0.3 : 0.3));
    expect(showsAfter(steps, healthy, broken)).toBeNull();
  });
});
