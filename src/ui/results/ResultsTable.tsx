/**
 * The evaluation results: each evaluated run's latest scores on held-out images, every score
 * beside the same network's score at its random initialisation, sortable by any column; below,
 * the scores against the step for runs evaluated more than once.
 *
 * ResultsTableView is presentational (rows and callbacks in, markup out); ResultsTable connects
 * it to the store and the runner.
 */
import { useMemo, useState } from 'react';
import { evaluate, runner } from '../../state/runner';
import { useAppStore, type StoreState } from '../../state/store';
import { EvaluationChart } from './EvaluationChart';
import { LabelEfficiency } from './LabelEfficiency';
import {
  buildRows, deltaTone, formatDelta, formatScore, hasHistory, headerGroups, labelEfficiencySeries, nextSort, sortRows, visibleColumns,
  type ResultRow, type ResultsRunInput, type SortColumn, type SortState,
} from './resultsData';
import './results.css';

/** The focused run, as the Evaluate button needs it. */
export interface FocusedRunInfo {
  key: number;
  name: string;
  /** The worker has built its trainer (an evaluation can run). */
  ready: boolean;
  evaluating: boolean;
  /** What its evaluation is doing now ("step 40: fine-tuning on 10% of the masks, step 20/40"). */
  progress?: string;
  /** Its dataset: own images change what can be scored. */
  dataset?: string;
}

export interface ResultsTableViewProps {
  /** One per evaluated run (buildRows), in the runs' order. */
  rows: readonly ResultRow[];
  /** Names of the runs not evaluated yet (listed under the table). */
  pending?: readonly string[];
  /** The run the Evaluate button evaluates; null when there is none. */
  focused: FocusedRunInfo | null;
  onEvaluate: (key: number) => void;
  /** Clicking a run's name focuses it (optional). */
  onFocusRun?: (key: number) => void;
  /** Initial sort (default: the runs' order). */
  initialSort?: SortState | null;
}

const FIXED_COLUMNS: { id: SortColumn; label: string; help: string }[] = [
  { id: 'name', label: 'Run', help: 'The run, in its colour on the charts' },
  { id: 'method', label: 'Method', help: 'The self-supervised method it trains' },
  { id: 'settings', label: 'Settings', help: 'Its preset, and the settings changed from it' },
  { id: 'step', label: 'Step', help: 'The training step of its latest evaluation' },
];

const ARIA_SORT = { asc: 'ascending', desc: 'descending' } as const;

export function ResultsTableView({ rows, pending = [], focused, onEvaluate, onFocusRun, initialSort = null }: ResultsTableViewProps) {
  const [sort, setSort] = useState<SortState | null>(initialSort);
  const columns = useMemo(() => visibleColumns(rows), [rows]);
  const sorted = useMemo(() => sortRows(rows, sort), [rows, sort]);
  const busy = focused?.evaluating ?? false;
  const canEvaluate = focused !== null && focused.ready && !busy;

  const groups = useMemo(() => headerGroups(columns), [columns]);
  const grouped = groups.some((g) => g.label !== undefined);
  // A sortable header cell; with a grouped top row, lone columns span both header rows.
  const header = (id: SortColumn, label: string, help: string, numeric: boolean, rowSpan?: number) => {
    const direction = sort?.column === id ? sort.direction : undefined;
    return (
      <th key={id} scope="col" data-col={id} aria-sort={direction ? ARIA_SORT[direction] : 'none'} rowSpan={rowSpan}
        className={numeric ? 'results__num' : undefined}>
        <button type="button" onClick={() => setSort((current) => nextSort(current, id))} title={`${help}. Click to sort.`}>
          {label}
          <span className="results__sort" aria-hidden="true">{direction === 'asc' ? '▲' : direction === 'desc' ? '▼' : '↕'}</span>
        </button>
      </th>
    );
  };

  return (
    <section className="results" data-testid="results-table" aria-label="Results">
      <div className="results__head">
        <h2>Results</h2>
        <button type="button" className="results__evaluate" data-testid="evaluate-button"
          disabled={!canEvaluate} aria-busy={busy}
          onClick={() => focused && onEvaluate(focused.key)}
          title={!focused ? 'Add a run first'
            : busy ? `Evaluating ${focused.name}…`
              : !focused.ready ? `${focused.name} is still being built`
                : `Evaluate ${focused.name} at its current step`}>
          {busy ? 'Evaluating…' : 'Evaluate focused run'}
        </button>
        {focused && <span className="results__focused">{focused.name}</span>}
        {busy && focused?.progress && (
          <span className="results__progress" data-testid="evaluation-progress" role="status">{focused.progress}…</span>
        )}
      </div>
      <p className="results__caption">
        How useful are the features a run has learned? An evaluation freezes the network and
        tests it on 160 held-out images it never trained on (10 shapes: chance is 10%). <b>kNN</b>:
        is an image labelled like its 20 nearest neighbours in feature space? <b>Linear</b>: how
        well does one linear layer on the frozen features classify the shapes? <b>Seg mIoU</b>: how
        well does a per-patch linear probe separate the object from the background when it learns
        from 1%, 10% or 100% of the labelled training masks (up to 512; mean IoU of object and background)?{' '}
        <b>Attn Jaccard</b>: how well does the CLS token's attention cover the object (ViTs whose
        CLS is trained)? <b>Fine-tune mIoU</b> (DeP/DDeP): the whole network plus a new segmentation
        head trained on 1%, 10% or 100% of the masks — beside it, the same fine-tuning from a random
        initialisation, the comparison that shows what pre-training buys when labels are few. Beside each number,{' '}
        <i>(rand …)</i> is the same test of the same network at its random initialisation: the coloured gap, in
        percentage points, is what training added.
        {focused?.dataset && focused.dataset !== 'shapes' && (
          <span className="results__own" data-testid="results-own-images">
            {' '}<b>{focused.name} trains on your images “{focused.dataset}”</b>: they have no object masks, so only kNN and the
            linear probe are scored, on the held-out fifth of the set (at most 160 images), and only when the images came in
            one subfolder per class.
          </span>
        )}
      </p>
      {rows.length === 0 ? (
        <p className="results__empty" data-testid="results-empty">
          No evaluations yet: press <b>Evaluate focused run</b>, or set <b>Evaluate every</b> in
          the Run settings to evaluate while training.
        </p>
      ) : (
        <div className="results__scroll">
          <table className="results__table">
            <thead>
              <tr>
                {FIXED_COLUMNS.map((c) => header(c.id, c.label, c.help, c.id === 'step', grouped ? 2 : undefined))}
                {groups.map((group) => (group.label === undefined
                  ? group.columns.map(({ column, short }) => header(column.id, short, column.help, true, grouped ? 2 : undefined))
                  : (
                    <th key={group.label} scope="colgroup" colSpan={group.columns.length} className="results__group"
                      title={group.label === 'Seg mIoU' ? 'Segmentation probe mIoU, by the share of labelled masks it learns from' : undefined}>
                      {group.label}
                    </th>
                  )))}
              </tr>
              {grouped && (
                <tr>
                  {groups.filter((g) => g.label !== undefined).flatMap((group) => group.columns.map(({ column, short }) =>
                    header(column.id, short, column.help, true)))}
                </tr>
              )}
            </thead>
            <tbody>
              {sorted.map((row) => (
                <tr key={row.key} data-testid="results-row" data-run={row.key}
                  className={row.key === focused?.key ? 'results__row results__row--focused' : 'results__row'}>
                  <td data-col="name" className="results__run">
                    <span className="results__run-name">
                      <span className="results__swatch" style={{ background: row.color }} aria-hidden="true" />
                      {onFocusRun
                        ? <button type="button" onClick={() => onFocusRun(row.key)} title="Focus this run">{row.name}</button>
                        : <span>{row.name}</span>}
                    </span>
                  </td>
                  <td data-col="method">{row.method}</td>
                  <td data-col="settings" className="results__settings" title={row.settings}>{row.settings}</td>
                  <td data-col="step" data-value={row.step} className="results__num">
                    {row.step}
                    {row.evaluating && <span className="results__busy" title="A newer evaluation is running">evaluating…</span>}
                  </td>
                  {columns.map((column) => {
                    const cell = row.cells[column.id];
                    const tone = deltaTone(cell?.delta);
                    return (
                      <td key={column.id} data-col={column.id} className="results__num results__score"
                        data-value={cell?.value} data-baseline={cell?.baseline} data-delta={cell?.delta}>
                        <span className="results__value">{formatScore(cell?.value)}</span>
                        {cell?.delta !== undefined && (
                          <span className={`results__delta results__delta--${tone}`}
                            title="Percentage points above (+) or below (−) the untrained network">{formatDelta(cell.delta)}</span>
                        )}
                        {cell?.baseline !== undefined && (
                          <span className="results__rand" title="The same network at its random initialisation">
                            (rand {formatScore(cell.baseline)})
                          </span>
                        )}
                      </td>
                    );
                  })}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {rows.length > 0 && pending.length > 0 && (
        <p className="results__pending" data-testid="results-pending">Not evaluated yet: {pending.join(', ')}.</p>
      )}
      <LabelEfficiency series={labelEfficiencySeries(rows)} />
      {hasHistory(rows) && <EvaluationChart rows={rows} columns={columns} />}
    </section>
  );
}

// --- connected -------------------------------------------------------------------------------

/** Evaluations arrive rarely, metrics often: this keeps the same array while nothing the table shows changed. */
let cachedParts: unknown[] = [];
let cachedRuns: ResultsRunInput[] = [];
function selectResultRuns(state: StoreState): ResultsRunInput[] {
  const runs = state.runs;
  // The length too, should the evaluations ever grow in place.
  const parts = runs.flatMap((r) => [r.key, r.name, r.color, r.methodId, r.presetId, r.values, r.evaluations, r.evaluations.length, r.evaluating]);
  if (parts.length === cachedParts.length && parts.every((part, i) => part === cachedParts[i])) return cachedRuns;
  cachedParts = parts;
  cachedRuns = runs.map((r) => ({
    key: r.key, name: r.name, color: r.color, methodId: r.methodId, presetId: r.presetId, values: r.values,
    evaluations: r.evaluations.slice(), evaluating: r.evaluating,
  }));
  return cachedRuns;
}

const focusedRun = (state: StoreState) => state.runs.find((r) => r.key === state.focusedKey);
const selectFocusedKey = (state: StoreState) => focusedRun(state)?.key ?? -1;
const selectFocusedName = (state: StoreState) => focusedRun(state)?.name ?? '';
const selectFocusedEvaluating = (state: StoreState) => focusedRun(state)?.evaluating ?? false;
const selectFocusedProgress = (state: StoreState) => focusedRun(state)?.evaluationProgress ?? '';
const selectFocusedDataset = (state: StoreState) => String(focusedRun(state)?.values.dataset ?? 'shapes');
/** Built and not broken: the worker has a trainer to evaluate. */
const selectFocusedReady = (state: StoreState) => {
  const s = focusedRun(state)?.status?.state;
  return s === 'idle' || s === 'running' || s === 'paused' || s === 'finished';
};

/** The results table of this session's runs. */
export function ResultsTable() {
  const runs = useAppStore(selectResultRuns);
  const key = useAppStore(selectFocusedKey);
  const name = useAppStore(selectFocusedName);
  const evaluating = useAppStore(selectFocusedEvaluating);
  const progress = useAppStore(selectFocusedProgress);
  const ready = useAppStore(selectFocusedReady);
  const dataset = useAppStore(selectFocusedDataset);
  const rows = useMemo(() => buildRows(runs), [runs]);
  const pending = useMemo(() => runs.filter((r) => !r.evaluations?.length).map((r) => r.name), [runs]);
  const focused = key < 0 ? null : { key, name, ready, evaluating, progress, dataset };
  return <ResultsTableView rows={rows} pending={pending} focused={focused} onEvaluate={evaluate} onFocusRun={runner.focus} />;
}
