/**
 * One-loop (1/N) numbers, src/quantities/loop/: internal consistency and exactly computable
 * cases. (Monte Carlo comparisons: test/loop.mc.test.ts.)
 */
import * as fs from 'fs';
import * as path from 'path';
import { network, NetworkOptions } from '../src/model/network';
import { oneLoop64, oneLoopTwoInput64, oneLoopExpansionParameter, OneLoopTable } from '../src/quantities/loop';
import { linearNetworkMoments } from '../src/simulate/exact';
import { meanFieldKernels } from '../src/quantities/kernel';
import { float64Interp } from '../src/interpret/numeric';
import { maxRelDiff } from './tables';

const LONG = process.env.FIELDPROP_LONG === '1';
const v = (x: number | null | undefined): number => {
  if (x === null || x === undefined) throw new Error('missing entry');
  return x;
};
const KEYS = ['k1', 'c1', 'varC', 'varK', 'c1_curvature'] as const;

const TANH: Partial<NetworkOptions> = { act: 'tanh', alpha: '0.7', sw2: '2', sb2: '0', depth: 6, q0: '1' };
const ERF: Partial<NetworkOptions> = { act: 'erf', alpha: '0.6', sw2: '1.5', sb2: '0.05', depth: 6, q0: '1' };
const RELU: Partial<NetworkOptions> = { act: 'relu', alpha: '0.5', sw2: '2', sb2: '0.1', depth: 6, q0: '1' };

describe('table layout and exact identities', () => {
  test('index 0, lengths, k1 = a * cumulative sum of c1 (exact at every N), varK[0] = 2 q0^2', () => {
    for (const o of [TANH, ERF, RELU]) {
      const net = network({ ...o, q0: '1.3' });
      const t = oneLoop64(net);
      for (const k of KEYS) expect(t[k]).toHaveLength(net.depth + 1);
      expect(t.k1[0]).toBe(0);
      expect(t.c1[0]).toBeNull();
      expect(t.varC[0]).toBeNull();
      expect(t.c1_curvature[0]).toBeNull();
      expect(v(t.varK[0])).toBeCloseTo(2 * 1.3 * 1.3, 14);
      const a = Number(net.alpha) ** 2;
      let s = 0;
      for (let l = 1; l <= net.depth; l++) {
        s += v(t.c1[l]);
        expect(v(t.k1[l])).toBeCloseTo(a * s, 12);
      }
      expect(t.c1[1]).toBe(0); // C_hat^1 depends only on the exactly Gaussian input layer
    }
  });

  test('--scaling variance with alpha = a gives the amplitude table with alpha = sqrt(a)', () => {
    const t1 = oneLoop64(network(TANH));
    const t2 = oneLoop64(network({ ...TANH, alpha: '0.49', scaling: 'variance' }));
    for (const k of KEYS) expect(maxRelDiff(t2[k], t1[k])).toBeLessThan(1e-13);
  });

  test('feed-forward: k1 = c1 = c1_curvature (white noise, no memory term), varK = varC + 2 C^2', () => {
    const net = network({ ...TANH, skip: 'none' });
    const t = oneLoop64(net);
    const mf = meanFieldKernels(float64Interp, net);
    for (let l = 1; l <= net.depth; l++) {
      expect(t.k1[l]).toBe(t.c1[l]);
      expect(t.c1_curvature[l]).toBe(t.c1[l]);
      expect(v(t.varK[l])).toBeCloseTo(v(t.varC[l]) + 2 * mf.C11[l] ** 2, 12);
    }
  });

  test('the expansion parameter a sw2 L / N', () => {
    expect(oneLoopExpansionParameter(network(RELU), 100)).toBeCloseTo((0.25 * 2 * 6) / 100, 14);
    expect(oneLoopExpansionParameter(network({ ...RELU, skip: 'none' }), 100)).toBeCloseTo(0.06, 14);
  });
});

describe('linear activation: exact finite-width moments', () => {
  // E[K_hat] is exactly the mean field: k1 = c1 = 0; N Var from the exact two-moment recursion,
  // extrapolated to N -> infinity (Richardson in 1/N: 2 f(2N) - f(N)).
  const LIN = { act: 'linear', alpha: '0.6', sw2: '1.5', sb2: '0.2', depth: 7, q0: '0.8' };
  for (const skip of ['residual', 'none'] as const) {
    test(`${skip}: k1 = c1 = 0 and N Var(K_hat), N Var(C_hat) equal the exact N -> infinity limit`, () => {
      const net = network({ ...LIN, skip });
      const t = oneLoop64(net);
      const ex = (N: number) => linearNetworkMoments({ width: N, depth: net.depth, sw2: 1.5, sb2: 0.2, branch: 0.6, skip, q0: 0.8 });
      const N = 1e5;
      const e1 = ex(N);
      const e2 = ex(2 * N);
      for (let l = 0; l <= net.depth; l++) {
        expect(Math.abs(v(t.k1[l]))).toBeLessThan(1e-12);
        const vk = 2 * (2 * N) * e2.varK[l] - N * e1.varK[l];
        expect(Math.abs(v(t.varK[l]) - vk) / vk).toBeLessThan(1e-7);
        if (l >= 1) {
          expect(Math.abs(v(t.c1[l]))).toBeLessThan(1e-12);
          const vc = 2 * (2 * N) * e2.varC[l] - N * e1.varC[l];
          expect(Math.abs(v(t.varC[l]) - vc) / vc).toBeLessThan(1e-7);
        }
      }
    });
  }
});

describe('relu: the whole correction is the memory term', () => {
  test('c1_curvature vanishes identically, c1 does not (and grows with depth)', () => {
    const t = oneLoop64(network(RELU));
    for (let l = 1; l <= 6; l++) expect(t.c1_curvature[l]).toBe(0);
    for (let l = 2; l <= 6; l++) expect(v(t.c1[l])).toBeGreaterThan(v(t.c1[l - 1]));
    expect(v(t.c1[6])).toBeGreaterThan(1);
    expect(t.info?.method).toBe('closed-form');
  });

  test('closed forms = heat-flow grid (Richardson) = pairwise angular Gauss-Legendre rule', () => {
    const net = network(RELU);
    const c = oneLoop64(net);
    const g = oneLoop64(net, { method: 'grid' });
    const q = oneLoop64(net, { method: 'pairwise' });
    expect(g.info?.method).toBe('grid+richardson');
    expect(q.info?.method).toBe('pairwise-polar');
    for (const k of ['k1', 'c1', 'varC', 'varK'] as const) {
      expect(maxRelDiff(g[k], c[k])).toBeLessThan(2e-7);
      expect(maxRelDiff(q[k], c[k])).toBeLessThan(1e-9);
    }
    const scale = Math.max(...c.c1.slice(1).map((x) => Math.abs(v(x))));
    for (let l = 1; l <= 6; l++) {
      expect(Math.abs(v(g.c1_curvature[l]))).toBeLessThan(1e-10 * scale);
      expect(Math.abs(v(q.c1_curvature[l]))).toBeLessThan(1e-10 * scale);
    }
  });
});

describe('smooth activations: heat-flow grid = pairwise quadrature', () => {
  for (const o of [TANH, ERF, { ...TANH, sb2: '0.3', q0: '0.3', alpha: '0.4' }]) {
    test(`${o.act} alpha ${o.alpha} q0 ${o.q0}`, () => {
      const net = network(o);
      const g = oneLoop64(net);
      const q = oneLoop64(net, { method: 'pairwise' });
      expect(g.info?.method).toBe('grid');
      for (const k of KEYS) expect(maxRelDiff(g[k], q[k])).toBeLessThan(1e-9);
    });
  }

  test('tanh ResNet: the curvature term alone is about an order of magnitude short of c1', () => {
    const t = oneLoop64(network(TANH));
    for (let l = 3; l <= 6; l++) expect(Math.abs(v(t.c1[l]))).toBeGreaterThan(5 * Math.abs(v(t.c1_curvature[l])));
  });

  test('large variances (erf ResNet, depth 400, K ~ 55): the grid result does not depend on the step', () => {
    const net = network({ act: 'erf', depth: 400 });
    const a = oneLoop64(net);
    const b = oneLoop64(net, { gridStep: 0.1 });
    expect(a.info?.gridStep).toBe(0.2);
    for (const k of KEYS) expect(maxRelDiff(a[k], b[k])).toBeLessThan(1e-10);
    expect(Number.isFinite(v(a.varK[400]))).toBe(true);
  });
});

describe('Python reference theory (test/fixtures/loop_theory.py, independent code)', () => {
  const fx = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'loop_mc.json'), 'utf8')) as {
    configs: { name: string; act: string; alpha: number; sw2: number; sb2: number; depth: number; q0: number; c0?: number; skip: string; python_theory: Record<string, (number | null)[]> }[];
  };
  for (const c of fx.configs) {
    test(c.name, () => {
      const net = network({ act: c.act, alpha: String(c.alpha), sw2: String(c.sw2), sb2: String(c.sb2), depth: c.depth, q0: String(c.q0), c0: String(c.c0 ?? 0), skip: c.skip });
      // the Python grid for relu is a plain trapezoid at a small step (no extrapolation)
      const tol = c.act === 'relu' ? 2e-4 : 1e-8;
      if (c.c0 === undefined) {
        const t = oneLoop64(net);
        for (const k of KEYS) expect(maxRelDiff(c.python_theory[k], t[k])).toBeLessThan(tol);
      } else {
        const t = oneLoopTwoInput64(net).e12;
        for (const k of ['k1', 'c1', 'varC', 'varK'] as const) expect(maxRelDiff(c.python_theory[k], t[k])).toBeLessThan(tol);
      }
    });
  }
});

describe('two inputs', () => {
  const TWO = { ...TANH, depth: 3, c0: '0.6' };
  test('the 11 entry of the 2D computation equals the one-input table', () => {
    for (const o of [TWO, { ...TWO, skip: 'none' }, { ...TWO, act: 'erf', c0: '-0.3' }]) {
      const net = network(o);
      const one = oneLoop64(net);
      const two = oneLoopTwoInput64(net);
      for (const k of ['k1', 'c1', 'varC', 'varK'] as const) expect(maxRelDiff(two.e11[k], one[k])).toBeLessThan(1e-9);
    }
  });

  test('relu (kinked: Richardson on the 2D grid): 11 entry = closed-form one-input table', () => {
    const net = network({ ...RELU, depth: 3, c0: '0.6' });
    const one = oneLoop64(net);
    const two = oneLoopTwoInput64(net);
    expect(two.info.method12).toBe('grid2d-rotated+richardson');
    for (const k of ['k1', 'c1', 'varC', 'varK'] as const) expect(maxRelDiff(two.e11[k], one[k])).toBeLessThan(2e-4);
  });

  test('the _12 arrays: computed with twoInputs, or lazily on first access (not enumerable)', () => {
    const net = network(TWO);
    const eager = oneLoop64(net, { twoInputs: true });
    const lazy = oneLoop64(net);
    expect(Object.keys(lazy)).not.toContain('k1_12');
    expect(JSON.parse(JSON.stringify(lazy)).c1_12).toBeUndefined();
    const k12 = lazy.k1_12 as (number | null)[];
    expect(k12).toEqual(eager.k1_12);
    expect(lazy.varK_12).toEqual(eager.varK_12);
    expect(eager.varK_12?.[0]).toBeCloseTo(1 + 0.36, 14); // N Var(K_hat^0_12) = K11 K22 + K12^2
    expect(eager.c1_12?.[1]).toBeCloseTo(0, 12);
    const copy: OneLoopTable = { ...lazy, k1_12: [1] };
    expect(copy.k1_12).toEqual([1]);
  });

  test('c0 = 0 with an odd activation and no bias: C_hat_12 has mean exactly mean field (0), k1_12 = c1_12 = 0', () => {
    const t = oneLoop64(network({ ...TWO, c0: '0' }), { twoInputs: true });
    for (let l = 1; l <= 3; l++) {
      expect(Math.abs(v(t.c1_12?.[l]))).toBeLessThan(1e-12);
      expect(Math.abs(v(t.k1_12?.[l]))).toBeLessThan(1e-12);
      expect(v(t.varC_12?.[l])).toBeGreaterThan(0);
    }
  });
});

(LONG ? describe : describe.skip)('performance (FIELDPROP_LONG=1)', () => {
  test('one-input one-loop tables at depth 1000 in float64 in under 10 s (erf, tanh, relu)', () => {
    for (const act of ['erf', 'tanh', 'relu']) {
      const t0 = Date.now();
      const t = oneLoop64(network({ act, depth: 1000 }));
      const dt = (Date.now() - t0) / 1000;
      expect(dt).toBeLessThan(10);
      expect(Number.isFinite(v(t.varK[1000]))).toBe(true);
    }
  });
});

describe('two inputs that cannot be computed', () => {
  test('c0 = 1: eager computation throws; lazy _12 arrays are undefined with a note', () => {
    const net = network({ ...TANH, depth: 2, c0: '1' });
    expect(() => oneLoop64(net, { twoInputs: true })).toThrow(/c0 = \+-1/);
    const t = oneLoop64(net);
    expect(t.k1_12).toBeUndefined();
    expect(t.info?.note12).toMatch(/single input/);
    expect(t.k1).toHaveLength(3);
  });
});
