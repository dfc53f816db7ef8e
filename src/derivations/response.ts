/**
 * The response function (tree level): the propagator of the linearised kernel dynamics for two
 * inputs with equal variances, state (q, k) = (K_11, K_12):
 *
 *   q^(l) = q^(l-1) + a m(q^(l-1)),   k^(l) = k^(l-1) + a p(q^(l-1), k^(l-1))     (residual)
 *   q^(l) = m(q^(l-1)),               k^(l) = p(q^(l-1), k^(l-1))                 (--skip none)
 *
 * m(K) = sb2 + sw2 <phi^2>_K, p(K, k) = sb2 + sw2 <phi(u) phi(v)>_{K,k,K}. The engine differentiates
 * the map (Price's theorem as the derivative rule of the named pair expectation; the closed forms
 * differentiate as they are): chi_q = dq'/dq, chi_k = dk'/dk, chi_kq = dk'/dq, and the response
 * over the depth is the ordered product of these lower-triangular Jacobians. Sensitivity
 * S = dc^L/dc^0 = (q0 / q^(L)) prod_l chi_k.
 *
 * Checks: each derivative against finite differences; Price's theorem (d<phi phi>/dK12 from the
 * closed form) against direct quadrature of <phi' phi'>; chi, chi12, S and dk^L/dq^0 against
 * src/quantities/response.ts; and S, chi against finite differences of the whole mean-field map.
 */
import { Expr, sym, num, add, mul, pow, diff, substitute, sub, ZERO, ONE } from '../symbolic';
import { activation, Activation } from '../model/activation';
import { network, Network } from '../model/network';
import { float64Interp } from '../interpret/numeric';
import { meanFieldResponse, propagator } from '../quantities/response';
import { expect2F64 } from '../numeric/gaussian';
import { moments, checkActivation, tidy, compileNamed, hasNamed, relDiff } from './expectations';
import { Derivation, Equation, Check, equation, check, lay, Prod, coef, evalIndexed, IndexedEnv } from './notation';
import { derivativeCheck } from './oneLoop';
import { plainMath } from '../numeric/plainMath';
const Math = plainMath();

const a = sym('a');
const sw2 = sym('sw2');
const sb2 = sym('sb2');
const K = sym('K');
const k = sym('k');
const l = sym('l');
const L = sym('L');
const POSITIVE = ['K', 'a', 'sw2', 'sb2'];

export interface ResponseCoefficients {
  act: Activation;
  skip: 'residual' | 'none';
  qmap: Expr;
  kmap: Expr;
  chiq: Expr;
  chik: Expr;
  chikq: Expr;
  raw: Record<string, Expr>;
}

export function responseCoefficients(act: Activation, skip: 'residual' | 'none'): ResponseCoefficients {
  checkActivation(act);
  const M = moments(act);
  const branch = skip === 'residual' ? a : ONE;
  const base = skip === 'residual' ? ONE : ZERO;
  const m = add(sb2, mul(sw2, M.m2(K)));
  // the pair moment with independent diagonal entries, then on the equal-variance line
  const K11 = sym('K11');
  const K22 = sym('K22');
  const K12 = sym('K12');
  const pairFull = add(sb2, mul(sw2, M.pair(K11, K12, K22)));
  const onLine = (e: Expr) => substitute(e, { K11: K, K22: K, K12: k });
  const qmapRaw = add(mul(base, K), mul(branch, m));
  const kmapRaw = add(mul(base, k), mul(branch, onLine(pairFull)));
  // d k'/d k: Price, d/dK12; d k'/d q: both diagonal entries move with q (chain rule on the line)
  const chikRaw = add(base, mul(branch, onLine(diff(pairFull, 'K12'))));
  const chikqRaw = mul(branch, onLine(add(diff(pairFull, 'K11'), diff(pairFull, 'K22'))));
  const chiqRaw = diff(qmapRaw, 'K');
  const t = (e: Expr) => tidy(e, POSITIVE);
  return {
    act, skip,
    qmap: t(qmapRaw), kmap: t(kmapRaw), chiq: t(chiqRaw), chik: t(chikRaw), chikq: t(chikqRaw),
    raw: { qmap: qmapRaw, kmap: kmapRaw, chiq: chiqRaw, chik: chikRaw, chikq: chikqRaw, pairFull },
  };
}

interface RespPoint { alpha: number; sw2: number; sb2: number; q0: number; c0: number; depth: number }

export const RESPONSE_POINTS: RespPoint[] = [
  { alpha: 0.5, sw2: 2, sb2: 0.1, q0: 1, c0: 0.6, depth: 8 },
  { alpha: 0.3, sw2: 1.5, sb2: 0.05, q0: 0.7, c0: 0.3, depth: 20 },
];

function recursionExprs(): { q: Expr; k: Expr; chi: Expr; chi12: Expr; chikq: Expr; S: Expr } {
  const qm1 = lay('q', sub(l, ONE));
  const km1 = lay('k', sub(l, ONE));
  return {
    q: coef('qmapf', qm1),
    k: coef('kmapf', qm1, km1),
    chi: Prod(coef('chiq', qm1), 'l', ONE, L),
    chi12: Prod(coef('chik', qm1, km1), 'l', ONE, L),
    // dk^(l)/dq^(0) = chi_kq chi^(l-1) + chi_k dk^(l-1)/dq^(0)
    chikq: add(mul(coef('chikq', qm1, km1), lay('rqq', sub(l, ONE))), mul(coef('chik', qm1, km1), lay('rkq', sub(l, ONE)))),
    S: mul(sym('q0'), pow(lay('q', L), num(-1)), Prod(coef('chik', qm1, km1), 'l', ONE, L)),
  };
}

export interface ResponseTable { q: number[]; k: number[]; chi: number; chi12: number; sensitivity: number; dkdq0: number }

export function runResponse(c: ResponseCoefficients, p: RespPoint): ResponseTable {
  const av = c.skip === 'residual' ? p.alpha * p.alpha : 1;
  const f1 = (e: Expr) => { const f = compileNamed(e, ['K', 'a', 'sw2', 'sb2'], c.act); return (x: number) => f(x, av, p.sw2, p.sb2); };
  const f2 = (e: Expr) => { const f = compileNamed(e, ['K', 'k', 'a', 'sw2', 'sb2'], c.act); return (x: number, y: number) => f(x, y, av, p.sw2, p.sb2); };
  const env: IndexedEnv = {
    scalars: { q0: p.q0, L: p.depth },
    arrays: { q: [p.q0], k: [p.q0 * p.c0], rqq: [1], rkq: [0] },
    arrays2: {},
    fns: { qmapf: f1(c.qmap), kmapf: f2(c.kmap), chiq: f1(c.chiq), chik: f2(c.chik), chikq: f2(c.chikq) },
  };
  const R = recursionExprs();
  for (let li = 1; li <= p.depth; li++) {
    env.scalars.l = li;
    env.arrays.q[li] = evalIndexed(R.q, env);
    env.arrays.k[li] = evalIndexed(R.k, env);
    env.arrays.rkq[li] = evalIndexed(R.chikq, env);
    env.arrays.rqq[li] = (env.arrays.rqq[li - 1] as number) * env.fns.chiq(env.arrays.q[li - 1] as number);
  }
  delete env.scalars.l;
  const chi = evalIndexed(R.chi, env);
  const chi12 = evalIndexed(R.chi12, env);
  const sensitivity = evalIndexed(R.S, env);
  return { q: env.arrays.q as number[], k: env.arrays.k as number[], chi, chi12, sensitivity, dkdq0: env.arrays.rkq[p.depth] as number };
}

/** c^L as a function of (q0, c0) by iterating the compiled mean-field map (for finite differences). */
function cL(c: ResponseCoefficients, p: RespPoint): { q: number; c: number } {
  const t = runResponse(c, p);
  return { q: t.q[p.depth], c: t.k[p.depth] / t.q[p.depth] };
}

function netOf(act: string, p: RespPoint, skip: 'residual' | 'none'): Network {
  return network({ act, alpha: String(p.alpha), sw2: String(p.sw2), sb2: String(p.sb2), q0: String(p.q0), c0: String(p.c0), depth: p.depth, skip });
}

export function deriveResponse(actName: string, opts: { checks?: boolean; skip?: 'residual' | 'none' } = {}): Derivation {
  const act = activation(actName);
  const skip = opts.skip ?? 'residual';
  const c = responseCoefficients(act, skip);
  const Kt = '\\mathcal{K}';
  const eqs: Equation[] = [];
  const R = recursionExprs();
  eqs.push(equation('q-map', `q'(${Kt})`, "q'(K)", c.qmap, 'amplitude', 'one layer, diagonal entry'));
  eqs.push(equation('k-map', `k'(${Kt}, k)`, "k'(K, k)", c.kmap, 'amplitude', 'one layer, off-diagonal entry (equal variances K)'));
  eqs.push(equation('chi-q', `\\chi_q(${Kt}) = \\frac{\\partial q'}{\\partial q}`, "chi_q(K) = dq'/dq", c.chiq, 'amplitude', 'length response of one layer'));
  eqs.push(equation('chi-k', `\\chi_k(${Kt}, k) = \\frac{\\partial k'}{\\partial k}`, "chi_k(K, k) = dk'/dk", c.chik, 'amplitude', "Price's theorem: d<phi phi>/dK12 = <phi' phi'>"));
  eqs.push(equation('chi-kq', `\\chi_{kq}(${Kt}, k) = \\frac{\\partial k'}{\\partial q}`, "chi_kq(K, k) = dk'/dq", c.chikq, 'amplitude', 'off-diagonal Jacobian entry (both variances move)'));
  eqs.push(equation('chi', '\\chi = \\frac{\\partial q^{(L)}}{\\partial q^{(0)}}', 'chi = dq^(L)/dq^(0)', R.chi, 'amplitude', 'response over the depth'));
  eqs.push(equation('chi12', '\\chi_{12} = \\frac{\\partial k^{(L)}}{\\partial k^{(0)}}', 'chi12 = dk^(L)/dk^(0)', R.chi12, 'amplitude', 'at fixed variances'));
  eqs.push(equation('dkdq', 'R_{kq}^{(\\ell)} = \\frac{\\partial k^{(\\ell)}}{\\partial q^{(0)}}', 'R_kq^(l) = dk^(l)/dq^(0)', R.chikq, 'amplitude', 'the lower-left entry of the 2x2 propagator; R_qq^(l) = prod_{m<=l} chi_q'));
  eqs.push(equation('sensitivity', 'S = \\frac{\\partial c^{(L)}}{\\partial c^{(0)}}', 'S = dc^(L)/dc^(0)', R.S, 'amplitude', 'correlation response at fixed q0 (q^(L) does not depend on c0)'));
  const checks: Check[] = [];
  if (opts.checks !== false) {
    const dom = { K11: [0.3, 2] as [number, number], K22: [0.3, 2] as [number, number], K12: [-0.25, 0.25] as [number, number], sw2: [0.5, 3] as [number, number], sb2: [0, 0.5] as [number, number] };
    checks.push(check("Price: d<phi phi>/dK12, symbolic vs finite differences", derivativeCheck(c.raw.pairFull, 'K12', diff(c.raw.pairFull, 'K12'), act, dom), 1e-8, 'Price: $\\partial \\langle \\phi \\phi \\rangle / \\partial \\mathcal{K}_{12}$, symbolic vs finite differences'));
    checks.push(check('d<phi phi>/dK11 vs finite differences', derivativeCheck(c.raw.pairFull, 'K11', diff(c.raw.pairFull, 'K11'), act, dom), 1e-8, '$\\partial \\langle \\phi \\phi \\rangle / \\partial \\mathcal{K}_{11}$ vs finite differences'));
    checks.push(check("chi_q = dq'/dq vs finite differences", derivativeCheck(c.raw.qmap, 'K', c.raw.chiq, act, { K: [0.3, 2], a: [0.05, 1], sw2: [0.5, 3], sb2: [0, 0.5] }), 1e-8, "$\\chi_q = \\partial q' / \\partial q$ vs finite differences"));
    // Price's theorem by a different route: quadrature of <phi' phi'> (closed forms only: for named
    // expectations the derivative *is* that quadrature)
    if (!hasNamed(c.raw.pairFull)) {
      const d = act.derivative();
      const f = compileNamed(diff(c.raw.pairFull, 'K12'), ['K11', 'K12', 'K22', 'sw2', 'sb2'], act);
      let e = 0;
      for (const [x, y, z] of [[1, 0.4, 1.3], [0.5, -0.2, 0.8], [2, 1.5, 1.6]]) {
        const q = expect2F64(d.f64, d.f64, x, y, z, { tol: 1e-14, kinksF: d.kinks, kinksG: d.kinks }).value;
        e = Math.max(e, relDiff(f(x, y, z, 1, 0), q, 1e-12));
      }
      checks.push(check("Price's theorem: closed-form derivative = quadrature of <phi'(u) phi'(v)>", e, 1e-9, "Price's theorem: closed-form derivative $=$ quadrature of $\\langle \\phi'(u) \\phi'(v) \\rangle$"));
    }
    let eResp = 0;
    let eFD = 0;
    for (const p of RESPONSE_POINTS) {
      const t = runResponse(c, p);
      const net = netOf(actName, p, skip);
      const ref = meanFieldResponse(float64Interp, net);
      const prop = propagator(float64Interp, net, p.depth, 0);
      eResp = Math.max(eResp, relDiff(t.chi, ref.chi), relDiff(t.chi12, ref.chi12), relDiff(t.sensitivity, ref.sensitivity), relDiff(t.dkdq0, prop[1][0], 1e-12));
      // finite differences of the whole mean-field map (central, Richardson to O(h^6))
      const g = (dc: number, dq: number) => cL(c, { ...p, c0: p.c0 + dc, q0: p.q0 + dq });
      const rich = (f: (h: number) => number, h: number) => {
        const d = (x: number) => (f(x) - f(-x)) / (2 * x);
        const [d1, d2, d4] = [d(h), d(h / 2), d(h / 4)];
        const r1 = (4 * d2 - d1) / 3;
        const r2 = (4 * d4 - d2) / 3;
        return (16 * r2 - r1) / 15;
      };
      const dS = rich((x) => g(x, 0).c, 4e-3);
      const dchi = rich((x) => g(0, x).q, 4e-3);
      // the rounding noise of the Richardson difference quotient is ~1e-12 |f| (eps |f| / h, amplified):
      // a derivative below 1e-5 |f| (chi ~ 1e-7 in an ordered feed-forward net) is checked to 1e-12 |f| absolute
      const floor = (f: number) => 1e-5 * Math.abs(f);
      eFD = Math.max(eFD, relDiff(dS, t.sensitivity, floor(t.k[p.depth] / t.q[p.depth])), relDiff(dchi, t.chi, floor(t.q[p.depth])));
    }
    checks.push(check('chi, chi12, S, dk^L/dq^0 vs src/quantities/response.ts (2 networks)', eResp, 1e-10, '$\\chi$, $\\chi_{12}$, $S$, $\\partial k^{(L)} / \\partial q^{(0)}$ vs src/quantities/response.ts (2 networks)'));
    checks.push(check('S = dc^L/dc^0 and chi = dq^L/dq^0 vs finite differences of the mean-field map (relative to max(|value|, 1e-5 |c^L or q^L|))', eFD, 1e-7, '$S = \\partial c^{(L)} / \\partial c^{(0)}$ and $\\chi = \\partial q^{(L)} / \\partial q^{(0)}$ vs finite differences of the mean-field map (relative to $\\max(|S|, 10^{-5} c^{(L)})$ and $\\max(|\\chi|, 10^{-5} q^{(L)})$)'));
  }
  const intro =
    `Tree-level response: the Jacobian of the mean-field map (the saddle point of the action) for two inputs of equal variance, ` +
    `state $(q, k) = (\\mathcal{K}_{11}, \\mathcal{K}_{12})$, ${skip === 'residual' ? 'residual network (amplitude scaling, branch factor $\\alpha^2$)' : 'feed-forward network'}; ` +
    `derivatives of the Gaussian moments by Price's theorem; activation ${act.name}.`;
  return { name: 'response', title: `Response function and sensitivity, ${act.name}${skip === 'none' ? ' (feed-forward)' : ''}`, intro, act: act.name, equations: eqs, checks };
}
