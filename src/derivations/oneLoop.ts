/**
 * The one-loop derivation (THEORY.md section 3), done by the symbolic core.
 *
 * After averaging the weights, Z = int dC dCt exp(N Phi(C, Ct)) with the single-neuron functional
 *
 *   Phi(C, Ct) = sum_l [ -Ct_l C_l ] + W(Ct; C),   W(Ct; C) = ln E_{h|C} exp( sum_l Ct_l g^l(h^(l-1)) ),
 *   g^l = sb2 + sw2 phi(h^(l-1))^2,   h a Gaussian random walk with Cov(h^l, h^l') = K^(min(l,l'))(C),
 *   K^(l)(C) = K^0 + a sum_{k<=l} C^k.
 *
 * W is built by its cumulant expansion (the third cumulant never enters the one-loop mean: it
 * contracts with the vanishing Ct-Ct propagator): W = sum_l Ct_l m^l(C) + (1/2) sum_{l,j} Ct_l Ct_j V^(l,j)(C),
 * m^l = sb2 + sw2 <phi^2>_{K^(l-1)}, V^(l,j) = sw2^2 Cov[phi^2(x), phi^2(x+z)] with x ~ N(0, K^(j-1)),
 * z ~ N(0, K^(l-1) - K^(j-1)) — the moments as closed forms or named expectations (expectations.ts).
 *
 * What the engine does with it:
 *  - the saddle point dPhi/dCt = 0, dPhi/dC = 0: C^l = m^l(C), Ct = 0 (the mean field);
 *  - the per-layer coefficients by differentiating m and V along the auxiliary fields (chain rule
 *    through K^(l-1)(C)): mu = dm^l/dC^k, kappa = (1/2) d^2 m^l/dC^k dC^k' / a^2, dV^(l,j)/dC^k = a d_D v;
 *  - the layer recursions (the response R = (1 - M)^-1 as the causal Dyson equation, the noise
 *    Sigma = R V R^T, the tadpole s = curvature + memory, c1 = R s, k1, varK) as indexed
 *    expressions that print and evaluate;
 *  - checks: every symbolic derivative against finite differences (30 digits for closed forms,
 *    float64 Richardson for named expectations); the recursion against the generic one-loop
 *    perturbation theory of Phi itself at depth 3 (Hessian and third derivatives of Phi taken
 *    symbolically, G = -A^-1, <dC> = (1/2N) G T G); the recursion against src/quantities/loop.ts.
 */
import {
  Expr, Sym, sym, num, add, sub, mul, pow, diff, simplify, substitute, ZERO, HALF, verifyDerivative, verifyIdentity,
} from '../symbolic';
import { activation, Activation } from '../model/activation';
import { network } from '../model/network';
import { NumericalError } from '../model/errors';
import { oneLoop64, OneLoopTable } from '../quantities/loop';
import { expect1F64 } from '../numeric/gaussian';
import { moments, checkActivation, tidy, compileNamed, hasNamed, namedValue, relDiff } from './expectations';
import {
  Derivation, Equation, Check, equation, check, lay, lay2, Sum, kdelta, coef, evalIndexed, IndexedEnv,
} from './notation';
import { plainMath } from '../numeric/plainMath';
const Math = plainMath();

const a = sym('a');
const sw2 = sym('sw2');
const sb2 = sym('sb2');
const K = sym('K');
const D = sym('D');
const Kb = sym('Kb');
const Ck = sym('Ck');
const l = sym('l');
const j = sym('j');
const k = sym('k');
const jp = sym('jp');
const kp = sym('kp');
const lp = sym('lp');
const one = num(1);
const POSITIVE = ['K', 'D', 'a', 'sw2', 'sb2', 'Kb', 'q0'];

/** The per-layer coefficient functions, derived. */
export interface Coefficients {
  act: Activation;
  /** m(K) = sb2 + sw2 <phi^2>_K */
  m: Expr;
  mu: Expr;
  kappa: Expr;
  v0: Expr;
  v: Expr;
  vD: Expr;
  b: Expr;
  /** raw (untidied) forms and the building blocks, for the checks */
  raw: Record<string, Expr>;
}

/** d/dC^k of f(K^(l-1)(C)) where K^(l-1) = Kb + a C^k: then back in terms of K. */
function alongField(f: (K: Expr) => Expr, order: 1 | 2): { raw: Expr; inK: Expr } {
  const moved = f(add(Kb, mul(a, Ck)));
  const d1 = diff(moved, 'Ck');
  const d = order === 1 ? d1 : diff(d1, 'Ck');
  const inK = simplify(substitute(d, { Kb: sub(K, mul(a, Ck)) }));
  return { raw: d, inK };
}

const coefCache = new Map<string, Coefficients>();

export function coefficients(act: Activation): Coefficients {
  const hit = coefCache.get(act.name);
  if (hit) return hit;
  checkActivation(act);
  const M = moments(act);
  const mOf = (x: Expr) => add(sb2, mul(sw2, M.m2(x)));
  const m = tidy(mOf(K), POSITIVE);
  // M^(l,k) = dm^l/dC^k (k < l): a sw2 d<phi^2>/dK
  const mu1 = alongField(mOf, 1);
  const mu = tidy(mu1.inK, POSITIVE);
  // H^l_(k,k') = d^2 m^l / dC^k dC^k' = a^2 sw2 <phi^2>''; the tadpole carries 1/2 H : Sigma = kappa SigK
  const h2 = alongField(mOf, 2);
  const kappa = tidy(simplify(mul(HALF, h2.inK, pow(a, num(-2)))), POSITIVE);
  const sw4 = pow(sw2, num(2));
  const v0raw = mul(sw4, sub(M.m4(K), pow(M.m2(K), num(2))));
  const vOf = (Kj: Expr, Dj: Expr) => mul(sw4, sub(M.m22(Kj, Dj), mul(M.m2(Kj), M.m2(add(Kj, Dj)))));
  const vraw = vOf(K, D);
  // dV^(l,j)/dC^k for j <= k < l: D = K^(l-1) - K^(j-1) contains a C^k, K^(j-1) does not.
  const vDmoved = diff(vOf(K, add(Kb, mul(a, Ck))), 'Ck');
  const vDraw = simplify(mul(pow(a, num(-1)), substitute(vDmoved, { Kb: sub(D, mul(a, Ck)) })));
  // b(K) = sw2 Cov[phi^2(u), u^2]_K; Stein twice: E[f u^2] = K <f> + K^2 <f''> = K <f> + 2 K^2 d<f>/dK
  const braw = mul(sw2, num(2), pow(K, num(2)), diff(M.m2(K), 'K'));
  const c: Coefficients = {
    act,
    m,
    mu,
    kappa,
    v0: tidy(v0raw, POSITIVE),
    v: tidy(vraw, POSITIVE),
    vD: tidy(vDraw, POSITIVE),
    b: tidy(braw, POSITIVE),
    raw: {
      m: mOf(K), mu: mu1.inK, kappa: mul(HALF, h2.inK, pow(a, num(-2))), v0: v0raw, v: vraw, vD: vDraw, b: braw,
      mMoved: mOf(add(Kb, mul(a, Ck))), muMoved: mu1.raw, h2Moved: h2.raw, vMoved: vOf(K, add(Kb, mul(a, Ck))), vDmoved,
    },
  };
  coefCache.set(act.name, c);
  return c;
}

// ---------------------------------------------------------------------------------------
// The recursions (indexed expressions)

interface RecEq {
  label: string;
  lhs: string;
  lhsText: string;
  expr: Expr;
  note: string;
}

function recursions(): RecEq[] {
  const Km1 = lay('K', sub(l, one));
  const Kjm1 = lay('K', sub(j, one));
  return [
    { label: 'mf-C', lhs: '\\mathcal{C}^{(\\ell)}', lhsText: 'C^(l)', expr: coef('mfmap', Km1), note: 'saddle point (mean field), l >= 1' },
    { label: 'mf-K', lhs: '\\mathcal{K}^{(\\ell)}', lhsText: 'K^(l)', expr: add(Km1, mul(a, lay('C', l))), note: 'K^(0) = q0' },
    {
      label: 'response', lhs: "R^{(\\ell,j)}", lhsText: 'R^(l,j)',
      expr: add(kdelta(l, j), mul(coef('mu', Km1), Sum(lay2('R', k, j), 'k', j, sub(l, one)))),
      note: 'response R = (1 - M)^-1 as the causal Dyson equation, M^(l,k) = mu(K^(l-1)) for k < l; 1 <= j <= l',
    },
    { label: 'noise-diag', lhs: 'V^{(\\ell,\\ell)}', lhsText: 'V^(l,l)', expr: coef('vv0', Km1), note: 'noise vertex, equal layers' },
    {
      label: 'noise', lhs: 'V^{(\\ell,j)}', lhsText: 'V^(l,j)', expr: coef('vv', Kjm1, sub(Km1, Kjm1)),
      note: 'noise vertex across layers, j < l (coloured noise: x ~ N(0, K^(j-1)), the increment z ~ N(0, K^(l-1) - K^(j-1)))',
    },
    {
      label: 'covariance', lhs: "\\Sigma^{(\\ell,\\ell')}", lhsText: "Sigma^(l,l')",
      expr: Sum(Sum(mul(lay2('R', l, j), lay2('V', j, jp), lay2('R', lp, jp)), 'jp', one, lp), 'j', one, l),
      note: "N Cov(C_hat^l, C_hat^l') = [R V R^T]^(l,l'); varC^l = Sigma^(l,l)",
    },
    {
      label: 'kernel-variance', lhs: '\\Sigma_{\\mathcal{K}}^{(\\ell)}', lhsText: 'SigK^(l)',
      expr: mul(pow(a, num(2)), Sum(Sum(lay2('Sig', k, kp), 'kp', one, l), 'k', one, l)),
      note: 'variance of K^(l)(C) = K^0 + a sum_k C^k; SigK^(0) = 0',
    },
    {
      label: 'tadpole', lhs: 's^{(\\ell)}', lhsText: 's^(l)',
      expr: add(
        mul(coef('kappa', Km1), lay('SigK', sub(l, one))),
        mul(a, Sum(mul(coef('vD', Kjm1, sub(Km1, Kjm1)), Sum(lay2('R', k, j), 'k', j, sub(l, one))), 'j', one, sub(l, one))),
      ),
      note: 'one-loop source: curvature (tadpole) term + ResNet memory term',
    },
    { label: 'c1', lhs: 'c_1^{(\\ell)}', lhsText: 'c1^(l)', expr: Sum(mul(lay2('R', l, j), lay('s', j)), 'j', one, l), note: 'N (E C_hat^l - C^l) = [R s]^l' },
    {
      label: 'c1-curvature', lhs: 'c_{1,\\mathrm{curv}}^{(\\ell)}', lhsText: 'c1curv^(l)',
      expr: Sum(mul(lay2('R', l, j), coef('kappa', Kjm1), lay('SigK', sub(j, one))), 'j', one, l),
      note: 'the curvature part of c1 alone',
    },
    { label: 'k1', lhs: 'k_1^{(\\ell)}', lhsText: 'k1^(l)', expr: mul(a, Sum(lay('c1', k), 'k', one, l)), note: 'N (E K_hat^l - K^l)' },
    {
      label: 'varK', lhs: '\\mathrm{Var}_{\\mathcal{K}}^{(\\ell)}', lhsText: 'varK^(l)',
      expr: add(lay('SigK', l), mul(num(2), pow(lay('K', l), num(2))), mul(num(2), a, Sum(mul(coef('bb', Kjm1), Sum(lay2('R', k, j), 'k', j, l)), 'j', one, l))),
      note: 'N Var(K_hat^l): fluctuation of K(C) + sampling of h given C + their correlation',
    },
  ];
}

export interface RecursionTable {
  K: number[];
  C: number[];
  k1: number[];
  c1: number[];
  varC: number[];
  varK: number[];
  c1_curvature: number[];
}

export interface Point {
  act: string;
  alpha: number;
  sw2: number;
  sb2: number;
  q0: number;
  depth: number;
  scaling?: 'amplitude' | 'variance';
}

export function branch(p: Point): number {
  return (p.scaling ?? 'amplitude') === 'amplitude' ? p.alpha * p.alpha : p.alpha;
}

export function coefFns(c: Coefficients, p: Point): Record<string, (...xs: number[]) => number> {
  const av = branch(p);
  const f1 = (e: Expr) => {
    const f = compileNamed(e, ['K', 'a', 'sw2', 'sb2'], c.act);
    return (x: number) => f(x, av, p.sw2, p.sb2);
  };
  const f2 = (e: Expr) => {
    const f = compileNamed(e, ['K', 'D', 'a', 'sw2', 'sb2'], c.act);
    return (x: number, y: number) => f(x, y, av, p.sw2, p.sb2);
  };
  return { mfmap: f1(c.m), mu: f1(c.mu), kappa: f1(c.kappa), vv0: f1(c.v0), vv: f2(c.v), vD: f2(c.vD), bb: f1(c.b) };
}

/** Iterate the printed recursions over the layers. */
export function runRecursion(c: Coefficients, p: Point): RecursionTable {
  const eqs = recursions();
  const E = (label: string) => eqs.find((e) => e.label === label)!.expr;
  const L = p.depth;
  const env: IndexedEnv = {
    scalars: { a: branch(p), sw2: p.sw2, sb2: p.sb2 },
    arrays: { K: [p.q0], C: [NaN], SigK: [0], s: [NaN], c1: [NaN], c1curv: [NaN], k1: [], varK: [] },
    arrays2: { R: [[]], V: [[]], Sig: [[]] },
    fns: coefFns(c, p),
  };
  const A = env.arrays;
  const A2 = env.arrays2;
  const ev = (label: string) => evalIndexed(E(label), env);
  for (let li = 0; li <= L; li++) {
    env.scalars.l = li;
    if (li >= 1) {
      A.C[li] = ev('mf-C');
      A.K[li] = ev('mf-K');
      A2.R[li] = [];
      A2.V[li] = A2.V[li] ?? [];
      A2.Sig[li] = A2.Sig[li] ?? [];
      for (let ji = 1; ji <= li; ji++) {
        env.scalars.j = ji;
        A2.R[li][ji] = ev('response');
        const v = ji === li ? ev('noise-diag') : ev('noise');
        A2.V[li][ji] = v;
        (A2.V[ji] = A2.V[ji] ?? [])[li] = v;
      }
      delete env.scalars.j;
      for (let lpi = 1; lpi <= li; lpi++) {
        env.scalars.lp = lpi;
        const s = ev('covariance');
        A2.Sig[li][lpi] = s;
        (A2.Sig[lpi] = A2.Sig[lpi] ?? [])[li] = s;
      }
      delete env.scalars.lp;
      A.SigK[li] = ev('kernel-variance');
      A.s[li] = ev('tadpole');
      A.c1[li] = ev('c1');
      A.c1curv[li] = ev('c1-curvature');
    }
    A.k1[li] = ev('k1');
    A.varK[li] = ev('varK');
  }
  const varC = [NaN];
  for (let li = 1; li <= L; li++) varC.push(A2.Sig[li][li]!);
  const n = (xs: (number | undefined)[]) => xs.map((x) => (x === undefined ? NaN : x));
  return { K: n(A.K), C: n(A.C), k1: n(A.k1), c1: n(A.c1), varC, varK: n(A.varK), c1_curvature: n(A.c1curv) };
}

// ---------------------------------------------------------------------------------------
// The action at finite depth and its generic one-loop perturbation theory

export interface ActionResult {
  /** the action Phi(C, Ct) */
  phi: Expr;
  /** saddle-point equations dPhi/dCt_l at Ct = 0 */
  saddle: Expr[];
  c1: number[];
  varC: number[];
}

/** Gauss-Jordan inverse (small dense matrices). */
export function inverse(A: number[][]): number[][] {
  const n = A.length;
  const M = A.map((r, i) => [...r, ...Array.from({ length: n }, (_, j2) => (i === j2 ? 1 : 0))]);
  for (let c = 0; c < n; c++) {
    let piv = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r][c]) > Math.abs(M[piv][c])) piv = r;
    [M[c], M[piv]] = [M[piv], M[c]];
    const d = M[c][c];
    if (d === 0) throw new Error('singular Hessian');
    for (let j2 = 0; j2 < 2 * n; j2++) M[c][j2] /= d;
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = M[r][c];
      if (f !== 0) for (let j2 = 0; j2 < 2 * n; j2++) M[r][j2] -= f * M[c][j2];
    }
  }
  return M.map((r) => r.slice(n));
}

/** The action Phi(C, Ct) at depth L (symbols C1.., Ct1.., q0, a, sw2, sb2) and its saddle-point equations. */
export function buildAction(act: Activation, L: number): { phi: Expr; saddle: Expr[]; m: Expr[]; Cs: Sym[]; Cts: Sym[] } {
  const M = moments(act);
  const Cs = Array.from({ length: L }, (_, i) => sym(`C${i + 1}`));
  const Cts = Array.from({ length: L }, (_, i) => sym(`Ct${i + 1}`));
  const Kof = (li: number): Expr => add(sym('q0'), mul(a, add(ZERO, ...Cs.slice(0, li))));
  const sw4 = pow(sw2, num(2));
  const mAt = (li: number) => add(sb2, mul(sw2, M.m2(Kof(li - 1))));
  const V = (li: number, ji: number): Expr => {
    if (ji > li) return V(ji, li);
    if (ji === li) return mul(sw4, sub(M.m4(Kof(li - 1)), pow(M.m2(Kof(li - 1)), num(2))));
    const Kj = Kof(ji - 1);
    const Dj = sub(Kof(li - 1), Kj);
    return mul(sw4, sub(M.m22(Kj, Dj), mul(M.m2(Kj), M.m2(add(Kj, Dj)))));
  };
  const terms: Expr[] = [];
  for (let li = 1; li <= L; li++) terms.push(mul(Cts[li - 1], sub(mAt(li), Cs[li - 1])));
  for (let li = 1; li <= L; li++) for (let ji = 1; ji <= L; ji++) terms.push(mul(HALF, Cts[li - 1], Cts[ji - 1], V(li, ji)));
  const phi = add(...terms);
  const zeroCt: Record<string, Expr> = {};
  for (const c of Cts) zeroCt[c.name] = ZERO;
  const saddle = Cts.map((c) => simplify(substitute(diff(phi, c.name), zeroCt)));
  return { phi, saddle, m: Cs.map((_, i) => mAt(i + 1)), Cs, Cts };
}

/**
 * Build Phi(C, Ct) at depth L symbolically, take its Hessian and third derivatives at the saddle
 * point symbolically, evaluate, and contract: N Cov(C) = G_CC, N <dC> = (1/2) G T G, G = -A^-1.
 */
export function actionOneLoop(act: Activation, p: Point): ActionResult {
  const L = p.depth;
  const { phi, saddle, m: mList, Cs, Cts } = buildAction(act, L);
  const mAt = (li: number) => mList[li - 1];
  const zeroCt: Record<string, Expr> = {};
  for (const c of Cts) zeroCt[c.name] = ZERO;
  // variables: C1..CL, Ct1..CtL; derivatives in Ct first, then Ct = 0, then in C
  const names = [...Cs.map((c) => c.name), ...Cts.map((c) => c.name)];
  const n = names.length;
  const av = branch(p);
  const vars = [...Cs.map((c) => c.name), 'a', 'sw2', 'sb2', 'q0'];
  // the saddle point numerically: C^l = m^l(C)
  const Cstar: number[] = [];
  for (let li = 1; li <= L; li++) {
    const f = compileNamed(mAt(li), vars, act);
    Cstar.push(f(...Cstar, ...Array(L - Cstar.length).fill(0), av, p.sw2, p.sb2, p.q0));
  }
  const at = [...Cstar, av, p.sw2, p.sb2, p.q0];
  const derivative = (idx: number[]): number => {
    const ct = idx.filter((i) => i >= L).sort();
    const cc = idx.filter((i) => i < L);
    if (ct.length === 0 || ct.length === 3) return 0; // W(0; C) = 0; W is quadratic in Ct
    let e = phi;
    for (const i of ct) e = diff(e, names[i]);
    e = substitute(e, zeroCt);
    for (const i of cc) e = diff(e, names[i]);
    return compileNamed(e, vars, act)(...at);
  };
  const memo = new Map<string, number>();
  const D3 = (i1: number, i2: number, i3: number) => {
    const key = [i1, i2, i3].sort((x, y) => x - y).join(',');
    let v = memo.get(key);
    if (v === undefined) {
      v = derivative([i1, i2, i3]);
      memo.set(key, v);
    }
    return v;
  };
  const A: number[][] = [];
  for (let i1 = 0; i1 < n; i1++) {
    A.push([]);
    for (let i2 = 0; i2 < n; i2++) A[i1].push(i2 < i1 ? A[i2][i1] : derivative([i1, i2]));
  }
  const G = inverse(A).map((r) => r.map((x) => -x));
  const c1: number[] = [NaN];
  const varC: number[] = [NaN];
  for (let li = 0; li < L; li++) {
    let s = 0;
    for (let b = 0; b < n; b++) {
      if (G[li][b] === 0) continue;
      for (let c2 = 0; c2 < n; c2++) for (let d = 0; d < n; d++) if (G[c2][d] !== 0) s += G[li][b] * D3(b, c2, d) * G[c2][d];
    }
    c1.push(0.5 * s);
    varC.push(G[li][li]);
  }
  return { phi, saddle, c1, varC };
}

// ---------------------------------------------------------------------------------------
// Checks

const DOMAIN = { K: [0.2, 3] as [number, number], D: [0.05, 2] as [number, number], a: [0.05, 1] as [number, number], sw2: [0.5, 3] as [number, number], sb2: [0, 0.5] as [number, number], Kb: [0.2, 2] as [number, number], Ck: [0.1, 1] as [number, number] };

/** A symbolic derivative against finite differences: 30-digit Richardson (closed forms) or float64 (named). */
export function derivativeCheck(f: Expr, v: string, claimed: Expr, act: Activation, domain: Record<string, [number, number]>): number {
  if (!hasNamed(f) && !hasNamed(claimed)) {
    const r = verifyDerivative(f, v, claimed, { domain, digits: 30, points: 5 });
    return r.ok ? r.maxRelErr : Math.max(r.maxRelErr, 1);
  }
  const vars = Object.keys(domain);
  const F = compileNamed(f, vars, act);
  const G = compileNamed(claimed, vars, act);
  const iv = vars.indexOf(v);
  let worst = 0;
  let seed = 7;
  const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
  for (let t = 0; t < 3; t++) {
    const x = vars.map((name) => domain[name][0] + (domain[name][1] - domain[name][0]) * rnd());
    const at = (h: number) => { const y = [...x]; y[iv] += h; return F(...y); };
    const h = 0.02 * Math.max(1, Math.abs(x[iv]));
    const d1 = (at(h) - at(-h)) / (2 * h);
    const d2 = (at(h / 2) - at(-h / 2)) / h;
    const d4 = (at(h / 4) - at(-h / 4)) / (h / 2);
    const r1 = (4 * d2 - d1) / 3;
    const r2 = (4 * d4 - d2) / 3;
    const fd = (16 * r2 - r1) / 15;
    worst = Math.max(worst, relDiff(fd, G(...x), 1e-12));
  }
  return worst;
}

export function identityCheck(lhs: Expr, rhs: Expr, domain: Record<string, [number, number]>, act: Activation): number {
  if (!hasNamed(lhs) && !hasNamed(rhs)) {
    const r = verifyIdentity(lhs, rhs, { domain, digits: 30, points: 6 });
    return r.ok ? r.maxRelErr : Math.max(r.maxRelErr, 1);
  }
  const vars = Object.keys(domain);
  const F = compileNamed(lhs, vars, act);
  const G = compileNamed(rhs, vars, act);
  let worst = 0;
  for (let t = 0; t < 4; t++) {
    const x = vars.map((name, i) => domain[name][0] + ((domain[name][1] - domain[name][0]) * ((t * 7 + i * 3) % 11)) / 10);
    worst = Math.max(worst, relDiff(F(...x), G(...x), 1e-12));
  }
  return worst;
}

function pick(dom: string[]): Record<string, [number, number]> {
  const o: Record<string, [number, number]> = {};
  for (const k2 of dom) o[k2] = (DOMAIN as Record<string, [number, number]>)[k2];
  return o;
}

export const CHECK_POINTS: Omit<Point, 'act'>[] = [
  { alpha: 0.5, sw2: 2, sb2: 0.1, q0: 1, depth: 6 },
  { alpha: 0.3, sw2: 1.5, sb2: 0.05, q0: 0.7, depth: 5 },
];

/** Fallback check network for activations whose kernel explodes at CHECK_POINTS. */
export const MILD_POINT: Omit<Point, 'act'> = { alpha: 0.2, sw2: 1, sb2: 0.05, q0: 0.5, depth: 4 };

const KEYS = ['k1', 'c1', 'varC', 'varK', 'c1_curvature'] as const;

/** Max over the keys and layers of |rec - ref| / max_l |ref| (per array). */
export function compareTables(rec: RecursionTable, ref: OneLoopTable, L: number): number {
  let worst = 0;
  for (const key of KEYS) {
    const r = ref[key];
    let scale = 0;
    for (let li = 0; li <= L; li++) if (r[li] !== null) scale = Math.max(scale, Math.abs(r[li] as number));
    for (let li = 0; li <= L; li++) {
      const x = r[li];
      if (x === null || x === undefined) continue;
      const y = rec[key][li];
      const e = Math.abs(y - x) / Math.max(scale, 1e-300);
      if (!(e <= worst)) worst = e;
    }
  }
  return worst;
}

export function deriveOneLoop(actName: string, opts: { checks?: boolean } = {}): Derivation {
  const act = activation(actName);
  const c = coefficients(act);
  const checks: Check[] = [];
  const eqs: Equation[] = [];
  const Kt = '\\mathcal{K}';
  const named = hasNamed(c.m) || hasNamed(c.v);
  eqs.push(equation('map', `m(${Kt})`, 'm(K)', c.m, 'amplitude', 'mean-field map: the first cumulant of the branch kernel'));
  eqs.push(equation('mu', `\\mu(${Kt})`, 'mu(K)', c.mu, 'amplitude', 'M^(l,k) = dm^l/dC^k = mu(K^(l-1)) for every k < l'));
  eqs.push(equation('kappa', `\\kappa(${Kt})`, 'kappa(K)', c.kappa, 'amplitude', 'curvature: (1/2) d^2 m^l/dC^k dC^k\' / a^2'));
  eqs.push(equation('v0', `v_0(${Kt})`, 'v0(K)', c.v0, 'amplitude', 'noise vertex V^(l,l) = sw2^2 Var[phi^2]'));
  eqs.push(equation('v', `v(${Kt}, D)`, 'v(K, D)', c.v, 'amplitude', 'noise vertex across layers: sw2^2 Cov[phi^2(x), phi^2(x+z)], x ~ N(0,K), z ~ N(0,D)'));
  eqs.push(equation('vD', `\\partial_D v(${Kt}, D)`, 'vD(K, D)', c.vD, 'amplitude', 'memory vertex: dV^(l,j)/dC^k = a d_D v for j <= k < l'));
  eqs.push(equation('b', `b(${Kt})`, 'b(K)', c.b, 'amplitude', 'sw2 Cov[phi^2(u), u^2]_K (Stein\'s lemma twice)'));
  for (const r of recursions()) eqs.push(equation(r.label, r.lhs, r.lhsText, r.expr, 'amplitude', r.note));

  if (opts.checks !== false) {
    const d1 = pick(['Kb', 'Ck', 'a', 'sw2', 'sb2']);
    checks.push(check('mu: d m(K^(l-1)(C)) / dC^k, symbolic vs finite differences', derivativeCheck(c.raw.mMoved, 'Ck', c.raw.muMoved, act, d1), 1e-8, '$\\mu$: $\\partial m(\\mathcal{K}^{(\\ell-1)}(\\mathcal{C})) / \\partial \\mathcal{C}^{(k)}$, symbolic vs finite differences'));
    checks.push(check('kappa: second derivative along the auxiliary field vs finite differences', derivativeCheck(c.raw.muMoved, 'Ck', c.raw.h2Moved, act, d1), 1e-7, '$\\kappa$: second derivative along the auxiliary field vs finite differences'));
    const dD = pick(['K', 'Kb', 'Ck', 'a', 'sw2']);
    checks.push(check('memory vertex dV/dC^k vs finite differences', derivativeCheck(c.raw.vMoved, 'Ck', c.raw.vDmoved, act, dD), 1e-7, 'memory vertex $\\partial V / \\partial \\mathcal{C}^{(k)}$ vs finite differences'));
    const dom1 = pick(['K', 'a', 'sw2', 'sb2']);
    const dom2 = pick(['K', 'D', 'a', 'sw2']);
    const tidyErr = Math.max(
      identityCheck(c.raw.m, c.m, dom1, act), identityCheck(c.raw.mu, c.mu, dom1, act), identityCheck(c.raw.kappa, c.kappa, dom1, act),
      identityCheck(c.raw.v0, c.v0, pick(['K', 'sw2']), act), identityCheck(c.raw.v, c.v, dom2, act), identityCheck(c.raw.vD, c.vD, dom2, act),
      identityCheck(c.raw.b, c.b, pick(['K', 'sw2']), act),
    );
    checks.push(check('printed (tidied) forms equal the derived ones', tidyErr, 1e-12, 'printed (simplified) forms equal the derived ones'));
    // b(K) by a different route: direct quadrature of sw2 (phi^2 u^2 - K phi^2)
    const bF = compileNamed(c.b, ['K', 'sw2'], act);
    let bErr = 0;
    for (const Kv of [0.3, 1, 2.5]) {
      const direct = expect1F64((u) => { const f = act.f64(u); return f * f * (u * u - Kv); }, Kv, { tol: 1e-14, kinks: act.kinks }).value;
      bErr = Math.max(bErr, relDiff(bF(Kv, 1), direct, 1e-12));
    }
    checks.push(check('b(K) = sw2 Cov[phi^2, u^2] vs direct quadrature', bErr, 1e-9, '$b(\\mathcal{K}) = \\sigma_w^2 \\operatorname{Cov}[\\phi^2, u^2]$ vs direct quadrature'));
    if (named) {
      // the heat-equation rule of the named expectations vs finite differences of quadratures
      let hErr = 0;
      const f = (Kv: number) => namedValue(act, 'Ephi', [2, 0, Kv]);
      for (const Kv of [0.4, 1.3]) {
        const h = 0.02;
        const r1 = (f(Kv + h) - f(Kv - h)) / (2 * h);
        const r2 = (f(Kv + h / 2) - f(Kv - h / 2)) / h;
        hErr = Math.max(hErr, relDiff((4 * r2 - r1) / 3, 0.5 * namedValue(act, 'Ephi', [2, 2, Kv]), 1e-12));
      }
      checks.push(check('heat equation d<phi^2>_K/dK = (1/2)<(phi^2)\'\'>_K vs finite differences', hErr, 1e-6, "heat equation $\\partial_{\\mathcal{K}} \\langle \\phi^2 \\rangle_{\\mathcal{K}} = \\frac{1}{2} \\langle (\\phi^2)'' \\rangle_{\\mathcal{K}}$ vs finite differences"));
    }
    // the recursion against the generic one-loop expansion of the action (depth 3)
    const p3: Point = { act: actName, ...CHECK_POINTS[0], depth: 3 };
    const ar = actionOneLoop(act, p3);
    const rec3 = runRecursion(c, p3);
    let aErr = 0;
    const sc = Math.max(...rec3.c1.slice(1).map(Math.abs), 1e-12);
    const sv = Math.max(...rec3.varC.slice(1).map(Math.abs));
    for (let li = 1; li <= 3; li++) aErr = Math.max(aErr, Math.abs(ar.c1[li] - rec3.c1[li]) / sc, Math.abs(ar.varC[li] - rec3.varC[li]) / sv);
    checks.push(check('recursion = one-loop perturbation theory of the action (Hessian, cubic vertices; depth 3)', aErr, 1e-7, 'recursion $=$ one-loop perturbation theory of the action (Hessian, cubic vertices; depth 3)'));
    // the recursion against the numeric one-loop engine
    let lErr = 0;
    for (const P0 of CHECK_POINTS) {
      let P = P0;
      let ref: OneLoopTable;
      const tableAt = (Q: typeof P) => oneLoop64(network({ act: actName, alpha: String(Q.alpha), sw2: String(Q.sw2), sb2: String(Q.sb2), q0: String(Q.q0), depth: Q.depth, c0: '0' }));
      try {
        ref = tableAt(P);
      } catch (e) {
        // activations that grow without bound (relu-power:2, ...) blow the kernel up: a milder network
        if (!(e instanceof NumericalError)) throw e;
        P = MILD_POINT;
        ref = tableAt(P);
      }
      const rec = runRecursion(c, { act: actName, ...P });
      lErr = Math.max(lErr, compareTables(rec, ref, P.depth));
    }
    checks.push(check('recursion (k1, c1, varC, varK, c1_curvature) vs src/quantities/loop.ts oneLoop64 at 2 networks', lErr, 1e-7, 'recursion ($k_1$, $c_1$, $\\mathrm{var}_C$, $\\mathrm{var}_K$, $c_1^{\\mathrm{curv}}$) vs src/quantities/loop.ts at 2 networks'));
  }
  const intro =
    `Weight-averaged generating functional with auxiliary kernel fields $\\mathcal{C}^{(\\ell)}$, $\\tilde{\\mathcal{C}}^{(\\ell)}$: ` +
    `$Z = \\int d\\mathcal{C}\\, d\\tilde{\\mathcal{C}}\\, e^{N \\Phi}$, $\\Phi = \\sum_\\ell \\tilde{\\mathcal{C}}^{(\\ell)} (m^{(\\ell)}(\\mathcal{C}) - \\mathcal{C}^{(\\ell)}) + \\frac{1}{2} \\sum_{\\ell, j} \\tilde{\\mathcal{C}}^{(\\ell)} \\tilde{\\mathcal{C}}^{(j)} V^{(\\ell,j)}(\\mathcal{C}) + O(\\tilde{\\mathcal{C}}^3)$, ` +
    `$\\mathcal{K}^{(\\ell)}(\\mathcal{C}) = q_0 + \\alpha^2 \\sum_{k \\le \\ell} \\mathcal{C}^{(k)}$ (one input, residual, amplitude scaling). ` +
    `The saddle point gives the mean field, the Hessian the response $R = (1 - M)^{-1}$ and the noise $\\Sigma = R V R^T$, ` +
    `the cubic vertices contracted with the propagator the one-loop mean $c_1 = R s$. ` +
    (named ? 'Moments without a closed form stay named Gaussian expectations (evaluated by quadrature); ' : '') +
    `activation ${act.name}.`;
  return { name: 'one-loop', title: `One-loop (1/N) corrections, ${act.name}`, intro, act: act.name, equations: eqs, checks };
}

