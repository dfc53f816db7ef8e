/**
 * Binary floating point on BigInt: a `Field` whose values are m 2^e with a mantissa m of about
 * B = ceil(P log2 10) + 4 bits (P = the field's decimal digits), every operation rounding
 * (towards -infinity) back to B bits. The elementary functions reuse the fixed-point kernels of
 * ./elementary with guard bits. It is a working arithmetic for the verified route (two passes at
 * different precisions that must agree), not a correctly rounded decimal one: results leave it
 * through `toDecimal`.
 *
 * Why: a decimal.js operation allocates a limb array and normalises in base 10^7 (~0.5 us at 50
 * digits, division 3 us); a BigInt multiply and shift at 200 bits costs a fraction of that, and a
 * closed-form kernel (erf, relu, linear) is nothing but such operations plus asin/acos/sqrt.
 */
import Decimal from 'decimal.js';
import { Field } from './field';
import { fixedPoint as fx, roundDigits } from './elementary';
import { Interpretation } from '../interpret/numeric';
import { plainMath } from './plainMath';
// A plain-object copy of Math: under jest the global Math is a proxy and each Math.* access costs ~1 us.
const Math = plainMath();

/**
 * m 2^e with b = the bit length of |m|; NaN has e = NaN (m = 0), +-Infinity e = Infinity (m = +-1):
 * values beyond decimal.js's exponent range (10^(9e15)) overflow to infinity and underflow to 0,
 * as Decimals do. Immutable.
 */
export class BF {
  constructor(
    readonly m: bigint,
    readonly e: number,
    readonly b: number,
  ) {}
  /** A decimal string with as many digits as the mantissa carries. */
  toString(): string {
    if (!Number.isFinite(this.e)) return Number.isNaN(this.e) ? 'NaN' : this.m > 0n ? 'Infinity' : '-Infinity';
    const digits = Math.max(1, Math.ceil(this.b * 0.30103) + 1);
    return toDecimal(this, Decimal.clone({ precision: digits })).toString();
  }
}

const NAN = new BF(0n, NaN, 0);
const ZERO = new BF(0n, 0, 0);
const POS_INF = new BF(1n, Infinity, 1);
const NEG_INF = new BF(-1n, Infinity, 1);
/** |value| >= 2^MAX_BITS overflows (decimal.js: 10^(9e15 + 1)); below 2^-MAX_BITS it is 0. */
const MAX_BITS = 2.99e16;
/** Exponents from which conversions to decimal go through Decimal arithmetic, not BigInt shifts. */
const BIG_EXP = 8192;

/** 2^k as BigInt (cached). */
const pow2: bigint[] = [1n];
function p2(k: number): bigint {
  for (let i = pow2.length; i <= k; i++) pow2.push(pow2[i - 1] << 1n);
  return pow2[k];
}

/** m 2^e with |m| known to have exactly b bits, shifted (towards zero) to B bits. */
function normBits(m: bigint, e: number, b: number, B: number): BF {
  if (e + b > MAX_BITS) return m < 0n ? NEG_INF : POS_INF;
  if (e + b < -MAX_BITS) return ZERO;
  if (b > B) {
    const s = BigInt(b - B);
    return new BF(m < 0n ? -(-m >> s) : m >> s, e + b - B, B);
  }
  if (b < B) return new BF(m << BigInt(B - b), e - (B - b), B);
  return new BF(m, e, B);
}

/** Bit length of m > 0 (exact, or one too many when Number(m) rounds up to a power of two). */
function blen(m: bigint): number {
  const n = Number(m);
  if (n < 4294967296) return n === 0 ? 0 : 32 - Math.clz32(n);
  if (n === Infinity) return fx.bitLength(m);
  return Math.floor(Math.log2(n)) + 1;
}

/** m 2^e shifted so that |m| has B bits. */
function norm(m: bigint, e: number, B: number): BF {
  if (m === 0n) return ZERO;
  const a = m < 0n ? -m : m;
  let b = blen(a);
  if (b > 32 && a < p2(b - 1)) b--; // blen may be one too many
  return normBits(m, e, b, B);
}

/** floor(|a| 2^F) for a finite BF. */
function fixOf(a: BF, F: number): bigint {
  const m = a.m < 0n ? -a.m : a.m;
  const s = a.e + F;
  return s >= 0 ? m << BigInt(s) : m >> BigInt(-s);
}

const pow10 = (n: number): bigint => 10n ** BigInt(n);

/** An exact decimal (string, number as typed, or Decimal) rounded to B bits. */
export function fromDecimal(x: Decimal, B: number): BF {
  if (!x.isFinite()) return NAN;
  if (x.isZero()) return ZERO;
  const d = (x as unknown as { d: number[] }).d;
  let s = String(d[0]);
  for (let i = 1; i < d.length; i++) s += String(d[i]).padStart(7, '0');
  const c = BigInt(s);
  const ex = x.e - (s.length - 1);
  let r: BF;
  if (Math.abs(ex) > BIG_EXP / 4) {
    // a huge or tiny power of ten: m = x / 2^e2 (about B + 8 bits) by decimal.js, not by a BigInt 10^ex
    const W = Decimal.clone({ precision: Math.ceil(B * 0.30103) + 20 });
    const e2 = Math.floor(x.e * 3.321928094887362) - B - 8;
    const m = BigInt(new W(x).abs().div(new W(2).pow(e2)).toFixed(0));
    r = norm(m, e2, B);
    return x.isNeg() ? new BF(-r.m, r.e, r.b) : r;
  }
  if (ex >= 0) r = norm(c * pow10(ex), 0, B);
  else {
    const k = pow10(-ex);
    const sh = Math.max(0, B + 4 + blen(k) - blen(c));
    r = norm((c << BigInt(sh)) / k, -sh, B);
  }
  return x.isNeg() ? new BF(-r.m, r.e, r.b) : r;
}

/** a as a Decimal of constructor D (about D.precision + 5 digits, truncated). */
export function toDecimal(a: BF, D: typeof Decimal): Decimal {
  if (!Number.isFinite(a.e)) return new D(Number.isNaN(a.e) ? NaN : a.m > 0n ? Infinity : -Infinity);
  if (a.m === 0n) return new D(0);
  if (Math.abs(a.e) > BIG_EXP) {
    // m 2^e by decimal.js (an integer power: repeated squaring, rounding errors ~ log2|e| units)
    const W = Decimal.clone({ precision: D.precision + 10 });
    return new D(new W(a.m.toString()).times(new W(2).pow(a.e)));
  }
  const neg = a.m < 0n;
  const m = neg ? -a.m : a.m;
  let s: string;
  if (a.e >= 0) s = (m << BigInt(a.e)).toString();
  else {
    // value = m 2^e; N = floor(value 10^k) with about P + 5 digits
    const mag = Math.floor((a.b + a.e) * 0.30102999566398120);
    const k = D.precision + 5 - mag;
    const N = k >= 0 ? (m * pow10(k)) >> BigInt(-a.e) : (m >> BigInt(-a.e)) / pow10(-k);
    s = `${N.toString()}e${-k}`;
  }
  return new D(neg ? '-' + s : s);
}

const formatCtors = new Map<number, typeof Decimal>();

/** a correctly rounded to `digits` significant digits (ROUND_HALF_EVEN), printed as decimal.js prints. */
export function formatBF(a: BF, digits: number): string {
  if (!Number.isFinite(a.e) || a.m === 0n) return a.toString();
  let D = formatCtors.get(digits);
  if (D === undefined) {
    D = Decimal.clone({ precision: digits, rounding: Decimal.ROUND_HALF_EVEN, toExpNeg: -7, toExpPos: 21 });
    formatCtors.set(digits, D);
  }
  if (Math.abs(a.e) > BIG_EXP) return toDecimal(a, Decimal.clone({ precision: digits + 10 })).toSignificantDigits(digits, Decimal.ROUND_HALF_EVEN).toString();
  const neg = a.m < 0n;
  const m = neg ? -a.m : a.m;
  let N: bigint;
  let sticky: boolean;
  let k = 0;
  if (a.e >= 0) {
    N = m << BigInt(a.e);
    sticky = false;
  } else {
    // N = floor(|a| 10^k) with at least digits + 3 digits; sticky: a nonzero remainder
    k = digits + 3 - Math.floor((a.b + a.e) * 0.30102999566398120);
    if (k >= 0) {
      const num = m * pow10(k);
      N = num >> BigInt(-a.e);
      sticky = N << BigInt(-a.e) !== num;
    } else {
      const den = pow10(-k) << BigInt(-a.e);
      N = m / den;
      sticky = N * den !== m;
    }
  }
  const s = N.toString();
  return roundDigits(D, neg, s, s.length - 1 - k, sticky).toString();
}

const fieldCache = new Map<number, Field<BF>>();

/** Binary floating point with the accuracy of `precision` decimal digits. */
export function binaryField(precision: number): Field<BF> {
  const hit = fieldCache.get(precision);
  if (hit) return hit;
  const B = Math.ceil(precision * 3.321928094887362) + 4;
  const G = B + 16; // bits of the fixed-point evaluations of the elementary functions
  const Dc = Decimal.clone({ precision: precision + 5 });
  const constants = new Map<number | string, BF>();
  /** Not a finite number (NaN or an infinity). */
  const isNaN = (a: BF) => !Number.isFinite(a.e);
  const nan = (a: BF) => Number.isNaN(a.e);
  const one = norm(1n, 0, B);
  const fromFix = (v: bigint, F: number, neg: boolean) => norm(neg ? -v : v, -F, B);
  const pi = fromFix(fx.piFix(G), G, false);
  // |x| - 1 below this counts as rounding: asin/acos clamp to +-1 (as the Decimal field does)
  const slackBits = B - 8;

  const add = (a: BF, b: BF): BF => {
    if (isNaN(a) || isNaN(b)) {
      if (nan(a) || nan(b)) return NAN;
      if (isNaN(a) && isNaN(b)) return a.m === b.m ? a : NAN;
      return isNaN(a) ? a : b;
    }
    if (a.m === 0n) return b;
    if (b.m === 0n) return a;
    // drop an addend entirely below the other's last bit
    const ta = a.e + a.b;
    const tb = b.e + b.b;
    if (ta - tb > B + 2) return a;
    if (tb - ta > B + 2) return b;
    return a.e >= b.e ? norm((a.m << BigInt(a.e - b.e)) + b.m, b.e, B) : norm(a.m + (b.m << BigInt(b.e - a.e)), a.e, B);
  };
  const neg = (a: BF): BF => (nan(a) ? a : new BF(-a.m, a.e, a.b));
  /** The bit length of a product or quotient p known to have c - 1 or c bits. */
  const bitsOf = (p: bigint, c: number): number => {
    const t = p2(c - 1);
    return p >= t || p <= -t ? c : c - 1;
  };
  const mul = (a: BF, b: BF): BF => {
    if (isNaN(a) || isNaN(b)) {
      if (nan(a) || nan(b) || a.m === 0n || b.m === 0n) return NAN;
      return a.m < 0n !== b.m < 0n ? NEG_INF : POS_INF;
    }
    if (a.m === 0n || b.m === 0n) return ZERO;
    const p = a.m * b.m;
    return normBits(p, a.e + b.e, bitsOf(p, a.b + b.b), B);
  };
  const div = (a: BF, b: BF): BF => {
    if (isNaN(a) || isNaN(b) || b.m === 0n) {
      if (nan(a) || nan(b) || b.m === 0n || (isNaN(a) && isNaN(b))) return NAN;
      if (isNaN(b)) return ZERO;
      return a.m < 0n !== b.m < 0n ? NEG_INF : POS_INF;
    }
    if (a.m === 0n) return ZERO;
    // |quotient| has B + 3 or B + 4 bits
    const sh = B + 3 + b.b - a.b;
    const q = (a.m << BigInt(sh)) / b.m;
    return normBits(q, a.e - sh - b.e, bitsOf(q, B + 4), B);
  };
  const sqrt = (a: BF): BF => {
    if (isNaN(a) || a.m < 0n) return a === POS_INF ? a : NAN;
    if (a.m === 0n) return ZERO;
    let sh = 2 * B + 2 - a.b;
    if (((a.e - sh) & 1) !== 0) sh++;
    // the root of a number of n bits has ceil(n/2) bits
    return normBits(fx.isqrt(a.m << BigInt(sh)), (a.e - sh) / 2, Math.ceil((a.b + sh) / 2), B);
  };
  const toNumber = (a: BF): number => {
    if (isNaN(a)) return nan(a) ? NaN : a.m > 0n ? Infinity : -Infinity;
    if (a.m === 0n) return 0;
    const b = a.b;
    return b > 64 ? Number(a.m >> BigInt(b - 64)) * 2 ** (a.e + b - 64) : Number(a.m) * 2 ** a.e;
  };
  /** Magnitude bits: |a| in [2^(t-1), 2^t) (t possibly one too large). */
  const top = (a: BF) => a.e + a.b;

  const exp = (a: BF): BF => {
    if (nan(a)) return NAN;
    if (a.m === 0n) return one;
    const x = toNumber(a);
    if (!(Math.abs(x) < 2 ** 40)) return x > 0 ? POS_INF : ZERO;
    const n = Math.round(x / Math.LN2);
    const F = G + (n === 0 ? 0 : Math.ceil(Math.log2(Math.abs(n) + 1)));
    let X = fixOf(a, F);
    if (a.m < 0n) X = -X;
    const r = X - BigInt(n) * fx.ln2Fix(F);
    return norm(fx.expFix(r, F, BigInt(F)), n - F, B);
  };
  const log = (a: BF): BF => {
    if (isNaN(a) || a.m <= 0n) return a === POS_INF ? a : NAN;
    const b = fx.bitLength(a.m);
    // x = f 2^k, f = m / 2^(b-1) in [1, 2)
    const k = a.e + b - 1;
    const f1 = a.m; // f = f1 2^-(b-1)
    const near = (k === 0 && (f1 >> BigInt(b - 2)) === 2n) || (k === -1 && (f1 >> BigInt(b - 2)) === 3n);
    if (near) {
      // x in [0.75, 1.5): ln x directly, extra bits for |x - 1| small
      let F = G + 8;
      let X = fixOf(a, F);
      F += Math.max(0, F - fx.bitLength(X - (1n << BigInt(F))));
      const Fb = BigInt(F);
      X = fixOf(a, F);
      const o = 1n << Fb;
      const inv = X < o;
      return fromFix(fx.lnFix(inv ? (o << Fb) / X : X, F, Fb), F, inv);
    }
    const F = G + Math.ceil(Math.log2(Math.abs(k) + 2));
    const Fb = BigInt(F);
    const f = b - 1 >= F ? a.m >> BigInt(b - 1 - F) : a.m << BigInt(F - (b - 1));
    const v = fx.lnFix(f, F, Fb) + BigInt(k) * fx.ln2Fix(F);
    return fromFix(v < 0n ? -v : v, F, v < 0n);
  };
  const atan = (a: BF): BF => {
    if (isNaN(a)) return NAN;
    if (a.m === 0n) return ZERO;
    const t = top(a);
    const F = G + Math.max(0, -t);
    const Fb = BigInt(F);
    const X = fixOf(a, F);
    const o = 1n << Fb;
    const v = X <= o ? fx.atanFix(X, F, Fb) : (fx.piFix(F) >> 1n) - fx.atanFix((o << Fb) / X, F, Fb);
    return fromFix(v, F, a.m < 0n);
  };
  /** asin (which = 0) or acos (which = 1); |x| - 1 within rounding clamps to +-1. */
  const asinAcos = (a: BF, which: 0 | 1): BF => {
    if (isNaN(a) || top(a) > 1) return NAN; // |x| >= 2
    if (a.m === 0n) return which === 0 ? ZERO : mul(pi, norm(1n, -1, B));
    const negx = a.m < 0n;
    const X0 = fixOf(a, G);
    const o0 = 1n << BigInt(G);
    if (X0 >= o0) {
      // |x| >= 1 (to G bits): beyond rounding it is an error, at +-1 the end values
      if (fixOf(a, slackBits) > 1n << BigInt(slackBits)) return NAN;
      if (which === 0) return mul(pi, norm(negx ? -1n : 1n, -1, B));
      return negx ? pi : ZERO;
    }
    const extra = Math.max(0, -top(a));
    const { t, F, Fb, low } = fx.asinPartsFix((F) => fixOf(a, F), G - 8, extra);
    const at = fx.atanFix(t, F, Fb);
    const p = fx.piFix(F);
    if (which === 0) return fromFix(low ? at : (p >> 1n) - at, F, negx);
    let v: bigint;
    if (low) v = negx ? (p >> 1n) + at : (p >> 1n) - at;
    else v = negx ? p - at : at;
    return fromFix(v, F, false);
  };
  const sinCos = (a: BF, which: 0 | 1): BF => {
    if (isNaN(a)) return NAN;
    if (a.m === 0n) return which === 0 ? ZERO : one;
    const t = top(a);
    if (t > 3400) return NAN;
    const big = Math.max(0, t);
    const F = G + big + Math.max(0, -t);
    const Fb = BigInt(F);
    const X = fixOf(a, F);
    const hp = fx.piFix(F + big + 4) >> BigInt(big + 5);
    const q = (X + (hp >> 1n)) / hp;
    let r = X - q * hp;
    const rneg = r < 0n;
    if (rneg) r = -r;
    const sc = fx.sinCosFix(r, F, Fb);
    const sr = rneg ? -sc.sin : sc.sin;
    const qm = Number(q & 3n);
    let v: bigint;
    let negv: boolean;
    if (which === 0) {
      v = qm === 0 ? sr : qm === 1 ? sc.cos : qm === 2 ? -sr : -sc.cos;
      negv = v < 0n !== a.m < 0n;
    } else {
      v = qm === 0 ? sc.cos : qm === 1 ? -sr : qm === 2 ? -sc.cos : sr;
      negv = v < 0n;
    }
    return fromFix(v < 0n ? -v : v, F, negv);
  };
  const powInt = (a: BF, n: number): BF => {
    if (n < 0) return div(one, powInt(a, -n));
    let r = one;
    let b = a;
    for (let k = n; k > 0; k >>= 1) {
      if (k & 1) r = mul(r, b);
      if (k > 1) b = mul(b, b);
    }
    return r;
  };
  const isInt = (b: BF) => b.e >= 0 || b.m % (1n << BigInt(-b.e)) === 0n;

  const F: Field<BF> = {
    kind: 'binary',
    digits: precision,
    of: (x) => {
      let c = constants.get(x);
      if (c === undefined) {
        c = fromDecimal(new Decimal(typeof x === 'number' ? String(x) : x), B);
        if (constants.size < 1024) constants.set(x, c);
      }
      return c;
    },
    add,
    sub: (a, b) => add(a, neg(b)),
    mul,
    div,
    neg,
    pow: (a, b) => {
      if (isNaN(a) || isNaN(b)) return NAN;
      if (Math.abs(toNumber(b)) < 1e6) {
        if (isInt(b)) return powInt(a, toNumber(b));
        // half-integer exponents (the derivatives of square roots): a power of sqrt(a)
        const b2 = mul(b, norm(2n, 0, B));
        if (isInt(b2)) return powInt(sqrt(a), toNumber(b2));
      }
      // exp(b ln a) amplifies the error of ln a by |b ln a|: computed with a few more digits
      const H = binaryField(precision + 4);
      const r = H.exp(H.mul(b, H.log(a)));
      return isNaN(r) ? r : normBits(r.m, r.e, r.b, B);
    },
    sqrt,
    exp,
    log,
    sin: (a) => sinCos(a, 0),
    cos: (a) => sinCos(a, 1),
    asin: (a) => asinAcos(a, 0),
    acos: (a) => asinAcos(a, 1),
    atan,
    pi: () => pi,
    isFinite: (a) => Number.isFinite(a.e),
    toNumber,
    format: (a, digits = precision) => toDecimal(a, Dc).toSignificantDigits(digits).toString(),
  };
  fieldCache.set(precision, F);
  return F;
}

/**
 * The binary field as an interpretation for closed-form quantities: it has no quadrature, so a
 * Gaussian expectation without a closed form is an error (the caller uses the Decimal route).
 */
export function binaryInterp(precision: number): Interpretation<BF> {
  const refuse = (): never => {
    throw new Error('the binary floating-point route evaluates closed forms only');
  };
  return { F: binaryField(precision), expect1: refuse, expect2: refuse };
}
