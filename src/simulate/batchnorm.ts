/**
 * Monte Carlo for batch-normalised networks (docs/batchnorm.md), independent of the mean-field
 * code in src/quantities/batchnorm.ts:
 *
 *  - `simulateBatchNorm`: seeded finite-width networks h^l = W^l x^(l-1) + b^l, y^l = BN(h^l),
 *    x^l = phi(y^l), over a batch of B Gaussian inputs; measures the covariance of h^l at depth
 *    (q*, c*) and, by exact backpropagation of a random linear loss through the same weights and
 *    through the batch statistics, the per-layer growth of |dL/dx^l|^2 going backward.
 *  - `mapMonteCarlo`: the B x B map F(S) = sw2 E[phi(y(h)) phi(y(h))^T] + sb2 11^T sampled directly
 *    (h ~ N(0, S)), with common random numbers for its directional derivative at Sigma*, giving the
 *    forward eigenvalues as sample means with standard errors.
 *
 * Every estimate is a mean over independent networks (or samples) with its standard error.
 */
import { Activation } from '../model/activation';
import { InputError, NumericalError } from '../model/errors';
import { Rng } from './rng';
import { plainMath } from '../numeric/plainMath';
const Math = plainMath();

export interface Estimate {
  mean: number;
  se: number;
  n: number;
}

/** The batch-norm epsilon and affine parameters with their defaults 0, 1, 0. */
function affine(o: { eps?: number; gamma?: number; beta?: number }): { eps: number; gamma: number; beta: number } {
  return { eps: o.eps ?? 0, gamma: o.gamma ?? 1, beta: o.beta ?? 0 };
}

function estimate(xs: number[]): Estimate {
  const n = xs.length;
  const mean = xs.reduce((s, x) => s + x, 0) / n;
  const v = n > 1 ? xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1) : NaN;
  return { mean, se: Math.sqrt(v / n), n };
}

export interface BatchNormSimOptions {
  act: Activation;
  batch: number;
  width: number;
  depth: number;
  sw2: number;
  sb2: number;
  networks: number;
  seed: number;
  /** Forward layers skipped before averaging the covariance (default 2). */
  burn?: number;
  /** y = gamma G h / sqrt(|G h|^2/B + eps) + beta (defaults 0, 1, 0). */
  eps?: number;
  gamma?: number;
  beta?: number;
}

export interface BatchNormSimResult {
  /** Mean over layers burn+1..L of (1/(N B)) sum h_ia^2, per network, then over networks. */
  q: Estimate;
  /** Same for the off-diagonal (1/(N B (B-1))) sum_{a != b} h_ia h_ib, and the ratio c = k12 / q per network. */
  k12: Estimate;
  c: Estimate;
  /** Per-layer backward growth |dL/dx^(l-1)|^2 / |dL/dx^l|^2, averaged over the bulk layers and networks. */
  grad_rate: Estimate;
  /** Per layer l = 1..L: mean of the per-network q-hat and c-hat (for plots / depth profiles). */
  q_by_layer: number[];
  c_by_layer: number[];
  /** Per layer l = 0..L: mean over networks of ln |dL/dx^l|^2 - ln |dL/dx^L|^2. */
  log_grad_by_layer: number[];
}

/** Simulate `networks` independent batch-normalised networks of width N and depth L. */
export function simulateBatchNorm(o: BatchNormSimOptions): BatchNormSimResult {
  const { act, width: N, depth: L, batch: B, sw2, sb2, networks } = o;
  if (B < 2) throw new InputError('batch', `must be an integer >= 2, got ${B}`);
  if (L < 4) throw new InputError('depth', `the simulation needs depth >= 4, got ${L}`);
  const burn = o.burn ?? 2;
  const { eps, gamma, beta } = affine(o);
  const f = act.f64;
  const df = act.derivative().f64;
  const sqrtB = Math.sqrt(B);
  const qs: number[] = [];
  const ks: number[] = [];
  const cs: number[] = [];
  const gs: number[] = [];
  const qLayer = new Array<number>(L).fill(0);
  const cLayer = new Array<number>(L).fill(0);
  const gLayer = new Array<number>(L + 1).fill(0);
  const W: Float64Array[] = [];
  for (let l = 0; l < L; l++) W.push(new Float64Array(N * N));
  const Y: Float64Array[] = []; // BN outputs per layer (N x B)
  const norm: Float64Array[] = []; // |G h_i| per layer
  for (let l = 0; l < L; l++) {
    Y.push(new Float64Array(N * B));
    norm.push(new Float64Array(N));
  }
  const x = new Float64Array(N * B);
  const h = new Float64Array(N * B);
  const delta = new Float64Array(N * B);
  const g = new Float64Array(N * B);
  const u = new Float64Array(B);
  const bias = new Float64Array(N);
  for (let k = 0; k < networks; k++) {
    const rng = Rng.stream(o.seed, k);
    rng.fillNormal(x, 0, N * B, 1);
    let qSum = 0;
    let kSum = 0;
    let cSum = 0;
    for (let l = 0; l < L; l++) {
      const Wl = W[l];
      rng.fillNormal(Wl, 0, N * N, Math.sqrt(sw2 / N));
      rng.fillNormal(bias, 0, N, Math.sqrt(sb2));
      h.fill(0);
      for (let i = 0; i < N; i++) {
        const hi = i * B;
        for (let j = 0; j < N; j++) {
          const w = Wl[i * N + j];
          const xj = j * B;
          for (let a = 0; a < B; a++) h[hi + a] += w * x[xj + a];
        }
        for (let a = 0; a < B; a++) h[hi + a] += bias[i];
      }
      let d2 = 0;
      let off = 0;
      const Yl = Y[l];
      const nl = norm[l];
      for (let i = 0; i < N; i++) {
        let s = 0;
        let ss = 0;
        for (let a = 0; a < B; a++) {
          const v = h[i * B + a];
          s += v;
          ss += v * v;
        }
        d2 += ss;
        off += s * s - ss;
        const m = s / B;
        let r2 = 0;
        for (let a = 0; a < B; a++) r2 += (h[i * B + a] - m) ** 2;
        const r = Math.sqrt(r2 + B * eps);
        if (!(r > 0)) throw new NumericalError(`batch norm: neuron ${i} of layer ${l + 1} has zero batch variance (network ${k})`, l + 1);
        nl[i] = r;
        for (let a = 0; a < B; a++) {
          const y = (sqrtB * (h[i * B + a] - m)) / r;
          Yl[i * B + a] = y;
          x[i * B + a] = f(gamma * y + beta);
        }
      }
      const ql = d2 / (N * B);
      const kl = off / (N * B * (B - 1));
      qLayer[l] += ql / networks;
      cLayer[l] += kl / ql / networks;
      if (l >= burn) {
        qSum += ql;
        kSum += kl;
        cSum += kl / ql;
      }
    }
    const nAvg = L - burn;
    qs.push(qSum / nAvg);
    ks.push(kSum / nAvg);
    cs.push(cSum / nAvg);
    // Backward: a random linear loss sum c_ia x^L_ia, delta^L = c.
    rng.fillNormal(delta, 0, N * B, 1);
    const sq = (v: Float64Array) => v.reduce((s, t) => s + t * t, 0);
    const logTop = Math.log(sq(delta));
    gLayer[L] += 0;
    let prev = sq(delta);
    let rateSum = 0;
    let rateCount = 0;
    for (let l = L - 1; l >= 0; l--) {
      const Yl = Y[l];
      const nl = norm[l];
      for (let i = 0; i < N; i++) {
        let mean = 0;
        for (let a = 0; a < B; a++) {
          u[a] = df(gamma * Yl[i * B + a] + beta) * delta[i * B + a];
          mean += u[a];
        }
        mean /= B;
        let proj = 0;
        for (let a = 0; a < B; a++) {
          u[a] -= mean;
          proj += u[a] * Yl[i * B + a];
        }
        proj /= B; // (y.u)/B: with eps = 0 this is (y.u)/|y|^2; with eps > 0 the Jacobian keeps this form
        const sc = (gamma * sqrtB) / nl[i];
        for (let a = 0; a < B; a++) g[i * B + a] = sc * (u[a] - proj * Yl[i * B + a]);
      }
      // delta^(l-1) = W^T g (layer index l here is layer l+1 in the 1-based text)
      delta.fill(0);
      const Wl = W[l];
      for (let i = 0; i < N; i++) {
        const gi = i * B;
        for (let j = 0; j < N; j++) {
          const w = Wl[i * N + j];
          const dj = j * B;
          for (let a = 0; a < B; a++) delta[dj + a] += w * g[gi + a];
        }
      }
      const cur = sq(delta);
      gLayer[l] += (Math.log(cur) - logTop) / networks;
      // Bulk layers: skip the top step (projection of the loss onto 1-perp) and the bottom burn layers.
      if (l <= L - 2 && l >= burn) {
        rateSum += prev > 0 ? cur / prev : 0; // a gradient that vanished (phi' = 0 a.e., e.g. sign) stays 0
        rateCount++;
      }
      prev = cur;
    }
    gs.push(rateSum / rateCount);
  }
  return {
    q: estimate(qs), k12: estimate(ks), c: estimate(cs), grad_rate: estimate(gs),
    q_by_layer: qLayer, c_by_layer: cLayer, log_grad_by_layer: gLayer,
  };
}

export interface MapMonteCarloOptions {
  act: Activation;
  batch: number;
  sw2: number;
  sb2: number;
  /** The covariance at which F and its derivative are sampled (B x B). */
  sigma: number[][];
  /** Directions (symmetric B x B) for the Rayleigh quotients <D, G dF[D] G> / <D, D>. */
  directions: number[][][];
  samples: number;
  seed: number;
  /**
   * Finite-difference step relative to the mean diagonal of sigma. Default 1e-4; 0.05 for a
   * discontinuous phi, whose pathwise derivative misses the jumps (they contribute through the
   * O(eps) fraction of samples that cross a jump, so eps must not be tiny; the bias is O(eps^2)).
   */
  eps?: number;
  /** The batch-norm epsilon and affine parameters (defaults 0, 1, 0). */
  bn?: { eps: number; gamma: number; beta: number };
}

export interface MapMonteCarloResult {
  /** E[phi(y_a)^2] and E[phi(y_a) phi(y_b)] (averaged over a and a != b) at sigma. */
  phi2: Estimate;
  phiphi: Estimate;
  /** One Rayleigh quotient per direction. */
  lambda: Estimate[];
}

function cholesky(A: number[][]): number[][] {
  const n = A.length;
  const Lm = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = A[i][j];
      for (let k = 0; k < j; k++) s -= Lm[i][k] * Lm[j][k];
      if (i === j) {
        if (!(s > 0)) throw new Error('mapMonteCarlo: covariance not positive definite');
        Lm[i][i] = Math.sqrt(s);
      } else Lm[i][j] = s / Lm[j][j];
    }
  }
  return Lm;
}

/** Sample the batch-norm map and its directional derivatives with common random numbers. */
export function mapMonteCarlo(o: MapMonteCarloOptions): MapMonteCarloResult {
  const B = o.batch;
  const f = o.act.f64;
  const sqrtB = Math.sqrt(B);
  const scale = o.sigma.reduce((s, r, i) => s + r[i], 0) / B;
  const eps = (o.eps ?? (o.act.continuity === 'discontinuous' ? 0.05 : 1e-4)) * scale;
  const bn = affine(o.bn ?? {});
  // Adding t 11^T to the covariance does not change BN(h) (it shifts h by t' 1): use S + scale 11^T,
  // which is positive definite even when S itself is singular on 1 (e.g. linear phi with sb2 = 0).
  const shift = (S: number[][]) => S.map((r) => r.map((v) => v + scale));
  const L0 = cholesky(shift(o.sigma));
  const Lp = o.directions.map((D) => cholesky(shift(o.sigma.map((r, i) => r.map((v, j) => v + eps * D[i][j])))));
  const Lmn = o.directions.map((D) => cholesky(shift(o.sigma.map((r, i) => r.map((v, j) => v - eps * D[i][j])))));
  const norms = o.directions.map((D) => D.reduce((s, r) => s + r.reduce((t, v) => t + v * v, 0), 0));
  const rng = Rng.stream(o.seed, 0, 7);
  const z = new Float64Array(B);
  const hv = new Float64Array(B);
  const phiOf = (Lm: number[][], out: Float64Array) => {
    for (let i = 0; i < B; i++) {
      let s = 0;
      for (let k = 0; k <= i; k++) s += Lm[i][k] * z[k];
      hv[i] = s;
    }
    let m = 0;
    for (let i = 0; i < B; i++) m += hv[i];
    m /= B;
    let r2 = 0;
    for (let i = 0; i < B; i++) r2 += (hv[i] - m) ** 2;
    const r = Math.sqrt(r2 + B * bn.eps);
    for (let i = 0; i < B; i++) out[i] = f(bn.gamma * ((sqrtB * (hv[i] - m)) / r) + bn.beta);
  };
  const p0 = new Float64Array(B);
  const pp = new Float64Array(B);
  const pm = new Float64Array(B);
  const d2: number[] = [];
  const dd: number[] = [];
  const lam: number[][] = o.directions.map(() => []);
  for (let sIdx = 0; sIdx < o.samples; sIdx++) {
    rng.fillNormal(z, 0, B, 1);
    phiOf(L0, p0);
    let a2 = 0;
    let sum = 0;
    for (let i = 0; i < B; i++) {
      a2 += p0[i] * p0[i];
      sum += p0[i];
    }
    d2.push(a2 / B);
    dd.push((sum * sum - a2) / (B * (B - 1)));
    o.directions.forEach((D, k) => {
      phiOf(Lp[k], pp);
      phiOf(Lmn[k], pm);
      let q = 0;
      for (let i = 0; i < B; i++) for (let j = 0; j < B; j++) q += D[i][j] * (pp[i] * pp[j] - pm[i] * pm[j]);
      lam[k].push((o.sw2 * q) / (2 * eps * norms[k]));
    });
  }
  return { phi2: estimate(d2), phiphi: estimate(dd), lambda: lam.map(estimate) };
}

export interface LinearisationOptions {
  act: Activation;
  batch: number;
  width: number;
  sw2: number;
  sb2: number;
  /** The fixed point Sigma* (B x B) and a symmetric direction D. */
  sigma: number[][];
  direction: number[][];
  /** Perturbation amplitude, relative to the mean diagonal of sigma (default 0.1). */
  eps?: number;
  networks: number;
  seed: number;
  /** The batch-norm epsilon and affine parameters (defaults 0, 1, 0). */
  bn?: { eps: number; gamma: number; beta: number };
}

/**
 * Forward eigenvalue measured on finite-width networks: one batch-normalised layer is applied, with the
 * same weights and the same input noise, to preactivations with covariance Sigma* + eps D and
 * Sigma* - eps D. Per network, r = P(layer 2) / P(layer 1) with P = <D, (K_hat(+) - K_hat(-))/2> / |D|^2 and
 * K_hat = (1/N) sum_i h_i h_i^T; the antithetic difference cancels even orders in eps and most of the
 * finite-width noise. For an eigen-direction D of dF at Sigma*, E[r] = lambda + O(eps^2) + O(1/N).
 */
export function simulateLinearisation(o: LinearisationOptions): Estimate {
  const { act, width: N, batch: B, sw2, sb2 } = o;
  const f = act.f64;
  const sqrtB = Math.sqrt(B);
  const D = o.direction;
  const scale = o.sigma.reduce((s, r, i) => s + r[i], 0) / B;
  const eps = (o.eps ?? 0.1) * scale;
  const bn = affine(o.bn ?? {});
  const shift = (S: number[][]) => S.map((r) => r.map((v) => v + scale));
  const Lp = cholesky(shift(o.sigma.map((r, i) => r.map((v, j) => v + eps * D[i][j]))));
  const Lm = cholesky(shift(o.sigma.map((r, i) => r.map((v, j) => v - eps * D[i][j]))));
  let dd = 0;
  for (let i = 0; i < B; i++) for (let j = 0; j < B; j++) dd += D[i][j] * D[i][j];
  const Z = new Float64Array(N * B);
  const W = new Float64Array(N * N);
  const bias = new Float64Array(N);
  const h = new Float64Array(N * B);
  const x = new Float64Array(N * B);
  const h2 = new Float64Array(N * B);
  const proj = (H: Float64Array): number => {
    let s = 0;
    for (let i = 0; i < N; i++) for (let a = 0; a < B; a++) for (let b = 0; b < B; b++) s += D[a][b] * H[i * B + a] * H[i * B + b];
    return s / (N * dd);
  };
  const run = (Lc: number[][]): [number, number] => {
    for (let i = 0; i < N; i++) {
      for (let a = 0; a < B; a++) {
        let v = 0;
        for (let k = 0; k <= a; k++) v += Lc[a][k] * Z[i * B + k];
        h[i * B + a] = v;
      }
      let m = 0;
      for (let a = 0; a < B; a++) m += h[i * B + a];
      m /= B;
      let r2 = 0;
      for (let a = 0; a < B; a++) r2 += (h[i * B + a] - m) ** 2;
      const r = Math.sqrt(r2 + B * bn.eps);
      if (!(r > 0)) throw new NumericalError('batch norm: zero batch variance in the linearisation run', 1);
      for (let a = 0; a < B; a++) x[i * B + a] = f(bn.gamma * ((sqrtB * (h[i * B + a] - m)) / r) + bn.beta);
    }
    h2.fill(0);
    for (let i = 0; i < N; i++) {
      for (let j = 0; j < N; j++) {
        const w = W[i * N + j];
        for (let a = 0; a < B; a++) h2[i * B + a] += w * x[j * B + a];
      }
      for (let a = 0; a < B; a++) h2[i * B + a] += bias[i];
    }
    return [proj(h), proj(h2)];
  };
  const rs: number[] = [];
  for (let k = 0; k < o.networks; k++) {
    const rng = Rng.stream(o.seed, k, 3);
    rng.fillNormal(Z, 0, N * B, 1);
    rng.fillNormal(W, 0, N * N, Math.sqrt(sw2 / N));
    rng.fillNormal(bias, 0, N, Math.sqrt(sb2));
    const [p1, p2] = run(Lp);
    const [m1, m2] = run(Lm);
    rs.push((p2 - m2) / (p1 - m1));
  }
  return estimate(rs);
}

/**
 * Every entry of F(S) = sw2 E[phi(y) phi(y)^T] + sb2 11^T sampled at any covariance S (h ~ N(0, S),
 * plain BN): an independent check of a fixed point of the general B x B map. S may be singular
 * (e.g. a block of perfectly correlated inputs): the factor is a Cholesky factor with zero pivots dropped.
 */
export function sampleMapEntries(o: { act: Activation; sigma: number[][]; sw2: number; sb2: number; samples: number; seed: number }): Estimate[][] {
  const B = o.sigma.length;
  const f = o.act.f64;
  const sqrtB = Math.sqrt(B);
  const scale = o.sigma.reduce((s, r, i) => s + r[i], 0) / B;
  const A = o.sigma.map((r) => r.map((v) => v + scale));
  const Lm = Array.from({ length: B }, () => new Array<number>(B).fill(0));
  for (let j = 0; j < B; j++) {
    let d = A[j][j];
    for (let k = 0; k < j; k++) d -= Lm[j][k] * Lm[j][k];
    const piv = d > 1e-12 * scale ? Math.sqrt(d) : 0;
    Lm[j][j] = piv;
    for (let i = j + 1; i < B; i++) {
      let s = A[i][j];
      for (let k = 0; k < j; k++) s -= Lm[i][k] * Lm[j][k];
      Lm[i][j] = piv > 0 ? s / piv : 0;
    }
  }
  const rng = Rng.stream(o.seed, 0, 13);
  const z = new Float64Array(B);
  const hv = new Float64Array(B);
  const p = new Float64Array(B);
  const acc: number[][][] = Array.from({ length: B }, () => Array.from({ length: B }, () => [] as number[]));
  for (let n = 0; n < o.samples; n++) {
    rng.fillNormal(z, 0, B, 1);
    let m = 0;
    for (let i = 0; i < B; i++) {
      let s = 0;
      for (let k = 0; k <= i; k++) s += Lm[i][k] * z[k];
      hv[i] = s;
      m += s;
    }
    m /= B;
    let r2 = 0;
    for (let i = 0; i < B; i++) r2 += (hv[i] - m) ** 2;
    const r = Math.sqrt(r2);
    for (let i = 0; i < B; i++) p[i] = f((sqrtB * (hv[i] - m)) / r);
    for (let i = 0; i < B; i++) for (let j = i; j < B; j++) acc[i][j].push(o.sw2 * p[i] * p[j] + o.sb2);
  }
  return Array.from({ length: B }, (_, i) => Array.from({ length: B }, (_, j) => estimate(i <= j ? acc[i][j] : acc[j][i])));
}
