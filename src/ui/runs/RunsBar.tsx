import { collapseModesOf } from '../../methods/collapse';
import { getMethod, methods } from '../../methods/registry';
import { useEffect, useRef } from 'react';
import { looksLikeImage, pickedFromDrop } from '../../state/decodeImages';
import { imageSets } from '../../state/imageSets';
import { runner } from '../../state/runner';
import { files } from '../../state/runFiles';
import { actions, changedSinceRun, useAppStore, type RunView, type StoreState } from '../../state/store';
import { MAX_RUNS } from '../../state/url';
import { SavedRuns } from './SavedRuns';

const selectRuns = (state: StoreState) => state.runs;
const selectFocusedKey = (state: StoreState) => state.focusedKey;
const selectChangedCount = (state: StoreState) => changedSinceRun(state).length;
const lessons = methods.flatMap((method) => method.lessons.map((lesson) => ({ method, lesson })));

function modeLabel(methodId: string, mode: string): string {
  return collapseModesOf(getMethod(methodId)).find((m) => m.id === mode)?.label ?? mode;
}

function stateText(run: RunView): string {
  const status = run.status;
  if (!status) return 'preparing…';
  if (status.state === 'initializing') return 'preparing…';
  return `${status.state} · ${status.step}/${status.totalSteps}`;
}

/**
 * The runs of this session: focus one (its settings fill the panel, its probes show), hide it
 * from the comparison, remove it, or add a sibling with the panel's changes. Lessons open a
 * ready-made comparison.
 */
export function RunsBar() {
  const runs = useAppStore(selectRuns);
  const focusedKey = useAppStore(selectFocusedKey);
  const changed = useAppStore(selectChangedCount);
  const anyRunning = runs.some((r) => r.status?.state === 'running');
  const anyPaused = runs.some((r) => r.status?.state === 'paused' && r.status.step < r.status.totalSteps);
  const anyBuilt = runs.some((r) => r.status && r.status.state !== 'initializing' && r.status.state !== 'idle');
  const picker = useRef<HTMLInputElement>(null);
  useDroppedExports();
  return (
    <section className="runs-bar" aria-label="Runs">
      <div className="runs-bar__head">
        <h2>Runs</h2>
        <button type="button" onClick={runner.duplicate} disabled={runs.length >= MAX_RUNS}
          title={changed > 0
            ? 'Start a sibling run with the settings changed in the panel; this run keeps its own.'
            : 'Start a copy of this run (change settings in the panel first to compare).'}>
          Duplicate with a change{changed > 0 ? ` (${changed})` : ''}
        </button>
        {runs.length > 1 && (
          <>
            <button type="button" onClick={runner.trainAll} disabled={!anyPaused}>Train all</button>
            <button type="button" onClick={runner.pauseAll} disabled={!anyRunning}>Pause all</button>
          </>
        )}
        <button type="button" onClick={() => void files.exportRuns()} disabled={!anyBuilt} data-testid="export-runs"
          title="Save every run here — settings, metric history, evaluations and weights — as one file, to open later or on another machine and continue training.">
          Export
        </button>
        <button type="button" onClick={() => void files.exportPyTorch()} disabled={!anyBuilt} data-testid="export-pytorch"
          title="The focused run as a PyTorch project (.zip): train.py for one GPU or torchrun, its settings, and its weights, so training continues where it stopped.">
          PyTorch…
        </button>
        <button type="button" onClick={() => picker.current?.click()}
          title="Open an exported file (or drop it on the page): its runs come back next to these, paused where they were, ready to continue. A PyTorch run (from PyTorch…): pick its log (.jsonl) and its last.safetensors together.">
          Import…
        </button>
        <input
          ref={picker} type="file" accept=".json,application/json,.jsonl,.log,.txt,.safetensors" multiple hidden data-testid="import-runs"
          aria-label="Import exported runs, or a PyTorch run's log with its last.safetensors"
          onChange={(event) => {
            const picked = [...(event.target.files ?? [])];
            event.target.value = '';
            if (picked.length > 0) void files.importFiles(picked);
          }}
        />
        <label className="lesson-picker">
          <span>Lesson</span>
          <select value="" onChange={(event) => event.target.value && runner.openLesson(event.target.value)}
            aria-label="Open a teaching comparison">
            <option value="">Open a teaching comparison…</option>
            {lessons.map(({ method, lesson }) => (
              <option key={lesson.id} value={lesson.id}>{method.title}: {lesson.title}</option>
            ))}
          </select>
        </label>
      </div>
      <ul className="runs-list">
        {runs.map((run) => (
          <li key={run.key} className={run.key === focusedKey ? 'run-chip run-chip--focused' : 'run-chip'}
            data-testid="run-chip" style={{ borderColor: run.key === focusedKey ? run.color : undefined }}>
            <input type="checkbox" checked={run.visible} aria-label={`Show ${run.name} on the comparison chart`}
              onChange={(event) => actions.setRunVisible(run.key, event.target.checked)} style={{ accentColor: run.color }} />
            <button type="button" className="run-chip__name" onClick={() => runner.focus(run.key)}
              aria-pressed={run.key === focusedKey} title="Show this run's settings, probes and collapse panel">
              <span className="swatch" style={{ background: run.color }} aria-hidden="true" />
              <span className="run-chip__label" title={run.name}>{run.name}</span>
            </button>
            <span className="run-chip__state">{stateText(run)}</span>
            {run.detector.active && (
              <span className="run-chip__collapse" title={`since step ${run.detector.active.since}`}>
                {modeLabel(run.methodId, run.detector.active.mode)}
              </span>
            )}
            {runs.length > 1 && (
              <button type="button" className="run-chip__remove" onClick={() => runner.remove(run.key)}
                aria-label={`Remove ${run.name}`} title="Remove this run">×</button>
            )}
          </li>
        ))}
      </ul>
      <SavedRuns />
    </section>
  );
}

/**
 * Files dropped anywhere on the page: one file that is not an image is imported as an export,
 * as with Import…; images or folders become an image set, as in the data settings.
 */
function useDroppedExports(): void {
  useEffect(() => {
    const carriesFiles = (event: DragEvent) => event.dataTransfer?.types.includes('Files') ?? false;
    const over = (event: DragEvent) => {
      if (carriesFiles(event)) event.preventDefault(); // allows the drop
    };
    const drop = (event: DragEvent) => {
      if (!carriesFiles(event)) return;
      event.preventDefault(); // not opened as a page
      const transfer = event.dataTransfer;
      if (!transfer) return;
      const only = transfer.files.length === 1 ? transfer.files[0] : null;
      const entry = transfer.items[0]?.webkitGetAsEntry?.();
      // One file that is not an image: an export (or the import says what it is not).
      if (only && !entry?.isDirectory && !looksLikeImage(only)) {
        void files.importRuns(only);
        return;
      }
      // A PyTorch run's log with its weights.
      const all = [...transfer.files];
      if (all.length === 2 && all.some((f) => /\.safetensors$/i.test(f.name))) {
        void files.importFiles(all);
        return;
      }
      void pickedFromDrop(transfer).then((picked) => imageSets.addPicked(picked));
    };
    window.addEventListener('dragover', over);
    window.addEventListener('drop', drop);
    return () => {
      window.removeEventListener('dragover', over);
      window.removeEventListener('drop', drop);
    };
  }, []);
}
