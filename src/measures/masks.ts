/**
 * Mask and label arithmetic shared by the engine (evaluation probes, in the worker) and the
 * page (probe views): typed arrays in, numbers out. No tfjs, no DOM, no imports, so either
 * side can use it and Node tests it directly.
 */

/**
 * DINO's visualize_attention.py thresholding: the fewest highest-attention patches that hold
 * `mass` of the total (the patch that reaches it is kept). 1 = kept.
 * - Ties are ordered by patch index, so a tie at the threshold keeps the earlier patch only:
 *   deterministic, and the kept mass is still the smallest that reaches the target.
 * - Patches with no attention (0, or NaN) are never kept, so all-zero input keeps nothing and
 *   mass 1 keeps exactly the patches with some attention.
 * - Sums run in float64 with a 1e-6 relative slack so float32 rounding cannot make a
 *   cumulative sum miss a target it equals.
 */
export function massMask(attention: Float32Array, mass: number): Uint8Array {
  const n = attention.length;
  const kept = new Uint8Array(n);
  const value = (i: number) => (attention[i] > 0 ? attention[i] : 0); // NaN > 0 is false
  let total = 0;
  for (let i = 0; i < n; i++) total += value(i);
  if (total <= 0) return kept;
  const target = Math.min(Math.max(mass, 0), 1) * total * (1 - 1e-6);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => value(b) - value(a) || a - b);
  let cumulative = 0;
  for (const i of order) {
    if (value(i) <= 0) break;
    kept[i] = 1;
    cumulative += value(i);
    if (cumulative >= target) break;
  }
  return kept;
}

/**
 * Jaccard (intersection over union) between the kept patches, upsampled to pixels, and the
 * object mask [imageSize, imageSize] (non-zero = object). Both empty counts as agreement: 1.
 */
export function maskJaccard(kept: Uint8Array, grid: number, objectMask: Uint8Array, imageSize: number): number {
  let intersection = 0;
  let union = 0;
  for (let y = 0; y < imageSize; y++) {
    const row = Math.floor((y * grid) / imageSize) * grid;
    for (let x = 0; x < imageSize; x++) {
      const inKept = kept[row + Math.floor((x * grid) / imageSize)] !== 0;
      const inObject = objectMask[y * imageSize + x] !== 0;
      if (inKept && inObject) intersection++;
      if (inKept || inObject) union++;
    }
  }
  return union === 0 ? 1 : intersection / union;
}

/** Integer class ids, one per pixel (or per image). */
export type ClassIds = Uint8Array | Int32Array;

/**
 * Counts of (true class, predicted class) pairs: entry [truth·classes + predicted]. Rows are
 * the truth, columns the prediction, so a row sums to the pixels of that class and a column to
 * the pixels predicted as it. Throws on a length mismatch or an id outside [0, classes).
 */
export function confusionMatrix(predicted: ClassIds, truth: ClassIds, classes: number): Float64Array {
  if (predicted.length !== truth.length) {
    throw new Error(`confusionMatrix: ${predicted.length} predictions for ${truth.length} labels`);
  }
  const counts = new Float64Array(classes * classes);
  for (let i = 0; i < truth.length; i++) {
    const t = truth[i];
    const p = predicted[i];
    if (!(t >= 0 && t < classes && p >= 0 && p < classes)) {
      throw new Error(`confusionMatrix: class id out of range at ${i} (truth ${t}, predicted ${p}, ${classes} classes)`);
    }
    counts[t * classes + p]++;
  }
  return counts;
}

/**
 * Intersection over union per class from a confusion matrix [truth, predicted]:
 * IoU_c = TP / (TP + FP + FN), where TP is the diagonal entry, FN the rest of row c (pixels of
 * class c predicted as something else) and FP the rest of column c (pixels wrongly predicted
 * as c). A class absent from both the truth and the prediction has an empty union: its IoU is
 * NaN and it is left out of the mean (the usual mIoU convention, e.g. mmseg's nanmean), so a
 * split without some class is not penalised for it. mIoU is NaN when every class is empty.
 */
export function meanIoU(confusion: Float64Array, classes: number): { mIoU: number; perClass: number[] } {
  const perClass: number[] = [];
  let sum = 0;
  let present = 0;
  for (let c = 0; c < classes; c++) {
    const truePositive = confusion[c * classes + c];
    let rowTotal = 0;
    let columnTotal = 0;
    for (let j = 0; j < classes; j++) {
      rowTotal += confusion[c * classes + j];
      columnTotal += confusion[j * classes + c];
    }
    const union = rowTotal + columnTotal - truePositive; // TP + FN + FP
    if (union > 0) {
      const iou = truePositive / union;
      perClass.push(iou);
      sum += iou;
      present++;
    } else {
      perClass.push(Number.NaN);
    }
  }
  return { mIoU: present > 0 ? sum / present : Number.NaN, perClass };
}

/**
 * Pixel classes for a segmentation probe from object masks [N, S, S] (non-zero = object) and
 * image labels [N]: 0 on the background, label + 1 on the object. With K shape classes the
 * probe therefore has K + 1 classes.
 */
export function segmentationLabels(masks: Uint8Array, labels: Int32Array): Int32Array {
  const count = labels.length;
  const area = count > 0 ? masks.length / count : 0;
  if (!Number.isInteger(area)) {
    throw new Error(`segmentationLabels: ${masks.length} mask pixels do not split into ${count} images`);
  }
  const pixels = new Int32Array(masks.length);
  for (let n = 0; n < count; n++) {
    const objectClass = labels[n] + 1;
    for (let i = n * area; i < (n + 1) * area; i++) pixels[i] = masks[i] !== 0 ? objectClass : 0;
  }
  return pixels;
}
