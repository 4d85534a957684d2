import { findLesson } from '../../methods/registry';
import { actions, useAppStore, type StoreState } from '../../state/store';

const selectLesson = (state: StoreState) => state.lesson;

/** The explanation of the teaching comparison that is open: what to watch and why. */
export function LessonBox() {
  const lessonId = useAppStore(selectLesson);
  const found = lessonId ? findLesson(lessonId) : undefined;
  if (!found) return null;
  return (
    <section className="lesson-box" aria-label="Lesson" data-testid="lesson">
      <h2>{found.method.title} lesson: {found.lesson.title}</h2>
      <p>{found.lesson.text}</p>
      <button type="button" onClick={() => actions.setLesson(null)} aria-label="Close the lesson">Close</button>
    </section>
  );
}
