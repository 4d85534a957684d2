import { describe, expect, it } from 'vitest';
import { getMethod, methods } from '../methods/registry';
import { parseSettingValue, type Setting, type SettingValue } from '../methods/schema';
import {
  decodeComparison, decodeExperiment, defaultExperiment, encodeComparison, encodeExperiment, LINK_VERSION, MAX_RUNS, presetValues, RESERVED_KEYS,
} from './url';

/** A valid value different from `current`, inside the setting's range. */
function otherValue(setting: Setting, current: SettingValue): SettingValue {
  if (setting.kind === 'boolean') return !current;
  if (setting.kind === 'choice') return setting.choices.find((c) => c !== current) ?? (setting.imageSets ? 'My images' : current);
  const candidate = setting.integer ? Number(current) + 1 : Number(current) + setting.step;
  return candidate <= setting.max ? candidate : setting.integer ? Number(current) - 1 : Number(current) - setting.step;
}

describe('URL codec', () => {
  for (const method of methods) {
    describe(method.id, () => {
      it('encodes the default experiment as method and seed only', () => {
        expect(encodeExperiment(defaultExperiment(method.id))).toBe(`m=${method.id}&s=1`);
      });

      for (const setting of method.settings) {
        it(`round-trips ${setting.name} (${setting.urlKey})`, () => {
          const experiment = defaultExperiment(method.id);
          const value = otherValue(setting, experiment.values[setting.name]);
          if (value === experiment.values[setting.name]) return; // a choice with one option
          const changed = { ...experiment, values: { ...experiment.values, [setting.name]: value } };
          const hash = encodeExperiment(changed);
          expect(hash).toContain(`${setting.urlKey}=`);
          const decoded = decodeExperiment(`#${hash}`);
          // Cross-setting constraints may reject a lone change (e.g. patch size vs image size).
          if (method.validate(changed.values).length === 0) {
            expect(decoded.notices).toEqual([]);
            expect(decoded.experiment.values[setting.name]).toEqual(value);
            expect(decoded.experiment.values).toEqual(changed.values);
          } else {
            expect(decoded.notices.length).toBeGreaterThan(0);
          }
        });
      }

      for (const preset of method.presets) {
        it(`round-trips preset ${preset.id} with a change on top`, () => {
          const values = { ...presetValues(method, preset.id), seed: 42 };
          const experiment = { methodId: method.id, presetId: preset.id, values };
          const hash = encodeExperiment(experiment);
          const decoded = decodeExperiment(`https://example.test/app/#${hash}`);
          expect(decoded.notices).toEqual([]);
          expect(decoded.experiment).toEqual(experiment);
        });
      }

      it('rejects out-of-range and malformed numbers with a message, using the default', () => {
        const numeric = method.settings.filter((s): s is Extract<Setting, { kind: 'number' }> => s.kind === 'number');
        for (const setting of numeric) {
          const tooBig = decodeExperiment(`#m=${method.id}&${setting.urlKey}=${setting.max * 10 + 1}`);
          expect(tooBig.notices.join(' ')).toContain(`${setting.label} (${setting.urlKey}) must be between`);
          expect(tooBig.experiment.values[setting.name]).toBe(setting.default);
          const junk = decodeExperiment(`#m=${method.id}&${setting.urlKey}=abc`);
          expect(junk.notices.join(' ')).toContain('must be a number');
        }
      });
    });
  }

  it('reports unknown keys, methods and presets without failing', () => {
    const { experiment, notices } = decodeExperiment('#m=nope&p=huge&zz=3&s=5');
    expect(experiment.methodId).toBe(methods[0].id);
    expect(experiment.values.seed).toBe(5);
    expect(notices).toEqual([
      `Unknown method "nope"; showing ${methods[0].title} instead.`,
      `Unknown preset "huge" for ${methods[0].title}; using default.`,
      'Unknown setting "zz" in the link; ignored.',
    ]);
  });

  it('rejects non-integers, bad booleans and bad choices', () => {
    const { notices } = decodeExperiment('#m=dino&dp=2.5&c=maybe&is=48');
    expect(notices).toHaveLength(3);
    expect(notices[0]).toContain('whole number');
    expect(notices[1]).toContain('must be 1 or 0');
    expect(notices[2]).toContain('must be one of 16, 32, 64');
  });

  it('replaces an inconsistent combination by the preset and says why', () => {
    const { experiment, notices } = decodeExperiment('#m=dino&w=90&h=4&s=9');
    expect(notices.join(' ')).toContain('Width 90 must be divisible by the number of heads 4');
    expect(experiment.values.width).toBe(96);
    expect(experiment.values.seed).toBe(9);
  });

  it('survives garbage', () => {
    for (const link of ['#', '#&&&', '#%E0%A4%A', '#m', '#=3', 'http://x.test/no-hash', '#s=1e999']) {
      const { experiment } = decodeExperiment(link);
      expect(experiment.methodId).toBe(methods[0].id);
    }
  });
});

describe('comparison links', () => {
  const dino = methods[0];
  const tiny = (overrides: Record<string, number | boolean | string> = {}) => ({
    methodId: dino.id, presetId: 'tiny', values: { ...presetValues(dino, 'tiny'), ...overrides },
  });

  it('a single unnamed run encodes exactly as the single-experiment link', () => {
    const experiment = tiny({ seed: 4 });
    expect(encodeComparison({ runs: [{ experiment, name: null }], focus: 0, lesson: null })).toBe(encodeExperiment(experiment));
  });

  it('round-trips several runs with names, the focus and the lesson', () => {
    const lesson = dino.lessons[0];
    const comparison = {
      runs: [
        { experiment: tiny({ seed: 3 }), name: 'healthy' },
        { experiment: tiny({ seed: 3, centering: false }), name: 'no centering; really & truly' },
        { experiment: tiny({ seed: 5, learningRate: 0.01 }), name: null },
      ],
      focus: 1,
      lesson: lesson.id,
    };
    const link = `https://example.test/app/#${encodeComparison(comparison)}`;
    const { comparison: decoded, notices } = decodeComparison(link);
    expect(notices).toEqual([]);
    expect(decoded).toEqual(comparison);
  });

  it('every lesson of every method round-trips', () => {
    for (const method of methods) {
      for (const lesson of method.lessons) {
        const runs = lesson.runs.map((run) => ({
          experiment: { methodId: method.id, presetId: run.preset, values: { ...presetValues(method, run.preset), ...run.values } },
          name: run.name,
        }));
        const comparison = { runs, focus: 0, lesson: lesson.id };
        expect(decodeComparison(encodeComparison(comparison)).comparison).toEqual(comparison);
      }
    }
  });

  it('names problems per run and drops what it cannot keep', () => {
    const many = Array.from({ length: MAX_RUNS + 2 }, () => 'm=dino&p=tiny').join(';');
    const { comparison, notices } = decodeComparison(`#${many}`);
    expect(comparison.runs).toHaveLength(MAX_RUNS);
    expect(notices[0]).toContain(`at most ${MAX_RUNS}`);

    const bad = decodeComparison('#m=dino&lr=abc&name=a&lesson=nope&focus=7;m=dino&c=maybe');
    expect(bad.comparison.runs).toHaveLength(2);
    expect(bad.comparison.lesson).toBeNull();
    expect(bad.comparison.focus).toBe(0);
    const text = bad.notices.join('\n');
    expect(text).toContain('Run 1 (a): ');
    expect(text).toContain('Run 2: ');
    expect(text).toContain('Unknown lesson "nope"');
    expect(text).toContain('focuses run "7"');
  });

  it('no setting uses a reserved link key', () => {
    for (const method of methods) {
      for (const setting of method.settings) expect(RESERVED_KEYS as readonly string[]).not.toContain(setting.urlKey);
    }
  });
});

describe('link versions and image set names', () => {
  it('refuses a link from a newer version whole, saying to reload', () => {
    const result = decodeComparison('#ver=2&m=loca&p=tiny;m=dino&c=0');
    expect(result.refused).toMatch(/made by a newer version of SSL Playground \(link version 2; this page reads version 1\).*Reload the page/);
    expect(result.notices).toEqual([]);
    expect(decodeComparison('#m=dino&ver=x').refused).toMatch(/version "x" is not a version number/);
  });

  it('reads links without a version, and of this version, as version 1', () => {
    const plain = decodeComparison('#m=dino&p=tiny&s=4');
    const versioned = decodeComparison(`#ver=${LINK_VERSION}&m=dino&p=tiny&s=4`);
    expect(plain.refused).toBeUndefined();
    expect(versioned.refused).toBeUndefined();
    expect(versioned.notices).toEqual([]);
    expect(versioned.comparison).toEqual(plain.comparison);
  });

  it('carries an image set’s name as the dataset, spaces and brackets included, and refuses a malformed one', () => {
    const experiment = { ...defaultExperiment('dino'), values: { ...defaultExperiment('dino').values, dataset: 'My cats (2)' } };
    const link = encodeExperiment(experiment);
    expect(link).toContain('d=My%20cats%20(2)');
    expect(decodeExperiment(link).experiment.values.dataset).toBe('My cats (2)');
    const bad = decodeExperiment('m=dino&d=a%26b');
    expect(bad.experiment.values.dataset).toBe('shapes');
    expect(bad.notices[0]).toMatch(/Dataset \(d\) must be one of shapes or the name of one of your image sets, got "a&b"/);
  });
});

// Issue 22's link faults, each reproduced: what the link names opens, or the notice says what changed.
describe('links that a person or a fuzzer could write', () => {
  it('reads a second "#" as a separator and says so, losing nothing', () => {
    const loca = decodeComparison('#m=loca&p=tiny&lr=0.01#');
    expect(loca.comparison.runs[0].experiment.methodId).toBe('loca');
    expect(loca.comparison.runs[0].experiment.presetId).toBe('tiny');
    expect(loca.comparison.runs[0].experiment.values.learningRate).toBe(0.01);
    expect(loca.notices.join(' ')).toContain('second "#"');
    expect(decodeComparison('#m=dino&p=tiny#').comparison.runs[0].experiment.presetId).toBe('tiny');
    const simsiam = decodeComparison('#p=tiny&#&&&m=simsiam').comparison.runs[0].experiment;
    expect([simsiam.methodId, simsiam.presetId]).toEqual(['simsiam', 'tiny']);
    expect(decodeExperiment('http://localhost:5173/#m=dino&p=tiny#').experiment.presetId).toBe('tiny');
  });

  it('reports a key given twice, and uses the last', () => {
    const { experiment, notices } = decodeExperiment('#m=dino&p=tiny&lr=0.01&lr=0.02');
    expect(experiment.values.learningRate).toBe(0.02);
    expect(notices).toEqual(['The link sets "lr" 2 times; the last one ("0.02") is used.']);
  });

  it('takes numbers in decimal notation only', () => {
    for (const raw of ['0x10', '+1', '0b11', 'Infinity', '1_000', ' ', '1e']) {
      const { experiment, notices } = decodeExperiment(`#m=dino&p=tiny&b=${encodeURIComponent(raw)}`);
      expect(experiment.values.batchSize, raw).toBe(presetValues(getMethod('dino'), 'tiny').batchSize);
      expect(notices.join(' '), raw).toContain('written in decimals');
    }
    const wide: Setting = { kind: 'number', name: 'x', urlKey: 'x', label: 'X', help: '', group: 'g', default: 0, min: -10, max: 100, step: 0.001 };
    for (const [raw, value] of [['16', 16], ['0.001', 0.001], ['1e-3', 0.001], ['-2', -2], ['.5', 0.5], ['2.', 2], [' 3 ', 3]] as const) {
      expect(parseSettingValue(wide, raw), raw).toBe(value);
    }
  });

  it('keeps a lesson only with its own method, and only from the first run', () => {
    const other = decodeComparison('#m=dino&p=tiny&lesson=moco-queue');
    expect(other.comparison.lesson).toBeNull();
    expect(other.notices.join(' ')).toMatch(/is about MoCo.*not these runs/);
    const second = decodeComparison('#m=dino&p=tiny&lesson=remove-centering;m=dino&p=tiny&c=0&lesson=remove-sharpening');
    expect(second.comparison.lesson).toBe('remove-centering');
    expect(second.notices).toEqual(['Run 2: lesson="remove-sharpening" belongs with the first run; ignored.']);
  });

  it('says "the last run was left out" for one run too many', () => {
    const link = Array.from({ length: MAX_RUNS + 1 }, () => 'm=dino&p=tiny').join(';');
    expect(decodeComparison(`#${link}`).notices[0]).toContain('so the last run was left out');
  });

  it('quotes at most 40 characters of anything it did not understand', () => {
    const { notices } = decodeComparison(`#m=dino&p=tiny&h=${'x'.repeat(3000)}&${'a'.repeat(100000)}=1`);
    expect(notices.length).toBeGreaterThan(0);
    for (const notice of notices) expect(notice.length, notice.slice(0, 80)).toBeLessThan(200);
  });
});
