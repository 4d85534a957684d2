import { describe, expect, it } from 'vitest';
import { defaultValues, readValues, type Setting } from './schema';
import { commonSettings } from './common';
import { methods } from './registry';
import type { CommonValues } from '../engine/runConfig';

const settings = [
  { kind: 'number', name: 'rate', urlKey: 'r', label: 'Rate', help: '', group: 'g', default: 0.5, min: 0, max: 1, step: 0.1 },
  { kind: 'boolean', name: 'on', urlKey: 'o', label: 'On', help: '', group: 'g', default: true },
  { kind: 'choice', name: 'size', urlKey: 'z', label: 'Size', help: '', group: 'g', default: '16', choices: ['16', '32'] },
] as const satisfies readonly Setting[];

describe('readValues', () => {
  it('reads each value by its kind, with its default where the values lack it', () => {
    const v = readValues(settings, { rate: 0.25, size: '32' });
    expect(v).toEqual({ rate: 0.25, on: true, size: '32' });
    const rate: number = v.rate;
    const on: boolean = v.on;
    const size: string = v.size;
    expect([rate, on, size]).toEqual([0.25, true, '32']);
  });

  it('types the names: a misspelt setting fails tsc', () => {
    const v = readValues(settings, {});
    // @ts-expect-error no setting is called "rat"
    expect(v.rat).toBeUndefined();
  });

  it('refuses, at compile time, a list whose names were widened to string', () => {
    const widened: readonly Setting[] = settings;
    // @ts-expect-error widened names would let any name through
    expect(() => readValues(widened, {})).not.toThrow();
  });

  it('reads every method’s defaults back unchanged', () => {
    for (const method of methods) {
      const id = method.id;
      const values = defaultValues(method.settings);
      const read = readValues(method.settings as unknown as typeof settings, values) as Record<string, unknown>;
      expect(read, id).toEqual(values);
    }
  });
});

// The engine reads the common settings through CommonValues: each of its names is a common setting.
type CommonNames = (typeof commonSettings)[number]['name'];
type Missing = Exclude<keyof CommonValues, CommonNames>;
const noneMissing: [Missing] extends [never] ? true : false = true;
void noneMissing;
