/**
 * Probe payloads: plain, structured-cloneable data that the worker posts to the page.
 * The UI draws these; it never sees a tensor.
 */
export interface AttentionProbe {
  kind: 'attention';
  step: number;
  imageSize: number;
  grid: number; // patches per side
  heads: number;
  count: number; // P probe images
  images: Float32Array; // [P, H, W, 3]
  masks: Uint8Array; // [P, H, W] ground-truth object masks
  /** Last block, CLS → patch attention of the teacher: [P, heads, grid·grid], rows sum to ≤ 1. */
  attention: Float32Array;
}

export interface CropView {
  role: 'global' | 'local';
  size: number;
  pixels: Float32Array; // [size, size, 3] the augmented crop as the network saw it
  /** Normalised [y1, x1, y2, x2] on the original image (before any flip). */
  box: [number, number, number, number];
  flipped: boolean;
}

export interface CropsProbe {
  kind: 'crops';
  step: number;
  imageSize: number;
  original: Float32Array; // [H, W, 3]
  crops: CropView[];
}

/**
 * Output distributions over K prototypes for each probe image: the teacher's targets (after
 * centering and sharpening) and the student's softmax. Sharpening is visible as the teacher's
 * peak standing above the student's.
 */
export interface DistributionProbe {
  kind: 'distribution';
  step: number;
  count: number; // P probe images
  classes: number; // K
  teacherTemperature: number;
  studentTemperature: number;
  teacher: Float32Array; // [P, K], rows sum to 1
  student: Float32Array; // [P, K], rows sum to 1
}

export type ProbePayload = AttentionProbe | CropsProbe | DistributionProbe;
