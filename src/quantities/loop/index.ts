/**
 * The one-loop (1/N) numbers of the finite-width field theory (THEORY.md section 3;
 * derivation and conventions in docs/one-loop.md).
 *
 * Width-N network, one or two inputs; empirical kernels K_hat^l = (1/N) sum_i h^l_i h^l_i^T and
 * C_hat^l = sb2 + (sw2/N) sum_j phi(h^(l-1)_j) phi(h^(l-1)_j)^T. For every layer l = 0..L:
 *
 *   k1    = lim N (E[K_hat^l_11] - K^l_11)        c1  = lim N (E[C_hat^l_11] - C^l_11)
 *   varK  = lim N Var(K_hat^l_11)                   varC = lim N Var(C_hat^l_11)
 *   c1_curvature = the curvature (tadpole) part of c1 alone
 *   and, with two inputs, the same for the off-diagonal entries (_12).
 *
 * Structure (one input, residual; a = alpha^2, or alpha with --scaling variance):
 *   mu_l = a sw2 d<phi^2>/dK at K^(l-1)   (M^(l,k) = mu_l for every k < l: rows constant)
 *   Pi(l,j) = prod_{m=j+1}^{l} (1 + mu_m) (= sum_{k=j}^{l} R^(k,j), the column sums of R)
 *   S^l = sum_{k<=l} delta C^k obeys S^l = (1 + mu_l) S^(l-1) + eta^l  (eta: intrinsic noise)
 *   Q_l   = N Cov(S^(l-1), eta^l)     = sum_{j<l} Pi(l-1,j) V^(l,j)
 *   Mem_l = sum_{j<l} Pi(l-1,j) dV^(l,j)/dD
 * and everything is an O(L) recursion once Q_l and Mem_l are known. Those two O(L^2) sums are
 * computed either pairwise (closed forms for relu and linear; Gaussian quadrature otherwise) or,
 * for any activation, in O(L n log n) by a heat flow: U_l(y) = E[A^(l-1) delta(h^(l-1) - y)],
 * A^l = (1 + mu_l) A^(l-1) + g^l(h^(l-1)) - m^l, propagated layer to layer by the Gaussian
 * transition kernel of the single-neuron random walk (an FFT multiplier on a uniform grid), so
 * that Q_l = int g U_l dy and Mem_l = (1/2) int g U_l'' dy. Two inputs: the same with 2x2
 * kernels (three entries 11, 12, 22), 3x3 blocks and a 2D grid.
 * Layout: common.ts (types, parameters), oneInput.ts (moments, assembly, pairwise sums),
 * oneInputGrid.ts (one-input heat flow), twoInputGrid.ts (two-input staged grid),
 * stagedGrid.ts (its schedule), symmetricGrid.ts (its kernel for residual nets on rotated grids,
 * using the two inputs' symmetry), twoInput.ts, table.ts (oneLoop64), correlation.ts, sensitivity.ts.
 */
export { OneLoopTable, OneLoopInfo, OneLoopOptions, oneLoopExpansionParameter, widthWarnings } from './common';
export { Table12, LastLayer12, Grid2, GridStage, refineGrid2, comparisonGrid2, gridSize2 } from './twoInputGrid';
export { twoInputGridFor } from './stagedGrid';
export { oneLoopTwoInput64 } from './twoInput';
export { oneLoop64 } from './table';
export { CorrelationOneLoop, correlationOneLoop64 } from './correlation';
export { SensitivityOneLoop, sensitivityC0Step, sensitivityOneLoop64 } from './sensitivity';
