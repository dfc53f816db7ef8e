import { Network } from '../../model/network';
import { float64Interp } from '../../interpret/numeric';
import { meanFieldKernels } from '../kernel';
import { OneLoopInfo, OneLoopOptions, params } from './common';
import { twoInput } from './twoInput';
import { correlationShift } from './twoInputGrid';

// =======================================================================================
// The empirical correlation c_hat = K_hat_12 / sqrt(K_hat_11 K_hat_22) at finite width

export interface CorrelationOneLoop {
  /** Mean-field correlation c^L. */
  c: number;
  /** Mean-field q^L = K^L_11. */
  q: number;
  /** lim N (E[c_hat^L] - c^L): the 1/N coefficient of the empirical correlation. */
  coefficient: number;
  /** Its two parts: from the mean shifts k1 (first order) and from the fluctuations (second order). */
  fromMean: number;
  fromFluctuations: number;
  /** lim N (E K_hat - K) and lim N Cov(K_hat_e, K_hat_f) for e, f in (11, 12, 22), at layer L. */
  k1: number[];
  cov: number[][];
  info: Partial<OneLoopInfo>;
}

/**
 * E[c_hat^L] = c^L + coefficient / N + O(1/N^2), where c_hat is the correlation a simulation
 * measures, K_hat_12 / sqrt(K_hat_11 K_hat_22) of each network. Second-order expansion of that
 * ratio around the mean-field kernel (K_11 = K_22 = q, K_12 = c q):
 *   coefficient = (k1_12 - c k1_11) / q + [ (3/4) c Cov_11,11 + (1/4) c Cov_11,22 - Cov_11,12 ] / q^2
 * with the one-loop mean shifts k1 and the covariances lim N Cov(K_hat) of the two-input grid.
 */
export function correlationOneLoop64(net: Network, opts: OneLoopOptions = {}): CorrelationOneLoop {
  const P = params(net);
  const r = twoInput(net, P, opts);
  const L = P.L;
  const q = meanFieldKernels(float64Interp, net);
  const qL = q.q[L];
  const c = q.k12[L] / qL;
  const { k1, cov } = r.last;
  const { fromMean, fromFluctuations } = correlationShift(r.last, qL, c);
  return { c, q: qL, coefficient: fromMean + fromFluctuations, fromMean, fromFluctuations, k1, cov, info: r.info };
}
