/**
 * The validator: its verdict logic (an exact theory passes, a wrong one fails, mean field fails
 * where the 1/N correction is resolvable), the 1/N fit, and the `fieldprop validate` command.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { network } from '../src/model/network';
import { InputError } from '../src/model/errors';
import { validate, ValidationReport } from '../src/simulate/validate';
import { OneLoopTable } from '../src/simulate/theory';
import { linearNetworkMoments } from '../src/simulate/exact';
import { simSpec } from '../src/simulate/spec';
import { validateCommand, runValidate, EXIT_FAIL, EXIT_INTERRUPTED } from '../src/cli/validate';
import { main } from '../src/cli/main';
import { COMMANDS } from '../src/cli/commands';

/** The exact finite-N theory of a linear ResNet, written as a "one-loop table" at width N. */
function exactLinearTable(opts: Record<string, string | number>, N: number): OneLoopTable {
  const net = network(opts);
  const spec = simSpec(net, 1); // the parameters (the width is set below)
  const ex = linearNetworkMoments({ width: N, depth: net.depth, sw2: spec.sw2, sb2: spec.sb2, branch: spec.branch, skip: spec.skip, q0: Number(net.q0) });
  const zeros = ex.meanK.map(() => 0);
  return {
    k1: zeros, // linear nets: E[K_hat] is exactly the mean-field value
    c1: zeros,
    varK: ex.varK.map((v) => N * v),
    varC: ex.varC.map((v) => (Number.isNaN(v) ? null : N * v)),
    c1_curvature: zeros,
  };
}

const LINEAR = { act: 'linear', alpha: '0.6', sw2: '1.5', sb2: '0.2', depth: 5, q0: '1' };

describe('verdicts', () => {
  test('an exact theory passes, at the stated threshold', async () => {
    const N = 8;
    const r = await validate({
      net: network(LINEAR), widths: [N], samples: 6000, seed: 3, sampler: 'fast', twoInputs: false, delta: null, fwer: 0.01, threads: 1,
      oneLoop: exactLinearTable(LINEAR, N),
    });
    expect(r.pass).toBe(true);
    const q = r.runs[0].quantities;
    expect(q.K_hat_11.checked_against).toBe('one_loop');
    // variances: leading order only at one width, so reported with z but checked only across widths
    expect(q.var_K_hat_11.checked_against).toBeNull();
    expect(q.var_K_hat_11.pass).toBeNull();
    for (const row of q.var_K_hat_11.layers) expect(Math.abs(row.z as number)).toBeLessThanOrEqual(r.rule.z_threshold);
    // the rule was fixed before sampling: the means of K_hat (L+1 layers) and C_hat (L layers)
    expect(r.rule.tests).toBe(6 + 5);
    expect(r.rule.z_threshold).toBeCloseTo(3.317, 2); // Phi^-1(1 - 0.01/22)
    expect(r.rule.statement).toMatch(/Bonferroni/);
    for (const row of q.K_hat_11.layers) expect(Math.abs(row.z as number)).toBeLessThanOrEqual(r.rule.z_threshold);
  });

  test('the validator can say no: a 30% error in the predicted variance, or a wrong 1/N mean correction, fails', async () => {
    // variances are checked through the fit across widths: intercept of N Var = lim N Var
    const lim = exactLinearTable(LINEAR, 1e9);
    const wrongVar: OneLoopTable = { ...lim, varK: lim.varK.map((v, l) => (l === 1 ? (v as number) * 1.3 : v)) };
    const r1 = await validate({
      net: network(LINEAR), widths: [6, 12, 24], samples: 5000, seed: 3, sampler: 'fast', twoInputs: false, delta: null, fwer: 0.01, threads: 1, oneLoop: wrongVar,
    });
    expect(r1.pass).toBe(false);
    expect(r1.fits.var_K_hat_11.pass).toBe(false);
    expect(r1.fits.var_K_hat_11.layers[1].pass).toBe(false);
    expect(r1.fits.var_K_hat_11.layers[2].pass).toBe(true);
    expect(r1.fits.K_hat_11.pass).toBe(true);
    // a k1 of the size a 1/N theory would have (here wrong: the exact value is 0)
    const good = exactLinearTable(LINEAR, 8);
    const wrongMean: OneLoopTable = { ...good, k1: good.k1.map((_, l) => (l === 1 ? 1 : 0)) };
    const r2 = await validate({
      net: network(LINEAR), widths: [8], samples: 6000, seed: 3, sampler: 'fast', twoInputs: false, delta: null, fwer: 0.01, threads: 1, oneLoop: wrongMean,
    });
    expect(r2.pass).toBe(false);
    expect(r2.runs[0].quantities.K_hat_11.pass).toBe(false);
  });

  test('mean field fails for a tanh ResNet where the 1/N correction is resolvable, and is checked against when no one-loop theory is given', async () => {
    const net = network({ act: 'tanh', alpha: '0.7', sw2: '2', sb2: '0', depth: 6, q0: '1' });
    const r = await validate({ net, widths: [8], samples: 8000, seed: 1, sampler: 'fast', twoInputs: false, delta: null, fwer: 0.01, threads: 1, oneLoop: null });
    const C = r.runs[0].quantities.C_hat_11;
    expect(C.checked_against).toBe('mean_field');
    expect(C.pass).toBe(false);
    expect(C.max_abs_z as number).toBeGreaterThan(2 * r.rule.z_threshold);
    // C_hat^1 depends only on the exactly Gaussian input layer: mean field is exact there
    expect(C.layers[0].pass).toBe(true);
    expect(r.pass).toBe(false);
    // variances are reported, not checked, without a one-loop theory
    expect(r.runs[0].quantities.var_K_hat_11.checked_against).toBeNull();
    expect(r.runs[0].quantities.var_K_hat_11.pass).toBeNull();
  });

  test('widths: the weighted fit of N (MC - mean field) against 1/N recovers the exact 1/N coefficient of Var(K_hat)', async () => {
    // For a linear ResNet, N Var(K_hat^l) = V1 + V2/N exactly: the intercept is V1.
    const widths = [6, 12, 24];
    // lim N Var(K_hat): the exact N Var at a huge width
    const big = exactLinearTable(LINEAR, 1e9);
    const r = await validate({
      net: network(LINEAR), widths, samples: 5000, seed: 8, sampler: 'fast', twoInputs: false, delta: null, fwer: 0.01, threads: 1,
      oneLoop: { ...big, varK: big.varK, varC: big.varC },
    });
    const fit = r.fits.var_K_hat_11;
    expect(fit.widths).toEqual(widths);
    expect(fit.checked_against).toBe('one_loop');
    expect(fit.pass).toBe(true);
    for (const row of fit.layers) {
      expect(row.ci95[0]).toBeLessThan(row.slope);
      expect(Math.abs(row.z as number)).toBeLessThanOrEqual(r.rule.z_threshold);
      expect(row.dof).toBe(1);
    }
    // means: exact k1 = 0, and mean field passes too
    expect(r.fits.K_hat_11.pass).toBe(true);
    expect(r.fits.K_hat_11.mean_field_pass).toBe(true);
    // the count of checked values: the means at each width, and the intercepts of means and variances
    expect(r.rule.tests).toBe((6 + 5) * 3 + (6 + 5) * 2);
  });
});

describe('observables', () => {
  test('two inputs: off-diagonal kernels, correlation, sensitivity, kurtosis and covariances are reported', async () => {
    const net = network({ act: 'erf', alpha: '0.5', sw2: '1.5', sb2: '0.05', depth: 4, q0: '1', c0: '0.5' });
    const r = await validate({ net, widths: [16], samples: 4000, seed: 2, sampler: 'fast', twoInputs: true, delta: 0.02, fwer: 0.01, threads: 1, oneLoop: null });
    const q = r.runs[0].quantities;
    expect(Object.keys(q)).toEqual(expect.arrayContaining(['K_hat_12', 'C_hat_12', 'c_hat_12', 'sensitivity', 'jvp', 'kurtosis']));
    expect(r.inputs.P).toBe(4);
    // the sensitivity at layer 0 is exactly 1 up to finite-N noise of c_hat^0; mean-field value 1
    expect(q.sensitivity.layers[0].theory_mf).toBeCloseTo(1, 6);
    expect(Math.abs(q.sensitivity.layers[4].z_mf as number)).toBeLessThan(6);
    // h^0 is Gaussian: excess kurtosis 0 at layer 0
    expect(Math.abs(q.kurtosis.layers[0].z_mf as number)).toBeLessThan(4);
    const cov = r.runs[0].covariance!;
    expect(cov.K_hat_11).toHaveLength(5);
    expect(cov.K_hat_11[0][0]).toBeCloseTo(2, 0); // N Var(K_hat^0) = 2 q0^2
    expect(cov.K_hat_11[1][2]).toBeCloseTo(cov.K_hat_11[2][1] as number, 12);
    expect(cov.C_hat_11[0][0]).toBeNull();
  });
});

// ---------------------------------------------------------------------------------------
// The command.

const registered = COMMANDS.some((c) => c.name === 'validate');

async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io = { out: (s: string) => (out += s), err: (s: string) => (err += s) };
  if (registered) return { code: await main(['validate', ...argv], io), out, err };
  try {
    return { code: await validateCommand.run(argv, io), out, err };
  } catch (e) {
    if (e instanceof InputError) return { code: 2, out, err: `fieldprop validate: ${e.message}\n` };
    throw e;
  }
}

describe('fieldprop validate', () => {
  test('--json: per layer mc_mean, mc_se, theory_mf, theory_1loop, z for K_hat and C_hat and their variances, and pass', async () => {
    const r = await cli(['--act', 'tanh', '--alpha', '0.7', '--sw2', '2', '--sb2', '0', '--depth', '3', '--q0', '1', '--width', '16', '--samples', '400', '--seed', '1', '--json']);
    expect([0, EXIT_FAIL]).toContain(r.code);
    const j = JSON.parse(r.out) as ValidationReport;
    expect(typeof j.pass).toBe('boolean');
    expect(j.rule.z_threshold).toBeGreaterThan(2);
    const q = j.runs[0].quantities;
    for (const name of ['K_hat_11', 'C_hat_11', 'var_K_hat_11', 'var_C_hat_11']) {
      const rows = q[name].layers;
      expect(rows.length).toBe(name.includes('C_hat') ? 3 : 4);
      for (const row of rows) {
        for (const k of ['mc_mean', 'mc_se', 'theory_mf', 'theory_1loop', 'z']) expect(row).toHaveProperty(k);
        expect(typeof row.mc_mean).toBe('number');
      }
    }
    expect(j.network.c0).toBeNull();
    expect(r.err).toBe('');
  });

  test('readable output states the rule, the theory used, and the verdict', async () => {
    const r = await cli(['--act', 'relu', '--alpha', '0.5', '--sw2', '2', '--sb2', '0.1', '--depth', '2', '--c0', '0.3', '--width', '8', '--samples', '300']);
    expect(r.out).toMatch(/Rule: Fixed before sampling: \d+ checked theory values; each passes if \|z\| <= [\d.]+/);
    expect(r.out).toMatch(/Theory \([\d.]+ s\): mean-field/);
    expect(r.out).toMatch(/K_hat_12/);
    expect(r.out).toMatch(/sensitivity/);
    expect(r.out).toMatch(/^Verdict: (PASS|FAIL)/m);
  });

  test('--plot writes an SVG atomically (no temporary file left), and --help lists the options', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fieldprop-plot-'));
    const file = path.join(dir, 'out.svg');
    const r = await cli(['--act', 'erf', '--depth', '3', '--widths', '8,16', '--samples', '300', '--plot', file, '--json']);
    expect([0, EXIT_FAIL]).toContain(r.code);
    const svg = fs.readFileSync(file, 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
    expect(svg).toMatch(/K\u0302₁₁/);
    expect(fs.readdirSync(dir)).toEqual(['out.svg']);
    const j = JSON.parse(r.out) as ValidationReport;
    expect(Object.keys(j.fits)).toContain('K_hat_11');
    fs.rmSync(dir, { recursive: true });
    const h = await cli(['--help']);
    expect(h.out).toMatch(/--widths/);
    expect(h.out).toMatch(/--sampler <fast\|full>/);
  }, 60000);

  test('SIGINT: prints the statistics gathered so far and exits 130', async () => {
    let out = '';
    const io = { out: (s: string) => (out += s), err: () => undefined };
    const timer = setTimeout(() => process.emit('SIGINT'), 400);
    const code = await runValidate(['--act', 'tanh', '--depth', '4', '--width', '16', '--samples', '10000000', '--threads', '1', '--json'], io);
    clearTimeout(timer);
    expect(code).toBe(EXIT_INTERRUPTED);
    const j = JSON.parse(out) as ValidationReport;
    expect(j.interrupted).toBe(true);
    expect(j.pass).toBe(false);
    expect(j.runs[0].samples).toBeGreaterThan(0);
    expect(j.runs[0].samples).toBeLessThan(10000000);
    expect(process.listenerCount('SIGINT')).toBe(0);
  });

  const bad: [string[], RegExp][] = [
    [['--samples', '1'], /--samples: .*100\.\./],
    [['--samples', '2'], /--samples: at least 100 networks per width/],
    [['--samples', '250.5'], /--samples: .*integer/],
    [['--width', '0'], /--width: .*1\.\./],
    [['--width', '3.5'], /--width: .*integer/],
    [['--widths', '16,abc'], /--widths: .*comma-separated list of integers/],
    [['--widths', '16,,32'], /--widths: .*comma-separated list of integers/],
    [['--widths', '16,0'], /--widths: .*1\.\./],
    [['--widths', '16,16'], /--widths: .*twice/],
    [['--widths', '16,32', '--width', '8'], /--widths: .*one or the other/],
    [['--seed', '1.5'], /--seed: .*integer/],
    [['--seed', '-1'], /--seed: /],
    [['--sampler', 'slow'], /--sampler: .*"fast" or "full"/],
    [['--fwer', '0'], /--fwer: /],
    [['--delta', '0.5', '--c0', '0.9'], /--delta: /],
    [['--threads', '0'], /--threads: /],
    [['--sw2', '-1'], /--sw2: /],
    [['--bogus'], /--bogus: unknown option/],
  ];
  for (const [argv, re] of bad) {
    test(`bad input ${argv.join(' ')}: one line, exit code 2`, async () => {
      const r = await cli([...argv, '--samples-dummy-guard'].slice(0, argv.length));
      expect(r.code).toBe(2);
      expect(r.err).toMatch(re);
      expect(r.err.trim().split('\n')).toHaveLength(1);
      expect(r.out).toBe('');
    });
  }
});
