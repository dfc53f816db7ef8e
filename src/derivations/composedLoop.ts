/**
 * The one-loop theory of composed descriptions (src/quantities/loop/netOneLoop.ts) as a derivation
 * (derivations/05-composed-one-loop.ts), done by the symbolic core.
 *
 * Fields: G^(d), the empirical kernel of dense layer d's input; the action N Phi(G, Gt) with
 * Phi = sum_d Gt_d (m_d(G) - G_d) + (1/2) sum_{b,d} Gt_b Gt_d V_bd(G) + O(Gt^3). What is printed:
 *  - the general one-loop equations as indexed expressions that print and evaluate (the response
 *    R = (1 - M)^-1 as a causal Dyson equation, Sigma = R V R^T, the curvature and memory sources,
 *    c1 = R s, the contraction that causality removes, observables as terminal fields);
 *  - the delta method for the empirical correlation: the gradient and Hessian of K12 / sqrt(K11 K22)
 *    by differentiation, its reduction at equal variances and its value at the input;
 *  - Cov(z_i z_j, z_k z_l) from the moment-cumulant relation (sums over set partitions);
 *  - the special cases: the noise of a stream x_b = x_d + y (y independent of x_d), whose memory
 *    vertex is 2 d<y>/dG (Cov(x_d, x_d^2)): zero for a feed-forward net and for blocks ending in a
 *    dense layer, 2 alpha sw2 d<phi>/dSigma Cov(x, x^2) for a post-activation residual net, whose
 *    response and curvature coefficients are derived per activation.
 * Checks: covOfProducts against the printed formula (random cumulants) and the printed formula
 * against direct enumeration of a sum of two independent discrete vectors (cumulants from the
 * log-moment generating function); dCovOfProducts against differences; the delta method against
 * netOneLoop64's chat1 and the docs' equal-variance form; the post-activation net three ways: the
 * printed recursions evaluated, the generic one-loop contraction of the action built symbolically
 * (no causal structure assumed), and netOneLoop64; the feed-forward net against oneLoop64.
 */
import {
  Expr, sym, num, add, sub, mul, pow, diff, simplify, substitute, expand, call, registerFunction, toLatex, toString,
  ZERO, HALF, compileF64, verifyIdentity,
} from '../symbolic';
import { activation, Activation } from '../model/activation';
import { symbolicField } from '../interpret/symbolic';
import { network } from '../model/network';
import { parseNetwork } from '../model/net/json';
import { netOneLoop64 } from '../quantities/loop/netOneLoop';
import { covOfProducts, dCovOfProducts, zeroCum, Cum } from '../quantities/loop/netCumulants';
import { oneLoop64 } from '../quantities/loop';
import { wick, tidy, compileNamed, checkActivation, relDiff } from './expectations';
import { Derivation, Equation, Check, check, lay, lay2, Sum, kdelta, coef, evalIndexed, IndexedEnv, SYMBOLS, plainIndexed } from './notation';
import { inverse, coefficients, coefFns, branch, Point } from './oneLoop';
import { expect1F64, expect2F64 } from '../numeric/gaussian';
import { plainMath } from '../numeric/plainMath';
const Math = plainMath();

registerFunction('nlHm', { arity: 3, latex: ([b, c, cp]) => `\\frac{\\partial^2 m^{(${b})}}{\\partial G^{(${c})}\\, \\partial G^{(${cp})}}` });
registerFunction('nlDV', { arity: 3, latex: ([b, d, c]) => `\\frac{\\partial V^{(${b},${d})}}{\\partial G^{(${c})}}` });
registerFunction('nlM', { arity: 1, latex: ([d]) => `m^{(${d})}(G)` });

const LETTERS = 'ijkl';
const GAMMA: Record<string, string> = {};
for (const e of ['11', '12', '22']) for (const f of ['11', '12', '22']) GAMMA[`Q${e}${f}`] = `\\Gamma_{${e},${f}}`;

const NL: Record<string, string> = {
  ...SYMBOLS,
  G: 'G', Su: '\\Sigma_u', M: 'M', Sig: '\\Sigma', scurv: 's_{\\mathrm{curv}}', smem: 's_{\\mathrm{mem}}', c1curv: 'c_{1,\\mathrm{curv}}',
  b: 'b', bp: "b'", c: 'c', cp: "c'", d: 'd', dp: "d'", n: 'n', O: 'O',
  Sc: '\\Sigma_u^{(c)}', Scp: "\\Sigma_u^{(c')}", mub: '\\mu^{(b)}', Gc: 'G^{(c)}', Gcp: "G^{(c')}", Mr: '\\bar{\\mu}', Rst: 'A', Yr: '\\bar{y}',
  e1: '\\langle x \\rangle', e2: '\\langle x^2 \\rangle', e3: '\\langle x^3 \\rangle', e4: '\\langle x^4 \\rangle',
  y1: '\\langle y \\rangle', y2: '\\langle y^2 \\rangle',
  kap1: '\\kappa_1', kap2: '\\kappa_2', kap3: '\\kappa_3',
  q: 'q', cc: 'c', c0: 'c_0', k11: 'k_{1,11}', k12: 'k_{1,12}', k22: 'k_{1,22}',
  ...GAMMA,
};
const KAP_NAMES: string[] = [];
for (let m = 1; m < 16; m++) {
  const s = [0, 1, 2, 3].filter((i) => m & (1 << i)).map((i) => LETTERS[i]).join('');
  KAP_NAMES.push(`kap${s}`);
  NL[`kap${s}`] = `\\kappa_{${s}}`;
}

const POSITIVE = ['S', 'Sc', 'Scp', 'sw2', 'sb2', 'alpha', 'q', 'q0', 'K11', 'K22'];

/** An equation; `general`: the same for every activation (the documents show it in the steps only). */
function eqn(label: string, lhs: string, lhsText: string, expr: Expr, note: string, general = true): Equation {
  const tex = toLatex(expr, { symbols: NL, combineSymbolPowers: true });
  return { label, lhs, lhsText, expr, latex: `${lhs} = ${tex}`, text: `${lhsText} = ${plainIndexed(toString(expr))}`, note, ...(general ? { general } : {}) };
}

// ---------------------------------------------------------------------------------------
// The general one-loop equations (indexed; P = 1 when evaluated, composite indices in general)

const [b, c, d, cp, bp, dp, n, O] = ['b', 'c', 'd', 'cp', 'bp', 'dp', 'n', 'O'].map(sym);
const one = num(1);
const sw2 = sym('sw2');
const sb2 = sym('sb2');

interface Rec { label: string; lhs: string; lhsText: string; expr: Expr; note: string }

function recursions(): Rec[] {
  const bm1 = sub(b, one);
  const Om1 = sub(O, one);
  return [
    { label: 'row-cov', lhs: '\\Sigma_u^{(d)}', lhsText: 'Su^(d)', expr: add(mul(sw2, lay('G', d)), sb2), note: 'covariance of the rows of dense layer d given its field (its own sw2, sb2)' },
    { label: 'saddle', lhs: 'G^{(d)}', lhsText: 'G^(d)', expr: coef('nlM', d), note: 'saddle point: the mean field (Gt = 0)' },
    {
      label: 'response', lhs: 'R^{(b,d)}', lhsText: 'R^(b,d)', expr: add(kdelta(b, d), Sum(mul(lay2('M', b, c), lay2('R', c, d)), 'c', d, bm1)),
      note: 'R = (1 - M)^-1, M^(b,c) = dm^(b)/dG^(c) strictly lower triangular: the causal Dyson equation, d <= b',
    },
    {
      label: 'covariance', lhs: "\\Sigma^{(b,b')}", lhsText: "Sigma^(b,b')",
      expr: Sum(Sum(mul(lay2('R', b, d), lay2('V', d, dp), lay2('R', bp, dp)), 'dp', one, bp), 'd', one, b),
      note: 'N Cov(G^(b), G^(b\')) = [R V R^T]',
    },
    {
      label: 'curvature', lhs: 's_{\\mathrm{curv}}^{(b)}', lhsText: 'scurv^(b)',
      expr: mul(HALF, Sum(Sum(mul(coef('nlHm', b, c, cp), lay2('Sig', c, cp)), 'cp', one, bm1), 'c', one, bm1)),
      note: 'the Phi_GtGG vertex contracted with the field covariance',
    },
    {
      label: 'memory', lhs: 's_{\\mathrm{mem}}^{(b)}', lhsText: 'smem^(b)',
      expr: Sum(Sum(mul(coef('nlDV', b, d, c), lay2('R', c, d)), 'c', d, bm1), 'd', one, bm1),
      note: 'the Phi_GtGtG vertex contracted with the mixed propagator R (c >= d by causality)',
    },
    { label: 'tadpole', lhs: 's^{(b)}', lhsText: 's^(b)', expr: add(lay('scurv', b), lay('smem', b)), note: 'the one-loop source' },
    { label: 'c1', lhs: 'c_1^{(b)}', lhsText: 'c1^(b)', expr: Sum(mul(lay2('R', b, d), lay('s', d)), 'd', one, b), note: 'lim N (E G^(b) - G^(b)*) = [R s]' },
    { label: 'c1-curvature', lhs: 'c_{1,\\mathrm{curv}}^{(b)}', lhsText: 'c1curv^(b)', expr: Sum(mul(lay2('R', b, d), lay('scurv', d)), 'd', one, b), note: 'the curvature part of c1' },
    {
      label: 'dropped', lhs: 't^{(b)}', lhsText: 't^(b)', expr: Sum(Sum(mul(coef('nlHm', d, b, c), lay2('R', c, d)), 'd', one, n), 'c', one, n),
      note: 'the Phi_GGGt vertex contracted with R: zero, since m^(d) depends on G^(c) for c < d only and R^(c,d) = 0 for c < d',
    },
    {
      label: 'obs-k1', lhs: 'k_1^{(O)}', lhsText: 'k1^(O)', expr: add(lay('s', O), Sum(mul(lay2('M', O, c), lay('c1', c)), 'c', one, Om1)),
      note: 'an observable O = (1/N) sum_i g(z_i) is a terminal field',
    },
    {
      label: 'obs-cov', lhs: '\\Gamma^{(O)}', lhsText: 'Gamma^(O)',
      expr: add(
        lay2('V', O, O),
        mul(num(2), Sum(Sum(mul(lay2('M', O, c), lay2('R', c, d), lay2('V', d, O)), 'd', one, c), 'c', one, Om1)),
        Sum(Sum(mul(lay2('M', O, c), lay2('Sig', c, cp), lay2('M', O, cp)), 'cp', one, Om1), 'c', one, Om1),
      ),
      note: 'lim N Var(O): own noise, its correlation with the fields\' noise, the fields\' covariance through M_O',
    },
  ];
}

/** Arrays and vertex functions of one network (one input; fields 1..n, field n the terminal observable). */
export interface FieldTheory {
  n: number;
  M: number[][];
  V: number[][];
  Hm: (b: number, c: number, cp: number) => number;
  dV: (b: number, d: number, c: number) => number;
}

export interface RecursionResult {
  R: number[][];
  Sig: number[][];
  s: number[];
  scurv: number[];
  c1: number[];
  c1curv: number[];
  dropped: number[];
  obsK1: number;
  obsCov: number;
}

const arr2 = (n1: number) => Array.from({ length: n1 + 1 }, () => new Array<number | undefined>(n1 + 1).fill(undefined));

/** Evaluate the printed general equations over the fields (indices 1..n). */
export function runGeneral(t: FieldTheory): RecursionResult {
  const eqs = recursions();
  const E = (label: string) => eqs.find((e) => e.label === label)!.expr;
  const N1 = t.n;
  const env: IndexedEnv = {
    scalars: { n: N1 },
    arrays: { s: [], scurv: [], smem: [], c1: [], c1curv: [] },
    arrays2: { M: t.M.map((r) => [...r]), V: t.V.map((r) => [...r]), R: arr2(N1), Sig: arr2(N1) },
    fns: { nlHm: t.Hm, nlDV: t.dV },
  };
  const A = env.arrays;
  const R = env.arrays2.R;
  const Sg = env.arrays2.Sig;
  const ev = (label: string) => evalIndexed(E(label), env);
  for (let bi = 1; bi <= N1; bi++) {
    env.scalars.b = bi;
    for (let di = 1; di <= N1; di++) {
      env.scalars.d = di;
      R[bi][di] = di <= bi ? ev('response') : 0;
    }
    delete env.scalars.d;
    for (let bpi = 1; bpi <= bi; bpi++) {
      env.scalars.bp = bpi;
      Sg[bi][bpi] = Sg[bpi][bi] = ev('covariance');
    }
    delete env.scalars.bp;
    A.scurv[bi] = ev('curvature');
    A.smem[bi] = ev('memory');
    A.s[bi] = ev('tadpole');
    A.c1[bi] = ev('c1');
    A.c1curv[bi] = ev('c1-curvature');
  }
  const dropped: number[] = [NaN];
  for (let bi = 1; bi <= N1; bi++) {
    env.scalars.b = bi;
    dropped.push(ev('dropped'));
  }
  delete env.scalars.b;
  env.scalars.O = N1;
  const num1 = (xs: (number | undefined)[]) => xs.map((x) => (x === undefined ? NaN : x));
  return {
    R: R.map(num1), Sig: Sg.map(num1), s: num1(A.s), scurv: num1(A.scurv), c1: num1(A.c1), c1curv: num1(A.c1curv), dropped,
    obsK1: ev('obs-k1'), obsCov: ev('obs-cov'),
  };
}

// ---------------------------------------------------------------------------------------
// Gaussian moments of one base

/** <phi^k>_S: closed form where there is one, zero for odd powers of an odd activation with closed forms, a named expectation otherwise. */
export function phiMoment(act: Activation, k: number, S: Expr): Expr {
  const r = act.rectified;
  if (r && r.a === 1 && r.b === 0 && Number.isInteger(r.k)) {
    const cf = activation(`relu-power:${k * r.k}`).closedForm;
    if (cf?.mean) return cf.mean(symbolicField, S);
  }
  if (act.linear) return wick(pow(act.expr, num(k)), S, ZERO, ZERO);
  const cf = act.closedForm;
  if (cf && k === 2) return cf.square(symbolicField, S);
  if (cf && k === 1 && cf.mean) return cf.mean(symbolicField, S);
  if (cf && act.parity === 'odd' && k % 2 === 1) return ZERO;
  return call('Ephi', [num(k), ZERO, S]);
}

// ---------------------------------------------------------------------------------------
// The post-activation residual block x <- x + alpha phi(W x + b): its coefficients

export interface PostActivation {
  mean: Expr;
  square: Expr;
  field: Expr;
  M: Expr;
  Hdiag: Expr;
  Hoff: Expr;
  noise: Expr;
  cov3: Expr;
  memory: Expr;
}

const alpha = sym('alpha');
const Sc = sym('Sc');
const Scp = sym('Scp');

export function postActivation(act: Activation): PostActivation {
  const Gc = sym('Gc');
  const Gcp = sym('Gcp');
  const SofG = (g: Expr) => add(mul(sw2, g), sb2);
  const back = { Gc: mul(sub(Sc, sb2), pow(sw2, num(-1))), Gcp: mul(sub(Scp, sb2), pow(sw2, num(-1))) };
  const p1 = (g: Expr) => phiMoment(act, 1, SofG(g));
  const p2 = (g: Expr) => phiMoment(act, 2, SofG(g));
  // m^(b) with base c singled out: A (the other bases' variances) and mubar = sum_{c' != c} <phi>, independent of G^(c)
  const Rst = sym('Rst');
  const Mr = sym('Mr');
  const m1 = add(sym('q0'), mul(pow(alpha, num(2)), add(Rst, p2(Gc), mul(num(-1), pow(p1(Gc), num(2))), pow(add(Mr, p1(Gc)), num(2)))));
  // the stream's mean mu^(b) = alpha (mubar + <phi>_{S_c})
  const toMu = (e: Expr) => tidy(simplify(substitute(substitute(e, { Mr: sub(mul(sym('mub'), pow(alpha, num(-1))), p1(Gc)) }), back)), POSITIVE);
  const M = toMu(diff(m1, 'Gc'));
  const Hdiag = toMu(diff(diff(m1, 'Gc'), 'Gc'));
  const m2 = add(sym('q0'), mul(pow(alpha, num(2)), add(Rst, p2(Gc), p2(Gcp), mul(num(-1), pow(p1(Gc), num(2))), mul(num(-1), pow(p1(Gcp), num(2))), pow(add(Mr, p1(Gc), p1(Gcp)), num(2)))));
  const Hoff = tidy(simplify(substitute(diff(diff(m2, 'Gc'), 'Gcp'), back)), POSITIVE);
  // V^(b,d) = Cov((x + y)^2, x^2), x = x_d and the increment y = x_b - x_d independent: moments of monomials
  const x = sym('x');
  const y = sym('y');
  const E = (p: Expr): Expr => {
    const terms = expand(p);
    const ts = terms.kind === 'add' ? terms.terms : [terms];
    const out = ts.map((t) => {
      const fs = t.kind === 'mul' ? t.factors : [t];
      let i = 0;
      let j = 0;
      const rest: Expr[] = [];
      for (const f of fs) {
        if (f.kind === 'sym' && f.name === 'x') i += 1;
        else if (f.kind === 'pow' && f.base.kind === 'sym' && f.base.name === 'x' && f.exp.kind === 'num') i += Number(f.exp.n);
        else if (f.kind === 'sym' && f.name === 'y') j += 1;
        else if (f.kind === 'pow' && f.base.kind === 'sym' && f.base.name === 'y' && f.exp.kind === 'num') j += Number(f.exp.n);
        else rest.push(f);
      }
      return mul(...rest, i ? sym(`e${i}`) : one, j ? sym(`y${j}`) : one);
    });
    return add(...out);
  };
  const xb2 = pow(add(x, y), num(2));
  const noise = simplify(expand(sub(E(mul(xb2, pow(x, num(2)))), mul(E(xb2), E(pow(x, num(2)))))));
  // <y> = ybar + alpha <phi>_{S_c} for a base c the increment holds
  const memory = tidy(simplify(substitute(diff(substitute(noise, { y1: add(sym('Yr'), mul(alpha, p1(Gc))) }), 'Gc'), back)), POSITIVE);
  // Cov(x, x^2) in cumulants
  const [k1, k2, k3] = ['kap1', 'kap2', 'kap3'].map(sym);
  const cov3 = simplify(expand(sub(add(k3, mul(num(3), k2, k1), pow(k1, num(3))), mul(k1, add(k2, pow(k1, num(2)))))));
  const S = sym('S');
  const Su = lay('Su', c);
  const mean = phiMoment(act, 1, Su);
  const zeroMean = mean.kind === 'num' && mean.n === 0n;
  const field = add(sym('q0'), mul(pow(alpha, num(2)), zeroMean
    ? Sum(phiMoment(act, 2, Su), 'c', one, sub(b, one))
    : add(Sum(sub(phiMoment(act, 2, Su), pow(mean, num(2))), 'c', one, sub(b, one)), pow(call('grp', [Sum(mean, 'c', one, sub(b, one))]), num(2)))));
  return {
    mean: tidy(phiMoment(act, 1, S), POSITIVE), square: tidy(phiMoment(act, 2, S), POSITIVE), field, M, Hdiag, Hoff, noise, cov3: cov3, memory,
  };
}

// ---------------------------------------------------------------------------------------
// The delta method for the empirical correlation; Cov of products in cumulants

const K11 = sym('K11');
const K12 = sym('K12');
const K22 = sym('K22');
const ENTRIES = ['11', '12', '22'];

interface Corr { c: Expr; grad: Expr[]; hess: Expr[][]; chat1: Expr; sym: Expr; input: Expr }

function correlation(): Corr {
  const cExpr = mul(K12, pow(mul(K11, K22), num('-1/2')));
  const vars = ['K11', 'K12', 'K22'];
  const grad = vars.map((v) => tidy(diff(cExpr, v), POSITIVE));
  const hess = vars.map((v) => vars.map((w) => tidy(diff(diff(cExpr, v), w), POSITIVE)));
  const k1 = ENTRIES.map((e) => sym(`k${e}`));
  const G = (e: number, f: number) => sym(`Q${ENTRIES[Math.min(e, f)]}${ENTRIES[Math.max(e, f)]}`);
  const terms: Expr[] = [];
  for (let e = 0; e < 3; e++) {
    terms.push(mul(grad[e], k1[e]));
    for (let f = 0; f < 3; f++) terms.push(mul(HALF, hess[e][f], G(e, f)));
  }
  const chat1 = add(...terms);
  const q = sym('q');
  const cc = sym('cc');
  const symm = { K11: q, K22: q, K12: mul(cc, q), k22: sym('k11'), Q2222: sym('Q1111'), Q1222: sym('Q1112') };
  const sym1 = tidy(simplify(expand(substitute(chat1, symm))), POSITIVE);
  // the input: k1 = 0 and the Gaussian (Wick) covariances of the products
  const wickQ: Record<string, Expr> = {
    k11: ZERO, k12: ZERO, k22: ZERO,
    Q1111: mul(num(2), pow(K11, num(2))), Q1112: mul(num(2), K11, K12), Q1122: mul(num(2), pow(K12, num(2))),
    Q1212: add(mul(K11, K22), pow(K12, num(2))), Q1222: mul(num(2), K12, K22), Q2222: mul(num(2), pow(K22, num(2))),
  };
  const q0 = sym('q0');
  const input = simplify(expand(simplify(substitute(substitute(chat1, wickQ), { K11: q0, K22: q0, K12: mul(sym('c0'), q0) }))));
  return { c: cExpr, grad, hess, chat1, sym: sym1, input };
}

/** Set partitions of a list. */
function partitions<T>(xs: T[]): T[][][] {
  if (xs.length === 0) return [[]];
  const [first, ...rest] = xs;
  const out: T[][][] = [];
  for (const p of partitions(rest)) {
    out.push([[first], ...p]);
    p.forEach((_, i) => out.push(p.map((B, j) => (j === i ? [first, ...B] : B))));
  }
  return out;
}

const kap = (positions: number[]) => sym(`kap${[...positions].sort().map((i) => LETTERS[i]).join('')}`);
/** E[prod_{p in positions} z_p] as a sum over set partitions of products of joint cumulants. */
const momentOf = (positions: number[]): Expr => add(...partitions(positions).map((P) => mul(...P.map(kap))));

function covProducts(): Expr {
  return simplify(expand(sub(momentOf([0, 1, 2, 3]), mul(momentOf([0, 1]), momentOf([2, 3])))));
}

// ---------------------------------------------------------------------------------------
// Numbers: the post-activation net (one input) three ways

export interface NetPoint { alpha: number; sw2: number; sb2: number; q0: number; L: number }

export const PA_POINT: NetPoint = { alpha: 0.5, sw2: 1.5, sb2: 0.1, q0: 1, L: 3 };

/** Per-base moments <phi^k>_S, k = 1..4, compiled. */
function baseMoments(act: Activation): ((S: number) => number)[] {
  return [1, 2, 3, 4].map((k) => {
    const f = compileNamed(phiMoment(act, k, sym('S')), ['S'], act);
    return (S: number) => f(S);
  });
}

/** The post-activation net's field theory from the printed coefficients (mean field, M, V, vertices). */
export function postActivationTheory(act: Activation, pa: PostActivation, p: NetPoint): FieldTheory & { G: number[]; S: number[] } {
  const mom = baseMoments(act);
  const n1 = p.L + 1;
  const vars = ['Sc', 'Scp', 'mub', 'alpha', 'sw2', 'sb2', 'e1', 'e2', 'e3', 'e4', 'y1'];
  const F = (e: Expr) => {
    const f = compileNamed(e, vars, act);
    return (o: Partial<Record<string, number>>) => f(...vars.map((v) => o[v] ?? (p as unknown as Record<string, number>)[v] ?? 0));
  };
  const fM = F(pa.M);
  const fHd = F(pa.Hdiag);
  const fHo = F(pa.Hoff);
  const fMem = F(pa.memory);
  const fNoise = F(pa.noise);
  const G: number[] = [NaN];
  const S: number[] = [NaN];
  const mu: number[] = [NaN];
  const kap: number[][] = [[NaN]];
  const base: number[][] = [[NaN]];
  for (let bi = 1; bi <= n1; bi++) {
    // the stream x_b = h0 + alpha sum_{c<b} phi(u_c): cumulants add over the independent bases
    const k = [0, p.q0, 0, 0];
    let m = 0;
    let v = 0;
    for (let ci = 1; ci < bi; ci++) {
      const [a1, a2, a3, a4] = base[ci];
      const kc = [a1, a2 - a1 * a1, a3 - 3 * a2 * a1 + 2 * a1 ** 3, a4 - 4 * a3 * a1 - 3 * a2 * a2 + 12 * a2 * a1 * a1 - 6 * a1 ** 4];
      for (let r = 0; r < 4; r++) k[r] += p.alpha ** (r + 1) * kc[r];
      m += a1;
      v += a2 - a1 * a1;
    }
    G.push(p.q0 + p.alpha ** 2 * (v + m * m));
    mu.push(p.alpha * m);
    kap.push(k);
    S.push(p.sw2 * G[bi] + p.sb2);
    base.push(mom.map((f) => f(S[bi])));
  }
  const moments = (bi: number) => {
    const [k1, k2, k3, k4] = kap[bi];
    return { e1: k1, e2: k2 + k1 * k1, e3: k3 + 3 * k2 * k1 + k1 ** 3, e4: k4 + 4 * k3 * k1 + 3 * k2 * k2 + 6 * k2 * k1 * k1 + k1 ** 4 };
  };
  const M = arr2(n1).map((r) => r.map(() => 0));
  const V = arr2(n1).map((r) => r.map(() => 0));
  for (let bi = 1; bi <= n1; bi++) {
    for (let ci = 1; ci < bi; ci++) M[bi][ci] = fM({ Sc: S[ci], mub: mu[bi] });
    for (let di = 1; di <= bi; di++) V[bi][di] = V[di][bi] = fNoise({ ...moments(di), y1: mu[bi] - mu[di] });
  }
  const Hm = (bi: number, ci: number, cpi: number) => {
    if (ci >= bi || cpi >= bi) return 0;
    return ci === cpi ? fHd({ Sc: S[ci], mub: mu[bi] }) : fHo({ Sc: S[ci], Scp: S[cpi] });
  };
  const dV = (bi: number, di: number, ci: number) => (di <= ci && ci < bi ? fMem({ Sc: S[ci], ...moments(di) }) : 0);
  return { n: n1, M, V, Hm, dV, G, S };
}

/**
 * The generic one-loop perturbation theory of the action of the post-activation net: m^(b)(G) and
 * V^(b,d)(G) built symbolically by expanding the stream's moments over its independent bases (no
 * cumulant algebra), Phi = sum Gt (m - G) + (1/2) Gt V Gt differentiated symbolically, the full
 * propagator -A^-1 and the full cubic contraction (no causal structure assumed).
 */
export function actionOneLoopPA(act: Activation, p: NetPoint, Gstar: number[]): { c1: number[]; Sig: number[][]; Hm: (b: number, c: number, cp: number) => number; R: number[][] } {
  const n1 = p.L + 1;
  const Gs = Array.from({ length: p.L }, (_, i) => sym(`G${i + 1}`));
  const q0 = num(String(p.q0));
  const w = (ci: number) => (ci === 0 ? one : sym('alpha'));
  const mom = (ci: number, k: number): Expr => {
    if (ci === 0) return [one, ZERO, q0, ZERO, mul(num(3), pow(q0, num(2)))][k];
    return phiMoment(act, k, add(mul(sw2, Gs[ci - 1]), sb2));
  };
  const E = (bases: number[]): Expr => {
    const count = new Map<number, number>();
    for (const x of bases) count.set(x, (count.get(x) ?? 0) + 1);
    return mul(...[...count].map(([ci, k]) => mom(ci, k)));
  };
  const range = (m: number) => Array.from({ length: m }, (_, i) => i);
  const mOf = (bi: number) => add(...range(bi).flatMap((c1) => range(bi).map((c2) => mul(w(c1), w(c2), E([c1, c2])))));
  const ms = range(n1).map((i) => simplify(mOf(i + 1)));
  const V: Expr[][] = range(n1).map(() => []);
  for (let bi = 1; bi <= n1; bi++) {
    for (let di = 1; di <= bi; di++) {
      const terms: Expr[] = [];
      for (const c1 of range(bi)) for (const c2 of range(bi)) for (const c3 of range(di)) for (const c4 of range(di)) terms.push(mul(w(c1), w(c2), w(c3), w(c4), E([c1, c2, c3, c4])));
      V[bi - 1][di - 1] = V[di - 1][bi - 1] = simplify(sub(add(...terms), mul(ms[bi - 1], ms[di - 1])));
    }
  }
  const vars = [...Gs.map((g) => g.name), 'alpha', 'sw2', 'sb2'];
  const at = [...Gstar.slice(1, p.L + 1), p.alpha, p.sw2, p.sb2];
  const val = (e: Expr) => compileNamed(e, vars, act)(...at);
  const dm = (bi: number, ci: number) => (ci > p.L ? 0 : val(diff(ms[bi - 1], Gs[ci - 1].name)));
  const d2m = (bi: number, ci: number, cpi: number) => (ci > p.L || cpi > p.L ? 0 : val(diff(diff(ms[bi - 1], Gs[ci - 1].name), Gs[cpi - 1].name)));
  const dVv = (bi: number, di: number, ci: number) => (ci > p.L ? 0 : val(diff(V[bi - 1][di - 1], Gs[ci - 1].name)));
  // variables: G_1..G_n (0..n-1), Gt_1..Gt_n (n..2n-1)
  const N2 = 2 * n1;
  const A = range(N2).map(() => new Array<number>(N2).fill(0));
  for (let bi = 1; bi <= n1; bi++) {
    for (let ci = 1; ci <= n1; ci++) {
      A[n1 + bi - 1][ci - 1] = A[ci - 1][n1 + bi - 1] = dm(bi, ci) - (bi === ci ? 1 : 0);
      A[n1 + bi - 1][n1 + ci - 1] = val(V[bi - 1][ci - 1]);
    }
  }
  const T = new Float64Array(N2 * N2 * N2);
  const put = (i: number, j: number, k: number, v: number) => {
    for (const [x, y, z] of [[i, j, k], [i, k, j], [j, i, k], [j, k, i], [k, i, j], [k, j, i]]) T[(x * N2 + y) * N2 + z] = v;
  };
  const H: number[][][] = range(n1 + 1).map(() => range(n1 + 1).map(() => new Array<number>(n1 + 1).fill(0)));
  for (let bi = 1; bi <= n1; bi++) {
    for (let ci = 1; ci <= n1; ci++) {
      for (let cpi = ci; cpi <= n1; cpi++) {
        const h = d2m(bi, ci, cpi);
        H[bi][ci][cpi] = H[bi][cpi][ci] = h;
        put(n1 + bi - 1, ci - 1, cpi - 1, h);
      }
      for (let di = bi; di <= n1; di++) put(n1 + bi - 1, n1 + di - 1, ci - 1, dVv(bi, di, ci));
    }
  }
  const C = inverse(A).map((r) => r.map((x) => -x));
  const c1: number[] = [NaN];
  for (let a = 0; a < n1; a++) {
    let s = 0;
    for (let i = 0; i < N2; i++) {
      if (C[a][i] === 0) continue;
      for (let j = 0; j < N2; j++) for (let k = 0; k < N2; k++) s += C[a][i] * T[(i * N2 + j) * N2 + k] * C[j][k];
    }
    c1.push(0.5 * s);
  }
  const Sig = range(n1 + 1).map((i) => range(n1 + 1).map((j) => (i && j ? C[i - 1][j - 1] : NaN)));
  // R = <dG dGt> (N times): the G-Gt block of the propagator
  const R = range(n1 + 1).map((i) => range(n1 + 1).map((j) => (i && j ? C[i - 1][n1 + j - 1] : NaN)));
  return { c1, Sig, Hm: (bi, ci, cpi) => H[bi][ci][cpi], R };
}

/**
 * The residual form h + alpha (W phi(h) + b) of the one-loop section in these terms: fields C^(l)
 * (an affine image of G), m^(l) = m(K^(l-1)(C)), and the vertices that section derives (mu, kappa,
 * v0, v, d_D v), so that the general equations evaluated with them are that section's recursion.
 */
export function residualFormTheory(act: Activation, p: Point): FieldTheory {
  const f = coefFns(coefficients(act), p);
  const a = branch(p);
  const L = p.depth;
  const K = [p.q0];
  for (let l = 1; l <= L; l++) K.push(K[l - 1] + a * f.mfmap(K[l - 1]));
  const M = arr2(L).map((r) => r.map(() => 0));
  const V = arr2(L).map((r) => r.map(() => 0));
  const vD = arr2(L).map((r) => r.map(() => 0));
  for (let l = 1; l <= L; l++) {
    for (let k = 1; k < l; k++) M[l][k] = f.mu(K[l - 1]);
    V[l][l] = f.vv0(K[l - 1]);
    for (let j = 1; j < l; j++) {
      V[l][j] = V[j][l] = f.vv(K[j - 1], K[l - 1] - K[j - 1]);
      vD[l][j] = a * f.vD(K[j - 1], K[l - 1] - K[j - 1]);
    }
  }
  return {
    n: L, M, V,
    Hm: (l, k, kp) => (k < l && kp < l ? 2 * a * a * f.kappa(K[l - 1]) : 0),
    dV: (l, j, k) => (j <= k && k < l ? vD[l][j] : 0),
  };
}

/**
 * The post-activation net with two inputs, by the generic one-loop expansion and nothing of the
 * engine: the stream's raw moments expanded over its independent bases (per-base joint moments
 * E[phi(u_1)^p phi(u_2)^q] by 2D quadrature, the input's by Isserlis), m and V as functions of every
 * field entry, their derivatives by central differences (one Richardson step), the full propagator
 * -A^-1 and the full cubic contraction. Returns per field b = 1..L+1 the shift (entries 11, 12, 22)
 * and N Cov of its entries.
 */
export function twoInputGeneric(act: Activation, p: NetPoint, K0: number[][]): { G: number[][]; shift: number[][]; cov: number[][][] } {
  const n1 = p.L + 1;
  const E3 = [[0, 0], [0, 1], [1, 1]];
  const phi = act.f64;
  const pw = (k: number) => (x: number) => phi(x) ** k;
  const cache = new Map<string, number[][]>();
  /** mom[p][q] = E[phi(u_1)^p phi(u_2)^q], p + q <= 4, u ~ N(0, S). */
  const baseMoments = (S: number[][]): number[][] => {
    const key = `${S[0][0]}|${S[0][1]}|${S[1][1]}`;
    let m = cache.get(key);
    if (!m) {
      const t = { tol: 1e-13, kinks: act.kinks, kinksF: act.kinks, kinksG: act.kinks };
      m = [0, 1, 2, 3, 4].map((a) => [0, 1, 2, 3, 4].map((b2) => {
        if (a + b2 > 4) return NaN;
        if (a + b2 === 0) return 1;
        if (b2 === 0) return expect1F64(pw(a), S[0][0], t).value;
        if (a === 0) return expect1F64(pw(b2), S[1][1], t).value;
        return expect2F64(pw(a), pw(b2), S[0][0], S[0][1], S[1][1], t).value;
      }));
      cache.set(key, m);
    }
    return m;
  };
  const [k11, k12, k22] = [K0[0][0], K0[0][1], K0[1][1]];
  const gauss: number[][] = [
    [1, 0, k22, 0, 3 * k22 * k22], [0, k12, 0, 3 * k12 * k22], [k11, 0, k11 * k22 + 2 * k12 * k12], [0, 3 * k11 * k12], [3 * k11 * k11],
  ];
  /** The fields' m (rows (b, e)) and V at the field values G (G[c] = [G11, G12, G22] for c = 1..L). */
  const evaluate = (G: number[][]): { m: number[]; V: number[][] } => {
    const mom: number[][][] = [gauss];
    for (let c = 1; c <= p.L; c++) {
      const S = [[p.sw2 * G[c][0] + p.sb2, p.sw2 * G[c][1] + p.sb2], [p.sw2 * G[c][1] + p.sb2, p.sw2 * G[c][2] + p.sb2]];
      mom.push(baseMoments(S));
    }
    /** E[prod_t x_{b_t, a_t}], x_b = h0 + alpha sum_{0 < c < b} phi(u_c), expanded over the bases. */
    const expect = (legs: [number, number][]): number => {
      let total = 0;
      const choice = new Array<number>(legs.length).fill(0);
      const rec = (t: number, w: number) => {
        if (t === legs.length) {
          const cnt = new Map<number, [number, number]>();
          for (let u = 0; u < legs.length; u++) {
            const q = cnt.get(choice[u]) ?? [0, 0];
            q[legs[u][1]]++;
            cnt.set(choice[u], q);
          }
          let v = w;
          for (const [c, [a, b2]] of cnt) v *= mom[c][a][b2];
          total += v;
          return;
        }
        for (let c = 0; c < legs[t][0]; c++) {
          choice[t] = c;
          rec(t + 1, c === 0 ? w : w * p.alpha);
        }
      };
      rec(0, 1);
      return total;
    };
    const rows: [number, number][] = [];
    for (let bi = 1; bi <= n1; bi++) for (let e = 0; e < 3; e++) rows.push([bi, e]);
    const m = rows.map(([bi, e]) => expect([[bi, E3[e][0]], [bi, E3[e][1]]]));
    const V = rows.map(([bi, e], r) => rows.map(([di, f], r2) => expect([[bi, E3[e][0]], [bi, E3[e][1]], [di, E3[f][0]], [di, E3[f][1]]]) - m[r] * m[r2]));
    return { m, V };
  };
  // the mean field, field by field (m of field b needs the fields before it)
  const G: number[][] = [[NaN, NaN, NaN]];
  for (let bi = 1; bi <= n1; bi++) {
    const pad = [...G, ...Array.from({ length: n1 - G.length + 1 }, () => [1, 0, 1])];
    G.push(evaluate(pad).m.slice((bi - 1) * 3, bi * 3));
  }
  const nR = 3 * n1;
  const nG = 3 * p.L;
  const moved = (moves: [number, number][]) => {
    const H = G.map((r) => [...r]);
    for (const [coord, h] of moves) H[Math.floor(coord / 3) + 1][coord % 3] += h;
    return evaluate(H);
  };
  const h0 = 0.02;
  /** Central first derivatives of m and V in coordinate s; second derivatives of m in (s, s'). */
  const d1 = (s2: number) => {
    const at = (h: number) => {
      const P1 = moved([[s2, h]]);
      const M1 = moved([[s2, -h]]);
      return { m: P1.m.map((x, i) => (x - M1.m[i]) / (2 * h)), V: P1.V.map((r, i) => r.map((x, j) => (x - M1.V[i][j]) / (2 * h))) };
    };
    const a = at(h0);
    const b2 = at(h0 / 2);
    return { m: a.m.map((x, i) => (4 * b2.m[i] - x) / 3), V: a.V.map((r, i) => r.map((x, j) => (4 * b2.V[i][j] - x) / 3)) };
  };
  const d2 = (s2: number, t2: number) => {
    const at = (h: number) => {
      const f = (a: number, b3: number) => moved([[s2, a * h], [t2, b3 * h]]).m;
      const pp = f(1, 1);
      const pm = f(1, -1);
      const mp = f(-1, 1);
      const mm = f(-1, -1);
      return pp.map((x, i) => (x - pm[i] - mp[i] + mm[i]) / (4 * h * h));
    };
    const a = at(h0);
    const b3 = at(h0 / 2);
    return a.map((x, i) => (4 * b3[i] - x) / 3);
  };
  const center = evaluate(G);
  const D1 = Array.from({ length: nG }, (_, s2) => d1(s2));
  const N2 = 2 * nR;
  const A = Array.from({ length: N2 }, () => new Array<number>(N2).fill(0));
  for (let r = 0; r < nR; r++) {
    for (let s2 = 0; s2 < nR; s2++) {
      A[nR + r][s2] = A[s2][nR + r] = (s2 < nG ? D1[s2].m[r] : 0) - (r === s2 ? 1 : 0);
      A[nR + r][nR + s2] = center.V[r][s2];
    }
  }
  const T = new Float64Array(N2 * N2 * N2);
  const put = (i: number, j: number, k: number, v: number) => {
    for (const [x, y, z] of [[i, j, k], [i, k, j], [j, i, k], [j, k, i], [k, i, j], [k, j, i]]) T[(x * N2 + y) * N2 + z] = v;
  };
  for (let s2 = 0; s2 < nG; s2++) {
    for (let t2 = s2; t2 < nG; t2++) {
      const h = d2(s2, t2);
      for (let r = 0; r < nR; r++) put(nR + r, s2, t2, h[r]);
    }
    for (let r = 0; r < nR; r++) for (let r2 = r; r2 < nR; r2++) put(nR + r, nR + r2, s2, D1[s2].V[r][r2]);
  }
  const C = inverse(A).map((r) => r.map((x) => -x));
  const shift: number[][] = [[]];
  const cov: number[][][] = [[]];
  for (let bi = 1; bi <= n1; bi++) {
    const rowsB = [0, 1, 2].map((e) => (bi - 1) * 3 + e);
    shift.push(rowsB.map((a) => {
      let v = 0;
      for (let i = 0; i < N2; i++) {
        if (C[a][i] === 0) continue;
        for (let j = 0; j < N2; j++) for (let k = 0; k < N2; k++) v += C[a][i] * T[(i * N2 + j) * N2 + k] * C[j][k];
      }
      return 0.5 * v;
    }));
    cov.push(rowsB.map((a) => rowsB.map((b3) => C[a][b3])));
  }
  return { G, shift, cov };
}

function paDescription(act: string, p: NetPoint, inputs: Record<string, unknown>) {
  return parseNetwork({ inputs, layers: [{ repeat: p.L, layers: [{ residual: { alpha: p.alpha, branch: [{ dense: { sw2: p.sw2, sb2: p.sb2 } }, { act }] } }] }] });
}

const maxAbs = (xs: number[]) => xs.reduce((m, x) => Math.max(m, Math.abs(x)), 0);

/** max_l |x_l - y_l| / max(max_l |y_l|, floor) */
function arrErr(x: number[], y: number[], floor: number): number {
  const sc = Math.max(maxAbs(y), floor);
  let e = 0;
  x.forEach((v, i) => {
    const r = Math.abs(v - y[i]) / sc;
    if (!(r <= e)) e = r;
  });
  return e;
}

/** chat1 of one row by the printed delta method. */
function deltaMethod(corr: Corr, K: number[], k1: number[], cov: number[][]): number {
  const vars = ['K11', 'K12', 'K22', 'k11', 'k12', 'k22', 'Q1111', 'Q1112', 'Q1122', 'Q1212', 'Q1222', 'Q2222'];
  const f = compileF64(corr.chat1, vars);
  const at: Record<string, number> = { K11: K[0], K12: K[1], K22: K[2], k11: k1[0], k12: k1[1], k22: k1[2] };
  ENTRIES.forEach((e, i) => ENTRIES.forEach((g, j) => { at[`Q${e}${g}`] = cov[i][j]; }));
  return f(...vars.map((v) => at[v]));
}

// ---------------------------------------------------------------------------------------
// Cumulant checks

/** A random symmetric Cum over 4 variables (seeded). */
function randomCum(seed: number): Cum {
  let s = seed;
  const rnd = () => ((s = (s * 16807) % 2147483647) / 2147483647) * 2 - 1;
  const cum = zeroCum(4);
  const arrays = [cum.k1, cum.k2, cum.k3, cum.k4];
  const values = new Map<string, number>();
  const rec = (idx: number[]) => {
    if (idx.length > 0) {
      const key = [...idx].sort().join('');
      if (!values.has(key)) values.set(key, rnd());
      let pos = 0;
      for (const i of idx) pos = pos * 4 + i;
      arrays[idx.length - 1][pos] = values.get(key)!;
    }
    if (idx.length === 4) return;
    for (let v = 0; v < 4; v++) rec([...idx, v]);
  };
  rec([]);
  return cum;
}

function cumAt(cum: Cum, idx: number[]): number {
  const arr = [cum.k1, cum.k2, cum.k3, cum.k4][idx.length - 1];
  let pos = 0;
  for (const i of idx) pos = pos * 4 + i;
  return arr[pos];
}

/** The printed formula evaluated at indices (i, j, k, l) of a cumulant table. */
function printedCov(f: (...xs: number[]) => number, idx: number[], kappa: (positions: number[]) => number): number {
  return f(...KAP_NAMES.map((name) => kappa(name.slice(3).split('').map((ch) => idx[LETTERS.indexOf(ch)]))));
}

/** Joint cumulants of a discrete 4-vector from its log-moment generating function (symbolic derivatives at t = 0). */
function discreteCumulant(atoms: number[][], probs: number[], idx: number[]): number {
  const t = [0, 1, 2, 3].map((i) => sym(`t${i}`));
  const mgf = add(...atoms.map((x, a) => mul(num(String(probs[a])), call('exp', [add(...x.map((v, i) => mul(num(String(v)), t[i])))]))));
  let e: Expr = call('log', [mgf]);
  for (const i of idx) e = diff(e, `t${i}`);
  return compileF64(e, t.map((s) => s.name))(0, 0, 0, 0);
}

function cumulantChecks(): Check[] {
  const checks: Check[] = [];
  const formula = covProducts();
  const f = compileF64(formula, KAP_NAMES);
  // 1. covOfProducts (netCumulants.ts) against the printed formula, random cumulants, distinct and repeated indices
  let e1 = 0;
  const IDX = [[0, 1, 2, 3], [0, 0, 1, 1], [0, 1, 0, 2], [2, 2, 2, 2], [3, 1, 3, 0]];
  for (const seed of [11, 23, 37]) {
    const cum = randomCum(seed);
    for (const idx of IDX) {
      const ref = printedCov(f, idx, (ps) => cumAt(cum, ps));
      e1 = Math.max(e1, relDiff(covOfProducts(cum, idx[0], idx[1], idx[2], idx[3]), ref, 1e-12));
    }
  }
  checks.push(check('covOfProducts = the printed moment-cumulant formula (random cumulant tables, distinct and repeated indices)', e1, 1e-13,
    'covOfProducts $=$ the printed formula for $\\operatorname{Cov}(z_i z_j, z_k z_l)$ (random cumulant tables, distinct and repeated indices)'));
  // 2. a sum of two independent discrete vectors: cumulants from the log-MGF, added, vs direct enumeration
  const X = { atoms: [[1, -0.5, 0.3, 2], [-0.7, 1.2, 0.1, -1], [0.2, 0.4, -1.5, 0.6]], probs: [0.2, 0.5, 0.3] };
  const Y = { atoms: [[0.4, 0.9, -0.2, 0.1], [-1.1, 0.3, 0.8, -0.6]], probs: [0.35, 0.65] };
  let e2 = 0;
  for (const idx of [[0, 1, 2, 3], [0, 0, 1, 1], [1, 2, 1, 3]]) {
    const kappa = (ps: number[]) => discreteCumulant(X.atoms, X.probs, ps) + discreteCumulant(Y.atoms, Y.probs, ps);
    const viaCumulants = printedCov(f, idx, kappa);
    let m4 = 0;
    let mij = 0;
    let mkl = 0;
    X.atoms.forEach((x, a) => Y.atoms.forEach((y, b2) => {
      const z = x.map((v, i) => v + y[i]);
      const pr = X.probs[a] * Y.probs[b2];
      m4 += pr * z[idx[0]] * z[idx[1]] * z[idx[2]] * z[idx[3]];
      mij += pr * z[idx[0]] * z[idx[1]];
      mkl += pr * z[idx[2]] * z[idx[3]];
    }));
    e2 = Math.max(e2, relDiff(viaCumulants, m4 - mij * mkl, 1e-12));
  }
  checks.push(check('printed Cov(z_i z_j, z_k z_l) from added cumulants (log-MGF derivatives) vs enumeration of a sum of two independent discrete vectors', e2, 1e-12,
    'the printed $\\operatorname{Cov}(z_i z_j, z_k z_l)$ with the cumulants of $z = x + y$ added from those of $x$ and $y$ (derivatives of the log moment generating function) vs direct enumeration, two independent discrete vectors'));
  // 3. dCovOfProducts = the derivative of covOfProducts along a change of the cumulants (a cubic along the line: exact 5-point rule)
  let e3 = 0;
  const c0 = randomCum(5);
  const dc = randomCum(77);
  const along = (tt: number) => {
    const x = zeroCum(4);
    for (const key of ['k1', 'k2', 'k3', 'k4'] as const) for (let i = 0; i < x[key].length; i++) x[key][i] = c0[key][i] + tt * dc[key][i];
    return x;
  };
  for (const idx of IDX) {
    const F = (tt: number) => covOfProducts(along(tt), idx[0], idx[1], idx[2], idx[3]);
    const h = 0.1;
    const fd = (8 * (F(h) - F(-h)) - (F(2 * h) - F(-2 * h))) / (12 * h);
    e3 = Math.max(e3, relDiff(dCovOfProducts(c0, dc, idx[0], idx[1], idx[2], idx[3]), fd, 1e-10));
  }
  checks.push(check('dCovOfProducts = derivative of covOfProducts along a change of the cumulants (exact 5-point rule for the cubic)', e3, 1e-11,
    'dCovOfProducts $=$ the derivative of covOfProducts along a change of the cumulants (a cubic along the line: the 5-point rule is exact)'));
  return checks;
}

// ---------------------------------------------------------------------------------------
// The derivation

export function deriveComposedLoop(actName: string, opts: { checks?: boolean } = {}): Derivation {
  const act = activation(actName);
  checkActivation(act);
  const pa = postActivation(act);
  const corr = correlation();
  const covP = covProducts();
  const eqs: Equation[] = [];
  for (const r of recursions()) eqs.push(eqn(r.label, r.lhs, r.lhsText, r.expr, r.note));
  eqs.push(eqn('corr', 'c', 'c', corr.c, 'the empirical correlation as a function of the kernel entries'));
  ENTRIES.forEach((e, i) => eqs.push(eqn(`corr-d${e}`, `\\frac{\\partial c}{\\partial \\mathcal{K}_{${e}}}`, `dc/dK${e}`, corr.grad[i], 'gradient')));
  ENTRIES.forEach((e, i) => ENTRIES.forEach((g, j) => {
    if (j < i) return;
    const lhs = i === j ? `\\frac{\\partial^2 c}{\\partial \\mathcal{K}_{${e}}^2}` : `\\frac{\\partial^2 c}{\\partial \\mathcal{K}_{${e}}\\, \\partial \\mathcal{K}_{${g}}}`;
    eqs.push(eqn(`corr-d${e}-${g}`, lhs, `d2c/dK${e}dK${g}`, corr.hess[i][j], 'Hessian'));
  }));
  eqs.push(eqn('chat1-sym', '\\hat{c}_1', 'chat1', corr.sym, 'delta method at equal variances (K11 = K22 = q, K12 = c q; the 22 entries equal the 11 ones in distribution)'));
  eqs.push(eqn('chat1-input', '\\hat{c}_1^{(0)}', 'chat1^(0)', corr.input, 'at the input: k1 = 0 and the Gaussian covariances of the products (the bias of the sample correlation)'));
  eqs.push(eqn('cov-products', '\\operatorname{Cov}(z_i z_j, z_k z_l)', 'Cov(zi zj, zk zl)', covP, 'moments as sums over set partitions of joint cumulants'));
  eqs.push(eqn('stream-noise', 'V^{(b,d)}', 'V^(b,d)', pa.noise, 'x = x_d, y = x_b - x_d independent of x_d'));
  eqs.push(eqn('stream-cov3', '\\langle x^3 \\rangle - \\langle x \\rangle \\langle x^2 \\rangle', 'e3 - e1 e2', pa.cov3, 'Cov(x, x^2) in the cumulants of the stream'));
  eqs.push(eqn('pa-field', 'm^{(b)}', 'm^(b)', pa.field, 'post-activation residual net: the field of dense layer b (the stream h0 + alpha sum_c phi(u_c))', false));
  eqs.push(eqn('pa-mean', '\\langle \\phi \\rangle_{S}', '<phi>_S', pa.mean, 'the mean of one base', false));
  eqs.push(eqn('pa-square', '\\langle \\phi^2 \\rangle_{S}', '<phi^2>_S', pa.square, 'its second moment', false));
  eqs.push(eqn('pa-M', 'M^{(b,c)}', 'M^(b,c)', pa.M, 'post-activation: response coefficient, c < b, mu^(b) the stream\'s mean', false));
  eqs.push(eqn('pa-H-diag', 'H^{(b;c,c)}', 'H^(b;c,c)', pa.Hdiag, 'post-activation: second derivative of m^(b) in one field, c < b', false));
  eqs.push(eqn('pa-H-off', "H^{(b;c,c')}", "H^(b;c,c')", pa.Hoff, "post-activation: mixed second derivative, c != c' < b", false));
  eqs.push(eqn('pa-memory', '\\frac{\\partial V^{(b,d)}}{\\partial G^{(c)}}', 'dV^(b,d)/dG^(c)', pa.memory, 'post-activation memory vertex, d <= c < b; x = x_d', false));

  const checks: Check[] = [];
  if (opts.checks !== false) {
    checks.push(...cumulantChecks());
    // the delta method: the docs' equal-variance form, the input value
    const docs = add(
      mul(sub(sym('k12'), mul(sym('cc'), sym('k11'))), pow(sym('q'), num(-1))),
      mul(add(mul(num('3/4'), sym('cc'), sym('Q1111')), mul(num('1/4'), sym('cc'), sym('Q1122')), mul(num(-1), sym('Q1112'))), pow(sym('q'), num(-2))),
    );
    const dom = { q: [0.3, 3] as [number, number], cc: [-0.9, 0.9] as [number, number], k11: [-1, 1] as [number, number], k12: [-1, 1] as [number, number], Q1111: [0, 2] as [number, number], Q1112: [-1, 1] as [number, number], Q1122: [0, 2] as [number, number], Q1212: [0, 2] as [number, number] };
    const r1 = verifyIdentity(corr.sym, docs, { domain: dom, digits: 30, points: 6 });
    checks.push(check('delta method at equal variances = docs/one-loop.md formula', r1.ok ? r1.maxRelErr : 1, 1e-20, 'the delta method at equal variances $=$ the form of docs/one-loop.md'));
    const r2 = verifyIdentity(corr.input, mul(HALF, sym('c0'), sub(pow(sym('c0'), num(2)), one)), { domain: { c0: [-0.95, 0.95], q0: [0.2, 3] }, digits: 30, points: 6 });
    checks.push(check('chat1 at the input = c0 (c0^2 - 1)/2', r2.ok ? r2.maxRelErr : 1, 1e-20, '$\\hat{c}_1^{(0)} = c_0 (c_0^2 - 1)/2$'));
    // the post-activation net: printed recursions, the action's generic contraction, netOneLoop64
    const p = PA_POINT;
    const th = postActivationTheory(act, pa, p);
    const rec = runGeneral(th);
    const ac = actionOneLoopPA(act, p, th.G);
    const n1 = th.n;
    const idx = Array.from({ length: n1 }, (_, i) => i + 1);
    const sigRec = idx.flatMap((i) => idx.map((j) => rec.Sig[i][j]));
    const sigAct = idx.flatMap((i) => idx.map((j) => ac.Sig[i][j]));
    const eAct = Math.max(arrErr(idx.map((i) => rec.c1[i]), idx.map((i) => ac.c1[i]), 1e-3), arrErr(sigRec, sigAct, 1e-12));
    checks.push(check(`post-activation net (depth ${p.L}): printed recursions (c1, Sigma) = generic one-loop contraction of the symbolic action`, eAct, 1e-7,
      `post-activation net, depth ${p.L}: the printed equations ($c_1$, $\\Sigma$) $=$ the generic one-loop contraction of the action built symbolically (full propagator, every cubic vertex)`));
    // the dropped contraction with the action's own second derivatives and propagator
    const dropped = runGeneral({ ...th, Hm: ac.Hm, M: th.M }).dropped;
    const withActionR = (() => {
      let worst = 0;
      for (let bi = 1; bi <= n1; bi++) {
        let t = 0;
        for (let ci = 1; ci <= n1; ci++) for (let di = 1; di <= n1; di++) t += ac.Hm(di, bi, ci) * ac.R[ci][di];
        worst = Math.max(worst, Math.abs(t), Math.abs(dropped[bi]));
      }
      return worst / Math.max(maxAbs(rec.s.slice(1)), 1e-12);
    })();
    checks.push(check('the Phi_GGGt contraction vanishes (causality), with the action\'s own Hessian of m and propagator', withActionR, 1e-9,
      'the $\\Phi_{G G \\tilde{G}}$ contraction $t^{(b)}$ vanishes, evaluated with the action\'s own second derivatives and propagator (relative to $s$)'));
    const eObs = Math.max(relDiff(rec.obsK1, rec.c1[n1], 1e-6), relDiff(rec.obsCov, rec.Sig[n1][n1], 1e-12));
    checks.push(check('observable formulas (k1, Gamma) = the terminal field\'s c1 and Sigma', eObs, 1e-12,
      'the observable\'s $k_1^{(O)}$ and $\\Gamma^{(O)}$ $=$ $c_1$ and $\\Sigma$ of the terminal field'));
    const net1 = netOneLoop64(paDescription(actName, p, { kernel: [[p.q0]] }));
    const rows = Array.from({ length: p.L }, (_, i) => i + 1);
    const eNet = Math.max(
      arrErr(rows.map((l) => net1.rows[l].K[0]), rows.map((l) => th.G[l + 1]), 1),
      arrErr(rows.map((l) => net1.rows[l].k1[0]), rows.map((l) => rec.c1[l + 1]), 1e-3),
      arrErr(rows.map((l) => net1.rows[l].k1Curvature[0]), rows.map((l) => rec.c1curv[l + 1]), 1e-3),
      arrErr(rows.map((l) => net1.rows[l].cov[0][0]), rows.map((l) => rec.Sig[l + 1][l + 1]), 1),
    );
    checks.push(check(`post-activation net (depth ${p.L}): printed recursions (K, k1, its curvature part, N Var K) vs netOneLoop64`, eNet, 1e-7,
      `post-activation net, depth ${p.L}: the printed equations ($\\mathcal{K}$, $k_1$, its curvature part, $N \\operatorname{Var} \\hat{\\mathcal{K}}$) vs netOneLoop64`));
    // two inputs: the generic expansion (quadrature, differences, full contraction) vs netOneLoop64
    const p2 = { ...p, L: 2 };
    const K0: number[][] = [[p.q0, 0.4 * p.q0], [0.4 * p.q0, p.q0]];
    const gen = twoInputGeneric(act, p2, K0);
    const netT = netOneLoop64(paDescription(actName, p2, { q0: p.q0, c0: 0.4 }));
    const rowsT = Array.from({ length: p2.L }, (_, i) => i + 1);
    const eGen = Math.max(
      arrErr(rowsT.flatMap((l) => netT.rows[l].K), rowsT.flatMap((l) => gen.G[l + 1]), 1),
      arrErr(rowsT.flatMap((l) => netT.rows[l].k1), rowsT.flatMap((l) => gen.shift[l + 1]), 0.01),
      arrErr(rowsT.flatMap((l) => netT.rows[l].cov.flat()), rowsT.flatMap((l) => gen.cov[l + 1].flat()), 1),
    );
    checks.push(check(`post-activation net, two inputs (depth ${p2.L}, c0 = 0.4): netOneLoop64 (K, k1, Cov per entry) vs the generic one-loop expansion with moments by quadrature and derivatives by differences`, eGen, 1e-5,
      `post-activation net, two inputs (depth ${p2.L}, $c_0 = 0.4$): netOneLoop64 ($\\mathcal{K}$, $k_1$ and the covariances of the entries 11, 12, 22) vs the generic one-loop expansion of the action, its moments by 2D quadrature over the independent bases and its derivatives by differences`));
    // the delta method against netOneLoop64's chat1, two inputs
    const net2 = netOneLoop64(paDescription(actName, { ...p, L: 2 }, { q0: p.q0, c0: 0.4 }));
    let eC = relDiff(net2.rows[0].chat1 as number, 0.5 * 0.4 * (0.16 - 1), 1e-12);
    for (const r of net2.rows) eC = Math.max(eC, relDiff(r.chat1 as number, deltaMethod(corr, r.K, r.k1, r.cov), 1e-3));
    checks.push(check('netOneLoop64 chat1 (two inputs, every row) = the printed delta method on its k1 and Cov', eC, 1e-12,
      'netOneLoop64\'s $\\hat{c}_1$ (two inputs, every row) $=$ the printed delta method applied to its $k_1$ and covariances'));
    // the feed-forward net against today's engine
    const L = 4;
    const ff = parseNetwork({ inputs: { kernel: [[1]] }, layers: [{ repeat: L, layers: [{ act: actName }, { dense: { sw2: 1.5, sb2: 0.05 } }] }] });
    const nf = netOneLoop64(ff);
    const t = oneLoop64(network({ act: actName, alpha: '1', sw2: '1.5', sb2: '0.05', depth: L, q0: '1', c0: '0', skip: 'none' }));
    const ls = Array.from({ length: L }, (_, i) => i + 1);
    const eFF = Math.max(
      arrErr(ls.map((l) => nf.rows[l].k1[0]), ls.map((l) => t.k1[l] as number), 0.1),
      arrErr(ls.map((l) => nf.rows[l].cov[0][0]), ls.map((l) => t.varK[l] as number), 1),
      arrErr(ls.map((l) => nf.fields[l - 1].c1[0]), ls.map((l) => t.c1[l] as number), 0.1),
      arrErr(ls.map((l) => nf.rows[l].k1[0] - nf.rows[l].k1Curvature[0]), ls.map(() => 0), 0.1),
    );
    checks.push(check(`feed-forward net (depth ${L}): netOneLoop64 = oneLoop64 (k1, varK, c1) and its memory term is zero`, eFF, act.kinks.length ? 1e-6 : 1e-8,
      `feed-forward net, depth ${L}: netOneLoop64 $=$ oneLoop64 ($k_1$, $\\mathrm{Var}_{\\mathcal{K}}$, $c_1$), and its memory term is zero`));
    if (actName === 'erf') {
      // two inputs: the off-diagonal entry and the correlation's shift
      const ff2 = netOneLoop64(parseNetwork({ inputs: { q0: 1, c0: 0.3 }, layers: [{ repeat: L, layers: [{ act: actName }, { dense: { sw2: 1.5, sb2: 0.05 } }] }] }));
      const t2 = oneLoop64(network({ act: actName, alpha: '1', sw2: '1.5', sb2: '0.05', depth: L, q0: '1', c0: '0.3', skip: 'none' }), { twoInputs: true });
      const l0 = [0, ...ls];
      const e2 = Math.max(
        arrErr(l0.map((l) => ff2.rows[l].k1[1]), l0.map((l) => (t2.k1_12 as number[])[l]), 0.1),
        arrErr(l0.map((l) => ff2.rows[l].cov[1][1]), l0.map((l) => (t2.varK_12 as number[])[l]), 1),
        arrErr(l0.map((l) => ff2.rows[l].chat1 as number), l0.map((l) => (t2.chat1 as number[])[l]), 0.1),
      );
      checks.push(check(`feed-forward net (depth ${L}), two inputs (c0 = 0.3): netOneLoop64 = oneLoop64 (k1_12, varK_12, chat1)`, e2, 1e-8,
        `feed-forward net, depth ${L}, two inputs ($c_0 = 0.3$): netOneLoop64 $=$ oneLoop64 ($k_{1,12}$, $\\mathrm{Var}_{\\mathcal{K},12}$, $\\hat{c}_1$)`));
    }
    // blocks that end in a dense layer carry a zero-mean Gaussian increment: no memory term
    const two = netOneLoop64(parseNetwork({ inputs: { kernel: [[p.q0]] }, layers: [{ repeat: p.L, layers: [{ residual: { alpha: p.alpha, branch: [{ dense: { sw2: p.sw2, sb2: p.sb2 } }, { act: actName }, { dense: { sw2: 1, sb2: 0.05 } }] } }] }] }));
    const eTwo = arrErr(two.rows.map((r) => r.k1[0] - r.k1Curvature[0]), two.rows.map(() => 0), Math.max(maxAbs(two.rows.map((r) => r.k1[0])), 1e-3));
    checks.push(check(`two-layer residual blocks [dense, act, dense] (depth ${p.L}): netOneLoop64's memory part of k1 is zero`, eTwo, 1e-9,
      `two-layer residual blocks (dense, activation, dense; depth ${p.L}): the memory part of netOneLoop64's $k_1$ is zero (relative to the largest $k_1$)`));
    // the residual form of the one-loop section: the general equations with that section's vertices
    const rp: Point = { act: actName, alpha: 0.5, sw2: 1.5, sb2: 0.05, q0: 1, depth: 4 };
    const rf = runGeneral(residualFormTheory(act, rp));
    const t3 = oneLoop64(network({ act: actName, alpha: String(rp.alpha), sw2: String(rp.sw2), sb2: String(rp.sb2), depth: rp.depth, q0: String(rp.q0), c0: '0' }));
    const lr = Array.from({ length: rp.depth }, (_, i) => i + 1);
    const eRes = Math.max(
      arrErr(lr.map((l) => rf.c1[l]), lr.map((l) => t3.c1[l] as number), 0.01),
      arrErr(lr.map((l) => rf.c1curv[l]), lr.map((l) => t3.c1_curvature[l] as number), 0.01),
      arrErr(lr.map((l) => rf.Sig[l][l]), lr.map((l) => t3.varC[l] as number), 1),
    );
    checks.push(check(`residual form h + alpha (W phi(h) + b) (depth ${rp.depth}): the general equations with the one-loop section's vertices vs oneLoop64 (c1, its curvature part, varC)`, eRes, 1e-7,
      `the residual form $h + \\alpha (W \\phi(h) + b)$, depth ${rp.depth}: the general equations evaluated with the vertices of the one-loop section ($\\mu$, $2 \\alpha^4 \\kappa$, $v_0$, $v$, $\\alpha^2 \\partial_D v$) vs oneLoop64 ($c_1$, its curvature part, $\\mathrm{var}_C$)`));
    if (act.linear) {
      // x + alpha (W x + b) is today's residual form with a linear phi
      const tl = oneLoop64(network({ act: actName, alpha: String(p.alpha), sw2: String(p.sw2), sb2: String(p.sb2), depth: p.L, q0: String(p.q0), c0: '0' }));
      const eL = arrErr(rows.map((l) => rec.Sig[l + 1][l + 1]), rows.map((l) => tl.varK[l] as number), 1);
      checks.push(check('linear: the post-activation net is today\'s residual form; printed N Var K vs oneLoop64', eL, 1e-10,
        'linear $\\phi$: the post-activation net is the residual form of section 3; the printed $\\Sigma$ vs oneLoop64\'s $\\mathrm{Var}_{\\mathcal{K}}$'));
    }
  }
  const intro =
    'The one-loop theory of any composition of dense layers, activations and residual sums: each dense layer\'s input kernel is an auxiliary field $G^{(d)}$; ' +
    'the action, its saddle point, Hessian and cubic vertices give $N \\operatorname{Cov}(G) = R V R^T$ and $c_1 = R s$; observables are terminal fields; ' +
    `activation ${act.name} in the special case of the post-activation residual net.`;
  return { name: 'net-loop', title: `One-loop corrections of composed networks, ${act.name}`, intro, act: act.name, equations: eqs, checks };
}
