/**
 * Batch norm with epsilon and the affine parameters gamma, beta (docs/batchnorm.md, section 12):
 *
 *   y = gamma G h / sqrt(|G h|^2 / B + eps) + beta,   x = phi(y).
 *
 * For a permutation-symmetric Sigma = q((1-c) I + c 11^T) write v = q(1-c). Then
 * G h = sqrt(v) z with z standard Gaussian in the (B-1)-dim subspace 1-perp, z = r u / sqrt(B) with u
 * uniform on the batch sphere and t = r^2 ~ chi^2_(B-1) independent of u, and
 *
 *   y = gamma s(t) u + beta,   s(t) = 1 / sqrt(1 + B eps / (v t)).
 *
 * Every quantity is a radial average over t of sphere moments of phi_t(u) = phi(gamma s(t) u + beta):
 *   - the map: v' = sw2 E_t[Q_t - P_t], q' = sw2 E_t[Q_t] + sb2, q'c' = sw2 E_t[P_t] + sb2
 *     (Q = E phi(y1)^2, P = E phi(y1) phi(y2)); it depends on Sigma through v only, so the symmetric
 *     dynamics is the one-dimensional iteration v -> v';
 *   - forward eigenvalues, by the Gaussian score d/dS E_S[f] = E[f (h^T S^-1 D S^-1 h - tr S^-1 D)] / 2:
 *     lambda_triv = sw2/(2v) E_t[(t - (B-1)) (Q_t - P_t)]  (direction G: the scale, no longer neutral),
 *     lambda_std, lambda_2 = (sw2/v) E_t[t/(B-1) Lambda(phi_t)], Lambda the eps = 0 expressions of
 *     `assemble` (at eps = 0, E t = B-1 gives them back);
 *   - the gradient rate: the BN Jacobian is gamma sqrt(B)/rho (G - s^2 w w^T), rho^2 = |Gh|^2 + B eps,
 *     w = Gh/|Gh|, so rate = sw2 B/(B-1) E_t[(T1_t - (2 s^2 - s^4) T2_t) / (v t)] with T1, T2 the two
 *     traces of `assemble` for phi_t (T2 weighted by the sphere coordinate u).
 * The t-integral is Gauss-Legendre in ln t over the range where the chi^2 density is above e^-46 of its
 * maximum; sphere and then radial node counts are doubled until two rules agree.
 */
import { InputError, NumericalError } from '../model/errors';
import {
  BatchNormSpec, BatchNormResult, SphereMoments, SphereFunction, sphereMomentsOf, gaussLegendre, eigenSums, gradTraces, 
} from './batchnorm';
import { lnGamma64 } from '../numeric/special';
import { plainMath } from '../numeric/plainMath';
const Math = plainMath();

/** phi(a u + beta) as a function of u, with its derivative in u and its kinks. */
export function affineFunction(spec: BatchNormSpec, a: number): SphereFunction {
  const f = spec.act.f64;
  const df = spec.act.derivative().f64;
  const b = spec.beta;
  return {
    f: (u) => f(a * u + b),
    df: (u) => a * df(a * u + b),
    kinks: spec.act.kinks.map((k) => (k - b) / a),
  };
}

/** Nodes t and normalised weights for t ~ chi^2_k: Gauss-Legendre with n nodes in ln t. */
export function chiSquareRule(k: number, n: number): { t: number[]; w: number[] } {
  const logp = (x: number) => 0.5 * k * x - 0.5 * Math.exp(x);
  const x0 = Math.log(k);
  const top = logp(x0);
  let lo = x0;
  while (logp(lo) > top - 46) lo -= 0.25;
  let hi = x0;
  while (logp(hi) > top - 46) hi += 0.05;
  const gl = gaussLegendre(n);
  const t: number[] = [];
  const w: number[] = [];
  let total = 0;
  for (let i = 0; i < n; i++) {
    const x = 0.5 * (lo + hi) + 0.5 * (hi - lo) * gl.x[i];
    const wt = gl.w[i] * Math.exp(logp(x) - top);
    t.push(Math.exp(x));
    w.push(wt);
    total += wt;
  }
  for (let i = 0; i < n; i++) w[i] /= total;
  return { t, w };
}

/** The symmetric map and everything linear around it, at the state v = q(1-c). */
export interface SymmetricMapValue {
  /** The image Sigma' = q'((1-c') I + c' 11^T) and v' = q'(1-c'). */
  q: number;
  c: number;
  v: number;
  phi2: number;
  phiphi: number;
  /** Forward eigenvalues of dF at the input state (directions G, standard, [B-2,2]) and the gradient rate there. */
  lambda_triv: number;
  lambda_std: number | null;
  lambda_2: number | null;
  grad_rate: number | null;
}

/** Evaluate the map at state v with nSphere sphere nodes per piece and nRadial radial nodes. */
export function symmetricMap(spec: BatchNormSpec, v: number, nSphere: number, nRadial: number, pairOnly = false): SymmetricMapValue {
  const B = spec.batch;
  const k = B - 1;
  let Q = 0;
  let P = 0;
  let triv = 0;
  let std = 0;
  let two = 0;
  let grad = 0;
  // Lambda(phi) of assemble() without its 1/(qV - pV): std irrep (B >= 3) and [B-2,2] irrep (B >= 4)
  const lamStd = (sdiag: number) => (B >= 3 ? sdiag / (2 * (B - 2)) : 0);
  const lam2 = (e: number) => (B >= 4 ? ((B - 1) * e) / (B * B * (B - 3)) : 0);
  const add = (w: number, t: number, s: number, m: SphereMoments) => {
    Q += w * m.qV;
    P += w * m.pV;
    if (pairOnly) return;
    triv += w * (t - k) * (m.qV - m.pV);
    const es = eigenSums(B, m);
    std += w * (t / k) * lamStd(es.sdiag);
    two += w * (t / k) * lam2(es.e);
    const { T1, T2 } = gradTraces(B, m);
    grad += (w * (T1 - (2 * s * s - s * s * s * s) * T2)) / (v * t);
  };
  if (spec.eps === 0) {
    // s = 1: one sphere computation; E t = B-1, E (t - (B-1)) = 0 and E 1/t = 1/(B-3) exactly.
    const m = sphereMomentsOf(affineFunction(spec, spec.gamma), B, nSphere);
    Q = m.qV;
    P = m.pV;
    if (!pairOnly) {
      const es = eigenSums(B, m);
      std = lamStd(es.sdiag);
      two = lam2(es.e);
      const { T1, T2 } = gradTraces(B, m);
      grad = B >= 4 ? (T1 - T2) / ((B - 3) * v) : NaN;
    }
  } else {
    const rule = chiSquareRule(k, nRadial);
    for (let i = 0; i < rule.t.length; i++) {
      const t = rule.t[i];
      const s = 1 / Math.sqrt(1 + (B * spec.eps) / (v * t));
      add(rule.w[i], t, s, sphereMomentsOf(affineFunction(spec, spec.gamma * s), B, nSphere));
    }
  }
  const q = spec.sw2 * Q + spec.sb2;
  const vNext = spec.sw2 * (Q - P);
  if (!(vNext > 1e-14 * Math.max(1, spec.sw2 * Q))) {
    throw new InputError('act', `${spec.act.name} gives a (near) zero batch variance after batch norm with gamma = ${spec.gamma}, beta = ${spec.beta}, eps = ${spec.eps} at B = ${B}`);
  }
  const sw = spec.sw2;
  return {
    q, c: (sw * P + spec.sb2) / q, v: vNext, phi2: Q, phiphi: P,
    lambda_triv: (sw * triv) / (2 * v),
    lambda_std: B >= 3 ? (sw * std) / v : null,
    lambda_2: B >= 4 ? (sw * two) / v : null,
    grad_rate: Number.isFinite(grad) ? (sw * B * grad) / k : null,
  };
}

export interface EpsResult extends BatchNormResult {
  eps: number;
  gamma: number;
  beta: number;
  /** Scale eigenvalue d v'/d v at the fixed point (0 when eps = 0: the map is then scale invariant). */
  lambda_triv: number;
  /** BN layers m until F^m(Sigma^1) (Sigma^1 = sw2 I + sb2 11^T: unit iid inputs) is within `layers_tol` of Sigma* (q relative, c absolute). */
  layers: number;
  layers_tol: number;
  /** Relative difference of the two rules (sphere and radial node counts n and 2n), and the nodes used. */
  quad_error: number;
  nodes: { sphere: number; radial: number };
}

const KEYS: (keyof SymmetricMapValue)[] = ['q', 'c', 'lambda_triv', 'lambda_std', 'lambda_2', 'grad_rate'];

function relDiff(a: SymmetricMapValue, b: SymmetricMapValue): number {
  let e = 0;
  const scale = Math.max(Math.abs(a.q), 1e-300);
  for (const key of KEYS) {
    const x = a[key] as number | null;
    const y = b[key] as number | null;
    if (x === null || y === null) continue;
    // c and the eigenvalues may pass through 0: absolute error for |x| < 1
    const den = key === 'q' ? scale : Math.max(1, Math.abs(x));
    e = Math.max(e, Math.abs(x - y) / den);
  }
  return e;
}

/**
 * The symmetric fixed point with eps, gamma, beta: v iterated from v^1 = sw2 until it stops moving,
 * then every quantity at v* with two node counts that agree to tol.
 */
export function batchNormEps(spec: BatchNormSpec, tol = 1e-7, layersTol = 1e-9, maxLayers = 10000): EpsResult {
  const B = spec.batch;
  // node counts: sphere nodes doubled (radial fixed), then radial nodes doubled, until two rules agree to tol
  let nS = 24;
  let nR = spec.eps === 0 ? 1 : 32;
  const chooseNodes = (v: number): number => {
    let err = 0;
    for (const which of spec.eps === 0 ? ['sphere'] : ['sphere', 'radial']) {
      let prev = symmetricMap(spec, v, nS, nR);
      for (;;) {
        if (nS > 384 || nR > 1024) throw new NumericalError(`batchnorm: the radial and sphere quadrature did not converge to ${tol} for ${spec.act.name} at B = ${B}`);
        if (which === 'sphere') nS *= 2;
        else nR *= 2;
        const cur = symmetricMap(spec, v, nS, nR);
        const e = relDiff(cur, prev);
        if (e <= tol) {
          err = Math.max(err, e);
          break;
        }
        prev = cur;
      }
    }
    return err;
  };
  chooseNodes(spec.sw2);
  // images[m-1] = F^m(Sigma^1), Sigma^1 = sw2 I + sb2 11^T (unit iid inputs, v^1 = sw2)
  const images: SymmetricMapValue[] = [];
  let v = spec.sw2;
  for (let l = 1; ; l++) {
    const img = symmetricMap(spec, v, nS, nR, true);
    images.push(img);
    if (Math.abs(img.v - v) <= 1e-13 * img.v) break;
    if (!(img.v > 1e-12 * spec.sw2)) {
      throw new NumericalError(`batchnorm: the batch variance q(1-c) collapses towards 0 (${img.v.toExponential(2)} after ${l} layers; eps = ${spec.eps} dominates it)`);
    }
    if (!Number.isFinite(img.v) || l >= maxLayers) {
      throw new NumericalError(`batchnorm: the symmetric iteration of q(1-c) did not settle within ${maxLayers} layers (eps = ${spec.eps}, gamma = ${spec.gamma}, beta = ${spec.beta})`);
    }
    v = img.v;
  }
  const last = images[images.length - 1];
  let layers = images.length;
  while (layers > 1) {
    const img = images[layers - 2];
    if (Math.abs(img.q - last.q) > layersTol * last.q || Math.abs(img.c - last.c) > layersTol) break;
    layers--;
  }
  // verify at the fixed point (the integrand there may need more nodes than at the start)
  const err = chooseNodes(v);
  const fine = symmetricMap(spec, v, nS, nR);
  return {
    act: spec.act.name, batch: B, sw2: spec.sw2, sb2: spec.sb2, eps: spec.eps, gamma: spec.gamma, beta: spec.beta,
    q_star: fine.q, c_star: fine.c, phi2: fine.phi2, phiphi: fine.phiphi,
    grad_rate: fine.grad_rate, lambda_std: fine.lambda_std, lambda_2: fine.lambda_2, lambda_triv: fine.lambda_triv,
    layers, layers_tol: layersTol, quad_error: err, nodes: { sphere: nS, radial: nR },
  };
}

/** E[t^p] for t ~ chi^2_k (k/2 + p > 0): 2^p Gamma(k/2 + p) / Gamma(k/2). */
export function chiSquareMoment(k: number, p: number): number {
  return Math.exp(p * Math.LN2 + lnGamma64(k / 2 + p) - lnGamma64(k / 2));
}
