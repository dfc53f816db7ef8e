/** Mean-field response functions: symbolic closed-form derivatives against finite differences of the kernel map. */
import { network } from '../src/model/network';
import { float64Interp, decimalInterp } from '../src/interpret/numeric';
import { meanFieldKernels } from '../src/quantities/kernel';
import { meanFieldResponse, propagator, closedFormDerivatives } from '../src/quantities/response';
import { activation } from '../src/model/activation';
import { parse, assertIdentity, toLatex } from '../src/symbolic';

function fdChi12(opts: Record<string, string | number>, h = 1e-6): number {
  const c0 = Number(opts.c0);
  const up = meanFieldKernels(float64Interp, network({ ...opts, c0: String(c0 + h) }));
  const dn = meanFieldKernels(float64Interp, network({ ...opts, c0: String(c0 - h) }));
  const L = Number(opts.depth);
  return (up.c[L] - dn.c[L]) / (2 * h);
}

describe('mean-field response', () => {
  for (const act of ['erf', 'relu', 'tanh', 'linear']) {
    test(`${act}: sensitivity dc^L/dc^0 equals a finite difference of the kernel map`, () => {
      const opts = { act, alpha: '0.5', sw2: '1.5', sb2: '0.05', depth: 12, q0: '1', c0: '0.4' };
      const r = meanFieldResponse(float64Interp, network(opts));
      expect(Math.abs(r.sensitivity - fdChi12(opts)) / r.sensitivity).toBeLessThan(1e-7);
    });
  }
  test('erf: <phi\' phi\'> derived symbolically equals the textbook (4/pi)/sqrt((1+2K11)(1+2K22)-4K12^2)', () => {
    const cd = closedFormDerivatives(activation('erf'))!;
    assertIdentity(cd.dPairdK12, parse('(4/pi)/sqrt((1+2*K11)*(1+2*K22)-4*K12^2)'), {
      domain: { K11: [0.5, 3], K22: [0.5, 3], K12: [-0.4, 0.4] }, digits: 30, points: 8,
    });
    expect(toLatex(cd.dPairdK12)).not.toMatch(/\\cdot 1\b/);
  });
  test('relu: <H(u) H(v)> = (pi - acos rho)/(2 pi) from the derivative of the arc-cosine kernel', () => {
    const cd = closedFormDerivatives(activation('relu'))!;
    assertIdentity(cd.dPairdK12, parse('(pi - acos(K12/sqrt(K11*K22)))/(2*pi)'), {
      domain: { K11: [0.5, 3], K22: [0.5, 3], K12: [-0.4, 0.4] }, digits: 30, points: 8,
    });
  });
  test('propagator: chi and the off-diagonal entry against finite differences (tanh, quadrature route)', () => {
    const opts = { act: 'tanh', alpha: '0.6', sw2: '1.8', sb2: '0.1', depth: 6, q0: '1.2', c0: '0.3' };
    const net = network(opts);
    const J = propagator(float64Interp, net, 6, 0);
    const h = 1e-5;
    const up = meanFieldKernels(float64Interp, network({ ...opts, q0: String(1.2 + h), c0: String((1.2 * 0.3) / (1.2 + h)) }));
    const dn = meanFieldKernels(float64Interp, network({ ...opts, q0: String(1.2 - h), c0: String((1.2 * 0.3) / (1.2 - h)) }));
    // q0 varies at fixed K^0_12: columns dq/dq and dk/dq.
    expect(Math.abs((up.q[6] - dn.q[6]) / (2 * h) - J[0][0])).toBeLessThan(1e-6);
    expect(Math.abs((up.k12[6] - dn.k12[6]) / (2 * h) - J[1][0])).toBeLessThan(1e-6);
    expect(Math.abs(J[0][0] - meanFieldResponse(float64Interp, net).chi)).toBeLessThan(1e-12);
  });
  test('Decimal and float64 interpretations of the response agree (erf, depth 30)', () => {
    const net = network({ act: 'erf', alpha: '0.3', depth: 30 });
    const f = meanFieldResponse(float64Interp, net);
    const d = meanFieldResponse(decimalInterp(40), net);
    expect(Math.abs(d.sensitivity.toNumber() - f.sensitivity) / f.sensitivity).toBeLessThan(1e-13);
    expect(Math.abs(d.chi.toNumber() - f.chi) / f.chi).toBeLessThan(1e-13);
  });
});
