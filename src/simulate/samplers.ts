/**
 * The two simulators of a finite-width network (THEORY.md section 1):
 *
 *   h^l = h^(l-1) + s (W^l phi(h^(l-1)) + b^l)      (s = alpha, or sqrt(alpha); skip none: h^l = branch)
 *   W^l_ij ~ N(0, sw2/N),  b^l_i ~ N(0, sb2),  fresh per layer, shared by the P inputs.
 *
 * - `full`: the ground truth. Explicit N x N weights, generated row by row and multiplied as
 *   they are generated (a row is used once, so W is never stored: memory O(N), time O(N^2)).
 * - `fast`: exact in distribution, O(N) per layer. Given h^(l-1), the rows
 *   (W phi(h^(l-1)) + b)_i are i.i.d. over i, Gaussian with the P x P covariance
 *   C_hat^l = sb2 + (sw2/N) phi^T phi, so a layer is a (pivoted) Cholesky factor and N P normals.
 *
 * Both carry Jacobian-vector products along as extra columns: a tangent t^(l-1) (the image of
 * a direction in the input layer) maps to t^l = t^(l-1) + s W^l (phi'(h^(l-1)) . t^(l-1)); in the
 * fast sampler the tangent columns join the Gaussian conditional (bias only on the input block).
 *
 * Random streams: network number `index` under `seed` draws h^0 and its weights from
 * Rng.stream(seed, index, 0) and its tangent directions from Rng.stream(seed, index, 1), so
 * `jacobian()` and the tangents of a run see the same network.
 *
 * Layout: column-major state, h[a * N + i] = h_{i, input a}.
 */
import { activation } from '../model/activation';
import { NumericalError } from '../model/errors';
import { choleskyPsd, dot, rowTimesColumns } from './linalg';
import { dphiKernel, phiKernel, Pointwise } from './pointwise';
import { Rng } from './rng';
import { Sampler, SimSpec, checkSpec } from './spec';

// Math functions bound once: under jest 30 the global Math is a proxy, and a call through it
// costs a microsecond (200x slower); a local binding is a plain function call everywhere.
const { sqrt, max } = Math;
const { isFinite } = Number;

/** The state of one network after layer `layer`, handed to an observer (valid during the call). */
export interface LayerView {
  layer: number;
  N: number;
  P: number;
  /** Number of tangent columns. */
  T: number;
  /** h^l, P columns of N. */
  h: Float64Array;
  /** Tangents J^l v_k, T columns of N. */
  t: Float64Array;
  /** C_hat^l (P x P, row-major), null at layer 0. */
  C: Float64Array | null;
}

export type LayerObserver = (v: LayerView) => void;

export interface NetworkSimulator {
  readonly spec: SimSpec;
  readonly kind: Sampler;
  /** Simulate network `index` of `seed`; `observe` sees layers 0..L. */
  run(seed: number, index: number, observe: LayerObserver, opts?: RunOverrides): void;
}

export interface RunOverrides {
  /** Replaces the random tangent directions (T columns of N), e.g. the identity for full Jacobians. */
  tangentInit?: Float64Array;
  /**
   * Replaces the drawn input layer h^0 (P columns of N); the draws are still consumed, so the
   * weights are those of the same network (for finite differences and response functions).
   */
  h0?: Float64Array;
}

export function simulator(spec: SimSpec, kind: Sampler, opts: { tangents?: number } = {}): NetworkSimulator {
  checkSpec(spec);
  return kind === 'full' ? new FullNetwork(spec, opts.tangents) : new FastSampler(spec, opts.tangents);
}

abstract class Base implements NetworkSimulator {
  abstract readonly kind: Sampler;
  protected readonly N: number;
  protected readonly P: number;
  protected readonly T: number;
  protected readonly M: number;
  protected readonly phi: Pointwise;
  protected readonly dphi: Pointwise;
  protected readonly L0: Float64Array;
  protected readonly h: Float64Array;
  protected readonly t: Float64Array;
  /** Branch inputs: phi(h_a) for the P inputs, then phi'(h_a*) . t_k for the tangents. */
  protected readonly g: Float64Array;
  protected readonly br: Float64Array;
  protected readonly C: Float64Array;
  protected readonly tmp: Float64Array;

  constructor(readonly spec: SimSpec, tangents?: number) {
    const N = spec.width;
    this.N = N;
    this.P = spec.P;
    this.T = tangents ?? spec.tangents ?? 0;
    this.M = this.P + this.T;
    const act = activation(spec.act);
    this.phi = phiKernel(act);
    this.dphi = this.T > 0 ? dphiKernel(act) : () => undefined;
    this.L0 = new Float64Array(this.P * this.P);
    choleskyPsd(Float64Array.from(spec.K0), this.P, this.L0);
    this.h = new Float64Array(this.P * N);
    this.t = new Float64Array(this.T * N);
    this.g = new Float64Array(this.M * N);
    this.br = new Float64Array(this.M * N);
    this.C = new Float64Array(this.P * this.P);
    this.tmp = new Float64Array(max(N, this.P * N));
  }

  run(seed: number, index: number, observe: LayerObserver, opts: RunOverrides = {}): void {
    const tangentInit = opts.tangentInit;
    const { N, P, T, h, t } = this;
    const rng = Rng.stream(seed, index, 0);
    // h^0_i = L0 z_i, z_i ~ N(0, I_P), i.i.d. over neurons.
    const z = this.tmp;
    rng.fillNormal(z, 0, P * N, 1);
    h.fill(0);
    for (let a = 0; a < P; a++) {
      for (let c = 0; c < P; c++) {
        const l = this.L0[a * P + c];
        if (l === 0) continue;
        for (let i = 0; i < N; i++) h[a * N + i] += l * z[c * N + i];
      }
    }
    if (opts.h0) {
      if (opts.h0.length !== P * N) throw new RangeError(`h0 must hold ${P} columns of ${N}`);
      h.set(opts.h0);
    }
    if (T > 0) {
      if (tangentInit) {
        if (tangentInit.length !== T * N) throw new RangeError(`tangentInit must hold ${T} columns of ${N}`);
        t.set(tangentInit);
      } else Rng.stream(seed, index, 1).fillNormal(t, 0, T * N, 1);
    }
    observe({ layer: 0, N, P, T, h, t, C: null });
    const s = this.spec.skip === 'none' ? 1 : this.spec.branch;
    const residual = this.spec.skip !== 'none';
    const ti = this.spec.tangentInput ?? 0;
    const { g, br } = this;
    for (let l = 1; l <= this.spec.depth; l++) {
      // branch inputs
      this.phi(h, 0, g, 0, P * N);
      if (T > 0) {
        this.dphi(h, ti * N, this.tmp, 0, N);
        for (let k = 0; k < T; k++) {
          const o = (P + k) * N;
          for (let i = 0; i < N; i++) g[o + i] = this.tmp[i] * t[k * N + i];
        }
      }
      this.branch(rng); // br = W g + b (bias on the input columns only); fills this.C
      if (residual) {
        for (let j = 0; j < P * N; j++) h[j] += s * br[j];
        for (let j = 0; j < T * N; j++) t[j] += s * br[P * N + j];
      } else {
        h.set(br.subarray(0, P * N));
        t.set(br.subarray(P * N, (P + T) * N));
      }
      if (!isFinite(h[0]) || !isFinite(h[P * N - 1])) {
        throw new NumericalError(`a simulated network left the finite numbers at layer ${l}`, l);
      }
      observe({ layer: l, N, P, T, h, t, C: this.C });
    }
  }

  /** C_hat = sb2 + (sw2/N) g^T g over the P input columns. */
  protected chat(): void {
    const { N, P, g, C } = this;
    const f = this.spec.sw2 / N;
    for (let a = 0; a < P; a++) {
      for (let b = 0; b <= a; b++) {
        const v = this.spec.sb2 + f * dot(g, a * N, g, b * N, N);
        C[a * P + b] = v;
        C[b * P + a] = v;
      }
    }
  }

  protected abstract branch(rng: Rng): void;
}

/** The ground truth: explicit weight matrices. */
class FullNetwork extends Base {
  readonly kind = 'full' as const;
  private readonly w: Float64Array;
  private readonly b: Float64Array;

  constructor(spec: SimSpec, tangents?: number) {
    super(spec, tangents);
    this.w = new Float64Array(spec.width);
    this.b = new Float64Array(spec.width);
  }

  protected branch(rng: Rng): void {
    const { N, P, M, g, br, w } = this;
    const sw = sqrt(this.spec.sw2 / N);
    this.chat();
    // Row i of W: N normals, used at once for all M columns (W is never stored).
    for (let i = 0; i < N; i++) {
      rng.fillNormal(w, 0, N, sw);
      rowTimesColumns(w, 0, g, N, M, br, i);
    }
    if (this.spec.sb2 > 0) {
      const b = this.b;
      rng.fillNormal(b, 0, N, sqrt(this.spec.sb2));
      for (let a = 0; a < P; a++) for (let i = 0; i < N; i++) br[a * N + i] += b[i];
    }
  }
}

/** Exact conditional sampler: a layer is the Cholesky factor of C_hat and N M normals. */
class FastSampler extends Base {
  readonly kind = 'fast' as const;
  private readonly G: Float64Array;
  private readonly Lc: Float64Array;
  private readonly z: Float64Array;
  private readonly work: Float64Array;
  private readonly perm: Int32Array;

  constructor(spec: SimSpec, tangents?: number) {
    super(spec, tangents);
    this.G = new Float64Array(this.M * this.M);
    this.Lc = new Float64Array(this.M * this.M);
    this.z = new Float64Array(this.M * spec.width);
    this.work = new Float64Array(this.M * this.M);
    this.perm = new Int32Array(this.M);
  }

  protected branch(rng: Rng): void {
    const { N, P, M, g, br, G, Lc, z, C } = this;
    const f = this.spec.sw2 / N;
    const sb2 = this.spec.sb2;
    for (let a = 0; a < M; a++) {
      for (let b = 0; b <= a; b++) {
        const v = f * dot(g, a * N, g, b * N, N) + (a < P ? sb2 : 0);
        G[a * M + b] = v;
        G[b * M + a] = v;
      }
    }
    for (let a = 0; a < P; a++) for (let b = 0; b < P; b++) C[a * P + b] = G[a * M + b];
    // Lc Lc^T = G (a pivoted factor: triangular up to a row permutation)
    choleskyPsd(G, M, Lc, undefined, this.work, this.perm);
    rng.fillNormal(z, 0, M * N, 1);
    if (M === 1) {
      const l = Lc[0];
      for (let i = 0; i < N; i++) br[i] = l * z[i];
      return;
    }
    if (M === 2) {
      const l00 = Lc[0];
      const l01 = Lc[1];
      const l10 = Lc[2];
      const l11 = Lc[3];
      for (let i = 0; i < N; i++) {
        const z0 = z[i];
        const z1 = z[N + i];
        br[i] = l00 * z0 + l01 * z1;
        br[N + i] = l10 * z0 + l11 * z1;
      }
      return;
    }
    for (let a = 0; a < M; a++) {
      const o = a * N;
      for (let i = 0; i < N; i++) br[o + i] = 0;
      for (let c = 0; c < M; c++) {
        const l = Lc[a * M + c];
        if (l === 0) continue;
        const oc = c * N;
        for (let i = 0; i < N; i++) br[o + i] += l * z[oc + i];
      }
    }
  }
}

/**
 * The full input-output Jacobian dh^L_a / dh^0_a (N x N, column-major: J[k N + i] =
 * d h^L_i / d h^0_k) of network `index` under `seed` (full network, forward mode with N
 * tangent columns: O(N^3) per layer, for small N).
 */
export function jacobian(spec: SimSpec, seed: number, index: number, input = 0): { J: Float64Array; hL: Float64Array } {
  const N = spec.width;
  const sim = simulator({ ...spec, tangentInput: input }, 'full', { tangents: N });
  const eye = new Float64Array(N * N);
  for (let k = 0; k < N; k++) eye[k * N + k] = 1;
  const J = new Float64Array(N * N);
  const hL = new Float64Array(spec.P * N);
  sim.run(seed, index, (v) => {
    if (v.layer === spec.depth) {
      J.set(v.t);
      hL.set(v.h);
    }
  }, { tangentInit: eye });
  return { J, hL };
}
