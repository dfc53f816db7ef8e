/**
 * Joint cumulants (orders 1-4) of the functions of one base Gaussian u ~ N(0, Sigma) (P = 1 or 2
 * inputs), and their derivatives in Sigma, for the composed one-loop theory (netOneLoop.ts).
 *
 * The variables are z_v = F_v(u_{a_v}): a function F_v of input a_v's component. Raw moments are
 * Gaussian expectations of products grouped by input (one 1D or 2D adaptive quadrature each, with
 * the functions' kinks as breakpoints; closed forms when every function is linear); cumulants
 * follow from the moments by the partition formula. Derivatives in Sigma (an entry ab moves Sigma_ab
 * and Sigma_ba together) by central differences with one Richardson step; `fdError` records the
 * largest relative Richardson correction seen (an estimate of the derivatives' error).
 */
import { NumericalError } from '../../model/errors';
import { expect1F64, expect2F64 } from '../../numeric/gaussian';
import { Fn } from './netValues';
import { plainMath } from '../../numeric/plainMath';
// A plain-object copy of Math: under jest the global Math is a proxy and each Math.* access costs ~1 us.
const Math = plainMath();

export interface Variable {
  F: Fn;
  input: number;
}

/** Cumulants of n variables as dense symmetric arrays: k1[n], k2[n*n], k3[n^3], k4[n^4]. */
export interface Cum {
  n: number;
  k1: Float64Array;
  k2: Float64Array;
  k3: Float64Array;
  k4: Float64Array;
}

export function zeroCum(n: number): Cum {
  return { n, k1: new Float64Array(n), k2: new Float64Array(n * n), k3: new Float64Array(n ** 3), k4: new Float64Array(n ** 4) };
}

/** The entries of a P x P symmetric matrix in the order 11, 12, 22 (one entry for P = 1). */
export function entries(P: number): [number, number][] {
  const e: [number, number][] = [];
  for (let a = 0; a < P; a++) for (let b = a; b < P; b++) e.push([a, b]);
  return e;
}

/** Set partitions of [0..k-1] (k <= 4). */
function partitions(k: number): number[][][] {
  if (k === 0) return [[]];
  const out: number[][][] = [];
  for (const p of partitions(k - 1)) {
    for (let i = 0; i < p.length; i++) out.push(p.map((B, j) => (j === i ? [...B, k - 1] : B)));
    out.push([...p, [k - 1]]);
  }
  return out;
}
const PARTS = [0, 1, 2, 3, 4].map(partitions);
const FACT = [1, 1, 2, 6, 24];

/** Sorted index tuples (multisets) of size 1..4 over n variables. */
function multisets(n: number): number[][] {
  const out: number[][] = [];
  const rec = (start: number, cur: number[]) => {
    if (cur.length > 0) out.push(cur.slice());
    if (cur.length === 4) return;
    for (let v = start; v < n; v++) {
      cur.push(v);
      rec(v, cur);
      cur.pop();
    }
  };
  rec(0, []);
  return out;
}

const key = (idx: number[]) => idx.slice().sort((a, b) => a - b).join('');

/** Fill a Cum from a moment function over multisets (cumulants by the partition formula). */
function cumulantsFromMoments(n: number, moments: Map<string, number>, maxOrder: number): Cum {
  const c = zeroCum(n);
  const arrays = [c.k1, c.k2, c.k3, c.k4];
  for (const ms of multisets(n)) {
    const k = ms.length;
    if (k > maxOrder) continue;
    let v = 0;
    for (const p of PARTS[k]) {
      let prod = (p.length % 2 === 1 ? 1 : -1) * FACT[p.length - 1];
      for (const B of p) prod *= moments.get(key(B.map((i) => ms[i]))) as number;
      v += prod;
    }
    // every permutation of the multiset gets the value
    const arr = arrays[k - 1];
    const perms = permutations(ms);
    for (const q of perms) {
      let idx = 0;
      for (const i of q) idx = idx * n + i;
      arr[idx] = v;
    }
  }
  return c;
}

function permutations(a: number[]): number[][] {
  if (a.length <= 1) return [a.slice()];
  const out: number[][] = [];
  const seen = new Set<string>();
  a.forEach((x, i) => {
    for (const rest of permutations([...a.slice(0, i), ...a.slice(i + 1)])) {
      const p = [x, ...rest];
      const s = p.join(',');
      if (!seen.has(s)) {
        seen.add(s);
        out.push(p);
      }
    }
  });
  return out;
}

/** Quadrature tolerance and the relative finite-difference step (a second evaluation changes both). */
export interface NumOpts {
  tol: number;
  step: number;
}
export const DEFAULT_NUM: NumOpts = { tol: 1e-13, step: 1 };

/** Raw moments E[prod z] over every multiset up to maxOrder, u ~ N(0, S) (S as a P x P array). */
function rawMoments(vars: Variable[], S: number[][], maxOrder: number, tol: number): Map<string, number> {
  const out = new Map<string, number>();
  const linear = vars.every((v) => v.F.slope !== undefined);
  for (const ms of multisets(vars.length)) {
    if (ms.length > maxOrder) continue;
    let m: number;
    if (linear) m = gaussianMoment(ms.map((i) => vars[i].input), ms.map((i) => vars[i].F.slope as number), S);
    else {
      // nonlinear functions: at most two Gaussian components (inputs), grouped into two products
      const fs: Fn[][] = [[], []];
      for (const i of ms) fs[vars[i].input].push(vars[i].F);
      m = expectProduct(fs[0], fs[1], S, tol);
    }
    if (!Number.isFinite(m)) throw new NumericalError('one-loop: a Gaussian moment of the network left the finite numbers');
    out.set(key(ms), m);
  }
  return out;
}

/** E[prod_i s_i u_{a_i}] for a zero-mean Gaussian (Isserlis). */
function gaussianMoment(inputs: number[], slopes: number[], S: number[][]): number {
  const k = inputs.length;
  let scale = 1;
  for (const s of slopes) scale *= s;
  if (k % 2 === 1) return 0;
  if (k === 2) return scale * S[inputs[0]][inputs[1]];
  const [a, b, c, d] = inputs;
  return scale * (S[a][b] * S[c][d] + S[a][c] * S[b][d] + S[a][d] * S[b][c]);
}

function product(fs: Fn[]): { f: (x: number) => number; kinks?: number[] } {
  if (fs.length === 1) return { f: fs[0].f, kinks: fs[0].kinks };
  const g = fs.map((F) => F.f);
  const kinks = fs.every((F) => F.kinks) ? [...new Set(fs.flatMap((F) => F.kinks as number[]))].sort((a, b) => a - b) : undefined;
  return {
    f: (x: number) => {
      let p = 1;
      for (const h of g) p *= h(x);
      return p;
    },
    kinks,
  };
}

function expectProduct(f0: Fn[], f1: Fn[], S: number[][], tol: number): number {
  if (f1.length === 0) {
    const p = product(f0);
    return expect1F64(p.f, S[0][0], { kinks: p.kinks, tol }).value;
  }
  if (f0.length === 0) {
    const p = product(f1);
    return expect1F64(p.f, S[1][1], { kinks: p.kinks, tol }).value;
  }
  const p = product(f0);
  const q = product(f1);
  return expect2F64(p.f, q.f, S[0][0], S[0][1], S[1][1], { kinksF: p.kinks, kinksG: q.kinks, tol }).value;
}

export function baseCumulants(vars: Variable[], S: number[][], maxOrder = 4, num: NumOpts = DEFAULT_NUM): Cum {
  return cumulantsFromMoments(vars.length, rawMoments(vars, S, maxOrder, num.tol), maxOrder);
}

// ---------------------------------------------------------------------------------------
// Derivatives in Sigma

function perturbed(S: number[][], e: [number, number], h: number): number[][] {
  const T = S.map((r) => r.slice());
  T[e[0]][e[1]] += h;
  if (e[0] !== e[1]) T[e[1]][e[0]] += h;
  return T;
}

/** A step for entry e that keeps Sigma +- 2h positive definite. */
function step(S: number[][], e: [number, number], rel: number): number {
  const P = S.length;
  const scale = e[0] === e[1] ? S[e[0]][e[0]] : Math.sqrt(S[e[0]][e[0]] * S[e[1]][e[1]]);
  let h = rel * scale;
  if (P === 2) {
    // smallest eigenvalue of a 2 x 2 matrix; an entry moved by h moves it by at most h (2h off-diagonal)
    const tr = S[0][0] + S[1][1];
    const det = S[0][0] * S[1][1] - S[0][1] * S[0][1];
    const lmin = tr / 2 - Math.sqrt(Math.max(0, (tr * tr) / 4 - det));
    h = Math.min(h, lmin / 8);
  } else h = Math.min(h, S[0][0] / 4);
  if (!(h > 0)) throw new NumericalError('one-loop: a layer\'s covariance is singular (two inputs with correlation 1?); the derivatives in it are not defined');
  return h;
}

export interface FdStats {
  /** Largest Richardson correction of a derivative, relative to the largest entry of that derivative's cumulants. */
  fdError: number;
}

function combine(arrs: Float64Array[], weights: number[]): Float64Array {
  const out = new Float64Array(arrs[0].length);
  arrs.forEach((a, j) => {
    const w = weights[j];
    for (let i = 0; i < a.length; i++) out[i] += w * a[i];
  });
  return out;
}

function cumArrays(c: Cum, maxOrder: number): Float64Array[] {
  return [c.k1, c.k2, c.k3, c.k4].slice(0, maxOrder);
}

function toCum(n: number, arrs: Float64Array[]): Cum {
  const z = zeroCum(n);
  return { n, k1: arrs[0] ?? z.k1, k2: arrs[1] ?? z.k2, k3: arrs[2] ?? z.k3, k4: arrs[3] ?? z.k4 };
}

/** Richardson over a step pair; `floor` is the size below which a derivative counts as zero (rounding). */
function richardsonArrays(coarse: Float64Array[], fine: Float64Array[], stats: FdStats, floor: number): Float64Array[] {
  let scale = floor;
  let err = 0;
  const out = coarse.map((c, j) => {
    const f = fine[j];
    const o = new Float64Array(c.length);
    for (let i = 0; i < c.length; i++) {
      o[i] = (4 * f[i] - c[i]) / 3;
      scale = Math.max(scale, Math.abs(o[i]));
      err = Math.max(err, Math.abs(f[i] - c[i]) / 3);
    }
    return o;
  });
  if (scale > 0) stats.fdError = Math.max(stats.fdError, err / scale);
  return out;
}

/** 1e-9 of the cumulants' size over Sigma's: a derivative below it is rounding, not signal. */
function floorOf(center: Float64Array[], S: number[][]): number {
  let m = 0;
  for (const a of center) for (const x of a) m = Math.max(m, Math.abs(x));
  const s = Math.max(...S.map((r, i) => r[i]));
  return (1e-9 * m) / s;
}

/** dCum/dSigma_e for every entry e (or the entries `only`) by central differences, Richardson in the step. */
export function cumulantGradient(vars: Variable[], S: number[][], maxOrder: number, stats: FdStats, num: NumOpts = DEFAULT_NUM, only?: [number, number][]): Cum[] {
  const P = S.length;
  if (vars.every((v) => v.F.slope !== undefined)) return (only ?? entries(P)).map((e) => gaussianGradient(vars, e));
  const center = cumArrays(baseCumulants(vars, S, maxOrder, num), maxOrder);
  return (only ?? entries(P)).map((e) => {
    const h = step(S, e, 2e-3 * num.step);
    const at = (t: number) => cumArrays(baseCumulants(vars, perturbed(S, e, t), maxOrder, num), maxOrder);
    const d = (t: number) => {
      const p = at(t);
      const m = at(-t);
      return p.map((a, j) => combine([a, m[j]], [1 / (2 * t), -1 / (2 * t)]));
    };
    return toCum(vars.length, richardsonArrays(d(h), d(h / 2), stats, floorOf(center, S)));
  });
}

/** Linear functions of a Gaussian: only kappa_2 = s_v s_w S[a_v][a_w] is non-zero, so its derivative is exact. */
function gaussianGradient(vars: Variable[], e: [number, number]): Cum {
  const n = vars.length;
  const c = zeroCum(n);
  for (let v = 0; v < n; v++) {
    for (let w = 0; w < n; w++) {
      const a = vars[v].input;
      const b = vars[w].input;
      if ((a === e[0] && b === e[1]) || (a === e[1] && b === e[0])) c.k2[v * n + w] = (vars[v].F.slope as number) * (vars[w].F.slope as number);
    }
  }
  return c;
}

/** d^2 Cum / dSigma_e dSigma_f (orders 1 and 2 only), e <= f, as hess[e][f] (symmetric). */
export function cumulantHessian(vars: Variable[], S: number[][], stats: FdStats, num: NumOpts = DEFAULT_NUM): Cum[][] {
  const P = S.length;
  const E = entries(P);
  const n = vars.length;
  // linear functions of a Gaussian: kappa_2 is linear in Sigma
  if (vars.every((v) => v.F.slope !== undefined)) return E.map(() => E.map(() => zeroCum(n)));
  const at = (T: number[][]) => cumArrays(baseCumulants(vars, T, 2, num), 2);
  const center = at(S);
  const H: Cum[][] = E.map(() => new Array<Cum>(E.length));
  E.forEach((e, i) => {
    E.forEach((f, j) => {
      if (j < i) return;
      const he = step(S, e, 1e-2 * num.step);
      const hf = step(S, f, 1e-2 * num.step);
      const d = (s: number): Float64Array[] => {
        const a = s * he;
        const b = s * hf;
        if (i === j) {
          const p = at(perturbed(S, e, a));
          const m = at(perturbed(S, e, -a));
          return p.map((x, k) => combine([x, center[k], m[k]], [1 / (a * a), -2 / (a * a), 1 / (a * a)]));
        }
        const pp = at(perturbed(perturbed(S, e, a), f, b));
        const pm = at(perturbed(perturbed(S, e, a), f, -b));
        const mp = at(perturbed(perturbed(S, e, -a), f, b));
        const mm = at(perturbed(perturbed(S, e, -a), f, -b));
        const w = 1 / (4 * a * b);
        return pp.map((x, k) => combine([x, pm[k], mp[k], mm[k]], [w, -w, -w, w]));
      };
      const c = toCum(n, richardsonArrays(d(1), d(0.5), stats, floorOf(center, S) / Math.max(...S.map((r) => r[0]), S[S.length - 1][S.length - 1])));
      H[i][j] = c;
      H[j][i] = c;
    });
  });
  return H;
}

// ---------------------------------------------------------------------------------------
// Sums of independent vectors

/**
 * out += the cumulants of `c` read at z-indices: zToVar[z] is the variable of c that component z of
 * the sum is (-1: the base adds nothing to that component). Components may share a variable.
 */
export function addExpanded(out: Cum, c: Cum, zToVar: number[]): void {
  const n = c.n;
  const N = out.n;
  for (let zi = 0; zi < N; zi++) {
    const i = zToVar[zi];
    if (i < 0) continue;
    out.k1[zi] += c.k1[i];
    for (let zj = 0; zj < N; zj++) {
      const j = zToVar[zj];
      if (j < 0) continue;
      out.k2[zi * N + zj] += c.k2[i * n + j];
      for (let zk = 0; zk < N; zk++) {
        const k = zToVar[zk];
        if (k < 0) continue;
        out.k3[(zi * N + zj) * N + zk] += c.k3[(i * n + j) * n + k];
        const base4 = ((i * n + j) * n + k) * n;
        const out4 = ((zi * N + zj) * N + zk) * N;
        for (let zl = 0; zl < N; zl++) {
          const l = zToVar[zl];
          if (l < 0) continue;
          out.k4[out4 + zl] += c.k4[base4 + l];
        }
      }
    }
  }
}

/** out += w * c (same variables). */
export function addScaled(out: Cum, c: Cum, w: number): void {
  for (const [o, a] of [[out.k1, c.k1], [out.k2, c.k2], [out.k3, c.k3], [out.k4, c.k4]] as [Float64Array, Float64Array][]) {
    for (let i = 0; i < a.length; i++) o[i] += w * a[i];
  }
}

/** Cov(z_i z_j, z_k z_l) of a vector with cumulants c (all orders up to 4). */
export function covOfProducts(c: Cum, i: number, j: number, k: number, l: number): number {
  const N = c.n;
  const k1 = c.k1;
  const k2 = (a: number, b: number) => c.k2[a * N + b];
  const k3 = (a: number, b: number, d: number) => c.k3[(a * N + b) * N + d];
  return (
    c.k4[((i * N + j) * N + k) * N + l] +
    k3(i, j, k) * k1[l] + k3(i, j, l) * k1[k] + k3(i, k, l) * k1[j] + k3(j, k, l) * k1[i] +
    k2(i, k) * k2(j, l) + k2(i, l) * k2(j, k) +
    k2(i, k) * k1[j] * k1[l] + k2(i, l) * k1[j] * k1[k] + k2(j, k) * k1[i] * k1[l] + k2(j, l) * k1[i] * k1[k]
  );
}

/** The derivative of covOfProducts along a change dc of the cumulants (product rule). */
export function dCovOfProducts(c: Cum, dc: Cum, i: number, j: number, k: number, l: number): number {
  const N = c.n;
  const a1 = c.k1;
  const d1 = dc.k1;
  const a2 = (a: number, b: number) => c.k2[a * N + b];
  const d2 = (a: number, b: number) => dc.k2[a * N + b];
  const a3 = (a: number, b: number, d: number) => c.k3[(a * N + b) * N + d];
  const d3 = (a: number, b: number, d: number) => dc.k3[(a * N + b) * N + d];
  const t3 = (x: number, y: number, z: number, w: number) => d3(x, y, z) * a1[w] + a3(x, y, z) * d1[w];
  const t22 = (x: number, y: number, z: number, w: number) => d2(x, y) * a2(z, w) + a2(x, y) * d2(z, w);
  const t211 = (x: number, y: number, z: number, w: number) => d2(x, y) * a1[z] * a1[w] + a2(x, y) * (d1[z] * a1[w] + a1[z] * d1[w]);
  return (
    dc.k4[((i * N + j) * N + k) * N + l] +
    t3(i, j, k, l) + t3(i, j, l, k) + t3(i, k, l, j) + t3(j, k, l, i) +
    t22(i, k, j, l) + t22(i, l, j, k) +
    t211(i, k, j, l) + t211(i, l, j, k) + t211(j, k, i, l) + t211(j, l, i, k)
  );
}
