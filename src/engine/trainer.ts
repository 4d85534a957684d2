import * as tf from '@tensorflow/tfjs';
import { readCommon, type CommonValues } from './runConfig';
import type { ProbePayload } from '../methods/probes';
import type { SettingValues } from '../methods/schema';
import type { MethodDescription, MethodInstance } from '../methods/types';
import { RunData } from './data/dataset';

/** Window means of the scalar metrics, read back once per `metricsEvery` steps. */
export interface MetricsRecord {
  step: number; // steps completed
  values: Record<string, number>;
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
  private disposed = false;

  private constructor(
    readonly method: MethodDescription,
    readonly values: SettingValues,
    readonly data: RunData,
    readonly instance: MethodInstance,
  ) {
    this.common = readCommon(values);
    this.metricsEvery = this.common.metricsEvery;
    this.probeEvery = this.common.probeEvery;
  }

  static async create(method: MethodDescription, values: SettingValues): Promise<Trainer> {
    const problems = method.validate(values);
    if (problems.length > 0) throw new Error(problems.join(' '));
    const implementation = await method.load();
    const common = readCommon(values);
    const data = new RunData(common);
    try {
      const instance = implementation.create({ values, seed: common.seed });
      return new Trainer(method, values, data, instance);
    } catch (error) {
      data.dispose();
      throw error;
    }
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
   * Dispatches one step. Returns the metrics readback when this step closes a window
   * (the caller may keep dispatching while it resolves), else null.
   */
  runStep(): Promise<MetricsRecord> | null {
    if (this.disposed) throw new Error('Trainer is disposed');
    const indices = this.data.nextIndices(this.common.batchSize);
    const stepIndex = this.step;
    const capture = (stepIndex + 1) % this.probeEvery === 0;
    tf.tidy(() => {
      const images = tf.gather(this.data.trainImages, tf.tensor1d(indices, 'int32')) as tf.Tensor4D;
      const output = this.instance.step({ images, indices, capture }, stepIndex);
      const scalars: Record<string, tf.Scalar> = { loss: output.loss, ...output.metrics };
      if (!this.accumulators) {
        this.accumulators = new Map(Object.keys(scalars).map((name) => [name, tf.tidy(() => tf.variable(tf.scalar(0), false))]));
      }
      for (const [name, accumulator] of this.accumulators) {
        const value = scalars[name];
        if (value) accumulator.assign(tf.add(accumulator, value));
      }
    });
    this.step += 1;
    this.accumulated += 1;
    if (this.step % this.metricsEvery !== 0) return null;
    return this.flushMetrics();
  }

  /** Reads back the window means in one transfer and resets the accumulators. */
  flushMetrics(): Promise<MetricsRecord> | null {
    if (!this.accumulators || this.accumulated === 0) return null;
    const names = [...this.accumulators.keys()];
    const count = this.accumulated;
    const stacked = tf.tidy(() => tf.div(tf.stack([...this.accumulators!.values()]), count));
    tf.tidy(() => {
      for (const accumulator of this.accumulators!.values()) accumulator.assign(tf.zerosLike(accumulator));
    });
    this.accumulated = 0;
    const step = this.step;
    return stacked.data().then((data) => {
      stacked.dispose();
      const values: Record<string, number> = {};
      names.forEach((name, i) => (values[name] = data[i]));
      return { step, values };
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
      },
      this.step,
    );
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.instance.dispose();
    this.data.dispose();
    if (this.accumulators) for (const accumulator of this.accumulators.values()) accumulator.dispose();
  }
}
