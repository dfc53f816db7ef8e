/**
 * chat1 = lim N (E[c_hat^l] - c^l), the 1/N shift of the empirical correlation
 * c_hat = K_hat_12 / sqrt(K_hat_11 K_hat_22), against Monte Carlo of finite-width networks.
 *
 * Fixture: test/fixtures/chat_mc.json, made by test/fixtures/make_chat.py (the exact fast sampler
 * of loop_mc.py; widths 32, 64, 128, 256; seeds and sample sizes recorded there). Per layer the test
 * forms y_N = N (E_MC[c_hat] - c) with standard errors, fits y_N = a + b/N by weighted least
 * squares and compares the intercept with chat1: z = (a - chat1) / SE(a). Threshold: Bonferroni
 * at family-wise error 0.001 over all comparisons of this file (fixed before looking at z). Mean
 * field alone (chat1 = 0) must fail.
 */
import * as fs from 'fs';
import * as path from 'path';
import { main } from '../src/cli/main';
import { network } from '../src/model/network';
import { oneLoop64, correlationOneLoop64 } from '../src/quantities/loop';
import { meanFieldKernels } from '../src/quantities/kernel';
import { float64Interp } from '../src/interpret/numeric';
import { fitIntercept, zQuantile } from './tables';

interface Config {
  name: string;
  act: string;
  alpha: number;
  sw2: number;
  sb2: number;
  depth: number;
  q0: number;
  c0: number;
  skip: string;
  runs: { N: number; S: number; seed: number; chat_mean: number[]; chat_se: number[] }[];
}

const fx = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'chat_mc.json'), 'utf8')) as { configs: Config[] };
const netOf = (c: Config) => network({ act: c.act, alpha: String(c.alpha), sw2: String(c.sw2), sb2: String(c.sb2), depth: c.depth, q0: String(c.q0), c0: String(c.c0), skip: c.skip });

const rows = fx.configs.map((c) => {
  const net = netOf(c);
  const mf = meanFieldKernels(float64Interp, net);
  const t = oneLoop64(net, { twoInputs: true });
  const chat1 = t.chat1 as number[];
  const out = [];
  for (let l = 0; l <= c.depth; l++) {
    const cl = mf.k12[l] / mf.q[l];
    const f = fitIntercept(
      c.runs.map((r) => r.N),
      c.runs.map((r) => r.N * (r.chat_mean[l] - cl)),
      c.runs.map((r) => r.N * r.chat_se[l]),
    );
    out.push({ layer: l, a: f.a, se: f.se, theory: chat1[l], z: (f.a - chat1[l]) / f.se, zZero: f.a / f.se });
  }
  return { config: c, chat1, out };
});
const Z = zQuantile(0.001 / (2 * rows.reduce((s, r) => s + r.out.length, 0)));

describe('chat1 against Monte Carlo (fixture test/fixtures/chat_mc.json)', () => {
  test('the fixture: tanh and relu ResNets and an erf feed-forward net, two inputs, widths 32..256', () => {
    expect(fx.configs.map((c) => c.name)).toEqual(['tanh-res-2in', 'relu-res-2in', 'erf-ff-2in']);
    for (const c of fx.configs) expect(c.runs.map((r) => r.N)).toEqual([32, 64, 128, 256]);
  });

  for (const r of rows) {
    test(`${r.config.name}: chat1 at every layer agrees (|z| below the Bonferroni threshold), and mean field alone does not`, () => {
      const bad = r.out.filter((x) => !(Math.abs(x.z) <= Z));
      expect(bad.map((x) => `chat1[${x.layer}]: MC ${x.a.toFixed(4)} ± ${x.se.toFixed(4)}, theory ${x.theory.toFixed(4)}, z ${x.z.toFixed(2)}`)).toEqual([]);
      expect(Math.max(...r.out.map((x) => Math.abs(x.zZero)))).toBeGreaterThan(Z);
    });
  }

  test('layer 0: the sample correlation of N Gaussian pairs, E[r] = c - c (1 - c^2) / (2N) + O(1/N^2)', () => {
    for (const r of rows) {
      const c = r.config.c0;
      expect(r.chat1[0]).toBeCloseTo((c * (c * c - 1)) / 2, 12);
    }
  });

  test('the last layer equals correlationOneLoop64 (the coefficient behind sensitivity_N)', () => {
    for (const r of rows) {
      const co = correlationOneLoop64(netOf(r.config)).coefficient;
      expect(Math.abs(r.chat1[r.config.depth] - co)).toBeLessThan(1e-9 * Math.max(1, Math.abs(co)));
    }
  });
});

describe('loop --c0 prints chat1', () => {
  test('--json field chat1 (length depth + 1, verified digits) and a table column', async () => {
    let out = '';
    const argv = ['loop', '--act', 'tanh', '--alpha', '0.7', '--sw2', '2', '--sb2', '0', '--depth', '5', '--q0', '1', '--c0', '0.6'];
    expect(await main([...argv, '--json'], { out: (s) => (out += s), err: () => undefined })).toBe(0);
    const j = JSON.parse(out);
    expect(j.chat1).toHaveLength(6);
    const t = rows[0].chat1;
    expect(Number(j.chat1[0])).toBe(-0.192); // c0 (c0^2 - 1) / 2, exactly
    for (let l = 0; l <= 5; l++) {
      if (l > 0) expect(j.chat1[l].replace(/e.*$/, '').replace(/[-.]/g, '').replace(/^0+/, '').length).toBeGreaterThanOrEqual(6);
      expect(Math.abs(Number(j.chat1[l]) - t[l])).toBeLessThan(1e-6 * Math.max(...t.map(Math.abs)));
    }
    out = '';
    expect(await main(argv, { out: (s) => (out += s), err: () => undefined })).toBe(0);
    expect(out).toMatch(/chat1/);
  });
});
