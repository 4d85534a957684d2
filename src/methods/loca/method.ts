import * as tf from '@tensorflow/tfjs';
import { patchCorrespondence } from '../../engine/augment/correspondence';
import { cropAndResize } from '../../engine/augment/cropResize';
import { sampleResizedCrop, samplePhotometric, type PhotometricParams, type SampledCrop } from '../../engine/augment/crops';
import { applyPhotometric, normalize, packPhotometric, PHOTOMETRIC_WIDTH } from '../../engine/augment/photometric';
import {
  clusterLoss, clusterTargets, insideWeights, localizationLoss, meanEntropyTerm, positionAccuracy,
} from '../../engine/losses/loca';
import { meanEntropy } from '../../engine/metrics/collapse';
import { embeddingPayload } from '../payloads';
import { createCrossAttention, crossAttentionForward, type CrossAttentionParams } from '../../engine/nn/crossAttention';
import { createDinoHead, dinoHeadForward, LAST_LAYER_PREFIX, type DinoHeadParams } from '../../engine/nn/heads';
import { createLayerNorm, createLinear, layerNorm, linear, type LayerNormParams, type LinearParams } from '../../engine/nn/layers';
import { assignSaved, cloneTree, disposeTree, namedVariables, prefixedWeights } from '../../engine/nn/params';
import { createViT, gridResizeMatrix, vitForward, vitPatchGrid, type ViTParams } from '../../engine/nn/vit';
import { AdamW, emaUpdate } from '../../engine/optim/adamw';
import { Rng } from '../../engine/random';
import type { PositionProbe, ProbePayload } from '../probes';
import type { SupervisedNetwork } from '../../engine/eval/supervised';
import type { Batch, MethodContext, MethodImplementation, MethodInstance, ProbeInput, StepOutput } from '../types';
import { readLocaConfig, type LocaConfig } from './config';
import { positionPayload, queryTokensPerImage, type Views } from './positionPayload';

interface Encoder {
  backbone: ViTParams;
  head: DinoHeadParams; // projection head + prototypes (the cluster loss)
}

interface Student extends Encoder {
  crossAttention: CrossAttentionParams;
  finalNorm: LayerNormParams;
  position: LinearParams; // [D, N_ref]
}

/** One step's draws: the views and each crop's photometric parameters. */
interface StepDraws {
  views: Views;
  reference: PhotometricParams[];
  query: PhotometricParams[];
  focal: PhotometricParams[];
}

class LocaInstance implements MethodInstance {
  private readonly config: LocaConfig;
  private readonly seed: number;
  private readonly student: Student;
  private readonly teacher: Encoder | null; // EMA of the student's encoder and head (cluster loss on)
  private readonly studentVariables: Map<string, tf.Variable>;
  private readonly teacherVariables: Map<string, tf.Variable>;
  private readonly trainable: Map<string, tf.Variable>;
  private readonly optimizer: AdamW;
  private readonly focalResize: tf.Tensor2D | null;
  private readonly viewRng: Rng;

  constructor(context: MethodContext) {
    this.config = readLocaConfig(context.values);
    this.seed = context.seed;
    const c = this.config;
    const rng = Rng.stream(context.seed, 'loca:weights');
    this.viewRng = Rng.stream(context.seed, 'loca:views');
    this.student = {
      backbone: createViT(c.vit, rng),
      head: createDinoHead(c.head, rng),
      crossAttention: createCrossAttention(rng, c.vit.width, c.vit.mlpRatio),
      finalNorm: createLayerNorm(c.vit.width),
      position: createLinear(rng, c.vit.width, c.sizes.referencePatches),
    };
    this.teacher = c.clusterLoss
      ? (cloneTree({ backbone: this.student.backbone, head: this.student.head }, false))
      : null;
    this.studentVariables = namedVariables(this.student);
    this.teacherVariables = this.teacher ? namedVariables(this.teacher) : new Map();
    // The prototypes' norm is fixed at 1 (weight-normalised without a gain); the head is unused
    // without the cluster loss.
    this.trainable = new Map([...this.studentVariables].filter(([name]) =>
      name !== `head.${LAST_LAYER_PREFIX}norm` && (c.clusterLoss || !name.startsWith('head.'))));
    this.optimizer = new AdamW(this.trainable);
    const grid = c.sizes.referenceGrid;
    const focalGrid = c.sizes.focalGrid;
    this.focalResize = c.focalQueries > 0 && focalGrid !== grid
      ? tf.tensor2d(gridResizeMatrix(grid, focalGrid), [focalGrid ** 2, grid ** 2]) : null;
  }

  /** Samples the views of `count` images and derives the position targets from their boxes. */
  private drawViews(rng: Rng, count: number): Views {
    const c = this.config;
    const size = c.vit.imageSize;
    const references = Array.from({ length: count }, () => sampleResizedCrop(rng, size, [c.referenceScaleMin, 1], undefined, 0));
    const queries = Array.from({ length: count }, () => sampleResizedCrop(rng, size, [c.queryScaleMin, 1]));
    const focals: SampledCrop[] = [];
    for (let f = 0; f < c.focalQueries; f++) {
      for (let b = 0; b < count; b++) focals.push(sampleResizedCrop(rng, size, [c.focalScaleMin, c.focalScaleMax]));
    }
    const { referencePatches, referenceKept, queryKept, focalPatches } = c.sizes;
    const queryKeep = rng.permutation(referencePatches).slice(0, queryKept);
    const offset = rng.int(referencePatches - referenceKept + 1);
    const referenceKeep = Int32Array.from({ length: referenceKept }, (_, i) => offset + i);
    const perImage = queryTokensPerImage(c);
    const targets = new Int32Array(count * perImage);
    const patch = c.vit.patchSize;
    for (let b = 0; b < count; b++) {
      const reference = { crop: references[b], size };
      const large = patchCorrespondence({ crop: queries[b], size }, reference, patch, size);
      let at = b * perImage;
      for (const index of queryKeep) targets[at++] = large[index];
      for (let f = 0; f < c.focalQueries; f++) {
        const focal = patchCorrespondence({ crop: focals[f * count + b], size: c.focalSize }, reference, patch, size);
        targets.set(focal, at);
        at += focalPatches;
      }
    }
    return { references, queries, focals, queryKeep, referenceKeep, targets };
  }

  /** A step's draws from the view stream, in the order step() has always made them: the views, then each crop's colours. */
  private drawStep(count: number): StepDraws {
    const c = this.config;
    const views = this.drawViews(this.viewRng, count);
    const jitter = {
      jitterStrength: c.colorJitter, hue: c.hueJitter, jitterProbability: 0.8, grayscaleProbability: c.grayscaleProbability, blurProbability: 0,
    };
    return {
      views,
      reference: views.references.map(() => samplePhotometric(this.viewRng, { ...jitter, solarizeProbability: 0 })),
      query: views.queries.map(() => samplePhotometric(this.viewRng, { ...jitter, solarizeProbability: c.solarizeProbability })),
      focal: views.focals.map(() => samplePhotometric(this.viewRng, { ...jitter, solarizeProbability: 0 })),
    };
  }

  /** The augmented, normalised views of one step's draws: reference and large query [B, S, S, 3], focal [F·B, s, s, 3]. */
  private augmentedViews(images: tf.Tensor4D, drawn: StepDraws): { reference: tf.Tensor4D; query: tf.Tensor4D; focal: tf.Tensor4D | null } {
    const c = this.config;
    const B = images.shape[0];
    const augmented = (crops: SampledCrop[], photometric: PhotometricParams[], size: number) =>
      applyPhotometric(this.crops(images, crops, B, size), tf.tensor2d(packPhotometric(photometric), [crops.length, PHOTOMETRIC_WIDTH]));
    return {
      reference: augmented(drawn.views.references, drawn.reference, c.vit.imageSize),
      query: augmented(drawn.views.queries, drawn.query, c.vit.imageSize),
      focal: c.focalQueries > 0 ? augmented(drawn.views.focals, drawn.focal, c.focalSize) : null,
    };
  }

  /**
   * What the next step() will draw, as tensors (the PyTorch export's parity test hands them to
   * train.py): the augmented views, every crop's sampling box [y1, x1, y2, x2] (x1 > x2: flipped;
   * focal rows f·B + b), the kept large-query patches, the visible reference run and the
   * position targets [B·Tq] (indices as floats). Consumes the view stream as a step does.
   */
  sampleViews(images: tf.Tensor4D): Record<string, tf.Tensor> {
    const drawn = this.drawStep(images.shape[0]);
    const { views } = drawn;
    const boxes = (crops: SampledCrop[]) => tf.tensor2d(crops.flatMap((crop) => crop.samplingBox), [crops.length, 4]);
    const indices = (values: Int32Array) => tf.tensor1d(Float32Array.from(values));
    return tf.tidy(() => {
      const { reference, query, focal } = this.augmentedViews(images, drawn);
      return {
        reference, query, referenceBoxes: boxes(views.references), queryBoxes: boxes(views.queries),
        ...(focal ? { focal, focalBoxes: boxes(views.focals) } : {}),
        queryKeep: indices(views.queryKeep), referenceKeep: indices(views.referenceKeep), targets: indices(views.targets),
      };
    });
  }

  /** Crops [n, s, s, 3] in [0, 1] (no augmentation). */
  private crops(images: tf.Tensor4D, views: SampledCrop[], count: number, size: number): tf.Tensor4D {
    const boxes = tf.tensor2d(views.flatMap((v) => v.samplingBox), [views.length, 4]);
    return cropAndResize(images, boxes, views.map((_, i) => i % count), [size, size]);
  }

  /** Patch tokens (CLS dropped) of `images` through `backbone`: [n, tokens, D]. */
  private patchTokens(backbone: ViTParams, images: tf.Tensor4D, resize: tf.Tensor2D | null, keep: tf.Tensor1D | null): tf.Tensor3D {
    const tokens = vitForward(backbone, this.config.vit, images, resize, false, keep).tokens;
    const [n, t, d] = tokens.shape;
    return tf.slice(tokens, [0, 1, 0], [n, t - 1, d]);
  }

  /**
   * The student's query tokens of each image in one row: [B, Tq, D] (the large query's kept
   * patches, then focal 0, focal 1, …), matching Views.targets.
   */
  private queryTokens(query: tf.Tensor4D, focal: tf.Tensor4D | null, queryKeep: tf.Tensor1D, count: number): {
    all: tf.Tensor3D; focalFlat: tf.Tensor2D | null;
  } {
    const c = this.config;
    const large = this.patchTokens(this.student.backbone, query, null, queryKeep); // [B, kQ, D]
    if (!focal) return { all: large, focalFlat: null };
    const D = c.vit.width;
    const n = c.sizes.focalPatches;
    const focalTokens = this.patchTokens(this.student.backbone, focal, this.focalResize, null); // [F·B, n, D]
    const perImage = tf.reshape(tf.transpose(tf.reshape(focalTokens, [c.focalQueries, count, n, D]), [1, 0, 2, 3]), [count, c.focalQueries * n, D]);
    return { all: tf.concat([large, perImage], 1) as tf.Tensor3D, focalFlat: tf.reshape(focalTokens, [-1, D]) as tf.Tensor2D };
  }

  /** Position logits [B·Tq, N_ref] of the query tokens against the visible reference tokens. */
  private positionLogits(queryTokens: tf.Tensor3D, context: tf.Tensor3D): tf.Tensor2D {
    const x = crossAttentionForward(this.student.crossAttention, this.config.vit.heads, queryTokens, context);
    return tf.reshape(linear(this.student.position, layerNorm(this.student.finalNorm, x)), [-1, this.config.sizes.referencePatches]) as tf.Tensor2D;
  }

  step(batch: Batch, step: number): StepOutput {
    const c = this.config;
    const B = batch.images.shape[0];
    const drawn = this.drawStep(B);
    const { views } = drawn;
    const schedule = c.scheduleAt(step);
    const perImage = queryTokensPerImage(c);
    const { referencePatches } = c.sizes;
    // Row of the reference patch under each query patch, in the [B·N_ref] teacher targets
    // (clamped for outside patches, whose weight is 0).
    const targetRows = Int32Array.from(views.targets, (y, i) => Math.floor(i / perImage) * referencePatches + Math.max(0, y));
    // Inside patches whose true reference patch the queries can see, and those they cannot.
    const visible = new Uint8Array(referencePatches);
    for (const index of views.referenceKeep) visible[index] = 1;
    const masked = c.sizes.referenceKept < referencePatches;
    const visibleWeights = Float32Array.from(views.targets, (y) => (y >= 0 && visible[y] ? 1 : 0));
    const hiddenWeights = Float32Array.from(views.targets, (y) => (y >= 0 && !visible[y] ? 1 : 0));

    return tf.tidy(() => {
      const { reference, query, focal } = this.augmentedViews(batch.images, drawn);
      const queryKeep = tf.tensor1d(views.queryKeep, 'int32');
      const referenceKeep = tf.tensor1d(views.referenceKeep, 'int32');
      const targets = tf.tensor1d(views.targets, 'int32');
      const weights = insideWeights(targets);

      // Teacher (outside the tape): the whole reference is encoded; its prototype assignments
      // for every reference patch become the Sinkhorn-balanced targets, and the visible run of
      // its patch features is what the queries attend to.
      let teacherContext: tf.Tensor3D | null = null;
      let patchTargets: tf.Tensor2D | null = null;
      let targetEntropy: tf.Scalar | null = null;
      if (this.teacher) {
        const features = this.patchTokens(this.teacher.backbone, reference, null, null); // [B, N_ref, D]
        const logits = dinoHeadForward(this.teacher.head, c.head, tf.reshape(features, [-1, c.vit.width]) as tf.Tensor2D);
        const assignments = clusterTargets(logits, c.teacherTemperature, c.sinkhornIterations); // [B·N_ref, K]
        targetEntropy = meanEntropy(tf.log(tf.maximum(assignments, 1e-12)) as tf.Tensor2D);
        patchTargets = tf.gather(assignments, tf.tensor1d(targetRows, 'int32')) as tf.Tensor2D; // [B·Tq, K]
        teacherContext = tf.gather(features, referenceKeep, 1) as tf.Tensor3D;
      }

      const kept: Record<string, tf.Tensor> = {};
      const keep = <T extends tf.Tensor>(name: string, t: T): T => {
        kept[name] = tf.keep(t);
        return t;
      };
      const { value: loss, grads } = tf.variableGrads(() => {
        // Without the cluster loss there is no teacher: the reference goes through the student
        // with its masked tokens dropped before the encoder (scenic's drop_moment='early').
        const context = teacherContext ?? this.patchTokens(this.student.backbone, reference, null, referenceKeep);
        const { all, focalFlat } = this.queryTokens(query, focal, queryKeep, B);
        keep('embeddings', focalFlat ?? tf.reshape(all, [-1, c.vit.width]));
        const logits = this.positionLogits(all, context);
        // A copy: take() disposes the kept metric, which the returned loss must outlive.
        let total = tf.clone(keep('localizationLoss', localizationLoss(logits, targets))) as tf.Scalar;
        keep('positionAccuracy', positionAccuracy(logits, targets));
        if (masked) {
          keep('visibleAccuracy', positionAccuracy(logits, targets, tf.tensor1d(visibleWeights)));
          keep('hiddenAccuracy', positionAccuracy(logits, targets, tf.tensor1d(hiddenWeights)));
        }
        if (patchTargets) {
          const studentLogits = dinoHeadForward(this.student.head, c.head, tf.reshape(all, [-1, c.vit.width]) as tf.Tensor2D);
          total = tf.add(total, keep('clusterLoss', clusterLoss(studentLogits, patchTargets, weights, c.studentTemperature)));
          const spread = keep('meanEntropyTerm', meanEntropyTerm(studentLogits, c.studentTemperature));
          if (c.meanEntropy) total = tf.add(total, spread);
          keep('studentEntropy', meanEntropy(tf.logSoftmax(tf.div(studentLogits, c.studentTemperature)) as tf.Tensor2D));
        }
        return total as tf.Scalar;
      }, [...this.trainable.values()]);

      const byName = new Map<string, tf.Tensor>();
      for (const [name, variable] of this.trainable) {
        const grad = grads[variable.name];
        if (grad) byName.set(name, grad);
      }
      this.optimizer.apply(byName, {
        learningRate: schedule.learningRate, weightDecay: c.weightDecay, clip: 0, globalClip: c.gradientClip,
      });
      if (this.teacher) emaUpdate(this.teacherVariables, this.studentVariables, schedule.teacherMomentum);

      const take = (name: string) => {
        const t = tf.clone(kept[name]);
        kept[name].dispose();
        return t;
      };
      const metrics: Record<string, tf.Scalar> = {
        localizationLoss: take('localizationLoss') as tf.Scalar,
        positionAccuracy: take('positionAccuracy') as tf.Scalar,
        insideFraction: tf.mean(weights) as tf.Scalar,
        learningRate: tf.scalar(schedule.learningRate),
      };
      if (masked) {
        metrics.visibleAccuracy = take('visibleAccuracy') as tf.Scalar;
        metrics.hiddenAccuracy = take('hiddenAccuracy') as tf.Scalar;
      }
      if (this.teacher) {
        metrics.clusterLoss = take('clusterLoss') as tf.Scalar;
        metrics.predictionSpread = tf.neg(take('meanEntropyTerm')) as tf.Scalar;
        metrics.studentEntropy = take('studentEntropy') as tf.Scalar;
        metrics.targetEntropy = targetEntropy!;
        metrics.teacherMomentum = tf.scalar(schedule.teacherMomentum);
      }
      return { loss, metrics, embeddings: take('embeddings') as tf.Tensor2D };
    });
  }

  async probes(input: ProbeInput, step: number): Promise<ProbePayload[]> {
    const payloads: ProbePayload[] = [await this.positionProbe(input, step)];
    payloads.push(await embeddingPayload((images) => this.embed(images), input, step));
    return payloads;
  }

  /**
   * Position predictions on the probe images, for views drawn from a fixed stream: the same
   * boxes, token subsets and visible run at every probe, so the page shows the predictions
   * improving on unchanged views. No augmentation: the views are plain crops.
   */
  private async positionProbe(input: ProbeInput, step: number): Promise<PositionProbe> {
    const c = this.config;
    const count = Math.min(input.images.shape[0], PROBE_EXAMPLES);
    const views = this.drawViews(Rng.stream(this.seed, 'loca:probe-views'), count);
    const S = c.vit.imageSize;
    const images = tf.tidy(() => tf.slice(input.images, 0, count) as tf.Tensor4D);
    const tensors = tf.tidy(() => {
      const reference = this.crops(images, views.references, count, S);
      const query = this.crops(images, views.queries, count, S);
      const focal = c.focalQueries > 0 ? this.crops(images, views.focals, count, c.focalSize) : null;
      const referenceKeep = tf.tensor1d(views.referenceKeep, 'int32');
      const encoder = this.teacher?.backbone ?? this.student.backbone;
      const context = this.teacher
        ? tf.gather(this.patchTokens(encoder, normalize(reference) as tf.Tensor4D, null, null), referenceKeep, 1) as tf.Tensor3D
        : this.patchTokens(encoder, normalize(reference) as tf.Tensor4D, null, referenceKeep);
      const { all } = this.queryTokens(
        normalize(query) as tf.Tensor4D, focal ? normalize(focal) as tf.Tensor4D : null, tf.tensor1d(views.queryKeep, 'int32'), count,
      );
      const predictions = tf.softmax(this.positionLogits(all, context)); // [count·Tq, N_ref]
      return { reference, query, focal: focal ?? undefined, predictions };
    });
    try {
      const [referencePixels, queryPixels, focalPixels, predictions] = await Promise.all([
        tensors.reference.data(), tensors.query.data(), tensors.focal ? tensors.focal.data() : Promise.resolve(new Float32Array(0)),
        tensors.predictions.data(),
      ]) as Float32Array[];
      return positionPayload(this.config, input, step, views, count, { referencePixels, queryPixels, focalPixels, predictions });
    } finally {
      images.dispose();
      tf.dispose([tensors.reference, tensors.query, tensors.predictions]);
      tensors.focal?.dispose();
    }
  }

  /**
   * Top-1 position accuracy on `images` (held-out, the study's), for views drawn from a fixed
   * stream: the mean over every query patch whose centre lies inside the reference. With
   * `allVisible` the whole reference is shown (η = 0), whatever the run's η. One readback.
   */
  async positionAccuracyOn(images: tf.Tensor4D, allVisible: boolean): Promise<number> {
    const c = this.config;
    const S = c.vit.imageSize;
    const rng = Rng.stream(this.seed, 'loca:held-out-views');
    const chunk = 50;
    const n = images.shape[0];
    const sums: tf.Scalar[] = [];
    let patches = 0;
    for (let start = 0; start < n; start += chunk) {
      const count = Math.min(chunk, n - start);
      const views = this.drawViews(rng, count);
      const keep = allVisible ? Int32Array.from({ length: c.sizes.referencePatches }, (_, i) => i) : views.referenceKeep;
      patches += views.targets.filter((t) => t >= 0).length;
      sums.push(tf.tidy(() => {
        const part = tf.slice(images, start, count) as tf.Tensor4D;
        const reference = normalize(this.crops(part, views.references, count, S)) as tf.Tensor4D;
        const query = normalize(this.crops(part, views.queries, count, S)) as tf.Tensor4D;
        const focal = c.focalQueries > 0 ? normalize(this.crops(part, views.focals, count, c.focalSize)) as tf.Tensor4D : null;
        const referenceKeep = tf.tensor1d(keep, 'int32');
        const encoder = this.teacher?.backbone ?? this.student.backbone;
        const context = this.teacher
          ? tf.gather(this.patchTokens(encoder, reference, null, null), referenceKeep, 1) as tf.Tensor3D
          : this.patchTokens(encoder, reference, null, referenceKeep);
        const { all } = this.queryTokens(query, focal, tf.tensor1d(views.queryKeep, 'int32'), count);
        const targets = tf.tensor1d(views.targets, 'int32');
        const hits = tf.cast(tf.equal(tf.argMax(this.positionLogits(all, context), 1), targets), 'float32');
        return tf.sum(tf.mul(hits, insideWeights(targets)));
      }));
    }
    const total = tf.addN(sums);
    const value = (await total.data())[0];
    tf.dispose([...sums, total]);
    return patches > 0 ? value / patches : 0;
  }

  /** Dense features pooled: the mean of the teacher's patch tokens (the student's without a teacher). */
  embed(images: tf.Tensor4D): tf.Tensor2D {
    return tf.tidy(() => {
      const backbone = this.teacher?.backbone ?? this.student.backbone;
      return tf.mean(this.patchTokens(backbone, normalize(images) as tf.Tensor4D, null, null), 1) as tf.Tensor2D;
    });
  }

  /** Patch tokens of the teacher (the student's without a teacher), as a grid. */
  supervisedNetwork(): SupervisedNetwork {
    const params = cloneTree(this.teacher?.backbone ?? this.student.backbone, true);
    return {
      variables: namedVariables(params),
      features: (images) => tf.mean(this.patchTokens(params, normalize(images) as tf.Tensor4D, null, null), 1) as tf.Tensor2D,
      featureDim: this.config.vit.width,
    };
  }

  embedDense(images: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => vitPatchGrid(this.teacher?.backbone ?? this.student.backbone, this.config.vit, normalize(images) as tf.Tensor4D));
  }

  save(): tf.NamedTensorMap {
    return prefixedWeights({ student: this.studentVariables, teacher: this.teacherVariables });
  }

  load(weights: tf.NamedTensorMap): void {
    assignSaved(this.save(), weights);
  }

  dispose(): void {
    disposeTree(this.student);
    if (this.teacher) disposeTree(this.teacher);
    this.optimizer.dispose();
    this.focalResize?.dispose();
  }
}

/** Probe images shown in the position view (each carries every query's full distribution). */
const PROBE_EXAMPLES = 6;

export const implementation: MethodImplementation = {
  create: (context) => new LocaInstance(context),
};
