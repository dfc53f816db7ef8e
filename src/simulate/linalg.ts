/**
 * The small dense linear algebra the simulators need, on Float64Arrays (row-major M x M).
 */

// Math functions bound once: under jest 30 the global Math is a proxy, and a call through it
// costs a microsecond (200x slower); a local binding is a plain function call everywhere.
const { sqrt, max } = Math;

/**
 * A square-root factor F of a symmetric positive semi-definite M x M matrix: A = F F^T
 * (row-major M x M; F is lower triangular up to a permutation of its rows). Computed as a
 * pivoted Cholesky factorisation of the correlation matrix D^-1/2 A D^-1/2 (D = diag A), which
 * makes it insensitive to columns of very different scales and keeps rounding errors at the
 * level of machine precision even when A is singular or nearly so (a singular input kernel such
 * as c0 = 1, nearly collinear inputs such as c0 and c0 +- delta, fewer neurons than columns,
 * dead ReLU units). Directions whose remaining correlation-scale pivot is below `tol` (1e-12)
 * are dropped: the covariance F F^T then differs from A by at most tol relative to its diagonal,
 * far below any statistical error. Throws on a clearly negative pivot (not a covariance).
 * Returns the rank; `work` (M x M) and `perm` (M) are optional scratch.
 */
export function choleskyPsd(A: Float64Array, M: number, F: Float64Array, tol = 1e-12, work?: Float64Array, perm?: Int32Array): number {
  const R = work ?? new Float64Array(M * M);
  const p = perm ?? new Int32Array(M);
  F.fill(0, 0, M * M);
  // scale to unit diagonal
  for (let i = 0; i < M; i++) {
    const aii = A[i * M + i];
    if (!(aii >= 0)) throw new RangeError(`matrix is not positive semi-definite (diagonal ${aii} at ${i})`);
    p[i] = i;
  }
  for (let i = 0; i < M; i++) {
    const si = sqrt(A[i * M + i]);
    for (let j = 0; j < M; j++) {
      const sj = sqrt(A[j * M + j]);
      R[i * M + j] = si > 0 && sj > 0 ? A[i * M + j] / (si * sj) : 0;
    }
  }
  let rank = 0;
  for (let j = 0; j < M; j++) {
    // pivot: the largest remaining diagonal of the Schur complement
    let best = j;
    let bestVal = R[p[j] * M + p[j]];
    for (let i = j + 1; i < M; i++) {
      const v = R[p[i] * M + p[i]];
      if (v > bestVal) {
        bestVal = v;
        best = i;
      }
    }
    if (!(bestVal > tol)) {
      if (bestVal < -1e-8) throw new RangeError(`matrix is not positive semi-definite (pivot ${bestVal})`);
      break; // everything left is a zero direction
    }
    const t = p[j];
    p[j] = p[best];
    p[best] = t;
    const pj = p[j];
    const l = sqrt(bestVal);
    F[pj * M + j] = l;
    for (let i = j + 1; i < M; i++) {
      const pi = p[i];
      F[pi * M + j] = R[pi * M + pj] / l;
    }
    for (let i = j + 1; i < M; i++) {
      const pi = p[i];
      const fi = F[pi * M + j];
      for (let k = j + 1; k < M; k++) {
        const pk = p[k];
        R[pi * M + pk] -= fi * F[pk * M + j];
      }
    }
    rank++;
  }
  // undo the scaling: F = D^1/2 F~
  for (let i = 0; i < M; i++) {
    const si = sqrt(A[i * M + i]);
    for (let k = 0; k < M; k++) F[i * M + k] *= si;
  }
  return rank;
}

/** Dot product of x[xo .. xo+n) and y[yo .. yo+n), unrolled by 4 with independent sums. */
export function dot(x: Float64Array, xo: number, y: Float64Array, yo: number, n: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let j = 0;
  const n4 = n - (n & 3);
  for (; j < n4; j += 4) {
    s0 += x[xo + j] * y[yo + j];
    s1 += x[xo + j + 1] * y[yo + j + 1];
    s2 += x[xo + j + 2] * y[yo + j + 2];
    s3 += x[xo + j + 3] * y[yo + j + 3];
  }
  for (; j < n; j++) s0 += x[xo + j] * y[yo + j];
  return s0 + s1 + (s2 + s3);
}

/**
 * out[a N + i] = sum_j w[wo + j] g[a N + j] for the M columns a of g (column-major N x M): one
 * row of W times a block of columns. Columns go four at a time (each w[j] loaded once for four
 * multiply-adds), then two, then one. The full-network simulator's inner kernel.
 */
export function rowTimesColumns(w: Float64Array, wo: number, g: Float64Array, N: number, M: number, out: Float64Array, i: number): void {
  let a = 0;
  for (; a + 4 <= M; a += 4) {
    const o0 = a * N;
    const o1 = o0 + N;
    const o2 = o1 + N;
    const o3 = o2 + N;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let j = 0; j < N; j++) {
      const x = w[wo + j];
      s0 += x * g[o0 + j];
      s1 += x * g[o1 + j];
      s2 += x * g[o2 + j];
      s3 += x * g[o3 + j];
    }
    out[o0 + i] = s0;
    out[o1 + i] = s1;
    out[o2 + i] = s2;
    out[o3 + i] = s3;
  }
  if (M - a >= 2) {
    const o0 = a * N;
    const o1 = o0 + N;
    let a0 = 0;
    let a1 = 0;
    let b0 = 0;
    let b1 = 0;
    let j = 0;
    const n2 = N - (N & 1);
    for (; j < n2; j += 2) {
      const x0 = w[wo + j];
      const x1 = w[wo + j + 1];
      a0 += x0 * g[o0 + j];
      a1 += x1 * g[o0 + j + 1];
      b0 += x0 * g[o1 + j];
      b1 += x1 * g[o1 + j + 1];
    }
    if (j < N) {
      a0 += w[wo + j] * g[o0 + j];
      b0 += w[wo + j] * g[o1 + j];
    }
    out[o0 + i] = a0 + a1;
    out[o1 + i] = b0 + b1;
    a += 2;
  }
  if (a < M) out[a * N + i] = dot(w, wo, g, a * N, N);
}

/** The input kernel of two inputs with variance q0 and correlation c0. */
export function twoInputKernel(q0: number, c0: number): number[] {
  return [q0, q0 * c0, q0 * c0, q0];
}

/**
 * Input kernel of inputs on a great circle: x_1 = e_1 and x_k = c_k e_1 + sqrt(1 - c_k^2) e_2,
 * all of norm sqrt(q0), so that K^0_1k = q0 c_k. Used to measure dc^L/dc^0 by central
 * differences with the same weights: correlations [c0, c0 + delta, c0 - delta] give P = 4.
 */
export function circleKernel(q0: number, cs: number[]): number[] {
  const pts: [number, number][] = [[1, 0], ...cs.map((c): [number, number] => [c, sqrt(max(0, 1 - c * c))])];
  const P = pts.length;
  const K = new Array<number>(P * P);
  for (let a = 0; a < P; a++) {
    for (let b = 0; b < P; b++) K[a * P + b] = a === b ? q0 : q0 * (pts[a][0] * pts[b][0] + pts[a][1] * pts[b][1]);
  }
  return K;
}
