/**
 * Numeric interpretations: a Field plus Gaussian expectations by quadrature.
 * Closed forms (when an activation has them) are used by the quantities themselves; these
 * interpretations supply the quadrature fall-back for everything else.
 */
import Decimal from 'decimal.js';
import { Field, float64, decimalField } from '../numeric/field';
import { expect1F64, expect2F64, expect1Dec, expect2Dec, expect1DD, expect2DD } from '../numeric/gaussian';
import { DD, DD_MAX_DIGITS, ddMul } from '../numeric/dd';
import { integrandDD } from '../numeric/ddCompile';
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
  /** Double-double evaluator (optional; activations derive one from their expression when they can). */
  readonly dd?: (x: DD) => DD;
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
  const dds = fs.map(integrandDD);
  const ok = dds.every((d) => d !== undefined);
  return {
    dd: ok
      ? (x) => {
          let p = dds[0]!(x);
          for (let i = 1; i < dds.length; i++) p = ddMul(p, dds[i]!(x));
          return p;
        }
      : undefined,
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

/** float64 with adaptive quadratures to relative tolerance `tol`. */
export function float64InterpTol(tol: number): Interpretation<number> {
  return {
    F: float64,
    expect1: (f, k) => {
      gaussianCheck1(f.name, f.growth, k);
      return finiteIntegrand(f.name, () => expect1F64((x) => f.f64(x), k, { kinks: f.kinks, tol }).value);
    },
    expect2: (f, g, k11, k12, k22) => {
      gaussianCheck2(pairName(f, g), f.growth, g.growth, k11, k12, k22);
      return finiteIntegrand(pairName(f, g), () => expect2F64((x) => f.f64(x), (x) => g.f64(x), k11, k12, k22, { kinksF: f.kinks, kinksG: g.kinks, tol }).value);
    },
  };
}

export const float64Interp: Interpretation<number> = float64InterpTol(1e-13);

const decimalInterps = new Map<string, Interpretation<Decimal>>();

/**
 * The float64 or double-double route when it applies and succeeds; decimal.js when it does not
 * apply (undefined) or fails (an integrand that overflows the double exponent range, e.g.
 * exp(x)/(1+exp(x)) at large x, or an estimate above the target).
 */
function orDecimal(fast: () => Decimal | undefined, slow: () => Decimal): Decimal {
  try {
    const v = fast();
    if (v !== undefined) return v;
  } catch (e) {
    if (!(e instanceof RangeError) && !(e instanceof NumericalError)) throw e;
  }
  return slow();
}

/** Largest quadrature accuracy (significant digits) delegated to float64 (smooth integrands only). */
export const F64_MAX_DIGITS = 11;

/**
 * decimal.js at `precision` working digits, with quadratures accurate to `quadDigits`
 * significant digits (default precision - 4). Quadrature error estimates are checked: an
 * estimate worse than the requested accuracy throws, never returns a doubtful number.
 * Quadratures to at most DD_MAX_DIGITS digits whose integrands all have double-double
 * evaluators run in double-double arithmetic (~31 digits; the same rules and error estimates,
 * tens of times faster than decimal.js evaluations); the others in decimal.js. Quadratures to
 * at most F64_MAX_DIGITS digits of smooth integrands (no kinks) run in float64 (relative
 * tolerance a tenth of the requested accuracy; float64 quadratures are reliable to ~1e-13).
 */
export function decimalInterp(precision: number, quadDigits = precision - 4): Interpretation<Decimal> {
  const key = `${precision}:${quadDigits}`;
  const hit = decimalInterps.get(key);
  if (hit) return hit;
  const F = decimalField(precision);
  const useDD = quadDigits <= DD_MAX_DIGITS;
  // smooth integrands at most F64_MAX_DIGITS digits: float64 quadrature
  const use64 = (...fs: Integrand[]) => quadDigits <= F64_MAX_DIGITS && fs.every((f) => f.kinks.length === 0);
  const tol64 = 10 ** -(quadDigits + 1);
  const check = (r: { value: Decimal | number; error: number }, what: string): Decimal => {
    const scale = Math.max(Math.abs(typeof r.value === 'number' ? r.value : r.value.toNumber()), 1e-300);
    if (!(r.error <= scale * 10 ** -(quadDigits - 2)) && !(r.error <= 10 ** -(quadDigits - 2))) {
      throw new NumericalError(`quadrature for ${what} did not reach ${quadDigits} digits (error estimate ${r.error.toExponential(2)})`);
    }
    return new F.D(r.value);
  };
  const I: Interpretation<Decimal> = {
    F,
    expect1: (f, k) => {
      const what = `E[${f.name ?? 'f'}]`;
      const opts = { digits: quadDigits, kinks: f.kinks };
      gaussianCheck1(f.name, f.growth, k.toNumber());
      return finiteIntegrand(f.name, () => orDecimal(() => {
        if (use64(f)) return check(expect1F64((x) => f.f64(x), k.toNumber(), { tol: tol64 }), what);
        const fd = useDD ? integrandDD(f) : undefined;
        return fd ? check(expect1DD(fd, k, opts), what) : undefined;
      }, () => check(expect1Dec((x) => f.dec(x), k, opts), what)));
    },
    expect2: (f, g, k11, k12, k22) => {
      // the same expectation is asked for more than once per layer (the response and its
      // derivatives; <f(u) g(v)> = <g(u) f(v)> when K11 = K22): computed once
      const kk = `${k11.toString()}|${k12.toString()}|${k22.toString()}`;
      const hit = pairCache.get(f)?.get(g)?.get(kk) ?? (k11.eq(k22) ? pairCache.get(g)?.get(f)?.get(kk) : undefined);
      if (hit !== undefined) return hit;
      const v = expect2Uncached(f, g, k11, k12, k22);
      if (pairCacheSize >= 20000) {
        pairCache = new WeakMap();
        pairCacheSize = 0;
      }
      let byG = pairCache.get(f);
      if (!byG) pairCache.set(f, (byG = new WeakMap()));
      let byK = byG.get(g);
      if (!byK) byG.set(g, (byK = new Map()));
      byK.set(kk, v);
      pairCacheSize++;
      return v;
    },
  };
  let pairCache = new WeakMap<Integrand, WeakMap<Integrand, Map<string, Decimal>>>();
  let pairCacheSize = 0;
  function expect2Uncached(f: Integrand, g: Integrand, k11: Decimal, k12: Decimal, k22: Decimal): Decimal {
    const what = `E[${pairName(f, g)}]`;
    const opts = { digits: quadDigits, kinksF: f.kinks, kinksG: g.kinks };
    gaussianCheck2(pairName(f, g), f.growth, g.growth, k11.toNumber(), k12.toNumber(), k22.toNumber());
    return finiteIntegrand(pairName(f, g), () => orDecimal(() => {
      if (use64(f, g)) return check(expect2F64((x) => f.f64(x), (x) => g.f64(x), k11.toNumber(), k12.toNumber(), k22.toNumber(), { tol: tol64 }), what);
      const fd = useDD ? integrandDD(f) : undefined;
      const gd = fd ? integrandDD(g) : undefined;
      return fd && gd ? check(expect2DD(fd, gd, k11, k12, k22, opts), what) : undefined;
    }, () => check(expect2Dec((x) => f.dec(x), (x) => g.dec(x), k11, k12, k22, opts), what)));
  }
  decimalInterps.set(key, I);
  return I;
}
