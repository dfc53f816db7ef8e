/**
 * The one-loop (1/N) API over network descriptions (src/model/net): the composed theory of
 * src/quantities/loop/netOneLoop.ts, every number computed twice (a second quadrature tolerance
 * and finite-difference step) and printed with the digits on which the two agree.
 */
import { NetDescription, netError } from './model/net/layers';
import { intParam } from './model/network';
import { NumericalError } from './model/errors';
import { float64Interp } from './interpret/numeric';
import { formatWithError } from './api';
import { NetOptimalAlphaResult, NetResponseResult, netOptimalAlpha, netResponse, netSensitivityAndSlope } from './netApi';
import { diagonalClasses } from './quantities/netMeanField';
import { finiteWidthOptimumOf } from './quantities/optimal';
import { sensitivityC0Step } from './quantities/loop';
import { agreedArray } from './numeric/agreed';
import { formatNumber } from './io/format';
import { NetOneLoop, checkNetOneLoopCovers, netOneLoop64 } from './quantities/loop/netOneLoop';

/** The second evaluation: a tighter quadrature and half the finite-difference steps. */
export const NET_LOOP_CHECK = { tol: 1e-12, step: 0.5 };

export interface NetLoopTableResult {
  P: number;
  /** Entry names ('11' or '11', '12', '22'). */
  entries: string[];
  /** One row per recorded layer (netKernel's rows): the mean-field K and the 1/N coefficients, agreed digits. */
  rows: {
    layer: string;
    K: string[];
    k1: string[];
    /** The curvature (tadpole) part of k1 alone. */
    k1_curvature: string[];
    /** lim N Var(K_hat_e) per entry. */
    varK: string[];
    c?: string;
    chat1?: string;
    /** With a width: K + k1 / N. */
    K_N?: string[];
  }[];
  /** One row per dense layer: C = sw2 G + sb2 of its output and c1, its curvature part, varC. */
  dense: { layer: string; C: string[]; c1: string[]; c1_curvature: string[]; varC: string[] }[];
  width?: number;
  /** Largest relative Richardson correction of the derivatives in the first evaluation. */
  fdError: number;
  method: string;
  check: string;
}


/**
 * Scales for agreedArray: the running largest |entry|, but at least 1e-7 of the natural size
 * (the kernel, or its square for variances) so that an exact zero computed as rounding noise
 * prints as 0 instead of failing the agreement test.
 */
function floors(xs: number[], natural: number[]): number[] {
  let run = 0;
  return xs.map((x, l) => {
    run = Math.max(run, Math.abs(x));
    return Math.max(run, 1e-7 * Math.abs(natural[l]));
  });
}

/** The one-loop table of a description (the composed theory), agreed digits. */
export function netLoopTable(d: NetDescription, opts: { width?: number } = {}): NetLoopTableResult {
  const width = opts.width !== undefined ? intParam('width', opts.width, 1, 1_000_000_000) : undefined;
  const a = netOneLoop64(d);
  const b = netOneLoop64(d, { num: NET_LOOP_CHECK });
  return agreeTables(a, b, width);
}

/** One quantity of the two evaluations' rows (xs, ys), printed with the digits on which they agree. */
function agree<R>(xs: R[], ys: R[], f: (r: R) => number, name: string, natural: number[], scales?: number[]): string[] {
  const x = xs.map(f);
  return agreedArray(x, ys.map(f), name, scales ?? floors(x, natural)) as string[];
}

function agreeTables(a: NetOneLoop, b: NetOneLoop, width: number | undefined): NetLoopTableResult {
  const nE = a.entries.length;
  const kSize = (e: number) => a.rows.map((r) => Math.abs(r.K[e]));
  const cSize = (e: number) => a.fields.map((r) => Math.abs(r.C[e]));
  type Row = NetOneLoop['rows'][number];
  type Field = NetOneLoop['fields'][number];
  const agreeCol = (f: (r: Row) => number, name: string, natural: number[], scales?: number[]) => agree(a.rows, b.rows, f, name, natural, scales);
  const agreeDense = (f: (r: Field) => number, name: string, natural: number[], scales?: number[]) => agree(a.fields, b.fields, f, name, natural, scales);
  const sq = (xs: number[]) => xs.map((x) => x * x);
  const ones = a.rows.map(() => 1);
  const perEntry = <T>(f: (e: number) => T[]): T[][] => Array.from({ length: nE }, (_, e) => f(e));
  const K = perEntry((e) => agreeCol((r) => r.K[e], `K_${a.entries[e]}`, kSize(e)));
  const C = perEntry((e) => agreeDense((r) => r.C[e], `C_${a.entries[e]}`, cSize(e)));
  const c = a.P === 2 ? agreeCol((r) => r.c as number, 'c', ones) : undefined;
  const k1 = perEntry((e) => agreeCol((r) => r.k1[e], `k1_${a.entries[e]}`, kSize(e)));
  const k1c = perEntry((e) => agreeCol((r) => r.k1Curvature[e], `k1_curvature_${a.entries[e]}`, kSize(e), floors(a.rows.map((r) => r.k1[e]), kSize(e))));
  const varK = perEntry((e) => agreeCol((r) => r.cov[e][e], `varK_${a.entries[e]}`, sq(kSize(0))));
  const chat1 = a.P === 2 ? agreeCol((r) => r.chat1 as number, 'chat1', ones) : undefined;
  const c1 = perEntry((e) => agreeDense((r) => r.c1[e], `c1_${a.entries[e]}`, cSize(e)));
  const c1c = perEntry((e) => agreeDense((r) => r.c1Curvature[e], `c1_curvature_${a.entries[e]}`, cSize(e), floors(a.fields.map((r) => r.c1[e]), cSize(e))));
  const varC = perEntry((e) => agreeDense((r) => r.varC[e], `varC_${a.entries[e]}`, sq(cSize(0))));
  return {
    P: a.P,
    entries: a.entries,
    rows: a.rows.map((r, l) => ({
      layer: r.label,
      K: K.map((col) => col[l]),
      k1: k1.map((col) => col[l]),
      k1_curvature: k1c.map((col) => col[l]),
      varK: varK.map((col) => col[l]),
      ...(a.P === 2 ? { c: (c as string[])[l], chat1: (chat1 as string[])[l] } : {}),
      ...(width !== undefined ? { K_N: r.K.map((x, e) => formatNumber(x + r.k1[e] / width, 10)) } : {}),
    })),
    dense: a.fields.map((f, j) => ({
      layer: f.label,
      C: C.map((col) => col[j]),
      c1: c1.map((col) => col[j]),
      c1_curvature: c1c.map((col) => col[j]),
      varC: varC.map((col) => col[j]),
    })),
    width,
    fdError: a.info.fdError,
    method: 'composed (cumulants of each layer\'s Gaussian, quadrature)',
    check: `second evaluation at quadrature tolerance ${NET_LOOP_CHECK.tol} and half the finite-difference steps`,
  };
}

// ---------------------------------------------------------------------------------------
// The sensitivity and the optimal alpha at finite width

/** The input kernel with its correlation moved by dc (diagonal fixed). */
function movedInput(d: NetDescription, dc: number): number[][] {
  const K = d.inputs.kernel.map((r) => r.map(Number));
  const s = Math.sqrt(K[0][0] * K[1][1]);
  K[0][1] += dc * s;
  K[1][0] = K[0][1];
  return K;
}

function inputCorrelation(d: NetDescription): number {
  const K = d.inputs.kernel.map((r) => r.map(Number));
  return K[0][1] / Math.sqrt(K[0][0] * K[1][1]);
}

/** chat1 at the last row, the input's correlation moved by dc and alpha replaced when given. */
function chat1At(d: NetDescription, dc: number, alpha: number | undefined, num?: typeof NET_LOOP_CHECK): number {
  const r = netOneLoop64(d, { alpha, input: movedInput(d, dc), num });
  return r.rows[r.rows.length - 1].chat1 as number;
}

export interface NetSensitivity1 {
  /** s1 = d chat1^L / dc^0: S_N = d E[c_hat^L]/dc^0 = S + s1 / N + O(1/N^2). */
  sensitivity1: number;
  /** Richardson correction plus the second evaluation's change (over the step). */
  error: number;
}

/**
 * sensitivity_1 of a description (two inputs; one alpha for every residual block when `alpha` is
 * given): central differences of chat1 in c0 at steps d and d/2, Richardson; `step` alone gives
 * one central difference of that step (no extrapolation, error 0).
 */
export function netSensitivity1(d: NetDescription, opts: { alpha?: number; step?: number } = {}): NetSensitivity1 {
  if (d.inputs.kernel.length !== 2) throw netError({ source: d.source, path: 'inputs' }, 'the finite-width sensitivity needs two inputs (give q0 and c0)');
  const D = (h: number, num?: typeof NET_LOOP_CHECK) => (chat1At(d, h, opts.alpha, num) - chat1At(d, -h, opts.alpha, num)) / (2 * h);
  if (opts.step !== undefined) return { sensitivity1: D(opts.step), error: 0 };
  const h = sensitivityC0Step(inputCorrelation(d));
  const d1 = D(h);
  const d2 = D(h / 2);
  const s1 = (4 * d2 - d1) / 3;
  // the second evaluation (tolerance, finite-difference steps in Sigma) at the finer c0 step
  const check = D(h / 2, NET_LOOP_CHECK);
  const error = Math.abs(d2 - d1) / 3 + Math.abs(check - d2);
  if (!Number.isFinite(s1)) throw new NumericalError('one-loop: the finite-width sensitivity is not finite');
  return { sensitivity1: s1, error };
}

export interface NetResponseWidthResult extends NetResponseResult {
  width: number;
  sensitivity_N: string;
  sensitivity_1: string;
  sensitivity_1_error: string;
}

/** Mean-field response functions (verified digits) and the finite-width sensitivity of a description. */
export function netResponseWidth(d: NetDescription, opts: { digits?: number; width: number }): NetResponseWidthResult {
  const width = intParam('width', opts.width, 1, 1_000_000_000);
  checkNetOneLoopCovers(d);
  const r = netResponse(d, { digits: opts.digits });
  const s = netSensitivity1(d);
  const S = Number(r.sensitivity);
  const errS = Math.abs(S) * 10 ** -r.digits;
  return {
    ...r,
    width,
    sensitivity_N: formatWithError(S + s.sensitivity1 / width, s.error / width + errS, r.digits),
    sensitivity_1: formatWithError(s.sensitivity1, s.error),
    sensitivity_1_error: formatNumber(s.error, 2),
  };
}

export interface NetOptimalAlphaWidthResult extends NetOptimalAlphaResult {
  width: number;
  /** alpha*_N = alpha* + alpha_1 / N, the maximiser of d E[c_hat^L]/dc^0 through order 1/N (null without an interior maximum). */
  alpha_N: string | null;
  alpha_1: string | null;
  alpha_1_error: string | null;
  sensitivity_N: string | null;
}

/** The optimal alpha of a description and its 1/N shift (one alpha for every residual block; schedules apply). */
export function netOptimalAlphaWidth(d: NetDescription, opts: { digits?: number; width: number }): NetOptimalAlphaWidthResult {
  const width = intParam('width', opts.width, 1, 1_000_000_000);
  checkNetOneLoopCovers(d);
  const r = netOptimalAlpha(d, { digits: opts.digits });
  if (!r.interior) return { ...r, width, alpha_N: null, alpha_1: null, alpha_1_error: null, sensitivity_N: null, note: `${r.note}; the 1/N shift of an interior maximum is not defined` };
  const aStar = Number(r.alpha);
  const rep = diagonalClasses(d);
  const fw = finiteWidthOptimumOf(
    aStar,
    (alpha, step) => netSensitivity1(d, { alpha, step }),
    (alpha) => netSensitivityAndSlope(float64Interp, d, rep, alpha).ds,
    sensitivityC0Step(inputCorrelation(d)),
  );
  const S = Number(r.sensitivity);
  return {
    ...r,
    width,
    alpha_N: formatWithError(aStar + fw.alpha1 / width, fw.alpha1Error / width + aStar * 10 ** -r.digits, r.digits),
    alpha_1: formatWithError(fw.alpha1, fw.alpha1Error),
    alpha_1_error: formatNumber(fw.alpha1Error, 2),
    sensitivity_N: formatWithError(S + fw.s1 / width, fw.s1Error / width + Math.abs(S) * 10 ** -r.digits, r.digits),
  };
}
