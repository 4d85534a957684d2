/**
 * When each lesson's difference shows: the step by which the runs' difference in the lesson's
 * metric (smoothed over 10 steps) has reached half its final size and stays there, or null when
 * at this size it stays within the runs' own step-to-step noise. Measured on the CPU (the same
 * maths on any backend) with one seed by `npm run lessons -- --out src/methods/lessonTimings.json`
 * (cli/lessonTiming.ts); lessonTimings.test.ts checks every lesson has its entry.
 */
import timings from './lessonTimings.json';

export interface LessonTimings {
  /** The date of the measurement (YYYY-MM-DD). */
  measured: string;
  seed: number;
  lessons: Record<string, { showsAfter: number | null; steps: number; finals: string }>;
}

const table = timings as LessonTimings;

/** The lesson's step (null: no clear difference at this size; undefined: never measured). */
export function lessonShowsAfter(lessonId: string): number | null | undefined {
  return table.lessons[lessonId]?.showsAfter;
}
