/**
 * iTPN: HiViT + a feature pyramid pre-trained together by masked image modeling (every level feeds
 * the pixel decoder) and masked feature modeling (every level predicts a moving-averaged
 * backbone's features of its stage at the masked patches). Pyramid off: the plain-ViT MAE
 * baseline, one level.
 */
import * as tf from '@tensorflow/tfjs';
import { normalize } from '../../engine/augment/photometric';
import {
  maskFromOrder, maskedMeanSquaredError, normalizeFeatures, normalizedPixelTargets, patchify, sampleMask, unpatchify,
  type PatchMask,
} from '../../engine/losses/mim';
import { principalComponents, toUnitRange } from '../../engine/metrics/pca';
import { embeddingPayload } from '../payloads';
import { createHiViT, hivitForward, sinCosPositions, type HiViTParams, type VisiblePatches } from '../../engine/nn/hivit';
import { assignSaved, cloneTree, disposeTree, namedVariables } from '../../engine/nn/params';
import {
  createDecoder, createNeck, decoderForward, featureHeadsForward, fullGrid, levelShapes, pyramidLevels, targetStages,
  type DecoderParams, type FullGrid, type LevelShape, type NeckParams,
} from '../../engine/nn/pyramid';
import { AdamW, emaUpdate } from '../../engine/optim/adamw';
import { Rng } from '../../engine/random';
import type { ProbePayload, ReconstructionLevel, ReconstructionProbe } from '../probes';
import type { SettingValues } from '../schema';
import type { SupervisedNetwork } from '../../engine/eval/supervised';
import type { Batch, FineTuneSpec, MethodContext, MethodImplementation, MethodInstance, ProbeInput, StepOutput } from '../types';
import type { FineTuneNetwork } from '../../engine/eval/finetune';
import { readItpnConfig, type ItpnConfig, itpnLevelNames } from './config';

/** A mask as the forward pass takes it. */
interface MaskTensors {
  visible: VisiblePatches;
  grid: FullGrid;
  mask: tf.Tensor2D; // [B, N], 1 = masked
}

interface ForwardOutput {
  prediction: tf.Tensor3D; // [B, N, p²·3] normalised pixels
  features: tf.Tensor3D[]; // MFM predictions per level, [B, N, perPatch²·targetChannels]
  levels: tf.Tensor4D[]; // the pyramid's outputs at the visible patches, coarse → fine
  top: tf.Tensor3D; // stage 3 after the norm, [B, n, d]
}

class ItpnInstance implements MethodInstance {
  private c: ItpnConfig;
  private readonly values: SettingValues;
  private readonly backbone: HiViTParams;
  private readonly neck: NeckParams | null;
  private readonly decoder: DecoderParams;
  /** The moving-averaged backbone whose stages are MFM's targets (null without MFM). */
  private readonly teacher: HiViTParams | null;
  private readonly backboneVariables: Map<string, tf.Variable>;
  private readonly teacherVariables: Map<string, tf.Variable>;
  private readonly variables: Map<string, tf.Variable>;
  private readonly optimizer: AdamW;
  /** The decoder's fixed sin-cos positions [N, D]. */
  private readonly position: tf.Tensor2D;
  private readonly shapes: LevelShape[];
  private readonly grid: number;
  private readonly patches: number;
  private readonly maskRng: Rng;
  private probeOrder: Int32Array | null = null;

  constructor(context: MethodContext) {
    this.values = { ...context.values };
    this.c = readItpnConfig(this.values);
    const { backbone, pyramid } = this.c;
    const rng = Rng.stream(context.seed, 'itpn:weights');
    this.backbone = createHiViT(backbone, rng);
    this.neck = pyramid.pyramid ? createNeck(pyramid, rng) : null;
    this.decoder = createDecoder(pyramid, rng);
    this.teacher = this.c.mfm ? cloneTree(this.backbone, false) : null;
    this.backboneVariables = namedVariables(this.backbone);
    this.teacherVariables = this.teacher ? namedVariables(this.teacher) : new Map();
    this.variables = new Map([
      ...namedVariables(this.backbone, 'backbone'),
      ...(this.neck ? namedVariables(this.neck, 'neck') : []),
      ...namedVariables(this.decoder, 'decoder'),
    ]);
    // MAE's AdamW betas (0.9, 0.95).
    this.optimizer = new AdamW(this.variables, { beta2: 0.95 });
    this.grid = backbone.imageSize / backbone.patchSize;
    this.patches = this.grid * this.grid;
    this.shapes = levelShapes(pyramid);
    const D = pyramid.decoderWidth;
    this.position = tf.tidy(() => tf.tensor2d(sinCosPositions(D, this.grid), [this.patches, D]));
    this.maskRng = Rng.stream(context.seed, 'itpn:mask');
  }

  setLive(values: SettingValues): void {
    if (values.maskRatio === undefined) return;
    this.values.maskRatio = values.maskRatio;
    this.c = readItpnConfig(this.values);
  }

  private maskTensors(mask: PatchMask): MaskTensors {
    const { batch, patches } = mask;
    return {
      visible: {
        flat: tf.tensor1d(mask.keep, 'int32'),
        patch: tf.tensor1d(mask.keep.map((k) => k % patches), 'int32'),
        count: mask.visible,
      },
      grid: fullGrid(mask.restore, batch, patches, mask.visible),
      mask: tf.tensor2d(mask.masked, [batch, patches]),
    };
  }

  private forward(x: tf.Tensor4D, m: MaskTensors): ForwardOutput {
    const { pyramid } = this.c;
    const out = hivitForward(this.backbone, this.c.backbone, x, m.visible);
    const levels = pyramidLevels(this.neck, out);
    const decoded = decoderForward(this.decoder, levels, m.grid, this.position, pyramid.decoderHeads);
    const features = featureHeadsForward(this.decoder, decoded.embedded, m.grid, this.position, pyramid.decoderHeads);
    return { prediction: decoded.prediction, features, levels, top: out.top };
  }

  /** MFM's targets: the moving-averaged backbone on every patch, each stage normalised per sub-token, [B, N, perPatch²·c]. */
  private featureTargets(x: tf.Tensor4D): tf.Tensor3D[] {
    if (!this.teacher) return [];
    const [batch] = x.shape;
    const stages = targetStages(hivitForward(this.teacher, this.c.backbone, x, null), this.c.pyramid.pyramid);
    return stages.map((stage) => tf.reshape(normalizeFeatures(stage), [batch, this.patches, -1]) as tf.Tensor3D);
  }

  /** The next step's masks, drawn from the mask stream (step() draws them here too). */
  private drawMask(batch: number): PatchMask {
    return sampleMask(this.maskRng, batch, this.patches, this.c.maskRatio);
  }

  /**
   * The next step's random draw, as that step would make it: each image's patch order [B, N]
   * (the first N·(1 − maskRatio) kept). For the PyTorch export's parity test, which hands it to
   * train.py; it advances the mask stream exactly as step() does.
   */
  sampleViews(images: tf.Tensor4D): { order: tf.Tensor2D } {
    const [B] = images.shape;
    const mask = this.drawMask(B);
    return { order: tf.tensor2d(Float32Array.from(mask.order), [B, this.patches]) };
  }

  step(batch: Batch, step: number): StepOutput {
    const { learningRate, teacherMomentum } = this.c.scheduleAt(step);
    const [B] = batch.images.shape;
    const mask = this.drawMask(B);
    return tf.tidy(() => {
      const m = this.maskTensors(mask);
      const x = normalize(batch.images) as tf.Tensor4D;
      const { target } = normalizedPixelTargets(patchify(batch.images, this.c.backbone.patchSize));
      const featureTargets = this.featureTargets(x);
      let kept: tf.Tensor[] = [];
      const { value: loss, grads } = tf.variableGrads(() => {
        const out = this.forward(x, m);
        const mim = maskedMeanSquaredError(out.prediction, target, m.mask);
        const mfm = out.features.map((f, i) => maskedMeanSquaredError(f, featureTargets[i], m.mask));
        const mfmMean = mfm.length ? tf.div(tf.addN(mfm), mfm.length) as tf.Scalar : null;
        kept = [mim, ...mfm, tf.mean(out.top, 1)].map((t) => tf.keep(t));
        let total: tf.Scalar = tf.scalar(0);
        if (this.c.mim) total = tf.add(total, mim);
        if (this.c.mfm && mfmMean) total = tf.add(total, tf.mul(mfmMean, this.c.mfmWeight));
        return total;
      }, [...this.variables.values()]);
      const byName = new Map<string, tf.Tensor>();
      for (const [name, variable] of this.variables) if (grads[variable.name]) byName.set(name, grads[variable.name]);
      this.optimizer.apply(byName, { learningRate, weightDecay: this.c.weightDecay, clip: 0 });
      if (this.teacher) emaUpdate(this.teacherVariables, this.backboneVariables, teacherMomentum);

      const [mim, ...rest] = kept.map((t) => tf.clone(t));
      kept.forEach((t) => t.dispose());
      const embeddings = rest.pop() as tf.Tensor2D;
      const metrics: Record<string, tf.Scalar> = {
        mimLoss: mim as tf.Scalar,
        mfmLoss: rest.length ? tf.div(tf.addN(rest), rest.length) as tf.Scalar : tf.scalar(Number.NaN),
        learningRate: tf.scalar(learningRate),
        teacherMomentum: tf.scalar(this.teacher ? teacherMomentum : Number.NaN),
      };
      rest.forEach((term, i) => { metrics[`mfm${i}`] = term as tf.Scalar; });
      return { loss, metrics, embeddings };
    });
  }

  async probes(input: ProbeInput, step: number): Promise<ProbePayload[]> {
    return [await this.reconstructionProbe(input, step), await embeddingPayload((images) => this.embed(images), input, step)];
  }

  /** The same patch order every probe (and for every run: the seed does not move it), so only the prediction changes. */
  private orderFor(count: number): Int32Array {
    if (!this.probeOrder || this.probeOrder.length !== count * this.patches) {
      const rng = Rng.stream(0, 'itpn:probe-mask');
      this.probeOrder = new Int32Array(count * this.patches);
      for (let p = 0; p < count; p++) this.probeOrder.set(rng.permutation(this.patches), p * this.patches);
    }
    return this.probeOrder;
  }

  private async reconstructionProbe(input: ProbeInput, step: number): Promise<ReconstructionProbe> {
    const [P, S] = input.images.shape;
    const p = this.c.backbone.patchSize;
    const order = this.orderFor(P);
    const mask = maskFromOrder(order, P, this.patches, this.c.maskRatio);
    const flat = tf.tidy(() => {
      const m = this.maskTensors(mask);
      const x = normalize(input.images) as tf.Tensor4D;
      const { target, mean, std } = normalizedPixelTargets(patchify(input.images, p));
      const out = this.forward(x, m);
      const pixels = unpatchify(tf.add(tf.mul(out.prediction, std), mean) as tf.Tensor3D, p);
      const error = tf.mean(unpatchify(tf.square(tf.sub(out.prediction, target)) as tf.Tensor3D, p), -1);
      const mse = maskedMeanSquaredError(out.prediction, target, m.mask);
      const targets = this.featureTargets(x);
      const featureLosses = out.features.map((f, i) => maskedMeanSquaredError(f, targets[i], m.mask));
      const pieces = [pixels, error, mse, ...featureLosses, ...out.levels];
      return tf.concat(pieces.map((t) => tf.reshape(t, [-1])));
    });
    const data = (await flat.data()) as Float32Array;
    flat.dispose();
    let offset = 0;
    const take = (n: number) => data.slice(offset, (offset += n));
    const reconstruction = take(P * S * S * 3);
    const error = take(P * S * S);
    const mse = take(1)[0];
    const featureLosses = this.teacher ? take(this.shapes.length) : null;
    const names = itpnLevelNames(this.c.pyramid.pyramid);
    const levels: ReconstructionLevel[] = this.shapes.map((shape, i) => {
      const rows = P * mask.visible * shape.perPatch ** 2;
      const features = take(rows * shape.channels);
      return {
        name: names[i], perPatch: shape.perPatch, size: this.grid * shape.perPatch, channels: shape.channels,
        rgb: this.levelRgb(features, rows, shape, mask, P),
        featureLoss: featureLosses ? featureLosses[i] : Number.NaN,
      };
    });
    return {
      kind: 'reconstruction', step, imageSize: S, patchSize: p, grid: this.grid, count: P,
      maskRatio: this.c.maskRatio, visible: mask.visible, pyramid: this.c.pyramid.pyramid,
      images: input.pixels, order, masked: Uint8Array.from(mask.masked), reconstruction, error, mse, levels,
    };
  }

  /** A level's features at the visible patches on their first 3 principal components, placed on the level's full map. */
  private levelRgb(features: Float32Array, rows: number, shape: LevelShape, mask: PatchMask, count: number): Float32Array {
    const s = shape.perPatch;
    const side = this.grid * s;
    const colours = toUnitRange(principalComponents(features, rows, shape.channels, 3).points);
    const out = new Float32Array(count * side * side * 3);
    // Rows come patch by patch in `keep` order, each patch's s×s sub-tokens in raster order.
    mask.keep.forEach((flatIndex, j) => {
      const image = Math.floor(flatIndex / this.patches);
      const patch = flatIndex % this.patches;
      const top = Math.floor(patch / this.grid) * s;
      const left = (patch % this.grid) * s;
      for (let a = 0; a < s; a++) {
        for (let b = 0; b < s; b++) {
          const from = (j * s * s + a * s + b) * 3;
          const to = ((image * side + top + a) * side + left + b) * 3;
          out.set(colours.subarray(from, from + 3), to);
        }
      }
    });
    return out;
  }

  /** Mean of the stage-3 tokens over all patches: the image embedding for kNN and the linear probe. */
  embed(images: tf.Tensor4D): tf.Tensor2D {
    return tf.tidy(() => tf.mean(hivitForward(this.backbone, this.c.backbone, normalize(images) as tf.Tensor4D, null).top, 1) as tf.Tensor2D);
  }

  /**
   * Dense features for the segmentation probe: the pyramid's finest level on every patch,
   * [N, 4g, 4g, f] (what iTPN pre-trains the pyramid for), or the plain ViT's tokens [N, g, g, d].
   */
  supervisedNetwork(): SupervisedNetwork {
    const params = cloneTree(this.backbone, true);
    return {
      variables: namedVariables(params),
      features: (images) =>
        tf.mean(hivitForward(params, this.c.backbone, normalize(images) as tf.Tensor4D, null).top, 1) as tf.Tensor2D,
      featureDim: this.c.backbone.width,
    };
  }

  embedDense(images: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => this.dense(this.backbone, this.neck, images));
  }

  /** The finest pyramid level (the top level without the pyramid) as a grid: [n, g·s, g·s, c]. */
  private dense(backbone: HiViTParams, neck: NeckParams | null, images: tf.Tensor4D): tf.Tensor4D {
    const [n] = images.shape;
    const g = this.grid;
    const out = hivitForward(backbone, this.c.backbone, normalize(images) as tf.Tensor4D, null);
    const finest = pyramidLevels(neck, out).at(-1)!; // [n·N, s, s, c]
    const [, s, , c] = finest.shape;
    return tf.reshape(tf.transpose(tf.reshape(finest, [n, g, g, s, s, c]), [0, 1, 3, 2, 4, 5]), [n, g * s, g * s, c]) as tf.Tensor4D;
  }

  /**
   * The backbone and its pyramid (the backbone alone for MAE) for the segmentation fine-tuning
   * probe: the finest level's features, repeated up to pixels where it is coarser than the image
   * (MAE's one feature per patch). iTPN's point is that the pyramid is pre-trained with the
   * backbone, so both are handed over; the decoder is left behind. The recipe is DeP's defaults
   * (150 AdamW steps at lr 0.002, batch 32): iTPN has no fine-tuning settings of its own.
   */
  fineTuneNetwork(): FineTuneSpec {
    const params = {
      backbone: cloneTree(this.backbone, true),
      neck: this.neck ? cloneTree(this.neck, true) : null,
    };
    const size = this.c.backbone.imageSize;
    const featureDim = tf.tidy(() => this.dense(this.backbone, this.neck, tf.zeros([1, size, size, 3]))).shape[3];
    const network: FineTuneNetwork = {
      variables: namedVariables(params),
      features: (images) => {
        const dense = this.dense(params.backbone, params.neck, images);
        const [n, side, , c] = dense.shape;
        if (side === size) return dense;
        const k = size / side; // nearest-neighbour repeat to pixels (a broadcast, so its gradient is a sum)
        const repeated = tf.mul(tf.reshape(dense, [n, side, 1, side, 1, c]), tf.ones([1, 1, k, 1, k, 1]));
        return tf.reshape(repeated, [n, size, size, c]) as tf.Tensor4D;
      },
      featureDim,
    };
    return { network, steps: 150, learningRate: 0.002, batchSize: 32 };
  }

  save(): tf.NamedTensorMap {
    const out: tf.NamedTensorMap = {};
    for (const [name, v] of this.variables) out[name] = v;
    for (const [name, v] of this.teacherVariables) out[`teacher.${name}`] = v;
    return out;
  }

  load(weights: tf.NamedTensorMap): void {
    assignSaved(this.save(), weights);
  }

  dispose(): void {
    disposeTree(this.backbone);
    if (this.neck) disposeTree(this.neck);
    disposeTree(this.decoder);
    if (this.teacher) disposeTree(this.teacher);
    this.optimizer.dispose();
    this.position.dispose();
  }
}

export const implementation: MethodImplementation = {
  create: (context) => new ItpnInstance(context),
};
