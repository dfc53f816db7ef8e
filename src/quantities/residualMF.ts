/**
 * Mean-field residual networks (Yang & Schoenholz 2017). Two architectures, width N -> inf:
 *
 *   reduced (branch of one layer):  x^l = x^(l-1) + phi(h^l),            h^l = W^l x^(l-1) + b^l
 *   full    (branch of two layers): x^l = x^(l-1) + V^l phi(h^l) + a^l,  h^l = W^l x^(l-1) + b^l
 *
 * with W_ij ~ N(0, sw2/N), V_ij ~ N(0, sv2/N), b_i ~ N(0, sb2), a_i ~ N(0, sa2). The reduced
 * network is the full one with sv2 = 1, sa2 = 0. For two inputs, p^l = E[x_i^2] (length),
 * lambda^l = E[x_i x'_i], q^l = E[h_i^2], gamma^l = E[h_i h'_i], e^l = lambda^l / p^l (cosine),
 * and with d^l = p^l - lambda^l (half the expected squared distance per neuron):
 *
 *   q^l = sw2 p^(l-1) + sb2,    1 - c^l = sw2 d^(l-1) / q^l   (c^l = gamma^l / q^l)
 *   p^l = p^(l-1) + sv2 V(q^l) + sa2 + 2 m^(l-1) M(q^l),   V(q) = E[phi(u)^2],  u ~ N(0, q)
 *   d^l = d^(l-1) + sv2 (V(q^l) - W(q^l, c^l)),           W(q, c) = E[phi(u) phi(v)], corr(u, v) = c
 *   m^l = m^(l-1) + M(q^l)   (reduced only; m^0 = 0),     M(q) = E[phi(u)]
 *
 * The mean m^l = E[x^l_i] is shared by every neuron: in the reduced network the branch phi(h) is
 * added without a zero-mean layer after it, so a non-odd phi (relu, relu-power) makes every
 * neuron drift by E[phi] per layer, and E[x^(l-1)_i phi(h^l_i)] = m^(l-1) M(q^l) (h^l_i is
 * independent of x^(l-1)_i at infinite width). The same cross term enters lambda, so d is unchanged.
 * In the full network V has zero mean and m stays 0.
 *
 * Gradients (gradient independence): chi^(l-1) = chi^l (1 + sv2 sw2 V'(q^l)), V'(q) = E[phi'(u)^2],
 * so the gradient explosion of a depth-l network is G^l = ln(chi^0 / chi^l) = sum_(j<=l) ln(1 + sv2 sw2 V'(q^j)).
 *
 * Two implementations: `residualRecursion` is generic over an Interpretation (float64 or decimal
 * quadrature, closed forms where the activation has them), the reference; `iterate64` is the fast
 * float64 path for 10^6 layers: relu-power:k kernels from a table of W_k (rectifiedPower.ts), tanh
 * from convergent-in-practice asymptotic series in 1/q (tanh = sign - r, r = sign - tanh decays
 * like exp(-2|x|), so every Gaussian expectation is a series of moments of r and sech^2), with
 * adaptive quadrature below q = 32.
 */
import { Activation, activation, isActivation } from '../model/activation';
import { InputError, NumericalError } from '../model/errors';
import { Interpretation, productIntegrand } from '../interpret/numeric';
import { expect1F64, expect2F64 } from '../numeric/gaussian';
import { realParam, intParam, MAX_DEPTH } from '../model/network';
import { rectifiedPowerTable, diagonal64, mean64 } from './rectifiedPower';
import { plainMath } from '../numeric/plainMath';
const Math = plainMath();

export type Arch = 'reduced' | 'full';

export interface ResidualSpec {
  readonly arch: Arch;
  readonly act: Activation;
  /** Exact decimal strings as typed (the reduced network has sv2 = "1", sa2 = "0"). */
  readonly sv2: string;
  readonly sw2: string;
  readonly sa2: string;
  readonly sb2: string;
  /** Input length p^0 = |x|^2 / N and cosine e^0 of the two inputs. */
  readonly q0: string;
  readonly c0: string;
  readonly depth: number;
}

export interface ResidualOptions {
  arch?: string;
  act?: string | Activation;
  sv2?: string | number;
  sw2?: string | number;
  sa2?: string | number;
  sb2?: string | number;
  q0?: string | number;
  c0?: string | number;
  depth?: string | number;
}

export const RESIDUAL_DEFAULTS = { arch: 'full', act: 'tanh', sv2: '1', sw2: '1', sa2: '0', sb2: '0', q0: '1', c0: '0.6', depth: 100000 };

/** The activations with a fast float64 path: tanh and relu-power:k, 0 < k <= 1 (relu = relu-power:1). */
export function powerOf(act: Activation): number | undefined {
  const r = act.rectified;
  return r && r.a === 1 && r.b === 0 ? r.k : undefined;
}

/**
 * Whether the neurons accumulate a common mean: the reduced network adds phi(h) itself, so every
 * activation that is not odd (E[phi(u)] != 0) shifts every neuron by E[phi] per layer.
 */
export function carriesMean(spec: ResidualSpec): boolean {
  return spec.arch === 'reduced' && spec.act.parity !== 'odd';
}

export function residualSpec(o: ResidualOptions = {}): ResidualSpec {
  const v = { ...RESIDUAL_DEFAULTS, ...Object.fromEntries(Object.entries(o).filter(([, x]) => x !== undefined)) };
  const arch = String(v.arch);
  if (arch !== 'reduced' && arch !== 'full') throw new InputError('arch', `must be "reduced" or "full", got "${arch}"`);
  const act = typeof v.act === 'string' ? activation(v.act) : (v.act as Activation);
  const k = powerOf(act);
  if (!isActivation(act, 'tanh') && k === undefined) throw new InputError('act', `residual mean-field dynamics support tanh and relu-power:k (0 < k <= 1, relu = relu-power:1), got "${act.name}"`);
  if (k !== undefined && !(k > 0 && k <= 1)) {
    throw new InputError('act', `relu-power:k needs 0 < k <= 1 here (k > 1 grows faster than exponentially, k = 0 has no gradient), got k = ${k}`);
  }
  const sv2 = realParam('sv2', v.sv2 as string, { min: 0, minExclusive: true, what: '> 0 (a variance)' });
  const sa2 = realParam('sa2', v.sa2 as string, { min: 0, what: '>= 0 (a variance)' });
  if (arch === 'reduced' && (Number(sv2) !== 1 || Number(sa2) !== 0)) {
    throw new InputError(Number(sv2) !== 1 ? 'sv2' : 'sa2', 'the reduced network has no V and a (sv2 = 1, sa2 = 0); use --arch full');
  }
  const c0 = realParam('c0', v.c0 as string, { min: -1, max: 1, what: 'in [-1, 1) (the cosine of two distinct inputs)' });
  if (Number(c0) === 1) throw new InputError('c0', 'must be in [-1, 1) (the cosine of two distinct inputs), got 1');
  return {
    arch,
    act,
    sv2,
    sw2: realParam('sw2', v.sw2 as string, { min: 0, minExclusive: true, what: '> 0 (a variance)' }),
    sa2,
    sb2: realParam('sb2', v.sb2 as string, { min: 0, what: '>= 0 (a variance)' }),
    q0: realParam('q0', v.q0 as string, { min: 0, minExclusive: true, what: '> 0 (the input length |x|^2/N)' }),
    c0,
    depth: intParam('depth', v.depth as string | number, 1, MAX_DEPTH),
  };
}

// ---------------------------------------------------------------------------------------
// Reference recursion, generic over the interpretation.

export interface ResidualTable<T> {
  /** p^l, d^l = p^l - lambda^l, e^l = lambda^l / p^l, G^l = ln(chi^0/chi^l) and the mean m^l, l = 0..L. */
  p: T[];
  m: T[];
  d: T[];
  e: T[];
  G: T[];
}

/** The recursion in any interpretation: closed forms for integer relu-power, quadrature otherwise. */
export function residualRecursion<T>(I: Interpretation<T>, spec: ResidualSpec, depth = spec.depth): ResidualTable<T> {
  const F = I.F;
  const sv2 = F.of(spec.sv2), sw2 = F.of(spec.sw2), sa2 = F.of(spec.sa2), sb2 = F.of(spec.sb2);
  const act = spec.act;
  const phi2 = productIntegrand(act, act);
  const dphi = act.derivative();
  const dphi2 = productIntegrand(dphi, dphi);
  const k = powerOf(act);
  const V = (q: T): T => (act.closedForm ? act.closedForm.square(F, q) : I.expect1(phi2, q));
  const W = (q: T, g: T): T => (act.closedForm ? act.closedForm.pair(F, q, g, q) : I.expect2(act, act, q, g, q));
  // E[phi'^2]: for relu-power the quadrature of k^2 x^(2k-2) near 0 is replaced by the Gamma closed form only when singular.
  const Vd = (q: T): T => (k !== undefined && k < 1 ? F.mul(F.mul(F.of(k * k), F.of(diagonal64(k - 1))), F.pow(q, F.of(k - 1))) : I.expect1(dphi2, q));
  const meanOf = carriesMean(spec) ? (q: T): T => I.expect1(act, q) : undefined;
  let p = F.of(spec.q0);
  let lam = F.mul(p, F.of(spec.c0));
  let G = F.of(0);
  let m = F.of(0);
  const out: ResidualTable<T> = { p: [p], m: [m], d: [F.sub(p, lam)], e: [F.div(lam, p)], G: [G] };
  for (let l = 1; l <= depth; l++) {
    const q = F.add(F.mul(sw2, p), sb2);
    const g = F.add(F.mul(sw2, lam), sb2);
    const Vq = V(q);
    const Wqg = W(q, g);
    G = F.add(G, F.log(F.add(F.of(1), F.mul(F.mul(sv2, sw2), Vd(q)))));
    p = F.add(F.add(p, F.mul(sv2, Vq)), sa2);
    lam = F.add(F.add(lam, F.mul(sv2, Wqg)), sa2);
    if (meanOf) {
      const mu = meanOf(q);
      const cross = F.mul(F.mul(F.of(2), m), mu);
      p = F.add(p, cross);
      lam = F.add(lam, cross);
      m = F.add(m, mu);
    }
    if (!F.isFinite(p) || !F.isFinite(lam) || !F.isFinite(G)) throw new NumericalError(`residual recursion left the finite numbers at layer ${l}`, l);
    out.m.push(m);
    out.p.push(p);
    out.d.push(F.sub(p, lam));
    out.e.push(F.div(lam, p));
    out.G.push(G);
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Fast float64 kernels.

export interface Kernel64 {
  /** E[phi(u)^2], u ~ N(0, q). */
  V(q: number): number;
  /** V(q) - W(q, c) given 1 - c (>= 0, exact), c = 1 - omc. */
  D(q: number, omc: number): number;
  /** E[phi'(u)^2] (Infinity when it diverges). */
  Vd(q: number): number;
  /** E[phi(u)] (undefined for odd activations, whose mean is 0). */
  mean?(q: number): number;
  /** phi(lambda x) = lambda^deg phi(x): the recursion may rescale p by powers of two. */
  readonly degree?: number;
  /** V, D and Vd at once (out[0..2]); the iteration's hot path. */
  step(q: number, omc: number, out: Float64Array): void;
}

function relupowKernel(k: number): Kernel64 {
  const T = rectifiedPowerTable(k);
  const diag = T.diag;
  const dd = k > 0.5 ? k * k * diagonal64(k - 1) : Infinity;
  const theta = (omc: number): number => (omc >= 2 ? Math.PI : 2 * Math.asin(Math.sqrt(omc / 2)));
  const pow = (q: number, a: number): number => (a === 1 ? q : a === 0 ? 1 : Math.pow(q, a));
  const m1 = mean64(k);
  const oneMinusF = k === 1 ? (omc: number) => T.oneMinusF(theta(omc)) : smallDistance(k, (omc) => T.oneMinusF(theta(omc)));
  return {
    degree: k,
    mean: (q) => m1 * (k === 1 ? Math.sqrt(q) : Math.pow(q, k / 2)),
    V: (q) => diag * pow(q, k),
    D: (q, omc) => diag * pow(q, k) * oneMinusF(omc),
    Vd: (q) => dd * pow(q, k - 1),
    step: (q, omc, out) => {
      const qk = pow(q, k);
      out[0] = diag * qk;
      out[1] = omc === 0 ? 0 : diag * qk * oneMinusF(omc);
      out[2] = (dd * qk) / q;
    },
  };
}

/** Below this 1 - c the tabulated 1 - f(c) (absolute error ~1e-11) gives way to its expansion at c = 1. */
const SMALL_OMC = 1e-7;

/**
 * 1 - f(c), f = W_k / W_k(1), accurate also for tiny e = 1 - c (the reduced network with a mean
 * drives the cosine to 1 like a power of l, far below the table's resolution). At c = 1,
 *   1 - f = a e + b e^(k+1/2) + O(e^min(2, k+3/2))
 * (the Hermite coefficients of max(0,x)^k fall like n^(-k-3/2), so W_k has the singular term
 * e^(k+1/2) beside its regular part), a = k^2 / (2k - 1) (= f'(1) = k^2 W_(k-1)(1) / W_k(1) for
 * k > 1/2, its continuation below). b is solved from the table at e = 1e-5, and the expansion is
 * used only when it agrees with the table at e = 1e-4 and 1e-6 to 1e-4 (relative).
 */
function smallDistance(k: number, table: (omc: number) => number): (omc: number) => number {
  if (k === 0.5) return table;
  const s = k + 0.5;
  const a = (k * k) / (2 * k - 1);
  const b = (table(1e-5) - a * 1e-5) / Math.pow(1e-5, s);
  const series = (e: number): number => a * e + b * Math.pow(e, s);
  for (const e of [1e-4, 1e-6]) if (!(Math.abs(series(e) / table(e) - 1) < 1e-4)) return table;
  return (omc) => (omc < SMALL_OMC ? series(omc) : table(omc));
}

// --- tanh: moments and asymptotic series -------------------------------------------------

/** Dirichlet eta(s) = (1 - 2^(1-s)) zeta(s), integer s >= 1 (eta(1) = ln 2). */
export function eta(s: number): number {
  if (s === 1) return Math.LN2;
  // zeta(s) by Euler-Maclaurin with N = 30 and four Bernoulli terms (relative error < 1e-17 for s >= 2).
  const N = 30;
  let z = 0;
  for (let n = 1; n < N; n++) z += Math.pow(n, -s);
  const Ns = Math.pow(N, -s);
  z += (N * Ns) / (s - 1) + Ns / 2;
  const B = [1 / 6, -1 / 30, 1 / 42, -1 / 30];
  let fall = s; // s (s+1) ... (s+2j-2)
  let fact = 2; // (2j)!
  let Np = Ns / N; // N^(-s-2j+1)
  for (let j = 1; j <= 4; j++) {
    z += (B[j - 1] / fact) * fall * Np;
    fall *= (s + 2 * j - 1) * (s + 2 * j);
    fact *= (2 * j + 1) * (2 * j + 2);
    Np /= N * N;
  }
  return (1 - Math.pow(2, 1 - s)) * z;
}

const NMOM = 160;
const EM = new Float64Array(NMOM);
const EJ = new Float64Array(NMOM);
let moments: { S2: Float64Array; S4: Float64Array; M: Float64Array } | undefined;

/**
 * S2_m = int x^m sech^2 x dx (real line; m even), S4_m = int x^m sech^4 x dx,
 * M_m = int_0^inf x^m r(x) dx with r(x) = 2/(1+e^(2x)) = 1 - tanh x (x > 0):
 *   S2_0 = 2, S2_m = m! 2^(2-m) eta(m);  S4_m = (4 S2_m - m(m-1) S2_(m-2)) / 6;  M_m = 2 m! 2^-(m+1) eta(m+1).
 */
export function tanhMoments(): { S2: Float64Array; S4: Float64Array; M: Float64Array } {
  if (moments) return moments;
  const S2 = new Float64Array(NMOM), S4 = new Float64Array(NMOM), M = new Float64Array(NMOM);
  let fact = 1;
  for (let m = 0; m < NMOM; m++) {
    if (m > 0) fact *= m;
    S2[m] = m % 2 ? 0 : m === 0 ? 2 : fact * Math.pow(2, 2 - m) * eta(m);
    S4[m] = m % 2 ? 0 : m === 0 ? 4 / 3 : (4 * S2[m] - m * (m - 1) * S2[m - 2]) / 6;
    M[m] = 2 * fact * Math.pow(2, -(m + 1)) * eta(m + 1);
  }
  moments = { S2, S4, M };
  return moments;
}

/** Below this q (or q (1 - c^2)) the tanh kernel uses adaptive quadrature. */
export const TANH_SERIES_MIN_Q = 32;

/** sum_j (-a)^j / j! mom[2j + off]: an asymptotic series; undefined when it has not converged to 1e-16. */
function gaussSeries(mom: Float64Array, a: number, off: number): number | undefined {
  let sum = 0;
  let coef = 1;
  let minTerm = Infinity;
  for (let j = 0; 2 * j + off < NMOM; j++) {
    const t = coef * mom[2 * j + off];
    sum += t;
    const at = Math.abs(t);
    if (at <= 1e-17 * Math.abs(sum)) return sum;
    // An asymptotic series: give up once the terms have grown far past their smallest.
    if (at > 1e6 * minTerm && at > 1e-10 * Math.abs(sum)) return undefined;
    if (at < minTerm) minTerm = at;
    coef *= -a / (j + 1);
  }
  return undefined;
}

/** E[sech^2 u], E[sech^4 u] (u ~ N(0, q)) by the moment series, q >= TANH_SERIES_MIN_Q. */
export function tanhSech64(q: number): { s2: number; s4: number } | undefined {
  if (!(q >= TANH_SERIES_MIN_Q)) return undefined;
  const { S2, S4 } = tanhMoments();
  const a = 1 / (2 * q);
  const s2 = gaussSeries(S2, a, 0);
  const s4 = gaussSeries(S4, a, 0);
  if (s2 === undefined || s4 === undefined) return undefined;
  const n = 1 / Math.sqrt(2 * Math.PI * q);
  return { s2: n * s2, s4: n * s4 };
}

/**
 * E[tanh u tanh v] = (2/pi) asin c - 2 S + R with S = E[sign(u) r(v)], R = E[r(u) r(v)]
 * (r = sign - tanh, odd), both as moment series in 1/q: needs q (1 - c^2) >= TANH_SERIES_MIN_Q.
 * Returns [W, S, R, acos c] or undefined.
 */
export function tanhPair64(q: number, omc: number): [number, number, number, number] | undefined {
  const c = 1 - omc;
  const s2 = omc * (1 + c); // 1 - c^2
  if (!(q * s2 >= TANH_SERIES_MIN_Q)) return undefined;
  const { M } = tanhMoments();
  // S = 2 (2 pi q)^(-1/2) (2/sqrt(pi)) sum_n d_n M_(2n+1),
  // d_n = sum_(m+j=n) (-1)^m beta^(2m+1) / (m! (2m+1)) (-a)^j / j!,  a = 1/(2q), beta = c / sqrt(2 q (1-c^2)).
  const a = 1 / (2 * q);
  const beta = c / Math.sqrt(2 * q * s2);
  const b2 = beta * beta;
  let S = 0;
  let converged = false;
  const em = EM; // (-1)^m beta^(2m+1) / (m! (2m+1))
  const ej = EJ; // (-a)^j / j!
  let minTerm = Infinity;
  for (let n = 0; 2 * n + 1 < NMOM; n++) {
    em[n] = n === 0 ? beta : (em[n - 1] * -b2 * (2 * n - 1)) / (n * (2 * n + 1));
    ej[n] = n === 0 ? 1 : (ej[n - 1] * -a) / n;
    let dn = 0;
    for (let m = 0; m <= n; m++) dn += em[m] * ej[n - m];
    const t = dn * M[2 * n + 1];
    S += t;
    const at = Math.abs(t);
    if (at <= 1e-17 * Math.abs(S) || (S === 0 && t === 0)) {
      converged = true;
      break;
    }
    // An asymptotic series: give up once the terms grow well past their smallest.
    if (at > 1e6 * minTerm && at > 1e-10 * Math.abs(S)) break;
    if (at < minTerm) minTerm = at;
  }
  if (!converged) return undefined;
  S *= (2 / Math.sqrt(2 * Math.PI * q)) * (2 / Math.sqrt(Math.PI));
  // R = (4 / (2 pi q s)) sum_(m odd) B^m/m! T_m^2, T_m = sum_i (-A)^i / i! M_(2i+m), A = 1/(2 q s^2), B = c/(q s^2).
  const A = 1 / (2 * q * s2);
  const B = c / (q * s2);
  let R = 0;
  let bm = B; // B^m / m!
  let first = 0;
  converged = false;
  for (let m = 1; m < NMOM; m += 2) {
    // The m-th term is about |B^m/m!| M_m^2: stop once that is negligible.
    if (m > 1 && Math.abs(bm) * M[m] * M[m] <= 1e-18 * first) {
      converged = true;
      break;
    }
    const Tm = gaussSeries(M, A, m);
    if (Tm === undefined) break;
    const t = bm * Tm * Tm;
    if (m === 1) first = Math.abs(t);
    R += t;
    if (Math.abs(t) <= 1e-17 * first || t === 0) {
      converged = true;
      break;
    }
    bm *= (B * B) / ((m + 1) * (m + 2));
  }
  if (!converged) return undefined;
  R *= 4 / (2 * Math.PI * q * Math.sqrt(s2));
  // acos c = 2 asin(sqrt((1-c)/2)): accurate also for c near 1.
  const acosc = 2 * Math.asin(Math.sqrt(omc / 2));
  return [(2 / Math.PI) * (Math.PI / 2 - acosc) - 2 * S + R, S, R, acosc];
}

/** Piecewise Chebyshev interpolant of f on the given segments (degree n each), checked at the mid-points. */
function chebTable(f: (x: number) => number, cuts: number[], n: number, what: string): (x: number) => number {
  const segs: { a: number; b: number; c: Float64Array }[] = [];
  for (let j = 0; j + 1 < cuts.length; j++) {
    const a = cuts[j], b = cuts[j + 1];
    const vals = new Float64Array(n);
    for (let i = 0; i < n; i++) vals[i] = f(0.5 * (a + b) + 0.5 * (b - a) * Math.cos((Math.PI * (i + 0.5)) / n));
    const c = new Float64Array(n);
    for (let m = 0; m < n; m++) {
      let sum = 0;
      for (let i = 0; i < n; i++) sum += vals[i] * Math.cos((Math.PI * m * (i + 0.5)) / n);
      c[m] = ((m === 0 ? 1 : 2) / n) * sum;
    }
    segs.push({ a, b, c });
  }
  const ev = (x: number): number => {
    let j = 0;
    while (j < segs.length - 1 && x > segs[j].b) j++;
    const { a, b, c } = segs[j];
    const t = (2 * x - a - b) / (b - a);
    let b1 = 0, b2 = 0;
    for (let m = c.length - 1; m >= 1; m--) {
      const b0 = 2 * t * b1 - b2 + c[m];
      b2 = b1;
      b1 = b0;
    }
    return t * b1 - b2 + c[0];
  };
  for (let j = 0; j + 1 < cuts.length; j++) {
    for (const w of [0.13, 0.5, 0.91]) {
      const x = cuts[j] + w * (cuts[j + 1] - cuts[j]);
      const err = Math.abs(ev(x) - f(x));
      if (err > 1e-13) throw new NumericalError(`${what}: Chebyshev table error ${err.toExponential(2)} at q = ${x}`);
    }
  }
  return ev;
}

let tanhSmallQ: { V: (q: number) => number; Vd: (q: number) => number } | undefined;

/** E[tanh^2] and E[sech^4] for 0 <= q <= TANH_SERIES_MIN_Q from Chebyshev tables built once by adaptive quadrature. */
export function tanhSmallQTables(): { V: (q: number) => number; Vd: (q: number) => number } {
  if (tanhSmallQ) return tanhSmallQ;
  const cuts = [0, 0.5, 2, 8, TANH_SERIES_MIN_Q];
  const t2 = (x: number): number => Math.tanh(x) ** 2;
  const s4 = (x: number): number => 1 / Math.cosh(x) ** 4;
  tanhSmallQ = {
    V: chebTable((q) => (q === 0 ? 0 : expect1F64(t2, q, { tol: 1e-15 }).value), cuts, 28, 'E[tanh^2]'),
    Vd: chebTable((q) => (q === 0 ? 1 : expect1F64(s4, q, { tol: 1e-15 }).value), cuts, 28, 'E[sech^4]'),
  };
  return tanhSmallQ;
}

function tanhKernel(): Kernel64 {
  const t = (x: number): number => Math.tanh(x);
  const t2 = (x: number): number => Math.tanh(x) ** 2;
  const s4 = (x: number): number => {
    const c = Math.cosh(x);
    return 1 / (c * c * c * c);
  };
  const small = tanhSmallQTables();
  const V = (q: number): number => {
    const s = tanhSech64(q);
    return s ? 1 - s.s2 : q <= TANH_SERIES_MIN_Q ? small.V(q) : expect1F64(t2, q, { tol: 1e-14 }).value;
  };
  const D = (q: number, omc: number): number => {
      if (omc === 0) return 0;
      const w = tanhPair64(q, omc);
      const s = w && tanhSech64(q);
      // V - W = (2/pi) acos c - E[sech^2] + 2 S - R, without the cancellation of 1 - (2/pi) asin c.
      if (w && s) return (2 / Math.PI) * w[3] - s.s2 + 2 * w[1] - w[2];
      return V(q) - expect2F64(t, t, q, q * (1 - omc), q, { tol: 1e-14 }).value;
  };
  const Vd = (q: number): number => {
    const s = tanhSech64(q);
    return s ? s.s4 : q <= TANH_SERIES_MIN_Q ? small.Vd(q) : expect1F64(s4, q, { tol: 1e-14 }).value;
  };
  return {
    V,
    D,
    Vd,
    step: (q, omc, out) => {
      const s = tanhSech64(q);
      const w = s && omc !== 0 ? tanhPair64(q, omc) : undefined;
      if (!s || (omc !== 0 && !w)) {
        out[0] = V(q);
        out[1] = D(q, omc);
        out[2] = Vd(q);
        return;
      }
      out[0] = 1 - s.s2;
      out[1] = w ? (2 / Math.PI) * w[3] - s.s2 + 2 * w[1] - w[2] : 0;
      out[2] = s.s4;
    },
  };
}

export function kernel64For(act: Activation): Kernel64 {
  if (isActivation(act, 'tanh')) return tanhKernel();
  const k = powerOf(act);
  if (k === undefined) throw new InputError('act', `no fast kernel for "${act.name}" (tanh and relu-power:k only)`);
  return relupowKernel(k);
}

// ---------------------------------------------------------------------------------------
// Fast float64 iteration with log-spaced samples.

export interface Samples64 {
  /** The sampled layers (all layers up to 100, then `perDecade` per decade, and the last). */
  layer: number[];
  /** ln p^l (p itself may exceed float64 for relu). */
  logP: number[];
  /** 1 - e^l = d^l / p^l. */
  oneMinusE: number[];
  /** G^l = ln(chi^0/chi^l); null where E[phi'^2] diverges (relu-power k <= 1/2). */
  G: (number | null)[];
  /** ln m^l, the log of the neurons' common mean (reduced network, non-odd activation); null where m = 0. */
  logM: (number | null)[];
  seconds: number;
}

export function sampleLayers(depth: number, perDecade = 40): number[] {
  const set = new Set<number>();
  for (let l = 0; l <= Math.min(100, depth); l++) set.add(l);
  for (let x = 2; x <= Math.log10(depth) + 1e-12; x += 1 / perDecade) set.add(Math.min(depth, Math.round(Math.pow(10, x))));
  set.add(depth);
  return [...set].sort((a, b) => a - b);
}

/** The recursion in float64 over `depth` layers (10^6 layers: well under a second for relu-power). */
export function iterate64(
  spec: ResidualSpec,
  opts: { depth?: number; perDecade?: number; sw2?: number; /** skip the distance recursion (d stays at d^0) */ lengthOnly?: boolean } = {},
): Samples64 {
  const t0 = Date.now();
  const depth = opts.depth ?? spec.depth;
  const K = kernel64For(spec.act);
  const sv2 = Number(spec.sv2), sw2 = opts.sw2 ?? Number(spec.sw2), sa2 = Number(spec.sa2), sb2 = Number(spec.sb2);
  const layers = sampleLayers(depth, opts.perDecade);
  const out: Samples64 = { layer: [], logP: [], oneMinusE: [], G: [], logM: [], seconds: 0 };
  const meanOf = carriesMean(spec) ? K.mean : undefined;
  if (carriesMean(spec) && !meanOf) throw new NumericalError(`no float64 mean E[phi] for "${spec.act.name}"`);
  // The neurons' common mean, scaled like sqrt(p): true m = m 2^(E/2).
  let m = 0;
  // State scaled by 2^E (only for homogeneous kernels, where V(2^E q) = 2^(E deg) V(q)).
  let E = 0;
  let fac = 1; // 2^(E (deg - 1))
  let sa2s = sa2, sb2s = sb2;
  let p = Number(spec.q0);
  let d = p * (1 - Number(spec.c0));
  let G = 0;
  const gradOK = K.Vd(1) < Infinity;
  const deg = K.degree;
  let next = 0;
  const buf = new Float64Array(3);
  const record = (l: number): void => {
    out.layer.push(l);
    out.logP.push(Math.log(p) + E * Math.LN2);
    out.oneMinusE.push(d / p);
    out.G.push(gradOK ? G : null);
    out.logM.push(m > 0 ? Math.log(m) + (E / 2) * Math.LN2 : null);
  };
  if (layers[0] === 0) {
    record(0);
    next = 1;
  }
  for (let l = 1; l <= depth; l++) {
    const q = sw2 * p + sb2s;
    const omc = opts.lengthOnly ? 0 : (sw2 * d) / q;
    K.step(q, omc, buf);
    const V = buf[0] * fac;
    const Dq = opts.lengthOnly ? 0 : buf[1] * fac;
    if (gradOK) G += Math.log1p(sv2 * sw2 * buf[2] * fac);
    p = p + sv2 * V + sa2s;
    d = d + sv2 * Dq;
    if (meanOf) {
      // E[phi] at the true q, in units of 2^(E/2): fac = 2^(E (deg - 1)), so sqrt(fac) = 2^(E (deg - 1)/2).
      const mu = meanOf(q) * Math.sqrt(fac);
      p += 2 * m * mu;
      m += mu;
    }
    if (!(p < Infinity) || !(d >= 0 && d < Infinity) || !(G < Infinity)) throw new NumericalError(`residual recursion left the finite numbers at layer ${l}`, l);
    if (deg !== undefined && p > 1e100) {
      // rescale by 2^-332 (exact)
      E += 332;
      p *= Math.pow(2, -332);
      d *= Math.pow(2, -332);
      m *= Math.pow(2, -166);
      sa2s = sa2 * Math.pow(2, -E);
      sb2s = sb2 * Math.pow(2, -E);
      fac = Math.pow(2, E * (deg - 1));
    }
    if (l === layers[next]) {
      record(l);
      next++;
    }
  }
  out.seconds = (Date.now() - t0) / 1000;
  return out;
}
