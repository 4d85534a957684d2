import { describe, expect, it } from 'vitest';
import type { ReconstructionProbe } from '../../methods/probes';
import { ERROR_STOPS, imageToRgba as imageRgba } from './denoisingDraw';
import { errorColorScaled, formatLoss } from './featureDraw';
import {
  MASK_GREY, MASK_HATCH, RECON_ERROR_MAX, UNSEEN_GREY, errorRgba, formatRatio, levelRgba,
  maskRatioSetting, maskedAtRatio, maskedInputRgba, onHatch, pastedReconstructionRgba, patchOf,
  reconstructionCellSide, reconstructionSummary, visibleCount,
} from './reconstructionDraw';

/** The error colour on this view's scale (the feature view's ramp, up to RECON_ERROR_MAX). */
const reconErrorColor = (error: number, max = RECON_ERROR_MAX) => errorColorScaled(error, max);

/** RGBA bytes of pixel p as a plain array. */
const px = (rgba: Uint8ClampedArray, p: number) => [...rgba.subarray(p * 4, p * 4 + 4)];
const byte = (v: number) => Math.round(v * 255);

// A 4×4 image in 2×2 patches (grid 2, N = 4), two images; pixel (x, y) of image p has colour
// (x/4, y/4, p/2) so every pixel is distinct.
const S = 4;
const PATCH = 2;
const GRID = 2;
const N = GRID * GRID;
const images = new Float32Array(2 * S * S * 3);
for (let p = 0; p < 2; p++) for (let y = 0; y < S; y++) for (let x = 0; x < S; x++) {
  images.set([x / 4, y / 4, p / 2], ((p * S + y) * S + x) * 3);
}
/** Image 0: patches 1 and 2 masked; image 1: patch 0 masked. */
const masked = Uint8Array.from([0, 1, 1, 0, /**/ 1, 0, 0, 0]);
const pixelOf = (x: number, y: number) => y * S + x;

describe('patchOf', () => {
  it('maps a pixel to its row-major patch', () => {
    expect(patchOf(0, 0, 2, 2)).toBe(0);
    expect(patchOf(3, 0, 2, 2)).toBe(1);
    expect(patchOf(1, 2, 2, 2)).toBe(2);
    expect(patchOf(3, 3, 2, 2)).toBe(3);
  });
});

describe('imageRgba', () => {
  it('reads image `index` and clips to [0, 1]', () => {
    const rgba = imageRgba(Float32Array.from([-1, 0.5, 2, 0, 0, 0, /**/ 0.2, Number.NaN, 1, 0, 0, 0]), 1, 0);
    expect(rgba.length).toBe(4);
    expect(px(rgba, 0)).toEqual([0, 128, 255, 255]);
    expect(px(imageRgba(Float32Array.from([-1, 0.5, 2, 0.2, Number.NaN, 1]), 1, 1), 0)).toEqual([51, 0, 255, 255]);
  });
});

describe('maskedInputRgba', () => {
  it('draws masked patches grey (hatched) and leaves visible ones untouched', () => {
    for (const index of [0, 1]) {
      const rgba = maskedInputRgba(images, masked, S, PATCH, GRID, index);
      for (let y = 0; y < S; y++) for (let x = 0; x < S; x++) {
        const q = patchOf(x, y, PATCH, GRID);
        const got = px(rgba, pixelOf(x, y));
        if (masked[index * N + q]) {
          const g = byte(onHatch(x, y) ? MASK_HATCH : MASK_GREY);
          expect(got).toEqual([g, g, g, 255]);
        } else {
          expect(got).toEqual([byte(x / 4), byte(y / 4), byte(index / 2), 255]);
        }
      }
    }
  });
});

describe('pastedReconstructionRgba', () => {
  it('keeps the original at visible patches and the (clipped) prediction at masked ones', () => {
    // The prediction: 0.75 everywhere in image 0, −0.5 (clipped to 0) in image 1.
    const reconstruction = new Float32Array(images.length);
    reconstruction.fill(0.75, 0, S * S * 3);
    reconstruction.fill(-0.5, S * S * 3);
    for (const index of [0, 1]) {
      const rgba = pastedReconstructionRgba(images, reconstruction, masked, S, PATCH, GRID, index);
      for (let y = 0; y < S; y++) for (let x = 0; x < S; x++) {
        const q = patchOf(x, y, PATCH, GRID);
        const predicted = index === 0 ? byte(0.75) : 0;
        const want = masked[index * N + q] ? [predicted, predicted, predicted, 255] : [byte(x / 4), byte(y / 4), byte(index / 2), 255];
        expect(px(rgba, pixelOf(x, y))).toEqual(want);
      }
    }
  });
});

describe('reconErrorColor and errorRgba', () => {
  it('ramps white → dark red up to the max; NaN is the darkest', () => {
    expect(reconErrorColor(0)).toEqual([...ERROR_STOPS[0]]);
    expect(reconErrorColor(RECON_ERROR_MAX)).toEqual([...ERROR_STOPS[3]]);
    expect(reconErrorColor(10)).toEqual([...ERROR_STOPS[3]]);
    expect(reconErrorColor(Number.NaN)).toEqual([...ERROR_STOPS[3]]);
    expect(reconErrorColor(RECON_ERROR_MAX / 3)).toEqual([...ERROR_STOPS[1]]);
    expect(reconErrorColor(0, 0)).toEqual([...ERROR_STOPS[0]]);
  });

  it('draws masked patches on the full ramp and visible ones faded toward grey', () => {
    const error = new Float32Array(2 * S * S).fill(RECON_ERROR_MAX); // dark red everywhere
    const rgba = errorRgba(error, masked, S, PATCH, GRID, 0);
    // Image 0, patch 1 (x = 2, y = 0) is masked: full dark red.
    expect(px(rgba, pixelOf(2, 0))).toEqual([...ERROR_STOPS[3], 255]);
    // Patch 0 (x = 1, y = 0) is visible: much lighter than dark red, and greyer (smaller red − blue gap).
    const faded = px(rgba, pixelOf(1, 0));
    expect(faded[0]).toBeGreaterThan(ERROR_STOPS[3][0] + 60);
    expect(faded[0] - faded[2]).toBeLessThan((ERROR_STOPS[3][0] - ERROR_STOPS[3][2]) / 2);
    // A hatch pixel (0, 0) is darker than a plain one (1, 0) in the same visible patch.
    expect(px(rgba, pixelOf(0, 0))[1]).toBeLessThan(faded[1]);
  });

  it('reads error image `index`', () => {
    const error = new Float32Array(2 * S * S);
    error.fill(RECON_ERROR_MAX, S * S); // image 1 all wrong, image 0 exact
    expect(px(errorRgba(error, masked, S, PATCH, GRID, 0), pixelOf(2, 0))).toEqual([255, 255, 255, 255]);
    expect(px(errorRgba(error, masked, S, PATCH, GRID, 1), pixelOf(0, 0))).toEqual([...ERROR_STOPS[3], 255]);
  });
});

describe('levelRgba', () => {
  it('draws masked patches light grey and visible ones in their (clipped) colours, perPatch² cells a patch', () => {
    // A level at 2 per patch on the 2×2 grid: 4×4 cells, two images.
    const size = 4;
    const rgb = new Float32Array(2 * size * size * 3).fill(0.25);
    rgb[0] = 1.5; // image 0, cell (0, 0): red clipped to 1
    const level = { rgb, size, perPatch: 2 };
    const rgba = levelRgba(level, masked, GRID, 0);
    const unseen = byte(UNSEEN_GREY);
    expect(px(rgba, 0)).toEqual([255, 64, 64, 255]);
    expect(px(rgba, 1 * size + 1)).toEqual([64, 64, 64, 255]); // still patch 0
    expect(px(rgba, 0 * size + 2)).toEqual([unseen, unseen, unseen, 255]); // patch 1
    expect(px(rgba, 3 * size + 1)).toEqual([unseen, unseen, unseen, 255]); // patch 2
    expect(px(rgba, 3 * size + 3)).toEqual([64, 64, 64, 255]); // patch 3
    const second = levelRgba(level, masked, GRID, 1);
    expect(px(second, 0)).toEqual([unseen, unseen, unseen, 255]);
    expect(px(second, 2)).toEqual([64, 64, 64, 255]);
  });

  it('handles one cell per patch', () => {
    const rgb = Float32Array.from({ length: 2 * N * 3 }, () => 0.5);
    const rgba = levelRgba({ rgb, size: GRID, perPatch: 1 }, masked, GRID, 0);
    const unseen = byte(UNSEEN_GREY);
    expect([0, 1, 2, 3].map((i) => px(rgba, i)[0])).toEqual([128, unseen, unseen, 128]);
  });
});

describe('visibleCount and maskedAtRatio', () => {
  it('keeps floor(N · (1 − r)) patches, clamped, with the method’s own float rounding', () => {
    expect(visibleCount(16, 0.75)).toBe(4);
    expect(visibleCount(16, 0.6)).toBe(6);
    expect(visibleCount(10, 0.9)).toBe(Math.floor(10 * (1 - 0.9))); // 0: 0.999… floors down, as in training
    expect(visibleCount(64, 0.75)).toBe(16);
    expect(visibleCount(16, 0)).toBe(16);
    expect(visibleCount(16, 1)).toBe(0);
    expect(visibleCount(16, -1)).toBe(16);
    expect(visibleCount(16, Number.NaN)).toBe(0);
  });

  it('masks exactly N − floor(N(1 − r)) patches per image: all but the first of each order', () => {
    const patches = 16;
    const count = 3;
    const order = new Int32Array(count * patches);
    // A permutation: 3, 5, 7 are prime to 16.
    for (let p = 0; p < count; p++) for (let k = 0; k < patches; k++) order[p * patches + k] = (k * (2 * p + 3) + p) % patches;
    for (const ratio of [0, 0.25, 0.5, 0.6, 0.75, 0.9, 1]) {
      const m = maskedAtRatio(order, count, patches, ratio);
      const keep = visibleCount(patches, ratio);
      for (let p = 0; p < count; p++) {
        const row = m.subarray(p * patches, (p + 1) * patches);
        expect(row.reduce((a, v) => a + v, 0)).toBe(patches - keep);
        for (let k = 0; k < patches; k++) expect(row[order[p * patches + k]]).toBe(k < keep ? 0 : 1);
      }
    }
  });

  it('agrees with a probe’s own mask at its ratio, and ignores indices out of range', () => {
    const probe = syntheticProbe(0.75);
    expect([...maskedAtRatio(probe.order, probe.count, N, probe.maskRatio)]).toEqual([...probe.masked]);
    const bad = Int32Array.from([7, -1, 0, 1]);
    expect([...maskedAtRatio(bad, 1, 4, 0.5)]).toEqual([1, 1, 1, 1]);
  });
});

describe('maskRatioSetting and formatting', () => {
  it('parses the setting defensively', () => {
    expect(maskRatioSetting(0.5)).toBe(0.5);
    expect(maskRatioSetting('0.75')).toBe(0.75);
    expect(maskRatioSetting(' 0.6 ')).toBe(0.6);
    expect(maskRatioSetting(undefined)).toBeUndefined();
    expect(maskRatioSetting('')).toBeUndefined();
    expect(maskRatioSetting('abc')).toBeUndefined();
    expect(maskRatioSetting(true)).toBeUndefined();
    expect(maskRatioSetting(1.5)).toBeUndefined();
    expect(maskRatioSetting(Number.NaN)).toBeUndefined();
  });

  it('formats ratios and losses', () => {
    expect(formatRatio(0.75)).toBe('0.75');
    expect(formatRatio(0.5)).toBe('0.5');
    expect(formatRatio(Number.NaN)).toBe('–');
    expect(formatLoss(0.41234)).toBe('0.412');
    expect(formatLoss(0.00025)).toBe('2.5e−4');
    expect(formatLoss(Number.NaN)).toBe('–');
  });
});

describe('reconstructionSummary', () => {
  it('averages each image’s error over its masked pixels and writes the readout', () => {
    const probe = syntheticProbe(0.5);
    // Error 1 at masked pixels, 100 at visible ones (which must not count).
    for (let p = 0; p < probe.count; p++) for (let y = 0; y < S; y++) for (let x = 0; x < S; x++) {
      probe.error[(p * S + y) * S + x] = probe.masked[p * N + patchOf(x, y, PATCH, GRID)] ? 1 + p : 100;
    }
    const s = reconstructionSummary(probe);
    expect(s.patches).toBe(4);
    expect(s.imageMse).toEqual([1, 2]);
    expect(s.text).toBe('step 300 · mask ratio 0.5 · visible 2 of 4 patches · MIM loss 0.5 (1.0 = predicting the patch mean) · 1 pyramid level');
    expect(reconstructionSummary({ ...probe, pyramid: false }).text).toContain('MAE baseline, pyramid off');
  });
});

describe('reconstructionCellSide', () => {
  it('picks the largest whole multiple of every size that fits the columns in the budget', () => {
    expect(reconstructionCellSide([32, 4, 8, 16], 8)).toBe(96); // 8·96 + 7·6 = 810 ≤ 860
    expect(reconstructionCellSide([32, 4, 8, 16], 8, { budget: 700 })).toBe(64);
    expect(reconstructionCellSide([32, 4, 8, 16], 8, { budget: 100 })).toBe(64); // none fits: the smallest
    expect(reconstructionCellSide([16, 4], 6)).toBe(96);
    expect(reconstructionCellSide([48], 6)).toBe(96);
    expect(reconstructionCellSide([52], 6)).toBe(80); // no multiple in range: the fallback
    expect(reconstructionCellSide([], 6)).toBe(80);
  });
});

/** A two-image probe on the 4×4 / 2×2 layout whose mask follows its order at `ratio`. */
function syntheticProbe(ratio: number): ReconstructionProbe {
  const order = Int32Array.from([3, 0, 2, 1, /**/ 1, 2, 3, 0]);
  const visible = visibleCount(N, ratio);
  const m = new Uint8Array(2 * N).fill(1);
  for (let p = 0; p < 2; p++) for (let k = 0; k < visible; k++) m[p * N + order[p * N + k]] = 0;
  return {
    kind: 'reconstruction', step: 300, imageSize: S, patchSize: PATCH, grid: GRID, count: 2, maskRatio: ratio, visible,
    pyramid: true, images, order, masked: m, reconstruction: new Float32Array(images.length),
    error: new Float32Array(2 * S * S), mse: 0.5,
    levels: [{ name: '1×1 per patch', perPatch: 1, size: GRID, channels: 8, rgb: new Float32Array(2 * N * 3), featureLoss: Number.NaN }],
  };
}
