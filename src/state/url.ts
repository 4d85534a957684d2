/**
 * The URL is the experiment. One module encodes and decodes it: the method, the preset, every
 * setting that differs from that preset (by its short key) and always the seed.
 *   #m=dino&p=tiny&s=1&lr=0.01&c=0
 * Decoding never throws: a bad value is named in a notice and replaced by its default, an
 * unknown key is ignored with a notice. Plain TypeScript (no React, no tfjs): the page, the
 * CLI and the tests share it.
 */
import { defaultMethodId, findLesson, findMethod, getMethod } from '../methods/registry';
import {
  defaultValues, formatSettingValue, parseSettingValue, quoted, type SettingValue, type SettingValues,
} from '../methods/schema';
import type { MethodDescription } from '../methods/types';

export interface Experiment {
  methodId: string;
  presetId: string;
  values: SettingValues;
}

export interface DecodeResult {
  experiment: Experiment;
  /** Human-readable problems, one per bad or unknown entry. Empty for a clean link. */
  notices: string[];
}

const METHOD_KEY = 'm';
const PRESET_KEY = 'p';
const VERSION_KEY = 'ver';
/**
 * What links mean. Links of version 1 carry no `ver`; a version that changes what a link's keys
 * mean (rather than adding keys, which older pages report as unknown) writes `ver=2` and up, and
 * a page refuses a `ver` newer than its own whole, changing nothing.
 */
export const LINK_VERSION = 1;

/** Values of a preset: schema defaults overridden by the preset's values. */
export function presetValues(method: MethodDescription, presetId: string): SettingValues {
  const preset = method.presets.find((p) => p.id === presetId) ?? method.presets[0];
  return { ...defaultValues(method.settings), ...preset.values };
}

export function defaultExperiment(methodId = defaultMethodId, presetId?: string): Experiment {
  const method = getMethod(methodId);
  const preset = presetId ?? method.presets[0].id;
  return { methodId: method.id, presetId: preset, values: presetValues(method, preset) };
}

/**
 * What the page opens without a link: a `learn` preset, so the first run a visitor starts is one
 * the study shows learning (held-out kNN well above its untrained network) within minutes.
 * SimCLR's, because at this size it is the one that learns most surely (README "Does it
 * learn?"); DINO's learn preset is one click away in the method picker.
 */
export const LANDING = { methodId: 'simclr', presetId: 'learn' } as const;

export function landingExperiment(): Experiment {
  return defaultExperiment(LANDING.methodId, LANDING.presetId);
}

export function encodeExperiment(experiment: Experiment): string {
  const method = getMethod(experiment.methodId);
  const base = presetValues(method, experiment.presetId);
  const parts = [`${METHOD_KEY}=${method.id}`];
  if (experiment.presetId !== method.presets[0].id) parts.push(`${PRESET_KEY}=${experiment.presetId}`);
  for (const setting of method.settings) {
    const value = experiment.values[setting.name];
    if (value === undefined) continue;
    if (setting.name !== 'seed' && sameValue(value, base[setting.name])) continue;
    parts.push(`${setting.urlKey}=${encodeURIComponent(formatSettingValue(setting, value))}`);
  }
  return parts.join('&');
}

function sameValue(a: SettingValue, b: SettingValue | undefined): boolean {
  return typeof a === 'number' && typeof b === 'number' ? Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(b)) : a === b;
}

/**
 * The part of a link after its `#` (a bare query as it is; a web address without a hash: ''),
 * and whether it held a stray `#` of its own. A link holds one `#`, at the start of the
 * experiment; a second one (`#m=loca&p=tiny#`, `#p=tiny&#&m=simsiam`) is read as a separator,
 * so nothing before or after it is lost.
 */
function linkBody(link: string): { text: string; stray: boolean } {
  const hashIndex = link.indexOf('#');
  let text = hashIndex >= 0 ? link.slice(hashIndex + 1) : link;
  if (hashIndex < 0 && /^[a-z]+:\/\//i.test(text)) text = ''; // a web address without a hash
  const stray = text.includes('#');
  return { text: stray ? text.replace(/#/g, '&') : text, stray };
}

const STRAY_HASH_NOTICE = 'The link has a second "#" (a link holds one, before its settings); it was read as "&", so no setting was lost.';

/** Accepts a full link, a hash ("#m=dino&…") or a bare query ("m=dino&…"). */
export function decodeExperiment(link: string): DecodeResult {
  const notices: string[] = [];
  const { text, stray } = linkBody(link);
  if (stray) notices.push(STRAY_HASH_NOTICE);
  const entries: [string, string][] = [];
  for (const part of text.split('&')) {
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    const key = eq >= 0 ? part.slice(0, eq) : part;
    let value = eq >= 0 ? part.slice(eq + 1) : '';
    try {
      value = decodeURIComponent(value.replace(/\+/g, ' '));
    } catch {
      notices.push(`${quoted(part)} is not a valid link entry; ignored.`);
      continue;
    }
    entries.push([key.trim(), value]);
  }
  const given = new Map(entries);
  const counts = new Map<string, number>();
  for (const [key] of entries) counts.set(key, (counts.get(key) ?? 0) + 1);
  for (const [key, count] of counts) {
    if (count > 1) notices.push(`The link sets ${quoted(key)} ${count} times; the last one (${quoted(given.get(key) ?? '')}) is used.`);
  }

  let method = findMethod(defaultMethodId)!;
  const methodId = given.get(METHOD_KEY);
  if (methodId !== undefined) {
    const found = findMethod(methodId);
    if (found) method = found;
    else notices.push(`Unknown method ${quoted(methodId)}; showing ${method.title} instead.`);
  }
  let presetId = method.presets[0].id;
  const presetGiven = given.get(PRESET_KEY);
  if (presetGiven !== undefined) {
    if (method.presets.some((p) => p.id === presetGiven)) presetId = presetGiven;
    else notices.push(`Unknown preset ${quoted(presetGiven)} for ${method.title}; using ${presetId}.`);
  }
  const base = presetValues(method, presetId);
  const values: SettingValues = { ...base };
  const byKey = new Map(method.settings.map((setting) => [setting.urlKey, setting]));
  for (const [key, raw] of entries) {
    if (key === METHOD_KEY || key === PRESET_KEY || key === VERSION_KEY) continue;
    const setting = byKey.get(key);
    if (!setting) {
      notices.push(`Unknown setting ${quoted(key)} in the link; ignored.`);
      continue;
    }
    try {
      values[setting.name] = parseSettingValue(setting, raw);
    } catch (error) {
      values[setting.name] = base[setting.name];
      notices.push(`${(error as Error).message}; using ${formatSettingValue(setting, base[setting.name])}.`);
    }
  }
  const problems = method.validate(values);
  if (problems.length > 0) {
    notices.push(`${problems.join(' ')} The link's settings were replaced by the ${presetId} preset.`);
    return { experiment: { methodId: method.id, presetId, values: { ...base, seed: values.seed } }, notices };
  }
  return { experiment: { methodId: method.id, presetId, values }, notices };
}

/**
 * A comparison: several runs in one link, `;`-separated, each encoded as above plus an
 * optional name; the first also carries which run is focused and the lesson it came from.
 *   #m=dino&p=tiny&s=1&name=healthy&lesson=remove-centering;m=dino&p=tiny&s=1&c=0&name=no%20centering
 * One run without a name or lesson is exactly the single-experiment link.
 */
export interface ComparisonRun {
  experiment: Experiment;
  name: string | null;
}

export interface Comparison {
  runs: ComparisonRun[];
  /** Index of the focused run. */
  focus: number;
  lesson: string | null;
}

export interface ComparisonDecodeResult {
  comparison: Comparison;
  notices: string[];
  /** Set when the link cannot be used at all (made by a newer version): say it and change nothing. */
  refused?: string;
}

/** The most runs one comparison keeps (each holds its own model on the GPU). */
export const MAX_RUNS = 6;
const NAME_KEY = 'name';
const LESSON_KEY = 'lesson';
const FOCUS_KEY = 'focus';
/** Link keys that are not settings; no setting may use them as its urlKey. */
export const RESERVED_KEYS = [METHOD_KEY, PRESET_KEY, VERSION_KEY, NAME_KEY, LESSON_KEY, FOCUS_KEY] as const;

/** Why a link's version cannot be read here, or null when it can (no `ver`, or one up to ours). */
export function linkVersionProblem(text: string): string | null {
  const match = new RegExp(`(?:^|[&;])${VERSION_KEY}=([^&;]*)`).exec(text);
  if (!match) return null;
  const version = Number(match[1]);
  if (!Number.isInteger(version) || version < 1) return `This link's version "${match[1]}" is not a version number, so it cannot be read; nothing was changed.`;
  if (version <= LINK_VERSION) return null;
  return `This link was made by a newer version of SSL Playground (link version ${version}; this page reads version ${LINK_VERSION}). ` +
    'Reload the page to get the newest version, then open the link again; nothing was changed.';
}

export function encodeComparison(comparison: Comparison): string {
  return comparison.runs
    .map((run, i) => {
      const parts = [encodeExperiment(run.experiment)];
      if (run.name) parts.push(`${NAME_KEY}=${encodeURIComponent(run.name)}`);
      if (i === 0 && comparison.lesson) parts.push(`${LESSON_KEY}=${encodeURIComponent(comparison.lesson)}`);
      if (i === 0 && comparison.focus > 0) parts.push(`${FOCUS_KEY}=${comparison.focus}`);
      return parts.join('&');
    })
    .join(';');
}

/** Accepts a full link, a hash or a bare query, with one run or several. Never throws. */
export function decodeComparison(link: string): ComparisonDecodeResult {
  const { text, stray } = linkBody(link);
  const refused = linkVersionProblem(text);
  if (refused) return { comparison: { runs: [{ experiment: defaultExperiment(), name: null }], focus: 0, lesson: null }, notices: [], refused };
  const notices: string[] = stray ? [STRAY_HASH_NOTICE] : [];
  let segments = text.split(';').filter((segment) => segment.trim() !== '');
  if (segments.length === 0) segments = [''];
  if (segments.length > MAX_RUNS) {
    const left = segments.length - MAX_RUNS;
    notices.push(`The link has ${segments.length} runs; a comparison keeps at most ${MAX_RUNS}, so ${left === 1 ? 'the last run was' : `the last ${left} were`} left out.`);
    segments = segments.slice(0, MAX_RUNS);
  }
  let lesson: string | null = null;
  let focus = 0;
  let focusGiven: string | null = null;
  const runs = segments.map((segment, index) => {
    let name: string | null = null;
    const rest: string[] = [];
    for (const part of segment.split('&')) {
      const key = part.slice(0, part.indexOf('=') >= 0 ? part.indexOf('=') : part.length).trim();
      const raw = part.includes('=') ? part.slice(part.indexOf('=') + 1) : '';
      if (key === NAME_KEY || key === LESSON_KEY || key === FOCUS_KEY) {
        let value: string;
        try {
          value = decodeURIComponent(raw.replace(/\+/g, ' ')).trim();
        } catch {
          notices.push(`${quoted(part)} is not a valid link entry; ignored.`);
          continue;
        }
        if (key === NAME_KEY) {
          name = value.slice(0, 60) || null;
        } else if (index > 0) {
          // The lesson and the focus belong to the whole comparison: the first run carries them.
          notices.push(`Run ${index + 1}: ${key}=${quoted(value)} belongs with the first run; ignored.`);
        } else if (key === LESSON_KEY) {
          lesson = value || null;
        } else {
          focusGiven = value;
        }
      } else {
        rest.push(part);
      }
    }
    const decoded = decodeExperiment(rest.join('&'));
    const prefix = segments.length > 1 ? `Run ${index + 1}${name ? ` (${name})` : ''}: ` : '';
    for (const notice of decoded.notices) notices.push(prefix + notice);
    return { experiment: decoded.experiment, name };
  });
  const found = lesson === null ? undefined : findLesson(lesson);
  if (lesson !== null && !found) {
    notices.push(`Unknown lesson ${quoted(lesson)}; the runs open without its explanation.`);
    lesson = null;
  } else if (found && runs.some((run) => run.experiment.methodId !== found.method.id)) {
    notices.push(`The lesson ${quoted(found.lesson.title)} is about ${found.method.title}, not these runs; they open without its explanation.`);
    lesson = null;
  }
  if (focusGiven !== null) {
    const parsed = Number(focusGiven);
    if (Number.isInteger(parsed) && parsed >= 0 && parsed < runs.length) focus = parsed;
    else notices.push(`The link focuses run ${quoted(focusGiven)}, which it does not have; showing the first run.`);
  }
  return { comparison: { runs, focus, lesson }, notices };
}
