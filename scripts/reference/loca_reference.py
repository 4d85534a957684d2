"""Reference numbers for LOCA's Sinkhorn targets, me-max term and cluster loss (src/engine/losses/loca.test.ts).

Run: python3 scripts/reference/loca_reference.py (numpy). Our own restatement of the formulas,
not the official code:

derived from scenic/projects/loca/utils.py::sinkhorn and
scenic/projects/loca/trainer.py::loca_train_step (single device, so the
jax.lax.psum / pmean are identities).
"""
import numpy as np

np.set_printoptions(precision=6, suppress=True)

S = np.array([[0.5, -1.0, 2.0],
              [1.5, 0.2, -0.3],
              [0.0, 0.0, 1.0],
              [-2.0, 1.0, 0.5]])


def softmax(z, axis=-1):
  z = z - z.max(axis=axis, keepdims=True)
  e = np.exp(z)
  return e / e.sum(axis=axis, keepdims=True)


def loca_sinkhorn(x, num_itr=3):
  """Same order as utils.sinkhorn: per iteration, divide by column sums
  (per-prototype total, summed over ALL rows/devices), then by row sums."""
  x = x.copy()
  for _ in range(num_itr):
    x = x / x.sum(axis=0, keepdims=True)   # columns (prototypes)
    x = x / x.sum(axis=-1, keepdims=True)  # rows (samples) -> each row sums to 1
  return x


def show(name, m):
  print(name)
  for row in np.asarray(m, dtype=np.float64):
    print('  [' + ', '.join(f'{v: .6f}' for v in row) + ']')


for dtype in (np.float64, np.float32):
  print(f'================ dtype = {np.dtype(dtype).name} ================')
  s = S.astype(dtype)
  # (A) PRIMARY: S = teacher logits ALREADY divided by the sharpening temp
  #     (config.sharpening = 0.05). Official input to sinkhorn is
  #     softmax(teacher_logits / 0.05, axis=-1), i.e. row-stochastic probs.
  P = softmax(s)
  show('(A) P = softmax(S, axis=-1)  [input actually passed to utils.sinkhorn]', P)
  show('(A) sinkhorn(P, num_itr=3)  [default]', loca_sinkhorn(P, 3))
  show('(A) sinkhorn(P, num_itr=1)', loca_sinkhorn(P, 1))
  print('    row sums (3 itr):', loca_sinkhorn(P, 3).sum(-1))
  print('    col sums (3 itr):', loca_sinkhorn(P, 3).sum(0))
  print('    col sums (1 itr):', loca_sinkhorn(P, 1).sum(0))
  # (C) variant: S = RAW teacher logits (projection-head output), so the
  #     official pipeline first divides by 0.05.
  P2 = softmax(s / dtype(0.05))
  show('(C) P = softmax(S / 0.05)', P2)
  show('(C) sinkhorn(softmax(S/0.05), 3)', loca_sinkhorn(P2, 3))
  show('(C) sinkhorn(softmax(S/0.05), 1)', loca_sinkhorn(P2, 1))

  # me-max term (trainer.py): q_feat_pred is ALREADY divided by the student
  # temperature (config.model.temperature = 0.1);
  #   avg = mean_rows softmax(q_feat_pred);  term = + sum_k avg_k log avg_k
  # (added to the loss with weight 1; = -H(avg), so minimising maximises H).
  avg = softmax(s).mean(axis=0)
  print('me-max, rows of S taken as student logits already /0.1:')
  print('    avg =', avg, ' term = sum avg*log(avg) = %.6f' % np.sum(avg * np.log(avg)))
  avg2 = softmax(s / dtype(0.1)).mean(axis=0)
  print('me-max, S taken as raw student logits (divide by 0.1 first):')
  print('    avg =', avg2, ' term = %.6f' % np.sum(avg2 * np.log(avg2)))

  # Cluster cross-entropy, as model_utils.weighted_softmax_cross_entropy:
  #   sum_i w_i * sum_k -t_ik log softmax(z_i)_k / (sum_i w_i + 1e-8)
  T = loca_sinkhorn(softmax(s), 3)
  logp = np.log(softmax(s))
  ce_rows = -(T * logp).sum(-1)
  for w in (np.ones(4, dtype), np.array([1, 0, 1, 1], dtype)):
    ce = (ce_rows * w).sum() / (w.sum() + 1e-8)
    print(f'cluster CE (student logits = S, targets = sinkhorn(softmax(S),3)), weights {w}: {ce:.6f}')
  print('    per-row CE:', ce_rows)
  print('    full feature_loss (CE w=1 + me-max) = %.6f' %
        ((ce_rows.mean()) + np.sum(avg * np.log(avg))))

# Pitfall check: starting SwAV-style from exp(S) (no initial row-softmax)
# gives different numbers after a finite number of iterations.
print('================ pitfall: sinkhorn started from exp(S) instead of softmax(S)')
show('sinkhorn(exp(S), 3)', loca_sinkhorn(np.exp(S), 3))
show('sinkhorn(exp(S), 1)', loca_sinkhorn(np.exp(S), 1))
print('8-decimal float64 values, (A) 3 itr:'); print(np.array2string(loca_sinkhorn(softmax(S), 3), precision=8))
print('8-decimal float64 values, (A) 1 itr:'); print(np.array2string(loca_sinkhorn(softmax(S), 1), precision=8))
print('(C) 3 itr, scientific:'); print(np.array2string(loca_sinkhorn(softmax(S / 0.05), 3), precision=6, suppress_small=False, formatter={'float_kind': lambda v: f'{v:.6e}'}))
