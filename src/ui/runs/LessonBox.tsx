import { findLesson } from '../../methods/registry';
import { lessonShowsAfter } from '../../methods/lessonTimings';
import { actions, selectStatus, useAppStore, type StoreState } from '../../state/store';
import { formatDuration } from '../controls/RunControls';

const selectLesson = (state: StoreState) => state.lesson;
const selectSpeed = (state: StoreState) => {
  const speed = selectStatus(state)?.stepsPerSecond ?? 0;
  return speed > 0 ? Number(speed.toPrecision(2)) : 0;
};

/** The explanation of the teaching comparison that is open: what to watch and why. */
export function LessonBox() {
  const lessonId = useAppStore(selectLesson);
  const found = lessonId ? findLesson(lessonId) : undefined;
  const speed = useAppStore(selectSpeed);
  if (!found) return null;
  const showsAfter = lessonShowsAfter(found.lesson.id);
  return (
    <section className="lesson-box" aria-label="Lesson" data-testid="lesson">
      <h2>{found.method.title} lesson: {found.lesson.title}</h2>
      <p>{found.lesson.text}</p>
      {showsAfter !== undefined && <p className="lesson-box__when" data-testid="lesson-when">{whenText(showsAfter, speed)}</p>}
      <button type="button" onClick={() => actions.setLesson(null)} aria-label="Close the lesson">Close</button>
    </section>
  );
}

/** When the difference shows, in steps and (once the run has a speed) in time. */
export function whenText(showsAfter: number | null, stepsPerSecond: number): string {
  if (showsAfter === null) {
    return 'At this size the difference in the charted metric stays within the runs’ step-to-step noise (seed 1): read the other curves the text names.';
  }
  if (showsAfter <= 5) return 'The difference shows from the first steps.';
  const time = stepsPerSecond > 0
    ? `: about ${formatDuration((showsAfter / stepsPerSecond) * 1000)} at this run’s ${stepsPerSecond} steps/s.`
    : '; how long that takes here shows once training starts.';
  return `The difference shows after about ${showsAfter} steps${time}`;
}
