/** Test helper: comparing one-loop tables (arrays indexed by layer, null where undefined). */

/**
 * The largest |a_l - b_l| relative to the largest |b_l| (at least `floor`); entries null in one
 * array must be null in the other (a failed expectation otherwise).
 */
export function maxRelDiff(a: (number | null)[], b: (number | null)[], floor = 1e-9): number {
  let scale = floor;
  for (const x of b) if (x !== null) scale = Math.max(scale, Math.abs(x));
  let d = 0;
  a.forEach((x, i) => {
    const y = b[i];
    if (x === null || y === null) {
      expect(x).toBe(y);
      return;
    }
    d = Math.max(d, Math.abs(x - y) / scale);
  });
  return d;
}

/** Weighted least squares y = a + b/N: intercept and its standard error. */
export function fitIntercept(N: number[], y: number[], se: number[]): { a: number; se: number } {
  let s00 = 0;
  let s01 = 0;
  let s11 = 0;
  let t0 = 0;
  let t1 = 0;
  N.forEach((n, i) => {
    const w = 1 / (se[i] * se[i]);
    const x = 1 / n;
    s00 += w;
    s01 += w * x;
    s11 += w * x * x;
    t0 += w * y[i];
    t1 += w * x * y[i];
  });
  const det = s00 * s11 - s01 * s01;
  return { a: (s11 * t0 - s01 * t1) / det, se: Math.sqrt(s11 / det) };
}

/** Phi^{-1}(1 - p) for small p (Acklam-free: bisection on erfc). */
export function zQuantile(p: number): number {
  const tail = (z: number) => 0.5 * erfc(z / Math.SQRT2);
  let lo = 0;
  let hi = 40;
  for (let i = 0; i < 200; i++) {
    const m = 0.5 * (lo + hi);
    if (tail(m) > p) lo = m;
    else hi = m;
  }
  return 0.5 * (lo + hi);
}
function erfc(x: number): number {
  // Numerical Recipes erfcc (relative error < 1.2e-7), adequate for a threshold
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? r : 2 - r;
}
