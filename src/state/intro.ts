/**
 * The "start here" introduction: shown on a first visit, remembered in localStorage so a
 * returning visitor is not shown it again (it can be reopened from the header). Storage that
 * throws (private modes, disabled cookies) counts as a first visit every time.
 */
import { actions } from './store';

const KEY = 'ssl-playground:intro-seen';

export function openIntroOnFirstVisit(): void {
  let seen = false;
  try {
    seen = window.localStorage.getItem(KEY) !== null;
    if (!seen) window.localStorage.setItem(KEY, new Date().toISOString());
  } catch {
    // No storage: shown, and not remembered.
  }
  if (!seen) actions.setIntroOpen(true);
}
