/**
 * The empirical neural tangent kernel of explicit finite-width networks (the judge of the
 * infinite-width recursion in src/quantities/ntk.ts).
 *
 * The network (NTK parameterisation, docs/ntk.md): two inputs x_a in R^2 chosen so that
 * x_a . x_b / 2 = K^0_ab, an input layer h^0 = W^0 x / sqrt(2) (no bias), and for l = 1..L
 *
 *   z^l = (sigma_w / sqrt(N)) W^l phi(h^(l-1)) + sigma_b b^l,
 *   h^l = h^(l-1) + s z^l   (residual; s = alpha, or sqrt(alpha) with variance scaling)
 *   h^l = z^l               (--skip none)
 *
 * with W^0, W^l, b^l standard normal and every one of them a trained parameter. The explicit
 * weights are stored (memory O(L N^2)), so the network is a plain function of its parameter
 * vector, which the tests differentiate by finite differences.
 *
 * The kernel of output neuron i is Theta_ii,ab = sum_theta dh^L_i(x_a)/dtheta dh^L_i(x_b)/dtheta.
 * With J^l_a = dh^L(x_a)/dh^l (an N x N matrix, by backpropagation: J^L = 1,
 * J^(l-1) = J^l (1 + s (sigma_w/sqrt N) W^l diag phi'(h^(l-1)))) the parameters of layer l
 * contribute s^2 C_hat^l_ab (J^l_a J^l_b^T)_ii, with C_hat^l_ab = sb2 + (sw2/N) phi(h^(l-1)_a).phi(h^(l-1)_b)
 * (sb2 only when biases are trained), and the input layer K^0_ab (J^0_a J^0_b^T)_ii. The
 * returned kernel is the average over the N output neurons, (1/N) tr.
 */
import { activation } from '../model/activation';
import { InputError, NumericalError } from '../model/errors';
import { Rng } from './rng';
import { SimSpec } from './spec';
import { phiKernel, dphiKernel, Pointwise } from './pointwise';

const { sqrt } = Math;

/** The network of the simulator's SimSpec, with two inputs given by q0 and c0. */
export interface NtkSimSpec extends Pick<SimSpec, 'width' | 'depth' | 'act' | 'sw2' | 'sb2' | 'skip' | 'branch'> {
  q0: number;
  c0: number;
  biases?: 'trained' | 'frozen';
  inputLayer?: 'trained' | 'frozen';
}

export interface EmpiricalNtk {
  /** (1/N) tr Theta^L for the pairs (1,1), (2,2), (1,2). */
  t11: number;
  t22: number;
  t12: number;
}

/** An explicit network: the parameter vector and a forward pass. */
export class ExplicitNetwork {
  readonly N: number;
  readonly L: number;
  /** W^0 (N x 2), then per layer W^l (N x N, row-major), then per layer b^l (N). */
  readonly params: Float64Array;
  readonly x: [Float64Array, Float64Array];
  private readonly phi: Pointwise;
  private readonly dphi: Pointwise;

  constructor(readonly spec: NtkSimSpec, seed: number, index: number) {
    checkNtkSpec(spec);
    const N = spec.width;
    const L = spec.depth;
    this.N = N;
    this.L = L;
    this.params = new Float64Array(2 * N + L * N * N + L * N);
    Rng.stream(seed, index, 0).fillNormal(this.params, 0, this.params.length, 1);
    const r = sqrt(2 * spec.q0);
    const s = sqrt(Math.max(0, 1 - spec.c0 * spec.c0));
    this.x = [Float64Array.from([r, 0]), Float64Array.from([r * spec.c0, r * s])];
    const act = activation(spec.act);
    this.phi = phiKernel(act);
    this.dphi = dphiKernel(act);
  }

  private wOffset(l: number): number {
    return 2 * this.N + (l - 1) * this.N * this.N;
  }

  private bOffset(l: number): number {
    return 2 * this.N + this.L * this.N * this.N + (l - 1) * this.N;
  }

  /** h^0..h^L of input a (L + 1 arrays of N). */
  forward(a: 0 | 1, params: Float64Array = this.params): Float64Array[] {
    const { N, L, spec } = this;
    const x = this.x[a];
    const hs: Float64Array[] = [];
    let h = new Float64Array(N);
    const inv = 1 / sqrt(2);
    for (let i = 0; i < N; i++) h[i] = (params[2 * i] * x[0] + params[2 * i + 1] * x[1]) * inv;
    hs.push(h);
    const g = new Float64Array(N);
    const sw = sqrt(spec.sw2 / N);
    const sb = sqrt(spec.sb2);
    const residual = spec.skip !== 'none';
    const s = residual ? spec.branch : 1;
    for (let l = 1; l <= L; l++) {
      this.phi(h, 0, g, 0, N);
      const wo = this.wOffset(l);
      const bo = this.bOffset(l);
      const next = new Float64Array(N);
      for (let i = 0; i < N; i++) {
        let acc = 0;
        const row = wo + i * N;
        for (let j = 0; j < N; j++) acc += params[row + j] * g[j];
        const z = sw * acc + sb * params[bo + i];
        next[i] = residual ? h[i] + s * z : z;
      }
      if (!Number.isFinite(next[0])) throw new NumericalError(`a simulated network left the finite numbers at layer ${l}`, l);
      hs.push(next);
      h = next;
    }
    return hs;
  }

  /** The empirical NTK (1/N) tr Theta^L by backpropagation. */
  ntk(): EmpiricalNtk {
    const { N, L, spec } = this;
    const hA = this.forward(0);
    const hB = this.forward(1);
    const residual = spec.skip !== 'none';
    const s = residual ? spec.branch : 1;
    const sw = sqrt(spec.sw2 / N);
    const biasVar = (spec.biases ?? 'trained') === 'trained' ? spec.sb2 : 0;
    // G_a = J^l_a, row-major N x N; start at the identity.
    let GA = identity(N);
    let GB = identity(N);
    const gA = new Float64Array(N);
    const gB = new Float64Array(N);
    const dA = new Float64Array(N);
    const dB = new Float64Array(N);
    let t11 = 0;
    let t22 = 0;
    let t12 = 0;
    for (let l = L; l >= 1; l--) {
      this.phi(hA[l - 1], 0, gA, 0, N);
      this.phi(hB[l - 1], 0, gB, 0, N);
      let pAA = 0;
      let pBB = 0;
      let pAB = 0;
      for (let j = 0; j < N; j++) {
        pAA += gA[j] * gA[j];
        pBB += gB[j] * gB[j];
        pAB += gA[j] * gB[j];
      }
      const f = spec.sw2 / N;
      const s2 = s * s;
      t11 += s2 * (biasVar + f * pAA) * frob(GA, GA);
      t22 += s2 * (biasVar + f * pBB) * frob(GB, GB);
      t12 += s2 * (biasVar + f * pAB) * frob(GA, GB);
      this.dphi(hA[l - 1], 0, dA, 0, N);
      this.dphi(hB[l - 1], 0, dB, 0, N);
      GA = this.backStep(GA, l, dA, s * sw, residual);
      GB = this.backStep(GB, l, dB, s * sw, residual);
    }
    if ((spec.inputLayer ?? 'trained') === 'trained') {
      const K0 = [spec.q0, spec.q0 * spec.c0];
      t11 += K0[0] * frob(GA, GA);
      t22 += K0[0] * frob(GB, GB);
      t12 += K0[1] * frob(GA, GB);
    }
    return { t11: t11 / N, t22: t22 / N, t12: t12 / N };
  }

  /** G (1 + c W^l diag d) (residual) or G c W^l diag d (feed-forward). */
  private backStep(G: Float64Array, l: number, d: Float64Array, c: number, residual: boolean): Float64Array {
    const N = this.N;
    const wo = this.wOffset(l);
    const P = this.params;
    const out = new Float64Array(N * N);
    for (let i = 0; i < N; i++) {
      const gi = i * N;
      const oi = i * N;
      for (let j = 0; j < N; j++) {
        const gij = G[gi + j];
        if (gij === 0) continue;
        const row = wo + j * N;
        for (let k = 0; k < N; k++) out[oi + k] += gij * P[row + k];
      }
      for (let k = 0; k < N; k++) out[oi + k] *= c * d[k];
      if (residual) for (let k = 0; k < N; k++) out[oi + k] += G[gi + k];
    }
    return out;
  }
}

/** The N x N identity, row-major. */
export function identity(N: number): Float64Array {
  const I = new Float64Array(N * N);
  for (let i = 0; i < N; i++) I[i * N + i] = 1;
  return I;
}

/** sum_ij A_ij B_ij */
export function frob(A: Float64Array, B: Float64Array): number {
  let s = 0;
  for (let i = 0; i < A.length; i++) s += A[i] * B[i];
  return s;
}

export function checkNtkSpec(spec: NtkSimSpec): void {
  if (!Number.isInteger(spec.width) || spec.width < 1 || spec.width > 4096) throw new InputError('width', `must be an integer in 1..4096 (explicit N x N weights), got ${spec.width}`);
  if (!Number.isInteger(spec.depth) || spec.depth < 1 || spec.depth > 10000) throw new InputError('depth', `must be an integer in 1..10000 for the empirical NTK, got ${spec.depth}`);
  if (spec.depth * spec.width * spec.width > 50_000_000) {
    throw new InputError('width', `the explicit weights need depth x width^2 <= 5e7 numbers (400 MB), got ${spec.depth} x ${spec.width}^2`);
  }
  if (!(spec.sw2 >= 0) || !(spec.sb2 >= 0) || !(spec.branch >= 0) || !(spec.q0 > 0) || !(spec.c0 >= -1 && spec.c0 <= 1)) {
    throw new RangeError('empirical NTK: need sw2, sb2, branch >= 0, q0 > 0, c0 in [-1, 1]');
  }
}

export interface EmpiricalNtkStats {
  width: number;
  samples: number;
  seed: number;
  /** Means over networks of (1/N) tr Theta^L: the diagonal uses both inputs ((t11 + t22)/2). */
  ntk_mean: number;
  ntk_se: number;
  ntk12_mean: number;
  ntk12_se: number;
}

/** Mean and standard error over `samples` networks (network k of `seed` for k = 0..samples-1). */
export function empiricalNtkStats(spec: NtkSimSpec, samples: number, seed: number): EmpiricalNtkStats {
  if (!Number.isInteger(samples) || samples < 2 || samples > 1_000_000) throw new InputError('samples', `must be an integer in 2..1000000, got ${samples}`);
  let s1 = 0;
  let s2 = 0;
  let u1 = 0;
  let u2 = 0;
  for (let k = 0; k < samples; k++) {
    const t = new ExplicitNetwork(spec, seed, k).ntk();
    const d = 0.5 * (t.t11 + t.t22);
    s1 += d;
    s2 += d * d;
    u1 += t.t12;
    u2 += t.t12 * t.t12;
  }
  const m = samples;
  const se = (a: number, b: number): number => sqrt(Math.max(0, (b - (a * a) / m) / (m - 1)) / m);
  return { width: spec.width, samples, seed, ntk_mean: s1 / m, ntk_se: se(s1, s2), ntk12_mean: u1 / m, ntk12_se: se(u1, u2) };
}
