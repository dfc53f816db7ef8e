/**
 * Discrete Fourier transforms of any length, in any number of dimensions.
 *
 *   forward   X[f] = sum_x x[x] exp(-2 pi i f x / n)
 *   inverse   x[x] = (1/n) sum_f X[f] exp(+2 pi i f x / n)
 *
 * Powers of two (n >= 2) go to fft.js (radix 4). Every other length n >= 2 uses Bluestein's
 * chirp-z identity  f x = (f^2 + x^2 - (f - x)^2) / 2, which turns the length-n DFT into a
 * circular convolution of length m = 2^ceil(log2(2n - 1)) done by fft.js:
 *
 *   X[f] = w[f] sum_x (x[x] w[x]) conj(w[f - x]),   w[k] = exp(-i pi k^2 / n)
 *
 * (k^2 is reduced mod 2n before the angle is formed, so the chirp is exact to rounding for
 * every n). Plans (fft.js tables, chirps and the transformed chirp) are cached per length.
 * Multidimensional arrays are row-major (the last axis varies fastest) and are transformed one
 * axis at a time.
 */
import FFT from 'fft.js';
import { plainMath } from './plainMath';
const Math = plainMath();

interface Plan {
  n: number;
  /** fft.js instance for n (power of two) or for the Bluestein length m. */
  fft: FFT;
  m: number;
  /** Bluestein only: chirp w[k] (interleaved re, im), and FFT_m of the padded conj(w). */
  chirp?: Float64Array;
  chirpHat?: number[];
  /** Interleaved complex work arrays of length 2m. */
  a: number[];
  b: number[];
}

const plans = new Map<number, Plan>();

export function isPowerOfTwo(n: number): boolean {
  return n >= 1 && (n & (n - 1)) === 0;
}

function nextPowerOfTwo(n: number): number {
  let m = 2;
  while (m < n) m *= 2;
  return m;
}

function plan(n: number): Plan {
  let p = plans.get(n);
  if (p) return p;
  if (isPowerOfTwo(n)) {
    const fft = new FFT(n);
    p = { n, fft, m: n, a: fft.createComplexArray() as number[], b: fft.createComplexArray() as number[] };
  } else {
    const m = nextPowerOfTwo(2 * n - 1);
    const fft = new FFT(m);
    const chirp = new Float64Array(2 * n);
    for (let k = 0; k < n; k++) {
      const k2 = (k * k) % (2 * n); // exact: k < 2^26 keeps k*k below 2^53
      const t = (Math.PI * k2) / n;
      chirp[2 * k] = Math.cos(t);
      chirp[2 * k + 1] = -Math.sin(t);
    }
    // b[k] = conj(w[k]) for k = 0..n-1 and b[m - k] = conj(w[k]) for k = 1..n-1 (circular).
    const b = fft.createComplexArray() as number[];
    for (let k = 0; k < n; k++) {
      b[2 * k] = chirp[2 * k];
      b[2 * k + 1] = -chirp[2 * k + 1];
      if (k > 0) {
        b[2 * (m - k)] = chirp[2 * k];
        b[2 * (m - k) + 1] = -chirp[2 * k + 1];
      }
    }
    const chirpHat = fft.createComplexArray() as number[];
    fft.transform(chirpHat, b);
    p = { n, fft, m, chirp, chirpHat, a: fft.createComplexArray() as number[], b: fft.createComplexArray() as number[] };
  }
  plans.set(n, p);
  return p;
}

/**
 * In-place DFT of one complex vector stored with a stride: element j is
 * (re[off + j stride], im[off + j stride]), j = 0..n-1.
 */
export function dftStrided(re: Float64Array, im: Float64Array, off: number, stride: number, n: number, inverse: boolean): void {
  if (n === 1) return;
  const p = plan(n);
  const { a, b } = p;
  if (!p.chirp) {
    for (let j = 0, s = off; j < n; j++, s += stride) {
      a[2 * j] = re[s];
      a[2 * j + 1] = im[s];
    }
    if (inverse) p.fft.inverseTransform(b, a);
    else p.fft.transform(b, a);
    for (let j = 0, s = off; j < n; j++, s += stride) {
      re[s] = b[2 * j];
      im[s] = b[2 * j + 1];
    }
    return;
  }
  // Bluestein. The inverse is conj(DFT(conj x)) / n.
  const m = p.m;
  const w = p.chirp;
  const sg = inverse ? -1 : 1;
  for (let j = 0, s = off; j < n; j++, s += stride) {
    const xr = re[s];
    const xi = sg * im[s];
    const wr = w[2 * j];
    const wi = w[2 * j + 1];
    a[2 * j] = xr * wr - xi * wi;
    a[2 * j + 1] = xr * wi + xi * wr;
  }
  for (let j = 2 * n; j < 2 * m; j++) a[j] = 0;
  p.fft.transform(b, a);
  const h = p.chirpHat as number[];
  for (let j = 0; j < m; j++) {
    const br = b[2 * j];
    const bi = b[2 * j + 1];
    const hr = h[2 * j];
    const hi = h[2 * j + 1];
    b[2 * j] = br * hr - bi * hi;
    b[2 * j + 1] = br * hi + bi * hr;
  }
  p.fft.inverseTransform(a, b);
  const scale = inverse ? 1 / n : 1;
  for (let j = 0, s = off; j < n; j++, s += stride) {
    const cr = a[2 * j];
    const ci = a[2 * j + 1];
    const wr = w[2 * j];
    const wi = w[2 * j + 1];
    re[s] = scale * (cr * wr - ci * wi);
    im[s] = sg * scale * (cr * wi + ci * wr);
  }
}

/** Product of the shape's entries. */
export function sizeOf(shape: readonly number[]): number {
  let s = 1;
  for (const n of shape) s *= n;
  return s;
}

/** In-place n-dimensional DFT of the row-major complex array (re, im) of the given shape. */
export function fftNd(re: Float64Array, im: Float64Array, shape: readonly number[], inverse = false): void {
  const total = sizeOf(shape);
  if (re.length !== total || im.length !== total) throw new RangeError(`fftNd: arrays of length ${re.length}, ${im.length} for shape ${shape.join('x')}`);
  let inner = total;
  for (let ax = 0; ax < shape.length; ax++) {
    const n = shape[ax];
    inner /= n; // stride of this axis
    const outer = total / (n * inner);
    for (let o = 0; o < outer; o++) {
      const base = o * n * inner;
      for (let i = 0; i < inner; i++) dftStrided(re, im, base + i, inner, n, inverse);
    }
  }
}

/** One-dimensional complex DFT, out of place. */
export function fft(re: ArrayLike<number>, im: ArrayLike<number>, inverse = false): { re: Float64Array; im: Float64Array } {
  const r = Float64Array.from(re);
  const i = Float64Array.from(im);
  fftNd(r, i, [r.length], inverse);
  return { re: r, im: i };
}

/** The complete spectrum of a real array of the given shape (the Hermitian half filled in too). */
export function fftReal(x: ArrayLike<number>, shape: readonly number[] = [x.length]): { re: Float64Array; im: Float64Array } {
  const re = Float64Array.from(x);
  const im = new Float64Array(re.length);
  if (shape.length === 1 && isPowerOfTwo(re.length) && re.length >= 2) {
    // fft.js's real transform fills the left half; completeSpectrum mirrors it.
    const p = plan(re.length);
    const out = p.fft.createComplexArray() as number[];
    p.fft.realTransform(out, Array.from(re));
    p.fft.completeSpectrum(out);
    for (let j = 0; j < re.length; j++) {
      re[j] = out[2 * j];
      im[j] = out[2 * j + 1];
    }
    return { re, im };
  }
  fftNd(re, im, shape, false);
  return { re, im };
}

/**
 * Circular cross-correlation with a fixed real kernel v, by FFTs:
 *
 *   out[x] = sum_y v[y] a[(x + y) mod shape]
 *
 * (the spatial averaging of the CNN covariance map). Its Fourier multiplier is conj(V[f]),
 * V = DFT(v). `apply2` transforms two real arrays with one complex FFT (a + i b).
 */
export class CircularCorrelation {
  readonly size: number;
  /** Real and imaginary parts of the multiplier conj(V[f]). */
  readonly mulRe: Float64Array;
  readonly mulIm: Float64Array;
  private readonly re: Float64Array;
  private readonly im: Float64Array;

  constructor(
    readonly shape: readonly number[],
    v: ArrayLike<number>,
  ) {
    this.size = sizeOf(shape);
    if (v.length !== this.size) throw new RangeError(`kernel of length ${v.length} for shape ${shape.join('x')}`);
    const V = fftReal(v, shape);
    this.mulRe = V.re;
    this.mulIm = V.im.map((x) => -x);
    this.re = new Float64Array(this.size);
    this.im = new Float64Array(this.size);
  }

  /** out = v (*) a; out may alias a. */
  apply(a: Float64Array, out: Float64Array): void {
    this.re.set(a);
    this.im.fill(0);
    this.run();
    out.set(this.re);
  }

  /** outA = v (*) a, outB = v (*) b, with one complex transform pair. */
  apply2(a: Float64Array, b: Float64Array, outA: Float64Array, outB: Float64Array): void {
    this.re.set(a);
    this.im.set(b);
    this.run();
    outA.set(this.re);
    outB.set(this.im);
  }

  private run(): void {
    const { re, im, mulRe, mulIm } = this;
    fftNd(re, im, this.shape, false);
    for (let j = 0; j < this.size; j++) {
      const r = re[j];
      const i = im[j];
      re[j] = r * mulRe[j] - i * mulIm[j];
      im[j] = r * mulIm[j] + i * mulRe[j];
    }
    fftNd(re, im, this.shape, true);
  }
}

/** Direct O(n^2) DFT (for checks and tiny sizes). */
export function naiveDft(re: ArrayLike<number>, im: ArrayLike<number>, inverse = false): { re: Float64Array; im: Float64Array } {
  const n = re.length;
  const oRe = new Float64Array(n);
  const oIm = new Float64Array(n);
  const sg = inverse ? 1 : -1;
  for (let f = 0; f < n; f++) {
    let sr = 0;
    let si = 0;
    for (let x = 0; x < n; x++) {
      const t = (sg * 2 * Math.PI * ((f * x) % n)) / n;
      const c = Math.cos(t);
      const s = Math.sin(t);
      sr += re[x] * c - im[x] * s;
      si += re[x] * s + im[x] * c;
    }
    oRe[f] = inverse ? sr / n : sr;
    oIm[f] = inverse ? si / n : si;
  }
  return { re: oRe, im: oIm };
}
