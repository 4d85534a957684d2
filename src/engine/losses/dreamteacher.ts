import * as tf from '@tensorflow/tfjs';
import { stopGradient } from '../nn/layers';

/**
 * DreamTeacher's feature-distillation objectives (Li et al., ICCV 2023, "DreamTeacher: Pretraining
 * Image Backbones with Deep Generative Models", §3.2): the student's FPN regressor predicts the
 * generative teacher's multi-scale features, trained with
 * - L_MSE = Σ_l ‖ f_l^s − LN(f_l^t) ‖², the teacher's features layer-normalised per position
 *   (no learned affine) so that every level has the same scale;
 * - L_AT = Σ_l ‖ φ(f_l^s)/‖φ(f_l^s)‖₂ − φ(f_l^t)/‖φ(f_l^t)‖₂ ‖_p, φ(f) = Σ_c |f_c|^p, p = 2:
 *   attention transfer (Zagoruyko & Komodakis, ICLR 2017, "Paying More Attention to Attention").
 * The teacher is a fixed target: its side of both losses is wrapped in stopGradient. These are
 * per-level terms; the method sums them over levels with its weights. No official DreamTeacher
 * code is public: these are the paper's equations, restated in
 * scripts/reference/dreamteacher_reference.py (the test's reference numbers).
 *
 * All maps are NHWC, [N, h, w, C].
 */

function checkSpatial(name: string, student: tf.Tensor4D, teacher: tf.Tensor4D, sameChannels: boolean): void {
  const [ns, hs, ws, cs] = student.shape;
  const [nt, ht, wt, ct] = teacher.shape;
  if (ns !== nt || hs !== ht || ws !== wt || (sameChannels && cs !== ct)) {
    throw new Error(`${name}: student [${student.shape}] and teacher [${teacher.shape}] do not match${sameChannels ? '' : ' in N, h, w'}`);
  }
}

/**
 * Per-position normalisation over channels, no learned affine (the paper's LN on the teacher
 * features, i.e. F.layer_norm over the channel dim with elementwise_affine off):
 * (x − mean_c) / √(var_c + eps), biased variance, eps 1e-5 (torch's LayerNorm default). x [N,h,w,C].
 */
export function channelNormalize(x: tf.Tensor4D, eps = 1e-5): tf.Tensor4D {
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(x, 3, true);
    return tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps))) as tf.Tensor4D;
  });
}

/**
 * L_MSE for one level: the mean over all elements of (student − channelNormalize(teacher))².
 * The paper writes a squared norm; averaging per element instead keeps levels of different size
 * on one scale (a constant factor per level). The teacher is a constant (stop-gradient).
 */
export function featureRegressionLoss(student: tf.Tensor4D, teacher: tf.Tensor4D): tf.Scalar {
  checkSpatial('featureRegressionLoss', student, teacher, true);
  return tf.tidy(() => {
    const target = channelNormalize(stopGradient(teacher) as tf.Tensor4D);
    return tf.mean(tf.squaredDifference(student, target)) as tf.Scalar;
  });
}

/**
 * The smallest squared norm the normalisation divides by: x / max(‖x‖₂, 1e-12), as PyTorch's
 * F.normalize (eps 1e-12) that the attention-transfer code uses, written as rsqrt(max(‖x‖², 1e-24))
 * so that an all-zero map gives 0 and a finite gradient (1e-24 is a normal float32).
 */
const MIN_SQUARED_NORM = 1e-24;

/**
 * The attention map of a feature map (attention transfer, p = 2): Q = Σ_c |A_c|² per position,
 * flattened per image and L2-normalised: [N, h·w]. The paper's φ sums over channels; the
 * attention-transfer repository (szagoruyko/attention-transfer, utils.py:
 * at(x) = F.normalize(x.pow(2).mean(1).view(x.size(0), -1))) takes the mean. The two differ by
 * the factor 1/C, which the L2 normalisation removes: the maps are identical, which is also why
 * student and teacher may have different channel counts.
 */
export function attentionMap(x: tf.Tensor4D): tf.Tensor2D {
  return tf.tidy(() => {
    const [n, h, w] = x.shape;
    const q = tf.reshape(tf.sum(tf.square(x), 3), [n, h * w]);
    const squaredNorm = tf.sum(tf.square(q), 1, true);
    return tf.mul(q, tf.rsqrt(tf.maximum(squaredNorm, MIN_SQUARED_NORM))) as tf.Tensor2D;
  });
}

/**
 * √s with the gradient 1/(2√s) where s > 0 and 0 at s = 0. tf.sqrt's slope is infinite at 0, and
 * 0·∞ = NaN would poison the step when a student map equals its target; masking with tf.where
 * inside the tape does not work either (Greater has no gradient in tfjs).
 */
const safeSqrt = tf.customGrad(((s: tf.Tensor, save: tf.GradSaveFunc) => {
  const root = tf.sqrt(s);
  save([root]);
  return {
    value: root,
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [r] = saved;
      const positive = tf.greater(r, 0);
      return tf.where(positive, tf.div(dy, tf.mul(tf.where(positive, r, tf.onesLike(r)), 2)), tf.zerosLike(r));
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as (s: tf.Tensor) => tf.Tensor;

/** ‖d‖₂ per row; exactly 0, with gradient 0, for a zero row. */
function rowNorm(d: tf.Tensor2D): tf.Tensor1D {
  return safeSqrt(tf.sum(tf.square(d), 1)) as tf.Tensor1D;
}

/**
 * L_AT for one level: the mean over images of ‖attentionMap(student) − attentionMap(teacher)‖₂.
 *
 * Convention: the L2 norm of the difference, not squared, as written in both papers
 * (DreamTeacher's L_AT and Zagoruyko & Komodakis's eq. 2, ‖·‖_p with p = 2), averaged over the
 * batch. The attention-transfer repository instead computes (at(x) − at(y)).pow(2).mean(), i.e.
 * mean over images of ‖d‖²/(h·w); we follow the papers' equation because it is the one
 * DreamTeacher states, and its value (in [0, √2]) does not shrink with the map size. The two
 * agree on which maps are equal and only reweight the gradient (the norm's is d/‖d‖).
 *
 * The teacher side is a constant (stop-gradient). Student and teacher must share N, h, w;
 * channels may differ (the normalised maps do not depend on C).
 */
export function attentionTransferLoss(student: tf.Tensor4D, teacher: tf.Tensor4D): tf.Scalar {
  checkSpatial('attentionTransferLoss', student, teacher, false);
  return tf.tidy(() => {
    const target = attentionMap(stopGradient(teacher) as tf.Tensor4D);
    return tf.mean(rowNorm(tf.sub(attentionMap(student), target))) as tf.Scalar;
  });
}
