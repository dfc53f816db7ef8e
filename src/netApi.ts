/**
 * The high-level API over network descriptions (src/model/net): mean-field kernels, response
 * functions and the optimal residual scale of any description the mean field covers, to verified
 * digits (two Decimal runs at different working precision agree; src/quantities/verified.ts).
 */
import Decimal from 'decimal.js';
import { NetDescription, Layer, netError } from './model/net/layers';
import { intParam } from './model/network';
import { NumericalError } from './model/errors';
import { Interpretation, float64Interp } from './interpret/numeric';
import { dualInterp } from './interpret/dual';
import { Dual } from './numeric/dual';
import { verifiedDecimal } from './quantities/verified';
import { netMeanField, checkMeanFieldCovers, correlation, countResidualBlocks, diagonalClasses } from './quantities/netMeanField';
import { locateMaximumOf, maximiseBySecant } from './quantities/optimal';

function checkDigits(digits: number | undefined, def = 16): number {
  return intParam('digits', digits ?? def, 1, 200);
}

export interface NetKernelResult {
  description: NetDescription;
  digits: number;
  /** Number of inputs P. */
  P: number;
  /** Where each row sits: "input", then e.g. "layers[0].repeat(3).layers[0]". */
  labels: string[];
  /** K^l (P x P) per row. */
  K: string[][][];
  /** Means m^l (P) per row. */
  m: string[][];
  /** Correlations K_ab / sqrt(K_aa K_bb) per row. */
  c: string[][][];
  /** Inputs 1 and 2 as today's table: K_11, K_12, c_12 and the mean of input 1, per row (P >= 2). */
  q?: string[];
  k12?: string[];
  c12?: string[];
  m1?: string[];
  /** True when inputs 1 and 2 have equal squared lengths (then K_22 = K_11 at every layer). */
  equalDiagonal: boolean;
}

/** Mean-field kernels (and means) of every recorded layer of a description, to `digits` verified digits. */
export function netKernel(d: NetDescription, opts: { digits?: number } = {}): NetKernelResult {
  const digits = checkDigits(opts.digits);
  checkMeanFieldCovers(d);
  let labels: string[] = [];
  let rep: number[] = [];
  const v = verifiedDecimal(digits, (I) => {
    const mf = netMeanField(I, d);
    labels = mf.rows.map((r) => r.label);
    rep = mf.rep;
    return {
      K: mf.rows.map((r) => r.K),
      m: mf.rows.map((r) => r.m),
      c: mf.rows.map((r) => r.K.map((row, a) => row.map((_, b) => (a === b ? new Decimal(1) : correlation(I, mf, r.K, a, b))))),
    };
  }).values as { K: string[][][]; m: string[][]; c: string[][][] };
  const P = d.inputs.kernel.length;
  const out: NetKernelResult = { description: d, digits, P, labels, K: v.K, m: v.m, c: v.c, equalDiagonal: P >= 2 && rep[1] === rep[0] };
  if (P >= 2) {
    out.q = v.K.map((K) => K[0][0]);
    out.k12 = v.K.map((K) => K[0][1]);
    out.c12 = v.c.map((c) => c[0][1]);
    out.m1 = v.m.map((m) => m[0]);
  }
  return out;
}

/** The sensitivity run: K^0 with dual entries, K^0_12 seeded (d = 1); every other entry constant. */
function seededInput<T>(I: Interpretation<T>, d: NetDescription, rep: number[], seed: T): Dual<T>[][] {
  const F = I.F;
  const P = d.inputs.kernel.length;
  const zero = F.of(0);
  const K: Dual<T>[][] = Array.from({ length: P }, () => new Array<Dual<T>>(P));
  for (let a = 0; a < P; a++) {
    K[a][a] = rep[a] === a ? { v: F.of(d.inputs.kernel[a][a]), d: zero } : K[rep[a]][rep[a]];
    for (let b = 0; b < a; b++) K[a][b] = K[b][a] = { v: F.of(d.inputs.kernel[b][a]), d: a === 1 && b === 0 ? seed : zero };
  }
  return K;
}

function needTwoInputs(d: NetDescription, what: string): void {
  if (d.inputs.kernel.length < 2) throw netError({ source: d.source, path: 'inputs' }, `${what} needs two inputs (give q0 and c0, or a kernel with P >= 2)`);
}

/** The one-input description of input 1 alone (its diagonal chain does not depend on the others). */
function firstInputOnly(d: NetDescription): NetDescription {
  return { ...d, inputs: { kernel: [[d.inputs.kernel[0][0]]] } };
}

interface NetResponse<T> {
  /** Per row: dK^l_11/dK^0_11. */
  chi: T[];
  /** Per row: dK^l_12/dK^0_12 at fixed diagonal. */
  chi12: T[];
  /** Per row: dc^l/dc^0 at fixed diagonal. */
  sensitivity: T[];
  labels: string[];
}

/** Response functions of a description at every recorded layer: exact derivatives by dual numbers. */
export function netMeanFieldResponse<T>(I: Interpretation<T>, d: NetDescription): NetResponse<T> {
  needTwoInputs(d, 'a response function');
  const F = I.F;
  const D = dualInterp(I);
  const one = F.of(1);
  // dK^l_11/dK^0_11: input 1 alone, its squared length seeded
  const single = firstInputOnly(d);
  const chiRows = netMeanField(D, single, { input: [[{ v: F.of(d.inputs.kernel[0][0]), d: one }]] }).rows;
  const rep = diagonalClasses(d);
  const same = rep[0] === rep[1];
  const sens = netMeanField(D, d, { input: seededInput(I, d, rep, one) });
  const r0 = sens.rows[0].K;
  // dc^0 = dK^0_12 / sqrt(K^0_11 K^0_22)
  const scale0 = same ? r0[0][0].v : F.sqrt(F.mul(r0[0][0].v, r0[1][1].v));
  return {
    chi: chiRows.map((r) => r.K[0][0].d),
    chi12: sens.rows.map((r) => r.K[0][1].d),
    sensitivity: sens.rows.map((r) => {
      const s = same ? r.K[0][0].v : F.sqrt(F.mul(r.K[0][0].v, r.K[1][1].v));
      return F.mul(F.div(scale0, s), r.K[0][1].d);
    }),
    labels: sens.rows.map((r) => r.label),
  };
}

export interface NetResponseResult {
  description: NetDescription;
  digits: number;
  /** At the last layer: dK^L_11/dK^0_11, dK^L_12/dK^0_12 (fixed diagonal), S = dc^L/dc^0 (fixed diagonal). */
  chi: string;
  chi12: string;
  sensitivity: string;
  /** The same per recorded layer (row 0: the input, where all three are 1). */
  labels: string[];
  chi_l: string[];
  chi12_l: string[];
  sensitivity_l: string[];
}

/** Mean-field response functions of a description to `digits` verified digits. */
export function netResponse(d: NetDescription, opts: { digits?: number } = {}): NetResponseResult {
  const digits = checkDigits(opts.digits);
  checkMeanFieldCovers(d);
  needTwoInputs(d, 'a response function');
  let labels: string[] = [];
  const v = verifiedDecimal(digits, (I) => {
    const r = netMeanFieldResponse(I, d);
    labels = r.labels;
    return { chi: r.chi, chi12: r.chi12, sensitivity: r.sensitivity };
  }).values as { chi: string[]; chi12: string[]; sensitivity: string[] };
  const last = (xs: string[]) => xs[xs.length - 1];
  return {
    description: d, digits, chi: last(v.chi), chi12: last(v.chi12), sensitivity: last(v.sensitivity),
    labels, chi_l: v.chi, chi12_l: v.chi12, sensitivity_l: v.sensitivity,
  };
}

/** Every activation of a description (for the closed-form check of optimal-alpha). */
function activations(layers: readonly Layer[], prefix: string, out: { path: string; name: string; closed: boolean }[] = []): typeof out {
  layers.forEach((l, i) => {
    const path = `${prefix}[${i}]`;
    if (l.kind === 'act') out.push({ path, name: l.phi.name, closed: l.phi.closedForm !== undefined });
    else if (l.kind === 'residual') activations(l.branch, `${path}.residual.branch`, out);
    else if (l.kind === 'serial') activations(l.layers, `${path}.serial`, out);
    else if (l.kind === 'repeat') activations(l.layers, `${path}.repeat.layers`, out);
  });
  return out;
}

/**
 * S(alpha) = dc^L/dc^0 and dS/dalpha with one alpha shared by every residual block (alpha_l = alpha s(l, L)):
 * nested dual numbers, the inner ones along c0, the outer ones along alpha. Exact (closed-form moments).
 */
export function netSensitivityAndSlope<T>(I: Interpretation<T>, d: NetDescription, rep: number[], alpha: T): { s: T; ds: T } {
  const F = I.F;
  const inner = dualInterp(I);
  const outer = dualInterp(inner);
  const zero = F.of(0);
  const c = (x: T): Dual<T> => ({ v: x, d: zero });
  const P = d.inputs.kernel.length;
  const base = seededInput(I, d, rep, F.of(1));
  const input: Dual<Dual<T>>[][] = base.map((row) => row.map((x) => ({ v: x, d: c(zero) })));
  for (let a = 0; a < P; a++) input[a][a] = input[rep[a]][rep[a]];
  const mf = netMeanField(outer, d, { input, alpha: { v: c(alpha), d: c(F.of(1)) } });
  const K = mf.rows[mf.rows.length - 1].K;
  const A = K[0][1];
  const q0 = F.of(d.inputs.kernel[0][0]);
  if (rep[0] === rep[1]) {
    // S = q0 A_c / B with A_c = dK^L_12/dK^0_12 and B = K^L_11
    const B = K[0][0];
    const s = F.div(F.mul(q0, A.v.d), B.v.v);
    const ds = F.div(F.mul(q0, F.sub(F.mul(A.d.d, B.v.v), F.mul(A.v.d, B.d.v))), F.mul(B.v.v, B.v.v));
    return { s, ds };
  }
  // S = sqrt(K^0_11 K^0_22) A_c / sqrt(B1 B2): differentiate B = sqrt(B1 B2) along alpha
  const scale0 = F.sqrt(F.mul(q0, F.of(d.inputs.kernel[1][1])));
  const b = (x: Dual<Dual<T>>) => ({ v: x.v.v, d: x.d.v });
  const B1 = b(K[0][0]);
  const B2 = b(K[1][1]);
  const Bv = F.sqrt(F.mul(B1.v, B2.v));
  const Bd = F.div(F.add(F.mul(B1.d, B2.v), F.mul(B1.v, B2.d)), F.mul(F.of(2), Bv));
  const s = F.div(F.mul(scale0, A.v.d), Bv);
  const ds = F.div(F.mul(scale0, F.sub(F.mul(A.d.d, Bv), F.mul(A.v.d, Bd))), F.mul(Bv, Bv));
  return { s, ds };
}

export interface NetOptimalAlphaResult {
  description: NetDescription;
  digits: number;
  /** false when S(alpha) has no interior maximum on the scanned range (then alpha and sensitivity are null). */
  interior: boolean;
  alpha: string | null;
  sensitivity: string | null;
  note?: string;
  /** The float64 scan of S(alpha). */
  scan: { alpha: number; s: number }[];
}

/**
 * The alpha > 0 maximising S = dc^L/dc^0 with one alpha shared by every residual block (each
 * block's own alpha is ignored; schedules still apply: alpha_l = alpha s(l, L)), to `digits`
 * verified digits: float64 scan and golden section, then a secant on the exact dS/dalpha in Decimal.
 */
export function netOptimalAlpha(d: NetDescription, opts: { digits?: number } = {}): NetOptimalAlphaResult {
  const digits = checkDigits(opts.digits);
  checkMeanFieldCovers(d);
  needTwoInputs(d, 'the optimal residual scale');
  if (countResidualBlocks(d.layers) === 0) throw netError({ source: d.source, path: 'layers' }, 'the optimal residual scale needs at least one residual block');
  const open = activations(d.layers, 'layers').find((a) => !a.closed);
  if (open) {
    throw netError(
      { source: d.source, path: `${open.path} (act)` },
      `optimal-alpha over a layer description needs closed-form Gaussian moments (relu, erf, linear, relu-power:n with integer n), got "${open.name}"`,
    );
  }
  const rep = diagonalClasses(d);
  const S64 = (alpha: number): number => {
    try {
      return netSensitivityAndSlope(float64Interp, d, rep, alpha).s;
    } catch (e) {
      if (e instanceof NumericalError) return NaN;
      throw e;
    }
  };
  const loc = locateMaximumOf(S64, 1e-3, 20, 161);
  const base = { description: d, digits, scan: loc.scan };
  if (!loc.interior) {
    const atZero = loc.alpha0 === loc.scan[0].alpha;
    const range = `alpha in [${loc.scan[0].alpha}, ${loc.scan[loc.scan.length - 1].alpha}]`;
    return {
      ...base, interior: false, alpha: null, sensitivity: null,
      note: atZero ? `no interior maximum: S(alpha) decreases over the whole scanned range ${range}` : `no interior maximum in the scanned range ${range}: S(alpha) still increases at its upper end`,
    };
  }
  let polished = loc.alpha0;
  try {
    const p = maximiseBySecant(float64Interp, (a) => netSensitivityAndSlope(float64Interp, d, rep, a), loc.alpha0).alpha;
    if (Number.isFinite(p) && Math.abs(p - loc.alpha0) < 1e-3 * loc.alpha0) polished = p;
  } catch (e) {
    if (!(e instanceof NumericalError)) throw e;
  }
  let warm: { alpha: string; spread: number } | undefined;
  const v = verifiedDecimal(digits, (I) => {
    const slope = (a: Decimal) => netSensitivityAndSlope(I, d, rep, a);
    const r = warm === undefined ? maximiseBySecant(I, slope, polished) : maximiseBySecant(I, slope, warm.alpha, warm.spread);
    warm = { alpha: String(r.alpha), spread: 10 ** -(I.F.digits - 6) };
    return { alpha: r.alpha, sensitivity: r.sensitivity };
  }).values as Record<string, string>;
  return { ...base, interior: true, alpha: v.alpha, sensitivity: v.sensitivity };
}
