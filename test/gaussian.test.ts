/**
 * Gaussian expectations (src/numeric/gaussian.ts) against mpmath references
 * (test/fixtures/gaussian.json, made by test/fixtures/make_gaussian.py: closed forms, closed-form
 * conditional means with 1D mp.quad, or a nested Gauss–Legendre product rule).
 *
 * Activations: relu, relu^2, sign, heaviside, softsign x/(1+|x|) (kinked / discontinuous) and
 * erf, tanh, gelu, silu, sech^2 = tanh' (smooth); K in {1e-3, 0.5, 1.5, 30, 400} (plus unequal
 * variances from 1e-4 to 1000), rho in {-1, -0.3, 0, 0.6, 0.999999, 1} and 1 - 1e-30.
 *
 * Checked: float64 to 1e-11, Decimal to 20 and 40 digits; the error estimate bounds the true
 * error within a factor 10 and is below the requested accuracy; a run at more digits agrees
 * with one at fewer. Accuracy is relative to max(|value|, 1e-5 sqrt(E f^2 E g^2)) (Decimal) and
 * max(|value|, 0.1 sqrt(E f^2 E g^2)) (float64): values that vanish by symmetry are absolute.
 *
 * The default run (~25 s) keeps every code path on a selection of cases: all float64 cases;
 * Decimal 1D at K = 400 and 1e-3; Decimal 2D at K = 400 (rho = -0.3, 0.999999) and K = 1e-3
 * (rho = 0.6), every unequal-variance and mixed pair, the erf K = 1000, rho = 0.999999 corner of
 * the rule choice, rho = 1 - 1e-30, and 40 digits on kinked closed forms.
 * FIELDPROP_LONG=1 runs the whole sweep (every activation, K and rho at 20 digits; 40 digits on
 * erf and gelu too; several minutes).
 */
import * as fs from 'fs';
import * as path from 'path';
import Decimal from 'decimal.js';
import { expect1Dec, expect2Dec, expect1F64, expect2F64, chooseRule } from '../src/numeric/gaussian';

const LONG = !!process.env.FIELDPROP_LONG;
/** erf and gelu cost ~2 ms per Decimal evaluation here (series and exp): fewer of them by default. */
const SLOW = ['erf', 'gelu'];

interface Case {
  kind: '1d' | '2d';
  f: string;
  g?: string;
  K?: string;
  power?: number;
  K11?: string;
  K12?: string;
  K22?: string;
  rho?: string;
  value: string;
  digits: number;
  method: string;
}
const FIX = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'gaussian.json'), 'utf8')) as { cases: Case[] };
const R = Decimal.clone({ precision: 80 });

// ---------------------------------------------------------------------------------------
// Activations in float64 and Decimal (Decimal ones compute at the precision of their argument)

type DC = typeof Decimal;
const ctxs = new Map<number, DC>();
function ctx(p: number): DC {
  let D = ctxs.get(p);
  if (!D) {
    D = Decimal.clone({ precision: p, rounding: 6, toExpNeg: -7, toExpPos: 21 });
    ctxs.set(p, D);
  }
  return D;
}
const M = { exp: Math.exp, sqrt: Math.sqrt, tanh: Math.tanh, abs: Math.abs, PI: Math.PI }; // avoid jest's Math proxy in hot loops

function erfSeries64(x: number): number {
  // erf x = 2/sqrt(pi) e^{-x^2} sum_n 2^n x^{2n+1} / (2n+1)!!  (all terms positive)
  let term = x;
  let sum = x;
  const x2 = x * x;
  for (let n = 1; n < 200; n++) {
    term *= (2 * x2) / (2 * n + 1);
    sum += term;
    if (term < 1e-17 * sum) break;
  }
  return (2 / M.sqrt(M.PI)) * M.exp(-x2) * sum;
}
function erfc64(x: number): number {
  if (x < 0) return 2 - erfc64(-x);
  if (x < 3) return 1 - erfSeries64(x);
  if (x > 27) return 0;
  let t = x; // continued fraction
  for (let n = 80; n >= 1; n--) t = x + n / 2 / t;
  return M.exp(-x * x) / M.sqrt(M.PI) / t;
}
function erf64(x: number): number {
  if (x < 0) return -erf64(-x);
  return x < 3 ? erfSeries64(x) : 1 - erfc64(x);
}
const sqrtPis = new Map<DC, Decimal>();
function sqrtPi(E: DC): Decimal {
  let v = sqrtPis.get(E);
  if (!v) {
    v = E.acos(-1).sqrt();
    sqrtPis.set(E, v);
  }
  return v;
}
function erfSeriesDec(z: Decimal): Decimal {
  // all terms positive: full relative accuracy at the working precision for any z >= 0
  const E = z.constructor as DC;
  let term = z;
  let sum = z;
  const z2x2 = z.times(z).times(2);
  const eps = new E(10).pow(-(E.precision + 2));
  for (let n = 1; n < 100000; n++) {
    term = term.times(z2x2).div(2 * n + 1);
    sum = sum.plus(term);
    if (term.lt(sum.times(eps))) break;
  }
  return sum.times(z.times(z).neg().exp()).times(2).div(sqrtPi(E));
}
/** erfc to the relative precision of x's constructor. */
function erfcDec(x: Decimal): Decimal {
  const D = x.constructor as DC;
  const zf = x.abs().toNumber();
  if (x.isNeg()) {
    // erfc(-z) = 2 - erfc(z); erfc(z) < e^{-z^2} is below the rounding of 2 for large z
    return zf * zf > (D.precision + 4) * Math.LN10 ? new D(2) : new D(2).minus(erfcDec(x.neg()));
  }
  if (zf < 6) {
    // 1 - erf with enough guard digits for the cancellation (erfc(z) ~ e^{-z^2})
    const E = ctx(D.precision + 12 + Math.ceil((zf * zf) / Math.LN10));
    return new D(new E(1).minus(erfSeriesDec(new E(x))));
  }
  const E = ctx(D.precision + 12);
  const z = new E(x);
  let prev: Decimal | null = null;
  for (let N = 16; ; N *= 2) {
    let t = z; // continued fraction, converges fast for z >= 6
    for (let n = N; n >= 1; n--) t = z.plus(new E(n).div(2).div(t));
    const v = z.times(z).neg().exp().div(sqrtPi(E)).div(t);
    if ((prev && v.minus(prev).abs().lte(v.abs().times(new E(10).pow(-(D.precision + 4))))) || N > 1 << 16) return new D(v);
    prev = v;
  }
}
function erfDec(x: Decimal): Decimal {
  const D = x.constructor as DC;
  if (x.isNeg()) return erfDec(x.neg()).neg();
  const zf = x.toNumber();
  if (zf * zf > (D.precision + 4) * Math.LN10) return new D(1); // 1 - erf z < e^{-z^2} < 10^-(p+4)
  const E = ctx(D.precision + 12);
  return new D(erfSeriesDec(new E(x)));
}

interface Act {
  f64(x: number): number;
  dec(x: Decimal): Decimal;
  kinks: number[];
  jump?: boolean;
}
const zero = (x: Decimal) => new (x.constructor as DC)(0);
const one = (x: Decimal) => new (x.constructor as DC)(1);
const ACTS: Record<string, Act> = {
  relu: { f64: (x) => (x > 0 ? x : 0), dec: (x) => (x.gt(0) ? x : zero(x)), kinks: [0] },
  relu2: { f64: (x) => (x > 0 ? x * x : 0), dec: (x) => (x.gt(0) ? x.times(x) : zero(x)), kinks: [0] },
  sign: { f64: (x) => (x > 0 ? 1 : x < 0 ? -1 : 0), dec: (x) => (x.gt(0) ? one(x) : x.lt(0) ? one(x).neg() : zero(x)), kinks: [0], jump: true },
  heaviside: { f64: (x) => (x > 0 ? 1 : x < 0 ? 0 : 0.5), dec: (x) => (x.gt(0) ? one(x) : x.lt(0) ? zero(x) : one(x).div(2)), kinks: [0], jump: true },
  softsign: { f64: (x) => x / (1 + M.abs(x)), dec: (x) => x.div(x.abs().plus(1)), kinks: [0] },
  erf: { f64: erf64, dec: erfDec, kinks: [] },
  tanh: {
    f64: M.tanh,
    dec: (x) => {
      const D = x.constructor as DC;
      if (x.abs().toNumber() > (D.precision + 4) * 1.16) return x.isNeg() ? new D(-1) : new D(1); // e^{-2|x|} < 10^-(p+4)
      const e = x.abs().times(-2).exp(); // tanh|x| = (1 - e^{-2|x|}) / (1 + e^{-2|x|})
      const t = one(x).minus(e).div(one(x).plus(e));
      return x.isNeg() ? t.neg() : t;
    },
    kinks: [],
  },
  gelu: {
    f64: (x) => 0.5 * x * erfc64(-x / M.sqrt(2)),
    dec: (x) => x.times(erfcDec(x.neg().div(new (x.constructor as DC)(2).sqrt()))).div(2),
    kinks: [],
  },
  silu: {
    f64: (x) => x / (1 + M.exp(-x)),
    dec: (x) => (x.isNeg() ? x.times(x.exp()).div(x.exp().plus(1)) : x.div(x.neg().exp().plus(1))),
    kinks: [],
  },
  sech2: {
    f64: (x) => {
      const e = M.exp(-2 * M.abs(x));
      return (4 * e) / ((1 + e) * (1 + e));
    },
    dec: (x) => {
      const e = x.abs().times(-2).exp();
      const d = e.plus(1);
      return e.times(4).div(d.times(d));
    },
    kinks: [],
  },
};
const sq = (a: Act): Act => ({ f64: (x) => a.f64(x) ** 2, dec: (x) => a.dec(x).times(a.dec(x)), kinks: a.kinks });

/** sqrt(E[f(u)^2]) in float64 (a scale for the accuracy floor). */
function rms(name: string, K: string): number {
  const a = ACTS[name];
  return M.sqrt(expect1F64((x) => a.f64(x) ** 2, +K, { kinks: a.kinks }).value);
}

function label(c: Case): string {
  return c.kind === '1d' ? `E[${c.f}^${c.power}] K=${c.K}` : `E[${c.f} ${c.g}] K=(${c.K11}, ${c.K12}, ${c.K22})`;
}

const cases1 = FIX.cases.filter((c) => c.kind === '1d');
const cases2 = FIX.cases.filter((c) => c.kind === '2d');

// ---------------------------------------------------------------------------------------

describe('fixture sanity', () => {
  test('fixture covers the activations, variances and correlations', () => {
    expect(cases1.length).toBeGreaterThanOrEqual(100);
    expect(cases2.length).toBeGreaterThanOrEqual(250);
    expect(new Set(cases2.map((c) => c.rho)).size).toBeGreaterThanOrEqual(6);
  });
});

describe('float64', () => {
  test('E[f(u)] and E[f(u)^2], all activations and K: 1e-11, honest estimates', () => {
    const bad: string[] = [];
    for (const c of cases1) {
      const a = c.power === 2 ? sq(ACTS[c.f]) : ACTS[c.f];
      const ref = +c.value;
      const r = expect1F64(a.f64, +c.K!, { kinks: a.kinks });
      const s = c.power === 2 ? M.abs(ref) : rms(c.f, c.K!);
      const err = M.abs(r.value - ref);
      if (!(err <= 1e-11 * Math.max(M.abs(ref), 0.1 * s))) bad.push(`${label(c)}: err ${err}`);
      if (!(err <= 10 * r.error + 1e-16 * s)) bad.push(`${label(c)}: err ${err} > 10 x est ${r.error}`);
    }
    expect(bad).toEqual([]);
  });

  test('E[f(u) g(v)], all pairs, K and rho: 1e-11, honest estimates', () => {
    const bad: string[] = [];
    for (const c of cases2) {
      const f = ACTS[c.f];
      const g = ACTS[c.g!];
      const ref = +c.value;
      const [k11, k12, k22] = [+c.K11!, +c.K12!, +c.K22!];
      const r = expect2F64(f.f64, g.f64, k11, k12, k22, { kinksF: f.kinks, kinksG: g.kinks });
      const s = rms(c.f, c.K11!) * rms(c.g!, c.K22!);
      const err = M.abs(r.value - ref);
      // two jumps: E depends on rho like asin(rho), so rounding K12 to float64 moves E by ~1e-16/sigma
      const sigma = M.sqrt(Math.max(0, 1 - (k12 * k12) / (k11 * k22)));
      const cond = f.jump && g.jump ? (2e-16 / Math.max(sigma, 1e-8)) * s : 0;
      if (!(err <= 1e-11 * Math.max(M.abs(ref), 0.1 * s) + cond)) bad.push(`${label(c)}: err ${err}`);
      if (!(err <= 10 * r.error + 1e-16 * s + cond)) bad.push(`${label(c)}: err ${err} > 10 x est ${r.error}`);
    }
    expect(bad).toEqual([]);
  });
});

/** Decimal check: accuracy, honest estimate (within 10x), estimate below the target. */
function checkDec(c: Case, r: { value: Decimal; error: number }, digits: number, s: number, bad: string[]): void {
  const ref = new R(c.value);
  // |value| < 1e-25: zero by symmetry (e.g. E[tanh(u) sech^2(v)]); the reference is then absolute
  const refDigits = M.abs(ref.toNumber()) < 1e-25 ? 27 : Math.min(c.digits, 54);
  const err = new R(r.value).minus(ref).abs().toNumber();
  const scale = Math.max(M.abs(ref.toNumber()), 1e-5 * s);
  const refErr = 10 ** -refDigits * Math.max(M.abs(ref.toNumber()), 1e-5 * s);
  if (!(err <= 10 ** -digits * scale + refErr)) bad.push(`${label(c)} @${digits}: err ${err.toExponential(2)} (scale ${scale.toExponential(2)})`);
  if (!(err <= 10 * r.error + refErr + 1e-45 * s)) bad.push(`${label(c)} @${digits}: err ${err.toExponential(2)} > 10 x est ${r.error.toExponential(2)}`);
  if (!(r.error <= 10 ** -digits * scale)) bad.push(`${label(c)} @${digits}: estimate ${r.error.toExponential(2)} above target`);
}

describe('Decimal, 1D', () => {
  const pick20 = (c: Case) =>
    LONG ||
    (SLOW.includes(c.f)
      ? (c.f === 'erf' && c.power === 1 && c.K === '400') || (c.f === 'gelu' && c.power === 2 && c.K === '0.001')
      : c.K === '400' || (c.K === '0.001' && c.power === 1));
  test(`20 digits: ${LONG ? 'all activations and K' : 'all activations at K = 400 and 1e-3'}`, () => {
    const bad: string[] = [];
    for (const c of cases1) {
      if (c.digits < 22 || !pick20(c)) continue;
      const a = c.power === 2 ? sq(ACTS[c.f]) : ACTS[c.f];
      const r = expect1Dec(a.dec, c.K!, { digits: 20, kinks: a.kinks });
      checkDec(c, r, 20, c.power === 2 ? M.abs(+c.value) : rms(c.f, c.K!), bad);
    }
    expect(bad).toEqual([]);
  });
  const pick40 = (c: Case) =>
    LONG
      ? ['relu', 'sign', 'erf', 'tanh', 'gelu', 'silu'].includes(c.f) && ['0.001', '1.5', '400'].includes(c.K!)
      : (['relu', 'sign', 'tanh', 'silu'].includes(c.f) && c.K === '400') || (c.f === 'erf' && c.power === 1 && c.K === '1.5');
  test(`40 digits: ${LONG ? 'relu, sign, erf, tanh, gelu, silu at K = 1e-3, 1.5, 400' : 'relu, sign, tanh, silu at K = 400, erf at 1.5'}; agrees with 20 digits`, () => {
    const bad: string[] = [];
    for (const c of cases1) {
      if (c.digits < 45 || !pick40(c)) continue;
      const a = c.power === 2 ? sq(ACTS[c.f]) : ACTS[c.f];
      const r40 = expect1Dec(a.dec, c.K!, { digits: 40, kinks: a.kinks });
      const s = c.power === 2 ? M.abs(+c.value) : rms(c.f, c.K!);
      checkDec(c, r40, 40, s, bad);
      const r20 = expect1Dec(a.dec, c.K!, { digits: 20, kinks: a.kinks });
      if (!(r40.value.minus(r20.value).abs().toNumber() <= 1e-20 * Math.max(M.abs(+c.value), 1e-5 * s))) bad.push(`${label(c)}: 20 vs 40 digits`);
    }
    expect(bad).toEqual([]);
  });
});

describe('Decimal, 2D, 20 digits', () => {
  // default: every unequal-variance / mixed pair (rho = 1 - 1e-30 and the erf K = 1000 corner
  // have their own tests below); the equal-variance pairs at K = 400 (rho = -0.3, 0.999999)
  // and K = 1e-3 (rho = 0.6); erf and gelu at one separable and one conditional case (rho = +-1
  // exactly: float64 and the edge cases). LONG: every case.
  const equalPick = (c: Case) =>
    SLOW.includes(c.f)
      ? (c.K11 === '1.5' && c.rho === '0.6' && c.f === 'erf') || (c.K11 === '0.001' && c.rho === '0.999999' && c.f === 'gelu')
      : (c.K11 === '400' && ['-0.3', '0.999999'].includes(c.rho!)) || (c.K11 === '0.001' && c.rho === '0.6');
  const pick = (c: Case) =>
    (c.digits >= 22 || M.abs(+c.value) < 1e-25) &&
    (LONG || (c.rho === undefined ? !['1.4999999999999999999999999999985', '999.999'].includes(c.K12!) : equalPick(c)));
  const groups: Record<string, Case[]> = {};
  for (const c of cases2.filter(pick)) (groups[c.f + '/' + c.g] ??= []).push(c);
  for (const [name, cs] of Object.entries(groups)) {
    test(`${name}: ${cs.length} cases`, () => {
      const bad: string[] = [];
      for (const c of cs) {
        const f = ACTS[c.f];
        const g = ACTS[c.g!];
        const r = expect2Dec(f.dec, g.dec, c.K11!, c.K12!, c.K22!, { digits: 20, kinksF: f.kinks, kinksG: g.kinks });
        checkDec(c, r, 20, rms(c.f, c.K11!) * rms(c.g!, c.K22!), bad);
      }
      expect(bad).toEqual([]);
    });
  }
});

describe('Decimal, 2D, 40 digits', () => {
  const SEL: [string, string, string][] = [
    ['relu', '1.5', '0.6'],
    ['sign', '0.5', '-0.3'],
    ...(LONG
      ? ([
          ['relu', '400', '0.999999'],
          ['relu2', '0.001', '0.999999'],
          ['sign', '30', '0.999999'],
          ['heaviside', '400', '0.6'],
          ['erf', '1.5', '0.6'],
          ['erf', '400', '-0.3'],
          ['gelu', '1.5', '0.6'],
        ] as [string, string, string][])
      : []),
  ];
  test(`closed-form and semi-closed cases${LONG ? '' : ' (kinked; smooth ones with FIELDPROP_LONG)'}; agree with 20 digits`, () => {
    const bad: string[] = [];
    for (const [name, K, rho] of SEL) {
      const c = cases2.find((x) => x.f === name && x.g === name && x.K11 === K && x.rho === rho);
      expect(c).toBeDefined();
      const a = ACTS[name];
      const s = rms(name, K) ** 2;
      const r40 = expect2Dec(a.dec, a.dec, c!.K11!, c!.K12!, c!.K22!, { digits: 40, kinksF: a.kinks, kinksG: a.kinks });
      checkDec(c!, r40, 40, s, bad);
      const r20 = expect2Dec(a.dec, a.dec, c!.K11!, c!.K12!, c!.K22!, { digits: 20, kinksF: a.kinks, kinksG: a.kinks });
      if (!(r40.value.minus(r20.value).abs().toNumber() <= 1e-20 * Math.max(M.abs(+c!.value), 1e-5 * s))) bad.push(`${label(c!)}: 20 vs 40 digits`);
    }
    expect(bad).toEqual([]);
  });
  test(`rho = 1 - 1e-30: relu at 40 digits, sign at ${LONG ? 40 : 25}, tanh at 25 (conditional rule, kinks near the crossing)`, () => {
    const bad: string[] = [];
    for (const c of cases2.filter((x) => x.K12 === '1.4999999999999999999999999999985')) {
      const f = ACTS[c.f];
      const digits = c.f === 'tanh' ? 25 : c.f === 'sign' && !LONG ? 25 : 40;
      const r = expect2Dec(f.dec, f.dec, c.K11!, c.K12!, c.K22!, { digits, kinksF: f.kinks, kinksG: f.kinks });
      checkDec(c, r, digits, rms(c.f, c.K11!) ** 2, bad);
    }
    expect(bad).toEqual([]);
  });
});

describe('edge cases', () => {
  const { relu, tanh, sign } = ACTS;
  test('rho = +-1 exactly equals the limit of rho -> +-1', () => {
    for (const s of [1, -1]) {
      const exact = expect2Dec(tanh.dec, tanh.dec, '2', s * 2, '2', { digits: 25 });
      expect(exact.method).toBe('1d');
      const near = expect2Dec(tanh.dec, tanh.dec, '2', new R(s * 2).times('0.99999999999999999999999999999999999999999999'), '2', { digits: 25 });
      expect(exact.value.minus(near.value).abs().toNumber()).toBeLessThan(1e-25);
    }
  });
  test('E[relu(u) relu(-u)] = 0 and E[sign(u) sign(v)] at rho = 0 vanish (absolute accuracy)', () => {
    expect(expect2Dec(relu.dec, relu.dec, 3, -3, 3, { digits: 30, kinksF: [0], kinksG: [0] }).value.isZero()).toBe(true);
    const r = expect2Dec(sign.dec, sign.dec, 3, 0, 1, { digits: 30, kinksF: [0], kinksG: [0] });
    expect(r.value.abs().toNumber()).toBeLessThan(1e-34);
    expect(M.abs(expect2F64(M.tanh, M.tanh, 2, 0, 5).value)).toBeLessThan(1e-14);
  });
  test('degenerate variances', () => {
    expect(expect1Dec(tanh.dec, 0, { digits: 20 }).value.toNumber()).toBe(0);
    const r = expect2Dec((x) => x.plus(1), tanh.dec, 0, 0, 1.5, { digits: 20 });
    const r1 = expect1Dec(tanh.dec, 1.5, { digits: 20 });
    expect(r.value.minus(r1.value).abs().toNumber()).toBeLessThan(1e-25);
    expect(expect2F64((x) => x + 1, (x) => x + 2, 0, 0, 0).value).toBe(2);
  });
  test('covariances: rounding just past |rho| = 1 is rho = +-1; clearly past it throws', () => {
    const a = expect2Dec(tanh.dec, tanh.dec, '2', new R('2').times('1.0000000000000000000000000000000001'), '2', { digits: 20 });
    expect(a.method).toBe('1d');
    expect(() => expect2Dec(tanh.dec, tanh.dec, 1, 1.1, 1, { digits: 20 })).toThrow(RangeError);
    expect(() => expect2F64(M.tanh, M.tanh, 1, 1.1, 1)).toThrow(RangeError);
    expect(() => expect1F64(M.tanh, -1)).toThrow(RangeError);
  });
  test('f is evaluated at digits + 10 significant digits', () => {
    const seen = new Set<number>();
    expect2Dec(
      (x) => {
        seen.add((x.constructor as DC).precision);
        return x;
      },
      tanh.dec,
      1,
      0.5,
      1,
      { digits: 22 },
    );
    expect([...seen]).toEqual([32]);
  });
});

describe('rule choice (cost model)', () => {
  test('separable for moderate correlations; conditional as sigma -> 0, sooner for large K', () => {
    const sig = (rho: number) => M.sqrt(1 - rho * rho);
    for (const dec of [true, false]) {
      expect(chooseRule(dec, false, false, sig(0.6), 1.2, 1.2)).toBe('separable');
      expect(chooseRule(dec, true, true, sig(0.6), 1.2, 1.2)).toBe('separable');
      expect(chooseRule(dec, false, false, sig(0.999999), 1.2, 1.2)).toBe('conditional');
      expect(chooseRule(dec, true, true, sig(0.999999), 1.2, 1.2)).toBe('conditional');
      // the previous fixed threshold (sigma sqrt K >= 0.04) took the separable rule here: 445 s
      expect(chooseRule(dec, false, false, sig(0.999999), M.sqrt(1000), M.sqrt(1000))).toBe('conditional');
    }
    // size cap (Decimal): no separable rule predicted above 20000 evaluations, even where the
    // conditional rule is predicted dearer (here ~50k against ~90k: sigma = 0.012, K22 = 1e4)
    expect(chooseRule(true, false, false, 0.012, 1, 100)).toBe('conditional');
    expect(chooseRule(true, false, false, 0.03, 1, 100)).toBe('separable');
    // float64: evaluations are cheap and pair weights are not: conditional sooner
    expect(chooseRule(false, false, false, sig(0.99), 1.2, 1.2)).toBe('conditional');
    expect(chooseRule(true, false, false, sig(0.99), 1.2, 1.2)).toBe('separable');
  });
  test('erf at K = 1000, rho = 0.999999 (sigma = 1.4e-3): conditional rule, 20 digits, a few thousand evaluations', () => {
    const c = cases2.find((x) => x.f === 'erf' && x.K11 === '1000' && x.K12 === '999.999');
    expect(c).toBeDefined();
    const a = ACTS.erf;
    const r = expect2Dec(a.dec, a.dec, c!.K11!, c!.K12!, c!.K22!, { digits: 20 });
    expect(r.method).toBe('conditional');
    expect(r.evaluations).toBeLessThan(10000);
    const bad: string[] = [];
    checkDec(c!, r, 20, rms('erf', '1000') ** 2, bad);
    expect(bad).toEqual([]);
    const r64 = expect2F64(a.f64, a.f64, 1000, 999.999, 1000);
    expect(r64.method).toBe('conditional');
    expect(M.abs(r64.value - +c!.value)).toBeLessThan(1e-12);
  });
  test('a forced rule gives the same value (separable and conditional agree near the crossover)', () => {
    const r = ACTS.relu;
    const a = expect2Dec(r.dec, r.dec, '2', '1.9', '2', { digits: 20, kinksF: [0], kinksG: [0], rule: 'separable' });
    const b = expect2Dec(r.dec, r.dec, '2', '1.9', '2', { digits: 20, kinksF: [0], kinksG: [0], rule: 'conditional' });
    expect([a.method, b.method]).toEqual(['separable', 'conditional']);
    expect(a.value.minus(b.value).abs().toNumber()).toBeLessThan(1e-20);
    for (const [f, kinks] of [[M.tanh, []], [r.f64, [0]]] as [(x: number) => number, number[]][]) {
      const c = expect2F64(f, f, 2, 1.9, 2, { kinksF: kinks, kinksG: kinks, rule: 'separable' });
      const d = expect2F64(f, f, 2, 1.9, 2, { kinksF: kinks, kinksG: kinks, rule: 'conditional' });
      expect([c.method, d.method]).toEqual(['separable', 'conditional']);
      expect(M.abs(c.value - d.value)).toBeLessThan(1e-13);
    }
  });
});
