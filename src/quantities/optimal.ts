/**
 * Optimal residual scaling: the alpha > 0 that maximises the mean-field correlation response
 * S(alpha) = dc^L/dc^0 (at fixed q0, c0).
 *
 * Numerics: a float64 scan over log alpha locates the maximum (or shows there is none in the
 * interior, e.g. relu, where every layer's factor is <= 1 and S falls from S(0) = 1), golden
 * section refines it, and a secant iteration on dS/dalpha = 0 — with dS/dalpha computed exactly by
 * the dual-number interpretation — polishes it in Decimal to the requested digits.
 *
 * Large-depth asymptotics (derived in src/quantities/optimal.ts, printed by `formula`): with
 * tau = a sw2 l (a = alpha^2 for amplitude scaling) the kernel flow becomes, as L -> infinity at
 * fixed tau,
 *     dK/dtau = sb2/sw2 + <phi^2>_K,     dk/dtau = sb2/sw2 + <phi_1 phi_2>_{K,k},
 *     ln S = ln(q0 / K(tau_L)) + int_0^tau_L <phi'_1 phi'_2>_{K,k} dtau + O(1/L),
 * so S depends on alpha only through tau_L = a sw2 L, and the maximum sits at the tau_star where
 *     K(tau_star) <phi'_1 phi'_2>_{K(tau_star), k(tau_star)} = sb2/sw2 + <phi^2>_{K(tau_star)},
 * giving alpha_star ~ sqrt(tau_star / (sw2 L)) (amplitude) or tau_star/(sw2 L) (variance), with relative
 * corrections O(1/L). For sb2 = 0, tau_star depends only on phi, q0 and c0.
 */
import Decimal from 'decimal.js';
import { Network, network, withChanges } from '../model/network';
import { NumericalError } from '../model/errors';
import { Interpretation, float64Interp, float64InterpTol } from '../interpret/numeric';
import { dualInterp } from '../interpret/dual';
import { Dual } from '../numeric/dual';
import { meanFieldResponse, dPairdK12, closedFormDerivatives } from './response';
import { sym as symE, substitute, simplify, toLatex } from '../symbolic';
import { phiPhi, phiSquare } from './moments';
import { plainMath } from '../numeric/plainMath';
// A plain-object copy of Math: under jest the global Math is a proxy and each Math.* access costs ~1 us.
const Math = plainMath();

/** Mean-field sensitivity at a given alpha (float64); NaN where the kernel overflows. */
export function sensitivity64(net: Network, alpha: number, I: Interpretation<number> = float64Interp): number {
  const a = net.scaling === 'amplitude' ? alpha * alpha : alpha;
  try {
    return meanFieldResponse(I, net, a).sensitivity;
  } catch (e) {
    if (e instanceof NumericalError) return NaN;
    throw e;
  }
}

export interface MaximumLocation {
  interior: boolean;
  /** float64 estimate of the argmax (when interior). */
  alpha0: number;
  s0: number;
  /** The scan, for plots and for the "no interior maximum" explanation. */
  scan: { alpha: number; s: number }[];
}

/** Scan alpha in [lo, hi] (log grid), then golden-section refine. */
export function locateMaximum(net: Network, lo = 1e-3, hi = 20, points = 161): MaximumLocation {
  if (net.skip === 'none') throw new Error('the optimal residual scaling needs a residual network (--skip residual)');
  return locateMaximumOf((alpha) => sensitivity64(net, alpha, SCAN_INTERP), lo, hi, points);
}

/**
 * The scan only brackets the maximum for the secant polish that follows (float64 at full
 * tolerance, then the verified passes): quadratures to 1e-10 are ample there and cost fewer nodes.
 */
const SCAN_INTERP = float64InterpTol(1e-10);

/** The scan and golden-section refinement of locateMaximum for any S(alpha) (NaN where it is not defined). */
export function locateMaximumOf(S: (alpha: number) => number, lo = 1e-3, hi = 20, points = 161): MaximumLocation {
  const scan: { alpha: number; s: number }[] = [];
  for (let i = 0; i < points; i++) {
    const alpha = lo * Math.pow(hi / lo, i / (points - 1));
    scan.push({ alpha, s: S(alpha) });
  }
  let best = -1;
  for (let i = 0; i < scan.length; i++) if (Number.isFinite(scan[i].s) && (best < 0 || scan[i].s > scan[best].s)) best = i;
  if (best < 0) throw new NumericalError('the sensitivity is not finite anywhere on the scanned range');
  const lastFinite = scan.reduce((m, p, i) => (Number.isFinite(p.s) ? i : m), 0);
  const interior = best > 0 && best < lastFinite && scan[best].s > scan[best - 1].s && scan[best].s > scan[best + 1].s;
  if (!interior) return { interior: false, alpha0: scan[best].alpha, s0: scan[best].s, scan };
  // Golden section on log alpha.
  let a = Math.log(scan[best - 1].alpha);
  let b = Math.log(scan[best + 1].alpha);
  const g = (Math.sqrt(5) - 1) / 2;
  let x1 = b - g * (b - a);
  let x2 = a + g * (b - a);
  let f1 = S(Math.exp(x1));
  let f2 = S(Math.exp(x2));
  // to 1e-7 in log alpha: the float64 secant polish that follows converges from there in a few steps
  for (let it = 0; it < 80 && b - a > 1e-7; it++) {
    if (f1 > f2) {
      b = x2; x2 = x1; f2 = f1; x1 = b - g * (b - a); f1 = S(Math.exp(x1));
    } else {
      a = x1; x1 = x2; f1 = f2; x2 = a + g * (b - a); f2 = S(Math.exp(x2));
    }
  }
  const alpha0 = Math.exp((a + b) / 2);
  return { interior: true, alpha0, s0: S(alpha0), scan };
}

/** S and dS/dalpha at alpha in any numeric interpretation (exact derivative via dual numbers). */
export function sensitivityAndSlope<T>(I: Interpretation<T>, net: Network, alpha: T): { s: T; ds: T } {
  const D = dualInterp(I);
  const F = I.F;
  const branch: Dual<T> = net.scaling === 'amplitude' ? { v: F.mul(alpha, alpha), d: F.mul(F.of(2), alpha) } : { v: alpha, d: F.of(1) };
  const r = meanFieldResponse(D, net, branch);
  return { s: r.sensitivity.v, ds: r.sensitivity.d };
}

/**
 * Polish the argmax: secant iteration on dS/dalpha = 0 from an estimate alpha0 (a float64 number,
 * or the decimal string of a lower-precision pass) whose relative error is about `spread`: the
 * second secant point is alpha0 (1 - spread). A better start only saves iterations; the root is
 * the one of this interpretation's precision either way.
 */
export function optimalAlpha<T>(I: Interpretation<T>, net: Network, alpha0: number | string, spread = 1e-7, relTol?: number): { alpha: T; sensitivity: T } {
  return maximiseBySecant(I, (alpha) => sensitivityAndSlope(I, net, alpha), alpha0, spread, relTol);
}

/**
 * The secant iteration of optimalAlpha for any exact S and dS/dalpha. It stops when a step is
 * below `relTol` (relative; default 1000 ulps of the working precision): a caller that needs only
 * D digits (the verified passes compare D + 1) may pass a looser one and save evaluations, since
 * the returned point's error is then far below relTol (the secant converges with order 1.6).
 */
export function maximiseBySecant<T>(I: Interpretation<T>, slope: (alpha: T) => { s: T; ds: T }, alpha0: number | string, spread = 1e-7, relTol?: number): { alpha: T; sensitivity: T } {
  const F = I.F;
  let x1 = F.of(alpha0);
  // 1 - spread in the field itself (in float64, 1 - 1e-22 would be exactly 1)
  let x0 = F.mul(x1, F.sub(F.of(1), F.of(spread)));
  let g0 = slope(x0).ds;
  let at1 = slope(x1);
  let g1 = at1.ds;
  const tol = Math.max(relTol ?? 0, 10 ** -(Math.min(F.digits, 300) - 3));
  for (let it = 0; it < 100; it++) {
    const denom = F.sub(g1, g0);
    if (F.toNumber(denom) === 0 && (F.kind !== 'decimal' || (denom as unknown as Decimal).isZero())) break;
    const x2 = F.sub(x1, F.div(F.mul(g1, F.sub(x1, x0)), denom));
    const step = Math.abs(F.toNumber(F.sub(x2, x1)));
    if (step <= tol * Math.abs(F.toNumber(x2))) {
      // S is stationary at the maximum: S(x2) - S(x1) = O(S'' step^2), far below the working
      // precision for a step below tol, so S at the last evaluated point serves
      return { alpha: x2, sensitivity: at1.s };
    }
    x0 = x1; g0 = g1; x1 = x2;
    at1 = slope(x1);
    g1 = at1.ds;
    if (it === 99) throw new NumericalError('optimal alpha: the secant iteration did not converge');
  }
  return { alpha: x1, sensitivity: at1.s };
}

export interface AsymptoticOptimum {
  /** tau_star = a* sw2 L in the continuum limit. */
  tau: number;
  /** alpha_star ~ sqrt(tau_star/(sw2 L)) (amplitude) or tau_star/(sw2 L) (variance). */
  alpha: number;
  /** The limiting maximal sensitivity (q0/K(tau_star)) exp(int_0^tau_star g). */
  sensitivity: number;
  /** Estimated absolute error of tau_star from the ODE integration (step halving). */
  tauError: number;
}

/**
 * Solve the continuum flow with RK4 (float64) and locate the stationary point of ln S(tau):
 * h(tau) = g(K, k) - (sb2/sw2 + m(K)) / K = 0 (first crossing from above... or below).
 */
export function asymptoticOptimum(net: Network, stepsIn?: number, tauMax?: number): AsymptoticOptimum {
  // Quadrature activations pay three 1D/2D expectations per RK4 stage: fewer steps there (the
  // step-halving estimate tauError limits the digits the callers print either way).
  const steps = stepsIn ?? (net.act.closedForm ? 4000 : 600);
  const run = (n: number) => continuumOptimum(net, n, tauMax);
  const coarse = run(steps);
  const fine = run(2 * steps);
  const L = net.depth;
  const sw2 = Number(net.sw2);
  const alpha = net.scaling === 'amplitude' ? Math.sqrt(fine.tau / (sw2 * L)) : fine.tau / (sw2 * L);
  return { tau: fine.tau, alpha, sensitivity: fine.s, tauError: Math.abs(fine.tau - coarse.tau) / 15 };
}

function continuumOptimum(net: Network, steps: number, tauMaxIn?: number): { tau: number; s: number } {
  const I = float64Interp;
  const act = net.act;
  const sw2 = Number(net.sw2);
  const beta = Number(net.sb2) / sw2;
  const q0 = Number(net.q0);
  const rhs = (K: number, k: number): [number, number, number] => [
    beta + phiSquare(I, act, K),
    beta + phiPhi(I, act, K, k, K),
    dPairdK12(I, act, K, k, K),
  ];
  const h = (K: number, k: number): number => dPairdK12(I, act, K, k, K) - (beta + phiSquare(I, act, K)) / K;
  const tauMax = tauMaxIn ?? 200;
  const dt = tauMax / steps;
  let K = q0;
  let k = q0 * Number(net.c0);
  let G = 0; // int g dtau
  let hPrev = h(K, k);
  for (let i = 0; i < steps; i++) {
    const s1 = rhs(K, k);
    const s2 = rhs(K + 0.5 * dt * s1[0], k + 0.5 * dt * s1[1]);
    const s3 = rhs(K + 0.5 * dt * s2[0], k + 0.5 * dt * s2[1]);
    const s4 = rhs(K + dt * s3[0], k + dt * s3[1]);
    const Kn = K + (dt / 6) * (s1[0] + 2 * s2[0] + 2 * s3[0] + s4[0]);
    const kn = k + (dt / 6) * (s1[1] + 2 * s2[1] + 2 * s3[1] + s4[1]);
    const Gn = G + (dt / 6) * (s1[2] + 2 * s2[2] + 2 * s3[2] + s4[2]);
    const hn = h(Kn, kn);
    if (hPrev > 0 && hn <= 0) {
      // ln S rises then falls: the maximum lies in this step. Bisect on the length of a single
      // RK4 step from the saved state (local error O(dt^5)).
      const stepTo = (s: number): [number, number, number] => {
        const a1 = rhs(K, k);
        const a2 = rhs(K + 0.5 * s * a1[0], k + 0.5 * s * a1[1]);
        const a3 = rhs(K + 0.5 * s * a2[0], k + 0.5 * s * a2[1]);
        const a4 = rhs(K + s * a3[0], k + s * a3[1]);
        return [
          K + (s / 6) * (a1[0] + 2 * a2[0] + 2 * a3[0] + a4[0]),
          k + (s / 6) * (a1[1] + 2 * a2[1] + 2 * a3[1] + a4[1]),
          G + (s / 6) * (a1[2] + 2 * a2[2] + 2 * a3[2] + a4[2]),
        ];
      };
      let lo = 0;
      let hi = dt;
      for (let it = 0; it < 60 && hi - lo > 1e-15 * (i + 1) * dt; it++) {
        const mid = 0.5 * (lo + hi);
        const [Km, km] = stepTo(mid);
        if (h(Km, km) > 0) lo = mid;
        else hi = mid;
      }
      const sStar = 0.5 * (lo + hi);
      const [Kt, , Gt] = stepTo(sStar);
      return { tau: i * dt + sStar, s: (q0 / Kt) * Math.exp(Gt) };
    }
    K = Kn; k = kn; G = Gn; hPrev = hn;
  }
  throw new NumericalError(`no interior maximum of the continuum sensitivity for tau < ${tauMax}`);
}

/** Convenience for the API: the whole analysis in float64 (used for scans and plots). */
export function optimalAlpha64(options: Parameters<typeof network>[0]): { interior: boolean; alpha: number; sensitivity: number } {
  const net = network(options);
  const loc = locateMaximum(net);
  if (!loc.interior) return { interior: false, alpha: loc.alpha0, sensitivity: loc.s0 };
  const r = optimalAlpha(float64Interp, net, loc.alpha0);
  return { interior: true, alpha: r.alpha, sensitivity: r.sensitivity };
}

/**
 * The asymptotic formula in LaTeX, built from the activation's moments by the symbolic core:
 * explicit for closed-form activations, in terms of named Gaussian expectations otherwise.
 */
export function asymptoticFormulaLatex(net: Network): { latex: string; validity: string } {
  const act = net.act;
  const sym = { K: 'K', k: 'k', K11: 'K', K22: 'K', K12: 'k' };
  let m: string;
  let p: string;
  let g: string;
  const cd = closedFormDerivatives(act);
  if (cd) {
    const K = symE('K');
    const k = symE('k');
    m = toLatex(simplify(substitute(cd.square, { K })), { symbols: sym });
    p = toLatex(simplify(substitute(cd.pair, { K11: K, K22: K, K12: k })), { symbols: sym });
    g = toLatex(simplify(substitute(cd.dPairdK12, { K11: K, K22: K, K12: k })), { symbols: sym });
  } else {
    m = '\\langle \\phi(u)^2 \\rangle_K';
    p = '\\langle \\phi(u)\\phi(v) \\rangle_{K,k}';
    g = "\\langle \\phi'(u)\\phi'(v) \\rangle_{K,k}";
  }
  const alpha = net.scaling === 'amplitude' ? '\\alpha^* \\simeq \\sqrt{\\frac{\\tau^*}{\\sigma_w^2 L}}' : '\\alpha^* \\simeq \\frac{\\tau^*}{\\sigma_w^2 L}';
  const beta = '\\frac{\\sigma_b^2}{\\sigma_w^2}';
  const latex =
    `${alpha},\\quad K(\\tau^*)\\, g\\big(K(\\tau^*), k(\\tau^*)\\big) = ${beta} + m\\big(K(\\tau^*)\\big),\\\\ ` +
    `\\frac{dK}{d\\tau} = ${beta} + m(K),\\quad \\frac{dk}{d\\tau} = ${beta} + p(K, k),\\quad K(0) = q_0,\\ k(0) = q_0 c_0,\\\\ ` +
    `m(K) = ${m},\\quad p(K, k) = ${p},\\quad g(K, k) = ${g}`;
  const validity =
    'large depth: L -> infinity at fixed tau = alpha^2 sw2 L (amplitude scaling), i.e. alpha*^2 sw2 = tau*/L << 1; relative error O(1/L); ' +
    'requires the continuum log-sensitivity to have an interior maximum (it has none for relu)';
  return { latex, validity };
}

// =======================================================================================
// Finite width: the optimum of E[c_hat^L]'s sensitivity through order 1/N

/** Relative alpha step of finiteWidthOptimum's stencil: alpha* (1 +- e) for e = this, a half and a quarter of it. */
export const FINITE_WIDTH_ALPHA_STEP = 0.04;

export interface FiniteWidthOptimum {
  /** alpha*_N = alpha* + alpha1 / N + O(1/N^2). */
  alpha1: number;
  /** Estimated absolute error of alpha1. */
  alpha1Error: number;
  /** sensitivity_1 at alpha*: S_N(alpha*_N) = S(alpha*) + s1 / N + O(1/N^2). */
  s1: number;
  s1Error: number;
  /** d s1 / d alpha and d^2 S / d alpha^2 at alpha*. */
  ds1: number;
  d2S: number;
}

/**
 * The 1/N shift of the optimal residual scaling. With S_N(alpha) = S(alpha) + s1(alpha)/N
 * (s1 from the two-input one-loop theory, sensitivityOneLoop64) and S'(alpha*) = 0, the maximum
 * of S_N sits at alpha*_N = alpha* - s1'(alpha*) / (N S''(alpha*)) + O(1/N^2).
 *
 * s1' = d^2 coefficient / (dalpha dc0) by the cross difference
 *   X(e) = [D_d(alpha* (1 + e)) - D_d(alpha* (1 - e))] / (2 e alpha*),
 * D_d the central difference in c0 of step d, with d shrinking in proportion to e (d = d0 e / eps).
 * Then X(e) = s1' + e^2 (alpha*^2 s1''' / 6 + (d0 / eps)^2 A') + O(e^4), where d^2 A(alpha) is
 * D_d's own truncation error. That error depends on alpha, so at a fixed d it does not cancel
 * between the alphas; with d shrinking with e one Richardson extrapolation removes both terms.
 * Three levels e = eps, eps/2, eps/4 give two extrapolations R1, R2; s1' = R2 with error
 * |R2 - R1| / 15 (the size of its next, e^4, term). S'' by central differences of the exact
 * (dual-number) slope dS/dalpha.
 *
 * `s1At(net)` is the checked sensitivity_1 at alpha*; `s1At(net, d)` one central difference in c0
 * of step d. All on one grid, so that the discretised coefficient is a smooth function of alpha and c0.
 */
export function finiteWidthOptimum(
  net: Network,
  alphaStar: number,
  s1At: (n: Network, c0Step?: number) => { sensitivity1: number; error: number; gridRel?: number },
  c0Step: number,
): FiniteWidthOptimum {
  const at = (alpha: number) => withChanges(net, { alpha: String(alpha), skip: 'residual' });
  return finiteWidthOptimumOf(alphaStar, (alpha, step) => s1At(at(alpha), step), (alpha) => sensitivityAndSlope(float64Interp, net, alpha).ds, c0Step);
}

/**
 * finiteWidthOptimum over any family: `s1At(alpha)` the checked sensitivity_1, `s1At(alpha, d)` one
 * central difference in c0 of step d, `slope(alpha)` = dS/dalpha of the mean field.
 */
export function finiteWidthOptimumOf(
  alphaStar: number,
  s1At: (alpha: number, c0Step?: number) => { sensitivity1: number; error: number; gridRel?: number },
  slope: (alpha: number) => number,
  c0Step: number,
): FiniteWidthOptimum {
  const centre = s1At(alphaStar);
  const eps = FINITE_WIDTH_ALPHA_STEP;
  const X = (k: number) => {
    const e = eps / k;
    const d = c0Step / k;
    return (s1At(alphaStar * (1 + e), d).sensitivity1 - s1At(alphaStar * (1 - e), d).sensitivity1) / (2 * e * alphaStar);
  };
  const X1 = X(1);
  const X2 = X(2);
  const X4 = X(4);
  const R1 = (4 * X2 - X1) / 3;
  const ds1 = (4 * X4 - X2) / 3;
  const ds1Err = Math.abs(ds1 - R1) / 15 + (centre.gridRel ?? 0) * Math.abs(ds1);
  if (!Number.isFinite(ds1)) throw new NumericalError('finite-width optimum: the derivative of sensitivity_1 in alpha is not finite');
  const h = 1e-4 * alphaStar;
  const d2S = (slope(alphaStar + h) - slope(alphaStar - h)) / (2 * h);
  if (!(d2S < 0)) throw new NumericalError(`finite-width optimum: S''(alpha*) = ${d2S} is not negative; alpha* is not a regular maximum`);
  const alpha1 = -ds1 / d2S;
  return { alpha1, alpha1Error: ds1Err / Math.abs(d2S), s1: centre.sensitivity1, s1Error: centre.error, ds1, d2S };
}
