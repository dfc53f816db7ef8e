import { fft, fftNd, fftReal, naiveDft, CircularCorrelation, sizeOf } from '../src/numeric/fft';
import { Rng } from '../src/simulate/rng';

function randomVec(rng: Rng, n: number): Float64Array {
  const x = new Float64Array(n);
  for (let i = 0; i < n; i++) x[i] = rng.normal();
  return x;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('fft of any length against the naive DFT', () => {
  const rng = Rng.stream(7, 0);
  // powers of two (fft.js), primes and composites (Bluestein), and the trivial length 1
  const lengths = [1, 2, 3, 4, 5, 6, 7, 8, 12, 16, 28, 31, 32, 97, 100, 128];
  it.each(lengths)('n = %i, forward and inverse', (n) => {
    const re = randomVec(rng, n);
    const im = randomVec(rng, n);
    for (const inverse of [false, true]) {
      const got = fft(re, im, inverse);
      const want = naiveDft(re, im, inverse);
      const scale = inverse ? 1 : Math.sqrt(n);
      expect(maxAbsDiff(got.re, want.re)).toBeLessThan(1e-12 * scale * 10);
      expect(maxAbsDiff(got.im, want.im)).toBeLessThan(1e-12 * scale * 10);
    }
    // round trip
    const X = fft(re, im);
    const back = fft(X.re, X.im, true);
    expect(maxAbsDiff(back.re, re)).toBeLessThan(1e-13 * 10);
    expect(maxAbsDiff(back.im, im)).toBeLessThan(1e-13 * 10);
  });

  it('a single frequency gives a delta at that frequency (Bluestein, n = 28)', () => {
    const n = 28;
    const f0 = 5;
    const re = Float64Array.from({ length: n }, (_, x) => Math.cos((2 * Math.PI * f0 * x) / n));
    const X = fft(re, new Float64Array(n));
    for (let f = 0; f < n; f++) {
      const want = f === f0 || f === n - f0 ? n / 2 : 0;
      expect(Math.abs(X.re[f] - want)).toBeLessThan(1e-11);
      expect(Math.abs(X.im[f])).toBeLessThan(1e-11);
    }
  });

  it('real input: the completed spectrum equals the complex transform (power of two and not)', () => {
    for (const n of [16, 28, 64]) {
      const x = randomVec(rng, n);
      const got = fftReal(x);
      const want = naiveDft(x, new Float64Array(n));
      expect(maxAbsDiff(got.re, want.re)).toBeLessThan(1e-11);
      expect(maxAbsDiff(got.im, want.im)).toBeLessThan(1e-11);
      // Hermitian symmetry of the completed half
      for (let f = 1; f < n; f++) {
        expect(Math.abs(got.re[f] - got.re[n - f])).toBeLessThan(1e-11);
        expect(Math.abs(got.im[f] + got.im[n - f])).toBeLessThan(1e-11);
      }
    }
  });

  it('2D and 3D transforms equal the naive separable double sum', () => {
    for (const shape of [[6, 8], [5, 7], [4, 3, 5], [28, 28]]) {
      const N = sizeOf(shape);
      const re = randomVec(rng, N);
      const im = randomVec(rng, N);
      const r = Float64Array.from(re);
      const i = Float64Array.from(im);
      fftNd(r, i, shape);
      // naive: sum over all x of x[x] exp(-2 pi i sum_k f_k x_k / n_k)
      const idx = (flat: number) => {
        const out: number[] = [];
        for (let k = shape.length - 1; k >= 0; k--) {
          out.unshift(flat % shape[k]);
          flat = Math.floor(flat / shape[k]);
        }
        return out;
      };
      const freqs = shape.length === 2 && shape[0] === 28 ? [0, 1, 29, 400, 783] : Array.from({ length: N }, (_, j) => j);
      for (const ff of freqs) {
        const f = idx(ff);
        let sr = 0;
        let si = 0;
        for (let xx = 0; xx < N; xx++) {
          const x = idx(xx);
          let t = 0;
          for (let k = 0; k < shape.length; k++) t += (f[k] * x[k]) / shape[k];
          const c = Math.cos(-2 * Math.PI * t);
          const s = Math.sin(-2 * Math.PI * t);
          sr += re[xx] * c - im[xx] * s;
          si += re[xx] * s + im[xx] * c;
        }
        expect(Math.abs(r[ff] - sr)).toBeLessThan(1e-10);
        expect(Math.abs(i[ff] - si)).toBeLessThan(1e-10);
      }
      fftNd(r, i, shape, true);
      expect(maxAbsDiff(r, re)).toBeLessThan(1e-12);
      expect(maxAbsDiff(i, im)).toBeLessThan(1e-12);
    }
  });

  it('circular correlation by FFT equals the direct sum, one and two arrays at a time', () => {
    for (const shape of [[9], [16], [5, 6], [8, 8]]) {
      const N = sizeOf(shape);
      const a = randomVec(rng, N);
      const b = randomVec(rng, N);
      const v = randomVec(rng, N); // a general (non-symmetric) kernel
      const corr = new CircularCorrelation(shape, v);
      const direct = (x: Float64Array) => {
        const out = new Float64Array(N);
        if (shape.length === 1) {
          const n = shape[0];
          for (let i = 0; i < n; i++) for (let y = 0; y < n; y++) out[i] += v[y] * x[(i + y) % n];
        } else {
          const [n0, n1] = shape;
          for (let i0 = 0; i0 < n0; i0++)
            for (let i1 = 0; i1 < n1; i1++)
              for (let y0 = 0; y0 < n0; y0++)
                for (let y1 = 0; y1 < n1; y1++) out[i0 * n1 + i1] += v[y0 * n1 + y1] * x[((i0 + y0) % n0) * n1 + ((i1 + y1) % n1)];
        }
        return out;
      };
      const oa = new Float64Array(N);
      const ob = new Float64Array(N);
      corr.apply(a, oa);
      expect(maxAbsDiff(oa, direct(a))).toBeLessThan(1e-12);
      corr.apply2(a, b, oa, ob);
      expect(maxAbsDiff(oa, direct(a))).toBeLessThan(1e-12);
      expect(maxAbsDiff(ob, direct(b))).toBeLessThan(1e-12);
    }
  });
});
