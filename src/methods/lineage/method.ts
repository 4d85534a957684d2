/**
 * One implementation for SimCLR, MoCo v3, BYOL and SimSiam: a ViT backbone and a projector
 * on two augmented views, plus — depending on the method and its switches — a predictor, a
 * momentum (EMA) copy of backbone and projector for the targets, a stop-gradient, and MoCo's
 * queue of negatives.
 */
import * as tf from '@tensorflow/tfjs';
import { cropAndResize } from '../../engine/augment/cropResize';
import { rotateViews, sampleRotations } from '../../engine/augment/rotate';
import { sampleResizedCrop, samplePhotometric, type PhotometricParams, type SampledCrop } from '../../engine/augment/crops';
import { applyPhotometric, denormalize, normalize, packPhotometric, PHOTOMETRIC_WIDTH } from '../../engine/augment/photometric';
import { byolRegression, KeyQueue, mocoQueueLoss, mocoV3Loss, negativeCosine, ntXentLoss } from '../../engine/losses/contrastive';
import { embeddingStd } from '../../engine/metrics/collapse';
import { attentionPayload, embeddingPayload } from '../payloads';
import { l2Normalize, stopGradient } from '../../engine/nn/layers';
import { createMlp, mlpForward, type MlpLayerConfig, type MlpParams } from '../../engine/nn/mlp';
import { assignSaved, cloneTree, disposeTree, namedVariables, prefixedWeights } from '../../engine/nn/params';
import { createCnn, cnnFeatureMap, cnnForward, type CnnConfig, type CnnParams } from '../../engine/nn/cnn';
import { createViT, vitClsAttention, vitForward, vitPatchGrid, type ViTConfig, type ViTParams } from '../../engine/nn/vit';
import { AdamW, emaUpdate } from '../../engine/optim/adamw';
import { readCommon } from '../../engine/runConfig';
import { cosineAt } from '../../engine/schedules';
import { Rng } from '../../engine/random';
import type { CropView, ProbePayload } from '../probes';
import { readValues, type SettingValues } from '../schema';
import type { SupervisedNetwork } from '../../engine/eval/supervised';
import type { Batch, MethodContext, MethodImplementation, MethodInstance, ProbeInput, StepOutput } from '../types';
import { lineageSettings, MECHANISMS, predictorAtPeakLr, type Variant } from './settings';

interface Encoder {
  backbone: ViTParams | CnnParams;
  projector: MlpParams;
}

interface LineageConfig {
  variant: Variant;
  backbone: 'vit' | 'cnn';
  vit: ViTConfig;
  cnn: CnnConfig;
  projector: MlpLayerConfig[];
  predictor: MlpLayerConfig[] | null;
  temperature: number;
  queueSize: number;
  momentumEncoder: boolean;
  stopGradient: boolean;
  cropScaleMin: number;
  colorJitter: number;
  hueJitter: number;
  rotation: number;
  grayscaleProbability: number;
  blur: boolean;
  weightDecay: number;
  /** SimSiam's --fix-pred-lr: the predictor's lr stays at the peak (`predictorLearningRate`). */
  fixPredictorLr: boolean;
  scheduleAt(step: number): { learningRate: number; predictorLearningRate: number; momentum: number };
}

/** The heads of each paper's code, at the configured widths. */
function headLayers(variant: Variant, hidden: number, out: number): MlpLayerConfig[] {
  const block = (width: number): MlpLayerConfig => ({ out: width, batchNorm: 'affine', relu: true });
  switch (variant) {
    case 'simclr': return [block(hidden), { out, batchNorm: 'plain', relu: false }];
    case 'byol': return [block(hidden), { out, batchNorm: 'none', relu: false }];
    case 'moco': case 'simsiam': return [block(hidden), block(hidden), { out, batchNorm: 'plain', relu: false }];
  }
}

function predictorLayers(variant: Variant, hidden: number, out: number): MlpLayerConfig[] {
  const last: MlpLayerConfig = { out, batchNorm: variant === 'moco' ? 'plain' : 'none', relu: false };
  return [{ out: hidden, batchNorm: 'affine', relu: true }, last];
}

function readConfig(values: SettingValues, variant: Variant): LineageConfig {
  const v = readValues(lineageSettings(variant), values);
  const common = readCommon(values);
  const has = MECHANISMS[variant];
  const peak = (v.learningRate * common.batchSize) / 256;
  const momentumEncoder = has.momentum && v.momentumEncoder;
  return {
    variant,
    backbone: v.backbone === 'cnn' ? 'cnn' : 'vit',
    cnn: { imageSize: common.imageSize, width: v.width, stages: v.depth },
    vit: { imageSize: common.imageSize, patchSize: v.patchSize, width: v.width, depth: v.depth, heads: v.heads, mlpRatio: v.mlpRatio },
    projector: headLayers(variant, v.projectorHidden, v.projectorOut),
    predictor: has.predictor && v.predictor ? predictorLayers(variant, v.predictorHidden, v.projectorOut) : null,
    temperature: has.temperature ? v.temperature : 1,
    queueSize: has.queue ? v.queueSize : 0,
    momentumEncoder,
    stopGradient: has.stopGradient ? v.stopGradient : true,
    cropScaleMin: v.cropScaleMin,
    colorJitter: v.colorJitter,
    hueJitter: v.hueJitter,
    rotation: v.rotation,
    grayscaleProbability: v.grayscaleProbability,
    blur: v.blur,
    weightDecay: v.weightDecay,
    fixPredictorLr: predictorAtPeakLr(variant, v),
    scheduleAt: (step) => ({
      learningRate: cosineAt({ base: peak, final: 0, totalSteps: common.totalSteps, warmupSteps: v.warmupSteps }, step),
      predictorLearningRate: peak,
      // BYOL / MoCo v3: from the base momentum to 1 on a half cosine.
      momentum: momentumEncoder ? cosineAt({ base: v.momentum, final: 1, totalSteps: common.totalSteps }, step) : 0,
    }),
  };
}

interface Captured {
  step: number;
  imageIndex: number;
  views: tf.Tensor4D; // [2, S, S, 3] in [0, 1]
  boxes: SampledCrop[];
  similarity: tf.Tensor2D; // [2B, 2B]
}

class LineageInstance implements MethodInstance {
  private readonly c: LineageConfig;
  private readonly online: Encoder;
  private readonly predictor: MlpParams | null;
  private readonly target: Encoder | null; // the momentum encoder
  private readonly onlineVariables: Map<string, tf.Variable>;
  private readonly targetVariables: Map<string, tf.Variable> | null;
  private readonly trainable: Map<string, tf.Variable>;
  private readonly optimizer: AdamW;
  private readonly queue: KeyQueue | null;
  private readonly cropRng: Rng;
  private captured: Captured | null = null;
  /** The online ViT's CLS attention (absent for the CNN backbone). */
  readonly clsAttention?: (images: tf.Tensor4D) => tf.Tensor3D;

  constructor(context: MethodContext, variant: Variant) {
    this.c = readConfig(context.values, variant);
    const c = this.c;
    if (c.backbone === 'vit') {
      this.clsAttention = (images) => tf.tidy(() => vitClsAttention(this.online.backbone as ViTParams, c.vit, normalize(images) as tf.Tensor4D));
    }
    const rng = Rng.stream(context.seed, `${variant}:weights`);
    this.cropRng = Rng.stream(context.seed, `${variant}:crops`);
    this.online = {
      backbone: c.backbone === 'cnn' ? createCnn(c.cnn, rng) : createViT(c.vit, rng),
      projector: createMlp(c.vit.width, c.projector, rng),
    };
    this.predictor = c.predictor ? createMlp(c.projector[c.projector.length - 1].out, c.predictor, rng) : null;
    this.target = c.momentumEncoder ? cloneTree(this.online, false) : null;
    this.onlineVariables = namedVariables(this.online);
    this.targetVariables = this.target ? namedVariables(this.target) : null;
    this.trainable = new Map([...this.onlineVariables, ...(this.predictor ? namedVariables(this.predictor, 'predictor') : [])]);
    this.optimizer = new AdamW(this.trainable);
    const dim = c.projector[c.projector.length - 1].out;
    if (c.queueSize > 0) {
      const queueRng = Rng.stream(context.seed, 'moco:queue');
      const initial = new Float32Array(c.queueSize * dim);
      for (let i = 0; i < initial.length; i++) initial[i] = queueRng.normal();
      this.queue = new KeyQueue(c.queueSize, dim, initial);
    } else {
      this.queue = null;
    }
  }

  /** Projections of both views, and the backbone features [2B, D] they came from. */
  private project(encoder: Encoder, views: tf.Tensor4D, B: number): { z: [tf.Tensor2D, tf.Tensor2D]; features: tf.Tensor2D } {
    // One backbone pass for both views; the heads run per view, so BatchNorm sees one view's
    // batch at a time, as with the official code's two forward calls.
    const features = this.features(encoder, views);
    const [f1, f2] = tf.split(features, [B, B], 0) as [tf.Tensor2D, tf.Tensor2D];
    return { z: [mlpForward(encoder.projector, this.c.projector, f1), mlpForward(encoder.projector, this.c.projector, f2)], features };
  }

  /** Backbone features [N, width] of normalised images. */
  private features(encoder: Encoder, images: tf.Tensor4D): tf.Tensor2D {
    return this.c.backbone === 'cnn'
      ? cnnForward(encoder.backbone as CnnParams, images)
      : vitForward(encoder.backbone as ViTParams, this.c.vit, images, null).cls;
  }

  private predict(z: tf.Tensor2D): tf.Tensor2D {
    return this.predictor ? mlpForward(this.predictor, this.c.predictor!, z) : z;
  }

  /**
   * The step's two augmented views [2B, S, S, 3] (normalised; view 1 of every image, then view
   * 2), drawn from the run's crop stream. Public for the PyTorch export's parity test, which
   * hands the same views to the exported train.py.
   */
  sampleViews(images: tf.Tensor4D): { views: tf.Tensor4D; boxes: SampledCrop[] } {
    const c = this.c;
    const B = images.shape[0];
    const boxes: SampledCrop[] = [];
    const photometric: PhotometricParams[] = [];
    for (let view = 0; view < 2; view++) {
      for (let image = 0; image < B; image++) {
        boxes.push(sampleResizedCrop(this.cropRng, c.vit.imageSize, [c.cropScaleMin, 1]));
        photometric.push(samplePhotometric(this.cropRng, {
          jitterStrength: c.colorJitter, hue: c.hueJitter, jitterProbability: 0.8, grayscaleProbability: c.grayscaleProbability,
          blurProbability: c.blur ? 0.5 : 0, solarizeProbability: 0,
        }));
      }
    }
    const angles = sampleRotations(this.cropRng, 2 * B, c.rotation);
    const views = tf.tidy(() => {
      const raw = rotateViews(cropAndResize(
        images, tf.tensor2d(boxes.flatMap((v) => v.samplingBox), [2 * B, 4]), boxes.map((_, i) => i % B),
        [c.vit.imageSize, c.vit.imageSize],
      ), angles);
      return applyPhotometric(raw, tf.tensor2d(packPhotometric(photometric), [2 * B, PHOTOMETRIC_WIDTH])) as tf.Tensor4D;
    });
    return { views, boxes };
  }

  step(batch: Batch, step: number): StepOutput {
    const c = this.c;
    const B = batch.images.shape[0];
    const { views, boxes } = this.sampleViews(batch.images);
    const schedule = c.scheduleAt(step);
    const output = tf.tidy(() => {
      // Momentum keys / targets, outside the tape.
      const targets = this.target ? this.project(this.target, views, B).z : null;

      let kept: tf.Tensor2D[] = [];
      const { value: loss, grads } = tf.variableGrads(() => {
        const { z: [z1, z2], features } = this.project(this.online, views, B);
        kept = [tf.keep(z1), tf.keep(z2), tf.keep(features)];
        const p1 = this.predict(z1);
        const p2 = this.predict(z2);
        // Without a momentum encoder the targets are the online projections, detached.
        const [t1, t2] = targets ?? [stopGradient(z1) as tf.Tensor2D, stopGradient(z2) as tf.Tensor2D];
        switch (c.variant) {
          case 'simclr':
            return ntXentLoss(z1, z2, c.temperature);
          case 'moco':
            return this.queue
              ? tf.add(
                mocoQueueLoss(p1, t2, this.queue.keys as tf.Tensor as tf.Tensor2D, c.temperature),
                mocoQueueLoss(p2, t1, this.queue.keys as tf.Tensor as tf.Tensor2D, c.temperature),
              ) as tf.Scalar
              : tf.add(mocoV3Loss(p1, t2, c.temperature), mocoV3Loss(p2, t1, c.temperature)) as tf.Scalar;
          case 'byol':
            return tf.add(byolRegression(p1, t2), byolRegression(p2, t1)) as tf.Scalar;
          case 'simsiam':
            return tf.mul(tf.add(negativeCosine(p1, z2, c.stopGradient), negativeCosine(p2, z1, c.stopGradient)), 0.5) as tf.Scalar;
        }
      }, [...this.trainable.values()]);

      const byName = new Map<string, tf.Tensor>();
      for (const [name, variable] of this.trainable) {
        const grad = grads[variable.name];
        if (grad) byName.set(name, grad);
      }
      if (c.fixPredictorLr) {
        // Two groups, as SimSiam's param_groups with fix_lr: each step leaves the other group untouched.
        const isPredictor = (name: string) => name.startsWith('predictor.');
        this.optimizer.apply(byName, { learningRate: schedule.learningRate, weightDecay: c.weightDecay, clip: 0, frozen: isPredictor });
        const rest = (name: string) => !isPredictor(name);
        this.optimizer.apply(byName, { learningRate: schedule.predictorLearningRate, weightDecay: c.weightDecay, clip: 0, frozen: rest });
      } else {
        this.optimizer.apply(byName, { learningRate: schedule.learningRate, weightDecay: c.weightDecay, clip: 0 });
      }
      if (this.target) emaUpdate(this.targetVariables!, this.onlineVariables, schedule.momentum);
      if (this.queue && targets) this.queue.enqueue(l2Normalize(tf.concat(targets, 0)) as tf.Tensor2D);

      const [z1, z2, features] = kept.map((t) => tf.clone(t) as tf.Tensor2D);
      kept.forEach((t) => t.dispose());
      const n1 = l2Normalize(z1) as tf.Tensor2D;
      const n2 = l2Normalize(z2) as tf.Tensor2D;
      const cross = tf.matMul(n1, n2, false, true); // [B, B]
      const positive = tf.mean(tf.sum(tf.mul(n1, n2), 1)) as tf.Scalar;
      const negative = tf.div(tf.sub(tf.sum(cross), tf.sum(tf.mul(cross, tf.eye(B)))), B * (B - 1)) as tf.Scalar;
      if (batch.capture) this.capture(step, batch, views, boxes, tf.concat([n1, n2], 0) as tf.Tensor2D);

      const metrics: Record<string, tf.Scalar> = {
        projectionStd: embeddingStd(tf.concat([z1, z2], 0) as tf.Tensor2D),
        positiveSimilarity: positive,
        negativeSimilarity: negative,
        learningRate: tf.scalar(schedule.learningRate),
      };
      if (c.fixPredictorLr) metrics.predictorLearningRate = tf.scalar(schedule.predictorLearningRate);
      if (MECHANISMS[c.variant].momentum) metrics.momentum = tf.scalar(schedule.momentum);
      // The representation kept after pre-training is the backbone's: that is what is watched.
      // (The projector ends in BatchNorm for most of these methods, which by construction
      // keeps its outputs spread over the batch even when the backbone has collapsed.)
      return { loss, metrics, embeddings: features };
    });
    views.dispose(); // made outside the tidy (sampleViews)
    return output;
  }

  private capture(step: number, batch: Batch, views: tf.Tensor4D, boxes: SampledCrop[], normalized: tf.Tensor2D): void {
    const B = batch.images.shape[0];
    this.releaseCaptured();
    this.captured = {
      step: step + 1,
      imageIndex: batch.indices[0],
      views: tf.keep(denormalize(tf.gather(views, [0, B])) as tf.Tensor4D),
      boxes: [boxes[0], boxes[B]],
      similarity: tf.keep(tf.matMul(normalized, normalized, false, true) as tf.Tensor2D),
    };
  }

  private releaseCaptured(): void {
    if (!this.captured) return;
    this.captured.views.dispose();
    this.captured.similarity.dispose();
    this.captured = null;
  }

  async probes(input: ProbeInput, step: number): Promise<ProbePayload[]> {
    const payloads: ProbePayload[] = [];
    if (this.c.backbone === 'vit') payloads.push(await attentionPayload(this.online.backbone as ViTParams, this.c.vit, input, step, this.target ? 'online encoder' : 'encoder'));
    payloads.push(await embeddingPayload((images) => this.embed(images), input, step));
    const captured = this.captured;
    if (captured) {
      const size = this.c.vit.imageSize;
      const area = size * size * 3;
      const pixels = (await captured.views.data()) as Float32Array;
      const crops: CropView[] = captured.boxes.map((view, i) => ({
        role: 'global', size, box: view.box, flipped: view.flipped, pixels: pixels.slice(i * area, (i + 1) * area),
      }));
      payloads.push({ kind: 'crops', step: captured.step, imageSize: size, original: input.trainPixels(captured.imageIndex), crops });
      payloads.push({
        kind: 'similarity', step: captured.step, size: captured.similarity.shape[0],
        matrix: (await captured.similarity.data()) as Float32Array,
      });
    }
    return payloads;
  }

  /** Backbone features of the online encoder (the one kept after pre-training). */
  embed(images: tf.Tensor4D): tf.Tensor2D {
    return tf.tidy(() => this.features(this.online, normalize(images) as tf.Tensor4D));
  }

  /** The online backbone's dense features: ViT patch tokens, or the CNN's last feature map. */
  supervisedNetwork(): SupervisedNetwork {
    const backbone = cloneTree(this.online.backbone, true);
    return {
      variables: namedVariables(backbone),
      features: (images) => this.features({ backbone, projector: this.online.projector }, normalize(images) as tf.Tensor4D),
      featureDim: this.c.vit.width,
    };
  }

  embedDense(images: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      const x = normalize(images) as tf.Tensor4D;
      return this.c.backbone === 'cnn'
        ? cnnFeatureMap(this.online.backbone as CnnParams, x)
        : vitPatchGrid(this.online.backbone as ViTParams, this.c.vit, x);
    });
  }

  save(): tf.NamedTensorMap {
    const out = prefixedWeights({ online: this.trainable, target: this.targetVariables });
    if (this.queue) out.queue = this.queue.keys;
    return out;
  }

  load(weights: tf.NamedTensorMap): void {
    assignSaved(this.save(), weights);
  }

  dispose(): void {
    this.releaseCaptured();
    disposeTree(this.online);
    if (this.predictor) disposeTree(this.predictor);
    if (this.target) disposeTree(this.target);
    this.optimizer.dispose();
    this.queue?.dispose();
  }
}

const implementation = (variant: Variant): MethodImplementation => ({
  create: (context) => new LineageInstance(context, variant),
});

export const implementations: Record<Variant, MethodImplementation> = {
  simclr: implementation('simclr'),
  moco: implementation('moco'),
  byol: implementation('byol'),
  simsiam: implementation('simsiam'),
};
