import * as tf from '@tensorflow/tfjs';
import type { AttentionProbe, EmbeddingProbe } from './probes';
import type { ProbeInput } from './types';
import { normalize } from '../engine/augment/photometric';
import { l2Normalize } from '../engine/nn/layers';
import { vitClsAttention, type ViTConfig, type ViTParams } from '../engine/nn/vit';
import { principalComponents } from '../engine/metrics/pca';

/** Probe payloads every ViT method can send: they read back, so probe cadence only. */

/** Last block, CLS → patch attention of `backbone` (named `network` in the caption) on the probe images. */
export async function attentionPayload(backbone: ViTParams, vit: ViTConfig, input: ProbeInput, step: number, network: string): Promise<AttentionProbe> {
  const count = input.images.shape[0];
  const grid = vit.imageSize / vit.patchSize;
  const attention = tf.tidy(() => vitClsAttention(backbone, vit, normalize(input.images) as tf.Tensor4D));
  try {
    return {
      kind: 'attention', step, imageSize: vit.imageSize, grid, heads: vit.heads, count,
      images: input.pixels, masks: input.masks, attention: (await attention.data()) as Float32Array, network,
    };
  } finally {
    attention.dispose();
  }
}

/**
 * The held-out set's embeddings (`embed` gives [N, D]), L2-normalised as the losses compare
 * them, on their first two principal components.
 */
export async function embeddingPayload(
  embed: (images: tf.Tensor4D) => tf.Tensor2D, input: ProbeInput, step: number,
): Promise<EmbeddingProbe> {
  const features = tf.tidy(() => l2Normalize(embed(input.embedImages)) as tf.Tensor2D);
  try {
    const [n, d] = features.shape;
    const { points, explained } = principalComponents((await features.data()) as Float32Array, n, d, 2);
    return {
      kind: 'embedding', step, count: n, points, labels: input.embedLabels, classNames: input.classNames,
      explained: [explained[0] ?? 0, explained[1] ?? 0],
    };
  } finally {
    features.dispose();
  }
}
