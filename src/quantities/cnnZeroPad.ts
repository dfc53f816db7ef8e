/**
 * The CNN covariance map with zero padding: positions outside the image contribute zero
 * activations,
 *
 *   Sigma^l(a, b) = sb2 + sw2 sum_t v_t [a + beta_t, b + beta_t inside] C(Sigma^(l-1))(a + beta_t, b + beta_t)
 *
 * so the map is no longer translation invariant and no displacement plane is closed except
 * under the full covariance. It is propagated exactly on the full N x N matrix (N = n^d
 * positions, cost N^2 k^d pair moments per layer, at most MAX_ZERO_PAD_POSITIONS positions).
 *
 * Displacement is still conserved: the pair (a, b) feeds only the pairs (a - beta, b - beta).
 * Linearised at a fixed point Sigma*, the map is block triangular (the variance map q(a) =
 * Sigma(a, a) is closed; an off-diagonal perturbation moves only off-diagonal entries), so its
 * spectrum is that of
 *
 *   J_q X(a)    = sw2 sum_t v_t [a + beta_t inside] d<phi^2>/dq(q*(a + beta_t)) X(a + beta_t)
 *   J_c X(a, b) = sw2 sum_t v_t [both inside] chi(a + beta_t, b + beta_t) X(a + beta_t, b + beta_t)   (a != b)
 *
 * with chi(a, b) = d<phi(u) phi(v)>/dSigma(a, b) = <phi'(u) phi'(v)> at Sigma*. The depth scales
 * are -1/ln of their spectral radii; where every entry is positive (phi' > 0 and a positive
 * profile support), the radius is the Perron root, bracketed by power iteration.
 */
import { InputError, NumericalError } from '../model/errors';
import { PairMoments } from './pairMoments';
import { CnnSpec, windowOffsets, unflatIndex, flatIndex, depthScale } from './cnn';
import { sizeOf } from '../numeric/fft';
import { plainMath } from '../numeric/plainMath';
const Math = plainMath();

/** Largest image (positions) for the zero-padded full-covariance map: N^2 k^d moments per layer. */
export const MAX_ZERO_PAD_POSITIONS = 1024;

/** The index of a + delta for every position a, or -1 where it lies outside the image. */
export function paddedShift(shape: readonly number[], delta: readonly number[]): Int32Array {
  const N = sizeOf(shape);
  const out = new Int32Array(N);
  for (let a = 0; a < N; a++) {
    const y = unflatIndex(shape, a).map((xi, i) => xi + delta[i]);
    out[a] = y.every((yi, i) => yi >= 0 && yi < shape[i]) ? flatIndex(shape, y) : -1;
  }
  return out;
}

/** For every tap t, the index of a + beta_t, or -1 outside the image. */
export function zeroPadShifts(shape: readonly number[], k: number): Int32Array[] {
  return windowOffsets(shape.length, k).map((b) => paddedShift(shape, b));
}

function checkSize(spec: CnnSpec): number {
  const N = sizeOf(spec.shape);
  if (N > MAX_ZERO_PAD_POSITIONS) {
    throw new InputError('image', `zero padding propagates the full covariance (N^2 k^d moments per layer): at most ${MAX_ZERO_PAD_POSITIONS} positions, got ${N}`);
  }
  return N;
}

/**
 * Sigma^0 of the zero-padded input layer h^0 = U * x + b^0 (uniform window, pixels outside the
 * image zero): sb2 + sw2 sum_t (1/k^d) (1/channels) sum_c x_c(a + beta_t) x_c(b + beta_t).
 */
export function zeroPadInputCovariance(spec: CnnSpec, image: Float64Array[]): Float64Array {
  const N = checkSize(spec);
  const sh = zeroPadShifts(spec.shape, spec.kernelSize);
  const T = sh.length;
  const sw2 = Number(spec.sw2);
  const sb2 = Number(spec.sb2);
  const S = new Float64Array(N * N);
  for (let a = 0; a < N; a++)
    for (let b = a; b < N; b++) {
      let s = 0;
      for (let t = 0; t < T; t++) {
        const ia = sh[t][a];
        const ib = sh[t][b];
        if (ia < 0 || ib < 0) continue;
        let m = 0;
        for (const x of image) m += x[ia] * x[ib];
        s += m / image.length / T;
      }
      S[a * N + b] = S[b * N + a] = sb2 + sw2 * s;
    }
  return S;
}

/** One layer of the zero-padded covariance map on the full matrix (dense route over position pairs). */
export class ZeroPadCovarianceMap {
  readonly N: number;
  private readonly shifts: Int32Array[];
  private readonly taps: number[];
  private readonly moments: PairMoments;
  private readonly C: Float64Array;
  private readonly q: Float64Array;
  private readonly sw2: number;
  private readonly sb2: number;

  constructor(readonly spec: CnnSpec) {
    this.N = checkSize(spec);
    this.shifts = zeroPadShifts(spec.shape, spec.kernelSize);
    this.taps = this.shifts.map((_, t) => t).filter((t) => spec.profile[t] !== 0);
    this.moments = new PairMoments(spec.act);
    this.C = new Float64Array(this.N * this.N);
    this.q = new Float64Array(this.N);
    this.sw2 = Number(spec.sw2);
    this.sb2 = Number(spec.sb2);
  }

  /** C(Sigma) on every pair (symmetric). */
  private moment(S: Float64Array): Float64Array {
    const N = this.N;
    const q = this.q;
    for (let a = 0; a < N; a++) {
      q[a] = S[a * N + a];
      if (!(q[a] >= 0) || !Number.isFinite(q[a])) throw new NumericalError(`the variance left the finite non-negative numbers at position ${a} (q = ${q[a]})`);
    }
    const m = this.moments;
    m.prepare(q);
    const C = this.C;
    for (let a = 0; a < N; a++) {
      C[a * N + a] = m.square(a);
      for (let b = a + 1; b < N; b++) C[a * N + b] = C[b * N + a] = m.pair(a, b, S[a * N + b]);
    }
    return C;
  }

  /** out = sb2 + sw2 sum_t v_t [inside] M(a + beta_t, b + beta_t) (the averaging of a pair matrix). */
  average(M: Float64Array, out: Float64Array, add: number, scale: number): Float64Array {
    const N = this.N;
    const v = this.spec.profile;
    for (let a = 0; a < N; a++)
      for (let b = a; b < N; b++) {
        let s = 0;
        for (const t of this.taps) {
          const ia = this.shifts[t][a];
          const ib = this.shifts[t][b];
          if (ia >= 0 && ib >= 0) s += v[t] * M[ia * N + ib];
        }
        out[a * N + b] = out[b * N + a] = add + scale * s;
      }
    return out;
  }

  /** Sigma^l from Sigma^(l-1) (a new array). */
  step(S: Float64Array): Float64Array {
    return this.average(this.moment(S), new Float64Array(this.N * this.N), this.sb2, this.sw2);
  }

  /** The variance map alone (closed): q'(a) = sb2 + sw2 sum_t v_t [inside] <phi^2>(q(a + beta_t)), with sq(i) = <phi^2>(q(i)). */
  varianceStep(sq: (i: number) => number): Float64Array {
    const N = this.N;
    const v = this.spec.profile;
    const out = new Float64Array(N);
    for (let a = 0; a < N; a++) {
      let s = 0;
      for (const t of this.taps) {
        const i = this.shifts[t][a];
        if (i >= 0) s += v[t] * sq(i);
      }
      out[a] = this.sb2 + this.sw2 * s;
    }
    return out;
  }

  /** Pair moments at the variances q (for the variance map and chi). */
  prepared(q: Float64Array): PairMoments {
    this.moments.prepare(q);
    return this.moments;
  }

  tapList(): { t: number; v: number; shift: Int32Array }[] {
    return this.taps.map((t) => ({ t, v: this.spec.profile[t], shift: this.shifts[t] }));
  }
}

/** Propagate `depth` layers of the full zero-padded covariance; `record(l, Sigma)` sees layers 0..depth. */
export function propagateZeroPad(spec: CnnSpec, sigma0: Float64Array, depth: number, record?: (layer: number, S: Float64Array) => void): Float64Array {
  const map = new ZeroPadCovarianceMap(spec);
  let S = sigma0;
  record?.(0, S);
  for (let l = 1; l <= depth; l++) {
    S = map.step(S);
    record?.(l, S);
  }
  return S;
}

/**
 * Perron root of a nonnegative linear map by power iteration from a positive vector, certified by
 * the Collatz-Wielandt bracket min_i (Jx)_i / x_i <= rho <= max_i (Jx)_i / x_i (over the entries
 * `mask` allows): converged when the bracket is narrower than `tol` rho. Stops after `maxIter`.
 */
export function perronRoot(apply: (x: Float64Array) => Float64Array, x0: Float64Array, mask: (i: number) => boolean, maxIter: number, tol = 1e-10): { rho: number; lo: number; hi: number; converged: boolean; iterations: number } {
  let x = x0;
  let lo = 0;
  let hi = Infinity;
  for (let it = 1; it <= maxIter; it++) {
    const y = apply(x);
    let mn = Infinity;
    let mx = 0;
    let nrm = 0;
    for (let i = 0; i < y.length; i++) {
      if (!mask(i)) continue;
      const r = y[i] / x[i];
      if (r < mn) mn = r;
      if (r > mx) mx = r;
      if (y[i] > nrm) nrm = y[i];
    }
    lo = Math.max(lo, mn);
    hi = Math.min(hi, mx);
    if (nrm === 0) return { rho: 0, lo: 0, hi: 0, converged: true, iterations: it };
    if (hi - lo <= tol * hi) return { rho: (lo + hi) / 2, lo, hi, converged: true, iterations: it };
    x = y.map((z) => z / nrm);
  }
  return { rho: (lo + hi) / 2, lo, hi, converged: false, iterations: maxIter };
}

/**
 * The displacement planes of a full covariance restricted to the positions whose partner a + delta
 * lies inside the image: planes[p] lists Sigma(a, a + delta_p) over those a (row-major).
 */
export function zeroPadPlanes(shape: readonly number[], S: Float64Array, displacements: number[][]): Float64Array[] {
  const N = sizeOf(shape);
  return displacements.map((dl) => {
    const sh = paddedShift(shape, dl);
    const out: number[] = [];
    for (let a = 0; a < N; a++) if (sh[a] >= 0) out.push(S[a * N + sh[a]]);
    return Float64Array.from(out);
  });
}

export interface ZeroPadFixedPoint {
  /** q*(alpha) of the closed variance map, and the full Sigma* when the full map converged. */
  q: Float64Array;
  sigma: Float64Array | null;
  layers_q: number;
  layers_sigma: number | null;
  /**
   * Perron roots of J_q and J_c (certified to 1e-10 relative by the Collatz-Wielandt bracket) and
   * their depth scales; null when a block has entries that are not positive (phi' changing sign)
   * or the bracket did not close within the work budget.
   */
  rho_q: number | null;
  xi_q: number | null;
  rho_c: number | null;
  xi_c: number | null;
}

/**
 * The zero-padded fixed point and the depth scales of its linearisation. The variance map is
 * iterated to a relative change below 1e-14 (at most `maxLayers`); the full covariance from the
 * translation-invariant fixed point of the circular network (q*, q* c*) likewise (null when it
 * does not converge, e.g. at criticality where the approach is a power law).
 */
export function zeroPadFixedPoint(spec: CnnSpec, qStar: number, cStar: number, maxLayers = 20000, budget = 2e8): ZeroPadFixedPoint {
  const map = new ZeroPadCovarianceMap(spec);
  const N = map.N;
  const sw2 = Number(spec.sw2);
  // Start from the circular q* (or 1 where every q is a circular fixed point).
  const start = qStar > 0 && Number.isFinite(qStar) ? qStar : 1;
  let q: Float64Array = new Float64Array(N).fill(start);
  let layersQ = -1;
  for (let l = 1; l <= maxLayers; l++) {
    const m = map.prepared(q);
    const next = map.varianceStep((i) => m.square(i));
    let d = 0;
    for (let a = 0; a < N; a++) d = Math.max(d, next[a] === q[a] ? 0 : Math.abs(next[a] - q[a]) / Math.max(next[a], 1e-300));
    q = next;
    if (d <= 1e-14) {
      layersQ = l;
      break;
    }
  }
  if (layersQ < 0) throw new NumericalError(`the zero-padded variance map did not converge in ${maxLayers} layers`);
  if (q.some((x) => !(x > 1e-200 * start))) throw new NumericalError('the zero-padded variance map has no positive fixed point: the variance decays to 0 (sb2 = 0 with a boundary)');
  // d<phi^2>/dq per position by a central difference of the (prepared) square moment.
  const h = 1e-5;
  const up = map.prepared(q.map((x) => x * (1 + h)));
  const sqUp = Float64Array.from({ length: N }, (_, i) => up.square(i));
  const dn = map.prepared(q.map((x) => x * (1 - h)));
  const dq = Float64Array.from({ length: N }, (_, i) => (sqUp[i] - dn.square(i)) / (2 * h * q[i]));
  const taps = map.tapList();
  const Jq = (x: Float64Array) => {
    const out = new Float64Array(N);
    for (let a = 0; a < N; a++) {
      let s = 0;
      for (const { v, shift } of taps) {
        const i = shift[a];
        if (i >= 0) s += v * dq[i] * x[i];
      }
      out[a] = sw2 * s;
    }
    return out;
  };
  const iterBudget = (cost: number) => Math.max(100, Math.min(200000, Math.floor(budget / cost)));
  const rq = dq.every((x) => x > 0) ? perronRoot(Jq, new Float64Array(N).fill(1), () => true, iterBudget(N * (taps.length + 1))) : undefined;

  let S: Float64Array = new Float64Array(N * N);
  for (let a = 0; a < N; a++) for (let b = 0; b < N; b++) S[a * N + b] = a === b ? q[a] : Math.sqrt(q[a] * q[b]) * cStar;
  let layersS: number | null = null;
  // The full map costs about N^2 (k^d + 1) operations per layer: stay within the budget.
  const fullLayers = Math.min(maxLayers, Math.floor(budget / (N * N * (taps.length + 1))));
  for (let l = 1; l <= fullLayers; l++) {
    const next = map.step(S);
    let d = 0;
    for (let i = 0; i < N * N; i++) d = Math.max(d, Math.abs(next[i] - S[i]));
    S = next;
    if (d <= 1e-13 * qStar) {
      layersS = l;
      break;
    }
  }
  const rhoQ = rq?.converged ? rq.rho : null;
  const xiQ = rhoQ === null ? null : depthScale(rhoQ);
  if (layersS === null || N < 2) return { q, sigma: null, layers_q: layersQ, layers_sigma: null, rho_q: rhoQ, xi_q: xiQ, rho_c: null, xi_c: null };
  // chi(a, b) = d<phi phi>/dSigma(a, b): second-order one-sided (backward) difference, which stays
  // below the clamp |Sigma(a, b)| <= sqrt(q(a) q(b)) when Sigma* sits at it (c* = 1).
  const m = map.prepared(q);
  const chi = new Float64Array(N * N);
  for (let a = 0; a < N; a++)
    for (let b = a + 1; b < N; b++) {
      const s = S[a * N + b];
      const e = 1e-4 * Math.sqrt(q[a] * q[b]);
      chi[a * N + b] = chi[b * N + a] = (3 * m.pair(a, b, s) - 4 * m.pair(a, b, s - e) + m.pair(a, b, s - 2 * e)) / (2 * e);
    }
  // J_c conserves the displacement delta: its spectrum is the union of the blocks J_delta on
  // the positions a with a + delta inside, J_delta x(a) = sw2 sum_t v_t chi(a', a' + delta) x(a'),
  // a' = a + beta_t (both inside). rho_c is the largest Perron root over the blocks.
  let rhoC: number | null = 0;
  const shape = spec.shape;
  const positive = chi.every((x, i) => Math.floor(i / N) === i % N || x > 0);
  const blocks = positive ? displacementsOf(shape) : [];
  const perBlock = iterBudget(N * N * (taps.length + 1));
  for (const dl of blocks) {
    const partner = paddedShift(shape, dl);
    const Jd = (x: Float64Array) => {
      const out = new Float64Array(N);
      for (let a = 0; a < N; a++) {
        if (partner[a] < 0) continue;
        let s = 0;
        for (const { v, shift } of taps) {
          const i = shift[a];
          if (i >= 0 && partner[i] >= 0) s += v * chi[i * N + partner[i]] * x[i];
        }
        out[a] = sw2 * s;
      }
      return out;
    };
    const r = perronRoot(Jd, Float64Array.from(partner, (p) => (p >= 0 ? 1 : 0)), (i) => partner[i] >= 0, perBlock);
    if (!r.converged) {
      rhoC = null;
      break;
    }
    rhoC = Math.max(rhoC, r.rho);
  }
  if (!positive) rhoC = null;
  return { q, sigma: S, layers_q: layersQ, layers_sigma: layersS, rho_q: rhoQ, xi_q: xiQ, rho_c: rhoC, xi_c: rhoC === null ? null : depthScale(rhoC) };
}

/** The displacements delta != 0 with at least one pair (a, a + delta) inside the image. */
function displacementsOf(shape: readonly number[]): number[][] {
  let out: number[][] = [[]];
  for (const n of shape) {
    const next: number[][] = [];
    for (const o of out) for (let d = -(n - 1); d <= n - 1; d++) next.push([...o, d]);
    out = next;
  }
  return out.filter((d) => d.some((x) => x !== 0));
}

/** Positions of a zero-padded image at which the variance map is reported: centre, edge midpoint, corner. */
export function landmarkPositions(shape: readonly number[]): { name: string; index: number }[] {
  const mid = shape.map((n) => (n - 1) >> 1);
  const edge = shape.map((n, i) => (i === 0 ? 0 : (n - 1) >> 1));
  const corner = shape.map(() => 0);
  return [
    { name: 'centre', index: flatIndex(shape, mid) },
    ...(shape.length === 2 ? [{ name: 'edge', index: flatIndex(shape, edge) }] : []),
    { name: shape.length === 2 ? 'corner' : 'end', index: flatIndex(shape, corner) },
  ];
}
