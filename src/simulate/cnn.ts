/**
 * Deep CNNs at finite width: orthogonal convolution kernels and seeded simulations of signal
 * propagation, compared with the mean-field covariance map of src/quantities/cnn.ts.
 *
 * Kernels are stored tap-major: kernel[t][i * C + j] = W_ij(beta_t), beta_t the t-th offset of
 * the window {-r..r}^d (windowOffsets order). A layer acts as
 *
 *   (W * y)_i(alpha) = sum_t sum_j W_ij(beta_t) y_j(alpha + beta_t)     (circular)
 *
 * whose symbol at frequency f is  What(f) = sum_t W(beta_t) exp(+2 pi i f . beta_t / n):
 * the operator is block-diagonalised by the spatial DFT, and its singular values are those of
 * the C x C matrices What(f) over all f. It is orthogonal iff every What(f) is unitary.
 *
 * Random orthogonal kernels (Xiao et al. 2018, block construction): What(f) = H prod_factors
 * (P + (1 - P) e^(i theta_a(f))), H Haar-orthogonal, each P a symmetric projection of rank
 * floor(C/2) onto a Haar-random subspace, k - 1 such factors per axis (each one a two-tap kernel
 * [P, 1 - P] at offsets 0, 1), then shifted by -r per axis to centre the window. Every factor
 * is unitary at every frequency, so the product is. Delta-orthogonal: W(0) = H, all other taps 0.
 */
import { Rng } from './rng';
import { CnnSpec, windowOffsets, flatIndex, shiftIndex, unflatIndex, inputCovariance, displacementSet, propagateCovariance, randomImage, CovariancePlanes } from '../quantities/cnn';
import { fftNd, sizeOf } from '../numeric/fft';
import { paddedShift, zeroPadShifts, zeroPadInputCovariance, propagateZeroPad, MAX_ZERO_PAD_POSITIONS } from '../quantities/cnnZeroPad';
import { InputError } from '../model/errors';
import { plainMath } from '../numeric/plainMath';
import { bonferroniThreshold } from './stats';
const Math = plainMath();

/**
 * A Haar-distributed orthogonal C x C matrix (row-major): modified Gram-Schmidt on the rows of a
 * Gaussian matrix (= QR with a positive diagonal of R, which is Haar; rows are contiguous, so
 * the loops run along memory).
 */
export function haarOrthogonal(C: number, rng: Rng): Float64Array {
  const A = new Float64Array(C * C);
  rng.fillNormal(A, 0, C * C, 1);
  for (let i = 0; i < C; i++) {
    const ri = i * C;
    // Two passes for small C, one for large (MGS loses orthogonality ~ eps cond(A) ~ eps C: 1e-13).
    const passes = C < 64 ? 2 : 1;
    for (let pass = 0; pass < passes; pass++) {
      for (let p = 0; p < i; p++) {
        const rp = p * C;
        let d = 0;
        for (let x = 0; x < C; x++) d += A[rp + x] * A[ri + x];
        for (let x = 0; x < C; x++) A[ri + x] -= d * A[rp + x];
      }
    }
    let nrm = 0;
    for (let x = 0; x < C; x++) nrm += A[ri + x] * A[ri + x];
    nrm = 1 / Math.sqrt(nrm);
    for (let x = 0; x < C; x++) A[ri + x] *= nrm;
  }
  return A;
}

function matmul(A: Float64Array, B: Float64Array, C: number): Float64Array {
  const out = new Float64Array(C * C);
  for (let i = 0; i < C; i++)
    for (let p = 0; p < C; p++) {
      const a = A[i * C + p];
      if (a === 0) continue;
      for (let j = 0; j < C; j++) out[i * C + j] += a * B[p * C + j];
    }
  return out;
}

/** Delta-orthogonal kernel: the centre tap a Haar-orthogonal matrix, every other tap zero. */
export function deltaOrthogonalKernel(C: number, k: number, dims: number, rng: Rng): Float64Array[] {
  const offs = windowOffsets(dims, k);
  return offs.map((b) => (b.every((x) => x === 0) ? haarOrthogonal(C, rng) : new Float64Array(C * C)));
}

/** A random orthogonal convolution kernel of k^d taps (block construction, see the header). */
export function randomOrthogonalKernel(C: number, k: number, dims: number, rng: Rng): Float64Array[] {
  const r = (k - 1) / 2;
  const rank = Math.floor(C / 2);
  // Kernel as a map from offset (per-axis 0..k-1) to a C x C matrix; start with H at offset 0.
  const side = k;
  const size = side ** dims;
  let K: Float64Array[] = Array.from({ length: size }, () => new Float64Array(C * C));
  K[0] = haarOrthogonal(C, rng);
  const stride = (a: number) => side ** (dims - 1 - a);
  for (let a = 0; a < dims; a++) {
    for (let s = 0; s < k - 1; s++) {
      const Q = haarOrthogonal(C, rng);
      const P = new Float64Array(C * C);
      for (let i = 0; i < C; i++)
        for (let j = 0; j < C; j++) {
          let v = 0;
          for (let m = 0; m < rank; m++) v += Q[i * C + m] * Q[j * C + m];
          P[i * C + j] = v;
        }
      const IP = P.map((x, idx) => (Math.floor(idx / C) === idx % C ? 1 : 0) - x);
      // Compose: new(beta) = K(beta) P + K(beta - e_a) (1 - P)  (the composed kernel's taps).
      const next: Float64Array[] = Array.from({ length: size }, () => new Float64Array(C * C));
      for (let t = 0; t < size; t++) {
        const pos = Math.floor(t / stride(a)) % side;
        const kp = matmul(K[t], P, C);
        for (let x = 0; x < C * C; x++) next[t][x] += kp[x];
        if (pos + 1 < side) {
          const kq = matmul(K[t], IP, C);
          const t2 = t + stride(a);
          for (let x = 0; x < C * C; x++) next[t2][x] += kq[x];
        }
      }
      K = next;
    }
  }
  // Offsets 0..k-1 per axis -> -r..r: same order as windowOffsets.
  const offs = windowOffsets(dims, k);
  return offs.map((b) => {
    let t = 0;
    for (let a = 0; a < dims; a++) t = t * side + (b[a] + r);
    return K[t];
  });
}

/** Gaussian kernel: W_ij(beta) ~ N(0, 1 / (C k^d)) (unit total variance, as the orthogonal ones). */
export function gaussianKernel(C: number, k: number, dims: number, rng: Rng): Float64Array[] {
  const offs = windowOffsets(dims, k);
  const sd = 1 / Math.sqrt(C * offs.length);
  return offs.map(() => {
    const w = new Float64Array(C * C);
    rng.fillNormal(w, 0, C * C, sd);
    return w;
  });
}

/**
 * Gaussian kernel with a variance profile: W_ij(beta_t) ~ N(0, v_t / C) (unit total variance; the
 * uniform profile is gaussianKernel).
 */
export function profileKernel(C: number, profile: Float64Array, rng: Rng): Float64Array[] {
  return Array.from(profile, (v) => {
    const w = new Float64Array(C * C);
    rng.fillNormal(w, 0, C * C, Math.sqrt(v / C));
    return w;
  });
}

/** The kernel generator of a spec's profile (delta-orthogonal: Haar centre tap; others Gaussian). */
export function specKernel(spec: CnnSpec, C: number, rng: Rng): Float64Array[] {
  const { kernelSize: k, dims } = spec;
  if (spec.init === 'delta-orthogonal') return deltaOrthogonalKernel(C, k, dims, rng);
  if (spec.init === 'gaussian' || spec.init === 'uniform') return gaussianKernel(C, k, dims, rng);
  return profileKernel(C, spec.profile, rng);
}

export interface SingularValueReport {
  /** Smallest and largest singular value over all frequencies. */
  min: number;
  max: number;
  /** max over f and singular values of |sigma - 1|. */
  maxDeviation: number;
  frequencies: number;
}

/** Eigenvalues of a real symmetric matrix (cyclic Jacobi). */
function symmetricEigenvalues(A: Float64Array, n: number): Float64Array {
  const a = Float64Array.from(A);
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p * n + q] * a[p * n + q];
    if (off < 1e-30) break;
    for (let p = 0; p < n; p++)
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q];
        if (apq === 0) continue;
        const theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p];
          const akq = a[k * n + q];
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k];
          const aqk = a[q * n + k];
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
      }
  }
  return Float64Array.from({ length: n }, (_, i) => a[i * n + i]);
}

/**
 * Singular values of the layer operator y -> W * y on an image of the given shape, from the
 * kernel's FFT: for every entry (i, j) the taps are placed on the n^d grid at -beta (so that the
 * forward DFT gives sum_t W_ij(beta_t) e^(+2 pi i f beta_t / n)), and at every f the singular
 * values of What(f) are the square roots of the eigenvalues of What^H What, computed through
 * the real symmetric 2C x 2C form [[Re, -Im], [Im, Re]] (each eigenvalue twice).
 */
export function kernelSingularValues(kernel: Float64Array[], C: number, k: number, shape: readonly number[]): SingularValueReport {
  const dims = shape.length;
  const offs = windowOffsets(dims, k);
  if (kernel.length !== offs.length) throw new RangeError('kernel tap count does not match k^d');
  const N = sizeOf(shape);
  const re = Array.from({ length: C * C }, () => new Float64Array(N));
  const im = Array.from({ length: C * C }, () => new Float64Array(N));
  for (let e = 0; e < C * C; e++) {
    offs.forEach((b, t) => {
      re[e][flatIndex(shape, b.map((x) => -x))] += kernel[t][e];
    });
    fftNd(re[e], im[e], shape);
  }
  let min = Infinity;
  let max = -Infinity;
  let dev = 0;
  const M = new Float64Array(4 * C * C);
  const Wr = new Float64Array(C * C);
  const Wi = new Float64Array(C * C);
  for (let f = 0; f < N; f++) {
    for (let e = 0; e < C * C; e++) {
      Wr[e] = re[e][f];
      Wi[e] = im[e][f];
    }
    // G = W^H W = (Wr^T - i Wi^T)(Wr + i Wi): Re G = Wr^T Wr + Wi^T Wi, Im G = Wr^T Wi - Wi^T Wr
    const n2 = 2 * C;
    for (let i = 0; i < C; i++)
      for (let j = 0; j < C; j++) {
        let gr = 0;
        let gi = 0;
        for (let p = 0; p < C; p++) {
          gr += Wr[p * C + i] * Wr[p * C + j] + Wi[p * C + i] * Wi[p * C + j];
          gi += Wr[p * C + i] * Wi[p * C + j] - Wi[p * C + i] * Wr[p * C + j];
        }
        M[i * n2 + j] = gr;
        M[(i + C) * n2 + j + C] = gr;
        M[i * n2 + j + C] = -gi;
        M[(i + C) * n2 + j] = gi;
      }
    const ev = symmetricEigenvalues(M, n2);
    for (const x of ev) {
      const s = Math.sqrt(Math.max(0, x));
      if (s < min) min = s;
      if (s > max) max = s;
      dev = Math.max(dev, Math.abs(s - 1));
    }
  }
  return { min, max, maxDeviation: dev, frequencies: N };
}

/** The dense (C N) x (C N) matrix of the layer operator (row = (i, alpha), column = (j, gamma)); for checks. */
export function denseConvOperator(kernel: Float64Array[], C: number, k: number, shape: readonly number[]): Float64Array {
  const N = sizeOf(shape);
  const D = C * N;
  const M = new Float64Array(D * D);
  windowOffsets(shape.length, k).forEach((b, t) => {
    const sh = shiftIndex(shape, b);
    for (let i = 0; i < C; i++)
      for (let j = 0; j < C; j++) {
        const w = kernel[t][i * C + j];
        if (w === 0) continue;
        for (let a = 0; a < N; a++) M[(i * N + a) * D + j * N + sh[a]] += w;
      }
  });
  return M;
}

// ---------------------------------------------------------------------------------------
// Simulation.

/** How many networks of which size are sampled, and the input image (the simulations' shared options). */
export interface CnnSampling {
  width: number;
  depth: number;
  networks: number;
  seed: number;
  /** Input image: channels of iid N(0,1) pixels drawn with `inputSeed`. */
  channels: number;
  inputSeed: number;
}

export interface CnnSimOptions extends CnnSampling {
  spec: CnnSpec;
  /** Layers at which statistics are taken (0..depth). */
  record: number[];
}

export interface PlaneComparison {
  layer: number;
  /** Displacement delta of the plane. */
  delta: number[];
  /** Per position: mean over networks of (1/C) sum_i h_i(alpha) h_i(alpha + delta), its standard error, and mean field. */
  mean: Float64Array;
  se: Float64Array;
  theory: Float64Array;
  /** RMS over positions of (plane - its spatial mean): the input's structure still present. */
  signal_sim: number;
  signal_theory: number;
  /**
   * RMS over positions of the standard error of (plane - its spatial mean): the noise floor of
   * signal_sim (the common-mode fluctuation of the whole plane does not enter the structure).
   */
  noise: number;
  max_abs_z: number;
}

export interface CnnSimResult {
  options: Omit<CnnSimOptions, 'spec'>;
  planes: PlaneComparison[];
  /** Bonferroni threshold for all position-wise z-scores at family-wise rate 1%. */
  z_threshold: number;
  max_abs_z: number;
  pass: boolean;
  seconds: number;
}

/** Root-mean-square deviation from the mean over positions: the spatial structure left in x. */
export function rms(x: Float64Array): number {
  let m = 0;
  for (const v of x) m += v;
  m /= x.length;
  let s = 0;
  for (const v of x) s += (v - m) * (v - m);
  return Math.sqrt(s / x.length);
}

/**
 * The input layer h^0 = U * x + b^0 of one seeded network (U_ic(beta) ~ N(0, sw2 / (channels
 * k^d)), uniform window, b ~ N(0, sb2)), drawn from `rng` (U first, then b) into `h`. A shift of
 * -1 (zero padding) marks a pixel outside the image.
 */
export function inputLayer(spec: CnnSpec, image: Float64Array[], C: number, rng: Rng, shifts: Int32Array[], b: Float64Array, h: Float64Array): void {
  const N = sizeOf(spec.shape);
  const T = shifts.length;
  const cin = image.length;
  const zero = spec.padding === 'zero';
  const u = new Float64Array(C * cin * T);
  rng.fillNormal(u, 0, u.length, Math.sqrt(Number(spec.sw2)) / Math.sqrt(cin * T));
  rng.fillNormal(b, 0, C, Math.sqrt(Number(spec.sb2)));
  for (let i = 0; i < C; i++) {
    for (let a = 0; a < N; a++) h[i * N + a] = b[i];
    for (let t = 0; t < T; t++) {
      const sh = shifts[t];
      for (let c = 0; c < cin; c++) {
        const w = u[(i * cin + c) * T + t];
        const x = image[c];
        if (zero) {
          for (let a = 0; a < N; a++) if (sh[a] >= 0) h[i * N + a] += w * x[sh[a]];
        } else for (let a = 0; a < N; a++) h[i * N + a] += w * x[sh[a]];
      }
    }
  }
}

/** out = sw W * y + b (channel-major C x N arrays; b = null: no bias). */
export function convLayer(W: Float64Array[], sw: number, b: Float64Array | null, y: Float64Array, shifts: Int32Array[], C: number, N: number, zero: boolean, out: Float64Array): void {
  for (let i = 0; i < C; i++) {
    const row = i * N;
    const bi = b === null ? 0 : b[i];
    for (let a = 0; a < N; a++) out[row + a] = bi;
    for (let t = 0; t < shifts.length; t++) {
      const Wt = W[t];
      const sh = shifts[t];
      for (let j = 0; j < C; j++) {
        const w = sw * Wt[i * C + j];
        if (w === 0) continue;
        const col = j * N;
        if (zero) {
          for (let a = 0; a < N; a++) if (sh[a] >= 0) out[row + a] += w * y[col + sh[a]];
        } else for (let a = 0; a < N; a++) out[row + a] += w * y[col + sh[a]];
      }
    }
  }
}

/** The tap shifts of a spec: wrapped (circular) or -1 outside the image (zero padding). */
export function specShifts(spec: CnnSpec): Int32Array[] {
  const offs = windowOffsets(spec.dims, spec.kernelSize);
  return spec.padding === 'zero' ? zeroPadShifts(spec.shape, spec.kernelSize) : offs.map((b) => shiftIndex(spec.shape, b));
}

/** Seeded simulation of `networks` independent CNNs; statistics of the nearest-neighbour covariance planes. */
export function simulateCnn(o: CnnSimOptions): CnnSimResult {
  const t0 = Date.now();
  const { spec, width: C, depth, networks } = o;
  if (!Number.isInteger(C) || C < 1 || C > 4096) throw new InputError('width', `must be an integer in 1..4096, got ${C}`);
  if (!Number.isInteger(networks) || networks < 2) throw new InputError('networks', `must be an integer >= 2, got ${networks}`);
  const shape = spec.shape;
  const N = sizeOf(shape);
  // Zero padding: shift -1 marks a neighbour outside the image (a zero activation / no pair).
  const zero = spec.padding === 'zero';
  if (zero && N > MAX_ZERO_PAD_POSITIONS) throw new InputError('image', `zero padding propagates the full covariance: at most ${MAX_ZERO_PAD_POSITIONS} positions, got ${N}`);
  const shifts = specShifts(spec);
  const nn = displacementSet(shape, 'nn');
  const nnShift = nn.map((dl) => (zero ? paddedShift(shape, dl) : shiftIndex(shape, dl)));
  const image = randomImage(shape, o.channels, o.inputSeed);
  const act = spec.act;
  const sw = Math.sqrt(Number(spec.sw2));
  const sb = Math.sqrt(Number(spec.sb2));
  const rec = [...new Set(o.record)].filter((l) => l >= 0 && l <= depth).sort((a, b) => a - b);
  const recIdx = new Map(rec.map((l, i) => [l, i]));
  const P = nn.length;
  const sum = rec.map(() => nn.map(() => new Float64Array(N)));
  const sumSq = rec.map(() => nn.map(() => new Float64Array(N)));
  let h = new Float64Array(C * N);
  let hn = new Float64Array(C * N);
  const y = new Float64Array(C * N);
  const b = new Float64Array(C);
  // Per plane and position: sums of the plane and of its square, and the same for the plane
  // minus its spatial mean (whose fluctuation, without the common-mode part, is the noise floor of
  // the structure measure).
  const sumC = rec.map(() => nn.map(() => new Float64Array(N)));
  const sumCSq = rec.map(() => nn.map(() => new Float64Array(N)));
  const tplane = new Float64Array(N);
  const observe = (l: number) => {
    const r = recIdx.get(l);
    if (r === undefined) return;
    for (let p = 0; p < P; p++) {
      const sh = nnShift[p];
      const s = sum[r][p];
      const s2 = sumSq[r][p];
      let m = 0;
      for (let a = 0; a < N; a++) {
        let t = 0;
        if (sh[a] >= 0) for (let i = 0; i < C; i++) t += h[i * N + a] * h[i * N + sh[a]];
        t /= C;
        tplane[a] = t;
        m += t;
        s[a] += t;
        s2[a] += t * t;
      }
      m /= N;
      const sc = sumC[r][p];
      const sc2 = sumCSq[r][p];
      for (let a = 0; a < N; a++) {
        const t = tplane[a] - m;
        sc[a] += t;
        sc2[a] += t * t;
      }
    }
  };
  for (let net = 0; net < networks; net++) {
    const rng = Rng.stream(o.seed, net, 0);
    inputLayer(spec, image, C, rng, shifts, b, h);
    observe(0);
    for (let l = 1; l <= depth; l++) {
      for (let e = 0; e < C * N; e++) y[e] = act.f64(h[e]);
      const W = specKernel(spec, C, rng);
      rng.fillNormal(b, 0, C, sb);
      convLayer(W, sw, b, y, shifts, C, N, zero, hn);
      const tmp = h;
      h = hn;
      hn = tmp;
      observe(l);
    }
  }
  // Mean field on the same planes.
  const theory = new Map<number, Float64Array[]>();
  if (zero) {
    // The full covariance; plane entries whose partner lies outside the image are 0, as simulated.
    propagateZeroPad(spec, zeroPadInputCovariance(spec, image), depth, (l: number, S: Float64Array) => {
      if (recIdx.has(l)) theory.set(l, nnShift.map((sh) => Float64Array.from({ length: N }, (_, a) => (sh[a] >= 0 ? S[a * N + sh[a]] : 0))));
    });
  } else {
    propagateCovariance(spec, inputCovariance(spec, image, nn), depth, (l: number, c: CovariancePlanes) => {
      if (recIdx.has(l)) theory.set(l, c.planes.map((x) => Float64Array.from(x)));
    });
  }
  const planes: PlaneComparison[] = [];
  let maxZ = 0;
  rec.forEach((l, r) => {
    for (let p = 0; p < P; p++) {
      const mean = sum[r][p].map((x) => x / networks);
      const se = sumSq[r][p].map((x, a) => Math.sqrt(Math.max(0, (x / networks - mean[a] * mean[a]) / (networks - 1))));
      const th = (theory.get(l) as Float64Array[])[p];
      let mz = 0;
      for (let a = 0; a < N; a++) {
        const z = se[a] > 0 ? Math.abs(mean[a] - th[a]) / se[a] : mean[a] === th[a] ? 0 : Infinity;
        mz = Math.max(mz, z);
      }
      maxZ = Math.max(maxZ, mz);
      let noise = 0;
      for (let a = 0; a < N; a++) {
        const mc = sumC[r][p][a] / networks;
        noise += Math.max(0, (sumCSq[r][p][a] / networks - mc * mc) / (networks - 1));
      }
      planes.push({
        layer: l,
        delta: nn[p],
        mean,
        se,
        theory: th,
        signal_sim: rms(mean),
        signal_theory: rms(th),
        noise: Math.sqrt(noise / N),
        max_abs_z: mz,
      });
    }
  });
  const zt = bonferroniThreshold(0.01, rec.length * P * N);
  const { spec: _s, ...rest } = o;
  void _s;
  return { options: rest, planes, z_threshold: zt, max_abs_z: maxZ, pass: maxZ <= zt, seconds: (Date.now() - t0) / 1000 };
}

/** For tests and docs: the flat index of a frequency / position vector. */
export { flatIndex, unflatIndex };

/** The JSON form of a kernel written by `cnn-orthogonal --out`. */
export interface KernelDocument {
  format: 'fieldprop-cnn-kernel';
  kind: string;
  channels: number;
  dims: number;
  kernel_size: number;
  seed: number;
  /** The k^d window offsets beta_t, in the order of `weights`. */
  offsets: number[][];
  /** weights[t][i][j] = W_ij(beta_t): (W * y)_i(alpha) = sum_t sum_j W_ij(beta_t) y_j(alpha + beta_t). */
  weights: number[][][];
}

/** Variance per tap of a tap-major kernel, sum_ij W_ij(beta)^2 / C: how the kernel spreads over the window. */
export function tapVariances(kernel: Float64Array[], C: number): number[] {
  return kernel.map((w) => w.reduce((a, x) => a + x * x, 0) / C);
}

/** A tap-major kernel as a nested [k^d][C][C] array with its window offsets (float64 round-trips through JSON). */
export function kernelDocument(kind: string, C: number, dims: number, k: number, seed: number, kernel: Float64Array[]): KernelDocument {
  const offsets = windowOffsets(dims, k);
  if (kernel.length !== offsets.length) throw new RangeError('kernel tap count does not match k^d');
  return {
    format: 'fieldprop-cnn-kernel',
    kind,
    channels: C,
    dims,
    kernel_size: k,
    seed,
    offsets,
    weights: kernel.map((w) => Array.from({ length: C }, (_, i) => Array.from(w.subarray(i * C, (i + 1) * C)))),
  };
}

/** The tap-major kernel of a KernelDocument (inverse of kernelDocument). */
export function kernelFromDocument(doc: KernelDocument): Float64Array[] {
  const C = doc.channels;
  return doc.weights.map((t) => {
    const w = new Float64Array(C * C);
    t.forEach((row, i) => w.set(row, i * C));
    return w;
  });
}
