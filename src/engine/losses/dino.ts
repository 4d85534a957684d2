import * as tf from '@tensorflow/tfjs';
import { stopGradient } from '../nn/layers';

/**
 * DINO's self-distillation loss (Caron et al. 2021, Eq. 3; facebookresearch/dino
 * main_dino.py, DINOLoss.forward).
 *
 * Teacher targets are centered and sharpened, P_t = softmax((g_t − C) / τ_t), and carry no
 * gradient. For every pair (teacher global crop i, student crop v) with v ≠ i, the loss is
 * the cross-entropy −Σ_k P_t log P_s summed over the K prototypes and averaged over the
 * batch; the pairs are then averaged.
 *
 * Layout: crops are stacked crop-major, as the official MultiCropWrapper does —
 * studentLogits rows [crop0 image0..B-1, crop1 image0..B-1, ...]; teacher rows likewise for
 * the global crops only, which come first in the student's order.
 */
export interface DinoLossOptions {
  globalCrops: number; // teacher crops (2 in DINO)
  studentCrops: number; // global + local crops seen by the student
  studentTemperature: number; // τ_s
  teacherTemperature: number; // τ_t
}

export interface DinoLossResult {
  loss: tf.Scalar;
  teacherProbs: tf.Tensor2D; // [globalCrops·B, K], detached
  studentLogProbs: tf.Tensor2D; // [studentCrops·B, K]
}

/** The teacher's targets: log softmax((g_t − C) / τ_t), [globalCrops·B, K], no gradient. */
export function dinoTeacherLogProbs(teacherLogits: tf.Tensor2D, center: tf.Tensor, teacherTemperature: number): tf.Tensor2D {
  return tf.tidy(() => stopGradient(tf.logSoftmax(tf.div(tf.sub(teacherLogits, center), teacherTemperature))) as tf.Tensor2D);
}

export function dinoLoss(
  studentLogits: tf.Tensor2D, // [studentCrops·B, K]
  teacherLogits: tf.Tensor2D, // [globalCrops·B, K]
  center: tf.Tensor, // [1, K]
  options: DinoLossOptions,
  /** dinoTeacherLogProbs of the same inputs, when the caller already has them. */
  teacherLogProbs?: tf.Tensor2D,
): DinoLossResult {
  const { globalCrops, studentCrops, studentTemperature, teacherTemperature } = options;
  const batch = teacherLogits.shape[0] / globalCrops;
  const classes = teacherLogits.shape[1];
  const teacherProbs = tf.exp(teacherLogProbs ?? dinoTeacherLogProbs(teacherLogits, center, teacherTemperature)) as tf.Tensor2D;
  const studentLogProbs = tf.logSoftmax(tf.div(studentLogits, studentTemperature)) as tf.Tensor2D;

  // All (i, v) pairs at once: cross[i, v] = mean_b Σ_k −P_t[i, b, k] · log P_s[v, b, k].
  // As one matMul: [G, B·K] × [B·K, V] → [G, V]; then drop the diagonal i = v.
  const teacherFlat = tf.reshape(teacherProbs, [globalCrops, batch * classes]);
  const studentFlat = tf.reshape(studentLogProbs, [studentCrops, batch * classes]);
  const cross = tf.div(tf.neg(tf.matMul(teacherFlat, studentFlat, false, true)), batch); // [G, V]
  const keep = tf.tensor2d(pairMask(globalCrops, studentCrops), [globalCrops, studentCrops]);
  const pairs = globalCrops * studentCrops - Math.min(globalCrops, studentCrops);
  const loss = tf.div(tf.sum(tf.mul(cross, keep)), pairs) as tf.Scalar;
  return { loss, teacherProbs, studentLogProbs };
}

/** 1 where teacher crop i and student crop v differ. */
function pairMask(globalCrops: number, studentCrops: number): Float32Array {
  const mask = new Float32Array(globalCrops * studentCrops).fill(1);
  for (let i = 0; i < Math.min(globalCrops, studentCrops); i++) mask[i * studentCrops + i] = 0;
  return mask;
}

/**
 * DINOLoss.update_center: C ← m·C + (1 − m)·mean over the batch of the teacher's raw
 * logits (all global crops together), computed after the loss.
 */
export function updatedCenter(center: tf.Tensor, teacherLogits: tf.Tensor2D, momentum: number): tf.Tensor2D {
  const batchCenter = tf.mean(teacherLogits, 0, true);
  return tf.add(tf.mul(center, momentum), tf.mul(batchCenter, 1 - momentum)) as tf.Tensor2D;
}
