/** Two inputs: the staged 2D heat-flow grid (y1, y2), entries e = 0 (11), 1 (12), 2 (22). */
import { NumericalError } from '../../model/errors';
import { KernelTable } from '../kernel';
import { Params } from './common';
import { fftOf, omegas, MAX_POINTS2 } from './gridCommon';
import { plainMath } from '../../numeric/plainMath';
import { progressTick } from '../../io/progress';
// A plain-object copy of Math: under jest the global Math is a proxy and each Math.* access costs ~1 us.
const Math = plainMath();

// =======================================================================================
// Two inputs: 2D grid (y1, y2), entries e = 0 (11), 1 (12), 2 (22)

export type M3 = number[][];
export const zeros3 = (): M3 => [
  [0, 0, 0],
  [0, 0, 0],
  [0, 0, 0],
];
export function mul3(A: M3, B: M3): M3 {
  const C = zeros3();
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) C[i][j] = A[i][0] * B[0][j] + A[i][1] * B[1][j] + A[i][2] * B[2][j];
  return C;
}
export function tr3(A: M3): M3 {
  return [0, 1, 2].map((i) => [A[0][i], A[1][i], A[2][i]]);
}
export function add3(...As: M3[]): M3 {
  const C = zeros3();
  for (const A of As) for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) C[i][j] += A[i][j];
  return C;
}
export function mv3(A: M3, v: number[]): number[] {
  return [0, 1, 2].map((i) => A[i][0] * v[0] + A[i][1] * v[1] + A[i][2] * v[2]);
}

export interface Table12 {
  k1: (number | null)[];
  c1: (number | null)[];
  varC: (number | null)[];
  varK: (number | null)[];
  /** lim N (E[c_hat^l] - c^l), c_hat = K_hat_12 / sqrt(K_hat_11 K_hat_22) (the 12 table only). */
  chat1?: (number | null)[];
}

export type MF2 = KernelTable<number>;

/** The last layer's one-loop data of the three kernel entries (11, 12, 22): lim N (E K_hat - K) and lim N Cov(K_hat_e, K_hat_f). */
export interface LastLayer12 {
  k1: number[];
  cov: number[][];
}

/**
 * lim N (E[c_hat] - c) of c_hat = K_hat_12 / sqrt(K_hat_11 K_hat_22), from the one-loop data of one
 * layer (mean-field K_11 = K_22 = q, K_12 = c q), by the second-order expansion of the ratio:
 *   (k1_12 - c k1_11) / q + [ (3/4) c Cov_11,11 + (1/4) c Cov_11,22 - Cov_11,12 ] / q^2
 * (11 and 22 entries averaged: they are equal in distribution). Its two parts: from the mean
 * shifts (first order) and from the fluctuations (second order).
 */
export function correlationShift(d: LastLayer12, q: number, c: number): { fromMean: number; fromFluctuations: number } {
  const { k1, cov } = d;
  const k11 = 0.5 * (k1[0] + k1[2]);
  const v1111 = 0.5 * (cov[0][0] + cov[2][2]);
  const v1112 = 0.5 * (cov[0][1] + cov[2][1]);
  const v1122 = 0.5 * (cov[0][2] + cov[2][0]);
  return { fromMean: (k1[1] - c * k11) / q, fromFluctuations: (0.75 * c * v1111 + 0.25 * c * v1122 - v1112) / (q * q) };
}

/** lim N Cov of the Gaussian (Wick) part: entries e = (a,b), f = (c,d) of h h^T with covariance [[k11,k12],[k12,k22]]. */
export function wick3(k11: number, k12: number, k22: number): M3 {
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
export function powerOf2Ratio(hNew: number, hOld: number): number {
  const m = Math.round(Math.log2(hNew / hOld));
  if (m < 0 || Math.abs(hNew / hOld / 2 ** m - 1) > 1e-9) return -1;
  return 2 ** m;
}

export function checkGrid2(grid: Grid2, L: number): void {
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
export function fft2(data: Float64Array, n1: number, n2: number, inverse: boolean, buf: Float64Array, bufOut: Float64Array): void {
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
export function transferField(hat: Float64Array, from: GridStage, to: GridStage, buf: Float64Array, bufOut: Float64Array): Float64Array {
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
export function unpack2(Z: Float64Array, n1: number, n2: number, X: Float64Array, Y: Float64Array): void {
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

/**
 * The O(L) algebra of the two-input tables, shared by the grid kernels: per layer the kernel
 * supplies J = dm/dK, H = d^2m/dK^2, Q = N Cov(S^(l-1), eta^l), the memory integrals Mem, V =
 * N Var(eta^l) and Um = Cov(g_f, y_a y_b); this class carries Var S, B and the running sum of c1,
 * and records the 12 and 11 tables, the last layer's data and chat1.
 */
export class Tables12 {
  private VarS = zeros3();
  private B = zeros3();
  private Sc = [0, 0, 0];
  private prevVarC = zeros3();
  private prevc1 = [0, 0, 0];
  private c = [0, 0, 0];
  private vc = zeros3();
  private readonly k1: (number | null)[] = [0];
  private readonly c1: (number | null)[] = [null];
  private readonly varC: (number | null)[] = [null];
  private readonly varK: (number | null)[];
  private readonly d11: Table12;
  private last: LastLayer12;
  private readonly chat1: (number | null)[] = [];

  constructor(
    private readonly mf: MF2,
    private readonly a: number,
  ) {
    const k11 = mf.q[0];
    const k12 = mf.k12[0];
    this.varK = [k11 * k11 + k12 * k12];
    this.d11 = { k1: [0], c1: [null], varC: [null], varK: [2 * k11 * k11] };
    this.last = { k1: [0, 0, 0], cov: wick3(k11, k12, k11) };
    this.recordChat(0);
  }

  private recordChat(l: number): void {
    const s = correlationShift(this.last, this.mf.q[l], this.mf.k12[l] / this.mf.q[l]);
    this.chat1.push(s.fromMean + s.fromFluctuations);
  }

  /** A residual layer: updates the state and returns P = 1 + a J (the fields' propagator). */
  layer(J: M3, H: M3[], Q: M3, Mem: number[], V: M3, Um: M3): M3 {
    const a = this.a;
    const { VarS, Sc } = this;
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
    this.Sc = Sc.map((x, e) => x + c[e]);
    const PQ = mul3(Pm, Q);
    this.VarS = add3(mul3(mul3(Pm, VarS), tr3(Pm)), PQ, tr3(PQ), V);
    this.B = add3(mul3(Pm, this.B), Um);
    this.c = c;
    this.vc = vc;
    return Pm;
  }

  /** Records layer l of a residual network (after `layer`). */
  record(l: number): void {
    const { a, VarS, B, Sc, c, vc, d11 } = this;
    const Kn = { k11: this.mf.q[l], k12: this.mf.k12[l] };
    this.c1.push(c[1]);
    this.k1.push(a * Sc[1]);
    this.varC.push(vc[1][1]);
    this.varK.push(a * a * VarS[1][1] + Kn.k11 * Kn.k11 + Kn.k12 * Kn.k12 + 2 * a * B[1][1]);
    d11.c1.push(c[0]);
    d11.k1.push(a * Sc[0]);
    d11.varC.push(vc[0][0]);
    d11.varK.push(a * a * VarS[0][0] + 2 * Kn.k11 * Kn.k11 + 2 * a * B[0][0]);
    this.last = {
      k1: Sc.map((x) => a * x),
      cov: add3(
        VarS.map((r) => r.map((x) => a * a * x)),
        wick3(Kn.k11, Kn.k12, Kn.k11),
        B.map((r) => r.map((x) => a * x)),
        tr3(B).map((r) => r.map((x) => a * x)),
      ),
    };
    this.recordChat(l);
  }

  /** Layer l of a feed-forward network. */
  feedForward(l: number, J: M3, H: M3[], V: M3, C11: number, C12: number): void {
    const { prevVarC, prevc1, d11 } = this;
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
    this.prevVarC = vc;
    this.prevc1 = c;
    this.c1.push(c[1]);
    this.k1.push(c[1]);
    this.varC.push(vc[1][1]);
    this.varK.push(vc[1][1] + C11 * C11 + C12 * C12);
    d11.c1.push(c[0]);
    d11.k1.push(c[0]);
    d11.varC.push(vc[0][0]);
    d11.varK.push(vc[0][0] + 2 * C11 * C11);
    this.last = { k1: c.slice(), cov: add3(vc, wick3(C11, C12, C11)) };
    this.recordChat(l);
  }

  result(): { t: Table12; t11: Table12; last: LastLayer12 } {
    return { t: { k1: this.k1, c1: this.c1, varC: this.varC, varK: this.varK, chat1: this.chat1 }, t11: this.d11, last: this.last };
  }
}

/** One stage's arrays: positions y1, y2 and the activation there; Fourier frequencies w1, w2 conjugate to y1, y2; work space. */
export interface StageArrays {
  st: GridStage;
  n1: number;
  n2: number;
  nn: number;
  hA: number;
  hB: number;
  h2: number;
  norm: number;
  Y1: Float64Array;
  Y2: Float64Array;
  F1: Float64Array;
  F2: Float64Array;
  W1: Float64Array;
  W2: Float64Array;
  /** the axes' positions and frequencies (rotated grids: the density and the heat kernel factorise on them) */
  xA: Float64Array;
  xB: Float64Array;
  wA: Float64Array;
  wB: Float64Array;
  pA: Float64Array;
  pB: Float64Array;
  eA: Float64Array;
  eB: Float64Array;
  packA: Float64Array;
  packB: Float64Array;
  g: Float64Array[];
  G: Float64Array[];
  p: Float64Array;
  phat: Float64Array;
  src: Float64Array[];
}

export function stageArrays(s: GridStage, rotated: boolean, P: Params, buf: Float64Array, bufOut: Float64Array): StageArrays {
  const sw2 = P.sw2;
  const r2 = Math.SQRT1_2;
  const { n1, n2, h1: hA, h2: hB } = s;
  const nn = n1 * n2;
  const h2 = hA * hB;
  const Y1 = new Float64Array(nn);
  const Y2 = new Float64Array(nn);
  const F1 = new Float64Array(nn);
  const F2 = new Float64Array(nn);
  const W1 = new Float64Array(nn);
  const W2 = new Float64Array(nn);
  const wA = omegas(n1, hA);
  const wB = omegas(n2, hB);
  const xA = new Float64Array(n1).map((_, i) => (i - n1 / 2) * hA);
  const xB = new Float64Array(n2).map((_, j) => (j - n2 / 2) * hB);
  for (let i = 0; i < n1; i++)
    for (let j = 0; j < n2; j++) {
      const idx = n2 * i + j;
      const A = (i - n1 / 2) * hA;
      const B = (j - n2 / 2) * hB;
      if (rotated) {
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
  const g = [new Float64Array(nn), new Float64Array(nn), new Float64Array(nn)];
  for (let idx = 0; idx < nn; idx++) {
    g[0][idx] = sw2 * F1[idx] * F1[idx];
    g[1][idx] = sw2 * F1[idx] * F2[idx];
    g[2][idx] = sw2 * F2[idx] * F2[idx];
  }
  const G = g.map((x) => {
    const o = new Float64Array(2 * nn);
    for (let k = 0; k < nn; k++) o[2 * k] = x[k];
    fft2(o, n1, n2, false, buf, bufOut);
    return o;
  });
  return {
    st: s, n1, n2, nn, hA, hB, h2, norm: h2 / nn, Y1, Y2, F1, F2, W1, W2, xA, xB, wA, wB,
    pA: new Float64Array(n1), pB: new Float64Array(n2), eA: new Float64Array(n1), eB: new Float64Array(n2),
    packA: new Float64Array(2 * nn), packB: new Float64Array(2 * nn), g, G,
    p: new Float64Array(nn), phat: new Float64Array(2 * nn),
    src: [new Float64Array(2 * nn), new Float64Array(2 * nn), new Float64Array(2 * nn)],
  };
}

/**
 * The density of the layer's input (kernel k11, k12) on a stage: p, and on rotated grids its axis
 * factors pA, pB, filled in; and its real-space moments E g_e, V = N Var(eta) (the Gaussian part's
 * complement: E g_e g_f - E g_e E g_f) and Um[f][e] = Cov(g_f, y_a y_b). `layer` names the layer
 * in the error for a singular kernel.
 */
export function densityMoments(cur: StageArrays, rot: boolean, sw2: number, k11: number, k12: number, layer: number): { Eg: number[]; V: M3; Um: M3 } {
  const { n1, n2, h2, Y1, Y2, F1, F2, xA, xB, pA, pB, p } = cur;
  const det = k11 * k11 - k12 * k12;
  if (!(det > 0)) throw new NumericalError(`two-input one-loop: the kernel is singular at layer ${layer} (c = 1); not supported`, layer);
  const i11 = k11 / det;
  const i12 = -k12 / det;
  const cst = h2 / (2 * Math.PI * Math.sqrt(det));
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
  return { Eg, V, Um };
}

export function twoInputGrid(mf: MF2, P: Params, grid: Grid2): { t: Table12; t11: Table12; last: LastLayer12 } {
  const { a, sw2, L } = P;
  const Kl = (l: number) => ({ k11: mf.q[l], k12: mf.k12[l] });
  checkGrid2(grid, L);
  let maxN = 0;
  for (const s of grid.stages) maxN = Math.max(maxN, s.n1, s.n2);
  const buf = new Float64Array(2 * maxN);
  const bufOut = new Float64Array(2 * maxN);
  let cur = stageArrays(grid.stages[0], grid.rotated, P, buf, bufOut);
  let nextStage = 1;
  let U: Float64Array[] = [new Float64Array(2 * cur.nn), new Float64Array(2 * cur.nn), new Float64Array(2 * cur.nn)];
  const res12 = new Tables12(mf, P.a);
  for (let l = 1; l <= L; l++) {
    progressTick(l, L);
    if (nextStage < grid.stages.length && grid.stages[nextStage].from === l) {
      const old = cur.st;
      const s = grid.stages[nextStage++];
      const moved = P.residual ? U.map((x) => transferField(x, old, s, buf, bufOut)) : null;
      cur = stageArrays(s, grid.rotated, P, buf, bufOut);
      U = moved ?? [new Float64Array(2 * cur.nn), new Float64Array(2 * cur.nn), new Float64Array(2 * cur.nn)];
    }
    const { n1, n2, nn, norm, W1, W2, wA, wB, eA, eB, packA, packB, g, G, p, phat, src } = cur;
    const { k11, k12 } = Kl(l - 1);
    const rot = grid.rotated;
    const { Eg, V, Um } = densityMoments(cur, rot, sw2, k11, k12, l - 1);
    const [E0, E1, E2] = Eg;
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
      res12.feedForward(l, J, H, V, C11, C12);
      continue;
    }
    const Pm = res12.layer(J, H, Q, Mem, V, Um);
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
    res12.record(l);
  }
  return res12.result();
}
