/** Two inputs: the grid chosen, run (with Richardson for kinked activations) and packaged. */
import { Network } from '../../model/network';
import { NumericalError } from '../../model/errors';
import { float64Interp } from '../../interpret/numeric';
import { meanFieldKernels } from '../kernel';
import { OneLoopTable, OneLoopInfo, OneLoopOptions, Params, params, richardson } from './common';
import { R_TAIL2, nextPow2 } from './gridCommon';
import { Grid2, Table12, LastLayer12, MF2, refineGrid2, gridSize2, twoInputGrid } from './twoInputGrid';
import { twoInputGridFor } from './stagedGrid';
import { twoInputGridSymmetric } from './symmetricGrid';
import { plainMath } from '../../numeric/plainMath';
// A plain-object copy of Math: under jest the global Math is a proxy and each Math.* access costs ~1 us.
const Math = plainMath();

/** One grid run: the symmetric kernel where it applies (rotated grid, residual network), the general one otherwise. */
function runGrid(mf: MF2, P: Params, grid: Grid2): { t: Table12; t11: Table12; last: LastLayer12 } {
  return grid.rotated && P.residual ? twoInputGridSymmetric(mf, P, grid) : twoInputGrid(mf, P, grid);
}

export function twoInput(net: Network, P: Params, opts: OneLoopOptions): { t: Table12; t11: Table12; last: LastLayer12; info: Partial<OneLoopInfo> } {
  if (Math.abs(P.c0) === 1) throw new NumericalError('two-input one-loop: c0 = +-1 is a single input; use the one-input table');
  const mf = meanFieldKernels(float64Interp, net);
  const smooth = P.act.continuity === 'smooth';
  const rich = !smooth && opts.richardson !== false;
  let grid: Grid2;
  if (opts.grid12 !== undefined) {
    grid = opts.grid12;
  } else if (opts.gridStep !== undefined) {
    // one fixed grid on the axes, covering the widest kernel
    let Kmax = 0;
    for (let l = 0; l <= P.L; l++) Kmax = Math.max(Kmax, mf.q[l]);
    const half = R_TAIL2 * Math.sqrt(Kmax) + 2;
    const hf = rich ? opts.gridStep / 2 : opts.gridStep;
    const n = nextPow2((2 * half) / hf);
    grid = { rotated: false, stages: [{ from: 1, n1: n, n2: n, h1: hf, h2: hf }] };
  } else {
    const coarse = twoInputGridFor([net]);
    grid = rich ? refineGrid2(coarse, 1) : coarse;
  }
  const name = grid.rotated ? 'grid2d-rotated' : 'grid2d';
  const size = gridSize2(grid, P.L);
  if (!rich) {
    const r = runGrid(mf, P, grid);
    return { t: r.t, t11: r.t11, last: r.last, info: { method12: name, gridStep12: grid.stages[0].h1, gridPoints12: size.maxPoints, grid12: grid } };
  }
  const r1 = runGrid(mf, P, refineGrid2(grid, -1));
  const r2 = runGrid(mf, P, grid);
  const keys: (keyof OneLoopTable)[] = ['k1', 'c1', 'varC', 'varK'];
  const rr = richardson(r1.t as unknown as OneLoopTable, r2.t as unknown as OneLoopTable, [...keys, 'chat1']);
  const r11 = richardson(r1.t11 as unknown as OneLoopTable, r2.t11 as unknown as OneLoopTable, keys);
  const ex = (x: number, y: number) => (4 * y - x) / 3;
  return {
    t: rr.t as unknown as Table12,
    t11: r11.t as unknown as Table12,
    last: { k1: r1.last.k1.map((x, i) => ex(x, r2.last.k1[i])), cov: r1.last.cov.map((row, i) => row.map((x, j) => ex(x, r2.last.cov[i][j]))) },
    info: { method12: name + '+richardson', gridStep12: grid.stages[0].h1, gridPoints12: size.maxPoints, errorEstimate12: Math.max(rr.err, r11.err), grid12: grid },
  };
}

/**
 * Two-input one-loop numbers for both independent entries: 11 (= 22 in distribution) and 12,
 * from the 2D heat-flow grid. (The 11 entry equals the one-input table up to the grid's
 * accuracy: a consistency check.)
 */
export function oneLoopTwoInput64(net: Network, opts: OneLoopOptions = {}): { e11: Table12; e12: Table12; info: Partial<OneLoopInfo> } {
  const r = twoInput(net, params(net), opts);
  return { e11: r.t11, e12: r.t, info: r.info };
}
