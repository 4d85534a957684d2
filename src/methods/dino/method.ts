import * as tf from '@tensorflow/tfjs';
import { sampleResizedCrop, samplePhotometric, type PhotometricParams, type SampledCrop } from '../../engine/augment/crops';
import { cropAndResize } from '../../engine/augment/cropResize';
import { rotateViews, sampleRotations } from '../../engine/augment/rotate';
import { applyPhotometric, denormalize, normalize, packPhotometric, PHOTOMETRIC_WIDTH } from '../../engine/augment/photometric';
import { dinoLoss, dinoTeacherLogProbs, updatedCenter } from '../../engine/losses/dino';
import { batchMeanEntropy, meanEntropy } from '../../engine/metrics/collapse';
import { attentionPayload, embeddingPayload } from '../payloads';
import { createDinoHead, dinoHeadForward, LAST_LAYER_PREFIX } from '../../engine/nn/heads';
import { assignSaved, cloneTree, disposeTree, namedVariables, prefixedWeights } from '../../engine/nn/params';
import { createViT, gridResizeMatrix, vitClsAttention, vitForward, vitPatchGrid } from '../../engine/nn/vit';
import { AdamW, emaUpdate } from '../../engine/optim/adamw';
import { Rng } from '../../engine/random';
import type { CropView, ProbePayload } from '../probes';
import type { SupervisedNetwork } from '../../engine/eval/supervised';
import type { Batch, MethodContext, MethodImplementation, MethodInstance, ProbeInput, StepOutput } from '../types';
import { readDinoConfig, type DinoConfig } from './config';

interface Network {
  backbone: ReturnType<typeof createViT>;
  head: ReturnType<typeof createDinoHead>;
}

interface CapturedCrops {
  step: number;
  imageIndex: number;
  globals: tf.Tensor4D; // [2, S, S, 3] in [0, 1]
  locals: tf.Tensor4D | null; // [L, s, s, 3]
  views: SampledCrop[]; // globals then locals
}

class DinoInstance implements MethodInstance {
  private readonly config: DinoConfig;
  private readonly student: Network;
  private readonly teacher: Network;
  private readonly studentVariables: Map<string, tf.Variable>;
  private readonly teacherVariables: Map<string, tf.Variable>;
  private readonly trainable: Map<string, tf.Variable>;
  private readonly optimizer: AdamW;
  private readonly center: tf.Variable; // [1, K]
  private readonly localResize: tf.Tensor2D | null; // [g_l², g²] position-embedding resize
  private readonly cropRng: Rng;
  private captured: CapturedCrops | null = null;

  constructor(context: MethodContext) {
    this.config = readDinoConfig(context.values);
    const c = this.config;
    const weightsRng = Rng.stream(context.seed, 'dino:weights');
    this.cropRng = Rng.stream(context.seed, 'dino:crops');
    this.student = {
      backbone: createViT(c.vit, weightsRng),
      head: createDinoHead(c.head, weightsRng),
    };
    this.teacher = cloneTree(this.student, false); // teacher starts as the student
    this.studentVariables = namedVariables(this.student);
    this.teacherVariables = namedVariables(this.teacher);
    this.trainable = new Map(
      [...this.studentVariables].filter(([name]) => !(c.head.normLastLayer && name === `head.${LAST_LAYER_PREFIX}norm`)),
    );
    this.optimizer = new AdamW(this.trainable);
    this.center = tf.tidy(() => tf.variable(tf.zeros([1, c.head.outputDim]), false));
    const grid = c.vit.imageSize / c.vit.patchSize;
    const localGrid = c.localCropSize / c.vit.patchSize;
    this.localResize = c.localCrops > 0 ? tf.tensor2d(gridResizeMatrix(grid, localGrid), [localGrid ** 2, grid ** 2]) : null;
  }

  /**
   * The step's crops (normalised): 2 global crops per image [2B, S, S, 3] and the local ones
   * [L·B, s, s, 3], crop-major, drawn from the run's crop stream. Public for the PyTorch
   * export's parity test, which hands the same crops to the exported train.py.
   */
  sampleViews(images: tf.Tensor4D): { globals: tf.Tensor4D; locals: tf.Tensor4D | null; globalViews: SampledCrop[]; localViews: SampledCrop[] } {
    const c = this.config;
    const batch = { images };
    const B = images.shape[0];
    // Crops for every image, crop-major (row = crop·B + image) as DINO's MultiCropWrapper.
    const globalViews: SampledCrop[] = [];
    const globalPhotometric: PhotometricParams[] = [];
    for (let crop = 0; crop < 2; crop++) {
      for (let image = 0; image < B; image++) {
        globalViews.push(sampleResizedCrop(this.cropRng, c.vit.imageSize, [c.globalScaleMin, 1]));
        globalPhotometric.push(samplePhotometric(this.cropRng, {
          jitterStrength: c.colorJitter, hue: c.hueJitter, jitterProbability: 0.8, grayscaleProbability: c.grayscaleProbability,
          // DINO: blur p = 1.0 on the first global crop, 0.1 on the second; solarize p = 0.2 on the second.
          blurProbability: c.blurSolarize ? (crop === 0 ? 1 : 0.1) : 0,
          solarizeProbability: c.blurSolarize && crop === 1 ? 0.2 : 0,
        }));
      }
    }
    const localViews: SampledCrop[] = [];
    const localPhotometric: PhotometricParams[] = [];
    for (let crop = 0; crop < c.localCrops; crop++) {
      for (let image = 0; image < B; image++) {
        localViews.push(sampleResizedCrop(this.cropRng, c.vit.imageSize, [c.localScaleMin, c.localScaleMax]));
        localPhotometric.push(samplePhotometric(this.cropRng, {
          jitterStrength: c.colorJitter, hue: c.hueJitter, jitterProbability: 0.8, grayscaleProbability: c.grayscaleProbability,
          blurProbability: c.blurSolarize ? 0.5 : 0, solarizeProbability: 0,
        }));
      }
    }
    const globalAngles = sampleRotations(this.cropRng, globalViews.length, c.rotation);
    const localAngles = sampleRotations(this.cropRng, localViews.length, c.rotation);
    const crops = tf.tidy(() => {
      const cropGroup = (views: SampledCrop[], photometric: PhotometricParams[], angles: Float32Array, size: number) => {
        const boxes = tf.tensor2d(views.flatMap((v) => v.samplingBox), [views.length, 4]);
        const raw = rotateViews(cropAndResize(batch.images, boxes, views.map((_, i) => i % B), [size, size]), angles);
        const params = tf.tensor2d(packPhotometric(photometric), [views.length, PHOTOMETRIC_WIDTH]);
        return applyPhotometric(raw, params);
      };
      const globals = cropGroup(globalViews, globalPhotometric, globalAngles, c.vit.imageSize) as tf.Tensor4D; // [2B, S, S, 3]
      const locals = c.localCrops > 0 ? cropGroup(localViews, localPhotometric, localAngles, c.localCropSize) as tf.Tensor4D : null; // [L·B, s, s, 3]
      return locals ? [globals, locals] : [globals];
    });
    return { globals: crops[0], locals: crops[1] ?? null, globalViews, localViews };
  }

  step(batch: Batch, step: number): StepOutput {
    const c = this.config;
    const { globals, locals, globalViews, localViews } = this.sampleViews(batch.images);
    const schedule = c.scheduleAt(step);
    const frozenLastLayer = step < c.freezeLastLayerSteps;

    const output = tf.tidy(() => {

      // Teacher: global crops only, outside the gradient tape (its variables are not trained).
      const teacherLogits = dinoHeadForward(
        this.teacher.head, c.head, vitForward(this.teacher.backbone, c.vit, globals, null).cls,
      ); // [2B, K]

      // Targets once, outside the tape: the loss and the metrics share them. They describe
      // the targets this step used, so they are taken before the center moves.
      const teacherLogProbs = dinoTeacherLogProbs(teacherLogits, this.center, schedule.teacherTemperature);
      const teacherEntropy = meanEntropy(teacherLogProbs);

      // variableGrads runs its function in a tidy of its own; the student's features must be
      // kept explicitly to outlive it (they are the embeddings watched for collapse).
      let keptFeatures: tf.Tensor2D | null = null;
      const { value: loss, grads } = tf.variableGrads(() => {
        const globalCls = vitForward(this.student.backbone, c.vit, globals, null).cls;
        const clsAll = locals
          ? tf.concat([globalCls, vitForward(this.student.backbone, c.vit, locals, this.localResize).cls], 0)
          : globalCls;
        keptFeatures = tf.keep(globalCls);
        const studentLogits = dinoHeadForward(this.student.head, c.head, clsAll as tf.Tensor2D);
        return dinoLoss(studentLogits, teacherLogits, this.center, {
          globalCrops: 2,
          studentCrops: 2 + c.localCrops,
          studentTemperature: c.studentTemperature,
          teacherTemperature: schedule.teacherTemperature,
        }, teacherLogProbs).loss;
      }, [...this.trainable.values()]);
      const targetSpread = batchMeanEntropy(tf.exp(teacherLogProbs) as tf.Tensor2D);

      const byName = new Map<string, tf.Tensor>();
      for (const [name, variable] of this.trainable) {
        const grad = grads[variable.name];
        if (grad) byName.set(name, grad);
      }
      this.optimizer.apply(byName, {
        learningRate: schedule.learningRate,
        weightDecay: schedule.weightDecay,
        clip: c.gradientClip,
        frozen: frozenLastLayer ? (name) => name.startsWith(`head.${LAST_LAYER_PREFIX}`) : undefined,
      });
      // Teacher ← EMA of the student; with the momentum teacher off, teacher = student.
      emaUpdate(this.teacherVariables, this.studentVariables, c.momentumTeacher ? schedule.teacherMomentum : 0);
      if (c.centering) this.center.assign(updatedCenter(this.center, teacherLogits, c.centerMomentum));

      const embeddings = tf.clone(keptFeatures!) as tf.Tensor2D;
      (keptFeatures! as tf.Tensor2D).dispose();

      if (batch.capture) this.capture(step, batch, globals, locals, globalViews, localViews);

      return {
        loss,
        metrics: {
          teacherEntropy,
          kl: tf.sub(loss, teacherEntropy) as tf.Scalar,
          batchMeanEntropy: targetSpread,
          centerNorm: tf.norm(this.center) as tf.Scalar,
          learningRate: tf.scalar(schedule.learningRate),
          weightDecay: tf.scalar(schedule.weightDecay),
          teacherMomentum: tf.scalar(c.momentumTeacher ? schedule.teacherMomentum : 0),
          teacherTemperature: tf.scalar(schedule.teacherTemperature),
        },
        embeddings,
        vectors: batch.snapshot ? { center: tf.reshape(this.center, [-1]) } : undefined,
      };
    });
    // Made outside the tidy (sampleViews); the captured copies are gathers of their own.
    globals.dispose();
    locals?.dispose();
    return output;
  }

  /** Keeps image 0's crops of this step on the GPU until the next probe reads them. */
  private capture(
    step: number, batch: Batch, globals: tf.Tensor4D, locals: tf.Tensor4D | null,
    globalViews: SampledCrop[], localViews: SampledCrop[],
  ): void {
    const B = batch.images.shape[0];
    this.releaseCaptured();
    const globalRows = [0, B];
    const localRows = Array.from({ length: this.config.localCrops }, (_, i) => i * B);
    this.captured = {
      step: step + 1, // reported as steps completed, like every other counter
      imageIndex: batch.indices[0],
      globals: tf.keep(denormalize(tf.gather(globals, globalRows)) as tf.Tensor4D),
      locals: locals ? tf.keep(denormalize(tf.gather(locals, localRows)) as tf.Tensor4D) : null,
      views: [...globalRows.map((r) => globalViews[r]), ...localRows.map((r) => localViews[r])],
    };
  }

  private releaseCaptured(): void {
    if (!this.captured) return;
    this.captured.globals.dispose();
    this.captured.locals?.dispose();
    this.captured = null;
  }

  async probes(input: ProbeInput, step: number): Promise<ProbePayload[]> {
    const c = this.config;
    const count = input.images.shape[0];
    // Output distributions on the whole probe images: the teacher's targets (centered and
    // sharpened at this step's τ_t) next to the student's softmax at τ_s.
    const teacherTemperature = c.scheduleAt(Math.max(0, step - 1)).teacherTemperature;
    const distributions = tf.tidy(() => {
      const images = normalize(input.images) as tf.Tensor4D;
      const teacher = tf.exp(dinoTeacherLogProbs(
        dinoHeadForward(this.teacher.head, c.head, vitForward(this.teacher.backbone, c.vit, images, null).cls),
        this.center, teacherTemperature,
      ));
      const student = tf.softmax(tf.div(
        dinoHeadForward(this.student.head, c.head, vitForward(this.student.backbone, c.vit, images, null).cls),
        c.studentTemperature,
      ));
      return tf.stack([teacher, student]); // [2, P, K]
    });
    const payloads: ProbePayload[] = [];
    try {
      payloads.push(await attentionPayload(this.teacher.backbone, c.vit, input, step, 'teacher'));
      payloads.push(await embeddingPayload((images) => this.embed(images), input, step));
      const both = (await distributions.data()) as Float32Array;
      const size = count * c.head.outputDim;
      payloads.push({
        kind: 'distribution', step, count, classes: c.head.outputDim,
        teacherTemperature, studentTemperature: c.studentTemperature,
        teacher: both.slice(0, size), student: both.slice(size, 2 * size),
      });
    } finally {
      distributions.dispose();
    }
    const captured = this.captured;
    if (captured) {
      const globals = (await captured.globals.data()) as Float32Array;
      const locals = captured.locals ? ((await captured.locals.data()) as Float32Array) : new Float32Array(0);
      const crops: CropView[] = captured.views.map((view, i) => {
        const isGlobal = i < 2;
        const size = isGlobal ? c.vit.imageSize : c.localCropSize;
        const area = size * size * 3;
        const offset = (isGlobal ? i : i - 2) * area;
        return {
          role: isGlobal ? 'global' : 'local', size, box: view.box, flipped: view.flipped,
          pixels: (isGlobal ? globals : locals).slice(offset, offset + area),
        };
      });
      payloads.push({ kind: 'crops', step: captured.step, imageSize: c.vit.imageSize, original: input.trainPixels(captured.imageIndex), crops });
    }
    return payloads;
  }

  embed(images: tf.Tensor4D): tf.Tensor2D {
    return tf.tidy(() => vitForward(this.teacher.backbone, this.config.vit, normalize(images) as tf.Tensor4D, null).cls);
  }

  /** The teacher's patch tokens (DINO's paper evaluates the teacher). */
  supervisedNetwork(): SupervisedNetwork {
    const params = cloneTree(this.teacher.backbone, true);
    return {
      variables: namedVariables(params),
      features: (images) => vitForward(params, this.config.vit, normalize(images) as tf.Tensor4D, null).cls,
      featureDim: this.config.vit.width,
    };
  }

  embedDense(images: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => vitPatchGrid(this.teacher.backbone, this.config.vit, normalize(images) as tf.Tensor4D));
  }

  clsAttention(images: tf.Tensor4D): tf.Tensor3D {
    return tf.tidy(() => vitClsAttention(this.teacher.backbone, this.config.vit, normalize(images) as tf.Tensor4D));
  }

  save(): tf.NamedTensorMap {
    return prefixedWeights({ student: this.studentVariables, teacher: this.teacherVariables }, { center: this.center });
  }

  load(weights: tf.NamedTensorMap): void {
    assignSaved(this.save(), weights);
  }

  dispose(): void {
    this.releaseCaptured();
    disposeTree(this.student);
    disposeTree(this.teacher);
    this.optimizer.dispose();
    this.center.dispose();
    this.localResize?.dispose();
  }
}

export const implementation: MethodImplementation = {
  create: (context) => new DinoInstance(context),
};
