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
  masks: Uint8Array | null; // [P, H, W] ground-truth object masks (null: the images have none)
  /** Last block, CLS → patch attention of `network`: [P, heads, grid·grid], rows sum to ≤ 1. */
  attention: Float32Array;
  /** Whose attention it is, as the caption names it: "teacher", "encoder", "online encoder". */
  network: string;
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

/**
 * The embedding space: held-out images' embeddings projected on their first two principal
 * components, with the class labels to colour them by.
 */
export interface EmbeddingProbe {
  kind: 'embedding';
  step: number;
  count: number; // N points
  points: Float32Array; // [N, 2] coordinates on PC1, PC2
  labels: Int32Array; // [N]
  classNames: readonly string[];
  /** Fraction of the total variance along PC1 and PC2. */
  explained: [number, number];
}

/**
 * Cosine similarities between the embeddings of one training batch's two views: rows and
 * columns are view 1 of images 0..B−1 then view 2 of the same images, so the positives are
 * the two off-diagonal diagonals (i, B + i) and (B + i, i).
 */
export interface SimilarityProbe {
  kind: 'similarity';
  step: number;
  size: number; // 2B
  matrix: Float32Array; // [2B, 2B] in [−1, 1]
}

/** One query view of a LOCA position probe. */
export interface PositionQuery {
  /** The one large query (a subset of its patches goes through the student) or a small focal query. */
  role: 'random' | 'focal';
  size: number; // side in pixels
  grid: number; // patches per side
  pixels: Float32Array; // [size, size, 3] as the student saw it (flip included)
  /** Normalised [y1, x1, y2, x2] on the original image (before any flip). */
  box: [number, number, number, number];
  flipped: boolean;
  /**
   * For each query patch (raster order in the crop as the student saw it, i.e. after the flip):
   * the index of the reference patch under its centre, or −1 when the centre lies outside the
   * reference view.
   */
  targets: Int32Array; // [grid²]
  /** 1 where the patch went through the student (the large query keeps a subset), else 0. */
  used: Uint8Array; // [grid²]
  /** Softmax over the reference positions for each query patch: [grid², referenceGrid²], rows sum to 1. */
  predictions: Float32Array;
}

/** LOCA's position prediction on one probe image: the reference view and its queries. */
export interface PositionExample {
  original: Float32Array; // [imageSize, imageSize, 3]
  reference: {
    size: number;
    pixels: Float32Array; // [size, size, 3]
    box: [number, number, number, number];
    flipped: boolean;
    /** 1 where the reference patch token was kept (seen by the teacher), 0 where masked out. */
    kept: Uint8Array; // [referenceGrid²]
  };
  queries: PositionQuery[];
}

/**
 * LOCA's position view: for fixed probe images and fixed views (the same boxes every probe, so
 * the predictions can be watched improving), where each query patch is predicted to lie in the
 * reference. `accuracy` is top-1 over used query patches whose centre lies inside the reference.
 */
export interface PositionProbe {
  kind: 'position';
  step: number;
  imageSize: number;
  patchSize: number;
  referenceGrid: number; // patches per side of the reference view
  maskRatio: number; // η: fraction of reference patches masked out
  examples: PositionExample[];
  accuracy: number;
}

/**
 * DeP's denoising on fixed probe images with fixed noise (the same ε every probe, so what changes
 * is the prediction): the clean image, the network's noisy input, the predicted and the true
 * noise, and the denoised estimate that inverts the corruption with the prediction. Images are
 * in pixel units (the network works on 2·pixel − 1); noise is in the network's units (unit
 * Gaussian). Nothing is clipped.
 */
export interface DenoisingProbe {
  kind: 'denoising';
  step: number;
  imageSize: number;
  count: number; // P probe images
  corruption: 'vp' | 'simple';
  /** The noise level of this probe (the run's σ). */
  sigma: number;
  clean: Float32Array; // [P, S, S, 3]
  noise: Float32Array; // [P, S, S, 3] true ε
  noisy: Float32Array; // [P, S, S, 3] the network's input, in pixel units
  predicted: Float32Array; // [P, S, S, 3] ε̂
  denoised: Float32Array; // [P, S, S, 3] x̂ in pixel units
  /** Mean (ε̂ − ε)² over the probe images: the loss on them (1 for a network that predicts 0). */
  mse: number;
}

/** One pyramid level of DreamTeacher's feature view. */
export interface FeatureLevel {
  /** "S/4", "S/2", "S": the level's resolution relative to the image. */
  name: string;
  size: number; // h = w of the level's maps
  channels: number; // the teacher's channels at this level
  /**
   * Teacher features (after the per-position normalisation the loss uses) and the student's
   * regressed features, both projected on the first three principal components of the
   * teacher's features over all probe images at this level (one basis, so equal colours mean
   * similar features), scaled into [0, 1]: [P, size, size, 3].
   */
  teacherRgb: Float32Array;
  studentRgb: Float32Array;
  /** Attention maps Σ_c |A_c|², L2-normalised per image as the AT loss sees them, then scaled so each image's max is 1: [P, size, size]. */
  teacherAttention: Float32Array;
  studentAttention: Float32Array;
  /** Per-position squared error between the student's regressed and the teacher's normalised features, mean over channels: [P, size, size]. */
  error: Float32Array;
  /** This level's losses on the probe images. */
  mse: number;
  attentionLoss: number;
}

/**
 * DreamTeacher's feature view: for fixed probe images, the generative teacher's decoder features
 * at each level beside the student's regressed ones (PCA to RGB), their attention maps, and the
 * per-position error. `stage` says whether the teacher is still being trained (the student's
 * maps are then untrained).
 */
export interface FeatureProbe {
  kind: 'features';
  step: number;
  imageSize: number;
  count: number; // P probe images
  images: Float32Array; // [P, S, S, 3]
  stage: 'teacher' | 'distillation';
  levels: FeatureLevel[]; // coarse → fine
}

/**
 * One pyramid level of iTPN's reconstruction view: the level's output features at the visible
 * patches (the encoder never sees the masked ones), projected on the first three principal
 * components of this level's features over all probe images and scaled into [0, 1].
 */
export interface ReconstructionLevel {
  /** "1×1 per patch (S/8)" etc.: the level's resolution. */
  name: string;
  /** Sub-tokens per patch side at this level (1, 2 or 4). */
  perPatch: number;
  /** Side of the level's map: grid · perPatch. */
  size: number;
  channels: number;
  /** [P, size, size, 3] in [0, 1]; masked patches are 0 (drawn as blank). */
  rgb: Float32Array;
  /**
   * This level's masked feature modeling loss on the probe images (prediction of the
   * moving-averaged backbone's features at masked patches); NaN when MFM is off.
   */
  featureLoss: number;
}

/**
 * iTPN's (and its MAE baseline's) reconstruction on fixed probe images with a fixed patch
 * order per image (the same masks every probe at one ratio, so what changes is the prediction).
 * `order[p]` ranks image p's patches: the first `visible` are kept, the rest masked, so the page
 * can re-mask at another ratio without the worker.
 */
export interface ReconstructionProbe {
  kind: 'reconstruction';
  step: number;
  imageSize: number;
  patchSize: number;
  grid: number; // patches per side; N = grid²
  count: number; // P probe images
  maskRatio: number;
  /** Patches kept per image: floor(N · (1 − maskRatio)). */
  visible: number;
  /** Whether the feature pyramid is on (off: the plain-ViT MAE baseline, one level). */
  pyramid: boolean;
  images: Float32Array; // [P, S, S, 3] in [0, 1]
  order: Int32Array; // [P, N] patch indices, kept first
  masked: Uint8Array; // [P, N] 1 = masked at this probe's ratio
  /**
   * The decoder's prediction for every patch, un-normalised back to pixels with each patch's
   * own mean and std (the target normalises per patch), not clipped: [P, S, S, 3].
   */
  reconstruction: Float32Array;
  /** Per pixel squared error in normalised-pixel units, mean over channels: [P, S, S]. */
  error: Float32Array;
  /** The MIM loss on the probe images: normalised-pixel MSE over masked patches. */
  mse: number;
  levels: ReconstructionLevel[]; // coarse → fine
}

/**
 * Every probe kind and its payload: the one list a new probe kind is added to (its view is
 * registered in ui/probes/registry.ts, its store slot follows from this map).
 */
export interface ProbeTypes {
  attention: AttentionProbe;
  crops: CropsProbe;
  distribution: DistributionProbe;
  embedding: EmbeddingProbe;
  similarity: SimilarityProbe;
  position: PositionProbe;
  denoising: DenoisingProbe;
  features: FeatureProbe;
  reconstruction: ReconstructionProbe;
}

export type ProbeKind = keyof ProbeTypes;
export type ProbePayload = ProbeTypes[ProbeKind];

/** The latest payload of each kind (a run fills only its method's kinds). */
export type ProbeSlots = { readonly [K in ProbeKind]?: ProbeTypes[K] };

// Each payload's `kind` is its key in ProbeTypes (a mismatch fails tsc here).
type KindIsKey = { [K in ProbeKind]: [ProbeTypes[K]['kind']] extends [K] ? ([K] extends [ProbeTypes[K]['kind']] ? true : false) : false };
type Assert<T extends true> = T;
export type _ProbeKindsMatch = Assert<false extends KindIsKey[ProbeKind] ? false : true>;

/** `slots` with each payload put in its kind's slot (a later payload of a kind wins). */
export function withProbes(slots: ProbeSlots, payloads: readonly ProbePayload[]): ProbeSlots {
  const next: Partial<Record<ProbeKind, ProbePayload>> = { ...slots };
  for (const payload of payloads) next[payload.kind] = payload;
  return next as ProbeSlots;
}
