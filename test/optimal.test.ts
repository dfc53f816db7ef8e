/** Optimal residual scaling: verified digits, brute-force scan, exact scaling law, asymptotic formula. */
import Decimal from 'decimal.js';
import { network } from '../src/model/network';
import { float64Interp, decimalInterp } from '../src/interpret/numeric';
import { sensitivity64, sensitivityAndSlope, locateMaximum, asymptoticOptimum, optimalAlpha } from '../src/quantities/optimal';
import { optimalAlphaAnalysis } from '../src/api';

describe('optimal alpha', () => {
  const erf100 = { act: 'erf', sw2: '1', sb2: '0', depth: 100, q0: '1', c0: '0.99' };
  let alpha20 = '';
  test('erf, depth 100: alpha* to 20 verified digits agrees with a brute-force golden-section scan', () => {
    const r = optimalAlphaAnalysis(erf100, { digits: 20 });
    expect(r.interior).toBe(true);
    alpha20 = r.alpha!;
    expect(alpha20.replace(/^0\.|\./, '').length).toBeGreaterThanOrEqual(19);
    // brute force: dense scan + golden section on S itself, no derivatives
    const net = network({ ...erf100, alpha: '1' });
    let lo = 0.5;
    let hi = 1.5;
    for (let it = 0; it < 100; it++) {
      const m1 = lo + (hi - lo) / 3;
      const m2 = hi - (hi - lo) / 3;
      if (sensitivity64(net, m1) < sensitivity64(net, m2)) lo = m1;
      else hi = m2;
    }
    expect(Math.abs((lo + hi) / 2 - Number(alpha20))).toBeLessThan(1e-6);
    expect(Number(r.sensitivity)).toBeCloseTo(sensitivity64(net, Number(alpha20)), 12);
  });
  test('sb2 = 0: S depends on alpha^2 sw2 only, so alpha*(sw2 = 2) = alpha*(sw2 = 1)/sqrt(2) to 20 digits', () => {
    const r2 = optimalAlphaAnalysis({ ...erf100, sw2: '2' }, { digits: 20 });
    const a1 = new Decimal(alpha20 || optimalAlphaAnalysis(erf100, { digits: 20 }).alpha!);
    const predicted = a1.div(new Decimal(2).sqrt());
    expect(new Decimal(r2.alpha!).minus(predicted).abs().div(predicted).toNumber()).toBeLessThan(2e-19);
  });
  test('dS/dalpha from dual numbers equals a finite difference (float64 and Decimal)', () => {
    const net = network({ act: 'tanh', alpha: '1', sw2: '1.3', sb2: '0.1', depth: 8, c0: '0.9' });
    const { ds } = sensitivityAndSlope(float64Interp, net, 0.7);
    const h = 1e-5;
    const fd = (sensitivity64(net, 0.7 + h) - sensitivity64(net, 0.7 - h)) / (2 * h);
    expect(Math.abs(ds - fd) / Math.abs(fd)).toBeLessThan(1e-6);
    const netE = network({ act: 'erf', alpha: '1', depth: 20, c0: '0.95' });
    const I = decimalInterp(40);
    const d = sensitivityAndSlope(I, netE, I.F.of('0.6')).ds;
    const fdE = (sensitivity64(netE, 0.6 + 1e-6) - sensitivity64(netE, 0.6 - 1e-6)) / 2e-6;
    expect(Math.abs(d.toNumber() - fdE) / Math.abs(fdE)).toBeLessThan(1e-7);
  });
  test('relu: no interior maximum, said so instead of a boundary value', () => {
    const r = optimalAlphaAnalysis({ act: 'relu', sw2: '2', sb2: '0', depth: 50, c0: '0.99' });
    expect(r.interior).toBe(false);
    expect(r.alpha).toBeNull();
    expect(r.note).toMatch(/no interior maximum/);
  });
  test('asymptotic formula: alpha* sqrt(sw2 L) -> sqrt(tau*) with O(1/L) corrections', () => {
    const asy = asymptoticOptimum(network({ ...erf100, alpha: '1' }));
    for (const L of [100, 400]) {
      const loc = locateMaximum(network({ ...erf100, alpha: '1', depth: L }), 0.05, 3, 81);
      const rel = Math.abs(loc.alpha0 * Math.sqrt(L) - Math.sqrt(asy.tau)) / Math.sqrt(asy.tau);
      expect(rel).toBeLessThan(6 / L);
      expect(rel).toBeGreaterThan(0.5 / L); // a real finite-depth correction, not a coincidence
    }
  });
});

describe('warm-started secant passes', () => {
  test('a pass started from a previous (less precise) root with a tiny spread still iterates to its own precision', () => {
    const net = network({ act: 'erf', alpha: '1', sw2: '1', sb2: '0', depth: 30, q0: '1', c0: '0.99' });
    const I = decimalInterp(34, 26);
    const cold = String(optimalAlpha(I, net, 1.8913).alpha);
    // start 1e-12 off with a spread of 1e-20: 1 - spread must not round to 1, or the secant stops at once
    const warm = String(optimalAlpha(I, net, cold.slice(0, 14), 1e-20).alpha);
    expect(warm.slice(0, 30)).toBe(cold.slice(0, 30));
    expect(cold.slice(0, 14)).not.toBe(cold.slice(0, 30));
  });
});
