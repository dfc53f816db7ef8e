/**
 * The mean-field recursion of a network description (src/model/net), layer kind by layer kind,
 * as expressions of the symbolic core, each one verified by running the printed expressions
 * through the description and comparing the kernels and means with netMeanField (float64 and
 * Decimal) at the description's own parameters.
 *
 * Per neuron the state is its mean m_a and uncentred second moment K_ab over the inputs; the
 * equations are written for two inputs (a = 1, b = 2; the diagonal is the case a = b):
 *
 *   dense(sw2, sb2)     K_12 <- sw2 K_12 + sb2,   m <- 0
 *   act(phi)            K_12 <- <phi(u) phi(v)>,  K_11 <- <phi^2>,  m_1 <- <phi>_{K_11}   (closed forms where known)
 *   residual            g_l = alpha s(l, L) (amplitude) or sqrt(alpha s(l, L)) (variance scaling),
 *                       K_12 <- K_12 + g_l (m_1 mu_2 + mu_1 m_2) + g_l^2 K^br_12,  m_1 <- m_1 + g_l mu_1
 *                       (mu, K^br: the branch's output); for x + g phi(x) without a dense layer
 *                       (Stein's lemma) K_12 <- K_12 (1 + g_l (<phi'>_{K_11} + <phi'>_{K_22})) + g_l^2 K^br_12.
 */
import { Expr, sym, num, add, mul, pow, call, sqrt, children, rebuild, toLatex, toString, ZERO } from '../symbolic';
import { Activation } from '../model/activation';
import { Layer, NetDescription, Residual } from '../model/net/layers';
import { Interpretation, float64Interp, decimalInterp } from '../interpret/numeric';
import { evaluateIn, symbolicField } from '../interpret/symbolic';
import { netMeanField, checkMeanFieldCovers, countResidualBlocks, passesThroughDense, steinActivation } from '../quantities/netMeanField';
import { phiPhi, phiSquare, phiMean } from '../quantities/moments';
import { moments, tidy, wick, NAMED } from './expectations';
import { Derivation, Equation, Check, check, SYMBOLS } from './notation';

const K11 = sym('K11');
const K12 = sym('K12');
const K22 = sym('K22');
const m1 = sym('m1');
const m2 = sym('m2');
const mu1 = sym('mu1');
const mu2 = sym('mu2');
const Y12 = sym('Kbr12');
const g = sym('g');
const POSITIVE = ['K11', 'K22', 'sw2', 'sb2', 'alpha', 'g'];

const NET_SYMBOLS: Record<string, string> = {
  ...SYMBOLS,
  m1: 'm_1', m2: 'm_2', mu1: '\\mu_1', mu2: '\\mu_2', Kbr12: '\\mathcal{K}^{\\mathrm{br}}_{12}', g: 'g_\\ell', L: 'L',
};

/** Rows of netMeanField checked against the printed recursion (the input row included). */
export const NET_CHECK_ROWS = 4;

/** One printed equation with what evaluating it needs (named expectations are computed by quadrature). */
interface Printed {
  eq: Equation;
  /** The right-hand side with each named expectation replaced by a placeholder symbol. */
  body: Expr;
  calls: { name: string; args: readonly Expr[] }[];
  act?: Activation;
}

function printed(label: string, lhs: string, lhsText: string, rhs: Expr, note: string, act?: Activation): Printed {
  const calls: { name: string; args: readonly Expr[] }[] = [];
  const index = new Map<Expr, number>();
  const go = (x: Expr): Expr => {
    if (x.kind === 'call' && NAMED.has(x.name)) {
      let i = index.get(x);
      if (i === undefined) {
        i = calls.length;
        calls.push({ name: x.name, args: x.args });
        index.set(x, i);
      }
      return sym(`named__${i}`);
    }
    const kids = children(x);
    return kids.length ? rebuild(x, kids.map(go)) : x;
  };
  const body = go(rhs);
  const tex = toLatex(rhs, { symbols: NET_SYMBOLS, combineSymbolPowers: true });
  return { eq: { label, lhs, lhsText, expr: rhs, latex: `${lhs} = ${tex}`, text: `${lhsText} = ${toString(rhs)}`, note }, body, calls, act };
}

/** The n-th (almost-everywhere) derivative of phi. */
function nthDerivative(act: Activation, n: number): Activation {
  let a = act;
  for (let i = 0; i < n; i++) a = a.derivative();
  return a;
}

/** Evaluate a printed right-hand side in an interpretation: named expectations through the shared moments. */
function evalPrinted<T>(I: Interpretation<T>, p: Printed, env: Record<string, T>): T {
  const F = I.F;
  const full: Record<string, T> = { ...env };
  p.calls.forEach((c, i) => {
    const a = c.args.map((x) => evaluateIn(F, x, env));
    const ints = a.slice(0, 2).map((x) => Math.round(F.toNumber(x)));
    let v: T;
    if (c.name === 'Ephi' && ints[0] === 2 && ints[1] === 0) v = phiSquare(I, p.act!, a[2]);
    else if (c.name === 'Ephi' && ints[0] === 1) v = phiMean(I, nthDerivative(p.act!, ints[1]), a[2]);
    else if (c.name === 'Epair' && ints[0] === 0 && ints[1] === 0) v = phiPhi(I, p.act!, a[2], a[3], a[4]);
    else throw new Error(`netKernel: no evaluation for ${c.name}(${ints.join(', ')}, ...)`);
    full[`named__${i}`] = v;
  });
  return evaluateIn(F, p.body, full);
}

interface LayerEquations {
  /** K_12 of the layer's output (the diagonal is the case 1 = 2 unless `square` is given). */
  k: Printed;
  square?: Printed;
  /** m_1 of the output; absent: the output mean is 0. */
  mean?: Printed;
  /** g_l of a residual block. */
  g?: Printed;
}

function describeLayer(l: Layer): string {
  switch (l.kind) {
    case 'dense':
    case 'readout':
      return `${l.kind}(sw2 = ${l.sw2}, sb2 = ${l.sb2})`;
    case 'act':
      return `act(${l.phi.name})`;
    case 'residual':
      return `residual(alpha = ${l.alpha}${l.schedule ? `, s(l, L) = ${l.schedule.text}` : ''}${l.scaling === 'variance' ? ', variance scaling' : ''})`;
    default:
      return l.kind;
  }
}

function denseEquations(l: Extract<Layer, { kind: 'dense' | 'readout' }>): LayerEquations {
  const rhs = add(mul(sym('sw2'), K12), sym('sb2'));
  return { k: printed(`${l.kind}`, "\\mathcal{K}'_{12}", "K12'", rhs, `${describeLayer(l)}: every entry, K11' likewise; m' = 0`) };
}

function actEquations(phi: Activation): LayerEquations {
  const M = moments(phi);
  const cf = phi.closedForm;
  // a polynomial phi (explicit moments without a closed form) has its mean by Wick's theorem
  const meanRhs = cf?.mean ? cf.mean(symbolicField, K11)
    : phi.parity === 'odd' ? ZERO
      : !cf && M.explicit.m2 ? wick(phi.expr, K11, ZERO, ZERO) : call('Ephi', [num(1), num(0), K11]);
  const what = `act(${phi.name})`;
  return {
    k: printed(`act-pair`, "\\mathcal{K}'_{12}", "K12'", tidy(M.pair(K11, K12, K22), POSITIVE), `${what}: ${M.explicit.pair ? 'closed form' : 'Gaussian expectation'}`, phi),
    square: printed(`act-square`, "\\mathcal{K}'_{11}", "K11'", tidy(M.m2(K11), POSITIVE), `${what}: the diagonal`, phi),
    mean: printed(`act-mean`, "m'_1", "m1'", tidy(meanRhs, POSITIVE), `${what}: the mean every neuron carries${phi.parity === 'odd' ? ' (phi is odd)' : ''}`, phi),
  };
}

function residualEquations(l: Residual): LayerEquations {
  const s = l.schedule ? l.schedule.expr : num(1);
  const gRhs = l.scaling === 'amplitude' ? mul(sym('alpha'), s) : sqrt(mul(sym('alpha'), s));
  const what = describeLayer(l);
  const gEq = printed('residual-g', 'g_\\ell', 'g_l', gRhs, `${what}: the branch factor at block l of L`);
  const stein = passesThroughDense(l.branch) ? undefined : steinActivation(l.branch);
  if (stein) {
    const e = (K: Expr) => call('Ephi', [num(1), num(1), K]);
    const rhs = add(mul(K12, add(num(1), mul(g, add(e(K11), e(K22))))), mul(pow(g, num(2)), Y12));
    return {
      g: gEq,
      k: printed('residual-stein', "\\mathcal{K}'_{12}", "K12'", rhs, `${what}: x + g_l phi(x) on a Gaussian zero-mean x (Stein's lemma); K^br the branch's kernel`, stein.phi),
      mean: printed('residual-stein-mean', "m'_1", "m1'", mul(g, mu1), `${what}: mu the branch's mean`),
    };
  }
  const rhs = add(K12, mul(g, add(mul(m1, mu2), mul(mu1, m2))), mul(pow(g, num(2)), Y12));
  return {
    g: gEq,
    k: printed('residual', "\\mathcal{K}'_{12}", "K12'", rhs, `${what}: m the stream's mean, mu and K^br the branch's mean and kernel`),
    mean: printed('residual-mean', "m'_1", "m1'", add(m1, mul(g, mu1)), `${what}: the mean`),
  };
}

interface State<T> {
  K: T[][];
  m: T[];
}

/** Every layer's equations, keyed by the layer object (equal layers share their printed form). */
function layerEquations(d: NetDescription, alter?: (label: string, rhs: Expr) => Expr): { byLayer: Map<Layer, LayerEquations>; ordered: LayerEquations[] } {
  const byLayer = new Map<Layer, LayerEquations>();
  const seen = new Map<string, LayerEquations>();
  const ordered: LayerEquations[] = [];
  const visit = (layers: readonly Layer[]): void => {
    for (const l of layers) {
      if (l.kind === 'serial' || l.kind === 'repeat') { visit(l.layers); continue; }
      const key = describeLayer(l) + (l.kind === 'residual' ? `|${passesThroughDense(l.branch)}` : '');
      let eqs = seen.get(key);
      if (!eqs) {
        eqs = l.kind === 'act' ? actEquations(l.phi) : l.kind === 'residual' ? residualEquations(l) : denseEquations(l as Extract<Layer, { kind: 'dense' | 'readout' }>);
        seen.set(key, eqs);
        ordered.push(eqs);
      }
      byLayer.set(l, eqs);
      if (l.kind === 'residual') visit(l.branch);
    }
  };
  visit(d.layers);
  if (alter) {
    for (const e of ordered) {
      for (const k of ['k', 'square', 'mean', 'g'] as const) {
        const p = e[k];
        if (p) e[k] = printed(p.eq.label, p.eq.lhs, p.eq.lhsText, alter(p.eq.label, p.eq.expr), p.eq.note ?? '', p.act);
      }
    }
  }
  return { byLayer, ordered };
}

/**
 * The first `maxRows` recorded rows (input, then each top-level dense layer and residual block)
 * computed by evaluating the printed equations only.
 */
function runPrinted<T>(I: Interpretation<T>, d: NetDescription, byLayer: Map<Layer, LayerEquations>, maxRows: number): State<T>[] {
  const F = I.F;
  const P = d.inputs.kernel.length;
  const L = F.of(countResidualBlocks(d.layers));
  const zero = F.of(0);
  const K0 = d.inputs.kernel.map((row) => row.map((x) => F.of(x)));
  const rows: State<T>[] = [{ K: K0, m: K0.map(() => zero) }];
  let block = 0;
  const pairs = (f: (a: number, b: number) => T): T[][] => {
    const K: T[][] = Array.from({ length: P }, () => new Array<T>(P));
    for (let a = 0; a < P; a++) for (let b = 0; b <= a; b++) K[a][b] = K[b][a] = f(b, a);
    return K;
  };
  const step = (l: Layer, s: State<T>): State<T> => {
    const eqs = byLayer.get(l)!;
    if (l.kind === 'dense' || l.kind === 'readout') {
      const env = { sw2: F.of(l.sw2), sb2: F.of(l.sb2) };
      return { K: pairs((a, b) => evalPrinted(I, eqs.k, { ...env, K12: s.K[a][b] })), m: s.m.map(() => zero) };
    }
    if (l.kind === 'act') {
      return {
        K: pairs((a, b) => (a === b
          ? evalPrinted(I, eqs.square!, { K11: s.K[a][a] })
          : evalPrinted(I, eqs.k, { K11: s.K[a][a], K12: s.K[a][b], K22: s.K[b][b] }))),
        m: s.m.map((_, a) => evalPrinted(I, eqs.mean!, { K11: s.K[a][a] })),
      };
    }
    const r = l as Residual;
    block++;
    const gl = evalPrinted(I, eqs.g!, { alpha: F.of(r.alpha), l: F.of(block), L });
    const y = run(r.branch, s, false);
    return {
      K: pairs((a, b) => evalPrinted(I, eqs.k, {
        K11: s.K[a][a], K12: s.K[a][b], K22: s.K[b][b], m1: s.m[a], m2: s.m[b], mu1: y.m[a], mu2: y.m[b], Kbr12: y.K[a][b], g: gl,
      })),
      m: s.m.map((_, a) => evalPrinted(I, eqs.mean!, { m1: s.m[a], mu1: y.m[a], g: gl })),
    };
  };
  function run(layers: readonly Layer[], s0: State<T>, top: boolean): State<T> {
    let s = s0;
    for (const l of layers) {
      if (top && rows.length >= maxRows) return s;
      if (l.kind === 'serial') s = run(l.layers, s, top);
      else if (l.kind === 'repeat') for (let k = 0; k < l.n && !(top && rows.length >= maxRows); k++) s = run(l.layers, s, top);
      else {
        s = step(l, s);
        if (top && l.kind !== 'act') rows.push(s);
      }
    }
    return s;
  }
  run(d.layers, rows[0], true);
  return rows;
}

/** The shortest prefix of a layer list that records `rows` rows (top-level dense/readout layers and residual blocks). */
function prefix(layers: readonly Layer[], rows: number): { layers: Layer[]; used: number } {
  const out: Layer[] = [];
  let used = 0;
  for (const l of layers) {
    if (used >= rows) break;
    if (l.kind === 'serial') {
      const p = prefix(l.layers, rows - used);
      out.push({ ...l, layers: p.layers });
      used += p.used;
    } else if (l.kind === 'repeat') {
      const body = prefix(l.layers, Number.MAX_SAFE_INTEGER).used;
      const n = body === 0 ? l.n : Math.min(l.n, Math.ceil((rows - used) / body));
      out.push({ ...l, n });
      used += n * body;
    } else {
      out.push(l);
      if (l.kind !== 'act') used++;
    }
  }
  return { layers: out, used };
}

/** max |printed - netMeanField| / max(1, |netMeanField|) over the first rows, kernels and means. */
function compareWithNetMeanField<T>(I: Interpretation<T>, d: NetDescription, byLayer: Map<Layer, LayerEquations>): number {
  const F = I.F;
  const mine = runPrinted(I, d, byLayer, NET_CHECK_ROWS);
  // the reference runs the same prefix of the description, its schedules seeing the whole depth L
  const ref = netMeanField(I, { ...d, layers: prefix(d.layers, NET_CHECK_ROWS - 1).layers }, { blocks: countResidualBlocks(d.layers) }).rows;
  let err = 0;
  const cmp = (x: T, y: T) => {
    const a = F.toNumber(x);
    const b = F.toNumber(y);
    const diff = Math.abs(F.toNumber(F.sub(x, y)));
    err = Math.max(err, Number.isFinite(a) && Number.isFinite(b) ? diff / Math.max(1, Math.abs(b)) : Infinity);
  };
  if (mine.length > ref.length) return Infinity;
  mine.forEach((s, i) => {
    s.K.forEach((row, a) => row.forEach((x, b) => cmp(x, ref[i].K[a][b])));
    s.m.forEach((x, a) => cmp(x, ref[i].m[a]));
  });
  return err;
}

export interface NetKernelOptions {
  /** Run the numerical checks (default true). */
  checks?: boolean;
  /** Rewrites a right-hand side (by equation label) before it is printed and checked; for tests that the checks can fail. */
  alter?: (label: string, rhs: Expr) => Expr;
}

/** The mean-field recursion of every layer kind in the description, verified against netMeanField. */
export function deriveNetKernel(d: NetDescription, opts: NetKernelOptions = {}): Derivation {
  checkMeanFieldCovers(d);
  const { byLayer, ordered } = layerEquations(d, opts.alter);
  const equations: Equation[] = [];
  for (const e of ordered) for (const p of [e.g, e.k, e.square, e.mean]) if (p) equations.push(p.eq);
  const checks: Check[] = [];
  if (opts.checks !== false) {
    const rows = `the first ${NET_CHECK_ROWS - 1} recorded layers`;
    checks.push(check(`printed recursion vs netMeanField, float64 (${rows})`, compareWithNetMeanField(float64Interp, d, byLayer), 1e-12));
    checks.push(check(`printed recursion vs netMeanField, Decimal 40 digits (${rows})`, compareWithNetMeanField(decimalInterp(40), d, byLayer), 1e-30));
  }
  const acts = [...new Set(ordered.flatMap((e) => (e.square?.act ? [e.square.act.name] : [])))];
  const intro = 'The mean-field recursion of each layer of the description, for two inputs $a = 1, 2$ (the diagonal is the case $1 = 2$): ' +
    'each printed equation is evaluated numerically through the description and compared with the engine\'s mean field.';
  return { name: 'net-kernel', title: `Mean-field recursion of the described network${d.source ? ` (${d.source})` : ''}`, intro, act: acts.join(',') || 'none', equations, checks };
}

