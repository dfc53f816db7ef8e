/**
 * The general B x B batch-norm dynamics Sigma -> sw2 V(Sigma) + sb2 11^T for positively homogeneous
 * activations (eps = 0, gamma = 1, beta = 0), through the c_alpha / J_phi map `jphiMap`, which gives V(S)
 * for ANY covariance S. Iterated from the symmetric fixed point plus a small random perturbation, it shows
 * whether the permutation-symmetric point survives or the batch splits into blocks.
 */
import { InputError, NumericalError } from '../model/errors';
import { float64 } from '../numeric/field';
import { BatchNormSpec, jphiMap, fastKernel, homogeneousForm, isPlainBatchNorm, jphiDirectional } from './batchnorm';
import { Matrix, EigenvalueDecomposition } from 'ml-matrix';
import { Rng } from '../simulate/rng';

export interface GeneralFixedPoint {
  /** The covariance reached and the number of layers taken (change below tol). */
  sigma: number[][];
  layers: number;
  /** Batch indices grouped by equal diagonal value (to 1e-6 relative), largest variance first. */
  blocks: { members: number[]; variance: number }[];
  /** Distinct off-diagonal values (to 1e-6 relative), and whether the point is permutation-symmetric. */
  offdiagonal: number[];
  symmetric: boolean;
}

/** Iterate the general map from `start` until the largest entry change is below tol * max |Sigma|. */
export function iterateGeneral(spec: BatchNormSpec, start: number[][], maxLayers = 5000, tol = 1e-12): GeneralFixedPoint {
  if (!homogeneousForm(spec.act) || !isPlainBatchNorm(spec)) {
    throw new InputError('act', `the general B x B map needs a positively homogeneous activation (relu, linear, relu-power:k) and eps = 0, gamma = 1, beta = 0, got ${spec.act.name}`);
  }
  const B = spec.batch;
  const kern = fastKernel(float64);
  let S = start.map((r) => r.slice());
  for (let l = 1; l <= maxLayers; l++) {
    const V = jphiMap(float64, spec.act, B, S, 0.2, kern);
    const N = V.map((r) => r.map((x) => spec.sw2 * x + spec.sb2));
    let d = 0;
    let m = 0;
    for (let i = 0; i < B; i++) for (let j = 0; j < B; j++) {
      d = Math.max(d, Math.abs(N[i][j] - S[i][j]));
      m = Math.max(m, Math.abs(N[i][j]));
    }
    S = N;
    if (!Number.isFinite(d)) throw new NumericalError('batchnorm: the general B x B map produced a non-finite covariance');
    if (d <= tol * m) return { sigma: S, layers: l, ...structure(S) };
  }
  throw new NumericalError(`batchnorm: the general B x B map did not settle within ${maxLayers} layers`);
}

function distinct(xs: number[], rel = 1e-6): number[] {
  const out: number[] = [];
  for (const x of [...xs].sort((a, b) => b - a)) if (!out.some((y) => Math.abs(x - y) <= rel * Math.max(Math.abs(x), Math.abs(y)))) out.push(x);
  return out;
}

/** Blocks of equal variance and the distinct off-diagonal values of a covariance. */
export function structure(S: number[][]): Pick<GeneralFixedPoint, 'blocks' | 'offdiagonal' | 'symmetric'> {
  const B = S.length;
  const vars = distinct(S.map((r, i) => r[i]));
  const blocks = vars.map((v) => ({
    variance: v,
    members: S.map((_, i) => i).filter((i) => Math.abs(S[i][i] - v) <= 1e-6 * Math.abs(v)),
  }));
  const off: number[] = [];
  for (let i = 0; i < B; i++) for (let j = i + 1; j < B; j++) off.push(S[i][j]);
  const offdiagonal = distinct(off);
  return { blocks, offdiagonal, symmetric: blocks.length === 1 && offdiagonal.length <= 1 };
}

/** Sigma* + amp q* E with E a seeded symmetric Gaussian matrix (the perturbed start). */
export function perturbedStart(B: number, q: number, c: number, amp: number, seed: number): number[][] {
  const rng = Rng.stream(seed, 0, 11);
  const z = new Float64Array(B * B);
  rng.fillNormal(z, 0, B * B, 1);
  return Array.from({ length: B }, (_, i) => Array.from({ length: B }, (_, j) => {
    const e = i <= j ? z[i * B + j] : z[j * B + i];
    return (i === j ? q : q * c) + amp * q * e;
  }));
}

/**
 * Eigenvalues of the Jacobian of the general map at S, on the symmetric B x B matrices (basis
 * E_ij + E_ji, i <= j; columns by dual numbers through the J_phi map), sorted by modulus, largest first.
 * The B directions S -> S + a 1^T + 1 a^T change nothing (BN subtracts the batch mean) and give B zeros.
 * The point is linearly stable when the largest modulus is below 1. S must be positive definite on
 * 1-perp (the broken points found so far have a perfectly correlated block and are not: refused).
 */
export function generalJacobianEigenvalues(spec: BatchNormSpec, S: number[][]): { re: number; im: number; modulus: number }[] {
  const B = spec.batch;
  const idx: [number, number][] = [];
  for (let i = 0; i < B; i++) for (let j = i; j < B; j++) idx.push([i, j]);
  const n = idx.length;
  const J = new Matrix(n, n);
  idx.forEach(([i, j], k) => {
    const D = Array.from({ length: B }, () => new Array<number>(B).fill(0));
    D[i][j] = 1;
    D[j][i] = 1;
    const dF = jphiDirectional(spec, S, D);
    // coordinates of dF in the same basis: the (a, b) entry, a <= b
    idx.forEach(([a, b], r) => J.set(r, k, dF[a][b]));
  });
  if (!J.to1DArray().every(Number.isFinite)) throw new NumericalError('batchnorm: the Jacobian of the general map is not finite at this covariance (singular on 1-perp)');
  const e = new EigenvalueDecomposition(J);
  return e.realEigenvalues
    .map((re, k) => ({ re, im: e.imaginaryEigenvalues[k], modulus: Math.hypot(re, e.imaginaryEigenvalues[k]) }))
    .sort((x, y) => y.modulus - x.modulus);
}
