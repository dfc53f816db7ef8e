/**
 * The infinite-width NTK (src/quantities/ntk.ts), its large-depth limits and the empirical NTK
 * of explicit finite-width networks (src/simulate/ntk.ts). Every check is against an
 * independent computation: quadrature against closed forms, Decimal against float64, limits
 * from fixed points against long iterations (some written here in stable normalised variables),
 * backpropagation against finite differences, and the theory against Monte Carlo.
 */
import Decimal from 'decimal.js';
import { network } from '../src/model/network';
import { activation } from '../src/model/activation';
import { float64Interp, decimalInterp } from '../src/interpret/numeric';
import { ntkRecursion, ntkLimits, ntkAnalysis, derivPair, derivSquare } from '../src/quantities/ntk';
import { criticalPoint } from '../src/quantities/fixedpoint';
import { meanFieldKernels } from '../src/quantities/kernel';
import { ExplicitNetwork, empiricalNtkStats, NtkSimSpec } from '../src/simulate/ntk';
import { weightedLineFit } from '../src/simulate/stats';
import { main } from '../src/cli/main';
import { symbolicField } from '../src/interpret/symbolic';
import { toString as exprToString } from '../src/symbolic';
import { plainMath } from '../src/numeric/plainMath';
const Math = plainMath();

const LONG = !!process.env.FIELDPROP_LONG;

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

describe('derivative moments <phi_1\' phi_2\'>', () => {
  test('closed forms (relu, relu-power:2, erf) equal quadrature of phi\' phi\', also at rho = 1', () => {
    const I = float64Interp;
    for (const [name, expr] of [['relu', 'x*heaviside(x)'], ['relu-power:2', '(x*heaviside(x))^2'], ['erf', 'erf(x)']]) {
      const a = activation(name);
      const d = activation(expr).derivative();
      for (const [k11, k12, k22] of [[1.3, 0.4, 1.3], [0.7, -0.5, 0.7], [2, 1.999999, 2], [1.1, 1.1, 1.1]]) {
        const closed = derivPair(I, a, k11, k12, k22);
        const quad = I.expect2(d, d, k11, k12, k22);
        expect(Number.isFinite(closed)).toBe(true);
        expect(Math.abs(closed - quad)).toBeLessThan(1e-7 * Math.max(1, Math.abs(quad)));
      }
      expect(Math.abs(derivSquare(I, a, 1.7) - I.expect2(d, d, 1.7, 1.7, 1.7))).toBeLessThan(1e-9);
    }
  });
});

describe('NTK recursion', () => {
  test('linear feed-forward network: Theta^L = sum_l K^l sw2^(L-l), exactly (Decimal, 30 digits)', () => {
    const net = network({ act: 'linear', sw2: '0.9', sb2: '0.3', depth: 12, q0: '1.5', c0: '0.25', skip: 'none' });
    const I = decimalInterp(40);
    const t = ntkRecursion(I, net);
    const K = meanFieldKernels(I, net);
    for (const [T, k] of [[t.ntk, K.q], [t.ntk12, K.k12]] as const) {
      let s = new Decimal(0);
      for (let l = 0; l <= 12; l++) s = s.plus((k[l] as Decimal).times(new Decimal('0.9').pow(12 - l)));
      expect((T[12] as Decimal).minus(s).abs().toNumber()).toBeLessThan(1e-30);
    }
  });

  test('residual relu, sb2 = 0: Theta^L_11 / K^L_11 = 1 + L a sw2 / (2 + a sw2) exactly (derived identity)', () => {
    for (const [alpha, sw2] of [['0.3', '1.5'], ['1', '2'], ['0.1', '0.7']]) {
      const net = network({ act: 'relu', alpha, sw2, sb2: '0', depth: 200, q0: '0.8', c0: '0.3' });
      const t = ntkRecursion(float64Interp, net);
      const a = Number(alpha) ** 2 * Number(sw2);
      for (const L of [1, 10, 200]) expect(Math.abs(t.ntk[L] / t.kernels.q[L] - (1 + (L * a) / (2 + a)))).toBeLessThan(1e-12 * L);
    }
  });

  test('Decimal at 30 digits agrees with float64, and 20 verified digits round the 30-digit values', () => {
    const net = network({ act: 'erf', alpha: '0.4', sw2: '1.7', sb2: '0.05', depth: 15, q0: '1', c0: '0.3' });
    const r30 = ntkAnalysis(net, { digits: 30 });
    const r20 = ntkAnalysis(net, { digits: 20 });
    const t64 = ntkRecursion(float64Interp, net);
    for (let l = 0; l <= 15; l++) {
      expect(Math.abs(Number(r30.ntk[l]) - t64.ntk[l]) / t64.ntk[l]).toBeLessThan(1e-13);
      expect(Math.abs(Number(r30.ntk12[l]) - t64.ntk12[l]) / t64.ntk12[l]).toBeLessThan(1e-13);
      expect(r20.ntk[l]).toBe(new Decimal(r30.ntk[l]).toSignificantDigits(20).toString());
      expect(r20.ntk12[l]).toBe(new Decimal(r30.ntk12[l]).toSignificantDigits(20).toString());
    }
    expect(r30.ntk.length).toBe(16);
  });

  test('symbolic interpretation (closed forms): exact expressions whose values equal the float64 recursion', () => {
    const noQuadrature = () => {
      throw new Error('the symbolic NTK of a closed-form activation needs no quadrature');
    };
    const I = { F: symbolicField, expect1: noQuadrature, expect2: noQuadrature };
    for (const act of ['relu', 'erf', 'linear']) {
      for (const skip of ['none', 'residual']) {
        const net = network({ act, alpha: '0.5', sw2: '2', sb2: '0.1', depth: 3, q0: '1', c0: '0.5', skip });
        const t = ntkRecursion(I, net);
        const f = ntkRecursion(float64Interp, net);
        expect(exprToString(t.ntk12[1])).not.toMatch(/\d\.\d{6,}/); // exact constants, not floats
        for (let l = 0; l <= 3; l++) {
          expect(Math.abs(symbolicField.toNumber(t.ntk[l]) - f.ntk[l])).toBeLessThan(1e-12 * f.ntk[l]);
          expect(Math.abs(symbolicField.toNumber(t.ntk12[l]) - f.ntk12[l])).toBeLessThan(1e-12 * f.ntk[l]);
        }
      }
    }
  });

  test('frozen input layer and frozen biases change the recursion as derived', () => {
    const net = network({ act: 'tanh', sw2: '1.4', sb2: '0.2', depth: 6, q0: '1', c0: '0.5', skip: 'none' });
    const a = ntkRecursion(float64Interp, net);
    const b = ntkRecursion(float64Interp, net, { inputLayer: 'frozen' });
    const c = ntkRecursion(float64Interp, net, { biases: 'frozen' });
    // The input layer's share is K^0 times the product of the layer factors sw2 g^l.
    let p11 = 1;
    let p12 = 1;
    for (let l = 1; l <= 6; l++) {
      p11 *= 1.4 * a.g11[l];
      p12 *= 1.4 * a.g12[l];
    }
    expect(Math.abs(a.ntk[6] - b.ntk[6] - 1 * p11)).toBeLessThan(1e-12);
    expect(Math.abs(a.ntk12[6] - b.ntk12[6] - 0.5 * p12)).toBeLessThan(1e-12);
    // Each layer's bias share is sb2 times the product of the later factors.
    let s11 = 0;
    for (let l = 1; l <= 6; l++) {
      let p = 1;
      for (let m = l + 1; m <= 6; m++) p *= 1.4 * a.g11[m];
      s11 += 0.2 * p;
    }
    expect(Math.abs(a.ntk[6] - c.ntk[6] - s11)).toBeLessThan(1e-12);
  });
});

describe('large-depth limits against long iterations', () => {
  test('ordered phase (tanh): Theta^L -> C*/(1 - chi1) on and off the diagonal; normalised -> 1', () => {
    for (const biases of ['trained', 'frozen'] as const) {
      const net = network({ act: 'tanh', sw2: '1.2', sb2: '0.1', depth: 160, q0: '1', c0: '0.5', skip: 'none' });
      const lim = ntkLimits(float64Interp, net, { biases });
      expect(lim.regime).toBe('ordered');
      const t = ntkRecursion(float64Interp, net, { biases });
      expect(Math.abs(t.ntk[160] - lim.theta!) / lim.theta!).toBeLessThan(1e-10);
      expect(Math.abs(t.ntk12[160] - lim.theta!) / lim.theta!).toBeLessThan(1e-10);
      expect(Math.abs((t.ratio[160] as number) - 1)).toBeLessThan(1e-10);
    }
  });

  test('ordered phase, relu with sb2 > 0: q* = sb2/(1 - chi1) and Theta -> q*/(1 - chi1)', () => {
    const net = network({ act: 'relu', sw2: '1', sb2: '0.1', depth: 300, q0: '1', c0: '0.2', skip: 'none' });
    const lim = ntkLimits(float64Interp, net);
    expect(lim.regime).toBe('ordered');
    const t = ntkRecursion(float64Interp, net);
    expect(Math.abs(t.ntk[300] - lim.theta!)).toBeLessThan(1e-10);
    expect(Math.abs(t.ntk12[300] - lim.theta!)).toBeLessThan(1e-7);
  });

  test('chaotic phase (tanh): Theta_11 grows by chi1 per layer, Theta_12 -> C*_12/(1 - chi_c), normalised -> 0', () => {
    const net = network({ act: 'tanh', sw2: '3', sb2: '0.1', depth: 250, q0: '1', c0: '0.5', skip: 'none' });
    const lim = ntkLimits(float64Interp, net);
    expect(lim.regime).toBe('chaotic');
    const t = ntkRecursion(float64Interp, net);
    expect(Math.abs(t.ntk[250] / t.ntk[249] - lim.growth!)).toBeLessThan(1e-10);
    expect(Math.abs(t.ntk12[250] - lim.theta!) / lim.theta!).toBeLessThan(1e-10);
    expect(t.ratio[250] as number).toBeLessThan(1e-15);
    expect(lim.normalised).toBe(0);
  });

  test('edge of chaos, smooth (erf, sb2 = 0.1): Theta_11/L -> q*, normalised NTK -> 1/3', () => {
    const cp = criticalPoint(float64Interp, activation('erf'), '0.1');
    const L = LONG ? 400000 : 40000;
    const net = network({ act: 'erf', sw2: String(cp.sw2), sb2: '0.1', depth: L, q0: '1', c0: '0.5', skip: 'none' });
    const lim = ntkLimits(float64Interp, net);
    expect(lim.regime).toBe('critical');
    expect(lim.gamma).toBe(2);
    const t = ntkRecursion(float64Interp, net);
    const err = (l: number): number => Math.abs((t.ratio[l] as number) - 1 / 3);
    expect(err(L)).toBeLessThan(LONG ? 2e-4 : 1e-3);
    expect(err(L)).toBeLessThan(err(L / 10) / 3); // converging, at about the rate 1/L
    expect(Math.abs(t.ntk[L] / L - lim.theta!) / lim.theta!).toBeLessThan(1e-3);
    expect(Math.abs(t.ntk12[L] / L - lim.theta12!) / lim.theta12!).toBeLessThan(3e-3);
  });

  /**
   * relu with sb2 = 0, written in normalised variables with delta = 1 - c as the state (the
   * cancellation in 1 - c is avoided: 1 - f(c) = 2 sin^2(theta/2) - (sin theta - theta cos theta)/pi,
   * with the bracket by its series for small theta). Residual branch factor b = a sw2/2
   * (feed-forward critical: the limit b -> infinity with r = 1 + b replaced by b, i.e. eps = 1).
   * Returns Theta_12/Theta_11 after L layers.
   */
  function reluNormalised(L: number, c0: number, eps: number): number {
    let delta = 1 - c0;
    let u = 1; // Theta_11 / K_11
    let v = c0; // Theta_12 / K_11
    for (let l = 1; l <= L; l++) {
      const theta = 2 * Math.asin(Math.sqrt(delta / 2));
      const bracket = theta < 1e-3 ? theta ** 3 / 3 - theta ** 5 / 30 + theta ** 7 / 840 : Math.sin(theta) - theta * Math.cos(theta);
      const oneMinusF = 2 * Math.sin(theta / 2) ** 2 - bracket / Math.PI;
      const f = 1 - oneMinusF;
      const fp = (Math.PI - theta) / Math.PI;
      // K' = r K; Theta_11' = r Theta_11 + (r - 1) K; Theta_12' = (1 + b f') Theta_12 + b K f;
      // with eps = b/r: u' = u + eps, v' = (1 - eps) v + eps (f' v + f), delta' = (1 - eps) delta + eps (1 - f).
      u += eps;
      v = (1 - eps) * v + eps * (fp * v + f);
      delta = (1 - eps) * delta + eps * oneMinusF;
    }
    return v / u;
  }

  test('edge of chaos, relu (sw2 = 2, sb2 = 0): normalised NTK -> 1/4 (engine to depth 10^4, stable iteration to 10^6)', () => {
    const net = network({ act: 'relu', sw2: '2', sb2: '0', depth: 10000, q0: '1', c0: '0.5', skip: 'none' });
    const lim = ntkLimits(float64Interp, net);
    expect(lim.regime).toBe('critical');
    expect(lim.normalised).toBe(0.25);
    const t = ntkRecursion(float64Interp, net);
    // The engine and the normalised iteration (eps = 1 is the feed-forward net) agree.
    for (const L of [10, 100, 1000]) expect(Math.abs((t.ratio[L] as number) - reluNormalised(L, 0.5, 1))).toBeLessThan(1e-9);
    expect(Math.abs((t.ratio[10000] as number) - 0.25)).toBeLessThan(1e-3);
    const far = reluNormalised(LONG ? 2e7 : 1e6, 0.5, 1);
    expect(Math.abs(far - 0.25)).toBeLessThan(LONG ? 3e-6 : 4e-5);
  });

  test('residual relu (sb2 = 0): normalised NTK -> 1/4 for every alpha', () => {
    for (const [alpha, sw2] of [['0.5', '2'], ['1', '1.5']]) {
      const net = network({ act: 'relu', alpha, sw2, sb2: '0', depth: 300, q0: '1', c0: '0.3' });
      const lim = ntkLimits(float64Interp, net);
      expect(lim.regime).toBe('residual');
      expect(lim.normalised).toBe(0.25);
      const b = (Number(alpha) ** 2 * Number(sw2)) / 2;
      const eps = b / (1 + b);
      const t = ntkRecursion(float64Interp, net);
      for (const L of [10, 300]) expect(Math.abs((t.ratio[L] as number) - reluNormalised(L, 0.3, eps))).toBeLessThan(1e-9);
      expect(Math.abs(reluNormalised(LONG ? 2e7 : 1e6, 0.3, eps) - 0.25)).toBeLessThan(LONG ? 3e-6 : 2e-5);
    }
  });
});

describe('empirical NTK of explicit networks', () => {
  test('backpropagated (1/N) tr Theta equals the sum over parameters of finite-difference gradients', () => {
    for (const spec of [
      { width: 5, depth: 2, act: 'tanh', sw2: 1.5, sb2: 0.2, skip: 'none', branch: 1, q0: 1.2, c0: 0.4 },
      { width: 4, depth: 3, act: 'erf', sw2: 1.1, sb2: 0.3, skip: 'residual', branch: 0.7, q0: 0.8, c0: -0.3 },
      { width: 4, depth: 2, act: 'tanh', sw2: 1.1, sb2: 0.3, skip: 'residual', branch: 0.7, q0: 0.8, c0: 0.6, biases: 'frozen', inputLayer: 'frozen' },
    ] as NtkSimSpec[]) {
      const net = new ExplicitNetwork(spec, 7, 3);
      const bp = net.ntk();
      const N = spec.width;
      const L = spec.depth;
      const P = net.params.length;
      const h = 1e-6;
      const grads: [Float64Array, Float64Array] = [new Float64Array(P * N), new Float64Array(P * N)];
      const frozen = (k: number): boolean =>
        (spec.inputLayer === 'frozen' && k < 2 * N) || (spec.biases === 'frozen' && k >= 2 * N + L * N * N);
      for (let k = 0; k < P; k++) {
        if (frozen(k)) continue;
        for (const a of [0, 1] as const) {
          const p = Float64Array.from(net.params);
          p[k] += h;
          const up = net.forward(a, p)[L];
          p[k] -= 2 * h;
          const dn = net.forward(a, p)[L];
          for (let i = 0; i < N; i++) grads[a][k * N + i] = (up[i] - dn[i]) / (2 * h);
        }
      }
      let t11 = 0;
      let t12 = 0;
      for (let k = 0; k < P; k++) {
        for (let i = 0; i < N; i++) {
          t11 += grads[0][k * N + i] ** 2;
          t12 += grads[0][k * N + i] * grads[1][k * N + i];
        }
      }
      expect(Math.abs(t11 / N - bp.t11)).toBeLessThan(1e-6 * bp.t11);
      expect(Math.abs(t12 / N - bp.t12)).toBeLessThan(1e-6 * Math.abs(bp.t11));
    }
  });

  /** Mean over networks at several widths, a weighted fit a + b/N, and the z-score of the intercept. */
  function widthFit(spec: Omit<NtkSimSpec, 'width'>, widths: number[], samples: number, theory: { ntk: number; ntk12: number }) {
    const xs: number[] = [];
    const y11: number[] = [];
    const s11: number[] = [];
    const y12: number[] = [];
    const s12: number[] = [];
    for (const N of widths) {
      const st = empiricalNtkStats({ ...spec, width: N }, samples, 11);
      xs.push(1 / N);
      y11.push(st.ntk_mean);
      s11.push(st.ntk_se);
      y12.push(st.ntk12_mean);
      s12.push(st.ntk12_se);
    }
    const f11 = weightedLineFit(xs, y11, s11);
    const f12 = weightedLineFit(xs, y12, s12);
    return { z11: (f11.a - theory.ntk) / f11.aSe, z12: (f12.a - theory.ntk12) / f12.aSe, f11, f12 };
  }

  const widths = LONG ? [32, 64, 128, 256] : [16, 32, 64];
  const samples = LONG ? 400 : 120;

  test('feed-forward tanh, depth 3: the 1/N-extrapolated empirical NTK agrees with the recursion', () => {
    const net = network({ act: 'tanh', sw2: '1.5', sb2: '0.1', depth: 3, q0: '1', c0: '0.5', skip: 'none' });
    const t = ntkRecursion(float64Interp, net);
    const r = widthFit({ depth: 3, act: 'tanh', sw2: 1.5, sb2: 0.1, skip: 'none', branch: 1, q0: 1, c0: 0.5 }, widths, samples, { ntk: t.ntk[3], ntk12: t.ntk12[3] });
    expect(Math.abs(r.z11)).toBeLessThan(4);
    expect(Math.abs(r.z12)).toBeLessThan(4);
  });

  test('residual erf, depth 4: agrees with the residual recursion and rejects the feed-forward one', () => {
    const net = network({ act: 'erf', alpha: '0.7', sw2: '1.5', sb2: '0.1', depth: 4, q0: '1', c0: '0.5' });
    const t = ntkRecursion(float64Interp, net);
    const spec = { depth: 4, act: 'erf', sw2: 1.5, sb2: 0.1, skip: 'residual' as const, branch: 0.7, q0: 1, c0: 0.5 };
    const r = widthFit(spec, widths, samples, { ntk: t.ntk[4], ntk12: t.ntk12[4] });
    expect(Math.abs(r.z11)).toBeLessThan(4);
    expect(Math.abs(r.z12)).toBeLessThan(4);
    // Power: the same data reject a wrong theory (the residual branch without its skip term).
    const wrong = ntkRecursion(float64Interp, network({ act: 'erf', sw2: '1.5', sb2: '0.1', depth: 4, q0: '1', c0: '0.5', skip: 'none' }));
    expect(Math.abs((r.f11.a - wrong.ntk[4]) / r.f11.aSe)).toBeGreaterThan(6);
  });
});

describe('fieldprop ntk', () => {
  test('--json: ntk and ntk12 arrays of length depth + 1 as decimal strings, limits', async () => {
    const r = await run(['ntk', '--act', 'relu', '--sw2', '2', '--sb2', '0.1', '--depth', '20', '--q0', '1', '--c0', '0.5', '--skip', 'none', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.ntk).toHaveLength(21);
    expect(j.ntk12).toHaveLength(21);
    expect(j.ntk[0]).toBe('1');
    expect(j.ntk12[0]).toBe('0.5');
    for (const s of [...j.ntk, ...j.ntk12]) expect(typeof s).toBe('string');
    // relu, sw2 = 2: K^l = 1 + 0.1 l and Theta_11^l = sum_{m <= l} K^m exactly.
    expect(j.ntk[20]).toBe(String(21 + 0.1 * 210));
    expect(j.limits.regime).toBe('critical');
    expect(j.limits.normalised).toBeNull(); // no fixed point: K grows linearly
  });

  test('--sw2 eoc puts relu at sw2 = 2 (sb2 = 0) and gives the 1/4 limit; readable output', async () => {
    const r = await run(['ntk', '--act', 'relu', '--sw2', 'eoc', '--sb2', '0', '--depth', '5', '--skip', 'none', '--digits', '10']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/sw2 = 2: the edge of chaos/);
    expect(r.out).toMatch(/lim Theta_12\/Theta_11\s+0\.25/);
  });

  test('--width: empirical comparison block', async () => {
    const r = await run(['ntk', '--act', 'erf', '--sw2', '1.5', '--sb2', '0.1', '--depth', '2', '--skip', 'none', '--width', '16', '--samples', '40', '--digits', '8', '--json']);
    expect(r.code).toBe(0);
    const e = JSON.parse(r.out).empirical;
    expect(e.width).toBe(16);
    expect(Math.abs(Number(e.ntk_z))).toBeLessThan(5);
    expect(Number(e.ntk_se)).toBeGreaterThan(0);
  });

  test('bad input: exit code 2 and one line naming the parameter', async () => {
    for (const [args, param] of [
      [['--act', 'sign'], 'act'],
      [['--biases', 'maybe'], 'biases'],
      [['--input-layer', 'x'], 'input-layer'],
      [['--width', '0'], 'width'],
      [['--digits', '0'], 'digits'],
      [['--sw2', '-1'], 'sw2'],
      [['--act', 'relu', '--sw2', 'eoc', '--sb2', '0.1'], 'sb2'],
    ] as [string[], string][]) {
      const r = await run(['ntk', '--depth', '2', ...args]);
      expect(r.code).toBe(2);
      expect(r.err.trim().split('\n')).toHaveLength(1);
      expect(r.err).toContain(`--${param}`);
      expect(r.out).toBe('');
    }
    const big = await run(['ntk', '--width', '1024', '--depth', '100']);
    expect(big.code).toBe(2);
    expect(big.err).toMatch(/^fieldprop ntk: --width: .*5e7/);
  });
});
