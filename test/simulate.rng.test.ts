/** The random source: reference outputs, reproducibility, independence of streams, normality. */
import { Rng, streamState, MAX_SEED } from '../src/simulate/rng';
import { normCdf64 } from '../src/numeric/special';
import { chi2Survival } from '../src/simulate/stats';

describe('xoshiro128** and the streams', () => {
  test('matches the reference C implementation (state 1, 2, 3, 4)', () => {
    const r = new Rng(new Uint32Array([1, 2, 3, 4]));
    const got = Array.from({ length: 6 }, () => r.nextU32());
    // xoshiro128** reference (prng.di.unimi.it), compiled with gcc: 11520 0 5927040 70819200 2031721883 1637235492
    expect(got).toEqual([11520, 0, 5927040, 70819200, 2031721883, 1637235492]);
  });

  test('golden values: the same seed gives the same numbers on every machine and version', () => {
    expect(Array.from(streamState(1, 0, 0))).toEqual([1511582558, 3516448080, 3623588858, 880504040]);
    const r = Rng.stream(1, 0);
    expect([r.nextU32(), r.nextU32(), r.nextU32(), r.nextU32()]).toEqual([3970140259, 3773167007, 3053290197, 1047145889]);
    const z = new Float64Array(6);
    Rng.stream(1, 0).fillNormal(z, 0, 6, 1);
    expect(Array.from(z)).toEqual([
      -0.30910179241355124, -0.52845558199104969, 1.0781571309348583, -0.37761317463682648, -0.92381861775921414, 0.59132370514215371,
    ]);
    const w = new Float64Array(3);
    Rng.stream(123456789, 987654321, 1).fillNormal(w, 0, 3, 1);
    expect(Array.from(w)).toEqual([-0.76642375303071009, -0.9243665814787918, 0.28087749097590636]);
  });

  test('a stream does not depend on how its draws are batched', () => {
    const a = new Float64Array(1000);
    Rng.stream(7, 3).fillNormal(a, 0, 1000, 1);
    const b = new Float64Array(1000);
    const r = Rng.stream(7, 3);
    let k = 0;
    for (const n of [1, 2, 3, 100, 17, 877]) {
      r.fillNormal(b, k, n, 1);
      k += n;
    }
    expect(Array.from(b)).toEqual(Array.from(a));
    const c = new Float64Array(1000);
    Rng.stream(7, 3).fillNormal(c, 0, 1000, 2.5);
    expect(Array.from(c)).toEqual(Array.from(a).map((x) => 2.5 * x));
  });

  test('neighbouring keys give distinct, uncorrelated streams', () => {
    const seen = new Set<string>();
    for (let seed = 0; seed < 20; seed++) {
      for (let index = 0; index < 200; index++) {
        for (let stream = 0; stream < 3; stream++) seen.add(Array.from(streamState(seed, index, stream)).join(','));
      }
    }
    expect(seen.size).toBe(20 * 200 * 3);
    expect(() => streamState(MAX_SEED, MAX_SEED, 2047)).not.toThrow();
    expect(() => streamState(-1, 0)).toThrow();
    expect(() => streamState(1.5, 0)).toThrow();
    // Correlation of the first normals of streams (seed, k) and (seed, k+1), over k.
    const n = 20000;
    const x = new Float64Array(n + 1);
    const tmp = new Float64Array(1);
    for (let k = 0; k <= n; k++) {
      Rng.stream(5, k).fillNormal(tmp, 0, 1, 1);
      x[k] = tmp[0];
    }
    let s = 0;
    for (let k = 0; k < n; k++) s += x[k] * x[k + 1];
    expect(Math.abs(s / n) * Math.sqrt(n)).toBeLessThan(4); // a z-score
  });
});

describe('the ziggurat normals', () => {
  const n = 2_000_000;
  const z = new Float64Array(n);
  beforeAll(() => Rng.stream(2024, 0).fillNormal(z, 0, n, 1));

  test('moments: mean 0, variance 1, skewness 0, kurtosis 3 (z-scores within 4)', () => {
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let s4 = 0;
    for (let i = 0; i < n; i++) {
      const x = z[i];
      const x2 = x * x;
      s1 += x;
      s2 += x2;
      s3 += x2 * x;
      s4 += x2 * x2;
    }
    // Standard deviations of the sample moments of N(0,1): 1, sqrt(2), sqrt(15), sqrt(96).
    expect(Math.abs(s1 / n) / Math.sqrt(1 / n)).toBeLessThan(4);
    expect(Math.abs(s2 / n - 1) / Math.sqrt(2 / n)).toBeLessThan(4);
    expect(Math.abs(s3 / n) / Math.sqrt(15 / n)).toBeLessThan(4);
    expect(Math.abs(s4 / n - 3) / Math.sqrt(96 / n)).toBeLessThan(4);
  });

  test('distribution: chi-square over 200 equiprobable bins, and the tails beyond 3 and 4', () => {
    const bins = 200;
    const edges: number[] = [];
    // bin edges by bisection of the normal CDF
    for (let k = 1; k < bins; k++) {
      let lo = -10;
      let hi = 10;
      for (let it = 0; it < 80; it++) {
        const mid = (lo + hi) / 2;
        if (normCdf64(mid) < k / bins) lo = mid;
        else hi = mid;
      }
      edges.push((lo + hi) / 2);
    }
    const counts = new Float64Array(bins);
    for (let i = 0; i < n; i++) {
      const x = z[i];
      let lo = 0;
      let hi = bins - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (x < edges[mid]) hi = mid;
        else lo = mid + 1;
      }
      counts[lo]++;
    }
    const e = n / bins;
    let chi2 = 0;
    for (const c of counts) chi2 += ((c - e) * (c - e)) / e;
    expect(chi2Survival(chi2, bins - 1)).toBeGreaterThan(1e-4);
    // tails (the ziggurat's tail and wedge paths)
    for (const t of [3, 4]) {
      let c = 0;
      for (let i = 0; i < n; i++) if (Math.abs(z[i]) > t) c++;
      const p = 2 * normCdf64(-t);
      expect(Math.abs(c - n * p) / Math.sqrt(n * p)).toBeLessThan(4);
    }
  });
});
