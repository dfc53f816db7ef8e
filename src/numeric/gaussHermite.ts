/**
 * Gauss-Hermite quadrature rules in arbitrary precision (decimal.js) and float64.
 *
 *   gaussHermite(n, d):      sum_i w_i f(x_i) ~ int f(x) e^{-x^2} dx         (physicists')
 *   gaussHermiteProb(n, d):  sum_i w_i f(x_i) ~ E[f(Z)], Z ~ N(0,1)          (weights sum to 1)
 *
 * Both are exact for polynomials of degree <= 2n-1.  Nodes are ascending and
 * symmetric, x_{n-1-i} = -x_i.
 *
 * float64 rules: the positive eigenvalues of the Golub-Welsch Jacobi matrix
 * (off-diagonal sqrt(k/2)) are bracketed by Sturm-sequence bisection, then
 * polished by Newton's method on the orthonormal three-term recurrence.  A final
 * evaluation of the recurrence in double-double arithmetic gives the residual
 * correction of the node and the weight w_i = 1/(n p_{n-1}(x_i)^2) at the exact
 * root (power-of-two rescaling, no overflow), so nodes and weights are
 * accurate to ~1 ulp even for the outer nodes (a plain float64 evaluation loses
 * ~2 x_i^2 ulp in w_i).  Weights that underflow float64 (n >~ 360) are dropped
 * together with their nodes, so the float64 rule may then have fewer than n
 * points.
 *
 * Decimal rules: the float64 nodes are refined by Newton's method on the
 * recurrence h_{k+1} = x h_k - (k/2) h_{k-1} (h_k = H_k/2^k) at digits + guard
 * precision, using the symmetry; weights
 *   w_i = n! sqrt(pi) / (2^{n-1} n^2 h_{n-1}(x_i)^2).
 *
 * CACHING: results are cached per (n, digits) (per n for float64) and the SAME
 * arrays are returned on every call.  They must not be mutated (the Decimal
 * arrays are frozen; the Float64Arrays cannot be frozen - copy them with
 * `.slice()` before modifying).
 */
import Decimal from 'decimal.js';
import { decimalCtor } from './special';
import { plainMath } from './plainMath';
// A plain-object copy of Math: under jest the global Math is a proxy and each Math.* access costs ~1 us.
const Math = plainMath();

export interface GaussHermiteRule {
  /** ascending nodes (shared, do not mutate) */
  nodes: Decimal[];
  /** weights (shared, do not mutate) */
  weights: Decimal[];
}

export interface GaussHermiteRule64 {
  /** ascending nodes (shared, do not mutate) */
  nodes: Float64Array;
  /** weights (shared, do not mutate) */
  weights: Float64Array;
}

function checkN(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`Gauss-Hermite: n must be a positive integer, got ${n}`);
}

// ---------------------------------------------------------------------------
// float64
// ---------------------------------------------------------------------------

interface HalfRule64 {
  /** nonnegative nodes, ascending (x = 0 included when n is odd) */
  x: Float64Array;
  /** physicists' weights as wm * 2^we (wm in the normal range, we an integer) */
  wm: Float64Array;
  we: Int32Array;
}

const half64Cache = new Map<number, HalfRule64>();
/** pi^{-1/4} */
const PI_M_QUARTER = 0.7511255444649425;
const SCALE_EXP = 300;
const SCALE_DOWN = Math.pow(2, -SCALE_EXP);
const SCALE_LIMIT = Math.pow(2, SCALE_EXP);

/** x * 2^e, exact whenever the result is a normal number. */
function ldexp(x: number, e: number): number {
  while (e > 1000) {
    x *= Math.pow(2, 1000);
    e -= 1000;
  }
  while (e < -1000) {
    x *= Math.pow(2, -1000);
    e += 1000;
  }
  return x * Math.pow(2, e);
}

/**
 * Orthonormal recurrence p_{k+1} = x a_k p_k - b_k p_{k-1}, p_0 = pi^{-1/4},
 * a_k = sqrt(2/(k+1)), b_k = sqrt(k/(k+1)), in float64 with power-of-two
 * rescaling.  Returns [p_n, p_{n-1}] (common scale irrelevant for Newton).
 */
function orthoEval(n: number, x: number, a: Float64Array, b: Float64Array): [number, number] {
  let p0 = 0;
  let p1 = PI_M_QUARTER;
  for (let k = 0; k < n; k++) {
    const p2 = x * a[k] * p1 - b[k] * p0;
    p0 = p1;
    p1 = p2;
    if (Math.abs(p1) > SCALE_LIMIT) {
      p1 *= SCALE_DOWN;
      p0 *= SCALE_DOWN;
    }
  }
  return [p1, p0];
}

// --- double-double arithmetic (Dekker/Knuth), results in ddHi/ddLo ----------
let ddHi = 0;
let ddLo = 0;
const SPLITTER = 134217729; // 2^27 + 1

/** (ah + al) * (bh + bl) */
function ddMul(ah: number, al: number, bh: number, bl: number): void {
  const p = ah * bh;
  let t = SPLITTER * ah;
  const ahh = t - (t - ah);
  const ahl = ah - ahh;
  t = SPLITTER * bh;
  const bhh = t - (t - bh);
  const bhl = bh - bhh;
  let e = ahh * bhh - p + ahh * bhl + ahl * bhh + ahl * bhl; // exact error of ah*bh
  e += ah * bl + al * bh;
  ddHi = p + e;
  ddLo = e - (ddHi - p);
}

/** (ah + al) - (bh + bl) */
function ddSub(ah: number, al: number, bh: number, bl: number): void {
  const s = ah - bh;
  const bb = s - ah;
  let e = ah - (s - bb) - (bh + bb);
  e += al - bl;
  ddHi = s + e;
  ddLo = e - (ddHi - s);
}

/** q = num/den as a double-double (num, den exact doubles). */
function ddDiv(num: number, den: number): void {
  const q = num / den;
  ddMul(q, 0, den, 0); // q*den exactly
  const r = num - ddHi - ddLo; // remainder (exact to ~2^-106)
  ddHi = q;
  ddLo = r / den;
}

/** sqrt of the double-double (h + l). */
function ddSqrt(h: number, l: number): void {
  const s = Math.sqrt(h);
  ddMul(s, 0, s, 0);
  const r = h - ddHi - ddLo + l;
  const c = r / (2 * s);
  ddHi = s + c;
  ddLo = c - (ddHi - s);
}

interface DDCoeffs {
  aH: Float64Array;
  aL: Float64Array;
  bH: Float64Array;
  bL: Float64Array;
}

function ddCoeffs(n: number): DDCoeffs {
  const aH = new Float64Array(n);
  const aL = new Float64Array(n);
  const bH = new Float64Array(n);
  const bL = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    ddDiv(2, k + 1);
    ddSqrt(ddHi, ddLo);
    aH[k] = ddHi;
    aL[k] = ddLo;
    ddDiv(k, k + 1);
    if (k === 0) {
      bH[k] = 0;
      bL[k] = 0;
    } else {
      ddSqrt(ddHi, ddLo);
      bH[k] = ddHi;
      bL[k] = ddLo;
    }
  }
  return { aH, aL, bH, bL };
}

/** low part of pi^{-1/4} as a double-double (make_special.py --coeffs) */
const PI_M_QUARTER_LO = -2.4402481796105666e-17;

/**
 * The orthonormal recurrence in double-double at the double x.  Returns
 * p_n, p_{n-1}, p_{n-2} (high parts suffice for the callers) and the
 * power-of-two exponent s: true values = returned * 2^s.
 */
function orthoEvalDD(n: number, x: number, c: DDCoeffs): { pn: number; pn1: number; pn2: number; s: number } {
  let q0h = 0; // p_{k-2}
  let p0h = 0; // p_{k-1}
  let p0l = 0;
  let p1h = PI_M_QUARTER; // p_k
  let p1l = PI_M_QUARTER_LO;
  let s = 0;
  for (let k = 0; k < n; k++) {
    ddMul(x, 0, c.aH[k], c.aL[k]);
    ddMul(ddHi, ddLo, p1h, p1l);
    const th = ddHi;
    const tl = ddLo;
    ddMul(c.bH[k], c.bL[k], p0h, p0l);
    ddSub(th, tl, ddHi, ddLo);
    q0h = p0h;
    p0h = p1h;
    p0l = p1l;
    p1h = ddHi;
    p1l = ddLo;
    if (Math.abs(p1h) > SCALE_LIMIT) {
      p1h *= SCALE_DOWN;
      p1l *= SCALE_DOWN;
      p0h *= SCALE_DOWN;
      p0l *= SCALE_DOWN;
      q0h *= SCALE_DOWN;
      s += SCALE_EXP;
    }
  }
  return { pn: p1h + p1l, pn1: p0h + p0l, pn2: q0h, s };
}

/** Number of eigenvalues of the Hermite Jacobi matrix (size n) below lambda (Sturm sequence). */
function sturmCount(n: number, lambda: number): number {
  let count = 0;
  let q = -lambda;
  if (q < 0) count++;
  for (let k = 1; k < n; k++) {
    if (q === 0) q = -1e-300;
    q = -lambda - k / 2 / q;
    if (q < 0) count++;
  }
  return count;
}

/** Bisection for the eigenvalue with exactly idx eigenvalues below it, in [l, h]. */
function bisect(n: number, idx: number, l: number, h: number, relTol: number): [number, number] {
  for (let it = 0; it < 2000; it++) {
    const mid = 0.5 * (l + h);
    if (mid === l || mid === h) break;
    if (sturmCount(n, mid) <= idx) l = mid;
    else h = mid;
    if (h - l <= relTol * h) break;
  }
  return [l, h];
}

function halfRule64(n: number): HalfRule64 {
  const cached = half64Cache.get(n);
  if (cached !== undefined) return cached;
  const a = new Float64Array(n);
  const b = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    a[k] = Math.sqrt(2 / (k + 1));
    b[k] = Math.sqrt(k / (k + 1));
  }
  const dd = ddCoeffs(n);
  const sqrt2n = Math.sqrt(2 * n);
  const sqrt2n1 = Math.sqrt(2 * (n - 1));
  const m = Math.ceil(n / 2); // number of nonnegative nodes
  const first = Math.floor(n / 2); // index (ascending) of the first nonnegative node
  const x = new Float64Array(m);
  const wm = new Float64Array(m);
  const we = new Int32Array(m);
  const upper = Math.sqrt(2 * n + 1) + 1; // all zeros of H_n are below sqrt(2n+1)
  let lo = 0;
  for (let i = 0; i < m; i++) {
    let z = 0;
    if (!(n % 2 === 1 && i === 0)) {
      const idx = first + i;
      // bracket the root well inside its neighbours, then safeguarded Newton
      const [l, h] = bisect(n, idx, lo, upper, 1e-6);
      z = 0.5 * (l + h);
      for (let it = 0; it < 50; it++) {
        const [pn, pn1] = orthoEval(n, z, a, b);
        const dz = pn / (sqrt2n * pn1);
        const zn = z - dz;
        if (!(zn > l && zn < h)) {
          const [L, H] = bisect(n, idx, l, h, 0);
          z = 0.5 * (L + H);
          break;
        }
        z = zn;
        if (Math.abs(dz) <= 1e-9 * Math.abs(z)) break; // remaining error ~ dz^2
      }
    }
    // one double-double evaluation: residual correction of the node and the
    // weight at the exact root, w = 1/(n p_{n-1}(x*)^2)
    const r = orthoEvalDD(n, z, dd);
    let pn1 = r.pn1;
    if (z !== 0) {
      const dz = r.pn / (sqrt2n * r.pn1);
      pn1 = r.pn1 - dz * sqrt2n1 * r.pn2;
      z -= dz;
    }
    x[i] = z;
    wm[i] = 1 / (n * pn1 * pn1);
    we[i] = -2 * r.s;
    lo = z;
  }
  const res: HalfRule64 = { x, wm, we };
  half64Cache.set(n, res);
  return res;
}

const MIN_NORMAL = 2.2250738585072014e-308;

function assemble64(n: number, xScale: number, wScale: number): GaussHermiteRule64 {
  const { x, wm, we } = halfRule64(n);
  const odd = n % 2 === 1;
  const m = x.length;
  const wv = new Float64Array(m);
  // drop weights that underflow (or are subnormal, hence inaccurate); they are
  // the outermost ones, so the kept ones form a prefix
  let kept = 0;
  for (let i = 0; i < m; i++) {
    wv[i] = ldexp(wm[i] * wScale, we[i]);
    if (wv[i] >= MIN_NORMAL) kept = i + 1;
  }
  const hasZero = odd && kept > 0;
  const total = hasZero ? 2 * kept - 1 : 2 * kept;
  const nodes = new Float64Array(total);
  const weights = new Float64Array(total);
  let j = 0;
  for (let i = kept - 1; i >= (hasZero ? 1 : 0); i--) {
    nodes[j] = -x[i] * xScale;
    weights[j] = wv[i];
    j++;
  }
  for (let i = 0; i < kept; i++) {
    nodes[j] = x[i] * xScale;
    weights[j] = wv[i];
    j++;
  }
  return { nodes, weights };
}

const rule64Cache = new Map<number, GaussHermiteRule64>();
const prob64Cache = new Map<number, GaussHermiteRule64>();

/**
 * n-point Gauss-Hermite rule for the weight exp(-x^2) on (-inf, inf), float64.
 * Shared cached arrays: do not mutate.
 */
export function gaussHermite64(n: number): GaussHermiteRule64 {
  checkN(n);
  let r = rule64Cache.get(n);
  if (r === undefined) {
    r = assemble64(n, 1, 1);
    rule64Cache.set(n, r);
  }
  return r;
}

/**
 * n-point Gauss-Hermite rule for the standard normal: sum_i w_i f(x_i) ~ E[f(Z)],
 * float64 (nodes sqrt(2) x_i, weights w_i/sqrt(pi)).  Shared cached arrays: do not mutate.
 */
export function gaussHermiteProb64(n: number): GaussHermiteRule64 {
  checkN(n);
  let r = prob64Cache.get(n);
  if (r === undefined) {
    r = assemble64(n, Math.SQRT2, 1 / Math.sqrt(Math.PI));
    prob64Cache.set(n, r);
  }
  return r;
}

// ---------------------------------------------------------------------------
// Decimal
// ---------------------------------------------------------------------------

interface HalfRuleDec {
  /** nonnegative nodes, ascending, at working precision */
  x: Decimal[];
  w: Decimal[];
  W: typeof Decimal;
}

const halfDecCache = new Map<string, HalfRuleDec>();

/** [h_n(x), h_{n-1}(x), h_{n-2}(x)] for h_k = H_k / 2^k: h_{k+1} = x h_k - (k/2) h_{k-1}. */
function hermiteEvalDec(n: number, x: Decimal, halves: Decimal[], W: typeof Decimal): [Decimal, Decimal, Decimal] {
  let hm = new W(0);
  let h0 = new W(0);
  let h1 = new W(1);
  for (let k = 0; k < n; k++) {
    const h2 = k === 0 ? x : x.times(h1).minus(halves[k].times(h0));
    hm = h0;
    h0 = h1;
    h1 = h2;
  }
  return [h1, h0, hm];
}

function halfRuleDec(n: number, digits: number): HalfRuleDec {
  const key = `${n}:${digits}`;
  const cached = halfDecCache.get(key);
  if (cached !== undefined) return cached;
  const guard = 12 + 2 * Math.ceil(Math.log10(n + 1));
  const Pw = digits + guard;
  const W = decimalCtor(Pw);
  const halves: Decimal[] = [];
  for (let k = 0; k < n; k++) halves.push(new W(k).div(2));
  // C_n = n! sqrt(pi) / (2^{n-1} n^2)
  let fact = new W(1);
  for (let k = 2; k <= n; k++) fact = fact.times(k);
  const Cn = fact.times(W.acos(-1).sqrt()).div(new W(2).pow(n - 1).times(n * n));
  const guess = halfRule64(n).x;
  const tolDigits = Math.ceil(Pw / 2) + 2;
  const xs: Decimal[] = [];
  const ws: Decimal[] = [];
  for (let i = 0; i < guess.length; i++) {
    let x: Decimal;
    let hn1: Decimal;
    if (guess[i] === 0) {
      x = new W(0);
      hn1 = hermiteEvalDec(n, x, halves, W)[1];
    } else {
      x = new W(guess[i]);
      let it = 0;
      for (;;) {
        const [hn, h, hm] = hermiteEvalDec(n, x, halves, W);
        const dx = hn.div(h.times(n));
        x = x.minus(dx);
        if (dx.isZero() || dx.e < x.e - tolDigits) {
          // h_{n-1} at the new iterate, to first order (error O(dx^2)):
          // h_{n-1}' = (n-1) h_{n-2}
          hn1 = h.minus(dx.times(hm).times(n - 1));
          break;
        }
        if (++it > 60) throw new Error(`Gauss-Hermite Newton iteration failed (n=${n}, i=${i})`);
      }
    }
    xs.push(x);
    ws.push(Cn.div(hn1.times(hn1)));
  }
  const r: HalfRuleDec = { x: xs, w: ws, W };
  halfDecCache.set(key, r);
  return r;
}

function assembleDec(n: number, digits: number, prob: boolean): GaussHermiteRule {
  const half = halfRuleDec(n, digits);
  const D = decimalCtor(digits);
  const W = half.W;
  const xScale = prob ? new W(2).sqrt() : null;
  const wScale = prob ? new W(1).div(W.acos(-1).sqrt()) : null;
  const px: Decimal[] = [];
  const pw: Decimal[] = [];
  for (let i = 0; i < half.x.length; i++) {
    const x = xScale ? half.x[i].times(xScale) : half.x[i];
    const w = wScale ? half.w[i].times(wScale) : half.w[i];
    px.push(new D(x).toSignificantDigits(digits));
    pw.push(new D(w).toSignificantDigits(digits));
  }
  const nodes: Decimal[] = [];
  const weights: Decimal[] = [];
  const odd = n % 2 === 1;
  for (let i = px.length - 1; i >= (odd ? 1 : 0); i--) {
    nodes.push(px[i].neg());
    weights.push(pw[i]);
  }
  for (let i = 0; i < px.length; i++) {
    nodes.push(px[i]);
    weights.push(pw[i]);
  }
  Object.freeze(nodes);
  Object.freeze(weights);
  return Object.freeze({ nodes, weights }) as GaussHermiteRule;
}

const ruleDecCache = new Map<string, GaussHermiteRule>();
const probDecCache = new Map<string, GaussHermiteRule>();

function checkDigits(digits: number): void {
  if (!Number.isInteger(digits) || digits < 1) throw new RangeError(`Gauss-Hermite: bad digits ${digits}`);
}

/**
 * n-point Gauss-Hermite rule for the weight exp(-x^2) on (-inf, inf), nodes
 * ascending, values of the constructor decimalCtor(digits) (precision `digits`),
 * correct to ~digits significant digits.  Cached per (n, digits): the returned
 * arrays are shared (frozen) and must not be mutated.
 */
export function gaussHermite(n: number, digits: number): GaussHermiteRule {
  checkN(n);
  checkDigits(digits);
  const key = `${n}:${digits}`;
  let r = ruleDecCache.get(key);
  if (r === undefined) {
    r = assembleDec(n, digits, false);
    ruleDecCache.set(key, r);
  }
  return r;
}

/**
 * The same rule rescaled for the standard normal (nodes sqrt(2) x_i, weights
 * w_i/sqrt(pi)): sum_i w_i f(x_i) ~ E[f(Z)], Z ~ N(0,1); weights sum to 1.
 * Cached and shared like gaussHermite.
 */
export function gaussHermiteProb(n: number, digits: number): GaussHermiteRule {
  checkN(n);
  checkDigits(digits);
  const key = `${n}:${digits}`;
  let r = probDecCache.get(key);
  if (r === undefined) {
    r = assembleDec(n, digits, true);
    probDecCache.set(key, r);
  }
  return r;
}
