"""Reference numbers for DreamTeacher's distillation losses (src/engine/losses/dreamteacher.test.ts).

Run: python3 scripts/reference/dreamteacher_reference.py (numpy, float64).

No official code for DreamTeacher (Li et al., ICCV 2023, "DreamTeacher: Pretraining Image
Backbones with Deep Generative Models") is public, so this is our own restatement of the paper's
equations, per level, on NHWC maps [N, h, w, C]:
- LN(f): per-position normalisation over channels, no affine: (f - mean_c) / sqrt(var_c + 1e-5),
  biased variance (torch LayerNorm's default eps);
- L_MSE = mean over all elements of (f_s - LN(f_t))^2 (the paper's squared norm, averaged);
- attention map (Zagoruyko & Komodakis 2017, p = 2): Q = sum_c f_c^2 per position, flattened per
  image, divided by max(||Q||_2, 1e-12) (F.normalize);
- L_AT = mean over images of ||Q_s - Q_t||_2 (the L2 norm, not squared, as both papers write it).
  The attention-transfer repository's (at(x) - at(y)).pow(2).mean() is printed alongside.
The maps are one image of 2 x 2 positions x 3 channels.
"""
import numpy as np

TEACHER = np.array([[[[1.0, -2.0, 0.5], [0.3, 0.8, -1.1]],
                     [[2.5, 0.0, -0.5], [-1.5, 1.2, 0.9]]]])
STUDENT = np.array([[[[0.7, -1.0, 0.2], [0.1, 1.4, -0.9]],
                     [[1.1, -0.3, -0.6], [-1.2, 0.4, 1.3]]]])


def channel_normalize(x, eps=1e-5):
  mean = x.mean(axis=3, keepdims=True)
  var = ((x - mean) ** 2).mean(axis=3, keepdims=True)
  return (x - mean) / np.sqrt(var + eps)


def attention_map(x):
  q = (x ** 2).sum(axis=3).reshape(x.shape[0], -1)
  return q / np.maximum(np.linalg.norm(q, axis=1, keepdims=True), 1e-12)


def fmt(m):
  return '[' + ', '.join(f'{v:.6f}' for v in np.asarray(m, dtype=np.float64).ravel()) + ']'


normalized = channel_normalize(TEACHER)
print('channelNormalize(teacher) =', fmt(normalized))
assert np.allclose(normalized.mean(axis=3), 0)
print(f'featureRegressionLoss = {np.mean((STUDENT - normalized) ** 2):.6f}')
qs, qt = attention_map(STUDENT), attention_map(TEACHER)
print('attentionMap(student) =', fmt(qs))
print('attentionMap(teacher) =', fmt(qt))
# Mean over channels instead of the sum: the same map after normalisation.
assert np.allclose(qs, (STUDENT ** 2).mean(axis=3).reshape(1, -1) / np.linalg.norm((STUDENT ** 2).mean(axis=3)))
print(f'attentionTransferLoss (L2 norm, ours) = {np.mean(np.linalg.norm(qs - qt, axis=1)):.6f}')
print(f'attention-transfer repo (squared, mean) = {np.mean((qs - qt) ** 2):.6f}')
# Teacher with 5 channels (the first 3 as TEACHER, plus two more): channels may differ.
wide = np.concatenate([TEACHER, np.array([[[[0.4, -0.2], [1.0, 0.0]], [[-0.7, 0.3], [0.5, 0.6]]]])], axis=3)
print('attentionMap(teacher with 5 channels) =', fmt(attention_map(wide)))
print(f'attentionTransferLoss (student, 5-channel teacher) = {np.mean(np.linalg.norm(qs - attention_map(wide), axis=1)):.6f}')
