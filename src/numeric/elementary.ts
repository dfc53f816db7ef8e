/**
 * Elementary functions for decimal.js values, computed in binary fixed point on BigInt.
 *
 * Each function takes a Decimal x and returns a value of x's constructor D, correctly rounded to
 * D.precision significant digits in D.rounding (the argument is used exactly as stored, all of its
 * digits). decimal.js's own transcendental functions are Taylor series on its decimal arithmetic
 * (asin ~1 ms at 50 digits); here the work is a few dozen BigInt operations:
 *
 *  - the argument is read as an integer coefficient times a power of ten and converted to a
 *    BigInt V ~ x 2^F (F fractional bits, chosen from the precision plus guard bits, plus the bits
 *    that the function's cancellation near its hard points costs);
 *  - argument reduction to a small interval with cached tables (atan(j/256), ln(1 + j/512),
 *    exp(j/256), sin and cos of j/256, filled lazily, each entry once per precision class) and
 *    the constants pi, ln 2, ln 10 (Machin-type series, cached);
 *  - a short Taylor series by Horner's rule (in the square of the reduced argument |t| < 2^-8 for
 *    the odd and even series, so each term gains at least 16 bits; exp's in |d| <= 2^-9);
 *  - the result, known to within a bounded number of units of 2^-F, is rounded to the
 *    precision only if both ends of that error interval round to the same decimal (Ziv's test);
 *    otherwise it is recomputed with twice the bits. So every returned digit is correct, in
 *    every rounding mode.
 *
 * sqrt is an exact integer square root of the (scaled) coefficient: correctly rounded in one step.
 * sin and cos reduce the argument modulo pi/2 with as many digits of pi as the argument's size
 * needs; arguments of magnitude 10^1000 and beyond are refused with a RangeError.
 */
import Decimal from 'decimal.js';
import { plainMath } from './plainMath';
// A plain-object copy of Math: under jest the global Math is a proxy and each Math.* access costs ~1 us.
const Math = plainMath();

type Ctor = typeof Decimal;

const LOG2_10 = 3.321928094887362;
const LOG10_2 = 0.30102999566398120;
/** Extra bits on top of the requested precision in the first attempt. */
const GUARD_BITS = 24;
/** Error bound of a fixed-point evaluation, in units of 2^-F (a few dozen roundings, each <= 1). */
const ERR_ULPS = 256n;
const ERR_BITS = 9;
/** Table spacing 2^-TBITS for the argument reductions. */
const TBITS = 8;
/** |sin x| and |cos x| are refused from this decimal exponent of x on. */
const TRIG_MAX_EXP = 1000;

// ---------------------------------------------------------------------------------------
// BigInt plumbing

const pow10: bigint[] = [1n];
function p10(n: number): bigint {
  for (let i = pow10.length; i <= n; i++) pow10.push(pow10[i - 1] * 10n);
  return pow10[n];
}

/** Number of bits of v > 0. */
function bitLength(v: bigint): number {
  if (v < 0n) v = -v;
  if (v === 0n) return 0;
  const h = v.toString(16);
  return 4 * (h.length - 1) + (32 - Math.clz32(parseInt(h[0], 16)));
}

/** The coefficient digits of a finite nonzero Decimal (no leading zeros) and the exponent of the first one. */
function digitsOf(x: Decimal): { s: string; e: number } {
  const d = (x as unknown as { d: number[] }).d;
  let s = String(d[0]);
  for (let i = 1; i < d.length; i++) {
    const w = String(d[i]);
    s += w.length === 7 ? w : '0000000'.slice(w.length) + w;
  }
  return { s, e: x.e };
}

/** floor(|x| 10^shift10 2^F) for a finite Decimal x. */
function toFix(x: Decimal, F: number, shift10 = 0): bigint {
  const { s, e } = digitsOf(x);
  const c = BigInt(s);
  const ex = e + shift10 - (s.length - 1); // |x| 10^shift10 = c 10^ex
  if (ex >= 0) return (c * p10(ex)) << BigInt(F);
  // c 2^F / 10^n by a cached reciprocal: (c R) >> g, R = floor(2^(F+g) / 10^n), g > bits(c) + 1
  // (error below one unit, within the error bound of every function)
  const n = -ex;
  const g = Math.ceil(s.length * LOG2_10) + 2;
  if (g >= 1024 || n >= 8192) return (c << BigInt(F)) / p10(n);
  const key = (F * 1024 + g) * 8192 + n;
  let R = recipCache.get(key);
  if (R === undefined) {
    if (recipCache.size > 4096) recipCache.clear();
    R = (1n << BigInt(F + g)) / p10(n);
    recipCache.set(key, R);
  }
  return (c * R) >> BigInt(g);
}
const recipCache = new Map<number, bigint>();

/** isqrt(n) = floor(sqrt(n)), n >= 0. */
function isqrt(n: bigint): bigint {
  if (n < 4503599627370496n) return BigInt(Math.floor(Math.sqrt(Number(n))));
  const bl = bitLength(n);
  let s: bigint;
  if (bl < 1000) {
    // a float64 seed, rounded up so that Newton's iteration decreases monotonically to the root
    s = BigInt(Math.ceil(Math.sqrt(Number(n)) * (1 + 2 ** -48))) + 1n;
  } else {
    const sh = (bl - 900) & ~1;
    s = (BigInt(Math.ceil(Math.sqrt(Number(n >> BigInt(sh))) * (1 + 2 ** -48))) + 1n) << BigInt(sh / 2);
  }
  // from above (the float64 root is good to ~2^-52, rounded up by 2^-48), each step doubles the
  // correct bits; the last leaves s in {root, root + 1}
  for (let good = 46; good < bl / 2 + 2; good *= 2) s = (s + n / s) >> 1n;
  s = (s + n / s) >> 1n;
  while (s * s > n) s -= 1n;
  return s;
}

/** sqrt of a fixed-point value (scale F). */
function sqrtFix(v: bigint, Fb: bigint): bigint {
  return isqrt(v << Fb);
}

/** Build a Decimal of constructor D from a digit string (no leading zeros) and the exponent of its first digit. */
function fromDigits(D: Ctor, neg: boolean, s: string, e: number): Decimal {
  let len = s.length;
  while (len > 1 && s.charCodeAt(len - 1) === 48) len--;
  if (len < s.length) s = s.slice(0, len);
  if (e > D.maxE) return new D(neg ? -Infinity : Infinity);
  if (e < D.minE) return new D(neg ? -0 : 0);
  // a Decimal of D built as its constructor builds one (same properties in the same order)
  const x = Object.create(D.prototype) as { constructor: Ctor; s: number; e: number; d: number[] };
  x.constructor = D;
  const d: number[] = [];
  // decimal.js's layout: the first word holds the digits down to the units place (as in its parser)
  let i = (e + 1) % 7;
  if (e < 0) i += 7;
  if (i < len) {
    if (i) d.push(+s.slice(0, i));
    for (len -= 7; i < len; ) d.push(+s.slice(i, (i += 7)));
    s = s.slice(i);
    i = 7 - s.length;
  } else {
    i -= len;
  }
  while (i--) s += '0';
  d.push(+s);
  x.s = neg ? -1 : 1;
  x.e = e;
  x.d = d;
  return x as unknown as Decimal;
}

/**
 * The digit string s (first digit at decimal exponent e; more than D.precision digits), plus a
 * positive amount below one unit of its last digit when `sticky`, rounded to D.precision digits in
 * D.rounding (all nine decimal.js modes).
 */
export function roundDigits(D: Ctor, neg: boolean, s: string, e: number, sticky: boolean): Decimal {
  const P = D.precision;
  if (s.length <= P) {
    if (!sticky) return fromDigits(D, neg, s, e);
    s = s + '0'.repeat(P + 1 - s.length);
  }
  let head = s.slice(0, P);
  const c0 = s.charCodeAt(P) - 48;
  let restZero = !sticky;
  for (let i = P + 1; restZero && i < s.length; i++) if (s.charCodeAt(i) !== 48) restZero = false;
  let up = false;
  if (!(c0 === 0 && restZero)) {
    const m = D.rounding;
    if (m === 0) up = true; // ROUND_UP: away from zero
    else if (m === 1) up = false; // ROUND_DOWN
    else if (m === 2) up = !neg; // ROUND_CEIL
    else if (m === 3) up = neg; // ROUND_FLOOR
    else if (c0 !== 5 || !restZero) up = c0 >= 5; // not a tie: to the nearer neighbour
    else if (m === 4) up = true; // HALF_UP
    else if (m === 5) up = false; // HALF_DOWN
    else if (m === 7) up = !neg; // HALF_CEIL
    else if (m === 8) up = neg; // HALF_FLOOR
    else up = (head.charCodeAt(P - 1) - 48) % 2 === 1; // HALF_EVEN (and EUCLID)
  }
  if (up) {
    // add one unit in the last place: the trailing nines become zeros
    let i = P - 1;
    while (i >= 0 && head.charCodeAt(i) === 57) i--;
    if (i < 0) {
      head = '1';
      e += 1;
    } else head = head.slice(0, i) + String.fromCharCode(head.charCodeAt(i) + 1);
  }
  return fromDigits(D, neg, head, e);
}

/** a / b correctly rounded in D (as decimal.js's div, by one BigInt division). */
export function div(a: Decimal, b: Decimal): Decimal {
  const D = ctorOf(a);
  if (!a.isFinite() || !b.isFinite() || a.isZero() || b.isZero()) return a.div(b);
  const P = D.precision;
  const x = digitsOf(a);
  const y = digitsOf(b);
  const la = x.s.length;
  const lb = y.s.length;
  // Q = A 10^k / B with at least P + 2 digits
  const k = P + 2 + lb - la;
  const A = k >= 0 ? BigInt(x.s) * p10(k) : BigInt(x.s);
  const B = k >= 0 ? BigInt(y.s) : BigInt(y.s) * p10(-k);
  const Q = A / B;
  const sticky = Q * B !== A;
  const qs = Q.toString();
  // a / b = Q 10^(ea - la + 1 - eb + lb - 1 - k)
  const e = x.e - la - y.e + lb - k + qs.length - 1;
  return roundDigits(D, a.isNeg() !== b.isNeg(), qs, e, sticky);
}

/**
 * A fixed-point result: |value| = v 2^-F 10^e10 (v > 0) with |error| <= err 2^-F 10^e10.
 */
interface Fix {
  v: bigint;
  F: number;
  neg: boolean;
  e10?: number;
  err?: bigint;
}

/**
 * The correctly rounded Decimal of r in D, or null when the error interval straddles a rounding
 * boundary of D.precision digits (Ziv's test; the caller then retries with more bits).
 */
function roundFix(D: Ctor, r: Fix): Decimal | null {
  const P = D.precision;
  if (r.v <= 0n) return null;
  const err = r.err ?? ERR_ULPS;
  // N = floor(v 10^k / 2^F) in units of about the error: all the digits that the bits determine
  const k = Math.floor((r.F - (r.err === undefined ? ERR_BITS : bitLength(err))) * LOG10_2);
  let N: bigint;
  let E: bigint;
  const Fb = BigInt(r.F);
  if (k >= 0) {
    const t = p10(k);
    N = (r.v * t) >> Fb;
    E = ((err * t) >> Fb) + 2n;
  } else {
    const t = p10(-k);
    N = (r.v >> Fb) / t;
    E = ((err >> Fb) / t) + 2n;
  }
  const s = N.toString();
  const L = s.length;
  if (L <= P) return null;
  if (L - P <= 15) {
    // the tail digits fit a float64 exactly
    const unit = 10 ** (L - P);
    const half = unit / 2;
    const tail = Number(s.slice(P));
    const e = Number(E);
    if (!((tail - e > 0 && tail + e < half) || (tail - e > half && tail + e < unit))) return null;
  } else {
    const unit = p10(L - P);
    const half = unit >> 1n;
    const tail = N % unit;
    const lo = tail - E;
    const hi = tail + E;
    if (!((lo > 0n && hi < half) || (lo > half && hi < unit))) return null;
  }
  // the error interval holds no rounding boundary: the truncated digits round like the true value
  return roundDigits(D, r.neg, s, L - 1 - k + (r.e10 ?? 0), true);
}

/** Ziv's loop: evaluate with more bits until the rounding is decided. */
function ziv(D: Ctor, f: (bits: number) => Fix): Decimal {
  let bits = Math.ceil(D.precision * LOG2_10) + GUARD_BITS;
  let last: Fix | null = null;
  for (let attempt = 0; attempt < 12; attempt++) {
    last = f(bits);
    const out = roundFix(D, last);
    if (out !== null) return out;
    bits *= 2;
  }
  throw new Error('elementary: the rounding could not be decided');
}

/**
 * The value x (1 + eps) for a tiny relative offset eps of the given sign, rounded in D: a proxy
 * with x's digits plus a last digit 1 (or minus one unit after appended zeros) lies in the same
 * rounding cell as the true value, because no number of <= P + 1 digits lies between them.
 */
function nudged(D: Ctor, x: Decimal, up: boolean): Decimal {
  const { s, e } = digitsOf(x);
  const pad = Math.max(0, D.precision + 1 - s.length) + 2;
  const c = BigInt(s) * p10(pad) + (up ? 1n : -1n);
  const cs = c.toString();
  const e2 = cs.length > s.length + pad ? e + 1 : cs.length < s.length + pad ? e - 1 : e;
  return fromDigits(D, x.isNeg(), cs, e2).toSignificantDigits(D.precision);
}

/** 1 + eps for |eps| below a unit in the (P + 3)-th digit, correctly rounded in D. */
function oneNudged(D: Ctor, up: boolean): Decimal {
  const P = D.precision;
  const s = up ? '1' + '0'.repeat(P + 3) + '1' : '9'.repeat(P + 4);
  return fromDigits(D, false, s, up ? 0 : -1).toSignificantDigits(P);
}

// ---------------------------------------------------------------------------------------
// Cached constants and tables (at the most bits asked for so far; smaller F by shifting)

interface CachedFix {
  F: number;
  v: bigint;
}

function cachedConst(cache: { c: CachedFix | null; last?: CachedFix }, F: number, compute: (F: number) => bigint): bigint {
  // the last F asked for, shifted already (the same F recurs call after call)
  if (cache.last !== undefined && cache.last.F === F) return cache.last.v;
  const c = cache.c;
  if (c !== null && c.F >= F) {
    const v = c.v >> BigInt(c.F - F);
    cache.last = { F, v };
    return v;
  }
  const F2 = Math.max(F + 32, c !== null ? Math.ceil(c.F * 1.5) : 0);
  const v = compute(F2);
  cache.c = { F: F2, v };
  return v >> BigInt(F2 - F);
}

/** atan(1/n) or atanh(1/n) at scale F (n >= 2), by the series in 1/n^2. */
function arctanInv(n: number, F: number, hyperbolic: boolean): bigint {
  const Fb = BigInt(F + 8);
  const nn = BigInt(n * n);
  let p = (1n << Fb) / BigInt(n);
  let sum = p;
  for (let k = 1; p > 0n; k++) {
    p /= nn;
    const t = p / BigInt(2 * k + 1);
    sum = hyperbolic || k % 2 === 0 ? sum + t : sum - t;
  }
  return sum >> 8n;
}

const piCache = { c: null as CachedFix | null };
/** pi at scale F (Machin). */
function piFix(F: number): bigint {
  return cachedConst(piCache, F, (G) => 16n * arctanInv(5, G, false) - 4n * arctanInv(239, G, false));
}
const ln2Cache = { c: null as CachedFix | null };
/** ln 2 = 18 atanh(1/26) - 2 atanh(1/4801) + 8 atanh(1/8749). */
function ln2Fix(F: number): bigint {
  return cachedConst(ln2Cache, F, (G) => 18n * arctanInv(26, G, true) - 2n * arctanInv(4801, G, true) + 8n * arctanInv(8749, G, true));
}
const ln10Cache = { c: null as CachedFix | null };
/** ln 10 = 3 ln 2 + 2 atanh(1/9). */
function ln10Fix(F: number): bigint {
  return cachedConst(ln10Cache, F, (G) => 3n * ln2Fix(G) + 2n * arctanInv(9, G, true));
}

/** A lazily filled table of f(j 2^-TBITS), j = 0..jmax, cached at the most bits asked for. */
function makeTable(jmax: number, f: (j: number, F: number) => bigint): (j: number, F: number) => bigint {
  const entries: (CachedFix | null)[] = new Array(jmax + 1).fill(null);
  return (j, F) => {
    const c = entries[j];
    if (c !== null && c.F >= F) return c.v >> BigInt(c.F - F);
    const F2 = Math.max(F + 32, c !== null ? Math.ceil(c.F * 1.5) : 0);
    const v = f(j, F2);
    entries[j] = { F: F2, v };
    return v >> BigInt(F2 - F);
  };
}

/** 1/(2n+1) (odd) or factorial coefficient lists at scale F, cached per F. */
const coeffCache = new Map<number, bigint[]>();
const KINDS = { odd: 0, sinfact: 1, cosfact: 2, fact: 3 };
function coeffs(kind: keyof typeof KINDS, F: number, n: number): bigint[] {
  const key = F * 4 + KINDS[kind];
  let arr = coeffCache.get(key);
  if (arr === undefined) {
    if (coeffCache.size > 256) coeffCache.clear();
    arr = [];
    coeffCache.set(key, arr);
  }
  const one = 1n << BigInt(F);
  while (arr.length < n) {
    const i = arr.length;
    let den: bigint;
    if (kind === 'odd') den = BigInt(2 * i + 1);
    else {
      // sin: 1/(2i+1)!, cos: 1/(2i)!, exp: 1/i!
      let f = 1n;
      const top = kind === 'sinfact' ? 2 * i + 1 : kind === 'cosfact' ? 2 * i : i;
      for (let m = 2; m <= top; m++) f *= BigInt(m);
      den = f;
    }
    arr.push(one / den);
  }
  return arr;
}

/** Number of series terms for a reduced argument |t| < 2^-b: (2^-b)^(2n) < 2^-F. */
function termsFor(F: number, b: number): number {
  return Math.ceil(F / (2 * b)) + 1;
}

/** sum_{n>=0} (sign t^2)^n / (2n+1) at scale F, |t| < 2^-b; sign -1: atan(t)/t, +1: atanh(t)/t. */
function oddSeries(t2: bigint, F: number, Fb: bigint, n: number, hyperbolic: boolean): bigint {
  const c = coeffs('odd', F, n);
  let s = c[n - 1];
  for (let i = n - 2; i >= 0; i--) {
    const p = (t2 * s) >> Fb;
    s = hyperbolic ? c[i] + p : c[i] - p;
  }
  return s;
}

/** atan(t) for 0 <= t < 2^-b (scale F), by the Taylor series (b >= 1). */
function atanSmall(t: bigint, F: number, Fb: bigint, b: number): bigint {
  if (t === 0n) return 0n;
  const t2 = (t * t) >> Fb;
  return (t * oddSeries(t2, F, Fb, termsFor(F, b), false)) >> Fb;
}

/** atan(t) for moderate t in [0, 1] (slow path for the table): three argument halvings, then the series. */
function atanSlow(t: bigint, F: number): bigint {
  const G = F + 16;
  const Gb = BigInt(G);
  const one = 1n << Gb;
  let u = t << 16n;
  for (let i = 0; i < 3; i++) {
    // atan(u) = 2 atan(u / (1 + sqrt(1 + u^2)))
    const w = sqrtFix(one + ((u * u) >> Gb), Gb);
    u = (u << Gb) / (one + w);
  }
  return (atanSmall(u, G, Gb, 3) << 3n) >> 16n;
}

/** atan(j/16), j = 0..16 (each by the slow route). */
const atanCoarse = makeTable(16, (j, F) => atanSlow(BigInt(j) << BigInt(F - 4), F));
/** atan(j/256) = atan(c) + atan((j/256 - c)/(1 + c j/256)), c = floor(j/16)/16: one short series. */
const atanTable = makeTable(1 << TBITS, (j, F) => {
  const G = F + 8;
  const Gb = BigInt(G);
  const t = BigInt(j) << BigInt(G - TBITS);
  const c = BigInt(j >> 4) << BigInt(G - 4);
  const u = ((t - c) << Gb) / ((1n << Gb) + ((t * c) >> Gb));
  return (atanCoarse(j >> 4, G) + atanSmall(u, G, Gb, 4)) >> 8n;
});

/** atan(t) for 0 <= t <= 1 at scale F: atan(c) + atan((t - c)/(1 + t c)), c = j/256. */
function atanFix(t: bigint, F: number, Fb: bigint): bigint {
  const j = Number(t >> BigInt(F - TBITS));
  if (j === 0) return atanSmall(t, F, Fb, TBITS);
  const c = BigInt(j) << BigInt(F - TBITS);
  const one = 1n << Fb;
  const u = ((t - c) << Fb) / (one + ((t * c) >> Fb));
  return atanTable(j, F) + atanSmall(u, F, Fb, TBITS);
}

/** ln's table spacing 2^-LN_TBITS (finer than the others: ln's series gains 2 (LN_TBITS + 1) bits a term). */
const LN_TBITS = 9;

/** ln(1 + j/512) = 2 atanh(j / (1024 + j)) (slow path for the table). */
function lnTableEntry(j: number, F: number): bigint {
  if (j === 0) return 0n;
  const G = F + 8;
  const Gb = BigInt(G);
  const z = (BigInt(j) << Gb) / BigInt(2 * (1 << LN_TBITS) + j);
  const z2 = (z * z) >> Gb;
  // |z| <= 1/3: about 1.58 bits per term
  const n = Math.ceil(G / 3.1) + 2;
  return ((z * oddSeries(z2, G, Gb, n, true)) >> Gb) >> 7n; // 2 * (...) >> 8
}
const lnTable = makeTable(1 << LN_TBITS, lnTableEntry);

/** ln(f) for 1 <= f < 2 at scale F. */
function lnFix(f: bigint, F: number, Fb: bigint): bigint {
  const one = 1n << Fb;
  const j = Number((f - one) >> BigInt(F - LN_TBITS));
  let g = f;
  let base = 0n;
  if (j > 0) {
    // f / (1 + j/512)
    g = (f << BigInt(LN_TBITS)) / BigInt((1 << LN_TBITS) + j);
    base = lnTable(j, F);
  }
  // ln g = 2 atanh((g - 1)/(g + 1)), (g - 1)/(g + 1) < 2^-(LN_TBITS+1)
  const z = ((g - one) << Fb) / (g + one);
  if (z === 0n) return base;
  const z2 = (z * z) >> Fb;
  return base + ((z * oddSeries(z2, F, Fb, termsFor(F, LN_TBITS + 1), true)) >> (Fb - 1n));
}

function sinSlow(j: number, F: number, cos: boolean): bigint {
  const G = F + 8;
  const Gb = BigInt(G);
  const t = BigInt(j) << BigInt(G - TBITS);
  const t2 = (t * t) >> Gb;
  // |t| <= 1: terms 1/(2n+1)! fall below 2^-G after n ~ G/(2 log2 n)
  let n = 4;
  while (2 * n * Math.log2(0.7 * n) < G + 8) n++;
  const v = cos ? evenFactSeries(t2, G, Gb, n) : (t * oddFactSeries(t2, G, Gb, n)) >> Gb;
  return v >> 8n;
}
const sinTable = makeTable(1 << TBITS, (j, F) => sinSlow(j, F, false));
const cosTable = makeTable(1 << TBITS, (j, F) => sinSlow(j, F, true));

/** sum (-t2)^n/(2n+1)! (sin t / t). */
function oddFactSeries(t2: bigint, F: number, Fb: bigint, n: number): bigint {
  const c = coeffs('sinfact', F, n);
  let s = c[n - 1];
  for (let i = n - 2; i >= 0; i--) s = c[i] - ((t2 * s) >> Fb);
  return s;
}
/** sum (-t2)^n/(2n)! (cos t). */
function evenFactSeries(t2: bigint, F: number, Fb: bigint, n: number): bigint {
  const c = coeffs('cosfact', F, n);
  let s = c[n - 1];
  for (let i = n - 2; i >= 0; i--) s = c[i] - ((t2 * s) >> Fb);
  return s;
}

/** Terms of the sin/cos series for |d| < 2^-TBITS at F bits. */
const trigTermsCache = new Map<number, number>();
function trigTerms(F: number): number {
  let n = trigTermsCache.get(F);
  if (n === undefined) {
    // d^(2n) / (2n)! < 2^-F
    n = 1;
    let lg = 0; // log2((2n)!)
    while (2 * n * TBITS + lg < F + 4) {
      n++;
      lg += Math.log2((2 * n - 1) * 2 * n);
    }
    n += 1;
    trigTermsCache.set(F, n);
  }
  return n;
}

/** sin(r) and cos(r) for 0 <= r < 0.8 at scale F. */
function sinCosFix(r: bigint, F: number, Fb: bigint): { sin: bigint; cos: bigint } {
  const j = Number(r >> BigInt(F - TBITS));
  const d = r - (BigInt(j) << BigInt(F - TBITS));
  const d2 = (d * d) >> Fb;
  const n = trigTerms(F);
  const sd = (d * oddFactSeries(d2, F, Fb, n)) >> Fb;
  const cd = evenFactSeries(d2, F, Fb, n);
  if (j === 0) return { sin: sd, cos: cd };
  const sc = sinTable(j, F);
  const cc = cosTable(j, F);
  return { sin: (sc * cd + cc * sd) >> Fb, cos: (cc * cd - sc * sd) >> Fb };
}

// ---------------------------------------------------------------------------------------
// The functions

function ctorOf(x: Decimal): Ctor {
  return x.constructor as Ctor;
}

/** Sign of |x| - 1 for a finite x. */
function cmpOne(x: Decimal): number {
  if (x.e !== 0) return x.e < 0 ? -1 : 1;
  const d = (x as unknown as { d: number[] }).d;
  return d[0] === 1 && d.length === 1 ? 0 : 1;
}

/** The number of leading zero bits of |x| < 1 after the binary point (0 for |x| >= 1/2). */
function smallBits(x: Decimal): number {
  return x.e < 0 ? Math.floor(-x.e * LOG2_10) : 0;
}

/** sqrt(x), correctly rounded (exact integer square root). */
export function sqrt(x: Decimal): Decimal {
  const D = ctorOf(x);
  if (x.isNaN() || x.isNeg()) return x.isZero() ? new D(x) : new D(NaN);
  if (x.isZero() || !x.isFinite()) return new D(x);
  const P = D.precision;
  const { s, e } = digitsOf(x);
  // x = c 10^ex; scale by 10^(2k) so that sqrt has >= P + 2 digits and ex - 2k is even
  const ex = e - (s.length - 1);
  const j = 2 * (Math.max(0, P + 2 - Math.floor(s.length / 2)) + 1) + (ex & 1);
  const N = BigInt(s) * p10(j);
  const root = isqrt(N);
  const exact = root * root === N;
  const rs = root.toString();
  // an inexact root lies strictly between root and root + 1
  return roundDigits(D, false, rs, (ex - j) / 2 + rs.length - 1, !exact);
}

/** exp(x), correctly rounded; Infinity / 0 beyond D's exponent range. */
export function exp(x: Decimal): Decimal {
  const D = ctorOf(x);
  if (x.isNaN()) return new D(NaN);
  if (!x.isFinite()) return new D(x.isNeg() ? 0 : Infinity);
  if (x.isZero()) return new D(1);
  const P = D.precision;
  if (x.e < -(P + 5)) return oneNudged(D, !x.isNeg());
  const xn = x.e < 0 ? 0 : x.toNumber(); // |x| < 1 needs no reduction by ln 10
  const LN10 = 2.302585092994046;
  if (xn > (D.maxE + 2) * LN10) return new D(Infinity);
  if (xn < (D.minE - 2) * LN10) return new D(0);
  // x = m ln 10 + r, |r| <= ~1.2: exp x = 10^m exp(r)
  const m = Math.round(xn / LN10);
  const mBits = m === 0 ? 0 : Math.ceil(Math.log2(Math.abs(m) + 1));
  return ziv(D, (bits) => {
    const F = bits + mBits + 8;
    const Fb = BigInt(F);
    let X = toFix(x, F);
    if (x.isNeg()) X = -X;
    const r = m === 0 ? X : X - BigInt(m) * ln10Fix(F);
    return { v: expFix(r, F, Fb), F, neg: false, e10: m };
  });
}

/** exp(r) for |r| <= ~1.5 at scale F: r = n ln2 + t, exp(t) = exp(c) exp(t - c) with 2^-8 spacing via repeated squaring. */
function expSlow(r: bigint, F: number): bigint {
  // reduce to |t| < 2^-k, sum the series of expm1, square back k times (k extra bits of error)
  const k = 10;
  const G = F + k + 4;
  const Gb = BigInt(G);
  const t = (r << BigInt(G - F)) >> BigInt(k);
  // expm1(t) = t (1 + t/2 (1 + t/3 (...))): terms t^n/n! < 2^-G
  let n = 2;
  let lg = 0;
  while (n * (k - 1) + lg < G + 4) {
    lg += Math.log2(n);
    n++;
  }
  let s = 1n << Gb;
  for (let i = n; i >= 2; i--) s = (1n << Gb) + ((t * s) >> Gb) / BigInt(i);
  let e = (t * s) >> Gb; // expm1(t)
  // expm1(2t) = expm1(t) (2 + expm1(t))
  const two = 2n << Gb;
  for (let i = 0; i < k; i++) e = (e * (two + e)) >> Gb;
  return ((1n << Gb) + e) >> BigInt(G - F);
}

/** exp(j/256), j = -128..128 (index j + 128). */
const expTable = makeTable(2 << TBITS, (i, F) => expSlow(BigInt(i - (1 << TBITS)) << BigInt(F - TBITS), F));

/** Terms of exp's series for |d| <= 2^-(TBITS+1) at F bits. */
const expTermsCache = new Map<number, number>();
function expTerms(F: number): number {
  let n = expTermsCache.get(F);
  if (n === undefined) {
    n = 1;
    let lg = 0; // log2(n!)
    while (n * (TBITS + 1) + lg < F + 4) {
      n++;
      lg += Math.log2(n);
    }
    n += 1;
    expTermsCache.set(F, n);
  }
  return n;
}

/**
 * exp(r) for |r| <= ~1.2 at scale F: r = k ln 2 + j/256 + d, |d| <= 1/512:
 * exp(r) = 2^k exp(j/256) sum d^n/n! (a table entry and ~14 Horner steps at 50 digits).
 */
function expFix(r: bigint, F: number, Fb: bigint): bigint {
  const l2 = ln2Fix(F);
  const k = Number((r + (l2 >> 1n)) / l2) - (r < -(l2 >> 1n) ? 1 : 0);
  const rr = k === 0 ? r : r - BigInt(k) * l2;
  const half = 1n << BigInt(F - TBITS - 1);
  const jn = rr >= 0n ? (rr + half) >> BigInt(F - TBITS) : -((-rr + half) >> BigInt(F - TBITS));
  const j = Number(jn);
  const d = rr - (jn << BigInt(F - TBITS));
  const n = expTerms(F);
  const c = coeffs('fact', F, n);
  let s = c[n - 1];
  for (let i = n - 2; i >= 0; i--) s = c[i] + ((d * s) >> Fb);
  let v = j === 0 ? s : (s * expTable(j + (1 << TBITS), F)) >> Fb;
  if (k > 0) v <<= BigInt(k);
  else if (k < 0) v >>= BigInt(-k);
  return v;
}

/** Natural logarithm, correctly rounded; NaN for x < 0, -Infinity at 0. */
export function ln(x: Decimal): Decimal {
  const D = ctorOf(x);
  if (x.isNaN() || x.isNeg()) return x.isZero() ? new D(-Infinity) : new D(NaN);
  if (x.isZero()) return new D(-Infinity);
  if (!x.isFinite()) return new D(Infinity);
  const cmp1 = cmpOne(x);
  if (cmp1 === 0) return new D(0);
  const w0 = (x as unknown as { d: number[] }).d[0];
  // x in [0.5, 2): decimal.js keeps the units digit (e = 0) or seven decimals (e = -1) in d[0]
  const near1 = (x.e === 0 && w0 === 1) || (x.e === -1 && w0 >= 5000000);
  // |x - 1| < 10^-z: the leading zeros after 1.0 or the nines of 0.99..., z decimal digits cancel
  let z = 0;
  if (near1) {
    const ds = digitsOf(x).s;
    const ch = x.e === 0 ? 48 : 57;
    for (let i = x.e === 0 ? 1 : 0; i < ds.length && ds.charCodeAt(i) === ch; i++) z++;
  }
  return ziv(D, (bits) => {
    if (near1) {
      // ln x = ln(f) with f = x or 1/x in [1, 2]; cancellation-free, extra bits for |x - 1| small
      const F = bits + 8 + Math.ceil(z * LOG2_10);
      const Fb = BigInt(F);
      const X = toFix(x, F);
      const one = 1n << Fb;
      const inv = X < one;
      const f = inv ? (one << Fb) / X : X;
      const v = lnFix(f, F, Fb);
      return { v, F, neg: inv };
    }
    // x = c 10^e with mantissa a = x 10^-e in [1, 10) = 2^k f, f in [1, 2): ln x = ln f + k ln2 + e ln10
    const e = x.e;
    const eBits = e === 0 ? 0 : Math.ceil(Math.log2(Math.abs(e) + 1));
    const F = bits + eBits + 8;
    const Fb = BigInt(F);
    const a = toFix(x, F, -e);
    // a / 2^F in [1, 10): its binary exponent k from the leading bits (exact at the powers of 2)
    const lead = Number(a >> BigInt(F - 8));
    const k = lead >= 2048 ? 3 : lead >= 1024 ? 2 : lead >= 512 ? 1 : 0;
    const f = k === 0 ? a : a >> BigInt(k);
    let v = lnFix(f, F, Fb);
    if (k !== 0) v += BigInt(k) * ln2Fix(F);
    if (e !== 0) v += BigInt(e) * ln10Fix(F);
    const neg = v < 0n;
    if (neg) v = -v;
    return { v, F, neg };
  });
}

/** atan(x), correctly rounded. */
export function atan(x: Decimal): Decimal {
  const D = ctorOf(x);
  if (x.isNaN()) return new D(NaN);
  if (x.isZero()) return new D(x);
  const P = D.precision;
  if (!x.isFinite()) return halfPi(D, x.isNeg());
  if (x.e < -(2 * P + 10)) return nudged(D, x, false);
  const big = cmpOne(x) > 0;
  const extra = smallBits(x);
  return ziv(D, (bits) => {
    const F = bits + extra + 8;
    const Fb = BigInt(F);
    const one = 1n << Fb;
    const a = toFix(x, F);
    let v: bigint;
    if (!big) v = atanFix(a, F, Fb);
    else v = (piFix(F) >> 1n) - atanFix((one << Fb) / a, F, Fb);
    return { v, F, neg: x.isNeg() };
  });
}

function halfPi(D: Ctor, neg: boolean): Decimal {
  return ziv(D, (bits) => ({ v: piFix(bits + 8) >> 1n, F: bits + 8, neg, err: 4n }));
}

/** pi in D (correctly rounded). */
export function pi(D: Ctor): Decimal {
  return ziv(D, (bits) => ({ v: piFix(bits + 8), F: bits + 8, neg: false, err: 4n }));
}

/**
 * The pieces of asin/acos: for a = |x| <= 1/sqrt 2, t = a / sqrt(1 - a^2) (asin a = atan t);
 * above, t = sqrt(1 - a^2) / a (acos a = atan t). 1 - a^2 = (1 - a)(1 + a) with extra bits
 * for the cancellation near 1.
 */
function asinParts(x: Decimal, bits: number, extraSmall: number): { t: bigint; F: number; Fb: bigint; low: boolean } {
  return asinPartsFix((F) => toFix(x, F), bits, extraSmall);
}

/** asinParts for |x| given by its fixed-point values: toF(F) = floor(|x| 2^F), |x| < 1. */
function asinPartsFix(toF: (F: number) => bigint, bits: number, extraSmall: number): { t: bigint; F: number; Fb: bigint; low: boolean } {
  let F = bits + 8 + extraSmall;
  let a = toF(F);
  const one0 = 1n << BigInt(F);
  const low = a * a * 2n <= one0 * one0;
  if (!low) {
    const dBits = F - bitLength(one0 - a);
    if (dBits > 0) {
      F += dBits;
      a = toF(F);
    }
  }
  const Fb = BigInt(F);
  const one = 1n << Fb;
  const w2 = ((one - a) * (one + a)) >> Fb;
  const w = sqrtFix(w2, Fb);
  const t = low ? (a << Fb) / w : (w << Fb) / a;
  return { t, F, Fb, low };
}

/** asin(x) for |x| <= 1, correctly rounded (NaN beyond). */
export function asin(x: Decimal): Decimal {
  const D = ctorOf(x);
  if (x.isNaN() || !x.isFinite()) return new D(NaN);
  if (x.isZero()) return new D(x);
  const P = D.precision;
  const c = cmpOne(x);
  if (c > 0) return new D(NaN);
  if (c === 0) return halfPi(D, x.isNeg());
  if (x.e < -(2 * P + 10)) return nudged(D, x, true);
  const extra = smallBits(x);
  return ziv(D, (bits) => {
    const { t, F, Fb, low } = asinParts(x, bits, extra);
    const v = low ? atanFix(t, F, Fb) : (piFix(F) >> 1n) - atanFix(t, F, Fb);
    return { v, F, neg: x.isNeg() };
  });
}

/** acos(x) for |x| <= 1, correctly rounded (NaN beyond). */
export function acos(x: Decimal): Decimal {
  const D = ctorOf(x);
  if (x.isNaN() || !x.isFinite()) return new D(NaN);
  if (x.isZero()) return halfPi(D, false);
  const c = cmpOne(x);
  if (c > 0) return new D(NaN);
  if (c === 0) return x.isNeg() ? pi(D) : new D(0);
  const extra = smallBits(x);
  return ziv(D, (bits) => {
    const { t, F, Fb, low } = asinParts(x, bits, extra);
    const at = atanFix(t, F, Fb);
    const p = piFix(F);
    let v: bigint;
    if (low) v = x.isNeg() ? (p >> 1n) + at : (p >> 1n) - at; // pi/2 -+ asin|x|
    else v = x.isNeg() ? p - at : at;
    return { v, F, neg: false };
  });
}

/** sin(x) (which = 0) or cos(x) (which = 1), correctly rounded; RangeError for |x| >= 10^1000. */
function sinCos(x: Decimal, which: 0 | 1): Decimal {
  const D = ctorOf(x);
  if (x.isNaN() || !x.isFinite()) return new D(NaN);
  const P = D.precision;
  if (x.isZero()) return which === 0 ? new D(x) : new D(1);
  if (x.e >= TRIG_MAX_EXP) throw new RangeError(`${which === 0 ? 'sin' : 'cos'}: |x| >= 1e${TRIG_MAX_EXP} is not supported (argument reduction)`);
  if (which === 0 && x.e < -(2 * P + 10)) return nudged(D, x, false);
  if (which === 1 && x.e < -(P / 2 + 6)) return oneNudged(D, false);
  const big = x.e >= 0 ? Math.ceil((x.e + 1) * LOG2_10) : 0;
  const extra = smallBits(x);
  return ziv(D, (bits) => {
    const F = bits + big + extra + 8;
    const Fb = BigInt(F);
    const a = toFix(x, F);
    // a = q pi/2 + r, |r| <= pi/4
    const hp = piFix(F + big + 4) >> BigInt(big + 5);
    const q = (a + (hp >> 1n)) / hp;
    let r = a - q * hp;
    let rneg = false;
    if (r < 0n) {
      r = -r;
      rneg = true;
    }
    const sc = sinCosFix(r, F, Fb);
    // sin(x) for x >= 0 (sign restored below): sin(q pi/2 + r)
    const qm = Number(q & 3n);
    let v: bigint;
    let neg: boolean;
    const sr = rneg ? -sc.sin : sc.sin;
    if (which === 0) {
      v = qm === 0 ? sr : qm === 1 ? sc.cos : qm === 2 ? -sr : -sc.cos;
      neg = v < 0n !== x.isNeg();
    } else {
      v = qm === 0 ? sc.cos : qm === 1 ? -sr : qm === 2 ? -sc.cos : sr;
      neg = v < 0n;
    }
    return { v: v < 0n ? -v : v, F, neg };
  });
}

export function sin(x: Decimal): Decimal {
  return sinCos(x, 0);
}

export function cos(x: Decimal): Decimal {
  return sinCos(x, 1);
}

/** The fixed-point kernels, for the binary floating-point field (./binary). */
export const fixedPoint = { bitLength, isqrt, piFix, ln2Fix, atanFix, lnFix, expFix, sinCosFix, asinPartsFix };
