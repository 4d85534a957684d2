import * as tf from '@tensorflow/tfjs';
import { confusionMatrix, meanIoU } from '../../measures/masks';
import { LINEAR_PROBE_DEFAULTS, applyHead, disposeHead, fitRidge, standardiser } from './linear';

/**
 * Linear segmentation probe on frozen patch features: a 1×1 linear head gives each patch class
 * logits; it is fitted (ridge regression, as the linear probe) to each patch's class fractions
 * (the share of its pixels in each class), and the held-out images' logits are upsampled
 * bilinearly to pixels, classified by argmax and scored by mIoU. This is the linear decoder of
 * the dense-probe evaluations (DINOv2's linear segmentation head, the LOCA/DeP label-efficiency
 * probes), shrunk to a closed-form fit on the small shapes dataset: fitting at patch rather than
 * pixel resolution costs (S/g)² times less and needs no upsampling gradient.
 */
export interface SegmentationProbeOptions {
  /** λ of the ridge penalty on standardised features (default: the linear probe's). */
  ridge?: number;
}

/**
 * mIoU over the test pixels (classes absent from both truth and prediction are skipped; see
 * meanIoU). Features [N, g, g, D]; pixels [N, S, S] class ids in [0, classes). Reads back the
 * test predictions once; disposes everything it makes.
 */
export async function segmentationProbe(
  trainFeatures: tf.Tensor4D, trainPixels: Int32Array, testFeatures: tf.Tensor4D, testPixels: Int32Array,
  classes: number, imageSize: number, options: SegmentationProbeOptions = {},
): Promise<{ mIoU: number; perClass: number[] }> {
  const [trainCount, grid, gridWidth, dimension] = trainFeatures.shape;
  const testCount = testFeatures.shape[0];
  const area = imageSize * imageSize;
  if (gridWidth !== grid || testFeatures.shape[1] !== grid || testFeatures.shape[2] !== grid || testFeatures.shape[3] !== dimension) {
    throw new Error(`segmentationProbe: features ${trainFeatures.shape} and ${testFeatures.shape} are not the same square grid`);
  }
  if (trainPixels.length !== trainCount * area || testPixels.length !== testCount * area) {
    throw new Error(`segmentationProbe: ${trainPixels.length}/${testPixels.length} pixel labels for ${trainCount}/${testCount} images of ${imageSize}²`);
  }
  if (trainCount === 0 || testCount === 0) throw new Error('segmentationProbe: empty train or test set');
  const settings = { ...LINEAR_PROBE_DEFAULTS, ...options };

  const fractions = patchClassFractions(trainPixels, trainCount, imageSize, grid, classes);
  const [x, xTest, targets, weights] = tf.tidy(() => {
    const flat = (f: tf.Tensor4D) => tf.reshape(f, [-1, dimension]) as tf.Tensor2D;
    const standardise = standardiser(flat(trainFeatures));
    return [
      standardise(flat(trainFeatures)),
      standardise(flat(testFeatures)),
      tf.tensor2d(fractions, [trainCount * grid * grid, classes]),
      tf.tensor2d(bilinearWeights(imageSize, grid), [imageSize, grid]),
    ];
  });
  // Background covers most pixels; weighting each patch by its classes' inverse frequency keeps
  // the fit from settling on "background everywhere" (class-balanced least squares).
  const head = await fitRidge(x, targets, settings.ridge, balancedWeights(fractions, classes)).catch((error: unknown) => {
    tf.dispose([x, xTest, targets, weights]);
    throw error;
  });
  try {
    // Patch logits [n, g, g, C] → pixel logits, flattened to [n·S·S, C].
    const predictions = tf.tidy(() => tf.argMax(tf.reshape(
      bilinearUpsample(tf.reshape(applyHead(head, xTest), [testCount, grid, grid, classes]) as tf.Tensor4D, weights), [-1, classes]), 1));
    const predicted = (await predictions.data()) as Int32Array;
    predictions.dispose();
    return meanIoU(confusionMatrix(predicted, testPixels, classes), classes);
  } finally {
    tf.dispose([x, xTest, targets, weights]);
    disposeHead(head);
  }
}

/**
 * For each patch (raster order per image), the fraction of its pixels in each class: [N·g·g, C].
 * Pixel y belongs to patch row floor(y·g/S), as maskJaccard maps pixels to patches.
 */
export function patchClassFractions(pixels: Int32Array, count: number, imageSize: number, grid: number, classes: number): Float32Array {
  const out = new Float32Array(count * grid * grid * classes);
  const counts = new Float32Array(count * grid * grid);
  for (let n = 0; n < count; n++) {
    for (let y = 0; y < imageSize; y++) {
      const row = Math.floor((y * grid) / imageSize);
      for (let x = 0; x < imageSize; x++) {
        const patch = (n * grid + row) * grid + Math.floor((x * grid) / imageSize);
        out[patch * classes + pixels[(n * imageSize + y) * imageSize + x]] += 1;
        counts[patch] += 1;
      }
    }
  }
  for (let patch = 0; patch < counts.length; patch++) {
    for (let c = 0; c < classes; c++) out[patch * classes + c] /= counts[patch];
  }
  return out;
}

/**
 * Row weights Σ_c fraction_c / share_c (share_c: class c's share of all the rows' mass), so
 * every class present weighs the same in total; classes absent from the rows are ignored.
 */
export function balancedWeights(fractions: Float32Array, classes: number): Float32Array {
  const rows = fractions.length / classes;
  const share = new Float64Array(classes);
  for (let r = 0; r < rows; r++) for (let c = 0; c < classes; c++) share[c] += fractions[r * classes + c] / rows;
  const weights = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    let w = 0;
    for (let c = 0; c < classes; c++) if (share[c] > 0) w += fractions[r * classes + c] / share[c];
    weights[r] = w;
  }
  return weights;
}

/**
 * Interpolation weights [size, grid] of bilinear upsampling from `grid` cells to `size` pixels
 * along one axis, with cell and pixel centres aligned (PyTorch's F.interpolate with
 * align_corners=False; tf.image.resizeBilinear with halfPixelCenters = true). Pixel y samples
 * the grid at (y + 0.5)·grid/size − 0.5, clamped to the outer cell centres.
 */
export function bilinearWeights(size: number, grid: number): Float32Array {
  const weights = new Float32Array(size * grid);
  for (let y = 0; y < size; y++) {
    const source = Math.min(Math.max(((y + 0.5) * grid) / size - 0.5, 0), grid - 1);
    const low = Math.floor(source);
    const high = Math.min(low + 1, grid - 1);
    const fraction = source - low;
    weights[y * grid + low] += 1 - fraction;
    weights[y * grid + high] += fraction;
  }
  return weights;
}

/**
 * Bilinear upsampling [N, g, g, C] → [N, S, S, C] as two matrix products with the weights of
 * bilinearWeights (rows, then columns). The same numbers as tf.image.resizeBilinear(x, [S, S],
 * false, true), but with exact gradients: tfjs 4.22's ResizeBilinearGrad kernels (cpu, webgl,
 * webgpu) ignore halfPixelCenters and return the gradient of the shifted legacy sampling, and
 * the legacy sampling itself (halfPixelCenters false) puts pixel y at y·g/S, half a patch off
 * the patch centres.
 */
export function bilinearUpsample(x: tf.Tensor4D, weights: tf.Tensor2D): tf.Tensor4D {
  const [n, grid, , channels] = x.shape;
  const size = weights.shape[0];
  // Rows: contract the grid's y axis, [g_y, n·g_x·C] → [S_y, n·g_x·C].
  const rows = tf.matMul(weights, tf.reshape(tf.transpose(x, [1, 0, 2, 3]), [grid, n * grid * channels]));
  // Columns: bring g_x to the front, [g_x, n·S_y·C] → [S_x, n·S_y·C].
  const columns = tf.matMul(weights, tf.reshape(tf.transpose(tf.reshape(rows, [size, n, grid, channels]), [2, 1, 0, 3]), [grid, n * size * channels]));
  return tf.transpose(tf.reshape(columns, [size, n, size, channels]), [1, 2, 0, 3]);
}
