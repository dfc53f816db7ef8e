/**
 * The Gaussian second moments of an activation: the building block of every kernel map.
 * Closed form when the activation has one (the same code for every field, including the
 * symbolic one), quadrature otherwise.
 */
import { Activation } from '../model/activation';
import { Interpretation, productIntegrand } from '../interpret/numeric';

/** <phi(u) phi(v)>, (u, v) ~ N(0, [[k11, k12], [k12, k22]]). */
export function phiPhi<T>(I: Interpretation<T>, act: Activation, k11: T, k12: T, k22: T): T {
  if (act.closedForm) return act.closedForm.pair(I.F, k11, k12, k22);
  return I.expect2(act, act, k11, k12, k22);
}

/** <phi(u)^2>, u ~ N(0, k). */
export function phiSquare<T>(I: Interpretation<T>, act: Activation, k: T): T {
  if (act.closedForm) return act.closedForm.square(I.F, k);
  return I.expect1(productIntegrand(act, act), k);
}

/**
 * <phi(u)>, u ~ N(0, k): exactly 0 for odd activations, the closed form where there is one
 * (relu: sqrt(k/(2 pi)); relu-power:n via the absolute moments of the Gaussian), quadrature otherwise.
 */
export function phiMean<T>(I: Interpretation<T>, act: Activation, k: T): T {
  if (act.parity === 'odd') return I.F.of(0);
  if (act.closedForm?.mean) return act.closedForm.mean(I.F, k);
  return I.expect1(act, k);
}
