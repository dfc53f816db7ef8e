/**
 * The composed one-loop theory (src/quantities/loop/netOneLoop.ts) over network descriptions:
 * where it meets today's engine (feed-forward nets; a residual net with a linear branch) it must give
 * today's numbers; what it does not cover is refused naming the layer; `loop --net` prints it.
 * Monte Carlo checks of the new forms: test/loop.net.mc.test.ts.
 */
import { parseNetwork } from '../src/model/net/json';
import { netOneLoop64 } from '../src/quantities/loop/netOneLoop';
import { oneLoop64 } from '../src/quantities/loop';
import { network } from '../src/model/network';
import { InputError } from '../src/model/errors';
import { netLoopTable } from '../src/netLoopApi';
import { runCli } from './runCli';

const rel = (a: number, b: number, scale: number) => Math.abs(a - b) / Math.max(Math.abs(b), scale);

describe('composed one-loop theory against today\'s engine', () => {
  test('feed-forward erf net, two inputs: k1, c1, varC, varK, chat1 and their _12 entries', () => {
    const L = 4;
    const d = parseNetwork({ inputs: { q0: 1, c0: 0.3 }, layers: [{ repeat: L, layers: [{ act: 'erf' }, { dense: { sw2: 1.5, sb2: 0.05 } }] }] });
    const r = netOneLoop64(d);
    const t = oneLoop64(network({ act: 'erf', alpha: '1', sw2: '1.5', sb2: '0.05', depth: L, q0: '1', c0: '0.3', skip: 'none' }), { twoInputs: true });
    expect(r.rows).toHaveLength(L + 1);
    for (let l = 0; l <= L; l++) {
      const row = r.rows[l];
      expect(rel(row.k1[0], t.k1[l] as number, 0.1)).toBeLessThan(1e-8);
      expect(rel(row.k1[1], (t.k1_12 as number[])[l], 0.1)).toBeLessThan(1e-8);
      expect(rel(row.cov[0][0], t.varK[l] as number, 1)).toBeLessThan(1e-9);
      expect(rel(row.cov[1][1], (t.varK_12 as number[])[l], 1)).toBeLessThan(1e-9);
      expect(rel(row.chat1 as number, (t.chat1 as number[])[l], 0.1)).toBeLessThan(1e-8);
      if (l >= 1) {
        const f = r.fields[l - 1];
        expect(rel(f.c1[0], t.c1[l] as number, 0.1)).toBeLessThan(1e-8);
        expect(rel(f.c1[1], (t.c1_12 as number[])[l], 0.1)).toBeLessThan(1e-8);
        expect(rel(f.varC[0], t.varC[l] as number, 1)).toBeLessThan(1e-9);
        expect(rel(f.varC[1], (t.varC_12 as number[])[l], 1)).toBeLessThan(1e-9);
      }
    }
    // the 1/N shift is resolved: not all zero
    expect(Math.abs(r.rows[L].k1[0])).toBeGreaterThan(0.1);
  });

  test('a residual net with a linear branch (the cross-layer covariances of the stream): varK and chat1', () => {
    const L = 5;
    const d = parseNetwork({ inputs: { q0: 1, c0: 0.4 }, layers: [{ repeat: L, layers: [{ residual: { alpha: 0.5, branch: [{ act: 'linear' }, { dense: { sw2: 1.5, sb2: 0.05 } }] } }] }] });
    const r = netOneLoop64(d);
    const t = oneLoop64(network({ act: 'linear', alpha: '0.5', sw2: '1.5', sb2: '0.05', depth: L, q0: '1', c0: '0.4' }), { twoInputs: true });
    for (let l = 0; l <= L; l++) {
      expect(rel(r.rows[l].cov[0][0], t.varK[l] as number, 1)).toBeLessThan(1e-9);
      expect(rel(r.rows[l].cov[1][1], (t.varK_12 as number[])[l], 1)).toBeLessThan(1e-9);
      expect(rel(r.rows[l].chat1 as number, (t.chat1 as number[])[l], 0.01)).toBeLessThan(1e-8);
      expect(Math.abs(r.rows[l].k1[0])).toBeLessThan(1e-9);
    }
    expect(r.rows[L].cov[0][0]).toBeGreaterThan(100);
  });

  test('today\'s form h + alpha (W phi(h) + b), one input: the same k1, c1 (and its curvature part: the memory term), varC, varK as today\'s engine', () => {
    for (const act of ['erf', 'relu']) {
      const L = 5;
      const d = parseNetwork({ inputs: { kernel: [[1]] }, layers: [{ repeat: L, layers: [{ residual: { alpha: 0.5, branch: [{ act }, { dense: { sw2: 1.5, sb2: 0.05 } }] } }] }] });
      const r = netOneLoop64(d);
      const t = oneLoop64(network({ act, alpha: '0.5', sw2: '1.5', sb2: '0.05', depth: L, q0: '1', c0: '0' }));
      for (let l = 1; l <= L; l++) {
        expect(rel(r.rows[l].k1[0], t.k1[l] as number, 0.01)).toBeLessThan(1e-8);
        expect(rel(r.rows[l].cov[0][0], t.varK[l] as number, 1)).toBeLessThan(1e-9);
        const f = r.fields[l - 1];
        expect(rel(f.c1[0], t.c1[l] as number, 0.01)).toBeLessThan(1e-8);
        expect(Math.abs(f.c1Curvature[0] - (t.c1_curvature[l] as number))).toBeLessThan(1e-8);
        expect(rel(f.varC[0], t.varC[l] as number, 1)).toBeLessThan(1e-9);
      }
      // the memory term carries the correction (all of it for relu)
      expect(Math.abs(r.fields[L - 1].c1[0])).toBeGreaterThan(5 * Math.abs(r.fields[L - 1].c1Curvature[0]));
    }
  });

  test('the mean field inside it equals netMeanField\'s kernels (post-activation relu, its mean included)', () => {
    const d = parseNetwork({ inputs: { q0: 1, c0: 0.3 }, layers: [{ repeat: 3, layers: [{ residual: { alpha: 0.5, branch: [{ dense: { sw2: 1, sb2: 0.1 } }, { act: 'relu' }] } }] }] });
    const r = netOneLoop64(d);
    // K^l = K^(l-1) + alpha (m mu + mu m) + alpha^2 <relu relu>, with u ~ N(0, sw2 K + sb2)
    let K = 1;
    let m = 0;
    for (let l = 1; l <= 3; l++) {
      const S = K + 0.1;
      const mu = Math.sqrt(S / (2 * Math.PI));
      K = K + 0.5 * 2 * m * mu + 0.25 * (S / 2);
      m += 0.5 * mu;
      expect(rel(r.rows[l].K[0], K, 1)).toBeLessThan(1e-12);
    }
  });
});

describe('what the composed theory does not cover', () => {
  const refused = (layers: unknown[]): string => {
    try {
      netOneLoop64(parseNetwork({ inputs: { q0: 1, c0: 0.5 }, layers }));
    } catch (e) {
      expect(e).toBeInstanceOf(InputError);
      return (e as Error).message;
    }
    throw new Error('not refused');
  };
  test('an activation on a residual stream (two inputs), on a non-Gaussian sum, batch norm, a convolution: one line naming the layer', () => {
    expect(refused([{ repeat: 3, layers: [{ residual: { alpha: 0.5, branch: [{ act: 'erf' }, { dense: { sw2: 1, sb2: 0 } }] } }] }])).toMatch(/layers\[0\]\.repeat\(2\)\.layers\[0\]\.residual\.branch\[0\] \(act\).*one-loop theory with two inputs/);
    expect(refused([{ repeat: 2, layers: [{ residual: { alpha: 0.5, branch: [{ dense: { sw2: 1, sb2: 0 } }, { act: 'erf' }] } }] }, { act: 'tanh' }])).toMatch(/layers\[1\] \(act\).*non-Gaussian/);
    expect(refused([{ dense: { sw2: 1, sb2: 0 } }, { batchnorm: { batch: 4 } }])).toMatch(/layers\[1\].*batchnorm/);
    expect(refused([{ dense: { sw2: 1, sb2: 0 } }, { conv: { kernelSize: 3, sw2: 1, sb2: 0 } }])).toMatch(/layers\[1\].*conv/);
  });
  test('more dense layers than the cubic cost allows', () => {
    expect(refused([{ repeat: 100000, layers: [{ dense: { sw2: 1, sb2: 0 } }, { act: 'erf' }] }])).toMatch(/at most 400 dense layers/);
  });
});

describe('loop --net with a composed description', () => {
  test('prints the rows and dense tables with agreed digits; --json carries them', async () => {
    const file = writeNet({ inputs: { q0: 1, c0: 0.3 }, layers: [{ repeat: 3, layers: [{ residual: { alpha: 0.5, branch: [{ dense: { sw2: 1, sb2: 0.1 } }, { act: 'relu' }] } }] }] });
    const text = await runCli(['loop', '--net', file, '--width', '64']);
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/the composed theory/);
    expect(text.out).toMatch(/chat1/);
    const js = await runCli(['loop', '--net', file, '--json']);
    const o = JSON.parse(js.out);
    expect(o.rows).toHaveLength(4);
    expect(o.dense).toHaveLength(3);
    const direct = netLoopTable(parseNetwork(JSON.parse(require('fs').readFileSync(file, 'utf8')), file));
    expect(o.rows[3].chat1).toBe(direct.rows[3].chat1);
    expect(Number(o.rows[3].k1[0])).toBeGreaterThan(0.1);
  });
});

function writeNet(o: unknown): string {
  const fs = require('fs') as typeof import('fs');
  const path = require('path') as typeof import('path');
  const os = require('os') as typeof import('os');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fp-loopnet-'));
  const f = path.join(dir, 'net.json');
  fs.writeFileSync(f, JSON.stringify(o));
  return f;
}

describe('response and optimal-alpha at finite width on a composed description', () => {
  const post = { inputs: { q0: 1, c0: 0.99 }, layers: [{ repeat: 4, layers: [{ residual: { alpha: 1, branch: [{ dense: { sw2: 1, sb2: 0 } }, { act: 'erf' }] } }] }] };

  test('response --net --width: sensitivity_1 is d chat1^L/dc0 of the composed theory, and S_N = S + s1/N', async () => {
    const file = writeNet({ ...post, inputs: { q0: 1, c0: 0.6 } });
    const r = await runCli(['response', '--net', file, '--width', '64', '--digits', '8', '--json']);
    expect(r.code).toBe(0);
    const o = JSON.parse(r.out);
    const d = parseNetwork(JSON.parse(require('fs').readFileSync(file, 'utf8')), file);
    // an independent central difference of chat1 (one step, no extrapolation)
    const at = (c0: number) => {
      const t = netOneLoop64(d, { input: [[1, c0], [c0, 1]] });
      return t.rows[t.rows.length - 1].chat1 as number;
    };
    const h = 1e-3;
    const fd = (at(0.6 + h) - at(0.6 - h)) / (2 * h);
    // printed with the digits its error supports: allow the error and half a unit of the last digit
    const decimals = (String(o.sensitivity_1).split('.')[1] ?? '').length;
    expect(Math.abs(Number(o.sensitivity_1) - fd)).toBeLessThan(Number(o.sensitivity_1_error) + 0.5 * 10 ** -decimals + 1e-6);
    expect(Math.abs(Number(o.sensitivity_N) - (Number(o.sensitivity) + Number(o.sensitivity_1) / 64))).toBeLessThan(1e-4);
    const text = await runCli(['response', '--net', file, '--width', '64']);
    expect(text.out).toMatch(/sensitivity_1 .*the composed one-loop theory/);
  }, 120_000);

  test('optimal-alpha --net --width: alpha_1 = -s1\'(alpha*) / S\'\'(alpha*) (checked with a plain central difference in alpha)', async () => {
    const file = writeNet(post);
    const r = await runCli(['optimal-alpha', '--net', file, '--width', '100', '--digits', '8', '--json']);
    expect(r.code).toBe(0);
    const o = JSON.parse(r.out);
    expect(o.interior).toBe(true);
    const a = Number(o.alpha);
    const d = parseNetwork(post, 'post');
    const { netSensitivity1 } = require('../src/netLoopApi');
    const { netSensitivityAndSlope } = require('../src/netApi');
    const { diagonalClasses } = require('../src/quantities/netMeanField');
    const { float64Interp } = require('../src/interpret/numeric');
    const e = 0.02 * a;
    const ds1 = (netSensitivity1(d, { alpha: a + e }).sensitivity1 - netSensitivity1(d, { alpha: a - e }).sensitivity1) / (2 * e);
    const slope = (x: number) => netSensitivityAndSlope(float64Interp, d, diagonalClasses(d), x).ds as number;
    const d2S = (slope(a + 1e-4 * a) - slope(a - 1e-4 * a)) / (2e-4 * a);
    const alpha1 = -ds1 / d2S;
    expect(Math.abs(Number(o.alpha_1) - alpha1)).toBeLessThan(0.01 * Math.abs(alpha1));
    expect(Math.abs(Number(o.alpha_N) - (a + Number(o.alpha_1) / 100))).toBeLessThan(1e-3 * a);
  }, 300_000);
});
