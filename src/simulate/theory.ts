/**
 * The theory values a simulation is compared with: mean field (src/quantities/kernel.ts) and
 * the one-loop (1/N) theory of src/quantities/loop/ (null, with the reason, where it fails).
 */
import { Network, branchFactor, withChanges } from '../model/network';
import { float64Interp, productIntegrand } from '../interpret/numeric';
import { meanFieldKernels } from '../quantities/kernel';
import { oneLoop64, OneLoopTable } from '../quantities/loop';
import { float64 } from '../numeric/field';

export type { OneLoopTable };

export interface OneLoopSource {
  table: OneLoopTable | null;
  /** Where it came from, or why there is none. */
  note: string;
}

/** Evaluate the one-loop theory for a network (null with a note when it is missing or fails). */
export function oneLoopTheory(net: Network): OneLoopSource {
  const note = 'one-loop theory: oneLoop64 (src/quantities/loop/)';
  try {
    return { table: oneLoop64(net), note };
  } catch (e) {
    return { table: null, note: `one-loop theory failed for this network: ${(e as Error).message.split('\n')[0]}` };
  }
}

export interface MeanFieldTable {
  /** K^l_11, C^l_11 (C at index 0: the input kernel, unused). */
  q: number[];
  C11: number[];
  /** Two inputs (when c0 is given): K^l_12, C^l_12, c^l. */
  k12?: number[];
  C12?: number[];
  c?: number[];
  /** dc^l/dc^0 by the same central difference as the simulation (c0 +- delta). */
  sens?: number[];
  /** (1/N) E|J^l v|^2 at infinite width: prod_k (1 + a sw2 <phi'^2>) (residual) or prod sw2 <phi'^2>. */
  jvp: number[];
}

function withC0(net: Network, c0: number): Network {
  return withChanges(net, { c0: String(c0) });
}

export function meanFieldTheory(net: Network, opts: { twoInputs: boolean; delta?: number | null }): MeanFieldTable {
  const mf = meanFieldKernels(float64Interp, net);
  const out: MeanFieldTable = { q: mf.q, C11: mf.C11, jvp: jvpMeanField(net, mf.q) };
  if (opts.twoInputs) {
    out.k12 = mf.k12;
    out.C12 = mf.C12;
    out.c = mf.c;
    if (opts.delta) {
      const c0 = Number(net.c0);
      const up = meanFieldKernels(float64Interp, withC0(net, c0 + opts.delta)).c;
      const dn = meanFieldKernels(float64Interp, withC0(net, c0 - opts.delta)).c;
      out.sens = up.map((u, l) => (u - dn[l]) / (2 * opts.delta!));
    }
  }
  return out;
}

function jvpMeanField(net: Network, q: number[]): number[] {
  const d = net.act.derivative();
  const dd = productIntegrand(d, d);
  const sw2 = Number(net.sw2);
  const a = branchFactor(float64, net);
  const out = [1];
  let chi = 1;
  for (let l = 1; l <= net.depth; l++) {
    const e = float64Interp.expect1(dd, q[l - 1]);
    chi *= net.skip === 'none' ? sw2 * e : 1 + a * sw2 * e;
    out.push(chi);
  }
  return out;
}
