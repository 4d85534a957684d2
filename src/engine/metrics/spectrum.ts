/**
 * Eigenvalues of small symmetric matrices and RankMe, on the CPU. Plain TypeScript: the
 * trainer reads back one small Gram matrix per metrics window (collapse.ts, smallGram) and
 * finishes here; tfjs has no eigendecomposition on the GPU.
 */

/**
 * Eigenvalues of a symmetric n×n matrix (row-major) by cyclic Jacobi rotations; ascending.
 * Converges quadratically; n is at most a few hundred here (batch or embedding width).
 */
export function symmetricEigenvalues(matrix: ArrayLike<number>, n: number, maxSweeps = 50): number[] {
  const a = Float64Array.from(matrix as ArrayLike<number>);
  if (a.length !== n * n) throw new Error(`Expected ${n}×${n} values, got ${a.length}`);
  // Symmetrise: float32 Gram matrices are symmetric only up to rounding.
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) a[i * n + j] = a[j * n + i] = (a[i * n + j] + a[j * n + i]) / 2;
  let scale = 0;
  for (let i = 0; i < n * n; i++) scale += a[i] * a[i];
  for (let sweep = 0; sweep < maxSweeps; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p * n + q] * a[p * n + q];
    if (off <= 1e-30 * Math.max(scale, 1e-300)) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q];
        if (apq === 0) continue;
        const app = a[p * n + p];
        const aqq = a[q * n + q];
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p];
          const akq = a[k * n + q];
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k];
          const aqk = a[q * n + k];
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
      }
    }
  }
  const values: number[] = [];
  for (let i = 0; i < n; i++) values.push(a[i * n + i]);
  return values.sort((x, y) => x - y);
}

/** ε of RankMe (Garrido et al. 2023, Eq. 1), added to each normalised singular value. */
export const RANKME_EPSILON = 1e-7;

/**
 * RankMe: exp of the entropy of the singular values σ_k of the embedding matrix, normalised to
 * sum to 1 (p_k = σ_k / ‖σ‖₁ + ε). 1 when the embeddings span one direction, min(N, D) when
 * every direction is used equally. Takes the eigenvalues σ_k² of a Gram matrix.
 */
export function rankMe(squaredSingularValues: readonly number[]): number {
  const sigma = squaredSingularValues.map((v) => Math.sqrt(Math.max(v, 0)));
  const total = sigma.reduce((a, b) => a + b, 0);
  if (!(total > 0)) return 0;
  let entropy = 0;
  for (const s of sigma) {
    const p = s / total + RANKME_EPSILON;
    entropy -= p * Math.log(p);
  }
  return Math.exp(entropy);
}

/** RankMe from a row-major n×n Gram matrix (Z·Zᵀ or Zᵀ·Z). */
export function rankMeFromGram(gram: ArrayLike<number>, n: number): number {
  return rankMe(symmetricEigenvalues(gram, n));
}
