import {
  randomOrthogonalKernel, deltaOrthogonalKernel, gaussianKernel, kernelSingularValues, denseConvOperator, haarOrthogonal, simulateCnn,
} from '../src/simulate/cnn';
import { cnnSpec } from '../src/quantities/cnn';
import { Rng } from '../src/simulate/rng';

const LONG = !!process.env.FIELDPROP_LONG;

/** max |M^T M - I| of a dense D x D matrix. */
function orthogonalityDefect(M: Float64Array, D: number): number {
  let worst = 0;
  for (let i = 0; i < D; i++)
    for (let j = i; j < D; j++) {
      let s = 0;
      for (let r = 0; r < D; r++) s += M[r * D + i] * M[r * D + j];
      worst = Math.max(worst, Math.abs(s - (i === j ? 1 : 0)));
    }
  return worst;
}

describe('orthogonal convolution kernels', () => {
  it('Haar matrices are orthogonal', () => {
    const Q = haarOrthogonal(7, Rng.stream(1, 0));
    expect(orthogonalityDefect(Q, 7)).toBeLessThan(1e-13);
  });

  it.each([
    [4, 3, 1, [9]],
    [6, 3, 2, [5, 5]],
    [5, 5, 1, [12]],
    [4, 3, 2, [4, 4]],
  ])('random orthogonal kernel C = %i, k = %i, d = %i: every singular value is 1 (FFT symbol) and the dense operator is orthogonal', (C, k, d, shape) => {
    const rng = Rng.stream(2, C * 10 + k);
    const K = randomOrthogonalKernel(C, k, d, rng);
    const sv = kernelSingularValues(K, C, k, shape);
    expect(sv.maxDeviation).toBeLessThan(1e-12);
    const n = shape.reduce((a, b) => a * b, 1);
    expect(orthogonalityDefect(denseConvOperator(K, C, k, shape), C * n)).toBeLessThan(1e-12);
    // the kernel really spreads over the window (not a disguised delta kernel)
    const offCentre = K.filter((_, t) => t !== (K.length - 1) / 2).reduce((s, w) => s + w.reduce((a, x) => a + x * x, 0), 0);
    expect(offCentre).toBeGreaterThan(0.1);
  });

  it('delta-orthogonal kernels are orthogonal; Gaussian kernels are not (the check can fail)', () => {
    const rng = Rng.stream(3, 0);
    const D = deltaOrthogonalKernel(8, 3, 2, rng);
    expect(kernelSingularValues(D, 8, 3, [6, 6]).maxDeviation).toBeLessThan(1e-12);
    const G = gaussianKernel(8, 3, 2, rng);
    const sv = kernelSingularValues(G, 8, 3, [6, 6]);
    expect(sv.maxDeviation).toBeGreaterThan(0.3);
    // the FFT singular values agree with the dense operator's: sum of squares = Frobenius norm
    const dense = denseConvOperator(G, 8, 3, [6, 6]);
    let fro = 0;
    for (const x of dense) fro += x * x;
    expect(sv.max * sv.max * 8 * 36).toBeGreaterThanOrEqual(fro * (1 - 1e-12));
    expect(sv.min * sv.min * 8 * 36).toBeLessThanOrEqual(fro * (1 + 1e-12));
  });
});

describe('simulated CNNs against the mean-field covariance map', () => {
  it.each(['gaussian', 'delta-orthogonal'])('%s init: nearest-neighbour covariance planes agree within Bonferroni z', (init) => {
    const spec = cnnSpec({ act: 'tanh', sw2: '1.5', sb2: '0.05', dims: 1, image: 8, kernelSize: 3, init });
    const r = simulateCnn({ spec, width: 64, depth: 8, networks: 96, seed: 5, channels: 3, inputSeed: 1, record: [0, 1, 2, 4, 8] });
    expect(r.planes.length).toBe(5 * 2);
    expect(r.max_abs_z).toBeLessThan(r.z_threshold);
    expect(r.pass).toBe(true);
    // the structure of the input is still visible at layer 2 in theory and simulation
    const l2 = r.planes.find((p) => p.layer === 2 && p.delta[0] === 1)!;
    expect(l2.signal_theory).toBeGreaterThan(3 * l2.noise);
    expect(Math.abs(l2.signal_sim - l2.signal_theory)).toBeLessThan(6 * l2.noise);
  });

  it('the comparison can fail: Gaussian networks against the delta-orthogonal theory', () => {
    const g = simulateCnn({
      spec: cnnSpec({ act: 'tanh', sw2: '1.5', sb2: '0.05', dims: 1, image: 8, kernelSize: 3, init: 'gaussian' }),
      width: 64, depth: 3, networks: 48, seed: 6, channels: 3, inputSeed: 1, record: [3],
    });
    const d = simulateCnn({
      spec: cnnSpec({ act: 'tanh', sw2: '1.5', sb2: '0.05', dims: 1, image: 8, kernelSize: 3, init: 'delta-orthogonal' }),
      width: 64, depth: 3, networks: 48, seed: 6, channels: 3, inputSeed: 1, record: [3],
    });
    // swap theories: z-scores of the Gaussian simulation against delta-orthogonal mean field
    let worst = 0;
    g.planes.forEach((p, i) => {
      for (let a = 0; a < p.mean.length; a++) worst = Math.max(worst, Math.abs(p.mean[a] - d.planes[i].theory[a]) / p.se[a]);
    });
    expect(worst).toBeGreaterThan(g.z_threshold);
  });

  (LONG ? it : it.skip)('deep (critical tanh, width 32, 300 layers): both agree with mean field; delta-orthogonal keeps the spatial signal longer', () => {
    const base = { act: 'tanh', sw2: '1.7609546396067391316', sb2: '0.05', dims: 1, image: 16, kernelSize: 3 };
    const run = (init: string) =>
      simulateCnn({ spec: cnnSpec({ ...base, init }), width: 32, depth: 300, networks: 64, seed: 7, channels: 3, inputSeed: 1, record: [10, 20, 100, 300] });
    const G = run('gaussian');
    const D = run('delta-orthogonal');
    expect(G.pass).toBe(true);
    expect(D.pass).toBe(true);
    const at = (r: typeof G, l: number) => r.planes.find((p) => p.layer === l && p.delta[0] === 1)!;
    expect(at(D, 300).signal_theory).toBeGreaterThan(10 * at(G, 300).signal_theory);
    expect(at(D, 10).signal_sim).toBeGreaterThan(3 * at(D, 10).noise);
    expect(at(D, 10).signal_sim).toBeGreaterThan(at(G, 10).signal_sim);
  });
});
