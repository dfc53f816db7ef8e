/**
 * The composed one-loop theory (src/quantities/loop/netOneLoop.ts) against Monte Carlo of
 * finite-width networks built from the same descriptions.
 *
 * Fixture: test/fixtures/net_loop_mc.json, made by test/fixtures/make_net_loop_mc.py with the NumPy
 * sampler net_mc.py (exact sampling of each dense layer given its input's empirical kernel; two
 * inputs; widths 32, 64, 128, 256; S N = 4e7 per width; seeds recorded; control variates). The
 * networks: post-activation ResNets x + alpha phi(W x + b) with erf and tanh, two-layer-block
 * ResNets x + alpha (W2 phi(W1 x + b1) + b2) with erf and tanh, x + alpha relu(W x + b) (every neuron
 * carries a shared mean), and a dense + tanh stem before post-activation erf blocks with the
 * schedule alpha_l = alpha / sqrt(L).
 *
 * Per row and quantity (K_hat_11, K_hat_12, c_hat) the test forms y_N = N (E_MC - mean field) with
 * standard errors, fits y_N = a + b/N by weighted least squares and compares the intercept with the
 * theory's coefficient (k1, k1_12, chat1): z = (a - theory) / SE(a). Threshold: Bonferroni at
 * family-wise error 0.001 over all comparisons of this file (fixed before looking at z). Mean field
 * alone (coefficient 0) must fail for every network; for the relu network, whose correction is
 * mostly the memory term, so must the curvature term alone.
 */
import * as fs from 'fs';
import * as path from 'path';
import { parseNetwork } from '../src/model/net';
import { netOneLoop64, NetOneLoop } from '../src/quantities/loop/netOneLoop';
import { fitIntercept, zQuantile } from './tables';

type Run = { N: number; K11_mean: number[]; K11_se: number[]; K12_mean: number[]; K12_se: number[]; chat_mean: number[]; chat_se: number[] };
interface Config {
  name: string;
  net: unknown;
  runs: Run[];
}

const fx = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'net_loop_mc.json'), 'utf8')) as { configs: Config[] };

interface Comparison {
  config: string;
  row: number;
  what: string;
  a: number;
  se: number;
  theory: number;
  curvature?: number;
}

const theories = new Map<string, NetOneLoop>();
const comparisons: Comparison[] = [];
for (const c of fx.configs) {
  const t = netOneLoop64(parseNetwork(c.net, c.name));
  theories.set(c.name, t);
  const Ns = c.runs.map((r) => r.N);
  t.rows.forEach((row, l) => {
    const quantities: [string, number, (r: Run) => [number, number], number | undefined][] = [
      ['k1', row.k1[0], (r) => [r.K11_mean[l] - row.K[0], r.K11_se[l]], row.k1Curvature[0]],
      ['k1_12', row.k1[1], (r) => [r.K12_mean[l] - row.K[1], r.K12_se[l]], row.k1Curvature[1]],
      ['chat1', row.chat1 as number, (r) => [r.chat_mean[l] - (row.c as number), r.chat_se[l]], undefined],
    ];
    for (const [what, theory, at, curvature] of quantities) {
      // row 0 of K is the input: exact (no fluctuation of its mean)
      if (l === 0 && what !== 'chat1') continue;
      const f = fitIntercept(Ns, c.runs.map((r) => r.N * at(r)[0]), c.runs.map((r) => r.N * at(r)[1]));
      comparisons.push({ config: c.name, row: l, what, a: f.a, se: f.se, theory, curvature });
    }
  });
}
const Z = zQuantile(0.001 / (2 * comparisons.length));

describe('the composed one-loop theory against Monte Carlo (fixture test/fixtures/net_loop_mc.json)', () => {
  test('the fixture: six networks, two inputs, widths 32..256', () => {
    expect(fx.configs.map((c) => c.name)).toEqual(['post-erf', 'post-tanh', 'two-erf', 'two-tanh', 'post-relu-mean', 'stem-sched']);
    for (const c of fx.configs) expect(c.runs.map((r) => r.N)).toEqual([32, 64, 128, 256]);
    expect(comparisons.length).toBeGreaterThan(100);
  });

  test('k1, k1_12 and chat1 agree with the 1/N intercepts of Monte Carlo within their errors', () => {
    const bad = comparisons.filter((x) => Math.abs((x.a - x.theory) / x.se) > Z);
    expect(bad.map((x) => `${x.config} row ${x.row} ${x.what}: MC ${x.a.toFixed(4)} +- ${x.se.toFixed(4)}, theory ${x.theory.toFixed(4)}`)).toEqual([]);
  });

  test('mean field alone is rejected for every network', () => {
    for (const c of fx.configs) {
      const zs = comparisons.filter((x) => x.config === c.name).map((x) => Math.abs(x.a / x.se));
      expect(Math.max(...zs)).toBeGreaterThan(Z);
    }
  });

  test('x + alpha relu(W x + b): the memory term matters (the curvature term alone is rejected), and it is most of k1 at the last row', () => {
    const relu = comparisons.filter((x) => x.config === 'post-relu-mean' && x.curvature !== undefined);
    const zc = relu.map((x) => Math.abs((x.a - (x.curvature as number)) / x.se));
    expect(Math.max(...zc)).toBeGreaterThan(Z);
    const t = theories.get('post-relu-mean') as NetOneLoop;
    const last = t.rows[t.rows.length - 1];
    expect(Math.abs(last.k1[0] - last.k1Curvature[0])).toBeGreaterThan(0.8 * Math.abs(last.k1[0]));
  });

  test('odd activations in the post-activation and two-layer forms: no memory term (k1 is its curvature part)', () => {
    for (const name of ['post-erf', 'post-tanh', 'two-erf', 'two-tanh']) {
      const t = theories.get(name) as NetOneLoop;
      for (const r of t.rows) for (let e = 0; e < 3; e++) expect(Math.abs(r.k1[e] - r.k1Curvature[e])).toBeLessThan(1e-9 * Math.max(1, Math.abs(r.k1[e])));
    }
  });
});
