/**
 * The infinite-width neural tangent kernel (NTK) of the network of THEORY.md section 1, two
 * inputs, every layer; written once over an Interpretation<T> (float64, Decimal, symbolic).
 *
 * Convention (NTK parameterisation, docs/ntk.md): every weight is (sigma_w/sqrt(fan_in)) W~ and
 * every bias sigma_b b~ with W~, b~ standard normal and trained; the input layer is trained too,
 * so Theta^0 = K^0. Then, with the derivative moment g^l_ab = <phi'(u_a) phi'(u_b)>_{K^(l-1)},
 *
 *   feed-forward (--skip none):  Theta^l = C^l + sw2 g^l Theta^(l-1)
 *   residual:                    Theta^l = (1 + a sw2 g^l) Theta^(l-1) + a C^l
 *
 * (a = alpha^2, or alpha with --scaling variance; derivation in docs/ntk.md). Options: frozen
 * biases drop sb2 from the direct term (C^l -> sw2 <phi phi>), a frozen input layer starts from
 * Theta^0 = 0.
 *
 * Large depth (feed-forward, derived in docs/ntk.md and checked against long iterations in
 * test/ntk.test.ts), with chi1 = sw2 <phi'^2> at the length fixed point q*:
 *   ordered  (chi1 < 1): Theta^L_11, Theta^L_12 -> C_star/(1 - chi1), normalised NTK -> 1;
 *   chaotic  (chi1 > 1): Theta^L_11 ~ A chi1^L, Theta^L_12 -> C_star_12/(1 - chi_c), normalised -> 0;
 *   critical (chi1 = 1): Theta^L_11 / L -> C_star, Theta^L_12 / L -> C_star/(1 + gamma), normalised ->
 *                        1/(1 + gamma), gamma = 2 for smooth and 3 for kinked activations
 *                        (c^L for affine activations stays at c0: the normalised NTK is c0);
 *   residual relu-like (homogeneous of degree 1) at sb2 = 0: normalised -> 1/4 for every alpha > 0.
 */
import { Activation } from '../model/activation';
import { Network, branchFactor } from '../model/network';
import { InputError, NumericalError } from '../model/errors';
import { Interpretation, productIntegrand, float64Interp } from '../interpret/numeric';
import { meanFieldKernels, KernelTable } from './kernel';
import { dPairdK12 } from './response';
import { fixedPoint } from './fixedpoint';
import { plainMath } from '../numeric/plainMath';
import { progressTick } from '../io/progress';
// A plain-object copy of Math: under jest the global Math is a proxy and each Math.* access costs ~1 us.
const Math = plainMath();

export type Trained = 'trained' | 'frozen';

export interface NtkOptions {
  /** Biases trained (default): their gradients add sb2 to the direct term. */
  biases?: Trained;
  /** Input layer trained (default): Theta^0 = K^0; frozen: Theta^0 = 0. */
  inputLayer?: Trained;
}

export interface NtkTable<T> {
  kernels: KernelTable<T>;
  /** Theta^l_11 (= Theta^l_22), l = 0..L. */
  ntk: T[];
  /** Theta^l_12. */
  ntk12: T[];
  /** The normalised NTK Theta^l_12 / Theta^l_11 (null where Theta^l_11 = 0). */
  ratio: (T | null)[];
  /** <phi'^2> and <phi'_1 phi'_2> at K^(l-1), l = 1..L (index 0 unused: 0). */
  g11: T[];
  g12: T[];
}

function requireDifferentiable(act: Activation): void {
  if (act.continuity === 'discontinuous') {
    throw new InputError('act', `the NTK needs a continuous activation; "${act.name}" is discontinuous (its derivative is a delta function)`);
  }
}

/** The relu-power order k when `act` is max(0,x)^k with integer k >= 1 (relu: k = 1). */
function reluPowerOrder(act: Activation): number | undefined {
  const r = act.rectified;
  return r && r.a === 1 && r.b === 0 && Number.isInteger(r.k) && r.k >= 1 ? r.k : undefined;
}

/** Lazily required to avoid a load-order cycle (activation.ts is imported by everything). */
function reluPowerActivation(k: number): Activation {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { activation } = require('../model/activation') as typeof import('../model/activation');
  return activation(`relu-power:${k}`);
}

/**
 * <phi'(u) phi'(v)>, (u, v) ~ N(0, [[k11, k12], [k12, k22]]). For max(0,x)^k it is
 * k^2 <max(0,u)^(k-1) max(0,v)^(k-1)> (the arc-cosine kernel of order k - 1: (pi - theta)/(2 pi)
 * for relu), which stays finite at rho = 1 where the derivative of the closed form is 0/0; other
 * closed forms are differentiated symbolically (Price's theorem), and everything else uses
 * quadrature (which handles rho = +-1 itself).
 */
export function derivPair<T>(I: Interpretation<T>, act: Activation, k11: T, k12: T, k22: T): T {
  const F = I.F;
  const k = reluPowerOrder(act);
  if (k !== undefined) {
    const lower = reluPowerActivation(k - 1).closedForm!;
    // At rho = 1 (k11 = k12 = k22) the pair is the square moment, free of the 0/0 of J_n(0).
    if (F.kind !== 'symbolic' && k > 1 && F.toNumber(F.sub(F.mul(k11, k22), F.mul(k12, k12))) <= 0 && F.toNumber(F.sub(k11, k22)) === 0) {
      return F.mul(F.of(k * k), lower.square(F, k11));
    }
    return F.mul(F.of(k * k), lower.pair(F, k11, k12, k22));
  }
  if (act.closedForm && !act.closedForm.regularDerivative) {
    // Unknown closed form: its symbolic derivative may be 0/0 at rho = 1; use quadrature there.
    if (F.kind !== 'symbolic' && F.toNumber(F.sub(F.mul(k11, k22), F.mul(k12, k12))) <= 0) {
      const d = act.derivative();
      return I.expect2(d, d, k11, k12, k22);
    }
  }
  if (act.closedForm) return dPairdK12(I, act, k11, k12, k22);
  const d = act.derivative();
  return I.expect2(d, d, k11, k12, k22);
}

/** <phi'(u)^2>, u ~ N(0, k). */
export function derivSquare<T>(I: Interpretation<T>, act: Activation, k: T): T {
  const n = reluPowerOrder(act);
  if (n !== undefined) return I.F.mul(I.F.of(n * n), reluPowerActivation(n - 1).closedForm!.square(I.F, k));
  if (act.closedForm?.regularDerivative) return derivPair(I, act, k, k, k);
  const d = act.derivative();
  return I.expect1(productIntegrand(d, d), k);
}

/** The NTK of every layer. `branch` overrides the branch factor a (e.g. a dual number). */
export function ntkRecursion<T>(I: Interpretation<T>, net: Network, opts: NtkOptions = {}, branch: T = branchFactor(I.F, net)): NtkTable<T> {
  requireDifferentiable(net.act);
  const F = I.F;
  const kernels = meanFieldKernels(I, net, branch);
  const sw2 = F.of(net.sw2);
  const sb2 = F.of(net.sb2);
  const biasTerm = (opts.biases ?? 'trained') === 'trained';
  const inputTrained = (opts.inputLayer ?? 'trained') === 'trained';
  const residual = net.skip !== 'none';
  const zero = F.of(0);
  const one = F.of(1);
  let t11 = inputTrained ? kernels.q[0] : zero;
  let t12 = inputTrained ? kernels.k12[0] : zero;
  const out: NtkTable<T> = { kernels, ntk: [t11], ntk12: [t12], ratio: [], g11: [zero], g12: [zero] };
  for (let l = 1; l <= net.depth; l++) {
    progressTick(l, net.depth);
    const q = kernels.q[l - 1];
    const k12 = kernels.k12[l - 1];
    const g11 = derivSquare(I, net.act, q);
    const g12 = derivPair(I, net.act, q, k12, q);
    const d11 = biasTerm ? kernels.C11[l] : F.sub(kernels.C11[l], sb2);
    const d12 = biasTerm ? kernels.C12[l] : F.sub(kernels.C12[l], sb2);
    if (residual) {
      t11 = F.add(F.mul(F.add(one, F.mul(branch, F.mul(sw2, g11))), t11), F.mul(branch, d11));
      t12 = F.add(F.mul(F.add(one, F.mul(branch, F.mul(sw2, g12))), t12), F.mul(branch, d12));
    } else {
      t11 = F.add(d11, F.mul(F.mul(sw2, g11), t11));
      t12 = F.add(d12, F.mul(F.mul(sw2, g12), t12));
    }
    if (F.kind !== 'symbolic' && (!F.isFinite(t11) || !F.isFinite(t12))) {
      throw new NumericalError(`the NTK left the finite numbers at layer ${l}`, l);
    }
    out.ntk.push(t11);
    out.ntk12.push(t12);
    out.g11.push(g11);
    out.g12.push(g12);
  }
  out.ratio = out.ntk.map((t, l) => (F.kind !== 'symbolic' && F.toNumber(t) === 0 ? null : F.div(out.ntk12[l], t)));
  return out;
}

export type Regime = 'ordered' | 'chaotic' | 'critical' | 'residual' | 'unknown';

/** The large-depth limits (feed-forward: at the fixed point of the network's sw2, sb2). */
export interface NtkLimits<T> {
  regime: Regime;
  chi1: T | null;
  q_star: T | null;
  c_star: T | null;
  chi_c: T | null;
  /** lim Theta^L_12 / Theta^L_11 (null when not derived for this case; see note). */
  normalised: T | null;
  /** ordered: lim Theta^L_11 = lim Theta^L_12; chaotic: lim Theta^L_12; critical: lim Theta^L_11 / L. */
  theta: T | null;
  /** critical: lim Theta^L_12 / L. */
  theta12: T | null;
  /** chaotic: lim Theta^(L+1)_11 / Theta^L_11 (= chi1). */
  growth: T | null;
  /** critical: gamma of the law g^l_12 sw2 = 1 - gamma/l (2 smooth, 3 kinked). */
  gamma: number | null;
  note: string;
}

/** |chi1 - 1| below this counts as the edge of chaos (depth scale > 10^12 layers). */
export const CRITICAL_TOLERANCE = 1e-12;

/** Is phi affine (phi'' = 0)? Checked on a grid of points of its second derivative. */
function isAffine(act: Activation): boolean {
  if (act.continuity !== 'smooth') return false;
  const d2 = act.derivative().derivative();
  for (let x = -6; x <= 6; x += 0.37) if (d2.f64(x) !== 0) return false;
  return true;
}

export function ntkLimits<T>(I: Interpretation<T>, net: Network, opts: NtkOptions = {}): NtkLimits<T> {
  requireDifferentiable(net.act);
  const F = I.F;
  const act = net.act;
  const none = { chi1: null, q_star: null, c_star: null, chi_c: null, normalised: null, theta: null, theta12: null, growth: null, gamma: null };
  if (net.skip !== 'none') {
    const a = F.toNumber(branchFactor(F, net));
    if (act.homogeneousDegree === 1 && act.continuity === 'kinked' && a > 0 && Number(net.sw2) > 0 && Number(net.sb2) === 0) {
      return {
        ...none, regime: 'residual', normalised: F.div(F.of(1), F.of(4)), gamma: 3,
        note: 'residual network with a relu-like activation at sb2 = 0: K^l grows geometrically, 1 - c^l ~ l^-2, the factor of Theta_12 relative to Theta_11 is 1 - 3/l, so the normalised NTK tends to 1/4 for every alpha > 0 (docs/ntk.md)',
      };
    }
    return { ...none, regime: 'residual', note: 'no large-depth limit derived for residual networks with this activation: see the iterated values' };
  }
  const biasTerm = (opts.biases ?? 'trained') === 'trained';
  const sb2 = F.of(net.sb2);
  const sw2n = Number(net.sw2);
  const homogeneousIdentity = act.homogeneousDegree === 1 && Number(net.sb2) === 0;
  let fp;
  let qStar: T;
  if (homogeneousIdentity) {
    // The length map q -> sw2 <phi^2>_q is linear: q^l = chi1^l q0 (no positive finite fixed point unless chi1 = 1).
    const chi1 = F.mul(F.of(net.sw2), derivSquare(I, act, F.of(1)));
    if (Math.abs(F.toNumber(chi1) - 1) > CRITICAL_TOLERANCE) {
      return { ...none, regime: F.toNumber(chi1) < 1 ? 'ordered' : 'chaotic', chi1, note: `the length map of "${act.name}" at sb2 = 0 is linear: K^l = chi1^l q0 ${F.toNumber(chi1) < 1 ? 'vanishes' : 'diverges'}, and so does the NTK; no finite normalised limit is derived here` };
    }
    qStar = F.of(net.q0);
    fp = { q_star: qStar, c_star: F.of(1), chi1, chi_c: chi1 };
  } else if (act.homogeneousDegree === 1 && F.toNumber(F.mul(F.of(net.sw2), derivSquare(I, act, F.of(1)))) >= 1 - CRITICAL_TOLERANCE) {
    // q -> sb2 + chi1 q with sb2 > 0 and chi1 >= 1: no finite fixed point.
    const chi1 = F.mul(F.of(net.sw2), derivSquare(I, act, F.of(1)));
    const crit = Math.abs(F.toNumber(chi1) - 1) <= CRITICAL_TOLERANCE;
    return {
      ...none, regime: crit ? 'critical' : 'chaotic', chi1,
      note: `the length map of "${act.name}" is q -> sb2 + chi1 q with sb2 > 0 and chi1 ${crit ? '= 1' : '> 1'}: K^l grows ${crit ? 'linearly' : 'geometrically'} without a fixed point; no finite limit is derived here`,
    };
  } else {
    if (sw2n === 0) return { ...none, regime: 'ordered', note: 'sw2 = 0: every layer outputs its bias; Theta^l = sb2 (trained biases) from layer 1 on' };
    try {
      fp = fixedPoint(I, act, net.sw2, net.sb2);
    } catch (e) {
      if (!(e instanceof NumericalError)) throw e;
      return { ...none, regime: 'unknown', note: `no large-depth limit: ${e.message}` };
    }
    qStar = fp.q_star;
  }
  const chi1n = F.toNumber(fp.chi1);
  const one = F.of(1);
  const Cstar = biasTerm ? qStar : F.sub(qStar, sb2);
  if (Math.abs(chi1n - 1) <= CRITICAL_TOLERANCE) {
    if (isAffine(act)) {
      return {
        ...none, regime: 'critical', chi1: fp.chi1, q_star: qStar, c_star: F.of(net.c0), chi_c: fp.chi1,
        normalised: biasTerm || Number(net.sb2) === 0 ? F.of(net.c0) : null, theta: Cstar, theta12: biasTerm ? F.mul(qStar, F.of(net.c0)) : null, gamma: null,
        note: 'affine activation at the edge of chaos: the correlation map is the identity, c^l = c0, and Theta^l = Theta^0 + l K^0',
      };
    }
    const gamma = act.continuity === 'smooth' ? 2 : 3;
    const g = F.of(gamma);
    return {
      ...none, regime: 'critical', chi1: fp.chi1, q_star: qStar, c_star: one, chi_c: fp.chi1, gamma,
      normalised: F.div(one, F.add(one, g)), theta: Cstar, theta12: F.div(Cstar, F.add(one, g)),
      note: `edge of chaos: 1 - c^l ~ l^-${gamma === 2 ? 1 : 2}, sw2 <phi'_1 phi'_2> = 1 - ${gamma}/l, so Theta^L ~ L C_star (1 on the diagonal, 1/${gamma + 1} off it)`,
    };
  }
  if (chi1n < 1) {
    const th = F.div(Cstar, F.sub(one, fp.chi1));
    return {
      ...none, regime: 'ordered', chi1: fp.chi1, q_star: qStar, c_star: one, chi_c: fp.chi1, normalised: one, theta: th, theta12: null,
      note: 'ordered phase: c^l -> 1 and Theta^l -> C_star/(1 - chi1) on and off the diagonal (a constant kernel) at the rate chi1^l',
    };
  }
  const C12 = biasTerm ? F.mul(qStar, fp.c_star) : F.sub(F.mul(qStar, fp.c_star), sb2);
  return {
    ...none, regime: 'chaotic', chi1: fp.chi1, q_star: qStar, c_star: fp.c_star, chi_c: fp.chi_c,
    normalised: F.of(0), theta: F.div(C12, F.sub(one, fp.chi_c)), growth: fp.chi1,
    note: 'chaotic phase: Theta^L_11 grows like chi1^L while Theta^L_12 -> C_star_12/(1 - chi_c), so the normalised NTK vanishes like chi1^-L',
  };
}

// ---------------------------------------------------------------------------------------
// Verified digits (the API behind `fieldprop ntk`).

export interface NtkResult {
  network: Network;
  digits: number;
  biases: Trained;
  input_layer: Trained;
  /** Theta^l_11, l = 0..depth, decimal strings with `digits` verified digits. */
  ntk: string[];
  /** Theta^l_12. */
  ntk12: string[];
  /** Theta^l_12 / Theta^l_11 (null where Theta^l_11 = 0). */
  ratio: (string | null)[];
  /** K^l_11 and K^l_12 of the same run (the kernel of `fieldprop kernel`). */
  q: string[];
  k12: string[];
  limits: {
    regime: Regime;
    note: string;
    gamma: number | null;
    chi1: string | null;
    q_star: string | null;
    c_star: string | null;
    chi_c: string | null;
    normalised: string | null;
    theta: string | null;
    theta12: string | null;
    growth: string | null;
  };
}

/** A --biases / --input-layer value: "trained" (the default) or "frozen" (InputError naming `name` otherwise). */
export function trainedParam(name: string, v: string | undefined): Trained {
  const s = v ?? 'trained';
  if (s !== 'trained' && s !== 'frozen') throw new InputError(name, `must be "trained" or "frozen", got "${s}"`);
  return s;
}

/** The NTK of every layer and its large-depth limits, to `digits` verified significant digits. */
export function ntkAnalysis(net: Network, opts: { digits?: number; biases?: string; inputLayer?: string } = {}): NtkResult {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { verifiedDecimal } = require('./verified') as typeof import('./verified');
  const digits = opts.digits ?? 16;
  if (!Number.isInteger(digits) || digits < 1 || digits > 200) throw new InputError('digits', `must be an integer in 1..200, got ${digits}`);
  const o: NtkOptions = { biases: trainedParam('biases', opts.biases), inputLayer: trainedParam('input-layer', opts.inputLayer) };
  // The regime is decided once, in float64 (the Decimal runs compute its numbers).
  const lim64 = ntkLimits(float64Interp, net, o);
  const v = verifiedDecimal(digits, (I) => {
    const t = ntkRecursion(I, net, o);
    const l = ntkLimits(I, net, o);
    if (l.regime !== lim64.regime) throw new NumericalError(`the regime changed between float64 (${lim64.regime}) and ${I.F.digits}-digit arithmetic: chi1 is too close to 1 to decide`);
    return {
      ntk: t.ntk, ntk12: t.ntk12, ratio: t.ratio, q: t.kernels.q, k12: t.kernels.k12,
      chi1: l.chi1, q_star: l.q_star, c_star: l.c_star, chi_c: l.chi_c, normalised: l.normalised, theta: l.theta, theta12: l.theta12, growth: l.growth,
    };
  }).values as Record<string, string | null | (string | null)[]>;
  const s = (k: string): string | null => v[k] as string | null;
  return {
    network: net, digits, biases: o.biases!, input_layer: o.inputLayer!,
    ntk: v.ntk as string[], ntk12: v.ntk12 as string[], ratio: v.ratio as (string | null)[], q: v.q as string[], k12: v.k12 as string[],
    limits: {
      regime: lim64.regime, note: lim64.note, gamma: lim64.gamma,
      chi1: s('chi1'), q_star: s('q_star'), c_star: s('c_star'), chi_c: s('chi_c'), normalised: s('normalised'), theta: s('theta'), theta12: s('theta12'), growth: s('growth'),
    },
  };
}
