/**
 * The simulation and NTK interpretations of a network description: the forward pass of today's
 * form is the existing simulator (same seed, same numbers); x + relu(W x + b) matches its mean
 * field (mean included) at width 1000; validate --net passes for post-activation and two-layer-branch
 * erf ResNets and rejects mean field without the mean; the NTK recursion over descriptions is the
 * existing one for today's form; the empirical NTK is checked against finite differences and
 * against the recursion.
 */
import { run, jsonFiles } from './cliRun';
import { net, dense, act, residual, repeat, serial, readout, describeStandard } from '../src/model/net';
import { network } from '../src/model/network';
import { activation } from '../src/model/activation';
import { decimalInterp, float64Interp } from '../src/interpret/numeric';
import { netMeanField } from '../src/quantities/netMeanField';
import { netNtk, netNtk64 } from '../src/quantities/netNtk';
import { ntkRecursion } from '../src/quantities/ntk';
import { NetForward, compileNet } from '../src/simulate/netForward';
import { validateNet } from '../src/simulate/netValidate';
import { ExplicitNet, empiricalNetNtkStats } from '../src/simulate/netNtk';
import { simulator } from '../src/simulate/samplers';
import { simSpec } from '../src/simulate/spec';
import { twoInputKernel } from '../src/simulate/linalg';
import { bonferroniThreshold } from '../src/simulate/stats';

const files = jsonFiles('fieldprop-netsim-');
const file = (json: unknown): string => files.file(json);

const POST_ERF = {
  inputs: { q0: 1, c0: 0.6 },
  layers: [{ repeat: 4, layers: [{ residual: { alpha: 0.6, branch: [{ dense: { sw2: 1.5, sb2: 0.05 } }, { act: 'erf' }] } }] }],
};
const TWO_LAYER_ERF = {
  inputs: { q0: 1, c0: 0.6 },
  layers: [{ repeat: 3, layers: [{ residual: { alpha: 0.5, branch: [{ dense: { sw2: 1.5, sb2: 0.05 } }, { act: 'erf' }, { dense: { sw2: 1.2, sb2: 0.02 } }] } }] }],
};
const postRelu = (depth: number) => net({ inputs: { q0: 1, c0: 0.3 }, layers: [repeat(depth, residual(1, [dense(1, 0.1), act('relu')]))] });

describe('forward pass of a description', () => {
  test('today\'s form gives the numbers of the existing simulator, layer by layer, for the same seed (both samplers)', () => {
    const flags = { act: 'tanh', alpha: '0.7', sw2: '1.3', sb2: '0.2', depth: 3, q0: '1.2', c0: '0.4' };
    for (const skip of ['residual', 'none']) {
      const n = network({ ...flags, skip } as never);
      const program = compileNet(describeStandard(n));
      for (const sampler of ['fast', 'full'] as const) {
        const N = 17;
        const mine: Float64Array[] = [];
        new NetForward(program, N, sampler).run(5, 3, (_row, h) => mine.push(h.slice()));
        const theirs: Float64Array[] = [];
        simulator(simSpec(n, N, { K0: twoInputKernel(1.2, 0.4), tangents: 0 }), sampler).run(5, 3, (v) => theirs.push(v.h.slice()));
        expect(mine).toHaveLength(4);
        expect(mine).toEqual(theirs);
      }
    }
  });

  test('x + relu(W x + b) at width 1000 matches its mean field, the mean every neuron accumulates included', async () => {
    const d = postRelu(4);
    const r = await validateNet({ desc: d, widths: [1000], samples: 200, seed: 3, sampler: 'fast', fwer: 0.01 });
    expect(r.quantities.map((q) => q.name)).toEqual(['K_hat_11', 'K_hat_12', 'K_hat_22', 'm_hat_1', 'm_hat_2', 'c_hat_12']);
    expect(r.pass).toBe(true);
    const m = r.quantities.find((q) => q.name === 'm_hat_1')!;
    // the mean grows: clearly resolved, and within the errors of the theory
    expect(m.rows[4].mean_field).toBeGreaterThan(1);
    expect(m.rows[4].widths[0].se).toBeLessThan(0.02 * m.rows[4].mean_field);
    // the full sampler (explicit weights) agrees with the same theory
    const full = await validateNet({ desc: postRelu(2), widths: [300], samples: 60, seed: 4, sampler: 'full', fwer: 0.01 });
    expect(full.pass).toBe(true);
  });

  test('validate --net rejects mean field without the mean (relu read as if odd)', async () => {
    const d = postRelu(4);
    const relu = activation('relu');
    const noMean = { ...relu, parity: 'odd' as const };
    const wrong = netMeanField(float64Interp, net({ inputs: { q0: 1, c0: 0.3 }, layers: [repeat(4, residual(1, [dense(1, 0.1), act(noMean)]))] }));
    const r = await validateNet({ desc: d, widths: [64, 128], samples: 300, seed: 1, sampler: 'fast', fwer: 0.01, meanField: wrong });
    expect(r.pass).toBe(false);
    expect(r.quantities.find((q) => q.name === 'K_hat_11')!.pass).toBe(false);
  });
});

const long = process.env.FIELDPROP_LONG === '1' ? test : test.skip;

describe('long runs (FIELDPROP_LONG=1)', () => {
  long('x + relu(W x + b) at sw2 = 1, sb2 = 0.1, c0 = 0.3, depth 12, width 2000: kernels and means at every layer, and the 1/N intercept over widths 250..2000', async () => {
    const d = postRelu(12);
    const one = await validateNet({ desc: d, widths: [2000], samples: 300, seed: 11, sampler: 'fast', fwer: 0.01 });
    expect(one.pass).toBe(true);
    const fit = await validateNet({ desc: d, widths: [250, 500, 1000, 2000], samples: 400, seed: 12, sampler: 'fast', fwer: 0.01 });
    expect(fit.pass).toBe(true);
  }, 600_000);
});

describe('validate --net', () => {
  test('passes for a post-activation erf ResNet and a two-layer-branch erf ResNet (the 1/N coefficients against the composed one-loop theory)', async () => {
    for (const form of [POST_ERF, TWO_LAYER_ERF]) {
      const r = await run(['validate', '--net', file(form), '--widths', '32,64,128', '--samples', '600', '--seed', '2', '--json']);
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      const j = JSON.parse(r.out);
      expect(j.checked).toBe('intercept');
      expect(j.pass).toBe(true);
      expect(j.quantities.map((q: { name: string }) => q.name)).toEqual(['K_hat_11', 'K_hat_12', 'K_hat_22', 'c_hat_12']);
      expect(j.quantities.every((q: { checked_against: string }) => q.checked_against === 'one_loop')).toBe(true);
      expect(j.rule.tests).toBe(4 * j.rows.length);
    }
    const text = await run(['validate', '--net', file(POST_ERF), '--width', '64', '--samples', '200']);
    expect(text.out).toContain('the composed one-loop theory');
    expect(text.out).toMatch(/Verdict: (PASS|FAIL)/);
  });

  test('refusals: a layer neither the simulator nor the mean field covers, and options of today\'s validator only', async () => {
    const bn = file({ inputs: { q0: 1, c0: 0.6 }, layers: [{ dense: { sw2: 1 } }, { batchnorm: { batch: 4 } }] });
    const a = await run(['validate', '--net', bn]);
    expect(a.code).toBe(2);
    expect(a.err.trim().split('\n')).toHaveLength(1);
    expect(a.err).toContain('layers[1] (batchnorm): the simulator does not cover this layer');
    const actOnSum = file({ inputs: { q0: 1, c0: 0.6 }, layers: [{ residual: { alpha: 1, branch: [{ dense: { sw2: 1 } }, { act: 'relu' }] } }, { act: 'relu' }] });
    const b = await run(['validate', '--net', actOnSum, '--samples', '100']);
    expect(b.code).toBe(2);
    expect(b.err).toContain('layers[1] (act)');
    const c = await run(['validate', '--net', file(POST_ERF), '--delta', '0.1']);
    expect(c.code).toBe(2);
    expect(c.err).toContain('--delta');
  });
});

describe('NTK of a description', () => {
  test('today\'s form: the recursion over descriptions is src/quantities/ntk.ts to 35 digits (residual, feed-forward, variance scaling, frozen parts)', () => {
    const I = decimalInterp(45, 40);
    const cases: [Record<string, unknown>, Record<string, string>][] = [
      [{ act: 'erf', alpha: '0.6', sw2: '1.5', sb2: '0.05', depth: 5, q0: '1', c0: '0.6' }, {}],
      [{ act: 'relu', skip: 'none', sw2: '2', sb2: '0.1', depth: 4, q0: '1', c0: '0.3' }, { biases: 'frozen' }],
      [{ act: 'erf', scaling: 'variance', alpha: '0.3', depth: 3, c0: '0.2' }, { inputLayer: 'frozen' }],
    ];
    for (const [flags, o] of cases) {
      const n = network(flags as never);
      const a = ntkRecursion(I, n, o);
      const b = netNtk(I, describeStandard(n), o);
      expect(b.theta).toHaveLength(n.depth + 1);
      for (let l = 0; l <= n.depth; l++) {
        expect(a.ntk[l].minus(b.theta[l][0][0]).abs().toNumber()).toBeLessThanOrEqual(1e-35 * Math.max(1, a.ntk[l].abs().toNumber()));
        expect(a.ntk12[l].minus(b.theta[l][0][1]).abs().toNumber()).toBeLessThanOrEqual(1e-35 * Math.max(1, a.ntk[l].abs().toNumber()));
      }
    }
  });

  test('the empirical NTK by backpropagation equals finite differences of the network (a stem, a scheduled residual stage, a readout)', () => {
    const d = net({ inputs: { q0: 1, c0: 0.4 }, layers: [dense(1.3, 0.2), repeat(2, residual({ alpha: 0.7, schedule: '1/sqrt(l)' }, [dense(1.5, 0.1), act('tanh')])), serial(act('erf'), readout(1.1, 0.3))] });
    const e = new ExplicitNet(compileNet(d), 3, 1, 0);
    const theta = e.ntk();
    const P = 2;
    const N = 3;
    const grads: Float64Array[][] = [[], []];
    const h = 1e-6;
    for (let a = 0; a < P; a++) {
      for (let q = 0; q < e.params.length; q++) {
        const p = e.params.slice();
        p[q] += h;
        const up = e.output(a, p);
        p[q] -= 2 * h;
        const dn = e.output(a, p);
        grads[a].push(up.map((u, i) => (u - dn[i]) / (2 * h)));
      }
    }
    for (let a = 0; a < P; a++) {
      for (let b = 0; b < P; b++) {
        let s = 0;
        for (let q = 0; q < e.params.length; q++) for (let i = 0; i < N; i++) s += grads[a][q][i] * grads[b][q][i];
        expect(Math.abs(s / N - theta[a * P + b])).toBeLessThan(1e-7 * Math.abs(theta[a * P + b]) + 1e-9);
      }
    }
  });

  test('the empirical NTK of x + relu(W x + b) agrees with the recursion (means included)', () => {
    const d = postRelu(3);
    const t = netNtk64(d);
    const last = t.theta[t.theta.length - 1];
    const st = empiricalNetNtkStats(d, 48, 150, 1);
    const Z = bonferroniThreshold(0.001, 3);
    for (const [a, b] of [[0, 0], [0, 1], [1, 1]]) {
      const z = (st.mean[a * 2 + b] - last[a][b]) / st.se[a * 2 + b];
      expect(Math.abs(z)).toBeLessThan(Z);
    }
  });

  test('ntk --net: a post-activation file prints verified Theta per row; today\'s form prints what the flags print', async () => {
    const r = await run(['ntk', '--net', file(POST_ERF), '--digits', '12', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    const t = netNtk(decimalInterp(30), net({ inputs: { q0: 1, c0: 0.6 }, layers: [repeat(4, residual(0.6, [dense(1.5, 0.05), act('erf')]))] }));
    expect(j.theta).toHaveLength(5);
    expect(Number(j.theta[4][0][1])).toBeCloseTo(t.theta[4][0][1].toNumber(), 10);
    expect(j.theta[4][0][0]).toBe(t.theta[4][0][0].toSignificantDigits(12).toString());
    const e = await run(['ntk', '--net', file(POST_ERF), '--digits', '6', '--widths', '16,32', '--samples', '20']);
    expect(e.code).toBe(0);
    expect(e.out).toContain('A (N -> inf)');
    const flags = ['--act', 'erf', '--alpha', '0.6', '--sw2', '1.5', '--sb2', '0.05', '--depth', '4', '--c0', '0.6', '--digits', '10', '--json'];
    const today = file({ inputs: { q0: 1, c0: 0.6 }, layers: [{ repeat: 4, layers: [{ residual: { alpha: 0.6, branch: [{ act: 'erf' }, { dense: { sw2: 1.5, sb2: 0.05 } }] } }] }] });
    const f1 = await run(['ntk', ...flags]);
    const f2 = await run(['ntk', '--net', today, '--digits', '10', '--json']);
    expect(JSON.parse(f2.out)).toEqual(JSON.parse(f1.out));
    const bn = await run(['ntk', '--net', file({ inputs: { q0: 1, c0: 0.6 }, layers: [{ dense: { sw2: 1 } }, { batchnorm: { batch: 4 } }] })]);
    expect(bn.code).toBe(2);
    expect(bn.err).toContain('layers[1] (batchnorm): the NTK recursion does not cover this layer');
  });
});
