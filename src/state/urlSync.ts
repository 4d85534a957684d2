/**
 * The one store → URL subscription, and the URL → store path for pasted links.
 */
import { actions, store } from './store';
import { decodeExperiment, encodeExperiment } from './url';

export function hashOf(): string {
  return `#${encodeExperiment(store.getState().experiment)}`;
}

/** Reads the current location into the store (notices for anything bad). */
export function loadFromLocation(): void {
  if (window.location.hash.length <= 1) return;
  const { experiment, notices } = decodeExperiment(window.location.hash);
  actions.loadExperiment(experiment, notices);
}

export function startUrlSync(): () => void {
  let lastWritten = '';
  const write = () => {
    const hash = hashOf();
    if (hash === lastWritten) return;
    lastWritten = hash;
    if (window.location.hash !== hash) window.history.replaceState(null, '', hash);
  };
  write();
  const unsubscribe = store.subscribe((state, previous) => {
    if (state.experiment !== previous.experiment) write();
  });
  const onHashChange = () => {
    if (window.location.hash === lastWritten) return;
    loadFromLocation();
    write();
  };
  window.addEventListener('hashchange', onHashChange);
  return () => {
    unsubscribe();
    window.removeEventListener('hashchange', onHashChange);
  };
}
