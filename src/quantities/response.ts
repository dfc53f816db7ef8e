/**
 * Mean-field response functions: the propagator of the linearised kernel dynamics.
 *
 * For two inputs with equal variances the state of layer l is (q^l, k^l) = (K^l_11, K^l_12);
 * one layer maps it by  q' = q + a (sb2 + sw2 <phi^2>_q),  k' = k + a (sb2 + sw2 <phi_1 phi_2>_{q,k})
 * (K^l = C^l for --skip none). Its Jacobian is lower triangular:
 *
 *   dq'/dq = 1 + a sw2 d<phi^2>/dq                 (0 + sw2 d<phi^2>/dq  without skip)
 *   dk'/dk = 1 + a sw2 <phi'(u) phi'(v)>           (Price: d<phi_1 phi_2>/dK_12 = <phi'_1 phi'_2>)
 *   dk'/dq =     a sw2 (d/dK_11 + d/dK_22) <phi_1 phi_2>
 *
 * The derivatives of the closed-form moments are obtained by symbolic differentiation of the
 * closed forms themselves (one definition, differentiated by the symbolic core); activations
 * without closed forms use Price's theorem with quadrature.
 *
 *   chi         = dK^L_11 / dK^0_11 = prod_l dq'/dq
 *   chi12       = dK^L_12 / dK^0_12 (fixed diagonal) = prod_l dk'/dk
 *   sensitivity = dc^L / dc^0 at fixed q0 = (q0 / K^L_11) chi12        (K^L_11 does not depend on c0)
 */
import { Activation } from '../model/activation';
import { Network, branchFactor } from '../model/network';
import { Interpretation, productIntegrand, Integrand } from '../interpret/numeric';
import { evaluateIn, symbolicField } from '../interpret/symbolic';
import { Expr, sym, diff, simplify } from '../symbolic';
import { meanFieldKernels, KernelTable } from './kernel';
import { compileIn, CompiledIn } from '../interpret/compiled';
import { progressTick } from '../io/progress';

interface ClosedDerivs {
  /** d<phi_1 phi_2>/dK12 */
  dPairdK12: Expr;
  /** (d/dK11 + d/dK22) <phi_1 phi_2> */
  dPairdDiag: Expr;
  /** d<phi^2>/dK */
  dSquaredK: Expr;
  pair: Expr;
  square: Expr;
  /** The three derivatives compiled for numeric fields (null: evaluateIn). */
  compiled: { dPairdK12: CompiledIn | null; dPairdDiag: CompiledIn | null; dSquaredK: CompiledIn | null };
}

const closedCache = new Map<string, ClosedDerivs>();

/** Symbolic derivatives of an activation's closed-form moments (cached per activation). */
export function closedFormDerivatives(act: Activation): ClosedDerivs | undefined {
  if (!act.closedForm) return undefined;
  const hit = closedCache.get(act.name);
  if (hit) return hit;
  const K11 = sym('K11');
  const K12 = sym('K12');
  const K22 = sym('K22');
  const K = sym('K');
  const pair = act.closedForm.pair(symbolicField, K11, K12, K22);
  const square = act.closedForm.square(symbolicField, K);
  const dPairdK12 = simplify(diff(pair, 'K12'));
  // (d/dK11 + d/dK22) pair, evaluated at K11 = K22 = q by the callers.
  const dPairdDiag = simplify(symbolicField.add(diff(pair, 'K11'), diff(pair, 'K22')));
  const dSquaredK = simplify(diff(square, 'K'));
  const pairVars = ['K11', 'K12', 'K22'];
  const d: ClosedDerivs = {
    pair,
    square,
    dPairdK12,
    dPairdDiag,
    dSquaredK,
    compiled: { dPairdK12: compileIn(dPairdK12, pairVars), dPairdDiag: compileIn(dPairdDiag, pairVars), dSquaredK: compileIn(dSquaredK, ['K']) },
  };
  closedCache.set(act.name, d);
  return d;
}

const IDENTITY: Integrand = { f64: (x) => x, dec: (x) => x, dd: (x) => x, kinks: [], name: 'u' };

/** <phi'(u) phi'(v)> = d<phi(u) phi(v)>/dK12. */
export function dPairdK12<T>(I: Interpretation<T>, act: Activation, k11: T, k12: T, k22: T): T {
  const cd = closedFormDerivatives(act);
  if (cd) return cd.compiled.dPairdK12 ? cd.compiled.dPairdK12(I.F, [k11, k12, k22]) : evaluateIn(I.F, cd.dPairdK12, { K11: k11, K12: k12, K22: k22 });
  const d = act.derivative();
  return I.expect2(d, d, k11, k12, k22);
}

/** d<phi^2>/dK at K = k (= <u phi phi'>/k: first derivatives only, exact for kinks). */
export function dSquaredK<T>(I: Interpretation<T>, act: Activation, k: T): T {
  const cd = closedFormDerivatives(act);
  if (cd) return cd.compiled.dSquaredK ? cd.compiled.dSquaredK(I.F, [k]) : evaluateIn(I.F, cd.dSquaredK, { K: k });
  return I.F.div(I.expect1(productIntegrand(IDENTITY, act, act.derivative()), k), k);
}

/** (d/dK11 + d/dK22) <phi(u) phi(v)> at K11 = K22 = q: by Price, <phi''(u) phi(v)> for smooth phi. */
export function dPairdDiag<T>(I: Interpretation<T>, act: Activation, q: T, k12: T): T {
  const cd = closedFormDerivatives(act);
  if (cd) return cd.compiled.dPairdDiag ? cd.compiled.dPairdDiag(I.F, [q, k12, q]) : evaluateIn(I.F, cd.dPairdDiag, { K11: q, K12: k12, K22: q });
  if (act.continuity !== 'smooth') {
    throw new Error(`the diagonal derivative of <phi phi> for "${act.name}" needs a closed form or a smooth activation`);
  }
  const d2 = act.derivative().derivative();
  return I.expect2(d2, act, q, k12, q);
}

export interface MeanFieldResponse<T> {
  kernels: KernelTable<T>;
  /** Per-layer factors dq^l/dq^(l-1), dk^l/dk^(l-1), l = 1..L (index 0 unused: 1). */
  dqdq: T[];
  dkdk: T[];
  chi: T;
  chi12: T;
  sensitivity: T;
}

/** `branch` overrides the branch factor a (alpha^2 or alpha), e.g. with a dual number. */
export function meanFieldResponse<T>(I: Interpretation<T>, net: Network, branch: T = branchFactor(I.F, net)): MeanFieldResponse<T> {
  const F = I.F;
  const kernels = meanFieldKernels(I, net, branch);
  const sw2 = F.of(net.sw2);
  const one = F.of(1);
  const a = net.skip === 'none' ? one : branch;
  const base = net.skip === 'none' ? F.of(0) : one;
  const dqdq: T[] = [one];
  const dkdk: T[] = [one];
  let chi = one;
  let chi12 = one;
  for (let l = 1; l <= net.depth; l++) {
    progressTick(l, net.depth);
    const q = kernels.q[l - 1];
    const k = kernels.k12[l - 1];
    const fq = F.add(base, F.mul(a, F.mul(sw2, dSquaredK(I, net.act, q))));
    const fk = F.add(base, F.mul(a, F.mul(sw2, dPairdK12(I, net.act, q, k, q))));
    dqdq.push(fq);
    dkdk.push(fk);
    chi = F.mul(chi, fq);
    chi12 = F.mul(chi12, fk);
  }
  const sensitivity = F.mul(F.div(kernels.q[0], kernels.q[net.depth]), chi12);
  return { kernels, dqdq, dkdk, chi, chi12, sensitivity };
}

/**
 * The propagator between layers l' <= l: the 2x2 Jacobian d(q^l, k^l)/d(q^l', k^l') as
 * [[dq/dq, 0], [dk/dq, dk/dk]].
 */
export function propagator<T>(I: Interpretation<T>, net: Network, l: number, lp: number): [[T, T], [T, T]] {
  if (!(Number.isInteger(l) && Number.isInteger(lp) && 0 <= lp && lp <= l && l <= net.depth)) {
    throw new Error(`propagator: need 0 <= l' <= l <= depth, got l = ${l}, l' = ${lp}`);
  }
  const F = I.F;
  const kernels = meanFieldKernels(I, { ...net, depth: Math.max(l, 1) });
  const sw2 = F.of(net.sw2);
  const one = F.of(1);
  const zero = F.of(0);
  const a = net.skip === 'none' ? one : branchFactor(F, net);
  const base = net.skip === 'none' ? zero : one;
  let J: [[T, T], [T, T]] = [[one, zero], [zero, one]];
  for (let m = lp + 1; m <= l; m++) {
    const q = kernels.q[m - 1];
    const k = kernels.k12[m - 1];
    const fq = F.add(base, F.mul(a, F.mul(sw2, dSquaredK(I, net.act, q))));
    const fk = F.add(base, F.mul(a, F.mul(sw2, dPairdK12(I, net.act, q, k, q))));
    const fkq = F.mul(a, F.mul(sw2, dPairdDiag(I, net.act, q, k)));
    // step Jacobian [[fq, 0], [fkq, fk]] times J
    J = [
      [F.mul(fq, J[0][0]), F.mul(fq, J[0][1])],
      [F.add(F.mul(fkq, J[0][0]), F.mul(fk, J[1][0])), F.add(F.mul(fkq, J[0][1]), F.mul(fk, J[1][1]))],
    ];
  }
  return J;
}
