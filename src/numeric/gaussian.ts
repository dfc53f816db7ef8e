/**
 * Gaussian expectations E[f(u)] and E[f(u) g(v)], (u, v) ~ N(0, [[K11, K12], [K12, K22]]),
 * in float64 and in arbitrary precision (decimal.js), for smooth, kinked and discontinuous
 * activations, K from ~1e-4 to ~1e3 and correlations rho in [-1, 1] inclusive.
 *
 * All integrals are written in standardized variables x = u / sqrt(K11), x2 = v / sqrt(K22).
 *
 * 1D rules. The x-line is cut at the kinks k / sqrt(K). A function without kinks gets the map
 * x = a sinh(t), a = min(1, 1.5 / sqrt(K)): activations have their complex singularities near
 * the imaginary axis at |u| = O(1) (tanh: u = i pi/2 + i pi n; silu: i pi + 2 i pi n; erf and
 * gelu grow there), i.e. at ~1/sqrt(K) in x, and x = a sinh(t) maps all of them to
 * |Im t| >= pi/2, while the Gaussian keeps its decay for |Im t| < pi/4. So large variances
 * (K ~ 1000) cost no more than small ones. With kinks: x = b +- psi(t) on the tails,
 * psi(t) = log(1 + exp(t - e^{-t})) (double-exponential clustering at the cut, unit spacing far
 * away — what exp(-x^2/2) wants), and tanh–sinh between cuts. Trapezoid rule in t; steps are
 * halved level by level (h = 1, 1/2, ...) with nested nodes, so every level reuses all values.
 *
 * E[f(u)]: one grid, weight exp(-x^2/2) / sqrt(2 pi).
 *
 * E[f(u) g(v)], with sigma^2 = 1 - rho^2 computed as (K11 K22 - K12^2) / (K11 K22):
 *  - sigma = 0 (rho = +-1 exactly): the 1D expectation of f(sqrt(K11) x) g(+-sqrt(K22) x).
 *  - "separable" product rule (moderate sigma; see chooseRule for the cost model): f on an
 *    x-grid, g on an x2-grid, pair weights phi(x) phi((x2 - rho x) / sigma) / sigma. f and g
 *    are evaluated on 1D grids only (O(N) possibly expensive evaluations); the O(N^2) pair
 *    weights are computed in fixed-point BigInt arithmetic with a table-driven exp (Decimal
 *    path) or with Math.exp. The grids must resolve the width sigma, so the cost grows like
 *    1/sigma as rho -> +-1.
 *  - "conditional" rule (smaller sigma): v / sqrt(K22) = rho x + sigma y. Outer grid over x,
 *    cut at f's kinks, at the points x_c = b / rho where the conditional mean of v crosses a
 *    kink b of g, and around x_c at +- (2, 5, Ry) sigma / |rho| (the boundary layer where the
 *    inner Gaussian straddles the kink; Ry is the Gaussian cut-off). Inner integral over y:
 *    Gauss–Hermite with a growing number of nodes when no kink of g lies within |y| < Ry
 *    (g(rho x + sigma y) is nearly polynomial in y for small sigma), otherwise a psi /
 *    tanh–sinh rule anchored at the crossings y*, whose nodes sit at fixed v = b +- sigma
 *    psi(t): g values are cached across outer nodes and only the Gaussian weights change.
 *  The choice between the two is a cost model (chooseRule: evaluations for Decimal, time for
 *  float64, with a size cap on the separable rule); a rule that stops unconverged is followed by
 *  the other one.
 *
 * Error estimates. Level differences are tracked per piece (per pair of pieces for the
 * separable rule) and each piece's estimate is extrapolated from its own history (see
 * levelEstimate in quadrature.ts): the error of a piece is taken as 2 d r (r = ratio of its
 * last two differences), or 2 d r^{3/2} once its error is seen squaring per halving. The
 * estimates of all pieces are summed, plus inner-integral errors (conditional rule) and
 * rounding. Per-piece tracking matters: a slowly converging boundary-layer piece can hide
 * behind fast-converging ones in the total. A value is accepted at step h <= 1/8 at the
 * earliest (the h = 1 level is pre-asymptotic and never enters a difference).
 *
 * Accuracy target: `digits` significant digits relative to max(|value|, 1e-5 * s) with
 * s = sqrt(E[f^2] E[g^2]) (Decimal; the estimate is required below 10^-(digits+1) of that), or
 * `tol` relative to max(|value|, floor * s), floor = min(1, max(1e-4, 50 eps / tol)) (float64).
 * Values that vanish by symmetry are thus delivered to that absolute accuracy.
 */
import Decimal from 'decimal.js';
import {
  DecCtor, decContext, decPi, mapDec, map64, MapKind, psiLowCap, tsCap, levelEstimate, gaussHermite64, gaussHermiteDec,
} from './quadrature';
import { plainMath } from './plainMath';
import {
  DD, DD_EPS, DD_PI, DD_ZERO, ddAdd, ddSub, ddMul, ddMulNum, ddDiv, ddNeg, ddExp, ddSqrt, ddScale2, ddSinh, ddCosh, ddCmp, ddToNumber,
  ddFromDecimal, ddToDecimal,
} from './dd';
// A plain-object copy of Math: under jest the global Math is a proxy and each Math.* access costs ~1 us.
const Math = plainMath();

export interface ExpectResultDec {
  value: Decimal;
  /** Absolute error estimate. */
  error: number;
  /** Diagnostics: the rule used ('1d', 'separable', 'conditional', 'degenerate') and evaluations of f and g. */
  method?: string;
  evaluations?: number;
}
export interface ExpectResult64 {
  value: number;
  /** Absolute error estimate. */
  error: number;
  method?: string;
  evaluations?: number;
}

type DecIn = Decimal | string | number;

// =======================================================================================
// Arithmetic contexts: T = accumulation type (bigint fixed point, or number), E = evaluation
// type (Decimal, or number).

interface Ctx<T, E> {
  /** float64, decimal.js evaluations with BigInt fixed-point sums, or double-double throughout */
  readonly kind: 'f64' | 'dec' | 'dd';
  /** decimal digits the result must reach */
  readonly digits: number;
  /** significant digits of function evaluations (digits + guard; 16 for float64) */
  readonly evalDigits: number;
  readonly zero: T;
  add(a: T, b: T): T;
  sub(a: T, b: T): T;
  mul(a: T, b: T): T;
  /** a * a / 2 */
  halfSq(a: T): T;
  /** a * 2^s */
  scale2(a: T, s: number): T;
  /** exp(-z) for z >= 0 (0 beyond the cut-off) */
  expNeg(z: T): T;
  num(a: T): number;
  /** E -> T */
  toT(a: E): T;
  /** E -> T times 2^-s (normalisation of function values) */
  toTScaled(a: E, s: number): T;
  fromT(a: T): E;
  e(x: number | string | Decimal): E;
  eAdd(a: E, b: E): E;
  eSub(a: E, b: E): E;
  eMul(a: E, b: E): E;
  eDiv(a: E, b: E): E;
  eNum(a: E): number;
  eIsZero(a: E): boolean;
  eFinite(a: E): boolean;
  eCmp(a: E, b: E): number;
  /** ~floor(log2 |a|), or null for 0 */
  eLog2(a: E): number | null;
  /** a * 2^s */
  eScale2(a: E, s: number): E;
  eMap(kind: MapKind, k: number, j: number): [E, E];
  ePi(): E;
  eSqrt(a: E): E;
  /** Gauss–Hermite rule for N(0, 1): nodes (E) and weights (T) */
  gh(n: number): { x: E[]; w: T[] };
  /**
   * sum_{j in [jlo, jhi)} B[j] exp(-(Y[j] - c)^2 / 2), only entries with lev[j] === k unless
   * allJ; returns the sum and the number of terms.
   */
  kernelSum(B: T[], Y: T[], lev: Int32Array, jlo: number, jhi: number, c: T, allJ: boolean, k: number): [T, number];
}

// ---------------------------------------------------------------------------------------
// float64

const F64: Ctx<number, number> = {
  kind: 'f64',
  digits: 16,
  evalDigits: 16,
  zero: 0,
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  halfSq: (a) => 0.5 * a * a,
  scale2: (a, s) => a * Math.pow(2, s),
  expNeg: (z) => (z > 745 ? 0 : Math.exp(-z)),
  num: (a) => a,
  toT: (a) => a,
  toTScaled: (a, s) => (s === 0 ? a : a * Math.pow(2, -s)),
  fromT: (a) => a,
  e: (x) => (typeof x === 'number' ? x : Number(x.toString())),
  eAdd: (a, b) => a + b,
  eSub: (a, b) => a - b,
  eMul: (a, b) => a * b,
  eDiv: (a, b) => a / b,
  eNum: (a) => a,
  eIsZero: (a) => a === 0,
  eFinite: (a) => Number.isFinite(a),
  eCmp: (a, b) => (a < b ? -1 : a > b ? 1 : 0),
  eLog2: (a) => (a === 0 ? null : Math.floor(Math.log2(Math.abs(a)))),
  eScale2: (a, s) => a * Math.pow(2, s),
  eMap: (kind, k, j) => map64(kind, j * Math.pow(2, -k)),
  ePi: () => Math.PI,
  eSqrt: (a) => Math.sqrt(a),
  gh: (n) => gaussHermite64(n),
  kernelSum: (B, Y, lev, jlo, jhi, c, allJ, k) => {
    let sum = 0;
    let n = 0;
    for (let j = jlo; j < jhi; j++) {
      if (!allJ && lev[j] !== k) continue;
      const d = Y[j] - c;
      sum += B[j] * Math.exp(-0.5 * d * d);
      n++;
    }
    return [sum, n];
  },
};

// ---------------------------------------------------------------------------------------
// Fixed point: values are BigInts scaled by 2^P.

/** exp(-z) in fixed point: tables for exp(-m/64) and exp(-c 2^-18), Taylor for the rest. */
class FixedExp {
  readonly P: bigint;
  readonly zmax: number;
  private readonly zmaxT: bigint;
  private readonly G = 48n; // guard bits of the tables
  private t12: bigint[] = []; // exp(-m/64), with G guard bits
  private readonly e64: bigint;
  private t3: bigint[] = []; // exp(-c 2^-18), c < 4096
  private coef: bigint[] = []; // 1/n!
  constructor(Pn: number, zmax: number) {
    this.P = BigInt(Pn);
    this.zmax = zmax;
    this.zmaxT = BigInt(Math.ceil(zmax)) << this.P;
    const H = decContext(Math.ceil((Pn + 60) * 0.30103) + 5);
    const Pg = this.P + this.G;
    const toFixed = (d: Decimal, bits: bigint) => BigInt(d.times(new H(2).pow(Number(bits))).toFixed(0));
    this.e64 = toFixed(new H(-1).div(64).exp(), Pg);
    const e18 = toFixed(new H(-1).div(2 ** 18).exp(), Pg);
    let v = 1n << Pg;
    for (let c = 0; c < 4096; c++) {
      this.t3.push(v >> this.G);
      v = (v * e18) >> Pg;
    }
    let n = 0;
    let bits = 0;
    while (bits < Pn + 6) {
      n++;
      bits = 18 * n + Math.log2(factorial(n));
    }
    let f = 1n << this.P;
    this.coef.push(f);
    for (let i = 1; i < n; i++) {
      f = f / BigInt(i);
      this.coef.push(f);
    }
    this.t12.push(1n << Pg);
  }
  exp(z: bigint): bigint {
    if (z <= 0n) return (1n << this.P) + (z < 0n ? -z : 0n); // only tiny negative z from rounding
    if (z >= this.zmaxT) return 0n;
    const P = this.P;
    const m = Number(z >> (P - 18n));
    const a = Math.floor(m / 4096); // multiples of 1/64
    const c = m - a * 4096;
    const r = z - (BigInt(m) << (P - 18n));
    const coef = this.coef;
    let acc = coef[coef.length - 1];
    for (let i = coef.length - 2; i >= 0; i--) acc = coef[i] - ((r * acc) >> P);
    const t12 = this.t12;
    if (a >= t12.length) {
      const Pg = P + this.G;
      while (t12.length <= a) t12.push((t12[t12.length - 1] * this.e64) >> Pg);
    }
    const t = (t12[a] * this.t3[c]) >> (P + this.G);
    return (t * acc) >> P;
  }
}

function factorial(n: number): number {
  let f = 1;
  for (let i = 2; i <= n; i++) f *= i;
  return f;
}

const fixedExpCache = new Map<number, FixedExp>();
const decCtxCache = new Map<string, Ctx<bigint, Decimal>>();

function makeDecCtx(digits: number, guard: number, zmax: number): Ctx<bigint, Decimal> {
  const key = `${digits}:${guard}`;
  const hit = decCtxCache.get(key);
  if (hit) return hit;
  const D = decContext(digits + guard);
  const Pn = Math.ceil((digits + guard + 6) * 3.3219280948873626) + 8;
  const P = BigInt(Pn);
  let fx = fixedExpCache.get(Pn);
  if (!fx || fx.zmax < zmax) {
    fx = new FixedExp(Pn, Math.max(zmax, 200));
    fixedExpCache.set(Pn, fx);
  }
  const fexp = fx;
  const H = decContext(Math.ceil(Pn * 0.30103) + 12);
  const pow2Cache = new Map<number, Decimal>();
  const pow2 = (s: number): Decimal => {
    let v = pow2Cache.get(s);
    if (!v) {
      v = new H(2).pow(s);
      pow2Cache.set(s, v);
    }
    return v;
  };
  const halfP = P + 1n;
  const ghCache = new Map<number, { x: Decimal[]; w: bigint[] }>();
  const C: Ctx<bigint, Decimal> = {
    kind: 'dec',
    digits,
    evalDigits: digits + guard,
    zero: 0n,
    add: (a, b) => a + b,
    sub: (a, b) => a - b,
    mul: (a, b) => (a * b) >> P,
    halfSq: (a) => (a * a) >> halfP,
    scale2: (a, s) => (s >= 0 ? a << BigInt(s) : a >> BigInt(-s)),
    expNeg: (z) => fexp.exp(z),
    num: (a) => Number(a) / 2 ** Pn,
    toT: (a) => BigInt(new H(a).times(pow2(Pn)).toFixed(0)),
    toTScaled: (a, s) => BigInt(new H(a).times(pow2(Pn - s)).toFixed(0)),
    fromT: (a) => new D(new H(a.toString()).div(pow2(Pn))),
    e: (x) => new D(x),
    eAdd: (a, b) => a.plus(b),
    eSub: (a, b) => a.minus(b),
    eMul: (a, b) => a.times(b),
    eDiv: (a, b) => a.div(b),
    eNum: (a) => a.toNumber(),
    eIsZero: (a) => a.isZero(),
    eFinite: (a) => a.isFinite(),
    eCmp: (a, b) => a.cmp(b),
    eLog2: (a) => {
      if (a.isZero()) return null;
      const n = a.abs().toNumber();
      if (n > 1e-300 && n < 1e300) return Math.floor(Math.log2(n));
      return Math.floor(a.abs().log(2).toNumber());
    },
    eScale2: (a, s) => new D(a.times(pow2(s))),
    eMap: (kind, k, j) => mapDec(D, kind, k, j),
    ePi: () => decPi(D),
    eSqrt: (a) => a.sqrt(),
    gh: (n) => {
      let r = ghCache.get(n);
      if (!r) {
        const g = gaussHermiteDec(D, n);
        r = { x: g.x, w: g.w.map((w) => BigInt(new H(w).times(pow2(Pn)).toFixed(0))) };
        ghCache.set(n, r);
      }
      return r;
    },
    kernelSum: (B, Y, lev, jlo, jhi, c, allJ, k) => {
      let sum = 0n;
      let n = 0;
      for (let j = jlo; j < jhi; j++) {
        if (!allJ && lev[j] !== k) continue;
        const d = Y[j] - c;
        sum += B[j] * fexp.exp((d * d) >> halfP);
        n++;
      }
      return [sum >> P, n];
    },
  };
  decCtxCache.set(key, C);
  return C;
}

// ---------------------------------------------------------------------------------------
// double-double: evaluations and sums in ~31 digits (for digits <= DD_MAX_DIGITS)

const ddCtxCache = new Map<number, Ctx<DD, DD>>();
/** Map values and Gauss–Hermite rules in double-double, shared by every call (nodes in t are fixed). */
const ddMapCache = new Map<string, [DD, DD]>();
const ddGhCache = new Map<number, { x: DD[]; w: DD[] }>();

function ddMap(kind: MapKind, k: number, j: number): [DD, DD] {
  while (k > 0 && j % 2 === 0) {
    j /= 2;
    k--;
  }
  const key = `${kind}:${k}:${j}`;
  let v = ddMapCache.get(key);
  if (!v) {
    if (kind === 'sh') {
      const t = ddScale2(new DD(j, 0), -k);
      v = [ddSinh(t), ddCosh(t)];
    } else {
      const m = mapDec(decContext(40), kind, k, j);
      v = [ddFromDecimal(m[0]), ddFromDecimal(m[1])];
    }
    ddMapCache.set(key, v);
  }
  return v;
}

/**
 * Pair weights exp(-z) of the separable rule with z above this cut are computed in float64
 * (relative error <= 2e-14: z has an absolute error <= 2^-52 z). Their share of the sum is below
 * e^-cut, so the absolute error stays below 2e-14 e^-cut L1 = 10^-(digits+8) L1 / 5 (L1 the
 * sum of the absolute terms, < 1e5 times the accuracy floor): far below the target, and
 * accounted for in the rounding estimate (roundoff).
 */
function ddFloatWeightCut(digits: number): number {
  return Math.max(0, digits - 6) * Math.LN10;
}

function makeDDCtx(digits: number, zmax: number): Ctx<DD, DD> {
  const hit = ddCtxCache.get(digits);
  if (hit) return hit;
  const expNeg = (z: DD): DD => (z.h > zmax ? DD_ZERO : ddExp(ddNeg(z)));
  const zFloat = ddFloatWeightCut(digits);
  const C: Ctx<DD, DD> = {
    kind: 'dd',
    digits,
    evalDigits: 31,
    zero: DD_ZERO,
    add: ddAdd,
    sub: ddSub,
    mul: ddMul,
    halfSq: (a) => ddScale2(ddMul(a, a), -1),
    scale2: ddScale2,
    expNeg,
    num: ddToNumber,
    toT: (a) => a,
    toTScaled: (a, s) => ddScale2(a, -s),
    fromT: (a) => a,
    e: (x) => (typeof x === 'number' ? new DD(x, 0) : ddFromDecimal(x)),
    eAdd: ddAdd,
    eSub: ddSub,
    eMul: ddMul,
    eDiv: ddDiv,
    eNum: ddToNumber,
    eIsZero: (a) => a.h === 0,
    eFinite: (a) => Number.isFinite(a.h),
    eCmp: ddCmp,
    eLog2: (a) => (a.h === 0 ? null : Math.floor(Math.log2(Math.abs(a.h)))),
    eScale2: ddScale2,
    eMap: ddMap,
    ePi: () => DD_PI,
    eSqrt: ddSqrt,
    gh: (n) => {
      let r = ddGhCache.get(n);
      if (!r) {
        const g = gaussHermiteDec(decContext(40), n);
        r = { x: g.x.map((v) => ddFromDecimal(v)), w: g.w.map((v) => ddFromDecimal(v)) };
        ddGhCache.set(n, r);
      }
      return r;
    },
    kernelSum: (B, Y, lev, jlo, jhi, c, allJ, k) => {
      let sum = DD_ZERO;
      let n = 0;
      for (let j = jlo; j < jhi; j++) {
        if (!allJ && lev[j] !== k) continue;
        const d = ddSub(Y[j], c);
        const zf = 0.5 * d.h * d.h;
        // small weights in float64 (see ddFloatWeightCut); the others in double-double
        sum = ddAdd(sum, zf > zFloat ? ddMulNum(B[j], Math.exp(-zf)) : ddMul(B[j], expNeg(ddScale2(ddMul(d, d), -1))));
        n++;
      }
      return [sum, n];
    },
  };
  ddCtxCache.set(digits, C);
  return C;
}

function ddFront(digits: number): Front<DD, DD> {
  return { C: makeDDCtx(digits, planDec(digits).zmax + 10), fromDec: (d) => ddFromDecimal(d), toDec: (e, D) => ddToDecimal(e, D) };
}

// =======================================================================================
// 1D grids in a standardized variable

interface GNode<T, E> {
  x: E;
  X: T;
  xf: number;
  W: T; // map weight dx/dt (without the step h)
  lev: number;
  pc: number; // piece index
}

interface Piece<E> {
  kind: MapKind;
  a: E; // anchor (tails), left end (ts), scale (sh)
  b: E; // right end (ts)
  dir: 1 | -1;
  half?: E;
  tLo: number;
  tHi: number;
}

/** Level (step 2^-FIRST_LEVEL) of the first value used in a level difference. */
const FIRST_LEVEL = 1;

class Grid<T, E> {
  readonly pieces: Piece<E>[] = [];
  private levels: GNode<T, E>[][] = [];
  /**
   * bps: breakpoints (standardized, any order); scale: the length a of the map x = a sinh(t)
   * used when there are no breakpoints.
   */
  constructor(private C: Ctx<T, E>, bps: E[], R: number, scale: E) {
    const pts = bps.filter((b) => Math.abs(C.eNum(b)) < R - 0.5).sort((a, b) => C.eCmp(a, b));
    const u: E[] = [];
    for (const p of pts) if (!u.length || C.eCmp(u[u.length - 1], p) !== 0) u.push(p);
    const digits = C.digits + 6;
    const lo = psiLowCap(digits);
    const cap = tsCap(digits);
    if (u.length === 0) {
      const T = Math.asinh(R / C.eNum(scale)) + 0.25;
      this.pieces.push({ kind: 'sh', a: scale, b: scale, dir: 1, tLo: -T, tHi: T });
    } else {
      const first = C.eNum(u[0]);
      const last = C.eNum(u[u.length - 1]);
      this.pieces.push({ kind: 'gs', a: u[0], b: u[0], dir: -1, tLo: lo, tHi: first + R + 1.5 });
      for (let i = 0; i + 1 < u.length; i++) {
        this.pieces.push({ kind: 'ts', a: u[i], b: u[i + 1], dir: 1, half: C.eDiv(C.eSub(u[i + 1], u[i]), C.e(2)), tLo: -cap, tHi: cap });
      }
      this.pieces.push({ kind: 'gs', a: u[u.length - 1], b: u[u.length - 1], dir: 1, tLo: lo, tHi: R - last + 1.5 });
    }
  }
  /** New nodes of level k (k = 0: all integer t). */
  level(k: number): GNode<T, E>[] {
    while (this.levels.length <= k) this.levels.push(this.build(this.levels.length));
    return this.levels[k];
  }
  private build(k: number): GNode<T, E>[] {
    const C = this.C;
    const h = Math.pow(2, -k);
    const out: GNode<T, E>[] = [];
    this.pieces.forEach((pc, ip) => {
      const jLo = Math.ceil(pc.tLo / h);
      const jHi = Math.floor(pc.tHi / h);
      for (let j = jLo; j <= jHi; j++) {
        if (k > 0 && j % 2 === 0) continue;
        const [ma, mb] = C.eMap(pc.kind, k, j);
        let x: E;
        let w: E = mb;
        switch (pc.kind) {
          case 'sh':
            x = C.eMul(pc.a, ma);
            w = C.eMul(pc.a, mb);
            break;
          case 'gs':
            if (C.eIsZero(ma)) continue;
            x = pc.dir === 1 ? C.eAdd(pc.a, ma) : C.eSub(pc.a, ma);
            break;
          case 'ts': {
            if (C.eIsZero(ma)) continue;
            const off = C.eMul(pc.half!, ma);
            x = j < 0 ? C.eAdd(pc.a, off) : j > 0 ? C.eSub(pc.b, off) : C.eAdd(pc.a, pc.half!);
            w = C.eMul(pc.half!, mb);
            break;
          }
          default:
            throw new Error(`unexpected map ${pc.kind}`);
        }
        out.push({ x, X: C.toT(x), xf: C.eNum(x), W: C.toT(w), lev: k, pc: ip });
      }
    });
    return out;
  }
}

/**
 * Level differences and error estimates per piece. `pow`: the exact sum of a piece at level k
 * equals its value times 2^(pow k) (pow = 1 in 1D, 2 for the 2D product rule).
 */
class Tracker<T, E> {
  private prev: (T | undefined)[] = [];
  private d1: (number | undefined)[] = [];
  private d2: (number | undefined)[] = [];
  constructor(private C: Ctx<T, E>, private pow: number) {}
  /** S: per-piece sums at this level; unit: factor turning a sum into a value. */
  step(S: T[], unit: number): { est: number; delta: number } {
    const C = this.C;
    let est = 0;
    let delta = 0;
    let first = false;
    for (let p = 0; p < S.length; p++) {
      const prev = this.prev[p];
      if (prev === undefined) {
        first = true;
      } else {
        const d = Math.abs(C.num(C.sub(S[p], C.scale2(prev, this.pow)))) * unit;
        est += levelEstimate(d, this.d1[p], this.d2[p]);
        delta += d;
        this.d2[p] = this.d1[p];
        this.d1[p] = d;
      }
      this.prev[p] = S[p];
    }
    return first ? { est: Infinity, delta: Infinity } : { est, delta };
  }
}

// =======================================================================================
// Plans and helpers

interface Plan {
  digits: number;
  /** Gaussian cut-off: weights below exp(-zmax) are dropped */
  zmax: number;
  R: number;
  tolRel: number;
  floorRel: number;
  maxLevel: number;
  /** the separable rule gives up (unconverged, with its honest estimate) beyond this many evaluations */
  maxSepEvals: number;
}

function planDec(digits: number): Plan {
  // exp(-zmax) ~ 10^-(digits+8) / 2e4: room for polynomially growing f g (relu^2 relu^2, ...)
  const zmax = (digits + 8) * Math.LN10 + 10;
  return { digits, zmax, R: Math.sqrt(2 * zmax), tolRel: Math.pow(10, -(digits + 1)), floorRel: 1e-5, maxLevel: 12, maxSepEvals: 4 * SEP_MAX_PREDICTED };
}

function plan64(tol: number): Plan {
  const zmax = -Math.log(tol * 1e-3) + 12;
  const floorRel = Math.min(1, Math.max(1e-4, (50 * 2.220446049250313e-16) / tol));
  return { digits: Math.max(4, Math.ceil(-Math.log10(tol))), zmax, R: Math.sqrt(2 * zmax), tolRel: tol, floorRel, maxLevel: 14, maxSepEvals: 100000 };
}

/** Breakpoints in a standardized variable: kinks / sqrt(K). */
function stdBreakpoints<T, E>(C: Ctx<T, E>, kinks: number[] | undefined, sqrtK: E): E[] {
  const out: E[] = [];
  for (const k of kinks ?? []) {
    if (!Number.isFinite(k)) continue;
    out.push(C.eDiv(C.e(k), sqrtK));
  }
  return out;
}

/** Length scale of the sinh map for a smooth f(sqrt(K) x) (see the header). */
function smoothScale<T, E>(C: Ctx<T, E>, sqrtK: E): E {
  return 1.5 / C.eNum(sqrtK) >= 1 ? C.e(1) : C.eDiv(C.e(1.5), sqrtK);
}

/** Rounding error of a quadrature sum whose terms have (weighted) magnitude ~ scale. */
function roundoff<T, E>(C: Ctx<T, E>, scale: number): number {
  if (C.kind === 'dd') return scale * 16 * Math.max(DD_EPS, 2e-14 * Math.exp(-ddFloatWeightCut(C.digits)));
  return C.kind === 'dec' ? scale * Math.pow(10, -(C.evalDigits - 2)) : scale * 2.3e-16 * 16;
}

/** Exponent s of the normalisation 2^-s for function values (largest Gaussian-weighted value). */
function normExp<T, E>(C: Ctx<T, E>, xs: number[], vals: E[]): number {
  if (C.kind !== 'dec') return 0;
  let best: number | null = null;
  let bestW = -Infinity;
  for (let i = 0; i < xs.length; i++) {
    const l = C.eLog2(vals[i]);
    if (l === null) continue;
    const wgt = l - (xs[i] * xs[i]) / 4 / Math.LN2;
    if (wgt > bestW) {
      bestW = wgt;
      best = l;
    }
  }
  return best ?? 0;
}

function lowerBound(a: number[], v: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const m = (lo + hi) >> 1;
    if (a[m] < v) lo = m + 1;
    else hi = m;
  }
  return lo;
}

function upperBound(a: number[], v: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const m = (lo + hi) >> 1;
    if (a[m] <= v) lo = m + 1;
    else hi = m;
  }
  return lo;
}

function sumAll<T, E>(C: Ctx<T, E>, xs: T[]): T {
  let s = C.zero;
  for (const x of xs) s = C.add(s, x);
  return s;
}

interface RawResult<T> {
  /** exact sum; value = S * 2^(hExp + scaleExp) * constant (1/sqrt(2 pi); 1/(2 pi sigma) for 'separable') */
  S: T;
  hExp: number;
  /** absolute error estimate, in units of 2^scaleExp (constants applied) */
  est: number;
  /** the value as a float, in units of 2^scaleExp (constants applied) */
  valNum: number;
  scaleExp: number;
  evals: number;
  method: string;
  /** false when the rule stopped (level or size cap) with its estimate above the target */
  converged?: boolean;
}

// =======================================================================================
// 1D expectation in standardized x: E[h(x)], x ~ N(0, 1)

function expect1Core<T, E>(C: Ctx<T, E>, plan: Plan, h: (x: E) => E, bps: E[], scale: E): RawResult<T> {
  let R = plan.R;
  for (let attempt = 0; attempt < 3; attempt++) {
    const res = expect1Once(C, plan, h, bps, R, scale);
    if (res.tailOk) return res.r;
    R += 4; // f grows faster than the cut-off allowed for: widen the range
  }
  return expect1Once(C, plan, h, bps, R, scale).r;
}

function expect1Once<T, E>(C: Ctx<T, E>, plan: Plan, h: (x: E) => E, bps: E[], R: number, scale: E): { r: RawResult<T>; tailOk: boolean } {
  const grid = new Grid(C, bps, R, scale);
  const invSqrt2pi = 1 / Math.sqrt(2 * Math.PI);
  const S: T[] = grid.pieces.map(() => C.zero);
  const tracker = new Tracker(C, 1);
  let sExp = 0;
  let L1 = 0;
  let evals = 0;
  let est = Infinity;
  let val = 0;
  let tailMax = 0;
  let k = 0;
  for (; k <= plan.maxLevel; k++) {
    const nodes = grid.level(k);
    const fv: E[] = nodes.map((nd) => h(nd.x));
    evals += nodes.length;
    if (k === 0) sExp = normExp(C, nodes.map((n) => n.xf), fv);
    for (let i = 0; i < nodes.length; i++) {
      const nd = nodes[i];
      const f = fv[i];
      if (!C.eFinite(f)) throw new RangeError(`Gaussian expectation: integrand not finite at x = ${nd.xf}`);
      if (C.eIsZero(f)) continue;
      const term = C.mul(C.mul(C.toTScaled(f, sExp), nd.W), C.expNeg(C.halfSq(nd.X)));
      S[nd.pc] = C.add(S[nd.pc], term);
      const m = Math.abs(C.num(term));
      L1 += m;
      if (Math.abs(nd.xf) > R - 0.75 && m > tailMax) tailMax = m;
    }
    if (k < FIRST_LEVEL) continue; // h = 1 is pre-asymptotic: never used in a difference
    const unit = Math.pow(2, -k) * invSqrt2pi;
    val = C.num(sumAll(C, S)) * unit;
    const l1 = L1 * unit;
    const ro = roundoff(C, l1);
    const st = tracker.step(S, unit);
    est = st.est + ro;
    if (k >= FIRST_LEVEL + 2 && (est <= plan.tolRel * Math.max(Math.abs(val), plan.floorRel * l1) || st.delta <= 2 * ro)) break;
  }
  const kk = Math.min(k, plan.maxLevel);
  const unit = Math.pow(2, -kk) * invSqrt2pi;
  // the outermost nodes must be negligible (f growing faster than the cut-off assumed)
  const tailOk = L1 === 0 || tailMax * unit <= Math.pow(10, -(plan.digits + 3)) * L1 * unit;
  return { r: { S: sumAll(C, S), hExp: -kk, est, valNum: val, scaleExp: sExp, evals, method: '1d' }, tailOk };
}

// =======================================================================================
// 2D

interface Pair2D<E> {
  f: (u: E) => E;
  g: (v: E) => E;
  sK11: E;
  sK22: E;
  rho: E;
  sigma: E;
  bpsF: E[]; // standardized
  bpsG: E[];
  scaleF: E; // sinh-map scales
  scaleG: E;
}

function swapPair<E>(P: Pair2D<E>): Pair2D<E> {
  return { f: P.g, g: P.f, sK11: P.sK22, sK22: P.sK11, rho: P.rho, sigma: P.sigma, bpsF: P.bpsG, bpsG: P.bpsF, scaleF: P.scaleG, scaleG: P.scaleF };
}

// ---------------------------------------------------------------------------------------
// separable product rule

function expect2Separable<T, E>(C: Ctx<T, E>, plan: Plan, P: Pair2D<E>): RawResult<T> {
  const R = plan.R;
  const g1 = new Grid(C, P.bpsF, R, P.scaleF);
  const g2 = new Grid(C, P.bpsG, R, P.scaleG);
  const n1p = g1.pieces.length;
  const n2p = g2.pieces.length;
  const rho = C.eNum(P.rho);
  const sig = C.eNum(P.sigma);
  const invSigE = C.eDiv(C.e(1), P.sigma);
  const invSigT = C.toT(invSigE);
  const rhoSigT = C.toT(C.eMul(P.rho, invSigE));
  const zmax = plan.zmax;
  // first level whose step resolves the width sigma roughly
  const k0 = Math.max(FIRST_LEVEL, Math.ceil(Math.log2(1 / (1.2 * sig))));
  const n1: { xf: number; A: T; Cc: T; lev: number; pc: number }[] = [];
  const n2: { Y: T; xf: number; B: T; lev: number; pc: number }[] = [];
  let sF = 0;
  let sG = 0;
  const S: T[] = new Array(n1p * n2p).fill(C.zero);
  const tracker = new Tracker(C, 2);
  let Ef2 = 0;
  let Eg2 = 0;
  let evals = 0;
  let est = Infinity;
  let val = 0;
  const invSqrt2pi = 1 / Math.sqrt(2 * Math.PI);
  const norm = 1 / (2 * Math.PI * sig);
  let kLast = k0;
  let converged = false;
  let k = 0;
  for (; k <= k0 + plan.maxLevel; k++) {
    const new1 = g1.level(k);
    const new2 = g2.level(k);
    if (k > k0 && evals + new1.length + new2.length > plan.maxSepEvals) break; // give up: est stays honest
    const fv = new1.map((nd) => P.f(C.eMul(P.sK11, nd.x)));
    const gv = new2.map((nd) => P.g(C.eMul(P.sK22, nd.x)));
    evals += new1.length + new2.length;
    if (k === 0) {
      sF = normExp(C, new1.map((n) => n.xf), fv);
      sG = normExp(C, new2.map((n) => n.xf), gv);
    }
    const firstNew1 = n1.length;
    for (let i = 0; i < new1.length; i++) {
      const nd = new1[i];
      if (!C.eFinite(fv[i])) throw new RangeError(`Gaussian expectation: f not finite at u = ${C.eNum(P.sK11) * nd.xf}`);
      const F = C.toTScaled(fv[i], sF);
      const ph = C.expNeg(C.halfSq(nd.X));
      const A = C.mul(C.mul(F, nd.W), ph);
      const fn = C.num(F);
      Ef2 += fn * fn * C.num(nd.W) * C.num(ph);
      n1.push({ xf: nd.xf, A, Cc: C.mul(nd.X, rhoSigT), lev: k, pc: nd.pc });
    }
    for (let j = 0; j < new2.length; j++) {
      const nd = new2[j];
      if (!C.eFinite(gv[j])) throw new RangeError(`Gaussian expectation: g not finite at v = ${C.eNum(P.sK22) * nd.xf}`);
      const G = C.toTScaled(gv[j], sG);
      const gn = C.num(G);
      Eg2 += gn * gn * C.num(nd.W) * Math.exp(-0.5 * nd.xf * nd.xf);
      n2.push({ Y: C.mul(nd.X, invSigT), xf: nd.xf, B: C.mul(G, nd.W), lev: k, pc: nd.pc });
    }
    if (k < k0) continue;
    // grid 2 sorted by x2, all levels and the new level alone (the only partners of the old
    // x-nodes); the pieces of grid 2 occupy consecutive index ranges
    n2.sort((a, b) => a.xf - b.xf);
    const arrays = (nodes: typeof n2) => {
      const pcStart: number[] = [];
      for (let p = 0, j = 0; p < n2p; p++) {
        while (j < nodes.length && nodes[j].pc < p) j++;
        pcStart.push(j);
      }
      pcStart.push(nodes.length);
      return { xs: nodes.map((n) => n.xf), B: nodes.map((n) => n.B), Y: nodes.map((n) => n.Y), pcStart };
    };
    const all2 = arrays(n2);
    const new2k = k === k0 ? all2 : arrays(n2.filter((n) => n.lev === k));
    const noLev = new Int32Array(0);
    for (let i = 0; i < n1.length; i++) {
      const a = n1[i];
      const rest = zmax - 0.5 * a.xf * a.xf;
      if (rest <= 0) continue;
      const dmax = Math.sqrt(2 * rest) * sig + 1e-12;
      const c = rho * a.xf;
      // new x-nodes pair with every x2-node, old ones with the new x2-nodes only
      const g2 = k === k0 || i >= firstNew1 ? all2 : new2k;
      const jlo = lowerBound(g2.xs, c - dmax);
      const jhi = upperBound(g2.xs, c + dmax);
      if (jhi <= jlo) continue;
      for (let p2 = 0; p2 < n2p; p2++) {
        const lo = Math.max(jlo, g2.pcStart[p2]);
        const hi = Math.min(jhi, g2.pcStart[p2 + 1]);
        if (hi <= lo) continue;
        const [inner] = C.kernelSum(g2.B, g2.Y, noLev, lo, hi, a.Cc, true, k);
        const idx = a.pc * n2p + p2;
        S[idx] = C.add(S[idx], C.mul(a.A, inner));
      }
    }
    kLast = k;
    const hk = Math.pow(2, -k);
    const unit = hk * hk * norm;
    val = C.num(sumAll(C, S)) * unit;
    const cs = Math.sqrt(Ef2 * Eg2) * hk * invSqrt2pi;
    const ro = roundoff(C, cs);
    const st = tracker.step(S, unit);
    est = st.est + ro;
    if (k >= k0 + 2 && (est <= plan.tolRel * Math.max(Math.abs(val), plan.floorRel * cs) || st.delta <= 2 * ro)) {
      converged = true;
      break;
    }
  }
  const kk = Math.min(k, k0 + plan.maxLevel, kLast);
  return { S: sumAll(C, S), hExp: -2 * kk, est, valNum: val, scaleExp: sF + sG, evals, method: 'separable', converged };
}

// ---------------------------------------------------------------------------------------
// conditional (nested) rule for small sigma

function expect2Conditional<T, E>(C: Ctx<T, E>, plan: Plan, P0: Pair2D<E>): RawResult<T> {
  // the inner integral is cheapest for a function without breakpoints
  const P: Pair2D<E> = P0.bpsG.length && !P0.bpsF.length ? swapPair(P0) : P0;
  const R = plan.R;
  const Ry = plan.R;
  const rho = C.eNum(P.rho);
  const sig = C.eNum(P.sigma);
  const invSqrt2pi = 1 / Math.sqrt(2 * Math.PI);
  const invS2pE = C.eDiv(C.e(1), eSqrt2Pi(C));
  // g's breakpoints (standardized v), sorted and unique
  const bg: E[] = [];
  for (const b of [...P.bpsG].sort((x, y) => C.eCmp(x, y))) if (!bg.length || C.eCmp(bg[bg.length - 1], b) !== 0) bg.push(b);
  const bgf = bg.map((b) => C.eNum(b));
  // outer breakpoints: f's kinks; crossings x_c = b / rho and the graded boundary layer around them
  const obps: E[] = [...P.bpsF];
  const w = sig / Math.abs(rho);
  const L = Ry * w;
  for (const b of bg) {
    const xc = C.eDiv(b, P.rho);
    if (Math.abs(C.eNum(xc)) > R + L) continue;
    obps.push(xc);
    for (const off of [2 * w, 5 * w, L]) {
      obps.push(C.eAdd(xc, C.e(off)));
      obps.push(C.eSub(xc, C.e(off)));
    }
  }
  const grid = new Grid(C, obps, R, P.scaleF);
  // normalisation of g from a coarse look at it
  let sG = 0;
  let gScale = 0;
  {
    const xs: number[] = [];
    const vals: E[] = [];
    for (let t = -4; t <= 4; t += 0.5) {
      xs.push(t);
      vals.push(P.g(C.eMul(P.sK22, C.e(t))));
    }
    sG = normExp(C, xs, vals);
    vals.forEach((v, i) => {
      gScale = Math.max(gScale, Math.abs(C.eNum(v)) * Math.pow(2, -sG) * Math.exp(-0.25 * xs[i] * xs[i]));
    });
    if (!(gScale > 0)) gScale = 1;
  }
  // absolute tolerance of inner integrals (normalized g units): first assume |value| >~ 1e-2
  // of the scale of f g; tightened (and the outer rule restarted) if inner errors dominate
  const tolFloor = C.kind === 'dec' ? 0 : 64 * (C.kind === 'dd' ? DD_EPS : 2.2e-16) * gScale;
  let tolIn = Math.max(gScale * plan.tolRel * 1e-3, tolFloor);
  let gEvals = 0;
  const gN = (vStd: E): T => {
    gEvals++;
    const val = P.g(C.eMul(P.sK22, vStd));
    if (!C.eFinite(val)) throw new RangeError(`Gaussian expectation: g not finite at v = ${C.eNum(P.sK22) * C.eNum(vStd)}`);
    return C.toTScaled(val, sG);
  };
  // Anchored inner nodes: for each anchor (piece kind and crossing index) and level, the
  // array over j of [g value, offset in y, weight] (null: node at the anchor itself). The
  // nodes sit at fixed v, so one evaluation of g serves every outer node.
  type ANode = [T, T, T] | null;
  const anchorCache = new Map<string, { jMin: number; vals: (ANode | undefined)[] }[]>();
  const anchoredLevel = (key: string, kk: number, jMin: number, jMax: number): { jMin: number; vals: (ANode | undefined)[] } => {
    let lv = anchorCache.get(key);
    if (!lv) {
      lv = [];
      anchorCache.set(key, lv);
    }
    let e = lv[kk];
    if (!e) {
      e = { jMin, vals: new Array(jMax - jMin + 1) };
      lv[kk] = e;
    } else if (jMin < e.jMin || jMax - e.jMin >= e.vals.length) {
      const lo = Math.min(jMin, e.jMin);
      const vals = new Array(Math.max(jMax, e.jMin + e.vals.length - 1) - lo + 1);
      for (let q = 0; q < e.vals.length; q++) vals[q + e.jMin - lo] = e.vals[q];
      e.jMin = lo;
      e.vals = vals;
    }
    return e;
  };
  const digitsIn = C.digits + 6;
  const loCap = psiLowCap(digitsIn);
  const tcap = tsCap(digitsIn);
  let ghStart = 1; // index into GH_N

  /** E_y[g(rho x + sigma y)] (normalized) and its error estimate. */
  // Double-double, g without kinks and a wide inner Gaussian (s = sigma sqrt(K22) above 0.1):
  // Gauss–Hermite would need hundreds of nodes for 20+ digits (g(rho x + sigma y) has poles at
  // ~1/s from the real y-axis), so the inner integral is the sinh-map trapezoid of the 1D rule,
  // y = a sinh(t), a = min(1, 1.5 / s), whose nodes and Gaussian weights are the same for every
  // outer node (computed once per level here).
  const sIn = sig * C.eNum(P.sK22);
  const sinhLevels: { y: E[]; w: T[] }[] = [];
  const useSinh = C.kind === 'dd' && bg.length === 0 && sIn > 0.1;
  const aIn = 1.5 / sIn >= 1 ? 1 : 1.5 / sIn;
  const TIn = Math.asinh(Ry / aIn) + 0.25;
  const sinhLevel = (kk: number): { y: E[]; w: T[] } => {
    while (sinhLevels.length <= kk) {
      const k = sinhLevels.length;
      const jMax = Math.floor(TIn * Math.pow(2, k));
      const lv: { y: E[]; w: T[] } = { y: [], w: [] };
      const aE = C.e(aIn);
      for (let j = -jMax; j <= jMax; j++) {
        if (k > 0 && j % 2 === 0) continue;
        const [ma, mb] = C.eMap('sh', k, j);
        const y = C.eMul(aE, ma);
        const Y = C.toT(y);
        lv.y.push(y);
        lv.w.push(C.mul(C.mul(C.toT(C.eMul(aE, mb)), C.expNeg(C.halfSq(Y))), C.toT(invS2pE)));
      }
      sinhLevels.push(lv);
    }
    return sinhLevels[kk];
  };
  const innerSinh = (mean: E): [T, number] => {
    let acc = C.zero;
    let prev: T | undefined;
    let d1: number | undefined;
    let d2: number | undefined;
    let e = Infinity;
    let kk = 0;
    for (; kk <= 12; kk++) {
      const lv = sinhLevel(kk);
      for (let l = 0; l < lv.y.length; l++) acc = C.add(acc, C.mul(gN(C.eAdd(mean, C.eMul(P.sigma, lv.y[l]))), lv.w[l]));
      const s = C.scale2(acc, -kk);
      if (kk >= FIRST_LEVEL) {
        if (prev !== undefined) {
          const d = Math.abs(C.num(C.sub(s, prev)));
          e = levelEstimate(d, d1, d2);
          d2 = d1;
          d1 = d;
          if (kk >= FIRST_LEVEL + 2 && e <= tolIn) return [s, e];
        }
        prev = s;
      }
    }
    return [prev!, e];
  };

  const inner = (x: E, xf: number): [T, number] => {
    const ys = bgf.map((b) => (b - rho * xf) / sig);
    const active: number[] = [];
    for (let m = 0; m < ys.length; m++) if (Math.abs(ys[m]) < Ry) active.push(m);
    const mean = C.eMul(P.rho, x);
    if (useSinh) return innerSinh(mean);
    if (active.length === 0) {
      // Gauss–Hermite with growing n (GH_N), from one rung below the previous node's choice
      let prev: T | undefined;
      let d1: number | undefined;
      let d2: number | undefined;
      for (let idx = Math.max(0, ghStart - 1); ; idx++) {
        const n = GH_N[idx];
        const gh = C.gh(n);
        let s = C.zero;
        for (let l = 0; l < n; l++) s = C.add(s, C.mul(gN(C.eAdd(mean, C.eMul(P.sigma, gh.x[l]))), gh.w[l]));
        if (prev !== undefined) {
          const d = Math.abs(C.num(C.sub(s, prev)));
          const e = levelEstimate(d, d1, d2);
          if (e <= tolIn || idx === GH_N.length - 1) {
            ghStart = idx;
            return [s, e];
          }
          d2 = d1;
          d1 = d;
        }
        prev = s;
      }
    }
    // anchored rule, split at the active crossings
    const yStar: T[] = active.map((m) => C.toT(C.eDiv(C.eSub(bg[m], mean), P.sigma)));
    interface InPiece {
      kind: 'L' | 'R' | 'F';
      m: number;
      m2: number;
      tLo: number;
      tHi: number;
      ys: T;
    }
    const pcs: InPiece[] = [];
    const first = active[0];
    const last = active[active.length - 1];
    pcs.push({ kind: 'L', m: first, m2: first, tLo: loCap, tHi: ys[first] + Ry + 1.5, ys: yStar[0] });
    for (let q = 0; q + 1 < active.length; q++) {
      pcs.push({ kind: 'F', m: active[q], m2: active[q + 1], tLo: -tcap, tHi: tcap, ys: yStar[q] });
    }
    pcs.push({ kind: 'R', m: last, m2: last, tLo: loCap, tHi: Ry - ys[last] + 1.5, ys: yStar[active.length - 1] });
    const S: T[] = pcs.map(() => C.zero);
    const tr = new Tracker(C, 1);
    let e = Infinity;
    let kk = 0;
    for (; kk <= 12; kk++) {
      const hh = Math.pow(2, -kk);
      for (let ip = 0; ip < pcs.length; ip++) {
        const pc = pcs[ip];
        const jLo = Math.ceil(pc.tLo / hh);
        const jHi = Math.floor(pc.tHi / hh);
        if (jHi < jLo) continue;
        const isF = pc.kind === 'F';
        const lvl = anchoredLevel(isF ? `F${pc.m}:${pc.m2}` : `${pc.kind}${pc.m}`, kk, jLo, jHi);
        const vals = lvl.vals;
        const off0 = lvl.jMin;
        let acc = S[ip];
        for (let j = kk > 0 && (jLo & 1) === 0 ? jLo + 1 : jLo; j <= jHi; j += kk > 0 ? 2 : 1) {
          let nd = vals[j - off0];
          if (nd === undefined) {
            if (isF) {
              const [ma, mb] = C.eMap('ts', kk, j);
              if (C.eIsZero(ma)) nd = null;
              else {
                // y runs over [y*_m, y*_m2], of length (b_m2 - b_m) / sigma; v = b_m + sigma (y - y*_m)
                const halfY = C.eDiv(C.eSub(bg[pc.m2], bg[pc.m]), C.eMul(C.e(2), P.sigma));
                const off = C.eMul(halfY, ma); // distance from the nearer end, in y
                const fromLeft = j < 0 ? off : j > 0 ? C.eSub(C.eMul(C.e(2), halfY), off) : halfY;
                const vStd = C.eAdd(bg[pc.m], C.eMul(P.sigma, fromLeft));
                nd = [gN(vStd), C.toT(fromLeft), C.toT(C.eMul(C.eMul(halfY, mb), invS2pE))];
              }
            } else {
              const [ma, mb] = C.eMap('gs', kk, j);
              if (C.eIsZero(ma)) nd = null;
              else {
                const vStd = pc.kind === 'R' ? C.eAdd(bg[pc.m], C.eMul(P.sigma, ma)) : C.eSub(bg[pc.m], C.eMul(P.sigma, ma));
                nd = [gN(vStd), C.toT(ma), C.toT(C.eMul(mb, invS2pE))];
              }
            }
            vals[j - off0] = nd;
          }
          if (!nd) continue;
          const y = pc.kind === 'L' ? C.sub(pc.ys, nd[1]) : C.add(pc.ys, nd[1]);
          acc = C.add(acc, C.mul(C.mul(nd[0], nd[2]), C.expNeg(C.halfSq(y))));
        }
        S[ip] = acc;
      }
      if (kk < FIRST_LEVEL) continue;
      e = tr.step(S, hh).est;
      if (kk >= FIRST_LEVEL + 2 && e <= tolIn) break;
    }
    return [C.scale2(sumAll(C, S), -Math.min(kk, 12)), e];
  };

  // outer rule
  let evalsF = 0;
  let sF = 0;
  for (let attempt = 0; ; attempt++) {
  const S: T[] = grid.pieces.map(() => C.zero);
  const tracker = new Tracker(C, 1);
  let Ef2 = 0;
  let Eg2max = 0;
  let innerErr = 0;
  let est = Infinity;
  let val = 0;
  let tolAbs = Infinity;
  let converged = false;
  let k = 0;
  for (; k <= plan.maxLevel; k++) {
    const nodes = grid.level(k);
    const fv = nodes.map((nd) => P.f(C.eMul(P.sK11, nd.x)));
    evalsF += nodes.length;
    if (k === 0) sF = normExp(C, nodes.map((n) => n.xf), fv);
    for (let i = 0; i < nodes.length; i++) {
      const nd = nodes[i];
      if (!C.eFinite(fv[i])) throw new RangeError(`Gaussian expectation: f not finite at u = ${C.eNum(P.sK11) * nd.xf}`);
      if (0.5 * nd.xf * nd.xf > plan.zmax) continue;
      const F = C.toTScaled(fv[i], sF);
      const ph = C.expNeg(C.halfSq(nd.X));
      const A = C.mul(C.mul(F, nd.W), ph);
      const fn = C.num(F);
      Ef2 += fn * fn * C.num(nd.W) * C.num(ph);
      const an = Math.abs(C.num(A));
      if (an === 0) continue;
      const [G, eG] = inner(nd.x, nd.xf);
      const gn = C.num(G);
      Eg2max = Math.max(Eg2max, gn * gn);
      S[nd.pc] = C.add(S[nd.pc], C.mul(A, G));
      innerErr += an * eG;
    }
    if (k < FIRST_LEVEL) continue;
    const unit = Math.pow(2, -k) * invSqrt2pi;
    val = C.num(sumAll(C, S)) * unit;
    const cs = Math.sqrt(Ef2 * unit * Math.max(Eg2max, 1e-300));
    const ro = roundoff(C, cs);
    const st = tracker.step(S, unit);
    est = st.est + innerErr * unit + ro;
    tolAbs = plan.tolRel * Math.max(Math.abs(val), plan.floorRel * cs);
    if (k >= FIRST_LEVEL + 2 && (est <= tolAbs || st.delta <= 2 * ro)) {
      converged = true;
      break;
    }
  }
  const kk = Math.min(k, plan.maxLevel);
  const inn = innerErr * Math.pow(2, -kk) * invSqrt2pi;
  if (attempt < 2 && inn > 0.3 * tolAbs && tolIn > tolFloor) {
    // the value is small compared with the scale of f g: tighten the inner tolerance and redo
    tolIn = Math.max(tolFloor, (tolIn * 0.1 * tolAbs) / inn);
    continue;
  }
  return { S: sumAll(C, S), hExp: -kk, est, valNum: val, scaleExp: sF + sG, evals: evalsF + gEvals, method: 'conditional', converged };
  }
}

function eSqrt2Pi<T, E>(C: Ctx<T, E>): E {
  return C.eSqrt(C.eMul(C.e(2), C.ePi()));
}

// =======================================================================================
// Public API

/**
 * Choice between the separable and the conditional rule by a cost model. L = 1 + 0.3 ln
 * max(1, sqrt(K11 K22)) is the growth of the grids with the variances, s = sigma max(1, sqrt K_in)
 * the width of the inner Gauss–Hermite integral over the smooth function put inside (in units of
 * its own variation scale).
 *
 * Decimal (cost = evaluations of f and g, measured at 20 digits): separable ~ 250 L / sigma
 * (both grids must resolve the width sigma); conditional ~ 250 (7 + 300 s). With kinks in both f
 * and g the inner integrals near the crossings are anchored rules instead; the crossover is then
 * at sigma ~ 0.05. The separable rule is never chosen above SEP_MAX_PREDICTED evaluations.
 *
 * float64 (cost = time; evaluations are cheap, each separable pair weight costs an exp):
 * separable ~ 84 L^2 sigma^-1.3 us, conditional ~ 60 L (1 + 30 s^2) us (inner Gauss–Hermite
 * values need no exp); both kinked: separable for sigma >= 0.2 (measured crossover).
 */
export function chooseRule(dec: boolean, kinksF: boolean, kinksG: boolean, sigma: number, sK11: number, sK22: number): 'separable' | 'conditional' {
  const L = 1 + 0.3 * Math.log(Math.max(1, sK11 * sK22));
  const sKin = kinksG && !kinksF ? sK11 : sK22; // the conditional rule puts a smooth function inside
  const s = sigma * Math.max(1, sKin);
  if (dec) {
    if ((250 * L) / sigma > SEP_MAX_PREDICTED) return 'conditional';
    if (kinksF && kinksG) return sigma >= 0.05 ? 'separable' : 'conditional';
    return L / sigma <= 7 + 300 * s ? 'separable' : 'conditional';
  }
  if (kinksF && kinksG) return sigma >= 0.2 ? 'separable' : 'conditional';
  return 84 * L * L * Math.pow(sigma, -1.3) <= 60 * L * (1 + 30 * s * s) ? 'separable' : 'conditional';
}
/** Largest predicted size (evaluations) for which the Decimal path may choose the separable rule. */
const SEP_MAX_PREDICTED = 20000;

/**
 * The 2D rule: the cost model's choice (or `rule`); if it stops unconverged (size or level cap),
 * the other rule, keeping the result with the smaller estimate.
 */
function expect2Rule<T, E>(C: Ctx<T, E>, plan: Plan, P: Pair2D<E>, sigma: number, sK11: number, sK22: number, rule?: 'separable' | 'conditional'): RawResult<T> {
  const smooth = P.bpsF.length === 0 && P.bpsG.length === 0;
  // double-double, both smooth: the separable rule's pair weights cost a double-double exp each,
  // the conditional rule's inner nodes none; measured crossover (CPU time, tanh at K = 1..30,
  // 20 digits) at rho ~ 0.85-0.9. Otherwise the evaluation-count model, as for decimal.js.
  const choice = rule ?? (C.kind === 'dd' && smooth ? (sigma >= 0.5 ? 'separable' : 'conditional') : chooseRule(C.kind !== 'f64', P.bpsF.length > 0, P.bpsG.length > 0, sigma, sK11, sK22));
  const run = (r: 'separable' | 'conditional') => (r === 'separable' ? expect2Separable(C, plan, P) : expect2Conditional(C, plan, P));
  const first = run(choice);
  if (rule || first.converged !== false) return first;
  const other = choice === 'separable' ? 'conditional' : 'separable';
  // the separable rule only as a fallback of reasonable size
  if (other === 'separable' && (250 * (1 + 0.3 * Math.log(Math.max(1, sK11 * sK22)))) / sigma > SEP_MAX_PREDICTED) return first;
  const second = run(other);
  const best = second.converged !== false || second.est < first.est ? second : first;
  return { ...best, evals: first.evals + second.evals };
}

/** Gauss–Hermite orders tried by the conditional rule's inner integrals. */
const GH_N = [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128];

const GUARD = 10;

export interface Expect1OptsDec {
  /** significant digits of the result */
  digits: number;
  /** points in u where f is not smooth (kinks, jumps) */
  kinks?: number[];
}
export interface Expect2OptsDec {
  digits: number;
  kinksF?: number[];
  kinksG?: number[];
  /** Override the rule choice (tests and benchmarks); default: the cost model. */
  rule?: 'separable' | 'conditional';
}
export interface Expect1Opts64 {
  /** relative tolerance (default 1e-13) */
  tol?: number;
  kinks?: number[];
}
export interface Expect2Opts64 {
  tol?: number;
  kinksF?: number[];
  kinksG?: number[];
  /** Override the rule choice (tests and benchmarks); default: the cost model. */
  rule?: 'separable' | 'conditional';
}

/**
 * The arbitrary-precision entry points, generic over the evaluation type: decimal.js (Decimal
 * evaluations, BigInt sums) or double-double. Covariances arrive as decimals either way; the
 * determinant, sigma and rho are computed in decimal.js (exactly, resp. at digits + GUARD) and
 * then handed to the context.
 */
interface Front<T, E> {
  C: Ctx<T, E>;
  /** Decimal at digits + GUARD -> E */
  fromDec(d: Decimal): E;
  /** E -> Decimal (of the constructor D) */
  toDec(e: E, D: DecCtor): Decimal;
}

function finishFront<T, E>(fr: Front<T, E>, r: RawResult<T>, constant: Decimal, D: DecCtor): ExpectResultDec {
  const v = fr.toDec(fr.C.eScale2(fr.C.fromT(r.S), r.hExp + r.scaleExp), D);
  return { value: new D(v.times(constant)), error: r.est * Math.pow(2, r.scaleExp), method: r.method, evaluations: r.evals };
}

function invSqrt2PiDec(D: DecCtor): Decimal {
  return new D(1).div(new D(2).times(decPi(D)).sqrt());
}

function decFront(digits: number, zmax: number): Front<bigint, Decimal> {
  return { C: makeDecCtx(digits, GUARD, zmax), fromDec: (d) => d, toDec: (e) => e };
}

function expect1Front<T, E>(fr: Front<T, E>, plan: Plan, f: (u: E) => E, K: DecIn, kinks: number[] | undefined, digits: number, name: string): ExpectResultDec {
  const C = fr.C;
  const D = decContext(digits + GUARD);
  const Kd = new D(K);
  if (!Kd.isFinite() || Kd.lt(0)) throw new RangeError(`${name}: K must be finite and >= 0`);
  if (Kd.isZero()) return { value: new D(fr.toDec(f(fr.fromDec(new D(0))), D)), error: 0, method: 'degenerate', evaluations: 1 };
  const sK = fr.fromDec(Kd.sqrt());
  const r = expect1Core(C, plan, (x) => f(C.eMul(x, sK)), stdBreakpoints(C, kinks, sK), smoothScale(C, sK));
  return finishFront(fr, r, invSqrt2PiDec(D), D);
}

function expect2Front<T, E>(
  fr: Front<T, E>,
  plan: Plan,
  f: (u: E) => E,
  g: (v: E) => E,
  K11: DecIn,
  K12: DecIn,
  K22: DecIn,
  opts: Expect2OptsDec,
  name: string,
): ExpectResultDec {
  const C = fr.C;
  const digits = opts.digits;
  const D = decContext(digits + GUARD);
  const a = new D(K11);
  const c = new D(K12);
  const b = new D(K22);
  if (!a.isFinite() || !b.isFinite() || !c.isFinite() || a.lt(0) || b.lt(0)) throw new RangeError(`${name}: invalid covariance`);
  const zero = new D(0);
  const at0 = (h: (u: E) => E): Decimal => fr.toDec(h(fr.fromDec(zero)), D);
  if (a.isZero() || b.isZero()) {
    if (!c.isZero()) throw new RangeError(`${name}: covariance matrix is not positive semi-definite`);
    // one variable is identically 0
    if (a.isZero() && b.isZero()) return { value: new D(at0(f).times(at0(g))), error: 0, method: 'degenerate', evaluations: 2 };
    if (a.isZero()) {
      const fz = at0(f);
      const r = expect1Front(fr, plan, g, b, opts.kinksG, digits, name);
      return { value: new D(r.value.times(fz)), error: r.error * Math.abs(fz.toNumber()), method: 'degenerate', evaluations: (r.evaluations ?? 0) + 1 };
    }
    const gz = at0(g);
    const r = expect1Front(fr, plan, f, a, opts.kinksF, digits, name);
    return { value: new D(r.value.times(gz)), error: r.error * Math.abs(gz.toNumber()), method: 'degenerate', evaluations: (r.evaluations ?? 0) + 1 };
  }
  // det = K11 K22 - K12^2 exactly (the inputs are exact decimals; at working precision
  // K12^2 would round and rho = 1 - 1e-30 would become rho = 1)
  const X = decContext(Math.max(a.sd() + b.sd(), 2 * c.sd()) + 5);
  const prod = a.times(b);
  let det = new D(new X(a).times(b).minus(new X(c).times(c)));
  if (det.isNeg()) {
    if (det.div(prod).gt(new D(10).pow(-(digits + GUARD - 4)).neg())) det = zero;
    else throw new RangeError(`${name}: covariance matrix is not positive semi-definite`);
  }
  const sK11d = a.sqrt();
  const sK22d = b.sqrt();
  const sK11 = fr.fromDec(sK11d);
  const sK22 = fr.fromDec(sK22d);
  const invSqrt2pi = invSqrt2PiDec(D);
  if (det.isZero()) {
    // rho = +-1: v = +-sqrt(K22/K11) u
    const neg = c.isNeg();
    const bps = [...stdBreakpoints(C, opts.kinksF, sK11), ...stdBreakpoints(C, opts.kinksG, sK22).map((x) => (neg ? C.eSub(C.e(0), x) : x))];
    const sv = fr.fromDec(neg ? sK22d.neg() : sK22d);
    const r = expect1Core(C, plan, (x) => C.eMul(f(C.eMul(x, sK11)), g(C.eMul(x, sv))), bps, smoothScale(C, a.gt(b) ? sK11 : sK22));
    return finishFront(fr, r, invSqrt2pi, D);
  }
  const sigmaD = det.div(prod).sqrt(); // sqrt(1 - rho^2) without cancellation
  const sigma = fr.fromDec(sigmaD);
  const P: Pair2D<E> = {
    f,
    g,
    sK11,
    sK22,
    rho: fr.fromDec(c.div(prod.sqrt())),
    sigma,
    bpsF: stdBreakpoints(C, opts.kinksF, sK11),
    bpsG: stdBreakpoints(C, opts.kinksG, sK22),
    scaleF: smoothScale(C, sK11),
    scaleG: smoothScale(C, sK22),
  };
  const r = expect2Rule(C, plan, P, sigmaD.toNumber(), sK11d.toNumber(), sK22d.toNumber(), opts.rule);
  return finishFront(fr, r, r.method === 'separable' ? new D(1).div(decPi(D).times(2).times(sigmaD)) : invSqrt2pi, D);
}

/** E[f(u)], u ~ N(0, K), to `digits` significant digits. f receives Decimals at digits + 10 digits. */
export function expect1Dec(f: (u: Decimal) => Decimal, K: DecIn, opts: Expect1OptsDec): ExpectResultDec {
  const plan = planDec(opts.digits);
  return expect1Front(decFront(opts.digits, plan.zmax + 10), plan, f, K, opts.kinks, opts.digits, 'expect1Dec');
}

/**
 * E[f(u) g(v)], (u, v) ~ N(0, [[K11, K12], [K12, K22]]), to `digits` significant digits.
 * f and g receive Decimals at digits + 10 digits.
 */
export function expect2Dec(
  f: (u: Decimal) => Decimal,
  g: (v: Decimal) => Decimal,
  K11: DecIn,
  K12: DecIn,
  K22: DecIn,
  opts: Expect2OptsDec,
): ExpectResultDec {
  const plan = planDec(opts.digits);
  return expect2Front(decFront(opts.digits, plan.zmax + 10), plan, f, g, K11, K12, K22, opts, 'expect2Dec');
}

/**
 * E[f(u)], u ~ N(0, K), to `digits` <= DD_MAX_DIGITS significant digits, with f evaluated and
 * the quadrature summed in double-double arithmetic (~31 digits). Same rules, error estimates
 * and accuracy target as expect1Dec; the value is returned as a Decimal at digits + 10 digits.
 */
export function expect1DD(f: (u: DD) => DD, K: DecIn, opts: Expect1OptsDec): ExpectResultDec {
  const plan = planDec(opts.digits);
  return expect1Front(ddFront(opts.digits), plan, f, K, opts.kinks, opts.digits, 'expect1DD');
}

/** E[f(u) g(v)] as expect2Dec, in double-double (digits <= DD_MAX_DIGITS). */
export function expect2DD(f: (u: DD) => DD, g: (v: DD) => DD, K11: DecIn, K12: DecIn, K22: DecIn, opts: Expect2OptsDec): ExpectResultDec {
  const plan = planDec(opts.digits);
  return expect2Front(ddFront(opts.digits), plan, f, g, K11, K12, K22, opts, 'expect2DD');
}

/** E[f(u)], u ~ N(0, K), in float64 (relative tolerance tol, default 1e-13). */
export function expect1F64(f: (u: number) => number, K: number, opts: Expect1Opts64 = {}): ExpectResult64 {
  const plan = plan64(opts.tol ?? 1e-13);
  if (!(K >= 0) || !Number.isFinite(K)) throw new RangeError('expect1F64: K must be finite and >= 0');
  if (K === 0) return { value: f(0), error: 0, method: 'degenerate', evaluations: 1 };
  const sK = Math.sqrt(K);
  const r = expect1Core(F64, plan, (x) => f(sK * x), stdBreakpoints(F64, opts.kinks, sK), smoothScale(F64, sK));
  return { value: r.valNum, error: r.est, method: r.method, evaluations: r.evals };
}

/** E[f(u) g(v)], (u, v) ~ N(0, [[K11, K12], [K12, K22]]), in float64 (relative tolerance tol, default 1e-13). */
export function expect2F64(
  f: (u: number) => number,
  g: (v: number) => number,
  K11: number,
  K12: number,
  K22: number,
  opts: Expect2Opts64 = {},
): ExpectResult64 {
  const plan = plan64(opts.tol ?? 1e-13);
  if (![K11, K12, K22].every(Number.isFinite) || K11 < 0 || K22 < 0) throw new RangeError('expect2F64: invalid covariance');
  if (K11 === 0 || K22 === 0) {
    if (K12 !== 0) throw new RangeError('expect2F64: covariance matrix is not positive semi-definite');
    if (K11 === 0 && K22 === 0) return { value: f(0) * g(0), error: 0, method: 'degenerate', evaluations: 2 };
    if (K11 === 0) {
      const fz = f(0);
      const r = expect1F64(g, K22, { tol: opts.tol, kinks: opts.kinksG });
      return { value: r.value * fz, error: r.error * Math.abs(fz), method: 'degenerate', evaluations: (r.evaluations ?? 0) + 1 };
    }
    const gz = g(0);
    const r = expect1F64(f, K11, { tol: opts.tol, kinks: opts.kinksF });
    return { value: r.value * gz, error: r.error * Math.abs(gz), method: 'degenerate', evaluations: (r.evaluations ?? 0) + 1 };
  }
  const prod = K11 * K22;
  // det = K11 K22 - K12^2 with error-free products: no cancellation as rho -> +-1
  let det = diffOfProducts(K11, K22, K12, K12);
  if (det < 0) {
    if (det > -1e-14 * prod) det = 0;
    else throw new RangeError('expect2F64: covariance matrix is not positive semi-definite');
  }
  const sK11 = Math.sqrt(K11);
  const sK22 = Math.sqrt(K22);
  if (det === 0) {
    const sv = K12 < 0 ? -sK22 : sK22;
    const bps = [...stdBreakpoints(F64, opts.kinksF, sK11), ...stdBreakpoints(F64, opts.kinksG, sK22).map((x) => (K12 < 0 ? -x : x))];
    const r = expect1Core(F64, plan, (x) => f(sK11 * x) * g(sv * x), bps, smoothScale(F64, Math.max(sK11, sK22)));
    return { value: r.valNum, error: r.est, method: '1d', evaluations: r.evals };
  }
  const sigma = Math.sqrt(det / prod);
  const P: Pair2D<number> = {
    f,
    g,
    sK11,
    sK22,
    rho: Math.max(-1, Math.min(1, K12 / Math.sqrt(prod))),
    sigma,
    bpsF: stdBreakpoints(F64, opts.kinksF, sK11),
    bpsG: stdBreakpoints(F64, opts.kinksG, sK22),
    scaleF: smoothScale(F64, sK11),
    scaleG: smoothScale(F64, sK22),
  };
  const r = expect2Rule(F64, plan, P, sigma, sK11, sK22, opts.rule);
  return { value: r.valNum, error: r.est, method: r.method, evaluations: r.evals };
}

function twoProduct(a: number, b: number): [number, number] {
  const p = a * b;
  const SPLIT = 134217729; // 2^27 + 1
  const split = (x: number): [number, number] => {
    const c = SPLIT * x;
    const hi = c - (c - x);
    return [hi, x - hi];
  };
  const [ah, al] = split(a);
  const [bh, bl] = split(b);
  return [p, al * bl - (p - ah * bh - al * bh - ah * bl)];
}

function diffOfProducts(a: number, b: number, c: number, d: number): number {
  const [p1, e1] = twoProduct(a, b);
  const [p2, e2] = twoProduct(c, d);
  return p1 - p2 + (e1 - e2);
}
