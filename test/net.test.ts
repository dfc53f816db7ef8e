/**
 * Network descriptions built from layers: the builder and the JSON form agree; bad descriptions
 * get one line naming the path inside the file (exit 2); today's flags and their --net equivalent
 * print the same digits; the mean field of new forms (post-activation, two-layer branches, stems,
 * schedules, relu with its mean) matches independent mpmath references (test/fixtures/make_net.py).
 */
import * as fs from 'fs';
import * as path from 'path';

import { run, jsonFiles } from './cliRun';
import {
  dense, act, residual, serial, repeat, batchnorm, conv, readout, net, parseNetwork, networkToJson, describeStandard, standardNetwork,
} from '../src/model/net';
import { network } from '../src/model/network';
import { netMeanField, twoInputTable } from '../src/quantities/netMeanField';
import { phiMean } from '../src/quantities/moments';
import { activation } from '../src/model/activation';
import { float64Interp, decimalInterp } from '../src/interpret/numeric';
import { symbolicField } from '../src/interpret/symbolic';
import { meanFieldKernels } from '../src/quantities/kernel';
import { netKernel, netOptimalAlpha, netResponse } from '../src/netApi';
import { toString as exprToString, Expr } from '../src/symbolic';
import { correctToDigits } from './digits';
import { Interpretation } from '../src/interpret/numeric';

const fixtures = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'net.json'), 'utf8')) as {
  digits: number;
  kernel: { name: string; net: unknown; q: string[]; k12: string[]; c: string[]; m: string[] }[];
  optimal: { net: unknown; alpha: string; sensitivity: string }[];
};

const { dir, file } = jsonFiles('fieldprop-net-');

const ISSUE_FORM = {
  inputs: { q0: 1, c0: 0.6 },
  layers: [{ repeat: 8, layers: [{ residual: { alpha: 0.6, branch: [{ dense: { sw2: 1.5, sb2: 0.05 } }, { act: 'erf' }] } }] }],
};

describe('descriptions', () => {
  test('the builder and the JSON form give the same description and the same kernels', () => {
    const built = net({ inputs: { q0: 1, c0: 0.6 }, layers: [repeat(8, residual(0.6, [dense(1.5, 0.05), act('erf')]))] });
    const read = parseNetwork(ISSUE_FORM, 'issue.json');
    expect(networkToJson(built)).toEqual(networkToJson(read));
    expect(parseNetwork(networkToJson(read))).toEqual({ ...read, source: undefined });
    const I = decimalInterp(30);
    const a = twoInputTable(I, netMeanField(I, built));
    const b = twoInputTable(I, netMeanField(I, read));
    expect(a.q.map(String)).toEqual(b.q.map(String));
    expect(a.c.map(String)).toEqual(b.c.map(String));
    // shorthands: {"act": {"name": ...}}, {"repeat": {"n", "layers"}}, serial
    const alt = parseNetwork({
      inputs: { kernel: [[1, 0.6], [0.6, 1]] },
      layers: [{ serial: [{ repeat: { n: 8, layers: [{ residual: { alpha: '0.6', branch: [{ dense: { sw2: '1.5', sb2: '0.05' } }, { act: { name: 'erf' } }] } }] } }] }],
    });
    const c = twoInputTable(I, netMeanField(I, alt));
    expect(c.q.map(String)).toEqual(a.q.map(String));
    expect(c.k12.map(String)).toEqual(a.k12.map(String));
  });

  test("today's form: describeStandard and standardNetwork invert each other; other forms are not today's", () => {
    for (const skip of ['residual', 'none']) {
      for (const scaling of ['amplitude', 'variance']) {
        const n = network({ act: 'tanh', alpha: '0.25', sw2: '2', sb2: '0.1', depth: 7, q0: '1.5', c0: '-0.2', skip, scaling });
        const back = standardNetwork(describeStandard(n));
        // without a skip connection alpha and its scaling mean nothing: the record keeps its defaults
        const ignore = (x: typeof n) => ({ ...x, act: x.act.name, ...(skip === 'none' ? { alpha: '', scaling: '' } : {}) });
        expect(back && ignore(back)).toEqual(ignore(n));
      }
    }
    expect(standardNetwork(parseNetwork(ISSUE_FORM))).toBeUndefined();
    expect(standardNetwork(net({ inputs: { q0: 1, c0: 0.5 }, layers: [repeat(3, serial(act('relu'), dense(2, 0)))] }))?.skip).toBe('none');
  });

  test('the mean field of the flag form equals the flag code digit for digit (Decimal) and to rounding (float64)', () => {
    for (const opts of [
      { act: 'erf', depth: 20 },
      { act: 'relu', depth: 10, skip: 'none', sw2: '2', sb2: '0' },
      { act: 'tanh', depth: 4, scaling: 'variance', alpha: '0.5' },
    ]) {
      const n = network(opts);
      const I = decimalInterp(25);
      const t1 = meanFieldKernels(I, n);
      const t2 = twoInputTable(I, netMeanField(I, describeStandard(n)));
      expect(t2.q.map(String)).toEqual(t1.q.map(String));
      expect(t2.k12.map(String)).toEqual(t1.k12.map(String));
      expect(t2.c.map(String)).toEqual(t1.c.map(String));
      const f = twoInputTable(float64Interp, netMeanField(float64Interp, describeStandard(n)));
      expect(f.q).toEqual(meanFieldKernels(float64Interp, n).q);
    }
  });

  test('P inputs with unequal lengths: every pair of a 3-input run equals the 2-input run of that pair (relu, means carried)', () => {
    const K = [['1', '0.3', '-0.2'], ['0.3', '2', '0.5'], ['-0.2', '0.5', '0.7']];
    const layers = [dense(1.2, 0.1), act('relu'), repeat(3, residual(0.7, dense(1.5, 0.05), act('relu'))), dense(1, 0), act('erf')];
    const three = netKernel(net({ inputs: { kernel: K }, layers }), { digits: 20 });
    for (const [a, b] of [[0, 1], [0, 2], [1, 2]]) {
      const two = netKernel(net({ inputs: { kernel: [[K[a][a], K[a][b]], [K[b][a], K[b][b]]] }, layers }), { digits: 20 });
      expect(two.equalDiagonal).toBe(false);
      three.K.forEach((Kl, l) => {
        expect([Kl[a][a], Kl[a][b], Kl[b][b], three.m[l][a], three.m[l][b], three.c[l][a][b]]).toEqual([
          two.K[l][0][0], two.K[l][0][1], two.K[l][1][1], two.m[l][0], two.m[l][1], two.c[l][0][1],
        ]);
      });
    }
    expect(three.labels).toEqual(['input', 'layers[0]', 'layers[2].repeat(1).layers[0]', 'layers[2].repeat(2).layers[0]', 'layers[2].repeat(3).layers[0]', 'layers[3]']);
  });

  test('the symbolic interpretation runs the same map: x + alpha erf(W x + b), one block', () => {
    const d = net({ inputs: { q0: 1, c0: '0.5' }, layers: [residual(0.5, dense(2, 0), act('erf'))] });
    const mf = netMeanField({ F: symbolicField } as unknown as Interpretation<Expr>, d);
    const K11 = exprToString(mf.rows[1].K[0][0]);
    expect(K11).toMatch(/asin/);
    // 1 + (1/4)(2/pi) asin(4/5)
    expect(Number(netKernel(d, { digits: 16 }).q?.[1])).toBeCloseTo(1 + (0.25 * 2 * Math.asin(4 / 5)) / Math.PI, 14);
  });

  test('phiMean: closed forms agree with quadrature (relu, relu-power:2, relu-power:3), odd activations give 0', () => {
    const I = decimalInterp(30);
    for (const name of ['relu', 'relu-power:2', 'relu-power:3']) {
      const a = activation(name);
      const closed = phiMean(I, a, I.F.of('1.7'));
      const quad = I.expect1(a, I.F.of('1.7'));
      expect(closed.minus(quad).abs().toNumber()).toBeLessThan(1e-22);
    }
    expect(phiMean(I, activation('erf'), I.F.of(2)).isZero()).toBe(true);
    expect(phiMean(float64Interp, activation('gelu'), 1)).toBeCloseTo(1 / (2 * Math.sqrt(Math.PI)), 12); // E[u Phi(u)] = E[phi(u)]
  });
});

describe('mpmath references (test/fixtures/make_net.py)', () => {
  for (const fx of fixtures.kernel) {
    test(`${fx.name}: kernels, correlations and means at ${fixtures.digits} digits`, () => {
      const r = netKernel(parseNetwork(fx.net), { digits: fixtures.digits });
      expect(r.q).toHaveLength(fx.q.length);
      const got = { q: r.q!, k12: r.k12!, c: r.c12!, m: r.m1! };
      for (const key of ['q', 'k12', 'c', 'm'] as const) {
        fx[key].forEach((ref, l) => {
          if (!correctToDigits(got[key][l], ref, fixtures.digits)) throw new Error(`${key}[${l}]: got ${got[key][l]}, reference ${ref}`);
        });
      }
    });
  }

  test('optimal-alpha --net on post-activation erf nets matches an mpmath maximisation (20 digits)', () => {
    for (const fx of fixtures.optimal) {
      const r = netOptimalAlpha(parseNetwork(fx.net), { digits: 20 });
      expect(r.interior).toBe(true);
      expect(correctToDigits(r.alpha!, fx.alpha, 20)).toBe(true);
      expect(correctToDigits(r.sensitivity!, fx.sensitivity, 20)).toBe(true);
    }
    // a schedule alpha_l = alpha / sqrt(L) with L = 16 blocks moves the shared optimum by exactly sqrt(16)
    const block = (sched?: string) => net({ inputs: { q0: 1, c0: '0.95' }, layers: [repeat(16, residual(sched ? { alpha: 1, schedule: sched } : 1, dense(2, '0.05'), act('erf')))] });
    const plain = netOptimalAlpha(block(), { digits: 12 });
    const scheduled = netOptimalAlpha(block('1/sqrt(L)'), { digits: 12 });
    expect(Math.abs(Number(scheduled.alpha) / (4 * Number(plain.alpha)) - 1)).toBeLessThan(1e-11);
    expect(scheduled.sensitivity).toBe(plain.sensitivity);
    // netResponse (dual numbers along c0 only) at the mpmath alpha* gives the mpmath S(alpha*)
    const fx = fixtures.optimal[0];
    const json = JSON.parse(JSON.stringify(fx.net).replace('"alpha":0.1', `"alpha":"${fx.alpha}"`));
    const r = netResponse(parseNetwork(json), { digits: 25 });
    expect(correctToDigits(r.sensitivity, fx.sensitivity, 25)).toBe(true);
  });
});

describe('command line', () => {
  const bad: [string, unknown, string | undefined, RegExp][] = [
    ['unknown layer', { inputs: { q0: 1 }, layers: [{ dense: { sw2: 1 } }, { pool: {} }] }, undefined, /: layers\[1\]: unknown layer "pool"/],
    ['missing field', { inputs: { q0: 1 }, layers: [{ dense: { sb2: 1 } }] }, undefined, /: layers\[0\]\.dense\.sw2: missing/],
    ['negative variance', { inputs: { q0: 1 }, layers: [{ repeat: 2, layers: [{ dense: { sw2: -1 } }] }] }, undefined, /: layers\[0\]\.repeat\.layers\[0\]\.dense\.sw2: must be >= 0/],
    ['empty branch', { ...ISSUE_FORM, layers: [{ repeat: 8, layers: [{ residual: { alpha: 0.6, branch: [] } }] }] }, undefined, /: layers\[0\]\.repeat\.layers\[0\]\.residual\.branch: empty branch$/],
    ['not JSON', undefined, '{"inputs": ', /: not JSON/],
    ['unknown activation', { inputs: { q0: 1 }, layers: [{ act: 'erf(y)' }] }, undefined, /: layers\[0\]\.act: .*only the variable x/],
    ['unknown key', { inputs: { q0: 1 }, layers: [{ dense: { sw2: 1, sw: 2 } }] }, undefined, /: layers\[0\]\.dense\.sw: unknown key/],
    ['bad schedule', { inputs: { q0: 1 }, layers: [{ residual: { alpha: 1, schedule: '1/k', branch: [{ dense: { sw2: 1 } }] } }] }, undefined, /: layers\[0\]\.residual\.schedule: a schedule may use only l/],
    ['missing inputs', { layers: [{ dense: { sw2: 1 } }] }, undefined, /: inputs: missing/],
    ['bad correlation', { inputs: { q0: 1, c0: 2 }, layers: [{ dense: { sw2: 1 } }] }, undefined, /: inputs\.c0: must be in \[-1, 1\]/],
    ['bad batch norm', { inputs: { q0: 1 }, layers: [{ batchnorm: { batch: 1 } }] }, undefined, /: layers\[0\]\.batchnorm\.batch: must be an integer in 2\.\./],
    ['bad conv padding', { inputs: { q0: 1 }, layers: [{ conv: { kernelSize: 3, sw2: 1, padding: 'reflect' } }] }, undefined, /: layers\[0\]\.conv\.padding: must be "circular" or "zero"/],
  ];
  for (const [what, json, raw, re] of bad) {
    test(`a bad description (${what}): one line naming the path, exit 2`, async () => {
      const f = file(json, raw);
      const r = await run(['kernel', '--net', f]);
      expect(r.code).toBe(2);
      expect(r.out).toBe('');
      expect(r.err.trim().split('\n')).toHaveLength(1);
      expect(r.err).toContain(`fieldprop kernel: --net ${f}`);
      expect(r.err.trim()).toMatch(re);
    });
  }

  test('--net refuses the network flags it replaces; a missing file is one line', async () => {
    const r = await run(['kernel', '--net', file(ISSUE_FORM), '--sw2', '2']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--net: replaces --sw2/);
    const m = await run(['response', '--net', path.join(dir, 'nothing.json')]);
    expect(m.code).toBe(2);
    expect(m.err).toMatch(/nothing\.json: no such file/);
  });

  test('layers the mean field does not cover are refused in one line naming them', async () => {
    const cases: [unknown, RegExp][] = [
      [{ inputs: { q0: 1 }, layers: [{ dense: { sw2: 1 } }, { batchnorm: { batch: 4 } }] }, /layers\[1\] \(batchnorm\): .*batch norm/],
      [{ inputs: { q0: 1 }, layers: [{ conv: { kernelSize: 3, sw2: 1 } }] }, /layers\[0\] \(conv\): .*convolutions/],
      [{ inputs: { q0: 1 }, layers: [{ residual: { alpha: 1, branch: [{ act: 'relu' }, { act: 'relu' }] } }] }, /layers\[0\] \(residual\): a residual branch without a dense layer is covered only as x \+ alpha phi\(x\)/],
      [{ inputs: { q0: 1 }, layers: [{ residual: { alpha: 1, branch: [{ act: 'sign' }] } }] }, /layers\[0\] \(residual\): a residual branch without a dense layer/],
      [{ inputs: { q0: 1 }, layers: [{ residual: { alpha: 1, branch: [{ act: 'relu' }] } }, { residual: { alpha: 1, branch: [{ act: 'relu' }] } }] }, /layers\[1\] \(residual\): a residual branch without a dense layer/],
      [{ inputs: { q0: 1 }, layers: [{ act: 'relu' }, { act: 'relu' }] }, /layers\[1\] \(act\): the mean field of a nonlinearity applied to a non-Gaussian stream/],
      [{ inputs: { q0: 1 }, layers: [{ residual: { alpha: 1, branch: [{ dense: { sw2: 1 } }, { act: 'relu' }] } }, { act: 'tanh' }] }, /layers\[1\] \(act\)/],
    ];
    for (const [json, re] of cases) {
      const r = await run(['kernel', '--net', file(json)]);
      expect(r.code).toBe(2);
      expect(r.err.trim().split('\n')).toHaveLength(1);
      expect(r.err).toMatch(re);
    }
  });

  const defaultForm = (o: { act?: string; alpha?: number; sw2?: number; sb2?: number; depth: number; q0?: number; c0?: number; skip?: boolean; scaling?: string }) => {
    const body = [{ act: o.act ?? 'erf' }, { dense: { sw2: o.sw2 ?? 1.5, sb2: o.sb2 ?? 0.05 } }];
    const block = o.skip === false ? body : [{ residual: { alpha: o.alpha ?? 0.3, ...(o.scaling ? { scaling: o.scaling } : {}), branch: body } }];
    return { inputs: { q0: o.q0 ?? 1, c0: o.c0 ?? 0.6 }, layers: [{ repeat: o.depth, layers: block }] };
  };

  test('kernel: the default form via --net prints the same digits as the flags (also --skip none, --scaling variance, relu)', async () => {
    const pairs: [string[], unknown][] = [
      [['--digits', '30'], defaultForm({ depth: 50 })],
      [['--act', 'relu', '--skip', 'none', '--sw2', '2', '--sb2', '0', '--depth', '12', '--digits', '20'], defaultForm({ act: 'relu', skip: false, sw2: 2, sb2: 0, depth: 12 })],
      [['--scaling', 'variance', '--alpha', '0.5', '--depth', '9', '--c0', '-0.4'], defaultForm({ scaling: 'variance', alpha: 0.5, depth: 9, c0: -0.4 })],
    ];
    for (const [flags, json] of pairs) {
      const digits = flags.includes('--digits') ? ['--digits', flags[flags.indexOf('--digits') + 1]] : [];
      const a = JSON.parse((await run(['kernel', ...flags, '--json'])).out);
      const b = JSON.parse((await run(['kernel', '--net', file(json), ...digits, '--json'])).out);
      expect(b.q).toEqual(a.q);
      expect(b.k12).toEqual(a.k12);
      expect(b.c).toEqual(a.c);
    }
    // the readable table too
    const t = await run(['kernel', '--net', file(defaultForm({ depth: 3 }))]);
    expect(t.out).toMatch(/layers\[0\]\.repeat\(3\)\.layers\[0\]/);
  });

  test('response: flags and --net print the same digits', async () => {
    const a = JSON.parse((await run(['response', '--act', 'erf', '--depth', '30', '--digits', '25', '--json'])).out);
    const b = JSON.parse((await run(['response', '--net', file(defaultForm({ depth: 30 })), '--digits', '25', '--json'])).out);
    expect([b.chi, b.chi12, b.sensitivity]).toEqual([a.chi, a.chi12, a.sensitivity]);
    expect(b.sensitivity_l).toHaveLength(31);
    const c = JSON.parse((await run(['response', '--act', 'relu', '--skip', 'none', '--sw2', '2', '--sb2', '0.1', '--depth', '6', '--json'])).out);
    const d = JSON.parse((await run(['response', '--net', file(defaultForm({ act: 'relu', skip: false, sw2: 2, sb2: 0.1, depth: 6 })), '--json'])).out);
    expect([d.chi, d.chi12, d.sensitivity]).toEqual([c.chi, c.chi12, c.sensitivity]);
    // tanh: Price's theorem by quadrature (flags) against dual numbers through the quadratures (--net)
    const e = JSON.parse((await run(['response', '--act', 'tanh', '--alpha', '0.5', '--depth', '2', '--digits', '10', '--json'])).out);
    const f = JSON.parse((await run(['response', '--net', file(defaultForm({ act: 'tanh', alpha: 0.5, depth: 2 })), '--digits', '10', '--json'])).out);
    expect([f.chi, f.chi12, f.sensitivity]).toEqual([e.chi, e.chi12, e.sensitivity]);
  });

  test('optimal-alpha: flags and --net print the same digits (the file alpha is ignored)', async () => {
    const flags = ['--act', 'erf', '--sw2', '1', '--sb2', '0', '--depth', '10', '--q0', '1', '--c0', '0.9', '--digits', '18', '--json'];
    const a = JSON.parse((await run(['optimal-alpha', ...flags])).out);
    const b = JSON.parse((await run(['optimal-alpha', '--net', file(defaultForm({ sw2: 1, sb2: 0, depth: 10, c0: 0.9, alpha: 7 })), '--digits', '18', '--json'])).out);
    expect(a.interior).toBe(true);
    expect([b.alpha, b.sensitivity]).toEqual([a.alpha, a.sensitivity]);
  });

  test('fixed-point --net: the layer map of a repeated feed-forward block, as with the flags; other forms refused', async () => {
    const a = await run(['fixed-point', '--act', 'tanh', '--sw2', '1.5', '--sb2', '0.05', '--json']);
    for (const body of [[{ dense: { sw2: 1.5, sb2: 0.05 } }, { act: 'tanh' }], [{ act: 'tanh' }, { dense: { sw2: 1.5, sb2: 0.05 } }]]) {
      const b = await run(['fixed-point', '--net', file({ inputs: { q0: 1 }, layers: [{ repeat: 20, layers: body }] }), '--json']);
      expect(JSON.parse(b.out)).toEqual(JSON.parse(a.out));
    }
    const r = await run(['fixed-point', '--net', file(ISSUE_FORM)]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('layers[0].repeat.layers[0] (residual): fixed-point covers a repeated feed-forward block');
  });

  test('loop, ntk and validate accept --net of today\'s form and refuse other forms in one line naming the layer', async () => {
    const today = file(defaultForm({ depth: 2 }));
    const flags = ['--act', 'erf', '--depth', '2', '--c0', '0.6'];
    const l1 = await run(['loop', ...flags, '--json']);
    const l2 = await run(['loop', '--net', today, '--json']);
    expect(l2.code).toBe(0);
    expect(JSON.parse(l2.out).k1).toEqual(JSON.parse(l1.out).k1);
    const n1 = await run(['ntk', ...flags, '--digits', '6', '--json']);
    const n2 = await run(['ntk', '--net', today, '--digits', '6', '--json']);
    expect(n2.code).toBe(0);
    expect(JSON.parse(n2.out)).toEqual(JSON.parse(n1.out));
    const v = await run(['validate', '--net', today, '--samples', '200', '--width', '8', '--json']);
    expect([0, 4]).toContain(v.code);
    const other = file({ inputs: { q0: 1, c0: 0.6 }, layers: [{ repeat: 3, layers: [{ residual: { alpha: 0.3, branch: [{ act: 'erf' }, { dense: { sw2: 1.5 } }] } }] }, { batchnorm: { batch: 4 } }] });
    for (const [cmd, what] of [['loop', 'the one-loop theory'], ['ntk', 'the NTK recursion'], ['validate', 'the simulator']]) {
      const r = await run([cmd, '--net', other]);
      expect(r.code).toBe(2);
      expect(r.err.trim().split('\n')).toHaveLength(1);
      expect(r.err).toContain(`fieldprop ${cmd}: --net ${other}: layers[1] (batchnorm): ${what} does not cover this layer`);
    }
    // the issue's post-activation form: the composed one-loop theory
    const post = await run(['loop', '--net', file(ISSUE_FORM)]);
    expect(post.code).toBe(0);
    expect(post.out).toContain('(the composed theory)');
  });
});

describe('finite width', () => {
  test('x + relu(W x + b) at width 1000: the simulated squared length, overlap and mean match the mean field (its mean included)', () => {
    // Exact finite-width sampling of each dense layer given its input: u_i ~ N(0, sw2 K_hat + sb2)
    // (THEORY.md section 6), K_hat the empirical uncentred kernel of the layer's input.
    const { Rng } = require('../src/simulate/rng') as typeof import('../src/simulate/rng');
    const N = 1000;
    const depth = 6;
    const nets = 200;
    const [sw2, sb2, c0] = [1, 0.1, 0.3];
    const d = net({ inputs: { q0: 1, c0 }, layers: [repeat(depth, residual(1, dense(sw2, sb2), act('relu')))] });
    const theory = netKernel(d, { digits: 12 });
    const acc = { k11: [] as number[], k12: [] as number[], m: [] as number[] };
    for (let k = 0; k < nets; k++) {
      const rng = Rng.stream(7, k);
      const x1 = new Float64Array(N);
      const x2 = new Float64Array(N);
      for (let i = 0; i < N; i++) {
        const z1 = rng.normal();
        const z2 = rng.normal();
        x1[i] = z1;
        x2[i] = c0 * z1 + Math.sqrt(1 - c0 * c0) * z2;
      }
      for (let l = 0; l < depth; l++) {
        let a = 0, b = 0, c = 0;
        for (let i = 0; i < N; i++) {
          a += x1[i] * x1[i]; b += x1[i] * x2[i]; c += x2[i] * x2[i];
        }
        const U11 = (sw2 * a) / N + sb2, U12 = (sw2 * b) / N + sb2, U22 = (sw2 * c) / N + sb2;
        const L11 = Math.sqrt(U11), L21 = U12 / L11, L22 = Math.sqrt(Math.max(U22 - L21 * L21, 0));
        for (let i = 0; i < N; i++) {
          const z1 = rng.normal();
          const z2 = rng.normal();
          const u1 = L11 * z1;
          const u2 = L21 * z1 + L22 * z2;
          x1[i] += u1 > 0 ? u1 : 0;
          x2[i] += u2 > 0 ? u2 : 0;
        }
      }
      let a = 0, b = 0, m = 0;
      for (let i = 0; i < N; i++) {
        a += x1[i] * x1[i]; b += x1[i] * x2[i]; m += x1[i];
      }
      acc.k11.push(a / N); acc.k12.push(b / N); acc.m.push(m / N);
    }
    const stats = (xs: number[]) => {
      const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
      const v = xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (xs.length - 1);
      return { mean, se: Math.sqrt(v / xs.length) };
    };
    const refs = { k11: Number(theory.q![depth]), k12: Number(theory.k12![depth]), m: Number(theory.m1![depth]) };
    expect(refs.m).toBeGreaterThan(1); // the mean is not negligible: dropping it would fail below
    for (const key of ['k11', 'k12', 'm'] as const) {
      const s = stats(acc[key]);
      // statistical error plus an allowance for the O(1/N) finite-width bias
      expect(Math.abs(s.mean - refs[key])).toBeLessThan(4 * s.se + (3 / N) * Math.abs(refs[key]));
    }
    // dropping the mean (K^l = K^(l-1) + <relu^2> = K^(l-1) + U/2, no cross term) is far outside these errors
    let noMean = 1;
    for (let l = 0; l < depth; l++) noMean += (sw2 * noMean + sb2) / 2;
    const s11 = stats(acc.k11);
    expect(Math.abs(s11.mean - noMean)).toBeGreaterThan(50 * s11.se);
  });
});

describe('docs/networks.md', () => {
  test('every JSON network description on the page parses; the mean field runs on those it covers and refuses the others', () => {
    const md = fs.readFileSync(path.join(__dirname, '..', 'docs', 'networks.md'), 'utf8');
    const blocks = [...md.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => JSON.parse(m[1]));
    expect(blocks.length).toBeGreaterThanOrEqual(8);
    for (const b of blocks) {
      const d = parseNetwork(b, 'docs');
      const kinds = JSON.stringify(b);
      if (/batchnorm|conv/.test(kinds)) expect(() => netMeanField(float64Interp, d)).toThrow(/\((batchnorm|conv)\): .*does not cover/);
      else expect(netMeanField(float64Interp, d).rows.length).toBeGreaterThan(1);
    }
  });
});

describe('descriptionFrom', () => {
  test('the flags build the description of today\'s form; --net reads the file', () => {
    const { descriptionFrom } = require('../src/cli/options') as typeof import('../src/cli/options');
    const d = descriptionFrom({ act: 'erf', alpha: '0.3', sw2: '1.5', sb2: '0.05', depth: '4', q0: '1', c0: '0.6', skip: 'residual', scaling: 'amplitude' });
    expect(networkToJson(d)).toEqual({ inputs: { q0: '1', c0: '0.6' }, layers: [{ repeat: 4, layers: [{ residual: { alpha: '0.3', branch: [{ act: 'erf' }, { dense: { sw2: '1.5', sb2: '0.05' } }] } }] }] });
    expect(networkToJson(descriptionFrom({ net: file(ISSUE_FORM) }))).toEqual(networkToJson(parseNetwork(ISSUE_FORM)));
  });
});

describe('builder API', () => {
  test('builders validate their arguments and name the layer', () => {
    expect(() => dense(-1)).toThrow(/--net: dense\.sw2: must be >= 0/);
    expect(() => residual(0.5)).toThrow(/residual\.branch: empty branch/);
    expect(() => batchnorm({ batch: 1 })).toThrow(/batchnorm\.batch/);
    expect(() => conv({ kernelSize: 2, sw2: 1 })).toThrow(/must be odd/);
    expect(() => act('nope(x')).toThrow(/act: /);
    expect(readout(1, 0).kind).toBe('readout');
    expect(conv({ kernelSize: 3, sw2: 2, padding: 'zero' }).profile).toBe('uniform');
    expect(() => conv({ kernelSize: 3, sw2: 2, profile: [0.2, 0.2, 0.2] })).toThrow(/conv\.profile: the weights must sum to 1/);
    expect(conv({ kernelSize: 3, dims: 2, sw2: 2, profile: Array(9).fill('0.1').map((x, i) => (i === 4 ? '0.2' : x)) }).profile).toHaveLength(9);
  });
});

describe('cnn --net', () => {
  const cnnNet = (profile: unknown, padding: string, dims: number) => ({
    inputs: { q0: 1, c0: 0 },
    layers: [{ repeat: 12, layers: [{ act: 'tanh' }, { conv: { kernelSize: 3, dims, profile, padding, sw2: 1.5, sb2: 0.05 } }] }],
  });
  test('repeat(L, [act, conv]) prints what the flags print (uniform circular 2D, delta zero-padded 1D)', async () => {
    const a = await run(['cnn', '--net', file(cnnNet('uniform', 'circular', 2)), '--image', '8', '--json']);
    const b = await run(['cnn', '--act', 'tanh', '--sw2', '1.5', '--sb2', '0.05', '--dims', '2', '--kernel-size', '3', '--profile', 'uniform', '--image', '8', '--depth', '12', '--json']);
    expect(a.code).toBe(0);
    expect(a.out).toBe(b.out);
    const c = await run(['cnn', '--net', file(cnnNet('delta', 'zero', 1)), '--image', '16', '--json']);
    const d = await run(['cnn', '--act', 'tanh', '--sw2', '1.5', '--sb2', '0.05', '--dims', '1', '--kernel-size', '3', '--profile', '0,1,0', '--padding', 'zero', '--image', '16', '--depth', '12', '--json']);
    expect(c.code).toBe(0);
    expect(c.out).toBe(d.out);
  });
  test('other forms and replaced flags: one line naming the layer or the flag, exit 2', async () => {
    const dense = file({ inputs: { q0: 1, c0: 0 }, layers: [{ repeat: 4, layers: [{ act: 'tanh' }, { dense: { sw2: 1.5, sb2: 0 } }] }] });
    const r = await run(['cnn', '--net', dense]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/layers\[0\]\.repeat\.layers\[1\] \(dense\): cnn covers repeat\(L, \[act\(phi\), conv/);
    const s = await run(['cnn', '--net', file(cnnNet('uniform', 'circular', 1)), '--padding', 'zero']);
    expect(s.code).toBe(2);
    expect(s.err).toMatch(/--net: replaces --padding/);
  });
});
