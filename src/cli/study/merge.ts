/**
 * A study written piece by piece (`--methods a`, later `--methods b`) into one `--out` file: the
 * rows this run measured replace their old ones, the rows of other methods stay. Only a file of
 * the same study (preset, backend, evaluation sizes) is merged; anything else is replaced whole.
 */
import type { CellResult } from './cell';
import type { RowSummary } from './table';

export interface StudyFile {
  date: string;
  preset: string;
  /** Every seed any row used (each row lists its own). */
  seeds: number[];
  backend: string;
  evaluation: { labelledBank: number; heldOut: number };
  rows: RowSummary[];
  cells: CellResult[];
}

export interface Merged {
  file: StudyFile;
  /** Ids of the rows kept from the earlier file. */
  kept: string[];
  /** Why the earlier file was not merged (null when it was, or there was none). */
  replaced: string | null;
}

/**
 * `fresh` with the rows of `previous` it does not measure, in `order` (the study's entry ids).
 * `methodOf(id)` names a row's method, so the kept rows keep their cells (a cell names its method).
 */
export function mergeStudy(
  previous: StudyFile | null, fresh: StudyFile, order: readonly string[], methodOf: (id: string) => string,
): Merged {
  if (!previous) return { file: fresh, kept: [], replaced: null };
  const differs = [
    previous.preset !== fresh.preset && `preset ${previous.preset}`,
    previous.backend !== fresh.backend && `backend ${previous.backend}`,
    (previous.evaluation?.labelledBank !== fresh.evaluation.labelledBank || previous.evaluation?.heldOut !== fresh.evaluation.heldOut)
      && 'other evaluation sizes',
  ].filter(Boolean);
  if (differs.length > 0) return { file: fresh, kept: [], replaced: `it holds another study (${differs.join(', ')})` };
  const freshIds = new Set(fresh.rows.map((r) => r.id));
  const keptRows = previous.rows.filter((r) => !freshIds.has(r.id));
  const freshMethods = new Set(fresh.rows.map((r) => methodOf(r.id)));
  const keptCells = previous.cells.filter((c) => !freshMethods.has(c.method));
  const rank = (id: string) => (order.includes(id) ? order.indexOf(id) : order.length);
  const rows = [...keptRows, ...fresh.rows].sort((a, b) => rank(a.id) - rank(b.id));
  const seeds = [...new Set(rows.flatMap((r) => r.seeds))].sort((a, b) => a - b);
  return { file: { ...fresh, seeds, rows, cells: [...keptCells, ...fresh.cells] }, kept: keptRows.map((r) => r.id), replaced: null };
}
