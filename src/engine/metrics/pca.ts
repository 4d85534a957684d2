/**
 * The first principal components of a small set of embeddings, on the CPU (probe cadence:
 * N ≈ 160 rows of D ≤ 384). Power iteration with deflation on the D×D covariance: the top two
 * directions converge in a few dozen iterations, from a fixed start so a run replays exactly.
 */
export interface Projection {
  /** [N, k] coordinates along the components. */
  points: Float32Array;
  /** Fraction of the total variance along each component. */
  explained: number[];
}

export function principalComponents(data: ArrayLike<number>, n: number, d: number, k = 2, iterations = 200): Projection {
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += data[i * d + j] / n;
  const centered = new Float64Array(n * d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) centered[i * d + j] = data[i * d + j] - mean[j];
  const cov = new Float64Array(d * d);
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < d; a++) {
      const x = centered[i * d + a];
      if (x === 0) continue;
      for (let b = a; b < d; b++) cov[a * d + b] += x * centered[i * d + b];
    }
  }
  for (let a = 0; a < d; a++) for (let b = a; b < d; b++) cov[b * d + a] = cov[a * d + b] /= Math.max(1, n - 1);
  let trace = 0;
  for (let a = 0; a < d; a++) trace += cov[a * d + a];

  const components: Float64Array[] = [];
  const explained: number[] = [];
  for (let c = 0; c < Math.min(k, d); c++) {
    let v = new Float64Array(d).map((_, j) => 1 + ((j * 7919) % 13) / 13); // fixed, not aligned with any axis
    let eigenvalue = 0;
    for (let it = 0; it < iterations; it++) {
      const w = new Float64Array(d);
      for (let a = 0; a < d; a++) {
        let sum = 0;
        for (let b = 0; b < d; b++) sum += cov[a * d + b] * v[b];
        w[a] = sum;
      }
      // Deflate: remove the components already found.
      for (const u of components) {
        let dot = 0;
        for (let a = 0; a < d; a++) dot += w[a] * u[a];
        for (let a = 0; a < d; a++) w[a] -= dot * u[a];
      }
      const norm = Math.hypot(...w);
      if (!(norm > 1e-300)) break; // no variance left in this direction
      eigenvalue = norm;
      v = w.map((x) => x / norm);
    }
    components.push(v);
    explained.push(trace > 0 ? eigenvalue / trace : 0);
  }
  const points = new Float32Array(n * k);
  for (let i = 0; i < n; i++) {
    components.forEach((u, c) => {
      let dot = 0;
      for (let a = 0; a < d; a++) dot += centered[i * d + a] * u[a];
      points[i * k + c] = dot;
    });
  }
  return { points, explained };
}

/** Scales each of 3 components (rows of [·, 3]) to [0, 1] over all rows: one colour scale for all of them. */
export function toUnitRange(points: Float32Array): Float32Array {
  const out = new Float32Array(points.length);
  for (let k = 0; k < 3; k++) {
    let low = Infinity;
    let high = -Infinity;
    for (let i = k; i < points.length; i += 3) {
      low = Math.min(low, points[i]);
      high = Math.max(high, points[i]);
    }
    const span = high - low || 1;
    for (let i = k; i < points.length; i += 3) out[i] = (points[i] - low) / span;
  }
  return out;
}
