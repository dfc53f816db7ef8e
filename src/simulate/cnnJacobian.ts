/**
 * The singular-value spectrum of the input-output Jacobian J = dh^L / dh^0 of seeded deep CNNs
 * (the networks of simulateCnn: same draws for the same seed), against the mean field.
 *
 * J = M_L D_L ... M_1 D_1 with M_l the layer's convolution (sqrt(sw2) W^l) and D_l =
 * diag(phi'(h^(l-1))). Its D = C N columns are Jacobian-vector products J e_j, pushed through
 * the network with the forward pass; the singular values come from a dense SVD of J (ml-matrix,
 * one-sided accuracy ~ eps sigma_max). Checked per network: sum sigma^2 equals the squared
 * Frobenius norm of J.
 *
 * Mean field: with gradients independent of the forward pass (exact at infinite width),
 * E (1/D) tr J^T J = (1/N) sum_alpha u^0(alpha), where u^L = 1 and
 *
 *   u^(l-1)(alpha) = sw2 <phi'(h)^2>_(q^(l-1)(alpha)) sum_beta v(beta) u^l(alpha - beta)
 *
 * (u^l(alpha - beta) dropped where alpha - beta lies outside a zero-padded image), with the
 * variance maps q^l(alpha) of the covariance map. At the fixed point of a circular network this
 * is chi_1^L, chi_1 = sw2 <phi'^2>_q*.
 */
import { SingularValueDecomposition, Matrix } from 'ml-matrix';
import { Rng } from './rng';
import { CnnSampling, specKernel, inputLayer, convLayer, specShifts } from './cnn';
import { CnnSpec, CnnCovarianceMap, inputCovariance, randomImage, shiftIndex, windowOffsets } from '../quantities/cnn';
import { ZeroPadCovarianceMap, zeroPadInputCovariance, paddedShift } from '../quantities/cnnZeroPad';
import { PairMoments } from '../quantities/pairMoments';
import { sizeOf } from '../numeric/fft';
import { InputError, NumericalError } from '../model/errors';
import { plainMath } from '../numeric/plainMath';
const Math = plainMath();

/** Largest Jacobian dimension C N, and the largest work D^2 C k^d L networks. */
export const MAX_JACOBIAN_DIM = 512;
export const MAX_JACOBIAN_WORK = 4e10;

export interface JacobianOptions extends CnnSampling {
  spec: CnnSpec;
  /** Histogram bins of log10 sigma. */
  bins: number;
}

export interface JacobianSpectrum {
  dimension: number;
  /** Per network: (1/D) sum sigma^2. */
  mean_sq_per_network: number[];
  /** Mean over networks of (1/D) sum sigma^2 and its standard error. */
  mean_sq: number;
  mean_sq_se: number;
  /** Mean-field E (1/D) tr J^T J along the network's variance maps, and (mean - it) / se (se floored at 1e-12 theory: rounding). */
  mean_sq_theory: number;
  z: number;
  /** All singular values of all networks, ascending. */
  sigma: Float64Array;
  quantiles: { p: number; value: number }[];
  /** Counts of log10 sigma in `bins` equal bins over [log10 min, log10 max] (min > 0). */
  histogram: { lo: number; hi: number; count: number }[];
  /** Largest |sum sigma^2 - ||J||_F^2| / ||J||_F^2 over networks (the SVD's check). */
  frobenius_check: number;
  seconds: number;
}

/** The mean-field prediction of E (1/D) tr J^T J for a network of `depth` layers on `image`. */
export function jacobianMeanField(spec: CnnSpec, image: Float64Array[], depth: number): number {
  const N = sizeOf(spec.shape);
  const zero = spec.padding === 'zero';
  // Variance maps q^0 .. q^(depth-1).
  const qs: Float64Array[] = [];
  if (zero) {
    const S0 = zeroPadInputCovariance(spec, image);
    let q: Float64Array = Float64Array.from({ length: N }, (_, a) => S0[a * N + a]);
    const map = new ZeroPadCovarianceMap(spec);
    for (let l = 0; l < depth; l++) {
      qs.push(q);
      const m = map.prepared(q);
      q = map.varianceStep((i) => m.square(i));
    }
  } else {
    const origin = [new Array<number>(spec.dims).fill(0)];
    let c = inputCovariance(spec, image, origin);
    const map = new CnnCovarianceMap(spec, 'fft');
    for (let l = 0; l < depth; l++) {
      qs.push(Float64Array.from(c.planes[0]));
      c = map.step(c);
    }
  }
  const dm = new PairMoments(spec.act.derivative());
  const sw2 = Number(spec.sw2);
  const offs = windowOffsets(spec.dims, spec.kernelSize);
  const back = offs.map((b) => (zero ? paddedShift(spec.shape, b.map((x) => -x)) : shiftIndex(spec.shape, b.map((x) => -x))));
  let u = new Float64Array(N).fill(1);
  for (let l = depth; l >= 1; l--) {
    dm.prepare(qs[l - 1]);
    const next = new Float64Array(N);
    for (let a = 0; a < N; a++) {
      let s = 0;
      for (let t = 0; t < offs.length; t++) {
        const i = back[t][a];
        if (i >= 0 && spec.profile[t] !== 0) s += spec.profile[t] * u[i];
      }
      next[a] = sw2 * dm.square(a) * s;
    }
    u = next;
  }
  let m = 0;
  for (let a = 0; a < N; a++) m += u[a];
  m /= N;
  if (!Number.isFinite(m)) throw new NumericalError(`the mean-field Jacobian norm left the finite numbers (${m})`);
  return m;
}

function quantile(sorted: Float64Array, p: number): number {
  const x = p * (sorted.length - 1);
  const i = Math.floor(x);
  return i + 1 < sorted.length ? sorted[i] + (x - i) * (sorted[i + 1] - sorted[i]) : sorted[i];
}

/**
 * The columns J e_j (j = 0..C N - 1, channel-major) of the Jacobian dh^L / dh^0 of one seeded
 * network, drawn from `rng` exactly as simulateCnn draws it (input layer, then per layer the
 * kernel and the bias).
 */
export function networkJacobian(spec: CnnSpec, C: number, L: number, rng: Rng, image: Float64Array[], shifts: Int32Array[]): Float64Array[] {
  const N = sizeOf(spec.shape);
  const D = C * N;
  const zero = spec.padding === 'zero';
  const act = spec.act;
  const dact = act.derivative();
  const sw = Math.sqrt(Number(spec.sw2));
  const sb = Math.sqrt(Number(spec.sb2));
  const h = new Float64Array(D);
  const hn = new Float64Array(D);
  const y = new Float64Array(D);
  const d = new Float64Array(D);
  const b = new Float64Array(C);
  const tmp = new Float64Array(D);
  const tan = Array.from({ length: D }, (_, j) => {
    const col = new Float64Array(D);
    col[j] = 1;
    return col;
  });
  inputLayer(spec, image, C, rng, shifts, b, h);
  for (let l = 1; l <= L; l++) {
    for (let e = 0; e < D; e++) {
      y[e] = act.f64(h[e]);
      d[e] = dact.f64(h[e]);
    }
    const W = specKernel(spec, C, rng);
    rng.fillNormal(b, 0, C, sb);
    convLayer(W, sw, b, y, shifts, C, N, zero, hn);
    h.set(hn);
    for (const col of tan) {
      for (let e = 0; e < D; e++) tmp[e] = d[e] * col[e];
      convLayer(W, sw, null, tmp, shifts, C, N, zero, col);
    }
  }
  return tan;
}

export function jacobianSpectrum(o: JacobianOptions): JacobianSpectrum {
  const t0 = Date.now();
  const { spec, width: C, depth: L, networks } = o;
  const N = sizeOf(spec.shape);
  const D = C * N;
  const T = spec.kernelSize ** spec.dims;
  if (D > MAX_JACOBIAN_DIM) throw new InputError('width', `the Jacobian is (width x positions)^2 = ${D}^2: at most ${MAX_JACOBIAN_DIM} rows (lower --width or --image)`);
  const work = D * D * C * T * L * networks;
  if (work > MAX_JACOBIAN_WORK) throw new InputError('networks', `the Jacobians need about ${work.toExponential(1)} multiply-adds: at most ${MAX_JACOBIAN_WORK.toExponential(0)} (lower --networks, --depth or --width)`);
  const image = randomImage(spec.shape, o.channels, o.inputSeed);
  const shifts = specShifts(spec);
  const all: number[] = [];
  const perNet: number[] = [];
  let frob = 0;
  for (let net = 0; net < networks; net++) {
    const tan = networkJacobian(spec, C, L, Rng.stream(o.seed, net, 0), image, shifts);
    // J (column j is tan[j]) and its singular values (SVD of J itself: accurate to ~eps sigma_max).
    const J = new Matrix(D, D);
    let fro = 0;
    for (let j = 0; j < D; j++) {
      const cj = tan[j];
      for (let e = 0; e < D; e++) {
        J.set(e, j, cj[e]);
        fro += cj[e] * cj[e];
      }
    }
    if (!Number.isFinite(fro)) throw new NumericalError(`the Jacobian left the finite numbers (network ${net})`);
    const sv = new SingularValueDecomposition(J, { computeLeftSingularVectors: false, computeRightSingularVectors: false }).diagonal;
    let sum = 0;
    for (const x of sv) {
      sum += x * x;
      all.push(x);
    }
    frob = Math.max(frob, fro === 0 ? 0 : Math.abs(sum - fro) / fro);
    perNet.push(fro / D);
  }
  const K = perNet.length;
  const mean = perNet.reduce((a, x) => a + x, 0) / K;
  const varr = perNet.reduce((a, x) => a + (x - mean) * (x - mean), 0) / (K - 1);
  const se = Math.sqrt(varr / K);
  const theory = jacobianMeanField(spec, image, L);
  const sigma = Float64Array.from(all).sort();
  const quantiles = [0, 0.05, 0.25, 0.5, 0.75, 0.95, 1].map((p) => ({ p, value: quantile(sigma, p) }));
  const positive = sigma.filter((x) => x > 0);
  const histogram: { lo: number; hi: number; count: number }[] = [];
  if (positive.length > 0) {
    const lo = Math.log10(positive[0]);
    const hi = Math.log10(positive[positive.length - 1]);
    const width = (hi - lo) / o.bins;
    for (let i = 0; i < o.bins; i++) histogram.push({ lo: lo + i * width, hi: lo + (i + 1) * width, count: 0 });
    for (const x of positive) {
      const k = width > 0 ? Math.min(o.bins - 1, Math.floor((Math.log10(x) - lo) / width)) : 0;
      histogram[k].count++;
    }
  }
  return {
    dimension: D,
    mean_sq_per_network: perNet,
    mean_sq: mean,
    mean_sq_se: se,
    mean_sq_theory: theory,
    z: (mean - theory) / Math.sqrt(se * se + (1e-12 * theory) ** 2 || 1e-300),
    sigma,
    quantiles,
    histogram,
    frobenius_check: frob,
    seconds: (Date.now() - t0) / 1000,
  };
}
