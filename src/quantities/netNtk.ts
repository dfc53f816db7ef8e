/**
 * The infinite-width neural tangent kernel of any network description made of dense, act,
 * residual, serial, repeat and readout layers, P inputs, written once over an Interpretation<T>
 * (float64, Decimal, symbolic). It rides along the mean field (src/quantities/netMeanField.ts),
 * which supplies the kernel every layer acts on.
 *
 * NTK parameterisation (as src/quantities/ntk.ts and docs/ntk.md): a dense layer is
 * h_out = sqrt(sw2/N) W~ g + sqrt(sb2) b~ with W~, b~ standard normal and trained, and the input
 * layer h^0 = W~^0 x / sqrt(d) (x_a . x_b / d = K^0_ab) is trained too. Theta_ab is the per-neuron
 * sum over parameters of dh_i(x_a)/dtheta dh_i(x_b)/dtheta. Layer by layer:
 *
 *   input                Theta = K^0 (trained input layer) or 0 (frozen)
 *   dense(sw2, sb2)      Theta <- K_out + sw2 Theta          K_out = sw2 K_in + sb2, the uncentred second
 *                                                              moment of the output (means included);
 *                                                              frozen biases: K_out - sb2
 *   act(phi)             Theta_ab <- <phi'(u_a) phi'(u_b)>_{K_in} Theta_ab
 *   residual(alpha, br)  Theta <- Theta_x + g2 Theta_br      g2 = alpha_l^2 (alpha_l with variance scaling)
 *
 * The residual rule has no cross term <dx/dtheta, dbr(x)/dtheta>: the branch reaches x through a
 * dense layer whose weights are independent of x and of mean zero, so that sum over parameters is
 * O(1/sqrt N) (the same independence the mean field needs; it refuses branches without a dense
 * layer). The means of the neurons enter only through K_out, the second moment a dense layer sees.
 * For today's form repeat(L, residual(alpha, [act, dense])) this is src/quantities/ntk.ts:
 * Theta^l = Theta^(l-1) + a (C^l + sw2 g^l Theta^(l-1)).
 */
import Decimal from 'decimal.js';
import { Interpretation, float64Interp } from '../interpret/numeric';
import { InputError, NumericalError } from '../model/errors';
import { Layer, NetDescription, netError } from '../model/net/layers';
import { NetMeanField, NetTrace, netMeanField } from './netMeanField';
import { NtkOptions, Trained, derivPair, derivSquare, trainedParam } from './ntk';

export interface NetNtk<T> {
  mf: NetMeanField<T>;
  /** Theta at every recorded row of the mean field (row 0: the input), P x P. */
  theta: T[][][];
}

/** The one-line refusal of a layer the NTK recursion does not cover (batch norm, convolutions), naming it. */
export function checkNtkCovers(d: NetDescription): void {
  const walk = (layers: readonly Layer[], prefix: string): void => {
    layers.forEach((l, i) => {
      const path = `${prefix}[${i}]`;
      if (l.kind === 'batchnorm' || l.kind === 'conv') throw netError({ source: d.source, path: `${path} (${l.kind})` }, 'the NTK recursion does not cover this layer');
      if (l.kind === 'residual') walk(l.branch, `${path}.residual.branch`);
      else if (l.kind === 'serial') walk(l.layers, `${path}.serial`);
      else if (l.kind === 'repeat') walk(l.layers, `${path}.repeat.layers`);
    });
  };
  walk(d.layers, 'layers');
}

/** The NTK at every row the mean field records. */
export function netNtk<T>(I: Interpretation<T>, d: NetDescription, opts: NtkOptions = {}): NetNtk<T> {
  checkNtkCovers(d);
  const F = I.F;
  const P = d.inputs.kernel.length;
  const biasTrained = (opts.biases ?? 'trained') === 'trained';
  const inputTrained = (opts.inputLayer ?? 'trained') === 'trained';
  const map = (A: T[][], f: (x: T, a: number, b: number) => T): T[][] => A.map((row, a) => row.map((x, b) => f(x, a, b)));
  let theta: T[][] | undefined;
  const stack: T[][][] = [];
  const rows: T[][][] = [];
  const check = (path: string): void => {
    if (F.kind === 'symbolic') return;
    for (const row of theta!) for (const x of row) if (!F.isFinite(x)) throw new NumericalError(`the NTK left the finite numbers at ${path}`);
  };
  const trace: NetTrace<T> = {
    dense(sw2, sb2, Kout, path) {
      theta = map(theta!, (t, a, b) => F.add(biasTrained ? Kout[a][b] : F.sub(Kout[a][b], sb2), F.mul(sw2, t)));
      check(path);
    },
    act(phi, K, path) {
      if (phi.continuity === 'discontinuous') {
        throw netError({ source: d.source, path: `${path} (act)` }, `the NTK needs a continuous activation; "${phi.name}" is discontinuous (its derivative is a delta function)`);
      }
      // derivative moments per pair, symmetric; equal inputs share one evaluation
      const g: T[][] = Array.from({ length: P }, () => new Array<T>(P));
      for (let a = 0; a < P; a++) {
        g[a][a] = derivSquare(I, phi, K[a][a]);
        for (let b = 0; b < a; b++) g[a][b] = g[b][a] = derivPair(I, phi, K[b][b], K[b][a], K[a][a]);
      }
      theta = map(theta!, (t, a, b) => F.mul(g[a][b], t));
    },
    residualEnter() {
      stack.push(theta!);
    },
    residualExit(g2, path) {
      const x = stack.pop()!;
      const y = theta!;
      theta = map(x, (t, a, b) => F.add(t, F.mul(g2, y[a][b])));
      check(path);
    },
    row() {
      rows.push(theta!);
    },
  };
  // Theta^0 is needed before the first layer: the input kernel itself (or zero)
  const K0 = d.inputs.kernel.map((row) => row.map((x) => F.of(x)));
  theta = inputTrained ? K0 : map(K0, () => F.of(0));
  rows.push(theta);
  const mf = netMeanField(I, d, { trace });
  return { mf, theta: rows };
}

/** Float64 NTK rows (for scans and the empirical comparison). */
export function netNtk64(d: NetDescription, opts: NtkOptions = {}): NetNtk<number> {
  return netNtk(float64Interp, d, opts);
}

export interface NetNtkResult {
  digits: number;
  biases: Trained;
  input_layer: Trained;
  P: number;
  /** The recorded rows (labels as the mean field names them). */
  labels: string[];
  /** Theta at every row, P x P decimal strings with `digits` verified digits. */
  theta: string[][][];
  /** K at every row (the mean-field kernel of the same run). */
  K: string[][][];
  /** Theta_12 / Theta_11 at every row (P >= 2; null where Theta_11 = 0). */
  ratio: (string | null)[] | null;
}

/** The NTK of a description at every recorded row, to `digits` verified significant digits. */
export function netNtkAnalysis(d: NetDescription, opts: { digits?: number; biases?: string; inputLayer?: string } = {}): NetNtkResult {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { verifiedDecimal } = require('./verified') as typeof import('./verified');
  const digits = opts.digits ?? 16;
  if (!Number.isInteger(digits) || digits < 1 || digits > 200) throw new InputError('digits', `must be an integer in 1..200, got ${digits}`);
  const o: NtkOptions = { biases: trainedParam('biases', opts.biases), inputLayer: trainedParam('input-layer', opts.inputLayer) };
  // refusals and the row labels from one float64 pass (cheap), before the Decimal runs
  const labels = netNtk64(d, o).mf.rows.map((r) => r.label);
  const v = verifiedDecimal(digits, (I) => {
    const t = netNtk<Decimal>(I, d, o);
    const ratio = t.theta.map((th) => (th.length < 2 || th[0][0].isZero() ? null : th[0][1].div(th[0][0])));
    return { theta: t.theta, K: t.mf.rows.map((r) => r.K), ratio };
  }).values as { theta: string[][][]; K: string[][][]; ratio: (string | null)[] };
  const P = d.inputs.kernel.length;
  return { digits, biases: o.biases!, input_layer: o.inputLayer!, P, labels, theta: v.theta, K: v.K, ratio: P >= 2 ? v.ratio : null };
}
