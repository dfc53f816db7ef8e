/**
 * fieldprop — public TypeScript API.
 *
 * One network description (`network(...)`), interpreted three ways:
 *   symbolically (src/symbolic: expressions, LaTeX), numerically (float64 or decimal.js fields
 *   in src/numeric, quadrature in src/interpret) and — in later modules — by simulation.
 */
export { Field, float64, decimalField, fsum } from './numeric/field';
export { Activation, ClosedForm, activation, BUILTIN_ACTIVATIONS } from './model/activation';
export { Network, NetworkOptions, network, DEFAULT_NETWORK, branchFactor } from './model/network';
export { InputError, NumericalError } from './model/errors';
export { Interpretation, Integrand, float64Interp, decimalInterp, productIntegrand } from './interpret/numeric';
export { KernelTable, meanFieldKernels, kernelStep, inputKernel } from './quantities/kernel';
export { phiPhi, phiSquare } from './quantities/moments';
export { FixedPoint, CriticalPoint, fixedPoint, criticalPoint, qStar } from './quantities/fixedpoint';
export { verifiedDecimal, VerifiedResult } from './quantities/verified';
export * as symbolic from './symbolic';
export * as special from './numeric/special';
export * as gaussian from './numeric/gaussian';
export * as quadrature from './numeric/quadrature';
export { main } from './cli/main';
export * from './api';
