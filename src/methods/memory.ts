/**
 * How much GPU memory one training step holds at once, roughly, so a run that cannot fit is
 * refused before it is prepared (worker/run.ts checkFits) rather than left on "preparing…".
 *
 * A step holds the training images, the weights with their optimiser state, and, per image in
 * the batch, every activation the backward pass keeps. The last term dominates. It is written
 * here per architecture in "units" (floats of the main feature maps, summed over layers and
 * views) and scaled by one factor per method: how many floats tfjs keeps per unit, counting
 * the element-wise intermediates of layer norms, GELUs, softmaxes, augmentations and heads. The
 * factors were fitted to tfjs's own peak-memory count (tf.profile on the CPU backend) for each
 * method's tiny preset at 32 px and batch 16; memory.test.ts checks the estimate stays within
 * 2× of that count on configurations not used to fit it.
 */
import { readValues, type SettingValues } from './schema';
import { VIT_RUN_SETTINGS } from './common';

export interface StepMemory {
  bytes: number;
  /** The training images alone. */
  imageBytes: number;
}

/** What one step may hold before a run is refused (see docs/ARCHITECTURE.md, "Model size"). */
export const STEP_MEMORY_BUDGET = 16 * 2 ** 30;

const FLOAT = 4;

/** Floats tfjs keeps per unit, by method (fitted as the header says). */
export const FACTORS = { dino: 55, loca: 55, itpn: 55, dep: 74, dreamteacher: 37, simclr: 36, moco: 48, byol: 47, simsiam: 36 } as const;

/** Tokens of a square view of `size` pixels cut into `patch`-pixel patches, with the CLS token. */
export const vitTokens = (size: number, patch: number) => (Math.floor(size / patch) ** 2) + 1;

/** Units of a ViT over views of the given token counts: per block, tokens × (width·(1 + MLP ratio) + heads·tokens). */
export function vitUnits(values: SettingValues, tokens: readonly number[]): number {
  const v = readValues(VIT_RUN_SETTINGS, values);
  return tokens.reduce((sum, t) => sum + v.depth * t * (v.width * (1 + v.mlpRatio) + v.heads * t), 0);
}

/** Units of a convolutional network whose finest level is `size`² × `width` and halves its side per level (channels doubling). */
export const convUnits = (size: number, width: number, levels: number) =>
  Array.from({ length: levels }, (_, l) => (size / 2 ** l) ** 2 * width * 2 ** l).reduce((a, b) => a + b, 0);

/** The estimate: images + batch × factor × units per image. */
export function stepMemory(values: SettingValues, unitsPerImage: number, factor: number): StepMemory {
  const size = Number(values.imageSize);
  const imageBytes = Number(values.datasetSize) * size * size * 3 * FLOAT;
  return { imageBytes, bytes: imageBytes + Number(values.batchSize) * factor * unitsPerImage * FLOAT };
}
