/**
 * One-loop (1/N) theory against Monte Carlo of finite-width networks.
 *
 * Fixture: test/fixtures/loop_mc.json, made by test/fixtures/make_loop.py (exact fast sampler,
 * widths N = 32, 64, 128, 256, seeds and sample sizes recorded there). For every quantity and
 * layer the test forms y_N = N (E_MC - mean field) (means) or y_N = N Var_MC (variances) with
 * standard errors, fits y_N = a + b/N by weighted least squares, and compares the intercept a
 * with the one-loop coefficient: z = (a - theory) / SE(a). Threshold: Bonferroni at family-wise
 * error 0.001 over all the comparisons of this file (fixed here, before looking at z).
 */
import * as fs from 'fs';
import * as path from 'path';
import { network } from '../src/model/network';
import { oneLoop64, oneLoopTwoInput64 } from '../src/quantities/loop';
import { meanFieldKernels } from '../src/quantities/kernel';
import { float64Interp } from '../src/interpret/numeric';
import { fitIntercept, zQuantile } from './tables';

interface Series {
  K_mean: (number | null)[];
  K_mean_se: (number | null)[];
  K_var: (number | null)[];
  K_var_se: (number | null)[];
  C_mean: (number | null)[];
  C_mean_se: (number | null)[];
  C_var: (number | null)[];
  C_var_se: (number | null)[];
}
interface Run {
  N: number;
  S: number;
  seed: number;
  '11': Series;
  '12'?: Series;
}
interface Config {
  name: string;
  act: string;
  alpha: number;
  sw2: number;
  sb2: number;
  depth: number;
  q0: number;
  c0?: number;
  skip: string;
  runs: Run[];
}

const fx = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'loop_mc.json'), 'utf8')) as { configs: Config[] };

interface Comparison {
  config: string;
  entry: string;
  quantity: string;
  layer: number;
  a: number;
  se: number;
  theory: number;
  z: number;
  /** z of the intercept against 0 (mean field) and against the curvature-only c1. */
  zZero: number;
  zCurv?: number;
}

function nonNull(x: number | null | undefined): number {
  if (x === null || x === undefined) throw new Error('missing value');
  return x;
}

const comparisons: Comparison[] = [];
for (const c of fx.configs) {
  const net = network({ act: c.act, alpha: String(c.alpha), sw2: String(c.sw2), sb2: String(c.sb2), depth: c.depth, q0: String(c.q0), c0: String(c.c0 ?? 0), skip: c.skip });
  const mf = meanFieldKernels(float64Interp, net);
  const one = oneLoop64(net);
  const entries: { entry: '11' | '12'; th: { k1: (number | null)[]; c1: (number | null)[]; varC: (number | null)[]; varK: (number | null)[]; c1_curvature?: (number | null)[] }; K: number[]; C: number[] }[] = [
    { entry: '11', th: one, K: mf.q, C: mf.C11 },
  ];
  if (c.c0 !== undefined) entries.push({ entry: '12', th: oneLoopTwoInput64(net).e12, K: mf.k12, C: mf.C12 });
  const Ns = c.runs.map((r) => r.N);
  for (const e of entries) {
    const quantities = [
      { quantity: 'c1', mean: 'C_mean', se: 'C_mean_se', variance: false, from: 1 },
      { quantity: 'k1', mean: 'K_mean', se: 'K_mean_se', variance: false, from: 1 },
      { quantity: 'varC', mean: 'C_var', se: 'C_var_se', variance: true, from: 1 },
      { quantity: 'varK', mean: 'K_var', se: 'K_var_se', variance: true, from: 0 },
    ] as const;
    for (const q of quantities) {
      for (let l = q.from; l <= c.depth; l++) {
        const y: number[] = [];
        const se: number[] = [];
        for (const r of c.runs) {
          const s = r[e.entry] as Series;
          const m = nonNull(s[q.mean][l]);
          const sd = nonNull(s[q.se][l]);
          const mfv = q.variance ? 0 : q.quantity === 'c1' ? e.C[l] : e.K[l];
          y.push(r.N * (m - mfv));
          se.push(r.N * sd);
        }
        const f = fitIntercept(Ns, y, se);
        const theory = nonNull(e.th[q.quantity][l]);
        const curv = q.quantity === 'c1' && e.th.c1_curvature ? nonNull(e.th.c1_curvature[l]) : undefined;
        comparisons.push({
          config: c.name, entry: e.entry, quantity: q.quantity, layer: l, a: f.a, se: f.se, theory,
          z: (f.a - theory) / f.se, zZero: f.a / f.se, zCurv: curv === undefined ? undefined : (f.a - curv) / f.se,
        });
      }
    }
  }
}
const Z = zQuantile(0.001 / (2 * comparisons.length));

describe('one-loop theory vs Monte Carlo (fixture test/fixtures/loop_mc.json)', () => {
  test('the fixture covers tanh, erf, relu; residual and feed-forward; one and two inputs; widths 32..256', () => {
    const names = fx.configs.map((c) => c.name);
    for (const n of ['tanh-res', 'erf-res', 'relu-res', 'tanh-ff', 'erf-ff', 'relu-ff', 'tanh-res-2in', 'relu-res-2in', 'erf-ff-2in']) expect(names).toContain(n);
    for (const c of fx.configs) expect(c.runs.map((r) => r.N)).toEqual([32, 64, 128, 256]);
    expect(Z).toBeGreaterThan(4);
    expect(Z).toBeLessThan(5);
  });

  for (const c of fx.configs) {
    test(`${c.name}: every 1/N coefficient agrees (|z| below the Bonferroni threshold)`, () => {
      const mine = comparisons.filter((x) => x.config === c.name);
      expect(mine.length).toBeGreaterThan(20);
      const bad = mine.filter((x) => !(Math.abs(x.z) <= Z));
      expect(bad.map((x) => `${x.entry} ${x.quantity}[${x.layer}]: MC ${x.a.toFixed(4)} ± ${x.se.toFixed(4)}, theory ${x.theory.toFixed(4)}, z ${x.z.toFixed(2)}`)).toEqual([]);
    });
  }

  test('the test has power: mean field alone (coefficient 0) fails for the residual nets', () => {
    for (const name of ['tanh-res', 'erf-res', 'relu-res']) {
      const m = comparisons.filter((x) => x.config === name && x.quantity === 'c1');
      expect(Math.max(...m.map((x) => Math.abs(x.zZero)))).toBeGreaterThan(Z);
    }
  });

  test('a curvature-only theory fails: relu (curvature term 0) and tanh ResNets', () => {
    for (const name of ['relu-res', 'tanh-res']) {
      const m = comparisons.filter((x) => x.config === name && x.quantity === 'c1' && x.entry === '11');
      expect(Math.max(...m.map((x) => Math.abs(x.zCurv as number)))).toBeGreaterThan(Z);
    }
  });

  test('the z-scores look like a standard normal sample (no systematic offset)', () => {
    const zs = comparisons.map((x) => x.z);
    const mean = zs.reduce((s, z) => s + z, 0) / zs.length;
    const rms = Math.sqrt(zs.reduce((s, z) => s + z * z, 0) / zs.length);
    // comparisons within a configuration are correlated (layers share the same networks):
    // generous bounds, still far from what a wrong coefficient produces
    expect(Math.abs(mean)).toBeLessThan(1);
    expect(rms).toBeLessThan(1.6);
  });
});
