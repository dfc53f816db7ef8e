/**
 * The Monte Carlo fixture of composed networks (test/fixtures/net_loop_mc.json, made by
 * test/fixtures/make_net_loop_mc.py with the NumPy sampler net_mc.py) is consistent with the
 * engine: every network description parses, its netMeanField rows are the fixture's rows, the
 * fixture's independent Python mean field (with the means of relu) equals netMeanField, and the
 * finite-width averages extrapolate to the engine's mean field: per row and entry a weighted fit
 * mean_N = a + b/N + c/N^2 over the widths 32..256, |a - K| / SE(a) below the Bonferroni
 * threshold of family-wise error 0.001 over all fits of this file (fixed before looking at z).
 * The one-loop slopes (k1, k1_12, chat1) are compared with the theory elsewhere.
 */
import * as fs from 'fs';
import * as path from 'path';

import { parseNetwork } from '../src/model/net';
import { netMeanField, twoInputTable } from '../src/quantities/netMeanField';
import { float64Interp } from '../src/interpret/numeric';
import { zQuantile } from './tables';

type Entry = 'K11' | 'K12' | 'K22' | 'chat';
type Run = { N: number; S: number; seed: number } & Record<`${Entry}_${'mean' | 'se'}`, number[]>;
interface Config {
  name: string;
  net: unknown;
  rows: number;
  mf: { K11: number[]; K12: number[]; K22: number[]; c: number[]; m: number[] };
  runs: Run[];
}

const fx = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'net_loop_mc.json'), 'utf8')) as {
  widths: number[];
  work_per_width: number;
  configs: Config[];
};

const engine = fx.configs.map((c) => twoInputTable(float64Interp, netMeanField(float64Interp, parseNetwork(c.net, c.name))));

/** Weighted least squares y = p0 + p1/N + p2/N^2: p0 and its standard error. */
function intercept3(N: number[], y: number[], se: number[]): { a: number; se: number } {
  const A = [[0, 0, 0], [0, 0, 0], [0, 0, 0]];
  const t = [0, 0, 0];
  N.forEach((n, i) => {
    const x = [1, 1 / n, 1 / (n * n)];
    const w = 1 / (se[i] * se[i]);
    for (let r = 0; r < 3; r++) {
      t[r] += w * x[r] * y[i];
      for (let s = 0; s < 3; s++) A[r][s] += w * x[r] * x[s];
    }
  });
  // the (0, 0) entry of A^-1 by cofactors, and p0 by Cramer's rule
  const det3 = (M: number[][]) =>
    M[0][0] * (M[1][1] * M[2][2] - M[1][2] * M[2][1]) - M[0][1] * (M[1][0] * M[2][2] - M[1][2] * M[2][0]) + M[0][2] * (M[1][0] * M[2][1] - M[1][1] * M[2][0]);
  const D = det3(A);
  const c00 = (A[1][1] * A[2][2] - A[1][2] * A[2][1]) / D;
  const B = A.map((row, r) => [t[r], row[1], row[2]]);
  return { a: det3(B) / D, se: Math.sqrt(c00) };
}

const ENTRIES: Entry[] = ['K11', 'K12', 'K22', 'chat'];
const fits = fx.configs.map((c, k) => {
  const e = engine[k];
  const mf: Record<Entry, number[]> = { K11: e.q, K12: e.k12, K22: e.q22, chat: e.c };
  const out: { row: number; entry: Entry; a: number; se: number; z: number }[] = [];
  for (let l = 0; l < c.rows; l++) {
    for (const entry of ENTRIES) {
      const se = c.runs.map((r) => r[`${entry}_se`][l]);
      // row 0 of K: the input's own draws are the controls, so the estimate is K0 exactly
      if (Math.min(...se) <= 1e-12 * Math.max(1, Math.abs(mf[entry][l]))) continue;
      const f = intercept3(c.runs.map((r) => r.N), c.runs.map((r) => r[`${entry}_mean`][l]), se);
      out.push({ row: l, entry, a: f.a, se: f.se, z: (f.a - mf[entry][l]) / f.se });
    }
  }
  return out;
});
const Z = zQuantile(0.001 / (2 * fits.reduce((s, f) => s + f.length, 0)));

describe('Monte Carlo fixture of composed networks (test/fixtures/net_loop_mc.json)', () => {
  test('six networks, widths 32..256, S N fixed, distinct seeds', () => {
    expect(fx.configs.map((c) => c.name)).toEqual(['post-erf', 'post-tanh', 'two-erf', 'two-tanh', 'post-relu-mean', 'stem-sched']);
    const seeds = new Set<number>();
    for (const c of fx.configs) {
      expect(c.runs.map((r) => r.N)).toEqual([32, 64, 128, 256]);
      for (const r of c.runs) {
        expect(r.S).toBe(Math.floor(fx.work_per_width / r.N));
        seeds.add(r.seed);
      }
    }
    expect(seeds.size).toBe(4 * fx.configs.length);
  });

  test('every description parses and has the fixture rows (netMeanField rows = recorded rows)', () => {
    fx.configs.forEach((c, k) => {
      expect(engine[k].q).toHaveLength(c.rows);
      for (const r of c.runs) for (const entry of ENTRIES) expect(r[`${entry}_mean`]).toHaveLength(c.rows);
    });
  });

  test('the Python mean field (closed forms, quadrature, means) equals netMeanField in float64', () => {
    fx.configs.forEach((c, k) => {
      const e = engine[k];
      const pairs: [number[], number[]][] = [[c.mf.K11, e.q], [c.mf.K12, e.k12], [c.mf.K22, e.q22], [c.mf.c, e.c], [c.mf.m, e.m]];
      for (const [py, ts] of pairs) {
        py.forEach((v, l) => expect(Math.abs(v - ts[l])).toBeLessThan(1e-10 * Math.max(1, Math.abs(ts[l]))));
      }
    });
    // the relu network carries a mean that grows every block
    const relu = fx.configs.findIndex((c) => c.name === 'post-relu-mean');
    expect(engine[relu].m[engine[relu].m.length - 1]).toBeGreaterThan(0.3);
  });

  test('the averages at finite width extrapolate (a + b/N + c/N^2) to the engine mean field', () => {
    const bad = fits.flatMap((f, k) => f.filter((x) => !(Math.abs(x.z) <= Z)).map((x) => `${fx.configs[k].name} row ${x.row} ${x.entry}: ${x.a} ± ${x.se}, z ${x.z.toFixed(2)}`));
    expect(bad).toEqual([]);
  });
});
