/**
 * The staged two-input grid (src/quantities/loop/, twoInputGridFor): a residual network's
 * kernel widens layer by layer, so the grid does too — fine and narrow in the first layers, wide
 * and coarser later, with the fields carried exactly from stage to stage. Checked here:
 *   - the schedule's invariants (coverage of every layer's kernel, resolution of the previous
 *     layer's, steps that only double);
 *   - staged results equal those of one fixed fine grid (smooth, kinked, feed-forward);
 *   - at the depth and correlation of issue #3's example (depth 100, c0 = 0.99: a single grid
 *     would need 2048 x 4096 points) the 11 entry equals the independent one-input table;
 *   - Monte Carlo of finite-width networks at c0 = 0.99 agrees with the staged grid's 1/N
 *     coefficient of E[c_hat].
 */
import { network, NetworkOptions } from '../src/model/network';
import { oneLoop64, oneLoopTwoInput64, correlationOneLoop64, twoInputGridFor, refineGrid2, gridSize2, comparisonGrid2, Grid2, Table12 } from '../src/quantities/loop';
import { meanFieldKernels } from '../src/quantities/kernel';
import { fixedGrid } from '../src/bench/twoInput';
import { scaleFreeGrid } from '../src/quantities/loop/stagedGrid';
import { maxRelDiff } from './tables';
import { simulator, simSpec } from '../src/simulate';
import { float64Interp } from '../src/interpret/numeric';

function tableDiff(a: Table12, b: Table12): number {
  return Math.max(...(['k1', 'c1', 'varC', 'varK'] as const).map((k) => maxRelDiff(a[k], b[k], 1e-12)));
}

const DEEP: Partial<NetworkOptions> = { act: 'erf', alpha: '0.92', sw2: '1', sb2: '0', depth: 100, q0: '1', c0: '0.99' };

describe('the schedule', () => {
  test.each([
    ['erf, depth 100, c0 0.99 (issue #3 example)', DEEP],
    ['tanh, c0 -0.95 (the u axis is the narrow one)', { act: 'tanh', alpha: '0.7', sw2: '2', sb2: '0', depth: 40, q0: '1', c0: '-0.95' }],
    ['relu (kinked, homogeneous: scale-free rotated grid)', { act: 'relu', alpha: '0.5', sw2: '2', sb2: '0.1', depth: 20, q0: '1', c0: '0.9' }],
  ])('%s: every layer covered to 9 sd + 2 and resolved to 0.39 sd; steps only double', (_, o) => {
    const net = network(o);
    const g = twoInputGridFor([net]);
    const mf = meanFieldKernels(float64Interp, net);
    const L = net.depth;
    expect(g.rotated).toBe(net.act.continuity === 'smooth' || scaleFreeGrid(net.act));
    expect(g.stages[0].from).toBe(1);
    for (let i = 1; i < g.stages.length; i++) {
      const [a, b] = [g.stages[i - 1], g.stages[i]];
      expect(b.from).toBeGreaterThan(a.from);
      for (const r of [b.h1 / a.h1, b.h2 / a.h2]) expect(Number.isInteger(Math.log2(r)) && r >= 1).toBe(true);
    }
    const stageAt = (l: number) => [...g.stages].reverse().find((s) => s.from <= l) as (typeof g.stages)[0];
    for (let l = 1; l <= L; l++) {
      const s = stageAt(l);
      const [q, k12, qp, k12p] = [mf.q[l], mf.k12[l], mf.q[l - 1], mf.k12[l - 1]];
      const range = g.rotated ? [q + k12, q - k12] : [q, q];
      const narrow = g.rotated ? [qp + k12p, qp - k12p] : [qp - Math.abs(k12p), qp - Math.abs(k12p)];
      [s.n1 * s.h1, s.n2 * s.h2].forEach((width, a) => expect(width / 2).toBeGreaterThanOrEqual(9 * Math.sqrt(range[a]) + 2 - 1e-9));
      [s.h1, s.h2].forEach((h, a) => expect(h).toBeLessThanOrEqual(0.39 * Math.sqrt(narrow[a]) * (1 + 1e-12)));
    }
    // the deep example: fine steps only early; no stage near the old single-grid size
    if (o === DEEP) {
      const { maxPoints, work } = gridSize2(g, L);
      expect(maxPoints).toBeLessThanOrEqual(1024 * 512);
      const one = fixedGrid(g).stages[0];
      expect(work).toBeLessThan((L * one.n1 * one.n2) / 20);
      expect(g.stages[0].h2).toBeLessThan(g.stages[g.stages.length - 1].h2 / 4);
    }
  });

  test('refineGrid2 and comparisonGrid2 keep the ranges and halve (or double) the steps', () => {
    const g = twoInputGridFor([network(DEEP)]);
    const f = refineGrid2(g, 1);
    f.stages.forEach((s, i) => {
      expect(s.n1 * s.h1).toBeCloseTo(g.stages[i].n1 * g.stages[i].h1, 12);
      expect(s.h2).toBeCloseTo(g.stages[i].h2 / 2, 15);
    });
    // the deep example's finer grid (2048 x 1024 at the end) is still supported
    expect(comparisonGrid2(g, 100)).toEqual(f);
  });

  test('a grid whose steps do not double between stages is refused', () => {
    const net = network({ ...DEEP, depth: 4 });
    const bad: Grid2 = { rotated: true, stages: [{ from: 1, n1: 64, n2: 64, h1: 0.2, h2: 0.1 }, { from: 3, n1: 64, n2: 64, h1: 0.3, h2: 0.1 }] };
    expect(() => oneLoopTwoInput64(net, { grid12: bad })).toThrow(/power of 2/);
  });
});

describe('staged = one fixed fine grid', () => {
  test.each([
    ['erf, c0 0.95 (rotated, 5+ stages)', { act: 'erf', alpha: '0.92', sw2: '1', sb2: '0', depth: 12, q0: '1', c0: '0.95' }, 1e-10],
    ['tanh, c0 -0.9, sb2 > 0', { act: 'tanh', alpha: '0.8', sw2: '1.5', sb2: '0.05', depth: 10, q0: '0.5', c0: '-0.9' }, 1e-10],
    ['feed-forward tanh', { act: 'tanh', sw2: '1.2', sb2: '0.05', depth: 8, q0: '1', c0: '0.8', skip: 'none' }, 1e-10],
  ])('%s', (_, o, tol) => {
    const net = network(o as Partial<NetworkOptions>);
    const staged = oneLoopTwoInput64(net);
    const g = staged.info.grid12 as Grid2;
    expect(g.stages.length).toBeGreaterThan(net.skip === 'none' ? 0 : 1);
    const fixed = oneLoopTwoInput64(net, { grid12: fixedGrid(g) });
    expect(tableDiff(staged.e12, fixed.e12)).toBeLessThan(tol);
    expect(tableDiff(staged.e11, fixed.e11)).toBeLessThan(tol);
  });

  test('relu (kinked, Richardson on both): staged and fixed agree within the error estimate', () => {
    const net = network({ act: 'relu', alpha: '0.7', sw2: '2', sb2: '0.1', depth: 4, q0: '1', c0: '0.3' });
    const staged = oneLoopTwoInput64(net);
    const g = staged.info.grid12 as Grid2;
    expect(g.stages.length).toBeGreaterThan(1);
    const fixed = oneLoopTwoInput64(net, { grid12: fixedGrid(g) });
    const est = Math.max(staged.info.errorEstimate12 as number, fixed.info.errorEstimate12 as number);
    expect(est).toBeLessThan(1e-3);
    expect(tableDiff(staged.e12, fixed.e12)).toBeLessThan(3 * est + 1e-12);
  });
});

test('depth 100, c0 0.99: the 11 entry of the staged 2D grid equals the one-input table', () => {
  const net = network(DEEP);
  const one = oneLoop64(net);
  const two = oneLoopTwoInput64(net);
  expect(two.info.method12).toBe('grid2d-rotated');
  for (const k of ['k1', 'c1', 'varC', 'varK'] as const) expect(maxRelDiff(two.e11[k], one[k], 1e-12)).toBeLessThan(1e-9);
  // and the off-diagonal entries are finite at every layer
  for (const k of ['k1', 'c1', 'varC', 'varK'] as const) two.e12[k].slice(1).forEach((x) => expect(Number.isFinite(x as number)).toBe(true));
});

test('Monte Carlo through the staged grid: erf, depth 10, c0 0.99 (4 stages): N (E[c_hat] - c) -> the predicted coefficient', () => {
  // fast (exact in distribution) sampler; y = N (c_hat^L - c^L) per network; its mean at widths
  // 32, 64, 128 is fitted by a + b/N and the intercept a compared with the theory (|z| < 3.5)
  const spec = { act: 'erf', alpha: '0.92', sw2: '1', sb2: '0', depth: 10, q0: '1', c0: '0.99' };
  const net = network(spec);
  const th = correlationOneLoop64(net);
  expect((th.info.grid12 as Grid2).stages.length).toBeGreaterThanOrEqual(3);
  const widths = [32, 64, 128];
  const stats = widths.map((N) => {
    const sim = simulator(simSpec(net, N, { K0: [1, 0.99, 0.99, 1] }), 'fast');
    let n = 0, m = 0, m2 = 0;
    for (let i = 0; i < 8000; i++)
      sim.run(20261122, i, (v) => {
        if (v.layer !== spec.depth) return;
        const h = v.h;
        let k11 = 0, k22 = 0, k12 = 0;
        for (let j = 0; j < N; j++) {
          const a = h[j], b = h[N + j];
          k11 += a * a; k22 += b * b; k12 += a * b;
        }
        const y = N * (k12 / Math.sqrt(k11 * k22) - th.c);
        n++;
        const d = y - m;
        m += d / n;
        m2 += d * (y - m);
      });
    return { mean: m, se: Math.sqrt(m2 / (n - 1) / n) };
  });
  let s00 = 0, s01 = 0, s11 = 0, t0 = 0, t1 = 0;
  widths.forEach((N, i) => {
    const w = 1 / stats[i].se ** 2;
    s00 += w; s01 += w / N; s11 += w / (N * N); t0 += w * stats[i].mean; t1 += (w * stats[i].mean) / N;
  });
  const det = s00 * s11 - s01 * s01;
  const a = (s11 * t0 - s01 * t1) / det;
  const se = Math.sqrt(s11 / det);
  expect(Math.abs(a - th.coefficient) / se).toBeLessThan(3.5);
  // the 1/N effect is resolved: mean field alone (y = 0) is rejected at the smallest width
  expect(Math.abs(stats[0].mean) / stats[0].se).toBeGreaterThan(3.5);
});
