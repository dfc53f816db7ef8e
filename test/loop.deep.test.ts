/**
 * The two-input one-loop tables of deep networks (src/quantities/loop/):
 *   - the symmetric kernel (symmetricGrid.ts: only U_11 and U_12 carried, one FFT per layer, the
 *     density's transform analytic) equals the general kernel on the same grids;
 *   - relu's scale-free grid (rotated, steps in units of sqrt(K_11)) agrees with the grid on the
 *     axes that relu used before, within their Richardson error estimates, and its 11 entry with
 *     the closed-form one-input table;
 *   - at depth 1000 its largest stage stays small (the grid on the axes was refused there).
 * The depth-1000 tables themselves, and their timing, are in the benchmarks (src/bench/deepLoop.ts).
 */
import { network, NetworkOptions } from '../src/model/network';
import { meanFieldKernels } from '../src/quantities/kernel';
import { float64Interp } from '../src/interpret/numeric';
import { oneLoop64, oneLoopTwoInput64, twoInputGridFor, gridSize2, Grid2, Table12 } from '../src/quantities/loop';
import { params } from '../src/quantities/loop/common';
import { twoInputGrid } from '../src/quantities/loop/twoInputGrid';
import { twoInputGridSymmetric } from '../src/quantities/loop/symmetricGrid';
import { maxRelDiff } from './tables';

const KEYS = ['k1', 'c1', 'varC', 'varK'] as const;
function tableDiff(a: Table12, b: Table12, keys: readonly (keyof Table12)[] = KEYS): number {
  return Math.max(...keys.map((k) => maxRelDiff(a[k] as (number | null)[], b[k] as (number | null)[], 1e-12)));
}

describe('the symmetric kernel = the general kernel (same grid, no extrapolation)', () => {
  test.each([
    ['erf, c0 0.95, 5+ stages', { act: 'erf', alpha: '0.92', sw2: '1', sb2: '0', depth: 12, q0: '1', c0: '0.95' }, 1e-12],
    ['tanh, c0 -0.9, sb2 > 0', { act: 'tanh', alpha: '0.8', sw2: '1.5', sb2: '0.05', depth: 10, q0: '0.5', c0: '-0.9' }, 1e-12],
    // relu: the kinked sources keep some weight at the v axis' Nyquist frequency, where the two kernels
    // differ (the general one carries U_22 there, the symmetric one mirrors U_11); both tables are
    // within 4e-8 of the closed-form one-input table (11 entry), the grids' own discretisation error
    ['relu, scale-free grid over several stages', { act: 'relu', alpha: '0.5', sw2: '2', sb2: '0.1', depth: 14, q0: '1', c0: '0.6' }, 1e-7],
  ])('%s', (_, o, tol) => {
    const net = network(o as Partial<NetworkOptions>);
    const grid = twoInputGridFor([net]);
    expect(grid.rotated).toBe(true);
    if (o.act === 'relu') expect(grid.stages.length).toBeGreaterThan(2);
    const mf = meanFieldKernels(float64Interp, net);
    const P = params(net);
    const a = twoInputGridSymmetric(mf, P, grid);
    const b = twoInputGrid(mf, P, grid);
    expect(tableDiff(a.t, b.t, [...KEYS, 'chat1'])).toBeLessThan(tol);
    expect(tableDiff(a.t11, b.t11)).toBeLessThan(tol);
  });

  test('it refuses what it does not cover (a grid on the axes, a feed-forward net)', () => {
    const net = network({ act: 'tanh', depth: 3, c0: '0.5' });
    const mf = meanFieldKernels(float64Interp, net);
    const axes: Grid2 = { rotated: false, stages: [{ from: 1, n1: 64, n2: 64, h1: 0.3, h2: 0.3 }] };
    expect(() => twoInputGridSymmetric(mf, params(net), axes)).toThrow(/rotated grid/);
    const ff = network({ act: 'tanh', depth: 3, c0: '0.5', skip: 'none' });
    expect(() => twoInputGridSymmetric(meanFieldKernels(float64Interp, ff), params(ff), twoInputGridFor([ff]))).toThrow(/residual/);
  });
});

describe('relu: the scale-free grid', () => {
  const RELU = { act: 'relu', alpha: '0.5', sw2: '2', sb2: '0.1', q0: '1', c0: '0.6' };

  test('agrees with the grid on the axes (kinks on grid lines, fixed step 1/8) within the error estimates', () => {
    const net = network({ ...RELU, depth: 4 });
    const scaled = oneLoopTwoInput64(net);
    expect(scaled.info.method12).toBe('grid2d-rotated+richardson');
    const mf = meanFieldKernels(float64Interp, net);
    const half = 9 * Math.sqrt(mf.q[4]) + 2;
    const n = 2 ** Math.ceil(Math.log2((2 * half) / 0.0625));
    const axes = oneLoopTwoInput64(net, { grid12: { rotated: false, stages: [{ from: 1, n1: n, n2: n, h1: 0.0625, h2: 0.0625 }] } });
    expect(axes.info.method12).toBe('grid2d+richardson');
    const est = Math.max(scaled.info.errorEstimate12 as number, axes.info.errorEstimate12 as number);
    expect(est).toBeLessThan(1e-4);
    expect(tableDiff(scaled.e12, axes.e12, [...KEYS, 'chat1'])).toBeLessThan(3 * est);
    expect(tableDiff(scaled.e11, axes.e11)).toBeLessThan(3 * est);
  });

  test('depth 30 (kernel x 900, 10+ stages): the 11 entry equals the closed-form one-input table', () => {
    const net = network({ ...RELU, depth: 30 });
    const two = oneLoopTwoInput64(net);
    const one = oneLoop64(net);
    expect((two.info.grid12 as Grid2).stages.length).toBeGreaterThan(10);
    const est = two.info.errorEstimate12 as number;
    expect(est).toBeLessThan(1e-4);
    expect(tableDiff(two.e11, one as unknown as Table12)).toBeLessThan(Math.max(3 * est, 1e-9));
  });

  test('depth 1000: the schedule stays below 2^18 points per stage (the grid on the axes needed 2^60)', () => {
    const net = network({ ...RELU, alpha: '0.3', sw2: '1.6', depth: 1000 });
    const g = twoInputGridFor([net]);
    const { maxPoints } = gridSize2(g, 1000);
    expect(maxPoints).toBeLessThanOrEqual(2 ** 18);
    // steps grow with the kernel: the last stage's steps are ~sqrt(K^1000 / K^0) / 4 times the first's
    const last = g.stages[g.stages.length - 1];
    expect(last.h1 / g.stages[0].h1).toBeGreaterThan(1e12);
  });
});

describe('chat1 where the two grids do not resolve it', () => {
  test('agreedArrayOrNull: unresolved entries are null (listed), the others keep their agreed digits', () => {
    const { agreedArrayOrNull } = require('../src/numeric/agreed');
    const r = agreedArrayOrNull([0.5, 0.25, 0.1, 0.2], [0.5, 0.2500001, 0.12, 0.2000002], 'chat1');
    expect(r.values[0]).toBe('0.5');
    expect(r.values[1]).toBe('0.25');
    expect(r.values[2]).toBeNull();
    expect(r.values[3]).toBe('0.2');
    expect(r.unresolved).toEqual([2]);
  });
});
