import * as fs from 'fs';
import * as path from 'path';
import Decimal from 'decimal.js';
import { gaussHermite, gaussHermite64, gaussHermiteProb, gaussHermiteProb64 } from '../src/numeric/gaussHermite';

// Reference rules: test/fixtures/make_special.py (mpmath gauss_quadrature, Newton-polished).
interface GHFixture {
  n: number;
  digits: number;
  nodes: string[];
  weights: string[];
  probNodes: string[];
  probWeights: string[];
}
interface GH64Fixture {
  n: number;
  nodes: string[];
  weights: string[];
}
const fx = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'special.json'), 'utf8')) as {
  gaussHermite: GHFixture[];
  gaussHermite64: GH64Fixture[];
};

const R = Decimal.clone({ precision: 400 });

function relErr(v: Decimal.Value, ref: Decimal.Value): Decimal {
  const r = new R(ref);
  const d = new R(v).minus(r).abs();
  return r.isZero() ? d : d.div(r.abs());
}

/** (2k-1)!! */
function doubleFactorial(k: number): Decimal {
  let f = new R(1);
  for (let j = 2 * k - 1; j > 1; j -= 2) f = f.times(j);
  return f;
}

/** sum_i w_i x_i^p in high precision */
function moment(nodes: Decimal[], weights: Decimal[], p: number): Decimal {
  let s = new R(0);
  for (let i = 0; i < nodes.length; i++) s = s.plus(new R(weights[i]).times(new R(nodes[i]).pow(p)));
  return s;
}

describe('gaussHermite (Decimal)', () => {
  test.each(fx.gaussHermite.map((f) => [f.n, f.digits, f] as const))(
    'n = %i, %i digits against mpmath',
    (n, digits, f) => {
      const tol = new R(10).pow(1 - digits);
      for (const prob of [false, true]) {
        const rule = prob ? gaussHermiteProb(n, digits) : gaussHermite(n, digits);
        const refX = prob ? f.probNodes : f.nodes;
        const refW = prob ? f.probWeights : f.weights;
        expect(rule.nodes.length).toBe(n);
        expect(rule.weights.length).toBe(n);
        const bad: string[] = [];
        for (let i = 0; i < n; i++) {
          const x = rule.nodes[i];
          const w = rule.weights[i];
          expect((x.constructor as typeof Decimal).precision).toBe(digits);
          expect((w.constructor as typeof Decimal).precision).toBe(digits);
          if (new R(refX[i]).isZero()) {
            if (!x.isZero()) bad.push(`node ${i} = ${x.toString()} should be 0`);
          } else if (!relErr(x, refX[i]).lte(tol)) bad.push(`node ${i}: ${x.toString()} vs ${refX[i]}`);
          if (!relErr(w, refW[i]).lte(tol)) bad.push(`weight ${i}: ${w.toString()} vs ${refW[i]}`);
        }
        expect(bad).toEqual([]);
      }
    },
  );

  test('ascending, symmetric, rounded to `digits`', () => {
    for (const [n, digits] of [
      [7, 25],
      [16, 40],
    ]) {
      const { nodes, weights } = gaussHermite(n, digits);
      for (let i = 0; i < n; i++) {
        if (i > 0) expect(nodes[i].gt(nodes[i - 1])).toBe(true);
        expect(nodes[i].eq(nodes[n - 1 - i].neg())).toBe(true);
        expect(weights[i].eq(weights[n - 1 - i])).toBe(true);
        expect(weights[i].gt(0)).toBe(true);
        expect(nodes[i].sd()).toBeLessThanOrEqual(digits);
        expect(weights[i].sd()).toBeLessThanOrEqual(digits);
      }
    }
  });

  test('exactness: E[Z^(2k)] = (2k-1)!! for 2k < 2n; error n! at 2k = 2n', () => {
    for (const [n, digits] of [
      [5, 30],
      [12, 50],
      [30, 60],
    ]) {
      const { nodes, weights } = gaussHermiteProb(n, digits);
      const tol = new R(10).pow(2 - digits);
      for (let k = 0; k < n; k++) {
        const m = moment(nodes, weights, 2 * k);
        expect(relErr(m, doubleFactorial(k)).lte(tol)).toBe(true);
        expect(moment(nodes, weights, 2 * k + 1).abs().lte(tol)).toBe(true);
      }
      // degree 2n is not integrated exactly: the Gauss error for Z^(2n) is n!
      // (= E[He_n(Z)^2]), i.e. the rule gives (2n-1)!! - n!
      let nf = new R(1);
      for (let j = 2; j <= n; j++) nf = nf.times(j);
      const m2n = moment(nodes, weights, 2 * n);
      // (relative error of the difference is amplified by (2n-1)!!/n!)
      const tol2 = tol.times(doubleFactorial(n)).div(nf);
      expect(relErr(doubleFactorial(n).minus(m2n), nf).lte(tol2)).toBe(true);
    }
  });

  test('physicists\' moments: int x^(2k) e^{-x^2} dx = Gamma(k + 1/2)', () => {
    const n = 20;
    const digits = 45;
    const { nodes, weights } = gaussHermite(n, digits);
    const sqrtPi = R.acos(-1).sqrt();
    const tol = new R(10).pow(2 - digits);
    for (let k = 0; k < n; k++) {
      const ref = doubleFactorial(k).times(sqrtPi).div(new R(2).pow(k));
      expect(relErr(moment(nodes, weights, 2 * k), ref).lte(tol)).toBe(true);
    }
  });

  test('sum of weights = 1 (prob) and sqrt(pi) (phys)', () => {
    const sqrtPi = R.acos(-1).sqrt();
    for (const [n, digits] of [
      [1, 20],
      [2, 30],
      [33, 80],
      [64, 100],
    ]) {
      const tol = new R(10).pow(1 - digits);
      const sp = gaussHermiteProb(n, digits).weights.reduce((a, w) => a.plus(w), new R(0));
      expect(sp.minus(1).abs().lte(tol)).toBe(true);
      const s = gaussHermite(n, digits).weights.reduce((a, w) => a.plus(w), new R(0));
      expect(relErr(s, sqrtPi).lte(tol)).toBe(true);
    }
  });

  test('n = 100 at 50 digits in well under 2 s; n = 200 at 100 digits', () => {
    let t = Date.now();
    const r = gaussHermiteProb(100, 50);
    const dt = Date.now() - t;
    expect(dt).toBeLessThan(2000);
    expect(r.nodes.length).toBe(100);
    expect(relErr(moment(r.nodes, r.weights, 60), doubleFactorial(30)).lte('1e-48')).toBe(true);

    t = Date.now();
    const big = gaussHermiteProb(200, 100);
    expect(Date.now() - t).toBeLessThan(10000);
    const tol = new R(10).pow(-97);
    for (const k of [0, 1, 10, 100, 199]) {
      expect(relErr(moment(big.nodes, big.weights, 2 * k), doubleFactorial(k)).lte(tol)).toBe(true);
    }
  });

  test('cached, shared and frozen', () => {
    const a = gaussHermite(9, 33);
    expect(gaussHermite(9, 33)).toBe(a);
    expect(gaussHermiteProb(9, 33)).not.toBe(a);
    expect(Object.isFrozen(a.nodes)).toBe(true);
    expect(() => {
      (a.nodes as Decimal[]).push(new Decimal(1));
    }).toThrow(TypeError);
    expect(gaussHermite(9, 34)).not.toBe(a);
  });

  test('agrees with the float64 rule', () => {
    const n = 64;
    const d = gaussHermite(n, 40);
    const f = gaussHermite64(n);
    for (let i = 0; i < n; i++) {
      expect(Math.abs(d.nodes[i].toNumber() - f.nodes[i])).toBeLessThanOrEqual(2e-16 * Math.abs(f.nodes[i]));
      expect(Math.abs(d.weights[i].toNumber() / f.weights[i] - 1)).toBeLessThan(1e-15);
    }
  });

  test('argument checking', () => {
    expect(() => gaussHermite(0, 20)).toThrow(RangeError);
    expect(() => gaussHermite(2.5, 20)).toThrow(RangeError);
    expect(() => gaussHermite(5, 0)).toThrow(RangeError);
    expect(() => gaussHermite64(-1)).toThrow(RangeError);
    expect(() => gaussHermiteProb64(0)).toThrow(RangeError);
  });
});

describe('gaussHermite64', () => {
  test.each(fx.gaussHermite64.map((f) => [f.n, f] as const))('n = %i against mpmath', (n, f) => {
    const rule = gaussHermite64(n);
    expect(rule.nodes.length).toBe(n);
    let worstX = 0;
    let worstW = 0;
    for (let i = 0; i < n; i++) {
      const x = Number(f.nodes[i]);
      const w = Number(f.weights[i]);
      worstX = Math.max(worstX, x === 0 ? Math.abs(rule.nodes[i]) : Math.abs(rule.nodes[i] / x - 1));
      worstW = Math.max(worstW, Math.abs(rule.weights[i] / w - 1));
    }
    // nodes and weights (also the tiny outer ones) to ~1 ulp
    expect(worstX).toBeLessThan(5e-16);
    expect(worstW).toBeLessThan(2e-15);
  });

  test('probabilists\' rule: weights sum to 1, moments (2k-1)!!', () => {
    for (const n of [1, 2, 3, 10, 31, 100, 200, 300]) {
      const { nodes, weights } = gaussHermiteProb64(n);
      expect(nodes.length).toBe(n);
      let s = 0;
      for (const w of weights) s += w;
      expect(Math.abs(s - 1)).toBeLessThan(1e-14);
      for (let i = 1; i < n; i++) expect(nodes[i]).toBeGreaterThan(nodes[i - 1]);
      for (let i = 0; i < n; i++) expect(nodes[i] + nodes[n - 1 - i]).toBe(0);
      for (let k = 1; k < Math.min(n, 15); k++) {
        let m = 0;
        for (let i = 0; i < n; i++) m += weights[i] * nodes[i] ** (2 * k);
        expect(Math.abs(m / doubleFactorial(k).toNumber() - 1)).toBeLessThan(1e-13);
      }
    }
  });

  test('E[f(Z)] for a smooth f converges', () => {
    // E[cos Z] = e^{-1/2}
    const { nodes, weights } = gaussHermiteProb64(40);
    let s = 0;
    for (let i = 0; i < nodes.length; i++) s += weights[i] * Math.cos(nodes[i]);
    expect(Math.abs(s - Math.exp(-0.5))).toBeLessThan(1e-15);
  });

  test('large n: no overflow; underflowing weights are dropped', () => {
    const r300 = gaussHermite64(300);
    expect(r300.nodes.length).toBe(300);
    expect(Math.min(...r300.weights)).toBeGreaterThan(0);
    const r = gaussHermiteProb64(600);
    expect(r.nodes.length).toBeLessThan(600);
    expect(r.nodes.length % 2).toBe(0);
    let s = 0;
    for (const w of r.weights) {
      expect(w).toBeGreaterThanOrEqual(2.2250738585072014e-308);
      s += w;
    }
    expect(Math.abs(s - 1)).toBeLessThan(1e-14);
    let m4 = 0;
    for (let i = 0; i < r.nodes.length; i++) m4 += r.weights[i] * r.nodes[i] ** 4;
    expect(Math.abs(m4 - 3)).toBeLessThan(1e-13);
  });

  test('cached and shared', () => {
    expect(gaussHermite64(17)).toBe(gaussHermite64(17));
    expect(gaussHermiteProb64(17)).toBe(gaussHermiteProb64(17));
  });
});
