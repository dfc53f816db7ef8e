/**
 * What is measured on every simulated network, layer by layer, and how it is accumulated.
 *
 * Series (each of length depth + 1, index = layer):
 *   K_a_b   K_hat^l_ab = (1/N) sum_i h^l_ia h^l_ib                     for the recorded pairs
 *   C_a_b   C_hat^l_ab = sb2 + (sw2/N) sum_j phi(h^(l-1)_ja) phi(h^(l-1)_jb)   (l >= 1; 0 at l = 0)
 *   corr    c_hat^l = K_hat_01 / sqrt(K_hat_00 K_hat_11)                (two or more inputs)
 *   sens    (c_hat^l(x_0, x_2) - c_hat^l(x_0, x_3)) / (2 delta): dc^l/dc^0 by a central
 *           difference, inputs 2 and 3 at correlation c0 + delta and c0 - delta with x_0
 *   jvp     (1/N) |J^l v|^2 for a random direction v ~ N(0, I_N) in the input layer of input 0
 *   m4      (1/N) sum_i (h^l_i0)^4, for the excess kurtosis of a neuron: E[h^4] / E[h^2]^2 - 3
 *
 * Products across layers (for covariances): K_0_0 x K_0_0 and C_0_0 x C_0_0 for all pairs of
 * layers (when depth <= crossLayerMaxDepth), and K_0_0 x m4 at equal layers (kurtosis).
 */
import { LayerView } from './samplers';
import { MomentLayout, momentLayout } from './stats';

// Math functions bound once: under jest 30 the global Math is a proxy, and a call through it
// costs a microsecond (200x slower); a local binding is a plain function call everywhere.
const { sqrt } = Math;

export interface ObservationPlan {
  depth: number;
  P: number;
  /** Recorded kernel entries (a <= b). */
  pairs: [number, number][];
  /** c_hat of inputs 0 and 1. */
  corr: boolean;
  /** Central-difference sensitivity with inputs 2, 3 at c0 +- delta (needs P = 4). */
  sensitivityDelta: number | null;
  /** jvp series (needs one tangent on input 0). */
  jvp: boolean;
  kurtosis: boolean;
  /** Cross-layer products of K_0_0 and C_0_0. */
  crossLayer: boolean;
}

export const CROSS_LAYER_MAX_DEPTH = 200;

export interface SeriesIndex {
  names: string[];
  /** name -> offset of layer 0 in the sample vector. */
  offset: Record<string, number>;
  size: number;
}

export function seriesIndex(plan: ObservationPlan): SeriesIndex {
  const names: string[] = [];
  for (const [a, b] of plan.pairs) names.push(`K_${a}_${b}`);
  for (const [a, b] of plan.pairs) names.push(`C_${a}_${b}`);
  if (plan.corr) names.push('corr');
  if (plan.sensitivityDelta !== null) names.push('sens');
  if (plan.jvp) names.push('jvp');
  if (plan.kurtosis) names.push('m4');
  const L1 = plan.depth + 1;
  const offset: Record<string, number> = {};
  names.forEach((n, k) => (offset[n] = k * L1));
  return { names, offset, size: names.length * L1 };
}

/** The accumulator layout of a plan. */
export function planLayout(plan: ObservationPlan): MomentLayout {
  const idx = seriesIndex(plan);
  const pairs: number[] = [];
  const L = plan.depth;
  if (plan.crossLayer) {
    const k = idx.offset['K_0_0'];
    for (let l = 0; l <= L; l++) for (let m = l + 1; m <= L; m++) pairs.push(k + l, k + m);
    const c = idx.offset['C_0_0'];
    for (let l = 1; l <= L; l++) for (let m = l + 1; m <= L; m++) pairs.push(c + l, c + m);
  }
  if (plan.kurtosis) {
    const k = idx.offset['K_0_0'];
    const m4 = idx.offset['m4'];
    for (let l = 0; l <= L; l++) pairs.push(k + l, m4 + l);
  }
  return momentLayout(idx.size, Int32Array.from(pairs));
}

/** Index of the cross-layer pair (series, l, m) in layout.pairs / 2, for l < m. */
export function crossPairIndex(plan: ObservationPlan, series: 'K_0_0' | 'C_0_0' | 'kurt', l: number, m: number): number {
  const L = plan.depth;
  let base = 0;
  const nK = ((L + 1) * L) / 2;
  const nC = (L * (L - 1)) / 2;
  if (series === 'kurt') return (plan.crossLayer ? nK + nC : 0) + l;
  if (!plan.crossLayer) throw new RangeError('no cross-layer products in this plan');
  if (series === 'C_0_0') {
    base = nK;
    // layers 1..L: offset of row l (1-based) among rows 1..L
    const r = l - 1;
    const Lc = L; // number of C layers
    return base + (r * (2 * Lc - r - 1)) / 2 + (m - l - 1);
  }
  return base + (l * (2 * (L + 1) - l - 1)) / 2 + (m - l - 1);
}

/** An observer filling one sample vector x from the layers of one network. */
export function makeObserver(plan: ObservationPlan, N: number): { x: Float64Array; observe: (v: LayerView) => void } {
  const idx = seriesIndex(plan);
  const x = new Float64Array(idx.size);
  const pairs = plan.pairs.map(([a, b]) => ({ a, b, k: idx.offset[`K_${a}_${b}`], c: idx.offset[`C_${a}_${b}`] }));
  const oCorr = plan.corr ? idx.offset['corr'] : -1;
  const oSens = plan.sensitivityDelta !== null ? idx.offset['sens'] : -1;
  const delta = plan.sensitivityDelta ?? 1;
  const oJvp = plan.jvp ? idx.offset['jvp'] : -1;
  const oM4 = plan.kurtosis ? idx.offset['m4'] : -1;
  const inv = 1 / N;
  const kdot = (h: Float64Array, a: number, b: number): number => {
    let s = 0;
    const oa = a * N;
    const ob = b * N;
    for (let i = 0; i < N; i++) s += h[oa + i] * h[ob + i];
    return s * inv;
  };
  const observe = (v: LayerView): void => {
    const l = v.layer;
    const h = v.h;
    const P = v.P;
    for (const p of pairs) {
      x[p.k + l] = kdot(h, p.a, p.b);
      x[p.c + l] = v.C ? v.C[p.a * P + p.b] : 0;
    }
    if (oCorr >= 0 || oSens >= 0) {
      const k00 = oCorr >= 0 || oSens >= 0 ? kdot(h, 0, 0) : 0;
      if (oCorr >= 0) x[oCorr + l] = kdot(h, 0, 1) / sqrt(k00 * kdot(h, 1, 1));
      if (oSens >= 0) {
        const cp = kdot(h, 0, 2) / sqrt(k00 * kdot(h, 2, 2));
        const cm = kdot(h, 0, 3) / sqrt(k00 * kdot(h, 3, 3));
        x[oSens + l] = (cp - cm) / (2 * delta);
      }
    }
    if (oJvp >= 0) {
      let s = 0;
      const t = v.t;
      for (let i = 0; i < N; i++) s += t[i] * t[i];
      x[oJvp + l] = s * inv;
    }
    if (oM4 >= 0) {
      let s = 0;
      for (let i = 0; i < N; i++) {
        const y = h[i] * h[i];
        s += y * y;
      }
      x[oM4 + l] = s * inv;
    }
  };
  return { x, observe };
}
