/**
 * Mean field of a batch-normalised fully connected network (Yang et al. 2019), over a batch of B inputs.
 *
 * Convention (docs/batchnorm.md): per layer, for every neuron i and batch index a,
 *
 *   h^l_ia = sum_j W^l_ij x^(l-1)_ja + b^l_i,      W ~ N(0, sw2/N), b ~ N(0, sb2)
 *   y^l_i  = BN(h^l_i) = sqrt(B) G h^l_i / |G h^l_i|,   G = I - 11^T/B  (gamma = 1, beta = 0, eps = 0,
 *            biased batch variance: y has batch mean 0 and batch mean square 1)
 *   x^l_i  = phi(y^l_i)
 *
 * The state is the B x B covariance of the pre-normalisation preactivations, Sigma^l = E[h_i h_i^T]:
 *
 *   Sigma^l = F(Sigma^(l-1)) = sw2 V(Sigma^(l-1)) + sb2 11^T,   V(S) = E_{h ~ N(0,S)}[phi(y(h)) phi(y(h))^T].
 *
 * V depends on S only through the direction of G h, so for every permutation-symmetric S the
 * normalised vector y is uniform on the "batch sphere" {y : sum y = 0, |y|^2 = B} and
 * V(S) = V* := E_sphere[phi(y) phi(y)^T]: the symmetric fixed point is reached in one layer,
 * Sigma* = sw2 V* + sb2 11^T = q* ((1 - c*) I + c* 11^T).
 *
 * Two routes compute everything:
 *   - quadrature over the batch geometry (any activation): all quantities reduce to expectations
 *     over the one- and two-coordinate marginals of the uniform batch sphere, computed by nested
 *     Gauss-Legendre quadrature in the polar angle of each coordinate, split at the kinks;
 *   - the c_alpha / J_phi representation (phi = a rho_alpha(x) - b rho_alpha(-x), rho_alpha(x) =
 *     max(0,x)^alpha): Gaussian moments are arc-cosine kernels, |Gh|^(-2 alpha) is a Laplace
 *     integral, and V(S) for ANY S is a one-dimensional integral; its Jacobian (dual numbers or
 *     finite differences) gives the forward eigenvalues independently of the quadrature route.
 */
import { Activation, activation } from '../model/activation';
import { InputError, NumericalError } from '../model/errors';
import { realParam, intParam } from '../model/network';
import { Field, float64 } from '../numeric/field';
import { dualField, Dual } from '../numeric/dual';
import { lnGamma64 } from '../numeric/special';
import { arcCosineJ } from '../model/arccos';
import { compileF64, diff, simplify } from '../symbolic';
import { plainMath } from '../numeric/plainMath';
// A plain-object copy of Math: under jest the global Math is a proxy and each Math.* access costs ~1 us.
const Math = plainMath();

export const MAX_BATCH = 10000;

export interface BatchNormSpec {
  act: Activation;
  /** Batch size B >= 2. */
  batch: number;
  sw2: number;
  sb2: number;
  /** y = gamma G h / sqrt(|G h|^2 / B + eps) + beta (defaults 0, 1, 0: the plain normalisation). */
  eps: number;
  gamma: number;
  beta: number;
}

/** The defaults eps = 0, gamma = 1, beta = 0 (every quantity then follows the closed routes below). */
export function isPlainBatchNorm(spec: BatchNormSpec): boolean {
  return spec.eps === 0 && spec.gamma === 1 && spec.beta === 0;
}

/** Validate the parameters (InputError naming the parameter and its range). */
export interface BatchNormOptions {
  act: string | Activation;
  batch: string | number;
  sw2?: string | number;
  sb2?: string | number;
  eps?: string | number;
  gamma?: string | number;
  beta?: string | number;
}

export function batchNormSpec(o: BatchNormOptions): BatchNormSpec {
  const act = typeof o.act === 'string' ? activation(o.act) : o.act;
  const batch = intParam('batch', o.batch, 2, MAX_BATCH);
  const sw2 = Number(realParam('sw2', o.sw2 ?? '1', { min: 0, minExclusive: true, what: '> 0 (a weight variance; sw2 = 0 makes every batch variance zero)' }));
  const sb2 = Number(realParam('sb2', o.sb2 ?? '0', { min: 0, what: '>= 0 (a variance)' }));
  const eps = Number(realParam('eps', o.eps ?? '0', { min: 0, max: 1e6, what: 'in [0, 1e6] (added to the batch variance)' }));
  const gamma = Number(realParam('gamma', o.gamma ?? '1', { min: 0, max: 100, minExclusive: true, what: 'in (0, 100] (the BN scale; gamma = 0 makes every batch variance zero, and -gamma gives the same statistics as gamma)' }));
  const beta = Number(realParam('beta', o.beta ?? '0', { min: -100, max: 100, what: 'in [-100, 100] (the BN shift)' }));
  return { act, batch, sw2, sb2, eps, gamma, beta };
}

// ---------------------------------------------------------------------------------------
// Gauss-Legendre rules on [-1, 1].

const glCache = new Map<number, { x: Float64Array; w: Float64Array }>();

/** P_n(z) and P_n'(z) by the three-term recursion. */
function legendre(n: number, z: number): [number, number] {
  let p0 = 1;
  let p1 = z;
  for (let k = 2; k <= n; k++) {
    const p2 = ((2 * k - 1) * z * p1 - (k - 1) * p0) / k;
    p0 = p1;
    p1 = p2;
  }
  // p1 = P_n(z), p0 = P_(n-1)(z)
  return [p1, (n * (z * p1 - p0)) / (z * z - 1)];
}

export function gaussLegendre(n: number): { x: Float64Array; w: Float64Array } {
  const hit = glCache.get(n);
  if (hit) return hit;
  const x = new Float64Array(n);
  const w = new Float64Array(n);
  for (let i = 0; i < Math.floor((n + 1) / 2); i++) {
    let z = Math.cos((Math.PI * (i + 0.75)) / (n + 0.5));
    for (let it = 0; it < 100; it++) {
      const [p, dp] = legendre(n, z);
      const dz = p / dp;
      z -= dz;
      if (Math.abs(dz) < 1e-16) break;
    }
    const dp = legendre(n, z)[1];
    x[i] = -z;
    x[n - 1 - i] = z;
    w[i] = w[n - 1 - i] = 2 / ((1 - z * z) * dp * dp);
  }
  const rule = { x, w };
  glCache.set(n, rule);
  return rule;
}

// ---------------------------------------------------------------------------------------
// The batch sphere.

/**
 * Nodes and normalised weights for one coordinate y_1 of a point uniform on
 * {y in R^m : sum y = S, |y|^2 = Q}. With c = S/m, R^2 = Q - S^2/m and r = R sqrt((m-1)/m),
 * y_1 = c + r cos(theta) with density proportional to sin(theta)^(m-3) on [0, pi] (m >= 3);
 * two points c +- r (m = 2); y_1 = S (m = 1). The theta range is split where y_1 crosses a kink.
 */
export function coordinateRule(m: number, S: number, Q: number, kinks: number[], n: number): { y: number[]; w: number[] } {
  if (m === 1) return { y: [S], w: [1] };
  const c = S / m;
  const R2 = Q - (S * S) / m;
  if (!(R2 > 0)) return { y: [c], w: [1] };
  const r = Math.sqrt((R2 * (m - 1)) / m);
  if (m === 2) return { y: [c - r, c + r], w: [0.5, 0.5] };
  // For large m the weight sin^(m-3) is concentrated at pi/2: cos(d)^(m-3) < exp(-45) beyond d.
  const half = m > 3 ? Math.min(Math.PI / 2, Math.sqrt(90 / (m - 3))) : Math.PI / 2;
  const lo = Math.PI / 2 - half;
  const hi = Math.PI / 2 + half;
  const cuts: { th: number; kink: boolean }[] = [{ th: lo, kink: false }];
  for (const k of kinks) {
    const t = (k - c) / r;
    if (t > -1 && t < 1) {
      const th = Math.acos(t);
      if (th > lo && th < hi) cuts.push({ th, kink: true });
    }
  }
  cuts.push({ th: hi, kink: false });
  cuts.sort((a, b) => a.th - b.th);
  const gl = gaussLegendre(n);
  const y: number[] = [];
  const w: number[] = [];
  let total = 0;
  for (let p = 0; p + 1 < cuts.length; p++) {
    const a = cuts[p].th;
    const b = cuts[p + 1].th;
    if (b - a <= 0) continue;
    const len = b - a;
    // At a cut where y crosses a kink the integrand may have a half-integer power singularity (a kink
    // reaching the edge of an inner range): cluster the nodes quadratically there,
    // theta = a + len (1 - cos(pi u / 2)) (cut at a), mirrored for a cut at b, symmetric for both.
    const ca = cuts[p].kink;
    const cb = cuts[p + 1].kink;
    for (let i = 0; i < n; i++) {
      const u = 0.5 * (1 + gl.x[i]);
      let th: number;
      let jac: number;
      if (ca && cb) {
        th = a + 0.5 * len * (1 - Math.cos(Math.PI * u));
        jac = 0.5 * Math.PI * len * Math.sin(Math.PI * u);
      } else if (ca) {
        th = a + len * (1 - Math.cos(0.5 * Math.PI * u));
        jac = 0.5 * Math.PI * len * Math.sin(0.5 * Math.PI * u);
      } else if (cb) {
        th = b - len * (1 - Math.cos(0.5 * Math.PI * (1 - u)));
        jac = 0.5 * Math.PI * len * Math.sin(0.5 * Math.PI * (1 - u));
      } else {
        th = a + len * u;
        jac = len;
      }
      const wt = 0.5 * gl.w[i] * jac * Math.pow(Math.sin(th), m - 3);
      y.push(c + r * Math.cos(th));
      w.push(wt);
      total += wt;
    }
  }
  for (let i = 0; i < w.length; i++) w[i] /= total;
  return { y, w };
}

/** Expectations over the batch sphere that every quantity below is assembled from. */
export interface SphereMoments {
  /** E[phi(y1)^2], E[phi(y1) phi(y2)] */
  qV: number;
  pV: number;
  /** E[phi'(y1)^2], E[phi'(y1) phi'(y2)], E[phi'(y1)^2 y1^2], E[phi'(y1) y1 phi'(y2) y2] */
  d2: number;
  dd: number;
  d2y2: number;
  dydy: number;
  /** E[phi(y1)^2 y1^2], E[phi(y1) y1 phi(y2) y2], E[(y1^2-1) phi(y1)^2], E[(y1^2-1) phi(y1) phi(y2)] */
  f2y2: number;
  fyfy: number;
  u2f2: number;
  u2ff: number;
}

const MOMENT_KEYS: (keyof SphereMoments)[] = ['qV', 'pV', 'd2', 'dd', 'd2y2', 'dydy', 'f2y2', 'fyfy', 'u2f2', 'u2ff'];

/** The sphere moments with n Gauss-Legendre nodes per smooth piece of each angle. */
export function sphereMoments(act: Activation, B: number, n: number): SphereMoments {
  return sphereMomentsOf({ f: act.f64, df: act.derivative().f64, kinks: act.kinks }, B, n);
}

/** A function on the batch sphere: values, a.e. derivative and the points where it is not smooth. */
export interface SphereFunction {
  f: (y: number) => number;
  df: (y: number) => number;
  kinks: number[];
}

/** The sphere moments of any piecewise smooth function (sphereMoments for an activation). */
export function sphereMomentsOf(fn: SphereFunction, B: number, n: number): SphereMoments {
  const f = fn.f;
  const dphi = fn.df;
  const kinks = fn.kinks;
  // The inner expectation E[. | y1] is not smooth where a kink k of phi reaches the edge of
  // y2's conditional range: y1^2 + 2 k y1/(B-1) + k^2 - B(B-2)/(B-1) = 0. Split there too.
  const outerCuts = [...kinks];
  for (const k of kinks) {
    const a = 1 / (B - 1);
    const disc = a * a * k * k - k * k + (B * (B - 2)) / (B - 1);
    if (disc > 0) outerCuts.push(-a * k - Math.sqrt(disc), -a * k + Math.sqrt(disc));
  }
  const outer = coordinateRule(B, 0, B, outerCuts, n);
  const acc = new Float64Array(10);
  for (let i = 0; i < outer.y.length; i++) {
    const y1 = outer.y[i];
    const w1 = outer.w[i];
    const f1 = f(y1);
    const d1 = dphi(y1);
    const u2 = y1 * y1 - 1;
    acc[0] += w1 * f1 * f1;
    acc[2] += w1 * d1 * d1;
    acc[4] += w1 * d1 * d1 * y1 * y1;
    acc[6] += w1 * f1 * f1 * y1 * y1;
    acc[8] += w1 * u2 * f1 * f1;
    const inner = coordinateRule(B - 1, -y1, B - y1 * y1, kinks, n);
    let sff = 0;
    let sdd = 0;
    let sdy = 0;
    let sfy = 0;
    for (let j = 0; j < inner.y.length; j++) {
      const y2 = inner.y[j];
      const w2 = inner.w[j];
      const f2 = f(y2);
      const d2 = dphi(y2);
      sff += w2 * f2;
      sdd += w2 * d2;
      sdy += w2 * d2 * y2;
      sfy += w2 * f2 * y2;
    }
    acc[1] += w1 * f1 * sff;
    acc[3] += w1 * d1 * sdd;
    acc[5] += w1 * d1 * y1 * sdy;
    acc[7] += w1 * f1 * y1 * sfy;
    acc[9] += w1 * u2 * f1 * sff;
  }
  const out = {} as SphereMoments;
  MOMENT_KEYS.forEach((k, i) => (out[k] = acc[i]));
  return out;
}

/**
 * Sphere moments with an error estimate: n = 24, 48, 96, ... nodes per piece until two
 * successive rules agree to `tol` (relative to the scale E[phi^2] + E[phi'^2]).
 */
export function sphereMomentsVerified(act: Activation, B: number, tol = 1e-12): { moments: SphereMoments; error: number; nodes: number } {
  let prev = sphereMoments(act, B, 24);
  for (let n = 48; n <= 768; n *= 2) {
    const cur = sphereMoments(act, B, n);
    const scale = Math.abs(cur.qV) + Math.abs(cur.d2) + 1e-300;
    let err = 0;
    for (const k of MOMENT_KEYS) {
      if (!Number.isFinite(cur[k])) throw new NumericalError(`batchnorm: the sphere moment ${k} of ${act.name} is not finite at B = ${B}`);
      err = Math.max(err, Math.abs(cur[k] - prev[k]) / scale);
    }
    if (err <= tol) return { moments: cur, error: err, nodes: n };
    prev = cur;
  }
  throw new NumericalError(`batchnorm: quadrature over the batch sphere did not converge to ${tol} for ${act.name} at B = ${B}`);
}

// ---------------------------------------------------------------------------------------
// Assembling the quantities from the moments.

export interface BatchNormResult {
  act: string;
  batch: number;
  sw2: number;
  sb2: number;
  /** Symmetric fixed point of Sigma (pre-BN preactivation covariance): diagonal and correlation. */
  q_star: number;
  c_star: number;
  /** Post-activation second moments at the fixed point: E[phi(y_a)^2], E[phi(y_a) phi(y_b)]. */
  phi2: number;
  phiphi: number;
  /** Per-layer growth of E|dL/dx^l|^2 going backward (null: infinite, B <= 3). */
  grad_rate: number | null;
  /** Forward eigenvalues of dF at Sigma* on Sym(1-perp): the standard irrep (dim B-1, B >= 3) and the [B-2,2] irrep (dim B(B-3)/2, B >= 4). */
  lambda_std: number | null;
  lambda_2: number | null;
}

/**
 * The sphere sums behind the forward eigenvalues: sdiag = E[sum_a (y_a^2 - 1) phitilde_a^2] (standard
 * irrep, B >= 3) and e (the [B-2,2] irrep, B >= 4), phitilde = G phi(y).
 */
export function eigenSums(B: number, m: SphereMoments): { sdiag: number; e: number } {
  const v = m.qV - m.pV;
  const sdiag = (B - 2) * m.u2f2 - 2 * (B - 1) * m.u2ff;
  const phiY2 = B * m.f2y2 + B * (B - 1) * m.fyfy; // E[(phi . y)^2]
  const tilde2 = (B - 1) * v; // E[|G phi|^2]
  const e = phiY2 - (B / (B - 1)) * tilde2 - (B / (B - 2)) * sdiag;
  return { sdiag, e };
}

/** The two traces of the backward map: T1 = E tr(G D G D) and T2 = E w^T D G D w (the grad rate takes T1 - T2), D = diag(phi'(y)), w = y/sqrt(B). */
export function gradTraces(B: number, m: SphereMoments): { T1: number; T2: number } {
  return {
    T1: (B - 2) * m.d2 + (m.d2 + (B - 1) * m.dd) / B,
    T2: m.d2y2 - (m.d2y2 + (B - 1) * m.dydy) / B,
  };
}

export function assemble(spec: BatchNormSpec, m: SphereMoments): BatchNormResult {
  const B = spec.batch;
  const v = m.qV - m.pV;
  if (!(v > 1e-14 * Math.max(1, m.qV))) {
    throw new InputError('act', `${spec.act.name} is constant on the batch sphere at B = ${B}: the next layer's batch variance is zero and batch norm is undefined`);
  }
  const q = spec.sw2 * m.qV + spec.sb2;
  const c = (spec.sw2 * m.pV + spec.sb2) / q;
  let grad: number | null = null;
  if (B >= 4) {
    const tr = (B - 2) * m.d2 + (m.d2 + (B - 1) * m.dd) / B - m.d2y2 + (m.d2y2 + (B - 1) * m.dydy) / B;
    grad = (B * tr) / (v * (B - 1) * (B - 3));
  }
  let lamStd: number | null = null;
  let lam2: number | null = null;
  if (B >= 3) {
    const { sdiag, e } = eigenSums(B, m);
    lamStd = sdiag / (2 * v * (B - 2));
    if (B >= 4) lam2 = ((B - 1) * e) / (v * B * B * (B - 3));
  }
  return {
    act: spec.act.name, batch: B, sw2: spec.sw2, sb2: spec.sb2,
    q_star: q, c_star: c, phi2: m.qV, phiphi: m.pV, grad_rate: grad, lambda_std: lamStd, lambda_2: lam2,
  };
}

/** The general route: quadrature over the batch sphere, with its convergence estimate. */
export function batchNormQuadrature(spec: BatchNormSpec): BatchNormResult & { quad_error: number; quad_nodes: number } {
  const { moments, error, nodes } = sphereMomentsVerified(spec.act, spec.batch);
  return { ...assemble(spec, moments), quad_error: error, quad_nodes: nodes };
}

// ---------------------------------------------------------------------------------------
// The c_alpha / J_phi route for positively homogeneous activations.

/** phi = a rho_alpha(x) - b rho_alpha(-x) with rho_alpha(x) = max(0, x)^alpha (integer alpha >= 1). */
export interface Homogeneous {
  alpha: number;
  a: number;
  b: number;
}

export function homogeneousForm(act: Activation): Homogeneous | undefined {
  const r = act.rectified;
  return r && Number.isInteger(r.k) && r.k >= 1 && r.k <= 20 ? { alpha: r.k, a: r.a, b: r.b } : undefined;
}

/** E[rho_k(u) rho_k(v)] for (u, v) ~ N(0, [[k11, k12], [k12, k22]]): c_k (k11 k22)^(k/2) J_k(rho), c_k = 1/(2 pi). */
function kappa<T>(F: Field<T>, k: number, k11: T, k12: T, k22: T): T {
  const cf = activation(`relu-power:${k}`).closedForm;
  if (!cf) throw new Error(`no arc-cosine kernel for degree ${k}`);
  return cf.pair(F, k11, k12, k22);
}

function kappaSquare<T>(F: Field<T>, k: number, k11: T): T {
  const cf = activation(`relu-power:${k}`).closedForm;
  if (!cf) throw new Error(`no arc-cosine kernel for degree ${k}`);
  return cf.square(F, k11);
}

/** E[p(u) p(v)] for p = a rho_alpha(x) + sign b rho_alpha(-x) (sign = -1: phi itself; +1: its derivative phi'). */
function pairMoment<T>(F: Field<T>, h: { alpha: number; a: number; b: number; sign: number }, k11: T, k12: T, k22: T): T {
  const ab = F.of(h.a * h.a + h.b * h.b);
  let s = F.mul(ab, kappa(F, h.alpha, k11, k12, k22));
  if (h.a !== 0 && h.b !== 0) s = F.add(s, F.mul(F.of(2 * h.sign * h.a * h.b), kappa(F, h.alpha, k11, F.neg(k12), k22)));
  return s;
}

/** E[chi_n^(2k)] = 2^k Gamma(n/2 + k) / Gamma(n/2). */
function chiMoment(n: number, k: number): number {
  return Math.exp(k * Math.LN2 + lnGamma64(n / 2 + k) - lnGamma64(n / 2));
}

/**
 * Sphere expectation of p(y_1) p(y_2) (or p(y_1)^2) for p = a rho_k(x) + s b rho_k(-x), homogeneous of degree
 * k >= 0: E_sphere = B^k E_{u ~ N(0,G)}[p(u_1) p(u_2)] / E[chi_(B-1)^(2k)], since |Gz| and Gz/|Gz| are independent.
 */
function spherePair(B: number, h: { alpha: number; a: number; b: number; sign: number }, diagonal: boolean): number {
  const g11 = (B - 1) / B;
  const g12 = -1 / B;
  const gauss = diagonal
    ? (h.a * h.a + h.b * h.b) * kappaSquare(float64, h.alpha, g11)
    : pairMoment(float64, h, g11, g12, g11);
  return (Math.pow(B, h.alpha) * gauss) / chiMoment(B - 1, h.alpha);
}

/**
 * Fixed point and gradient rate by the c_alpha / J_phi representation: closed forms in the arc-cosine
 * kernels at correlation -1/(B-1) (the Gaussian N(0, G) behind the uniform batch sphere).
 * phi' = alpha (a rho_(alpha-1)(x) + b rho_(alpha-1)(-x)) and phi'(y) y = alpha phi(y).
 */
export function batchNormJphiFixedPoint(spec: BatchNormSpec): Pick<BatchNormResult, 'q_star' | 'c_star' | 'phi2' | 'phiphi' | 'grad_rate'> {
  const h = homogeneousForm(spec.act);
  if (!h) throw new InputError('act', `the J_phi route needs a positively homogeneous activation (relu, linear, relu-power:k with integer k >= 1), got ${spec.act.name}`);
  const B = spec.batch;
  const phi = { alpha: h.alpha, a: h.a, b: h.b, sign: -1 };
  const dphi = { alpha: h.alpha - 1, a: h.alpha * h.a, b: h.alpha * h.b, sign: 1 };
  const qV = spherePair(B, phi, true);
  const pV = spherePair(B, phi, false);
  const d2 = spherePair(B, dphi, true);
  const dd = spherePair(B, dphi, false);
  const al2 = h.alpha * h.alpha;
  const m: SphereMoments = { qV, pV, d2, dd, d2y2: al2 * qV, dydy: al2 * pV, f2y2: NaN, fyfy: NaN, u2f2: NaN, u2ff: NaN };
  const r = assemble(spec, m);
  return { q_star: r.q_star, c_star: r.c_star, phi2: r.phi2, phiphi: r.phiphi, grad_rate: r.grad_rate };
}

/**
 * V(S) for any B x B covariance S by the Laplace representation
 *   |u|^(-2 alpha) = Gamma(alpha)^(-1) int_0^inf s^(alpha-1) exp(-s |u|^2) ds,
 *   E_{u ~ N(0,A)}[phi(u) phi(u)^T exp(-s|u|^2)] = det(I + 2sA)^(-1/2) E_{N(0, A_s)}[phi phi^T],  A_s = A (I + 2sA)^(-1),
 * with A = G S G and the Gaussian moments given elementwise by the arc-cosine kernels (c_alpha J_phi).
 * The s-integral is a trapezoid rule in x = ln s (step h), exponentially convergent.
 * Generic over the field, so that dual numbers give the exact Jacobian.
 */
export function jphiMap<T>(F: Field<T>, act: Activation, B: number, S: T[][], h = 0.2, kern: KernelOps<T> = genericKernel(F)): T[][] {
  const hf = homogeneousForm(act);
  if (!hf) throw new InputError('act', `the J_phi route needs a positively homogeneous activation (relu, linear, relu-power:k with integer k >= 1), got ${act.name}`);
  const n = hf.alpha;
  // A = G S G, scaled to trace B - 1 (V is invariant under A -> t A).
  const rowMean: T[] = S.map((row) => F.div(row.reduce((s, x) => F.add(s, x), F.of(0)), F.of(B)));
  const all = F.div(rowMean.reduce((s, x) => F.add(s, x), F.of(0)), F.of(B));
  const A: T[][] = S.map((row, i) => row.map((x, j) => F.add(F.sub(F.sub(x, rowMean[i]), rowMean[j]), all)));
  let tr = F.of(0);
  for (let i = 0; i < B; i++) tr = F.add(tr, A[i][i]);
  const scale = F.div(F.of(B - 1), tr);
  for (let i = 0; i < B; i++) for (let j = 0; j < B; j++) A[i][j] = F.mul(A[i][j], scale);
  const V: T[][] = Array.from({ length: B }, () => Array.from({ length: B }, () => F.of(0)));
  const ab2 = F.of(hf.a * hf.a + hf.b * hf.b);
  const cross = hf.a !== 0 && hf.b !== 0 ? F.of(-2 * hf.a * hf.b) : undefined;
  const xmin = -40 / n;
  // The integrand decays like s^(-(B-1)/2) (eigenvalues of the normalised A are O(1)).
  const xmax = B >= 3 ? Math.max(12, 90 / (B - 1)) : 90;
  const K = Math.ceil((xmax - xmin) / h);
  for (let k = 0; k <= K; k++) {
    const x = xmin + k * h;
    const s = Math.exp(x);
    const w = (k === 0 || k === K ? 0.5 : 1) * h * Math.pow(s, n);
    // M = I + 2 s (A + 11^T/B): well conditioned (A 1 = 0, so I + 2sA would have the eigenvalue 1
    // along 1 beside ~2s elsewhere), A M^(-1) = A (I + 2sA)^(-1) and det(I + 2sA) = det M / (1 + 2s).
    // Gauss-Jordan for M^(-1) and det M (M is symmetric positive definite).
    const M: T[][] = A.map((row, i) => row.map((a, j) => F.add(F.mul(F.of(2 * s), F.add(a, F.of(1 / B))), F.of(i === j ? 1 : 0))));
    const Inv: T[][] = Array.from({ length: B }, (_, i) => Array.from({ length: B }, (_, j) => F.of(i === j ? 1 : 0)));
    // wd = w det(I + 2sA)^(-1/2) = w sqrt(1 + 2s) prod_p pivot_p^(-1/2), accumulated (no overflow).
    let wd = F.of(w * Math.sqrt(1 + 2 * s));
    for (let p = 0; p < B; p++) {
      const piv = M[p][p];
      wd = F.div(wd, F.sqrt(piv));
      const inv = F.div(F.of(1), piv);
      for (let j = 0; j < B; j++) {
        M[p][j] = F.mul(M[p][j], inv);
        Inv[p][j] = F.mul(Inv[p][j], inv);
      }
      for (let i = 0; i < B; i++) {
        if (i === p) continue;
        const fct = M[i][p];
        for (let j = 0; j < B; j++) {
          M[i][j] = F.sub(M[i][j], F.mul(fct, M[p][j]));
          Inv[i][j] = F.sub(Inv[i][j], F.mul(fct, Inv[p][j]));
        }
      }
    }
    // A_s = A M^(-1) (symmetric: A and M commute)
    const As: T[][] = Array.from({ length: B }, (_, i) =>
      Array.from({ length: B }, (_, j) => {
        let acc = F.of(0);
        for (let l = 0; l < B; l++) acc = F.add(acc, F.mul(A[i][l], Inv[l][j]));
        return acc;
      }));
    for (let i = 0; i < B; i++) {
      V[i][i] = F.add(V[i][i], F.mul(wd, F.mul(ab2, kern.square(n, As[i][i]))));
      for (let j = i + 1; j < B; j++) {
        const kij = F.mul(F.add(As[i][j], As[j][i]), F.of(0.5));
        let e = F.mul(ab2, kern.pair(n, As[i][i], kij, As[j][j]));
        if (cross) e = F.add(e, F.mul(cross, kern.pair(n, As[i][i], F.neg(kij), As[j][j])));
        V[i][j] = F.add(V[i][j], F.mul(wd, e));
      }
    }
  }
  // B^alpha / Gamma(alpha): y = sqrt(B) u / |u|.
  const pre = Math.exp(n * Math.log(B) - lnGamma64(n));
  for (let i = 0; i < B; i++) {
    for (let j = i; j < B; j++) {
      V[i][j] = F.mul(V[i][j], F.of(pre));
      V[j][i] = V[i][j];
    }
  }
  return V;
}

/** The arc-cosine kernels E[rho_n(u) rho_n(v)] = c_n (k11 k22)^(n/2) J_n(theta), c_n = 1/(2 pi), and E[rho_n(u)^2]. */
export interface KernelOps<T> {
  pair(n: number, k11: T, k12: T, k22: T): T;
  square(n: number, k: T): T;
}

/** Through the activation's closed form (any field; slow, interprets J_n's expression tree). */
export function genericKernel<T>(F: Field<T>): KernelOps<T> {
  return { pair: (n, k11, k12, k22) => kappa(F, n, k11, k12, k22), square: (n, k) => kappaSquare(F, n, k) };
}

const compiledJ = new Map<number, { J: (t: number) => number; dJ: (t: number) => number }>();
function compiledArcCos(n: number): { J: (t: number) => number; dJ: (t: number) => number } {
  const hit = compiledJ.get(n);
  if (hit) return hit;
  const e = arcCosineJ(n).expr;
  const J1 = compileF64(e, ['theta']);
  const dJ1 = compileF64(simplify(diff(e, 'theta')), ['theta']);
  const v = { J: (t: number) => J1(t), dJ: (t: number) => dJ1(t) };
  compiledJ.set(n, v);
  return v;
}

function doubleFactorialOdd(n: number): number {
  let df = 1;
  for (let j = 2 * n - 1; j > 1; j -= 2) df *= j;
  return df;
}

/** The same kernels in float64 (when dual = false) or float64 dual numbers, with J_n and J_n' compiled. */
export function fastKernel(F: Field<number>): KernelOps<number>;
export function fastKernel(F: Field<Dual<number>>, dual: true): KernelOps<Dual<number>>;
export function fastKernel<T>(F: Field<T>, dual = false): KernelOps<T> {
  const twoPi = 2 * Math.PI;
  return {
    pair(n, k11, k12, k22) {
      const { J, dJ } = compiledArcCos(n);
      const sq = F.sqrt(F.mul(k11, k22));
      const theta = F.acos(F.div(k12, sq));
      let Jt: T;
      if (dual) {
        const th = theta as unknown as Dual<number>;
        Jt = { v: J(th.v), d: dJ(th.v) * th.d } as unknown as T;
      } else Jt = J(theta as unknown as number) as unknown as T;
      const scale = n === 0 ? F.of(1) : F.pow(sq, F.of(n));
      return F.div(F.mul(scale, Jt), F.of(twoPi));
    },
    square(n, k) {
      const kn = n === 0 ? F.of(1) : F.pow(k, F.of(n));
      return F.mul(kn, F.of(doubleFactorialOdd(n) / 2));
    },
  };
}

/** The symmetric fixed point Sigma* = q* ((1 - c*) I + c* 11^T). */
export function fixedPointMatrix(B: number, q: number, c: number): number[][] {
  return Array.from({ length: B }, (_, i) => Array.from({ length: B }, (_, j) => (i === j ? q : q * c)));
}

/**
 * Representatives of the two irreducible components of Sym(1-perp) that carry nonzero forward
 * eigenvalues: the standard one, G diag(e1 - e2) G (B >= 3), and the [B-2,2] one,
 * (e1e2 + e3e4 - e1e3 - e2e4) symmetrised (zero diagonal and row sums, B >= 4).
 */
export function irrepDirections(B: number): { std: number[][] | null; pair: number[][] | null } {
  const Z = () => Array.from({ length: B }, () => new Array<number>(B).fill(0));
  let std: number[][] | null = null;
  if (B >= 3) {
    std = Z();
    const u = new Array<number>(B).fill(0);
    u[0] = 1;
    u[1] = -1;
    for (let i = 0; i < B; i++) for (let j = 0; j < B; j++) std[i][j] = (i === j ? u[i] : 0) - (u[i] + u[j]) / B;
  }
  let pair: number[][] | null = null;
  if (B >= 4) {
    pair = Z();
    const set = (i: number, j: number, v: number) => {
      pair![i][j] += v;
      pair![j][i] += v;
    };
    set(0, 1, 1);
    set(2, 3, 1);
    set(0, 2, -1);
    set(1, 3, -1);
  }
  return { std, pair };
}

/** Directional derivative dF[D] = sw2 dV[D] at S, by dual numbers through jphiMap. */
export function jphiDirectional(spec: BatchNormSpec, S: number[][], D: number[][], h = 0.2): number[][] {
  const DF = dualField(float64);
  const Sd: Dual<number>[][] = S.map((row, i) => row.map((x, j) => ({ v: x, d: D[i][j] })));
  const V = jphiMap(DF, spec.act, spec.batch, Sd, h, fastKernel(DF, true));
  return V.map((row) => row.map((x) => spec.sw2 * x.d));
}

/** The same by central finite differences with step eps. */
export function jphiDirectionalFD(spec: BatchNormSpec, S: number[][], D: number[][], eps = 1e-4, h = 0.2): number[][] {
  const kern = fastKernel(float64);
  const plus = jphiMap(float64, spec.act, spec.batch, S.map((row, i) => row.map((x, j) => x + eps * D[i][j])), h, kern);
  const minus = jphiMap(float64, spec.act, spec.batch, S.map((row, i) => row.map((x, j) => x - eps * D[i][j])), h, kern);
  return plus.map((row, i) => row.map((x, j) => (spec.sw2 * (x - minus[i][j])) / (2 * eps)));
}

/** lambda = <D, G dF G> / <D, D> and the relative residual |G dF G - lambda D| / |D| (Schur: should vanish). */
export function rayleigh(D: number[][], dF: number[][]): { lambda: number; residual: number } {
  const B = D.length;
  const rm = dF.map((row) => row.reduce((s, x) => s + x, 0) / B);
  const all = rm.reduce((s, x) => s + x, 0) / B;
  let num = 0;
  let den = 0;
  for (let i = 0; i < B; i++) for (let j = 0; j < B; j++) {
    num += D[i][j] * dF[i][j];
    den += D[i][j] * D[i][j];
  }
  const lambda = num / den;
  let res = 0;
  for (let i = 0; i < B; i++) for (let j = 0; j < B; j++) {
    const g = dF[i][j] - rm[i] - rm[j] + all;
    res += (g - lambda * D[i][j]) ** 2;
  }
  return { lambda, residual: Math.sqrt(res / den) };
}

/** The fixed-point quantities of BatchNormResult, by the c_alpha / J_phi route. */
export interface JphiResult extends Pick<BatchNormResult, 'q_star' | 'c_star' | 'phi2' | 'phiphi' | 'grad_rate' | 'lambda_std' | 'lambda_2'> {
  /** Largest Schur residual |G dF[D] G - lambda D| / |D| over the two directions. */
  eigen_residual: number;
}

/** The complete J_phi route: closed-form fixed point and gradient rate, eigenvalues from the Laplace map by dual numbers. */
export function batchNormJphi(spec: BatchNormSpec, h = 0.2): JphiResult {
  const fp = batchNormJphiFixedPoint(spec);
  const B = spec.batch;
  const S = fixedPointMatrix(B, fp.q_star, fp.c_star);
  const dirs = irrepDirections(B);
  let res = 0;
  const eig = (D: number[][] | null): number | null => {
    if (!D) return null;
    const r = rayleigh(D, jphiDirectional(spec, S, D, h));
    res = Math.max(res, r.residual);
    return r.lambda;
  };
  return { ...fp, lambda_std: eig(dirs.std), lambda_2: eig(dirs.pair), eigen_residual: res };
}

/** Depth scale of a per-layer factor lambda: 1/|ln |lambda|| layers per e-fold (null when |lambda| is 1, lambda is 0 or missing). */
export function depthScale(lambda: number | null): number | null {
  if (lambda === null || !(lambda !== 0) || Math.abs(lambda) === 1 || !Number.isFinite(lambda)) return null;
  return 1 / Math.abs(Math.log(Math.abs(lambda)));
}
