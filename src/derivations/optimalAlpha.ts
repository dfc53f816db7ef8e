/**
 * The optimal residual scaling at large depth, derived from the one-layer map.
 *
 * From the one-layer maps q' = q + a m(q), k' = k + a p(q, k) and the response factor
 * chi_k = 1 + a sw2 <phi' phi'> (response.ts), the engine takes the continuum limit a -> 0 at fixed
 * tau = a sw2 l (derivatives in a at a = 0):
 *   dK/dtau = beta + <phi^2>_K,  dk/dtau = beta + <phi phi>_{K,k},  d ln S/dtau|_explicit = g = <phi' phi'>,
 * beta = sb2/sw2, so ln S(tau) = ln(q0/K(tau)) + int_0^tau g. Its stationarity condition
 * h = d ln S/dtau = 0 is obtained by differentiating along the flow (chain rule), and
 * alpha_star = sqrt(tau_star / (sw2 L)).
 *
 * Checks: the continuum limits against finite differences in a; h against finite differences of
 * ln S(tau) integrated from the compiled flow; tau_star against src/quantities/optimal.ts
 * asymptoticOptimum; alpha_star against the exact discrete optimum at large depth (O(1/L)).
 */
import { Expr, sym, num, add, mul, pow, diff, substitute, simplify, call, sub, ZERO } from '../symbolic';
import { activation } from '../model/activation';
import { network } from '../model/network';
import { NumericalError } from '../model/errors';
import { asymptoticOptimum, locateMaximum, optimalAlpha64 } from '../quantities/optimal';
import { checkActivation, tidy, compileNamed, hasNamed, relDiff } from './expectations';
import { responseCoefficients } from './response';
import { Derivation, Equation, Check, equation, check } from './notation';
import { derivativeCheck } from './oneLoop';
import { plainMath } from '../numeric/plainMath';
const Math = plainMath();

const POSITIVE = ['K', 'a', 'sw2', 'sb2', 'beta', 'q0', 'tau', 'L'];

export interface ContinuumFlow {
  flowK: Expr;
  flowk: Expr;
  g: Expr;
  h: Expr;
  raw: Record<string, Expr>;
}

export function continuumFlow(actName: string): ContinuumFlow {
  const act = activation(actName);
  checkActivation(act);
  const r = responseCoefficients(act, 'residual');
  const K = sym('K');
  const k = sym('k');
  const a = sym('a');
  const sw2 = sym('sw2');
  const toBeta = (e: Expr) => substitute(e, { sb2: mul(sym('beta'), sw2) });
  // per unit tau = a sw2 l: (q' - q)/(a sw2), exact since the map is affine in a
  const flowKraw = toBeta(mul(sub(r.raw.qmap, K), pow(mul(a, sw2), num(-1))));
  const flowkraw = toBeta(mul(sub(r.raw.kmap, k), pow(mul(a, sw2), num(-1))));
  // ln chi_k per unit tau: d/da ln chi_k at a = 0, over sw2
  const dlnchi = diff(call('log', [r.raw.chik]), 'a');
  const graw = mul(substitute(dlnchi, { a: ZERO }), pow(sw2, num(-1)));
  // d/dtau ln S = d/dK ln(q0/K) dK/dtau + g
  const lnq = call('log', [mul(sym('q0'), pow(K, num(-1)))]);
  const hraw = add(mul(diff(lnq, 'K'), flowKraw), graw);
  const t = (e: Expr) => tidy(simplify(e), POSITIVE);
  return { flowK: t(flowKraw), flowk: t(flowkraw), g: t(graw), h: t(hraw), raw: { flowK: flowKraw, flowk: flowkraw, g: graw, h: hraw, chik: r.raw.chik, dlnchi } };
}

interface Trajectory { tau: number[]; lnS: number[]; h: number[] }

/** RK4 of the compiled flow (K, k, int g). */
function integrate(actName: string, f: ContinuumFlow, beta: number, q0: number, c0: number, tauMax: number, steps: number): Trajectory {
  const act = activation(actName);
  const FK = compileNamed(f.flowK, ['K', 'beta'], act);
  const Fk = compileNamed(f.flowk, ['K', 'k', 'beta'], act);
  const G = compileNamed(f.g, ['K', 'k'], act);
  const H = compileNamed(f.h, ['K', 'k', 'beta'], act);
  const rhs = (K: number, k: number) => [FK(K, beta), Fk(K, k, beta), G(K, k)];
  let K = q0;
  let k = q0 * c0;
  let I = 0;
  const dt = tauMax / steps;
  const out: Trajectory = { tau: [0], lnS: [0], h: [H(K, k, beta)] };
  for (let i = 0; i < steps; i++) {
    const s1 = rhs(K, k);
    const s2 = rhs(K + 0.5 * dt * s1[0], k + 0.5 * dt * s1[1]);
    const s3 = rhs(K + 0.5 * dt * s2[0], k + 0.5 * dt * s2[1]);
    const s4 = rhs(K + dt * s3[0], k + dt * s3[1]);
    K += (dt / 6) * (s1[0] + 2 * s2[0] + 2 * s3[0] + s4[0]);
    k += (dt / 6) * (s1[1] + 2 * s2[1] + 2 * s3[1] + s4[1]);
    I += (dt / 6) * (s1[2] + 2 * s2[2] + 2 * s3[2] + s4[2]);
    out.tau.push((i + 1) * dt);
    out.lnS.push(Math.log(q0 / K) + I);
    out.h.push(H(K, k, beta));
  }
  return out;
}

/** A network with an interior optimum for erf (tau* ~ 19.7). */
export const OPTIMAL_POINT = { sw2: 1, sb2: 0, q0: 1, c0: 0.9 };

export function deriveOptimalAlpha(actName: string, opts: { checks?: boolean } = {}): Derivation {
  const act = activation(actName);
  const f = continuumFlow(actName);
  const Kt = '\\mathcal{K}';
  const eqs: Equation[] = [
    equation('flow-K', `\\frac{d${Kt}}{d\\tau}`, 'dK/dtau', f.flowK, 'amplitude', 'continuum limit, tau = alpha^2 sw2 l, beta = sb2/sw2'),
    equation('flow-k', '\\frac{dk}{d\\tau}', 'dk/dtau', f.flowk, 'amplitude', 'off-diagonal entry (equal variances)'),
    equation('g', `g(${Kt}, k) = \\frac{1}{\\sigma_w^2} \\frac{\\partial \\ln \\chi_k}{\\partial \\alpha^2}\\Big|_{\\alpha = 0}`, 'g(K, k) = d ln chi_k/da / sw2 at a = 0', f.g, 'amplitude',
      'ln S(tau) = ln(q0/K(tau)) + int_0^tau g dtau'),
    equation('stationarity', '\\frac{d \\ln S}{d\\tau}', 'd ln S/dtau', f.h, 'amplitude', 'the optimum tau* is where this vanishes (crossing from above)'),
    equation('alpha-star', '\\alpha^*', 'alpha*', simplify(pow(mul(sym('tau'), pow(mul(sym('sw2'), sym('L')), num(-1))), num('1/2'))), 'amplitude',
      'tau = tau*, amplitude scaling; relative corrections O(1/L)'),
  ];
  // the alpha* equation's symbol tau means tau*
  eqs[4] = { ...eqs[4], latex: eqs[4].latex.replace(/\\tau/g, '\\tau^*'), text: eqs[4].text.replace(/tau/g, 'tau*') };
  const checks: Check[] = [];
  if (opts.checks !== false) {
    const named = hasNamed(f.g) || hasNamed(f.flowK);
    const dom = { K: [0.5, 2] as [number, number], k: [-0.4, 0.4] as [number, number], a: [0.01, 0.5] as [number, number], sw2: [0.5, 3] as [number, number], sb2: [0, 0.5] as [number, number] };
    checks.push(check('d ln chi_k / d alpha^2 vs finite differences', derivativeCheck(call('log', [f.raw.chik]), 'a', f.raw.dlnchi, act, dom), 1e-8, '$\\partial \\ln \\chi_k / \\partial \\alpha^2$ vs finite differences'));
    // linear with sb2 = 0 has S = 1 for every alpha (nothing to maximise): give it a bias
    const P = act.linear ? { ...OPTIMAL_POINT, sb2: 0.05 } : OPTIMAL_POINT;
    const beta = P.sb2 / P.sw2;
    // named expectations (2D quadratures) are slow: a short stretch of the flow, no optimum search
    const tauMax = named ? 4 : 40;
    const steps = named ? 160 : 4000;
    const tr = integrate(actName, f, beta, P.q0, P.c0, tauMax, steps);
    const dt = tauMax / steps;
    let eh = 0;
    let scale = 0;
    for (const x of tr.h) scale = Math.max(scale, Math.abs(x));
    for (let i = 4; i < steps - 4; i += Math.floor(steps / 12)) {
      // 4th-order central difference of ln S
      const d = (-tr.lnS[i + 2] + 8 * tr.lnS[i + 1] - 8 * tr.lnS[i - 1] + tr.lnS[i - 2]) / (12 * dt);
      eh = Math.max(eh, Math.abs(d - tr.h[i]) / Math.max(scale, 1e-300));
    }
    checks.push(check(`stationarity function vs finite differences of ln S(tau) along the integrated flow (tau <= ${tauMax})`, eh, 1e-7, `stationarity function vs finite differences of $\\ln S(\\tau)$ along the integrated flow ($\\tau \\le ${tauMax}$)`));
    if (!named) {
      const L = 400;
      const net = network({ act: actName, sw2: String(P.sw2), sb2: String(P.sb2), q0: String(P.q0), c0: String(P.c0), depth: L, alpha: '0.1' });
      let crossing = -1;
      for (let i = 1; i < tr.h.length; i++) if (tr.h[i - 1] > 0 && tr.h[i] <= 0) { crossing = i; break; }
      if (crossing < 0) {
        // no interior maximum: the engine must agree
        let noInterior = false;
        try {
          asymptoticOptimum(net, 4000, tauMax);
        } catch (e) {
          if (!(e instanceof NumericalError)) throw e;
          noInterior = true;
        }
        const loc = locateMaximum({ ...net, depth: 100 });
        checks.push(check(`no interior maximum (d ln S/dtau never crosses zero from above for tau <= ${tauMax}), as src/quantities/optimal.ts finds`, noInterior && !loc.interior ? 0 : 1, 0.5, `no interior maximum ($d \\ln S / d\\tau$ never crosses zero from above for $\\tau \\le ${tauMax}$), as src/quantities/optimal.ts finds`));
      } else {
        const i = crossing;
        const tauStar = tr.tau[i - 1] + (dt * tr.h[i - 1]) / (tr.h[i - 1] - tr.h[i]);
        const ref = asymptoticOptimum(net);
        checks.push(check('tau* (zero of the derived stationarity function) vs src/quantities/optimal.ts asymptoticOptimum', relDiff(tauStar, ref.tau), 1e-5, '$\\tau^*$ (zero of the derived stationarity function) vs src/quantities/optimal.ts asymptoticOptimum'));
        const alphaAsym = Math.sqrt(tauStar / (P.sw2 * L));
        const exact = optimalAlpha64({ act: actName, sw2: String(P.sw2), sb2: String(P.sb2), q0: String(P.q0), c0: String(P.c0), depth: L });
        checks.push(check(`alpha* (asymptotic) vs the exact discrete optimum at L = ${L} (agreement O(1/L))`, relDiff(alphaAsym, exact.alpha), 0.02, `$\\alpha^*$ (asymptotic) vs the exact discrete optimum at $L = ${L}$ (agreement $O(1/L)$)`));
      }
    }
  }
  const intro =
    `Large-depth limit $L \\to \\infty$ at fixed $\\tau = \\alpha^2 \\sigma_w^2 \\ell$ of the mean-field map and of the correlation response ` +
    `(derivatives in $\\alpha^2$ at $\\alpha = 0$), $\\beta = \\sigma_b^2/\\sigma_w^2$, $\\mathcal{K}(0) = q_0$, $k(0) = q_0 c_0$; ` +
    `the optimal scaling maximises $\\ln S(\\tau_L) = \\ln\\frac{q_0}{\\mathcal{K}(\\tau_L)} + \\int_0^{\\tau_L} g\\, d\\tau$; activation ${act.name}.`;
  return { name: 'optimal-alpha', title: `Optimal residual scaling, ${act.name}`, intro, act: act.name, equations: eqs, checks };
}
