import * as fs from 'fs';
import * as path from 'path';
import Decimal from 'decimal.js';
import {
  besselK0,
  besselK0_64,
  besselK1,
  besselK1_64,
  decimalCtor,
  erf,
  erf64,
  erfc,
  erfc64,
  erfcx64,
  gamma,
  gamma64,
  lnGamma,
  lnGamma64,
  normCdf,
  normCdf64,
  normPdf,
  normPdf64,
  pi,
} from '../src/numeric/special';

// Reference values: test/fixtures/make_special.py (mpmath).  Keys "50", "100",
// "210" hold the value to (that many + 5) significant digits, "f64" the value
// at the binary64 argument float(x).
type Row = { x: string; f64?: string } & Record<string, string>;
interface Fixtures {
  precisions: number[];
  [fn: string]: unknown;
}
const fx = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'special.json'), 'utf8')) as Fixtures;
const rows = (name: string): Row[] => fx[name] as Row[];

const R = Decimal.clone({ precision: 500 });

/** |v - ref| / |ref| (|v| if ref = 0) as a high-precision Decimal. */
function relErr(v: Decimal.Value, ref: Decimal.Value): Decimal {
  const r = new R(ref);
  const d = new R(v).minus(r).abs();
  return r.isZero() ? d : d.div(r.abs());
}

/** The exact decimal expansion of a finite double. */
function exactDecimal(x: number): string {
  if (x === 0 || !Number.isFinite(x)) return String(x);
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const sign = bits >> 63n ? '-' : '';
  const bexp = Number((bits >> 52n) & 0x7ffn);
  let mant = bits & ((1n << 52n) - 1n);
  let e = bexp - 1075;
  if (bexp === 0) e = -1074;
  else mant |= 1n << 52n;
  if (e >= 0) return sign + (mant << BigInt(e)).toString();
  // mant * 2^e = mant * 5^-e / 10^-e
  const digits = (mant * 5n ** BigInt(-e)).toString().padStart(-e + 1, '0');
  return sign + digits.slice(0, digits.length + e) + '.' + digits.slice(digits.length + e);
}

type DecFn = (x: Decimal) => Decimal;
type F64Fn = (x: number) => number;

const DEC: Record<string, DecFn> = {
  erf,
  erfc,
  gamma,
  lnGamma,
  besselK0,
  besselK1,
  normCdf,
  normPdf,
};
const F64: Record<string, F64Fn> = {
  erf: erf64,
  erfc: erfc64,
  gamma: gamma64,
  lnGamma: lnGamma64,
  besselK0: besselK0_64,
  besselK1: besselK1_64,
  normCdf: normCdf64,
  normPdf: normPdf64,
};

/** The fixture column to compare a precision-P result with. */
function refKey(P: number): string {
  return P <= 50 ? '50' : P <= 100 ? '100' : '210';
}

describe('Decimal special functions against mpmath', () => {
  // precision-2 digits is the contract; we assert one digit more than that
  // (max observed error is ~0.5 ulp, i.e. correctly rounded in most cases).
  const cases: Array<[string, number]> = [];
  for (const name of Object.keys(DEC)) for (const P of [12, 50, 100]) cases.push([name, P]);
  for (const name of ['erf', 'erfc', 'lnGamma', 'besselK0', 'normCdf']) cases.push([name, 200]);

  test.each(cases)('%s at precision %i', (name, P) => {
    const D = Decimal.clone({ precision: P });
    const tol = new R(10).pow(1 - P);
    const bad: string[] = [];
    for (const row of rows(name)) {
      const v = DEC[name](new D(row.x));
      expect(v.constructor).toBe(D);
      expect(v.sd()).toBeLessThanOrEqual(P);
      const e = relErr(v, row[refKey(P)]);
      if (!e.lte(tol)) bad.push(`${name}(${row.x}) = ${v.toString()} rel err ${e.toExponential(2)}`);
    }
    expect(bad).toEqual([]);
  });

  test('erfc keeps full relative precision far in the tail', () => {
    const D = Decimal.clone({ precision: 60 });
    const v100 = erfc(new D(100));
    expect(v100.e).toBe(-4346);
    const ref = rows('erfc').find((r) => r.x === '100')!;
    expect(relErr(v100, ref['100']).lt('1e-59')).toBe(true);
    // beyond the Decimal exponent range: underflows to 0, erf to 1
    expect(erfc(new D('1e9')).isZero()).toBe(true);
    expect(erf(new D('1e9')).eq(1)).toBe(true);
    expect(erf(new D('-1e9')).eq(-1)).toBe(true);
  });

  test('precision is honoured: 60 digits are really more digits than 30', () => {
    const D30 = Decimal.clone({ precision: 30 });
    const D60 = Decimal.clone({ precision: 60 });
    for (const x of ['0.3', '1.7', '4.25', '-2']) {
      const a = erf(new D30(x));
      const b = erf(new D60(x));
      expect(a.constructor).toBe(D30);
      expect(b.constructor).toBe(D60);
      // agree to 30 digits
      expect(relErr(a, b).lte('1e-29')).toBe(true);
      // the 60-digit value differs from the 30-digit one beyond digit 30 ...
      expect(b.eq(a)).toBe(false);
      expect(b.sd()).toBeGreaterThan(45);
      // ... and those extra digits are right (mpmath, 100 digits)
      const ref = new R(x).isNeg() ? null : rows('erf').find((r) => r.x === x);
      if (ref) expect(relErr(b, ref['100']).lte('1e-59')).toBe(true);
    }
    const ref = rows('erf').find((r) => r.x === '0.75')!;
    const b = erf(new D60('0.75'));
    expect(relErr(b, ref['100']).lte('1e-59')).toBe(true);
    expect(relErr(erf(new D30('0.75')), ref['100']).gt('1e-40')).toBe(true);
  });

  test('the argument is used with all its digits', () => {
    // x has more digits than the precision: erf must use them
    const D = Decimal.clone({ precision: 20 });
    const x = new D('0.12345678901234567890123456789');
    const W = Decimal.clone({ precision: 60 });
    const ref = erf(new W(x));
    expect(relErr(erf(x), ref).lte('1e-19')).toBe(true);
  });

  test('pi(D)', () => {
    for (const P of [10, 50, 137, 300]) {
      const D = Decimal.clone({ precision: P });
      const p = pi(D);
      expect(p.constructor).toBe(D);
      const ref = R.acos(-1);
      // correctly rounded: at most half a unit in the P-th digit
      expect(relErr(p, ref).lte(new R(10).pow(1 - P).times(0.5).div(3.14159))).toBe(true);
      expect(pi(D).eq(p)).toBe(true);
    }
  });

  test('decimalCtor is cached per precision', () => {
    expect(decimalCtor(42)).toBe(decimalCtor(42));
    expect(decimalCtor(42).precision).toBe(42);
    expect(() => decimalCtor(0)).toThrow(RangeError);
  });
});

describe('identities', () => {
  const P = 60;
  const D = Decimal.clone({ precision: P });
  const tol = new R(10).pow(1 - P);

  test('erf(x) + erfc(x) = 1 and erfc(-x) = 2 - erfc(x)', () => {
    for (const x of ['1e-20', '0.01', '0.5', '1.2', '1.9', '2.5', '4', '7', '9.75', '-0.3', '-3.5']) {
      const s = erf(new D(x)).plus(erfc(new D(x)));
      expect(s.minus(1).abs().lte(tol)).toBe(true);
      const r = erfc(new D(x).neg()).plus(erfc(new D(x)));
      expect(r.minus(2).abs().lte(tol.times(2))).toBe(true);
      expect(erf(new D(x).neg()).eq(erf(new D(x)).neg())).toBe(true);
    }
  });

  test('gamma(x+1) = x gamma(x)', () => {
    for (const x of ['0.001', '0.3', '0.5', '1.25', '2.5', '9.9', '31.7', '123.456', '-0.5', '-1.5', '-7.3', '-40.01']) {
      const xd = new D(x);
      const lhs = gamma(xd.plus(1));
      const rhs = new R(xd).times(gamma(xd));
      expect(relErr(lhs, rhs).lte(tol.times(3))).toBe(true);
    }
  });

  test('gamma at integers and half-integers, lnGamma = ln gamma', () => {
    let f = new R(1);
    for (let n = 1; n <= 30; n++) {
      if (n > 1) f = f.times(n - 1);
      expect(relErr(gamma(new D(n)), f).lte(tol)).toBe(true);
    }
    const sqrtPi = R.acos(-1).sqrt();
    expect(relErr(gamma(new D(0.5)), sqrtPi).lte(tol)).toBe(true);
    expect(relErr(gamma(new D(-0.5)), sqrtPi.times(-2)).lte(tol)).toBe(true);
    for (const x of ['0.1', '3.3', '17', '250.5']) {
      expect(relErr(lnGamma(new D(x)), new R(gamma(new D(x))).ln()).lte(tol.times(10))).toBe(true);
    }
  });

  test('lnGamma keeps relative precision next to its zeros 1 and 2', () => {
    // lnGamma(1 + e) = -gamma_E e + zeta(2)/2 e^2 + ..., lnGamma(2 + e) = (1 - gamma_E) e + ...
    const e = new R('1e-40');
    const euler = new R('0.57721566490153286060651209008240243104215933593992359880576723488486772677766467');
    const zeta2 = R.acos(-1).pow(2).div(6);
    const l1 = lnGamma(new D(new R(1).plus(e)));
    expect(relErr(l1, euler.neg().times(e).plus(zeta2.div(2).times(e.pow(2)))).lte(tol)).toBe(true);
    const l2 = lnGamma(new D(new R(2).plus(e)));
    expect(relErr(l2, new R(1).minus(euler).times(e).plus(zeta2.minus(1).div(2).times(e.pow(2)))).lte(tol)).toBe(true);
    expect(lnGamma(new D(1)).isZero()).toBe(true);
    expect(lnGamma(new D(2)).isZero()).toBe(true);
  });

  test('normCdf(x) + normCdf(-x) = 1; normCdf = erfc(-x/sqrt2)/2', () => {
    for (const x of ['0.1', '1', '2.5', '6']) {
      const s = normCdf(new D(x)).plus(normCdf(new D(x).neg()));
      expect(s.minus(1).abs().lte(tol)).toBe(true);
    }
    const W = Decimal.clone({ precision: 120 });
    const y = new W(-12).neg().div(new W(2).sqrt());
    expect(relErr(normCdf(new D(-12)), erfc(y).div(2)).lte(tol)).toBe(true);
  });

  test('Wronskian I0 K1 + I1 K0 = 1/x', () => {
    // I0, I1 by their (positive) series at high precision
    const W = Decimal.clone({ precision: 120 });
    for (const xs of ['0.01', '0.7', '3', '12.5', '45', '90']) {
      const x = new W(xs);
      const u = x.times(x).div(4);
      let t0 = new W(1);
      let t1 = new W(1);
      let I0 = new W(1);
      let I1s = new W(1);
      for (let k = 1; k < 400; k++) {
        t0 = t0.times(u).div(k * k);
        t1 = t1.times(u).div(k * (k + 1));
        I0 = I0.plus(t0);
        I1s = I1s.plus(t1);
      }
      const I1 = I1s.times(x).div(2);
      const xd = new D(xs);
      const w = I0.times(besselK1(xd)).plus(I1.times(besselK0(xd)));
      expect(relErr(w, new W(1).div(x)).lte(tol.times(10))).toBe(true);
    }
  });

  test('special values and domain errors', () => {
    expect(erf(new D(0)).isZero()).toBe(true);
    expect(erf(new D(Infinity)).eq(1)).toBe(true);
    expect(erf(new D(-Infinity)).eq(-1)).toBe(true);
    expect(erfc(new D(-Infinity)).eq(2)).toBe(true);
    expect(erfc(new D(Infinity)).isZero()).toBe(true);
    expect(erfc(new D(0)).eq(1)).toBe(true);
    expect(erf(new D(NaN)).isNaN()).toBe(true);
    expect(gamma(new D(0)).isNaN()).toBe(true);
    expect(gamma(new D(-3)).isNaN()).toBe(true);
    expect(lnGamma(new D(0)).isNaN()).toBe(true);
    expect(lnGamma(new D(-1.5)).isNaN()).toBe(true);
    expect(besselK0(new D(0)).eq(Infinity)).toBe(true);
    expect(besselK1(new D(-1)).isNaN()).toBe(true);
    expect(normCdf(new D(-Infinity)).isZero()).toBe(true);
    expect(normCdf(new D(0)).eq(0.5)).toBe(true);
    expect(relErr(normPdf(new D(0)), new R(1).div(R.acos(-1).times(2).sqrt())).lte(tol)).toBe(true);
  });
});

describe('float64 versions', () => {
  test.each(Object.keys(F64))('%s64 against mpmath to 1e-14 relative', (name) => {
    const bad: string[] = [];
    let n = 0;
    for (const row of rows(name)) {
      if (row.f64 === undefined) continue;
      n++;
      const v = F64[name](Number(row.x));
      const ref = Number(row.f64);
      const e = ref === 0 ? Math.abs(v) : Math.abs((v - ref) / ref);
      if (!(e <= 1e-14)) bad.push(`${name}64(${row.x}) = ${v}, ref ${row.f64}, rel err ${e}`);
    }
    expect(n).toBeGreaterThan(5);
    expect(bad).toEqual([]);
  });

  // Dense comparison with the Decimal implementation (at 30 digits), across
  // all the branch points of the float64 code; tighter than the 1e-14 above
  // (observed max ~1e-15).
  const D30 = Decimal.clone({ precision: 30 });
  function dense(name: string, xs: number[], f64: F64Fn, dec: DecFn, tol = 3e-15): void {
    const bad: string[] = [];
    for (const x of xs) {
      // the exact binary value of x (new Decimal(x) would use the shortest decimal)
      const ref = dec(new D30(exactDecimal(x)));
      const v = f64(x);
      const r = ref.toNumber();
      if (Math.abs(r) < 1e-300 || !Number.isFinite(r)) continue;
      const e = Math.abs((v - r) / r);
      if (!(e <= tol)) bad.push(`${name}(${x}) = ${v}, ref ${ref.toString()}, rel err ${e}`);
    }
    expect(bad).toEqual([]);
  }
  const grid = (a: number, b: number, n: number): number[] =>
    Array.from({ length: n + 1 }, (_, i) => a + ((b - a) * i) / n + 1e-3 * Math.sin(i));
  const logGrid = (a: number, b: number, n: number): number[] =>
    Array.from({ length: n + 1 }, (_, i) => Math.pow(10, a + ((b - a) * i) / n));

  test('erf64 / erfc64 / erfcx64 dense', () => {
    const xs = [...grid(-7, 7, 140), 0.5, -0.5, 0.4999999, 0.5000001, 6, 5.999999];
    dense('erf64', xs, erf64, erf);
    dense('erfc64', [...xs, ...grid(7, 26.5, 60)], erfc64, erfc);
    const W = Decimal.clone({ precision: 40 });
    for (const x of grid(-3, 30, 66)) {
      const xd = new W(exactDecimal(x));
      const ref = erfc(xd).times(xd.times(xd).exp()).toNumber();
      expect(Math.abs(erfcx64(x) / ref - 1)).toBeLessThan(1e-14);
    }
    for (const x of [1e3, 1e7, 1e9]) {
      // asymptotic series 1/(x sqrt(pi)) (1 - 1/(2x^2) + 3/(4x^4))
      const xd = new W(x);
      const y = new W(1).div(xd.times(xd));
      const ref = new W(1).minus(y.div(2)).plus(y.times(y).times(0.75)).div(xd.times(W.acos(-1).sqrt()));
      expect(Math.abs(erfcx64(x) / ref.toNumber() - 1)).toBeLessThan(1e-14);
    }
  });

  test('normCdf64 / normPdf64 dense (relative accuracy in the lower tail)', () => {
    const xs = [...grid(-38, 8, 230), -0.7071, -0.7072];
    dense('normCdf64', xs, normCdf64, normCdf);
    dense('normPdf64', xs, normPdf64, normPdf);
  });

  test('gamma64 / lnGamma64 dense', () => {
    const xs = [...grid(-30.3, 171, 300), ...logGrid(-12, 0, 24), 0.5, 1.5, 2.5, 11.999999, 12];
    dense('gamma64', xs, gamma64, gamma);
    const ys = [...grid(0.01, 30, 200), ...logGrid(-12, 12, 48), 1 + 1e-9, 2 - 1e-9, 1.4616321449683623];
    dense('lnGamma64', ys, lnGamma64, lnGamma);
  });

  test('besselK0_64 / besselK1_64 dense', () => {
    const xs = [...logGrid(-12, 2.85, 100), 1, 2, 700];
    dense('besselK0_64', xs, besselK0_64, besselK0);
    dense('besselK1_64', xs, besselK1_64, besselK1);
  });

  test('float64 special values', () => {
    expect(erf64(0)).toBe(0);
    expect(erf64(Infinity)).toBe(1);
    expect(erfc64(-Infinity)).toBe(2);
    expect(erfc64(Infinity)).toBe(0);
    expect(erfc64(30)).toBe(0);
    expect(normCdf64(0)).toBe(0.5);
    expect(normCdf64(-Infinity)).toBe(0);
    expect(normCdf64(Infinity)).toBe(1);
    expect(gamma64(-2)).toBeNaN();
    expect(gamma64(200)).toBe(Infinity);
    expect(lnGamma64(0)).toBeNaN();
    expect(lnGamma64(1)).toBe(0);
    expect(lnGamma64(2)).toBe(0);
    expect(besselK0_64(0)).toBe(Infinity);
    expect(besselK1_64(800)).toBe(0);
    expect(Number.isNaN(erf64(NaN))).toBe(true);
  });
});
