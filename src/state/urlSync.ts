/**
 * The one store → URL subscription, and the URL → runs path for opened and pasted links.
 */
import { runner } from './runner';
import { actions, store, type StoreState } from './store';
import { decodeComparison, landingExperiment, encodeComparison, type Comparison } from './url';

/** What the link holds: every run's settings (as edited), names, the focus and the lesson. */
export function comparisonOf(state: StoreState): Comparison {
  if (state.runs.length === 0) return { runs: [{ experiment: state.experiment, name: null }], focus: 0, lesson: state.lesson };
  const runs = state.runs.map((run) => ({
    experiment: run.key === state.focusedKey ? state.experiment : run.draft,
    name: run.name as string | null,
  }));
  // A lone run keeps the short single-experiment link: its automatic name is not worth carrying.
  if (runs.length === 1 && !state.lesson && /^Run \d+$/.test(runs[0].name ?? '')) runs[0].name = null;
  return { runs, focus: Math.max(0, state.runs.findIndex((r) => r.key === state.focusedKey)), lesson: state.lesson };
}

export function hashOf(): string {
  return `#${encodeComparison(comparisonOf(store.getState()))}`;
}

/** A link refused on arrival stays in the address bar (to reload once the page is newer) until the visitor changes something. */
let keepArrivalHash = false;

/** Builds the runs of the current link (the default experiment without one), paused at step 0. */
export function openFromLocation(): void {
  if (window.location.hash.length <= 1) {
    runner.openComparison({ runs: [{ experiment: landingExperiment(), name: null }], focus: 0, lesson: null });
    return;
  }
  const { comparison, notices, refused } = decodeComparison(window.location.hash);
  if (refused) {
    actions.notify('error', refused);
    // On arrival the page opens as without a link; a link pasted later leaves the runs as they are.
    if (store.getState().runs.length === 0) {
      keepArrivalHash = true;
      runner.openComparison(comparison);
    }
    return;
  }
  for (const text of notices) actions.notify('warning', text);
  runner.requestOpen(comparison, false, 'link');
}

export function startUrlSync(): () => void {
  let lastWritten = '';
  const write = () => {
    const hash = hashOf();
    if (hash === lastWritten) return;
    lastWritten = hash;
    if (window.location.hash !== hash) window.history.replaceState(null, '', hash);
  };
  if (keepArrivalHash) lastWritten = hashOf();
  else write();
  const unsubscribe = store.subscribe((state, previous) => {
    if (state.experiment !== previous.experiment || state.focusedKey !== previous.focusedKey || state.lesson !== previous.lesson) {
      write();
      return;
    }
    // Runs change on every metrics record; only their names, settings and number matter here.
    if (state.runs !== previous.runs) {
      const shape = (s: StoreState) => s.runs.map((r) => `${r.key}:${r.name}`).join('|');
      const drafts = state.runs.length !== previous.runs.length || state.runs.some((r, i) => r.draft !== previous.runs[i]?.draft);
      if (drafts || shape(state) !== shape(previous)) write();
    }
  });
  const onHashChange = () => {
    if (window.location.hash === lastWritten) return;
    openFromLocation();
    lastWritten = ''; // a refused link is replaced by what the page shows
    write();
  };
  window.addEventListener('hashchange', onHashChange);
  return () => {
    unsubscribe();
    window.removeEventListener('hashchange', onHashChange);
  };
}
