/**
 * Kernels of the rectified powers phi_k(x) = max(0, x)^k ("alpha-ReLU", Yang & Schoenholz 2017) at unit
 * variances and correlation c = cos(theta):
 *
 *   W_k(c) = E[phi_k(u) phi_k(v)],  (u, v) ~ N(0, [[1, c], [c, 1]]),   k > -1/2 at c = 1, k > -1 for |c| < 1.
 *
 * Four independent representations (each used to check the others in test/residualMF.test.ts):
 *
 *  1. Gamma series (Hermite/Mehler expansion):  W_k(c) = sum_n a_n(k)^2 c^n / n!,
 *       a_n(k) = E[phi_k(z) He_n(z)] = Gamma(k+1) / (2^((k-n)/2+1) Gamma(1+(k-n)/2)),
 *     so a_0 = 2^(k/2) Gamma((k+1)/2) / (2 sqrt(pi)) = E[phi_k], and a_(n+2) = (k-n) a_n.
 *  2. Angular integral (polar coordinates, then s = 2t):
 *       W_k(cos theta) = Gamma(k+1)/(2 pi) int_0^(pi-theta) (cos s + cos theta)^k ds
 *                      = Gamma(k+1)/(2 pi) int_0^(pi-theta) (2 sin(t/2) sin(t/2 + theta))^k dt   (t = pi - theta - s).
 *     For integer k this is Cho & Saul's J_k(theta)/(2 pi) (src/model/arccos.ts).
 *  3. Bessel K0 (the density of the product uv of a correlated Gaussian pair is
 *     exp(c z/(1-c^2)) K0(|z|/(1-c^2)) / (pi sqrt(1-c^2)); substitute z = (1-c^2) y):
 *       W_k(c) = (1-c^2)^(k+1/2) / (2 pi) int_0^inf y^k e^(c y) K0(y) dy.
 *  4. Gaussian quadrature of the definition (src/numeric/gaussian.ts), in the tests.
 *
 * Identities: the derivative identity dW_k/dc = k^2 W_(k-1)(c) (from a_(n+1)(k) = k a_n(k-1);
 * Price's theorem), W_k(1) = 2^(k-1) Gamma(k+1/2)/sqrt(pi), W_k(0) = a_0^2, and so
 * W_k'(1) / W_k(1) = k^2 / (2k - 1) (k > 1/2).
 */
import Decimal from 'decimal.js';
import { gamma, besselK0, besselK0_64, gamma64, lnGamma64 } from '../numeric/special';
import { integrate64, integrateDec, decContext } from '../numeric/quadrature';
import { InputError, NumericalError } from '../model/errors';
import { plainMath } from '../numeric/plainMath';
const Math = plainMath();

/** W_k(1) = E[max(0,z)^(2k)] = 2^(k-1) Gamma(k+1/2) / sqrt(pi)  (k > -1/2). */
export function diagonal64(k: number): number {
  if (!(k > -0.5)) return Infinity;
  return Math.exp((k - 1) * Math.LN2 + lnGamma64(k + 0.5) - 0.5 * Math.log(Math.PI));
}

/** E[max(0,z)^k] = 2^(k/2) Gamma((k+1)/2) / (2 sqrt(pi))  (k > -1). */
export function mean64(k: number): number {
  return Math.exp((k / 2) * Math.LN2 + lnGamma64((k + 1) / 2) - 0.5 * Math.log(Math.PI)) / 2;
}

export function diagonalDec(D: typeof Decimal, k: Decimal | string): Decimal {
  const K = new D(k);
  return new D(2).pow(K.minus(1)).times(gamma(K.plus('0.5'))).div(D.acos(-1).sqrt());
}

/** 1 / Gamma(x), zero at the poles. */
function rgammaDec(x: Decimal): Decimal {
  const D = x.constructor as typeof Decimal;
  if (x.isInteger() && x.lte(0)) return new D(0);
  return new D(1).div(gamma(x));
}

/** The Hermite coefficients a_0, a_1 of phi_k (a_(n+2) = (k - n) a_n). */
export function hermiteStartDec(D: typeof Decimal, k: Decimal | string): [Decimal, Decimal] {
  const K = new D(k);
  const g = gamma(K.plus(1));
  const a0 = g.times(rgammaDec(K.div(2).plus(1))).div(new D(2).pow(K.div(2).plus(1)));
  const a1 = g.times(rgammaDec(K.minus(1).div(2).plus(1))).div(new D(2).pow(K.minus(1).div(2).plus(1)));
  return [a0, a1];
}

/**
 * W_k(c) by the Gamma series at the working precision of D, |c| < 1 (|c| <= 0.98 recommended:
 * the terms fall like |c|^n n^(-k-3/2)). Throws past maxTerms.
 */
export function seriesWDec(D: typeof Decimal, k: Decimal | string, c: Decimal | string, maxTerms = 200000): Decimal {
  const K = new D(k);
  const C = new D(c);
  if (C.abs().gte(1)) throw new InputError('c', `the Gamma series needs |c| < 1, got ${C.toString()}`);
  let [an, an1] = hermiteStartDec(D, K); // a_n, a_(n+1)
  let sum = new D(0);
  let cn = new D(1); // c^n / n!
  const eps = new D(10).pow(-(D.precision + 2));
  const oneMinusC2 = new D(1).minus(C.times(C));
  let small = 0;
  for (let n = 0; n < maxTerms; n++) {
    const term = an.times(an).times(cn);
    sum = sum.plus(term);
    // Past n > k the even and odd subsequences fall by at least c^2 per two steps: tail < |term| / (1 - c^2).
    if (n > K.toNumber() + 2 && term.abs().lte(eps.times(sum.abs()).times(oneMinusC2))) {
      if (++small >= 2) return sum;
    } else small = 0;
    const next = K.minus(n).times(an); // a_(n+2)
    an = an1;
    an1 = next;
    cn = cn.times(C).div(n + 1);
  }
  throw new NumericalError(`Gamma series for W_${K.toString()}(${C.toString()}) did not converge in ${maxTerms} terms`);
}

/** float64 Gamma series (|c| <= 0.9 for full accuracy); b_n = a_n^2 / n! by b_(n+2) = b_n (k-n)^2 / ((n+1)(n+2)). */
export function seriesW64(k: number, c: number): number {
  if (!(Math.abs(c) < 1)) throw new InputError('c', `the Gamma series needs |c| < 1, got ${c}`);
  const g = gamma64(k + 1);
  const rg = (x: number): number => (x <= 0 && Number.isInteger(x) ? 0 : 1 / gamma64(x));
  const a0 = (g * rg(k / 2 + 1)) / Math.pow(2, k / 2 + 1);
  const a1 = (g * rg((k - 1) / 2 + 1)) / Math.pow(2, (k - 1) / 2 + 1);
  let bn = a0 * a0; // b_n c^n
  let bn1 = a1 * a1 * c; // b_(n+1) c^(n+1)
  let sum = 0;
  let small = 0;
  for (let n = 0; n < 1000000; n++) {
    sum += bn;
    if (n > k + 2 && Math.abs(bn) <= 1e-17 * Math.abs(sum) * (1 - c * c)) {
      if (++small >= 2) return sum;
    } else small = 0;
    const next = (bn * (k - n) * (k - n) * c * c) / ((n + 1) * (n + 2));
    bn = bn1;
    bn1 = next;
  }
  throw new NumericalError(`Gamma series for W_${k}(${c}) did not converge`);
}

/** W_k(cos theta) by the angular integral, float64 (relative tolerance tol). */
export function angularW64(k: number, theta: number, tol = 1e-14): number {
  if (!(theta >= 0 && theta <= Math.PI)) throw new InputError('theta', `must be in [0, pi], got ${theta}`);
  if (theta === Math.PI) return 0;
  const pref = Math.exp(lnGamma64(k + 1)) / (2 * Math.PI);
  if (k === 0) return (pref * (Math.PI - theta));
  // With t = pi - theta - s (the distance to the end point where the integrand vanishes like t^k):
  // cos s + cos theta = 2 sin(t/2) sin(t/2 + theta), exact near t = 0 (quadrature nodes crowd there).
  const f = (t: number): number => {
    const v = 2 * Math.sin(t / 2) * Math.sin(t / 2 + theta);
    return v > 0 ? Math.pow(v, k) : 0;
  };
  const r = integrate64(f, 0, Math.PI - theta, { tol });
  if (!Number.isFinite(r.value)) throw new NumericalError(`angular integral for W_${k}(cos ${theta}) is not finite`);
  return pref * r.value;
}

/** W_k(cos theta) by the angular integral in decimal.js at `digits` digits. */
export function angularWDec(k: string, theta: Decimal | string, digits: number): Decimal {
  const D = decContext(digits + 12);
  const T = new D(theta);
  const K = new D(k);
  const r = integrateDec(
    (s) => {
      const E = s.constructor as typeof Decimal;
      // s is the distance t to the end point pi - theta (see angularW64)
      const v = E.sin(s.div(2)).times(E.sin(s.div(2).plus(T))).times(2);
      return v.gt(0) ? v.pow(new E(K)) : new E(0);
    },
    0,
    D.acos(-1).minus(T),
    { digits },
  );
  return r.value.times(gamma(K.plus(1))).div(D.acos(-1).times(2));
}

/** e^y K0(y), y > 0: the float64 K0 below y = 50, the asymptotic series sqrt(pi/(2y)) sum_n a_n y^-n above. */
function scaledK0(y: number): number {
  if (y <= 50) return Math.exp(y) * besselK0_64(y);
  let term = 1;
  let sum = 1;
  for (let n = 1; n < 30; n++) {
    term *= -((2 * n - 1) ** 2) / (8 * n * y);
    sum += term;
    if (Math.abs(term) < 1e-17) break;
  }
  return Math.sqrt(Math.PI / (2 * y)) * sum;
}

/**
 * W_k(c) by the Bessel-K0 integral, float64, -1 < c < 1. With z = (1-c) y the integrand becomes
 * z^k e^(-z) [e^y K0(y)] / (1-c)^(k+1), which decays like e^(-z) whatever c.
 */
export function besselW64(k: number, c: number, tol = 1e-13): number {
  if (!(c > -1 && c < 1)) throw new InputError('c', `the Bessel form needs -1 < c < 1, got ${c}`);
  const w = 1 - c;
  const f = (z: number): number => (z === 0 ? 0 : Math.pow(z, k) * Math.exp(-z) * scaledK0(z / w));
  const r = integrate64(f, 0, Infinity, { tol, breakpoints: [Math.min(1, w)] });
  return (Math.pow(1 - c * c, k + 0.5) / Math.pow(w, k + 1) / (2 * Math.PI)) * r.value;
}

// ---------------------------------------------------------------------------------------
// A fast float64 kernel for the recursions: W_k tabulated once per k on a grid that makes the
// endpoint singularities (theta^(2k+1) at c = 1, (pi - theta)^(2k+1) at c = -1) smooth.

/** theta = pi (1 - cos(pi y)) / 2: theta ~ y^2 at y = 0 and pi - theta ~ (1-y)^2 at y = 1. */
function thetaOf(y: number): number {
  return (Math.PI * (1 - Math.cos(Math.PI * y))) / 2;
}

export interface RectifiedPowerTable {
  readonly k: number;
  /** W_k(1). */
  readonly diag: number;
  /** Normalised kernel f(c) = W_k(c) / W_k(1) from theta = acos(c). */
  f(theta: number): number;
  /** 1 - f(c) from theta (exact closed form with a small-theta series for k = 1). */
  oneMinusF(theta: number): number;
  /** Largest interpolation error seen against direct quadrature at the mid-points checked when the table was built. */
  readonly checkedError: number;
}

const tables = new Map<number, RectifiedPowerTable>();

/** theta cos theta - sin theta, without cancellation for small theta. */
function thetaCosMinusSin(t: number): number {
  if (t > 0.1) return t * Math.cos(t) - Math.sin(t);
  // sum_{n>=1} (-1)^n t^(2n+1) (1/(2n)! - 1/(2n+1)!)
  let s = 0;
  let p = t; // t^(2n+1) / (2n+1)!
  let q = t; // t^(2n+1) / (2n)!  (starts n = 0: t)
  for (let n = 1; n < 12; n++) {
    p = (p * t * t) / ((2 * n) * (2 * n + 1));
    q = (q * t * t) / ((2 * n - 1) * (2 * n));
    s += (n % 2 ? -1 : 1) * (q - p);
  }
  return s;
}

export function rectifiedPowerTable(k: number, n = 1024): RectifiedPowerTable {
  const hit = tables.get(k);
  if (hit) return hit;
  if (!(k > -0.5 && k <= 50)) throw new InputError('act', `relu-power:k needs k in (-1/2, 50] for its kernel, got ${k}`);
  const diag = diagonal64(k);
  if (k === 1) {
    // Cho & Saul J_1 / (2 pi) normalised by W_1(1) = 1/2: f = (sin t + (pi - t) cos t) / pi.
    const t: RectifiedPowerTable = {
      k, diag, checkedError: 0,
      f: (th) => (Math.sin(th) + (Math.PI - th) * Math.cos(th)) / Math.PI,
      // 1 - f = ((1 - cos t) pi + t cos t - sin t) / pi, 1 - cos t = 2 sin^2(t/2).
      oneMinusF: (th) => (2 * Math.PI * Math.sin(th / 2) ** 2 + thetaCosMinusSin(th)) / Math.PI,
    };
    tables.set(k, t);
    return t;
  }
  const vals = new Float64Array(n + 1);
  for (let i = 0; i <= n; i++) vals[i] = angularW64(k, thetaOf(i / n)) / diag;
  const h = 1 / n;
  const interp = (theta: number): number => {
    const y = Math.acos(Math.max(-1, Math.min(1, 1 - (2 * theta) / Math.PI))) / Math.PI;
    const x = y / h;
    let i = Math.floor(x) - 1;
    if (i < 0) i = 0;
    if (i > n - 3) i = n - 3;
    const t = x - i;
    // cubic Lagrange on nodes i..i+3, t in [0, 3]
    const f0 = vals[i], f1 = vals[i + 1], f2 = vals[i + 2], f3 = vals[i + 3];
    return (
      (-f0 * (t - 1) * (t - 2) * (t - 3)) / 6 + (f1 * t * (t - 2) * (t - 3)) / 2 - (f2 * t * (t - 1) * (t - 3)) / 2 + (f3 * t * (t - 1) * (t - 2)) / 6
    );
  };
  // Check the interpolation at mid-points against direct quadrature.
  let err = 0;
  for (const y of [0.5 / n, 1.5 / n, 0.013, 0.2371, 0.5003, 0.77, 0.991, 1 - 0.5 / n]) {
    const th = thetaOf(y);
    err = Math.max(err, Math.abs(interp(th) - angularW64(k, th) / diag));
  }
  if (err > 1e-9) throw new NumericalError(`rectified-power table for k = ${k}: interpolation error ${err.toExponential(2)} exceeds 1e-9`);
  const t: RectifiedPowerTable = { k, diag, checkedError: err, f: interp, oneMinusF: (th) => 1 - interp(th) };
  tables.set(k, t);
  return t;
}

/** W_k(c) by the Bessel-K0 integral in decimal.js at `digits` digits (tanh-sinh quadrature on [0, inf)). */
export function besselWDec(k: string, c: string, digits: number): Decimal {
  const D = decContext(digits + 12);
  const K = new D(k);
  const C = new D(c);
  if (!(C.gt(-1) && C.lt(1))) throw new InputError('c', `the Bessel form needs -1 < c < 1, got ${c}`);
  const r = integrateDec(
    (y) => {
      const E = y.constructor as typeof Decimal;
      if (y.isZero()) return new E(0);
      return y.pow(new E(K)).times(new E(C).times(y).exp()).times(besselK0(y));
    },
    0,
    Infinity as unknown as number,
    { digits, breakpoints: [1 / (1 - C.toNumber())] },
  );
  const one = new D(1);
  return one.minus(C.times(C)).pow(K.plus('0.5')).times(r.value).div(D.acos(-1).times(2));
}
