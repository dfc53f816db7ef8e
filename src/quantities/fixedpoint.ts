/**
 * Feed-forward (--skip none) fixed-point analysis (Poole et al. 2016, Schoenholz et al. 2017):
 *
 *   q*    : q = sb2 + sw2 <phi(sqrt(q) z)^2>                       (the stable fixed point)
 *   chi1  = sw2 <phi'(u)^2>,                 u ~ N(0, q*)
 *   c*    : c = (sb2 + sw2 <phi(u) phi(v)>) / q*,  corr(u, v) = c  (stable; 1 when chi1 <= 1)
 *   chi_c = sw2 <phi'(u) phi'(v)> at c*
 *   xi_q  = -1 / ln( sw2 d<phi(sqrt(q) z)^2>/dq at q* ),   xi_c = -1 / ln(chi_c)
 *
 * d<phi(sqrt(q) z)^2>/dq is computed as <u phi(u) phi'(u)> / q (chain rule), which needs only
 * the first derivative and so is exact for kinked activations as well; it equals
 * <phi'^2 + phi phi''> (Price) for smooth ones. The critical line solves chi1 = 1 jointly with
 * the q* equation: at fixed q, sw2 = 1 / <phi'^2>, so q solves q = sb2 + <phi^2> / <phi'^2>.
 * Everything is generic over the interpretation: float64 for speed, Decimal for digits.
 */
import { evaluateIn } from '../interpret/symbolic';
import Decimal from 'decimal.js';
import { Activation } from '../model/activation';
import { InputError, NumericalError } from '../model/errors';
import { Field } from '../numeric/field';
import { Interpretation, Integrand, productIntegrand, float64Interp } from '../interpret/numeric';
import { phiPhi, phiSquare } from './moments';
import { plainMath } from '../numeric/plainMath';
// A plain-object copy of Math: under jest the global Math is a proxy and each Math.* access costs ~1 us.
const Math = plainMath();

export interface FixedPoint<T> {
  q_star: T;
  c_star: T;
  chi1: T;
  chi_c: T;
  /** null when the fixed point is marginal (slope exactly 1: infinite depth scale). */
  xi_q: T | null;
  xi_c: T | null;
}

const IDENTITY: Integrand = { f64: (x) => x, dec: (x) => x, dd: (x) => x, kinks: [], name: 'u' };

function requireContinuous(act: Activation, what: string): void {
  if (act.continuity === 'discontinuous') {
    throw new InputError('act', `${what} needs a continuous activation; "${act.name}" is discontinuous (its chi_1 is infinite)`);
  }
}

/** <phi'(u)^2>, u ~ N(0, k). */
function derivSquare<T>(I: Interpretation<T>, act: Activation, k: T): T {
  const d = act.derivative();
  return I.expect1(productIntegrand(d, d), k);
}

/** d<phi(sqrt(q) z)^2>/dq = <u phi(u) phi'(u)> / q. */
function lengthSlope<T>(I: Interpretation<T>, act: Activation, q: T): T {
  return I.F.div(I.expect1(productIntegrand(IDENTITY, act, act.derivative()), q), q);
}

/** f(x) at an exact point, in the field's arithmetic. */
function valueAt<T>(F: Field<T>, f: Integrand, x: number): T {
  if (F.kind === 'decimal') return F.of(f.dec(F.of(x) as unknown as Decimal).toString());
  return F.of(f.f64(x));
}

/** Secant iteration on g(x) = 0 from x0, x1; control decisions in float64, arithmetic in F. */
function secant<T>(F: Field<T>, g: (x: T) => T, x0: T, x1: T, what: string): T {
  let a = x0;
  let b = x1;
  let ga = g(a);
  let gb = g(b);
  const tol = 10 ** -(Math.min(F.digits, 300) - 2);
  for (let it = 0; it < 200; it++) {
    const denom = F.sub(gb, ga);
    if (F.toNumber(denom) === 0 && F.kind !== 'decimal') return b;
    if (F.kind === 'decimal' && (denom as unknown as Decimal).isZero()) return b;
    const c = F.sub(b, F.div(F.mul(gb, F.sub(b, a)), denom));
    const step = Math.abs(F.toNumber(F.sub(c, b)));
    a = b;
    ga = gb;
    b = c;
    if (step <= tol * Math.max(Math.abs(F.toNumber(b)), 1e-300)) return b;
    gb = g(b);
    if (!F.isFinite(gb)) break;
  }
  throw new NumericalError(`${what}: the root finder did not converge`);
}

/** The stable length fixed point q*, by float64 iteration then secant refinement in F. */
/**
 * Positively homogeneous activations of degree 1 (relu, linear) at sb2 = 0 and sw2 <phi(z)^2> = 1:
 * the length map q -> sw2 <phi^2>_q = q is the identity, and every q is a fixed point.
 */
export function lengthMapIsIdentity(act: Activation, sw2Text: string, sb2Text: string): boolean {
  if (act.homogeneousDegree !== 1 || Number(sb2Text) !== 0) return false;
  return Math.abs(Number(sw2Text) * phiSquare(float64Interp, act, 1) - 1) <= 1e-14;
}

export function qStar<T>(I: Interpretation<T>, act: Activation, sw2Text: string, sb2Text: string): T {
  const F = I.F;
  const sw2 = F.of(sw2Text);
  const sb2 = F.of(sb2Text);
  const lengthMap = (q: T): T => F.add(sb2, F.mul(sw2, phiSquare(I, act, q)));
  // Every q is a fixed point (returned: the representative q = 1; see lengthMapIsIdentity).
  if (lengthMapIsIdentity(act, sw2Text, sb2Text)) return F.of(1);
  // Float64 iteration from q = 1 (reaches the stable fixed point).
  let q = 1;
  const sw = Number(sw2Text);
  const sb = Number(sb2Text);
  let converged = false;
  for (let it = 0; it < 100000; it++) {
    const next = sb + sw * phiSquare(float64Interp, act, q);
    if (!Number.isFinite(next) || next > 1e12) {
      throw new NumericalError(`no finite length fixed point q*: the length map diverges (sw2 = ${sw2Text}, sb2 = ${sb2Text})`);
    }
    if (Math.abs(next - q) <= 1e-14 * Math.max(q, 1e-300) || next < 1e-250) {
      q = next;
      converged = true;
      break;
    }
    q = next;
  }
  if (!converged) {
    // e.g. relu at sw2 = 2, sb2 > 0: q grows by sb2 per layer, linearly, for ever
    throw new NumericalError(`no finite length fixed point q*: the length map does not converge in 100000 iterations (q grows without bound or too slowly; sw2 = ${sw2Text}, sb2 = ${sb2Text})`);
  }
  if (q < 1e-200) {
    if (sb === 0 && act.f64(0) === 0) return F.of(0);
    throw new NumericalError('the length fixed point q* underflows');
  }
  if (F.kind === 'float64') return F.of(q);
  const g = (x: T): T => F.sub(lengthMap(x), x);
  return secant(F, g, F.of(q), F.of(q * (1 + 1e-9)), 'q*');
}

export function fixedPoint<T>(I: Interpretation<T>, act: Activation, sw2Text: string, sb2Text: string): FixedPoint<T> {
  requireContinuous(act, 'the fixed-point analysis');
  const F = I.F;
  const sw2 = F.of(sw2Text);
  const sb2 = F.of(sb2Text);
  const q = qStar(I, act, sw2Text, sb2Text);
  const one = F.of(1);
  const qIsZero = F.toNumber(q) === 0;
  const dsq = qIsZero ? F.pow(valueAt(F, act.derivative(), 0), F.of(2)) : derivSquare(I, act, q);
  const chi1 = F.mul(sw2, dsq);
  const lengthSlopeVal = qIsZero ? chi1 : F.mul(sw2, lengthSlope(I, act, q));
  const xi = (slope: T): T | null => {
    const s = F.toNumber(slope);
    if (s === 1) return null;
    return F.div(F.of(-1), F.log(slope));
  };
  // Correlation fixed point.
  let cStar: T = one;
  let chiC: T = chi1;
  const chi1n = F.toNumber(chi1);
  if (!qIsZero && chi1n > 1 + 1e-12) {
    const qn = F.toNumber(q);
    const sw = Number(sw2Text);
    const sb = Number(sb2Text);
    const cmap64 = (c: number): number => (sb + sw * phiPhi(float64Interp, act, qn, c * qn, qn)) / qn;
    let c = 0.5;
    for (let it = 0; it < 100000; it++) {
      const next = cmap64(c);
      if (Math.abs(next - c) < 1e-14) {
        c = next;
        break;
      }
      c = next;
    }
    if (c > 1 - 1e-10) throw new NumericalError('the correlation map converged to c = 1 although chi1 > 1');
    if (F.kind === 'float64') cStar = F.of(c);
    else {
      const cmap = (x: T): T => F.sub(F.div(F.add(sb2, F.mul(sw2, phiPhi(I, act, q, F.mul(x, q), q))), q), x);
      cStar = c === 0 ? F.of(0) : secant(F, cmap, F.of(c), F.of(c * (1 + 1e-9) + 1e-12), 'c*');
      if (c === 0 && Math.abs(F.toNumber(cmap(F.of(0)))) > 1e-12) cStar = secant(F, cmap, F.of(1e-6), F.of(2e-6), 'c*');
    }
    const d = act.derivative();
    chiC = F.mul(sw2, I.expect2(d, d, q, F.mul(cStar, q), q));
  }
  return { q_star: q, c_star: cStar, chi1, chi_c: chiC, xi_q: xi(lengthSlopeVal), xi_c: xi(chiC) };
}

export interface CriticalPoint<T> {
  sw2: T;
  /** q* on the critical line; null when every q is a fixed point (homogeneous activations at sb2 = 0). */
  q_star: T | null;
}

/** The critical line: sw2 at which chi1 = 1 at the length fixed point, for given sb2. */
export function criticalPoint<T>(I: Interpretation<T>, act: Activation, sb2Text: string): CriticalPoint<T> {
  requireContinuous(act, 'the critical line');
  const F = I.F;
  const sb2 = F.of(sb2Text);
  if (act.homogeneousDegree === 1) {
    // <phi^2>/<phi'^2> = q exactly: the q* equation reads sb2 = 0.
    if (Number(sb2Text) !== 0) {
      throw new InputError('sb2', `for the positively homogeneous activation "${act.name}", chi1 = sw2 <phi'(z)^2> does not depend on q*, and at chi1 = 1 a finite q* exists only for sb2 = 0 (got ${sb2Text})`);
    }
    return { sw2: F.div(F.of(1), derivSquare(I, act, F.of(1))), q_star: null };
  }
  const h = (q: T): T => F.sub(F.add(sb2, F.div(phiSquare(I, act, q), derivSquare(I, act, q))), q);
  const sb = Number(sb2Text);
  const h64 = (q: number): number => sb + phiSquare(float64Interp, act, q) / derivSquare(float64Interp, act, q) - q;
  // With sb2 = 0 and phi(0) = 0 (smooth there), h(q) = O(q^2) near 0: q = 0 is a critical point
  // (sw2 = 1/phi'(0)^2), and float64 noise in h at tiny q must not be mistaken for a root.
  const zeroBranch = sb === 0 && act.f64(0) === 0 && !act.kinks.includes(0);
  const qStart = zeroBranch ? 1e-4 : 1e-8;
  // Scan log-spaced q for a sign change, then bisect in float64.
  let lo = NaN;
  let hi = NaN;
  let prevQ = qStart;
  let prevH = h64(prevQ);
  for (let i = 1; i <= (zeroBranch ? 200 : 280); i++) {
    const qv = qStart * 10 ** (i * 0.05);
    const hv = h64(qv);
    if (Number.isFinite(hv) && Number.isFinite(prevH) && Math.sign(hv) !== Math.sign(prevH)) {
      lo = prevQ;
      hi = qv;
      break;
    }
    prevQ = qv;
    prevH = hv;
  }
  if (!Number.isFinite(lo) && zeroBranch) {
    const d0 = evaluateIn(F, act.derivative().expr, { x: F.of(0) });
    return { sw2: F.div(F.of(1), F.mul(d0, d0)), q_star: F.of(0) };
  }
  if (!Number.isFinite(lo)) {
    throw new NumericalError(`no critical point found for "${act.name}" at sb2 = ${sb2Text} (q* scanned over 1e-8..1e6)`);
  }
  let hlo = h64(lo);
  for (let it = 0; it < 200 && hi - lo > 1e-15 * hi; it++) {
    const m = 0.5 * (lo + hi);
    const hm = h64(m);
    if (Math.sign(hm) === Math.sign(hlo)) {
      lo = m;
      hlo = hm;
    } else hi = m;
  }
  const q0 = 0.5 * (lo + hi);
  const q = F.kind === 'float64' ? F.of(q0) : secant(F, h, F.of(q0), F.of(q0 * (1 + 1e-9)), 'critical q*');
  return { sw2: F.div(F.of(1), derivSquare(I, act, q)), q_star: q };
}
