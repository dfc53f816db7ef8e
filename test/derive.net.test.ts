/** `derive kernel --net`: the printed recursion of each layer, verified against netMeanField. */
import { run, jsonFiles } from './cliRun';
import { deriveNetKernel } from '../src/derivations/netKernel';
import { net, dense, act, residual, repeat, parseNetwork } from '../src/model/net';
import { evaluate64 } from '../src/interpret/symbolic';
import { add, mul, pow, num, sym } from '../src/symbolic';

const files = jsonFiles('fieldprop-derive-net-');
const file = (name: string, json: unknown): string => files.file(json, undefined, name);

const ISSUE_EXAMPLE = {
  inputs: { q0: 1, c0: 0.6 },
  layers: [{ repeat: 8, layers: [{ residual: { alpha: 0.6, branch: [{ dense: { sw2: 1.5, sb2: 0.05 } }, { act: 'erf' }] } }] }],
};

describe('derive kernel --net', () => {
  test('erf ResNet: dense, the arcsine kernel, residual; both checks pass', () => {
    const d = deriveNetKernel(parseNetwork(ISSUE_EXAMPLE));
    const labels = d.equations.map((e) => e.label);
    expect(labels).toEqual(['residual-g', 'residual', 'residual-mean', 'dense', 'act-pair', 'act-square', 'act-mean']);
    const pair = d.equations.find((e) => e.label === 'act-pair')!;
    expect(pair.latex).toMatch(/arcsin/);
    // the printed arcsine kernel is (2/pi) asin(2 K12 / sqrt((1+2K11)(1+2K22)))
    const v = evaluate64(pair.expr, { K11: 1.2, K12: 0.4, K22: 0.9 });
    expect(Math.abs(v - (2 / Math.PI) * Math.asin(0.8 / Math.sqrt(3.4 * 2.8)))).toBeLessThan(1e-15);
    expect(d.equations.find((e) => e.label === 'act-mean')!.text).toBe("m1' = 0");
    expect(d.checks).toHaveLength(2);
    for (const c of d.checks) expect(c.ok).toBe(true);
  });

  test('relu with means, a schedule and a Stein branch: checks pass, and a wrong recursion would fail them', () => {
    const d = net({
      inputs: { q0: 1, c0: 0.3 },
      layers: [dense(1, 0.1), repeat(3, residual({ alpha: 0.5, schedule: '1/sqrt(L)' }, dense(2, 0.1), act('relu'))), dense(1, 0), residual(0.3, act('erf'))],
    });
    const r = deriveNetKernel(d);
    expect(r.checks.map((c) => c.ok)).toEqual([true, true]);
    const mean = r.equations.find((e) => e.label === 'act-mean')!;
    expect(mean.latex).toMatch(/\\pi/); // E[max(0,u)] = sqrt(K/(2 pi))
    expect(r.equations.find((e) => e.label === 'residual-stein')).toBeDefined();
    expect(r.equations.find((e) => e.label === 'residual-g')!.text).toMatch(/alpha.*L/);
    // the relu net carries a mean; the cross term is what the check sees
    const small = net({ inputs: { q0: 1, c0: 0.3 }, layers: [dense(1, 0.1), residual(0.5, dense(2, 0.1), act('relu')), residual(0.5, dense(2, 0.1), act('relu'))] });
    expect(deriveNetKernel(small).checks.map((c) => c.ok)).toEqual([true, true]);
    // dropping the mean cross term g (m1 mu2 + mu1 m2), or the relu mean itself, fails both checks
    const noCross = deriveNetKernel(small, { alter: (label, e) => (label === 'residual' ? add(sym('K12'), mul(pow(sym('g'), num(2)), sym('Kbr12'))) : e) });
    expect(noCross.checks.map((c) => c.ok)).toEqual([false, false]);
    const noMean = deriveNetKernel(small, { alter: (label, e) => (label === 'act-mean' ? num(0) : e) });
    expect(noMean.checks.map((c) => c.ok)).toEqual([false, false]);
  });

  test('an odd linear activation keeps the stream Gaussian; an affine one with an offset does not', () => {
    const odd = net({ inputs: { q0: 1, c0: 0.3 }, layers: [dense(1.2, 0.1), act('2*x'), act('erf'), dense(1, 0)] });
    expect(deriveNetKernel(odd).checks.map((c) => c.ok)).toEqual([true, true]);
    const shifted = net({ inputs: { q0: 1, c0: 0.3 }, layers: [dense(1.2, 0.1), act('2*x + 1'), act('erf')] });
    expect(() => deriveNetKernel(shifted)).toThrow(/layers\[2\].*non-Gaussian/);
  });

  test('CLI: text, --latex and --json; --net with another derivation is exit 2', async () => {
    const f = file('erf.json', ISSUE_EXAMPLE);
    const t = await run(['derive', 'kernel', '--net', f]);
    expect(t.code).toBe(0);
    expect(t.out).toMatch(/K12' = sb2 \+ K12\*sw2/);
    expect(t.out).toMatch(/Verified: 2 of 2/);
    const l = await run(['derive', 'kernel', '--net', f, '--latex']);
    expect(l.out).toMatch(/\\arcsin/);
    const j = await run(['derive', 'kernel', '--net', f, '--json']);
    expect(JSON.parse(j.out).verified).toBe(true);
    const bad = await run(['derive', 'response', '--net', f]);
    expect(bad.code).toBe(2);
    expect(bad.err.trim().split('\n')).toHaveLength(1);
  });
});
