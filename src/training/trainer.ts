import * as tf from '@tensorflow/tfjs';
import { readCommon, type CommonValues } from '../engine/runConfig';
import type { ProbePayload } from '../methods/probes';
import type { SettingValues } from '../methods/schema';
import type { EvaluationRecord, EvaluationScores } from '../methods/evaluation';
import type { MethodContext, MethodDescription, MethodImplementation, MethodInstance } from '../methods/types';
import { evaluateInstance } from './evaluate';
import { precompileStep } from './precompile';
import { setFusedKernels } from '../engine/gpu/program';
import { EVAL_TRAIN_COUNT, RunData } from '../engine/data/dataset';
import { isLabelled, type ImageSetData } from '../measures/imageSets';
import { embeddingStd, smallGram } from '../engine/metrics/collapse';
import { rankMeFromGram } from '../engine/metrics/spectrum';

/** Window means of the scalar metrics, read back once per `metricsEvery` steps. */
export interface MetricsRecord {
  step: number; // steps completed
  /** Window means; `rankMe` is of the window's last step (it needs a whole batch, not a mean). */
  values: Record<string, number>;
  /** The method's vectors at the window's last step (e.g. DINO's center). */
  vectors?: Record<string, Float32Array>;
}

/** Tensors of a window's last step, kept flat until the window's one readback. */
interface Snapshot {
  flat: tf.Tensor1D;
  parts: { name: string; size: number }[];
  gramSize: number; // rows of the Gram matrix (0: the method reports no embeddings)
}

/**
 * The generic training loop: it knows nothing of any method. Each step draws a batch,
 * lets the method dispatch its update, and adds the returned scalars into GPU accumulators;
 * nothing is read back except on the metrics cadence (one read of all metrics stacked) and
 * the probe cadence.
 */
export class Trainer {
  readonly common: CommonValues;
  /** Steps completed. */
  step = 0;
  private metricsEvery: number;
  private probeEvery: number;
  private accumulators: Map<string, tf.Variable> | null = null;
  private accumulated = 0;
  private snapshot: Snapshot | null = null;
  private disposed = false;

  /** The untrained network's scores, computed at the first evaluation and kept. */
  private baseline: EvaluationScores | null = null;

  private constructor(
    readonly method: MethodDescription,
    readonly values: SettingValues,
    readonly data: RunData,
    readonly instance: MethodInstance,
    private readonly implementation: MethodImplementation,
  ) {
    this.common = readCommon(values);
    this.metricsEvery = this.common.metricsEvery;
    this.probeEvery = this.common.probeEvery;
  }

  /** `images`: the visitor's image set the settings name as their dataset (none for shapes). */
  /**
   * `onPhase` hears what is being done, in words, before each slow part (the page shows it while
   * preparing); `progress` marks an update of the same part (kernels compiled so far).
   */
  static async create(
    method: MethodDescription, values: SettingValues, images?: ImageSetData, onPhase: (phase: string, progress?: boolean) => void = () => {},
  ): Promise<Trainer> {
    const problems = method.validate(values);
    if (problems.length > 0) throw new Error(problems.join(' '));
    const implementation = await method.load();
    const common = readCommon(values);
    onPhase(images ? 'loading your images' : `drawing ${common.datasetSize} training images`);
    const data = new RunData(common, images);
    let instance: MethodInstance | null = null;
    try {
      onPhase('building the networks');
      instance = implementation.create(Trainer.context(values, common.seed, data));
      setFusedKernels(common.fusedKernels);
      const compiling = `compiling the GPU kernels of a step at batch ${common.batchSize}`;
      onPhase(compiling);
      await precompileStep(implementation, Trainer.context(values, common.seed, data), data.trainImages, common.batchSize,
        (done, total) => onPhase(`${compiling}: ${done}/${total}`, true));
      return new Trainer(method, values, data, instance, implementation);
    } catch (error) {
      instance?.dispose();
      data.dispose();
      throw error;
    }
  }

  /** What a method instance is built from: the settings, the seed and the labelled split (when the images have labels). */
  private static context(values: SettingValues, seed: number, data: RunData): MethodContext {
    const count = Math.min(EVAL_TRAIN_COUNT, data.train.count);
    if (!isLabelled(data.train)) return { values, seed };
    return {
      values, seed,
      labelled: { images: data.trainImages, labels: data.train.labels.slice(0, count), classes: data.train.classNames.length },
    };
  }

  /** A fresh instance from the same settings and seed: the run's network at step 0 (the caller disposes it). */
  untrained(): MethodInstance {
    return this.implementation.create(Trainer.context(this.values, this.common.seed, this.data));
  }

  /** Live settings beyond the cadences, for the method (e.g. DeP's σ): applied from the next step. */
  setLive(values: SettingValues): void {
    this.instance.setLive?.(values);
  }

  setCadence(metricsEvery: number, probeEvery: number): void {
    this.metricsEvery = metricsEvery;
    this.probeEvery = probeEvery;
  }

  /** True when the step just completed should be followed by a probe. */
  get probeDue(): boolean {
    return this.step > 0 && this.step % this.probeEvery === 0;
  }

  /**
   * Dispatches one step. Returns the metrics readback when this step closes a window, or
   * when `closeWindow` asks for one (the caller may keep dispatching while it resolves), else
   * null.
   */
  runStep(closeWindow = false): Promise<MetricsRecord> | null {
    if (this.disposed) throw new Error('Trainer is disposed');
    const indices = this.data.nextIndices(this.common.batchSize);
    const stepIndex = this.step;
    const capture = (stepIndex + 1) % this.probeEvery === 0;
    const closes = closeWindow || (stepIndex + 1) % this.metricsEvery === 0;
    // Runs of a comparison share the worker: each step takes its own run's kernel choice.
    setFusedKernels(this.common.fusedKernels);
    tf.tidy(() => {
      const images = tf.gather(this.data.trainImages, tf.tensor1d(indices, 'int32')) as tf.Tensor4D;
      const output = this.instance.step({ images, indices, capture, snapshot: closes }, stepIndex);
      const scalars: Record<string, tf.Scalar> = { loss: output.loss, ...output.metrics };
      if (output.embeddings) scalars.embeddingStd = embeddingStd(output.embeddings);
      if (!this.accumulators) {
        this.accumulators = new Map(Object.keys(scalars).map((name) => [name, tf.tidy(() => tf.variable(tf.scalar(0), false))]));
      }
      for (const [name, accumulator] of this.accumulators) {
        const value = scalars[name];
        if (value) accumulator.assign(tf.add(accumulator, value));
      }
      if (closes) this.keepSnapshot(output.embeddings, output.vectors ?? {});
    });
    this.step += 1;
    this.accumulated += 1;
    if (!closes) return null;
    return this.flushMetrics();
  }

  private keepSnapshot(embeddings: tf.Tensor2D | undefined, vectors: Record<string, tf.Tensor>): void {
    this.releaseSnapshot();
    const pieces: tf.Tensor1D[] = [];
    const parts: Snapshot['parts'] = [];
    let gramSize = 0;
    if (embeddings) {
      const gram = smallGram(embeddings);
      gramSize = gram.shape[0];
      pieces.push(tf.reshape(gram, [-1]) as tf.Tensor1D);
    }
    for (const [name, vector] of Object.entries(vectors)) {
      pieces.push(tf.reshape(vector, [-1]) as tf.Tensor1D);
      parts.push({ name, size: vector.size });
    }
    if (pieces.length === 0) return;
    this.snapshot = { flat: tf.keep(tf.concat(pieces)), parts, gramSize };
  }

  private releaseSnapshot(): void {
    this.snapshot?.flat.dispose();
    this.snapshot = null;
  }

  /**
   * Reads back the window means (and the last step's snapshot) in one transfer and resets the
   * accumulators.
   */
  flushMetrics(): Promise<MetricsRecord> | null {
    if (!this.accumulators || this.accumulated === 0) return null;
    const names = [...this.accumulators.keys()];
    const count = this.accumulated;
    const snapshot = this.snapshot;
    this.snapshot = null;
    const stacked = tf.tidy(() => {
      const means = tf.div(tf.stack([...this.accumulators!.values()]), count) as tf.Tensor1D;
      return snapshot ? tf.concat([means, snapshot.flat]) : means;
    });
    snapshot?.flat.dispose();
    tf.tidy(() => {
      for (const accumulator of this.accumulators!.values()) accumulator.assign(tf.zerosLike(accumulator));
    });
    this.accumulated = 0;
    const step = this.step;
    return stacked.data().then((data) => {
      stacked.dispose();
      const values: Record<string, number> = {};
      names.forEach((name, i) => (values[name] = data[i]));
      const record: MetricsRecord = { step, values };
      if (snapshot) {
        let offset = names.length;
        if (snapshot.gramSize > 0) {
          const size = snapshot.gramSize ** 2;
          values.rankMe = rankMeFromGram(data.subarray(offset, offset + size), snapshot.gramSize);
          offset += size;
        }
        if (snapshot.parts.length > 0) {
          record.vectors = {};
          for (const { name, size } of snapshot.parts) {
            record.vectors[name] = Float32Array.from(data.subarray(offset, offset + size));
            offset += size;
          }
        }
      }
      return record;
    });
  }

  probe(): Promise<ProbePayload[]> {
    return this.instance.probes(
      {
        images: this.data.probeImages,
        pixels: this.data.probe.images,
        masks: this.data.probe.masks,
        labels: this.data.probe.labels,
        trainPixels: (index) => this.data.trainPixels(index),
        embedImages: this.data.embedImages,
        embedLabels: this.data.embedSet.labels,
        classNames: this.data.embedSet.classNames,
      },
      this.step,
    );
  }

  /**
   * Scores the run's frozen features (kNN, linear probe, segmentation probe per fraction of the
   * labelled masks, attention Jaccard) on held-out images, next to the same architecture at its
   * random initialisation (built once from the same settings and seed, then released).
   */
  async evaluate(fractions: readonly number[], onProgress: (stage: string) => void = () => {}): Promise<EvaluationRecord> {
    if (this.disposed) throw new Error('Trainer is disposed');
    const started = performance.now();
    const step = this.step;
    const data = this.data.evaluationData();
    try {
      const scores = await evaluateInstance(this.instance, data, fractions, (stage) => onProgress(`step ${step}: ${stage}`));
      if (!this.baseline) {
        const untrained = this.untrained();
        try {
          this.baseline = await evaluateInstance(untrained, data, fractions, (stage) => onProgress(`untrained network: ${stage}`));
        } finally {
          untrained.dispose();
        }
      }
      return { step, scores, baseline: this.baseline, ms: performance.now() - started };
    } finally {
      data.trainImages.dispose();
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.instance.dispose();
    this.data.dispose();
    this.releaseSnapshot();
    if (this.accumulators) for (const accumulator of this.accumulators.values()) accumulator.dispose();
  }
}
