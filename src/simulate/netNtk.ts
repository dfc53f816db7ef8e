/**
 * The empirical neural tangent kernel of explicit finite-width networks built from a description
 * (the judge of src/quantities/netNtk.ts), by backpropagation through the same compiled layers as
 * the forward pass of src/simulate/netForward.ts.
 *
 * NTK parameterisation: P inputs x_a in R^P with x_a . x_b / P = K^0_ab (x_a = sqrt(P) times row a
 * of the Cholesky factor of K^0), an input layer h^0 = W^0 x / sqrt(P), and every dense layer
 * h_out = sqrt(sw2/N) W g + sqrt(sb2) b, with W^0, W, b standard normal, stored, and trained.
 *
 * With G_a = dh^out(x_a)/dh (N x N, output neurons by neurons of the current stream), walking the
 * layers backwards from G = 1:
 *   dense:     Theta_ab += (sb2 + (sw2/N) g_a . g_b) (G_a : G_b),  G <- sqrt(sw2/N) G W
 *   act:       G <- G diag(phi'(h_in))     (the Activation's own derivative)
 *   residual:  G <- G + (backward of g G through the branch)
 *   input:     Theta_ab += K^0_ab (G_a : G_b)   (when the input layer is trained)
 * (A : B = sum_ij A_ij B_ij.) The returned kernel is (1/N) tr Theta, the average over the N output
 * neurons. Cost: O(N^3) per dense layer and input, so for small widths.
 */
import { InputError, NumericalError } from '../model/errors';
import { NetDescription } from '../model/net/layers';
import { NtkOptions } from '../quantities/ntk';
import { choleskyPsd } from './linalg';
import { NetOp, NetProgram, compileNet } from './netForward';
import { Pointwise, dphiKernel } from './pointwise';
import { Rng } from './rng';
import { frob, identity } from './ntk';

const { sqrt } = Math;

/** The forward record of one op for one input: its input stream, and the branch's record for a residual. */
type Tape = { input: Float64Array; branch?: Tape }[];

/** The most numbers the stored weights may take (400 MB). */
export const MAX_EXPLICIT_PARAMS = 50_000_000;

export class ExplicitNet {
  readonly N: number;
  readonly P: number;
  /** W^0 (N x P, row-major), then for every dense layer in execution order W (N x N, row-major) and b (N). */
  readonly params: Float64Array;
  /** x_a, P inputs of dimension P (row-major). */
  readonly x: Float64Array;
  private readonly offsets = new Map<NetOp, number>();
  private readonly dphi = new Map<NetOp, Pointwise>();

  constructor(readonly program: NetProgram, width: number, seed: number, index: number) {
    const N = width;
    const P = program.P;
    this.N = N;
    this.P = P;
    let n = N * P;
    const walk = (ops: readonly NetOp[]): void => {
      for (const op of ops) {
        if (op.op === 'dense') {
          this.offsets.set(op, n);
          n += N * N + N;
        } else if (op.op === 'act') this.dphi.set(op, dphiKernel(op.act));
        else walk(op.branch);
      }
    };
    walk(program.ops);
    if (n > MAX_EXPLICIT_PARAMS) throw new InputError('width', `the explicit weights need at most ${MAX_EXPLICIT_PARAMS} numbers, got ${n} (width ${N}, ${program.denseLayers} dense layers)`);
    this.params = new Float64Array(n);
    Rng.stream(seed, index, 0).fillNormal(this.params, 0, n, 1);
    const L0 = new Float64Array(P * P);
    choleskyPsd(Float64Array.from(program.K0), P, L0);
    this.x = L0.map((v) => v * sqrt(P));
  }

  /** The network's output h(x_a) (N numbers), with `params` in place of the drawn ones (finite differences). */
  output(a: number, params: Float64Array = this.params): Float64Array {
    return this.forward(a, params).h;
  }

  private forward(a: number, params: Float64Array): { h: Float64Array; tape: Tape } {
    const { N, P } = this;
    let h = new Float64Array(N);
    const inv = 1 / sqrt(P);
    for (let i = 0; i < N; i++) {
      let acc = 0;
      for (let j = 0; j < P; j++) acc += params[i * P + j] * this.x[a * P + j];
      h[i] = acc * inv;
    }
    const run = (ops: readonly NetOp[], input: Float64Array): { h: Float64Array; tape: Tape } => {
      let v = input;
      const tape: Tape = [];
      for (const op of ops) {
        if (op.op === 'act') {
          tape.push({ input: v });
          const out = new Float64Array(N);
          op.phi(v, 0, out, 0, N);
          v = out;
        } else if (op.op === 'dense') {
          tape.push({ input: v });
          const o = this.offsets.get(op)!;
          const sw = sqrt(op.sw2 / N);
          const sb = sqrt(op.sb2);
          const out = new Float64Array(N);
          for (let i = 0; i < N; i++) {
            let acc = 0;
            const row = o + i * N;
            for (let j = 0; j < N; j++) acc += params[row + j] * v[j];
            out[i] = sw * acc + sb * params[o + N * N + i];
          }
          v = out;
        } else {
          const br = run(op.branch, v);
          tape.push({ input: v, branch: br.tape });
          const out = new Float64Array(N);
          for (let i = 0; i < N; i++) out[i] = v[i] + op.g * br.h[i];
          v = out;
        }
        if (!Number.isFinite(v[0])) throw new NumericalError(`a simulated network left the finite numbers at ${op.path}`);
      }
      return { h: v, tape };
    };
    return run(this.program.ops, h);
  }

  /** The empirical NTK (1/N) tr Theta, P x P (row-major), by backpropagation. */
  ntk(opts: NtkOptions = {}): Float64Array {
    const { N, P } = this;
    const biasOn = (opts.biases ?? 'trained') === 'trained' ? 1 : 0;
    const tapes = Array.from({ length: P }, (_, a) => this.forward(a, this.params).tape);
    const theta = new Float64Array(P * P);
    const accumulate = (G: Float64Array[], coeff: (a: number, b: number) => number): void => {
      for (let a = 0; a < P; a++) {
        for (let b = 0; b <= a; b++) {
          const v = coeff(a, b) * frob(G[a], G[b]);
          theta[a * P + b] += v;
          if (b !== a) theta[b * P + a] += v;
        }
      }
    };
    const back = (ops: readonly NetOp[], tape: Tape[], G: Float64Array[]): Float64Array[] => {
      let cur = G;
      for (let k = ops.length - 1; k >= 0; k--) {
        const op = ops[k];
        if (op.op === 'dense') {
          const f = op.sw2 / N;
          accumulate(cur, (a, b) => biasOn * op.sb2 + f * dotN(tape[a][k].input, tape[b][k].input, N));
          const o = this.offsets.get(op)!;
          const c = sqrt(f);
          cur = cur.map((g) => timesW(g, this.params, o, N, c));
        } else if (op.op === 'act') {
          const d = new Float64Array(N);
          const dphi = this.dphi.get(op)!;
          cur = cur.map((g, a) => {
            dphi(tape[a][k].input, 0, d, 0, N);
            const out = new Float64Array(N * N);
            for (let i = 0; i < N; i++) for (let j = 0; j < N; j++) out[i * N + j] = g[i * N + j] * d[j];
            return out;
          });
        } else {
          const scaled = cur.map((g) => g.map((v) => op.g * v));
          const fromBranch = back(op.branch, tape.map((t) => t[k].branch!), scaled);
          cur = cur.map((g, a) => g.map((v, j) => v + fromBranch[a][j]));
        }
      }
      return cur;
    };
    const G0 = back(this.program.ops, tapes, Array.from({ length: P }, () => identity(N)));
    if ((opts.inputLayer ?? 'trained') === 'trained') accumulate(G0, (a, b) => this.program.K0[a * P + b]);
    return theta.map((v) => v / N);
  }
}

function dotN(x: Float64Array, y: Float64Array, N: number): number {
  let s = 0;
  for (let i = 0; i < N; i++) s += x[i] * y[i];
  return s;
}

/** c G W, with W the N x N row-major block of `params` at offset o. */
function timesW(G: Float64Array, params: Float64Array, o: number, N: number, c: number): Float64Array {
  const out = new Float64Array(N * N);
  for (let i = 0; i < N; i++) {
    const gi = i * N;
    for (let j = 0; j < N; j++) {
      const gij = G[gi + j];
      if (gij === 0) continue;
      const row = o + j * N;
      for (let k = 0; k < N; k++) out[gi + k] += gij * params[row + k];
    }
    for (let k = 0; k < N; k++) out[gi + k] *= c;
  }
  return out;
}

export interface NetNtkStats {
  width: number;
  samples: number;
  seed: number;
  P: number;
  /** Mean and standard error over networks of (1/N) tr Theta at the output, P x P row-major. */
  mean: number[];
  se: number[];
}

/** Mean and standard error of the empirical NTK over `samples` networks (network k of `seed`). */
export function empiricalNetNtkStats(d: NetDescription | NetProgram, width: number, samples: number, seed: number, opts: NtkOptions = {}): NetNtkStats {
  if (!Number.isInteger(samples) || samples < 2 || samples > 1_000_000) throw new InputError('samples', `must be an integer in 2..1000000, got ${samples}`);
  const program = 'ops' in d ? d : compileNet(d);
  const P = program.P;
  const s1 = new Float64Array(P * P);
  const s2 = new Float64Array(P * P);
  let shift: Float64Array | undefined;
  for (let k = 0; k < samples; k++) {
    const t = new ExplicitNet(program, width, seed, k).ntk(opts);
    shift ??= t.slice();
    for (let q = 0; q < P * P; q++) {
      const v = t[q] - shift[q];
      s1[q] += v;
      s2[q] += v * v;
    }
  }
  const m = samples;
  const mean = Array.from(s1, (v, q) => shift![q] + v / m);
  const se = Array.from(s1, (v, q) => sqrt(Math.max(0, (s2[q] - (v * v) / m) / (m - 1)) / m));
  return { width, samples, seed, P, mean, se };
}
