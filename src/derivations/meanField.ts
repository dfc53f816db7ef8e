/**
 * The mean-field kernels as the saddle point of the weight-averaged action.
 *
 * The action Phi(C, Ct) of oneLoop.ts is built at depth 3; the engine differentiates it in the
 * conjugate fields and sets them to zero: dPhi/dCt^(l) = m(K^(l-1)(C)) - C^(l) = 0, which are the
 * mean-field equations (printed explicitly for the first layers). The general layer is the
 * two-input kernel map (m, p) and the residual (or feed-forward) kernel recursion.
 *
 * Checks: the saddle-point equations from the action equal the map m applied to the kernel
 * K^(l-1)(C) = q0 + a sum_{k<l} C^(k); the closed forms of <phi^2> and <phi phi> against direct
 * Gaussian quadrature of phi (a different route); the printed recursion, iterated, against
 * src/quantities/kernel.ts.
 */
import { sym, add, mul, sub, substitute, ONE, ZERO } from '../symbolic';
import { activation } from '../model/activation';
import { network } from '../model/network';
import { float64Interp } from '../interpret/numeric';
import { meanFieldKernels } from '../quantities/kernel';
import { expect1F64, expect2F64 } from '../numeric/gaussian';
import { moments, checkActivation, tidy, compileNamed, hasNamed, relDiff } from './expectations';
import { Derivation, Equation, Check, equation, check, lay, coef, evalIndexed, IndexedEnv } from './notation';
import { buildAction, identityCheck } from './oneLoop';

const a = sym('a');
const sw2 = sym('sw2');
const sb2 = sym('sb2');
const K = sym('K');
const l = sym('l');
const POSITIVE = ['K', 'K11', 'K22', 'a', 'sw2', 'sb2', 'q0', 'C1', 'C2', 'C3'];

const ACTION_DEPTH = 3;

export function deriveMeanField(actName: string, opts: { checks?: boolean } = {}): Derivation {
  const act = activation(actName);
  checkActivation(act);
  const M = moments(act);
  const mRaw = add(sb2, mul(sw2, M.m2(K)));
  const pRaw = add(sb2, mul(sw2, M.pair(sym('K11'), sym('K12'), sym('K22'))));
  const m = tidy(mRaw, POSITIVE);
  const p = tidy(pRaw, POSITIVE);
  const action = buildAction(act, ACTION_DEPTH);
  // C^(l) = C^(l) + dPhi/dCt^(l) at Ct = 0: the saddle point as an explicit equation
  const saddle = action.saddle.map((e, i) => tidy(add(e, action.Cs[i]), POSITIVE));
  const eqs: Equation[] = [];
  for (let i = 0; i < ACTION_DEPTH; i++) {
    eqs.push(equation(`saddle-${i + 1}`, `\\mathcal{C}^{(${i + 1})}`, `C^(${i + 1})`, saddle[i], 'amplitude',
      `saddle point of the action in the conjugate field Ct^(${i + 1}) (depth ${ACTION_DEPTH}, K^(0) = q0)`));
  }
  eqs.push(equation('map', '\\mathcal{C}_{aa}^{(\\ell)} = m(\\mathcal{K})', 'C_aa = m(K)', m, 'amplitude', 'diagonal entry, K = K^(l-1)_aa'));
  eqs.push(equation('pair', '\\mathcal{C}_{12}^{(\\ell)} = p(\\mathcal{K}_{11}, \\mathcal{K}_{12}, \\mathcal{K}_{22})', 'C_12 = p(K11, K12, K22)', p, 'amplitude', 'off-diagonal entry, K = K^(l-1)'));
  const qm1 = lay('K11', sub(l, ONE));
  const km1 = lay('K12', sub(l, ONE));
  const rec = {
    q: add(qm1, mul(a, coef('mfmap', qm1))),
    k: add(km1, mul(a, coef('pp', qm1, km1, qm1))),
  };
  eqs.push(equation('K11', '\\mathcal{K}_{11}^{(\\ell)}', 'K11^(l)', rec.q, 'amplitude', 'residual (amplitude scaling); --skip none: K^(l) = C^(l)'));
  eqs.push(equation('K12', '\\mathcal{K}_{12}^{(\\ell)}', 'K12^(l)', rec.k, 'amplitude', 'equal variances K11 = K22'));
  const checks: Check[] = [];
  if (opts.checks !== false) {
    // the saddle equations are m applied to K^(l-1)(C)
    let e = 0;
    const dom = { C1: [0.2, 2] as [number, number], C2: [0.2, 2] as [number, number], q0: [0.3, 2] as [number, number], a: [0.05, 1] as [number, number], sw2: [0.5, 3] as [number, number], sb2: [0, 0.5] as [number, number] };
    for (let i = 0; i < ACTION_DEPTH; i++) {
      const Kl = add(sym('q0'), mul(a, add(ZERO, ...action.Cs.slice(0, i))));
      e = Math.max(e, identityCheck(saddle[i], substitute(mRaw, { K: Kl }), dom, act));
    }
    checks.push(check('saddle point of the action = mean-field map at K^(l-1)(C)', e, 1e-12, 'saddle point of the action $=$ mean-field map at $\\mathcal{K}^{(\\ell-1)}(\\mathcal{C})$'));
    // tidied forms
    const et = Math.max(
      identityCheck(mRaw, m, { K: [0.2, 3], sw2: [0.5, 3], sb2: [0, 0.5] }, act),
      identityCheck(pRaw, p, { K11: [0.5, 2], K22: [0.5, 2], K12: [-0.4, 0.4], sw2: [0.5, 3], sb2: [0, 0.5] }, act),
    );
    checks.push(check('printed (tidied) forms equal the derived ones', et, 1e-12, 'printed (simplified) forms equal the derived ones'));
    if (!hasNamed(mRaw) || !hasNamed(pRaw)) {
      const fm = compileNamed(M.m2(K), ['K'], act);
      const fp = compileNamed(M.pair(sym('K11'), sym('K12'), sym('K22')), ['K11', 'K12', 'K22'], act);
      let eq = 0;
      for (const [x, y, z] of [[1, 0.4, 1.3], [0.5, -0.2, 0.8], [2, 1.5, 1.6]]) {
        eq = Math.max(eq, relDiff(fm(x), expect1F64((u) => act.f64(u) ** 2, x, { tol: 1e-14, kinks: act.kinks }).value, 1e-12));
        eq = Math.max(eq, relDiff(fp(x, y, z), expect2F64(act.f64, act.f64, x, y, z, { tol: 1e-14, kinksF: act.kinks, kinksG: act.kinks }).value, 1e-12));
      }
      checks.push(check('closed forms of <phi^2>, <phi phi> vs direct Gaussian quadrature', eq, 1e-10, 'closed forms of $\\langle \\phi^2 \\rangle$, $\\langle \\phi \\phi \\rangle$ vs direct Gaussian quadrature'));
    }
    let ek = 0;
    for (const P of [{ alpha: 0.5, sw2: 2, sb2: 0.1, q0: 1, c0: 0.6, depth: 10 }, { alpha: 0.3, sw2: 1.5, sb2: 0.05, q0: 0.7, c0: -0.3, depth: 25 }]) {
      const av = P.alpha * P.alpha;
      const fm = compileNamed(m, ['K', 'sw2', 'sb2'], act);
      const fp = compileNamed(p, ['K11', 'K12', 'K22', 'sw2', 'sb2'], act);
      const env: IndexedEnv = {
        scalars: { a: av }, arrays: { K11: [P.q0], K12: [P.q0 * P.c0] }, arrays2: {},
        fns: { mfmap: (x) => fm(x, P.sw2, P.sb2), pp: (x, y, z) => fp(x, y, z, P.sw2, P.sb2) },
      };
      for (let li = 1; li <= P.depth; li++) {
        env.scalars.l = li;
        const q = evalIndexed(rec.q, env);
        const k = evalIndexed(rec.k, env);
        env.arrays.K11[li] = q;
        env.arrays.K12[li] = k;
      }
      const ref = meanFieldKernels(float64Interp, network({ act: actName, alpha: String(P.alpha), sw2: String(P.sw2), sb2: String(P.sb2), q0: String(P.q0), c0: String(P.c0), depth: P.depth }));
      for (let li = 0; li <= P.depth; li++) {
        ek = Math.max(ek, relDiff(env.arrays.K11[li] as number, ref.q[li]), relDiff(env.arrays.K12[li] as number, ref.k12[li], 1e-12));
      }
    }
    checks.push(check('kernel recursion vs src/quantities/kernel.ts (2 networks)', ek, 1e-12, 'kernel recursion vs src/quantities/kernel.ts (2 networks)'));
  }
  const intro =
    `The saddle point of the weight-averaged action $\\Phi(\\mathcal{C}, \\tilde{\\mathcal{C}})$ ` +
    `(see the one-loop derivation): $\\partial\\Phi/\\partial\\tilde{\\mathcal{C}}^{(\\ell)} = 0$ at $\\tilde{\\mathcal{C}} = 0$, ` +
    `shown explicitly for the first ${ACTION_DEPTH} layers with $\\mathcal{K}^{(0)} = q_0$, and the general layer for two inputs; activation ${act.name}.`;
  return { name: 'mean-field', title: `Mean-field kernels, ${act.name}`, intro, act: act.name, equations: eqs, checks };
}
