/**
 * Special functions in arbitrary precision (decimal.js) and in float64.
 *
 * Precision convention (Decimal functions): a function of `x` computes to the
 * precision of x's constructor, `D = x.constructor`, i.e. `D.precision`
 * significant digits, and returns a value of constructor D rounded with
 * `D.rounding`.  Internally the work is done with guard digits (at least 15,
 * more where the algorithm cancels), so that results are correct to within a
 * few units in the last place at D.precision.  The argument is used exactly as
 * stored (all of its digits), it is not first rounded to D.precision.
 *
 * Algorithms
 *  - erf / erfc: the Maclaurin series for x^2 < 3, the cancellation-free series
 *      erf x = 2x/sqrt(pi) e^{-x^2} sum_n (2x^2)^n / (2n+1)!!
 *    for moderate |x| (erfc = 1 - erf with enough extra digits to absorb the
 *    cancellation), and the even contraction of the Laplace continued fraction
 *      erfc x = 2x e^{-x^2}/sqrt(pi) / (2x^2+1 - 1*2/(2x^2+5 - 3*4/(2x^2+9 - ...)))
 *    in the tail (full relative precision, e.g. erfc(100) ~ 6e-4346).
 *  - lnGamma / gamma: Stirling series (exact Bernoulli numbers via tangent
 *    numbers) after shifting the argument up to ~ the working precision;
 *    reflection formula for x < 0.  lnGamma is re-evaluated with more digits
 *    near its zeros x = 1, 2 so that it keeps full relative precision there.
 *  - K0 / K1: the ascending series with the logarithmic term (extra digits for
 *    the e^{2x} cancellation) and, once x > ~1.2 * (working digits), the
 *    asymptotic expansion, whose smallest term ~ e^{-2x} is then negligible.
 *  - Euler's constant by the Brent-McMillan algorithm, pi, exp, ln, sqrt and sin from ./elementary.
 *
 * float64 versions (suffix 64) use no Decimal and are accurate to ~1e-15
 * relative (a few ulp): a Chebyshev expansion of erfcx (coefficients generated
 * by test/fixtures/make_special.py --coeffs), Taylor series, the Stirling series
 * and the trapezoidal rule on K_nu(x) = int_0^inf exp(-x cosh t) cosh(nu t) dt.
 */
import Decimal from 'decimal.js';
import { plainMath } from './plainMath';
import * as el from './elementary';
// A plain-object copy of Math: under jest the global Math is a proxy and each Math.* access costs ~1 us.
const Math = plainMath();

export type DecimalCtor = typeof Decimal;

/** Guard digits used on top of the requested precision. */
const GUARD = 15;
const LOG10E = Math.LOG10E;
const LN10 = Math.LN10;

// ---------------------------------------------------------------------------
// Decimal plumbing
// ---------------------------------------------------------------------------

const ctorCache = new Map<number, DecimalCtor>();

/**
 * A Decimal constructor (clone) with the given precision, ROUND_HALF_EVEN and
 * default exponent limits.  Cached: the same constructor is returned for the same
 * precision, so values produced for a given precision share one constructor.
 */
export function decimalCtor(precision: number): DecimalCtor {
  if (!Number.isInteger(precision) || precision < 1) throw new RangeError(`bad precision ${precision}`);
  let C = ctorCache.get(precision);
  if (C === undefined) {
    C = Decimal.clone({ defaults: true, precision, rounding: Decimal.ROUND_HALF_EVEN });
    ctorCache.set(precision, C);
  }
  return C;
}

function ctorOf(x: Decimal): DecimalCtor {
  return x.constructor as DecimalCtor;
}

/** Round an internal (guard-digit) value to the caller's constructor. */
function finish(D: DecimalCtor, v: Decimal): Decimal {
  return new D(v).toSignificantDigits(D.precision);
}

/** true if |a| < 10^(-digits) * |ref| (roughly; uses exponents only). */
function negligible(a: Decimal, ref: Decimal, digits: number): boolean {
  return a.isZero() || (!ref.isZero() && a.e < ref.e - digits);
}

interface CachedConst {
  prec: number;
  value: Decimal;
}
const constCache = new Map<string, CachedConst>();

/** A mathematical constant to `prec` digits, as a value of decimalCtor(prec). */
function constant(name: string, prec: number, compute: (W: DecimalCtor) => Decimal): Decimal {
  const W = decimalCtor(prec);
  const c = constCache.get(name);
  if (c !== undefined && c.prec >= prec) return new W(c.value).toSignificantDigits(prec);
  const P2 = Math.max(prec + 10, c !== undefined ? Math.ceil(c.prec * 1.5) : 0);
  const value = compute(decimalCtor(P2));
  constCache.set(name, { prec: P2 - 5, value });
  return new W(value).toSignificantDigits(prec);
}

/** pi to D.precision digits (cached per precision). */
export function pi(D: DecimalCtor): Decimal {
  return el.pi(D);
}

function piW(W: DecimalCtor): Decimal {
  return el.pi(W);
}
function sqrtPiW(W: DecimalCtor): Decimal {
  return constant('sqrtPi', W.precision, (V) => el.sqrt(el.pi(V)));
}
/** ln(2 pi)/2 */
function halfLn2PiW(W: DecimalCtor): Decimal {
  return constant('halfLn2Pi', W.precision, (V) => el.ln(el.pi(V).times(2)).div(2));
}
/** 1/sqrt(2 pi) */
function invSqrt2PiW(W: DecimalCtor): Decimal {
  return constant('invSqrt2Pi', W.precision, (V) => new V(1).div(el.sqrt(el.pi(V).times(2))));
}
function sqrt2W(W: DecimalCtor): Decimal {
  return constant('sqrt2', W.precision, (V) => el.sqrt(new V(2)));
}

/** Euler's constant by the Brent-McMillan algorithm (B1): error O(e^{-4m}). */
function eulerGammaW(W: DecimalCtor): Decimal {
  return constant('euler', W.precision, (V) => {
    const P = V.precision;
    const m = Math.ceil((P * LN10) / 4) + 2;
    const m2 = m * m;
    let B = new V(1);
    let A = el.ln(new V(m)).neg();
    let U = A;
    let Vs = B;
    for (let k = 1; ; k++) {
      B = B.times(m2).div(k * k);
      A = A.times(m2).div(k).plus(B).div(k);
      U = U.plus(A);
      Vs = Vs.plus(B);
      if (k > m && negligible(B, Vs, P + 2) && negligible(A, Vs, P + 2)) break;
    }
    return U.div(Vs);
  });
}

// ---------------------------------------------------------------------------
// erf / erfc
// ---------------------------------------------------------------------------

/**
 * erf(a), a >= 0, by 2a/sqrt(pi) e^{-a^2} sum (2a^2)^n/(2n+1)!!  (all terms
 * positive: full relative precision at W.precision, no cancellation).
 */
function erfSeriesW(a: Decimal, W: DecimalCtor): Decimal {
  const x = new W(a);
  const x2 = x.times(x);
  const y = x2.times(2);
  const x2n = x2.toNumber();
  const P = W.precision;
  let term = new W(1);
  let sum = new W(1);
  for (let n = 1; ; n++) {
    term = term.times(y).div(2 * n + 1);
    sum = sum.plus(term);
    if (n > x2n && negligible(term, sum, P + 1)) break;
  }
  return sum.times(x).times(2).times(el.exp(x2.neg())).div(sqrtPiW(W));
}

/**
 * erf(x) by the alternating Maclaurin series 2/sqrt(pi) sum (-1)^n x^(2n+1)/(n!(2n+1)).
 * Loses ~ x^2 log10(e) digits to cancellation (the caller supplies them); used for
 * x^2 < TAYLOR_MAX, where it is much cheaper than the series above (no exp()).
 */
function erfTaylorW(a: Decimal, W: DecimalCtor): Decimal {
  const x = new W(a);
  const mx2 = x.times(x).neg();
  const P = W.precision;
  let t = x; // (-1)^n x^(2n+1)/n!
  let sum = x;
  for (let n = 1; ; n++) {
    t = t.times(mx2).div(n);
    const term = t.div(2 * n + 1);
    sum = sum.plus(term);
    if (negligible(term, x, P + 1)) break;
  }
  return sum.times(2).div(sqrtPiW(W));
}
const TAYLOR_MAX = 3;

/**
 * erfc(a), a > 0, by the even part of the Laplace continued fraction,
 * evaluated forwards with the Wallis recurrences (Decimal has an essentially
 * unbounded exponent range, so no rescaling is necessary).  Needs
 * ~0.5 P^2 / a^2 steps for P digits.
 */
function erfcCFW(a: Decimal, W: DecimalCtor): Decimal {
  const x = new W(a);
  const x2 = x.times(x);
  const b0 = x2.times(2).plus(1);
  const P = W.precision;
  let Pm1 = new W(1);
  let P0 = b0;
  let Qm1 = new W(0);
  let Q0 = new W(1);
  let prev = P0.div(Q0);
  let r = prev;
  for (let k = 1; ; k++) {
    const ak = -(2 * k - 1) * (2 * k);
    const bk = b0.plus(4 * k);
    const P1 = bk.times(P0).plus(Pm1.times(ak));
    const Q1 = bk.times(Q0).plus(Qm1.times(ak));
    Pm1 = P0;
    P0 = P1;
    Qm1 = Q0;
    Q0 = Q1;
    if (k % 4 === 0) {
      r = P0.div(Q0);
      if (negligible(r.minus(prev), r, P + 1)) break;
      prev = r;
    }
    if (k > 5_000_000) throw new Error('erfc continued fraction did not converge');
  }
  return x.times(2).times(el.exp(x2.neg())).div(sqrtPiW(W).times(r));
}

/**
 * Use the continued fraction for erfc when a^2 exceeds this (P = working digits).
 * Balances the cost of the series (more digits for the 1 - erf cancellation and
 * ~a^2 terms) against the continued fraction (~0.5 P^2 / a^2 steps).
 */
function cfThreshold(P: number): number {
  return Math.max(4, 0.4 * P);
}

/** erf(a), a >= 0 (finite), to ~P digits; returned at working precision. */
function erfPos(a: Decimal, P: number): Decimal {
  const a2 = a.toNumber() ** 2;
  const extra = Math.ceil(Math.log10(1 + a2));
  if (a2 > (P + GUARD + 10) * LN10 + 10) {
    // erfc(a) < e^{-a^2} is below the working precision relative to 1
    return new (decimalCtor(P + GUARD))(1);
  }
  if (a2 < TAYLOR_MAX) return erfTaylorW(a, decimalCtor(P + GUARD + Math.ceil(a2 * LOG10E) + 1));
  if (a2 < cfThreshold(P + GUARD)) return erfSeriesW(a, decimalCtor(P + GUARD + extra));
  const W = decimalCtor(P + GUARD + extra);
  return new W(1).minus(erfcCFW(a, W));
}

/** erfc(a) for any finite a, to ~P digits relative; returned at working precision. */
function erfcAt(a: Decimal, P: number): Decimal {
  if (a.isZero()) return new (decimalCtor(P + GUARD))(1);
  if (a.isNeg()) {
    const e = erfPos(a.neg(), P);
    return e.plus(1);
  }
  const a2 = a.toNumber() ** 2;
  // e^{-a^2} below the smallest Decimal (minE = -9e15)
  if (a2 > 2.1e16) return new (decimalCtor(P + GUARD))(0);
  const extra = Math.ceil(Math.log10(1 + a2));
  if (a2 < TAYLOR_MAX) {
    // the Taylor series and 1 - erf each lose ~ a^2 log10(e) digits
    const W = decimalCtor(P + GUARD + Math.ceil(2 * a2 * LOG10E) + 2);
    return new W(1).minus(erfTaylorW(a, W));
  }
  if (a2 < cfThreshold(P + GUARD)) {
    // 1 - erf loses ~ a^2 log10(e) digits
    const W = decimalCtor(P + GUARD + extra + Math.ceil(a2 * LOG10E) + 1);
    return new W(1).minus(erfSeriesW(a, W));
  }
  return erfcCFW(a, decimalCtor(P + GUARD + extra));
}

/** Error function erf(x), all real x. */
export function erf(x: Decimal): Decimal {
  const D = ctorOf(x);
  if (x.isNaN()) return new D(NaN);
  if (x.isZero()) return new D(x);
  if (!x.isFinite()) return new D(x.s);
  const v = erfPos(x.abs(), D.precision);
  return finish(D, x.isNeg() ? v.neg() : v);
}

/** Complementary error function erfc(x) = 1 - erf(x), full relative precision in the tail. */
export function erfc(x: Decimal): Decimal {
  const D = ctorOf(x);
  if (x.isNaN()) return new D(NaN);
  if (!x.isFinite()) return new D(x.isNeg() ? 2 : 0);
  return finish(D, erfcAt(x, D.precision));
}

/** Standard normal density exp(-x^2/2)/sqrt(2 pi). */
export function normPdf(x: Decimal): Decimal {
  const D = ctorOf(x);
  if (x.isNaN()) return new D(NaN);
  if (!x.isFinite()) return new D(0);
  const x2 = x.toNumber() ** 2;
  if (x2 > 4.2e16) return new D(0);
  const W = decimalCtor(D.precision + GUARD + Math.ceil(Math.log10(1 + x2)));
  const xw = new W(x);
  return finish(D, el.exp(xw.times(xw).div(-2)).times(invSqrt2PiW(W)));
}

/** Standard normal distribution function Phi(x) = erfc(-x/sqrt 2)/2 (relative precision in the lower tail). */
export function normCdf(x: Decimal): Decimal {
  const D = ctorOf(x);
  if (x.isNaN()) return new D(NaN);
  if (!x.isFinite()) return new D(x.isNeg() ? 0 : 1);
  const x2 = x.toNumber() ** 2;
  if (x2 > 4.2e16) return new D(x.isNeg() ? 0 : 1);
  // the argument error is amplified by ~x^2 in the tail
  const W = decimalCtor(D.precision + GUARD + Math.ceil(Math.log10(1 + x2)));
  const y = new W(x).neg().div(sqrt2W(W));
  return finish(D, erfcAt(y, D.precision).div(2));
}

// ---------------------------------------------------------------------------
// Gamma
// ---------------------------------------------------------------------------

/** Tangent numbers T_1..T_n (Brent-Harvey), exact BigInts. */
let tangentNumbers: bigint[] = [];
function tangent(n: number): bigint[] {
  if (tangentNumbers.length > n) return tangentNumbers;
  const N = Math.max(n, 2 * tangentNumbers.length, 64);
  const T: bigint[] = new Array<bigint>(N + 1).fill(0n);
  T[1] = 1n;
  for (let k = 2; k <= N; k++) T[k] = BigInt(k - 1) * T[k - 1];
  for (let k = 2; k <= N; k++) {
    for (let j = k; j <= N; j++) T[j] = BigInt(j - k) * T[j - 1] + BigInt(j - k + 2) * T[j];
  }
  tangentNumbers = T;
  return T;
}

/** Stirling coefficients B_{2k} / (2k (2k-1)), k = 1.., at precision W.precision (cached). */
const stirlingCache = new Map<number, Decimal[]>();
function stirlingCoeff(W: DecimalCtor, k: number): Decimal {
  let arr = stirlingCache.get(W.precision);
  if (arr === undefined) {
    arr = [];
    stirlingCache.set(W.precision, arr);
  }
  while (arr.length < k) {
    const j = arr.length + 1; // compute coefficient j
    const T = tangent(j);
    // B_{2j} = (-1)^{j-1} 2j T_j / (2^{2j} (2^{2j} - 1))
    const p = 1n << BigInt(2 * j);
    const num = BigInt(2 * j) * T[j];
    const den = p * (p - 1n) * BigInt(2 * j) * BigInt(2 * j - 1);
    let c = new W(num.toString()).div(new W(den.toString()));
    if (j % 2 === 0) c = c.neg();
    arr.push(c);
  }
  return arr[k - 1];
}

interface LnGammaParts {
  value: Decimal;
  /** log10 of the largest magnitude that was summed (to detect cancellation). */
  scale: number;
}

/** ln Gamma(x), x > 0, at precision W.precision (absolute error ~ 10^(scale - P)). */
function lnGammaParts(x: Decimal, W: DecimalCtor): LnGammaParts {
  const P = W.precision;
  const xv = new W(x);
  const xn = xv.toNumber();
  const z0 = P; // Stirling needs ~ 0.45 P terms at z = P
  let N = 0;
  let prod = new W(1);
  if (xn < z0) {
    N = Math.ceil(z0 - xn);
    for (let i = 0; i < N; i++) prod = prod.times(i === 0 ? xv : xv.plus(i));
  }
  const z = N > 0 ? xv.plus(N) : xv;
  const lnz = el.ln(z);
  const main = z.minus(0.5).times(lnz);
  let s = main.minus(z).plus(halfLn2PiW(W));
  let scale = Math.log10(Math.abs(main.toNumber()) + z.toNumber() + 1);
  const zinv = new W(1).div(z);
  const zinv2 = zinv.times(zinv);
  let zp = zinv;
  let lastMag = Infinity;
  for (let k = 1; ; k++) {
    const term = stirlingCoeff(W, k).times(zp);
    s = s.plus(term);
    if (negligible(term, main, P + 2) && term.abs().lt(1)) break;
    const mag = term.e;
    if (mag > lastMag && k > 3) throw new Error('Stirling series diverging');
    lastMag = mag;
    zp = zp.times(zinv2);
  }
  if (N > 0) {
    const lp = el.ln(prod);
    s = s.minus(lp);
    scale = Math.max(scale, Math.log10(Math.abs(lp.toNumber()) + 1));
  }
  return { value: s, scale };
}

/** ln Gamma(x) for x > 0 (NaN otherwise); full relative precision, also near x = 1, 2. */
export function lnGamma(x: Decimal): Decimal {
  const D = ctorOf(x);
  const P = D.precision;
  if (x.isNaN() || x.lte(0)) return new D(NaN);
  if (!x.isFinite()) return new D(Infinity);
  if (x.eq(1) || x.eq(2)) return new D(0);
  let Pw = P + GUARD + Math.ceil(Math.log10(P * Math.log(P + 2) + 1));
  for (let attempt = 0; ; attempt++) {
    const { value, scale } = lnGammaParts(x, decimalCtor(Pw));
    // digits left after cancellation
    const lost = value.isZero() ? Pw : scale - (value.e + 1);
    if (Pw - lost >= P + 8 || attempt >= 4) return finish(D, value);
    Pw = P + GUARD + Math.ceil(lost) + 5;
  }
}

/** Gamma(x), x > 0, at ~P digits relative (returned at working precision). */
function gammaPos(x: Decimal, P: number): Decimal {
  const xn = Math.min(x.toNumber(), 1e300);
  // exp() turns the absolute error of ln Gamma into a relative error
  const est = Math.log10(Math.abs(xn * Math.log(xn)) + P * Math.log(P + 2) + 1);
  const W = decimalCtor(P + GUARD + Math.ceil(est));
  return el.exp(lnGammaParts(x, W).value);
}

/**
 * Gamma function for all real x that are not non-positive integers (NaN at
 * the poles).  Reflection Gamma(x) = pi / (sin(pi x) Gamma(1-x)) for x < 0.
 */
export function gamma(x: Decimal): Decimal {
  const D = ctorOf(x);
  const P = D.precision;
  if (x.isNaN()) return new D(NaN);
  if (!x.isFinite()) return new D(x.isNeg() ? NaN : Infinity);
  if (x.gt(0)) return finish(D, gammaPos(x, P));
  // reflection
  const n = x.round(); // nearest integer (exact)
  const W = decimalCtor(P + GUARD + Math.max(0, x.e + 1));
  const r = new W(x).minus(n); // exact: x has at most ~P significant digits in W
  if (r.isZero()) return new D(NaN);
  const odd = !n.mod(2).isZero();
  let s = el.sin(piW(W).times(r));
  if (odd) s = s.neg();
  const g1 = gammaPos(new W(1).minus(x), P);
  return finish(D, piW(W).div(s.times(g1)));
}

// ---------------------------------------------------------------------------
// Modified Bessel functions K0, K1
// ---------------------------------------------------------------------------

/** Ascending series (A&S 9.6.11) at precision W.precision. */
function besselKSeriesW(nu: 0 | 1, xIn: Decimal, W: DecimalCtor): Decimal {
  const P = W.precision;
  const x = new W(xIn);
  const u = x.times(x).div(4);
  const lnTerm = el.ln(x.div(2)).plus(eulerGammaW(W)); // ln(x/2) + gamma
  const half = x.toNumber() / 2;
  if (nu === 0) {
    // K0 = -(ln(x/2)+gamma) I0 + sum_{k>=1} H_k u^k/(k!)^2
    let t = new W(1);
    let I0 = new W(1);
    let S = new W(0);
    let H = new W(0);
    for (let k = 1; ; k++) {
      t = t.times(u).div(k * k);
      H = H.plus(new W(1).div(k));
      I0 = I0.plus(t);
      const st = t.times(H);
      S = S.plus(st);
      if (k > half && negligible(st, I0, P + 1)) break;
    }
    return S.minus(lnTerm.times(I0));
  }
  // K1 = 1/x + (ln(x/2)+gamma) I1 - (x/4) sum_{k>=0} (H_k + H_{k+1}) u^k/(k!(k+1)!)
  let t = new W(1);
  let I1s = new W(1);
  let Hk = new W(0);
  let Hk1 = new W(1);
  let S = new W(1); // k = 0: (H_0 + H_1) * 1
  for (let k = 1; ; k++) {
    t = t.times(u).div(k * (k + 1));
    Hk = Hk1;
    Hk1 = Hk1.plus(new W(1).div(k + 1));
    I1s = I1s.plus(t);
    const st = t.times(Hk.plus(Hk1));
    S = S.plus(st);
    if (k > half && negligible(st, I1s, P + 1)) break;
  }
  const I1 = x.div(2).times(I1s);
  return new W(1).div(x).plus(lnTerm.times(I1)).minus(x.div(4).times(S));
}

/**
 * Asymptotic expansion K_nu(x) ~ sqrt(pi/(2x)) e^{-x} sum_k a_k(nu)/x^k.
 * Returns null if the smallest term is not below 10^-P.
 */
function besselKAsymW(nu: 0 | 1, xIn: Decimal, W: DecimalCtor): Decimal | null {
  const P = W.precision;
  const x = new W(xIn);
  const xinv = new W(1).div(x);
  const mu = 4 * nu * nu;
  let t = new W(1);
  let sum = new W(1);
  let lastE = Infinity;
  for (let k = 1; ; k++) {
    const m = mu - (2 * k - 1) * (2 * k - 1);
    t = t.times(m).times(xinv).div(8 * k);
    sum = sum.plus(t);
    if (negligible(t, sum, P + 1)) break;
    if (t.e > lastE && k > 2) return null;
    lastE = t.e;
  }
  const pre = el.sqrt(piW(W).div(x.times(2))).times(el.exp(x.neg()));
  return pre.times(sum);
}

function besselK(nu: 0 | 1, x: Decimal): Decimal {
  const D = ctorOf(x);
  const P = D.precision;
  if (x.isNaN() || x.isNeg()) return new D(NaN);
  if (x.isZero()) return new D(Infinity);
  if (!x.isFinite()) return new D(0);
  const xn = x.toNumber();
  if (xn > 2e16) return new D(0); // e^{-x} below the smallest Decimal
  const Pw = P + GUARD;
  if (xn > 1.2 * Pw + 10) {
    // exp(-x) turns the (relative) rounding error of x into ~ x * 10^-Pw
    const W = decimalCtor(Pw + Math.ceil(Math.log10(xn)));
    const v = besselKAsymW(nu, x, W);
    if (v !== null) return finish(D, v);
  }
  // the series cancels from ~e^{x} down to ~e^{-x}
  const W = decimalCtor(Pw + Math.ceil(2 * xn * LOG10E) + 2);
  return finish(D, besselKSeriesW(nu, x, W));
}

/** Modified Bessel function of the second kind K_0(x), x > 0. */
export function besselK0(x: Decimal): Decimal {
  return besselK(0, x);
}

/** Modified Bessel function of the second kind K_1(x), x > 0. */
export function besselK1(x: Decimal): Decimal {
  return besselK(1, x);
}

// ===========================================================================
// float64 versions
// ===========================================================================

const SQRT_PI = 1.7724538509055160273;
const SQRT_2PI = 2.5066282746310005024;
const INV_SQRT_2PI = 0.39894228040143267794;
const HALF_LN_2PI = 0.91893853320467274178;

// Coefficient tables generated by `python3 test/fixtures/make_special.py --coeffs`.

/** Chebyshev coefficients of erfcx(z)/t, t = K/(K+z), u = 2t/t0 - 1, K = 3, z >= 0.5 (c0 halved). */
const ERFCX_K = 3;
const ERFCX_T0 = ERFCX_K / (ERFCX_K + 0.5);
const ERFCX_CHEB = [
  0.38414880039918325, 0.2506924752383632, 0.06675755602514798, 0.014201826365788586,
  0.0022765015228904937, 0.00023043940681675892, 1.8793997035532057e-6, -3.671423301188469e-6,
  -4.5199886303881584e-7, 3.3943389226029766e-8, 1.3021432318989855e-8, 2.4801535035264257e-12,
  -3.4174358038299783e-10, -1.2799647059854397e-11, 9.716411913529587e-12, 5.252412268284351e-13,
  -3.119953223028529e-13, -1.520786773149771e-14, 1.1166661394562257e-14, 2.4830886043557556e-16,
  -4.27095714867511e-16, 9.462719113661213e-18, 1.650676226397437e-17, -1.3907109728774755e-18,
  -5.993309083023661e-19, 1.0539118008427694e-19,
];

/** erf Taylor coefficients 2/sqrt(pi) (-1)^n / (n! (2n+1)), n = 0..12 (|x| < 0.5). */
const ERF_TAYLOR = [
  1.1283791670955126, -0.37612638903183754, 0.11283791670955126, -0.026866170645131252,
  0.005223977625442188, -0.0008548327023450853, 0.00012055332981789664, -1.492565035840625e-5,
  1.6462114365889248e-6, -1.6365844691234924e-7, 1.4807192815879218e-8, -1.2290555301717928e-9,
  9.422759064650411e-11,
];

/** lnGamma(2+z) = sum_k c_k z^k, k = 1.., c_1 = 1 - gamma, c_k = (-1)^k (zeta(k)-1)/k; |z| <= 1/2. */
const LNGAMMA2_TAYLOR = [
  0.42278433509846713, 0.3224670334241132, -0.0673523010531981, 0.020580808427784546,
  -0.007385551028673986, 0.0028905103307415234, -0.001192753911703261, 0.0005096695247430425,
  -0.00022315475845357939, 9.945751278180853e-5, -4.492623673813314e-5, 2.050721277567069e-5,
  -9.439488275268397e-6, 4.374866789907488e-6, -2.039215753801366e-6, 9.55141213040742e-7,
  -4.492469198764566e-7, 2.1207184805554665e-7, -1.0043224823968099e-7, 4.7698101693639804e-8,
  -2.2711094608943164e-8, 1.0838659214896955e-8, -5.183475041970047e-9, 2.4836745438024785e-9,
  -1.1921401405860912e-9, 5.731367241678862e-10, -2.7595228851242334e-10, 1.330476437424449e-10,
  -6.4229645638381e-11, 3.1044247747322276e-11, -1.5021384080754142e-11,
];

/** Stirling coefficients B_{2k}/(2k(2k-1)), k = 1..9. */
const STIRLING64 = [
  1 / 12, -1 / 360, 1 / 1260, -1 / 1680, 1 / 1188, -691 / 360360, 1 / 156, -3617 / 122400,
  43867 / 244188,
];

/** exp(-x^2) without the x^2 rounding error (x = xh + xl, xh^2 exact). */
function expMinusSq(x: number): number {
  const xh = Math.fround(x);
  return Math.exp(-xh * xh) * Math.exp(-(x - xh) * (x + xh));
}

/** exp(-x^2/2) without the x^2 rounding error. */
function expMinusHalfSq(x: number): number {
  const xh = Math.fround(x);
  return Math.exp(-0.5 * xh * xh) * Math.exp(-0.5 * (x - xh) * (x + xh));
}

/** erf(x) for |x| <= 0.5 by its Taylor series. */
function erfSmall(x: number): number {
  const x2 = x * x;
  let s = ERF_TAYLOR[ERF_TAYLOR.length - 1];
  for (let i = ERF_TAYLOR.length - 2; i >= 0; i--) s = s * x2 + ERF_TAYLOR[i];
  return x * s;
}

/** Scaled complementary error function erfcx(z) = e^{z^2} erfc(z) for z >= 0.5. */
function erfcxLarge(z: number): number {
  const t = ERFCX_K / (ERFCX_K + z);
  const u = (2 * t) / ERFCX_T0 - 1;
  // Clenshaw
  const c = ERFCX_CHEB;
  let b1 = 0;
  let b2 = 0;
  for (let k = c.length - 1; k >= 1; k--) {
    const b0 = c[k] + 2 * u * b1 - b2;
    b2 = b1;
    b1 = b0;
  }
  return t * (c[0] + u * b1 - b2);
}

/** Scaled complementary error function erfcx(x) = exp(x^2) erfc(x), float64 (x >= -26). */
export function erfcx64(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x >= 0.5) {
    if (x > 1e8) return 1 / (x * SQRT_PI);
    return erfcxLarge(x);
  }
  if (x > -0.5) return Math.exp(x * x) * (1 - erfSmall(x));
  return 2 / expMinusSq(x) - erfcxLarge(-x);
}

/** erf(x) in float64 (~1 ulp). */
export function erf64(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const a = Math.abs(x);
  if (a <= 0.5) return erfSmall(x);
  if (a >= 6) return x > 0 ? 1 : -1;
  const v = 1 - erfcxLarge(a) * expMinusSq(a);
  return x > 0 ? v : -v;
}

/** erfc(x) in float64, relative accuracy ~ few ulp down to the underflow threshold (x ~ 26.5). */
export function erfc64(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x < 0.5) {
    if (x > -0.5) return 1 - erfSmall(x);
    if (x <= -6) return 2;
    return 2 - erfcxLarge(-x) * expMinusSq(x);
  }
  if (x >= 27.3) return 0;
  return erfcxLarge(x) * expMinusSq(x);
}

/** Standard normal density in float64. */
export function normPdf64(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (Math.abs(x) > 40) return 0;
  return INV_SQRT_2PI * expMinusHalfSq(x);
}

/** Standard normal CDF in float64, relative accuracy in the lower tail. */
export function normCdf64(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x >= 0) {
    if (x > 40) return 1;
    return 1 - normCdfNeg64(-x);
  }
  return normCdfNeg64(x);
}

/** Phi(x) for x <= 0. */
function normCdfNeg64(x: number): number {
  const y = -x * Math.SQRT1_2;
  if (y <= 0.5) return 0.5 * (1 - erfSmall(y));
  if (x < -39) return 0;
  // erfcx is well conditioned, so the rounding of y is harmless; the Gaussian
  // factor is computed from x directly.
  return 0.5 * erfcxLarge(y) * expMinusHalfSq(x);
}

/** lnGamma(2+z), |z| <= 1/2. */
function lnGamma2(z: number): number {
  const c = LNGAMMA2_TAYLOR;
  let s = c[c.length - 1];
  for (let i = c.length - 2; i >= 0; i--) s = s * z + c[i];
  return s * z;
}

/** Stirling correction sum_k B_{2k}/(2k(2k-1) x^{2k-1}), x >= 12. */
function stirlingSeries64(x: number): number {
  const y = 1 / (x * x);
  let s = STIRLING64[STIRLING64.length - 1];
  for (let i = STIRLING64.length - 2; i >= 0; i--) s = s * y + STIRLING64[i];
  return s / x;
}

/** Gamma(x) for x >= 0.5. */
function gammaPos64(x: number): number {
  if (x >= 12) {
    if (x > 171.7) return Infinity;
    const y = Math.pow(x, 0.5 * x - 0.25);
    return SQRT_2PI * y * (y * Math.exp(-x)) * Math.exp(stirlingSeries64(x));
  }
  if (x < 1.5) return Math.exp(lnGamma2(x - 1)) / x; // Gamma(x) = Gamma(x+1)/x
  // reduce to y in [1.5, 2.5): Gamma(x) = Gamma(y) (y)(y+1)...(x-1)
  let y = x;
  let p = 1;
  while (y >= 2.5) {
    y -= 1;
    p *= y;
  }
  return Math.exp(lnGamma2(y - 2)) * p;
}

/** sin(pi x) with exact argument reduction. */
function sinPi(x: number): number {
  const n = Math.round(x);
  const r = x - n;
  const s = Math.sin(Math.PI * r);
  return n % 2 === 0 ? s : -s;
}

/** Gamma(x) in float64, all real x (NaN at the poles 0, -1, -2, ...). */
export function gamma64(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x >= 0.5) return gammaPos64(x);
  if (Number.isInteger(x)) return NaN;
  if (x === -Infinity) return NaN;
  // 1 - x is rounded: y + err = 1 - x exactly (two-sum); Gamma(y + err) ~ Gamma(y) (1 + psi(y) err)
  const y = 1 - x;
  const bb = y - 1;
  const err = 1 - (y - bb) + (-x - bb);
  const psi = Math.log(y) - 0.5 / y - 1 / (12 * y * y); // ~1% accurate for y >= 1: enough here
  return Math.PI / (sinPi(x) * gammaPos64(y) * (1 + psi * err));
}

/** ln Gamma(x) in float64 for x > 0 (NaN otherwise); relative accuracy also near x = 1, 2. */
export function lnGamma64(x: number): number {
  if (Number.isNaN(x) || x <= 0) return NaN;
  if (x === Infinity) return Infinity;
  if (x >= 12) {
    return (x - 0.5) * Math.log(x) - x + HALF_LN_2PI + stirlingSeries64(x);
  }
  if (x < 0.5) return lnGamma2(x) - Math.log1p(x) - Math.log(x); // ln G(1+x) - ln x
  if (x < 1.5) return lnGamma2(x - 1) - Math.log1p(x - 1);
  if (x < 2.5) return lnGamma2(x - 2);
  let y = x;
  let p = 1;
  while (y >= 2.5) {
    y -= 1;
    p *= y;
  }
  return lnGamma2(y - 2) + Math.log(p);
}

/**
 * K_nu(x), nu = 0, 1, by the trapezoidal rule on
 *   K_nu(x) = e^{-x} int_0^inf exp(-2x sinh^2(t/2)) cosh(nu t) dt,
 * which converges geometrically (analytic integrand, double-exponential decay).
 * Step chosen so that the discretisation error exp(-2 pi d/h + x(1-cos d)) < ~1e-18.
 */
function besselK64(nu: 0 | 1, x: number): number {
  if (Number.isNaN(x) || x < 0) return NaN;
  if (x === 0) return Infinity;
  if (x > 745.2) return 0;
  const h = 1 / (4.3 + 1.5 * Math.sqrt(x));
  let sum = 0.5;
  for (let k = 1; ; k++) {
    const t = k * h;
    const sh = Math.sinh(0.5 * t);
    const arg = 2 * x * sh * sh;
    let f = Math.exp(-arg);
    if (nu === 1) f *= Math.cosh(t);
    sum += f;
    if (f < 1e-18 * sum && arg > 1) break;
  }
  return h * sum * Math.exp(-x);
}

/** K_0(x) in float64, x > 0. */
export function besselK0_64(x: number): number {
  return besselK64(0, x);
}

/** K_1(x) in float64, x > 0. */
export function besselK1_64(x: number): number {
  return besselK64(1, x);
}
