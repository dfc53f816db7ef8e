/**
 * The finite-width forward pass of any network description (src/model/net) made of dense, act,
 * residual, serial, repeat and readout layers: the simulation interpretation of the same value
 * the mean field (src/quantities/netMeanField.ts) reads.
 *
 *   dense(sw2, sb2)      h <- W h + b, W_ij ~ N(0, sw2/N), b_i ~ N(0, sb2), fresh per layer and per repeat
 *   act(phi)             h <- phi(h) elementwise (the Activation's own float64 evaluator)
 *   residual(alpha, br)  x <- x + g_l br(x), g_l = alpha_l (amplitude) or sqrt(alpha_l) (variance),
 *                        alpha_l = alpha s(l, L) with l the block's 1-based index in execution order
 *   serial, repeat       composition (a repeat body gets fresh weights every time)
 *   readout(sw2, sb2)    a dense layer; its output has N neurons too (the kernel per neuron does
 *                        not depend on how many there are)
 *
 * Every hidden layer has width N, the input layer too: h^0_i = L0 z_i with L0 L0^T = K^0 and z_i
 * standard normal, i.i.d. over neurons (as the samplers of src/simulate/samplers.ts). P inputs
 * share the weights. Two samplers of a dense layer:
 *   full: explicit rows of W (N normals each, used at once, never stored), then b;
 *   fast: exact in distribution: given its input g, the rows (W g + b)_i are i.i.d. Gaussian with
 *         the P x P covariance sb2 + (sw2/N) g^T g, drawn as its (pivoted) Cholesky factor times
 *         N P normals.
 * Network `index` under `seed` draws everything from Rng.stream(seed, index, 0), in layer order;
 * for today's form (repeat(L, residual(alpha, [act, dense]))) the draws and the arithmetic are
 * those of the samplers without tangents, so the two give the same numbers.
 *
 * Layout: column-major state, h[a * N + i] = h_{i, input a}.
 */
import { Activation } from '../model/activation';
import { NumericalError } from '../model/errors';
import { Layer, NetDescription, netError } from '../model/net/layers';
import { countResidualBlocks } from '../quantities/netMeanField';
import { evaluate64 } from '../interpret/symbolic';
import { choleskyPsd, dot, rowTimesColumns } from './linalg';
import { phiKernel, Pointwise } from './pointwise';
import { Rng } from './rng';
import { MAX_WIDTH, Sampler } from './spec';

const { sqrt } = Math;

/** A compiled layer: the description with repeats unrolled and every residual's factor evaluated. */
export type NetOp =
  | { op: 'dense'; sw2: number; sb2: number; path: string; row: number }
  | { op: 'act'; act: Activation; phi: Pointwise; path: string }
  | { op: 'residual'; g: number; branch: NetOp[]; path: string; row: number };

/** The compiled network: its ops, the labels of the recorded rows (row 0: the input) and K^0. */
export interface NetProgram {
  ops: NetOp[];
  /** Labels of the recorded rows, as netMeanField names them (row 0 is 'input'). */
  rows: string[];
  P: number;
  K0: number[];
  /** Number of dense (and readout) layers executed: the cost of a network is about this times N P^2 (fast) or N^2 P (full). */
  denseLayers: number;
}

/** The most compiled layers a simulation accepts (repeats unrolled). */
export const MAX_OPS = 2_000_000;

/**
 * Compile a description for simulation. Batch norm and convolutions are refused in one line
 * naming the layer (InputError, exit 2); so is a schedule that gives a negative or non-finite alpha_l.
 */
export function compileNet(d: NetDescription): NetProgram {
  const where = (path: string) => ({ source: d.source, path });
  const L = countResidualBlocks(d.layers);
  let blockIndex = 0;
  let count = 0;
  let denseLayers = 0;
  const rows: string[] = ['input'];
  const compile = (layers: readonly Layer[], prefix: string, iter: string, top: boolean): NetOp[] => {
    const out: NetOp[] = [];
    layers.forEach((l, i) => {
      const path = `${prefix}[${i}]`;
      const label = `${iter}${path}`;
      if (++count > MAX_OPS) throw netError(where(label), `the simulation unrolls at most ${MAX_OPS} layers`);
      switch (l.kind) {
        case 'dense':
        case 'readout':
          denseLayers++;
          out.push({ op: 'dense', sw2: Number(l.sw2), sb2: Number(l.sb2), path: label, row: top ? rows.push(label) - 1 : -1 });
          break;
        case 'act':
          out.push({ op: 'act', act: l.phi, phi: phiKernel(l.phi), path: label });
          break;
        case 'residual': {
          blockIndex++;
          let alpha = Number(l.alpha);
          if (l.schedule) {
            const s = evaluate64(l.schedule.expr, { l: blockIndex, L });
            if (!(Number.isFinite(s) && s >= 0)) {
              throw netError(where(`${path}.residual.schedule`), `s(l, L) = ${l.schedule.text} must be finite and >= 0, got ${s} at l = ${blockIndex}, L = ${L}`);
            }
            alpha *= s;
          }
          const g = l.scaling === 'amplitude' ? alpha : sqrt(alpha);
          const branch = compile(l.branch, `${path}.residual.branch`, iter, false);
          out.push({ op: 'residual', g, branch, path: label, row: top ? rows.push(label) - 1 : -1 });
          break;
        }
        case 'serial':
          out.push(...compile(l.layers, `${path}.serial`, iter, top));
          break;
        case 'repeat':
          for (let k = 1; k <= l.n; k++) out.push(...compile(l.layers, '.layers', `${iter}${path}.repeat(${k})`, top));
          break;
        case 'batchnorm':
        case 'conv':
          throw netError(where(`${label} (${l.kind})`), `the simulator does not cover this layer (the ${l.kind === 'conv' ? 'cnn' : 'batchnorm'} commands simulate their own networks)`);
      }
    });
    return out;
  };
  const ops = compile(d.layers, 'layers', '', true);
  const P = d.inputs.kernel.length;
  const K0: number[] = [];
  for (let a = 0; a < P; a++) for (let b = 0; b < P; b++) K0.push(Number(d.inputs.kernel[a][b]));
  return { ops, rows, P, K0, denseLayers };
}

/** Sees the state after each recorded row (valid during the call only). */
export type NetRowObserver = (row: number, h: Float64Array) => void;

/** A reusable simulator of one compiled description at width N. */
export class NetForward {
  readonly N: number;
  readonly P: number;
  private readonly L0: Float64Array;
  private readonly G: Float64Array;
  private readonly Lc: Float64Array;
  private readonly work: Float64Array;
  private readonly perm: Int32Array;
  private readonly z: Float64Array;
  private readonly w: Float64Array;
  private readonly b: Float64Array;

  constructor(readonly program: NetProgram, width: number, readonly sampler: Sampler = 'fast') {
    if (!Number.isInteger(width) || width < 1 || width > MAX_WIDTH) throw new RangeError(`width must be an integer in 1..${MAX_WIDTH}, got ${width}`);
    const N = width;
    const P = program.P;
    this.N = N;
    this.P = P;
    this.L0 = new Float64Array(P * P);
    choleskyPsd(Float64Array.from(program.K0), P, this.L0);
    this.G = new Float64Array(P * P);
    this.Lc = new Float64Array(P * P);
    this.work = new Float64Array(P * P);
    this.perm = new Int32Array(P);
    this.z = new Float64Array(P * N);
    this.w = new Float64Array(N);
    this.b = new Float64Array(N);
  }

  /** Simulate network `index` of `seed`; `observe` sees row 0 (the input) and every recorded row. Returns the output h. */
  run(seed: number, index: number, observe?: NetRowObserver): Float64Array {
    const { N, P } = this;
    const rng = Rng.stream(seed, index, 0);
    const z = this.z;
    rng.fillNormal(z, 0, P * N, 1);
    const h = new Float64Array(P * N);
    for (let a = 0; a < P; a++) {
      for (let c = 0; c < P; c++) {
        const l = this.L0[a * P + c];
        if (l === 0) continue;
        for (let i = 0; i < N; i++) h[a * N + i] += l * z[c * N + i];
      }
    }
    observe?.(0, h);
    return this.runOps(this.program.ops, h, rng, observe);
  }

  private runOps(ops: readonly NetOp[], input: Float64Array, rng: Rng, observe?: NetRowObserver): Float64Array {
    let h = input;
    for (const op of ops) {
      if (op.op === 'act') {
        const out = new Float64Array(h.length);
        op.phi(h, 0, out, 0, h.length);
        h = out;
        continue;
      }
      if (op.op === 'dense') h = this.dense(h, op.sw2, op.sb2, rng);
      else {
        const y = this.runOps(op.branch, h, rng);
        const x = h === input ? Float64Array.from(h) : h;
        const g = op.g;
        for (let j = 0; j < x.length; j++) x[j] += g * y[j];
        h = x;
      }
      if (!Number.isFinite(h[0]) || !Number.isFinite(h[h.length - 1])) {
        throw new NumericalError(`a simulated network left the finite numbers at ${op.path}`);
      }
      if (op.row >= 0) observe?.(op.row, h);
    }
    return h;
  }

  private dense(g: Float64Array, sw2: number, sb2: number, rng: Rng): Float64Array {
    const { N, P } = this;
    const out = new Float64Array(P * N);
    if (this.sampler === 'full') {
      const w = this.w;
      const sw = sqrt(sw2 / N);
      for (let i = 0; i < N; i++) {
        rng.fillNormal(w, 0, N, sw);
        rowTimesColumns(w, 0, g, N, P, out, i);
      }
      if (sb2 > 0) {
        const b = this.b;
        rng.fillNormal(b, 0, N, sqrt(sb2));
        for (let a = 0; a < P; a++) for (let i = 0; i < N; i++) out[a * N + i] += b[i];
      }
      return out;
    }
    const { G, Lc, z } = this;
    const f = sw2 / N;
    for (let a = 0; a < P; a++) {
      for (let b = 0; b <= a; b++) {
        const v = f * dot(g, a * N, g, b * N, N) + sb2;
        G[a * P + b] = v;
        G[b * P + a] = v;
      }
    }
    choleskyPsd(G, P, Lc, undefined, this.work, this.perm);
    rng.fillNormal(z, 0, P * N, 1);
    for (let a = 0; a < P; a++) {
      const o = a * N;
      for (let c = 0; c < P; c++) {
        const l = Lc[a * P + c];
        if (l === 0) continue;
        const oc = c * N;
        for (let i = 0; i < N; i++) out[o + i] += l * z[oc + i];
      }
    }
    return out;
  }
}
