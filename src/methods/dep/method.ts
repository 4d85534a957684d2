/**
 * DeP / DDeP: a U-Net that predicts the Gaussian noise added to an image (Brempong et al.
 * 2022). DeP trains the whole network; DDeP first trains the encoder with labels (a linear
 * classifier on its flattened bottleneck, on the labelled split), then freezes it and trains only
 * the decoder to denoise.
 */
import * as tf from '@tensorflow/tfjs';
import type { FineTuneNetwork } from '../../engine/eval/finetune';
import { embeddingPayload } from '../payloads';
import { createLinear, linear, type LinearParams } from '../../engine/nn/layers';
import { assignSaved, cloneTree, disposeTree, namedVariables } from '../../engine/nn/params';
import { createUNet, unetEncode, unetForward, type UNetConfig, type UNetParams } from '../../engine/nn/unet';
import { AdamW } from '../../engine/optim/adamw';
import { Rng } from '../../engine/random';
import type { ProbePayload } from '../probes';
import type { SettingValues } from '../schema';
import type { SupervisedNetwork } from '../../engine/eval/supervised';
import type { Batch, FineTuneSpec, MethodContext, MethodImplementation, MethodInstance, ProbeInput, StepOutput } from '../types';
import { readDepConfig, type DepConfig } from './config';
import { Denoiser, toModel } from './denoiser';

class DepInstance implements MethodInstance {
  private c: DepConfig;
  private readonly values: SettingValues;
  private readonly unetConfig: UNetConfig;
  private readonly unet: UNetParams;
  /** DDeP's supervised stage: a linear classifier on the flattened bottleneck. */
  private readonly classifier: LinearParams | null;
  private readonly variables: Map<string, tf.Variable>;
  /** Trains all of the U-Net (DeP) or all but the encoder (DDeP) to denoise. */
  private readonly denoiser: Denoiser;
  private readonly supervised: Map<string, tf.Variable> | null;
  private readonly supervisedOptimizer: AdamW | null;
  private readonly labelled: MethodContext['labelled'];
  private readonly labelRng: Rng;

  constructor(context: MethodContext) {
    this.values = { ...context.values };
    this.c = readDepConfig(this.values);
    const rng = Rng.stream(context.seed, 'dep:weights');
    this.unetConfig = { imageSize: this.c.imageSize, channels: this.c.channels, outChannels: 3, groups: this.c.groups };
    this.unet = createUNet(this.unetConfig, rng);
    this.labelled = context.labelled;
    const ddep = this.c.variant === 'DDeP';
    if (ddep && !this.labelled) throw new Error('DDeP’s supervised stage classifies labelled images, and these have no labels: put them in one subfolder per class, or train plain DeP.');
    const bottleneckSide = this.c.imageSize / 2 ** (this.c.channels.length - 1);
    const bottleneckSize = bottleneckSide * bottleneckSide * this.c.channels[this.c.channels.length - 1];
    this.classifier = ddep ? createLinear(rng, bottleneckSize, this.labelled!.classes) : null;
    this.variables = namedVariables(this.unet);
    const denoised = new Map([...this.variables].filter(([name]) => !ddep || !name.startsWith('encoder.')));
    this.denoiser = new Denoiser(this.unet, denoised, context.seed, 'dep');
    this.supervised = this.classifier
      ? new Map([...[...this.variables].filter(([name]) => name.startsWith('encoder.')), ...namedVariables(this.classifier, 'classifier')])
      : null;
    this.supervisedOptimizer = this.supervised ? new AdamW(this.supervised) : null;
    this.labelRng = Rng.stream(context.seed, 'dep:labelled');
  }

  setLive(values: SettingValues): void {
    if (values.sigma === undefined) return;
    this.values.sigma = values.sigma;
    this.c = readDepConfig(this.values);
  }

  /**
   * The bottleneck flattened, [N, h·w·C]: the image-level features of the classifier, kNN and
   * the linear probe. Not pooled: GroupNorm standardises every image's maps, so their spatial
   * means are nearly the same for all images (a classifier on the pooled bottleneck stayed at
   * chance); where things are is what differs. Not reported as `embeddings` either: the
   * denoising target cannot collapse, and features this large would only slow the step.
   */
  private flat(bottleneck: tf.Tensor4D): tf.Tensor2D {
    return tf.reshape(bottleneck, [bottleneck.shape[0], -1]) as tf.Tensor2D;
  }

  step(batch: Batch, step: number): StepOutput {
    const schedule = this.c.scheduleAt(step);
    return schedule.stage === 'supervised' ? this.supervisedStep(batch, schedule.learningRate) : this.denoisingStep(batch, schedule.learningRate);
  }

  private gradsByName(variables: Map<string, tf.Variable>, grads: tf.NamedTensorMap): Map<string, tf.Tensor> {
    const byName = new Map<string, tf.Tensor>();
    for (const [name, variable] of variables) {
      const grad = grads[variable.name];
      if (grad) byName.set(name, grad);
    }
    return byName;
  }

  private denoisingStep(batch: Batch, learningRate: number): StepOutput {
    return tf.tidy(() => {
      const { loss, metrics } = this.denoiser.step(batch.images, this.c, learningRate, this.c.weightDecay);
      metrics.learningRate = tf.scalar(learningRate);
      if (this.classifier) {
        metrics.supervisedLoss = tf.scalar(Number.NaN);
        metrics.supervisedAccuracy = tf.scalar(Number.NaN);
      }
      return { loss, metrics };
    });
  }

  /** The supervised stage's batch: B images of the labelled split, drawn with replacement. */
  private drawLabelled(B: number): { indices: Int32Array; labels: Int32Array } {
    const labelled = this.labelled!;
    const indices = Int32Array.from({ length: B }, () => this.labelRng.int(labelled.labels.length));
    return { indices, labels: Int32Array.from(indices, (i) => labelled.labels[i]) };
  }

  private supervisedStep(batch: Batch, learningRate: number): StepOutput {
    const labelled = this.labelled!;
    const { indices, labels } = this.drawLabelled(batch.images.shape[0]);
    const supervised = this.supervised!;
    return tf.tidy(() => {
      const images = tf.gather(labelled.images, tf.tensor1d(indices, 'int32')) as tf.Tensor4D;
      const targets = tf.oneHot(tf.tensor1d(labels, 'int32'), labelled.classes);
      let kept: tf.Tensor[] = [];
      const { value: loss, grads } = tf.variableGrads(() => {
        const features = this.flat(unetEncode(this.unet, toModel(images)).bottleneck);
        const logits = linear(this.classifier!, features) as tf.Tensor2D;
        kept = [tf.keep(logits)];
        return tf.losses.softmaxCrossEntropy(targets, logits) as tf.Scalar;
      }, [...supervised.values()]);
      this.supervisedOptimizer!.apply(this.gradsByName(supervised, grads), { learningRate, weightDecay: this.c.weightDecay, clip: 0 });
      const logits = tf.clone(kept[0]);
      kept.forEach((t) => t.dispose());
      const correct = tf.equal(tf.argMax(logits, 1), tf.tensor1d(labels, 'int32'));
      const nan = () => tf.scalar(Number.NaN);
      return {
        loss,
        metrics: {
          denoiseLoss: nan(), noisyPsnr: nan(), denoisedPsnr: nan(),
          learningRate: tf.scalar(learningRate), sigma: tf.scalar(this.c.sigma),
          supervisedLoss: loss, supervisedAccuracy: tf.mean(tf.cast(correct, 'float32')) as tf.Scalar,
        },
      };
    });
  }

  async probes(input: ProbeInput, step: number): Promise<ProbePayload[]> {
    return [await this.denoiser.probe(input, this.c, step), await embeddingPayload((images) => this.embed(images), input, step)];
  }

  /** The flattened bottleneck of clean images: what kNN and the linear probe see. */
  embed(images: tf.Tensor4D): tf.Tensor2D {
    return tf.tidy(() => this.flat(unetEncode(this.unet, toModel(images)).bottleneck));
  }

  /** The finest decoder features of clean images, [N, S, S, width]: one feature vector per pixel. */
  supervisedNetwork(): SupervisedNetwork {
    const params = cloneTree(this.unet, true);
    const size = this.c.imageSize;
    return {
      variables: namedVariables(params),
      // The encoder alone reaches the loss; the decoder's copies get no gradient and stay as they are.
      features: (images) => this.flat(unetEncode(params, toModel(images)).bottleneck),
      featureDim: tf.tidy(() => this.embed(tf.zeros([1, size, size, 3]))).shape[1],
    };
  }

  embedDense(images: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => unetForward(this.unet, toModel(images)).features.at(-1)!);
  }

  fineTuneNetwork(): FineTuneSpec {
    const params = cloneTree(this.unet, true);
    const network: FineTuneNetwork = {
      variables: namedVariables(params),
      // The whole U-Net is fine-tuned; the noise head (out.*) is replaced by the segmentation head.
      features: (images) => unetForward(params, toModel(images)).features.at(-1)!,
      featureDim: this.c.channels[0],
      frozen: (name) => name.startsWith('out.'),
    };
    return { network, ...this.c.fineTune };
  }

  /**
   * What step `step` will draw, drawn the same way: a denoising step's noise ε [B, S, S, 3] and
   * σ per image (when sampled), or a supervised step's labelled images and labels. For the
   * PyTorch export's parity test, which hands them to train.py.
   */
  sampleViews(images: tf.Tensor4D, step = 0): { epsilon?: tf.Tensor4D; sigmas?: tf.Tensor1D | null; images?: tf.Tensor4D; labels?: tf.Tensor1D } {
    const [B, S] = images.shape;
    if (this.c.scheduleAt(step).stage === 'supervised') {
      // DDeP's supervised stage draws labelled images instead (the labels as floats, for safetensors' F32).
      const { indices, labels } = this.drawLabelled(B);
      return { images: tf.gather(this.labelled!.images, tf.tensor1d(indices, 'int32')) as tf.Tensor4D, labels: tf.tensor1d(Float32Array.from(labels)) };
    }
    const { epsilon, sigmas } = this.denoiser.sampleNoise(B, S, this.c);
    return { epsilon, sigmas: sigmas ? tf.tensor1d(sigmas) : null };
  }

  save(): tf.NamedTensorMap {
    const out: tf.NamedTensorMap = {};
    for (const [name, v] of this.variables) out[`unet.${name}`] = v;
    if (this.classifier) for (const [name, v] of namedVariables(this.classifier)) out[`classifier.${name}`] = v;
    return out;
  }

  load(weights: tf.NamedTensorMap): void {
    assignSaved(this.save(), weights);
  }

  dispose(): void {
    disposeTree(this.unet);
    if (this.classifier) disposeTree(this.classifier);
    this.denoiser.dispose();
    this.supervisedOptimizer?.dispose();
  }
}

export const implementation: MethodImplementation = {
  create: (context) => new DepInstance(context),
};
