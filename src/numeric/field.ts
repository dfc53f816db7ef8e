/**
 * Arithmetic "fields": the one abstraction that lets every quantity be written once and
 * evaluated three ways. A quantity (a kernel map, a closed-form Gaussian expectation, a
 * response) is a function generic over `Field<T>`; run it with
 *   - `float64`            → plain JavaScript numbers (fast),
 *   - `decimalField(D)`    → decimal.js at D significant digits (plus guard digits),
 *   - `symbolicField`      → expression trees (src/symbolic), printed as LaTeX or verified,
 *   - `binaryField(D)`     → binary floating point on BigInt (./binary; closed forms only).
 */
import Decimal from 'decimal.js';
import { plainMath } from './plainMath';
import * as el from './elementary';
import { formatNumber } from '../io/format';
// A plain-object copy of Math: under jest the global Math is a proxy and each Math.* access costs ~1 us.
const Math = plainMath();

export type FieldKind = 'float64' | 'decimal' | 'symbolic' | 'binary';

export interface Field<T> {
  readonly kind: FieldKind;
  /** Working significant digits (float64: 15; symbolic: Infinity). */
  readonly digits: number;
  /** An exact constant: integers, decimal strings such as "0.05", or a float64 number. */
  of(x: number | string): T;
  add(a: T, b: T): T;
  sub(a: T, b: T): T;
  mul(a: T, b: T): T;
  div(a: T, b: T): T;
  neg(a: T): T;
  pow(a: T, b: T): T;
  sqrt(a: T): T;
  exp(a: T): T;
  log(a: T): T;
  sin(a: T): T;
  cos(a: T): T;
  asin(a: T): T;
  acos(a: T): T;
  atan(a: T): T;
  pi(): T;
  /** False for NaN or ±Infinity (symbolic values are always "finite"). */
  isFinite(a: T): boolean;
  /** A float64 approximation (throws for a symbolic value with free symbols). */
  toNumber(a: T): number;
  /** A decimal string with `digits` significant digits (numeric fields only). */
  format(a: T, digits?: number): string;
}

/** Sum of a list in a field. */
export function fsum<T>(F: Field<T>, xs: T[]): T {
  let s = F.of(0);
  for (const x of xs) s = F.add(s, x);
  return s;
}

export const float64: Field<number> = {
  kind: 'float64',
  digits: 15,
  of: (x) => (typeof x === 'number' ? x : Number(x)),
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  neg: (a) => -a,
  pow: (a, b) => Math.pow(a, b),
  sqrt: Math.sqrt,
  exp: Math.exp,
  log: Math.log,
  sin: Math.sin,
  cos: Math.cos,
  asin: (a) => Math.asin(Math.max(-1, Math.min(1, a))),
  acos: (a) => Math.acos(Math.max(-1, Math.min(1, a))),
  atan: Math.atan,
  pi: () => Math.PI,
  isFinite: (a) => Number.isFinite(a),
  toNumber: (a) => a,
  format: (a, digits = 16) => formatNumber(a, digits),
};

export type DecimalCtor = typeof Decimal;

const decimalFields = new Map<number, Field<Decimal> & { D: DecimalCtor }>();

/**
 * decimal.js arithmetic at `precision` significant digits (the caller adds guard digits); the
 * elementary functions are those of ./elementary (correctly rounded, BigInt fixed point).
 * asin/acos clamp arguments that exceed 1 in magnitude by rounding only (|x| - 1 < 10^-(p-2)).
 */
export function decimalField(precision: number): Field<Decimal> & { D: DecimalCtor } {
  const cached = decimalFields.get(precision);
  if (cached) return cached;
  const D = Decimal.clone({ precision, rounding: Decimal.ROUND_HALF_EVEN, toExpNeg: -7, toExpPos: 21 });
  const piVal = el.pi(D);
  const one = new D(1);
  const slack = new D(10).pow(-(precision - 3));
  const clamp = (a: Decimal): Decimal => {
    const d = a.abs().minus(one);
    if (d.gt(0) && d.lt(slack)) return a.isNeg() ? one.neg() : one;
    return a;
  };
  // constants such as "0.05" recur in every layer: parsed once (Decimals are immutable)
  const constants = new Map<number | string, Decimal>();
  const F: Field<Decimal> & { D: DecimalCtor } = {
    kind: 'decimal',
    digits: precision,
    D,
    of: (x) => {
      let c = constants.get(x);
      if (c === undefined) {
        c = new D(typeof x === 'number' ? String(x) : x); // a number as typed: 0.05 → "0.05"
        if (constants.size < 1024) constants.set(x, c);
      }
      return c;
    },
    add: (a, b) => a.plus(b),
    sub: (a, b) => a.minus(b),
    mul: (a, b) => a.times(b),
    div: el.div,
    neg: (a) => a.neg(),
    pow: (a, b) => (b.isInteger() && b.abs().lt(1e6) ? powInt(D, a, b.toNumber()) : a.pow(b)),
    sqrt: el.sqrt,
    exp: el.exp,
    log: el.ln,
    sin: el.sin,
    cos: el.cos,
    asin: (a) => el.asin(clamp(a)),
    acos: (a) => el.acos(clamp(a)),
    atan: el.atan,
    pi: () => piVal,
    isFinite: (a) => a.isFinite(),
    toNumber: (a) => a.toNumber(),
    format: (a, digits = precision) => a.toSignificantDigits(digits).toString(),
  };
  decimalFields.set(precision, F);
  return F;
}

function powInt(D: DecimalCtor, a: Decimal, n: number): Decimal {
  if (n < 0) return new D(1).div(powInt(D, a, -n));
  let r = new D(1);
  let b = a;
  let k = n;
  while (k > 0) {
    if (k & 1) r = r.times(b);
    b = b.times(b);
    k >>= 1;
  }
  return r;
}
