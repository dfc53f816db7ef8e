/**
 * What a user-typed activation phi(x) must satisfy for its Gaussian expectations to exist, checked
 * once when the activation is built (a few milliseconds), so that a bad expression is answered in
 * one line instead of a quadrature failing deep inside a run:
 *   - phi is a real number on the real line (no log or sqrt of a negative number): InputError;
 *   - no pole: where a denominator (a negative power) has a real zero, phi must stay bounded;
 *     |phi| ~ |x - z|^-p with p >= 1/2 makes E[phi^2] diverge for every variance: InputError;
 *     a weaker singularity (p < 1/2) is integrable but the quadrature needs a finite phi:
 *     NumericalError;
 *   - growth: log|phi(x)| is compared with x^2 at |x| = 100, 200, 300 (in Decimal, which does not
 *     overflow). phi ~ exp(c x^2) gives the growth rate c (E[phi(u)^2] diverges for Var u >=
 *     1/(4c); checked against each expectation's variance by gaussianCheck); growth faster than
 *     any exp(c x^2) makes every second moment diverge: InputError.
 */
import Decimal from 'decimal.js';
import { Expr, compileF64, children } from '../symbolic';
import { InputError, NumericalError } from './errors';
import { plainMath } from '../numeric/plainMath';

const Math = plainMath();

/** Grid of the pointwise checks: [-GRID_X, GRID_X]. */
const GRID_X = 60;
const GRID_N = 12000;

/** Denominators of e: bases of negative powers. */
function denominators(e: Expr, out: Expr[] = []): Expr[] {
  if (e.kind === 'pow' && e.exp.kind === 'num' && e.exp.n < 0n) out.push(e.base);
  for (const c of children(e)) denominators(c, out);
  return out;
}

/** Sign changes and exact zeros of g on the grid, refined by bisection. */
function zerosOf(g: (x: number) => number): number[] {
  const zs: number[] = [];
  let xp = -GRID_X;
  let gp = g(xp);
  if (gp === 0) zs.push(xp);
  for (let i = 1; i <= GRID_N; i++) {
    const x = -GRID_X + (2 * GRID_X * i) / GRID_N;
    const gx = g(x);
    if (gx === 0) zs.push(x);
    else if (gp !== 0 && Number.isFinite(gx) && Number.isFinite(gp) && Math.sign(gx) !== Math.sign(gp)) {
      let a = xp;
      let b = x;
      let ga = gp;
      for (let it = 0; it < 200 && b - a > 1e-15 * Math.max(1, Math.abs(a)); it++) {
        const m = 0.5 * (a + b);
        const gm = g(m);
        if (gm === 0) {
          a = b = m;
          break;
        }
        if (Math.sign(gm) === Math.sign(ga)) {
          a = m;
          ga = gm;
        } else b = m;
      }
      zs.push(0.5 * (a + b));
    }
    xp = x;
    gp = gx;
  }
  return zs.map((z) => (Math.abs(z) < 1e-12 ? 0 : z));
}

const show = (x: number): string => String(Number(x.toPrecision(6)));

function decAt(dec: (x: Decimal) => Decimal, x: number): Decimal | null {
  try {
    return dec(new Decimal(x));
  } catch {
    return null;
  }
}

/**
 * Check phi = `expr` (named `name`); returns its Gaussian growth rate c >= 0 (|phi(x)| grows like
 * exp(c x^2); 0 for slower growth). Throws InputError or NumericalError as described above.
 */
export function analyseActivation(name: string, expr: Expr, f64: (x: number) => number, dec: (x: Decimal) => Decimal): number {
  const finiteAt = (x: number): boolean => {
    if (Number.isFinite(f64(x))) return true;
    const d = decAt(dec, x);
    return d !== null && d.isFinite();
  };
  // poles: zeros of denominators
  for (const den of denominators(expr)) {
    const g = compileF64(den, ['x']);
    for (const z of zerosOf(g)) {
      const near = (h: number) => Math.max(Math.abs(f64(z + h)), Math.abs(f64(z - h)));
      const v1 = near(1e-3);
      const v2 = near(1e-6);
      // |phi| ~ |x - z|^-p: p from the growth between distances 1e-3 and 1e-6
      const p = v2 > v1 && v2 > 10 ? Math.log10(v2 / v1) / 3 : 0;
      if (p > 0.1) {
        const order = Math.abs(p - Math.round(p)) < 0.05 ? String(Math.round(p)) : p.toFixed(2);
        if (p >= 0.45) {
          throw new InputError('act', `${name} is not integrable against a Gaussian: pole at x = ${show(z)} (|phi| ~ |x - ${show(z)}|^-${order}), so E[phi^2] diverges for every variance`);
        }
        throw new NumericalError(`${name} is infinite at x = ${show(z)} (|phi| ~ |x - ${show(z)}|^-${order}): its Gaussian expectations exist, but the quadrature needs phi finite on the real line`);
      }
      if (!finiteAt(z)) {
        if (v2 > 1.5 * v1) throw new NumericalError(`${name} is infinite at x = ${show(z)}: the quadrature needs phi finite on the real line`);
        throw new InputError('act', `${name} is not defined at x = ${show(z)} (0/0 there); write it in a form that is finite on the whole real line`);
      }
    }
  }
  // pointwise: real and finite on the grid (Decimal decides where float64 overflows)
  let overflows = 0;
  for (let i = 0; i <= GRID_N; i += 4) {
    const x = -GRID_X + (2 * GRID_X * i) / GRID_N;
    const v = f64(x);
    if (Number.isFinite(v)) continue;
    // float64 overflow (+-Infinity) over a whole range: Decimal checks a sample of it
    if (!Number.isNaN(v) && overflows++ % 25 !== 0) continue;
    const d = decAt(dec, x);
    if (d !== null && d.isFinite()) continue;
    if (d === null || d.isNaN()) {
      throw new InputError('act', `${name} is not a real number at x = ${show(x)} (for example the log or square root of a negative number); the activation must be real on the whole real line`);
    }
    // an isolated singularity (finite nearby), or growth beyond even Decimal's range
    const h = Math.max(1e-3, (GRID_X / GRID_N) / 2);
    if (finiteAt(x + h) && finiteAt(x - h)) throw new NumericalError(`${name} is infinite at x = ${show(x)}: the quadrature needs phi finite on the real line`);
    throw new InputError('act', `${name} grows too fast: it overflows even arbitrary precision at x = ${show(x)}, so E[phi^2] diverges for every practical variance`);
  }
  return growthRate(name, dec);
}

/** Abscissae of the growth fit: far out, so that a factor x^k changes c by only ~2e-6 k (then snapped). */
const GROWTH_H = 300;

/**
 * c in |phi(x)| ~ exp(c x^2) from L(x) = log|phi(x)| at |x| = h, 2h, 3h (Decimal), on both sides:
 * the growth exponent p = log(L(3h)/L(h))/log 3 tells exp(|x|^p); for p near 2, c is the second
 * difference of L over 2 h^2, snapped to a nearby fraction n/d (d <= 64) within 1e-4 (relative).
 */
function growthRate(name: string, dec: (x: Decimal) => Decimal): number {
  const logAbs = (x: number): number => {
    const v = decAt(dec, x);
    if (v === null || v.isNaN()) return NaN;
    if (!v.isFinite()) return Infinity;
    if (v.isZero()) return -Infinity;
    return v.abs().ln().toNumber();
  };
  const h = GROWTH_H;
  let c = 0;
  for (const s of [1, -1]) {
    const [l1, l2, l3] = [h, 2 * h, 3 * h].map((x) => logAbs(s * x));
    if (l3 === Infinity || l2 === Infinity) {
      throw new InputError('act', `${name} grows faster than any exp(c x^2) (it overflows at x = ${s * 2 * h}): E[phi^2] diverges for every variance`);
    }
    if (!(l1 > 10 && l3 > l1)) continue;
    const p = Math.log(l3 / l1) / Math.log(3);
    if (p > 2.2) throw new InputError('act', `${name} grows like exp(|x|^${p.toFixed(1)}), faster than any exp(c x^2): E[phi^2] diverges for every variance`);
    if (p > 1.8) c = Math.max(c, (l1 - 2 * l2 + l3) / (2 * h * h));
  }
  if (!(c > 1e-9)) return 0;
  for (let d = 1; d <= 64; d++) {
    const n = Math.round(c * d);
    if (n > 0 && Math.abs(c * d - n) < 1e-4 * c * d) return n / d;
  }
  return c;
}

/** The critical variance 1/(2c) beyond which E[f] diverges for f ~ exp(c x^2), as short text. */
export function criticalText(c: number): string {
  const v = 1 / (2 * c);
  for (const d of [1, 2, 3, 4, 5, 6, 8, 10, 16]) {
    const n = Math.round(v * d);
    if (n > 0 && Math.abs(v * d - n) < 1e-6 * n) return d === 1 ? String(n) : `${n}/${d}`;
  }
  return show(v);
}

/**
 * Check that E[f(u)] (u ~ N(0, k)) can exist for an integrand growing like exp(c u^2), before any
 * quadrature: InputError naming the integrand and the critical variance.
 */
export function gaussianCheck1(name: string | undefined, c: number | undefined, k: number): void {
  if (!c || !(c > 0)) return;
  if (k * 2 * c >= 1) {
    throw new InputError('act', `E[${name ?? 'phi'}] diverges for variance >= ${criticalText(c)} (the integrand grows like exp(${show(c)} x^2)); this network needs it at variance ${show(k)}`);
  }
  if (k * 2 * c >= NEAR_CRITICAL) {
    throw new NumericalError(`E[${name ?? 'phi'}] at variance ${show(k)} is too close to its divergence at variance ${criticalText(c)}: the engine computes such expectations only below ${NEAR_CRITICAL} x that variance, where the integrand still decays fast enough to verify the digits`);
  }
}

/** Fraction of the critical variance beyond which expectations of growing integrands are refused (exit 3). */
export const NEAR_CRITICAL = 0.5;

/** The same for E[f(u) g(v)] over N(0, [[k11, k12], [k12, k22]]): K^-1 - 2 diag(cf, cg) must be positive definite. */
export function gaussianCheck2(name: string, cf: number | undefined, cg: number | undefined, k11: number, k12: number, k22: number): void {
  const a = cf ?? 0;
  const b = cg ?? 0;
  if (!(a > 0) && !(b > 0)) return;
  const det = k11 * k22 - k12 * k12;
  // convergent with margin: K^-1 - 2 diag(a, b) / NEAR_CRITICAL positive definite
  const convergent = (s: number): boolean => {
    if (det <= 1e-12 * k11 * k22) return ((a + b) / s) * 2 * Math.max(k11, k22) < 1;
    const m11 = k22 / det - (2 * a) / s;
    const m22 = k11 / det - (2 * b) / s;
    const m12 = -k12 / det;
    return m11 > 0 && m11 * m22 - m12 * m12 > 0;
  };
  const ok = convergent(1);
  if (ok && !convergent(NEAR_CRITICAL)) {
    throw new NumericalError(`E[${name}] at K_11 = ${show(k11)}, K_12 = ${show(k12)}, K_22 = ${show(k22)} is too close to its divergence: the engine computes such expectations only below ${NEAR_CRITICAL} x the critical variance, where the integrand still decays fast enough to verify the digits`);
  }
  if (!ok) {
    const c = Math.max(a, b);
    throw new InputError('act', `E[${name}] diverges at K_11 = ${show(k11)}, K_12 = ${show(k12)}, K_22 = ${show(k22)}: the activation grows like exp(${show(c)} x^2), so E[phi^2] diverges for variance >= ${criticalText(2 * c)}`);
  }
}
