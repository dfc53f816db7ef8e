/**
 * The one-loop (1/N) API over network descriptions (src/model/net): the composed theory of
 * src/quantities/loop/netOneLoop.ts, every number computed twice (a second quadrature tolerance
 * and finite-difference step) and printed with the digits on which the two agree.
 */
import { NetDescription } from './model/net/layers';
import { intParam } from './model/network';
import { agreedArray } from './numeric/agreed';
import { formatNumber } from './numeric/field';
import { NetOneLoop, netOneLoop64 } from './quantities/loop/netOneLoop';

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

/** Column j of a table built per row. */
const column = <R>(rs: R[], f: (r: R) => number): number[] => rs.map(f);

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

function agreeTables(a: NetOneLoop, b: NetOneLoop, width: number | undefined): NetLoopTableResult {
  const nE = a.entries.length;
  const kSize = (e: number) => a.rows.map((r) => Math.abs(r.K[e]));
  const cSize = (e: number) => a.fields.map((r) => Math.abs(r.C[e]));
  const agreeCol = (f: (r: NetOneLoop['rows'][number]) => number, name: string, natural: number[], scales?: number[]) =>
    agreedArray(column(a.rows, f), column(b.rows, f), name, scales ?? floors(column(a.rows, f), natural)) as string[];
  const agreeDense = (f: (r: NetOneLoop['fields'][number]) => number, name: string, natural: number[], scales?: number[]) =>
    agreedArray(column(a.fields, f), column(b.fields, f), name, scales ?? floors(column(a.fields, f), natural)) as string[];
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
