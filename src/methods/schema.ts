/**
 * The typed settings schema. One schema drives the control panel, the URL codec, the CLI's
 * --set parser and validation (the tensorflow/playground pattern). Plain data: no tfjs here,
 * so the page can import it without loading the engine.
 */
import { imageSetNameProblem } from '../measures/imageSets';

export type SettingValue = number | boolean | string;

interface SettingBase {
  /** Name in code and configs: `teacherTemperature`. */
  name: string;
  /** Short key in the URL hash: `tt`. Unique across the common and the method settings. */
  urlKey: string;
  label: string;
  /** One line shown under the control. */
  help: string;
  /** Panel group, e.g. 'model', 'crops', 'teacher', 'optimization'. */
  group: string;
}

export interface NumberSetting extends SettingBase {
  kind: 'number';
  default: number;
  min: number;
  max: number;
  /** Slider / input granularity; integers when `integer` is set. */
  step: number;
  integer?: boolean;
  unit?: string;
  /** Draw the slider on a log scale (learning rates, temperatures). */
  log?: boolean;
  /** Show a range slider beside the number field (linear, in `step`s). */
  slider?: boolean;
}

export interface BooleanSetting extends SettingBase {
  kind: 'boolean';
  default: boolean;
}

export interface ChoiceSetting extends SettingBase {
  kind: 'choice';
  default: string;
  choices: readonly string[];
  /**
   * Also takes the name of one of the visitor's image sets (the dataset). Only the name's form
   * is checked here; whether this browser holds the set is checked when a run starts.
   */
  imageSets?: boolean;
}

/** Whether a choice setting takes `value`: one of its choices, or a well-formed image set name. */
function choiceAccepts(setting: ChoiceSetting, value: string): boolean {
  return setting.choices.includes(value) || (setting.imageSets === true && value === value.trim() && imageSetNameProblem(value) === null);
}

function choiceList(setting: ChoiceSetting): string {
  return setting.choices.join(', ') + (setting.imageSets ? ' or the name of one of your image sets' : '');
}

export type Setting = NumberSetting | BooleanSetting | ChoiceSetting;
export type SettingValues = Record<string, SettingValue>;

export interface Preset {
  id: string;
  label: string;
  /** Why someone would pick it; shown beside the preset menu. */
  description: string;
  values: SettingValues;
}

export function defaultValues(settings: readonly Setting[]): SettingValues {
  const values: SettingValues = {};
  for (const setting of settings) values[setting.name] = setting.default;
  return values;
}

/** Longest piece of user text a message quotes; the rest is elided, so no message grows without bound. */
const QUOTE_MAX = 40;

/** `text` in quotes for a message, cut to QUOTE_MAX characters with an ellipsis. */
export function quoted(text: string): string {
  const chars = Array.from(text);
  return `"${chars.length > QUOTE_MAX ? `${chars.slice(0, QUOTE_MAX).join('')}…` : text}"`;
}

/**
 * A number as a person writes it: decimal digits with an optional minus sign, point and
 * exponent. Number() alone would also take "0x10", "0b11", "+1", "Infinity" or " ".
 */
export function isDecimalNumber(text: string): boolean {
  return /^-?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(text);
}

/** Parses a string (URL or CLI) into a setting's value; an Error names what is wrong. */
export function parseSettingValue(setting: Setting, raw: string): SettingValue {
  switch (setting.kind) {
    case 'number': {
      const trimmed = raw.trim();
      const value = Number(trimmed);
      if (!isDecimalNumber(trimmed) || !Number.isFinite(value)) {
        throw new Error(`${setting.label} (${setting.urlKey}) must be a number written in decimals, got ${quoted(raw)}`);
      }
      checkNumber(setting, value);
      return value;
    }
    case 'boolean': {
      if (raw === '1' || raw === 'true' || raw === 'on') return true;
      if (raw === '0' || raw === 'false' || raw === 'off') return false;
      throw new Error(`${setting.label} (${setting.urlKey}) must be 1 or 0, got ${quoted(raw)}`);
    }
    case 'choice': {
      if (!choiceAccepts(setting, raw)) {
        throw new Error(`${setting.label} (${setting.urlKey}) must be one of ${choiceList(setting)}, got ${quoted(raw)}`);
      }
      return raw;
    }
  }
}

/** Validates an already-typed value (store actions, presets, tests). */
export function validateSettingValue(setting: Setting, value: unknown): SettingValue {
  switch (setting.kind) {
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        throw new Error(`${setting.label} must be a number`);
      }
      checkNumber(setting, value);
      return value;
    case 'boolean':
      if (typeof value !== 'boolean') throw new Error(`${setting.label} must be on or off`);
      return value;
    case 'choice':
      if (typeof value !== 'string' || !choiceAccepts(setting, value)) {
        throw new Error(`${setting.label} must be one of ${choiceList(setting)}`);
      }
      return value;
  }
}

function checkNumber(setting: NumberSetting, value: number): void {
  if (setting.integer && !Number.isInteger(value)) {
    throw new Error(`${setting.label} (${setting.urlKey}) must be a whole number, got ${value}`);
  }
  if (value < setting.min || value > setting.max) {
    throw new Error(`${setting.label} (${setting.urlKey}) must be between ${setting.min} and ${setting.max}, got ${value}`);
  }
}

/** Shortest text that parses back to the same value (URL and CLI). */
export function formatSettingValue(setting: Setting, value: SettingValue): string {
  if (setting.kind === 'boolean') return value ? '1' : '0';
  if (setting.kind === 'number') return String(Number(value));
  return String(value);
}

/** The type a setting's value has: a number, a boolean, or a string (a choice). */
type ValueOfSetting<S> = S extends { kind: 'number' } ? number : S extends { kind: 'boolean' } ? boolean : string;

/**
 * The values of a setting list, typed by name: `ValuesOf<typeof dinoSettings>` has
 * `teacherTemperature: number`, `centering: boolean` and no `teacherTemprature`. The list's
 * names must be literal types: write it `[…] as const satisfies readonly Setting[]`.
 */
export type ValuesOf<S extends readonly Setting[]> = { readonly [K in S[number] as K['name']]: ValueOfSetting<K> };

/**
 * `values` read against `settings`, typed (see ValuesOf): each value by its setting's kind, and
 * the setting's default where `values` lacks it (a link or a checkpoint older than the
 * setting). A list whose names were widened to `string` is refused by tsc, since it would let
 * any name through.
 */
export function readValues<const S extends readonly Setting[]>(
  settings: string extends S[number]['name'] ? never : S, values: SettingValues,
): ValuesOf<S> {
  const out: Record<string, SettingValue> = {};
  for (const setting of settings) {
    const value = values[setting.name] ?? setting.default;
    out[setting.name] = setting.kind === 'number' ? Number(value) : setting.kind === 'boolean' ? Boolean(value) : String(value);
  }
  return out as ValuesOf<S>;
}
