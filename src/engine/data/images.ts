/**
 * A run's split of the visitor's image set (measures/imageSets.ts): training and held-out images
 * at the run's image size, as the same ImageSets the shapes dataset gives.
 */
import { heldOutCount, MIN_IMAGES, PROBE_IMAGES, shrinkImages, type ImageSetData } from '../../measures/imageSets';
import { Rng } from '../random';
import type { ImageSet } from './shapes';

/** The split is the same for every run on a set (seed-independent), so runs compare on the same held-out images. */
const SPLIT_SEED = 20261129;

export interface ImageSetSplit {
  train: ImageSet;
  /** The first 8 held-out images (the probe views'). */
  probe: ImageSet;
  /** Every held-out image (the embedding view and the evaluations' test set). */
  heldOut: ImageSet;
}

/**
 * The set at `imageSize` px, split into training and held-out images by a fixed shuffle (the
 * same for every run and seed). Masks are null: own images have none.
 */
export function splitImageSet(set: ImageSetData, imageSize: number): ImageSetSplit {
  if (set.count < MIN_IMAGES) throw new Error(`The image set "${set.name}" has ${set.count} images; a run needs at least ${MIN_IMAGES}.`);
  const images = shrinkImages(set.pixels, set.count, set.side, imageSize);
  const order = Rng.stream(SPLIT_SEED, 'images:split').permutation(set.count);
  const held = heldOutCount(set.count);
  const area = imageSize * imageSize * 3;
  const pick = (indices: Int32Array): ImageSet => {
    const out = new Float32Array(indices.length * area);
    indices.forEach((index, i) => out.set(images.subarray(index * area, (index + 1) * area), i * area));
    return {
      size: imageSize, count: indices.length, images: out, masks: null,
      labels: Int32Array.from(indices, (index) => set.labels[index]), classNames: set.classNames,
    };
  };
  const heldOut = order.slice(0, held);
  return { train: pick(order.slice(held)), probe: pick(heldOut.slice(0, PROBE_IMAGES)), heldOut: pick(heldOut) };
}
