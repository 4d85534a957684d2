import { useEffect } from 'react';
import { runner } from '../state/runner';
import { actions, changedSinceRun, selectFocused, store, useAppStore, type StoreState } from '../state/store';
import { availableActions, toggle } from './controls/runActions';

const selectOpen = (state: StoreState) => state.shortcutsOpen;

export const SHORTCUTS = [
  { key: 'Space', what: 'Train, pause or resume the focused run' },
  { key: 'S', what: 'One step (when paused)' },
  { key: 'R', what: 'Reset: start again from step 0 with the panel’s settings' },
  { key: '?', what: 'Show or hide this list' },
] as const;

/** Typing in a field, or a key on a control that uses it, is never a shortcut. */
function typing(target: EventTarget | null, key: string): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable || target.closest('input, textarea, select, [contenteditable]')) return true;
  return key === ' ' && target.closest('button, summary, a, [role="button"]') !== null;
}

/** Acts on a key press; returns whether it was a shortcut. Exported for tests. */
export function handleShortcut(key: string): boolean {
  const state = store.getState();
  const run = selectFocused(state);
  const status = run?.status ?? null;
  const pausing = run?.pausing ?? false;
  const can = availableActions(status, pausing);
  switch (key) {
    case ' ':
      toggle(status, pausing, changedSinceRun(state).length > 0);
      return true;
    case 's':
    case 'S':
      if (can.step) runner.stepOnce();
      return true;
    case 'r':
    case 'R':
      runner.reset();
      return true;
    case '?':
      actions.setShortcutsOpen(!state.shortcutsOpen);
      return true;
    case 'Escape':
      if (!state.shortcutsOpen) return false;
      actions.setShortcutsOpen(false);
      return true;
    default:
      return false;
  }
}

/** The page's keyboard shortcuts (listened for on the window) and the list `?` shows. */
export function Shortcuts() {
  const open = useAppStore(selectOpen);
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.ctrlKey || event.metaKey || event.altKey || event.repeat || typing(event.target, event.key)) return;
      if (handleShortcut(event.key)) event.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
  if (!open) return null;
  return (
    <section className="shortcuts" role="dialog" aria-labelledby="shortcuts-title" data-testid="shortcuts">
      <h2 id="shortcuts-title">Keyboard shortcuts</h2>
      <dl>
        {SHORTCUTS.map((s) => (
          <div key={s.key}><dt><kbd>{s.key}</kbd></dt><dd>{s.what}</dd></div>
        ))}
      </dl>
      <p className="help">Not while typing in a field. Esc closes this list.</p>
      <button type="button" onClick={() => actions.setShortcutsOpen(false)}>Close</button>
    </section>
  );
}
