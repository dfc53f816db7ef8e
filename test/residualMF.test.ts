/**
 * Mean-field residual networks (seed 000): rectified-power kernels and their identities against
 * mpmath (test/fixtures/make_rectified_power.py), the fast float64 recursion against the generic
 * quadrature recursion, every derived exponent and coefficient against the iterated recursion,
 * and the `exponents` command. FIELDPROP_LONG=1 adds 10^6-layer fits.
 */
import * as fs from 'fs';
import * as path from 'path';
import Decimal from 'decimal.js';
import {
  seriesW64, seriesWDec, angularW64, angularWDec, besselW64, besselWDec, diagonal64, mean64, rectifiedPowerTable,
} from '../src/quantities/rectifiedPower';
import {
  residualSpec, residualRecursion, iterate64, tanhMoments, tanhSech64, tanhPair64, eta, kernel64For,
} from '../src/quantities/residualMF';
import { analyseExponents, asymptoticCosine, FORMULAS, linearFit, Law, optimalVariance, reluMeanRates } from '../src/quantities/exponents';
import { Rng } from '../src/simulate/rng';
import { float64Interp } from '../src/interpret/numeric';
import { expect2F64, expect1F64 } from '../src/numeric/gaussian';
import { activation } from '../src/model/activation';
import { float64 } from '../src/numeric/field';
import { main } from '../src/cli/main';
import { InputError } from '../src/model/errors';

const LONG = !!process.env.FIELDPROP_LONG;
const fx = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'rectified_power.json'), 'utf8'));
const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);

describe('rectified-power kernels W_k(c) = E[max(0,u)^k max(0,v)^k] against mpmath', () => {
  test('Gamma series, angular integral and Bessel-K0 integral (float64), each against mpmath', () => {
    for (const { k, c, W } of fx.W as { k: string; c: string; W: string }[]) {
      const K = Number(k), C = Number(c), ref = Number(W);
      if (Math.abs(C) <= 0.9) expect(rel(seriesW64(K, C), ref)).toBeLessThan(2e-14);
      expect(rel(angularW64(K, Math.acos(C)), ref)).toBeLessThan(2e-14);
      expect(rel(besselW64(K, C), ref)).toBeLessThan(1e-10);
    }
  });
  test('Gamma series in decimal.js agrees with mpmath to 30 digits', () => {
    const D = Decimal.clone({ precision: 45 });
    for (const { k, c, W } of (fx.W as { k: string; c: string; W: string }[]).filter((w) => ['-0.7', '0.35', '0.8'].includes(w.c))) {
      const v = seriesWDec(D, k, c);
      expect(v.minus(W).abs().div(W).toNumber()).toBeLessThan(1e-30);
    }
  });
  test('Bessel-K0 identity in decimal.js agrees with mpmath to 18 digits', () => {
    const { k, c, W } = (fx.W as { k: string; c: string; W: string }[]).find((w) => w.k === '1.5' && w.c === '-0.7')!;
    const v = besselWDec(k, c, 18);
    expect(v.minus(W).abs().div(W).toNumber()).toBeLessThan(1e-18);
  });
  test('angular integral in decimal.js agrees with mpmath to 25 digits', () => {
    const D = Decimal.clone({ precision: 40 });
    const { k, c, W } = (fx.W as { k: string; c: string; W: string }[]).find((w) => w.k === '0.75' && w.c === '0.35')!;
    const v = angularWDec(k, D.acos(c), 25);
    expect(v.minus(W).abs().div(W).toNumber()).toBeLessThan(1e-24);
  });
  test('W_k(1) = 2^(k-1) Gamma(k+1/2)/sqrt(pi) and W_k(0) = E[max(0,z)^k]^2', () => {
    for (const { k, W1 } of fx.diag as { k: string; W1: string }[]) {
      expect(rel(diagonal64(Number(k)), Number(W1))).toBeLessThan(1e-14);
      expect(rel(angularW64(Number(k), 0), Number(W1))).toBeLessThan(1e-14);
    }
    for (const { k, c, W } of (fx.W as { k: string; c: string; W: string }[]).filter((w) => w.c === '0')) {
      expect(rel(mean64(Number(k)) ** 2, Number(W))).toBeLessThan(1e-14);
    }
  });
  test('derivative identity dW_k/dc = k^2 W_(k-1)(c) against mpmath and by Decimal finite differences', () => {
    for (const { k, c, dW } of fx.dW as { k: string; c: string; dW: string }[]) {
      const K = Number(k);
      expect(rel(K * K * angularW64(K - 1, Math.acos(Number(c))), Number(dW))).toBeLessThan(1e-11);
    }
    // An independent route in 50-digit arithmetic: central differences of the Gamma series.
    const D = Decimal.clone({ precision: 50 });
    for (const [k, c] of [['0.75', '0.4'], ['1.5', '-0.3'], ['2.5', '0.6']]) {
      const h = new D('1e-12');
      const diff = seriesWDec(D, k, new D(c).plus(h)).minus(seriesWDec(D, k, new D(c).minus(h))).div(h.times(2));
      const id = seriesWDec(D, new D(k).minus(1), c).times(new D(k).pow(2));
      expect(diff.minus(id).abs().div(id).toNumber()).toBeLessThan(1e-20);
    }
  });
  test('integer k: Cho & Saul arc-cosine closed form (activation closedForm) equals the angular integral', () => {
    for (const k of [1, 2, 3]) {
      const act = activation(`relu-power:${k}`);
      for (const c of [-0.9, -0.3, 0.2, 0.7, 0.99]) {
        // the symbolic J_3 loses ~4 digits to cancellation near theta = pi (c = -0.9: 7e-12)
        expect(rel(act.closedForm!.pair(float64, 1, c, 1), angularW64(k, Math.acos(c)))).toBeLessThan(c < -0.5 ? 2e-11 : 1e-13);
      }
    }
  });
  test('non-integer k: Gaussian quadrature of the definition equals the angular integral', () => {
    const f = (x: number) => (x > 0 ? Math.pow(x, 0.75) : 0);
    for (const c of [-0.5, 0.3, 0.8]) {
      const q = expect2F64(f, f, 2, 2 * c, 2, { kinksF: [0], kinksG: [0], tol: 1e-13 }).value;
      expect(rel(q, Math.pow(2, 0.75) * angularW64(0.75, Math.acos(c)))).toBeLessThan(1e-10);
    }
  });
  test('the interpolation table matches direct quadrature at random points', () => {
    for (const k of [0.3, 0.75]) {
      const T = rectifiedPowerTable(k);
      for (let i = 0; i < 25; i++) {
        const th = Math.PI * ((i * 0.6180339887) % 1);
        expect(Math.abs(T.f(th) - angularW64(k, th) / T.diag)).toBeLessThan(1e-9);
      }
    }
    const R = rectifiedPowerTable(1);
    for (const th of [1e-7, 1e-3, 0.5, 2]) {
      // 1 - f without cancellation: against the Decimal-free identity 1 - f = 1 - W_1(cos th) / (1/2)
      if (th > 1e-3) expect(Math.abs(R.oneMinusF(th) - (1 - 2 * angularW64(1, th)))).toBeLessThan(1e-14);
      else expect(rel(R.oneMinusF(th), th * th / 2 - th ** 3 / (3 * Math.PI))).toBeLessThan(1e-6);
    }
  });
});

describe('tanh kernels by moment series', () => {
  test('moments of sech^2 and of r = 1 - tanh (eta function) against mpmath', () => {
    const m = tanhMoments();
    fx.moments.S2.forEach((s: string, i: number) => expect(Math.abs(m.S2[i] - Number(s))).toBeLessThan(1e-14 * Math.max(1, Number(s))));
    fx.moments.M.forEach((s: string, i: number) => expect(rel(m.M[i], Number(s))).toBeLessThan(1e-14));
    expect(rel(eta(2), Math.PI ** 2 / 12)).toBeLessThan(1e-15);
  });
  test('E[sech^2] and E[sech^4] against mpmath', () => {
    for (const { q, sech2, sech4 } of fx.tanh_sech as { q: string; sech2: string; sech4: string }[]) {
      const s = tanhSech64(Number(q))!;
      expect(rel(s.s2, Number(sech2))).toBeLessThan(1e-14);
      expect(rel(s.s4, Number(sech4))).toBeLessThan(1e-14);
    }
  });
  test('E[tanh u tanh v]: series against adaptive quadrature over a grid of q and c; quadrature below q (1-c^2) = 32', () => {
    const K = kernel64For(activation('tanh'));
    for (const [q, c] of [[5, 0.6], [40, 0.3], [100, 0.9]]) {
      const ref = expect2F64(Math.tanh, Math.tanh, q, q * c, q, { tol: 1e-15 }).value;
      expect(Math.abs(K.V(q) - K.D(q, 1 - c) - ref)).toBeLessThan(1e-14);
    }
    for (const q of [35, 120, 3000]) {
      const e1 = expect1F64((x) => 1 / Math.cosh(x) ** 4, q, { tol: 1e-15 }).value;
      expect(Math.abs(tanhSech64(q)!.s4 - e1)).toBeLessThan(1e-16);
      for (const c of [-0.8, -0.1, 0.4, 0.85]) {
        const w = tanhPair64(q, 1 - c);
        if (!w) continue;
        const ref = expect2F64(Math.tanh, Math.tanh, q, q * c, q, { tol: 1e-15 }).value;
        expect(Math.abs(w[0] - ref)).toBeLessThan(2e-15);
      }
    }
  });
});

describe('the fast float64 recursion equals the generic recursion (quadrature / closed forms)', () => {
  const cases = [
    { act: 'tanh', arch: 'full', sv2: '1.3', sw2: '0.8', sa2: '0.2', sb2: '0.1', c0: '0.6' },
    { act: 'tanh', arch: 'reduced', sw2: '2', sb2: '0', c0: '-0.4' },
    { act: 'relu-power:0.75', arch: 'full', sv2: '1', sw2: '1.5', sa2: '0.1', sb2: '0.2', c0: '0.3' },
    { act: 'relu', arch: 'full', sv2: '2', sw2: '1', sa2: '0', sb2: '0.05', c0: '0.9' },
    // reduced with a non-odd phi: the neurons' common mean enters p and lambda
    { act: 'relu-power:0.75', arch: 'reduced', sw2: '1.5', sb2: '0.2', c0: '0.3' },
    { act: 'relu', arch: 'reduced', sw2: '1', sb2: '0.1', c0: '0.3' },
  ];
  test.each(cases)('%o: p, e and G over the first 40 layers', (c) => {
    const spec = residualSpec({ ...c, depth: 40 });
    const ref = residualRecursion(float64Interp, spec);
    const fast = iterate64(spec);
    for (let i = 0; i < fast.layer.length; i++) {
      const l = fast.layer[i];
      expect(rel(fast.logP[i], Math.log(ref.p[l]))).toBeLessThan(1e-12);
      // relu-power:k, k non-integer: W_k comes from a table interpolated to ~1e-10 (rectifiedPower.ts)
      expect(Math.abs(fast.oneMinusE[i] - (1 - ref.e[l]))).toBeLessThan(c.act === 'relu-power:0.75' ? 1e-9 : 1e-11);
      expect(rel(fast.G[i] as number, ref.G[l])).toBeLessThan(1e-10);
    }
  });
  test('relu-power:0.3 has no gradient (E[phi\'^2] diverges): G is null', () => {
    const s = iterate64(residualSpec({ act: 'relu-power:0.3', depth: 100 }));
    expect(s.G.every((g) => g === null)).toBe(true);
  });
  test('relu: exact rescaling keeps 10^4 layers finite (p ~ 1.5^l overflows float64 after ~1750 layers)', () => {
    const s = iterate64(residualSpec({ act: 'relu', depth: 10000, sb2: '0' }));
    // p^l = (1 + sv2 sw2 / 2)^l p^0 exactly when sb2 = sa2 = 0
    expect(rel(s.logP[s.logP.length - 1], 10000 * Math.log(1.5))).toBeLessThan(1e-13);
  });
});

describe('derived exponents and coefficients against the iterated recursion', () => {
  const depth = LONG ? 1_000_000 : 100_000;
  const check = (laws: Law[]) => {
    for (const l of laws) {
      if (l.derived === null) continue;
      // the extrapolated fit agrees with the derived exponent within twice its error estimate
      expect(Math.abs((l.extrapolated as number) - l.derived)).toBeLessThanOrEqual(2 * (l.error as number) + 1e-9);
      // and the error estimate is small enough to mean something
      expect(l.error as number).toBeLessThan(0.1 * Math.max(1, Math.abs(l.derived)));
    }
  };
  const cases = [
    { act: 'tanh', arch: 'full' },
    { act: 'tanh', arch: 'full', sv2: '1.5', sa2: '0.3', sb2: '0.5', sw2: '0.7' },
    { act: 'tanh', arch: 'reduced', sw2: '2', sb2: '0.1' },
    { act: 'relu', arch: 'full', sb2: '0.2' },
    { act: 'relu-power:0.75', arch: 'full', sa2: '0.5', sb2: '0.3' },
    { act: 'relu-power:0.6', arch: 'reduced' },
    { act: 'relu-power:0.3', arch: 'full' },
    // reduced with a mean: p ~ l^(2/(1-k)), 1 - e ~ l^(-2/(1-k)), G converges (k > 1/2); relu: exponential rates with r*
    { act: 'relu-power:0.75', arch: 'reduced', sb2: '0.1' },
    { act: 'relu-power:0.4', arch: 'reduced', sw2: '2' },
    { act: 'relu', arch: 'reduced', sb2: '0.1' },
  ];
  test.each(cases)('%o', (c) => {
    const a = analyseExponents(residualSpec({ ...c, depth }), { perDecade: 20 });
    expect(a.laws.map((l) => l.law)).toEqual(['length', 'distance', 'gradient']);
    check(a.laws);
  });
  test('gradient exponent of relu-power:k: the Gamma form k^2 W_(k-1)(1)/((1-k) W_k(1)) equals k^2/((1-k)(2k-1))', () => {
    for (const k of [0.55, 0.7, 0.9]) {
      const R = FORMULAS.powGradientExponent().value({ k, sv2: 1, sw2: 1, sa2: 0 });
      expect(rel(R, (k * k * diagonal64(k - 1)) / ((1 - k) * diagonal64(k)))).toBeLessThan(1e-13);
    }
  });
  test('coefficients: p ~ (sv2 + sa2) l and G ~ K sqrt(l) (tanh), p ~ C l^(1/(1-k)) (relu-power), 1 - e ~ C / l^2 (relu)', () => {
    const L = 100_000;
    const t = analyseExponents(residualSpec({ act: 'tanh', sv2: '1.5', sa2: '0.5', sw2: '0.7', depth: L }), { perDecade: 10 });
    const E = { k: 0, sv2: 1.5, sw2: 0.7, sa2: 0.5 };
    expect(rel(Math.exp(t.final.logP) / L, FORMULAS.tanhLengthCoefficient().value(E))).toBeLessThan(0.01);
    // G = K sqrt(l) + O(1): fit G against sqrt(l) over the last decade
    const s = t.samples;
    const idx = s.layer.map((l, i) => i).filter((i) => s.layer[i] >= L / 10);
    const fit = linearFit(idx.map((i) => Math.sqrt(s.layer[i])), idx.map((i) => s.G[i] as number));
    expect(rel(fit.slope, FORMULAS.tanhGradientCoefficient().value(E))).toBeLessThan(0.005);
    const r = analyseExponents(residualSpec({ act: 'relu-power:0.75', sw2: '2', sv2: '0.5', depth: L }), { perDecade: 10 });
    const C = FORMULAS.powLengthCoefficient().value({ k: 0.75, sv2: 0.5, sw2: 2, sa2: 0 });
    expect(rel(Math.exp(r.final.logP) / L ** 4, C)).toBeLessThan(0.01);
    const u = analyseExponents(residualSpec({ act: 'relu', sv2: '1', sw2: '2', depth: 20000 }), { perDecade: 10 });
    const Cr = FORMULAS.reluDistanceCoefficient().value({ k: 1, sv2: 1, sw2: 2, sa2: 0 });
    expect(rel((1 - u.final.cosine) * 20000 ** 2, Cr)).toBeLessThan(0.01);
  });
  test('reduced network with a mean: p ~ C l^(2/(1-k)) with C = ((1-k) M_k sw2^(k/2))^(2/(1-k)), G^inf - G^l ~ B / l', () => {
    const L = 100_000;
    const r = analyseExponents(residualSpec({ act: 'relu-power:0.75', arch: 'reduced', sw2: '2', depth: L }), { perDecade: 10 });
    const E = { k: 0.75, sv2: 1, sw2: 2, sa2: 0 };
    expect(rel(Math.exp(r.final.logP) / L ** 8, FORMULAS.meanLengthCoefficient().value(E))).toBeLessThan(0.01);
    // the mean itself: m ~ sqrt(C) l^(1/(1-k))
    const s = r.samples;
    expect(rel(Math.exp(s.logM[s.logM.length - 1] as number) / L ** 4, Math.sqrt(FORMULAS.meanLengthCoefficient().value(E)))).toBeLessThan(0.01);
    // B from the increments of G over the last decade: (G^L - G^(L/10)) = B (10/L - 1/L)
    const i10 = s.layer.indexOf(L / 10);
    const B = ((s.G[s.G.length - 1] as number) - (s.G[i10] as number)) / (10 / L - 1 / L);
    expect(rel(B, FORMULAS.meanGradientCoefficient().value(E))).toBeLessThan(0.01);
  });
  test('reduced relu with a mean: r* solves its cubic, and m/sqrt(p) tends to it', () => {
    const s = iterate64(residualSpec({ act: 'relu', arch: 'reduced', sw2: '1.3', sb2: '0', depth: 2000 }));
    const { rStar } = reluMeanRates(1.3);
    const last = s.layer.length - 1;
    expect(Math.abs(Math.exp((s.logM[last] as number) - s.logP[last] / 2) - rStar)).toBeLessThan(1e-10);
  });
  test('e* is a fixed point of the asymptotic map, computed independently of the table', () => {
    for (const k of [0.3, 0.6, 0.75]) {
      const { eStar, slope } = asymptoticCosine(residualSpec({ act: `relu-power:${k}` }));
      expect(Math.abs(angularW64(k, Math.acos(eStar)) / diagonal64(k) - eStar)).toBeLessThan(1e-9);
      // slope by central differences of the angular integral
      const h = 1e-5;
      const fd = (angularW64(k, Math.acos(eStar + h)) - angularW64(k, Math.acos(eStar - h))) / (2 * h) / diagonal64(k);
      expect(rel(slope as number, fd)).toBeLessThan(1e-6);
    }
    const t = asymptoticCosine(residualSpec({ act: 'tanh', sv2: '1', sa2: '1' }));
    expect(Math.abs((2 / Math.PI) * Math.asin(t.eStar) + 1 - 2 * t.eStar)).toBeLessThan(1e-14);
  });
});

describe('depth-dependent variance sw2*(L) (tanh): ln(chi^0/chi^L) = target', () => {
  test('exponent -1: fitted over L = 10^2..10^4, L sw2* converges like 1/L, and the generic recursion confirms the target', () => {
    const spec = residualSpec({ act: 'tanh', sv2: '1.5', sa2: '0.3', sb2: '0.2', depth: 10000 });
    const ov = optimalVariance(spec, 3);
    expect(Math.abs(ov.fitted - -1)).toBeLessThanOrEqual(ov.error);
    expect(ov.error).toBeLessThan(0.2);
    const [a, b, c] = ov.scaled;
    expect(Math.abs(c - b)).toBeLessThan(0.25 * Math.abs(b - a));
    // independent: the quadrature recursion at depth 100 with sw2 = sw2*(100) explodes by exactly the target
    const ref = residualRecursion(float64Interp, residualSpec({ act: 'tanh', sv2: '1.5', sa2: '0.3', sb2: '0.2', sw2: String(ov.sw2[0]), depth: 100 }));
    expect(Math.abs(ref.G[100] - 3)).toBeLessThan(1e-8);
  });
  test('bad input', () => {
    expect(() => optimalVariance(residualSpec({ act: 'relu' }), 3)).toThrow(/--target: .*tanh only/);
    expect(() => optimalVariance(residualSpec({ act: 'tanh' }), -1)).toThrow(/--target: must be a real number > 0/);
  });
});

describe('fieldprop exponents', () => {
  async function run(argv: string[]) {
    let out = '', err = '';
    const code = await main(argv, { out: (s) => (out += s), err: (s) => (err += s) });
    return { code, out, err };
  }
  test('--json: the three laws with derived and fitted exponents as decimal strings', async () => {
    const r = await run(['exponents', '--act', 'relu-power:0.75', '--arch', 'reduced', '--sw2', '2', '--depth', '20000', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.network).toMatchObject({ arch: 'reduced', act: 'relu-power:0.75', sw2: '2', depth: 20000 });
    expect(j.laws.map((l: { law: string }) => l.law)).toEqual(['length', 'distance', 'gradient']);
    expect(j.laws[0].derived).toBe('8');
    expect(j.laws[2].derived).toBe('-1');
    for (const l of j.laws) for (const k of ['fitted', 'extrapolated', 'error']) expect(typeof l[k]).toBe('string');
  });
  test('--target adds sw2*(L) to the JSON', async () => {
    const r = await run(['exponents', '--act', 'tanh', '--depth', '10000', '--target', '2', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.optimal_variance.depths).toEqual([100, 1000, 10000]);
    expect(j.optimal_variance.sw2).toHaveLength(3);
    expect(j.optimal_variance.derived).toBe('-1');
  });
  test('readable table', async () => {
    const r = await run(['exponents', '--act', 'tanh', '--depth', '10000']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/law\s+form\s+derived/);
    expect(r.out).toMatch(/gradient\s+power\s+0\.5/);
    expect(r.out).not.toMatch(/NaN/);
  });
  const bad: [string[], RegExp][] = [
    [['--act', 'relu-power:1.5'], /--act: relu-power:k needs 0 < k <= 1/],
    [['--act', 'erf'], /--act: .*tanh and relu-power/],
    [['--arch', 'deep'], /--arch: must be "reduced" or "full"/],
    [['--depth', '500'], /--depth: .*10\^4\.\.10\^7/],
    [['--c0', '1'], /--c0: must be in \[-1, 1\)/],
    [['--sw2', '0'], /--sw2: must be > 0/],
    [['--sa2', '-1'], /--sa2: must be >= 0/],
    [['--target', 'x'], /--target: expected a real number/],
    [['--act', 'relu', '--target', '2'], /--target: .*tanh only/],
    [['--arch', 'reduced', '--sv2', '2'], /--sv2: the reduced network has no V/],
  ];
  test.each(bad)('bad input %p: one line, exit code 2', async (argv, re) => {
    const r = await run(['exponents', ...argv]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(re);
    expect(r.err.trim().split('\n')).toHaveLength(1);
  });
  test('inputs at the fixed point (tanh, c0 = e* = 0) have no distance law to fit; pre-asymptotic depths warn', async () => {
    const a = analyseExponents(residualSpec({ act: 'tanh', c0: '0', depth: 10000 }), { perDecade: 10 });
    const d = a.laws.find((l) => l.law === 'distance')!;
    expect(d.fitted).toBeNull();
    expect(d.note).toMatch(/no distance dynamics/);
    expect(a.warnings).toEqual([]);
    const r = await run(['exponents', '--act', 'relu-power:0.75', '--sw2', '1e-6', '--depth', '10000', '--json']);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/warning: p\^L = .* pre-asymptotic/);
    expect(JSON.parse(r.out).warnings).toHaveLength(1);
  });
  test('InputError from the API', () => {
    expect(() => residualSpec({ q0: '0' })).toThrow(InputError);
  });
});

describe('reduced relu network x + relu(W x + b) against a finite-width simulation (its mean included)', () => {
  test('width 1000, 12 layers, 8 networks: E[p^12] matches the recursion with the mean; without it the recursion is ~40x too small', () => {
    const N = 1000, L = 12, sw2 = 1, sb2 = 0.1, c0 = 0.3, nets = 8;
    const ps: number[] = [], ms: number[] = [], es: number[] = [];
    for (let n = 0; n < nets; n++) {
      const rng = Rng.stream(20261207, n);
      // two inputs with |x|^2 / N = 1 and cosine c0 exactly
      const u = new Float64Array(N), v = new Float64Array(N);
      for (let i = 0; i < N; i++) { u[i] = rng.normal(); v[i] = rng.normal(); }
      const dot = (a: Float64Array, b: Float64Array) => { let s = 0; for (let i = 0; i < N; i++) s += a[i] * b[i]; return s; };
      const uu = dot(u, u), uv = dot(u, v);
      for (let i = 0; i < N; i++) v[i] -= (uv / uu) * u[i];
      const vv = dot(v, v);
      const x1 = new Float64Array(N), x2 = new Float64Array(N);
      for (let i = 0; i < N; i++) {
        x1[i] = u[i] * Math.sqrt(N / uu);
        x2[i] = c0 * x1[i] + Math.sqrt(1 - c0 * c0) * v[i] * Math.sqrt(N / vv);
      }
      const h1 = new Float64Array(N), h2 = new Float64Array(N);
      const sd = Math.sqrt(sw2 / N), sbd = Math.sqrt(sb2);
      for (let l = 1; l <= L; l++) {
        for (let i = 0; i < N; i++) {
          let a = 0, b = 0;
          for (let j = 0; j < N; j++) { const w = sd * rng.normal(); a += w * x1[j]; b += w * x2[j]; }
          const bias = sbd * rng.normal();
          h1[i] = a + bias;
          h2[i] = b + bias;
        }
        for (let i = 0; i < N; i++) { x1[i] += Math.max(0, h1[i]); x2[i] += Math.max(0, h2[i]); }
      }
      let p = 0, m = 0, lam = 0;
      for (let i = 0; i < N; i++) { p += x1[i] * x1[i]; m += x1[i]; lam += x1[i] * x2[i]; }
      ps.push(p / N); ms.push(m / N); es.push(lam / p);
    }
    const stats = (xs: number[]) => {
      const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
      const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1));
      return { mean, se: sd / Math.sqrt(xs.length) };
    };
    const spec = residualSpec({ act: 'relu', arch: 'reduced', sw2: String(sw2), sb2: String(sb2), c0: String(c0), depth: L });
    const ref = residualRecursion(float64Interp, spec);
    const P = stats(ps), M = stats(ms), Ecos = stats(es);
    expect(Math.abs(P.mean - ref.p[L])).toBeLessThan(4 * P.se);
    expect(Math.abs(M.mean - ref.m[L])).toBeLessThan(4 * M.se);
    expect(Math.abs(Ecos.mean - ref.e[L])).toBeLessThan(4 * Ecos.se + 0.01);
    // the recursion without the mean (the full network with sv2 = 1, sa2 = 0 adds no mean) is rejected
    const noMean = residualRecursion(float64Interp, residualSpec({ act: 'relu', arch: 'full', sw2: String(sw2), sb2: String(sb2), c0: String(c0), depth: L }));
    expect(P.mean / noMean.p[L]).toBeGreaterThan(20);
    expect(Math.abs(P.mean - noMean.p[L])).toBeGreaterThan(20 * P.se);
  });
});

describe('fieldprop exponents --trajectory', () => {
  test('the sampled layers with ln p, e, G and ln m; the reduced relu network carries a mean', async () => {
    let out = '';
    const code = await main(['exponents', '--act', 'relu', '--arch', 'reduced', '--depth', '10000', '--trajectory', '--json'], { out: (s) => (out += s), err: () => undefined });
    expect(code).toBe(0);
    const t = JSON.parse(out).trajectory;
    expect(t.layer[0]).toBe(0);
    expect(t.layer[t.layer.length - 1]).toBe(10000);
    for (const k of ['ln_p', 'cosine', 'one_minus_e', 'G', 'ln_m']) expect(t[k]).toHaveLength(t.layer.length);
    expect(t.ln_m[0]).toBeNull();
    // m^1 = E[relu(u)], u ~ N(0, sw2 q0 + sb2) = N(0, 1): 1/sqrt(2 pi)
    expect(Math.abs(Number(t.ln_m[1]) - Math.log(1 / Math.sqrt(2 * Math.PI)))).toBeLessThan(1e-11);
  });
});

describe('fieldprop exponents --net', () => {
  const os = require('os') as typeof import('os');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fieldprop-exp-net-'));
  const write = (name: string, json: unknown) => {
    const p = path.join(dir, name);
    fs.writeFileSync(p, JSON.stringify(json));
    return p;
  };
  const go = async (argv: string[]) => {
    let out = '', err = '';
    const code = await main(argv, { out: (s) => (out += s), err: (s) => (err += s) });
    return { code, out, err };
  };
  const strip = (s: string) => {
    const j = JSON.parse(s);
    delete j.seconds;
    return j;
  };
  test('the reduced and the full network as descriptions print what their flags print', async () => {
    const reduced = write('reduced.json', { inputs: { q0: 1, c0: 0.3 }, layers: [{ repeat: 20000, layers: [{ residual: { alpha: 1, branch: [{ dense: { sw2: 2, sb2: 0.1 } }, { act: 'relu-power:0.75' }] } }] }] });
    const a = await go(['exponents', '--net', reduced, '--json']);
    const b = await go(['exponents', '--act', 'relu-power:0.75', '--arch', 'reduced', '--sw2', '2', '--sb2', '0.1', '--q0', '1', '--c0', '0.3', '--depth', '20000', '--json']);
    expect(a.code).toBe(0);
    expect(strip(a.out)).toEqual(strip(b.out));
    const full = write('full.json', { inputs: { q0: 1, c0: 0.6 }, layers: [{ repeat: 10000, layers: [{ residual: { alpha: 1, branch: [{ dense: { sw2: 1, sb2: 0 } }, { act: 'tanh' }, { dense: { sw2: 1.5, sb2: 0.2 } }] } }] }] });
    const c = await go(['exponents', '--net', full, '--json']);
    const d = await go(['exponents', '--act', 'tanh', '--arch', 'full', '--sw2', '1', '--sb2', '0', '--sv2', '1.5', '--sa2', '0.2', '--q0', '1', '--c0', '0.6', '--depth', '10000', '--json']);
    expect(c.code).toBe(0);
    expect(strip(c.out)).toEqual(strip(d.out));
  });
  test('other descriptions and flags beside --net: one line, exit 2', async () => {
    const scaled = write('scaled.json', { inputs: { q0: 1, c0: 0.3 }, layers: [{ repeat: 20000, layers: [{ residual: { alpha: 0.5, branch: [{ dense: { sw2: 2 } }, { act: 'tanh' }] } }] }] });
    const r = await go(['exponents', '--net', scaled]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/layers\[0\]\.repeat\.layers\[0\]\.residual: exponents covers .*alpha = 1/);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    const s = await go(['exponents', '--net', scaled, '--arch', 'full']);
    expect(s.code).toBe(2);
    expect(s.err).toMatch(/--net: replaces --arch/);
  });
});
