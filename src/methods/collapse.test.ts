import { describe, expect, it } from 'vitest';
import { advanceDetector, collapseModesOf, detectCollapse, initialDetector, SUSTAIN } from './collapse';
import { dinoDescription } from './dino/description';
import { methods } from './registry';
import { presetValues } from '../state/url';

const settings = presetValues(dinoDescription, 'tiny'); // K = 64
const lnK = Math.log(64);
const modes = collapseModesOf(dinoDescription);
const healthy = { teacherEntropy: 0.5 * lnK, kl: 0.8, batchMeanEntropy: 0.9 * lnK, embeddingStd: 0.7, rankMe: 6 };
const uniform = { teacherEntropy: 0.97 * lnK, kl: 0.01, batchMeanEntropy: lnK, embeddingStd: 0.5, rankMe: 5 };
const oneHot = { teacherEntropy: 0.02, kl: 0.01, batchMeanEntropy: 0.05, embeddingStd: 0.4, rankMe: 3 };
const constant = { teacherEntropy: 0.5 * lnK, kl: 0.3, batchMeanEntropy: 0.8 * lnK, embeddingStd: 0.02, rankMe: 1.1 };

/** Records every 10 steps from the given values. */
const stream = (...parts: [Record<string, number>, number][]) => {
  const records: { step: number; values: Record<string, number> }[] = [];
  for (const [values, count] of parts) for (let i = 0; i < count; i++) records.push({ step: (records.length + 1) * 10, values });
  return records;
};

describe('collapse detector on synthetic metric streams', () => {
  it('stays quiet on a healthy run', () => {
    const state = detectCollapse(stream([healthy, 50]), modes, settings);
    expect(state.active).toBeNull();
    expect(state.episodes).toEqual([]);
  });

  it('names uniform collapse and dates it from the first collapsed record', () => {
    const state = detectCollapse(stream([healthy, 5], [uniform, 10]), modes, settings);
    expect(state.active).toEqual({ mode: 'uniform', since: 60, until: null });
  });

  it('names one-dimension collapse, and representation collapse for a constant embedding', () => {
    expect(detectCollapse(stream([healthy, 2], [oneHot, 5]), modes, settings).active?.mode).toBe('one-dimension');
    expect(detectCollapse(stream([constant, 4]), modes, settings).active?.mode).toBe('representation');
  });

  it(`needs ${SUSTAIN} records in a row: isolated spikes are not collapse`, () => {
    const spiky = stream([healthy, 3], [uniform, SUSTAIN - 1], [healthy, 3], [uniform, SUSTAIN - 1], [healthy, 3]);
    expect(detectCollapse(spiky, modes, settings).episodes).toEqual([]);
  });

  it('ends an episode after a sustained recovery and keeps it in the history', () => {
    const state = detectCollapse(stream([uniform, 4], [healthy, 5]), modes, settings);
    expect(state.active).toBeNull();
    expect(state.episodes).toEqual([{ mode: 'uniform', since: 10, until: 50 }]);
  });

  it('moves to a more specific mode when it appears: constant output, then uniform', () => {
    // Centering without sharpening: the output stops depending on the image first, and only
    // then does the KL fall far enough to call it uniform.
    const flat = { teacherEntropy: 0.95 * lnK, kl: 0.3, batchMeanEntropy: 0.97 * lnK, embeddingStd: 0.5, rankMe: 4 };
    const state = detectCollapse(stream([flat, 5], [uniform, 4]), modes, settings);
    expect(state.episodes).toEqual([
      { mode: 'constant-output', since: 10, until: 80 },
      { mode: 'uniform', since: 60, until: null },
    ]);
    expect(state.active?.mode).toBe('uniform');
  });

  it('ignores records without the metrics a mode needs', () => {
    const state = detectCollapse(stream([{ loss: 1 }, 10]), modes, settings);
    expect(state.active).toBeNull();
  });

  it('does not modify the state it is given', () => {
    const start = initialDetector();
    const next = advanceDetector(start, 10, uniform, modes, settings);
    expect(start).toEqual(initialDetector());
    expect(next).not.toBe(start);
  });
});

describe('every method lists its charts, modes and lessons consistently', () => {
  for (const method of methods) {
    it(`${method.id}: chart and lesson metrics exist, lesson presets exist`, () => {
      const values = presetValues(method, method.presets[0].id);
      const charts = method.charts(values);
      expect(charts[0].section).toBe('training');
      const ids = charts.map((c) => c.id);
      expect(new Set(ids).size).toBe(ids.length);
      // The representation-collapse charts, for every method whose loss could collapse it; the
      // denoising methods have nothing to collapse into and watch no embeddings.
      const watched = !['dep', 'dreamteacher'].includes(method.id);
      expect(ids.includes('embedding-std')).toBe(watched);
      expect(ids.includes('rankme')).toBe(watched);
      // Issue 23: every chart names what its y axis measures (a unit or the quantity), not just its title.
      for (const preset of method.presets) {
        for (const chart of method.charts(presetValues(method, preset.id))) expect(chart.yLabel, `${chart.id} (${preset.id})`).toBeTruthy();
      }
      const metricNames = new Set(charts.flatMap((c) => c.lines.map((l) => l.name)));
      for (const lesson of method.lessons) {
        expect(metricNames.has(lesson.metric)).toBe(true);
        expect(lesson.runs.length).toBeGreaterThanOrEqual(2);
        for (const run of lesson.runs) expect(method.presets.some((p) => p.id === run.preset)).toBe(true);
        expect(lesson.text.split('. ').length).toBeGreaterThanOrEqual(2);
      }
    });
  }
});
