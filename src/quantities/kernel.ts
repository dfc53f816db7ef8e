/**
 * Infinite-width (mean-field) kernels of the network of THEORY.md section 1, two inputs, every
 * layer. Written once over an Interpretation<T>: float64, Decimal and symbolic all run this code.
 *
 *   C^l_ab = sb2 + sw2 <phi(h_a) phi(h_b)>_{K^(l-1)}
 *   K^l    = K^(l-1) + a C^l   (residual; a = alpha^2, or alpha with --scaling variance)
 *   K^l    = C^l               (--skip none)
 */
import { Network, branchFactor } from '../model/network';
import { NumericalError } from '../model/errors';
import { Interpretation } from '../interpret/numeric';
import { phiPhi, phiSquare } from './moments';
import { progressTick } from '../io/progress';

export interface KernelTable<T> {
  /** K^l_11 (= K^l_22), l = 0..L. */
  q: T[];
  /** K^l_12. */
  k12: T[];
  /** c^l = K^l_12 / sqrt(K^l_11 K^l_22). */
  c: T[];
  /** C^l_11 and C^l_12, l = 1..L (index 0 holds the input kernel for convenience). */
  C11: T[];
  C12: T[];
}

/** The input kernel K^0 = q0 [[1, c0], [c0, 1]]. */
export function inputKernel<T>(I: Interpretation<T>, net: Network): { q: T; k12: T } {
  const q = I.F.of(net.q0);
  return { q, k12: I.F.mul(q, I.F.of(net.c0)) };
}

/** One layer of the mean-field map: (K^(l-1)) -> (C^l, K^l). */
export function kernelStep<T>(I: Interpretation<T>, net: Network, q: T, k12: T, a: T = branchFactor(I.F, net)): { C11: T; C12: T; q: T; k12: T } {
  const F = I.F;
  const sw2 = F.of(net.sw2);
  const sb2 = F.of(net.sb2);
  const C11 = F.add(sb2, F.mul(sw2, phiSquare(I, net.act, q)));
  const C12 = F.add(sb2, F.mul(sw2, phiPhi(I, net.act, q, k12, q)));
  if (net.skip === 'none') return { C11, C12, q: C11, k12: C12 };
  return { C11, C12, q: F.add(q, F.mul(a, C11)), k12: F.add(k12, F.mul(a, C12)) };
}

/** `a` overrides the branch factor (e.g. a dual number alpha^2 to differentiate with respect to alpha). */
export function meanFieldKernels<T>(I: Interpretation<T>, net: Network, a: T = branchFactor(I.F, net)): KernelTable<T> {
  const F = I.F;
  const k0 = inputKernel(I, net);
  const out: KernelTable<T> = { q: [k0.q], k12: [k0.k12], c: [F.div(k0.k12, k0.q)], C11: [k0.q], C12: [k0.k12] };
  let q = k0.q;
  let k12 = k0.k12;
  for (let l = 1; l <= net.depth; l++) {
    progressTick(l, net.depth);
    const s = kernelStep(I, net, q, k12, a);
    q = s.q;
    k12 = s.k12;
    if (F.kind !== 'symbolic') {
      if (!F.isFinite(q) || !F.isFinite(k12)) {
        throw new NumericalError(`the kernel left the finite numbers at layer ${l} (K^${l}_11 = ${F.format(q, 6)})`, l);
      }
      if (F.toNumber(q) <= 0 && !(F.toNumber(q) === 0 && F.toNumber(k12) === 0)) {
        throw new NumericalError(`the kernel became non-positive at layer ${l}`, l);
      }
    }
    out.q.push(q);
    out.k12.push(k12);
    out.c.push(F.kind !== 'symbolic' && F.toNumber(q) === 0 ? F.of(1) : F.div(k12, q));
    out.C11.push(s.C11);
    out.C12.push(s.C12);
  }
  return out;
}
