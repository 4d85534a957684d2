import { describe, expect, it } from 'vitest';
import type { FeatureLevel } from '../../methods/probes';
import { ERROR_STOPS } from './denoisingDraw';
import {
  HEAT_STOPS, errorColorScaled, errorToRgbaScaled, featureCellSide, featureSummary, formatLoss, gradientCss, heatColor,
  heatToRgba, rgbToRgba,
} from './featureDraw';

const f32 = (values: number[]) => Float32Array.from(values);
/** RGBA bytes of pixel p as a plain array. */
const px = (rgba: Uint8ClampedArray, p: number) => [...rgba.subarray(p * 4, p * 4 + 4)];
const opaque = (c: readonly number[]) => [...c, 255];

describe('rgbToRgba', () => {
  it('maps [0, 1] to opaque bytes, per channel', () => {
    expect(px(rgbToRgba(f32([0, 0.5, 1]), 1, 0), 0)).toEqual([0, 128, 255, 255]);
  });

  it('clips out-of-range and non-finite values', () => {
    // A 2×2 map: pixel 0 (−0.3, 1.7, NaN), pixel 1 (+∞, −∞, 0.2).
    const rgba = rgbToRgba(f32([-0.3, 1.7, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0.2, 0, 0, 0, 0, 0, 0]), 2, 0);
    expect(px(rgba, 0)).toEqual([0, 255, 0, 255]);
    expect(px(rgba, 1)).toEqual([255, 0, 51, 255]);
  });

  it('reads map `index` of a [P, size, size, 3] array, in raster order', () => {
    const first = Array(12).fill(0);
    const second = [1, 0, 0, /**/ 0, 1, 0, /**/ 0, 0, 1, /**/ 1, 1, 1];
    const rgba = rgbToRgba(f32([...first, ...second]), 2, 1);
    expect(rgba.length).toBe(16);
    expect([0, 1, 2, 3].map((p) => px(rgba, p))).toEqual([
      [255, 0, 0, 255], [0, 255, 0, 255], [0, 0, 255, 255], [255, 255, 255, 255],
    ]);
  });
});

describe('heatColor / heatToRgba', () => {
  it('runs viridis from dark purple at 0 to yellow at 1, through the stops', () => {
    expect(heatColor(0)).toEqual([...HEAT_STOPS[0]]);
    expect(heatColor(1)).toEqual([...HEAT_STOPS[HEAT_STOPS.length - 1]]);
    expect(heatColor(0.5)).toEqual([...HEAT_STOPS[4]]);
    // Halfway between the first two stops.
    expect(heatColor(1 / 16)).toEqual([70, 21, 102]);
  });

  it('gets lighter as the value grows (a sequential ramp)', () => {
    const luma = ([r, g, b]: number[]) => 0.2126 * r + 0.7152 * g + 0.0722 * b;
    let last = -1;
    for (let t = 0; t <= 1.0001; t += 0.05) {
      const l = luma(heatColor(t));
      expect(l).toBeGreaterThan(last);
      last = l;
    }
  });

  it('clamps out-of-range values; NaN is 0', () => {
    expect(heatColor(-2)).toEqual(heatColor(0));
    expect(heatColor(7)).toEqual(heatColor(1));
    expect(heatColor(Number.NaN)).toEqual(heatColor(0));
    expect(heatColor(Number.POSITIVE_INFINITY)).toEqual(heatColor(1));
  });

  it('draws map `index` of a [P, size, size] array, opaque', () => {
    // Two 2×2 maps; the second is 0, 0.5, 1, NaN.
    const rgba = heatToRgba(f32([9, 9, 9, 9, 0, 0.5, 1, Number.NaN]), 2, 1);
    expect(rgba.length).toBe(16);
    expect(px(rgba, 0)).toEqual(opaque(HEAT_STOPS[0]));
    expect(px(rgba, 1)).toEqual(opaque(HEAT_STOPS[4]));
    expect(px(rgba, 2)).toEqual(opaque(HEAT_STOPS[8]));
    expect(px(rgba, 3)).toEqual(opaque(HEAT_STOPS[0]));
  });
});

describe('errorColorScaled / errorToRgbaScaled', () => {
  it('is white at 0 and dark red at the max and above', () => {
    expect(errorColorScaled(0, 0.2)).toEqual([255, 255, 255]);
    expect(errorColorScaled(0.2, 0.2)).toEqual([...ERROR_STOPS[3]]);
    expect(errorColorScaled(5, 0.2)).toEqual([...ERROR_STOPS[3]]);
    // A third of the way: the second stop.
    expect(errorColorScaled(0.1, 0.3)).toEqual([...ERROR_STOPS[1]]);
  });

  it('scales by the max given, so one error is lighter on a larger shared scale', () => {
    const red = (c: number[]) => c[1]; // green falls as the ramp reddens
    expect(red(errorColorScaled(0.05, 1))).toBeGreaterThan(red(errorColorScaled(0.05, 0.1)));
  });

  it('shows NaN as the darkest and, with no positive max, finite errors as white', () => {
    expect(errorColorScaled(Number.NaN, 1)).toEqual([...ERROR_STOPS[3]]);
    expect(errorColorScaled(0, 0)).toEqual([255, 255, 255]);
    expect(errorColorScaled(0.3, Number.NaN)).toEqual([255, 255, 255]);
    expect(errorColorScaled(-1, 1)).toEqual([255, 255, 255]);
  });

  it('draws map `index` of a [P, size, size] array, opaque', () => {
    const rgba = errorToRgbaScaled(f32([1, 1, 1, 1, 0, 0.5, 1, 2]), 2, 1, 1);
    expect(rgba.length).toBe(16);
    expect(px(rgba, 0)).toEqual([255, 255, 255, 255]);
    expect(px(rgba, 1)).toEqual(opaque(errorColorScaled(0.5, 1)));
    expect(px(rgba, 2)).toEqual(opaque(ERROR_STOPS[3]));
    expect(px(rgba, 3)).toEqual(opaque(ERROR_STOPS[3]));
  });
});

describe('gradientCss', () => {
  it('lists the stops as a left-to-right gradient', () => {
    expect(gradientCss([[0, 0, 0], [255, 128, 1]])).toBe('linear-gradient(to right, rgb(0, 0, 0), rgb(255, 128, 1))');
  });
});

const level = (name: string, error: number[], mse: number, attentionLoss: number): FeatureLevel => ({
  name, size: 1, channels: 8, teacherRgb: new Float32Array(3 * error.length), studentRgb: new Float32Array(3 * error.length),
  teacherAttention: new Float32Array(error.length), studentAttention: new Float32Array(error.length),
  error: f32(error), mse, attentionLoss,
});

describe('featureSummary', () => {
  it('gives each level its name, losses and largest error over all images', () => {
    const s = featureSummary({
      levels: [level('S/4', [0.1, 0.4, 0.2], 0.3, 0.02), level('S/2', [0.05, Number.NaN, 0.9, 0.1], 0.1, 0.04)],
    });
    expect(s.levels.map((l) => l.name)).toEqual(['S/4', 'S/2']);
    expect(s.levels[0]).toMatchObject({ mse: 0.3, attentionLoss: 0.02 });
    expect(s.levels[0].errorMax).toBeCloseTo(0.4);
    expect(s.levels[1].errorMax).toBeCloseTo(0.9); // NaN skipped
  });

  it('shares the largest level error as the scale and averages the losses over levels', () => {
    const s = featureSummary({ levels: [level('a', [0.2], 0.3, 0.02), level('b', [0.6], 0.1, 0.04), level('c', [0.1], 0.2, 0.06)] });
    expect(s.errorMax).toBeCloseTo(0.6);
    expect(s.meanMse).toBeCloseTo(0.2);
    expect(s.meanAttentionLoss).toBeCloseTo(0.04);
  });

  it('is empty with no levels, and 0 errorMax with no finite positive errors', () => {
    const none = featureSummary({ levels: [] });
    expect(none.levels).toEqual([]);
    expect(none.errorMax).toBe(0);
    expect(none.meanMse).toBeNaN();
    expect(featureSummary({ levels: [level('a', [0, Number.NaN], 0, 0)] }).errorMax).toBe(0);
  });
});

describe('formatLoss', () => {
  it('shows three significant digits, small values in exponent form, none as a dash', () => {
    expect(formatLoss(0.04213)).toBe('0.0421');
    expect(formatLoss(1.5)).toBe('1.5');
    expect(formatLoss(12.345)).toBe('12.3');
    expect(formatLoss(0)).toBe('0');
    expect(formatLoss(0.00025)).toBe('2.5e−4');
    expect(formatLoss(Number.NaN)).toBe('–');
    expect(formatLoss(Number.POSITIVE_INFINITY)).toBe('–');
  });
});

describe('featureCellSide', () => {
  it('is a whole multiple of every level size near 96 px', () => {
    expect(featureCellSide([4, 8, 16])).toBe(96);
    expect(featureCellSide([8, 16, 32])).toBe(96);
    expect(featureCellSide([2, 4, 8, 32])).toBe(96);
  });

  it('picks the multiple nearest the target, and the target when there is none', () => {
    expect(featureCellSide([7])).toBe(98);
    expect(featureCellSide([5, 7])).toBe(105);
    expect(featureCellSide([64])).toBe(96); // no multiple of 64 within 72–120
    expect(featureCellSide([16, 32, 64])).toBe(96);
    expect(featureCellSide([])).toBe(96);
    expect(featureCellSide([0, Number.NaN])).toBe(96);
  });
});
