/**
 * Infinite-width (mean-field) kernels of any network description (src/model/net), P inputs,
 * means included. Written once over an Interpretation<T>: float64, Decimal, dual and symbolic
 * all run this code (THEORY.md sections 2 and 6).
 *
 * The state of one neuron is its mean m (P) and uncentred second moment K (P x P) over the
 * inputs, plus two structural facts: whether its value is jointly Gaussian with zero mean (the
 * input, any dense output, sums of independent such terms), and whether its mean is zero.
 *
 *   dense(sw2, sb2)      K <- sw2 K + sb2,  m <- 0,  Gaussian
 *   act(phi)             needs a Gaussian zero-mean input:  K_ab <- <phi(u_a) phi(u_b)>_K,  m_a <- <phi(u_a)>_{K_aa}
 *   residual(alpha, br)  y = br(x), independent of x per neuron when br passes through a dense layer:
 *                        K <- K + g (m mu^T + mu m^T) + g^2 K_y,  m <- m + g mu,  g the branch's amplitude
 *                        (alpha_l; sqrt(alpha_l) with variance scaling);
 *                        br = [act(phi)] on a Gaussian zero-mean x (Stein's lemma, E[x_a phi(x_b)] = K_ab <phi'>):
 *                        K_ab <- K_ab (1 + g (e_a + e_b)) + g^2 K_y,  e_a = <phi'(x_a)>,  m <- g mu
 *   serial, repeat       composition
 *
 * Inputs with equal K^0_aa share their diagonal and mean forever (K_aa and m_a depend only on
 * their own history), so those are computed once per class of equal diagonals.
 */
import Decimal from 'decimal.js';
import { Interpretation } from '../interpret/numeric';
import { evaluateIn, evaluate64 } from '../interpret/symbolic';
import { NumericalError } from '../model/errors';
import { Act, Layer, NetDescription, Residual, netError } from '../model/net/layers';
import { phiPhi, phiSquare, phiMean } from './moments';
import { Activation } from '../model/activation';

/** One recorded point: after a dense layer or a residual block at the level the user wrote. */
export interface NetRow<T> {
  /** The layer's path in the description, repeat iterations marked: "layers[0].repeat(3).layers[0]". */
  label: string;
  kind: Layer['kind'] | 'input';
  K: T[][];
  m: T[];
}

export interface NetMeanField<T> {
  P: number;
  /** rep[a]: the first input with the same K^0_aa as input a (they share diagonals and means). */
  rep: number[];
  /** Row 0 is the input; then one row per dense layer and residual block outside residual branches. */
  rows: NetRow<T>[];
  /** Number of residual blocks (L in schedules). */
  residualBlocks: number;
}

export interface NetMeanFieldOptions<T> {
  /** Replaces every residual block's alpha (e.g. a dual number to differentiate in alpha). */
  alpha?: T;
  /** Replaces the input kernel K^0 (e.g. dual numbers seeded along c0); shared diagonals must be shared objects. */
  input?: T[][];
  /** Sees every layer in execution order with the kernels it acts on (quantities carried alongside, such as the NTK). */
  trace?: NetTrace<T>;
  /** The L that depth schedules s(l, L) see (default: the description's number of residual blocks; set when running a prefix of it). */
  blocks?: number;
}

/** Callbacks in execution order (residual branches between enter and exit); `path` names the layer as `label` does. */
export interface NetTrace<T> {
  /** A dense or readout layer with its output kernel. */
  dense(sw2: T, sb2: T, Kout: T[][], path: string): void;
  /** An activation applied to a stream with kernel Kin (zero-mean Gaussian, as the mean field requires). */
  act(phi: Activation, Kin: T[][], path: string): void;
  residualEnter(path: string): void;
  /** Leaving a residual block whose branch enters with the factor g2 (alpha_l^2, or alpha_l with variance scaling). */
  residualExit(g2: T, path: string): void;
  /** A row was recorded (rows[index]). */
  row(index: number): void;
}

interface State<T> {
  K: T[][];
  m: T[];
  gaussian: boolean;
  zeroMean: boolean;
}

/** The path of a layer as it names it in errors: "layers[2] (batchnorm)". */
function named(path: string, l: Layer): string {
  return `${path} (${l.kind})`;
}

/** Does the layer list pass through a dense layer (so its output is independent of its input per neuron)? */
export function passesThroughDense(layers: readonly Layer[]): boolean {
  return layers.some((l) =>
    l.kind === 'dense' || l.kind === 'readout' || ((l.kind === 'serial' || (l.kind === 'repeat' && l.n > 0)) && passesThroughDense(l.layers)),
  );
}

/** The activation of a branch that is one activation alone (x + alpha phi(x)), possibly inside serials. */
export function steinActivation(layers: readonly Layer[]): Act | undefined {
  const flat = (ls: readonly Layer[]): Layer[] => ls.flatMap((l) => (l.kind === 'serial' ? flat(l.layers) : [l]));
  const f = flat(layers);
  return f.length === 1 && f[0].kind === 'act' ? f[0] : undefined;
}

/** Number of layers executed (repeats unrolled, residual branches included) that satisfy `counted`. */
export function countLayers(layers: readonly Layer[], counted: (l: Layer) => boolean): number {
  let n = 0;
  for (const l of layers) {
    if (counted(l)) n++;
    if (l.kind === 'residual') n += countLayers(l.branch, counted);
    else if (l.kind === 'serial') n += countLayers(l.layers, counted);
    else if (l.kind === 'repeat') n += l.n * countLayers(l.layers, counted);
  }
  return n;
}

/** Number of residual blocks executed (nested ones included). */
export function countResidualBlocks(layers: readonly Layer[]): number {
  return countLayers(layers, (l) => l.kind === 'residual');
}

/**
 * The one-line refusal for a layer this mean field does not cover, found before any arithmetic:
 * throws an InputError naming the layer, or returns normally.
 */
export function checkMeanFieldCovers(d: NetDescription): void {
  const where = (path: string) => ({ source: d.source, path });
  const walk = (layers: readonly Layer[], prefix: string, s: { gaussian: boolean; zeroMean: boolean }): { gaussian: boolean; zeroMean: boolean } => {
    let st = s;
    layers.forEach((l, i) => {
      const path = `${prefix}[${i}]`;
      switch (l.kind) {
        case 'dense':
        case 'readout':
          st = { gaussian: true, zeroMean: true };
          break;
        case 'act':
          if (!st.gaussian) {
            throw netError(where(named(path, l)), `the mean field of a nonlinearity applied to a non-Gaussian stream (a residual sum with a non-zero mean, or an activation's output) is not implemented; put a dense layer before it`);
          }
          st = { gaussian: l.phi.linear && l.phi.parity === 'odd', zeroMean: l.phi.parity === 'odd' };
          break;
        case 'residual': {
          if (!passesThroughDense(l.branch)) {
            const a = steinActivation(l.branch);
            if (!a || !st.gaussian || a.phi.continuity === 'discontinuous') {
              throw netError(
                where(named(path, l)),
                'a residual branch without a dense layer is covered only as x + alpha phi(x) with one continuous activation on a Gaussian zero-mean stream (by Stein\'s lemma); put a dense layer in the branch',
              );
            }
          }
          const y = walk(l.branch, `${path}.residual.branch`, st);
          st = { gaussian: st.gaussian && y.gaussian, zeroMean: st.zeroMean && y.zeroMean };
          break;
        }
        case 'serial':
          st = walk(l.layers, `${path}.serial`, st);
          break;
        case 'repeat':
          // the flags only move monotonically through a body (dense sets them, sums AND them), so
          // three passes visit every state a repetition can start from
          for (let k = 0; k < Math.min(l.n, 3); k++) st = walk(l.layers, `${path}.repeat.layers`, st);
          break;
        case 'batchnorm':
          throw netError(where(named(path, l)), 'the mean field over layer descriptions does not cover batch norm yet (the batchnorm command computes its own mean field)');
        case 'conv':
          throw netError(where(named(path, l)), 'the mean field over layer descriptions does not cover convolutions yet (the cnn commands compute their own mean field)');
      }
    });
    return st;
  };
  walk(d.layers, 'layers', { gaussian: true, zeroMean: true });
  const L = countResidualBlocks(d.layers);
  // schedules: alpha_l = alpha s(l, L) must be finite and >= 0 at every block
  let index = 0;
  const sched = (layers: readonly Layer[], prefix: string): void => {
    layers.forEach((l, i) => {
      const path = `${prefix}[${i}]`;
      if (l.kind === 'residual') {
        index++;
        if (l.schedule) {
          const v = evaluate64(l.schedule.expr, { l: index, L });
          if (!(Number.isFinite(v) && v >= 0)) {
            throw netError(where(`${path}.residual.schedule`), `s(l, L) = ${l.schedule.text} must be finite and >= 0, got ${v} at l = ${index}, L = ${L}`);
          }
        }
        sched(l.branch, `${path}.residual.branch`);
      } else if (l.kind === 'serial') sched(l.layers, `${path}.serial`);
      else if (l.kind === 'repeat') for (let k = 0; k < l.n; k++) sched(l.layers, `${path}.repeat.layers`);
    });
  };
  if (L > 0 && L <= 1_000_000) sched(d.layers, 'layers');
}

/** The classes of equal input diagonals: rep[a] = first b with K^0_bb = K^0_aa. */
export function diagonalClasses(d: NetDescription): number[] {
  const K = d.inputs.kernel;
  return K.map((row, a) => {
    for (let b = 0; b < a; b++) if (new Decimal(K[b][b]).eq(K[a][a])) return b;
    return a;
  });
}

/** The mean-field kernels of a described network at every recorded layer. */
export function netMeanField<T>(I: Interpretation<T>, d: NetDescription, opts: NetMeanFieldOptions<T> = {}): NetMeanField<T> {
  checkMeanFieldCovers(d);
  const F = I.F;
  const P = d.inputs.kernel.length;
  const rep = diagonalClasses(d);
  const zero = F.of(0);
  const symmetric = (f: (a: number, b: number) => T, diag: (a: number) => T): T[][] => {
    const K: T[][] = Array.from({ length: P }, () => new Array<T>(P));
    for (let a = 0; a < P; a++) {
      K[a][a] = rep[a] === a ? diag(a) : K[rep[a]][rep[a]];
      for (let b = 0; b < a; b++) K[a][b] = K[b][a] = f(b, a);
    }
    return K;
  };
  const perClass = (f: (a: number) => T): T[] => {
    const v: T[] = new Array<T>(P);
    for (let a = 0; a < P; a++) v[a] = rep[a] === a ? f(a) : v[rep[a]];
    return v;
  };
  const K0 = opts.input ?? symmetric((a, b) => F.of(d.inputs.kernel[a][b]), (a) => F.of(d.inputs.kernel[a][a]));
  const residualBlocks = countResidualBlocks(d.layers);
  const L = F.of(opts.blocks ?? residualBlocks);
  let blockIndex = 0;
  const rows: NetRow<T>[] = [{ label: 'input', kind: 'input', K: K0, m: perClass(() => zero) }];

  const check = (s: State<T>, label: string): void => {
    if (F.kind === 'symbolic') return;
    for (let a = 0; a < P; a++) {
      if (rep[a] !== a) continue;
      const q = s.K[a][a];
      if (!F.isFinite(q)) throw new NumericalError(`the kernel left the finite numbers at ${label} (K_${a + 1}${a + 1} = ${F.format(q, 6)})`, rows.length);
      if (F.toNumber(q) <= 0 && !(F.toNumber(q) === 0 && s.K[a].every((x) => F.toNumber(x) === 0))) {
        throw new NumericalError(`the kernel became non-positive at ${label}`, rows.length);
      }
    }
    for (let a = 0; a < P; a++) for (let b = 0; b < a; b++) if (!F.isFinite(s.K[b][a])) throw new NumericalError(`the kernel left the finite numbers at ${label}`, rows.length);
  };

  const denseStep = (s: State<T>, sw2s: string, sb2s: string): State<T> => {
    const sw2 = F.of(sw2s);
    const sb2 = F.of(sb2s);
    const map = (x: T) => F.add(sb2, F.mul(sw2, x));
    const K = symmetric((a, b) => map(s.K[a][b]), (a) => map(s.K[a][a]));
    opts.trace?.dense(sw2, sb2, K, traceLabel);
    return { K, m: perClass(() => zero), gaussian: true, zeroMean: true };
  };

  const actStep = (s: State<T>, l: Extract<Layer, { kind: 'act' }>): State<T> => {
    const phi = l.phi;
    opts.trace?.act(phi, s.K, traceLabel);
    const K = symmetric((a, b) => phiPhi(I, phi, s.K[a][a], s.K[a][b], s.K[b][b]), (a) => phiSquare(I, phi, s.K[a][a]));
    return { K, m: perClass((a) => phiMean(I, phi, s.K[a][a])), gaussian: phi.linear && phi.parity === 'odd', zeroMean: phi.parity === 'odd' };
  };

  const residualStep = (s: State<T>, l: Residual, path: string, iter: string): State<T> => {
    blockIndex++;
    const index = blockIndex;
    opts.trace?.residualEnter(`${iter}${path}`);
    const y = run(l.branch, s, `${path}.residual.branch`, iter, false);
    let alphaL = opts.alpha ?? F.of(l.alpha);
    if (l.schedule) alphaL = F.mul(alphaL, evaluateIn(F, l.schedule.expr, { l: F.of(index), L }));
    const stein = passesThroughDense(l.branch) ? undefined : steinActivation(l.branch);
    if (stein) return steinStep(s, y, stein, l.scaling === 'amplitude' ? alphaL : F.sqrt(alphaL));
    // g^2 multiplies the branch's second moment; g its mean (computed only when a mean meets a mean)
    const g2 = l.scaling === 'amplitude' ? F.mul(alphaL, alphaL) : alphaL;
    opts.trace?.residualExit(g2, `${iter}${path}`);
    const cross = !s.zeroMean && !y.zeroMean;
    const g = cross || !y.zeroMean ? (l.scaling === 'amplitude' ? alphaL : F.sqrt(alphaL)) : zero;
    const entry = (a: number, b: number): T => {
      let v = F.add(s.K[a][b], F.mul(g2, y.K[a][b]));
      if (cross) v = F.add(v, F.mul(g, F.add(F.mul(s.m[a], y.m[b]), F.mul(y.m[a], s.m[b]))));
      return v;
    };
    return {
      K: symmetric(entry, (a) => entry(a, a)),
      m: y.zeroMean ? s.m : perClass((a) => F.add(s.m[a], F.mul(g, y.m[a]))),
      gaussian: s.gaussian && y.gaussian,
      zeroMean: s.zeroMean && y.zeroMean,
    };
  };

  // x + g phi(x), x Gaussian with zero mean: E[x_a phi(x_b)] = K_ab <phi'>_(K_bb) (Stein's lemma)
  const steinStep = (s: State<T>, y: State<T>, a: Act, g: T): State<T> => {
    const e = perClass((b) => phiMean(I, a.phi.derivative(), s.K[b][b]));
    const g2 = F.mul(g, g);
    const entry = (p: number, q: number): T => F.add(F.add(s.K[p][q], F.mul(g, F.mul(s.K[p][q], F.add(e[p], e[q])))), F.mul(g2, y.K[p][q]));
    return {
      K: symmetric(entry, (p) => entry(p, p)),
      m: y.zeroMean ? s.m : perClass((p) => F.mul(g, y.m[p])),
      gaussian: s.gaussian && y.gaussian,
      zeroMean: y.zeroMean,
    };
  };

  const record = (s: State<T>, label: string, kind: Layer['kind']): void => {
    check(s, label);
    rows.push({ label, kind, K: s.K, m: s.m });
    opts.trace?.row(rows.length - 1);
  };

  // the label of the layer being applied, for the trace
  let traceLabel = '';
  function run(layers: readonly Layer[], s0: State<T>, prefix: string, iter: string, top: boolean): State<T> {
    let s = s0;
    layers.forEach((l, i) => {
      const path = `${prefix}[${i}]`;
      const label = `${iter}${path}`;
      traceLabel = label;
      switch (l.kind) {
        case 'dense':
        case 'readout':
          s = denseStep(s, l.sw2, l.sb2);
          if (top) record(s, label, l.kind);
          break;
        case 'act':
          s = actStep(s, l);
          break;
        case 'residual':
          s = residualStep(s, l, path, iter);
          if (top) record(s, label, l.kind);
          break;
        case 'serial':
          s = run(l.layers, s, `${path}.serial`, iter, top);
          break;
        case 'repeat':
          for (let k = 1; k <= l.n; k++) s = run(l.layers, s, `.layers`, `${iter}${path}.repeat(${k})`, top);
          break;
        default:
          // checkMeanFieldCovers refused these before any arithmetic
          throw netError({ source: d.source, path: named(path, l) }, 'not covered by the mean field');
      }
    });
    return s;
  }

  run(d.layers, { K: K0, m: rows[0].m, gaussian: true, zeroMean: true }, 'layers', '', true);
  return { P, rep, rows, residualBlocks };
}

/** The correlation K_ab / sqrt(K_aa K_bb) (K_ab / K_aa when the two share their diagonal). */
export function correlation<T>(I: Interpretation<T>, mf: NetMeanField<T>, K: T[][], a: number, b: number): T {
  const F = I.F;
  const qa = K[a][a];
  if (mf.rep[a] === mf.rep[b]) return F.kind !== 'symbolic' && F.toNumber(qa) === 0 ? F.of(1) : F.div(K[a][b], qa);
  return F.div(K[a][b], F.sqrt(F.mul(qa, K[b][b])));
}

/** The two-input view of inputs 0 and 1 (today's table): K_11, K_22, K_12, c and the means, per row. */
export function twoInputTable<T>(I: Interpretation<T>, mf: NetMeanField<T>): { q: T[]; q22: T[]; k12: T[]; c: T[]; m: T[]; m2: T[] } {
  if (mf.P < 2) throw new Error('twoInputTable needs at least two inputs');
  return {
    q: mf.rows.map((r) => r.K[0][0]),
    q22: mf.rows.map((r) => r.K[1][1]),
    k12: mf.rows.map((r) => r.K[0][1]),
    c: mf.rows.map((r) => correlation(I, mf, r.K, 0, 1)),
    m: mf.rows.map((r) => r.m[0]),
    m2: mf.rows.map((r) => r.m[1]),
  };
}
