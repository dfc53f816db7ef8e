/**
 * Named Gaussian expectations for the derivations, and the bridge to numbers.
 *
 * The derivations are written over three kinds of Gaussian expectation of the activation phi:
 *
 *   Ephi(p, n, K)              = < (phi^p)^(n)(u) >_K,                     u ~ N(0, K)
 *   Ephi22(n1, n2, K, D)       = E[ (phi^2)^(n1)(x) (phi^2)^(n2)(x + z) ],  x ~ N(0, K), z ~ N(0, D)
 *   Epair(n1, n2, K11, K12, K22) = < phi^(n1)(u) phi^(n2)(v) >,            (u, v) ~ N(0, [[K11, K12], [K12, K22]])
 *
 * They are registered as opaque functions of the symbolic core whose derivative rules are the
 * heat equation / Price's theorem (d/dK <f>_K = (1/2) <f''>_K, d/dK12 <f g> = <f' g'>, ...), so the
 * symbolic core differentiates them like any other function. For activations with closed forms
 * the builders below return the closed forms instead (the activation's own `closedForm`, written
 * once over Field<T>, evaluated in the symbolic field; polynomial activations by Wick's theorem,
 * computed here with the heat operator), and the derivations come out explicit.
 *
 * Numerically a named expectation is an adaptive Gaussian quadrature (src/numeric/gaussian.ts) of
 * the integrand (phi^p)^(n) obtained by symbolic differentiation of the activation's formula.
 */
import {
  Expr, num, sym, add, mul, pow, sub, call, registerFunction, getFunction, diff, nthDiff, simplify, substitute, expand,
  compileF64, children, rebuild, together, HALF, ZERO, isConstant, freeSymbols, sqrt,
} from '../symbolic';
import { Activation, activation } from '../model/activation';
import { symbolicField } from '../interpret/symbolic';
import { expect1F64, expect2F64 } from '../numeric/gaussian';
import { InputError } from '../model/errors';
import { plainMath } from '../numeric/plainMath';
const Math = plainMath();

// ---------------------------------------------------------------------------------------
// Registration

const int = (e: Expr, what: string): number => {
  if (e.kind !== 'num' || e.d !== 1n) throw new Error(`${what}: derivative orders must be integer literals`);
  return Number(e.n);
};

function primes(n: string): string {
  const k = Number(n);
  if (k === 0) return '';
  if (k <= 3) return "'".repeat(k);
  return `^{(${n})}`;
}

/** (phi^p)^(n)(arg) in LaTeX. */
function phiPowLatex(p: string, n: string, arg: string): string {
  const pw = p.length === 1 ? `^${p}` : `^{${p}}`;
  if (Number(n) === 0) return p === '1' ? `\\phi(${arg})` : `\\phi${pw}(${arg})`;
  if (p === '1') return `\\phi${primes(n)}(${arg})`;
  return `(\\phi${pw})${primes(n)}(${arg})`;
}

let registered = false;

/** Register Ephi, Ephi22, Epair (idempotent). */
export function registerExpectations(): void {
  if (registered) return;
  registered = true;
  registerFunction('Ephi', {
    arity: 3,
    diff: (args, i) => {
      if (i !== 2) throw new Error('Ephi: only the kernel argument varies');
      // heat equation: d/dK <f>_K = (1/2) <f''>_K
      return mul(HALF, call('Ephi', [args[0], num(int(args[1], 'Ephi') + 2), args[2]]));
    },
    latex: ([p, n, K]) => (Number(n) === 0 && p === '2'
      ? `\\langle \\phi^2 \\rangle_{${K}}`
      : `\\langle ${phiPowLatex(p, n, 'u')} \\rangle_{${K}}`),
  });
  registerFunction('Ephi22', {
    arity: 4,
    diff: (args, i) => {
      const [a, b, K, D] = args;
      const n1 = int(a, 'Ephi22');
      const n2 = int(b, 'Ephi22');
      const E = (x: number, y: number) => call('Ephi22', [num(x), num(y), K, D]);
      // y = x + z: d/dD acts on the second factor only; d/dK (x's variance, y = x + z moves with x)
      // acts on the product: (1/2) (d_x + d_y)^2.
      if (i === 3) return mul(HALF, E(n1, n2 + 2));
      if (i === 2) return mul(HALF, add(E(n1 + 2, n2), mul(num(2), E(n1 + 1, n2 + 1)), E(n1, n2 + 2)));
      throw new Error('Ephi22: only K and D vary');
    },
    latex: ([n1, n2, K, D]) => `\\langle ${phiPowLatex('2', n1, 'x')}\\, ${phiPowLatex('2', n2, 'x+z')} \\rangle_{${K},${D}}`,
  });
  registerFunction('Epair', {
    arity: 5,
    diff: (args, i) => {
      const [a, b, K11, K12, K22] = args;
      const n1 = int(a, 'Epair');
      const n2 = int(b, 'Epair');
      const E = (x: number, y: number) => call('Epair', [num(x), num(y), K11, K12, K22]);
      // Price's theorem
      if (i === 3) return E(n1 + 1, n2 + 1);
      if (i === 2) return mul(HALF, E(n1 + 2, n2));
      if (i === 4) return mul(HALF, E(n1, n2 + 2));
      throw new Error('Epair: only the kernel entries vary');
    },
    latex: ([n1, n2, K11, K12, K22]) => `\\langle ${phiPowLatex('1', n1, 'u')}\\, ${phiPowLatex('1', n2, 'v')} \\rangle_{${K11},${K12},${K22}}`,
  });
}
registerExpectations();

export const NAMED = new Set(['Ephi', 'Ephi22', 'Epair']);

// ---------------------------------------------------------------------------------------
// Moment builders: closed form where there is one, named expectation otherwise

const Y = sym('y');

/** Is phi a polynomial in x (some derivative of order <= 8 vanishes)? */
function isPolynomial(act: Activation): boolean {
  // sign, heaviside, relu: derivatives vanish almost everywhere, but they are not polynomials
  if (act.continuity !== 'smooth') return false;
  let d = act.expr;
  for (let k = 0; k <= 8; k++) {
    if (d.kind === 'num' && d.n === 0n) return true;
    if (!isConstant(d) && [...freeSymbols(d)].some((s) => s !== 'x')) return false;
    d = simplify(diff(d, 'x'));
  }
  return false;
}

/**
 * E[p(x, y)] for a polynomial p, (x, y) ~ N(0, [[k11, k12], [k12, k22]]): Wick's theorem as the
 * heat operator, E p = [exp((1/2)(k11 d_x^2 + 2 k12 d_x d_y + k22 d_y^2)) p](0).
 */
export function wick(p: Expr, k11: Expr, k12: Expr, k22: Expr): Expr {
  const at0 = (e: Expr) => simplify(substitute(e, { x: ZERO, y: ZERO }));
  let term = expand(p);
  let total = at0(term);
  for (let k = 1; k <= 12; k++) {
    const dxx = diff(diff(term, 'x'), 'x');
    const dxy = diff(diff(term, 'x'), 'y');
    const dyy = diff(diff(term, 'y'), 'y');
    term = expand(mul(num(`1/${2 * k}`), add(mul(k11, dxx), mul(num(2), k12, dxy), mul(k22, dyy))));
    if (term.kind === 'num' && term.n === 0n) break;
    total = add(total, at0(term));
  }
  return simplify(total);
}

export interface Moments {
  act: Activation;
  /** true when every moment below is a closed form */
  explicit: { m2: boolean; m4: boolean; m22: boolean; pair: boolean };
  /** <phi^2>_K */
  m2(K: Expr): Expr;
  /** <phi^4>_K */
  m4(K: Expr): Expr;
  /** E[phi^2(x) phi^2(x+z)], x ~ N(0, K), z ~ N(0, D) */
  m22(K: Expr, D: Expr): Expr;
  /** <phi(u) phi(v)> */
  pair(K11: Expr, K12: Expr, K22: Expr): Expr;
}

const momentCache = new Map<string, Moments>();

/** The moment builders of an activation. */
export function moments(act: Activation): Moments {
  const hit = momentCache.get(act.name);
  if (hit) return hit;
  const cf = act.closedForm;
  const poly = isPolynomial(act);
  const phiX = act.expr;
  const phiY = substitute(act.expr, { x: Y });
  // phi^2 as an activation with a closed form: relu^2 = relu-power:2.
  const r = act.rectified;
  const sq = r && r.a === 1 && r.b === 0 && Number.isInteger(r.k) ? activation(`relu-power:${2 * r.k}`) : undefined;
  const m: Moments = {
    act,
    explicit: { m2: !!cf || poly, m4: !!sq?.closedForm || poly, m22: !!sq?.closedForm || poly, pair: !!cf || poly },
    m2: (K) => (cf ? cf.square(symbolicField, K) : poly ? wick(mul(phiX, phiX), K, ZERO, ZERO) : call('Ephi', [num(2), ZERO, K])),
    m4: (K) => (sq?.closedForm ? sq.closedForm.square(symbolicField, K) : poly ? wick(pow(phiX, num(4)), K, ZERO, ZERO) : call('Ephi', [num(4), ZERO, K])),
    m22: (K, D) => (sq?.closedForm
      ? sq.closedForm.pair(symbolicField, K, K, add(K, D))
      : poly ? wick(mul(pow(phiX, num(2)), pow(phiY, num(2))), K, K, add(K, D)) : call('Ephi22', [ZERO, ZERO, K, D])),
    pair: (K11, K12, K22) => (cf ? cf.pair(symbolicField, K11, K12, K22) : poly ? wick(mul(phiX, phiY), K11, K12, K22) : call('Epair', [ZERO, ZERO, K11, K12, K22])),
  };
  momentCache.set(act.name, m);
  return m;
}

/** Derivations need a closed form or a smooth activation (the named expectations differentiate phi). */
export function checkActivation(act: Activation): void {
  const m = moments(act);
  const allExplicit = m.explicit.m2 && m.explicit.m4 && m.explicit.m22 && m.explicit.pair;
  if (!allExplicit && act.continuity !== 'smooth') {
    throw new InputError('act', `the derivations need an activation with closed-form moments (relu, erf, linear) or a smooth one (tanh, gelu, silu, a smooth expression in x); "${act.name}" is ${act.continuity}`);
  }
}

// ---------------------------------------------------------------------------------------
// Tidy: rewrites valid for positive symbols (kernels, variances), each checked numerically by callers

function isPositive(e: Expr, pos: Set<string>): boolean {
  switch (e.kind) {
    case 'num':
      return e.n > 0n;
    case 'sym':
      return pos.has(e.name) || e.name === 'pi' || e.name === 'e';
    case 'add':
      return e.terms.every((t) => isPositive(t, pos));
    case 'mul':
      return e.factors.every((t) => isPositive(t, pos));
    case 'pow':
      return isPositive(e.base, pos);
    case 'call':
      return e.name === 'exp';
  }
}

/**
 * Rewrites that hold on the domain of the derivation: cos(acos u) = u, sin(acos u) = sqrt(1 - u^2),
 * |u| = u for positive u, and (u v)^r = u^r v^r when all factors but one are positive (real
 * semantics: a negative base with a non-integer exponent is NaN on both sides). Followed by `simplify`.
 */
export function tidy(e: Expr, positive: string[]): Expr {
  const pos = new Set(positive);
  const memo = new Map<Expr, Expr>();
  const go = (x: Expr): Expr => {
    const hit = memo.get(x);
    if (hit) return hit;
    const kids = children(x).map(go);
    let r = kids.length ? rebuild(x, kids) : x;
    if (r.kind === 'call' && r.args.length === 1) {
      const u = r.args[0];
      if (r.name === 'cos' && u.kind === 'call' && u.name === 'acos') r = u.args[0];
      else if (r.name === 'sin' && u.kind === 'call' && u.name === 'acos') r = sqrt(sub(num(1), pow(u.args[0], num(2))));
      else if (r.name === 'abs' && isPositive(u, pos)) r = u;
    }
    if (r.kind === 'pow' && r.exp.kind === 'num' && r.exp.d !== 1n) {
      const b = r.base;
      const ex = r.exp;
      if (b.kind === 'add') {
        // a radicand over a common denominator, numerator expanded: 1 - 4u^2/(1+2u)^2 -> (1+4u)/(1+2u)^2
        const t = together(b);
        const fs = t.kind === 'mul' ? t.factors : [t];
        const ex2 = fs.map((f) => (f.kind === 'add' ? simplify(expand(f)) : f.kind === 'pow' && f.base.kind === 'add' ? pow(simplify(expand(f.base)), f.exp) : f));
        if (fs.length > 1 && ex2.filter((f) => !isPositive(f, pos)).length <= 1) r = mul(...ex2.map((f) => pow(f, ex)));
      } else if (b.kind === 'mul' && b.factors.filter((f) => !isPositive(f, pos)).length <= 1) r = mul(...b.factors.map((f) => pow(f, ex)));
      else if (b.kind === 'pow' && isPositive(b.base, pos) && b.exp.kind === 'num') r = pow(b.base, mul(b.exp, r.exp));
    }
    memo.set(x, r);
    return r;
  };
  let cur = e;
  for (let it = 0; it < 4; it++) {
    const next = simplify(go(cur));
    if (next === cur) break;
    cur = next;
  }
  return cur;
}

// ---------------------------------------------------------------------------------------
// Numbers

const integrandCache = new Map<string, (x: number) => number>();

function integrand(act: Activation, p: number, n: number): (x: number) => number {
  const key = `${act.name}|${p}|${n}`;
  let f = integrandCache.get(key);
  if (!f) {
    if (act.continuity !== 'smooth') throw new InputError('act', `named Gaussian expectations need a smooth activation ("${act.name}" is ${act.continuity})`);
    f = compileF64(nthDiff(pow(act.expr, num(p)), 'x', n), ['x']);
    integrandCache.set(key, f);
  }
  return f;
}

const TOL = 1e-14;

/** Numerical value of a named expectation (adaptive Gaussian quadrature). */
export function namedValue(act: Activation, name: string, args: number[]): number {
  switch (name) {
    case 'Ephi': {
      const [p, n, K] = args;
      return expect1F64(integrand(act, p, n), K, { tol: TOL }).value;
    }
    case 'Ephi22': {
      const [n1, n2, K, D] = args;
      return expect2F64(integrand(act, 2, n1), integrand(act, 2, n2), K, K, K + D, { tol: TOL }).value;
    }
    case 'Epair': {
      const [n1, n2, K11, K12, K22] = args;
      return expect2F64(integrand(act, 1, n1), integrand(act, 1, n2), K11, K12, K22, { tol: TOL }).value;
    }
    default:
      throw new Error(`namedValue: unknown expectation ${name}`);
  }
}

/** Does e contain a named expectation? */
export function hasNamed(e: Expr): boolean {
  if (e.kind === 'call' && NAMED.has(e.name)) return true;
  return children(e).some(hasNamed);
}

/**
 * Compile an expression with named expectations to a float64 function of `vars`: the named calls
 * become extra arguments, evaluated by quadrature at the numeric values of their arguments.
 */
export function compileNamed(e: Expr, vars: string[], act: Activation): (...xs: number[]) => number {
  const calls: Expr[] = [];
  const index = new Map<Expr, number>();
  const memo = new Map<Expr, Expr>();
  const go = (x: Expr): Expr => {
    const hit = memo.get(x);
    if (hit) return hit;
    let r: Expr;
    if (x.kind === 'call' && NAMED.has(x.name)) {
      let i = index.get(x);
      if (i === undefined) {
        i = calls.length;
        calls.push(x);
        index.set(x, i);
      }
      r = sym(`named__${i}`);
    } else {
      const kids = children(x).map(go);
      r = kids.length ? rebuild(x, kids) : x;
    }
    memo.set(x, r);
    return r;
  };
  const body = go(e);
  const placeholders = calls.map((_, i) => `named__${i}`);
  const main = compileF64(body, [...vars, ...placeholders]);
  const argFns = calls.map((c) => (c as unknown as { args: Expr[] }).args.map((a) => compileF64(a, vars)));
  const names = calls.map((c) => (c as { name: string }).name);
  return (...xs: number[]) => {
    const extra = argFns.map((fs, i) => namedValue(act, names[i], fs.map((f) => f(...xs))));
    return main(...xs, ...extra);
  };
}

/** Relative difference |x - y| / max(|x|, |y|, floor). */
export function relDiff(x: number, y: number, floor = 1e-300): number {
  const d = Math.abs(x - y);
  if (d === 0) return 0;
  return d / Math.max(Math.abs(x), Math.abs(y), floor);
}

export { getFunction };
