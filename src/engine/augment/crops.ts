import type { Rng } from '../random';

/** A crop box on the source image, normalised for tf.image.cropAndResize: [y1, x1, y2, x2]. */
export type CropBox = [number, number, number, number];

export interface SampledCrop {
  /** Box before flipping (what the UI draws on the original). */
  box: CropBox;
  flipped: boolean;
  /** Box as given to cropAndResize: x1 > x2 samples a horizontally flipped crop. */
  samplingBox: CropBox;
}

/**
 * torchvision's RandomResizedCrop.get_params on a square image of `size` pixels: up to 10
 * tries of area ∈ scale·size² and log-uniform aspect ratio ∈ ratio; the crop must fit; else the
 * whole image. Pixel rectangle [top, top+h) × [left, left+w) becomes a box through the first
 * and last pixel centres (cropAndResize samples corners inclusive).
 */
export function sampleResizedCrop(
  rng: Rng,
  size: number,
  scale: [number, number],
  ratio: [number, number] = [3 / 4, 4 / 3],
  flipProbability = 0.5,
): SampledCrop {
  const area = size * size;
  let height = size;
  let width = size;
  let top = 0;
  let left = 0;
  for (let attempt = 0; attempt < 10; attempt++) {
    const targetArea = area * rng.uniform(scale[0], scale[1]);
    const aspect = Math.exp(rng.uniform(Math.log(ratio[0]), Math.log(ratio[1])));
    const w = Math.round(Math.sqrt(targetArea * aspect));
    const h = Math.round(Math.sqrt(targetArea / aspect));
    if (w > 0 && h > 0 && w <= size && h <= size) {
      width = w;
      height = h;
      top = rng.int(size - h + 1);
      left = rng.int(size - w + 1);
      break;
    }
  }
  const last = size - 1;
  const box: CropBox = [top / last, left / last, (top + height - 1) / last, (left + width - 1) / last];
  const flipped = rng.bernoulli(flipProbability);
  const samplingBox: CropBox = flipped ? [box[0], box[3], box[2], box[1]] : box;
  return { box, flipped, samplingBox };
}

/** Per-crop photometric parameters (DINO's DataAugmentationDINO, drawn on the CPU). */
export interface PhotometricParams {
  brightness: number; // multiplicative factor
  contrast: number; // blend factor with the mean grey level
  saturation: number; // blend factor with the grey image (0 = grayscale)
  hue: number; // rotation in turns, [-0.5, 0.5]
  blur: number; // 0 or 1
  solarize: number; // 0 or 1
}

export interface PhotometricProbabilities {
  jitterStrength: number; // 1 = ColorJitter(0.4, 0.4, 0.2, 0.1)
  /** The hue term at strength 1, in turns (ColorJitter's hue; default 0.1): up to 0.5 rotates hue anywhere. */
  hue?: number;
  jitterProbability: number; // 0.8
  grayscaleProbability: number; // 0.2
  blurProbability: number;
  solarizeProbability: number;
}

export function samplePhotometric(rng: Rng, p: PhotometricProbabilities): PhotometricParams {
  const s = p.jitterStrength;
  const params: PhotometricParams = { brightness: 1, contrast: 1, saturation: 1, hue: 0, blur: 0, solarize: 0 };
  if (s > 0 && rng.bernoulli(p.jitterProbability)) {
    params.brightness = rng.uniform(Math.max(0, 1 - 0.4 * s), 1 + 0.4 * s);
    params.contrast = rng.uniform(Math.max(0, 1 - 0.4 * s), 1 + 0.4 * s);
    params.saturation = rng.uniform(Math.max(0, 1 - 0.2 * s), 1 + 0.2 * s);
    const hue = Math.min(0.5, (p.hue ?? 0.1) * s);
    params.hue = rng.uniform(-hue, hue);
  }
  if (rng.bernoulli(p.grayscaleProbability)) params.saturation = 0;
  if (rng.bernoulli(p.blurProbability)) params.blur = 1;
  if (rng.bernoulli(p.solarizeProbability)) params.solarize = 1;
  return params;
}
