/**
 * Polygamma functions psi^(n)(x) (n = 0: digamma), in decimal.js and float64, so that
 * gamma can be differentiated: d gamma(u) = gamma(u) psi(u) du, d psi^(n)(u) = psi^(n+1)(u) du.
 *
 * Method: the recurrence psi^(n)(x) = psi^(n)(x+1) - (-1)^n n! / x^(n+1) moves x up to
 * X0 ~ 0.4 * digits + n, then the asymptotic expansion
 *   psi(x)     ~ ln x - 1/(2x) - sum_k B_2k / (2k x^2k)
 *   psi^(n)(x) ~ (-1)^(n+1) [ (n-1)!/x^n + n!/(2 x^(n+1)) + sum_k B_2k (2k+n-1)!/((2k)! x^(2k+n)) ]
 * with exact Bernoulli numbers. Poles at x = 0, -1, -2, ... give NaN.
 */
import Decimal from 'decimal.js';
import { Rat, rat, rAdd, rMul, rNeg } from './rational';

const bern: Rat[] = [{ n: 1n, d: 1n }]; // B_0, B_1 = -1/2, B_2, ... (index = m)

/** Bernoulli number B_m (B_1 = -1/2), exact. */
export function bernoulli(m: number): Rat {
  while (bern.length <= m) {
    const k = bern.length;
    // sum_{j=0}^{k} C(k+1, j) B_j = 0  =>  B_k = -1/(k+1) sum_{j<k} C(k+1, j) B_j
    let s: Rat = { n: 0n, d: 1n };
    let c = 1n; // C(k+1, 0)
    for (let j = 0; j < k; j++) {
      s = rAdd(s, rMul({ n: c, d: 1n }, bern[j]));
      c = (c * BigInt(k + 1 - j)) / BigInt(j + 1);
    }
    bern.push(rNeg(rMul(s, rat(1n, BigInt(k + 1)))));
  }
  return bern[m];
}

function factorial(n: number): bigint {
  let f = 1n;
  for (let k = 2; k <= n; k++) f *= BigInt(k);
  return f;
}

function isPole(x: number): boolean {
  return x <= 0 && Number.isInteger(x);
}

const ctors = new Map<number, typeof Decimal>();
function workCtor(precision: number): typeof Decimal {
  let W = ctors.get(precision);
  if (!W) {
    W = Decimal.clone({ precision, rounding: Decimal.ROUND_HALF_EVEN });
    ctors.set(precision, W);
  }
  return W;
}

/** psi^(n)(x) in decimal.js at the precision of x's constructor. */
export function polygammaDec(nArg: Decimal, x: Decimal): Decimal {
  const D = x.constructor as typeof Decimal;
  if (!nArg.isInteger() || nArg.isNeg() || x.isNaN()) return new D(NaN);
  const n = nArg.toNumber();
  if (x.isInteger() && x.lte(0)) return new D(NaN);
  const P = D.precision;
  const W = workCtor(P + 10 + n);
  let z = new W(x);
  const X0 = Math.ceil(0.4 * P + n + 5);
  const nf = new W(factorial(n).toString());
  const sgnN = n % 2 === 0 ? 1 : -1; // (-1)^n
  let acc = new W(0);
  // psi^(n)(x) = psi^(n)(x+m) - (-1)^n n! sum_{j<m} 1/(x+j)^(n+1)
  let shift = new W(0);
  let guard = 0;
  while (z.lt(X0)) {
    shift = shift.plus(new W(1).div(z.pow(n + 1)));
    z = z.plus(1);
    if (++guard > 1e6) return new D(NaN);
  }
  acc = shift.times(nf).times(-sgnN);
  const eps = new W(10).pow(-(P + 5));
  let asym: Decimal;
  const zinv = new W(1).div(z);
  const zinv2 = zinv.times(zinv);
  if (n === 0) {
    asym = z.ln().minus(zinv.div(2));
    let zp = zinv2; // z^-2k
    for (let k = 1; k < 2000; k++) {
      const B = bernoulli(2 * k);
      const term = new W(B.n.toString()).div(B.d.toString()).div(2 * k).times(zp);
      asym = asym.minus(term);
      if (term.abs().lt(eps.times(asym.abs()))) break;
      zp = zp.times(zinv2);
    }
  } else {
    const nm1f = new W(factorial(n - 1).toString());
    let s = nm1f.times(zinv.pow(n)).plus(nf.times(zinv.pow(n + 1)).div(2));
    let zp = zinv.pow(n + 2); // z^-(2k+n), k = 1
    // (2k+n-1)!/(2k)! computed incrementally
    let ratio = new W(1);
    for (let j = 1; j <= n - 1; j++) ratio = ratio.times(2 + j); // (n+1)!/2! = prod_{j=3}^{n+1} j
    // ratio for k=1: (n+1)!/2!
    for (let k = 1; k < 2000; k++) {
      const B = bernoulli(2 * k);
      const term = new W(B.n.toString()).div(B.d.toString()).times(ratio).times(zp);
      s = s.plus(term);
      if (term.abs().lt(eps.times(s.abs()))) break;
      zp = zp.times(zinv2);
      // (2k+n+1)!/(2k+2)! = (2k+n-1)!/(2k)! * (2k+n)(2k+n+1)/((2k+1)(2k+2))
      ratio = ratio.times((2 * k + n) * (2 * k + n + 1)).div((2 * k + 1) * (2 * k + 2));
    }
    asym = n % 2 === 1 ? s : s.neg(); // (-1)^(n+1)
  }
  return new D(asym.plus(acc).toSignificantDigits(P));
}

/** psi^(n)(x) in float64. */
export function polygamma64(n: number, x: number): number {
  if (!Number.isInteger(n) || n < 0 || Number.isNaN(x) || isPole(x)) return NaN;
  let z = x;
  let acc = 0;
  const nf = Number(factorial(n));
  const sgnN = n % 2 === 0 ? 1 : -1;
  const X0 = 12 + n;
  let shift = 0;
  let guard = 0;
  while (z < X0) {
    shift += 1 / Math.pow(z, n + 1);
    z += 1;
    if (++guard > 1e7) return NaN;
  }
  acc = -sgnN * nf * shift;
  const zi = 1 / z;
  const zi2 = zi * zi;
  if (n === 0) {
    let s = Math.log(z) - zi / 2;
    let zp = zi2;
    for (let k = 1; k <= 10; k++) {
      const B = bernoulli(2 * k);
      s -= (Number(B.n) / Number(B.d) / (2 * k)) * zp;
      zp *= zi2;
    }
    return s + acc;
  }
  let s = Number(factorial(n - 1)) * Math.pow(zi, n) + (nf * Math.pow(zi, n + 1)) / 2;
  let zp = Math.pow(zi, n + 2);
  let ratio = 1;
  for (let j = 1; j <= n - 1; j++) ratio *= 2 + j;
  for (let k = 1; k <= 10; k++) {
    const B = bernoulli(2 * k);
    s += (Number(B.n) / Number(B.d)) * ratio * zp;
    zp *= zi2;
    ratio = (ratio * (2 * k + n) * (2 * k + n + 1)) / ((2 * k + 1) * (2 * k + 2));
  }
  return (n % 2 === 1 ? s : -s) + acc;
}
