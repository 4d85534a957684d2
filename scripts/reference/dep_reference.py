"""Reference numbers for DeP's corruption, denoised estimate and loss (src/engine/losses/denoise.test.ts).

Run: python3 scripts/reference/dep_reference.py (numpy, float64).

No official code for DeP / DDeP (Brempong et al. 2022, "Denoising Pretraining for Semantic
Segmentation") is public, so this is our own restatement of the paper's equations:
- variance preserving: x~ = sqrt(gamma) * x + sqrt(1 - gamma) * eps, gamma = 1 / (1 + sigma^2);
- simple (additive): x~ = x + sigma * eps;
- the network predicts the noise eps_hat = f(x~), trained with ||f(x~) - eps||^2, which we
  average per element (mean over all entries);
- the denoised estimate inverts the corruption: x_hat = (x~ - b * eps_hat) / a with x~ = a*x + b*eps.
x is in model units (2 * pixel - 1). The arrays are 2 pixels x 3 channels.
"""
import numpy as np

np.set_printoptions(precision=6, suppress=True)

X = np.array([[0.2, -0.6, 0.9],
              [-1.0, 0.4, 0.0]])
EPS = np.array([[0.5, -1.2, 0.3],
                [1.5, 0.1, -0.7]])
EPS_HAT = np.array([[0.4, -1.0, 0.0],
                    [1.2, 0.3, -0.5]])


def gamma(sigma):
  return 1.0 / (1.0 + sigma * sigma)


def scales(sigma, kind):
  if kind == 'simple':
    return 1.0, sigma
  g = gamma(sigma)
  return np.sqrt(g), np.sqrt(1.0 - g)


def fmt(m):
  return '[' + ', '.join(f'{v:.6f}' for v in np.asarray(m, dtype=np.float64).ravel()) + ']'


for sigma in (0.22, 0.5, 1.0):
  print(f'gamma(sigma={sigma}) = {gamma(sigma):.6f}')

print('x       =', fmt(X))
print('eps     =', fmt(EPS))
print('eps_hat =', fmt(EPS_HAT))
for kind in ('vp', 'simple'):
  for sigma in (0.22, 0.5):
    a, b = scales(sigma, kind)
    noisy = a * X + b * EPS
    estimate = (noisy - b * EPS_HAT) / a
    print(f'{kind} sigma={sigma}: a={a:.6f} b={b:.6f}')
    print('  x~              =', fmt(noisy))
    print('  x_hat (eps_hat) =', fmt(estimate))
    # x_hat = x + (b / a)(eps - eps_hat) and b / a = sigma for both kinds, so the line above is
    # the same for vp and simple; inverting a fixed x~ = X (not a corruption of X) tells them apart.
    print('  x_hat (x~ = x)  =', fmt((X - b * EPS_HAT) / a))
    # Round trip with the true noise returns x exactly.
    assert np.allclose((noisy - b * EPS) / a, X)

print(f'loss mean((eps_hat - eps)^2) = {np.mean((EPS_HAT - EPS) ** 2):.6f}')
print(f'loss for eps_hat = 0 (mean eps^2) = {np.mean(EPS ** 2):.6f}')
