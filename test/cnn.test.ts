import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import {
  cnnSpec, CnnSpec, CnnCovarianceMap, displacementSet, planesFromMatrix, matrixFromPlanes, inputCovariance, randomImage,
  propagateCovariance, cnnFixedPoint, cnnModes, averagingSpectrum, depthScale, modeAmplitudes, unflatIndex, flatIndex,
  windowOffsets, CovariancePlanes,
} from '../src/quantities/cnn';
import { PairMoments } from '../src/quantities/pairMoments';
import { activation } from '../src/model/activation';
import { float64Interp, productIntegrand } from '../src/interpret/numeric';
import { float64 } from '../src/numeric/field';
import { InputError } from '../src/model/errors';
import { Rng } from '../src/simulate/rng';

/**
 * The covariance map written straight from its definition on the full N x N matrix, with the
 * moments from the closed form or the adaptive 2D quadrature (no planes, no FFT, no Mehler):
 *   Sigma'(a, b) = sb2 + sw2 sum_{beta in window} v(beta) C(Sigma)(a + beta, b + beta)
 */
function bruteStep(spec: CnnSpec, S: Float64Array): Float64Array {
  const shape = spec.shape;
  const N = shape.reduce((x, y) => x * y, 1);
  const act = spec.act;
  const m = (k11: number, k12: number, k22: number) =>
    act.closedForm ? act.closedForm.pair(float64, k11, k12, k22) : float64Interp.expect2(act, act, k11, k12, k22);
  const C = new Float64Array(N * N);
  for (let a = 0; a < N; a++)
    for (let b = a; b < N; b++) {
      const v =
        a === b
          ? act.closedForm
            ? act.closedForm.square(float64, S[a * N + a])
            : float64Interp.expect1(productIntegrand(act, act), S[a * N + a])
          : m(S[a * N + a], S[a * N + b], S[b * N + b]);
      C[a * N + b] = v;
      C[b * N + a] = v;
    }
  const taps = spec.init === 'gaussian' ? windowOffsets(shape.length, spec.kernelSize) : [new Array(shape.length).fill(0)];
  const out = new Float64Array(N * N);
  const sw2 = Number(spec.sw2);
  const sb2 = Number(spec.sb2);
  for (let a = 0; a < N; a++) {
    const xa = unflatIndex(shape, a);
    for (let b = 0; b < N; b++) {
      const xb = unflatIndex(shape, b);
      let s = 0;
      for (const t of taps) s += C[flatIndex(shape, xa.map((x, i) => x + t[i])) * N + flatIndex(shape, xb.map((x, i) => x + t[i]))];
      out[a * N + b] = sb2 + (sw2 * s) / taps.length;
    }
  }
  return out;
}

function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function inputMatrix(spec: CnnSpec, seed: number): Float64Array {
  const all = displacementSet(spec.shape, 'all');
  return matrixFromPlanes(inputCovariance(spec, randomImage(spec.shape, 2, seed), all));
}

describe('input validation', () => {
  it('rejects even kernels, kernels larger than the image, bad dims and inits', () => {
    expect(() => cnnSpec({ kernelSize: 4 })).toThrow(InputError);
    expect(() => cnnSpec({ kernelSize: 4 })).toThrow(/--kernel-size: must be odd/);
    expect(() => cnnSpec({ kernelSize: 5, image: 3 })).toThrow(/--kernel-size: must be at most the image size 3/);
    expect(() => cnnSpec({ dims: 3 })).toThrow(/--dims/);
    expect(() => cnnSpec({ image: 0 })).toThrow(/--image/);
    expect(() => cnnSpec({ init: 'orthogonal-ish' })).toThrow(/--init/);
    expect(() => cnnSpec({ sw2: -1 })).toThrow(/--sw2/);
    expect(cnnSpec({ kernelSize: 5, image: 5, dims: 1 }).shape).toEqual([5]);
  });
});

describe('pair moments (Mehler expansion) against adaptive quadrature', () => {
  it('tanh and gelu at random variances and correlations, including |rho| = 1', () => {
    const rng = Rng.stream(11, 0);
    for (const name of ['tanh', 'gelu']) {
      const act = activation(name);
      const pm = new PairMoments(act);
      expect(pm.mode).toBe('hermite');
      const q = Float64Array.from({ length: 6 }, () => 0.02 + 1.6 * rng.uniform());
      pm.prepare(q);
      for (let i = 0; i < q.length; i++) {
        expect(Math.abs(pm.square(i) - float64Interp.expect1(productIntegrand(act, act), q[i]))).toBeLessThan(1e-13);
        for (let j = 0; j < q.length; j++) {
          for (const rho of [-1, -0.7, 0, 0.3, 0.95, 1]) {
            const k12 = rho * Math.sqrt(q[i] * q[j]);
            expect(Math.abs(pm.pair(i, j, k12) - float64Interp.expect2(act, act, q[i], k12, q[j]))).toBeLessThan(1e-12);
          }
        }
      }
    }
  });
  it('a zero variance gives phi(0) <phi(v)> (relu: 0, shifted tanh: tanh(1/2) <tanh(v + 1/2)>)', () => {
    const relu = new PairMoments(activation('relu'));
    relu.prepare(Float64Array.from([0, 0.7]));
    expect(relu.pair(0, 1, 0)).toBe(0);
    // tiny variances (q1 q2 underflows): the homogeneous closed form is evaluated at unit scale
    relu.prepare(Float64Array.from([1e-200, 4e-200]));
    const unit = activation('relu').closedForm!.pair(float64, 1, 1.2, 4);
    expect(Math.abs(relu.pair(0, 1, 1.2e-200) / 1e-200 - unit)).toBeLessThan(1e-14);
    const act = activation('tanh(x + 1/2)');
    const pm = new PairMoments(act);
    pm.prepare(Float64Array.from([0, 0.7]));
    expect(Math.abs(pm.pair(0, 1, 0) - Math.tanh(0.5) * float64Interp.expect1(act, 0.7))).toBeLessThan(1e-13);
    expect(Math.abs(pm.pair(0, 0, 0) - Math.tanh(0.5) ** 2)).toBeLessThan(1e-15);
  });
});

describe('covariance propagation: planes by FFT and by dense matrices against the brute-force full matrix', () => {
  const cases: [string, Partial<Parameters<typeof cnnSpec>[0]>][] = [
    ['tanh 1D n = 7, k = 3, gaussian', { act: 'tanh', dims: 1, image: 7, kernelSize: 3, sw2: '1.5', sb2: '0.05' }],
    ['erf 2D 5x5, k = 3, gaussian', { act: 'erf', dims: 2, image: 5, kernelSize: 3, sw2: '2.5', sb2: '0.1' }],
    ['relu 2D 4x4, k = 3, delta-orthogonal', { act: 'relu', dims: 2, image: 4, kernelSize: 3, init: 'delta-orthogonal', sw2: '2', sb2: '0.05' }],
    ['erf 1D n = 12, k = 5, gaussian', { act: 'erf', dims: 1, image: 12, kernelSize: 5, sw2: '1.2', sb2: '0' }],
  ];
  it.each(cases)('%s', (_, o) => {
    const spec = cnnSpec(o as never);
    let S = inputMatrix(spec, 3);
    const all = displacementSet(spec.shape, 'all');
    let planesFft: CovariancePlanes = planesFromMatrix(spec.shape, S, all);
    let planesDense: CovariancePlanes = planesFromMatrix(spec.shape, S, all);
    const nn = displacementSet(spec.shape, 'nn');
    let planesNn: CovariancePlanes = planesFromMatrix(spec.shape, S, nn);
    const mf = new CnnCovarianceMap(spec, 'fft');
    const md = new CnnCovarianceMap(spec, 'dense');
    const mn = new CnnCovarianceMap(spec, 'fft');
    for (let l = 1; l <= 3; l++) {
      S = bruteStep(spec, S);
      planesFft = mf.step(planesFft);
      planesDense = md.step(planesDense);
      planesNn = mn.step(planesNn);
      const scale = Math.max(...S);
      expect(maxAbs(matrixFromPlanes(planesFft), S)).toBeLessThan(1e-12 * scale);
      expect(maxAbs(matrixFromPlanes(planesDense), S)).toBeLessThan(1e-12 * scale);
      // a subset of planes (variance + nearest neighbours) propagates exactly on its own
      const ref = planesFromMatrix(spec.shape, S, nn);
      for (let p = 0; p < nn.length; p++) expect(maxAbs(planesNn.planes[p], ref.planes[p])).toBeLessThan(1e-12 * scale);
    }
  });
});

describe('fixed point: long propagation of the full covariance converges to the fully connected q*, c*', () => {
  it.each([
    ['tanh ordered (c* = 1)', { act: 'tanh', sw2: '1.5', sb2: '0.05' }, 700],
    ['erf chaotic (c* < 1)', { act: 'erf', sw2: '4', sb2: '0.05' }, 300],
  ])('%s', (_, o, depth) => {
    const spec = cnnSpec({ ...o, dims: 1, image: 6, kernelSize: 3 });
    const all = displacementSet(spec.shape, 'all');
    const end = propagateCovariance(spec, inputCovariance(spec, randomImage(spec.shape, 2, 9), all), depth);
    const fp = cnnFixedPoint(spec);
    if (o.act === 'erf') expect(fp.c_star).toBeLessThan(0.9);
    for (let p = 0; p < all.length; p++) {
      const want = p === 0 ? fp.q_star : fp.q_star * fp.c_star;
      for (const x of end.planes[p]) expect(Math.abs(x - want)).toBeLessThan(1e-9);
    }
  });
});

/** Eigenvalues of the Jacobian of the full map on symmetric matrices, by central differences. */
function jacobianEigenvalues(spec: CnnSpec, Sstar: Float64Array, h = 1e-5): { re: number[]; im: number[] } {
  const N = spec.shape.reduce((x, y) => x * y, 1);
  const idx: [number, number][] = [];
  for (let a = 0; a < N; a++) for (let b = a; b < N; b++) idx.push([a, b]);
  const D = idx.length;
  const J = new Matrix(D, D);
  for (let c = 0; c < D; c++) {
    const [a, b] = idx[c];
    const plus = Float64Array.from(Sstar);
    const minus = Float64Array.from(Sstar);
    plus[a * N + b] += h;
    minus[a * N + b] -= h;
    if (a !== b) {
      plus[b * N + a] += h;
      minus[b * N + a] -= h;
    }
    const fp = bruteStep(spec, plus);
    const fm = bruteStep(spec, minus);
    for (let r = 0; r < D; r++) {
      const [x, y] = idx[r];
      J.set(r, c, (fp[x * N + y] - fm[x * N + y]) / (2 * h));
    }
  }
  const e = new EigenvalueDecomposition(J);
  return { re: e.realEigenvalues, im: e.imaginaryEigenvalues };
}

describe('linearisation: Fourier-mode eigenvalues against the finite-difference Jacobian of the brute-force map', () => {
  it.each([
    ['gaussian', 'gaussian'],
    ['delta-orthogonal', 'delta-orthogonal'],
  ])('erf, chaotic phase, 1D n = 5, k = 3, %s', (_, init) => {
    const spec = cnnSpec({ act: 'erf', sw2: '4', sb2: '0.05', dims: 1, image: 5, kernelSize: 3, init });
    const fp = cnnFixedPoint(spec);
    const N = 5;
    const Sstar = new Float64Array(N * N).map((_, i) => (Math.floor(i / N) === i % N ? fp.q_star : fp.q_star * fp.c_star));
    // the fixed point is one
    expect(maxAbs(bruteStep(spec, Sstar), Sstar)).toBeLessThan(1e-12);
    const ev = jacobianEigenvalues(spec, Sstar);
    for (const x of ev.im) expect(Math.abs(x)).toBeLessThan(1e-7);
    const got = [...ev.re].sort((a, b) => a - b);
    const modes = cnnModes(spec, fp);
    // predicted multiset: chi_q Ahat(f) once per f (variance plane), chi_c Ahat(f) twice per f
    // (two independent off-diagonal planes, delta = 1, 2; delta = 3, 4 are their mirror images)
    const want = [...modes.lambda_q, ...modes.lambda_c, ...modes.lambda_c].sort((a, b) => a - b);
    expect(got.length).toBe(want.length);
    for (let i = 0; i < got.length; i++) expect(Math.abs(got[i] - want[i])).toBeLessThan(1e-7);
  });
});

describe('depth scales per frequency from the decay of small perturbations (dense-matrix route, no FFT)', () => {
  /** Ratio of mode f's amplitude between layers l and l+1 for a perturbation of plane p with wavevector f. */
  function decay(spec: CnnSpec, plane: number, f: number[], base: number[], eps: number, layers: number): number {
    const nn = displacementSet(spec.shape, 'nn');
    const N = spec.shape.reduce((x, y) => x * y, 1);
    const planes = nn.map((_, p) => new Float64Array(N).fill(base[p]));
    for (let a = 0; a < N; a++) {
      const x = unflatIndex(spec.shape, a);
      const phase = x.reduce((s, xi, i) => s + (f[i] * xi) / spec.shape[i], 0);
      // eps < 0: a one-sided perturbation (at c* = 1 the covariance may only decrease)
      planes[plane][a] += eps * base[plane] * ((eps < 0 ? 1 : 0) + Math.cos(2 * Math.PI * phase));
    }
    const fi = flatIndex(spec.shape, f);
    const amps: number[] = [];
    propagateCovariance(spec, { shape: spec.shape, displacements: nn, planes }, layers, (l, c) => amps.push(modeAmplitudes(spec.shape, c.planes[plane])[fi]), 'dense');
    return amps[layers] / amps[layers - 1];
  }

  it('variance-plane modes decay as chi_q |Ahat(f)| (tanh, ordered, 2D 8x8, gaussian and delta-orthogonal)', () => {
    for (const init of ['gaussian', 'delta-orthogonal']) {
      const spec = cnnSpec({ act: 'tanh', sw2: '1.5', sb2: '0.05', dims: 2, image: 8, kernelSize: 3, init });
      const fp = cnnFixedPoint(spec);
      const modes = cnnModes(spec, fp);
      for (const f of [[1, 0], [1, 1], [2, 3], [4, 4]]) {
        const fi = flatIndex(spec.shape, f);
        if (Math.abs(modes.A[fi]) < 1e-3) continue;
        const r = decay(spec, 0, f, [fp.q_star, fp.q_star, fp.q_star], 1e-6, 4);
        expect(Math.abs(r - Math.abs(modes.lambda_q[fi]))).toBeLessThan(1e-5);
        expect(Math.abs(-1 / Math.log(r) - modes.xi_q[fi])).toBeLessThan(1e-3 * Math.max(1, modes.xi_q[fi]));
      }
    }
  });

  it('off-diagonal modes decay as chi_c |Ahat(f)| (erf chaotic 1D n = 16, k = 5; tanh ordered 2D 6x6)', () => {
    const cases: [CnnSpec, number][] = [
      [cnnSpec({ act: 'erf', sw2: '4', sb2: '0.05', dims: 1, image: 16, kernelSize: 5 }), 1e-5],
      [cnnSpec({ act: 'tanh', sw2: '1.5', sb2: '0.05', dims: 2, image: 6, kernelSize: 3 }), -1e-5], // c* = 1: perturb below
    ];
    for (const [spec, eps] of cases) {
      const fp = cnnFixedPoint(spec);
      const modes = cnnModes(spec, fp);
      const fs = spec.dims === 1 ? [[1], [3], [6]] : [[1, 0], [1, 1], [3, 1]]; // not (2, 1) on 6x6: Ahat = 0 there
      const base = [fp.q_star, ...new Array(spec.dims).fill(fp.q_star * fp.c_star)];
      for (const f of fs) {
        const fi = flatIndex(spec.shape, f);
        const r = decay(spec, 1, f, base, eps, 2);
        expect(Math.abs(r - Math.abs(modes.lambda_c[fi]))).toBeLessThan(2e-5);
      }
    }
  });

  it('the averaging spectrum and depth-scale conventions', () => {
    const spec = cnnSpec({ dims: 1, image: 9, kernelSize: 3 });
    const A = averagingSpectrum(spec);
    expect(A[0]).toBeCloseTo(1, 14);
    expect(Math.abs(A[3])).toBeLessThan(1e-15); // 1 + 2 cos(2 pi / 3) = 0
    expect(depthScale(0)).toBe(0);
    expect(depthScale(1)).toBe(Infinity);
    expect(depthScale(-1)).toBe(Infinity);
    expect(depthScale(Math.exp(-0.5))).toBeCloseTo(2, 12);
    const d = averagingSpectrum(cnnSpec({ dims: 2, image: 28, kernelSize: 5, init: 'delta-orthogonal' }));
    for (const x of d) expect(x).toBeCloseTo(1, 14);
  });
});
