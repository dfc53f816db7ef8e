/**
 * Gaussian expectations E[f(u)] and E[f(u) g(v)], (u, v) ~ N(0, [[K11, K12], [K12, K22]]),
 * in float64 and in arbitrary precision (decimal.js), for smooth, kinked and discontinuous
 * activations, K from ~1e-4 to ~1e3 and correlations rho in [-1, 1] inclusive.
 *
 * Method (all integrals are written in standardized variables x = u / sqrt(K11)):
 *
 *  1D grids. The x-line is cut at the kinks k / sqrt(K) (and at 0 when K >= 8, where smooth
 *  activations behave like kinked ones at scale 1/sqrt(K): tanh(sqrt(K) x) has poles at
 *  x = i pi / (2 sqrt K)). Each piece gets a trapezoid rule in t: plain x = t when there are no
 *  cuts; x = b +- psi(t), psi(t) = log(1 + exp(t - e^{-t})) on tails [b, inf) — double
 *  exponential clustering at the cut, unit spacing far away, which is what exp(-x^2/2) wants;
 *  tanh–sinh between two cuts. Steps are halved level by level with nested nodes.
 *
 *  E[f(u)]: one such grid with weight exp(-x^2/2) / sqrt(2 pi).
 *
 *  E[f(u) g(v)], sigma^2 = 1 - rho^2 computed as (K11 K22 - K12^2)/(K11 K22):
 *   - sigma = 0 (rho = +-1 exactly): the 1D expectation of f(sqrt(K11) x) g(+-sqrt(K22) x).
 *   - sigma >= 0.05 ("separable" product rule): f on an x1-grid, g on an x2-grid (x2 = v /
 *     sqrt(K22)), pair weights phi(x1) phi((x2 - rho x1)/sigma)/sigma. f and g are evaluated
 *     only on 1D grids (O(N) expensive evaluations); the O(N^2) pair weights are computed in
 *     fixed-point BigInt arithmetic with a table-driven exp (Decimal path) or Math.exp.
 *   - sigma < 0.05 ("conditional"): v = sqrt(K22)(rho x + sigma y). Outer grid over x, cut at f's
 *     kinks, at the points x_c = b / rho where the conditional mean of v crosses a kink b of g,
 *     and at x_c +- Ry sigma/|rho| (the boundary layer where the inner Gaussian sees the kink).
 *     Inner integral over y: when no kink of g is within |y| < Ry, Gauss–Hermite with an
 *     adaptively doubled number of nodes (g(rho x + sigma y) is nearly polynomial in y for small
 *     sigma); otherwise a psi/tanh–sinh rule anchored at the crossings y* — its nodes sit at
 *     fixed v = b +- sigma psi(t), so g values are cached across outer nodes.
 *
 * Every result carries an error estimate from the level differences (see quadrature.ts),
 * plus inner-integral, truncation and rounding terms. Accuracy target: `digits` significant
 * digits relative to max(|value|, 1e-5 * sqrt(E[f^2] E[g^2])) (Decimal), or `tol` relative to
 * max(|value|, floor * sqrt(E f^2 E g^2)) with floor = max(1e-4, 50 eps / tol) (float64).
 * Values that vanish by symmetry are thus delivered to that absolute accuracy.
 */
import Decimal from 'decimal.js';
import {
  DecCtor, decContext, decPi, mapDec, map64, MapKind, psiLowCap, tsCap, levelEstimate, gaussHermite64, gaussHermiteDec,
} from './quadrature';
import { plainMath } from './plainMath';
// A plain-object copy of Math: under jest the global Math is a proxy and each Math.* access costs ~1 us.
const Math = plainMath();

export interface ExpectResultDec {
  value: Decimal;
  /** Absolute error estimate. */
  error: number;
  /** Diagnostics: method used, function evaluations. */
  method?: string;
  evaluations?: number;
}
export interface ExpectResult64 {
  value: number;
  error: number;
  method?: string;
  evaluations?: number;
}

type DecIn = Decimal | string | number;

// =======================================================================================
// Arithmetic contexts: T = accumulation type (bigint fixed point or number), E = evaluation
// type (Decimal or number).

interface Ctx<T, E> {
  readonly dec: boolean;
  /** decimal digits the result must reach (used for caps) */
  readonly digits: number;
  /** significant digits of function evaluations (digits + guard; 16 for float64) */
  readonly evalDigits: number;
  readonly zero: T;
  readonly one: T;
  add(a: T, b: T): T;
  sub(a: T, b: T): T;
  mul(a: T, b: T): T;
  /** a * a / 2 */
  halfSq(a: T): T;
  /** a * 2^s */
  scale2(a: T, s: number): T;
  /** exp(-z) for z >= 0; 0 beyond the cut-off */
  expNeg(z: T): T;
  num(a: T): number;
  /** E -> T (no scaling) */
  toT(a: E): T;
  /** E -> T times 2^-s (normalisation of function values) */
  toTScaled(a: E, s: number): T;
  fromT(a: T): E;
  // E arithmetic
  e(x: number | string | Decimal): E;
  eAdd(a: E, b: E): E;
  eSub(a: E, b: E): E;
  eMul(a: E, b: E): E;
  eDiv(a: E, b: E): E;
  eNeg(a: E): E;
  eSqrt(a: E): E;
  eNum(a: E): number;
  eIsZero(a: E): boolean;
  eFinite(a: E): boolean;
  eCmp(a: E, b: E): number;
  /** floor(log2 |a|) (approximately), or null for 0 */
  eLog2(a: E): number | null;
  /** a * 2^s */
  eScale2(a: E, s: number): E;
  eMap(kind: MapKind, k: number, j: number): [E, E];
  ePi(): E;
  gh(n: number): { x: E[]; w: T[] };
  /**
   * Inner sum of the separable rule: sum_j B[j] exp(-(Y[j] - c)^2 / 2) over j in [jlo, jhi)
   * (only entries with lev[j] === k unless allJ). With `uni` (grid 2 uniform with spacing
   * uni.D1 in Y) the Gaussian factors come from an exact two-multiplication recurrence run
   * outward from js, the (new) index nearest to the peak.
   */
  innerSum(B: T[], Y: T[], lev: Int32Array, jlo: number, jhi: number, c: T, allJ: boolean, k: number, uni: Uniform<T> | null, js: number): [T, number];
  /** constants for the uniform recurrence with spacing d (Y units) */
  uniform(d: number, dE: E): Uniform<T>;
}

interface Uniform<T> {
  D1: T; // spacing
  D2: T; // 2 * spacing
  q1: T; // exp(-D1^2)
  q2: T; // exp(-D2^2)
}

// ---------------------------------------------------------------------------------------
// float64 context

const F64: Ctx<number, number> = {
  dec: false,
  digits: 16,
  evalDigits: 16,
  zero: 0,
  one: 1,
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
  eNeg: (a) => -a,
  eSqrt: Math.sqrt,
  eNum: (a) => a,
  eIsZero: (a) => a === 0,
  eFinite: (a) => Number.isFinite(a),
  eCmp: (a, b) => (a < b ? -1 : a > b ? 1 : 0),
  eLog2: (a) => (a === 0 ? null : Math.floor(Math.log2(Math.abs(a)))),
  eScale2: (a, s) => a * Math.pow(2, s),
  eMap: (kind, k, j) => map64(kind, j * Math.pow(2, -k)),
  ePi: () => Math.PI,
  gh: (n) => gaussHermite64(n),
  innerSum: (B, Y, lev, jlo, jhi, c, allJ, k, uni, js) => {
    let sum = 0;
    let n = 0;
    if (uni) {
      const s = allJ ? 1 : 2;
      const D = allJ ? uni.D1 : uni.D2;
      const q = allJ ? uni.q1 : uni.q2;
      const d0 = Y[js] - c;
      const w0 = Math.exp(-0.5 * d0 * d0);
      let cur = w0;
      let mult = Math.exp(-(D * d0 + 0.5 * D * D));
      for (let j = js; j < jhi; j += s) {
        sum += B[j] * cur;
        cur *= mult;
        mult *= q;
        n++;
        if (cur < 1e-300) break;
      }
      mult = Math.exp(-(0.5 * D * D - D * d0));
      cur = w0 * mult;
      mult *= q;
      for (let j = js - s; j >= jlo; j -= s) {
        sum += B[j] * cur;
        cur *= mult;
        mult *= q;
        n++;
        if (cur < 1e-300) break;
      }
      return [sum, n];
    }
    for (let j = jlo; j < jhi; j++) {
      if (!allJ && lev[j] !== k) continue;
      const d = Y[j] - c;
      sum += B[j] * Math.exp(-0.5 * d * d);
      n++;
    }
    return [sum, n];
  },
  uniform: (d) => ({ D1: d, D2: 2 * d, q1: Math.exp(-d * d), q2: Math.exp(-4 * d * d) }),
};

// ---------------------------------------------------------------------------------------
// Fixed-point BigInt context: values are integers scaled by 2^P.

class FixedExp {
  readonly P: bigint;
  readonly Pn: number;
  private t12: bigint[] = []; // exp(-m/64)
  private e64: bigint; // exp(-1/64) with G guard bits
  private readonly G = 48n;
  private t3: bigint[] = []; // exp(-c 2^-18), c < 4096
  private coef: bigint[] = []; // 1/n!
  readonly zmax: number;
  readonly zmaxT: bigint;
  constructor(Pn: number, zmax: number) {
    this.Pn = Pn;
    this.P = BigInt(Pn);
    this.zmax = zmax;
    this.zmaxT = BigInt(Math.ceil(zmax)) << this.P;
    const H = decContext(Math.ceil((Pn + 60) * 0.30103) + 5);
    const Pg = this.P + this.G;
    const toFixed = (d: Decimal, bits: bigint) => BigInt(d.times(new H(2).pow(Number(bits))).toFixed(0));
    this.e64 = toFixed(new H(-1).div(64).exp(), Pg);
    // t3 with guard bits, then rounded
    const e18 = toFixed(new H(-1).div(2 ** 18).exp(), Pg);
    let v = 1n << Pg;
    for (let c = 0; c < 4096; c++) {
      this.t3.push(v >> this.G);
      v = (v * e18) >> Pg;
    }
    // Taylor coefficients: enough terms for r < 2^-18
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
  private grow(m: number) {
    const Pg = this.P + this.G;
    while (this.t12.length <= m) {
      const last = this.t12[this.t12.length - 1];
      this.t12.push((last * this.e64) >> Pg);
    }
  }
  exp(z: bigint): bigint {
    if (z <= 0n) return z === 0n ? 1n << this.P : this.expPos(-z);
    if (z >= this.zmaxT) return 0n;
    const P = this.P;
    const m = Number(z >> (P - 18n));
    const a = Math.floor(m / 4096); // multiples of 1/64
    const c = m - a * 4096;
    const r = z - (BigInt(m) << (P - 18n));
    const coef = this.coef;
    let acc = coef[coef.length - 1];
    for (let i = coef.length - 2; i >= 0; i--) acc = coef[i] - ((r * acc) >> P);
    if (a >= this.t12.length) this.grow(a);
    const t = (this.t12[a] * this.t3[c]) >> (P + this.G);
    return (t * acc) >> P;
  }
  private expPos(z: bigint): bigint {
    // rarely needed (tiny negative arguments from rounding): exp(z) ~ 1 + z
    return (1n << this.P) + z;
  }
}

function factorial(n: number): number {
  let f = 1;
  for (let i = 2; i <= n; i++) f *= i;
  return f;
}

const fixedExpCache = new Map<string, FixedExp>();

function makeDecCtx(digits: number, guard: number, zmax: number): Ctx<bigint, Decimal> {
  const D = decContext(digits + guard);
  const Pn = Math.ceil((digits + guard + 6) * 3.3219280948873626) + 8;
  const P = BigInt(Pn);
  const key = `${Pn}`;
  let fx = fixedExpCache.get(key);
  if (!fx || fx.zmax < zmax) {
    fx = new FixedExp(Pn, Math.max(zmax, 200));
    fixedExpCache.set(key, fx);
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
  const ONE = 1n << P;
  const halfP = P + 1n;
  return {
    dec: true,
    digits,
    evalDigits: digits + guard,
    zero: 0n,
    one: ONE,
    add: (a, b) => a + b,
    sub: (a, b) => a - b,
    mul: (a, b) => (a * b) >> P,
    halfSq: (a) => (a * a) >> halfP,
    scale2: (a, s) => (s >= 0 ? a << BigInt(s) : a >> BigInt(-s)),
    expNeg: (z) => fexp.exp(z),
    num: (a) => Number(a) / 2 ** Pn, // adequate for |a| < 2^(1023 - P)
    toT: (a) => BigInt(new H(a).times(pow2(Pn)).toFixed(0)),
    toTScaled: (a, s) => BigInt(new H(a).times(pow2(Pn - s)).toFixed(0)),
    fromT: (a) => new D(new H(a.toString()).div(pow2(Pn))),
    e: (x) => new D(x),
    eAdd: (a, b) => a.plus(b),
    eSub: (a, b) => a.minus(b),
    eMul: (a, b) => a.times(b),
    eDiv: (a, b) => a.div(b),
    eNeg: (a) => a.neg(),
    eSqrt: (a) => a.sqrt(),
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
    innerSum: (B, Y, lev, jlo, jhi, c, allJ, k, uni, js) => {
      let sum = 0n;
      let n = 0;
      if (uni) {
        const s = allJ ? 1 : 2;
        const Dl = allJ ? uni.D1 : uni.D2;
        const q = allJ ? uni.q1 : uni.q2;
        const d0 = Y[js] - c;
        const w0 = fexp.exp((d0 * d0) >> halfP);
        const dd = (Dl * Dl) >> halfP; // D^2 / 2
        const Dd = (Dl * d0) >> P; // D d0
        let cur = w0;
        let mult = fexp.exp(Dd + dd);
        for (let j = js; j < jhi; j += s) {
          sum += B[j] * cur;
          cur = (cur * mult) >> P;
          mult = (mult * q) >> P;
          n++;
          if (cur === 0n) break;
        }
        mult = fexp.exp(dd - Dd);
        cur = (w0 * mult) >> P;
        mult = (mult * q) >> P;
        for (let j = js - s; j >= jlo; j -= s) {
          sum += B[j] * cur;
          cur = (cur * mult) >> P;
          mult = (mult * q) >> P;
          n++;
          if (cur === 0n) break;
        }
        return [sum >> P, n];
      }
      for (let j = jlo; j < jhi; j++) {
        if (!allJ && lev[j] !== k) continue;
        const d = Y[j] - c;
        sum += B[j] * fexp.exp((d * d) >> halfP);
        n++;
      }
      return [sum >> P, n];
    },
    uniform: (d, dE) => {
      const D1 = BigInt(new H(dE).times(pow2(Pn)).toFixed(0));
      const D2 = 2n * D1;
      return { D1, D2, q1: fexp.exp((D1 * D1) >> P), q2: fexp.exp((D2 * D2) >> P) };
    },
    gh: (() => {
      const cache = new Map<number, { x: Decimal[]; w: bigint[] }>();
      return (n: number) => {
        let r = cache.get(n);
        if (!r) {
          const g = gaussHermiteDec(D, n);
          r = { x: g.x, w: g.w.map((w) => BigInt(new H(w).times(pow2(Pn)).toFixed(0))) };
          cache.set(n, r);
        }
        return r;
      };
    })(),
  };
}

// =======================================================================================
// 1D grids in a standardized variable

interface GNode<T, E> {
  x: E;
  X: T;
  xf: number;
  W: T; // map weight dx/dt (without the step h)
  lev: number;
}

interface Piece<E> {
  kind: MapKind;
  a: E; // anchor (tails), left end (ts)
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
   * bps: breakpoints (standardized); scale: for a grid without breakpoints, the length a of
   * the map x = a sinh(t) (about the distance of f's complex singularities from the real
   * axis, <= 1); 0 selects the plain trapezoid x = t.
   */
  constructor(private C: Ctx<T, E>, bps: E[], R: number, private scale?: E) {
    const pts = bps.filter((b) => Math.abs(C.eNum(b)) < R - 0.5).sort((a, b) => C.eCmp(a, b));
    const u: E[] = [];
    for (const p of pts) if (!u.length || C.eCmp(u[u.length - 1], p) !== 0) u.push(p);
    const digits = C.digits + 6;
    const lo = psiLowCap(digits);
    const cap = tsCap(digits);
    if (u.length === 0) {
      const a = scale === undefined ? 0 : C.eNum(scale);
      if (a > 0) {
        const T = Math.asinh(R / a) + 0.25;
        this.pieces.push({ kind: 'sh', a: scale!, b: scale!, dir: 1, tLo: -T, tHi: T });
      } else {
        this.pieces.push({ kind: 'lin', a: C.e(0), b: C.e(0), dir: 1, tLo: -R, tHi: R });
      }
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
    for (const pc of this.pieces) {
      const jLo = Math.ceil(pc.tLo / h);
      const jHi = Math.floor(pc.tHi / h);
      for (let j = jLo; j <= jHi; j++) {
        if (k > 0 && j % 2 === 0) continue;
        const [ma, mb] = C.eMap(pc.kind, k, j);
        let x: E;
        let w: E = mb;
        switch (pc.kind) {
          case 'lin':
            x = ma;
            break;
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
            throw new Error('unexpected map');
        }
        out.push({ x, X: C.toT(x), xf: C.eNum(x), W: C.toT(w), lev: k });
      }
    }
    return out;
  }
}

// =======================================================================================
// Helpers

interface Plan {
  digits: number;
  /** Gaussian cut-off: exp(-z) below ~10^-(digits+guard) is dropped */
  zmax: number;
  R: number;
  tolRel: number;
  floorRel: number;
  maxLevel: number;
}

function planDec(digits: number): Plan {
  // exp(-zmax) ~ 10^-(digits+8) / 2e4: room for polynomially growing f g (e.g. relu^2 relu^2)
  const zmax = (digits + 8) * Math.LN10 + 10;
  return { digits, zmax, R: Math.sqrt(2 * zmax), tolRel: Math.pow(10, -(digits + 1)), floorRel: 1e-5, maxLevel: 12 };
}

function plan64(tol: number): Plan {
  const zmax = -Math.log(tol * 1e-3) + 12;
  const floorRel = Math.min(1, Math.max(1e-4, (50 * 2.220446049250313e-16) / tol));
  return { digits: Math.max(4, Math.ceil(-Math.log10(tol))), zmax, R: Math.sqrt(2 * zmax), tolRel: tol, floorRel, maxLevel: 14 };
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

/**
 * Length scale of the sinh map for a smooth f(sqrt(K) x): activations have their complex
 * singularities (tanh: i pi/2, silu: i pi) or their growth (erf, gelu) at O(1) distance from
 * the real axis in u, i.e. at ~1/sqrt(K) in x.
 */
function smoothScale<T, E>(C: Ctx<T, E>, sqrtK: E): E {
  const a = 1.5 / C.eNum(sqrtK);
  return a >= 1 ? C.e(1) : C.eDiv(C.e(1.5), sqrtK);
}

function roundoff<T, E>(C: Ctx<T, E>, scale: number, n: number): number {
  void n;
  return C.dec ? scale * Math.pow(10, -(C.evalDigits - 2)) : scale * 2.3e-16 * 16;
}

interface RawResult<T> {
  /** exact sum; value = S * 2^(hExp + scaleExp) * constant (1/sqrt(2 pi), or 1/(2 pi sigma) for 'separable') */
  S: T;
  hExp: number;
  est: number; // absolute error estimate in the same units (after constant factors!)
  valNum: number; // value after constant factors (float)
  scaleExp: number; // result = value * 2^scaleExp * const
  cs: number; // scale for the floor (after const factors)
  evals: number;
  method: string;
  converged: boolean;
}

// =======================================================================================
// 1D expectation in standardized x: E[h(x)], x ~ N(0, 1)

function expect1Core<T, E>(C: Ctx<T, E>, plan: Plan, h: (x: E) => E, bps: E[], scale: E): RawResult<T> {
  let R = plan.R;
  for (let attempt = 0; attempt < 4; attempt++) {
    const res = expect1Once(C, plan, h, bps, R, scale);
    if (res.tailOk) return res.r;
    R += 4;
  }
  return expect1Once(C, plan, h, bps, R, scale).r;
}

function expect1Once<T, E>(C: Ctx<T, E>, plan: Plan, h: (x: E) => E, bps: E[], R: number, scale: E): { r: RawResult<T>; tailOk: boolean } {
  const grid = new Grid(C, bps, R, scale);
  const invSqrt2pi = 1 / Math.sqrt(2 * Math.PI);
  let sExp = 0;
  let S = C.zero;
  let L1 = 0;
  let evals = 0;
  let prev: T | undefined;
  let dPrev: number | undefined;
  let dPrev2: number | undefined;
  let est = Infinity;
  let val = 0;
  let tailMax = 0;
  let converged = false;
  let k = 0;
  let nTerms = 0;
  for (; k <= plan.maxLevel; k++) {
    const nodes = grid.level(k);
    const fv: E[] = nodes.map((nd) => h(nd.x));
    evals += nodes.length;
    if (k === 0) {
      // normalisation: largest Gaussian-weighted value
      let best: number | null = null;
      nodes.forEach((nd, i) => {
        const l = C.eLog2(fv[i]);
        if (l === null) return;
        const v = l - (nd.xf * nd.xf) / 4 / Math.LN2;
        if (best === null || v > best) best = l;
      });
      sExp = C.dec && best !== null ? best : 0;
    }
    for (let i = 0; i < nodes.length; i++) {
      const nd = nodes[i];
      const f = fv[i];
      if (!C.eFinite(f)) throw new RangeError(`Gaussian expectation: integrand not finite at x = ${nd.xf}`);
      if (C.eIsZero(f)) continue;
      const z = C.halfSq(nd.X);
      const g = C.expNeg(z);
      const term = C.mul(C.mul(C.toTScaled(f, sExp), nd.W), g);
      S = C.add(S, term);
      const m = Math.abs(C.num(term));
      L1 += m;
      nTerms++;
      if (Math.abs(nd.xf) > R - 0.75 && m > tailMax) tailMax = m;
    }
    const hk = Math.pow(2, -k);
    val = C.num(S) * hk * invSqrt2pi;
    const l1 = L1 * hk * invSqrt2pi;
    if (k < FIRST_LEVEL) continue; // h = 1 is pre-asymptotic: never used in a difference
    if (prev !== undefined) {
      const dk = Math.abs(C.num(C.sub(S, C.scale2(prev, 1)))) * hk * invSqrt2pi;
      const ro = roundoff(C, l1, nTerms);
      est = levelEstimate(dk, dPrev, dPrev2) + ro;
      dPrev2 = dPrev;
      dPrev = dk;
      const scale = Math.max(Math.abs(val), plan.floorRel * l1);
      if (k >= FIRST_LEVEL + 2 && (est <= plan.tolRel * scale || dk <= 2 * ro)) {
        converged = true;
        break;
      }
    }
    prev = S;
  }
  const kk = Math.min(k, plan.maxLevel);
  const hk = Math.pow(2, -kk);
  const l1 = L1 * hk * invSqrt2pi;
  // the outermost nodes must be negligible (f growing faster than the cut-off assumed)
  const tailOk = tailMax * hk * invSqrt2pi <= Math.pow(10, -(plan.digits + 3)) * Math.max(l1, 1e-300) || L1 === 0;
  return {
    r: { S, hExp: -kk, est, valNum: val, scaleExp: sExp, cs: l1, evals, method: '1d', converged },
    tailOk,
  };
}

// =======================================================================================
// 2D: separable product rule (sigma not small)

interface Pair2D<E> {
  f: (u: E) => E;
  g: (v: E) => E;
  sK11: E;
  sK22: E;
  rho: E;
  sigma: E;
  bpsF: E[]; // standardized
  bpsG: E[];
  scaleF: E; // sinh-map scales for smooth f, g
  scaleG: E;
}

function swapPair<E>(P: Pair2D<E>): Pair2D<E> {
  return { f: P.g, g: P.f, sK11: P.sK22, sK22: P.sK11, rho: P.rho, sigma: P.sigma, bpsF: P.bpsG, bpsG: P.bpsF, scaleF: P.scaleG, scaleG: P.scaleF };
}

function expect2Separable<T, E>(C: Ctx<T, E>, plan: Plan, P0: Pair2D<E>): RawResult<T> {
  const R = plan.R;
  let g1 = new Grid(C, P0.bpsF, R, P0.scaleF);
  let g2 = new Grid(C, P0.bpsG, R, P0.scaleG);
  let P = P0;
  const isLin = (g: Grid<T, E>) => g.pieces.length === 1 && g.pieces[0].kind === 'lin';
  if (isLin(g1) && !isLin(g2)) {
    // E[f(u) g(v)] = E[g(v) f(u)]: put the uniform grid second (pair-weight recurrence)
    P = swapPair(P0);
    [g1, g2] = [g2, g1];
  }
  const rho = C.eNum(P.rho);
  const sig = C.eNum(P.sigma);
  const rhoT = C.toT(P.rho);
  const invSigE = C.eDiv(C.e(1), P.sigma);
  const invSigT = C.toT(invSigE);
  const rhoSigT = C.toT(C.eMul(P.rho, invSigE));
  const zmax = plan.zmax;
  // level where the step is ~ 1.2 sigma or below
  const k0 = Math.max(FIRST_LEVEL, Math.ceil(Math.log2(1 / (1.2 * sig))));
  const uniform2 = isLin(g2);
  const n1: { X: T; xf: number; A: T; C: T; lev: number }[] = [];
  const n2: { Y: T; xf: number; B: T; lev: number }[] = [];
  let sF = 0;
  let sG = 0;
  let S = C.zero;
  let Ef2 = 0;
  let Eg2 = 0;
  let evals = 0;
  let prev: T | undefined;
  let dPrev: number | undefined;
  let dPrev2: number | undefined;
  let est = Infinity;
  let val = 0;
  let converged = false;
  let nPairs = 0;
  const invSqrt2pi = 1 / Math.sqrt(2 * Math.PI);
  const norm = 1 / (2 * Math.PI * sig);
  let k = 0;
  let tail1 = 0;
  let tail2 = 0;
  for (; k <= k0 + plan.maxLevel; k++) {
    const new1 = g1.level(k);
    const new2 = g2.level(k);
    const fv = new1.map((nd) => P.f(C.eMul(P.sK11, nd.x)));
    const gv = new2.map((nd) => P.g(C.eMul(P.sK22, nd.x)));
    evals += new1.length + new2.length;
    if (k === 0 && C.dec) {
      sF = normExp(C, new1, fv);
      sG = normExp(C, new2, gv);
    }
    const firstIdx1 = n1.length;
    for (let i = 0; i < new1.length; i++) {
      const nd = new1[i];
      if (!C.eFinite(fv[i])) throw new RangeError(`Gaussian expectation: f not finite at u = ${C.eNum(P.sK11) * nd.xf}`);
      const F = C.toTScaled(fv[i], sF);
      const ph = C.expNeg(C.halfSq(nd.X));
      const A = C.mul(C.mul(F, nd.W), ph);
      const fn = C.num(F);
      Ef2 += fn * fn * C.num(nd.W) * C.num(ph);
      if (Math.abs(nd.xf) > R - 2.5) tail1 = Math.max(tail1, Math.abs(C.num(A)));
      n1.push({ X: nd.X, xf: nd.xf, A, C: C.mul(nd.X, rhoSigT), lev: k });
    }
    for (let j = 0; j < new2.length; j++) {
      const nd = new2[j];
      if (!C.eFinite(gv[j])) throw new RangeError(`Gaussian expectation: g not finite at v = ${C.eNum(P.sK22) * nd.xf}`);
      const G = C.toTScaled(gv[j], sG);
      const B = C.mul(G, nd.W);
      const gn = C.num(G);
      const ph = Math.exp(-0.5 * nd.xf * nd.xf);
      Eg2 += gn * gn * C.num(nd.W) * ph;
      if (Math.abs(nd.xf) > R - 2.5) tail2 = Math.max(tail2, Math.abs(gn * C.num(nd.W)) * ph);
      n2.push({ Y: C.mul(nd.X, invSigT), xf: nd.xf, B, lev: k });
    }
    if (k < k0) continue;
    // sorted view of grid 2
    n2.sort((a, b) => a.xf - b.xf);
    const xs2 = n2.map((n) => n.xf);
    const Barr = n2.map((n) => n.B);
    const Yarr = n2.map((n) => n.Y);
    const levArr = Int32Array.from(n2.map((n) => n.lev));
    const hk0 = Math.pow(2, -k);
    const uni = uniform2 ? C.uniform(hk0 / sig, C.eDiv(C.e(hk0), P.sigma)) : null;
    const isNew1 = (i: number) => k === k0 || i >= firstIdx1;
    for (let i = 0; i < n1.length; i++) {
      const a = n1[i];
      const rest = zmax - 0.5 * a.xf * a.xf;
      if (rest <= 0) continue;
      const dmax = Math.sqrt(2 * rest) * sig + 1e-12;
      const c = rho * a.xf;
      const jlo = lowerBound(xs2, c - dmax);
      const jhi = upperBound(xs2, c + dmax);
      if (jhi <= jlo) continue;
      const allJ = isNew1(i);
      let js = -1;
      if (uni) {
        // index nearest to the peak (among new entries unless allJ)
        let jp = jlo + Math.round((c - xs2[jlo]) / hk0);
        if (jp < jlo) jp = jlo;
        if (jp >= jhi) jp = jhi - 1;
        if (!allJ && levArr[jp] !== k) {
          const up = jp + 1 < jhi ? jp + 1 : -1;
          const dn = jp - 1 >= jlo ? jp - 1 : -1;
          if (up < 0 && dn < 0) continue;
          jp = up < 0 ? dn : dn < 0 ? up : Math.abs(xs2[up] - c) <= Math.abs(xs2[dn] - c) ? up : dn;
        }
        js = jp;
      }
      const [inner, cnt] = C.innerSum(Barr, Yarr, levArr, jlo, jhi, a.C, allJ, k, uni, js);
      nPairs += cnt;
      S = C.add(S, C.mul(a.A, inner));
    }
    const hk = Math.pow(2, -k);
    val = C.num(S) * hk * hk * norm;
    const cs = Math.sqrt(Ef2 * Eg2) * hk * invSqrt2pi;
    if (prev !== undefined) {
      const dk = Math.abs(C.num(C.sub(S, C.scale2(prev, 2)))) * hk * hk * norm;
      const ro = roundoff(C, cs, nPairs);
      est = levelEstimate(dk, dPrev, dPrev2) + ro;
      dPrev2 = dPrev;
      dPrev = dk;
      const scale = Math.max(Math.abs(val), plan.floorRel * cs);
      if (k >= k0 + 2 && (est <= plan.tolRel * scale || dk <= 2 * ro)) {
        converged = true;
        break;
      }
    }
    prev = S;
  }
  const kk = Math.min(k, k0 + plan.maxLevel);
  const hk = Math.pow(2, -kk);
  const cs = Math.sqrt(Ef2 * Eg2) * hk * invSqrt2pi;
  // truncation: bound of the dropped tails (crude, relative to the 1D scales)
  const trunc = (tail1 + tail2) * hk * Math.pow(10, -3) * 0;
  void trunc;
  void cs;
  return { S, hExp: -2 * kk, est, valNum: val, scaleExp: sF + sG, cs, evals, method: 'separable', converged };
}

function normExp<T, E>(C: Ctx<T, E>, nodes: GNode<T, E>[], vals: E[]): number {
  let best: number | null = null;
  let bestW = -Infinity;
  for (let i = 0; i < nodes.length; i++) {
    const l = C.eLog2(vals[i]);
    if (l === null) continue;
    const wgt = l - (nodes[i].xf * nodes[i].xf) / 4 / Math.LN2;
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

// =======================================================================================
// 2D: conditional (nested) rule for small sigma

interface InnerAnchor<T> {
  cache: Map<number, T>; // g value (normalized) per reduced (k, j) and side
}

function expect2Conditional<T, E>(C: Ctx<T, E>, plan: Plan, P0: Pair2D<E>): RawResult<T> {
  // the inner (conditional) integral is cheapest for a function without breakpoints
  const P: Pair2D<E> = P0.bpsG.length && !P0.bpsF.length ? swapPair(P0) : P0;
  const R = plan.R;
  const Ry = plan.R;
  const rho = C.eNum(P.rho);
  const sig = C.eNum(P.sigma);
  const absRho = Math.abs(rho);
  // g's breakpoints (standardized v) sorted, unique
  const bg: E[] = [];
  for (const b of [...P.bpsG].sort((a, b) => C.eCmp(a, b))) if (!bg.length || C.eCmp(bg[bg.length - 1], b) !== 0) bg.push(b);
  const bgf = bg.map((b) => C.eNum(b));
  // outer breakpoints
  const obps: E[] = [...P.bpsF];
  const L = (Ry * sig) / absRho;
  for (const b of bg) {
    const xc = C.eDiv(b, P.rho);
    const xcf = C.eNum(xc);
    if (Math.abs(xcf) > R + L) continue;
    obps.push(xc);
    obps.push(C.eAdd(xc, C.e(L)));
    obps.push(C.eSub(xc, C.e(L)));
  }
  const grid = new Grid(C, obps, R, P.scaleF);
  const invSqrt2pi = 1 / Math.sqrt(2 * Math.PI);
  const invS2pE = C.eDiv(C.e(1), C.eSqrt(C.eMul(C.e(2), C.ePi())));
  // g normalisation from a coarse look at g
  let sG = 0;
  let gScale = 0;
  {
    const probe: E[] = [];
    const pn: GNode<T, E>[] = [];
    for (let t = -4; t <= 4; t += 0.5) {
      const x = C.e(t);
      probe.push(P.g(C.eMul(P.sK22, x)));
      pn.push({ x, X: C.zero, xf: t, W: C.zero, lev: 0 });
    }
    if (C.dec) sG = normExp(C, pn, probe);
    probe.forEach((v, i) => {
      gScale = Math.max(gScale, Math.abs(C.eNum(v)) * Math.pow(2, -sG) * Math.exp(-0.25 * pn[i].xf * pn[i].xf));
    });
    if (!(gScale > 0)) gScale = 1;
  }
  let gEvals = 0;
  const gN = (vStd: E): T => {
    gEvals++;
    const val = P.g(C.eMul(P.sK22, vStd));
    if (!C.eFinite(val)) throw new RangeError(`Gaussian expectation: g not finite at v = ${C.eNum(P.sK22) * C.eNum(vStd)}`);
    return C.toTScaled(val, sG);
  };
  // caches for anchored inner nodes: key -> [g value (T), offset in y (T), weight (T)]
  const anchorCache = new Map<string, Map<number, [T, T, T] | null>>();
  const getAnchored = (key: string, kk: number, j: number, make: () => [T, T, T] | null): [T, T, T] | null => {
    let m = anchorCache.get(key);
    if (!m) {
      m = new Map();
      anchorCache.set(key, m);
    }
    let k2 = kk;
    let j2 = j;
    while (k2 > 0 && j2 % 2 === 0) {
      j2 /= 2;
      k2--;
    }
    const id = j2 * 64 + k2;
    let v = m.get(id);
    if (v === undefined) {
      v = make();
      m.set(id, v);
    }
    return v;
  };
  const digitsIn = C.digits + 6;
  const loCap = psiLowCap(digitsIn);
  const tcap = tsCap(digitsIn);
  let tolIn = 0; // set after normalisation is known (absolute, normalized g units)
  let ghStart = 1; // index into GH_N

  // inner integral E_y[g(rho x + sigma y)] at outer node x; returns value (T) and error (float)
  const inner = (x: E, xf: number): [T, number] => {
    const ys: number[] = bgf.map((b) => (b - rho * xf) / sig);
    const active: number[] = [];
    for (let m = 0; m < ys.length; m++) if (Math.abs(ys[m]) < Ry) active.push(m);
    const mean = C.eMul(P.rho, x);
    if (active.length === 0) {
      // Gauss–Hermite with increasing n (ladder GH_N), starting one rung below the previous node's
      let idx = Math.max(0, ghStart - 1);
      let prevV: T | undefined;
      let dPrevIn: number | undefined;
      let dPrevIn2: number | undefined;
      for (;; idx++) {
        const n = GH_N[idx];
        const gh = C.gh(n);
        let s = C.zero;
        for (let l = 0; l < n; l++) {
          const v = C.eAdd(mean, C.eMul(P.sigma, gh.x[l]));
          s = C.add(s, C.mul(gN(v), gh.w[l]));
        }
        if (prevV !== undefined) {
          const d = Math.abs(C.num(C.sub(s, prevV)));
          const e = levelEstimate(d, dPrevIn, dPrevIn2);
          if (e <= tolIn || idx === GH_N.length - 1) {
            ghStart = idx;
            return [s, e];
          }
          dPrevIn2 = dPrevIn;
          dPrevIn = d;
        }
        prevV = s;
      }
    }
    // anchored rule: pieces split at active crossings
    const yStar: T[] = active.map((m) => C.toT(C.eDiv(C.eSub(bg[m], mean), P.sigma)));
    type InPiece = { kind: 'L' | 'R' | 'F'; m: number; tLo: number; tHi: number; ys: T; ysf: number; halfT?: T; m2?: number; ys2?: T };
    const pcs: InPiece[] = [];
    const first = active[0];
    const last = active[active.length - 1];
    pcs.push({ kind: 'L', m: first, tLo: loCap, tHi: ys[first] + Ry + 1.5, ys: yStar[0], ysf: ys[first] });
    for (let q = 0; q + 1 < active.length; q++) {
      const m = active[q];
      pcs.push({ kind: 'F', m, m2: active[q + 1], tLo: -tcap, tHi: tcap, ys: yStar[q], ysf: ys[m], ys2: yStar[q + 1] });
    }
    pcs.push({ kind: 'R', m: last, tLo: loCap, tHi: Ry - ys[last] + 1.5, ys: yStar[active.length - 1], ysf: ys[last] });
    let S = C.zero;
    let prevV: T | undefined;
    let dPrevIn: number | undefined;
    let dPrevIn2: number | undefined;
    let e = Infinity;
    for (let kk = 0; kk <= 12; kk++) {
      const hh = Math.pow(2, -kk);
      for (const pc of pcs) {
        const jLo = Math.ceil(pc.tLo / hh);
        const jHi = Math.floor(pc.tHi / hh);
        for (let j = jLo; j <= jHi; j++) {
          if (kk > 0 && j % 2 === 0) continue;
          let nd: [T, T, T] | null;
          if (pc.kind === 'F') {
            const key = `F${pc.m}:${pc.m2}`;
            nd = getAnchored(key, kk, j, () => {
              const [ma, mb] = C.eMap('ts', kk, j);
              if (C.eIsZero(ma)) return null;
              // half-width in y: (b2 - b1) / (2 sigma); v = b1 + sigma * (y - y1*)
              const halfY = C.eDiv(C.eSub(bg[pc.m2!], bg[pc.m]), C.eMul(C.e(2), P.sigma));
              const off = C.eMul(halfY, ma); // distance from the nearer end, in y
              const vStd = j < 0 ? C.eAdd(bg[pc.m], C.eMul(P.sigma, off)) : j > 0 ? C.eSub(bg[pc.m2!], C.eMul(P.sigma, off)) : C.eDiv(C.eAdd(bg[pc.m], bg[pc.m2!]), C.e(2));
              const offFromLeft = j < 0 ? off : j > 0 ? C.eSub(C.eMul(C.e(2), halfY), off) : halfY;
              return [gN(vStd), C.toT(offFromLeft), C.toT(C.eMul(C.eMul(halfY, mb), invS2pE))];
            });
            if (!nd) continue;
            const y = C.add(pc.ys, nd[1]);
            const w = C.expNeg(C.halfSq(y));
            S = C.add(S, C.mul(C.mul(nd[0], nd[2]), w));
          } else {
            const key = `${pc.kind}${pc.m}`;
            nd = getAnchored(key, kk, j, () => {
              const [ma, mb] = C.eMap('gs', kk, j);
              if (C.eIsZero(ma)) return null;
              const vStd = pc.kind === 'R' ? C.eAdd(bg[pc.m], C.eMul(P.sigma, ma)) : C.eSub(bg[pc.m], C.eMul(P.sigma, ma));
              return [gN(vStd), C.toT(ma), C.toT(C.eMul(mb, invS2pE))];
            });
            if (!nd) continue;
            const y = pc.kind === 'R' ? C.add(pc.ys, nd[1]) : C.sub(pc.ys, nd[1]);
            const z = C.halfSq(y);
            const w = C.expNeg(z);
            S = C.add(S, C.mul(C.mul(nd[0], nd[2]), w));
          }
        }
      }
      const v = C.num(S) * hh;
      if (kk < FIRST_LEVEL) continue;
      if (prevV !== undefined) {
        const d = Math.abs(C.num(C.sub(S, C.scale2(prevV, 1)))) * hh;
        e = levelEstimate(d, dPrevIn, dPrevIn2);
        dPrevIn2 = dPrevIn;
        dPrevIn = d;
        if (kk >= FIRST_LEVEL + 2 && e <= tolIn) {
          return [C.scale2(S, -kk), e];
        }
      }
      prevV = S;
    }
    return [C.scale2(S, -12), e];
  };

  let sF = 0;
  let S = C.zero;
  let Ef2 = 0;
  let Eg2max = 0;
  let innerErr = 0;
  let evalsF = 0;
  let prev: T | undefined;
  let dPrev: number | undefined;
  let dPrev2: number | undefined;
  let est = Infinity;
  let val = 0;
  let converged = false;
  let k = 0;
  let nTerms = 0;
  for (; k <= plan.maxLevel; k++) {
    const nodes = grid.level(k);
    const fv = nodes.map((nd) => P.f(C.eMul(P.sK11, nd.x)));
    evalsF += nodes.length;
    if (k === 0) {
      if (C.dec) sF = normExp(C, nodes, fv);
      tolIn = gScale * Math.max(plan.tolRel * plan.floorRel * 0.1, C.dec ? 0 : 64 * 2.2e-16);
    }
    for (let i = 0; i < nodes.length; i++) {
      const nd = nodes[i];
      if (!C.eFinite(fv[i])) throw new RangeError(`Gaussian expectation: f not finite at u = ${C.eNum(P.sK11) * nd.xf}`);
      if (0.5 * nd.xf * nd.xf > plan.zmax) continue;
      const F = C.toTScaled(fv[i], sF);
      const ph = C.expNeg(C.halfSq(nd.X));
      const A = C.mul(C.mul(F, nd.W), ph);
      const an = Math.abs(C.num(A));
      Ef2 += C.num(F) * C.num(F) * C.num(nd.W) * C.num(ph);
      if (an === 0) continue;
      const [G, eG] = inner(nd.x, nd.xf);
      const gn = C.num(G);
      Eg2max = Math.max(Eg2max, gn * gn);
      S = C.add(S, C.mul(A, G));
      innerErr += an * eG;
      nTerms++;
    }
    const hk = Math.pow(2, -k);
    val = C.num(S) * hk * invSqrt2pi;
    const cs = Math.sqrt(Ef2 * hk * invSqrt2pi * Math.max(Eg2max, 1e-300));
    if (k < FIRST_LEVEL) continue;
    if (process.env.GDEBUG) console.log("cond level", k, val, cs, nTerms, innerErr * hk * invSqrt2pi, nodes.length, gEvals);
    if (prev !== undefined) {
      const dk = Math.abs(C.num(C.sub(S, C.scale2(prev, 1)))) * hk * invSqrt2pi;
      const ro = roundoff(C, cs, nTerms);
      est = levelEstimate(dk, dPrev, dPrev2) + innerErr * hk * invSqrt2pi + ro;
      dPrev2 = dPrev;
      dPrev = dk;
      const scale = Math.max(Math.abs(val), plan.floorRel * cs);
      if (k >= FIRST_LEVEL + 2 && (est <= plan.tolRel * scale || dk <= 2 * ro)) {
        converged = true;
        break;
      }
    }
    prev = S;
  }
  const kk = Math.min(k, plan.maxLevel);
  const hk = Math.pow(2, -kk);
  const cs = Math.sqrt(Ef2 * hk * invSqrt2pi * Math.max(Eg2max, 1e-300));
  return { S, hExp: -kk, est, valNum: val, scaleExp: sF + sG, cs, evals: evalsF + gEvals, method: 'conditional', converged };
}

// =======================================================================================
// Public API

interface Opts1Dec {
  digits: number;
  kinks?: number[];
}
interface Opts2Dec {
  digits: number;
  kinksF?: number[];
  kinksG?: number[];
}

/**
 * Below this sigma the conditional method is used: 0.01 when g is smooth (the separable rule
 * needs ~1/sigma evaluations), 0.05 when g has kinks (pair weights then dominate the cost).
 */
const SIGMA_SWITCH_SMOOTH = 0.01;
const SIGMA_SWITCH_KINKED = 0.05;
function sigmaSwitch<E>(P: Pair2D<E>): number {
  return P.bpsF.length && P.bpsG.length ? SIGMA_SWITCH_KINKED : SIGMA_SWITCH_SMOOTH;
}
/** Gauss–Hermite orders tried by the conditional method's inner integrals. */
const GH_N = [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128];

function finishDec(C: Ctx<bigint, Decimal>, r: RawResult<bigint>, constant: Decimal, D: DecCtor): ExpectResultDec {
  const v = C.eScale2(C.fromT(r.S), r.hExp + r.scaleExp);
  const value = new D(v.times(constant));
  return { value, error: r.est * Math.pow(2, r.scaleExp), method: r.method, evaluations: r.evals };
}

/** E[f(u)], u ~ N(0, K), to `digits` significant digits. */
export function expect1Dec(f: (u: Decimal) => Decimal, K: DecIn, opts: Opts1Dec): ExpectResultDec {
  const digits = opts.digits;
  const guard = 10;
  const plan = planDec(digits);
  const C = makeDecCtx(digits, guard, plan.zmax + 10);
  const D = decContext(digits + guard);
  const Kd = new D(K);
  if (!Kd.isFinite() || Kd.lt(0)) throw new RangeError('expect1Dec: K must be finite and >= 0');
  if (Kd.isZero()) return { value: new D(f(new D(0))), error: 0, method: 'degenerate', evaluations: 1 };
  const sK = Kd.sqrt();
  const bps = stdBreakpoints(C, opts.kinks, sK);
  const r = expect1Core(C, plan, (x) => f(x.times(sK)), bps, smoothScale(C, sK));
  const c = new D(1).div(decPi(D).times(2).sqrt());
  return finishDec(C, r, c, D);
}

/** E[f(u) g(v)], (u, v) ~ N(0, [[K11, K12], [K12, K22]]), to `digits` significant digits. */
export function expect2Dec(
  f: (u: Decimal) => Decimal,
  g: (v: Decimal) => Decimal,
  K11: DecIn,
  K12: DecIn,
  K22: DecIn,
  opts: Opts2Dec,
): ExpectResultDec {
  const digits = opts.digits;
  const guard = 10;
  const plan = planDec(digits);
  const C = makeDecCtx(digits, guard, plan.zmax + 10);
  const D = decContext(digits + guard);
  const a = new D(K11);
  const c = new D(K12);
  const b = new D(K22);
  if (!a.isFinite() || !b.isFinite() || !c.isFinite() || a.lt(0) || b.lt(0)) throw new RangeError('expect2Dec: invalid covariance');
  const zero = new D(0);
  if (a.isZero() || b.isZero()) {
    // degenerate: one variable is identically 0
    if (a.isZero() && b.isZero()) return { value: new D(f(zero).times(g(zero))), error: 0, method: 'degenerate' };
    if (a.isZero()) {
      const fz = f(zero);
      const r = expect1Dec(g, b, { digits, kinks: opts.kinksG });
      return { value: new D(r.value.times(fz)), error: r.error * Math.abs(fz.toNumber()), method: 'degenerate' };
    }
    const gz = g(zero);
    const r = expect1Dec(f, a, { digits, kinks: opts.kinksF });
    return { value: new D(r.value.times(gz)), error: r.error * Math.abs(gz.toNumber()), method: 'degenerate' };
  }
  const prod = a.times(b);
  let det = prod.minus(c.times(c));
  const relDet = det.div(prod);
  if (relDet.lt(0)) {
    if (relDet.gt(new D(10).pow(-(digits + guard - 4)).neg())) det = zero;
    else throw new RangeError('expect2Dec: covariance matrix is not positive semi-definite');
  }
  const sK11 = a.sqrt();
  const sK22 = b.sqrt();
  const rho = c.div(prod.sqrt());
  const invSqrt2pi = new D(1).div(decPi(D).times(2).sqrt());
  if (det.isZero()) {
    const sgn = c.isNeg() ? -1 : 1;
    const bps = [...stdBreakpoints(C, opts.kinksF, sK11), ...stdBreakpoints(C, opts.kinksG, sK22).map((x) => (sgn < 0 ? x.neg() : x))];
    const sv = sgn < 0 ? sK22.neg() : sK22;
    const r = expect1Core(C, plan, (x) => f(x.times(sK11)).times(g(x.times(sv))), bps, smoothScale(C, a.gt(b) ? sK11 : sK22));
    return finishDec(C, r, invSqrt2pi, D);
  }
  const sigma = det.div(prod).sqrt();
  const P: Pair2D<Decimal> = {
    f,
    g,
    sK11,
    sK22,
    rho,
    sigma,
    bpsF: stdBreakpoints(C, opts.kinksF, sK11),
    bpsG: stdBreakpoints(C, opts.kinksG, sK22),
    scaleF: smoothScale(C, sK11),
    scaleG: smoothScale(C, sK22),
  };
  if (sigma.toNumber() >= sigmaSwitch(P)) {
    const r = expect2Separable(C, plan, P);
    return finishDec(C, r, new D(1).div(decPi(D).times(2).times(sigma)), D);
  }
  const r = expect2Conditional(C, plan, P);
  return finishDec(C, r, invSqrt2pi, D);
}

interface Opts1F64 {
  tol?: number;
  kinks?: number[];
}
interface Opts2F64 {
  tol?: number;
  kinksF?: number[];
  kinksG?: number[];
}

/** E[f(u)], u ~ N(0, K), in float64 (relative tolerance tol, default 1e-13). */
export function expect1F64(f: (u: number) => number, K: number, opts: Opts1F64 = {}): ExpectResult64 {
  const plan = plan64(opts.tol ?? 1e-13);
  if (!(K >= 0) || !Number.isFinite(K)) throw new RangeError('expect1F64: K must be finite and >= 0');
  if (K === 0) return { value: f(0), error: 0, method: 'degenerate', evaluations: 1 };
  const sK = Math.sqrt(K);
  const bps = stdBreakpoints(F64, opts.kinks, sK);
  const r = expect1Core(F64, plan, (x) => f(sK * x), bps, smoothScale(F64, sK));
  return { value: r.valNum, error: r.est, method: r.method, evaluations: r.evals };
}

/** E[f(u) g(v)], (u, v) ~ N(0, [[K11, K12], [K12, K22]]), in float64. */
export function expect2F64(
  f: (u: number) => number,
  g: (v: number) => number,
  K11: number,
  K12: number,
  K22: number,
  opts: Opts2F64 = {},
): ExpectResult64 {
  const plan = plan64(opts.tol ?? 1e-13);
  if (![K11, K12, K22].every(Number.isFinite) || K11 < 0 || K22 < 0) throw new RangeError('expect2F64: invalid covariance');
  if (K11 === 0 || K22 === 0) {
    if (K11 === 0 && K22 === 0) return { value: f(0) * g(0), error: 0, method: 'degenerate' };
    if (K11 === 0) {
      const fz = f(0);
      const r = expect1F64(g, K22, { tol: opts.tol, kinks: opts.kinksG });
      return { value: r.value * fz, error: r.error * Math.abs(fz), method: 'degenerate' };
    }
    const gz = g(0);
    const r = expect1F64(f, K11, { tol: opts.tol, kinks: opts.kinksF });
    return { value: r.value * gz, error: r.error * Math.abs(gz), method: 'degenerate' };
  }
  const prod = K11 * K22;
  // det = K11 K22 - K12^2 with error-free products (Dekker / fma-free TwoProduct)
  let det = diffOfProducts(K11, K22, K12, K12);
  if (det < 0) {
    if (det > -1e-14 * prod) det = 0;
    else throw new RangeError('expect2F64: covariance matrix is not positive semi-definite');
  }
  const sK11 = Math.sqrt(K11);
  const sK22 = Math.sqrt(K22);
  const rho = K12 / Math.sqrt(prod);
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
    rho: Math.max(-1, Math.min(1, rho)),
    sigma,
    bpsF: stdBreakpoints(F64, opts.kinksF, sK11),
    bpsG: stdBreakpoints(F64, opts.kinksG, sK22),
    scaleF: smoothScale(F64, sK11),
    scaleG: smoothScale(F64, sK22),
  };
  const r = sigma >= sigmaSwitch(P) ? expect2Separable(F64, plan, P) : expect2Conditional(F64, plan, P);
  return { value: r.valNum, error: r.est, method: r.method, evaluations: r.evals };
}

function twoProduct(a: number, b: number): [number, number] {
  const p = a * b;
  const SPLIT = 134217729;
  const split = (x: number): [number, number] => {
    const c = SPLIT * x;
    const hi = c - (c - x);
    return [hi, x - hi];
  };
  const [ah, al] = split(a);
  const [bh, bl] = split(b);
  const err = al * bl - (((p - ah * bh) - al * bh) - ah * bl);
  return [p, err];
}

function diffOfProducts(a: number, b: number, c: number, d: number): number {
  const [p1, e1] = twoProduct(a, b);
  const [p2, e2] = twoProduct(c, d);
  return (p1 - p2) + (e1 - e2);
}
