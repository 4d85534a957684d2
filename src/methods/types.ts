import type { StepMemory } from './memory';
/**
 * What a method describes about itself (plain data: the page imports this without tfjs) and
 * what its implementation offers the trainer (worker / Node side).
 */
import type { Tensor, Tensor4D, Scalar, Tensor2D, Tensor3D, NamedTensorMap } from '@tensorflow/tfjs';
import type { Preset, Setting, SettingValues } from './schema';
import type { ProbeKind, ProbePayload } from './probes';
import type { ChartSpec, CollapseMode, Lesson } from './collapse';
export type { ReferenceLine } from './collapse';
import type { FineTuneNetwork } from '../engine/eval/finetune';
import type { SupervisedNetwork } from '../engine/eval/supervised';

/** What fineTuneNetwork returns: the network, and the recipe its method's settings give. */
export interface FineTuneSpec {
  network: FineTuneNetwork;
  steps: number;
  learningRate: number;
  batchSize: number;
}

export interface PaperReference {
  title: string;
  authors: string;
  year: number;
  url: string;
  code?: string;
}

export interface SettingGroup {
  id: string;
  label: string;
}

export interface MethodDescription {
  id: string;
  title: string;
  paper: PaperReference;
  /** What it learns, in a few sentences. */
  summary: string;
  /** Why it does not collapse. */
  whyNoCollapse: string;
  /** The loss, in plain-text math. */
  lossMath: string;
  /** Where we follow the official code over the paper, and what we scaled down. */
  implementationNotes: string;
  groups: readonly SettingGroup[];
  /** Method settings followed by the common ones (see common.ts). */
  settings: readonly Setting[];
  /** Named presets; `default` first. Values are overrides of the schema defaults. */
  presets: readonly Preset[];
  /** Settings that may change during a run without starting over. */
  liveSettings: readonly string[];
  /** Cross-setting constraints (e.g. crop size divisible by patch size); one message each. */
  validate(values: SettingValues): string[];
  /**
   * Rough size in bytes of the largest single tensor a step creates (dataset included): the
   * worker refuses a run whose largest tensor cannot fit in one GPU buffer, with a message,
   * instead of letting the GPU fail silently.
   */
  largestTensorBytes(values: SettingValues): { bytes: number; what: string };
  /** Roughly what one step holds on the GPU at once (methods/memory.ts): a run over the budget is refused before it is prepared. */
  stepMemory(values: SettingValues): StepMemory;
  /** The run's charts: the loss first, then the collapse panel (commonCollapseCharts included). */
  charts(values: SettingValues): ChartSpec[];
  /** Collapse modes specific to this method (representation collapse is checked for all). */
  collapseModes: readonly CollapseMode[];
  /** Teaching comparisons: a healthy run next to one with a mechanism removed. */
  lessons: readonly Lesson[];
  /** The probe views a run with these settings fills (the page hides the others). */
  probeKinds(values: SettingValues): readonly ProbeKind[];
  /** The vectors its steps read back with the metrics (StepOutput.vectors), drawn as heat strips. */
  vectors?: readonly { name: string; title: string; help: string }[];
  /** Loads the implementation; only the worker and Node call this (it pulls in tfjs). */
  load(): Promise<MethodImplementation>;
}

/** The images a step trains on. Fixed shape every step. */
export interface Batch {
  images: Tensor4D; // [B, H, W, 3] in [0, 1]
  /** Indices into the training set (CPU side; the UI shows image 0's crops). */
  indices: Int32Array;
  /** Keep this step's crops of image 0 for the next probe (set on probe steps only). */
  capture: boolean;
  /** This step closes a metrics window: `vectors` are read back after it (else ignored). */
  snapshot: boolean;
}

export interface StepOutput {
  loss: Scalar;
  /** Scalar metrics as tensors: read back only on the metrics cadence. */
  metrics: Record<string, Scalar>;
  /**
   * The representation whose collapse is watched, [N, D] (e.g. backbone features of the
   * student's global crops): the trainer derives embeddingStd every step and RankMe once per
   * metrics window from it, for every method alike.
   */
  embeddings?: Tensor2D;
  /** Small vectors (e.g. DINO's center) read back with the metrics on `snapshot` steps. */
  vectors?: Record<string, Tensor>;
}

export interface ProbeInput {
  images: Tensor4D; // [P, H, W, 3] fixed held-out images
  pixels: Float32Array; // same images on the CPU, for drawing
  masks: Uint8Array | null; // [P, H, W]; null when the dataset has no masks (own images)
  labels: Int32Array;
  /** A training image's pixels [H, W, 3] (to draw crops on their original). */
  trainPixels(index: number): Float32Array;
  /** A larger held-out set for the embedding space: [N, H, W, 3] in [0, 1], labels [N]. */
  embedImages: Tensor4D;
  embedLabels: Int32Array;
  classNames: readonly string[];
}

export interface MethodInstance {
  /** One optimisation step. Must not read anything back from the GPU. */
  step(batch: Batch, step: number): StepOutput;
  /** Visualisations on the fixed probe batch; reads back (probe cadence only). */
  probes(input: ProbeInput, step: number): Promise<ProbePayload[]>;
  /** Features for kNN / linear probes: [N, D]. Images in [0, 1]. */
  embed(images: Tensor4D): Tensor2D;
  /** Dense features for the segmentation probe: [N, g, g, D] (methods with per-patch features). */
  embedDense?(images: Tensor4D): Tensor4D;
  /** The last block's CLS → patch attention [N, heads, g²], for the attention-vs-mask Jaccard (ViTs with a trained CLS). */
  clsAttention?(images: Tensor4D): Tensor3D;
  /**
   * A copy of the network for the segmentation fine-tuning probe (methods whose point is
   * label-efficient fine-tuning, e.g. DeP): fresh variables the fine-tuner owns and disposes.
   */
  fineTuneNetwork?(): FineTuneSpec;
  /**
   * A copy of the network `embed` reads (fresh trainable variables, the instance's current
   * values), for the study's supervised reference: trained with labels from the untrained
   * instance, it is the same backbone and initialisation as the self-supervised run.
   */
  supervisedNetwork?(): SupervisedNetwork;
  /**
   * Position-prediction methods (LOCA): top-1 accuracy of each query patch's predicted reference
   * position on these images, for fixed views; `allVisible` shows the whole reference (η = 0).
   */
  positionAccuracyOn?(images: Tensor4D, allVisible: boolean): Promise<number>;
  /** Applies live settings (MethodDescription.liveSettings beyond the common cadences) from the next step. */
  setLive?(values: SettingValues): void;
  save(): NamedTensorMap;
  load(weights: NamedTensorMap): void;
  dispose(): void;
}

export interface MethodContext {
  values: SettingValues;
  seed: number;
  /**
   * The labelled split, for methods with a supervised stage (DDeP): `images` holds at least
   * `labels.length` rows and the first ones are labelled (it may be the whole training set; not
   * owned by the method). Absent in contexts without data (some tests).
   */
  labelled?: { images: Tensor4D; labels: Int32Array; classes: number };
}

export interface MethodImplementation {
  create(context: MethodContext): MethodInstance;
}
