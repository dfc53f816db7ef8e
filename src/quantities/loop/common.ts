/** The one-loop tables' types, the network's parameters in float64, the one-input mean field, and helpers shared by the algorithms. */
import { Network, branchFactor } from '../../model/network';
import { NumericalError } from '../../model/errors';
import { Activation } from '../../model/activation';
import { float64 } from '../../numeric/field';
import { float64Interp } from '../../interpret/numeric';
import { phiSquare } from '../moments';
import type { Grid2 } from './twoInputGrid';
import { plainMath } from '../../numeric/plainMath';
// A plain-object copy of Math: under jest the global Math is a proxy and each Math.* access costs ~1 us.
const Math = plainMath();

export interface OneLoopTable {
  k1: (number | null)[];
  c1: (number | null)[];
  varC: (number | null)[];
  varK: (number | null)[];
  c1_curvature: (number | null)[];
  k1_12?: (number | null)[];
  c1_12?: (number | null)[];
  varC_12?: (number | null)[];
  varK_12?: (number | null)[];
  /** With two inputs: lim N (E[c_hat^l] - c^l) of the empirical correlation c_hat = K_hat_12 / sqrt(K_hat_11 K_hat_22). */
  chat1?: (number | null)[];
  /** How the numbers were obtained (not part of the validator's interface). */
  info?: OneLoopInfo;
}

export interface OneLoopInfo {
  /** 'closed-form' | 'grid' | 'grid+richardson' | 'pairwise-quadrature' | 'feed-forward' */
  method: string;
  gridStep?: number;
  gridPoints?: number;
  /** Richardson runs: max |T(h/2) - T(h)| / 3 over the table, relative to max |entry|. */
  errorEstimate?: number;
  method12?: string;
  /** The two-input grid's first step along its first axis. */
  gridStep12?: number;
  /** The largest number of points of one stage of the two-input grid (n1 x n2). */
  gridPoints12?: number;
  errorEstimate12?: number;
  /** The finest two-input grid used (pass it back as `grid12` to evaluate on the same grid). */
  grid12?: Grid2;
  /** Why the lazily computed _12 arrays are undefined, when they are. */
  note12?: string;
}

export interface OneLoopOptions {
  /** Compute the off-diagonal (_12) arrays now (otherwise they are computed on first access). */
  twoInputs?: boolean;
  /**
   * 'auto' (default): closed forms for relu/linear, heat-flow grid otherwise.
   * 'grid': the heat-flow grid for every activation. 'pairwise': O(L^2) Gaussian quadratures
   * (one input, residual; activations whose phi^2 is C^1; for cross-checks). For positively
   * homogeneous activations of degree 1 (relu, linear) a 1D angular Gauss-Legendre rule per pair.
   */
  method?: 'auto' | 'grid' | 'pairwise';
  /** Grid step of the heat-flow grid (default: chosen from the kernel and the activation). */
  gridStep?: number;
  /** For kinked activations on the grid: Richardson extrapolation h, h/2 (default true). */
  richardson?: boolean;
  /** Force the (finest) two-input grid, e.g. the `info.grid12` of an earlier run (finite differences in c0). */
  grid12?: Grid2;
}

/** alpha^2 sw2 L / N (residual) or L / N (feed-forward): the one-loop expansion needs it small. */
export function oneLoopExpansionParameter(net: Network, N: number): number {
  const P = params(net);
  return net.skip === 'none' ? P.L / N : (P.a * P.sw2 * P.L) / N;
}

// =======================================================================================
// Parameters and mean field

export interface Params {
  act: Activation;
  a: number;
  sw2: number;
  sb2: number;
  L: number;
  q0: number;
  c0: number;
  residual: boolean;
}

export function params(net: Network): Params {
  return {
    act: net.act,
    a: branchFactor(float64, net),
    sw2: Number(net.sw2),
    sb2: Number(net.sb2),
    L: net.depth,
    q0: Number(net.q0),
    c0: Number(net.c0),
    residual: net.skip !== 'none',
  };
}

/** One-input mean field: K[0..L], C[1..L] (C[0] = NaN). */
export function meanField1(P: Params): { K: number[]; C: number[] } {
  const K = [P.q0];
  const C = [NaN];
  for (let l = 1; l <= P.L; l++) {
    const c = P.sb2 + P.sw2 * phiSquare(float64Interp, P.act, K[l - 1]);
    C.push(c);
    const k = P.residual ? K[l - 1] + P.a * c : c;
    if (!Number.isFinite(k) || !(k > 0)) throw new NumericalError(`one-loop: the mean-field kernel left the positive finite numbers at layer ${l}`, l);
    K.push(k);
  }
  return { K, C };
}

export type Kind = 'relu' | 'linear' | 'other';
export function kindOf(act: Activation): Kind {
  const r = act.rectified;
  if (r && r.k === 1 && r.a === 1 && r.b === 0) return 'relu';
  if (r && r.k === 1 && r.a === 1 && r.b === 1) return 'linear';
  return 'other';
}

/** Richardson: (4 T(h/2) - T(h)) / 3 over every numeric entry; error estimate |T(h/2)-T(h)|/3. */
export function richardson(t1: OneLoopTable, t2: OneLoopTable, keys: (keyof OneLoopTable)[]): { t: OneLoopTable; err: number } {
  const out: Record<string, (number | null)[]> = {};
  let err = 0;
  let scale = 0;
  for (const key of keys) {
    const A = t1[key] as (number | null)[] | undefined;
    const B = t2[key] as (number | null)[] | undefined;
    if (!A || !B) continue;
    out[key] = A.map((x, i) => {
      const yv = B[i];
      if (x === null || yv === null) return null;
      err = Math.max(err, Math.abs(yv - x) / 3);
      scale = Math.max(scale, Math.abs(yv));
      return (4 * yv - x) / 3;
    });
  }
  return { t: out as unknown as OneLoopTable, err: scale > 0 ? err / scale : err };
}

/** Why a one-loop number at width N may not mean much (empty when the expansion is fine). */
export function widthWarnings(net: Network, width: number): string[] {
  if (width < 2) return [`width ${width} < 2: the 1/N expansion is meaningless here`];
  const eps = oneLoopExpansionParameter(net, width);
  if (eps > 0.3) return [`the expansion parameter ${net.skip === 'none' ? 'L/N' : 'a sw2 L/N'} = ${eps.toPrecision(3)} is not small: one-loop corrections at width ${width} are unreliable`];
  return [];
}
