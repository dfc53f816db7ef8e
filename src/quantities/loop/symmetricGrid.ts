/**
 * The two-input heat flow of a residual network on the rotated grid, using the inputs' symmetry.
 *
 * Both inputs have the variance q0, so swapping them (y1 <-> y2, on the rotated grid v -> -v, in
 * Fourier space the frequency index j -> n2 - j) maps the problem onto itself: the 22 entry is
 * the mirror image of the 11 entry. Of the three carried fields U_f only U_11 and U_12 are
 * propagated (U_22(y1, y2) = U_11(y2, y1), U_12 symmetric), one complex FFT per layer carries the
 * two sources (g_11 - E g_11) p and (g_12 - E g_12) p, and the density's transform, needed for
 * J and H, is the Gaussian's own exp(-w^T K w / 2) (a product of two 1D tables) instead of an FFT.
 * The rows of J, H, Q and Mem that belong to the 22 entry follow from those of the 11 entry:
 * with s = (22, 12, 11) the swap of the entries,
 *   J[22][f] = J[11][s f],  H[22][f][f'] = H[11][s f][s f'],  Q[22][e] = Q[11][s e],  Q[12][22] = Q[12][11],
 *   Mem_e = sum_w conj(G_e) (m_11 U_11 + m_12 U_12 + m_22 U_22) = sum_w m_11 (conj G_e + conj G_(s e)) U_11 + m_12 conj G_e U_12.
 * The fields are transforms of real functions (X(-w) = conj X(w)) and every Fourier sum is even in
 * w, so the sums and the propagation run over the rows 0 .. n1/2 only (the others are filled by
 * conjugation before a stage change). The per-layer algebra (Tables12) is the general kernel's;
 * the results agree with it to rounding for smooth activations and within the discretisation
 * error for relu, whose sources keep some weight at the Nyquist frequency, where the two kernels
 * differ (test/loop.deep.test.ts), in about a third of its time.
 */
import { Params } from './common';
import { fft2, unpack2, transferField, checkGrid2, stageArrays, densityMoments, Tables12, Grid2, MF2, M3, Table12, LastLayer12 } from './twoInputGrid';
import { plainMath } from '../../numeric/plainMath';
import { progressTick } from '../../io/progress';
// A plain-object copy of Math: under jest the global Math is a proxy and each Math.* access costs ~1 us.
const Math = plainMath();

const SWAP = [2, 1, 0];

/** The transform of a real field from its rows 0 .. n1/2: X[n1 - i][n2 - j] = conj X[i][j]. */
function fillConjugate(X: Float64Array, n1: number, n2: number): Float64Array {
  for (let i = (n1 >> 1) + 1; i < n1; i++) {
    const im = n1 - i;
    for (let j = 0; j < n2; j++) {
      const jm = j === 0 ? 0 : n2 - j;
      const k = 2 * (n2 * i + j);
      const km = 2 * (n2 * im + jm);
      X[k] = X[km];
      X[k + 1] = -X[km + 1];
    }
  }
  return X;
}

export function twoInputGridSymmetric(mf: MF2, P: Params, grid: Grid2): { t: Table12; t11: Table12; last: LastLayer12 } {
  if (!grid.rotated || !P.residual) throw new RangeError('the symmetric two-input kernel needs a rotated grid and a residual network');
  const { a, sw2, L } = P;
  checkGrid2(grid, L);
  let maxN = 0;
  for (const s of grid.stages) maxN = Math.max(maxN, s.n1, s.n2);
  const buf = new Float64Array(2 * maxN);
  const bufOut = new Float64Array(2 * maxN);
  // the density's transform on the two axes
  const phA = new Float64Array(maxN);
  const phB = new Float64Array(maxN);
  const r2 = Math.SQRT1_2;
  let cur = stageArrays(grid.stages[0], true, P, buf, bufOut);
  let nextStage = 1;
  let U0: Float64Array = new Float64Array(2 * cur.nn);
  let U1: Float64Array = new Float64Array(2 * cur.nn);
  const res12 = new Tables12(mf, a);
  for (let l = 1; l <= L; l++) {
    progressTick(l, L);
    if (nextStage < grid.stages.length && grid.stages[nextStage].from === l) {
      const old = cur.st;
      const s = grid.stages[nextStage++];
      U0 = transferField(fillConjugate(U0, old.n1, old.n2), old, s, buf, bufOut);
      U1 = transferField(fillConjugate(U1, old.n1, old.n2), old, s, buf, bufOut);
      cur = stageArrays(s, true, P, buf, bufOut);
    }
    const { n1, n2, norm, wA, wB, eA, eB, packA, g, G, p, src } = cur;
    const k11 = mf.q[l - 1];
    const k12 = mf.k12[l - 1];
    const { Eg, V, Um } = densityMoments(cur, true, sw2, k11, k12, l - 1);
    const [E0, E1] = Eg;
    // the principal axes' variances
    const ku = k11 + k12;
    const kv = k11 - k12;
    // the two sources in one complex FFT
    const g0a = g[0];
    const g1a = g[1];
    const nn = n1 * n2;
    for (let k = 0; k < nn; k++) {
      const pk = p[k];
      packA[2 * k] = (g0a[k] - E0) * pk;
      packA[2 * k + 1] = (g1a[k] - E1) * pk;
    }
    fft2(packA, n1, n2, false, buf, bufOut);
    const S0 = src[0];
    const S1 = src[1];
    unpack2(packA, n1, n2, S0, S1);
    // the density's DFT: (-1)^(i+j) exp(-(ku wA^2 + kv wB^2)/2) / (hA hB) (position 0 at index n/2)
    for (let i = 0; i < n1; i++) phA[i] = ((i & 1 ? -1 : 1) * Math.exp(-0.5 * ku * wA[i] * wA[i])) / cur.hA;
    for (let j = 0; j < n2; j++) phB[j] = ((j & 1 ? -1 : 1) * Math.exp(-0.5 * kv * wB[j] * wB[j])) / cur.hB;
    const G0 = G[0], G1 = G[1], G2 = G[2];
    // J rows 11, 12; H rows 11, 12 (pairs 00, 01, 02, 11, 12, 22); Q[f][e] for f = 11, 12; Mem_11, Mem_12
    let j00 = 0, j01 = 0, j02 = 0, j10 = 0, j11 = 0, j12 = 0;
    let h000 = 0, h001 = 0, h002 = 0, h011 = 0, h012 = 0, h022 = 0;
    let h100 = 0, h101 = 0, h102 = 0, h111 = 0, h112 = 0, h122 = 0;
    let q00 = 0, q01 = 0, q02 = 0, q10 = 0, q11 = 0;
    let M0 = 0, M1 = 0;
    // every summand is even in w (the fields are transforms of real functions): rows 0 and n1/2
    // once, rows 1 .. n1/2 - 1 twice for their mirror rows n1 - i
    const rows = n1 >> 1;
    for (let i = 0; i <= rows; i++) {
      const wa = wA[i];
      const wt = i === 0 || i === rows ? 1 : 2;
      const pha = phA[i] * wt;
      for (let j = 0; j < n2; j++) {
        const k = 2 * (n2 * i + j);
        const wb = wB[j];
        const wi = r2 * (wa + wb);
        const wj = r2 * (wa - wb);
        const m0 = -0.5 * wi * wi;
        const m1 = -wi * wj;
        const m2 = -0.5 * wj * wj;
        const ph = pha * phB[j];
        const g0r = G0[k], g0i = G0[k + 1], g1r = G1[k], g1i = G1[k + 1];
        const gp0 = g0r * ph;
        const gp1 = g1r * ph;
        const mm00 = m0 * m0, mm01 = m0 * m1, mm02 = m0 * m2, mm11 = m1 * m1, mm12 = m1 * m2, mm22 = m2 * m2;
        j00 += gp0 * m0; j01 += gp0 * m1; j02 += gp0 * m2;
        j10 += gp1 * m0; j11 += gp1 * m1; j12 += gp1 * m2;
        h000 += gp0 * mm00; h001 += gp0 * mm01; h002 += gp0 * mm02; h011 += gp0 * mm11; h012 += gp0 * mm12; h022 += gp0 * mm22;
        h100 += gp1 * mm00; h101 += gp1 * mm01; h102 += gp1 * mm02; h111 += gp1 * mm11; h112 += gp1 * mm12; h122 += gp1 * mm22;
        const u0r = wt * U0[k], u0i = wt * U0[k + 1], u1r = wt * U1[k], u1i = wt * U1[k + 1];
        const a00 = g0r * u0r + g0i * u0i;
        const a10 = g1r * u0r + g1i * u0i;
        const a20 = G2[k] * u0r + G2[k + 1] * u0i;
        const a01 = g0r * u1r + g0i * u1i;
        const a11 = g1r * u1r + g1i * u1i;
        q00 += a00; q01 += a10; q02 += a20; q10 += a01; q11 += a11;
        M0 += m0 * (a00 + a20) + m1 * a01;
        M1 += 2 * m0 * a10 + m1 * a11;
      }
    }
    const J: M3 = [
      [j00, j01, j02],
      [j10, j11, j12],
      [j02, j01, j00],
    ].map((r) => r.map((x) => x * norm));
    const pair = (row: number[]): M3 => [
      [row[0], row[1], row[2]],
      [row[1], row[3], row[4]],
      [row[2], row[4], row[5]],
    ];
    const H0 = pair([h000, h001, h002, h011, h012, h022].map((x) => x * norm));
    const H1 = pair([h100, h101, h102, h111, h112, h122].map((x) => x * norm));
    const H = [H0, H1, SWAP.map((f) => SWAP.map((f2) => H0[f][f2]))];
    const Q: M3 = [
      [q00, q01, q02],
      [q10, q11, q10],
      [q02, q01, q00],
    ].map((r) => r.map((x) => x * norm));
    const Mem = [M0 * norm, M1 * norm, M0 * norm];
    const Pm = res12.layer(J, H, Q, Mem, V, Um);
    // U_f <- heat_{a C^l} [ sum_f' P[f][f'] U_f' + (g_f - Eg_f) p ], U_22 = the mirror image of U_11
    const D11 = a * mf.C11[l];
    const D12 = a * mf.C12[l];
    for (let i = 0; i < n1; i++) eA[i] = Math.exp(-0.5 * (D11 + D12) * wA[i] * wA[i]);
    for (let j = 0; j < n2; j++) eB[j] = Math.exp(-0.5 * (D11 - D12) * wB[j] * wB[j]);
    const p00 = Pm[0][0], p01 = Pm[0][1], p02 = Pm[0][2], p10 = Pm[1][0], p11 = Pm[1][1], p12 = Pm[1][2];
    const half = n2 >> 1;
    // rows 0 .. n1/2 only: the others are their complex conjugates (fillConjugate, when needed)
    for (let i = 0; i <= rows; i++) {
      const ea = eA[i];
      for (let j = 0; j <= half; j++) {
        const jm = j === 0 ? 0 : n2 - j;
        const k = 2 * (n2 * i + j);
        const km = 2 * (n2 * i + jm);
        const e = ea * eB[j];
        const x0r = U0[k], x0i = U0[k + 1], x1r = U1[k], x1i = U1[k + 1];
        const y0r = U0[km], y0i = U0[km + 1], y1r = U1[km], y1i = U1[km + 1];
        U0[k] = e * (S0[k] + p00 * x0r + p01 * x1r + p02 * y0r);
        U0[k + 1] = e * (S0[k + 1] + p00 * x0i + p01 * x1i + p02 * y0i);
        U1[k] = e * (S1[k] + p10 * x0r + p11 * x1r + p12 * y0r);
        U1[k + 1] = e * (S1[k + 1] + p10 * x0i + p11 * x1i + p12 * y0i);
        if (km !== k) {
          U0[km] = e * (S0[km] + p00 * y0r + p01 * y1r + p02 * x0r);
          U0[km + 1] = e * (S0[km + 1] + p00 * y0i + p01 * y1i + p02 * x0i);
          U1[km] = e * (S1[km] + p10 * y0r + p11 * y1r + p12 * x0r);
          U1[km + 1] = e * (S1[km + 1] + p10 * y0i + p11 * y1i + p12 * x0i);
        }
      }
    }
    res12.record(l);
  }
  return res12.result();
}
