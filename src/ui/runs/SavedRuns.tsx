import { getMethod } from '../../methods/registry';
import type { SavedSummary } from '../../state/persist';
import { files } from '../../state/runFiles';
import { useAppStore, type StoreState } from '../../state/store';

const selectSaved = (state: StoreState) => state.saved;
const selectOpenUids = (state: StoreState) => state.runs.map((r) => r.uid).join(' ');

/** "just now", "4 min ago", "3 h ago", or the date. */
export function savedAgo(savedAt: number, now = Date.now()): string {
  const minutes = Math.round((now - savedAt) / 60_000);
  if (minutes < 1) return 'just now';
  if (minutes < 60) return `${minutes} min ago`;
  if (minutes < 24 * 60) return `${Math.round(minutes / 60)} h ago`;
  return new Date(savedAt).toLocaleDateString();
}

function progress(run: SavedSummary): string {
  const total = Number.isFinite(run.step) ? ` ${run.step} steps trained` : '';
  return run.checkpointStep > 0 ? `${total}, resumes at step ${run.checkpointStep}` : `${total}, no checkpoint yet (reopens at step 0)`;
}

/**
 * Runs this browser kept from earlier (and this) visits: reopen one, paused at its last
 * checkpoint with its history, or delete it. Open runs are marked.
 */
export function SavedRuns() {
  const saved = useAppStore(selectSaved);
  const open = new Set(useAppStore(selectOpenUids).split(' '));
  if (!saved || saved.length === 0) return null;
  return (
    <details className="saved-runs" data-testid="saved-runs" open={saved.some((run) => !open.has(run.uid))}>
      <summary>Saved in this browser ({saved.length})</summary>
      <p className="saved-runs__help">
        Runs are kept here as they train (checkpoints every 200 steps, every 30 s and on pause), so a reload or a crash
        loses little. Open one to see it again and continue training from its last checkpoint.
      </p>
      <ul className="saved-runs__list">
        {saved.map((run) => {
          const isOpen = open.has(run.uid);
          return (
            <li key={run.uid} className="saved-run" data-testid="saved-run" data-uid={run.uid}>
              <span className="saved-run__name" title={run.name}>{run.name}</span>
              <span className="saved-run__meta">
                {getMethod(run.methodId).title} ·{progress(run)} · saved {savedAgo(run.savedAt)}
              </span>
              <button type="button" onClick={() => void files.openSaved(run.uid)} disabled={isOpen}
                data-testid="saved-run-open" title={isOpen ? 'This run is open above.' : 'Open it beside the runs above, paused at its last checkpoint.'}>
                {isOpen ? 'Open above' : 'Open'}
              </button>
              <button type="button" disabled={isOpen} data-testid="saved-run-delete"
                onClick={() => {
                  if (window.confirm(`Delete the saved run “${run.name}” from this browser? This cannot be undone (export it first to keep a copy).`)) {
                    void files.forgetSaved(run.uid);
                  }
                }}
                aria-label={`Delete the saved run ${run.name}`}
                title={isOpen ? 'Remove it from the runs above first: an open run keeps being saved.' : 'Delete it from this browser.'}>
                Delete
              </button>
            </li>
          );
        })}
      </ul>
    </details>
  );
}
