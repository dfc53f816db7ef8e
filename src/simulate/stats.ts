/**
 * Streaming statistics for Monte Carlo runs: power sums that merge by addition (so partial
 * results from chunks and workers combine exactly, in a fixed order), means with standard
 * errors, variances with standard errors from the fourth moment, covariances, z-scores, the
 * Bonferroni threshold, and the weighted least-squares fit of N (MC - mean field) against 1/N.
 */
import { erfc64, normCdf64 } from '../numeric/special';

/**
 * Layout of a moment accumulator: S scalars and a list of pairs of scalars (for covariances).
 * The data is one Float64Array holding running central moments (Welford; Pebay's formulas for
 * the third and fourth moments and for merging), stable whatever the scale and location:
 *   [ n | mean (S) | M2 (S) | M3 (S) | M4 (S) | C (npairs) ]
 * Mk = sum over samples of (x - mean)^k, C = sum of (x_i - mean_i)(x_j - mean_j).
 */
export interface MomentLayout {
  size: number;
  /** Pairs (i, j), flattened. */
  pairs: Int32Array;
}

export function momentLayout(size: number, pairs: Int32Array = new Int32Array(0)): MomentLayout {
  return { size, pairs };
}

export function momentData(layout: MomentLayout): Float64Array {
  return new Float64Array(1 + 4 * layout.size + layout.pairs.length / 2);
}

/** Add one sample x (length layout.size); d is scratch of the same length. */
export function addSample(layout: MomentLayout, data: Float64Array, x: Float64Array, d: Float64Array): void {
  const S = layout.size;
  const n = data[0] + 1;
  data[0] = n;
  const o2 = 1 + S;
  const o3 = 1 + 2 * S;
  const o4 = 1 + 3 * S;
  const a = (n - 1) / n;
  const c4 = n * n - 3 * n + 3;
  for (let s = 0; s < S; s++) {
    const delta = x[s] - data[1 + s];
    d[s] = delta;
    const dn = delta / n;
    const dn2 = dn * dn;
    const term1 = delta * dn * (n - 1);
    const M2 = data[o2 + s];
    const M3 = data[o3 + s];
    data[1 + s] += dn;
    data[o4 + s] += term1 * dn2 * c4 + 6 * dn2 * M2 - 4 * dn * M3;
    data[o3 + s] = M3 + term1 * dn * (n - 2) - 3 * dn * M2;
    data[o2 + s] = M2 + term1;
  }
  const pairs = layout.pairs;
  const oc = 1 + 4 * S;
  for (let p = 0, q = 0; p < pairs.length; p += 2, q++) data[oc + q] += a * d[pairs[p]] * d[pairs[p + 1]];
}

/** target = merge(target, source): the moments of the union of two sets of samples (Pebay 2008). */
export function mergeInto(target: Float64Array, source: Float64Array, layout: MomentLayout): void {
  if (target.length !== source.length) throw new RangeError('moment data of different layouts');
  const nA = target[0];
  const nB = source[0];
  if (nB === 0) return;
  if (nA === 0) {
    target.set(source);
    return;
  }
  const S = layout.size;
  const n = nA + nB;
  const o2 = 1 + S;
  const o3 = 1 + 2 * S;
  const o4 = 1 + 3 * S;
  const oc = 1 + 4 * S;
  const pairs = layout.pairs;
  // cross moments first (they need both means before the update)
  for (let p = 0, q = 0; p < pairs.length; p += 2, q++) {
    const i = pairs[p];
    const j = pairs[p + 1];
    const di = source[1 + i] - target[1 + i];
    const dj = source[1 + j] - target[1 + j];
    target[oc + q] += source[oc + q] + (di * dj * nA * nB) / n;
  }
  for (let s = 0; s < S; s++) {
    const delta = source[1 + s] - target[1 + s];
    const d2 = delta * delta;
    const M2a = target[o2 + s];
    const M2b = source[o2 + s];
    const M3a = target[o3 + s];
    const M3b = source[o3 + s];
    target[1 + s] += (delta * nB) / n;
    target[o4 + s] +=
      source[o4 + s] + (d2 * d2 * nA * nB * (nA * nA - nA * nB + nB * nB)) / (n * n * n) + (6 * d2 * (nA * nA * M2b + nB * nB * M2a)) / (n * n) + (4 * delta * (nA * M3b - nB * M3a)) / n;
    target[o3 + s] = M3a + M3b + (d2 * delta * nA * nB * (nA - nB)) / (n * n) + (3 * delta * (nA * M2b - nB * M2a)) / n;
    target[o2 + s] = M2a + M2b + (d2 * nA * nB) / n;
  }
  target[0] = n;
}

export interface ScalarStats {
  n: number;
  mean: number;
  /** Standard error of the mean (sample standard deviation / sqrt(n)). */
  se: number;
  /** Unbiased sample variance. */
  variance: number;
  /** Standard error of the sample variance: sqrt((m4 - (n-3)/(n-1) s^4) / n). */
  varianceSe: number;
  /** Central fourth moment (plug-in). */
  m4: number;
}

export function scalarStats(layout: MomentLayout, data: Float64Array, s: number): ScalarStats {
  const S = layout.size;
  const n = data[0];
  const mean = data[1 + s];
  const m2 = data[1 + S + s] / n;
  const m4 = data[1 + 3 * S + s] / n;
  const variance = n > 1 ? (m2 * n) / (n - 1) : NaN;
  const se = n > 1 ? Math.sqrt(variance / n) : NaN;
  const v4 = n > 1 ? (m4 - ((n - 3) / (n - 1)) * variance * variance) / n : NaN;
  return { n, mean, se, variance, varianceSe: Math.sqrt(Math.max(0, v4)), m4 };
}

/** Unbiased covariance of scalars pairs[2q], pairs[2q+1]. */
export function pairCovariance(layout: MomentLayout, data: Float64Array, q: number): number {
  return data[1 + 4 * layout.size + q] / (data[0] - 1);
}

// ---------------------------------------------------------------------------------------
// Tests of theory values.

/** z = (estimate - theory) / se; null when either is missing. */
export function zScore(estimate: number, se: number, theory: number | null | undefined): number | null {
  if (theory === null || theory === undefined || !Number.isFinite(theory) || !Number.isFinite(estimate)) return null;
  if (!(se > 0)) return estimate === theory ? 0 : estimate > theory ? Infinity : -Infinity;
  return (estimate - theory) / se;
}

/** The standard normal quantile Phi^{-1}(p), 0 < p < 1 (Acklam's approximation + one Halley step). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) {
    if (p === 0) return -Infinity;
    if (p === 1) return Infinity;
    return NaN;
  }
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const plow = 0.02425;
  let x: number;
  if (p < plow) {
    const q = Math.sqrt(-2 * Math.log(p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else if (p <= 1 - plow) {
    const q = p - 0.5;
    const r = q * q;
    x = ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  } else {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  // Halley refinement with an accurate tail: e = Phi(x) - p.
  const e = x < 0 ? 0.5 * erfc64(-x / Math.SQRT2) - p : 1 - p - 0.5 * erfc64(x / Math.SQRT2);
  const u = e * Math.sqrt(2 * Math.PI) * Math.exp((x * x) / 2);
  return x - u / (1 + (x * u) / 2);
}

/** Two-sided p-value of a z-score. */
export function twoSidedP(z: number): number {
  return Math.min(1, 2 * normCdf64(-Math.abs(z)));
}

/**
 * The Bonferroni threshold: with m tests and family-wise false-alarm rate `fwer`, each
 * |z| <= Phi^{-1}(1 - fwer / (2 m)) passes; the chance that any correct theory value fails is
 * then at most `fwer` (normal approximation of each z).
 */
export function bonferroniThreshold(fwer: number, m: number): number {
  return normalQuantile(1 - fwer / (2 * Math.max(1, m)));
}

// ---------------------------------------------------------------------------------------
// Weighted least squares y = a + b x.

export interface LineFit {
  /** Intercept (the x -> 0 limit) and its standard error. */
  a: number;
  aSe: number;
  /** Slope and its standard error. */
  b: number;
  bSe: number;
  covAB: number;
  chi2: number;
  dof: number;
  /** p-value of chi2 (goodness of fit); null when dof = 0. */
  chi2P: number | null;
}

/**
 * Minimise sum ((y_k - a - b x_k) / se_k)^2. The standard errors of a and b come from the known
 * se_k (not from the residuals), so two points already give a (zero-dof) fit.
 */
export function weightedLineFit(x: number[], y: number[], se: number[]): LineFit {
  const K = x.length;
  if (K < 2 || y.length !== K || se.length !== K) throw new RangeError('a line fit needs at least two points');
  let S = 0;
  let Sx = 0;
  let Sy = 0;
  let Sxx = 0;
  let Sxy = 0;
  for (let k = 0; k < K; k++) {
    const w = 1 / (se[k] * se[k]);
    if (!Number.isFinite(w)) throw new RangeError('every point of a fit needs a positive standard error');
    S += w;
    Sx += w * x[k];
    Sy += w * y[k];
    Sxx += w * x[k] * x[k];
    Sxy += w * x[k] * y[k];
  }
  const D = S * Sxx - Sx * Sx;
  const a = (Sxx * Sy - Sx * Sxy) / D;
  const b = (S * Sxy - Sx * Sy) / D;
  let chi2 = 0;
  for (let k = 0; k < K; k++) chi2 += ((y[k] - a - b * x[k]) / se[k]) ** 2;
  const dof = K - 2;
  return { a, aSe: Math.sqrt(Sxx / D), b, bSe: Math.sqrt(S / D), covAB: -Sx / D, chi2, dof, chi2P: dof > 0 ? chi2Survival(chi2, dof) : null };
}

/** P(X > x) for X ~ chi^2(k), via the regularised upper incomplete gamma function. */
export function chi2Survival(x: number, k: number): number {
  return gammaQ(k / 2, x / 2);
}

function gammaQ(a: number, x: number): number {
  if (x <= 0) return 1;
  const lnGa = lnGammaSmall(a);
  if (x < a + 1) {
    // series for P
    let sum = 1 / a;
    let term = sum;
    for (let n = 1; n < 1000; n++) {
      term *= x / (a + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * 1e-15) break;
    }
    return Math.max(0, 1 - sum * Math.exp(-x + a * Math.log(x) - lnGa));
  }
  // continued fraction for Q (Lentz)
  let b = x + 1 - a;
  let c = 1 / 1e-300;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 1000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < 1e-300) d = 1e-300;
    c = b + an / c;
    if (Math.abs(c) < 1e-300) c = 1e-300;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-15) break;
  }
  return Math.exp(-x + a * Math.log(x) - lnGa) * h;
}

function lnGammaSmall(z: number): number {
  // Lanczos (g = 7, n = 9)
  const g = 7;
  const p = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (z < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * z))) - lnGammaSmall(1 - z);
  z -= 1;
  let x = p[0];
  for (let i = 1; i < g + 2; i++) x += p[i] / (z + i);
  const t = z + g + 0.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(x);
}
