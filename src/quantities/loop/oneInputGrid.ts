/** One input, any activation: the heat-flow grid (O(L n log n)), with Richardson extrapolation for kinked activations. */
import { NumericalError } from '../../model/errors';
import { OneLoopTable, OneLoopOptions, Params, meanField1, richardson } from './common';
import { Res1Layers, assembleResidual1 } from './oneInput';
import { fftReal, omegas, R_TAIL, MAX_N1, nextPow2, defaultStep, trapezoidCheck } from './gridCommon';
import { plainMath } from '../../numeric/plainMath';
import { progressTick } from '../../io/progress';
// A plain-object copy of Math: under jest the global Math is a proxy and each Math.* access costs ~1 us.
const Math = plainMath();

// =======================================================================================
// Heat flow, one input

export function residual1Grid(P: Params, h: number): { t: OneLoopTable; n: number } {
  const { K, C } = meanField1(P);
  const { a, sw2, L } = P;
  const Kmax = K[L];
  const half = R_TAIL * Math.sqrt(Kmax) + 2;
  const n = nextPow2((2 * half) / h);
  if (n > MAX_N1) throw new NumericalError(`one-loop heat-flow grid would need ${n} points (kernel variance ${Kmax.toExponential(3)} at step ${h}); not supported`);
  const y = new Float64Array(n);
  const g = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = (i - n / 2) * h;
    const f = P.act.f64(y[i]);
    g[i] = sw2 * f * f;
    if (!Number.isFinite(g[i])) throw new NumericalError(`one-loop: phi not finite at ${y[i]}`);
  }
  const G = new Float64Array(2 * n);
  fftReal(g, G);
  const w = omegas(n, h);
  const w2 = new Float64Array(n);
  for (let k = 0; k < n; k++) w2[k] = w[k] * w[k];
  const U = new Float64Array(2 * n);
  const src = new Float64Array(n);
  const S = new Float64Array(2 * n);
  const lay: Res1Layers = { mu: [NaN], d2m: [NaN], Vll: [NaN], u: [NaN], Q: [NaN], Mem: [NaN] };
  const norm = h / n;
  for (let l = 1; l <= L; l++) {
    progressTick(l, L);
    const Kp = K[l - 1];
    const cst = h / Math.sqrt(2 * Math.PI * Kp);
    let Eg = 0;
    let E1 = 0;
    let E2 = 0;
    let Egg = 0;
    let Egy = 0;
    for (let i = 0; i < n; i++) {
      const t2 = (y[i] * y[i]) / Kp;
      if (t2 > 2 * 745) {
        src[i] = 0;
        continue;
      }
      const pw = cst * Math.exp(-0.5 * t2);
      src[i] = pw;
      const gp = g[i] * pw;
      Eg += gp;
      E1 += gp * (t2 - 1);
      E2 += gp * (t2 * t2 - 6 * t2 + 3);
      Egg += gp * g[i];
      Egy += gp * y[i] * y[i];
    }
    const dm = E1 / (2 * Kp);
    lay.mu.push(a * dm);
    lay.d2m.push(E2 / (4 * Kp * Kp));
    lay.Vll.push(Egg - Eg * Eg);
    lay.u.push(Egy - Eg * Kp);
    let Q = 0;
    let Mem = 0;
    for (let k = 0; k < n; k++) {
      const re = G[2 * k] * U[2 * k] + G[2 * k + 1] * U[2 * k + 1];
      Q += re;
      Mem += re * w2[k];
    }
    lay.Q.push(norm * Q);
    lay.Mem.push(-0.5 * norm * Mem);
    // U <- heat_{a C^l} [ (1 + mu) U + (g - Eg) p ]   (densities per unit length)
    const inv = 1 / h;
    for (let i = 0; i < n; i++) src[i] = (g[i] - Eg) * src[i] * inv;
    fftReal(src, S);
    const f = 1 + a * dm;
    const D = a * C[l];
    for (let k = 0; k < n; k++) {
      const e = Math.exp(-0.5 * D * w2[k]);
      U[2 * k] = e * (f * U[2 * k] + S[2 * k]);
      U[2 * k + 1] = e * (f * U[2 * k + 1] + S[2 * k + 1]);
    }
  }
  return { t: assembleResidual1(P, K, lay), n };
}
export const KEYS1: (keyof OneLoopTable)[] = ['k1', 'c1', 'varC', 'varK', 'c1_curvature'];

export function residual1ByGrid(P: Params, opts: OneLoopOptions): OneLoopTable {
  let h = opts.gridStep ?? defaultStep(P.act, P.q0);
  const smooth = P.act.continuity === 'smooth';
  if (opts.gridStep === undefined && smooth) h = resolvedStep(P, h);
  if (smooth || opts.richardson === false) {
    const r = residual1Grid(P, h);
    r.t.info = { method: 'grid', gridStep: h, gridPoints: r.n };
    return r.t;
  }
  const r1 = residual1Grid(P, h);
  const r2 = residual1Grid(P, h / 2);
  const rr = richardson(r1.t, r2.t, KEYS1);
  rr.t.info = { method: 'grid+richardson', gridStep: h / 2, gridPoints: r2.n, errorEstimate: rr.err };
  return rr.t;
}

/**
 * Self-check of the grid resolution for smooth activations: the grid's <phi^2> and <phi^4> at
 * the input variance must equal the adaptive quadrature's; halve the step until they do.
 */
export function resolvedStep(P: Params, h0: number): number {
  const resolves = trapezoidCheck(P.act, P.q0);
  let h = h0;
  for (let it = 0; it < 6; it++) {
    if (resolves(h)) return h;
    h /= 2;
  }
  return h;
}
