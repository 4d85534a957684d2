import { describe, expect, it } from 'vitest';
import { methods } from './registry';
import { lessonShowsAfter } from './lessonTimings';
import { presetValues } from '../state/url';

describe('lesson timings', () => {
  it('say for every lesson when its difference shows, within its run', () => {
    for (const method of methods) {
      for (const lesson of method.lessons) {
        const when = lessonShowsAfter(lesson.id);
        expect(when, lesson.id).not.toBeUndefined();
        if (when !== null && when !== undefined) {
          expect(when).toBeGreaterThan(0);
          expect(when).toBeLessThanOrEqual(Number(presetValues(method, lesson.runs[0].preset).totalSteps));
        }
      }
    }
  });
});
