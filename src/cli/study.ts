/**
 * `npm run study`: trains a grid of methods × seeds with the app's engine and evaluates each on
 * the study's held-out split beside raw pixels, the untrained network and a supervised
 * reference. Each cell runs in a child process of its own (--jobs at once; tfjs's wasm and cpu
 * backends use one core each), and is cached on disk when it finishes, so an interrupted study
 * resumes and `--methods` can be run piecewise. `npm run study -- --help` for the flags.
 */
import { fork } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { getMethod } from '../methods/registry';
import { parseSettingValue, type SettingValues } from '../methods/schema';
import { presetValues } from '../state/url';
import { UsageError } from './args';
import { cacheKey, StudyCache } from './study/cache';
import { parseStudyArgs, STUDY_ENTRIES, STUDY_USAGE, type StudyArgs, type StudyEntry } from './study/args';
import type { LearnReference } from '../methods/learnReference';
import type { CellResult, CellScores } from './study/cell';
import { markdownTable, summarise, type RowSummary } from './study/table';
import { mergeStudy, type StudyFile } from './study/merge';
import { STUDY_BANK_COUNT, STUDY_TEST_COUNT } from '../engine/data/studyData';

type TaskKind = 'cell' | 'raw' | 'supervised';

export interface StudyTask {
  kind: TaskKind;
  key: string;
  label: string;
  methodId: string;
  values: SettingValues;
  backend: StudyArgs['backend'];
}

type WorkerMessage =
  | { type: 'progress'; done: number; total: number; stage: string }
  | { type: 'result'; value: unknown }
  | { type: 'error'; message: string };

/** The settings of one entry at one seed: the preset, then every --set, validated. */
export function resolveValues(entry: StudyEntry, preset: string, seed: number, sets: readonly [string, string][]): SettingValues {
  const method = getMethod(entry.methodId);
  const presetId = entry.preset(preset);
  if (!method.presets.some((p) => p.id === presetId)) {
    throw new UsageError(`${method.title} has no preset "${presetId}" (known: ${method.presets.map((p) => p.id).join(', ')})`);
  }
  const values: SettingValues = { ...presetValues(method, presetId), seed };
  for (const [key, raw] of sets) {
    const setting = method.settings.find((s) => s.name === key || s.urlKey === key);
    if (!setting) throw new UsageError(`unknown setting "${key}" for ${method.id}`);
    try {
      values[setting.name] = parseSettingValue(setting, raw);
    } catch (error) {
      throw new UsageError(`${method.id}: ${(error as Error).message}`);
    }
  }
  const problems = method.validate(values);
  if (problems.length > 0) throw new UsageError(`${entry.id}: ${problems.join(' ')}`);
  return values;
}

const sizes = { bank: STUDY_BANK_COUNT, test: STUDY_TEST_COUNT };

/** What the raw-pixel row depends on: the images only. */
function rawKey(values: SettingValues): string {
  const { seed, imageSize, difficulty, distractors } = values;
  return cacheKey({ kind: 'raw', seed, imageSize, difficulty, distractors, sizes });
}

/**
 * The supervised reference is one per method and data, trained from that method's own initial
 * weights (the lineage draws each method's weights from a stream of its own, so SimCLR's and
 * BYOL's CNNs start apart even at one seed, and cannot share one). Its key is the settings that
 * shape the backbone and its training, which every method names the same way; rows of one
 * method (DeP and DDeP, iTPN and MAE) share it where those agree.
 */
const SUPERVISED_KEYS = [
  'seed', 'imageSize', 'difficulty', 'distractors', 'datasetSize', 'batchSize', 'totalSteps', 'backbone', 'patchSize',
  'width', 'depth', 'heads', 'mlpRatio', 'cropScaleMin', 'globalScaleMin', 'pyramid', 'channels', 'levels', 'studentWidth',
];
function supervisedKey(methodId: string, values: SettingValues, backend: string): string {
  const picked = Object.fromEntries(SUPERVISED_KEYS.filter((k) => k in values).map((k) => [k, values[k]]));
  return cacheKey({ kind: 'supervised', family: methodId, picked, backend, sizes });
}

/**
 * The tasks in the order they run: seed by seed, and within a seed row by row (the row's cell,
 * then its raw-pixel and supervised baselines unless another row listed them already). A study
 * stopped part-way thus has every row at its first seeds, and whole rows to read.
 */
function tasksFor(args: StudyArgs): { tasks: StudyTask[]; rows: { entry: StudyEntry; cells: string[]; raw: string[]; supervised: string[] }[] } {
  const tasks = new Map<string, StudyTask>();
  const rows = args.entries.map((entry) => ({ entry, cells: [] as string[], raw: [] as string[], supervised: [] as string[] }));
  for (const seed of args.seeds) {
    for (const row of rows) {
      const { entry } = row;
      const values = resolveValues(entry, args.preset, seed, args.sets);
      const base = { methodId: entry.methodId, values, backend: args.backend };
      const cell = cacheKey({ kind: 'cell', entry: entry.id, values, backend: args.backend, sizes });
      tasks.set(cell, { kind: 'cell', key: cell, label: `${entry.id} seed ${seed}`, ...base });
      row.cells.push(cell);
      if (!args.baselines) continue;
      const r = rawKey(values);
      if (!tasks.has(r)) tasks.set(r, { kind: 'raw', key: r, label: `raw pixels (${values.imageSize} px, seed ${seed})`, ...base });
      row.raw.push(r);
      const s = supervisedKey(entry.methodId, values, args.backend);
      if (!tasks.has(s)) tasks.set(s, { kind: 'supervised', key: s, label: `supervised ${entry.id} seed ${seed}`, ...base });
      row.supervised.push(s);
    }
  }
  return { tasks: [...tasks.values()], rows };
}

function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

/** Runs one task in a child process (this file with --worker). */
function runInChild(task: StudyTask, onProgress: (message: Extract<WorkerMessage, { type: 'progress' }>) => void): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const child = fork(process.argv[1], ['--worker'], { execArgv: process.execArgv, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => { stderr = (stderr + chunk.toString()).slice(-4000); });
    let settled = false;
    child.on('message', (message: WorkerMessage) => {
      if (message.type === 'progress') {
        onProgress(message);
      } else if (message.type === 'result') {
        settled = true;
        resolve(message.value);
      } else {
        settled = true;
        reject(new Error(message.message));
      }
    });
    child.on('exit', (code) => {
      if (!settled) reject(new Error(`${task.label}: the worker exited with code ${code}${stderr ? `: ${stderr.trim().split('\n').slice(-3).join(' ')}` : ''}`));
    });
    child.send(task);
  });
}

async function orchestrate(args: StudyArgs): Promise<number> {
  const cache = new StudyCache(args.cacheDir);
  const { tasks, rows } = tasksFor(args);
  const pending = tasks.filter((t) => cache.get(t.kind, t.key) === null);
  const jobs = Math.min(args.jobs, Math.max(1, availableParallelism()));
  process.stderr.write(`study: ${rows.length} method(s) × ${args.seeds.length} seed(s), preset ${args.preset}, backend ${args.backend}: ` +
    `${tasks.length} tasks, ${tasks.length - pending.length} cached, ${pending.length} to run, ${jobs} at a time\n`);
  if (args.reportOnly) {
    process.stderr.write(`study: --report: the table of the ${tasks.length - pending.length} cached task(s) only\n`);
    pending.length = 0;
  }
  const started = performance.now();
  let finished = 0;
  let failed = 0;
  const durations: Record<TaskKind, number[]> = { cell: [], raw: [], supervised: [] };
  const remaining = new Set(pending);
  const eta = () => {
    const mean = (kind: TaskKind) => {
      const d = durations[kind].length > 0 ? durations[kind] : durations.cell;
      return d.length > 0 ? d.reduce((a, b) => a + b, 0) / d.length : NaN;
    };
    let total = 0;
    for (const t of remaining) total += mean(t.kind);
    return total / jobs;
  };
  let next = 0;
  const worker = async () => {
    while (next < pending.length) {
      const task = pending[next++];
      const t0 = performance.now();
      let lastPrint = 0;
      try {
        const value = await runInChild(task, ({ done, total, stage }) => {
          const now = performance.now();
          if (now - lastPrint < 15000 && done < total) return;
          lastPrint = now;
          process.stderr.write(`  [${finished + 1}/${pending.length}] ${task.label}: ${stage} ${done}/${total}, ` +
            `elapsed ${formatDuration((now - started) / 1000)}, ETA ${formatDuration(eta())}\n`);
        });
        cache.set(task.kind, task.key, value);
        durations[task.kind].push((performance.now() - t0) / 1000);
      } catch (error) {
        failed++;
        process.stderr.write(`  FAILED ${task.label}: ${(error as Error).message}\n`);
      }
      remaining.delete(task);
      finished++;
      process.stderr.write(`[${finished}/${pending.length}] ${task.label} done in ${formatDuration((performance.now() - t0) / 1000)}; ` +
        `elapsed ${formatDuration((performance.now() - started) / 1000)}, ETA ${formatDuration(eta())}\n`);
    }
  };
  await Promise.all(Array.from({ length: jobs }, worker));

  const summaries: RowSummary[] = [];
  for (const row of rows) {
    const cells = row.cells.map((k) => cache.get<CellResult>('cell', k)).filter((c): c is CellResult => c !== null);
    if (cells.length === 0) continue;
    summaries.push(summarise({
      id: row.entry.id, preset: row.entry.preset(args.preset), cells,
      raw: row.raw.map((k) => cache.get<CellScores>('raw', k)),
      supervised: row.supervised.map((k) => cache.get<CellScores>('supervised', k)),
    }));
  }
  const fresh: StudyFile = {
    date: new Date().toISOString(), preset: args.preset, seeds: args.seeds, backend: args.backend,
    evaluation: { labelledBank: STUDY_BANK_COUNT, heldOut: STUDY_TEST_COUNT }, rows: summaries,
    cells: rows.flatMap((row) => row.cells.map((k) => cache.get<CellResult>('cell', k)).filter((c) => c !== null)),
  };
  // A piecewise study: the rows of methods this run did not measure stay in --out (and in the table).
  const previous = args.out && existsSync(args.out) ? (JSON.parse(readFileSync(args.out, 'utf8')) as StudyFile) : null;
  const { file, kept, replaced } = mergeStudy(previous, fresh, STUDY_ENTRIES.map((e) => e.id), (id) => STUDY_ENTRIES.find((e) => e.id === id)?.methodId ?? id);
  if (kept.length > 0) process.stderr.write(`study: kept the rows of ${kept.join(', ')} from ${args.out}\n`);
  if (replaced) process.stderr.write(`study: replacing ${args.out}: ${replaced}\n`);
  const table = markdownTable(file.rows);
  process.stdout.write(`${table}\n`);
  if (args.out) {
    writeFileSync(args.out, JSON.stringify(file, null, 1));
    process.stderr.write(`study: wrote ${args.out}\n`);
  }
  if (args.reference) writeReference(args.reference, args, summaries);
  process.stderr.write(`study: done in ${formatDuration((performance.now() - started) / 1000)}${failed ? `, ${failed} task(s) failed` : ''}\n`);
  return failed > 0 ? 1 : 0;
}

/** Merges the rows' kNN and linear means into the reference file (rows of other presets are kept). */
function writeReference(path: string, args: StudyArgs, summaries: readonly RowSummary[]): void {
  const existing: LearnReference[] = existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as { references: LearnReference[] }).references : [];
  const triple = (row: RowSummary, score: 'knn' | 'linear') => ({
    supervised: row.scores[score]?.supervised?.mean ?? null,
    untrained: row.scores[score]?.untrained?.mean ?? null,
    trained: row.scores[score]?.trained?.mean ?? null,
  });
  const fresh: LearnReference[] = summaries.map((row) => ({
    methodId: STUDY_ENTRIES.find((e) => e.id === row.id)!.methodId, presetId: row.preset, seeds: row.seeds, steps: row.steps,
    date: new Date().toISOString().slice(0, 10), backend: args.backend, bank: STUDY_BANK_COUNT, heldOut: STUDY_TEST_COUNT,
    knn: triple(row, 'knn'), linear: triple(row, 'linear'),
  }));
  const merged = [...existing.filter((r) => !fresh.some((f) => f.methodId === r.methodId && f.presetId === r.presetId)), ...fresh];
  writeFileSync(path, `${JSON.stringify({ references: merged }, null, 1)}\n`);
  process.stderr.write(`study: wrote the reference lines of ${fresh.length} row(s) to ${path}\n`);
}

/** Child process: one task, then exit (a fresh process per cell keeps memory flat). */
async function workerMain(): Promise<void> {
  // The study that forked this worker is gone (killed, or it crashed): stop rather than train on
  // for minutes with nobody to report to, holding a core.
  process.once('disconnect', () => process.exit(1));
  const task = await new Promise<StudyTask>((resolve) => process.once('message', (m) => resolve(m as StudyTask)));
  const send = (message: WorkerMessage) => process.send!(message);
  try {
    const { quietTfjs, setupBackend } = await import('../engine/node/setup');
    quietTfjs();
    const backend = await setupBackend(task.backend);
    const method = getMethod(task.methodId);
    const progress = (done: number, total: number, stage: string) => send({ type: 'progress', done, total, stage });
    let value: unknown;
    if (task.kind === 'cell') {
      const { runCell } = await import('./study/cell');
      value = await runCell(method, task.values, `${backend.name} (${backend.adapter})`, progress);
    } else {
      const { studyEvaluationData, disposeEvaluationData } = await import('../engine/data/studyData');
      const { readCommon } = await import('../engine/runConfig');
      const { rawPixelScores, supervisedScores } = await import('./study/baselines');
      const data = studyEvaluationData(readCommon(task.values));
      try {
        value = task.kind === 'raw'
          ? await rawPixelScores(data)
          : await supervisedScores(method, task.values, data, (done, total) => progress(done, total, 'supervised training'));
      } finally {
        disposeEvaluationData(data);
      }
    }
    send({ type: 'result', value });
  } catch (error) {
    send({ type: 'error', message: error instanceof Error ? error.message : String(error) });
  }
}

async function main(): Promise<number> {
  if (process.argv.includes('--worker')) {
    await workerMain();
    return 0;
  }
  let args: StudyArgs;
  try {
    args = parseStudyArgs(process.argv.slice(2));
    tasksFor(args); // resolves every preset and --set now, so a bad one is a usage error before any training
  } catch (error) {
    if (error instanceof UsageError) {
      if (error.message) process.stderr.write(`error: ${error.message}\n`);
      process.stderr.write(`${STUDY_USAGE}\n`);
      return error.message ? 2 : 0;
    }
    throw error;
  }
  return orchestrate(args);
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
