/**
 * Phase diagrams (float64; the numbers of a plot, each computed, not interpolated):
 *
 * 1. The (sw2, sb2) plane of a feed-forward network: at every grid point the length fixed point
 *    q*, chi1 = sw2 <phi'^2>_{q*}, the correlation fixed point c* (1 in the ordered phase, the
 *    root of c = (sb2 + sw2 <phi_1 phi_2>_{q*, c q*}) / q* below 1 in the chaotic phase), its
 *    slope chi_c = sw2 <phi'_1 phi'_2> and the correlation depth scale xi_c = -1/ln chi_c; the
 *    critical line sw2_c(sb2) (chi1 = 1, from criticalPoint) and contour lines of xi_c (marching
 *    squares on log xi_c, then every contour point checked by recomputing xi_c there).
 * 2. The (alpha, sw2) plane of a residual network at given depth: the mean-field correlation
 *    sensitivity S = dc^L/dc^0 (sensitivity64) on the grid, and the optimal alpha*(sw2) where S
 *    has an interior maximum over the alpha grid (golden section between the grid neighbours).
 */
import { Activation } from '../model/activation';
import { Network, withChanges } from '../model/network';
import { InputError, NumericalError } from '../model/errors';
import { float64Interp } from '../interpret/numeric';
import { phiPhi } from './moments';
import { qStar, criticalPoint } from './fixedpoint';
import { sensitivity64 } from './optimal';
import { derivPair, derivSquare } from './ntk';
import { plainMath } from '../numeric/plainMath';
// A plain-object copy of Math: under jest the global Math is a proxy and each Math.* access costs ~1 us.
const Math = plainMath();

/** A linear grid "a:b:n": n points from a to b inclusive. */
export interface Grid {
  lo: number;
  hi: number;
  n: number;
  values: number[];
}

const NUM = '[+-]?(?:\\d+\\.?\\d*|\\.\\d+)(?:[eE][+-]?\\d+)?';
const GRID_RE = new RegExp(`^(${NUM}):(${NUM}):(\\d+)$`);

export function parseGrid(name: string, text: string, range: { min: number; max?: number; minExclusive?: boolean; what: string }, maxPoints = 200): Grid {
  const m = GRID_RE.exec(String(text).trim());
  if (!m) throw new InputError(name, `expected a grid "from:to:points" such as "0.5:4:21" (${range.what}), got "${text}"`);
  const lo = Number(m[1]);
  const hi = Number(m[2]);
  const n = Number(m[3]);
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) throw new InputError(name, `grid ends must be finite, got "${text}"`);
  if (!(n >= 2 && n <= maxPoints)) throw new InputError(name, `the number of grid points must be an integer in 2..${maxPoints}, got ${m[3]}`);
  if (!(hi > lo)) throw new InputError(name, `the grid needs from < to, got "${text}"`);
  const bad = (x: number): boolean => (range.minExclusive ? x <= range.min : x < range.min) || (range.max !== undefined && x > range.max);
  if (bad(lo) || bad(hi)) throw new InputError(name, `grid values must be ${range.what}, got "${text}"`);
  const values = Array.from({ length: n }, (_, i) => (i === n - 1 ? hi : lo + ((hi - lo) * i) / (n - 1)));
  return { lo, hi, n, values };
}

export interface PhasePoint {
  sw2: number;
  sb2: number;
  /** null when the length map has no positive finite fixed point. */
  q_star: number | null;
  chi1: number | null;
  c_star: number | null;
  chi_c: number | null;
  /** null where undefined (no fixed point, or chi_c = 1: infinite). */
  xi_c: number | null;
  phase: 'ordered' | 'chaotic' | 'critical' | 'undefined';
}

/** Fixed point, chi1, c*, chi_c, xi_c at one (sw2, sb2) of a feed-forward network. */
export function phasePoint(act: Activation, sw2: number, sb2: number): PhasePoint {
  const I = float64Interp;
  const out: PhasePoint = { sw2, sb2, q_star: null, chi1: null, c_star: null, chi_c: null, xi_c: null, phase: 'undefined' };
  let q: number;
  if (act.homogeneousDegree === 1) {
    const chi = sw2 * derivSquare(I, act, 1);
    out.chi1 = chi;
    if (chi >= 1 || sb2 === 0) {
      // q -> sb2 + chi1 q: no positive finite fixed point (q* = 0 for sb2 = 0 and chi1 < 1).
      out.phase = chi > 1 ? 'chaotic' : chi < 1 ? 'ordered' : 'critical';
      return out;
    }
    q = sb2 / (1 - chi);
  } else {
    try {
      q = qStar(I, act, String(sw2), String(sb2));
    } catch (e) {
      if (e instanceof NumericalError) return out;
      throw e;
    }
    if (q === 0) {
      // q* = 0 (phi(0) = 0, sb2 = 0): chi1 = sw2 phi'(0)^2, and c* = 1 with chi_c = chi1 (as in fixedPoint).
      const d0 = act.derivative().f64(0);
      const chi = sw2 * d0 * d0;
      out.q_star = 0;
      out.chi1 = chi;
      out.phase = chi < 1 ? 'ordered' : chi > 1 ? 'chaotic' : 'critical';
      if (chi <= 1) {
        out.c_star = 1;
        out.chi_c = chi;
        out.xi_c = chi < 1 && chi > 0 ? -1 / Math.log(chi) : null;
      }
      return out;
    }
    if (!(q > 0)) return out;
  }
  out.q_star = q;
  const chi1 = sw2 * derivSquare(I, act, q);
  out.chi1 = chi1;
  if (chi1 <= 1) {
    out.c_star = 1;
    out.chi_c = chi1;
    out.phase = chi1 < 1 ? 'ordered' : 'critical';
    out.xi_c = chi1 < 1 ? -1 / Math.log(chi1) : null;
    return out;
  }
  out.phase = 'chaotic';
  const g = (c: number): number => (sb2 + sw2 * phiPhi(I, act, q, c * q, q)) / q - c;
  // Bracket: g(0) = (sb2 + sw2 <phi>^2)/q* >= 0; g < 0 just below 1 (slope chi1 > 1 at the
  // fixed point c = 1). When g(0) = 0 (odd phi, sb2 = 0), c* = 0 unless 0 is unstable.
  let lo = 0;
  let glo = g(lo);
  if (glo < 0) return out;
  if (glo === 0) {
    const eps = 1e-6;
    const ge = g(eps);
    if (!(ge > 0)) {
      lo = 0;
      glo = 0;
    } else {
      lo = eps;
      glo = ge;
    }
  }
  if (glo === 0) {
    out.c_star = 0;
    const chi0 = sw2 * derivPair(I, act, q, 0, q);
    out.chi_c = chi0;
    out.xi_c = chi0 < 1 && chi0 > 0 ? -1 / Math.log(chi0) : null;
    return out;
  }
  let hi = NaN;
  let ghi = NaN;
  for (let k = 1; k <= 12; k++) {
    const c = 1 - 10 ** -k;
    const gc = g(c);
    if (gc < 0) {
      hi = c;
      ghi = gc;
      break;
    }
    lo = c;
    glo = gc;
  }
  if (!Number.isFinite(hi)) return out; // c* closer to 1 than 1e-12: xi_c beyond resolution
  // Illinois regula falsi.
  let side = 0;
  let c: number;
  for (let it = 0; it < 100 && hi - lo > 1e-14; it++) {
    c = (lo * ghi - hi * glo) / (ghi - glo);
    const gc = g(c);
    if (gc === 0) {
      lo = hi = c;
      break;
    }
    if (gc > 0) {
      lo = c;
      glo = gc;
      if (side === 1) ghi /= 2;
      side = 1;
    } else {
      hi = c;
      ghi = gc;
      if (side === -1) glo /= 2;
      side = -1;
    }
  }
  const cs = 0.5 * (lo + hi);
  out.c_star = cs;
  const chiC = sw2 * derivPair(I, act, q, cs * q, q);
  out.chi_c = chiC;
  out.xi_c = chiC < 1 && chiC > 0 ? -1 / Math.log(chiC) : null;
  return out;
}

export interface ContourLine {
  level: number;
  /** Segments [sw2_a, sb2_a, sw2_b, sb2_b]. */
  segments: [number, number, number, number][];
}

/**
 * Marching squares on z = ln xi_c over the grid (rows: sb2, columns: sw2); cells with an
 * undefined corner are skipped. Linear interpolation along cell edges.
 */
export function contours(sw2: number[], sb2: number[], xi: (number | null)[][], levels: number[]): ContourLine[] {
  const out: ContourLine[] = [];
  for (const level of levels) {
    const zl = Math.log(level);
    const segs: [number, number, number, number][] = [];
    for (let r = 0; r + 1 < sb2.length; r++) {
      for (let c = 0; c + 1 < sw2.length; c++) {
        const corners: [number, number, number | null][] = [
          [sw2[c], sb2[r], xi[r][c]],
          [sw2[c + 1], sb2[r], xi[r][c + 1]],
          [sw2[c + 1], sb2[r + 1], xi[r + 1][c + 1]],
          [sw2[c], sb2[r + 1], xi[r + 1][c]],
        ];
        if (corners.some((p) => p[2] === null || !(p[2] > 0))) continue;
        const z = corners.map((p) => Math.log(p[2] as number) - zl);
        const pts: [number, number][] = [];
        for (let e = 0; e < 4; e++) {
          const a = corners[e];
          const b = corners[(e + 1) % 4];
          const za = z[e];
          const zb = z[(e + 1) % 4];
          if ((za < 0 && zb >= 0) || (za >= 0 && zb < 0)) {
            const t = za / (za - zb);
            pts.push([a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])]);
          }
        }
        if (pts.length === 2) segs.push([pts[0][0], pts[0][1], pts[1][0], pts[1][1]]);
        else if (pts.length === 4) {
          // Saddle: pair by the centre value.
          const centre = (z[0] + z[1] + z[2] + z[3]) / 4;
          if ((centre >= 0) === (z[0] >= 0)) {
            segs.push([pts[0][0], pts[0][1], pts[3][0], pts[3][1]], [pts[1][0], pts[1][1], pts[2][0], pts[2][1]]);
          } else {
            segs.push([pts[0][0], pts[0][1], pts[1][0], pts[1][1]], [pts[2][0], pts[2][1], pts[3][0], pts[3][1]]);
          }
        }
      }
    }
    out.push({ level, segments: segs });
  }
  return out;
}

/**
 * sw2 on the critical line at sb2 (null where there is none). At sb2 = 0 with phi(0) = 0 (smooth)
 * the critical point can sit at q* = 0, where chi1 = sw2 phi'(0)^2: sw2_c = 1/phi'(0)^2 when the
 * search over q* > 0 finds no root or only one below 1e-6 (the approach to q* = 0).
 */
export function criticalSw2(act: Activation, sb2: number): number | null {
  if (act.homogeneousDegree === 1 && sb2 !== 0) return null;
  let found: { sw2: number; q_star: number | null } | null = null;
  try {
    found = criticalPoint(float64Interp, act, String(sb2));
  } catch (e) {
    if (!(e instanceof NumericalError || e instanceof InputError)) throw e;
  }
  if (sb2 === 0 && act.f64(0) === 0 && act.continuity === 'smooth' && (found === null || (found.q_star !== null && found.q_star < 1e-6))) {
    // The root search over q* > 0 found nothing, or only the approach to q* = 0 (where it is inaccurate).
    const d0 = act.derivative().f64(0);
    if (d0 !== 0 && Number.isFinite(d0)) return 1 / (d0 * d0);
  }
  return found === null ? null : found.sw2;
}

export interface SwSbDiagram {
  act: string;
  sw2: number[];
  sb2: number[];
  /** Rows over sb2, columns over sw2. */
  points: PhasePoint[][];
  /** The critical line: sw2_c at each sb2 of `critical_sb2` (null where there is none). */
  critical_sb2: number[];
  critical_sw2: (number | null)[];
  contours: ContourLine[];
}

export function swSbDiagram(act: Activation, sw2: Grid, sb2: Grid, levels: number[], criticalPoints = 51): SwSbDiagram {
  if (act.continuity === 'discontinuous') {
    throw new InputError('act', `the phase diagram needs a continuous activation; "${act.name}" is discontinuous (its chi_1 is infinite)`);
  }
  const points = sb2.values.map((b) => sw2.values.map((w) => phasePoint(act, w, b)));
  const critSb2 = Array.from({ length: criticalPoints }, (_, i) => (i === criticalPoints - 1 ? sb2.hi : sb2.lo + ((sb2.hi - sb2.lo) * i) / (criticalPoints - 1)));
  const critSw2 = critSb2.map((b) => criticalSw2(act, b));
  const xi = points.map((row) => row.map((p) => p.xi_c));
  return { act: act.name, sw2: sw2.values, sb2: sb2.values, points, critical_sb2: critSb2, critical_sw2: critSw2, contours: contours(sw2.values, sb2.values, xi, levels) };
}

export interface AlphaSwDiagram {
  network: Network;
  alpha: number[];
  sw2: number[];
  /** S[i][j] at sw2[i], alpha[j] (null where the kernel overflows). */
  sensitivity: (number | null)[][];
  /** Per sw2: the alpha maximising S over the grid's range (null without an interior maximum). */
  alpha_star: (number | null)[];
  s_star: (number | null)[];
}

export function alphaSwDiagram(net: Network, alpha: Grid, sw2: Grid): AlphaSwDiagram {
  if (net.skip === 'none') throw new InputError('skip', 'the (alpha, sw2) plane needs a residual network (--skip residual)');
  const sens: (number | null)[][] = [];
  const aStar: (number | null)[] = [];
  const sStar: (number | null)[] = [];
  for (const w of sw2.values) {
    const n = withChanges(net, { sw2: String(w) });
    const row = alpha.values.map((a) => {
      const s = sensitivity64(n, a);
      return Number.isFinite(s) ? s : null;
    });
    sens.push(row);
    let best = -1;
    for (let j = 0; j < row.length; j++) if (row[j] !== null && (best < 0 || (row[j] as number) > (row[best] as number))) best = j;
    if (best <= 0 || best >= row.length - 1 || row[best - 1] === null || row[best + 1] === null) {
      aStar.push(null);
      sStar.push(null);
      continue;
    }
    // Golden section between the neighbours of the grid maximum.
    let lo = alpha.values[best - 1];
    let hi = alpha.values[best + 1];
    const gr = (Math.sqrt(5) - 1) / 2;
    let x1 = hi - gr * (hi - lo);
    let x2 = lo + gr * (hi - lo);
    let f1 = sensitivity64(n, x1);
    let f2 = sensitivity64(n, x2);
    for (let it = 0; it < 100 && hi - lo > 1e-10 * hi; it++) {
      if (f1 > f2) {
        hi = x2; x2 = x1; f2 = f1; x1 = hi - gr * (hi - lo); f1 = sensitivity64(n, x1);
      } else {
        lo = x1; x1 = x2; f1 = f2; x2 = lo + gr * (hi - lo); f2 = sensitivity64(n, x2);
      }
    }
    const am = 0.5 * (lo + hi);
    aStar.push(am);
    sStar.push(sensitivity64(n, am));
  }
  return { network: net, alpha: alpha.values, sw2: sw2.values, sensitivity: sens, alpha_star: aStar, s_star: sStar };
}
