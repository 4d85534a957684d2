/**
 * DreamTeacher: a DeP denoising U-Net (the generative teacher) is trained first; then it is
 * frozen and a CNN student with an FPN regressor learns to reproduce the teacher's decoder
 * features, at every resolution, of noised images after one denoising step.
 */
import * as tf from '@tensorflow/tfjs';
import type { FineTuneNetwork } from '../../engine/eval/finetune';
import { attentionMap, attentionTransferLoss, channelNormalize, featureRegressionLoss } from '../../engine/losses/dreamteacher';
import { corrupt } from '../../engine/losses/denoise';
import { principalComponents, toUnitRange } from '../../engine/metrics/pca';
import { embeddingPayload } from '../payloads';
import { createStudent, studentBackbone, studentForward, type StudentParams } from '../../engine/nn/fpn';
import { assignSaved, cloneTree, disposeTree, namedVariables, prefixedWeights } from '../../engine/nn/params';
import { createUNet, unetForward, type UNetParams } from '../../engine/nn/unet';
import { AdamW } from '../../engine/optim/adamw';
import { Rng } from '../../engine/random';
import { Denoiser, gaussian, toModel } from '../dep/denoiser';
import type { FeatureLevel, FeatureProbe, ProbePayload } from '../probes';
import type { SupervisedNetwork } from '../../engine/eval/supervised';
import type { Batch, FineTuneSpec, MethodContext, MethodImplementation, MethodInstance, ProbeInput, StepOutput } from '../types';
import { readDreamTeacherConfig, type DreamTeacherConfig, levelNames } from './config';

/** Each image's map divided by its max (the view's colour scale). */
function perImageMax(map: Float32Array, count: number): Float32Array {
  const area = map.length / count;
  const out = new Float32Array(map.length);
  for (let p = 0; p < count; p++) {
    let max = 0;
    for (let i = 0; i < area; i++) max = Math.max(max, map[p * area + i]);
    for (let i = 0; i < area; i++) out[p * area + i] = max > 0 ? map[p * area + i] / max : 0;
  }
  return out;
}

class DreamTeacherInstance implements MethodInstance {
  private readonly c: DreamTeacherConfig;
  private readonly teacher: UNetParams;
  private readonly student: StudentParams;
  private readonly teacherVariables: Map<string, tf.Variable>;
  private readonly studentVariables: Map<string, tf.Variable>;
  private readonly denoiser: Denoiser;
  private readonly optimizer: AdamW;
  private readonly encodeRng: Rng;
  private readonly seed: number;
  private readonly levels: number;

  constructor(context: MethodContext) {
    this.c = readDreamTeacherConfig(context.values);
    const c = this.c;
    this.seed = context.seed;
    this.levels = c.teacherChannels.length;
    this.teacher = createUNet({ imageSize: c.imageSize, channels: c.teacherChannels, outChannels: 3, groups: c.groups }, Rng.stream(context.seed, 'dreamteacher:teacher'));
    this.student = createStudent({
      imageSize: c.imageSize, channels: c.studentChannels, fpnChannels: c.fpnChannels, outChannels: c.teacherChannels, groups: c.groups,
    }, Rng.stream(context.seed, 'dreamteacher:student'));
    this.teacherVariables = namedVariables(this.teacher);
    this.studentVariables = namedVariables(this.student);
    this.denoiser = new Denoiser(this.teacher, this.teacherVariables, context.seed, 'dreamteacher');
    // The student's optimizer never sees the teacher: distillation cannot change it.
    this.optimizer = new AdamW(this.studentVariables);
    this.encodeRng = Rng.stream(context.seed, 'dreamteacher:encode');
  }

  /**
   * The teacher's targets for pixel images: its decoder features (coarse → fine) of the noised
   * images after one denoising pass, reordered finest first to match the student's levels.
   */
  private targets(images: tf.Tensor4D, noise: tf.Tensor4D): tf.Tensor4D[] {
    const noisy = corrupt(toModel(images), noise, this.c.noise.sigma, this.c.noise.corruption);
    return [...unetForward(this.teacher, noisy).features].reverse();
  }

  /** The next distillation step's encoding noise [B, S, S, 3], from its own stream. */
  private encodeNoise(B: number, S: number): tf.Tensor4D {
    return gaussian(this.encodeRng, [B, S, S, 3]);
  }

  /**
   * The next step's random draws, for the PyTorch export's parity test (which hands them to
   * train.py): the teacher stage's noise ε (the Denoiser's stream; σ is fixed, so nothing else)
   * and the distillation stage's encoding noise (encodeRng). Each stage draws from its own stream
   * only, so the k-th call's `epsilon` is what the k-th teacher step consumes and its
   * `encodeNoise` what the k-th distillation step consumes, whichever stage a step is in.
   */
  sampleViews(images: tf.Tensor4D): { epsilon: tf.Tensor4D; encodeNoise: tf.Tensor4D } {
    const [B, S] = images.shape;
    return { epsilon: this.denoiser.sampleNoise(B, S, this.c.noise).epsilon, encodeNoise: this.encodeNoise(B, S) };
  }

  step(batch: Batch, step: number): StepOutput {
    const schedule = this.c.scheduleAt(step);
    const nan = () => tf.scalar(Number.NaN);
    if (schedule.stage === 'teacher') {
      return tf.tidy(() => {
        const { loss } = this.denoiser.step(batch.images, this.c.noise, schedule.learningRate, this.c.weightDecay);
        const metrics: Record<string, tf.Scalar> = { teacherLoss: loss, distillLoss: nan(), learningRate: tf.scalar(schedule.learningRate) };
        for (let i = 0; i < this.levels; i++) {
          metrics[`mse${i}`] = nan();
          metrics[`at${i}`] = nan();
        }
        return { loss, metrics };
      });
    }
    const [B, S] = batch.images.shape;
    return tf.tidy(() => {
      const noise = this.encodeNoise(B, S);
      const targets = this.targets(batch.images, noise);
      const x = toModel(batch.images);
      const terms: tf.Scalar[] = [];
      const { value: loss, grads } = tf.variableGrads(() => {
        const { regressed } = studentForward(this.student, x);
        let total: tf.Scalar = tf.scalar(0);
        regressed.forEach((r, i) => {
          const mse = featureRegressionLoss(r, targets[i]);
          const at = attentionTransferLoss(r, targets[i]);
          terms.push(tf.keep(mse), tf.keep(at));
          if (this.c.mseLoss) total = tf.add(total, mse) as tf.Scalar;
          if (this.c.attentionLoss) total = tf.add(total, tf.mul(at, this.c.attentionWeight)) as tf.Scalar;
        });
        return total;
      }, [...this.studentVariables.values()]);
      const byName = new Map<string, tf.Tensor>();
      for (const [name, variable] of this.studentVariables) {
        const grad = grads[variable.name];
        if (grad) byName.set(name, grad);
      }
      this.optimizer.apply(byName, { learningRate: schedule.learningRate, weightDecay: this.c.weightDecay, clip: 0 });
      const metrics: Record<string, tf.Scalar> = { teacherLoss: nan(), distillLoss: loss, learningRate: tf.scalar(schedule.learningRate) };
      for (let i = 0; i < this.levels; i++) {
        metrics[`mse${i}`] = tf.clone(terms[2 * i]);
        metrics[`at${i}`] = tf.clone(terms[2 * i + 1]);
      }
      terms.forEach((t) => t.dispose());
      return { loss, metrics };
    });
  }

  async probes(input: ProbeInput, step: number): Promise<ProbePayload[]> {
    return [
      await this.featureProbe(input, step),
      await this.denoiser.probe(input, this.c.noise, step),
      await embeddingPayload((images) => this.embed(images), input, step),
    ];
  }

  /** Teacher and student features of the probe images, per level, in one readback. */
  private async featureProbe(input: ProbeInput, step: number): Promise<FeatureProbe> {
    const [P, S] = input.images.shape;
    // Fixed noise for the probe's encoding, so the teacher's maps change only as it trains.
    const noise = gaussian(Rng.stream(this.seed, 'dreamteacher:probe-encode'), [P, S, S, 3]);
    const parts: { size: number; channels: number }[] = [];
    const flat = tf.tidy(() => {
      const targets = this.targets(input.images, noise);
      const { regressed } = studentForward(this.student, toModel(input.images));
      const pieces: tf.Tensor[] = [];
      for (let i = 0; i < this.levels; i++) {
        const t = channelNormalize(targets[i]);
        const r = regressed[i];
        parts.push({ size: t.shape[1], channels: t.shape[3] });
        pieces.push(
          t, r, attentionMap(targets[i]), attentionMap(r), tf.mean(tf.square(tf.sub(r, t)), 3),
          tf.reshape(attentionTransferLoss(r, targets[i]), [1]),
        );
      }
      return tf.concat(pieces.map((piece) => tf.reshape(piece, [-1])));
    });
    noise.dispose();
    const data = (await flat.data()) as Float32Array;
    flat.dispose();
    const levels: FeatureLevel[] = [];
    const names = levelNames(this.levels);
    let offset = 0;
    const take = (n: number) => data.subarray(offset, (offset += n));
    for (let i = 0; i < this.levels; i++) {
      const { size, channels } = parts[i];
      const rows = P * size * size;
      const teacher = take(rows * channels);
      const student = take(rows * channels);
      const teacherAttention = take(rows);
      const studentAttention = take(rows);
      const error = Float32Array.from(take(rows));
      const attentionLoss = take(1)[0];
      // One PCA basis for teacher and student rows together, so equal colours mean similar features.
      const joint = new Float32Array(2 * rows * channels);
      joint.set(teacher, 0);
      joint.set(student, rows * channels);
      const rgb = toUnitRange(principalComponents(joint, 2 * rows, channels, 3).points);
      levels.push({
        name: names[i], size, channels,
        teacherRgb: rgb.slice(0, rows * 3), studentRgb: rgb.slice(rows * 3),
        teacherAttention: perImageMax(teacherAttention, P), studentAttention: perImageMax(studentAttention, P),
        error, mse: error.reduce((a, b) => a + b, 0) / rows, attentionLoss,
      });
    }
    return {
      kind: 'features', step, imageSize: S, count: P, images: input.pixels,
      stage: step < this.c.teacherSteps ? 'teacher' : 'distillation',
      levels: levels.reverse(), // coarse → fine
    };
  }

  /** The student backbone's coarsest map, flattened (GroupNorm makes spatial means uninformative; see DeP). */
  embed(images: tf.Tensor4D): tf.Tensor2D {
    return tf.tidy(() => {
      const features = studentBackbone(this.student, toModel(images));
      const coarsest = features[features.length - 1];
      return tf.reshape(coarsest, [coarsest.shape[0], -1]) as tf.Tensor2D;
    });
  }

  /** The student backbone's finest map [N, S, S, width]: what the frozen segmentation probe reads. */
  supervisedNetwork(): SupervisedNetwork {
    const params = cloneTree(this.student, true);
    const probe = tf.tidy(() => this.embed(tf.zeros([1, this.c.imageSize, this.c.imageSize, 3])));
    const featureDim = probe.shape[1];
    probe.dispose();
    return {
      variables: namedVariables(params),
      features: (images) => {
        const features = studentBackbone(params, toModel(images));
        const coarsest = features[features.length - 1];
        return tf.reshape(coarsest, [coarsest.shape[0], -1]) as tf.Tensor2D;
      },
      featureDim,
    };
  }

  embedDense(images: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => studentBackbone(this.student, toModel(images))[0]);
  }

  fineTuneNetwork(): FineTuneSpec {
    const params = cloneTree(this.student, true);
    const network: FineTuneNetwork = {
      variables: namedVariables(params),
      // The student backbone and its FPN, fine-tuned whole; the finest regressed map feeds the head.
      features: (images) => studentForward(params, toModel(images)).regressed[0],
      featureDim: this.c.teacherChannels[0],
    };
    return { network, ...this.c.fineTune };
  }

  save(): tf.NamedTensorMap {
    return prefixedWeights({ teacher: this.teacherVariables, student: this.studentVariables });
  }

  load(weights: tf.NamedTensorMap): void {
    assignSaved(this.save(), weights);
  }

  dispose(): void {
    disposeTree(this.teacher);
    disposeTree(this.student);
    this.denoiser.dispose();
    this.optimizer.dispose();
  }
}

export const implementation: MethodImplementation = {
  create: (context) => new DreamTeacherInstance(context),
};
