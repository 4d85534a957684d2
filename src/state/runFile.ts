/**
 * The export file: one or more runs (a comparison) with everything needed to see them again
 * without retraining and to continue training — settings, metric history, evaluations and the
 * weights of the last step — as one JSON document. Plain data, no tfjs: the page writes and
 * checks it, the worker loads the weights. Typed arrays travel as base64 and non-finite numbers
 * (the NaN gaps of stage metrics) as tagged strings, since JSON has neither.
 *
 * Reading is strict: anything that is not exactly a file this version can use is refused with
 * a message saying what is wrong, before anything in the page changes.
 */
import { imageSetNameProblem, MAX_IMAGES, MIN_IMAGES, STORED_SIDE, type ImageSetData } from '../measures/imageSets';
import type { EvaluationRecord } from '../methods/evaluation';
import { findMethod } from '../methods/registry';
import { validateSettingValue, type SettingValues } from '../methods/schema';
import { MAX_RUNS } from './url';

export const RUN_FILE_FORMAT = 'ssl-playground-runs';
/**
 * Bump when the layout changes; older versions stay readable, newer ones are refused by name.
 * 2: the image sets the runs train on travel with them.
 */
export const RUN_FILE_VERSION = 2;

export type SavedWeights = Record<string, { shape: number[]; data: Float32Array }>;

export interface SavedRun {
  name: string;
  methodId: string;
  presetId: string;
  values: SettingValues;
  /** Steps trained: the weights are those after this step (null weights at step 0: the seed rebuilds them). */
  step: number;
  elapsedMs: number;
  history: { steps: number[]; series: Record<string, number[]> };
  evaluations: EvaluationRecord[];
  weights: SavedWeights | null;
}

export interface RunFile {
  format: typeof RUN_FILE_FORMAT;
  version: number;
  exportedAt: string;
  lesson: string | null;
  /** Index of the run that was focused. */
  focus: number;
  runs: SavedRun[];
  /** The visitor's image sets the runs train on (format 2), so they train on elsewhere. */
  imageSets: ImageSetData[];
}

export class RunFileError extends Error {}

const TYPED = '$typed';
const NUMBER = '$number';

function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

function fromBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

const ARRAY_TYPES = { Float32Array, Int32Array, Uint8Array } as const;
type ArrayName = keyof typeof ARRAY_TYPES;

/** JSON text of the file (weights, typed arrays and NaNs included). */
export function encodeRunFile(file: RunFile): string {
  return JSON.stringify(file, (_key, value: unknown) => {
    if (typeof value === 'number' && !Number.isFinite(value)) return { [NUMBER]: String(value) };
    for (const name of Object.keys(ARRAY_TYPES) as ArrayName[]) {
      if (value instanceof ARRAY_TYPES[name]) {
        const view = value as Float32Array | Int32Array | Uint8Array;
        return { [TYPED]: name, base64: toBase64(new Uint8Array(view.buffer, view.byteOffset, view.byteLength)) };
      }
    }
    return value;
  });
}

function revive(_key: string, value: unknown): unknown {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const record = value as Record<string, unknown>;
    if (typeof record[NUMBER] === 'string') {
      const number = Number(record[NUMBER]);
      if (Number.isNaN(number) && record[NUMBER] !== 'NaN') throw new RunFileError(`a number is stored as "${record[NUMBER]}"`);
      return number;
    }
    if (typeof record[TYPED] === 'string') {
      const type = ARRAY_TYPES[record[TYPED] as ArrayName];
      if (!type || typeof record.base64 !== 'string') throw new RunFileError(`an array of type "${record[TYPED]}" cannot be read`);
      let bytes: Uint8Array;
      try {
        bytes = fromBase64(record.base64);
      } catch {
        throw new RunFileError('an array’s data is not valid base64');
      }
      if (bytes.length % type.BYTES_PER_ELEMENT !== 0) throw new RunFileError('an array’s data is cut short');
      return new type(bytes.buffer as ArrayBuffer, 0, bytes.length / type.BYTES_PER_ELEMENT);
    }
  }
  return value;
}

const isRecord = (value: unknown): value is Record<string, unknown> => !!value && typeof value === 'object' && !Array.isArray(value);

/** Parses and checks an export; throws RunFileError with a message for the visitor. */
export function decodeRunFile(text: string): RunFile {
  let raw: unknown;
  try {
    raw = JSON.parse(text, revive);
  } catch (error) {
    if (error instanceof RunFileError) throw new RunFileError(`This export is damaged: ${error.message}.`);
    throw new RunFileError('This file is not an SSL Playground export: it is not JSON text (is it the right file, or cut short?).');
  }
  if (!isRecord(raw) || raw.format !== RUN_FILE_FORMAT) {
    throw new RunFileError(`This file is not an SSL Playground export: it has no "format": "${RUN_FILE_FORMAT}" marker.`);
  }
  const version = raw.version;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    throw new RunFileError('This export is damaged: its format version is missing or not a whole number.');
  }
  if (version > RUN_FILE_VERSION) {
    throw new RunFileError(
      `This export was made by a newer version of SSL Playground (file format ${version}); this page reads format ` +
      `${RUN_FILE_VERSION}. Reload the page to get the latest version, then import it again.`,
    );
  }
  if (!Array.isArray(raw.runs) || raw.runs.length === 0) throw new RunFileError('This export holds no runs.');
  if (raw.runs.length > MAX_RUNS) throw new RunFileError(`This export holds ${raw.runs.length} runs; a comparison keeps at most ${MAX_RUNS}.`);
  const runs = raw.runs.map((run, i) => checkRun(run, i + 1));
  const imageSets = raw.imageSets === undefined ? [] : Array.isArray(raw.imageSets)
    ? raw.imageSets.map((set, i) => checkImageSet(set, i + 1))
    : fail('This export is damaged: its image sets are not a list.');
  const focus = typeof raw.focus === 'number' && Number.isInteger(raw.focus) && raw.focus >= 0 && raw.focus < runs.length ? raw.focus : 0;
  return {
    format: RUN_FILE_FORMAT, version, exportedAt: typeof raw.exportedAt === 'string' ? raw.exportedAt : '',
    lesson: typeof raw.lesson === 'string' ? raw.lesson : null, focus, runs, imageSets,
  };
}

function fail(message: string): never {
  throw new RunFileError(message);
}

function checkImageSet(raw: unknown, index: number): ImageSetData {
  const bad = (what: string): never => fail(`Image set ${index} of this export ${what}.`);
  if (!isRecord(raw)) return bad('is not an image set');
  const { name, side, count, pixels, labels, classNames } = raw;
  if (typeof name !== 'string' || imageSetNameProblem(name)) return bad(`has a name this version refuses (${String(name)})`);
  if (side !== STORED_SIDE) bad(`has images of ${String(side)} px; this version keeps ${STORED_SIDE} px`);
  if (typeof count !== 'number' || !Number.isInteger(count) || count < MIN_IMAGES || count > MAX_IMAGES) bad(`holds ${String(count)} images`);
  const n = count as number;
  if (!(pixels instanceof Uint8Array) || pixels.length !== n * STORED_SIDE * STORED_SIDE * 3) bad('has pixels that do not fill its images');
  if (!Array.isArray(classNames) || classNames.length === 0 || !classNames.every((c) => typeof c === 'string')) bad('has no class names');
  const classes = (classNames as string[]).length;
  if (!(labels instanceof Int32Array) || labels.length !== n || labels.some((l) => l < 0 || l >= classes)) bad('has labels that do not match its images');
  return { name: name as string, side: STORED_SIDE, count: n, pixels: pixels as Uint8Array, labels: labels as Int32Array, classNames: classNames as string[] };
}

function checkRun(raw: unknown, index: number): SavedRun {
  const fail = (what: string): never => {
    throw new RunFileError(`Run ${index} of this export ${what}.`);
  };
  if (!isRecord(raw)) return fail('is not a run');
  const methodId = raw.methodId;
  if (typeof methodId !== 'string') return fail('names no method');
  const method = findMethod(methodId);
  if (!method) return fail(`uses the method "${methodId}", which this version does not have`);
  if (!isRecord(raw.values)) return fail('has no settings');
  const values: SettingValues = {};
  for (const setting of method.settings) {
    const value = raw.values[setting.name];
    if (value === undefined) {
      values[setting.name] = setting.default; // a setting newer than the file: its default
      continue;
    }
    try {
      values[setting.name] = validateSettingValue(setting, value);
    } catch (error) {
      fail(`has a setting this version refuses: ${(error as Error).message}`);
    }
  }
  const problems = method.validate(values);
  if (problems.length) fail(`has settings that do not fit together: ${problems[0]}`);
  const totalSteps = Number(values.totalSteps);
  const step = raw.step;
  if (typeof step !== 'number' || !Number.isInteger(step) || step < 0 || step > totalSteps) {
    fail(`says it trained ${String(step)} steps of ${totalSteps}`);
  }
  const history = checkHistory(raw.history, fail);
  const evaluations = Array.isArray(raw.evaluations) ? raw.evaluations.filter((e): e is EvaluationRecord =>
    isRecord(e) && typeof e.step === 'number' && isRecord(e.scores) && isRecord(e.baseline)) : [];
  return {
    name: typeof raw.name === 'string' && raw.name.trim() ? raw.name.slice(0, 80) : `Run ${index}`,
    methodId,
    presetId: typeof raw.presetId === 'string' && method.presets.some((p) => p.id === raw.presetId) ? raw.presetId : 'default',
    values,
    step: step as number,
    elapsedMs: typeof raw.elapsedMs === 'number' && Number.isFinite(raw.elapsedMs) && raw.elapsedMs >= 0 ? raw.elapsedMs : 0,
    history,
    evaluations,
    weights: checkWeights(raw.weights, step as number, fail),
  };
}

function checkHistory(raw: unknown, fail: (what: string) => never): SavedRun['history'] {
  if (!isRecord(raw) || !Array.isArray(raw.steps) || !isRecord(raw.series)) return fail('has no metric history');
  const steps = raw.steps;
  if (!steps.every((s, i) => typeof s === 'number' && Number.isFinite(s) && (i === 0 || s > steps[i - 1]))) {
    fail('has a metric history whose steps are not increasing numbers');
  }
  const series: Record<string, number[]> = {};
  for (const [name, column] of Object.entries(raw.series)) {
    if (!Array.isArray(column) || column.length !== steps.length || !column.every((v) => typeof v === 'number')) {
      fail(`has a metric "${name}" whose values do not match its steps`);
    }
    series[name] = column as number[];
  }
  return { steps: steps as number[], series };
}

function checkWeights(raw: unknown, step: number, fail: (what: string) => never): SavedWeights | null {
  if (raw === null || raw === undefined) {
    if (step > 0) fail('has no weights, though it trained');
    return null;
  }
  if (!isRecord(raw)) return fail('has weights in a shape this version cannot read');
  const weights: SavedWeights = {};
  for (const [name, entry] of Object.entries(raw)) {
    if (!isRecord(entry) || !Array.isArray(entry.shape) || !(entry.data instanceof Float32Array)) fail(`has a weight "${name}" it cannot read`);
    const { shape, data } = entry as { shape: unknown[]; data: Float32Array };
    if (!shape.every((d) => typeof d === 'number' && Number.isInteger(d) && d >= 0)) fail(`has a weight "${name}" with a bad shape`);
    const size = (shape as number[]).reduce((a, b) => a * b, 1);
    if (size !== data.length) fail(`has a weight "${name}" of shape [${shape.join(', ')}] holding ${data.length} numbers`);
    // A weight that is not a number would fail the run at its first step (and, in the worker, the runs beside it).
    let broken = 0;
    for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i])) broken++;
    if (broken > 0) fail(`has a weight "${name}" holding ${broken} of ${data.length} values that are NaN or infinite, so it could not train`);
    weights[name] = { shape: shape as number[], data };
  }
  return weights;
}
