/**
 * Light or dark: the system's choice (prefers-color-scheme) unless the visitor picked one with
 * the header's toggle, kept in localStorage. The page's colours come from CSS variables under
 * `data-theme` on <html>; canvases that read them once (the charts) rebuild when `themeVersion`
 * in the store changes.
 */
import { actions, store } from './store';

export type ThemeChoice = 'auto' | 'light' | 'dark';
const KEY = 'ssl-playground:theme';
const dark = () => typeof window.matchMedia === 'function' && window.matchMedia('(prefers-color-scheme: dark)').matches;

function stored(): ThemeChoice {
  try {
    const value = window.localStorage.getItem(KEY);
    return value === 'light' || value === 'dark' ? value : 'auto';
  } catch {
    return 'auto';
  }
}

function apply(choice: ThemeChoice): void {
  const resolved = choice === 'auto' ? (dark() ? 'dark' : 'light') : choice;
  if (document.documentElement.dataset.theme === resolved && store.getState().theme === choice) return;
  document.documentElement.dataset.theme = resolved;
  actions.setTheme(choice, resolved);
}

export function startTheme(): void {
  apply(stored());
  window.matchMedia?.('(prefers-color-scheme: dark)').addEventListener?.('change', () => apply(store.getState().theme));
}

/** The toggle: auto → dark → light → auto. */
export function nextTheme(): void {
  const order: ThemeChoice[] = ['auto', 'dark', 'light'];
  const choice = order[(order.indexOf(store.getState().theme) + 1) % order.length];
  try {
    if (choice === 'auto') window.localStorage.removeItem(KEY);
    else window.localStorage.setItem(KEY, choice);
  } catch {
    // Not remembered; applied all the same.
  }
  apply(choice);
}
