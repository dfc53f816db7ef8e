/** The 1/N coefficient of the correlation response dc^L/dc^0 (finite differences in c0 on one grid). */
import { Network, withChanges } from '../../model/network';
import { NumericalError } from '../../model/errors';
import { params } from './common';
import { Grid2, comparisonGrid2 } from './twoInputGrid';
import { twoInputGridFor } from './stagedGrid';
import { CorrelationOneLoop, correlationOneLoop64 } from './correlation';
import { plainMath } from '../../numeric/plainMath';
// A plain-object copy of Math: under jest the global Math is a proxy and each Math.* access costs ~1 us.
const Math = plainMath();

export interface SensitivityOneLoop {
  /** d/dc0 of the 1/N coefficient of E[c_hat^L] (at fixed q0): sensitivity_N = S + sensitivity1 / N. */
  sensitivity1: number;
  /** Estimated absolute error of sensitivity1 (finite-difference Richardson and grid refinement). */
  error: number;
  /** The coefficient of E[c_hat^L] itself (with gridCheck false: computed on first access). */
  correlation: CorrelationOneLoop;
  /** The c0 steps used. */
  steps: number[];
  /** Relative change of the coefficient on another grid (absent when not checked). */
  gridRel?: number;
}

/** The default c0 step of sensitivityOneLoop64's central differences (steps d and d/2 about c0). */
export function sensitivityC0Step(c0: number): number {
  return Math.min(0.02, (1 - Math.abs(c0)) / 4);
}

/**
 * sensitivity_1 = d/dc0 lim N (E[c_hat^L] - c^L), by central differences in c0 on one fixed grid
 * (so the discretised map is a smooth function of c0), at steps d and d/2 with Richardson
 * extrapolation; the error estimate is the Richardson correction plus the change of the
 * coefficient under a finer grid (grid error of the derivative is bounded by the same relative
 * amount).
 */
export function sensitivityOneLoop64(net: Network, opts: { step?: number; grid12?: Grid2; gridCheck?: boolean; richardson?: boolean } = {}): SensitivityOneLoop {
  const P = params(net);
  const c0 = P.c0;
  if (!(Math.abs(c0) < 1)) throw new NumericalError('sensitivity at finite width: c0 = +-1 is a single input; the two-input one-loop needs |c0| < 1');
  const d = opts.step ?? sensitivityC0Step(c0);
  const atC = (c: number) => withChanges(net, { c0: String(c) });
  // one grid for every c0 of the stencil (it must resolve the narrowest, c0 + d, and cover the widest)
  const grid12 = opts.grid12 ?? twoInputGridFor([net, atC(c0 - d), atC(c0 + d)]);
  // the centre itself is not needed for the derivative: computed on first access when skipping the grid check
  let centralCache: CorrelationOneLoop | undefined;
  const centre = () => (centralCache ??= correlationOneLoop64(net, { grid12 }));
  const at = (c: number) => correlationOneLoop64(atC(c), { grid12 }).coefficient;
  const D = (h: number) => (at(c0 + h) - at(c0 - h)) / (2 * h);
  const D1 = D(d);
  const rich = opts.richardson !== false;
  const D2 = rich ? D(d / 2) : D1;
  const s1 = rich ? (4 * D2 - D1) / 3 : D1;
  // without Richardson: the O(d^2) truncation error is not estimated (callers difference such values)
  const fdErr = Math.abs(D2 - D1) / 3;
  if (opts.gridCheck === false) {
    if (!Number.isFinite(s1)) throw new NumericalError('sensitivity at finite width: the finite-difference derivative is not finite');
    const r = { sensitivity1: s1, error: fdErr, steps: rich ? [d, d / 2] : [d] } as SensitivityOneLoop;
    Object.defineProperty(r, 'correlation', { enumerable: true, configurable: true, get: centre });
    return r;
  }
  // grid error: the coefficient on a grid of half the steps (or, where that is too large, double), relative change
  const fine = correlationOneLoop64(net, { grid12: comparisonGrid2(grid12, P.L) }).coefficient;
  const central = centre();
  const gridRel = Math.abs(fine - central.coefficient) / Math.max(Math.abs(central.coefficient), 1e-300);
  const error = fdErr + gridRel * Math.abs(s1);
  if (!Number.isFinite(s1)) throw new NumericalError('sensitivity at finite width: the finite-difference derivative is not finite');
  return { sensitivity1: s1, error, correlation: central, steps: [d, d / 2], gridRel };
}
