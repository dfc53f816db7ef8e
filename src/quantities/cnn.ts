/**
 * Mean-field theory of deep convolutional networks (Xiao et al. 2018), for 1D and 2D inputs of
 * any size with circular padding (zero padding: src/quantities/cnnZeroPad.ts).
 *
 * The network: C channels, spatial positions alpha in Z_n^d (d = 1 or 2, circular), kernel of
 * k^d taps beta in {-r..r}^d (k = 2r + 1, odd), layers l = 1..L:
 *
 *   h^l_i(alpha) = sum_j sum_beta W^l_ij(beta) phi(h^(l-1)_j(alpha + beta)) + b^l_i
 *   W^l_ij(beta) ~ N(0, sw2 v(beta) / C),  b^l_i ~ N(0, sb2)
 *
 * with the kernel's variance profile v (sum_beta v(beta) = 1):
 *   gaussian          v(beta) = 1/k^d on the k^d window (uniform, Xiao et al.'s default)
 *   delta-orthogonal  v(0) = 1, v(beta) = 0 otherwise (all variance at the centre tap)
 *   custom            any k^d nonnegative weights summing to 1 (customProfile)
 *
 * At infinite width the pre-activations of one input are a Gaussian field over positions with
 * covariance Sigma^l(alpha, alpha'), and
 *
 *   Sigma^l(alpha, alpha') = sb2 + sw2 sum_beta v(beta) C(Sigma^(l-1))(alpha + beta, alpha' + beta)
 *   C(Sigma)(alpha, alpha') = < phi(u) phi(u') >,  (u, u') ~ N(0, Sigma restricted to alpha, alpha')
 *
 * i.e. Sigma^l = sb2 + sw2 A * C(Sigma^(l-1)), where A averages along the diagonal direction.
 * Write Sigma as displacement planes T_delta(alpha) = Sigma(alpha, alpha + delta): A leaves delta
 * unchanged and acts on each plane as the circular cross-correlation with v,
 *
 *   (A T)(alpha) = sum_beta v(beta) T(alpha + beta)   (Fourier multiplier conj(V(f)), V = DFT v),
 *
 * which the FFT route computes with FFTs (any n: fft.js for powers of two, Bluestein otherwise)
 * and the dense route with the dense n^d x n^d circulant matrix. The plane delta = 0 (the
 * variance map q(alpha)) is closed under the map, and every other plane needs only itself and
 * the variance map: any set of planes containing delta = 0 propagates exactly (all n^d planes
 * are the full covariance).
 *
 * Linearisation at the translation-invariant fixed point Sigma* = q* ((1 - c*) I + c* 11^T)
 * (q*, c* of the fully connected network: the map preserves translation invariance and A is the
 * identity on invariant planes): the perturbation of the variance plane moves only itself, with
 * slope chi_q = sw2 d<phi^2>/dq; the perturbation of a plane delta != 0 moves only itself with
 * slope chi_c = sw2 <phi'(u) phi'(u')> at (q*, q* c*), plus a term driven by the variance plane.
 * The Jacobian is block triangular with blocks chi A, diagonal in Fourier modes:
 *
 *   lambda_q(f) = chi_q Ahat(f),   lambda_c(f) = chi_c Ahat(f),   Ahat(f) = conj(V(f)) (real for
 *   profiles symmetric under beta -> -beta, e.g. gaussian: prod_axes (1/k) sum_b cos(2 pi f_a b / n);
 *   complex otherwise, in conjugate pairs f, -f)
 *
 * and the depth scale of mode f is xi(f) = -1 / ln |lambda(f)| (Infinity at |lambda| = 1, 0 where
 * Ahat(f) = 0). For delta-orthogonal kernels Ahat = 1: every mode has the fully connected
 * depth scales.
 */
import { Activation, activation } from '../model/activation';
import { InputError, NumericalError } from '../model/errors';
import { intParam, realParam } from '../model/network';
import { float64Interp } from '../interpret/numeric';
import { fixedPoint } from './fixedpoint';
import { PairMoments } from './pairMoments';
import { CircularCorrelation, fftReal, sizeOf } from '../numeric/fft';
import { Rng } from '../simulate/rng';
import { plainMath } from '../numeric/plainMath';
const Math = plainMath();

export type CnnInit = 'gaussian' | 'delta-orthogonal';
export const CNN_INITS: CnnInit[] = ['gaussian', 'delta-orthogonal'];
/** Named variance profiles of --profile ('uniform' is the profile of 'gaussian'). */
export const CNN_PROFILES = ['gaussian', 'delta-orthogonal', 'uniform'] as const;
/** Largest k^d of a user-given profile. */
export const MAX_PROFILE_TAPS = 4096;
export const MAX_IMAGE = 4096;
export const MAX_POSITIONS = 1 << 20;

export interface CnnSpec {
  readonly kind: 'cnn';
  readonly act: Activation;
  readonly sw2: string;
  readonly sb2: string;
  readonly dims: number;
  /** Side length n: the image is n (1D) or n x n (2D). */
  readonly image: number;
  readonly kernelSize: number;
  /**
   * The profile's name: 'gaussian' or 'uniform' (v = 1/k^d), 'delta-orthogonal' (v = 1 at the
   * centre), or 'custom' (user-given weights).
   */
  readonly init: CnnInit | 'uniform' | 'custom';
  /** v(beta_t) in windowOffsets order, summing to 1. */
  readonly profile: Float64Array;
  /** circular (indices wrap) or zero (activations outside the image are 0; src/quantities/cnnZeroPad.ts). */
  readonly padding: Padding;
  readonly shape: number[];
}

export type Padding = 'circular' | 'zero';
export const PADDINGS: Padding[] = ['circular', 'zero'];

export interface CnnOptions {
  act: string | Activation;
  sw2: string | number;
  sb2: string | number;
  dims: string | number;
  image: string | number;
  kernelSize: string | number;
  init: string;
  /**
   * Variance profile: a name of CNN_PROFILES, a comma/space-separated list of k^d weights, or the
   * weights as an array (a JSON file's content); replaces `init` when given.
   */
  profile?: string | unknown;
  padding?: string;
}

export const DEFAULT_CNN: CnnOptions = { act: 'tanh', sw2: '1.5', sb2: '0.05', dims: 2, image: 32, kernelSize: 3, init: 'gaussian' };

export function cnnSpec(options: Partial<CnnOptions> | CnnSpec = {}): CnnSpec {
  if ((options as CnnSpec).kind === 'cnn') return options as CnnSpec;
  const o = { ...DEFAULT_CNN, ...(options as Partial<CnnOptions>) };
  const dims = intParam('dims', o.dims, 1, 2);
  const image = intParam('image', o.image, 1, dims === 1 ? MAX_IMAGE : 1024);
  const kText = typeof o.kernelSize === 'number' ? String(o.kernelSize) : o.kernelSize.trim();
  const k = intParam('kernel-size', kText, 1, MAX_IMAGE);
  if (k % 2 === 0) throw new InputError('kernel-size', `must be odd (a centred window of 2r+1 taps), got ${k}`);
  if (k > image) throw new InputError('kernel-size', `must be at most the image size ${image}, got ${k}`);
  let init: CnnSpec['init'] = String(o.init) as CnnInit;
  if (!CNN_INITS.includes(init as CnnInit)) throw new InputError('init', `must be one of ${CNN_INITS.join(', ')}, got "${init}"`);
  let profile: Float64Array;
  if (o.profile === undefined) profile = namedProfile(dims, k, init as CnnInit);
  else if (typeof o.profile === 'string' && (CNN_PROFILES as readonly string[]).includes(o.profile.trim())) {
    init = o.profile.trim() as CnnSpec['init'];
    profile = namedProfile(dims, k, init === 'uniform' ? 'gaussian' : (init as CnnInit));
  } else {
    init = 'custom';
    profile = customProfile(o.profile, dims, k);
  }
  const padding = String(o.padding ?? 'circular').trim() as Padding;
  if (!PADDINGS.includes(padding)) throw new InputError('padding', `must be one of ${PADDINGS.join(', ')}, got "${o.padding}"`);
  const act = typeof o.act === 'string' ? activation(o.act) : o.act;
  return {
    kind: 'cnn',
    act,
    sw2: realParam('sw2', o.sw2, { min: 0, what: '>= 0 (a variance)' }),
    sb2: realParam('sb2', o.sb2, { min: 0, what: '>= 0 (a variance)' }),
    dims,
    image,
    kernelSize: k,
    init,
    profile,
    padding,
    shape: dims === 1 ? [image] : [image, image],
  };
}

/** The weights of a named profile in windowOffsets order. */
function namedProfile(dims: number, k: number, init: CnnInit): Float64Array {
  const T = k ** dims;
  const v = new Float64Array(T);
  if (init === 'delta-orthogonal') v[(T - 1) / 2] = 1;
  else v.fill(1 / T);
  return v;
}

/**
 * A user-given profile: k^d nonnegative finite weights in windowOffsets order (row-major over
 * {-r..r}^d), summing to 1 within 1e-9, then divided by their sum. Accepts a list in text
 * (commas or spaces) or an array, nested arrays flattened row-major.
 */
export function customProfile(value: unknown, dims: number, k: number): Float64Array {
  const T = k ** dims;
  if (T > MAX_PROFILE_TAPS) throw new InputError('profile', `a list of weights needs k^d <= ${MAX_PROFILE_TAPS} taps, got ${T}`);
  let items: unknown[];
  if (typeof value === 'string') items = value.trim() === '' ? [] : value.trim().split(/[\s,]+/);
  else if (Array.isArray(value)) items = (value as unknown[]).flat(Infinity);
  else throw new InputError('profile', `must be ${CNN_PROFILES.join(', ')}, a file.json or a list of ${T} weights`);
  if (items.length !== T) {
    throw new InputError('profile', `must be ${CNN_PROFILES.join(', ')}, a file.json or a list of k^d = ${T} nonnegative weights summing to 1, got ${items.length} value(s)`);
  }
  const v = new Float64Array(T);
  let sum = 0;
  items.forEach((x, t) => {
    const w = typeof x === 'number' ? x : typeof x === 'string' && /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(x) ? Number(x) : NaN;
    if (!Number.isFinite(w)) throw new InputError('profile', `weight ${t + 1} is not a finite number ("${String(x)}")`);
    if (w < 0) throw new InputError('profile', `weights must be nonnegative, weight ${t + 1} is ${w}`);
    v[t] = w;
    sum += w;
  });
  if (!(Math.abs(sum - 1) <= 1e-9)) throw new InputError('profile', `the ${T} weights must sum to 1 (a variance profile), they sum to ${sum}`);
  for (let t = 0; t < T; t++) v[t] /= sum;
  return v;
}

/** Row-major flat index of a (wrapped) integer vector. */
export function flatIndex(shape: readonly number[], x: readonly number[]): number {
  let idx = 0;
  for (let a = 0; a < shape.length; a++) idx = idx * shape[a] + (((x[a] % shape[a]) + shape[a]) % shape[a]);
  return idx;
}

/** The integer vector of a flat index. */
export function unflatIndex(shape: readonly number[], idx: number): number[] {
  const out = new Array<number>(shape.length);
  for (let a = shape.length - 1; a >= 0; a--) {
    out[a] = idx % shape[a];
    idx = Math.floor(idx / shape[a]);
  }
  return out;
}

/** The k^d window offsets {-r..r}^d. */
export function windowOffsets(dims: number, k: number): number[][] {
  const r = (k - 1) / 2;
  let out: number[][] = [[]];
  for (let a = 0; a < dims; a++) {
    const next: number[][] = [];
    for (const o of out) for (let b = -r; b <= r; b++) next.push([...o, b]);
    out = next;
  }
  return out;
}

/**
 * The variance profile v over offsets (wrapped into the image: v[flatIndex(beta)]), of a named
 * initialisation or of the weights of a spec's profile.
 */
export function kernelProfile(shape: readonly number[], kernelSize: number, init: CnnInit | Float64Array): Float64Array {
  const v = new Float64Array(sizeOf(shape));
  if (init === 'delta-orthogonal') {
    v[0] = 1;
    return v;
  }
  const offs = windowOffsets(shape.length, kernelSize);
  if (typeof init === 'string') {
    for (const b of offs) v[flatIndex(shape, b)] += 1 / offs.length;
    return v;
  }
  offs.forEach((b, t) => (v[flatIndex(shape, b)] += init[t]));
  return v;
}

/** The grid profile of a spec (named profiles exactly as kernelProfile builds them). */
export function specProfile(spec: CnnSpec): Float64Array {
  const named = spec.init === 'gaussian' || spec.init === 'uniform' ? 'gaussian' : spec.init === 'delta-orthogonal' ? 'delta-orthogonal' : undefined;
  return kernelProfile(spec.shape, spec.kernelSize, named ?? spec.profile);
}

/** A set of displacement planes of the covariance: planes[p](alpha) = Sigma(alpha, alpha + delta_p). */
export interface CovariancePlanes {
  shape: number[];
  /** delta_p as integer vectors in 0..n-1; delta_0 = 0 always. */
  displacements: number[][];
  planes: Float64Array[];
}

/** Displacement sets: the variance plane and one unit step per axis ('nn'), or all (the full covariance). */
export function displacementSet(shape: readonly number[], which: 'nn' | 'all'): number[][] {
  const d = shape.length;
  if (which === 'all') return Array.from({ length: sizeOf(shape) }, (_, i) => unflatIndex(shape, i));
  const out = [new Array<number>(d).fill(0)];
  for (let a = 0; a < d; a++) {
    if (shape[a] < 2) continue;
    const e = new Array<number>(d).fill(0);
    e[a] = 1;
    out.push(e);
  }
  return out;
}

/** Planes of a full covariance matrix Sigma (row-major N x N). */
export function planesFromMatrix(shape: readonly number[], sigma: Float64Array, displacements: number[][]): CovariancePlanes {
  const N = sizeOf(shape);
  const planes = displacements.map((dl) => {
    const p = new Float64Array(N);
    for (let a = 0; a < N; a++) {
      const x = unflatIndex(shape, a);
      p[a] = sigma[a * N + flatIndex(shape, x.map((xi, i) => xi + dl[i]))];
    }
    return p;
  });
  return { shape: [...shape], displacements: displacements.map((x) => [...x]), planes };
}

/** The full covariance matrix from all n^d planes. */
export function matrixFromPlanes(c: CovariancePlanes): Float64Array {
  const N = sizeOf(c.shape);
  if (c.planes.length !== N) throw new RangeError('matrixFromPlanes needs all planes');
  const S = new Float64Array(N * N);
  for (let p = 0; p < N; p++) {
    const dl = c.displacements[p];
    for (let a = 0; a < N; a++) {
      const x = unflatIndex(c.shape, a);
      S[a * N + flatIndex(c.shape, x.map((xi, i) => xi + dl[i]))] = c.planes[p][a];
    }
  }
  return S;
}

/** A deterministic test image: `channels` channels of iid N(0, 1) pixels from the seeded generator. */
export function randomImage(shape: readonly number[], channels: number, seed: number): Float64Array[] {
  const rng = Rng.stream(seed, 0, 5);
  return Array.from({ length: channels }, () => {
    const x = new Float64Array(sizeOf(shape));
    for (let i = 0; i < x.length; i++) x[i] = rng.normal();
    return x;
  });
}

/**
 * The covariance of the input layer h^0 = U * x + b^0 (one Gaussian convolution of the image,
 * U_ic(beta) ~ N(0, sw2 u(beta) / channels), b^0 ~ N(0, sb2)):
 *
 *   Sigma^0(alpha, alpha') = sb2 + sw2 sum_beta u(beta) (1/channels) sum_c x_c(alpha+beta) x_c(alpha'+beta)
 *
 * The input layer uses the uniform window u for either --init, so that Gaussian and
 * delta-orthogonal networks start from the same Sigma^0.
 */
export function inputCovariance(spec: CnnSpec, image: Float64Array[], displacements: number[][]): CovariancePlanes {
  const shape = spec.shape;
  const N = sizeOf(shape);
  const corr = new CircularCorrelation(shape, kernelProfile(shape, spec.kernelSize, 'gaussian'));
  const sw2 = Number(spec.sw2);
  const sb2 = Number(spec.sb2);
  const planes = displacements.map((dl) => {
    const sh = shiftIndex(shape, dl);
    const p = new Float64Array(N);
    for (const x of image) for (let a = 0; a < N; a++) p[a] += (x[a] * x[sh[a]]) / image.length;
    corr.apply(p, p);
    for (let a = 0; a < N; a++) p[a] = sb2 + sw2 * p[a];
    return p;
  });
  return { shape: [...shape], displacements: displacements.map((x) => [...x]), planes };
}

/** index of alpha + delta for every alpha. */
export function shiftIndex(shape: readonly number[], delta: readonly number[]): Int32Array {
  const N = sizeOf(shape);
  const out = new Int32Array(N);
  for (let a = 0; a < N; a++) {
    const x = unflatIndex(shape, a);
    out[a] = flatIndex(shape, x.map((xi, i) => xi + delta[i]));
  }
  return out;
}

export type Route = 'fft' | 'dense';

/**
 * One layer of the covariance map on a set of planes, by FFTs or by the dense circulant matrix.
 * Reuses its buffers: `step` returns planes that stay valid until the next call.
 */
export class CnnCovarianceMap {
  readonly N: number;
  readonly v: Float64Array;
  private readonly corr: CircularCorrelation;
  private dense?: Float64Array;
  private readonly moments: PairMoments;
  private shifts: Int32Array[] = [];
  private shiftKey = '';
  private shiftFor?: number[][];
  private bufs: Float64Array[][] = [[], []];
  private flip = 0;
  private tmp: Float64Array;
  private readonly sw2: number;
  private readonly sb2: number;

  constructor(
    readonly spec: CnnSpec,
    readonly route: Route = 'fft',
  ) {
    this.N = sizeOf(spec.shape);
    if (this.N > MAX_POSITIONS) throw new InputError('image', `at most ${MAX_POSITIONS} positions, got ${this.N}`);
    this.v = specProfile(spec);
    this.corr = new CircularCorrelation(spec.shape, this.v);
    this.moments = new PairMoments(spec.act);
    this.tmp = new Float64Array(this.N);
    this.sw2 = Number(spec.sw2);
    this.sb2 = Number(spec.sb2);
    if (route === 'dense') this.denseMatrix();
  }

  /** The dense N x N matrix M with (A T)(alpha) = sum_gamma M[alpha, gamma] T(gamma). */
  denseMatrix(): Float64Array {
    if (this.dense) return this.dense;
    const N = this.N;
    if (N > 4096) throw new InputError('image', `the dense route stores an N x N matrix: at most 4096 positions, got ${N}`);
    const M = new Float64Array(N * N);
    const shape = this.spec.shape;
    for (let b = 0; b < N; b++) {
      if (this.v[b] === 0) continue;
      const sh = shiftIndex(shape, unflatIndex(shape, b));
      for (let a = 0; a < N; a++) M[a * N + sh[a]] += this.v[b];
    }
    this.dense = M;
    return M;
  }

  /** (A T) by the route of this map, in place allowed. */
  average(t: Float64Array, out: Float64Array): void {
    if (this.route === 'fft') {
      this.corr.apply(t, out);
      return;
    }
    const M = this.denseMatrix();
    const N = this.N;
    const tmp = this.tmp;
    for (let a = 0; a < N; a++) {
      let s = 0;
      const row = a * N;
      for (let g = 0; g < N; g++) s += M[row + g] * t[g];
      tmp[a] = s;
    }
    out.set(tmp);
  }

  /** C(Sigma) on the planes (the pointwise Gaussian moments), written into `out`. */
  moment(c: CovariancePlanes, out: Float64Array[]): void {
    const key = c.displacements === this.shiftFor ? this.shiftKey : c.displacements.map((x) => x.join(',')).join(';');
    this.shiftFor = c.displacements;
    if (key !== this.shiftKey) {
      if (c.displacements.length === 0 || c.displacements[0].some((x) => x !== 0)) throw new RangeError('plane 0 must be the variance plane (delta = 0)');
      this.shifts = c.displacements.map((dl) => shiftIndex(c.shape, dl));
      this.shiftKey = key;
    }
    const q = c.planes[0];
    for (let a = 0; a < this.N; a++) {
      if (!(q[a] >= 0) || !Number.isFinite(q[a])) throw new NumericalError(`the variance left the finite non-negative numbers at position ${a} (q = ${q[a]})`);
    }
    const m = this.moments;
    m.prepare(q);
    for (let a = 0; a < this.N; a++) out[0][a] = m.square(a);
    for (let p = 1; p < c.planes.length; p++) {
      const sh = this.shifts[p];
      const t = c.planes[p];
      const o = out[p];
      for (let a = 0; a < this.N; a++) o[a] = m.pair(a, sh[a], t[a]);
    }
  }

  /**
   * Sigma^l from Sigma^(l-1). The result lives in one of two buffer sets owned by the map, so it
   * stays valid until the next-but-one call (copy it to keep it longer).
   */
  step(c: CovariancePlanes): CovariancePlanes {
    const P = c.planes.length;
    this.flip ^= 1;
    const bufs = this.bufs[this.flip];
    while (bufs.length < P) bufs.push(new Float64Array(this.N));
    const out = bufs.slice(0, P);
    this.moment(c, out);
    const sw2 = this.sw2;
    const sb2 = this.sb2;
    let p = 0;
    if (this.route === 'fft') {
      for (; p + 1 < P; p += 2) this.corr.apply2(out[p], out[p + 1], out[p], out[p + 1]);
    }
    for (; p < P; p++) this.average(out[p], out[p]);
    const N = this.N;
    for (const o of out) for (let a = 0; a < N; a++) o[a] = sb2 + sw2 * o[a];
    return { shape: c.shape, displacements: c.displacements, planes: out };
  }
}

/**
 * Propagate `depth` layers; `record(l, planes)` sees layers 0..depth (the planes it is given are
 * reused two layers later: copy what you keep). Returns a copy of the last layer.
 */
export function propagateCovariance(
  spec: CnnSpec,
  sigma0: CovariancePlanes,
  depth: number,
  record?: (layer: number, c: CovariancePlanes) => void,
  route: Route = 'fft',
): CovariancePlanes {
  const map = new CnnCovarianceMap(spec, route);
  let c = sigma0;
  record?.(0, c);
  for (let l = 1; l <= depth; l++) {
    c = map.step(c);
    record?.(l, c);
  }
  return { shape: c.shape, displacements: c.displacements, planes: c.planes.map((p) => Float64Array.from(p)) };
}

// ---------------------------------------------------------------------------------------
// The linearised dynamics: Fourier modes and depth scales.

export interface CnnFixedPoint {
  q_star: number;
  c_star: number;
  /** sw2 d<phi(sqrt(q) z)^2>/dq at q*: the slope of the variance plane. */
  chi_q: number;
  /** sw2 <phi'(u) phi'(u')> at (q*, q* c*): the slope of every other plane. */
  chi_c: number;
  chi1: number;
}

/** The translation-invariant fixed point and its slopes (the fully connected ones, float64). */
export function cnnFixedPoint(spec: CnnSpec): CnnFixedPoint {
  const fp = fixedPoint(float64Interp, spec.act, spec.sw2, spec.sb2);
  return {
    q_star: fp.q_star,
    c_star: fp.c_star,
    chi_q: fp.xi_q === null ? 1 : Math.exp(-1 / fp.xi_q),
    chi_c: fp.chi_c,
    chi1: fp.chi1,
  };
}

/** -1 / ln |lambda|: Infinity at |lambda| = 1, 0 at lambda = 0; negative when |lambda| > 1 (growth). */
export function depthScale(lambda: number): number {
  const a = Math.abs(lambda);
  if (a === 1) return Infinity;
  if (a === 0) return 0;
  return -1 / Math.log(a);
}

export interface CnnModes {
  shape: number[];
  /** Frequency vectors f (integers 0..n-1 per axis), row-major order. */
  frequencies: number[][];
  /** Ahat(f): the Fourier multiplier of the spatial averaging A (from the FFT of v); its real part. */
  A: Float64Array;
  /** Imaginary part of Ahat(f) (zero for profiles symmetric under beta -> -beta). */
  A_im: Float64Array;
  /** chi Ahat(f), real parts (the imaginary parts are chi A_im). */
  lambda_q: Float64Array;
  lambda_c: Float64Array;
  /** -1 / ln |lambda(f)|. */
  xi_q: Float64Array;
  xi_c: Float64Array;
}

/**
 * Ahat(f) = conj(V(f)) = sum_t v(beta_t) e^(+2 pi i f.beta_t / n) for every frequency, from the FFT
 * of the variance profile, checked against that direct sum (at every frequency when
 * N k^d <= 5e7, else at an evenly strided subset); throws if they disagree beyond 1e-12.
 */
export function averagingSpectrumComplex(spec: CnnSpec): { re: Float64Array; im: Float64Array } {
  const shape = spec.shape;
  const v = specProfile(spec);
  const V = fftReal(v, shape);
  const N = v.length;
  const re = Float64Array.from(V.re);
  const im = V.im.map((x) => (x === 0 ? 0 : -x));
  const offs = windowOffsets(shape.length, spec.kernelSize);
  const taps = offs.map((_, t) => t).filter((t) => spec.profile[t] !== 0);
  const stride = Math.max(1, Math.ceil((N * taps.length) / 5e7));
  for (let f = 0; f < N; f += stride) {
    const fv = unflatIndex(shape, f);
    let dr = 0;
    let di = 0;
    for (const t of taps) {
      let ph = 0;
      for (let a = 0; a < shape.length; a++) ph += (((fv[a] * offs[t][a]) % shape[a]) + shape[a]) % shape[a] / shape[a];
      dr += spec.profile[t] * Math.cos(2 * Math.PI * ph);
      di += spec.profile[t] * Math.sin(2 * Math.PI * ph);
    }
    if (Math.abs(dr - re[f]) > 1e-12 || Math.abs(di - im[f]) > 1e-12) throw new NumericalError(`FFT of the kernel profile disagrees with the direct sum at frequency ${f}`);
  }
  return { re, im };
}

/**
 * Ahat(f) for every frequency, from the FFT of the variance profile, checked against the
 * direct sum; throws if it is not real (a profile not symmetric under beta -> -beta).
 */
export function averagingSpectrum(spec: CnnSpec): Float64Array {
  const { re, im } = averagingSpectrumComplex(spec);
  for (let f = 0; f < im.length; f++) if (Math.abs(im[f]) > 1e-12) throw new NumericalError(`the averaging spectrum is not real at frequency ${f} (${im[f]})`);
  return re;
}

export function cnnModes(spec: CnnSpec, fp: CnnFixedPoint = cnnFixedPoint(spec)): CnnModes {
  const { re: A, im } = averagingSpectrumComplex(spec);
  const N = A.length;
  const lq = A.map((a) => fp.chi_q * a);
  const lc = A.map((a) => fp.chi_c * a);
  return {
    shape: [...spec.shape],
    frequencies: Array.from({ length: N }, (_, i) => unflatIndex(spec.shape, i)),
    A,
    A_im: im,
    lambda_q: lq,
    lambda_c: lc,
    xi_q: A.map((a, f) => depthScale(fp.chi_q * Math.hypot(a, im[f]))),
    xi_c: A.map((a, f) => depthScale(fp.chi_c * Math.hypot(a, im[f]))),
  };
}

/**
 * Fourier amplitudes of a plane's deviation from its spatial mean: |FFT(T - mean T)(f)| / N for
 * every f (f = 0 is 0 by construction). The linearised dynamics multiplies mode f of plane delta
 * by lambda(f) per layer (exactly, in the linear regime, for the variance plane; for the other
 * planes up to the drive from the variance plane).
 */
export function modeAmplitudes(shape: readonly number[], plane: Float64Array): Float64Array {
  const N = plane.length;
  let mean = 0;
  for (let a = 0; a < N; a++) mean += plane[a];
  mean /= N;
  const X = fftReal(plane.map((x) => x - mean), shape);
  const out = new Float64Array(N);
  for (let f = 0; f < N; f++) out[f] = Math.hypot(X.re[f], X.im[f]) / N;
  return out;
}
