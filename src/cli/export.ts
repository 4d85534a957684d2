/**
 * `npm run export -- --link '#m=simclr&p=learn&s=1' --out my-simclr/ [--run runs.json]`: the
 * experiment of a link (or of a run file the app exported, weights included) as a PyTorch
 * project folder — train.py, config.json, README.md and weights.safetensors (see
 * docs/pytorch.md). Wrong flags and links are usage errors.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildProject, exportProblem, type ExportRequest } from '../export/project';
import { readTrainSources } from '../export/sourceFiles';
import { decodeRunFile } from '../state/runFile';
import { decodeExperiment, encodeExperiment } from '../state/url';
import { UsageError } from './args';

export const EXPORT_USAGE = `Usage: npm run export -- --link '<link or hash>' --out DIR
       npm run export -- --run FILE.json [--index N] --out DIR
--link exports a link's experiment (no weights: train.py starts from fresh weights).
--run exports a run the app saved with Export (its settings, and its weights as
weights.safetensors); --index picks a run of a comparison file (default: the focused one).
DIR must be new or empty.`;

export interface ExportArgs {
  out: string;
  request: ExportRequest;
}

export function parseExportArgs(argv: readonly string[], readText: (path: string) => string = (p) => readFileSync(p, 'utf8')): ExportArgs {
  let link: string | null = null;
  let run: string | null = null;
  let index: number | null = null;
  let out: string | null = null;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      const next = argv[++i];
      if (next === undefined || next.startsWith('--')) throw new UsageError(`${flag} needs a value`);
      return next;
    };
    switch (flag) {
      case '--link': link = value(); break;
      case '--run': run = value(); break;
      case '--index': index = Number(value()); break;
      case '--out': out = value(); break;
      default: throw new UsageError(`Unknown flag ${flag}`);
    }
  }
  if (!out) throw new UsageError('--out DIR is required');
  if ((link === null) === (run === null)) throw new UsageError('Give exactly one of --link and --run');
  let request: ExportRequest;
  if (link !== null) {
    const decoded = decodeExperiment(link);
    if (decoded.notices.length > 0) throw new UsageError(`Bad --link: ${decoded.notices.join(' ')}`);
    const { experiment } = decoded;
    request = { methodId: experiment.methodId, values: experiment.values, link: `#${encodeExperiment(experiment)}`, step: 0, weights: null };
  } else {
    let file;
    try {
      file = decodeRunFile(readText(run!));
    } catch (error) {
      throw new UsageError(`--run ${run}: ${(error as Error).message}`);
    }
    const chosen = file.runs[index ?? file.focus];
    if (!chosen) throw new UsageError(`--index ${index}: the file has runs 0–${file.runs.length - 1}`);
    const link = `#${encodeExperiment({ methodId: chosen.methodId, presetId: chosen.presetId, values: chosen.values })}`;
    request = { methodId: chosen.methodId, values: chosen.values, link, step: chosen.step, weights: chosen.weights };
  }
  const problem = exportProblem(request.methodId, request.values);
  if (problem) throw new UsageError(problem);
  return { out, request };
}

export function writeProject(args: ExportArgs): string[] {
  if (existsSync(args.out) && readdirSync(args.out).length > 0) throw new UsageError(`--out ${args.out} is not empty`);
  mkdirSync(args.out, { recursive: true });
  const files = buildProject(args.request, readTrainSources());
  for (const [name, content] of Object.entries(files)) writeFileSync(join(args.out, name), content);
  return Object.keys(files);
}

if (process.argv[1]?.endsWith('export.ts')) {
  try {
    const args = parseExportArgs(process.argv.slice(2));
    const names = writeProject(args);
    process.stderr.write(`wrote ${names.join(', ')} to ${args.out}\n  python ${join(args.out, 'train.py')} --data DIR\n`);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`error: ${error.message}\n${EXPORT_USAGE}\n`);
      process.exit(2);
    }
    throw error;
  }
}
