import { describe, expect, it } from 'vitest';
import { confusionMatrix, maskJaccard, massMask, meanIoU, segmentationLabels } from './masks';

const f32 = (values: number[]) => Float32Array.from(values);
const i32 = (values: number[]) => Int32Array.from(values);

// A 4×4 image, rows top to bottom. The truth has a 2×2 object of class 1 in the middle; the
// prediction slides one object pixel to the right:
//   truth      predicted
//   0 0 0 0    0 0 0 0
//   0 1 1 0    0 1 1 1
//   0 1 1 0    0 0 1 0
//   0 0 0 0    0 0 0 0
// Class 1: TP = 3 ((1,1) (1,2) (2,2)), FN = 1 ((2,1)), FP = 1 ((1,3)) → IoU 3/5.
// Class 0: TP = 11 (12 background pixels less (1,3)), FN = 1 ((1,3)), FP = 1 ((2,1)) → IoU 11/13.
const truth = i32([0, 0, 0, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0]);
const predicted = i32([0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0]);

describe('confusionMatrix', () => {
  it('counts [truth, predicted] pairs', () => {
    // Rows are the truth: background 11 right + 1 called object; object 1 called background + 3 right.
    expect([...confusionMatrix(predicted, truth, 3)]).toEqual([11, 1, 0, 1, 3, 0, 0, 0, 0]);
  });

  it('accepts bytes as well as int32 and sums to the pixel count', () => {
    const counts = confusionMatrix(Uint8Array.from(predicted), Uint8Array.from(truth), 2);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(16);
  });

  it('rejects mismatched lengths and ids out of range', () => {
    expect(() => confusionMatrix(i32([0, 1]), i32([0]), 2)).toThrow(/2 predictions for 1 labels/);
    expect(() => confusionMatrix(i32([0, 2]), i32([0, 1]), 2)).toThrow(/out of range/);
    expect(() => confusionMatrix(i32([0, -1]), i32([0, 1]), 2)).toThrow(/out of range/);
  });
});

describe('meanIoU', () => {
  it('matches the hand count, skipping a class absent from truth and prediction', () => {
    const { mIoU, perClass } = meanIoU(confusionMatrix(predicted, truth, 3), 3);
    expect(perClass[0]).toBeCloseTo(11 / 13, 12);
    expect(perClass[1]).toBeCloseTo(3 / 5, 12);
    expect(perClass[2]).toBeNaN();
    // Mean over the two present classes only: (11/13 + 3/5) / 2 ≈ 0.7231, not divided by 3.
    expect(mIoU).toBeCloseTo((11 / 13 + 3 / 5) / 2, 12);
  });

  it('counts a class that is only predicted (IoU 0), and one that is only true', () => {
    // One background pixel wrongly called class 2: class 2 has TP 0, FP 1 → IoU 0, and counts.
    // Class 0 loses that pixel: TP 10, FN 2 ((1,3) and (0,0)), FP 1 → 10/13.
    const withFalseAlarm = predicted.slice();
    withFalseAlarm[0] = 2;
    const { mIoU, perClass } = meanIoU(confusionMatrix(withFalseAlarm, truth, 3), 3);
    expect(perClass).toEqual([10 / 13, 3 / 5, 0]);
    expect(mIoU).toBeCloseTo((10 / 13 + 3 / 5 + 0) / 3, 12);
    // Everything predicted background: class 1 has TP 0, FN 4 → IoU 0, still counted; 12/16 for class 0.
    const allBackground = meanIoU(confusionMatrix(new Int32Array(16), truth, 2), 2);
    expect(allBackground.perClass).toEqual([12 / 16, 0]);
    expect(allBackground.mIoU).toBeCloseTo(0.375, 12);
  });

  it('is 1 for a perfect prediction and NaN when there is nothing to score', () => {
    expect(meanIoU(confusionMatrix(truth, truth, 4), 4)).toEqual({ mIoU: 1, perClass: [1, 1, Number.NaN, Number.NaN] });
    expect(meanIoU(confusionMatrix(i32([]), i32([]), 2), 2).mIoU).toBeNaN();
  });
});

describe('segmentationLabels', () => {
  it('puts label + 1 on the object and 0 on the background, per image', () => {
    // Two 2×2 masks: image 0 (label 0) has its left column, image 1 (label 3) its last pixel.
    const masks = Uint8Array.from([1, 0, 1, 0, 0, 0, 0, 255]);
    expect([...segmentationLabels(masks, i32([0, 3]))]).toEqual([1, 0, 1, 0, 0, 0, 0, 4]);
  });

  it('rejects masks that do not split evenly into the images', () => {
    expect(() => segmentationLabels(new Uint8Array(7), i32([0, 1]))).toThrow(/do not split/);
  });
});

describe('massMask edge cases', () => {
  it('keeps nothing for an empty map', () => {
    expect([...massMask(f32([]), 0.6)]).toEqual([]);
  });

  it('treats negative attention as none', () => {
    // Total of the positive part is 1; 0.6 of it needs the 0.6 patch only.
    expect([...massMask(f32([-5, 0.6, 0.4]), 0.6)]).toEqual([0, 1, 0]);
  });

  it('clamps the mass to [0, 1]: 0 keeps the single strongest patch, above 1 acts as 1', () => {
    expect([...massMask(f32([0.2, 0.5, 0.3]), 0)]).toEqual([0, 1, 0]);
    expect([...massMask(f32([0.2, 0.5, 0.3]), -1)]).toEqual([0, 1, 0]);
    expect([...massMask(f32([0.2, 0, 0.3]), 7)]).toEqual([1, 0, 1]);
  });

  it('reaches a target equal to a float32 value despite rounding', () => {
    // 0.7 in float32 is 0.69999998…, below the float64 target 0.7 · (total ≈ 1); without the
    // 1e-6 slack the 0.3 patch would be kept too.
    expect([...massMask(f32([0.7, 0.3]), 0.7)]).toEqual([1, 0]);
  });
});

describe('maskJaccard', () => {
  it('matches a hand count on 4×4 pixels and a 2×2 grid', () => {
    // Kept: the top two patches = the top 8 pixels. Object: the middle 2×2 (rows 1-2, cols 1-2).
    // Intersection: row 1, cols 1-2 = 2 pixels. Union: 8 + 4 - 2 = 10. Jaccard 2/10.
    const object = Uint8Array.from([0, 0, 0, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0]);
    expect(maskJaccard(Uint8Array.from([1, 1, 0, 0]), 2, object, 4)).toBeCloseTo(0.2, 12);
  });

  it('maps pixels to patches by floor(pixel·grid / size) when the grid does not divide the image', () => {
    // Grid 3 on 4 pixels: rows/cols 0,1 → patch 0; 2 → 1; 3 → 2. The centre patch (1,1) covers
    // only pixel (2,2); against a full object that is 1 of 16.
    const kept = Uint8Array.from([0, 0, 0, 0, 1, 0, 0, 0, 0]);
    expect(maskJaccard(kept, 3, new Uint8Array(16).fill(1), 4)).toBeCloseTo(1 / 16, 12);
  });
});
