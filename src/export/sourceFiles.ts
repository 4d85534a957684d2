/** The train.py sources read from disk (Node: the CLI and the tests). */
import { readFileSync } from 'node:fs';
import { EXPORT_FAMILY_NAMES, type ExportFamily } from './project';

export function readTrainSources(): Record<ExportFamily, string> {
  return Object.fromEntries(EXPORT_FAMILY_NAMES.map((family) => [family, readFileSync(new URL(`./python/${family}.py`, import.meta.url), 'utf8')])) as Record<ExportFamily, string>;
}
