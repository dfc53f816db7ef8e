/**
 * The simulators: exact known distributions, the fast sampler against the full network on every
 * observable, Jacobians, reproducibility and independence of the thread count.
 */
import { network } from '../src/model/network';
import { simSpec, SimSpec, Sampler } from '../src/simulate/spec';
import { runMonteCarlo, runChunk, MonteCarloJob } from '../src/simulate/montecarlo';
import { ObservationPlan, seriesIndex, planLayout, crossPairIndex } from '../src/simulate/observe';
import { scalarStats, bonferroniThreshold, pairCovariance } from '../src/simulate/stats';
import { simulator, jacobian } from '../src/simulate/samplers';
import { Rng } from '../src/simulate/rng';
import { circleKernel, twoInputKernel, choleskyPsd } from '../src/simulate/linalg';
import { linearNetworkMoments } from '../src/simulate/exact';

function plan(depth: number, P: number, extra: Partial<ObservationPlan> = {}): ObservationPlan {
  return {
    depth, P, pairs: P >= 2 ? [[0, 0], [0, 1]] : [[0, 0]], corr: P >= 2, sensitivityDelta: P === 4 ? 0.05 : null,
    jvp: false, kurtosis: true, crossLayer: true, ...extra,
  };
}

async function mc(spec: SimSpec, sampler: Sampler, p: ObservationPlan, samples: number, seed = 1) {
  const job: MonteCarloJob = { spec, sampler, plan: p, seed, samples };
  const r = await runMonteCarlo(job, { threads: 1 });
  const idx = seriesIndex(p);
  return { r, idx, st: (series: string, l: number) => scalarStats(r.layout, r.data, idx.offset[series] + l) };
}

/** z of an estimate against an exact value, with a Bonferroni-style bound over the whole file. */
const Z = bonferroniThreshold(0.001, 400);

describe('exactly known distributions', () => {
  test('input layer: E[K_hat^0] = K^0, N Var(K_hat^0_11) = 2 q0^2, N Var(K_hat^0_12) = q0^2 (1 + c0^2)', async () => {
    const net = network({ act: 'tanh', depth: 1, q0: '1.5', c0: '0.4' });
    const N = 10;
    const spec = simSpec(net, N, { K0: twoInputKernel(1.5, 0.4) });
    const { st } = await mc(spec, 'fast', plan(1, 2), 20000);
    const k11 = st('K_0_0', 0);
    const k12 = st('K_0_1', 0);
    expect(Math.abs((k11.mean - 1.5) / k11.se)).toBeLessThan(Z);
    expect(Math.abs((k12.mean - 0.6) / k12.se)).toBeLessThan(Z);
    expect(Math.abs((k11.variance - (2 * 1.5 ** 2) / N) / k11.varianceSe)).toBeLessThan(Z);
    expect(Math.abs((k12.variance - (1.5 ** 2 * (1 + 0.16)) / N) / k12.varianceSe)).toBeLessThan(Z);
  });

  test('first layer of a ReLU net: E[C_hat^1] = sb2 + sw2 q0/2, N Var(C_hat^1) = (5/4) sw2^2 q0^2 (both samplers)', async () => {
    const net = network({ act: 'relu', alpha: '0.5', sw2: '2', sb2: '0.1', depth: 1, q0: '0.8' });
    const N = 12;
    for (const sampler of ['fast', 'full'] as const) {
      const spec = simSpec(net, N);
      const { st } = await mc(spec, sampler, plan(1, 1), 20000, 7);
      const c = st('C_0_0', 1);
      expect(Math.abs((c.mean - (0.1 + 0.8)) / c.se)).toBeLessThan(Z);
      expect(Math.abs((c.variance - (1.25 * 4 * 0.64) / N) / c.varianceSe)).toBeLessThan(Z);
    }
  });

  test('linear networks: exact mean and variance of K_hat^l and C_hat^l at every layer (residual, variance scaling, feed-forward)', async () => {
    const cases = [
      { opts: { act: 'linear', alpha: '0.6', sw2: '1.5', sb2: '0.2', depth: 6, q0: '1' }, N: 6 },
      { opts: { act: 'linear', alpha: '0.5', sw2: '2', sb2: '0', depth: 5, q0: '2', scaling: 'variance' }, N: 9 },
      { opts: { act: 'linear', sw2: '1', sb2: '0.3', depth: 5, q0: '1', skip: 'none' }, N: 8 },
    ];
    for (const [k, c] of cases.entries()) {
      const net = network(c.opts);
      const spec = simSpec(net, c.N);
      const ex = linearNetworkMoments({ width: c.N, depth: net.depth, sw2: spec.sw2, sb2: spec.sb2, branch: spec.branch, skip: spec.skip, q0: Number(net.q0) });
      for (const sampler of ['fast', 'full'] as const) {
        const { st } = await mc(spec, sampler, plan(net.depth, 1), 12000, 100 + k);
        for (let l = 0; l <= net.depth; l++) {
          const K = st('K_0_0', l);
          expect(Math.abs((K.mean - ex.meanK[l]) / K.se)).toBeLessThan(Z);
          expect(Math.abs((K.variance - ex.varK[l]) / K.varianceSe)).toBeLessThan(Z);
          if (l >= 1) {
            const C = st('C_0_0', l);
            expect(Math.abs((C.mean - ex.meanC[l]) / C.se)).toBeLessThan(Z);
            expect(Math.abs((C.variance - ex.varC[l]) / C.varianceSe)).toBeLessThan(Z);
          }
        }
      }
    }
  });
});

describe('the fast sampler agrees with the full network on every observable', () => {
  // Two-sample z for every mean, variance and cross-layer covariance recorded (Bonferroni over all).
  const cases: { name: string; opts: Record<string, string | number>; N: number; P: 1 | 2 | 4; tangents: number }[] = [
    { name: 'tanh ResNet, two inputs, a JVP', opts: { act: 'tanh', alpha: '0.7', sw2: '2', sb2: '0', depth: 4, q0: '1', c0: '0.5' }, N: 8, P: 2, tangents: 1 },
    { name: 'ReLU feed-forward, one input, a JVP', opts: { act: 'relu', sw2: '2', sb2: '0.1', depth: 4, q0: '1', skip: 'none' }, N: 12, P: 1, tangents: 1 },
    { name: 'erf ResNet, variance scaling, four inputs (sensitivity)', opts: { act: 'erf', alpha: '0.3', sw2: '1.5', sb2: '0.05', depth: 3, q0: '1', c0: '0.3', scaling: 'variance' }, N: 10, P: 4, tangents: 0 },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      const net = network(c.opts);
      const K0 = c.P === 1 ? [1] : c.P === 2 ? twoInputKernel(1, Number(net.c0)) : circleKernel(1, [Number(net.c0), Number(net.c0) + 0.05, Number(net.c0) - 0.05]);
      const spec = simSpec(net, c.N, { K0, tangents: c.tangents });
      const p = plan(net.depth, c.P, { jvp: c.tangents > 0 });
      const samples = 4000;
      const a = await mc(spec, 'fast', p, samples, 11);
      const b = await mc(spec, 'full', p, samples, 12);
      const zs: { what: string; z: number }[] = [];
      for (const name of a.idx.names) {
        for (let l = name.startsWith('C_') ? 1 : 0; l <= net.depth; l++) {
          const x = a.st(name, l);
          const y = b.st(name, l);
          zs.push({ what: `mean ${name}[${l}]`, z: (x.mean - y.mean) / Math.hypot(x.se, y.se) });
          zs.push({ what: `var ${name}[${l}]`, z: (x.variance - y.variance) / Math.hypot(x.varianceSe, y.varianceSe) });
        }
      }
      // cross-layer covariances of K_hat_11 (SE from the product's variance is not tracked: use a
      // normal-theory SE, sqrt((s_l^2 s_m^2 + cov^2) / n), generous for these nearly Gaussian kernels)
      for (let l = 0; l < net.depth; l++) {
        const q = crossPairIndex(p, 'K_0_0', l, l + 1);
        const ca = pairCovariance(a.r.layout, a.r.data, q);
        const cb = pairCovariance(b.r.layout, b.r.data, q);
        const se = (cov: number, s1: number, s2: number) => Math.sqrt((s1 * s2 + cov * cov) / samples);
        const sea = se(ca, a.st('K_0_0', l).variance, a.st('K_0_0', l + 1).variance);
        const seb = se(cb, b.st('K_0_0', l).variance, b.st('K_0_0', l + 1).variance);
        zs.push({ what: `cov K[${l}],K[${l + 1}]`, z: (ca - cb) / Math.hypot(sea, seb) });
      }
      const zStar = bonferroniThreshold(0.002, zs.length);
      const bad = zs.filter((e) => !(Math.abs(e.z) <= zStar));
      expect(bad).toEqual([]);
      if (c.P === 2) {
        // The comparison has power: a fast sampler with a 10% too large weight variance is caught.
        const wrong = await mc({ ...spec, sw2: spec.sw2 * 1.1 }, 'fast', p, samples, 11);
        const k = wrong.st('K_0_0', net.depth);
        const f = b.st('K_0_0', net.depth);
        expect(Math.abs(k.mean - f.mean) / Math.hypot(k.se, f.se)).toBeGreaterThan(zStar);
      }
    });
  }
});

describe('Jacobians', () => {
  const net = network({ act: 'tanh', alpha: '0.7', sw2: '2', sb2: '0.1', depth: 3, q0: '1', c0: '0.5' });
  const N = 6;
  const spec = simSpec(net, N, { K0: twoInputKernel(1, 0.5), tangents: 1 });

  test('the full Jacobian applied to the random direction equals the carried JVP (same network)', () => {
    const { J } = jacobian(spec, 3, 5, 0);
    const v = new Float64Array(N);
    Rng.stream(3, 5, 1).fillNormal(v, 0, N, 1);
    let tL = new Float64Array(N);
    simulator(spec, 'full').run(3, 5, (view) => {
      if (view.layer === net.depth) tL = Float64Array.from(view.t);
    });
    for (let i = 0; i < N; i++) {
      let s = 0;
      for (let k = 0; k < N; k++) s += J[k * N + i] * v[k];
      expect(tL[i]).toBeCloseTo(s, 12);
    }
  });

  test('the full Jacobian matches central finite differences of the same network', () => {
    const { J, hL } = jacobian(spec, 9, 2, 0);
    const sim = simulator({ ...spec, tangents: 0 }, 'full');
    let h0 = new Float64Array(2 * N);
    let base = new Float64Array(2 * N);
    sim.run(9, 2, (view) => {
      if (view.layer === 0) h0 = Float64Array.from(view.h);
      if (view.layer === net.depth) base = Float64Array.from(view.h);
    });
    base.forEach((x, i) => expect(x).toBeCloseTo(hL[i], 13)); // the same network (summation order differs)
    const eps = 1e-6;
    for (let k = 0; k < N; k++) {
      const out: Float64Array[] = [];
      for (const sgn of [1, -1]) {
        const x = Float64Array.from(h0);
        x[k] += sgn * eps;
        let y = new Float64Array(2 * N);
        sim.run(9, 2, (view) => {
          if (view.layer === net.depth) y = Float64Array.from(view.h);
        }, { h0: x });
        out.push(y);
      }
      for (let i = 0; i < N; i++) expect(J[k * N + i]).toBeCloseTo((out[0][i] - out[1][i]) / (2 * eps), 7);
    }
  });
});

describe('reproducibility', () => {
  const net = network({ act: 'relu', alpha: '0.5', sw2: '2', sb2: '0.1', depth: 3, q0: '1', c0: '0.2' });
  const spec = simSpec(net, 8, { K0: twoInputKernel(1, 0.2), tangents: 1 });
  const p = plan(3, 2, { jvp: true });

  test('same seed, same numbers; another seed, other numbers; chunks merge to the same sums', () => {
    for (const sampler of ['fast', 'full'] as const) {
      const job: MonteCarloJob = { spec, sampler, plan: p, seed: 42, samples: 50 };
      const a = runChunk(job, 0, 50);
      const b = runChunk(job, 0, 50);
      expect(Array.from(b)).toEqual(Array.from(a));
      const c = runChunk({ ...job, seed: 43 }, 0, 50);
      expect(c[1]).not.toBe(a[1]);
      // network k is the same whichever chunk computes it
      const one = runChunk(job, 17, 1);
      const again = runChunk(job, 10, 8);
      expect(one[1]).not.toBe(again[1]);
      const layout = planLayout(p);
      const alone = runChunk(job, 17, 1, layout);
      expect(Array.from(alone)).toEqual(Array.from(one));
    }
  });

  test('one thread or two: bit-for-bit the same result (worker threads)', async () => {
    const job: MonteCarloJob = { spec, sampler: 'fast', plan: p, seed: 5, samples: 9000 };
    const one = await runMonteCarlo(job, { threads: 1 });
    const two = await runMonteCarlo(job, { threads: 2 });
    expect(two.threads).toBe(2);
    expect(one.chunkSize).toBe(two.chunkSize);
    expect(Math.ceil(9000 / one.chunkSize)).toBeGreaterThan(1);
    expect(Array.from(two.data)).toEqual(Array.from(one.data));
  });

  test('an interrupted run returns the statistics of the networks done so far', async () => {
    const job: MonteCarloJob = { spec, sampler: 'fast', plan: p, seed: 5, samples: 100000 };
    const ac = new AbortController();
    const r = await runMonteCarlo(job, { threads: 1, signal: ac.signal, onProgress: (done) => done >= 1 && ac.abort() });
    expect(r.interrupted).toBe(true);
    expect(r.samples).toBeGreaterThan(0);
    expect(r.samples).toBeLessThan(100000);
  });
});

describe('linear algebra', () => {
  test('semi-definite factor: F F^T = A to rounding, the right rank, robust to scales and near-singularity', () => {
    const check = (A: number[], M: number, rank: number) => {
      const F = new Float64Array(M * M);
      expect(choleskyPsd(Float64Array.from(A), M, F)).toBe(rank);
      for (let i = 0; i < M; i++) {
        for (let j = 0; j < M; j++) {
          let s = 0;
          for (let k = 0; k < M; k++) s += F[i * M + k] * F[j * M + k];
          expect(Math.abs(s - A[i * M + j])).toBeLessThanOrEqual(1e-14 * Math.sqrt(A[i * M + i] * A[j * M + j]) + 1e-300);
        }
      }
    };
    check([4, 2, 2, 2, 2, 2, 2, 2, 3], 3, 3);
    check([1, 1, 0, 1, 1, 0, 0, 0, 2], 3, 2); // two equal columns
    check([1, 1, 1, 1], 2, 1); // c0 = 1
    check([1e-20, 0, 0, 1e10], 2, 2); // wildly different scales
    check([0, 0, 0, 1], 2, 1); // a zero column
    // x, y and (x + y)/2 + tiny: rank 3 (accepted) or, at the noise level, rank 2
    check([1, 0.5, 0.75, 0.5, 1, 0.75, 0.75, 0.75, 0.75 + 1e-6], 3, 3);
    check([1, 0.5, 0.75, 0.5, 1, 0.75, 0.75, 0.75, 0.75 + 1e-17], 3, 2);
    expect(() => choleskyPsd(Float64Array.from([1, 2, 2, 1]), 2, new Float64Array(4))).toThrow();
    expect(() => choleskyPsd(Float64Array.from([-1, 0, 0, 1]), 2, new Float64Array(4))).toThrow();
  });

  test('circle inputs: K^0_1k = q0 c_k, unit diagonal times q0, positive semi-definite of rank 2', () => {
    const K = circleKernel(2, [0.5, 0.6, 0.4]);
    expect(K[1]).toBeCloseTo(1, 15);
    expect(K[2]).toBeCloseTo(1.2, 15);
    expect(K[3]).toBeCloseTo(0.8, 15);
    expect([K[0], K[5], K[10], K[15]]).toEqual([2, 2, 2, 2]);
    expect(choleskyPsd(Float64Array.from(K), 4, new Float64Array(16))).toBe(2);
  });
});
