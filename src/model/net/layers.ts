/**
 * A network as a value built from layers (in the manner of neural-tangents' stax combinators):
 *
 *   net({ inputs: { q0: 1, c0: 0.6 }, layers: [repeat(8, residual(0.6, [dense(1.5, 0.05), act('erf')]))] })
 *
 * Every layer is a plain immutable record; interpretations (mean field, responses, simulators)
 * walk the tree. Numeric parameters are kept as the exact decimal strings the user wrote (see
 * realParam), so that Decimal and symbolic interpretations see 0.05 as 1/20.
 *
 *   dense(sw2, sb2)        h <- W h + b,  W_ij ~ N(0, sw2/fan_in), b_i ~ N(0, sb2), fresh per layer and per repeat
 *   act(phi)               h <- phi(h) elementwise
 *   residual(alpha, br)    x <- x + alpha_l * br(x)  (amplitude scaling; variance scaling: sqrt(alpha_l))
 *                          alpha_l = alpha * s(l, L), l = 1-based index of the residual block, L = their number
 *   serial(...layers)      composition
 *   repeat(n, body)        body n times (fresh weights each time)
 *   batchnorm({...})       batch normalisation over a batch of B inputs, with eps, gamma, beta
 *   conv({...})            convolution with kernel size, variance profile and padding
 *   readout(sw2, sb2)      the output layer (a dense layer to the outputs)
 */
import { Activation, activation } from '../activation';
import { InputError } from '../errors';
import { realParam, intParam, Scaling } from '../network';
import { Expr, parse, freeSymbols, ParseError } from '../../symbolic';

export interface Dense {
  readonly kind: 'dense';
  readonly sw2: string;
  readonly sb2: string;
}

export interface Act {
  readonly kind: 'act';
  readonly phi: Activation;
}

/** alpha_l = alpha * s(l, L); `expr` is s parsed by the symbolic core (free symbols l and L only). */
export interface Schedule {
  readonly text: string;
  readonly expr: Expr;
}

export interface Residual {
  readonly kind: 'residual';
  /** The global residual scale (the one optimal-alpha varies). */
  readonly alpha: string;
  /** Depth dependence alpha_l = alpha * s(l, L); absent means s = 1. */
  readonly schedule?: Schedule;
  /** amplitude: x + alpha_l br(x); variance: x + sqrt(alpha_l) br(x). */
  readonly scaling: Scaling;
  readonly branch: readonly Layer[];
}

export interface Serial {
  readonly kind: 'serial';
  readonly layers: readonly Layer[];
}

export interface Repeat {
  readonly kind: 'repeat';
  readonly n: number;
  readonly layers: readonly Layer[];
}

export interface BatchNorm {
  readonly kind: 'batchnorm';
  /** Batch size B >= 2 (the statistics are over the B inputs of the batch). */
  readonly batch: number;
  readonly eps: string;
  readonly gamma: string;
  readonly beta: string;
}

export type Padding = 'circular' | 'zero';

export interface Conv {
  readonly kind: 'conv';
  readonly kernelSize: number;
  /** Spatial dimensions of the feature maps (1 or 2). */
  readonly dims: number;
  /**
   * Weight-variance profile over the kernelSize^dims taps (row-major): "uniform" (1/kernelSize^dims
   * each), "delta" (all on the centre tap), or exact decimal strings summing to 1.
   */
  readonly profile: 'uniform' | 'delta' | readonly string[];
  readonly padding: Padding;
  /**
   * How the taps are drawn: "gaussian" (W_ij(beta) ~ N(0, sw2 v(beta)/C), the default) or
   * "orthogonal" (profile "delta" only: a Haar-orthogonal centre tap scaled by sqrt(sw2), the
   * delta-orthogonal initialisation). The mean field is the same; finite-width Jacobians are not.
   */
  readonly weights: ConvWeights;
  readonly sw2: string;
  readonly sb2: string;
}

export type ConvWeights = 'gaussian' | 'orthogonal';

export interface Readout {
  readonly kind: 'readout';
  readonly sw2: string;
  readonly sb2: string;
}

export type Layer = Dense | Act | Residual | Serial | Repeat | BatchNorm | Conv | Readout;
export type LayerKind = Layer['kind'];

/** The input kernel K^0 (P x P, symmetric, exact decimal strings). */
export interface Inputs {
  readonly kernel: readonly (readonly string[])[];
  /** Set when given as { q0, c0 }: K^0 = q0 [[1, c0], [c0, 1]]. */
  readonly q0?: string;
  readonly c0?: string;
}

export interface NetDescription {
  readonly kind: 'net';
  /** Where it was read from (a file name), for error messages. */
  readonly source?: string;
  readonly inputs: Inputs;
  readonly layers: readonly Layer[];
}

// ---------------------------------------------------------------------------------------
// Validation context: where a value sits (a path inside a file or in the builder call).

export interface Where {
  /** The file (or other source) the description came from, e.g. "net.json"; undefined for the builder API. */
  readonly source?: string;
  /** Path inside it, e.g. "layers[0].repeat.layers[0].residual.branch". */
  readonly path: string;
}

/** The one-line error of a bad description: `--net FILE: PATH: detail` (exit 2; `--net: PATH: detail` without a file). */
export function netError(where: Where, detail: string): InputError {
  const param = where.source === undefined ? 'net' : `net ${where.source}`;
  return new InputError(param, where.path === '' ? detail : `${where.path}: ${detail}`);
}

export function at(where: Where, key: string | number): Where {
  const path = typeof key === 'number' ? `${where.path}[${key}]` : where.path === '' ? key : `${where.path}.${key}`;
  return { source: where.source, path };
}

export type Real = string | number;

const VARIANCE = { min: 0, what: '>= 0 (a variance)' };

/** A real parameter as an exact decimal string, errors naming `where`. */
export function realAt(where: Where, v: unknown, range: { min?: number; max?: number; minExclusive?: boolean; what: string }): string {
  if (typeof v !== 'number' && typeof v !== 'string') throw netError(where, `expected a real number ${range.what}, got ${describeValue(v)}`);
  try {
    return realParam(where.path, v, range);
  } catch (e) {
    if (e instanceof InputError) throw netError(where, e.message.slice(e.message.indexOf(': ') + 2));
    throw e;
  }
}

export function intAt(where: Where, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' && typeof v !== 'string') throw netError(where, `expected an integer in ${min}..${max}, got ${describeValue(v)}`);
  try {
    return intParam(where.path, v, min, max);
  } catch (e) {
    if (e instanceof InputError) throw netError(where, e.message.slice(e.message.indexOf(': ') + 2));
    throw e;
  }
}

export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  return typeof v === 'string' ? `"${v}"` : String(v);
}

export const MAX_REPEAT = 10_000_000;

// ---------------------------------------------------------------------------------------
// Checked constructors (used by the builder API and by the JSON reader).

export function makeDense(where: Where, sw2: unknown, sb2: unknown): Dense {
  return { kind: 'dense', sw2: realAt(at(where, 'sw2'), sw2, VARIANCE), sb2: realAt(at(where, 'sb2'), sb2 ?? '0', VARIANCE) };
}

export function makeReadout(where: Where, sw2: unknown, sb2: unknown): Readout {
  return { kind: 'readout', sw2: realAt(at(where, 'sw2'), sw2, VARIANCE), sb2: realAt(at(where, 'sb2'), sb2 ?? '0', VARIANCE) };
}

export function makeAct(where: Where, phi: unknown): Act {
  if (typeof phi === 'object' && phi !== null && typeof (phi as Activation).f64 === 'function') return { kind: 'act', phi: phi as Activation };
  if (typeof phi !== 'string') throw netError(where, `expected an activation name or an expression in x, got ${describeValue(phi)}`);
  try {
    return { kind: 'act', phi: activation(phi) };
  } catch (e) {
    if (e instanceof InputError) throw netError(where, e.message.slice(e.message.indexOf(': ') + 2));
    throw e;
  }
}

export function makeSchedule(where: Where, text: unknown): Schedule {
  if (typeof text !== 'string' && typeof text !== 'number') throw netError(where, `expected an expression in l and L such as "1/sqrt(L)", got ${describeValue(text)}`);
  const src = String(text).trim();
  let expr: Expr;
  try {
    expr = parse(src);
  } catch (e) {
    const why = e instanceof ParseError ? e.message : String(e);
    throw netError(where, `"${src}" is not an expression in l and L: ${why}`);
  }
  const free = [...freeSymbols(expr)].filter((s) => s !== 'l' && s !== 'L' && s !== 'pi' && s !== 'e');
  if (free.length > 0) throw netError(where, `a schedule may use only l (the block index, 1-based) and L (the number of blocks), found ${free.join(', ')}`);
  return { text: src, expr };
}

export function makeResidual(where: Where, alpha: unknown, schedule: unknown, scaling: unknown, branch: readonly Layer[]): Residual {
  const a = realAt(at(where, 'alpha'), alpha, { min: 0, what: '>= 0' });
  const sc = scaling === undefined ? 'amplitude' : scaling;
  if (sc !== 'amplitude' && sc !== 'variance') throw netError(at(where, 'scaling'), `must be "amplitude" or "variance", got ${describeValue(sc)}`);
  if (branch.length === 0) throw netError(at(where, 'branch'), 'empty branch');
  return {
    kind: 'residual', alpha: a, scaling: sc, branch,
    ...(schedule === undefined ? {} : { schedule: makeSchedule(at(where, 'schedule'), schedule) }),
  };
}

export function makeRepeat(where: Where, n: unknown, layers: readonly Layer[], nWhere: Where = at(where, 'n')): Repeat {
  const count = intAt(nWhere, n, 0, MAX_REPEAT);
  if (layers.length === 0) throw netError(at(where, 'layers'), 'empty body');
  return { kind: 'repeat', n: count, layers };
}

export function makeSerial(where: Where, layers: readonly Layer[]): Serial {
  if (layers.length === 0) throw netError(where, 'empty serial');
  return { kind: 'serial', layers };
}

export interface BatchNormOptions {
  batch: Real;
  eps?: Real;
  gamma?: Real;
  beta?: Real;
}

export function makeBatchNorm(where: Where, o: Partial<Record<keyof BatchNormOptions, unknown>>): BatchNorm {
  if (o.batch === undefined) throw netError(at(where, 'batch'), 'missing (the batch size B >= 2)');
  return {
    kind: 'batchnorm',
    batch: intAt(at(where, 'batch'), o.batch, 2, 1_000_000),
    eps: realAt(at(where, 'eps'), o.eps ?? '0', { min: 0, what: '>= 0' }),
    gamma: realAt(at(where, 'gamma'), o.gamma ?? '1', { what: '(a real number)' }),
    beta: realAt(at(where, 'beta'), o.beta ?? '0', { what: '(a real number)' }),
  };
}

export interface ConvOptions {
  kernelSize: number | string;
  dims?: number | string;
  /** "uniform" (the default), "delta" (all variance on the centre tap), or kernelSize^dims weights. */
  profile?: string | Real[];
  padding?: Padding;
  /** "gaussian" (the default) or "orthogonal" (with profile "delta": the delta-orthogonal kernel). */
  weights?: ConvWeights;
  sw2: Real;
  sb2?: Real;
}

export function makeConv(where: Where, o: Partial<Record<keyof ConvOptions, unknown>>): Conv {
  if (o.kernelSize === undefined) throw netError(at(where, 'kernelSize'), 'missing (an odd kernel size >= 1)');
  const k = intAt(at(where, 'kernelSize'), o.kernelSize, 1, 1001);
  if (k % 2 === 0) throw netError(at(where, 'kernelSize'), `must be odd (a centred kernel), got ${k}`);
  const dims = intAt(at(where, 'dims'), o.dims ?? 1, 1, 2);
  const taps = k ** dims;
  const padding = o.padding ?? 'circular';
  if (padding !== 'circular' && padding !== 'zero') throw netError(at(where, 'padding'), `must be "circular" or "zero", got ${describeValue(padding)}`);
  const prof = o.profile ?? 'uniform';
  let profile: Conv['profile'];
  if (prof === 'uniform' || prof === 'delta') profile = prof;
  else if (Array.isArray(prof)) {
    if (prof.length !== taps) throw netError(at(where, 'profile'), `needs ${taps} weights (kernelSize^dims), got ${prof.length}`);
    const weights = prof.map((x, i) => realAt(at(at(where, 'profile'), i), x, { min: 0, what: '>= 0 (a variance weight)' }));
    const sum = weights.reduce((t, x) => t + Number(x), 0);
    if (!(Math.abs(sum - 1) < 1e-12)) throw netError(at(where, 'profile'), `the weights must sum to 1, got ${sum}`);
    profile = weights;
  } else throw netError(at(where, 'profile'), `expected "uniform", "delta" or a list of ${taps} weights, got ${describeValue(prof)}`);
  const weights = o.weights ?? 'gaussian';
  if (weights !== 'gaussian' && weights !== 'orthogonal') throw netError(at(where, 'weights'), `must be "gaussian" or "orthogonal", got ${describeValue(weights)}`);
  if (weights === 'orthogonal' && profile !== 'delta') throw netError(at(where, 'weights'), '"orthogonal" needs the profile "delta" (a Haar-orthogonal centre tap)');
  return {
    kind: 'conv', kernelSize: k, dims, profile, padding, weights,
    sw2: realAt(at(where, 'sw2'), o.sw2, VARIANCE),
    sb2: realAt(at(where, 'sb2'), o.sb2 ?? '0', VARIANCE),
  };
}

export interface InputsOptions {
  q0?: Real;
  c0?: Real;
  kernel?: Real[][];
}

export function makeInputs(where: Where, o: unknown): Inputs {
  if (typeof o !== 'object' || o === null || Array.isArray(o)) throw netError(where, `expected { "q0": ..., "c0": ... } or { "kernel": [[...], ...] }, got ${describeValue(o)}`);
  const r = o as Record<string, unknown>;
  for (const key of Object.keys(r)) {
    if (!['q0', 'c0', 'kernel'].includes(key)) throw netError(at(where, key), 'unknown key (inputs take q0 and c0, or kernel)');
  }
  if (r.kernel !== undefined) {
    if (r.q0 !== undefined || r.c0 !== undefined) throw netError(where, 'give either q0 and c0, or kernel, not both');
    const kw = at(where, 'kernel');
    if (!Array.isArray(r.kernel) || r.kernel.length === 0) throw netError(kw, `expected a P x P matrix (a list of P >= 1 rows), got ${describeValue(r.kernel)}`);
    const P = r.kernel.length;
    const K = r.kernel.map((row, a) => {
      if (!Array.isArray(row) || row.length !== P) throw netError(at(kw, a), `expected a row of ${P} numbers`);
      return row.map((x, b) => realAt(at(at(kw, a), b), x, { what: '(a real number)' }));
    });
    for (let a = 0; a < P; a++) {
      if (!(Number(K[a][a]) > 0)) throw netError(at(at(kw, a), a), `a diagonal entry must be > 0 (an input's squared length), got ${K[a][a]}`);
      for (let b = 0; b < a; b++) {
        if (Number(K[a][b]) !== Number(K[b][a])) throw netError(at(at(kw, a), b), `the kernel must be symmetric: K[${a}][${b}] = ${K[a][b]} but K[${b}][${a}] = ${K[b][a]}`);
        if (Number(K[a][b]) ** 2 > Number(K[a][a]) * Number(K[b][b]) * (1 + 1e-15)) {
          throw netError(at(at(kw, a), b), `|K[${a}][${b}]| must not exceed sqrt(K[${a}][${a}] K[${b}][${b}]) (a covariance)`);
        }
        K[a][b] = K[b][a];
      }
    }
    return { kernel: K };
  }
  if (r.q0 === undefined) throw netError(at(where, 'q0'), 'missing (the input variance, > 0; or give "kernel")');
  const q0 = realAt(at(where, 'q0'), r.q0, { min: 0, minExclusive: true, what: '> 0 (the input variance)' });
  const c0 = realAt(at(where, 'c0'), r.c0 ?? '0', { min: -1, max: 1, what: 'in [-1, 1] (a correlation)' });
  return { kernel: [[q0, offDiagonal(q0, c0)], [offDiagonal(q0, c0), q0]], q0, c0 };
}

/** q0 * c0 as an exact decimal string (both are decimal strings). */
function offDiagonal(q0: string, c0: string): string {
  return mulDecimalStrings(q0, c0);
}

/** Exact product of two decimal strings (no rounding): digits multiplied as BigInts. */
export function mulDecimalStrings(a: string, b: string): string {
  const parse1 = (s: string): { m: bigint; e: number } => {
    const t = s.trim().toLowerCase();
    const [mant, expPart] = t.split('e');
    const exp = expPart === undefined ? 0 : Number(expPart);
    const neg = mant.startsWith('-');
    const body = mant.replace(/^[+-]/, '');
    const [ip, fp = ''] = body.split('.');
    const digits = (ip + fp).replace(/^0+(?=\d)/, '') || '0';
    return { m: (neg ? -1n : 1n) * BigInt(digits), e: exp - fp.length };
  };
  const x = parse1(a);
  const y = parse1(b);
  let m = x.m * y.m;
  let e = x.e + y.e;
  if (m === 0n) return '0';
  while (m % 10n === 0n) {
    m /= 10n;
    e++;
  }
  const neg = m < 0n;
  const s = (neg ? -m : m).toString();
  let out: string;
  if (e >= 0) out = s + '0'.repeat(e);
  else if (-e < s.length) out = `${s.slice(0, s.length + e)}.${s.slice(s.length + e)}`;
  else out = `0.${'0'.repeat(-e - s.length)}${s}`;
  return (neg ? '-' : '') + out;
}

// ---------------------------------------------------------------------------------------
// The builder API.

const BUILDER: Where = { path: '' };

/** h <- W h + b with W_ij ~ N(0, sw2/fan_in), b_i ~ N(0, sb2). */
export function dense(sw2: Real, sb2: Real = 0): Dense {
  return makeDense(at(BUILDER, 'dense'), sw2, sb2);
}

/** The output layer: a dense layer to the outputs. */
export function readout(sw2: Real, sb2: Real = 0): Readout {
  return makeReadout(at(BUILDER, 'readout'), sw2, sb2);
}

/** phi applied elementwise: a built-in name (erf, relu, tanh, ...), relu-power:k, an expression in x, or an Activation. */
export function act(phi: string | Activation): Act {
  return makeAct(at(BUILDER, 'act'), phi);
}

export interface ResidualScale {
  alpha: Real;
  /** s(l, L) in alpha_l = alpha * s(l, L), e.g. "1/sqrt(L)" or "1/l". */
  schedule?: string;
  scaling?: Scaling;
}

/** x <- x + alpha_l * branch(x). */
export function residual(alpha: Real | ResidualScale, ...branch: (Layer | readonly Layer[])[]): Residual {
  const s: ResidualScale = typeof alpha === 'object' ? alpha : { alpha };
  return makeResidual(at(BUILDER, 'residual'), s.alpha, s.schedule, s.scaling, flat(branch));
}

export function serial(...layers: (Layer | readonly Layer[])[]): Serial {
  return makeSerial(at(BUILDER, 'serial'), flat(layers));
}

/** `body` n times, with fresh weights each time. */
export function repeat(n: number, ...body: (Layer | readonly Layer[])[]): Repeat {
  return makeRepeat(at(BUILDER, 'repeat'), n, flat(body));
}

export function batchnorm(o: BatchNormOptions): BatchNorm {
  return makeBatchNorm(at(BUILDER, 'batchnorm'), o as unknown as Record<string, unknown>);
}

export function conv(o: ConvOptions): Conv {
  return makeConv(at(BUILDER, 'conv'), o as unknown as Record<string, unknown>);
}

/** A network description: the inputs (K^0) and the layers. */
export function net(o: { inputs: InputsOptions | Inputs; layers: (Layer | readonly Layer[])[] }): NetDescription {
  const layers = flat(o.layers);
  if (layers.length === 0) throw netError(at(BUILDER, 'layers'), 'a network needs at least one layer');
  const inputs = isInputs(o.inputs) ? o.inputs : makeInputs(at(BUILDER, 'inputs'), o.inputs);
  return { kind: 'net', inputs, layers };
}

function isInputs(x: InputsOptions | Inputs): x is Inputs {
  return Array.isArray(x.kernel) && x.kernel.every((row) => row.every((v) => typeof v === 'string'));
}

function flat(xs: readonly (Layer | readonly Layer[])[]): Layer[] {
  return xs.flatMap((x) => (Array.isArray(x) ? (x as Layer[]) : [x as Layer]));
}

/** Number of inputs P. */
export function inputCount(d: NetDescription): number {
  return d.inputs.kernel.length;
}
