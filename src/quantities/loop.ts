/**
 * The one-loop (1/N) numbers of the finite-width field theory (THEORY.md section 3;
 * derivation and conventions in docs/one-loop.md).
 *
 * Width-N network, one or two inputs; empirical kernels K_hat^l = (1/N) sum_i h^l_i h^l_i^T and
 * C_hat^l = sb2 + (sw2/N) sum_j phi(h^(l-1)_j) phi(h^(l-1)_j)^T. For every layer l = 0..L:
 *
 *   k1    = lim N (E[K_hat^l_11] - K^l_11)        c1  = lim N (E[C_hat^l_11] - C^l_11)
 *   varK  = lim N Var(K_hat^l_11)                   varC = lim N Var(C_hat^l_11)
 *   c1_curvature = the curvature (tadpole) part of c1 alone
 *   and, with two inputs, the same for the off-diagonal entries (_12).
 *
 * Structure (one input, residual; a = alpha^2, or alpha with --scaling variance):
 *   mu_l = a sw2 d<phi^2>/dK at K^(l-1)   (M^(l,k) = mu_l for every k < l: rows constant)
 *   Pi(l,j) = prod_{m=j+1}^{l} (1 + mu_m) (= sum_{k=j}^{l} R^(k,j), the column sums of R)
 *   S^l = sum_{k<=l} delta C^k obeys S^l = (1 + mu_l) S^(l-1) + eta^l  (eta: intrinsic noise)
 *   Q_l   = N Cov(S^(l-1), eta^l)     = sum_{j<l} Pi(l-1,j) V^(l,j)
 *   Mem_l = sum_{j<l} Pi(l-1,j) dV^(l,j)/dD
 * and everything is an O(L) recursion once Q_l and Mem_l are known. Those two O(L^2) sums are
 * computed either pairwise (closed forms for relu and linear; Gaussian quadrature otherwise) or,
 * for any activation, in O(L n log n) by a heat flow: U_l(y) = E[A^(l-1) delta(h^(l-1) - y)],
 * A^l = (1 + mu_l) A^(l-1) + g^l(h^(l-1)) - m^l, propagated layer to layer by the Gaussian
 * transition kernel of the single-neuron random walk (an FFT multiplier on a uniform grid), so
 * that Q_l = int g U_l dy and Mem_l = (1/2) int g U_l'' dy. Two inputs: the same with 2x2
 * kernels (three entries 11, 12, 22), 3x3 blocks and a 2D grid.
 */
import FFT from 'fft.js';
import { Network, branchFactor, withChanges } from '../model/network';
import { NumericalError } from '../model/errors';
import { Activation } from '../model/activation';
import { float64 } from '../numeric/field';
import { float64Interp } from '../interpret/numeric';
import { expect1F64, expect2F64 } from '../numeric/gaussian';
import { phiSquare } from './moments';
import { meanFieldKernels, KernelTable } from './kernel';
import { plainMath } from '../numeric/plainMath';
import { progressTick } from '../io/progress';
// A plain-object copy of Math: under jest the global Math is a proxy and each Math.* access costs ~1 us.
const Math = plainMath();

export interface OneLoopTable {
  k1: (number | null)[];
  c1: (number | null)[];
  varC: (number | null)[];
  varK: (number | null)[];
  c1_curvature: (number | null)[];
  k1_12?: (number | null)[];
  c1_12?: (number | null)[];
  varC_12?: (number | null)[];
  varK_12?: (number | null)[];
  /** How the numbers were obtained (not part of the validator's interface). */
  info?: OneLoopInfo;
}

export interface OneLoopInfo {
  /** 'closed-form' | 'grid' | 'grid+richardson' | 'pairwise-quadrature' | 'feed-forward' */
  method: string;
  gridStep?: number;
  gridPoints?: number;
  /** Richardson runs: max |T(h/2) - T(h)| / 3 over the table, relative to max |entry|. */
  errorEstimate?: number;
  method12?: string;
  /** The two-input grid's first step along its first axis. */
  gridStep12?: number;
  /** The largest number of points of one stage of the two-input grid (n1 x n2). */
  gridPoints12?: number;
  errorEstimate12?: number;
  /** The finest two-input grid used (pass it back as `grid12` to evaluate on the same grid). */
  grid12?: Grid2;
  /** Why the lazily computed _12 arrays are undefined, when they are. */
  note12?: string;
}

export interface OneLoopOptions {
  /** Compute the off-diagonal (_12) arrays now (otherwise they are computed on first access). */
  twoInputs?: boolean;
  /**
   * 'auto' (default): closed forms for relu/linear, heat-flow grid otherwise.
   * 'grid': the heat-flow grid for every activation. 'pairwise': O(L^2) Gaussian quadratures
   * (one input, residual; activations whose phi^2 is C^1; for cross-checks).
   */
  method?: 'auto' | 'grid' | 'pairwise';
  /** Grid step of the heat-flow grid (default: chosen from the kernel and the activation). */
  gridStep?: number;
  /** For kinked activations on the grid: Richardson extrapolation h, h/2 (default true). */
  richardson?: boolean;
  /** Force the (finest) two-input grid, e.g. the `info.grid12` of an earlier run (finite differences in c0). */
  grid12?: Grid2;
}

/** alpha^2 sw2 L / N (residual) or L / N (feed-forward): the one-loop expansion needs it small. */
export function oneLoopExpansionParameter(net: Network, N: number): number {
  const P = params(net);
  return net.skip === 'none' ? P.L / N : (P.a * P.sw2 * P.L) / N;
}

// =======================================================================================
// Parameters and mean field

interface Params {
  act: Activation;
  a: number;
  sw2: number;
  sb2: number;
  L: number;
  q0: number;
  c0: number;
  residual: boolean;
}

function params(net: Network): Params {
  return {
    act: net.act,
    a: branchFactor(float64, net),
    sw2: Number(net.sw2),
    sb2: Number(net.sb2),
    L: net.depth,
    q0: Number(net.q0),
    c0: Number(net.c0),
    residual: net.skip !== 'none',
  };
}

/** One-input mean field: K[0..L], C[1..L] (C[0] = NaN). */
function meanField1(P: Params): { K: number[]; C: number[] } {
  const K = [P.q0];
  const C = [NaN];
  for (let l = 1; l <= P.L; l++) {
    const c = P.sb2 + P.sw2 * phiSquare(float64Interp, P.act, K[l - 1]);
    C.push(c);
    const k = P.residual ? K[l - 1] + P.a * c : c;
    if (!Number.isFinite(k) || !(k > 0)) throw new NumericalError(`one-loop: the mean-field kernel left the positive finite numbers at layer ${l}`, l);
    K.push(k);
  }
  return { K, C };
}

type Kind = 'relu' | 'linear' | 'other';
function kindOf(act: Activation): Kind {
  if (act.name === 'relu') return 'relu';
  if (act.name === 'linear') return 'linear';
  return 'other';
}

// =======================================================================================
// Per-layer one-input Gaussian quantities (no second derivatives of phi: Gaussian weights)

interface LayerMoments {
  /** <phi^2>, d<phi^2>/dK, d^2<phi^2>/dK^2, Var(phi^2), Cov(phi^2, u^2), u ~ N(0, K). */
  e: number;
  d1: number;
  d2: number;
  v: number;
  cu: number;
}

function layerMoments(act: Activation, K: number): LayerMoments {
  const k = kindOf(act);
  if (k === 'relu') return { e: K / 2, d1: 0.5, d2: 0, v: (5 / 4) * K * K, cu: K * K };
  if (k === 'linear') return { e: K, d1: 1, d2: 0, v: 2 * K * K, cu: 2 * K * K };
  const kinks = act.kinks;
  const f = (x: number) => {
    const p = act.f64(x);
    return p * p;
  };
  const E = (fn: (x: number) => number) => expect1F64(fn, K, { kinks, tol: 1e-13 }).value;
  const e = E(f);
  const d1 = E((x) => f(x) * (x * x / K - 1)) / (2 * K);
  const d2 = E((x) => {
    const t2 = (x * x) / K;
    return f(x) * (t2 * t2 - 6 * t2 + 3);
  }) / (4 * K * K);
  const e2 = E((x) => f(x) * f(x));
  const eu = E((x) => f(x) * x * x);
  return { e, d1, d2, v: e2 - e * e, cu: eu - e * K };
}

// =======================================================================================
// Assembly (one input)

interface Res1Layers {
  mu: number[];
  d2m: number[];
  Vll: number[];
  u: number[];
  Q: number[];
  Mem: number[];
}

function assembleResidual1(P: Params, K: number[], lay: Res1Layers): OneLoopTable {
  const { a, L } = P;
  const k1: (number | null)[] = [0];
  const c1: (number | null)[] = [null];
  const varC: (number | null)[] = [null];
  const varK: (number | null)[] = [2 * P.q0 * P.q0];
  const c1c: (number | null)[] = [null];
  let VarS = 0;
  let B = 0;
  let Sc = 0;
  let Scc = 0;
  for (let l = 1; l <= L; l++) {
    const mu = lay.mu[l];
    const Q = lay.Q[l];
    const sCurv = 0.5 * lay.d2m[l] * a * a * VarS;
    const s = sCurv + a * lay.Mem[l];
    varC.push(lay.Vll[l] + 2 * mu * Q + mu * mu * VarS);
    const c = s + mu * Sc;
    const cc = sCurv + mu * Scc;
    Sc += c;
    Scc += cc;
    c1.push(c);
    c1c.push(cc);
    VarS = (1 + mu) * (1 + mu) * VarS + 2 * (1 + mu) * Q + lay.Vll[l];
    B = (1 + mu) * B + lay.u[l];
    k1.push(a * Sc);
    varK.push(a * a * VarS + 2 * K[l] * K[l] + 2 * a * B);
  }
  return { k1, c1, varC, varK, c1_curvature: c1c };
}

function feedForward1(P: Params): OneLoopTable {
  const { K, C } = meanField1(P);
  const { sw2, L } = P;
  const k1: (number | null)[] = [0];
  const c1: (number | null)[] = [null];
  const varC: (number | null)[] = [null];
  const varK: (number | null)[] = [2 * P.q0 * P.q0];
  let vPrev = 0;
  let cPrev = 0;
  for (let l = 1; l <= L; l++) {
    const lm = layerMoments(P.act, K[l - 1]);
    const mu = l >= 2 ? sw2 * lm.d1 : 0;
    const v = sw2 * sw2 * lm.v + mu * mu * vPrev;
    const s = l >= 2 ? 0.5 * sw2 * lm.d2 * vPrev : 0;
    const c = s + mu * cPrev;
    c1.push(c);
    k1.push(c);
    varC.push(v);
    varK.push(v + 2 * C[l] * C[l]);
    vPrev = v;
    cPrev = c;
  }
  return { k1, c1, varC, varK, c1_curvature: c1.slice() };
}

// =======================================================================================
// Pairwise sums (closed forms or quadrature): O(L^2)

type PairFn = (K1: number, K2: number) => { V: number; dV: number };

function reluPair(sw2: number): PairFn {
  const s4 = sw2 * sw2;
  return (K1, K2) => {
    // x ~ N(0, K1), y = x + z, Var y = K2, cos(theta) = sqrt(K1/K2)
    const th = Math.atan2(Math.sqrt(Math.max(K2 - K1, 0)), Math.sqrt(K1));
    const c = Math.cos(th);
    const s = Math.sin(th);
    const J2 = 3 * s * c + (Math.PI - th) * (1 + 2 * c * c);
    const V = s4 * ((K1 * K2 * J2) / (2 * Math.PI) - (K1 * K2) / 4);
    const dV = s4 * ((K1 * (Math.PI - th + s * c)) / (2 * Math.PI) - K1 / 4);
    return { V, dV };
  };
}

function linearPair(sw2: number): PairFn {
  return (K1) => ({ V: 2 * sw2 * sw2 * K1 * K1, dV: 0 });
}

/** Quadrature pairs: V = sw2^2 Cov(phi^2(x), phi^2(y)); dV = (sw2^2/2) Cov(phi^2(x), (phi^2)''(y)). */
function quadraturePair(act: Activation, sw2: number): PairFn {
  if (act.continuity === 'discontinuous') throw new NumericalError('one-loop pairwise quadrature needs a continuous activation (use the grid method)');
  const d1 = act.derivative();
  const d2 = d1.derivative();
  const kinks = act.kinks;
  const F = (x: number) => {
    const p = act.f64(x);
    return p * p;
  };
  const F2 = (x: number) => {
    const p = act.f64(x);
    const q = d1.f64(x);
    return 2 * (q * q + p * d2.f64(x));
  };
  const s4 = sw2 * sw2;
  const cache = new Map<number, { e: number; e2: number }>();
  const one = (K: number) => {
    let r = cache.get(K);
    if (!r) {
      r = { e: expect1F64(F, K, { kinks, tol: 1e-12 }).value, e2: expect1F64(F2, K, { kinks, tol: 1e-12 }).value };
      cache.set(K, r);
    }
    return r;
  };
  return (K1, K2) => {
    const a = one(K1);
    const b = one(K2);
    const eFF = expect2F64(F, F, K1, K1, K2, { kinksF: kinks, kinksG: kinks, tol: 1e-11 }).value;
    const eFF2 = expect2F64(F, F2, K1, K1, K2, { kinksF: kinks, kinksG: kinks, tol: 1e-11 }).value;
    return { V: s4 * (eFF - a.e * b.e), dV: 0.5 * s4 * (eFF2 - a.e * b.e2) };
  };
}

function residual1Pairwise(P: Params, pair: PairFn, method: string): OneLoopTable {
  const { K } = meanField1(P);
  const { a, sw2, L } = P;
  const lay: Res1Layers = { mu: [NaN], d2m: [NaN], Vll: [NaN], u: [NaN], Q: [NaN], Mem: [NaN] };
  for (let l = 1; l <= L; l++) {
    const lm = layerMoments(P.act, K[l - 1]);
    lay.mu.push(a * sw2 * lm.d1);
    lay.d2m.push(sw2 * lm.d2);
    lay.Vll.push(sw2 * sw2 * lm.v);
    lay.u.push(sw2 * lm.cu);
  }
  for (let l = 1; l <= L; l++) {
    let Q = 0;
    let Mem = 0;
    let Pi = 1; // Pi(l-1, j) for j = l-1, l-2, ...
    for (let j = l - 1; j >= 1; j--) {
      const r = pair(K[j - 1], K[l - 1]);
      Q += Pi * r.V;
      Mem += Pi * r.dV;
      Pi *= 1 + lay.mu[j];
    }
    lay.Q.push(Q);
    lay.Mem.push(Mem);
  }
  const t = assembleResidual1(P, K, lay);
  t.info = { method };
  return t;
}

// =======================================================================================
// FFT helpers

const fftCache = new Map<number, FFT>();
function fftOf(n: number): FFT {
  let f = fftCache.get(n);
  if (!f) {
    f = new FFT(n);
    fftCache.set(n, f);
  }
  return f;
}

/** Forward DFT of a real array (length n) into an interleaved complex array (length 2n). */
function fftReal(x: Float64Array, out: Float64Array): void {
  const n = x.length;
  const f = fftOf(n);
  f.realTransform(out, x);
  f.completeSpectrum(out);
}

/** Angular frequencies of an n-point grid of step h (numpy fftfreq order). */
function omegas(n: number, h: number): Float64Array {
  const w = new Float64Array(n);
  for (let k = 0; k < n; k++) w[k] = ((2 * Math.PI) / (n * h)) * (k < n / 2 ? k : k - n);
  return w;
}

const R_TAIL = 10;
const R_TAIL2 = 9;
const MAX_N1 = 1 << 20;
const MAX_POINTS2 = 1 << 21;
/**
 * Two-input grid step, in standard deviations of the narrowest kernel it must resolve. The
 * carried fields are acted on in Fourier space (heat kernel, derivatives), so what matters is
 * their spectrum at the Nyquist frequency pi/h, exp(-pi^2 s^2 / (2 h^2)) for a Gaussian of
 * standard deviation s: below 1e-14 for h <= 0.39 s.
 */
const STEP_SIGMAS = 0.39;

function nextPow2(x: number): number {
  return 1 << Math.max(4, Math.ceil(Math.log2(x)));
}

function defaultStep(act: Activation, Kmin: number): number {
  const hAct = act.continuity === 'smooth' ? 0.2 : 0.1;
  return Math.min(hAct, 0.45 * Math.sqrt(Kmin));
}

// =======================================================================================
// Heat flow, one input

function residual1Grid(P: Params, h: number): { t: OneLoopTable; n: number } {
  const { K, C } = meanField1(P);
  const { a, sw2, L } = P;
  const Kmax = K[L];
  const half = R_TAIL * Math.sqrt(Kmax) + 2;
  const n = nextPow2((2 * half) / h);
  if (n > MAX_N1) throw new NumericalError(`one-loop heat-flow grid would need ${n} points (kernel variance ${Kmax.toExponential(3)} at step ${h}); not supported`);
  const y = new Float64Array(n);
  const g = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = (i - n / 2) * h;
    const f = P.act.f64(y[i]);
    g[i] = sw2 * f * f;
    if (!Number.isFinite(g[i])) throw new NumericalError(`one-loop: phi not finite at ${y[i]}`);
  }
  const G = new Float64Array(2 * n);
  fftReal(g, G);
  const w = omegas(n, h);
  const w2 = new Float64Array(n);
  for (let k = 0; k < n; k++) w2[k] = w[k] * w[k];
  const U = new Float64Array(2 * n);
  const src = new Float64Array(n);
  const S = new Float64Array(2 * n);
  const lay: Res1Layers = { mu: [NaN], d2m: [NaN], Vll: [NaN], u: [NaN], Q: [NaN], Mem: [NaN] };
  const norm = h / n;
  for (let l = 1; l <= L; l++) {
    progressTick(l, L);
    const Kp = K[l - 1];
    const cst = h / Math.sqrt(2 * Math.PI * Kp);
    let Eg = 0;
    let E1 = 0;
    let E2 = 0;
    let Egg = 0;
    let Egy = 0;
    for (let i = 0; i < n; i++) {
      const t2 = (y[i] * y[i]) / Kp;
      if (t2 > 2 * 745) {
        src[i] = 0;
        continue;
      }
      const pw = cst * Math.exp(-0.5 * t2);
      src[i] = pw;
      const gp = g[i] * pw;
      Eg += gp;
      E1 += gp * (t2 - 1);
      E2 += gp * (t2 * t2 - 6 * t2 + 3);
      Egg += gp * g[i];
      Egy += gp * y[i] * y[i];
    }
    const dm = E1 / (2 * Kp);
    lay.mu.push(a * dm);
    lay.d2m.push(E2 / (4 * Kp * Kp));
    lay.Vll.push(Egg - Eg * Eg);
    lay.u.push(Egy - Eg * Kp);
    let Q = 0;
    let Mem = 0;
    for (let k = 0; k < n; k++) {
      const re = G[2 * k] * U[2 * k] + G[2 * k + 1] * U[2 * k + 1];
      Q += re;
      Mem += re * w2[k];
    }
    lay.Q.push(norm * Q);
    lay.Mem.push(-0.5 * norm * Mem);
    // U <- heat_{a C^l} [ (1 + mu) U + (g - Eg) p ]   (densities per unit length)
    const inv = 1 / h;
    for (let i = 0; i < n; i++) src[i] = (g[i] - Eg) * src[i] * inv;
    fftReal(src, S);
    const f = 1 + a * dm;
    const D = a * C[l];
    for (let k = 0; k < n; k++) {
      const e = Math.exp(-0.5 * D * w2[k]);
      U[2 * k] = e * (f * U[2 * k] + S[2 * k]);
      U[2 * k + 1] = e * (f * U[2 * k + 1] + S[2 * k + 1]);
    }
  }
  return { t: assembleResidual1(P, K, lay), n };
}

/** Richardson: (4 T(h/2) - T(h)) / 3 over every numeric entry; error estimate |T(h/2)-T(h)|/3. */
function richardson(t1: OneLoopTable, t2: OneLoopTable, keys: (keyof OneLoopTable)[]): { t: OneLoopTable; err: number } {
  const out: Record<string, (number | null)[]> = {};
  let err = 0;
  let scale = 0;
  for (const key of keys) {
    const A = t1[key] as (number | null)[] | undefined;
    const B = t2[key] as (number | null)[] | undefined;
    if (!A || !B) continue;
    out[key] = A.map((x, i) => {
      const yv = B[i];
      if (x === null || yv === null) return null;
      err = Math.max(err, Math.abs(yv - x) / 3);
      scale = Math.max(scale, Math.abs(yv));
      return (4 * yv - x) / 3;
    });
  }
  return { t: out as unknown as OneLoopTable, err: scale > 0 ? err / scale : err };
}

const KEYS1: (keyof OneLoopTable)[] = ['k1', 'c1', 'varC', 'varK', 'c1_curvature'];

function residual1ByGrid(P: Params, opts: OneLoopOptions): OneLoopTable {
  let h = opts.gridStep ?? defaultStep(P.act, P.q0);
  const smooth = P.act.continuity === 'smooth';
  if (opts.gridStep === undefined && smooth) h = resolvedStep(P, h);
  if (smooth || opts.richardson === false) {
    const r = residual1Grid(P, h);
    r.t.info = { method: 'grid', gridStep: h, gridPoints: r.n };
    return r.t;
  }
  const r1 = residual1Grid(P, h);
  const r2 = residual1Grid(P, h / 2);
  const rr = richardson(r1.t, r2.t, KEYS1);
  rr.t.info = { method: 'grid+richardson', gridStep: h / 2, gridPoints: r2.n, errorEstimate: rr.err };
  return rr.t;
}

/**
 * Self-check of the grid resolution for smooth activations: the grid's <phi^2> and <phi^4> at
 * the input variance must equal the adaptive quadrature's; halve the step until they do.
 */
function resolvedStep(P: Params, h0: number): number {
  const resolves = trapezoidCheck(P.act, P.q0);
  let h = h0;
  for (let it = 0; it < 6; it++) {
    if (resolves(h)) return h;
    h /= 2;
  }
  return h;
}

// =======================================================================================
// Two inputs: 2D grid (y1, y2), entries e = 0 (11), 1 (12), 2 (22)

type M3 = number[][];
const zeros3 = (): M3 => [
  [0, 0, 0],
  [0, 0, 0],
  [0, 0, 0],
];
function mul3(A: M3, B: M3): M3 {
  const C = zeros3();
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) C[i][j] = A[i][0] * B[0][j] + A[i][1] * B[1][j] + A[i][2] * B[2][j];
  return C;
}
function tr3(A: M3): M3 {
  return [0, 1, 2].map((i) => [A[0][i], A[1][i], A[2][i]]);
}
function add3(...As: M3[]): M3 {
  const C = zeros3();
  for (const A of As) for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) C[i][j] += A[i][j];
  return C;
}
function mv3(A: M3, v: number[]): number[] {
  return [0, 1, 2].map((i) => A[i][0] * v[0] + A[i][1] * v[1] + A[i][2] * v[2]);
}

export interface Table12 {
  k1: (number | null)[];
  c1: (number | null)[];
  varC: (number | null)[];
  varK: (number | null)[];
}

type MF2 = KernelTable<number>;

/** The last layer's one-loop data of the three kernel entries (11, 12, 22): lim N (E K_hat - K) and lim N Cov(K_hat_e, K_hat_f). */
export interface LastLayer12 {
  k1: number[];
  cov: number[][];
}

/** lim N Cov of the Gaussian (Wick) part: entries e = (a,b), f = (c,d) of h h^T with covariance [[k11,k12],[k12,k22]]. */
function wick3(k11: number, k12: number, k22: number): M3 {
  const K = [
    [k11, k12],
    [k12, k22],
  ];
  const ix = [
    [0, 0],
    [0, 1],
    [1, 1],
  ];
  return ix.map(([a, b]) => ix.map(([c, d]) => K[a][c] * K[b][d] + K[a][d] * K[b][c]));
}

/**
 * The grid of the two-input heat flow, either on the axes (y1, y2) or rotated, on the principal
 * axes (u, v) = ((y1 + y2)/sqrt 2, (y1 - y2)/sqrt 2). The two inputs have equal variances, so u
 * and v are the principal axes of every kernel; when the inputs are strongly correlated the
 * v-direction is narrow (variance q (1 - c)) and needs a fine step only there.
 *
 * A residual network's kernel widens layer by layer, so the grid changes with depth: a stage is
 * an n1 x n2 grid of steps h1, h2 (centred, position 0 a grid point) used from layer `from` on.
 * Along each axis a later stage's step is the earlier one times a power of 2, so every point of
 * the new grid inside the old one is an old grid point and the fields carried from layer to
 * layer are transferred exactly (zero outside the old range, where they are below the tail
 * cut). Early layers get a fine, narrow grid; deep layers a wide, coarser one.
 */
export interface Grid2 {
  rotated: boolean;
  /** Ascending in `from`; the first stage has from = 1. */
  stages: GridStage[];
}

export interface GridStage {
  /** First layer computed on this grid. */
  from: number;
  n1: number;
  n2: number;
  h1: number;
  h2: number;
}

/** The same schedule with every step divided by 2^k (k < 0: multiplied), the ranges unchanged. */
export function refineGrid2(grid: Grid2, k: number): Grid2 {
  const f = 2 ** k;
  return { rotated: grid.rotated, stages: grid.stages.map((s) => ({ from: s.from, n1: Math.max(2, Math.round(s.n1 * f)), n2: Math.max(2, Math.round(s.n2 * f)), h1: s.h1 / f, h2: s.h2 / f })) };
}

/**
 * The grid to check a result against: all steps halved when that grid is supported, otherwise
 * all doubled (a pessimistic check: the coarser grid's own error dominates the difference).
 */
export function comparisonGrid2(grid: Grid2, L: number): Grid2 {
  const finer = refineGrid2(grid, 1);
  return gridSize2(finer, L).maxPoints <= MAX_POINTS2 ? finer : refineGrid2(grid, -1);
}

/** Largest number of points of one stage and the total work sum over layers of n1 n2. */
export function gridSize2(grid: Grid2, L: number): { maxPoints: number; work: number } {
  let maxPoints = 0;
  let work = 0;
  grid.stages.forEach((s, i) => {
    const to = i + 1 < grid.stages.length ? grid.stages[i + 1].from - 1 : L;
    maxPoints = Math.max(maxPoints, s.n1 * s.n2);
    work += Math.max(0, to - s.from + 1) * s.n1 * s.n2;
  });
  return { maxPoints, work };
}

/** Is h'/h a power of 2 (>= 1)? */
function powerOf2Ratio(hNew: number, hOld: number): number {
  const m = Math.round(Math.log2(hNew / hOld));
  if (m < 0 || Math.abs(hNew / hOld / 2 ** m - 1) > 1e-9) return -1;
  return 2 ** m;
}

function checkGrid2(grid: Grid2, L: number): void {
  const s = grid.stages;
  if (!Array.isArray(s) || s.length === 0 || s[0].from !== 1) throw new RangeError('grid12: needs stages, the first with from = 1');
  for (let i = 0; i < s.length; i++) {
    const g = s[i];
    for (const n of [g.n1, g.n2]) if (!(Number.isInteger(n) && n >= 2 && (n & (n - 1)) === 0)) throw new RangeError(`grid12: stage ${i}: n1, n2 must be powers of 2, got ${g.n1} x ${g.n2}`);
    if (!(g.h1 > 0 && g.h2 > 0)) throw new RangeError(`grid12: stage ${i}: steps must be positive`);
    if (i > 0) {
      if (!(g.from > s[i - 1].from && g.from <= L)) throw new RangeError(`grid12: stage ${i}: 'from' must increase and be at most the depth`);
      if (powerOf2Ratio(g.h1, s[i - 1].h1) < 0 || powerOf2Ratio(g.h2, s[i - 1].h2) < 0) throw new RangeError(`grid12: stage ${i}: each step must be the previous one times a power of 2 (>= 1)`);
    }
  }
  const { maxPoints } = gridSize2(grid, L);
  if (maxPoints > MAX_POINTS2) {
    const big = s.find((g) => g.n1 * g.n2 === maxPoints) as GridStage;
    throw new NumericalError(
      `the two-input one-loop grid would need ${big.n1} x ${big.n2} points from layer ${big.from} on (steps ${big.h1.toPrecision(3)}, ${big.h2.toPrecision(3)}; at most ${MAX_POINTS2} points are supported): ` +
        'the kernel is too wide for the resolution it needs; two-input and finite-width (--width) numbers need a smaller depth or alpha',
    );
  }
}

/** 2D complex DFT (forward, or inverse with 1/(n1 n2)) of an n1 x n2 row-major interleaved array, in place. */
function fft2(data: Float64Array, n1: number, n2: number, inverse: boolean, buf: Float64Array, bufOut: Float64Array): void {
  const fr = fftOf(n2);
  const rb = buf.subarray(0, 2 * n2);
  const ro = bufOut.subarray(0, 2 * n2);
  for (let i = 0; i < n1; i++) {
    const row = data.subarray(2 * n2 * i, 2 * n2 * (i + 1));
    rb.set(row);
    if (inverse) fr.inverseTransform(ro, rb);
    else fr.transform(ro, rb);
    row.set(ro);
  }
  const fc = fftOf(n1);
  const cb = buf.subarray(0, 2 * n1);
  const co = bufOut.subarray(0, 2 * n1);
  for (let j = 0; j < n2; j++) {
    for (let i = 0; i < n1; i++) {
      cb[2 * i] = data[2 * (n2 * i + j)];
      cb[2 * i + 1] = data[2 * (n2 * i + j) + 1];
    }
    if (inverse) fc.inverseTransform(co, cb);
    else fc.transform(co, cb);
    for (let i = 0; i < n1; i++) {
      data[2 * (n2 * i + j)] = co[2 * i];
      data[2 * (n2 * i + j) + 1] = co[2 * i + 1];
    }
  }
}

/** A field in Fourier form on grid `from`, carried to grid `to` (exact at shared points; zero outside the old range). */
function transferField(hat: Float64Array, from: GridStage, to: GridStage, buf: Float64Array, bufOut: Float64Array): Float64Array {
  fft2(hat, from.n1, from.n2, true, buf, bufOut);
  const out = new Float64Array(2 * to.n1 * to.n2);
  const r1 = powerOf2Ratio(to.h1, from.h1);
  const r2 = powerOf2Ratio(to.h2, from.h2);
  for (let i = 0; i < to.n1; i++) {
    const io = from.n1 / 2 + (i - to.n1 / 2) * r1;
    if (io < 0 || io >= from.n1) continue;
    for (let j = 0; j < to.n2; j++) {
      const jo = from.n2 / 2 + (j - to.n2 / 2) * r2;
      if (jo < 0 || jo >= from.n2) continue;
      out[2 * (to.n2 * i + j)] = hat[2 * (from.n2 * io + jo)];
    }
  }
  fft2(out, to.n1, to.n2, false, buf, bufOut);
  return out;
}

/** The DFTs X, Y of two real fields from the DFT Z of x + i y: X = (Z_k + conj Z_-k)/2, Y = (Z_k - conj Z_-k)/(2i). */
function unpack2(Z: Float64Array, n1: number, n2: number, X: Float64Array, Y: Float64Array): void {
  for (let i = 0; i < n1; i++) {
    const im = i === 0 ? 0 : n1 - i;
    for (let j = 0; j < n2; j++) {
      const jm = j === 0 ? 0 : n2 - j;
      const k = 2 * (n2 * i + j);
      const km = 2 * (n2 * im + jm);
      const zr = Z[k], zi = Z[k + 1], wr = Z[km], wi = Z[km + 1];
      X[k] = 0.5 * (zr + wr);
      X[k + 1] = 0.5 * (zi - wi);
      Y[k] = 0.5 * (zi + wi);
      Y[k + 1] = 0.5 * (wr - zr);
    }
  }
}

function twoInputGrid(mf: MF2, P: Params, grid: Grid2): { t: Table12; t11: Table12; last: LastLayer12 } {
  const { a, sw2, L } = P;
  const Kl = (l: number) => ({ k11: mf.q[l], k12: mf.k12[l] });
  checkGrid2(grid, L);
  let maxN = 0;
  for (const s of grid.stages) maxN = Math.max(maxN, s.n1, s.n2);
  const buf = new Float64Array(2 * maxN);
  const bufOut = new Float64Array(2 * maxN);
  const r2 = Math.SQRT1_2;
  // per stage: positions y1, y2 and the activation there; Fourier frequencies w1, w2 conjugate to y1, y2
  let st = grid.stages[0];
  let n1 = 0, n2 = 0, nn = 0, hA = 0, hB = 0, h2 = 0, norm = 0;
  let Y1 = new Float64Array(0), Y2 = Y1, F1 = Y1, F2 = Y1, W1 = Y1, W2 = Y1;
  // the axes' positions and frequencies (rotated grids: the density and the heat kernel factorise on them)
  let xA: Float64Array = Y1, xB: Float64Array = Y1, wA: Float64Array = Y1, wB: Float64Array = Y1;
  let pA: Float64Array = Y1, pB: Float64Array = Y1, eA: Float64Array = Y1, eB: Float64Array = Y1;
  let packA = Y1, packB = Y1;
  let g: Float64Array[] = [];
  let G: Float64Array[] = [];
  let p = Y1, phat = Y1;
  let src: Float64Array[] = [];
  const toHat = (x: Float64Array, out: Float64Array) => {
    for (let k = 0; k < nn; k++) {
      out[2 * k] = x[k];
      out[2 * k + 1] = 0;
    }
    fft2(out, n1, n2, false, buf, bufOut);
  };
  const setup = (s: GridStage) => {
    st = s;
    ({ n1, n2, h1: hA, h2: hB } = s);
    nn = n1 * n2;
    h2 = hA * hB;
    norm = h2 / nn;
    Y1 = new Float64Array(nn);
    Y2 = new Float64Array(nn);
    F1 = new Float64Array(nn);
    F2 = new Float64Array(nn);
    W1 = new Float64Array(nn);
    W2 = new Float64Array(nn);
    wA = omegas(n1, hA);
    wB = omegas(n2, hB);
    xA = new Float64Array(n1).map((_, i) => (i - n1 / 2) * hA);
    xB = new Float64Array(n2).map((_, j) => (j - n2 / 2) * hB);
    pA = new Float64Array(n1);
    pB = new Float64Array(n2);
    eA = new Float64Array(n1);
    eB = new Float64Array(n2);
    for (let i = 0; i < n1; i++)
      for (let j = 0; j < n2; j++) {
        const idx = n2 * i + j;
        const A = (i - n1 / 2) * hA;
        const B = (j - n2 / 2) * hB;
        if (grid.rotated) {
          Y1[idx] = r2 * (A + B);
          Y2[idx] = r2 * (A - B);
          W1[idx] = r2 * (wA[i] + wB[j]);
          W2[idx] = r2 * (wA[i] - wB[j]);
        } else {
          Y1[idx] = A;
          Y2[idx] = B;
          W1[idx] = wA[i];
          W2[idx] = wB[j];
        }
        F1[idx] = P.act.f64(Y1[idx]);
        F2[idx] = P.act.f64(Y2[idx]);
      }
    g = [new Float64Array(nn), new Float64Array(nn), new Float64Array(nn)];
    for (let idx = 0; idx < nn; idx++) {
      g[0][idx] = sw2 * F1[idx] * F1[idx];
      g[1][idx] = sw2 * F1[idx] * F2[idx];
      g[2][idx] = sw2 * F2[idx] * F2[idx];
    }
    G = g.map((x) => {
      const o = new Float64Array(2 * nn);
      toHat(x, o);
      return o;
    });
    p = new Float64Array(nn);
    phat = new Float64Array(2 * nn);
    src = [new Float64Array(2 * nn), new Float64Array(2 * nn), new Float64Array(2 * nn)];
    packA = new Float64Array(2 * nn);
    packB = new Float64Array(2 * nn);
  };
  setup(grid.stages[0]);
  let nextStage = 1;
  let U: Float64Array[] = [new Float64Array(2 * nn), new Float64Array(2 * nn), new Float64Array(2 * nn)];
  let VarS = zeros3();
  let B = zeros3();
  let Sc = [0, 0, 0];
  let prevVarC = zeros3();
  let prevc1 = [0, 0, 0];
  const k1: (number | null)[] = [0];
  const c1: (number | null)[] = [null];
  const varC: (number | null)[] = [null];
  const K0 = Kl(0);
  const varK: (number | null)[] = [K0.k11 * K0.k11 + K0.k12 * K0.k12];
  const d11: Table12 = { k1: [0], c1: [null], varC: [null], varK: [2 * K0.k11 * K0.k11] };
  let last: LastLayer12 = { k1: [0, 0, 0], cov: wick3(K0.k11, K0.k12, K0.k11) };
  for (let l = 1; l <= L; l++) {
    progressTick(l, L);
    if (nextStage < grid.stages.length && grid.stages[nextStage].from === l) {
      const old = st;
      const s = grid.stages[nextStage++];
      const moved = P.residual ? U.map((x) => transferField(x, old, s, buf, bufOut)) : null;
      setup(s);
      U = moved ?? [new Float64Array(2 * nn), new Float64Array(2 * nn), new Float64Array(2 * nn)];
    }
    const { k11, k12 } = Kl(l - 1);
    const det = k11 * k11 - k12 * k12;
    if (!(det > 0)) throw new NumericalError(`two-input one-loop: the kernel is singular at layer ${l - 1} (c = 1); not supported`, l - 1);
    const i11 = k11 / det;
    const i12 = -k12 / det;
    const cst = h2 / (2 * Math.PI * Math.sqrt(det));
    const rot = grid.rotated;
    if (rot) {
      // principal axes: variances k11 + k12 (u) and k11 - k12 (v); the density is pA(u) pB(v)
      const ku = k11 + k12;
      const kv = k11 - k12;
      for (let i = 0; i < n1; i++) pA[i] = Math.exp((-0.5 * xA[i] * xA[i]) / ku) / Math.sqrt(2 * Math.PI * ku);
      for (let j = 0; j < n2; j++) pB[j] = Math.exp((-0.5 * xB[j] * xB[j]) / kv) / Math.sqrt(2 * Math.PI * kv);
    }
    // exp(-50) of the peak: below every tolerance, also against g ~ y^4
    const pCut = (Math.exp(-50) * cst) / h2;
    // real-space moments: E g_e, E g_e g_f, E g_f y_a y_b
    let E0 = 0, E1 = 0, E2 = 0;
    let G00 = 0, G01 = 0, G02 = 0, G11 = 0, G12 = 0, G22 = 0;
    let Y00 = 0, Y01 = 0, Y02 = 0, Y10 = 0, Y11 = 0, Y12 = 0, Y20 = 0, Y21 = 0, Y22 = 0;
    for (let i = 0; i < n1; i++) {
      const pai = pA[i];
      for (let j = 0; j < n2; j++) {
        const idx = n2 * i + j;
        const yi = Y1[idx];
        const fi = F1[idx];
        const yj = Y2[idx];
        let dens: number;
        if (rot) {
          dens = pai * pB[j];
        } else {
          const qf = i11 * yi * yi + 2 * i12 * yi * yj + i11 * yj * yj;
          dens = qf > 100 ? 0 : (cst / h2) * Math.exp(-0.5 * qf);
        }
        if (dens < pCut) {
          p[idx] = 0;
          continue;
        }
        p[idx] = dens;
        const pw = dens * h2;
        const fj = F2[idx];
        const g0 = sw2 * fi * fi;
        const g1 = sw2 * fi * fj;
        const g2 = sw2 * fj * fj;
        const q0 = g0 * pw;
        const q1 = g1 * pw;
        const q2 = g2 * pw;
        E0 += q0;
        E1 += q1;
        E2 += q2;
        G00 += q0 * g0;
        G01 += q0 * g1;
        G02 += q0 * g2;
        G11 += q1 * g1;
        G12 += q1 * g2;
        G22 += q2 * g2;
        const u0 = yi * yi;
        const u1 = yi * yj;
        const u2 = yj * yj;
        Y00 += q0 * u0;
        Y01 += q0 * u1;
        Y02 += q0 * u2;
        Y10 += q1 * u0;
        Y11 += q1 * u1;
        Y12 += q1 * u2;
        Y20 += q2 * u0;
        Y21 += q2 * u1;
        Y22 += q2 * u2;
      }
    }
    const Eg = [E0, E1, E2];
    const V: M3 = [
      [G00 - E0 * E0, G01 - E0 * E1, G02 - E0 * E2],
      [G01 - E0 * E1, G11 - E1 * E1, G12 - E1 * E2],
      [G02 - E0 * E2, G12 - E1 * E2, G22 - E2 * E2],
    ];
    const Kv = [k11, k12, k11];
    const Egyy: M3 = [
      [Y00, Y01, Y02],
      [Y10, Y11, Y12],
      [Y20, Y21, Y22],
    ];
    const Um = zeros3(); // [f][e] = Cov(g_f, y_a y_b)
    for (let f = 0; f < 3; f++) for (let e = 0; e < 3; e++) Um[f][e] = Egyy[f][e] - Eg[f] * Kv[e];
    // Fourier transforms of p and of the sources (g_f - E g_f) p, two real fields per complex FFT
    for (let k = 0; k < nn; k++) {
      const pk = p[k];
      packA[2 * k] = pk;
      packA[2 * k + 1] = (g[2][k] - E2) * pk;
      packB[2 * k] = (g[0][k] - E0) * pk;
      packB[2 * k + 1] = (g[1][k] - E1) * pk;
    }
    fft2(packA, n1, n2, false, buf, bufOut);
    fft2(packB, n1, n2, false, buf, bufOut);
    unpack2(packA, n1, n2, phat, src[2]);
    unpack2(packB, n1, n2, src[0], src[1]);
    // J[e][f] = d m_e / d K_f and H[e][f][f'] via the Fourier multipliers of the heat operators
    // L_11 = (1/2) d1^2, L_12 = d1 d2, L_22 = (1/2) d2^2; Q[f][e] = int g_e U_f, Mem_e = sum_f int g_e L_f U_f
    const Jf = new Float64Array(9);
    const Hf = new Float64Array(18); // [e][pair], pairs (00,01,02,11,12,22)
    const Qf = new Float64Array(9); // [f][e]
    const Mf = new Float64Array(3);
    const G0 = G[0], G1 = G[1], G2 = G[2];
    const U0 = U[0], U1 = U[1], U2 = U[2];
    const res = P.residual;
    {
      for (let idx = 0; idx < nn; idx++) {
        const k = 2 * idx;
        const wi = W1[idx];
        const wj = W2[idx];
        const m0 = -0.5 * wi * wi;
        const m1 = -wi * wj;
        const m2 = -0.5 * wj * wj;
        const pr = phat[k];
        const pim = phat[k + 1];
        const gp0 = G0[k] * pr + G0[k + 1] * pim;
        const gp1 = G1[k] * pr + G1[k + 1] * pim;
        const gp2 = G2[k] * pr + G2[k + 1] * pim;
        const mm00 = m0 * m0, mm01 = m0 * m1, mm02 = m0 * m2, mm11 = m1 * m1, mm12 = m1 * m2, mm22 = m2 * m2;
        Jf[0] += gp0 * m0; Jf[1] += gp0 * m1; Jf[2] += gp0 * m2;
        Jf[3] += gp1 * m0; Jf[4] += gp1 * m1; Jf[5] += gp1 * m2;
        Jf[6] += gp2 * m0; Jf[7] += gp2 * m1; Jf[8] += gp2 * m2;
        Hf[0] += gp0 * mm00; Hf[1] += gp0 * mm01; Hf[2] += gp0 * mm02; Hf[3] += gp0 * mm11; Hf[4] += gp0 * mm12; Hf[5] += gp0 * mm22;
        Hf[6] += gp1 * mm00; Hf[7] += gp1 * mm01; Hf[8] += gp1 * mm02; Hf[9] += gp1 * mm11; Hf[10] += gp1 * mm12; Hf[11] += gp1 * mm22;
        Hf[12] += gp2 * mm00; Hf[13] += gp2 * mm01; Hf[14] += gp2 * mm02; Hf[15] += gp2 * mm11; Hf[16] += gp2 * mm12; Hf[17] += gp2 * mm22;
        if (!res) continue;
        const u0r = U0[k], u0i = U0[k + 1], u1r = U1[k], u1i = U1[k + 1], u2r = U2[k], u2i = U2[k + 1];
        // e = 0
        let a0 = G0[k] * u0r + G0[k + 1] * u0i, a1 = G0[k] * u1r + G0[k + 1] * u1i, a2 = G0[k] * u2r + G0[k + 1] * u2i;
        Qf[0] += a0; Qf[3] += a1; Qf[6] += a2; Mf[0] += a0 * m0 + a1 * m1 + a2 * m2;
        a0 = G1[k] * u0r + G1[k + 1] * u0i; a1 = G1[k] * u1r + G1[k + 1] * u1i; a2 = G1[k] * u2r + G1[k + 1] * u2i;
        Qf[1] += a0; Qf[4] += a1; Qf[7] += a2; Mf[1] += a0 * m0 + a1 * m1 + a2 * m2;
        a0 = G2[k] * u0r + G2[k + 1] * u0i; a1 = G2[k] * u1r + G2[k + 1] * u1i; a2 = G2[k] * u2r + G2[k + 1] * u2i;
        Qf[2] += a0; Qf[5] += a1; Qf[8] += a2; Mf[2] += a0 * m0 + a1 * m1 + a2 * m2;
      }
    }
    const PAIR = [
      [0, 1, 2],
      [1, 3, 4],
      [2, 4, 5],
    ];
    const J = zeros3();
    const H = [zeros3(), zeros3(), zeros3()];
    const Q = zeros3(); // [f][e]
    const Mem = [0, 1, 2].map((e) => Mf[e] * norm);
    for (let e = 0; e < 3; e++)
      for (let f = 0; f < 3; f++) {
        J[e][f] = Jf[3 * e + f] * norm;
        Q[f][e] = Qf[3 * f + e] * norm;
        for (let f2 = 0; f2 < 3; f2++) H[e][f][f2] = Hf[6 * e + PAIR[f][f2]] * norm;
      }
    const C11 = mf.C11[l];
    const C12 = mf.C12[l];
    if (!P.residual) {
      let vc: M3;
      let c: number[];
      if (l === 1) {
        vc = V;
        c = [0, 0, 0];
      } else {
        vc = add3(V, mul3(mul3(J, prevVarC), tr3(J)));
        const s = [0, 1, 2].map((e) => {
          let acc = 0;
          for (let f = 0; f < 3; f++) for (let f2 = 0; f2 < 3; f2++) acc += H[e][f][f2] * prevVarC[f][f2];
          return 0.5 * acc;
        });
        const Jc = mv3(J, prevc1);
        c = s.map((x, e) => x + Jc[e]);
      }
      prevVarC = vc;
      prevc1 = c;
      c1.push(c[1]);
      k1.push(c[1]);
      varC.push(vc[1][1]);
      varK.push(vc[1][1] + C11 * C11 + C12 * C12);
      d11.c1.push(c[0]);
      d11.k1.push(c[0]);
      d11.varC.push(vc[0][0]);
      d11.varK.push(vc[0][0] + 2 * C11 * C11);
      last = { k1: c.slice(), cov: add3(vc, wick3(C11, C12, C11)) };
      continue;
    }
    const aJ = J.map((r) => r.map((x) => a * x));
    const Pm = add3(
      [
        [1, 0, 0],
        [0, 1, 0],
        [0, 0, 1],
      ],
      aJ,
    );
    const sCurv = [0, 1, 2].map((e) => {
      let acc = 0;
      for (let f = 0; f < 3; f++) for (let f2 = 0; f2 < 3; f2++) acc += H[e][f][f2] * VarS[f][f2];
      return 0.5 * a * a * acc;
    });
    const s = sCurv.map((x, e) => x + a * Mem[e]);
    const aJQ = mul3(aJ, Q);
    const vc = add3(V, aJQ, tr3(aJQ), mul3(mul3(aJ, VarS), tr3(aJ)));
    const aJS = mv3(aJ, Sc);
    const c = s.map((x, e) => x + aJS[e]);
    Sc = Sc.map((x, e) => x + c[e]);
    const PQ = mul3(Pm, Q);
    VarS = add3(mul3(mul3(Pm, VarS), tr3(Pm)), PQ, tr3(PQ), V);
    B = add3(mul3(Pm, B), Um);
    // U_f <- heat_{a C^l} [ sum_f' P[f][f'] U_f' + (g_f - Eg_f) p ]
    const D11 = a * C11;
    const D12 = a * C12;
    if (rot) {
      // the heat kernel factorises on the principal axes: variances D11 + D12 (u), D11 - D12 (v)
      for (let i = 0; i < n1; i++) eA[i] = Math.exp(-0.5 * (D11 + D12) * wA[i] * wA[i]);
      for (let j = 0; j < n2; j++) eB[j] = Math.exp(-0.5 * (D11 - D12) * wB[j] * wB[j]);
    }
    const S0 = src[0], S1 = src[1], S2 = src[2];
    const p00 = Pm[0][0], p01 = Pm[0][1], p02 = Pm[0][2], p10 = Pm[1][0], p11 = Pm[1][1], p12 = Pm[1][2], p20 = Pm[2][0], p21 = Pm[2][1], p22 = Pm[2][2];
    for (let i = 0; i < n1; i++)
      for (let j = 0; j < n2; j++) {
        const idx = n2 * i + j;
        const k = 2 * idx;
        const wi = W1[idx];
        const wj = W2[idx];
        const e = rot ? eA[i] * eB[j] : Math.exp(-0.5 * (D11 * wi * wi + 2 * D12 * wi * wj + D11 * wj * wj));
        const u0r = U0[k], u0i = U0[k + 1], u1r = U1[k], u1i = U1[k + 1], u2r = U2[k], u2i = U2[k + 1];
        U0[k] = e * (S0[k] + p00 * u0r + p01 * u1r + p02 * u2r);
        U0[k + 1] = e * (S0[k + 1] + p00 * u0i + p01 * u1i + p02 * u2i);
        U1[k] = e * (S1[k] + p10 * u0r + p11 * u1r + p12 * u2r);
        U1[k + 1] = e * (S1[k + 1] + p10 * u0i + p11 * u1i + p12 * u2i);
        U2[k] = e * (S2[k] + p20 * u0r + p21 * u1r + p22 * u2r);
        U2[k + 1] = e * (S2[k + 1] + p20 * u0i + p21 * u1i + p22 * u2i);
      }
    const Kn = Kl(l);
    c1.push(c[1]);
    k1.push(a * Sc[1]);
    varC.push(vc[1][1]);
    varK.push(a * a * VarS[1][1] + Kn.k11 * Kn.k11 + Kn.k12 * Kn.k12 + 2 * a * B[1][1]);
    d11.c1.push(c[0]);
    d11.k1.push(a * Sc[0]);
    d11.varC.push(vc[0][0]);
    d11.varK.push(a * a * VarS[0][0] + 2 * Kn.k11 * Kn.k11 + 2 * a * B[0][0]);
    last = {
      k1: Sc.map((x) => a * x),
      cov: add3(
        VarS.map((r) => r.map((x) => a * a * x)),
        wick3(Kn.k11, Kn.k12, Kn.k11),
        B.map((r) => r.map((x) => a * x)),
        tr3(B).map((r) => r.map((x) => a * x)),
      ),
    };
  }
  return { t: { k1, c1, varC, varK }, t11: d11, last };
}

/**
 * A test of a step h: does the trapezoid rule of step h reproduce E[phi^2] and E[phi^4] under
 * N(0, K) to 1e-10 (relative)? (The references, adaptive quadratures, are computed once.)
 */
function trapezoidCheck(act: Activation, K: number): (h: number) => boolean {
  const f2 = (x: number) => {
    const p = act.f64(x);
    return p * p;
  };
  const ref2 = expect1F64(f2, K, { tol: 1e-13 }).value;
  const ref4 = expect1F64((x) => f2(x) * f2(x), K, { tol: 1e-13 }).value;
  return (h: number) => {
    let s2 = 0;
    let s4 = 0;
    const m = Math.ceil((R_TAIL * Math.sqrt(K) + 2) / h);
    for (let i = -m; i <= m; i++) {
      const x = i * h;
      const p = (h * Math.exp((-0.5 * x * x) / K)) / Math.sqrt(2 * Math.PI * K);
      const v = f2(x);
      s2 += v * p;
      s4 += v * v * p;
    }
    return Math.abs(s2 - ref2) <= 1e-10 * Math.max(ref2, 1e-300) && Math.abs(s4 - ref4) <= 1e-10 * Math.max(ref4, 1e-300);
  };
}

/**
 * The largest step the two-input grid may take where the Gaussian is wide: for kinked activations
 * 1/8 (Richardson extrapolation removes the O(h^2) kink error); for smooth ones the largest
 * 0.4 * 0.875^k at which the trapezoid rule resolves phi^2 and phi^4 at the smallest and the largest
 * variance of the network (at least 1, so that phi's own features set it).
 */
function activationStep2(act: Activation, Kmin: number, Kmax: number): number {
  if (act.continuity !== 'smooth') return 0.125;
  const atMin = trapezoidCheck(act, Math.max(Kmin, 1));
  const atMax = trapezoidCheck(act, Math.max(Kmax, 1));
  let H = 0.4;
  for (let it = 0; it < 24; it++) {
    if (atMin(H) && atMax(H)) return H;
    H *= 0.875;
  }
  return H;
}

/**
 * The two-input grid schedule that serves every network in `nets` (the same architecture at
 * nearby c0 or alpha: finite differences must run on one grid). Rotated (principal axes) for
 * smooth activations, on the axes for kinked ones (the kinks y1 = 0, y2 = 0 are grid lines).
 * At layer l each axis covers R_TAIL2 standard deviations of K^l (+2) and steps at most
 * STEP_SIGMAS standard deviations of K^(l-1) along it (and the activation's step); steps lie on the
 * ladder H / 2^k, so that they only double from stage to stage.
 */
export function twoInputGridFor(nets: Network[]): Grid2 {
  const P = params(nets[0]);
  const L = P.L;
  const rotated = P.act.continuity === 'smooth';
  const mfs = nets.map((n) => meanFieldKernels(float64Interp, n));
  // per layer: the variance along each axis (covering) and the narrowest variance it must resolve
  const rangeVar = [new Array<number>(L + 1).fill(0), new Array<number>(L + 1).fill(0)];
  const stepVar = [new Array<number>(L + 1).fill(Infinity), new Array<number>(L + 1).fill(Infinity)];
  let Kmin = Infinity;
  let Kmax = 0;
  for (const mf of mfs)
    for (let l = 0; l <= L; l++) {
      const q = mf.q[l];
      const k12 = mf.k12[l];
      Kmin = Math.min(Kmin, q);
      Kmax = Math.max(Kmax, q);
      const r = rotated ? [q + k12, q - k12] : [q, q];
      const s = rotated ? [q + k12, q - k12] : [q - Math.abs(k12), q - Math.abs(k12)];
      for (let a = 0; a < 2; a++) {
        rangeVar[a][l] = Math.max(rangeVar[a][l], r[a]);
        stepVar[a][l] = Math.min(stepVar[a][l], s[a]);
      }
    }
  const H = activationStep2(P.act, Kmin, Kmax);
  // range: prefix maximum over layers 0..l; step: suffix minimum over layers l-1..L (monotone, so that steps only grow)
  const need = [0, 1].map((a) => {
    const range = new Array<number>(L + 1);
    const step = new Array<number>(L + 1);
    let r = 0;
    for (let l = 0; l <= L; l++) {
      r = Math.max(r, R_TAIL2 * Math.sqrt(rangeVar[a][l]) + 2);
      range[l] = r;
    }
    let s = Infinity;
    for (let l = L; l >= 1; l--) {
      s = Math.min(s, stepVar[a][l - 1], stepVar[a][l]);
      step[l] = Math.min(H, STEP_SIGMAS * Math.sqrt(Math.max(s, 0)));
    }
    return { range, step };
  });
  const stages: GridStage[] = [];
  for (let l = 1; l <= L; l++) {
    const axis = need.map(({ range, step }) => {
      if (!(step[l] > 1e-3 * H)) throw new NumericalError(`two-input one-loop: the kernel is too close to singular at layer ${l - 1} (grid step ${step[l].toExponential(2)} needed)`, l - 1);
      const k = Math.max(0, Math.ceil(Math.log2(H / step[l]) - 1e-12));
      const h = H / 2 ** k;
      return { n: Math.max(16, nextPow2((2 * range[l]) / h)), h };
    });
    const prev = stages[stages.length - 1];
    if (!prev || prev.n1 !== axis[0].n || prev.n2 !== axis[1].n || prev.h1 !== axis[0].h || prev.h2 !== axis[1].h) {
      stages.push({ from: l, n1: axis[0].n, n2: axis[1].n, h1: axis[0].h, h2: axis[1].h });
    }
  }
  return { rotated, stages };
}

function twoInput(net: Network, P: Params, opts: OneLoopOptions): { t: Table12; t11: Table12; last: LastLayer12; info: Partial<OneLoopInfo> } {
  if (Math.abs(P.c0) === 1) throw new NumericalError('two-input one-loop: c0 = +-1 is a single input; use the one-input table');
  const mf = meanFieldKernels(float64Interp, net);
  const smooth = P.act.continuity === 'smooth';
  const rich = !smooth && opts.richardson !== false;
  let grid: Grid2;
  if (opts.grid12 !== undefined) {
    grid = opts.grid12;
  } else if (opts.gridStep !== undefined) {
    // one fixed grid on the axes, covering the widest kernel
    let Kmax = 0;
    for (let l = 0; l <= P.L; l++) Kmax = Math.max(Kmax, mf.q[l]);
    const half = R_TAIL2 * Math.sqrt(Kmax) + 2;
    const hf = rich ? opts.gridStep / 2 : opts.gridStep;
    const n = nextPow2((2 * half) / hf);
    grid = { rotated: false, stages: [{ from: 1, n1: n, n2: n, h1: hf, h2: hf }] };
  } else {
    const coarse = twoInputGridFor([net]);
    grid = rich ? refineGrid2(coarse, 1) : coarse;
  }
  const name = grid.rotated ? 'grid2d-rotated' : 'grid2d';
  const size = gridSize2(grid, P.L);
  if (!rich) {
    const r = twoInputGrid(mf, P, grid);
    return { t: r.t, t11: r.t11, last: r.last, info: { method12: name, gridStep12: grid.stages[0].h1, gridPoints12: size.maxPoints, grid12: grid } };
  }
  const r1 = twoInputGrid(mf, P, refineGrid2(grid, -1));
  const r2 = twoInputGrid(mf, P, grid);
  const keys: (keyof OneLoopTable)[] = ['k1', 'c1', 'varC', 'varK'];
  const rr = richardson(r1.t as unknown as OneLoopTable, r2.t as unknown as OneLoopTable, keys);
  const r11 = richardson(r1.t11 as unknown as OneLoopTable, r2.t11 as unknown as OneLoopTable, keys);
  const ex = (x: number, y: number) => (4 * y - x) / 3;
  return {
    t: rr.t as unknown as Table12,
    t11: r11.t as unknown as Table12,
    last: { k1: r1.last.k1.map((x, i) => ex(x, r2.last.k1[i])), cov: r1.last.cov.map((row, i) => row.map((x, j) => ex(x, r2.last.cov[i][j]))) },
    info: { method12: name + '+richardson', gridStep12: grid.stages[0].h1, gridPoints12: size.maxPoints, errorEstimate12: Math.max(rr.err, r11.err), grid12: grid },
  };
}

/**
 * Two-input one-loop numbers for both independent entries: 11 (= 22 in distribution) and 12,
 * from the 2D heat-flow grid. (The 11 entry equals the one-input table up to the grid's
 * accuracy: a consistency check.)
 */
export function oneLoopTwoInput64(net: Network, opts: OneLoopOptions = {}): { e11: Table12; e12: Table12; info: Partial<OneLoopInfo> } {
  const r = twoInput(net, params(net), opts);
  return { e11: r.t11, e12: r.t, info: r.info };
}

// =======================================================================================
// Public entry

export function oneLoop64(net: Network, opts: OneLoopOptions = {}): OneLoopTable {
  const P = params(net);
  const method = opts.method ?? 'auto';
  let t: OneLoopTable;
  if (!P.residual) {
    t = feedForward1(P);
    t.info = { method: 'feed-forward' };
  } else if (method === 'pairwise') {
    t = residual1Pairwise(P, quadraturePair(P.act, P.sw2), 'pairwise-quadrature');
  } else if (method === 'auto' && kindOf(P.act) === 'relu') {
    t = residual1Pairwise(P, reluPair(P.sw2), 'closed-form');
  } else if (method === 'auto' && kindOf(P.act) === 'linear') {
    t = residual1Pairwise(P, linearPair(P.sw2), 'closed-form');
  } else {
    t = residual1ByGrid(P, opts);
  }
  const attach = (r: { t: Table12; info: Partial<OneLoopInfo> }) => {
    t.info = { ...(t.info as OneLoopInfo), ...r.info };
    return r.t;
  };
  if (opts.twoInputs) {
    const r = attach(twoInput(net, P, opts));
    t.k1_12 = r.k1;
    t.c1_12 = r.c1;
    t.varC_12 = r.varC;
    t.varK_12 = r.varK;
  } else {
    // computed on first access (non-enumerable: spreading or serialising the one-input table
    // does not trigger the two-input computation)
    // A two-input computation that is not possible (NumericalError: e.g. a kernel too close to
    // c = 1) leaves the _12 arrays undefined (reason in info.note12) instead of throwing from a
    // property read.
    let cached: Table12 | null | undefined;
    const get = (): Table12 | null => {
      if (cached === undefined) {
        try {
          cached = attach(twoInput(net, P, opts));
        } catch (e) {
          if (!(e instanceof NumericalError)) throw e;
          cached = null;
          t.info = { ...(t.info as OneLoopInfo), note12: e.message };
        }
      }
      return cached;
    };
    for (const [key, field] of [
      ['k1_12', 'k1'],
      ['c1_12', 'c1'],
      ['varC_12', 'varC'],
      ['varK_12', 'varK'],
    ] as const) {
      Object.defineProperty(t, key, {
        configurable: true,
        enumerable: false,
        get: () => get()?.[field],
        set: (v) => Object.defineProperty(t, key, { value: v, writable: true, enumerable: true, configurable: true }),
      });
    }
  }
  return t;
}

// =======================================================================================
// The empirical correlation c_hat = K_hat_12 / sqrt(K_hat_11 K_hat_22) at finite width

export interface CorrelationOneLoop {
  /** Mean-field correlation c^L. */
  c: number;
  /** Mean-field q^L = K^L_11. */
  q: number;
  /** lim N (E[c_hat^L] - c^L): the 1/N coefficient of the empirical correlation. */
  coefficient: number;
  /** Its two parts: from the mean shifts k1 (first order) and from the fluctuations (second order). */
  fromMean: number;
  fromFluctuations: number;
  /** lim N (E K_hat - K) and lim N Cov(K_hat_e, K_hat_f) for e, f in (11, 12, 22), at layer L. */
  k1: number[];
  cov: number[][];
  info: Partial<OneLoopInfo>;
}

/**
 * E[c_hat^L] = c^L + coefficient / N + O(1/N^2), where c_hat is the correlation a simulation
 * measures, K_hat_12 / sqrt(K_hat_11 K_hat_22) of each network. Second-order expansion of that
 * ratio around the mean-field kernel (K_11 = K_22 = q, K_12 = c q):
 *   coefficient = (k1_12 - c k1_11) / q + [ (3/4) c Cov_11,11 + (1/4) c Cov_11,22 - Cov_11,12 ] / q^2
 * with the one-loop mean shifts k1 and the covariances lim N Cov(K_hat) of the two-input grid.
 */
export function correlationOneLoop64(net: Network, opts: OneLoopOptions = {}): CorrelationOneLoop {
  const P = params(net);
  const r = twoInput(net, P, opts);
  const L = P.L;
  const q = meanFieldKernels(float64Interp, net);
  const qL = q.q[L];
  const c = q.k12[L] / qL;
  const { k1, cov } = r.last;
  const k11 = 0.5 * (k1[0] + k1[2]);
  const v1111 = 0.5 * (cov[0][0] + cov[2][2]);
  const v1112 = 0.5 * (cov[0][1] + cov[2][1]);
  const v1122 = 0.5 * (cov[0][2] + cov[2][0]);
  const fromMean = (k1[1] - c * k11) / qL;
  const fromFluctuations = (0.75 * c * v1111 + 0.25 * c * v1122 - v1112) / (qL * qL);
  return { c, q: qL, coefficient: fromMean + fromFluctuations, fromMean, fromFluctuations, k1, cov, info: r.info };
}

export interface SensitivityOneLoop {
  /** d/dc0 of the 1/N coefficient of E[c_hat^L] (at fixed q0): sensitivity_N = S + sensitivity1 / N. */
  sensitivity1: number;
  /** Estimated absolute error of sensitivity1 (finite-difference Richardson and grid refinement). */
  error: number;
  /** The coefficient of E[c_hat^L] itself (with gridCheck false: computed on first access). */
  correlation: CorrelationOneLoop;
  /** The c0 steps used. */
  steps: number[];
  /** Relative change of the coefficient on another grid (absent when not checked). */
  gridRel?: number;
}

/** The default c0 step of sensitivityOneLoop64's central differences (steps d and d/2 about c0). */
export function sensitivityC0Step(c0: number): number {
  return Math.min(0.02, (1 - Math.abs(c0)) / 4);
}

/**
 * sensitivity_1 = d/dc0 lim N (E[c_hat^L] - c^L), by central differences in c0 on one fixed grid
 * (so the discretised map is a smooth function of c0), at steps d and d/2 with Richardson
 * extrapolation; the error estimate is the Richardson correction plus the change of the
 * coefficient under a finer grid (grid error of the derivative is bounded by the same relative
 * amount).
 */
export function sensitivityOneLoop64(net: Network, opts: { step?: number; grid12?: Grid2; gridCheck?: boolean; richardson?: boolean } = {}): SensitivityOneLoop {
  const P = params(net);
  const c0 = P.c0;
  if (!(Math.abs(c0) < 1)) throw new NumericalError('sensitivity at finite width: c0 = +-1 is a single input; the two-input one-loop needs |c0| < 1');
  const d = opts.step ?? sensitivityC0Step(c0);
  const atC = (c: number) => withChanges(net, { c0: String(c) });
  // one grid for every c0 of the stencil (it must resolve the narrowest, c0 + d, and cover the widest)
  const grid12 = opts.grid12 ?? twoInputGridFor([net, atC(c0 - d), atC(c0 + d)]);
  // the centre itself is not needed for the derivative: computed on first access when skipping the grid check
  let centralCache: CorrelationOneLoop | undefined;
  const centre = () => (centralCache ??= correlationOneLoop64(net, { grid12 }));
  const at = (c: number) => correlationOneLoop64(atC(c), { grid12 }).coefficient;
  const D = (h: number) => (at(c0 + h) - at(c0 - h)) / (2 * h);
  const D1 = D(d);
  const rich = opts.richardson !== false;
  const D2 = rich ? D(d / 2) : D1;
  const s1 = rich ? (4 * D2 - D1) / 3 : D1;
  // without Richardson: the O(d^2) truncation error is not estimated (callers difference such values)
  const fdErr = Math.abs(D2 - D1) / 3;
  if (opts.gridCheck === false) {
    if (!Number.isFinite(s1)) throw new NumericalError('sensitivity at finite width: the finite-difference derivative is not finite');
    const r = { sensitivity1: s1, error: fdErr, steps: rich ? [d, d / 2] : [d] } as SensitivityOneLoop;
    Object.defineProperty(r, 'correlation', { enumerable: true, configurable: true, get: centre });
    return r;
  }
  // grid error: the coefficient on a grid of half the steps (or, where that is too large, double), relative change
  const fine = correlationOneLoop64(net, { grid12: comparisonGrid2(grid12, P.L) }).coefficient;
  const central = centre();
  const gridRel = Math.abs(fine - central.coefficient) / Math.max(Math.abs(central.coefficient), 1e-300);
  const error = fdErr + gridRel * Math.abs(s1);
  if (!Number.isFinite(s1)) throw new NumericalError('sensitivity at finite width: the finite-difference derivative is not finite');
  return { sensitivity1: s1, error, correlation: central, steps: [d, d / 2], gridRel };
}


/** Why a one-loop number at width N may not mean much (empty when the expansion is fine). */
export function widthWarnings(net: Network, width: number): string[] {
  if (width < 2) return [`width ${width} < 2: the 1/N expansion is meaningless here`];
  const eps = oneLoopExpansionParameter(net, width);
  if (eps > 0.3) return [`the expansion parameter ${net.skip === 'none' ? 'L/N' : 'a sw2 L/N'} = ${eps.toPrecision(3)} is not small: one-loop corrections at width ${width} are unreliable`];
  return [];
}
