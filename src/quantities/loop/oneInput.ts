/** One input: per-layer Gaussian moments, the O(L) assembly, the feed-forward table, and the pairwise (O(L^2)) sums by closed forms or quadrature. */
import { NumericalError } from '../../model/errors';
import { Activation } from '../../model/activation';
import { expect1F64, expect2F64 } from '../../numeric/gaussian';
import { gaussLegendre } from '../batchnorm';
import { OneLoopTable, Params, meanField1, kindOf } from './common';
import { plainMath } from '../../numeric/plainMath';
// A plain-object copy of Math: under jest the global Math is a proxy and each Math.* access costs ~1 us.
const Math = plainMath();

// =======================================================================================
// Per-layer one-input Gaussian quantities (no second derivatives of phi: Gaussian weights)

export interface LayerMoments {
  /** <phi^2>, d<phi^2>/dK, d^2<phi^2>/dK^2, Var(phi^2), Cov(phi^2, u^2), u ~ N(0, K). */
  e: number;
  d1: number;
  d2: number;
  v: number;
  cu: number;
}

export function layerMoments(act: Activation, K: number): LayerMoments {
  const k = kindOf(act);
  if (k === 'relu') return { e: K / 2, d1: 0.5, d2: 0, v: (5 / 4) * K * K, cu: K * K };
  if (k === 'linear') return { e: K, d1: 1, d2: 0, v: 2 * K * K, cu: 2 * K * K };
  const kinks = act.kinks;
  const f = (x: number) => {
    const p = act.f64(x);
    return p * p;
  };
  const E = (fn: (x: number) => number) => expect1F64(fn, K, { kinks, tol: 1e-13 }).value;
  const e = E(f);
  const d1 = E((x) => f(x) * (x * x / K - 1)) / (2 * K);
  const d2 = E((x) => {
    const t2 = (x * x) / K;
    return f(x) * (t2 * t2 - 6 * t2 + 3);
  }) / (4 * K * K);
  const e2 = E((x) => f(x) * f(x));
  const eu = E((x) => f(x) * x * x);
  return { e, d1, d2, v: e2 - e * e, cu: eu - e * K };
}

// =======================================================================================
// Assembly (one input)

export interface Res1Layers {
  mu: number[];
  d2m: number[];
  Vll: number[];
  u: number[];
  Q: number[];
  Mem: number[];
}

export function assembleResidual1(P: Params, K: number[], lay: Res1Layers): OneLoopTable {
  const { a, L } = P;
  const k1: (number | null)[] = [0];
  const c1: (number | null)[] = [null];
  const varC: (number | null)[] = [null];
  const varK: (number | null)[] = [2 * P.q0 * P.q0];
  const c1c: (number | null)[] = [null];
  let VarS = 0;
  let B = 0;
  let Sc = 0;
  let Scc = 0;
  for (let l = 1; l <= L; l++) {
    const mu = lay.mu[l];
    const Q = lay.Q[l];
    const sCurv = 0.5 * lay.d2m[l] * a * a * VarS;
    const s = sCurv + a * lay.Mem[l];
    varC.push(lay.Vll[l] + 2 * mu * Q + mu * mu * VarS);
    const c = s + mu * Sc;
    const cc = sCurv + mu * Scc;
    Sc += c;
    Scc += cc;
    c1.push(c);
    c1c.push(cc);
    VarS = (1 + mu) * (1 + mu) * VarS + 2 * (1 + mu) * Q + lay.Vll[l];
    B = (1 + mu) * B + lay.u[l];
    k1.push(a * Sc);
    varK.push(a * a * VarS + 2 * K[l] * K[l] + 2 * a * B);
  }
  return { k1, c1, varC, varK, c1_curvature: c1c };
}

export function feedForward1(P: Params): OneLoopTable {
  const { K, C } = meanField1(P);
  const { sw2, L } = P;
  const k1: (number | null)[] = [0];
  const c1: (number | null)[] = [null];
  const varC: (number | null)[] = [null];
  const varK: (number | null)[] = [2 * P.q0 * P.q0];
  let vPrev = 0;
  let cPrev = 0;
  for (let l = 1; l <= L; l++) {
    const lm = layerMoments(P.act, K[l - 1]);
    const mu = l >= 2 ? sw2 * lm.d1 : 0;
    const v = sw2 * sw2 * lm.v + mu * mu * vPrev;
    const s = l >= 2 ? 0.5 * sw2 * lm.d2 * vPrev : 0;
    const c = s + mu * cPrev;
    c1.push(c);
    k1.push(c);
    varC.push(v);
    varK.push(v + 2 * C[l] * C[l]);
    vPrev = v;
    cPrev = c;
  }
  return { k1, c1, varC, varK, c1_curvature: c1.slice() };
}

// =======================================================================================
// Pairwise sums (closed forms or quadrature): O(L^2)

export type PairFn = (K1: number, K2: number) => { V: number; dV: number };

export function reluPair(sw2: number): PairFn {
  const s4 = sw2 * sw2;
  return (K1, K2) => {
    // x ~ N(0, K1), y = x + z, Var y = K2, cos(theta) = sqrt(K1/K2)
    const th = Math.atan2(Math.sqrt(Math.max(K2 - K1, 0)), Math.sqrt(K1));
    const c = Math.cos(th);
    const s = Math.sin(th);
    const J2 = 3 * s * c + (Math.PI - th) * (1 + 2 * c * c);
    const V = s4 * ((K1 * K2 * J2) / (2 * Math.PI) - (K1 * K2) / 4);
    const dV = s4 * ((K1 * (Math.PI - th + s * c)) / (2 * Math.PI) - K1 / 4);
    return { V, dV };
  };
}

export function linearPair(sw2: number): PairFn {
  return (K1) => ({ V: 2 * sw2 * sw2 * K1 * K1, dV: 0 });
}

/** Quadrature pairs: V = sw2^2 Cov(phi^2(x), phi^2(y)); dV = (sw2^2/2) Cov(phi^2(x), (phi^2)''(y)). */
export function quadraturePair(act: Activation, sw2: number): PairFn {
  if (act.continuity === 'discontinuous') throw new NumericalError('one-loop pairwise quadrature needs a continuous activation (use the grid method)');
  const d1 = act.derivative();
  const d2 = d1.derivative();
  const kinks = act.kinks;
  const F = (x: number) => {
    const p = act.f64(x);
    return p * p;
  };
  const F2 = (x: number) => {
    const p = act.f64(x);
    const q = d1.f64(x);
    return 2 * (q * q + p * d2.f64(x));
  };
  const s4 = sw2 * sw2;
  const cache = new Map<number, { e: number; e2: number }>();
  const one = (K: number) => {
    let r = cache.get(K);
    if (!r) {
      r = { e: expect1F64(F, K, { kinks, tol: 1e-12 }).value, e2: expect1F64(F2, K, { kinks, tol: 1e-12 }).value };
      cache.set(K, r);
    }
    return r;
  };
  return (K1, K2) => {
    const a = one(K1);
    const b = one(K2);
    const eFF = expect2F64(F, F, K1, K1, K2, { kinksF: kinks, kinksG: kinks, tol: 1e-11 }).value;
    const eFF2 = expect2F64(F, F2, K1, K1, K2, { kinksF: kinks, kinksG: kinks, tol: 1e-11 }).value;
    return { V: s4 * (eFF - a.e * b.e), dV: 0.5 * s4 * (eFF2 - a.e * b.e2) };
  };
}

/**
 * Pairs for positively homogeneous activations of degree 1 (phi(r u) = r phi(u) for r > 0: relu,
 * linear, leaky relu) by an angular Gauss-Legendre rule: a route independent of the closed forms,
 * at a cost of a few dozen operations per pair. With (u, v) standard normal of correlation
 * cos(theta) = sqrt(K1/K2), u = r cos(t), v = r cos(t - theta) (t uniform, r^2 ~ chi^2_2, E r^2 = 2,
 * E r^4 = 8), x = sqrt(K1) u and y = x + z = sqrt(K2) v:
 *   E[phi(x)^2 phi(y)^2] = 8 K1 K2 <phi(cos t)^2 phi(cos(t - theta))^2>_t,
 *   E[phi(x)^2 F2(y)]    = 2 K1 <phi(cos t)^2 F2(cos(t - theta))>_t,      F2 = (phi^2)'',
 * F2 = 2 (phi'^2 + phi phi'') being homogeneous of degree 0 (phi'' = 0 away from the kink at 0).
 * On each arc where cos t and cos(t - theta) keep their signs, phi(cos t)^2 = A_+- cos^2 t and F2 is
 * a constant F_+-. The arcs: both signs equal on [theta - pi/2, pi/2] and its shift by pi (length
 * pi - theta each), opposite on [-pi/2, theta - pi/2] and its shift by pi (length theta each); the
 * integrands are invariant under t -> t + pi, so two arcs suffice. On an arc of centre m and
 * half-length w, t = m + w x with x on [-1, 1]: writing a = cos(theta/2), b = sin(theta/2),
 * C = cos(w x), S = sin(w x), the integrands' odd parts in x vanish and what remains depends on
 * C^2 = (1 + cos(2 w x))/2 alone:
 *   equal signs    (m = theta/2,          w = (pi - theta)/2):  cos^2 t cos^2(t - theta) -> (a^2 C^2 - b^2 S^2)^2,  cos^2 t -> a^2 C^2 + b^2 S^2
 *   opposite signs (m = theta/2 - pi/2,   w = theta/2):         cos^2 t cos^2(t - theta) -> (a^2 S^2 - b^2 C^2)^2,  cos^2 t -> b^2 C^2 + a^2 S^2
 * (trigonometric polynomials of frequency up to 4 in t, which a 20-point Gauss-Legendre rule
 * integrates to rounding on arcs up to pi long: one cosine per positive node and arc).
 */
export function polarPair(act: Activation, sw2: number): PairFn {
  if (act.homogeneousDegree !== 1) throw new NumericalError('one-loop polar pairs need a positively homogeneous activation of degree 1');
  const d1 = act.derivative();
  const d2 = d1.derivative();
  const phi2 = (s: number) => {
    const p = act.f64(s);
    return p * p;
  };
  const F2 = (s: number) => {
    const p = act.f64(s);
    const q = d1.f64(s);
    return 2 * (q * q + p * d2.f64(s));
  };
  const [Ap, Am] = [phi2(1), phi2(-1)];
  const [Fp, Fm] = [F2(1), F2(-1)];
  // the arcs' weights in the two means
  const same4 = Ap * Ap + Am * Am;
  const opp4 = 2 * Ap * Am;
  const same2 = Ap * Fp + Am * Fm;
  const opp2 = Ap * Fm + Am * Fp;
  const { x: gx, w: gw } = gaussLegendre(20);
  // the positive nodes (the rule is symmetric)
  const xs = Array.from(gx).filter((x) => x > 0);
  const ws = xs.map((x) => gw[Array.from(gx).indexOf(x)]);
  const n = xs.length;
  const s4 = sw2 * sw2;
  // single-input means over t: <phi(cos t)^2> = (Ap + Am)/4, <F2(cos t)> = (Fp + Fm)/2
  const mPhi2 = (Ap + Am) / 4;
  const mF2 = (Fp + Fm) / 2;
  /** int over an arc (half-length w) of the two integrands: `flip` for the opposite-sign arc. */
  const arc = (w: number, a2: number, b2: number, flip: boolean): [number, number] => {
    let i4 = 0;
    let i2 = 0;
    for (let k = 0; k < n; k++) {
      const C2 = 0.5 * (1 + Math.cos(2 * w * xs[k]));
      const S2 = 1 - C2;
      const q = flip ? a2 * S2 - b2 * C2 : a2 * C2 - b2 * S2;
      i4 += ws[k] * q * q;
      i2 += ws[k] * (flip ? b2 * C2 + a2 * S2 : a2 * C2 + b2 * S2);
    }
    return [2 * w * i4, 2 * w * i2];
  };
  return (K1, K2) => {
    const th = Math.atan2(Math.sqrt(Math.max(K2 - K1, 0)), Math.sqrt(K1));
    const ct = Math.cos(th);
    const a2 = 0.5 * (1 + ct);
    const b2 = 0.5 * (1 - ct);
    let I4 = 0;
    let I2 = 0;
    if (same4 !== 0 || same2 !== 0) {
      const [j4, j2] = arc(0.5 * (Math.PI - th), a2, b2, false);
      I4 += same4 * j4;
      I2 += same2 * j2;
    }
    if ((opp4 !== 0 || opp2 !== 0) && th > 0) {
      const [j4, j2] = arc(0.5 * th, a2, b2, true);
      I4 += opp4 * j4;
      I2 += opp2 * j2;
    }
    const inv2pi = 1 / (2 * Math.PI);
    const eFF = 8 * K1 * K2 * I4 * inv2pi;
    const eFF2 = 2 * K1 * I2 * inv2pi;
    const e1 = 2 * K1 * mPhi2;
    return { V: s4 * (eFF - e1 * 2 * K2 * mPhi2), dV: 0.5 * s4 * (eFF2 - e1 * mF2) };
  };
}

export function residual1Pairwise(P: Params, pair: PairFn, method: string): OneLoopTable {
  const { K } = meanField1(P);
  const { a, sw2, L } = P;
  const lay: Res1Layers = { mu: [NaN], d2m: [NaN], Vll: [NaN], u: [NaN], Q: [NaN], Mem: [NaN] };
  for (let l = 1; l <= L; l++) {
    const lm = layerMoments(P.act, K[l - 1]);
    lay.mu.push(a * sw2 * lm.d1);
    lay.d2m.push(sw2 * lm.d2);
    lay.Vll.push(sw2 * sw2 * lm.v);
    lay.u.push(sw2 * lm.cu);
  }
  for (let l = 1; l <= L; l++) {
    let Q = 0;
    let Mem = 0;
    let Pi = 1; // Pi(l-1, j) for j = l-1, l-2, ...
    for (let j = l - 1; j >= 1; j--) {
      const r = pair(K[j - 1], K[l - 1]);
      Q += Pi * r.V;
      Mem += Pi * r.dV;
      Pi *= 1 + lay.mu[j];
    }
    lay.Q.push(Q);
    lay.Mem.push(Mem);
  }
  const t = assembleResidual1(P, K, lay);
  t.info = { method };
  return t;
}
