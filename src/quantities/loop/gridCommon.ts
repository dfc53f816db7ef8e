/** FFT helpers, grid constants and the trapezoid-resolution check shared by the one- and two-input heat-flow grids. */
import FFT from 'fft.js';
import { Activation } from '../../model/activation';
import { expect1F64 } from '../../numeric/gaussian';
import { plainMath } from '../../numeric/plainMath';
// A plain-object copy of Math: under jest the global Math is a proxy and each Math.* access costs ~1 us.
const Math = plainMath();

// =======================================================================================
// FFT helpers

export const fftCache = new Map<number, FFT>();
export function fftOf(n: number): FFT {
  let f = fftCache.get(n);
  if (!f) {
    f = new FFT(n);
    fftCache.set(n, f);
  }
  return f;
}

/** Forward DFT of a real array (length n) into an interleaved complex array (length 2n). */
export function fftReal(x: Float64Array, out: Float64Array): void {
  const n = x.length;
  const f = fftOf(n);
  f.realTransform(out, x);
  f.completeSpectrum(out);
}

/** Angular frequencies of an n-point grid of step h (numpy fftfreq order). */
export function omegas(n: number, h: number): Float64Array {
  const w = new Float64Array(n);
  for (let k = 0; k < n; k++) w[k] = ((2 * Math.PI) / (n * h)) * (k < n / 2 ? k : k - n);
  return w;
}

export const R_TAIL = 10;
export const R_TAIL2 = 9;
export const MAX_N1 = 1 << 20;
export const MAX_POINTS2 = 1 << 21;
/**
 * Two-input grid step, in standard deviations of the narrowest kernel it must resolve. The
 * carried fields are acted on in Fourier space (heat kernel, derivatives), so what matters is
 * their spectrum at the Nyquist frequency pi/h, exp(-pi^2 s^2 / (2 h^2)) for a Gaussian of
 * standard deviation s: below 1e-14 for h <= 0.39 s.
 */
export const STEP_SIGMAS = 0.39;

export function nextPow2(x: number): number {
  return 1 << Math.max(4, Math.ceil(Math.log2(x)));
}

export function defaultStep(act: Activation, Kmin: number): number {
  const hAct = act.continuity === 'smooth' ? 0.2 : 0.1;
  return Math.min(hAct, 0.45 * Math.sqrt(Kmin));
}

/**
 * A test of a step h: does the trapezoid rule of step h reproduce E[phi^2] and E[phi^4] under
 * N(0, K) to 1e-10 (relative)? (The references, adaptive quadratures, are computed once.)
 */
export function trapezoidCheck(act: Activation, K: number): (h: number) => boolean {
  const f2 = (x: number) => {
    const p = act.f64(x);
    return p * p;
  };
  const ref2 = expect1F64(f2, K, { tol: 1e-13 }).value;
  const ref4 = expect1F64((x) => f2(x) * f2(x), K, { tol: 1e-13 }).value;
  return (h: number) => {
    let s2 = 0;
    let s4 = 0;
    const m = Math.ceil((R_TAIL * Math.sqrt(K) + 2) / h);
    for (let i = -m; i <= m; i++) {
      const x = i * h;
      const p = (h * Math.exp((-0.5 * x * x) / K)) / Math.sqrt(2 * Math.PI * K);
      const v = f2(x);
      s2 += v * p;
      s4 += v * v * p;
    }
    return Math.abs(s2 - ref2) <= 1e-10 * Math.max(ref2, 1e-300) && Math.abs(s4 - ref4) <= 1e-10 * Math.max(ref4, 1e-300);
  };
}
