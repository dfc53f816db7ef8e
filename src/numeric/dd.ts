/**
 * Double-double arithmetic: a value is the unevaluated sum h + l of two float64 numbers with
 * |l| <= ulp(h) / 2, about 106 bits (31-32 significant digits). Used by the Gaussian quadratures
 * of activations without closed forms when the requested accuracy is at most DD_MAX_DIGITS
 * digits: an evaluation costs a few float64 operations instead of a decimal.js Taylor series.
 *
 * Algorithms: error-free transformations (Knuth two-sum, Dekker split products) and the
 * "accurate" addition of the QD library (Hida, Li, Bailey). Elementary functions reduce their
 * argument to a small interval and sum a short Taylor series in double-double.
 * Conversions from and to decimal.js are exact to ~1e-40 relative (the decimal expansion of a
 * float64 is taken with toPrecision(40), not its shortest representation).
 */
import Decimal from 'decimal.js';
import { plainMath } from './plainMath';
// A plain-object copy of Math: under jest the global Math is a proxy and each Math.* access costs ~1 us.
const Math = plainMath();

export class DD {
  constructor(readonly h: number, readonly l: number) {}
}

/** Largest number of significant digits a quadrature in double-double may promise (8 guard digits below 31). */
export const DD_MAX_DIGITS = 23;
/** Relative rounding error of one double-double operation, with room for the elementary functions. */
export const DD_EPS = 1e-31;

const SPLIT = 134217729; // 2^27 + 1

function quickTwoSum(a: number, b: number): DD {
  const s = a + b;
  return new DD(s, b - (s - a));
}

export const DD_ZERO = new DD(0, 0);
export const DD_ONE = new DD(1, 0);

export function ddAdd(x: DD, y: DD): DD {
  const s1 = x.h + y.h;
  const bb = s1 - x.h;
  let s2 = x.h - (s1 - bb) + (y.h - bb);
  const t1 = x.l + y.l;
  const cc = t1 - x.l;
  const t2 = x.l - (t1 - cc) + (y.l - cc);
  s2 += t1;
  const u1 = s1 + s2;
  let u2 = s2 - (u1 - s1);
  u2 += t2;
  const h = u1 + u2;
  return new DD(h, u2 - (h - u1));
}

export function ddNeg(x: DD): DD {
  return new DD(-x.h, -x.l);
}

export function ddSub(x: DD, y: DD): DD {
  return ddAdd(x, new DD(-y.h, -y.l));
}

/** x + b for a float64 b. */
export function ddAddNum(x: DD, b: number): DD {
  const s1 = x.h + b;
  const bb = s1 - x.h;
  let s2 = x.h - (s1 - bb) + (b - bb);
  s2 += x.l;
  const h = s1 + s2;
  return new DD(h, s2 - (h - s1));
}

function twoProdErr(a: number, b: number, p: number): number {
  let t = SPLIT * a;
  const ah = t - (t - a);
  const al = a - ah;
  t = SPLIT * b;
  const bh = t - (t - b);
  const bl = b - bh;
  return ah * bh - p + ah * bl + al * bh + al * bl;
}

export function ddMul(x: DD, y: DD): DD {
  const p = x.h * y.h;
  if (!Number.isFinite(p)) return new DD(p, 0);
  const e = twoProdErr(x.h, y.h, p) + (x.h * y.l + x.l * y.h);
  const h = p + e;
  return new DD(h, e - (h - p));
}

/** x * b for a float64 b. */
export function ddMulNum(x: DD, b: number): DD {
  const p = x.h * b;
  if (!Number.isFinite(p)) return new DD(p, 0);
  const e = twoProdErr(x.h, b, p) + x.l * b;
  const h = p + e;
  return new DD(h, e - (h - p));
}

/** x * 2^s (exact). */
export function ddScale2(x: DD, s: number): DD {
  if (s === 0) return x;
  const f = Math.pow(2, s);
  return new DD(x.h * f, x.l * f);
}

export function ddDiv(x: DD, y: DD): DD {
  const q1 = x.h / y.h;
  if (!Number.isFinite(q1) || q1 === 0) return new DD(q1, 0);
  let r = ddSub(x, ddMulNum(y, q1));
  const q2 = r.h / y.h;
  r = ddSub(r, ddMulNum(y, q2));
  const q3 = r.h / y.h;
  return ddAddNum(quickTwoSum(q1, q2), q3);
}

export function ddSqrt(x: DD): DD {
  if (x.h <= 0) return new DD(x.h === 0 ? 0 : NaN, 0);
  const r = 1 / Math.sqrt(x.h);
  const ax = x.h * r;
  const axx = new DD(ax * ax, twoProdErr(ax, ax, ax * ax));
  return ddAddNum(ddMulNum(ddSub(x, axx), r * 0.5), ax);
}

export function ddAbs(x: DD): DD {
  return x.h < 0 || (x.h === 0 && x.l < 0) ? ddNeg(x) : x;
}

export function ddCmp(x: DD, y: DD): number {
  return x.h < y.h ? -1 : x.h > y.h ? 1 : x.l < y.l ? -1 : x.l > y.l ? 1 : 0;
}

export function ddToNumber(x: DD): number {
  return x.h + x.l;
}

// ---------------------------------------------------------------------------------------
// Conversions (through 45-digit decimals)

const C45 = Decimal.clone({ precision: 45, rounding: Decimal.ROUND_HALF_EVEN, toExpNeg: -7, toExpPos: 21, minE: -9e15, maxE: 9e15 });

/** The nearest double-double to a decimal (or a decimal string). */
export function ddFromDecimal(d: Decimal | string): DD {
  const x = new C45(d);
  const h = x.toNumber();
  if (!Number.isFinite(h) || h === 0) return new DD(h, 0);
  return new DD(h, x.minus(h.toPrecision(40)).toNumber());
}

/** The decimal value of a double-double, at the precision of D. */
export function ddToDecimal(x: DD, D: typeof Decimal): Decimal {
  if (!Number.isFinite(x.h)) return new D(x.h);
  if (x.l === 0) return new D(new C45(x.h.toPrecision(40)));
  return new D(new C45(x.h.toPrecision(40)).plus(x.l.toPrecision(40)));
}

export const DD_LN2 = ddFromDecimal(new C45(2).ln());
export const DD_PI = ddFromDecimal(C45.acos(-1));

// ---------------------------------------------------------------------------------------
// Elementary functions

const INV_FACT: DD[] = (() => {
  const out: DD[] = [];
  let f = new C45(1);
  for (let n = 0; n <= 12; n++) {
    if (n > 0) f = f.times(n);
    out.push(ddFromDecimal(new C45(1).div(f)));
  }
  return out;
})();

/** expm1(j / 256), j = -128..128, for the table-driven reduction (accurate relative to expm1, not exp). */
const EXPM1_TABLE: DD[] = (() => {
  const out: DD[] = [];
  for (let j = -128; j <= 128; j++) out.push(ddFromDecimal(new C45(j).div(256).exp().minus(1)));
  return out;
})();

/** expm1(s) for |s| <= 1/512 + 1e-16: Taylor, 10 terms (1e-34). */
function expm1Tiny(s: DD): DD {
  // s (1 + s (1/2 + ... + s (1/5! + s q))): the tail q = 1/6! + s/7! + ... + s^4/10! enters
  // multiplied by s^6 < 1e-16, so float64 suffices for it; the Horner steps add a small
  // correction to a constant (no cancellation), so the sloppy addition is exact enough
  const x = s.h;
  const q = INV6 + x * (INV7 + x * (INV8 + x * (INV9 + x * INV10)));
  let p = ddAddNum(INV_FACT[5], x * q);
  for (let n = 4; n >= 1; n--) p = ddAddSloppy(INV_FACT[n], ddMul(s, p));
  return ddMul(s, p);
}

const INV6 = 1 / 720;
const INV7 = 1 / 5040;
const INV8 = 1 / 40320;
const INV9 = 1 / 362880;
const INV10 = 1 / 3628800;

/** x + y when no cancellation can occur (QD's sloppy addition). */
function ddAddSloppy(x: DD, y: DD): DD {
  const s = x.h + y.h;
  const bb = s - x.h;
  const e = x.h - (s - bb) + (y.h - bb) + (x.l + y.l);
  const h = s + e;
  return new DD(h, e - (h - s));
}

/** expm1(r), r = j / 256 + s with |s| <= 1/512: expm1(a) + expm1(s) + expm1(a) expm1(s). */
function expm1Reduced(r: DD): DD {
  const j = Math.round(r.h * 256);
  if (j === 0) return expm1Tiny(r);
  const m = expm1Tiny(ddAddNum(r, -j / 256));
  const t = EXPM1_TABLE[j + 128];
  return ddAdd(ddAdd(t, m), ddMul(t, m));
}

export function ddExp(x: DD): DD {
  if (x.h > 709.7) return new DD(Infinity, 0);
  if (x.h < -745.2) return DD_ZERO;
  const k = Math.round(x.h / DD_LN2.h);
  const r = ddSub(x, ddMulNum(DD_LN2, k));
  return ddScale2(ddAddNum(expm1Reduced(r), 1), k);
}

/** exp(x) - 1 without cancellation near 0. */
export function ddExpm1(x: DD): DD {
  if (Math.abs(x.h) < 0.34) return expm1Reduced(x);
  return ddAddNum(ddExp(x), -1);
}

export function ddLog(x: DD): DD {
  if (!(x.h > 0)) return new DD(x.h === 0 ? -Infinity : NaN, 0);
  if (!Number.isFinite(x.h)) return x;
  // Newton on exp(y) = x from the float64 logarithm: y + x exp(-y) - 1, twice
  let y = new DD(Math.log(x.h), 0);
  for (let i = 0; i < 2; i++) y = ddAddNum(ddAdd(y, ddMul(x, ddExp(ddNeg(y)))), -1);
  return y;
}

export function ddTanh(x: DD): DD {
  const a = ddAbs(x);
  if (a.h > 40) return new DD(x.h > 0 ? 1 : -1, 0);
  // tanh|x| = expm1(2|x|) / (expm1(2|x|) + 2)
  const m = ddExpm1(ddScale2(a, 1));
  const t = ddDiv(m, ddAddNum(m, 2));
  return x.h < 0 ? ddNeg(t) : t;
}

export function ddSinh(x: DD): DD {
  const a = ddAbs(x);
  // sinh|x| = (m + m / (m + 1)) / 2, m = expm1|x|
  const m = ddExpm1(a);
  const s = ddScale2(ddAdd(m, ddDiv(m, ddAddNum(m, 1))), -1);
  return x.h < 0 ? ddNeg(s) : s;
}

export function ddCosh(x: DD): DD {
  const e = ddExp(ddAbs(x));
  return ddScale2(ddAdd(e, ddDiv(DD_ONE, e)), -1);
}

/** b^n for an integer n, by repeated squaring. */
export function ddPowInt(b: DD, n: number): DD {
  if (n === 0) return DD_ONE;
  let e = Math.abs(n);
  let r = DD_ONE;
  let p = b;
  while (e > 0) {
    if (e & 1) r = ddMul(r, p);
    e >>= 1;
    if (e) p = ddMul(p, p);
  }
  return n < 0 ? ddDiv(DD_ONE, r) : r;
}
