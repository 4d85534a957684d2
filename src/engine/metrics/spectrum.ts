/**
 * Eigenvalues of small symmetric matrices and RankMe, on the CPU. Plain TypeScript: the
 * trainer reads back one small Gram matrix per metrics window (collapse.ts, smallGram) and
 * finishes here; tfjs has no eigendecomposition on the GPU.
 */

/**
 * Eigenvalues of a symmetric n×n matrix (row-major), ascending: Householder reduction to a
 * tridiagonal matrix, then QL iterations with implicit Wilkinson shifts. O(n³) once, about
 * 10× faster than Jacobi: a 192×192 Gram matrix takes a few ms, so the worker thread is
 * never held up for long on a metrics window.
 */
export function symmetricEigenvalues(matrix: ArrayLike<number>, n: number): number[] {
  if (matrix.length !== n * n) throw new Error(`Expected ${n}×${n} values, got ${matrix.length}`);
  const a = new Float64Array(n * n);
  // Symmetrise: float32 Gram matrices are symmetric only up to rounding.
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) a[i * n + j] = (matrix[i * n + j] + matrix[j * n + i]) / 2;
  const diagonal = new Float64Array(n);
  const off = new Float64Array(n); // off[i] couples rows i−1 and i
  tridiagonalize(a, n, diagonal, off);
  implicitQl(diagonal, off, n);
  return Array.from(diagonal).sort((x, y) => x - y);
}

/**
 * Householder reduction of the symmetric matrix `a` (overwritten) to tridiagonal form, from
 * the last row up: each step zeroes row i left of its sub-diagonal with a reflection
 * P = I − u·uᵀ/H applied on both sides, A ← P·A·P, updating only the lower triangle.
 */
function tridiagonalize(a: Float64Array, n: number, diagonal: Float64Array, off: Float64Array): void {
  const p = new Float64Array(n);
  for (let i = n - 1; i >= 1; i--) {
    const last = i - 1; // columns 0..last of row i are reduced
    let scale = 0;
    for (let k = 0; k <= last; k++) scale += Math.abs(a[i * n + k]);
    if (last === 0 || scale === 0) {
      off[i] = a[i * n + last];
      continue;
    }
    // u = row i (scaled for safety), with its last entry shifted by ∓‖row‖ so P maps the row onto it.
    let norm2 = 0;
    for (let k = 0; k <= last; k++) {
      a[i * n + k] /= scale;
      norm2 += a[i * n + k] ** 2;
    }
    const lead = a[i * n + last];
    const sigma = lead >= 0 ? -Math.sqrt(norm2) : Math.sqrt(norm2);
    off[i] = scale * sigma;
    const h = norm2 - lead * sigma; // H = uᵀu / 2
    a[i * n + last] = lead - sigma;
    // p = A·u / H over the leading (last+1)×(last+1) block, K = uᵀp / 2H.
    let uTp = 0;
    for (let j = 0; j <= last; j++) {
      let sum = 0;
      for (let k = 0; k <= j; k++) sum += a[j * n + k] * a[i * n + k];
      for (let k = j + 1; k <= last; k++) sum += a[k * n + j] * a[i * n + k];
      p[j] = sum / h;
      uTp += p[j] * a[i * n + j];
    }
    const K = uTp / (2 * h);
    // q = p − K·u; A ← A − u·qᵀ − q·uᵀ (lower triangle).
    for (let j = 0; j <= last; j++) {
      const u = a[i * n + j];
      p[j] -= K * u;
      const q = p[j];
      for (let k = 0; k <= j; k++) a[j * n + k] -= u * p[k] + q * a[i * n + k];
    }
  }
  for (let i = 0; i < n; i++) diagonal[i] = a[i * n + i];
}

/** Eigenvalues of the tridiagonal matrix (diagonal, off) in place, by implicit shifted QL. */
function implicitQl(d: Float64Array, e: Float64Array, n: number): void {
  for (let i = 1; i < n; i++) e[i - 1] = e[i];
  if (n > 0) e[n - 1] = 0;
  for (let l = 0; l < n; l++) {
    for (let iteration = 0; ; iteration++) {
      // Find a negligible off-diagonal element: the block l..m splits off.
      let m = l;
      for (; m < n - 1; m++) {
        const size = Math.abs(d[m]) + Math.abs(d[m + 1]);
        if (Math.abs(e[m]) <= Number.EPSILON * size) break;
      }
      if (m === l) break;
      if (iteration === 60) throw new Error('Eigenvalues did not converge');
      // Wilkinson shift from the leading 2×2 block, then chase the bulge with plane rotations.
      let g = (d[l + 1] - d[l]) / (2 * e[l]);
      let r = Math.hypot(g, 1);
      g = d[m] - d[l] + e[l] / (g + (g >= 0 ? r : -r));
      let s = 1;
      let c = 1;
      let shift = 0;
      let i = m - 1;
      let underflow = false;
      for (; i >= l; i--) {
        const f = s * e[i];
        const b = c * e[i];
        r = Math.hypot(f, g);
        e[i + 1] = r;
        if (r === 0) {
          d[i + 1] -= shift;
          e[m] = 0;
          underflow = true;
          break;
        }
        s = f / r;
        c = g / r;
        g = d[i + 1] - shift;
        r = (d[i] - g) * s + 2 * c * b;
        shift = s * r;
        d[i + 1] = g + shift;
        g = c * r - b;
      }
      if (underflow) continue;
      d[l] -= shift;
      e[l] = g;
      e[m] = 0;
    }
  }
}

/**
 * The same eigenvalues by cyclic Jacobi rotations: slower, but simple enough to trust, so the
 * tests check the fast path against it.
 */
export function jacobiEigenvalues(matrix: ArrayLike<number>, n: number, maxSweeps = 50): number[] {
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
