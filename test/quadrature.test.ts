/**
 * Double-exponential quadrature (src/numeric/quadrature.ts): exact integrals with endpoint
 * singularities, infinite ranges and breakpoints, in float64 and at 30/50 digits; the error
 * estimate must bound the true error (within a factor 10) and must not be vacuous; Gauss–Hermite
 * rules reproduce Gaussian moments.
 */
import Decimal from 'decimal.js';
import { integrateDec, integrate64, gaussHermite64, gaussHermiteDec, decContext, levelEstimate } from '../src/numeric/quadrature';

const R = decContext(80);
const PI = R.acos(-1);

type DecCase = {
  name: string;
  f: (x: Decimal) => Decimal;
  a: number | Decimal;
  b: number | Decimal;
  exact: Decimal;
  breakpoints?: number[];
  tails?: 'de' | 'gaussian';
};

const one = (x: Decimal) => new (x.constructor as typeof Decimal)(1);
const DEC_CASES: DecCase[] = [
  { name: 'exp on [0, 1]', f: (x) => x.exp(), a: 0, b: 1, exact: R.exp(1).minus(1) },
  { name: 'sqrt on [0, 1] (endpoint branch point)', f: (x) => x.sqrt(), a: 0, b: 1, exact: new R(2).div(3) },
  { name: 'log on [0, 1] (endpoint log singularity)', f: (x) => (x.isZero() ? x : x.ln()), a: 0, b: 1, exact: new R(-1) },
  { name: '1/sqrt(x) on [0, 4] (integrable singularity)', f: (x) => one(x).div(x.sqrt()), a: 0, b: 4, exact: new R(4) },
  { name: '1/(1+x^2) on R (sinh-sinh)', f: (x) => one(x).div(x.times(x).plus(1)), a: -Infinity, b: Infinity, exact: PI },
  { name: 'exp(-x) on [0, inf) (exp-sinh)', f: (x) => x.neg().exp(), a: 0, b: Infinity, exact: new R(1) },
  { name: 'x^2 exp(-x^2/2) on R, gaussian tails', f: (x) => x.times(x).times(x.times(x).div(-2).exp()), a: -Infinity, b: Infinity, exact: PI.times(2).sqrt(), tails: 'gaussian' },
  { name: 'exp(-x^2/2) on (-inf, 1], gaussian tails', f: (x) => x.times(x).div(-2).exp(), a: -Infinity, b: 1, exact: PI.times(2).sqrt().times(phiCdf(new R(1))), tails: 'gaussian' },
  { name: '|x| on [-1, 2] with a breakpoint at 0', f: (x) => x.abs(), a: -1, b: 2, exact: new R(2.5), breakpoints: [0] },
  { name: 'max(0, x - 0.3)^(1/2) on [-1, 1], breakpoint at 0.3', f: (x) => (x.gt(0.3) ? x.minus(0.3).sqrt() : x.times(0)), a: -1, b: 1, exact: new R(0.7).pow(1.5).times(2).div(3), breakpoints: [0.3] },
  { name: 'reversed limits: exp on [1, 0]', f: (x) => x.exp(), a: 1, b: 0, exact: R.exp(1).minus(1).neg() },
];

/** Phi(z) = (1 + erf(z / sqrt 2)) / 2 by its Taylor series (test helper, |z| small). */
function phiCdf(z: Decimal): Decimal {
  const x = z.div(R.sqrt(2));
  let term = x;
  let sum = x;
  const x2 = x.times(x);
  for (let n = 1; n < 400; n++) {
    term = term.times(x2).neg().div(n);
    sum = sum.plus(term.div(2 * n + 1));
  }
  return sum.times(2).div(PI.sqrt()).plus(1).div(2);
}

describe('integrateDec', () => {
  for (const digits of [30, 50]) {
    for (const c of DEC_CASES) {
      test(`${c.name} at ${digits} digits`, () => {
        const r = integrateDec(c.f, c.a, c.b, { digits, breakpoints: c.breakpoints, tails: c.tails });
        const err = new R(r.value).minus(c.exact).abs().toNumber();
        const scale = c.exact.abs().toNumber();
        expect(err).toBeLessThanOrEqual(scale * 10 ** -digits);
        // honest and meaningful error estimate
        expect(err).toBeLessThanOrEqual(10 * r.error + scale * 10 ** -(digits + 6));
        expect(r.error).toBeLessThanOrEqual(scale * 10 ** -(digits + 1));
      });
    }
  }

  test('the integrand receives Decimals at digits + guard precision', () => {
    let seen = 0;
    integrateDec(
      (x) => {
        seen = (x.constructor as typeof Decimal).precision;
        return x;
      },
      0,
      1,
      { digits: 25 },
    );
    expect(seen).toBe(35);
  });

  test('an unsplit kink converges algebraically; the estimate stays honest', () => {
    const r = integrateDec((x) => x.abs(), -1, 2, { digits: 30, maxLevel: 7 });
    const err = new R(r.value).minus(2.5).abs().toNumber();
    expect(err).toBeGreaterThan(1e-12); // not converged at level 7 ...
    expect(err).toBeLessThanOrEqual(10 * r.error); // ... and it says so
  });

  test('agrees with itself at more digits', () => {
    const g = (x: Decimal) => x.times(x).neg().exp().times(x.times(3).cos());
    const r20 = integrateDec(g, -Infinity, Infinity, { digits: 20, tails: 'gaussian' });
    const r40 = integrateDec(g, -Infinity, Infinity, { digits: 40, tails: 'gaussian' });
    const exact = PI.sqrt().times(new R(-9).div(4).exp()); // int exp(-x^2) cos(3x) = sqrt(pi) e^{-9/4}
    expect(new R(r40.value).minus(exact).abs().toNumber()).toBeLessThan(1e-40);
    expect(new R(r20.value).minus(r40.value).abs().toNumber()).toBeLessThan(1e-20 * exact.toNumber());
  });
});

describe('integrate64', () => {
  const cases: [string, (x: number) => number, number, number, number, number[]?, ('de' | 'gaussian')?][] = [
    ['exp on [0, 1]', Math.exp, 0, 1, Math.E - 1],
    ['sqrt on [0, 1]', Math.sqrt, 0, 1, 2 / 3],
    ['log on [0, 1]', (x) => (x === 0 ? 0 : Math.log(x)), 0, 1, -1],
    ['1/(1+x^2) on R', (x) => 1 / (1 + x * x), -Infinity, Infinity, Math.PI],
    ['exp(-x) on [0, inf)', (x) => Math.exp(-x), 0, Infinity, 1],
    ['exp(-x^2/2) on R, gaussian tails', (x) => Math.exp(-x * x / 2), -Infinity, Infinity, Math.sqrt(2 * Math.PI), undefined, 'gaussian'],
    ['|x| on [-1, 2] with breakpoint', Math.abs, -1, 2, 2.5, [0]],
    ['reversed: x^2 on [3, 1]', (x) => x * x, 3, 1, -26 / 3],
  ];
  for (const [name, f, a, b, exact, bps, tails] of cases) {
    test(name, () => {
      const r = integrate64(f, a, b, { breakpoints: bps, tails });
      const err = Math.abs(r.value - exact);
      expect(err).toBeLessThanOrEqual(1e-13 * Math.abs(exact));
      expect(err).toBeLessThanOrEqual(10 * r.error + 1e-15 * Math.abs(exact));
      expect(r.error).toBeLessThanOrEqual(1e-12 * Math.abs(exact));
    });
  }
  test('a kink without breakpoint: slow but honest', () => {
    const r = integrate64(Math.abs, -1, 2, { maxLevel: 10 });
    const err = Math.abs(r.value - 2.5);
    expect(err).toBeLessThanOrEqual(10 * r.error);
  });
});

describe('levelEstimate', () => {
  test('geometric convergence: est ~ 2 d r; squaring: smaller; stagnation: d', () => {
    expect(levelEstimate(1e-6)).toBe(1e-6);
    expect(levelEstimate(1e-6, 1e-3)).toBeCloseTo(2e-9, 20);
    expect(levelEstimate(1e-12, 1e-6, 1e-3)).toBeCloseTo(2e-12 * 1e-9, 30); // r = 1e-6 <= (1e-3)^2: r^1.5
    expect(levelEstimate(1e-6, 1e-6)).toBe(1e-6);
    expect(levelEstimate(0, 1e-6)).toBe(0);
  });
});

describe('Gauss–Hermite rules for N(0, 1)', () => {
  test('float64: weights sum to 1, moments E[x^2k] = (2k-1)!!', () => {
    for (const n of [1, 2, 5, 16, 64, 128]) {
      const g = gaussHermite64(n);
      let s0 = 0;
      let s4 = 0;
      let s6 = 0;
      for (let i = 0; i < n; i++) {
        s0 += g.w[i];
        s4 += g.w[i] * g.x[i] ** 4;
        s6 += g.w[i] * g.x[i] ** 6;
      }
      expect(Math.abs(s0 - 1)).toBeLessThan(1e-14);
      if (n >= 3) expect(Math.abs(s4 - 3)).toBeLessThan(1e-13);
      if (n >= 4) expect(Math.abs(s6 - 15)).toBeLessThan(1e-12);
    }
  });
  test('Decimal at 40 digits: E[cos(x)] = e^{-1/2} with 48 nodes', () => {
    const D = decContext(40);
    const g = gaussHermiteDec(D, 48);
    let s = new D(0);
    for (let i = 0; i < g.x.length; i++) s = s.plus(g.w[i].times(g.x[i].cos()));
    expect(s.minus(new D(-0.5).exp()).abs().toNumber()).toBeLessThan(1e-38);
  });
});
