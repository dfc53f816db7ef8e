/** The statistics: moment sums, standard errors, z-scores, Bonferroni, the weighted 1/N fit. */
import { Rng } from '../src/simulate/rng';
import {
  addSample, bonferroniThreshold, chi2Survival, mergeInto, momentData, momentLayout, normalQuantile, pairCovariance,
  scalarStats, twoSidedP, weightedLineFit, zScore,
} from '../src/simulate/stats';
import { normCdf64 } from '../src/numeric/special';

describe('moment sums', () => {
  test('mean, variance, covariance of a small data set are the textbook values (at any offset)', () => {
    const xs = [1, 2, 4, 7, 11];
    const ys = [2, 1, 3, 3, 9];
    for (const offset of [0, 5, -100, 1e6]) {
      const layout = momentLayout(2, Int32Array.from([0, 1]));
      const data = momentData(layout);
      const d = new Float64Array(2);
      xs.forEach((x, k) => addSample(layout, data, Float64Array.from([x + offset, ys[k]]), d));
      const s = scalarStats(layout, data, 0);
      expect(s.n).toBe(5);
      expect(s.mean - offset).toBeCloseTo(5, 9);
      expect(s.variance).toBeCloseTo(16.5, 7); // unbiased: sum (x - 5)^2 / 4 = 66 / 4
      expect(s.se).toBeCloseTo(Math.sqrt(16.5 / 5), 7);
      // covariance: sum (x - 5)(y - 3.6) / 4
      const cov = xs.reduce((a, x, k) => a + (x - 5) * (ys[k] - 3.6), 0) / 4;
      expect(pairCovariance(layout, data, 0)).toBeCloseTo(cov, 6);
      // central fourth moment (plug-in)
      const m4 = xs.reduce((a, x) => a + (x - 5) ** 4, 0) / 5;
      expect(s.m4).toBeCloseTo(m4, 4);
    }
  });

  test('merging partial moments equals one pass (means, M2, M3, M4, cross moments)', () => {
    const layout = momentLayout(2, Int32Array.from([0, 1]));
    const all = momentData(layout);
    const parts = [momentData(layout), momentData(layout), momentData(layout)];
    const d = new Float64Array(2);
    for (let k = 0; k < 100; k++) {
      const x = Float64Array.from([3 + Math.sin(k) ** 3, Math.cos(k * k)]);
      addSample(layout, all, x, d);
      addSample(layout, parts[k < 37 ? 0 : k < 38 ? 1 : 2], x, d);
    }
    const merged = momentData(layout);
    for (const p of parts) mergeInto(merged, p, layout);
    for (let i = 0; i < merged.length; i++) expect(merged[i]).toBeCloseTo(all[i], 11);
    // third and fourth central moments against a direct computation
    const xs = Array.from({ length: 100 }, (_, k) => 3 + Math.sin(k) ** 3);
    const m = xs.reduce((a, b) => a + b) / 100;
    expect(merged[1 + 2 * 2]).toBeCloseTo(xs.reduce((a, x) => a + (x - m) ** 3, 0), 11);
    expect(merged[1 + 3 * 2]).toBeCloseTo(xs.reduce((a, x) => a + (x - m) ** 4, 0), 11);
  });

  test('the standard errors are calibrated: Gaussian and exponential data, 400 replications', () => {
    // For each replication, z of the sample mean and of the sample variance against the truth;
    // the z's must look standard normal (mean ~ 0, sd ~ 1).
    for (const dist of ['normal', 'exponential'] as const) {
      const reps = 400;
      const n = 500;
      const zm: number[] = [];
      const zv: number[] = [];
      const r = Rng.stream(99, dist === 'normal' ? 0 : 1);
      const buf = new Float64Array(n);
      for (let rep = 0; rep < reps; rep++) {
        const layout = momentLayout(1);
        const data = momentData(layout);
        const d = new Float64Array(1);
        if (dist === 'normal') r.fillNormal(buf, 0, n, 2);
        else for (let i = 0; i < n; i++) buf[i] = -Math.log(r.uniform()); // mean 1, variance 1
        for (let i = 0; i < n; i++) addSample(layout, data, buf.subarray(i, i + 1), d);
        const s = scalarStats(layout, data, 0);
        const [mu, v] = dist === 'normal' ? [0, 4] : [1, 1];
        zm.push((s.mean - mu) / s.se);
        zv.push((s.variance - v) / s.varianceSe);
      }
      for (const zs of [zm, zv]) {
        const mean = zs.reduce((a, b) => a + b, 0) / reps;
        const sd = Math.sqrt(zs.reduce((a, b) => a + (b - mean) ** 2, 0) / (reps - 1));
        expect(Math.abs(mean)).toBeLessThan(0.25);
        expect(sd).toBeGreaterThan(0.85);
        expect(sd).toBeLessThan(1.2);
      }
    }
  });
});

describe('z-scores and the Bonferroni rule', () => {
  test('normalQuantile inverts the normal CDF to ~1e-13 relative, including the far tails', () => {
    for (const p of [1e-300, 1e-20, 1e-9, 0.001, 0.02425, 0.1, 0.3, 0.5, 0.7, 0.975, 0.999, 1 - 1e-9]) {
      const x = normalQuantile(p);
      const back = x < 0 ? normCdf64(x) : 1 - normCdf64(-x);
      expect(Math.abs(back - p) / Math.min(p, 1 - p)).toBeLessThan(1e-9);
    }
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963984540054, 12);
    expect(normalQuantile(0.5)).toBe(0);
  });

  test('threshold: |z| <= Phi^-1(1 - fwer/(2m)), about 3 for one test at 0.003, growing slowly with m', () => {
    expect(bonferroniThreshold(0.0027, 1)).toBeCloseTo(3.0, 2);
    expect(bonferroniThreshold(0.01, 1)).toBeCloseTo(2.5758, 3);
    expect(bonferroniThreshold(0.01, 100)).toBeCloseTo(normalQuantile(1 - 0.00005), 12);
    expect(bonferroniThreshold(0.01, 100)).toBeGreaterThan(3.85);
    expect(bonferroniThreshold(0.01, 100)).toBeLessThan(3.95);
    expect(twoSidedP(bonferroniThreshold(0.01, 40))).toBeCloseTo(0.01 / 40, 12);
  });

  test('zScore', () => {
    expect(zScore(1.2, 0.1, 1)).toBeCloseTo(2, 12);
    expect(zScore(1, 0.1, null)).toBeNull();
    expect(zScore(1, 0, 1)).toBe(0);
    expect(zScore(1, 0, 0.5)).toBe(Infinity);
  });

  test('the family-wise false-alarm rate holds: a correct theory fails in about fwer of runs', () => {
    // 2000 simulated "runs" of m = 30 exact z's ~ N(0,1): the fraction failing must be ~ fwer = 0.05.
    const m = 30;
    const fwer = 0.05;
    const zStar = bonferroniThreshold(fwer, m);
    const r = Rng.stream(3, 0);
    const z = new Float64Array(m);
    let fails = 0;
    const runs = 2000;
    for (let k = 0; k < runs; k++) {
      r.fillNormal(z, 0, m, 1);
      if (z.some((x) => Math.abs(x) > zStar)) fails++;
    }
    const rate = fails / runs;
    expect(rate).toBeLessThan(fwer + 3 * Math.sqrt((fwer * (1 - fwer)) / runs));
    expect(rate).toBeGreaterThan(0.03); // Bonferroni is nearly exact for independent tests
  });
});

describe('the weighted 1/N fit', () => {
  test('recovers an exact line, with the textbook covariance of the coefficients', () => {
    const x = [1 / 16, 1 / 32, 1 / 64, 1 / 128];
    const se = [0.3, 0.2, 0.5, 0.4];
    const y = x.map((v) => 2 - 3 * v);
    const f = weightedLineFit(x, y, se);
    expect(f.a).toBeCloseTo(2, 12);
    expect(f.b).toBeCloseTo(-3, 10);
    expect(f.chi2).toBeCloseTo(0, 15);
    expect(f.dof).toBe(2);
    // (X^T W X)^{-1}
    const w = se.map((s) => 1 / (s * s));
    const S = w.reduce((a, b) => a + b);
    const Sx = w.reduce((a, wi, k) => a + wi * x[k], 0);
    const Sxx = w.reduce((a, wi, k) => a + wi * x[k] * x[k], 0);
    const D = S * Sxx - Sx * Sx;
    expect(f.aSe).toBeCloseTo(Math.sqrt(Sxx / D), 12);
    expect(f.bSe).toBeCloseTo(Math.sqrt(S / D), 10);
  });

  test('intercept z-scores are calibrated on noisy data (Monte Carlo over 1000 fits)', () => {
    const x = [1 / 8, 1 / 16, 1 / 32, 1 / 64];
    const se = [0.5, 0.4, 0.3, 0.3];
    const r = Rng.stream(11, 0);
    const e = new Float64Array(4);
    const zs: number[] = [];
    let chi2Sum = 0;
    for (let k = 0; k < 1000; k++) {
      r.fillNormal(e, 0, 4, 1);
      const y = x.map((v, j) => 1.5 + 4 * v + se[j] * e[j]);
      const f = weightedLineFit(x, y, se);
      zs.push((f.a - 1.5) / f.aSe);
      chi2Sum += f.chi2;
    }
    const mean = zs.reduce((a, b) => a + b) / zs.length;
    const sd = Math.sqrt(zs.reduce((a, b) => a + (b - mean) ** 2, 0) / (zs.length - 1));
    expect(Math.abs(mean)).toBeLessThan(0.12);
    expect(Math.abs(sd - 1)).toBeLessThan(0.08);
    expect(chi2Sum / 1000).toBeGreaterThan(1.8); // E chi2 = dof = 2
    expect(chi2Sum / 1000).toBeLessThan(2.2);
  });

  test('chi2Survival', () => {
    expect(chi2Survival(3.841458820694124, 1)).toBeCloseTo(0.05, 10);
    expect(chi2Survival(2, 2)).toBeCloseTo(Math.exp(-1), 12);
    expect(chi2Survival(0, 5)).toBe(1);
    expect(chi2Survival(124.342, 100)).toBeCloseTo(0.05, 4);
  });
});
