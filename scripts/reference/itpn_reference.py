"""Reference numbers for iTPN / MAE masked image modeling (src/engine/losses/mim.test.ts).

Run: python3 scripts/reference/itpn_reference.py (numpy, float64).

Our own restatement, not the official code, of sunsmarterjie/iTPN
itpn_pixel/models/masked_autoencoder.py (which follows MAE):
- patchify: a [B, C, S, S] image becomes [B, N, p*p*C], N = (S/p)^2 patches in raster order,
  each patch's values ordered (row in patch, column in patch, channel) ('nchpwq->nhwpqc');
- forward_loss with norm_pix_loss=True: per patch, target = (x - mean) / sqrt(var + 1e-6) with
  torch's default unbiased variance (sum of squares / (K - 1)); loss = mean over the patch's K
  values of (pred - target)^2, then sum(loss * mask) / sum(mask), mask 1 = removed;
- masking_id: len_keep = int(L * (1 - ratio)); ids_shuffle = argsort(noise) ascending, the first
  len_keep are kept; ids_restore = argsort(ids_shuffle); mask 1 = removed, in patch order.
Also a LayerNorm without affine (the feature targets of itpn_clip/clip/create_clip.py, torch's
default eps 1e-5).

Our images are NHWC ([B, S, S, C]); the NCHW transpose below is only so the patchify is stated
the way the paper's code states it.
"""
import numpy as np

np.set_printoptions(precision=6, suppress=True)

B, S, P, C = 2, 4, 2, 3
H = S // P            # patches per side
N = H * H             # patches per image
K = P * P * C         # values per patch

# Deterministic inputs, flat in row-major order (NHWC for the image, [B, N, K] for the prediction).
IMAGE_NHWC = np.sin(1.0 + 0.37 * np.arange(B * S * S * C)).reshape(B, S, S, C)
PREDICTION = np.cos(0.5 + 0.23 * np.arange(B * N * K)).reshape(B, N, K)
MASK = np.array([[1.0, 0.0, 1.0, 1.0],
                 [0.0, 1.0, 1.0, 0.0]])  # 1 = removed (5 masked patches)


def patchify(imgs_nchw, p):
  """[B, C, S, S] -> [B, N, p*p*C], values (row in patch, column in patch, channel)."""
  b, c, s, _ = imgs_nchw.shape
  h = s // p
  # axes after the reshape: batch, channel, patch row, row in patch, patch column, column in patch
  x = imgs_nchw.reshape(b, c, h, p, h, p)
  x = x.transpose(0, 2, 4, 3, 5, 1)  # batch, patch row, patch column, row in patch, column in patch, channel
  return x.reshape(b, h * h, p * p * c)


def normalized_targets(patches, eps=1e-6, ddof=1):
  mean = patches.mean(axis=-1, keepdims=True)
  var = patches.var(axis=-1, keepdims=True, ddof=ddof)  # ddof=1: torch.Tensor.var's default
  std = np.sqrt(var + eps)
  return (patches - mean) / std, mean, std


def masked_loss(pred, target, mask):
  per_patch = ((pred - target) ** 2).mean(axis=-1)
  return (per_patch * mask).sum() / mask.sum(), per_patch


def fmt(values):
  return '[' + ', '.join(f'{v:.6f}' for v in np.asarray(values, dtype=np.float64).ravel()) + ']'


patches = patchify(IMAGE_NHWC.transpose(0, 3, 1, 2), P)
# Patchify read straight off the NHWC image: patch (i, j) of image b is rows i*P.., columns j*P..
for b in range(B):
  for i in range(H):
    for j in range(H):
      assert np.array_equal(patches[b, i * H + j], IMAGE_NHWC[b, i * P:(i + 1) * P, j * P:(j + 1) * P].ravel())

target, mean, std = normalized_targets(patches)
loss, per_patch = masked_loss(PREDICTION, target, MASK)
biased_target, _, biased_std = normalized_targets(patches, ddof=0)
biased_loss, _ = masked_loss(PREDICTION, biased_target, MASK)

print('patches[0, 0] =', fmt(patches[0, 0]))
print('patches[1, 3] =', fmt(patches[1, 3]))
print('mean =', fmt(mean))
print('std (unbiased) =', fmt(std))
print('target[0, 0] =', fmt(target[0, 0]))
print('target[1, 3] =', fmt(target[1, 3]))
print('per-patch loss =', fmt(per_patch))
print(f'loss (unbiased var, norm_pix_loss) = {loss:.6f}')
print(f'loss with the biased variance instead = {biased_loss:.6f}')
print(f'loss of a zero prediction = {masked_loss(np.zeros_like(PREDICTION), target, MASK)[0]:.6f}')

# masking_id on a fixed noise: which patches stay, and the restore index.
NOISE = np.array([[0.61, 0.12, 0.95, 0.33, 0.47, 0.08, 0.72, 0.29],
                  [0.05, 0.88, 0.41, 0.19, 0.66, 0.93, 0.27, 0.54]])
ratio = 0.75
len_keep = int(NOISE.shape[1] * (1 - ratio))
ids_shuffle = np.argsort(NOISE, axis=1, kind='stable')
ids_restore = np.argsort(ids_shuffle, axis=1, kind='stable')
noise_mask = np.ones_like(NOISE)
noise_mask[:, :len_keep] = 0
noise_mask = np.take_along_axis(noise_mask, ids_restore, axis=1)
print(f'masking: L = 8, ratio {ratio}: len_keep = {len_keep}')
print('  ids_shuffle =', ids_shuffle.tolist())
print('  kept (sorted) =', [sorted(row[:len_keep].tolist()) for row in ids_shuffle])
print('  mask =', noise_mask.astype(int).tolist())
for L, r in ((16, 0.75), (64, 0.75), (16, 0.5), (49, 0.75), (196, 0.75), (10, 0.9)):
  print(f'  int({L} * (1 - {r})) = {int(L * (1 - r))}')

# LayerNorm without affine over the last axis.
FEATURES = np.array([[0.3, -1.2, 2.5, 0.0], [1.0, 1.0, 1.0, 1.5]])
mu = FEATURES.mean(axis=-1, keepdims=True)
var = FEATURES.var(axis=-1, keepdims=True)  # LayerNorm: biased
print('layer_norm(features, eps 1e-5) =', fmt((FEATURES - mu) / np.sqrt(var + 1e-5)))
