import { describe, expect, it } from 'vitest';
import { jacobiEigenvalues, rankMe, rankMeFromGram, symmetricEigenvalues } from './spectrum';

describe('symmetricEigenvalues', () => {
  it('finds the eigenvalues of a 2×2 matrix', () => {
    // [[2, 1], [1, 2]] has eigenvalues 1 and 3.
    const values = symmetricEigenvalues([2, 1, 1, 2], 2);
    expect(values[0]).toBeCloseTo(1, 10);
    expect(values[1]).toBeCloseTo(3, 10);
  });

  it('matches trace and determinant of a random symmetric matrix', () => {
    const n = 12;
    let seed = 7;
    const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1;
    const z = Array.from({ length: n * 5 }, random); // [n, 5]
    const gram = new Array<number>(n * n).fill(0);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) for (let k = 0; k < 5; k++) gram[i * n + j] += z[i * 5 + k] * z[j * 5 + k];
    const values = symmetricEigenvalues(gram, n);
    let trace = 0;
    for (let i = 0; i < n; i++) trace += gram[i * n + i];
    expect(values.reduce((a, b) => a + b, 0)).toBeCloseTo(trace, 8);
    // Rank 5: seven eigenvalues vanish, five are positive.
    expect(values.slice(0, n - 5).every((v) => Math.abs(v) < 1e-9)).toBe(true);
    expect(values.slice(n - 5).every((v) => v > 1e-3)).toBe(true);
    // Frobenius norm² = Σ λ².
    const frob = gram.reduce((a, v) => a + v * v, 0);
    expect(values.reduce((a, v) => a + v * v, 0)).toBeCloseTo(frob, 6);
  });

  it('agrees with Jacobi rotations on random Gram matrices of every shape', () => {
    let seed = 11;
    const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1;
    for (const [n, rank] of [[1, 1], [2, 1], [3, 3], [7, 2], [16, 16], [33, 10], [64, 40]]) {
      const z = Array.from({ length: n * rank }, random);
      const gram = new Array<number>(n * n).fill(0);
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) for (let k = 0; k < rank; k++) gram[i * n + j] += z[i * rank + k] * z[j * rank + k];
      const fast = symmetricEigenvalues(gram, n);
      const slow = jacobiEigenvalues(gram, n);
      for (let i = 0; i < n; i++) expect(fast[i]).toBeCloseTo(slow[i], 8);
    }
  });

  it('handles diagonal, zero and repeated-eigenvalue matrices', () => {
    expect(symmetricEigenvalues([3, 0, 0, 0, 1, 0, 0, 0, 2], 3)).toEqual([1, 2, 3]);
    expect(symmetricEigenvalues(new Array(16).fill(0), 4)).toEqual([0, 0, 0, 0]);
    // All-ones 4×4: eigenvalues 0, 0, 0, 4.
    const ones = symmetricEigenvalues(new Array(16).fill(1), 4);
    ones.slice(0, 3).forEach((v) => expect(v).toBeCloseTo(0, 12));
    expect(ones[3]).toBeCloseTo(4, 12);
  });

  it('rejects a matrix of the wrong size', () => {
    expect(() => symmetricEigenvalues([1, 2, 3], 2)).toThrow(/2×2/);
  });
});

describe('rankMe', () => {
  it('is 1 for one direction and N for N equal directions', () => {
    expect(rankMe([0, 0, 0, 9])).toBeCloseTo(1, 4);
    expect(rankMe([4, 4, 4, 4])).toBeCloseTo(4, 4);
  });

  it('uses singular values, not their squares', () => {
    // σ = [3, 1] → p = [0.75, 0.25]; RankMe = exp(−0.75 ln 0.75 − 0.25 ln 0.25) ≈ 1.7548.
    expect(rankMe([9, 1])).toBeCloseTo(Math.exp(-(0.75 * Math.log(0.75) + 0.25 * Math.log(0.25))), 5);
    expect(rankMe([9, 1])).toBeCloseTo(1.7548, 3);
  });

  it('is 0 for all-zero embeddings rather than NaN', () => {
    expect(rankMe([0, 0])).toBe(0);
  });

  it('reads a Gram matrix: identity embeddings have full rank', () => {
    const n = 6;
    const identity = Array.from({ length: n * n }, (_, i) => (i % (n + 1) === 0 ? 1 : 0));
    expect(rankMeFromGram(identity, n)).toBeCloseTo(n, 4);
  });
});
