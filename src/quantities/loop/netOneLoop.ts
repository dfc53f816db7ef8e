/**
 * The one-loop (1/N) theory of any description made of dense, act, residual (fixed alpha or a
 * schedule), serial, repeat and readout layers (THEORY.md sections 3 and 6; derivation in
 * docs/one-loop.md and derivations/05-composed-one-loop.ts, rendered in docs/derivations/theory.md).
 *
 * Fields. Dense layer d (execution order, d = 1..D) sees its input's empirical kernel
 * G_d = (1/N) sum_i f_d(z_i), f_d = x_d x_d^T (entries 11, 12, 22 with two inputs); given every G the
 * neurons i are independent and identically distributed paths z_i (netValues.ts), and
 *   m_d(G)  = E_G[f_d]                 (depends on G_c for c < d only: causality)
 *   M       = dm/dG                    (strictly lower block triangular)   R = (1 - M)^(-1)
 *   V       = Cov_G(f_b, f_d)          (one neuron's path, every field held fixed)
 * Writing the constraints G = (1/N) sum f(z_i) with conjugate fields G~ gives an action N Phi(G, G~),
 * Phi = -G~.G + log E_G[exp(G~.f)], whose saddle point is the mean field (G~ = 0, G = m(G)). At the
 * saddle Phi_GG = 0, Phi_GG~ = -(1 - M), Phi_G~G~ = V, so N Cov(G) = R V R^T and the propagator
 * <dG dG~> = R; the third derivatives are Phi_G~GG = d^2 m / dG^2, Phi_G~G~G = dV/dG, Phi_GGG = 0,
 * and the term of Phi_GGG~ vanishes by causality (m_d never depends on a G_c with R_cd != 0). Hence
 *   lim N (E[G] - G*) = c1 = R s,
 *   s_b = (1/2) sum_{c,c'} d^2 m_b / dG_c dG_c' [R V R^T]_{cc'}              (curvature)
 *       + sum_d sum_c dV_bd / dG_c R_cd                                     (memory)
 * where the memory sum runs over fields d before b and the primitives c >= d (dense outputs after
 * field d) a neuron carries to b (a residual stream carries them; a feed-forward net does not, and
 * its memory term is zero).
 * An observable O = (1/N) sum_i g(z_i) (the rows' K_hat) is a field nothing depends on:
 *   lim N (E[O] - O*) = M_O c1 + s_O,   lim N Cov(O) = M_O R V R^T M_O^T + M_O R V_.O + V_O. R^T M_O^T + V_OO.
 * For P = 2 the empirical correlation c_hat = K_hat_12 / sqrt(K_hat_11 K_hat_22) shifts by
 *   chat1 = grad c . k1 + (1/2) tr(Hess c Cov)   (second-order delta method).
 *
 * Every m, V and their derivatives are sums, over the independent terms of a neuron's values
 * (netValues.ts), of joint cumulants of one term's functions, or of two terms at two points that
 * share primitives (jointly Gaussian); derivatives in G_c are a_c^2 sw2_c times derivatives in the
 * term's covariance (a_c the primitive's coefficient in the term's composite): netCumulants.ts.
 */
import { InputError, NumericalError } from '../../model/errors';
import { Layer, NetDescription, netError } from '../../model/net/layers';
import { checkMeanFieldCovers, countLayers } from '../netMeanField';
import { Composite, Fn, NetValues, Term, Value, netValues } from './netValues';
import {
  Cum, FdStats, Variable, addExpanded, addScaled, baseCumulants, covOfProducts, cumulantGradient, cumulantHessian,
  dCovOfProducts, entries, zeroCum, NumOpts, DEFAULT_NUM,
} from './netCumulants';
import { plainMath } from '../../numeric/plainMath';
// A plain-object copy of Math: under jest the global Math is a proxy and each Math.* access costs ~1 us.
const Math = plainMath();

/** The most dense layers the composed theory takes (its cost grows like D^3). */
export const MAX_NET_DENSE = 400;

export interface NetOneLoopRow {
  label: string;
  kind: Layer['kind'] | 'input';
  /** Mean-field kernel entries (11; or 11, 12, 22). */
  K: number[];
  /** lim N (E[K_hat_e] - K_e) per entry. */
  k1: number[];
  /** The curvature part of k1 alone (what a theory without the memory term would give). */
  k1Curvature: number[];
  /** lim N Cov(K_hat_e, K_hat_f). */
  cov: number[][];
  /** Two inputs: the mean-field correlation and chat1 = lim N (E[c_hat] - c). */
  c?: number;
  chat1?: number;
}

export interface NetOneLoopField {
  /** The dense layer's path in the description. */
  label: string;
  /** Mean-field C = sw2 G + sb2 of its output (per entry). */
  C: number[];
  /** lim N (E[C_hat_e] - C_e) and its curvature part; lim N Var(C_hat_e). */
  c1: number[];
  c1Curvature: number[];
  varC: number[];
}

export interface NetOneLoop {
  P: number;
  /** Entry names: ['11'] or ['11', '12', '22']. */
  entries: string[];
  rows: NetOneLoopRow[];
  fields: NetOneLoopField[];
  info: { method: 'composed'; denseLayers: number; fdError: number };
}


/** The path of the first batch-norm or convolution layer, if any. */
function firstUncovered(layers: readonly Layer[], prefix: string): string | undefined {
  for (let i = 0; i < layers.length; i++) {
    const l = layers[i];
    const path = `${prefix}[${i}]`;
    if (l.kind === 'batchnorm' || l.kind === 'conv') return `${path} (${l.kind})`;
    const inner = l.kind === 'residual' ? firstUncovered(l.branch, `${path}.residual.branch`) : l.kind === 'serial' ? firstUncovered(l.layers, `${path}.serial`) : l.kind === 'repeat' ? firstUncovered(l.layers, `${path}.repeat.layers`) : undefined;
    if (inner) return inner;
  }
  return undefined;
}

/** Refuse (exit 2, naming the layer) what the composed one-loop theory does not cover, before any arithmetic. */
export function checkNetOneLoopCovers(d: NetDescription, opts: { alpha?: number; input?: number[][] } = {}): NetValues {
  const other = firstUncovered(d.layers, 'layers');
  if (other) throw netError({ source: d.source, path: other }, 'the one-loop theory does not cover this layer (it covers dense, act, residual, serial, repeat and readout layers)');
  checkMeanFieldCovers(d);
  const P = d.inputs.kernel.length;
  if (P > 2) throw new InputError('net', `the one-loop theory takes one or two inputs (the description has ${P})`);
  const D = countLayers(d.layers, (l) => l.kind === 'dense' || l.kind === 'readout');
  if (D > MAX_NET_DENSE) throw new InputError('net', `the composed one-loop theory takes at most ${MAX_NET_DENSE} dense layers (its cost grows like their cube); this description has ${D}`);
  return netValues(d, opts);
}

interface BaseCache {
  cum: Cum;
  grad?: Cum[];
  hess?: Cum[][];
}

export interface NetOneLoopOptions {
  /** Quadrature tolerance and finite-difference step factor (a second evaluation changes both). */
  num?: NumOpts;
  /** Replaces every residual block's alpha (schedules still apply). */
  alpha?: number;
  /** Replaces the input kernel K^0. */
  input?: number[][];
}

/** The one-loop table of a described network (float64). */
export function netOneLoop64(d: NetDescription, opts: NetOneLoopOptions = {}): NetOneLoop {
  const num = opts.num ?? DEFAULT_NUM;
  const vals = checkNetOneLoopCovers(d, { alpha: opts.alpha, input: opts.input });
  const { P, K0, fields } = vals;
  const E = entries(P);
  const nE = E.length;
  const D = fields.length;
  const nF = D * nE;
  const stats: FdStats = { fdError: 0 };
  const sigma: number[][][] = [K0];
  const sw2: number[] = [0];

  // ---------------------------------------------------------------------------------------
  // one term's cumulants (cached by composite and function); a term's covariance S_t = sum_c a_c^2 Sigma_c
  const covCache = new Map<number, number[][]>();
  const covOf = (g: Composite): number[][] => {
    let S = covCache.get(g.id);
    if (!S) {
      S = Array.from({ length: P }, () => new Array<number>(P).fill(0));
      for (const [c, a] of g.coef) for (let i = 0; i < P; i++) for (let j = 0; j < P; j++) S[i][j] += a * a * sigma[c][i][j];
      covCache.set(g.id, S);
    }
    return S;
  };
  const cache = new Map<string, BaseCache>();
  const varsOf = (F: Fn, offset = 0): Variable[] => Array.from({ length: P }, (_, a) => ({ F, input: a + offset }));
  const xCum = (t: Term): BaseCache => {
    const k = `${t.g.id}|${t.F.id}`;
    let r = cache.get(k);
    if (!r) {
      r = { cum: baseCumulants(varsOf(t.F), covOf(t.g), 4, num) };
      cache.set(k, r);
    }
    return r;
  };
  /** dCum/dS_t[e] (multiply by a_c^2 for dCum/dSigma_c[e]). */
  const grad = (t: Term): Cum[] => {
    const r = xCum(t);
    if (!r.grad) r.grad = cumulantGradient(varsOf(t.F), covOf(t.g), 4, stats, num);
    return r.grad;
  };
  const hess = (t: Term): Cum[][] => {
    const r = xCum(t);
    if (!r.hess) r.hess = cumulantHessian(varsOf(t.F), covOf(t.g), stats, num);
    return r.hess;
  };

  /**
   * Two terms at two points (X first), as one group of 2P variables: on the same composite (the same
   * u, two functions), or on overlapping composites (jointly Gaussian, the joint covariance 2P x 2P;
   * nonlinear functions only with P = 1, where the integrals are two-dimensional).
   */
  interface Pair {
    cum: Cum;
    /** d cum / dS_X[e] of the joint covariance's X block (the memory term), computed on demand. */
    gradX?: Cum[];
  }
  const pairCache = new Map<string, Pair>();
  const jointOf = (x: Term, y: Term): { vars: Variable[]; S: number[][] } => {
    if (x.g === y.g) return { vars: [...varsOf(x.F), ...varsOf(y.F)], S: covOf(x.g) };
    const SX = covOf(x.g);
    const SY = covOf(y.g);
    const S = Array.from({ length: 2 * P }, () => new Array<number>(2 * P).fill(0));
    for (let i = 0; i < P; i++) {
      for (let j = 0; j < P; j++) {
        S[i][j] = SX[i][j];
        S[P + i][P + j] = SY[i][j];
      }
    }
    for (const [c, a] of x.g.coef) {
      const b = y.g.coef.get(c);
      if (b === undefined) continue;
      for (let i = 0; i < P; i++) for (let j = 0; j < P; j++) S[i][P + j] += a * b * sigma[c][i][j];
    }
    for (let i = 0; i < P; i++) for (let j = 0; j < P; j++) S[P + j][i] = S[i][P + j];
    const lin = x.F.slope !== undefined && y.F.slope !== undefined;
    if (!lin && P > 1) throw new NumericalError('one-loop: internal: a four-dimensional Gaussian integral was needed (the representation should have refused this layer)');
    return { vars: [...varsOf(x.F), ...varsOf(y.F, P)], S };
  };
  const pairOf = (x: Term, y: Term): Pair => {
    const k = `${x.g.id}|${x.F.id}|${y.g.id}|${y.F.id}`;
    let r = pairCache.get(k);
    if (!r) {
      const j = jointOf(x, y);
      r = { cum: baseCumulants(j.vars, j.S, 4, num) };
      pairCache.set(k, r);
    }
    return r;
  };
  const pairGradX = (x: Term, y: Term): Cum[] => {
    const r = pairOf(x, y);
    if (!r.gradX) {
      const j = jointOf(x, y);
      const all = cumulantGradient(j.vars, j.S, 4, stats, num, E);
      r.gradX = all;
    }
    return r.gradX;
  };

  const XONLY = [...Array.from({ length: P }, (_, i) => i), ...Array.from({ length: P }, () => -1)];
  const YONLY = [...Array.from({ length: P }, () => -1), ...Array.from({ length: P }, (_, i) => i)];
  const BOTH = [...Array.from({ length: P }, (_, i) => i), ...Array.from({ length: P }, (_, i) => i)];
  const IDENT = Array.from({ length: 2 * P }, (_, i) => i);

  /** Cumulants of one point's value (P components). */
  const pointCum = (X: Value): Cum => {
    const t = zeroCum(P);
    for (const term of X) addScaled(t, xCum(term).cum, 1);
    return t;
  };
  const overlap = (a: Term, b: Term) => [...a.g.coef.keys()].some((c) => b.g.coef.has(c));
  /** The X term's partner at Y (the Y term sharing primitives with it), if any. */
  const partner = (x: Term, Y: Value): Term | undefined => {
    const ps = Y.filter((y) => overlap(x, y));
    if (ps.length > 1) throw new NumericalError('one-loop: internal: a term overlaps several terms of an earlier layer');
    return ps[0];
  };
  /** Cumulants of (x, y) for the values at two points (2P components). */
  const pairTotal = (X: Value, Y: Value): Cum => {
    const t = zeroCum(2 * P);
    const used = new Set<Term>();
    for (const x of X) {
      const y = partner(x, Y);
      if (!y) addExpanded(t, xCum(x).cum, XONLY);
      else {
        used.add(y);
        if (y === x || (y.g === x.g && y.F === x.F)) addExpanded(t, xCum(x).cum, BOTH);
        else addExpanded(t, pairOf(x, y).cum, IDENT);
      }
    }
    for (const y of Y) if (!used.has(y)) addExpanded(t, xCum(y).cum, YONLY);
    return t;
  };
  const second = (k: Cum, i: number, j: number) => k.k2[i * k.n + j] + k.k1[i] * k.k1[j];

  // ---------------------------------------------------------------------------------------
  // mean field: the fields' saddle point, in execution order
  const G: number[][] = [];
  for (const f of fields) {
    const k = pointCum(f.value);
    const g = E.map(([i, j]) => second(k, i, j));
    G.push(g);
    const S: number[][] = Array.from({ length: P }, () => new Array<number>(P));
    E.forEach(([i, j], e) => {
      S[i][j] = S[j][i] = f.sw2 * g[e] + f.sb2;
    });
    if (!S.every((r) => r.every(Number.isFinite)) || !(S[0][0] > 0) || (P === 2 && !(S[1][1] > 0 && S[0][0] * S[1][1] - S[0][1] * S[0][1] >= 0))) {
      throw new NumericalError(`one-loop: the mean-field covariance of ${f.path} is not a finite positive definite matrix`);
    }
    sigma.push(S);
    sw2.push(f.sw2);
  }

  // ---------------------------------------------------------------------------------------
  // M_X = dm_X/dG (nE x nF, sparse in the primitives X carries) for a point's value
  const col = (c: number, e: number) => (c - 1) * nE + e;
  /** The primitives c >= 1 of a value with their term and coefficient. */
  const primitives = (X: Value): { c: number; a: number; t: Term }[] => X.flatMap((t) => [...t.g.coef].filter(([c]) => c > 0).map(([c, a]) => ({ c, a, t })));
  const Mof = (X: Value, k: Cum): Map<number, Float64Array> => {
    // per primitive c: an nE x nE block dm[e]/dG_c[e'] = sw2_c a_c^2 dm[e]/dS_t[e']
    const out = new Map<number, Float64Array>();
    for (const { c, a, t } of primitives(X)) {
      const gr = grad(t);
      const w = sw2[c] * a * a;
      const B = new Float64Array(nE * nE);
      E.forEach(([i, j], e) => {
        for (let e2 = 0; e2 < nE; e2++) {
          const g = gr[e2];
          B[e * nE + e2] = w * (g.k2[i * P + j] + g.k1[i] * k.k1[j] + k.k1[i] * g.k1[j]);
        }
      });
      out.set(c, B);
    }
    return out;
  };
  const fieldCum = fields.map((f) => pointCum(f.value));
  const fieldM = fields.map((f, b) => Mof(f.value, fieldCum[b]));

  // R = (1 - M)^(-1), row by row (M strictly lower block triangular)
  const R = new Float64Array(nF * nF);
  for (let b = 1; b <= D; b++) {
    for (let e = 0; e < nE; e++) {
      const row = col(b, e) * nF;
      R[row + col(b, e)] = 1;
      for (const [c, B] of fieldM[b - 1]) {
        for (let e2 = 0; e2 < nE; e2++) {
          const w = B[e * nE + e2];
          if (w === 0) continue;
          const src = col(c, e2) * nF;
          for (let q = 0; q < nF; q++) R[row + q] += w * R[src + q];
        }
      }
    }
  }

  // V between fields; the memory term of each field along the way
  const V = new Float64Array(nF * nF);
  const vOf = (t: Cum, e: number, e2: number) => {
    const [i, j] = E[e];
    const [k, l] = E[e2];
    return covOfProducts(t, i, j, P + k, P + l);
  };
  /**
   * memory[e] of the point X against fields 1..before: sum over d, e' of the derivative of
   * V(X, field d)[e, e'] along dG_c = R[(c, .), (d, e')] for the primitives c >= d that X carries.
   * `each` sees the pairs' cumulants (for V).
   */
  const memoryOf = (X: Value, before: number, each?: (d: number, t: Cum) => void): number[] => {
    const mem = new Array<number>(nE).fill(0);
    const prims = primitives(X);
    for (let dd = 1; dd <= before; dd++) {
      const Y = fields[dd - 1].value;
      const t = pairTotal(X, Y);
      each?.(dd, t);
      const carried = prims.filter((p) => p.c >= dd);
      if (carried.length === 0) continue;
      for (let e2 = 0; e2 < nE; e2++) {
        const dz = zeroCum(2 * P);
        // per X term: its partner at Y decides which cumulants move (its own, or the pair's)
        for (const x of X) {
          const mine = carried.filter((p) => p.t === x);
          if (mine.length === 0) continue;
          const y = partner(x, Y);
          const gr = y ? pairGradX(x, y) : grad(x);
          const dk = zeroCum(y ? 2 * P : P);
          for (const { c, a } of mine) {
            for (let e3 = 0; e3 < nE; e3++) {
              const w = sw2[c] * a * a * R[col(c, e3) * nF + col(dd, e2)];
              if (w !== 0) addScaled(dk, gr[e3], w);
            }
          }
          addExpanded(dz, dk, y ? IDENT : XONLY);
        }
        E.forEach(([i, j], e) => {
          const [k, l] = E[e2];
          mem[e] += dCovOfProducts(t, dz, i, j, P + k, P + l);
        });
      }
    }
    return mem;
  };
  const memField: number[][] = [];
  for (let b = 1; b <= D; b++) {
    const X = fields[b - 1].value;
    const put = (dd: number, t: Cum) => {
      for (let e = 0; e < nE; e++) {
        for (let e2 = 0; e2 < nE; e2++) {
          const v = vOf(t, e, e2);
          V[col(b, e) * nF + col(dd, e2)] = v;
          V[col(dd, e2) * nF + col(b, e)] = v;
        }
      }
    };
    memField.push(memoryOf(X, b - 1, put));
    put(b, pairTotal(X, X));
  }

  // N Cov(G) = R V R^T
  const RV = matmul(R, V, nF);
  const Pc = matmulT(RV, R, nF);

  /** The curvature term of a point X with cumulants k. */
  const curvatureOf = (X: Value, k: Cum): number[] => {
    const prims = primitives(X);
    // J_i[(c, e')] = sw2_c a_c^2 d kappa1_i / dS_t[e']
    const J = prims.map(({ c, a, t }) => {
      const gr = grad(t);
      const rows = new Float64Array(P * nE);
      for (let i = 0; i < P; i++) for (let e = 0; e < nE; e++) rows[i * nE + e] = sw2[c] * a * a * gr[e].k1[i];
      return { c, rows };
    });
    return E.map(([i, j]) => {
      let v = 0;
      for (const p of J) {
        for (const q of J) {
          for (let e1 = 0; e1 < nE; e1++) {
            const x = p.rows[i * nE + e1];
            if (x === 0) continue;
            for (let e2 = 0; e2 < nE; e2++) v += x * q.rows[j * nE + e2] * Pc[col(p.c, e1) * nF + col(q.c, e2)];
          }
        }
      }
      // second derivatives within one term: primitives c, c' of the same composite
      for (const t of X) {
        const ps = prims.filter((p) => p.t === t);
        if (ps.length === 0) continue;
        const H = hess(t);
        for (let e1 = 0; e1 < nE; e1++) {
          for (let e2 = 0; e2 < nE; e2++) {
            const h = H[e1][e2];
            const d2 = h.k2[i * P + j] + h.k1[i] * k.k1[j] + k.k1[i] * h.k1[j];
            if (d2 === 0) continue;
            for (const p of ps) {
              for (const q of ps) v += 0.5 * sw2[p.c] * p.a * p.a * sw2[q.c] * q.a * q.a * d2 * Pc[col(p.c, e1) * nF + col(q.c, e2)];
            }
          }
        }
      }
      return v;
    });
  };

  const sCurv = new Float64Array(nF);
  const s = new Float64Array(nF);
  for (let b = 1; b <= D; b++) {
    const cv = curvatureOf(fields[b - 1].value, fieldCum[b - 1]);
    for (let e = 0; e < nE; e++) {
      sCurv[col(b, e)] = cv[e];
      s[col(b, e)] = cv[e] + memField[b - 1][e];
    }
  }
  const c1 = matvec(R, s, nF);
  const c1c = matvec(R, sCurv, nF);

  const fieldRows: NetOneLoopField[] = fields.map((f, b) => ({
    label: f.path,
    C: G[b].map((g) => f.sw2 * g + f.sb2),
    c1: E.map((_, e) => f.sw2 * c1[col(b + 1, e)]),
    c1Curvature: E.map((_, e) => f.sw2 * c1c[col(b + 1, e)]),
    varC: E.map((_, e) => f.sw2 * f.sw2 * Pc[col(b + 1, e) * nF + col(b + 1, e)]),
  }));

  // ---------------------------------------------------------------------------------------
  // observables: the rows' K_hat
  const rows: NetOneLoopRow[] = vals.rows.map((r) => {
    const X = r.value;
    const k = pointCum(X);
    const K = E.map(([i, j]) => second(k, i, j));
    const before = r.densesBefore;
    const VdO = new Float64Array(nF * nE); // Cov(f_d[e'], f_O[e]) at [col(d,e') * nE + e]
    const mem = memoryOf(X, before, (dd, t) => {
      for (let e = 0; e < nE; e++) for (let e2 = 0; e2 < nE; e2++) VdO[col(dd, e2) * nE + e] = vOf(t, e, e2);
    });
    const curv = curvatureOf(X, k);
    const MO = Mof(X, k);
    // M_O as an nE x nF matrix, and A = M_O R
    const Mo = new Float64Array(nE * nF);
    for (const [c, B] of MO) for (let e = 0; e < nE; e++) for (let e2 = 0; e2 < nE; e2++) Mo[e * nF + col(c, e2)] = B[e * nE + e2];
    const A = new Float64Array(nE * nF);
    for (let e = 0; e < nE; e++) {
      for (let p = 0; p < nF; p++) {
        const w = Mo[e * nF + p];
        if (w === 0) continue;
        for (let q = 0; q < nF; q++) A[e * nF + q] += w * R[p * nF + q];
      }
    }
    const sO = E.map((_, e) => curv[e] + mem[e]);
    const k1 = E.map((_, e) => {
      let v = sO[e];
      for (const [c, B] of MO) for (let e2 = 0; e2 < nE; e2++) v += B[e * nE + e2] * c1[col(c, e2)];
      return v;
    });
    const k1Curvature = E.map((_, e) => {
      let v = curv[e];
      for (const [c, B] of MO) for (let e2 = 0; e2 < nE; e2++) v += B[e * nE + e2] * c1c[col(c, e2)];
      return v;
    });
    const tOO = pairTotal(X, X);
    const cov = E.map((_, e1) =>
      E.map((_, e2) => {
        // M_O Cov(G) M_O^T + M_O R Cov(noise, noise_O) (both orders) + V_OO
        let v = vOf(tOO, e1, e2);
        for (let p = 0; p < nF; p++) {
          v += A[e1 * nF + p] * VdO[p * nE + e2] + A[e2 * nF + p] * VdO[p * nE + e1];
          const m1 = Mo[e1 * nF + p];
          if (m1 === 0) continue;
          let w = 0;
          for (let q = 0; q < nF; q++) w += Pc[p * nF + q] * Mo[e2 * nF + q];
          v += m1 * w;
        }
        return v;
      }),
    );
    const out: NetOneLoopRow = { label: r.label, kind: r.kind, K, k1, k1Curvature, cov };
    if (P === 2) {
      const [a, kk, b] = K;
      const c = kk / Math.sqrt(a * b);
      const sq = Math.sqrt(a * b);
      const g = [-c / (2 * a), 1 / sq, -c / (2 * b)];
      const H = [
        [(3 * c) / (4 * a * a), -1 / (2 * a * sq), c / (4 * a * b)],
        [-1 / (2 * a * sq), 0, -1 / (2 * b * sq)],
        [c / (4 * a * b), -1 / (2 * b * sq), (3 * c) / (4 * b * b)],
      ];
      let chat1 = 0;
      for (let x = 0; x < 3; x++) {
        chat1 += g[x] * k1[x];
        for (let y = 0; y < 3; y++) chat1 += 0.5 * H[x][y] * cov[x][y];
      }
      out.c = c;
      out.chat1 = chat1;
    }
    return out;
  });
  for (const r of rows) {
    if (![...r.k1, ...r.cov.flat(), r.chat1 ?? 0].every(Number.isFinite)) throw new NumericalError(`one-loop: a 1/N coefficient left the finite numbers at ${r.label}`);
  }
  return { P, entries: E.map(([i, j]) => `${i + 1}${j + 1}`), rows, fields: fieldRows, info: { method: 'composed', denseLayers: D, fdError: stats.fdError } };
}

function matmul(A: Float64Array, B: Float64Array, n: number): Float64Array {
  const C = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < n; k++) {
      const a = A[i * n + k];
      if (a === 0) continue;
      const bo = k * n;
      const co = i * n;
      for (let j = 0; j < n; j++) C[co + j] += a * B[bo + j];
    }
  }
  return C;
}

/** A B^T */
function matmulT(A: Float64Array, B: Float64Array, n: number): Float64Array {
  const C = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let v = 0;
      const ao = i * n;
      const bo = j * n;
      for (let k = 0; k < n; k++) v += A[ao + k] * B[bo + k];
      C[i * n + j] = v;
    }
  }
  return C;
}

function matvec(A: Float64Array, x: Float64Array, n: number): Float64Array {
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let v = 0;
    for (let k = 0; k < n; k++) v += A[i * n + k] * x[k];
    y[i] = v;
  }
  return y;
}
