/**
 * Batch-norm mean field (docs/batchnorm.md): the quadrature route against
 *   - hand-derived closed forms for linear phi and the moments of the batch sphere,
 *   - the c_alpha / J_phi route (arc-cosine kernels + Laplace integral + dual numbers),
 *   - a scipy reference (test/fixtures/make_batchnorm.py -> batchnorm.json),
 *   - Monte Carlo: the sampled B x B map with common random numbers, and finite-width networks.
 * FIELDPROP_LONG=1 runs larger Monte Carlo.
 */
import * as fs from 'fs';
import * as path from 'path';
import {
  batchNormSpec, batchNormQuadrature, batchNormJphi, batchNormJphiFixedPoint, coordinateRule, gaussLegendre,
  jphiDirectional, jphiDirectionalFD, jphiMap, fastKernel, irrepDirections, fixedPointMatrix, rayleigh, depthScale,
  sphereMoments,
} from '../src/quantities/batchnorm';
import { simulateBatchNorm, mapMonteCarlo, simulateLinearisation } from '../src/simulate/batchnorm';
import { InputError } from '../src/model/errors';
import { float64 } from '../src/numeric/field';
import { main } from '../src/cli/main';

const LONG = !!process.env.FIELDPROP_LONG;

function rel(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);
}

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

describe('batch sphere quadrature', () => {
  test('Gauss-Legendre integrates polynomials of degree 2n-1 exactly', () => {
    const { x, w } = gaussLegendre(12);
    for (let k = 0; k <= 23; k++) {
      const s = x.reduce((acc, xi, i) => acc + w[i] * xi ** k, 0);
      expect(Math.abs(s - (k % 2 === 0 ? 2 / (k + 1) : 0))).toBeLessThan(1e-14);
    }
  });

  test('one coordinate of the uniform batch sphere: E[y] = 0, E[y^2] = 1, E[y^4] = 3(B-1)/(B+1)', () => {
    // |y|^2 = B in the (B-1)-dim subspace; <y, u>^4 for a unit u has mean 3 B^2/((B-1)(B+1)), |G e1|^2 = (B-1)/B.
    for (const B of [2, 3, 4, 8, 50, 5000]) {
      const { y, w } = coordinateRule(B, 0, B, [0, 0.7], 40);
      const m = (p: number) => y.reduce((s, yi, i) => s + w[i] * yi ** p, 0);
      expect(Math.abs(m(1))).toBeLessThan(1e-13);
      expect(Math.abs(m(2) - 1)).toBeLessThan(1e-13);
      expect(Math.abs(m(4) - (3 * (B - 1)) / (B + 1))).toBeLessThan(1e-12);
    }
  });

  test('two coordinates: E[y1 y2] = -1/(B-1) (sum_a y_a = 0) and E[y1^4] + (B-1) E[y1^2 y2^2] = B (sum_a y_a^2 = B)', () => {
    // sum_a y_a^2 = B  =>  E[y1^2 |y|^2] = B E[y1^2] = B  =>  E[y1^4] + (B-1) E[y1^2 y2^2] = B.
    for (const B of [3, 5, 8, 40]) {
      const act = batchNormSpec({ act: 'linear', batch: B }).act;
      const m = sphereMoments(act, B, 96);
      expect(Math.abs(m.pV + 1 / (B - 1))).toBeLessThan(1e-13);
      const y4 = (3 * (B - 1)) / (B + 1);
      // f2y2 = E[y1^4], fyfy = E[y1^2 y2^2] for phi = x
      expect(Math.abs(m.f2y2 - y4)).toBeLessThan(1e-12);
      expect(Math.abs(y4 + (B - 1) * m.fyfy - B)).toBeLessThan(1e-12);
    }
  });
});

describe('closed forms for linear phi (derived by hand in docs/batchnorm.md)', () => {
  test.each([4, 5, 8, 32, 200])('B = %i: q* = sw2 + sb2, grad = (B-2)/(B-3), lambda_std = lambda_2 = (B-1)/(B+1)', (B) => {
    const r = batchNormQuadrature(batchNormSpec({ act: 'linear', batch: B, sw2: '1.5', sb2: '0.25' }));
    expect(rel(r.q_star, 1.75)).toBeLessThan(1e-13);
    expect(rel(r.c_star, (-1.5 / (B - 1) + 0.25) / 1.75)).toBeLessThan(1e-12);
    expect(rel(r.grad_rate as number, (B - 2) / (B - 3))).toBeLessThan(1e-12);
    expect(rel(r.lambda_std as number, (B - 1) / (B + 1))).toBeLessThan(1e-12);
    expect(rel(r.lambda_2 as number, (B - 1) / (B + 1))).toBeLessThan(1e-12);
  });
});

describe('quadrature route = c_alpha / J_phi route', () => {
  const cases: [string, number, string, string][] = [
    ['relu', 3, '1', '0'], ['relu', 4, '1', '0'], ['relu', 5, '2', '0.1'], ['relu', 8, '1', '0'],
    ['linear', 6, '0.7', '0.3'], ['relu-power:2', 4, '1', '0'], ['relu-power:2', 8, '1', '0.5'], ['relu-power:3', 5, '1', '0'],
  ];
  test.each(cases)('%s B = %i sw2 = %s sb2 = %s', (act, B, sw2, sb2) => {
    const spec = batchNormSpec({ act, batch: B, sw2, sb2 });
    const q = batchNormQuadrature(spec);
    const j = batchNormJphi(spec);
    expect(rel(q.q_star, j.q_star)).toBeLessThan(1e-12);
    expect(Math.abs(q.c_star - j.c_star)).toBeLessThan(1e-12);
    if (B >= 4) expect(rel(q.grad_rate as number, j.grad_rate as number)).toBeLessThan(1e-11);
    else expect(q.grad_rate).toBeNull();
    expect(rel(q.lambda_std as number, j.lambda_std as number)).toBeLessThan(1e-11);
    if (B >= 4) expect(rel(q.lambda_2 as number, j.lambda_2 as number)).toBeLessThan(1e-11);
    else expect(q.lambda_2).toBeNull();
    // Schur: the representative directions are eigenvectors of the G-projected Jacobian.
    expect(j.eigen_residual).toBeLessThan(1e-12);
  });

  test('J_phi: dual numbers = finite differences; trapezoid step h = 0.2 converged', () => {
    const spec = batchNormSpec({ act: 'relu', batch: 6, sw2: '1.3', sb2: '0.1' });
    const fp = batchNormJphiFixedPoint(spec);
    const S = fixedPointMatrix(6, fp.q_star, fp.c_star);
    const dirs = irrepDirections(6);
    for (const D of [dirs.std as number[][], dirs.pair as number[][]]) {
      const a = rayleigh(D, jphiDirectional(spec, S, D, 0.2)).lambda;
      const b = rayleigh(D, jphiDirectionalFD(spec, S, D, 1e-4, 0.2)).lambda;
      const c = rayleigh(D, jphiDirectional(spec, S, D, 0.1)).lambda;
      expect(Math.abs(a - b)).toBeLessThan(1e-7);
      expect(Math.abs(a - c)).toBeLessThan(1e-13);
    }
  });

  test('J_phi map is scale invariant and maps every permutation-symmetric covariance to V*', () => {
    const spec = batchNormSpec({ act: 'relu', batch: 5 });
    const fp = batchNormJphiFixedPoint(spec);
    for (const [q, c] of [[1, 0.3], [7, -0.1], [0.2, 0.9]]) {
      const V = jphiMap(float64, spec.act, 5, fixedPointMatrix(5, q, c), 0.2, fastKernel(float64));
      expect(Math.abs(V[0][0] - fp.phi2)).toBeLessThan(1e-13);
      expect(Math.abs(V[1][3] - fp.phiphi)).toBeLessThan(1e-13);
    }
  });
});

describe('scipy reference (test/fixtures/batchnorm.json)', () => {
  const fx = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'batchnorm.json'), 'utf8')) as {
    tolerance: number; cases: Record<string, string | number>[];
  };
  test.each(fx.cases.map((c) => [c.act, c.batch, c.sw2, c.sb2, c] as const))('%s B = %i sw2 = %s sb2 = %s', (act, B, sw2, sb2, c) => {
    const r = batchNormQuadrature(batchNormSpec({ act: String(act), batch: Number(B), sw2: String(sw2), sb2: String(sb2) }));
    for (const k of ['q_star', 'c_star', 'phi2', 'phiphi', 'grad_rate', 'lambda_std', 'lambda_2'] as const) {
      expect(Math.abs((r[k] as number) - Number(c[k]))).toBeLessThan(fx.tolerance);
    }
  });
});

describe('Monte Carlo', () => {
  test.each([['tanh'], ['relu'], ['sign']])('%s, B = 8: sampled map (common random numbers) gives V* and the forward eigenvalues', (act) => {
    const spec = batchNormSpec({ act, batch: 8, sw2: '1', sb2: '0' });
    const q = batchNormQuadrature(spec);
    const dirs = irrepDirections(8);
    const m = mapMonteCarlo({
      act: spec.act, batch: 8, sw2: 1, sb2: 0, sigma: fixedPointMatrix(8, q.q_star, q.c_star),
      directions: [dirs.std as number[][], dirs.pair as number[][]], samples: LONG ? 1000000 : 60000, seed: 5,
    });
    // (sign: phi^2 = 1 exactly, se = 0)
    const z = (e: { mean: number; se: number }, t: number) => (e.se > 0 ? Math.abs(e.mean - t) / e.se : Math.abs(e.mean - t) < 1e-12 ? 0 : Infinity);
    expect(z(m.phi2, q.phi2)).toBeLessThan(4);
    expect(z(m.phiphi, q.phiphi)).toBeLessThan(4);
    expect(z(m.lambda[0], q.lambda_std as number)).toBeLessThan(4);
    expect(z(m.lambda[1], q.lambda_2 as number)).toBeLessThan(4);
    // and the estimate is informative: the standard error is small against the value
    expect(m.lambda[1].se).toBeLessThan(0.02 * (q.lambda_2 as number));
  });

  test.each([['tanh', 8], ['relu', 8], ['linear', 6]] as [string, number][])(
    '%s, B = %i: finite-width BN networks give q*, c* (1/N-extrapolated) and the gradient explosion rate', (act, B) => {
      const spec = batchNormSpec({ act, batch: B, sw2: '1', sb2: '0' });
      const q = batchNormQuadrature(spec);
      const N = LONG ? 512 : 192;
      const sim = (width: number, seed: number) => simulateBatchNorm({
        act: spec.act, batch: B, width, depth: LONG ? 24 : 10, sw2: 1, sb2: 0, networks: LONG ? 64 : 12, seed,
      });
      const r = sim(N, 3);
      const h = sim(N / 2, 4);
      // The covariance has an O(1/N) bias: Richardson-extrapolate 2 X(N) - X(N/2) and compare within 4 sigma.
      const extrap = (a: { mean: number; se: number }, b: { mean: number; se: number }) =>
        ({ mean: 2 * a.mean - b.mean, se: Math.sqrt(4 * a.se * a.se + b.se * b.se) });
      const z = (e: { mean: number; se: number }, t: number) => Math.abs(e.mean - t) / e.se;
      expect(z(extrap(r.q, h.q), q.q_star)).toBeLessThan(4);
      if (act === 'linear') expect(Math.abs(r.c.mean - q.c_star)).toBeLessThan(1e-12); // exact: sum_a y_a = 0
      else expect(z(extrap(r.c, h.c), q.c_star)).toBeLessThan(4);
      expect(z(r.grad_rate, q.grad_rate as number)).toBeLessThan(4);
      expect(r.grad_rate.se).toBeLessThan(0.03 * (q.grad_rate as number));
    });

  test.each([['tanh'], ['relu']])('%s, B = 8: forward eigenvalues measured on finite-width BN layers (antithetic +-eps D)', (act) => {
    const spec = batchNormSpec({ act, batch: 8 });
    const q = batchNormQuadrature(spec);
    const dirs = irrepDirections(8);
    const S = fixedPointMatrix(8, q.q_star, q.c_star);
    const z = (e: { mean: number; se: number }, t: number) => Math.abs(e.mean - t) / e.se;
    const opts = { act: spec.act, batch: 8, width: LONG ? 512 : 128, sw2: 1, sb2: 0, sigma: S, eps: 0.1, networks: LONG ? 400 : 60 };
    const a = simulateLinearisation({ ...opts, direction: dirs.std as number[][], seed: 21 });
    const b = simulateLinearisation({ ...opts, direction: dirs.pair as number[][], seed: 22 });
    expect(z(a, q.lambda_std as number)).toBeLessThan(4);
    expect(z(b, q.lambda_2 as number)).toBeLessThan(4);
    expect(a.se).toBeLessThan(0.03);
    expect(b.se).toBeLessThan(0.03);
  });

  test('large batch: relu tends to the independent-coordinate limit c* = 1/pi, grad_rate = pi/(pi-1)', () => {
    // For B -> infinity the coordinates of the batch sphere become independent N(0,1): E[relu]^2 = 1/(2 pi),
    // v = 1/2 - 1/(2 pi) and the gradient factor 1/(2v) (docs/batchnorm.md); corrections are O(1/B).
    const dev = (B: number) => {
      const r = batchNormQuadrature(batchNormSpec({ act: 'relu', batch: B }));
      return [r.c_star - 1 / Math.PI, (r.grad_rate as number) - Math.PI / (Math.PI - 1)];
    };
    const [c3, g3] = dev(1000);
    const [c4, g4] = dev(10000);
    expect(Math.abs(c4)).toBeLessThan(1 / 10000);
    expect(Math.abs(g4)).toBeLessThan(2.5 / 10000);
    // and the deviations fall like 1/B
    expect(Math.abs(c3 / c4 - 10)).toBeLessThan(0.1);
    expect(Math.abs(g3 / g4 - 10)).toBeLessThan(0.1);
  });

  test('forward depth scale: iterating the J_phi map from a perturbed fixed point', () => {
    // deviation along the [B-2,2] direction shrinks by lambda_2 per layer: xi_2 = -1/ln lambda_2
    const spec = batchNormSpec({ act: 'relu', batch: 6 });
    const q = batchNormQuadrature(spec);
    const D = irrepDirections(6).pair as number[][];
    let S = fixedPointMatrix(6, q.q_star, q.c_star).map((row, i) => row.map((v, j) => v + 1e-3 * D[i][j]));
    const dev: number[] = [];
    for (let l = 0; l < 4; l++) {
      S = jphiMap(float64, spec.act, 6, S, 0.2, fastKernel(float64)); // sw2 = 1, sb2 = 0
      dev.push(rayleigh(D, S.map((row, i) => row.map((v, j) => v - (i === j ? q.q_star : q.q_star * q.c_star)))).lambda);
    }
    const measured = -1 / Math.log(dev[3] / dev[2]);
    expect(rel(measured, depthScale(q.lambda_2) as number)).toBeLessThan(1e-3);
  });
});

describe('input validation and the CLI', () => {
  test('bad batch, sw2, sb2, activation -> InputError naming the parameter', () => {
    for (const b of ['1', '0', '-3', '2.5', 'abc', '100001']) expect(() => batchNormSpec({ act: 'relu', batch: b })).toThrow(/--batch/);
    expect(() => batchNormSpec({ act: 'relu', batch: 8, sw2: '0' })).toThrow(/--sw2/);
    expect(() => batchNormSpec({ act: 'relu', batch: 8, sb2: '-1' })).toThrow(/--sb2/);
    expect(() => batchNormQuadrature(batchNormSpec({ act: '2', batch: 8 }))).toThrow(InputError);
    expect(() => batchNormJphi(batchNormSpec({ act: 'tanh', batch: 8 }))).toThrow(/--act/);
  });

  test('B = 2 and 3: defined fixed point, infinite gradient rate reported as null', () => {
    const r2 = batchNormQuadrature(batchNormSpec({ act: 'tanh', batch: 2 }));
    expect(rel(r2.phi2, Math.tanh(1) ** 2)).toBeLessThan(1e-14); // y = +-(1, -1)
    expect(r2.c_star).toBeCloseTo(-1, 14);
    expect([r2.grad_rate, r2.lambda_std, r2.lambda_2]).toEqual([null, null, null]);
    const r3 = batchNormQuadrature(batchNormSpec({ act: 'relu', batch: 3 }));
    expect(r3.grad_rate).toBeNull();
    expect(r3.lambda_std).not.toBeNull();
  });

  test('fieldprop batchnorm --json', async () => {
    const { code, out } = await run(['batchnorm', '--act', 'relu', '--batch', '8', '--json']);
    expect(code).toBe(0);
    expect(out).not.toMatch(/NaN|Infinity/);
    const j = JSON.parse(out);
    expect(Number(j.q_star)).toBeCloseTo(0.5, 11);
    expect(rel(Number(j.grad_rate), 1.7881899766587477)).toBeLessThan(1e-11);
    expect(j.eigenvalues.map((e: { multiplicity: number }) => e.multiplicity)).toEqual([1, 7, 20]);
    expect(j.routes.jphi).not.toBeNull();
    expect(j.symmetric_fixed_point_stable).toBe(true);
    // relu-power:2 at B = 8: lambda_std = 1.13 > 1, the symmetric fixed point is unstable
    const u = JSON.parse((await run(['batchnorm', '--act', 'relu-power:2', '--batch', '8', '--json'])).out);
    expect(Number(u.lambda_std)).toBeGreaterThan(1);
    expect(u.symmetric_fixed_point_stable).toBe(false);
    const t = await run(['batchnorm', '--act', 'linear', '--batch', '3']);
    expect(t.code).toBe(0);
    expect(t.out).toMatch(/grad_rate\s+inf/);
    expect(t.out).not.toMatch(/NaN/);
  });

  test('fieldprop batchnorm: bad input exits 2 with one line', async () => {
    for (const argv of [['--batch', '1'], ['--batch', '2.5'], ['--batch', '10001'], ['--sw2', '0'], ['--sb2', '-0.1'], ['--width', '3', '--simulate'],
      ['--simulate', '--width', '4096', '--depth', '1000'], ['--act', '3'], ['--act', 'x+'], ['--batch']]) {
      const { code, err } = await run(['batchnorm', ...argv]);
      expect(code).toBe(2);
      expect(err.trim().split('\n')).toHaveLength(1);
    }
  });

  test('fieldprop batchnorm --simulate (small)', async () => {
    const { code, out } = await run(['batchnorm', '--act', 'tanh', '--batch', '8', '--simulate', '--width', '64', '--depth', '6', '--networks', '6', '--samples', '4000', '--json']);
    expect(code).toBe(0);
    const j = JSON.parse(out);
    for (const k of ['q_star', 'c_star', 'grad_rate', 'lambda_std', 'lambda_2']) {
      expect(j.simulation.z[k]).not.toBeNull();
      expect(Math.abs(Number(j.simulation.z[k]))).toBeLessThan(5);
    }
  });
});

describe('eps, gamma, beta (radial chi^2 x batch-sphere quadrature)', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { batchNormEps, symmetricMap, chiSquareRule, chiSquareMoment } = require('../src/quantities/batchnormEps');

  test('the chi^2 rule integrates t, t^2 (k = 1, 3, 7, 99) and 1/t (k = 7, 99; at k = 3 the t^(-1/2) tail in ln t converges slowly)', () => {
    for (const k of [1, 3, 7, 99]) {
      const { t, w } = chiSquareRule(k, 128);
      const m = (p: number) => t.reduce((s: number, ti: number, i: number) => s + w[i] * ti ** p, 0);
      expect(rel(m(1), k)).toBeLessThan(1e-12);
      expect(rel(m(2), chiSquareMoment(k, 2))).toBeLessThan(1e-12);
      if (k > 4) expect(rel(m(-1), 1 / (k - 2))).toBeLessThan(1e-10);
    }
  });

  test('eps = 0, gamma = 1, beta = 0 through the new route equals the plain quadrature', () => {
    const spec = batchNormSpec({ act: 'relu', batch: 8, sw2: '1.5', sb2: '0.1' });
    const a = batchNormQuadrature(spec);
    const b = batchNormEps(spec);
    expect(b.layers).toBe(1);
    expect(b.lambda_triv).toBe(0);
    for (const k of ['q_star', 'c_star', 'grad_rate', 'lambda_std', 'lambda_2'] as const) expect(rel(b[k], a[k] as number)).toBeLessThan(1e-12);
  });

  test('B = 2: q*, c* and the scale eigenvalue match mpmath (test/fixtures/make_batchnorm_eps.py)', () => {
    const cases = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'batchnorm_eps.json'), 'utf8'));
    for (const c of cases) {
      const r = batchNormEps(batchNormSpec(c));
      expect(rel(r.q_star, Number(c.q_star))).toBeLessThan(1e-10);
      expect(Math.abs(r.c_star - Number(c.c_star))).toBeLessThan(1e-10);
      expect(Math.abs(r.lambda_triv - Number(c.lambda_triv))).toBeLessThan(1e-10);
      expect(r.layers).toBeGreaterThan(1);
    }
  });

  test('B = 2, tanh, eps = 0.1, gamma = 1.5, beta = 0.3: finite-width networks agree on q*, c* and the (finite) gradient rate', () => {
    const spec = batchNormSpec({ act: 'tanh', batch: 2, eps: '0.1', gamma: '1.5', beta: '0.3' });
    const r = batchNormEps(spec);
    const net = simulateBatchNorm({ act: spec.act, batch: 2, width: 128, depth: 10, sw2: 1, sb2: 0, networks: 10, seed: 2, eps: 0.1, gamma: 1.5, beta: 0.3 });
    for (const [e, t] of [[net.q, r.q_star], [net.c, r.c_star], [net.grad_rate, r.grad_rate as number]] as const) {
      expect(Math.abs(e.mean - t)).toBeLessThan(4 * e.se + 0.01 * Math.abs(t));
    }
  });

  (LONG ? test : test.skip)('tanh, B = 4, eps = 0.1, gamma = 1.5, beta = 0.3: scale eigenvalue = d v\'/dv; Monte Carlo of networks and of the map agree', () => {
    const spec = batchNormSpec({ act: 'tanh', batch: 4, eps: '0.1', gamma: '1.5', beta: '0.3' });
    const r = batchNormEps(spec);
    const v = r.q_star * (1 - r.c_star);
    const h = 1e-4 * v;
    const fd = (symmetricMap(spec, v + h, r.nodes.sphere, r.nodes.radial, true).v - symmetricMap(spec, v - h, r.nodes.sphere, r.nodes.radial, true).v) / (2 * h);
    expect(Math.abs(fd - r.lambda_triv)).toBeLessThan(1e-7);
    const bn = { eps: 0.1, gamma: 1.5, beta: 0.3 };
    const net = simulateBatchNorm({ act: spec.act, batch: 4, width: 64, depth: 8, sw2: 1, sb2: 0, networks: 8, seed: 5, ...bn });
    for (const [e, t] of [[net.q, r.q_star], [net.c, r.c_star], [net.grad_rate, r.grad_rate as number]] as const) {
      expect(Math.abs(e.mean - t)).toBeLessThan(4 * e.se + 0.01 * Math.abs(t));
    }
    const dirs = irrepDirections(4);
    const map = mapMonteCarlo({
      act: spec.act, batch: 4, sw2: 1, sb2: 0, sigma: fixedPointMatrix(4, r.q_star, r.c_star), directions: [dirs.std!, dirs.pair!], samples: 8000, seed: 3, bn,
    });
    expect(Math.abs(map.phi2.mean - r.phi2)).toBeLessThan(4 * map.phi2.se);
    expect(Math.abs(map.lambda[0].mean - (r.lambda_std as number))).toBeLessThan(4 * map.lambda[0].se);
    expect(Math.abs(map.lambda[1].mean - (r.lambda_2 as number))).toBeLessThan(4 * map.lambda[1].se);
  });

  test('fieldprop batchnorm --eps/--gamma/--beta: bad values exit 2 naming the option; good ones print the scale eigenvalue', async () => {
    for (const [opt, val] of [['eps', '-1'], ['gamma', '0'], ['beta', '1000']]) {
      const r = await run(['batchnorm', '--batch', '2', `--${opt}`, val]);
      expect(r.code).toBe(2);
      expect(r.err).toContain(opt);
    }
    const ok = await run(['batchnorm', '--act', 'tanh', '--batch', '2', '--eps', '0.1', '--gamma', '1.5', '--beta', '0.3', '--json']);
    expect(ok.code).toBe(0);
    const j = JSON.parse(ok.out);
    expect(Math.abs(Number(j.lambda_triv) - 0.14783765110692764)).toBeLessThan(1e-5);
    expect(j.layers).toBeGreaterThan(1);
  });
});

describe('the general B x B map from a perturbed symmetric point (J_phi route)', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { iterateGeneral, perturbedStart } = require('../src/quantities/batchnormGeneral');

  test('relu, B = 8 (lambda_std < 1): returns to the symmetric Sigma* of the quadrature route', () => {
    const spec = batchNormSpec({ act: 'relu', batch: 8 });
    const r = batchNormQuadrature(spec);
    const g = iterateGeneral(spec, perturbedStart(8, r.q_star, r.c_star, 1e-3, 1));
    expect(g.symmetric).toBe(true);
    expect(rel(g.sigma[0][0], r.q_star)).toBeLessThan(1e-9);
    expect(rel(g.sigma[0][1] / g.sigma[0][0], r.c_star)).toBeLessThan(1e-9);
  });

  test('relu-power:2, B = 8 (lambda_std > 1): the batch splits into two blocks; B = 4 (lambda_std < 1) stays symmetric', () => {
    const spec = batchNormSpec({ act: 'relu-power:2', batch: 8 });
    const r = batchNormQuadrature(spec);
    expect(r.lambda_std as number).toBeGreaterThan(1);
    const g = iterateGeneral(spec, perturbedStart(8, r.q_star, r.c_star, 1e-3, 1));
    expect(g.symmetric).toBe(false);
    expect(g.blocks.length).toBe(2);
    expect(g.blocks[0].members.length + g.blocks[1].members.length).toBe(8);
    // the broken point is a fixed point of the sampled map too (every entry within 4.5 standard errors)
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { sampleMapEntries } = require('../src/simulate/batchnorm');
    const mc = sampleMapEntries({ act: spec.act, sigma: g.sigma, sw2: 1, sb2: 0, samples: 20000, seed: 4 });
    for (let i = 0; i < 8; i++) for (let j = 0; j < 8; j++) expect(Math.abs(mc[i][j].mean - g.sigma[i][j])).toBeLessThan(4.5 * mc[i][j].se + 1e-12);
    const s4 = batchNormSpec({ act: 'relu-power:2', batch: 4 });
    const r4 = batchNormQuadrature(s4);
    expect(iterateGeneral(s4, perturbedStart(4, r4.q_star, r4.c_star, 1e-3, 1)).symmetric).toBe(true);
  });
});

test('fieldprop batchnorm --fixed-point general: the broken relu-power:2 point at B = 8 (JSON); tanh and a bad mode exit 2', async () => {
  const r = await run(['batchnorm', '--act', 'relu-power:2', '--batch', '8', '--fixed-point', 'general', '--json']);
  expect(r.code).toBe(0);
  const g = JSON.parse(r.out).general_fixed_point;
  expect(g.symmetric).toBe(false);
  expect(g.blocks.map((b: { size: number }) => b.size)).toEqual([3, 5]);
  expect((await run(['batchnorm', '--act', 'tanh', '--fixed-point', 'general'])).code).toBe(2);
  expect((await run(['batchnorm', '--fixed-point', 'foo'])).code).toBe(2);
});

test('fieldprop batchnorm --net repeat(L, [dense, batchnorm, act]) prints the digits of the flags; other forms and bad fields get one line naming the path', async () => {
  const dir = fs.mkdtempSync(path.join(require('os').tmpdir(), 'bn-net-'));
  const write = (name: string, layers: unknown[]) => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, JSON.stringify({ inputs: { q0: 1, c0: 0.5 }, layers: [{ repeat: 20, layers }] }));
    return f;
  };
  const bn = (o: Record<string, unknown>) => ({ batchnorm: { batch: 2, eps: 0.1, gamma: 1.5, beta: 0.3, ...o } });
  const good = write('good.json', [{ dense: { sw2: 1.2, sb2: 0.1 } }, bn({}), { act: 'tanh' }]);
  const a = await run(['batchnorm', '--net', good]);
  const b = await run(['batchnorm', '--act', 'tanh', '--batch', '2', '--sw2', '1.2', '--sb2', '0.1', '--eps', '0.1', '--gamma', '1.5', '--beta', '0.3']);
  expect(a.code).toBe(0);
  expect(a.out).toBe(b.out);
  const plain = write('plain.json', [{ dense: { sw2: 1, sb2: 0 } }, { batchnorm: { batch: 8 } }, { act: 'relu' }]);
  expect((await run(['batchnorm', '--net', plain])).out).toBe((await run(['batchnorm', '--act', 'relu', '--batch', '8'])).out);
  const wrong = await run(['batchnorm', '--net', write('wrong.json', [bn({}), { dense: { sw2: 1 } }, { act: 'tanh' }])]);
  expect(wrong.code).toBe(2);
  expect(wrong.err).toContain('layers[0].repeat.layers[0] (batchnorm)');
  const bad = await run(['batchnorm', '--net', write('bad.json', [{ dense: { sw2: 1 } }, bn({ gamma: 0 }), { act: 'tanh' }])]);
  expect(bad.code).toBe(2);
  expect(bad.err).toContain('layers[0].repeat.layers[1].batchnorm.gamma');
  expect(bad.err.trim().split('\n')).toHaveLength(1);
  expect((await run(['batchnorm', '--net', good, '--eps', '0.2'])).code).toBe(2);
});

test('Jacobian of the general map at Sigma* (36 dual-number columns, B = 8): lambda_std x 7 and lambda_2 x 20 of the quadrature route', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { generalJacobianEigenvalues } = require('../src/quantities/batchnormGeneral');
  const spec = batchNormSpec({ act: 'relu-power:2', batch: 8 });
  const r = batchNormQuadrature(spec);
  const ev = generalJacobianEigenvalues(spec, fixedPointMatrix(8, r.q_star, r.c_star)).map((e: { modulus: number }) => e.modulus);
  for (let k = 0; k < 7; k++) expect(rel(ev[k], r.lambda_std as number)).toBeLessThan(1e-9);
  for (let k = 7; k < 27; k++) expect(rel(ev[k], r.lambda_2 as number)).toBeLessThan(1e-9);
  expect(ev[27]).toBeLessThan(1e-8);
});
