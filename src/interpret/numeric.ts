/**
 * Numeric interpretations: a Field plus Gaussian expectations by quadrature.
 * Closed forms (when an activation has them) are used by the quantities themselves; these
 * interpretations supply the quadrature fall-back for everything else.
 */
import Decimal from 'decimal.js';
import { Field, float64, decimalField } from '../numeric/field';
import { expect1F64, expect2F64, expect1Dec, expect2Dec } from '../numeric/gaussian';
import { NumericalError } from '../model/errors';
import { gaussianCheck1, gaussianCheck2 } from '../model/singularities';

const pairName = (f: Integrand, g: Integrand): string => `${f.name ?? 'f'}(u) ${g.name ?? 'g'}(v)`;

/** The quadrature's "integrand not finite" (a RangeError) as a NumericalError naming the expectation. */
export function finiteIntegrand<T>(name: string | undefined, run: () => T): T {
  try {
    return run();
  } catch (e) {
    const m = e instanceof RangeError ? /integrand not finite at (x = )?(\S+)/.exec(e.message) : null;
    if (m) throw new NumericalError(`E[${name ?? 'f'}]: the integrand is not finite at x = ${Number(m[2]).toPrecision(6).replace(/\.?0+$/, '')} (the activation overflows or is singular there)`);
    throw e;
  }
}

/** A function of one real variable with float64 and Decimal evaluators and known kinks. */
export interface Integrand {
  f64(x: number): number;
  dec(x: Decimal): Decimal;
  readonly kinks: number[];
  readonly name?: string;
  /** c when |f(x)| grows like exp(c x^2) (see src/model/singularities.ts). */
  readonly growth?: number;
}

export interface Interpretation<T> {
  readonly F: Field<T>;
  /** <f(u)>, u ~ N(0, k). */
  expect1(f: Integrand, k: T): T;
  /** <f(u) g(v)>, (u, v) ~ N(0, [[k11, k12], [k12, k22]]). */
  expect2(f: Integrand, g: Integrand, k11: T, k12: T, k22: T): T;
}

/** Pointwise product of integrands (kinks united). */
export function productIntegrand(...fs: Integrand[]): Integrand {
  if (fs.length === 1) return fs[0];
  return {
    f64: (x) => {
      let p = 1;
      for (const f of fs) p *= f.f64(x);
      return p;
    },
    dec: (x) => {
      let p = fs[0].dec(x);
      for (let i = 1; i < fs.length; i++) p = p.times(fs[i].dec(x));
      return p;
    },
    kinks: [...new Set(fs.flatMap((f) => f.kinks))].sort((a, b) => a - b),
    name: fs.map((f) => f.name ?? '?').join('*'),
    growth: fs.reduce((c, f) => c + (f.growth ?? 0), 0),
  };
}

export const float64Interp: Interpretation<number> = {
  F: float64,
  expect1: (f, k) => {
    gaussianCheck1(f.name, f.growth, k);
    return finiteIntegrand(f.name, () => expect1F64((x) => f.f64(x), k, { kinks: f.kinks, tol: 1e-13 }).value);
  },
  expect2: (f, g, k11, k12, k22) => {
    gaussianCheck2(pairName(f, g), f.growth, g.growth, k11, k12, k22);
    return finiteIntegrand(pairName(f, g), () => expect2F64((x) => f.f64(x), (x) => g.f64(x), k11, k12, k22, { kinksF: f.kinks, kinksG: g.kinks, tol: 1e-13 }).value);
  },
};

const decimalInterps = new Map<string, Interpretation<Decimal>>();

/**
 * decimal.js at `precision` working digits, with quadratures accurate to `quadDigits`
 * significant digits (default precision - 4). Quadrature error estimates are checked: an
 * estimate worse than the requested accuracy throws, never returns a doubtful number.
 */
export function decimalInterp(precision: number, quadDigits = precision - 4): Interpretation<Decimal> {
  const key = `${precision}:${quadDigits}`;
  const hit = decimalInterps.get(key);
  if (hit) return hit;
  const F = decimalField(precision);
  const check = (r: { value: Decimal; error: number }, what: string): Decimal => {
    const scale = Math.max(Math.abs(r.value.toNumber()), 1e-300);
    if (!(r.error <= scale * 10 ** -(quadDigits - 2)) && !(r.error <= 10 ** -(quadDigits - 2))) {
      throw new NumericalError(`quadrature for ${what} did not reach ${quadDigits} digits (error estimate ${r.error.toExponential(2)})`);
    }
    return new F.D(r.value);
  };
  const I: Interpretation<Decimal> = {
    F,
    expect1: (f, k) => {
      gaussianCheck1(f.name, f.growth, k.toNumber());
      return finiteIntegrand(f.name, () => check(expect1Dec((x) => f.dec(x), k, { digits: quadDigits, kinks: f.kinks }), `E[${f.name ?? 'f'}]`));
    },
    expect2: (f, g, k11, k12, k22) => {
      gaussianCheck2(pairName(f, g), f.growth, g.growth, k11.toNumber(), k12.toNumber(), k22.toNumber());
      return finiteIntegrand(pairName(f, g), () =>
        check(
          expect2Dec((x) => f.dec(x), (x) => g.dec(x), k11, k12, k22, { digits: quadDigits, kinksF: f.kinks, kinksG: g.kinks }),
          pairName(f, g),
        ));
    },
  };
  decimalInterps.set(key, I);
  return I;
}
