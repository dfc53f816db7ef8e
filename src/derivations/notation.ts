/**
 * Layer-indexed notation for the derivations: X^{(l)}, X^{(l,j)}, sums, Kronecker deltas and
 * named coefficient functions (m(K), mu(K), ...), as functions of the symbolic core so that one
 * expression both prints (LaTeX with named symbols, sums written as sums) and evaluates: `evalIndexed`
 * runs a recursion equation over arrays of numbers — the printed equation is the computed one.
 */
import { Expr, sym, num, call, registerFunction, getFunction, toLatex, toString, LatexOptions } from '../symbolic';

/** LaTeX of the symbols used by the derivations. */
export const SYMBOLS: Record<string, string> = {
  sw2: '\\sigma_w^2',
  sb2: '\\sigma_b^2',
  a: '\\alpha^2',
  alpha: '\\alpha',
  K: '\\mathcal{K}',
  Kc: '\\mathcal{K}',
  C: '\\mathcal{C}',
  Cc: '\\mathcal{C}',
  K11: '\\mathcal{K}_{11}',
  K12: '\\mathcal{K}_{12}',
  K22: '\\mathcal{K}_{22}',
  q: 'q',
  q0: 'q_0',
  c0: 'c_0',
  l: '\\ell',
  lp: "\\ell'",
  jp: "j'",
  kp: "k'",
  R: 'R',
  V: 'V',
  Sig: '\\Sigma',
  SigK: '\\Sigma_{\\mathcal{K}}',
  s: 's',
  c1: 'c_1',
  k1: 'k_1',
  c1curv: 'c_1^{\\mathrm{curv}}',
  varK: '\\mathrm{Var}_{\\mathcal{K}}',
  D: 'D',
  beta: '\\beta',
  tau: '\\tau',
  chi: '\\chi',
  chi12: '\\chi_{12}',
  S: 'S',
  cc: 'c',
  rkq: 'R_{kq}',
  ...Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`C${i + 1}`, `\\mathcal{C}^{(${i + 1})}`])),
  ...Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`Ct${i + 1}`, `\\tilde{\\mathcal{C}}^{(${i + 1})}`])),
  rqq: 'R_{qq}',
};

/** Options for toLatex; `scaling` 'variance' prints the branch factor a as alpha. */
export function latexOptions(scaling: 'amplitude' | 'variance' = 'amplitude'): LatexOptions {
  return { symbols: { ...SYMBOLS, a: scaling === 'amplitude' ? '\\alpha^2' : '\\alpha' }, combineSymbolPowers: true };
}

export function latex(e: Expr, scaling: 'amplitude' | 'variance' = 'amplitude'): string {
  return toLatex(e, latexOptions(scaling));
}


/** Coefficient functions: name -> LaTeX head (e.g. mu -> \mu). */
const COEF_LATEX: Record<string, string> = {
  mfmap: 'm', mu: '\\mu', kappa: '\\kappa', vv: 'v', vv0: 'v_0', vD: '\\partial_D v', bb: 'b', pp: 'p', gg: 'g',
  chiq: '\\chi_q', chik: '\\chi_k', chikq: '\\chi_{kq}',
};

let registered = false;
function register(): void {
  if (registered) return;
  registered = true;
  registerFunction('lay', { arity: 2, latex: ([x, i]) => `${x}^{(${i})}` });
  registerFunction('lay2', { arity: 3, latex: ([x, i, j]) => `${x}^{(${i},${j})}` });
  registerFunction('Sum', { arity: 4, latex: ([body, k, lo, hi]) => `\\sum_{${k}=${lo}}^{${hi}} ${body}` });
  registerFunction('Prod', { arity: 4, latex: ([body, k, lo, hi]) => `\\prod_{${k}=${lo}}^{${hi}} ${body}` });
  registerFunction('grp', { arity: 1, diff: () => num(1), f64: (x) => x, latex: ([x]) => `\\left(${x}\\right)` });
  registerFunction('kdelta', { arity: 2, latex: ([i, j]) => `\\delta_{${i} ${j}}` });
  for (const [name, head] of Object.entries(COEF_LATEX)) {
    registerFunction(name, { arity: name === 'pp' ? 3 : name === 'vv' || name === 'vD' || name === 'gg' || name === 'chik' || name === 'chikq' ? 2 : 1, latex: (args) => `${head}\\left(${args.join(', ')}\\right)` });
  }
}
register();

export const lay = (x: string, i: Expr): Expr => call('lay', [sym(x), i]);
export const lay2 = (x: string, i: Expr, j: Expr): Expr => call('lay2', [sym(x), i, j]);
/** A sum over an index; a body that is itself a sum is grouped in parentheses. */
export const Sum = (body: Expr, k: string, lo: Expr, hi: Expr): Expr => call('Sum', [body.kind === 'add' ? call('grp', [body]) : body, sym(k), lo, hi]);
export const Prod = (body: Expr, k: string, lo: Expr, hi: Expr): Expr => call('Prod', [body.kind === 'add' ? call('grp', [body]) : body, sym(k), lo, hi]);
export const kdelta = (i: Expr, j: Expr): Expr => call('kdelta', [i, j]);
export const coef = (name: string, ...args: Expr[]): Expr => call(name, args);

export interface IndexedEnv {
  scalars: Record<string, number>;
  arrays: Record<string, (number | undefined)[]>;
  arrays2: Record<string, (number | undefined)[][]>;
  fns: Record<string, (...xs: number[]) => number>;
}

/** Evaluate an indexed expression (sums run, arrays looked up, coefficient functions called). */
export function evalIndexed(e: Expr, env: IndexedEnv): number {
  const ev = (x: Expr): number => {
    switch (x.kind) {
      case 'num':
        return Number(x.n) / Number(x.d);
      case 'sym': {
        const v = env.scalars[x.name];
        if (v === undefined) {
          if (x.name === 'pi') return Math.PI;
          throw new Error(`evalIndexed: no value for ${x.name}`);
        }
        return v;
      }
      case 'add':
        return x.terms.reduce((s, t) => s + ev(t), 0);
      case 'mul':
        return x.factors.reduce((s, t) => s * ev(t), 1);
      case 'pow':
        return Math.pow(ev(x.base), ev(x.exp));
      case 'call': {
        const a = x.args;
        switch (x.name) {
          case 'lay': {
            const arr = env.arrays[(a[0] as { name: string }).name];
            const i = ev(a[1]);
            const v = arr?.[i];
            if (v === undefined) throw new Error(`evalIndexed: ${toString(x)} undefined at ${i}`);
            return v;
          }
          case 'lay2': {
            const arr = env.arrays2[(a[0] as { name: string }).name];
            const i = ev(a[1]);
            const j = ev(a[2]);
            const v = arr?.[i]?.[j];
            if (v === undefined) throw new Error(`evalIndexed: ${toString(x)} undefined at (${i}, ${j})`);
            return v;
          }
          case 'Sum':
          case 'Prod': {
            const k = (a[1] as { name: string }).name;
            const lo = ev(a[2]);
            const hi = ev(a[3]);
            const saved = env.scalars[k];
            let acc = x.name === 'Sum' ? 0 : 1;
            for (let i = lo; i <= hi; i++) {
              env.scalars[k] = i;
              acc = x.name === 'Sum' ? acc + ev(a[0]) : acc * ev(a[0]);
            }
            if (saved === undefined) delete env.scalars[k];
            else env.scalars[k] = saved;
            return acc;
          }
          case 'kdelta':
            return ev(a[0]) === ev(a[1]) ? 1 : 0;
          default: {
            const f = env.fns[x.name];
            if (f) return f(...a.map(ev));
            const def = getFunction(x.name);
            if (!def?.f64) throw new Error(`evalIndexed: no value for function ${x.name}`);
            return def.f64(...a.map(ev));
          }
        }
      }
    }
  };
  return ev(e);
}

/** One printed equation of a derivation. */
export interface Equation {
  label: string;
  /** The left-hand side, LaTeX. */
  lhs: string;
  /** The left-hand side, plain text. */
  lhsText: string;
  expr: Expr;
  /** The whole equation, LaTeX: lhs = rhs. */
  latex: string;
  /** Plain text: lhs = rhs. */
  text: string;
  /** What the equation is, in words. */
  note?: string;
  /** The same for every activation: the documents show it in the steps only, not among an activation's closed forms. */
  general?: boolean;
}

export interface Check {
  what: string;
  maxError: number;
  tol: number;
  ok: boolean;
  /** `what` for the documents: plain text with inline math in $...$ (valid LaTeX and Markdown). */
  tex?: string;
}

export interface Derivation {
  name: string;
  /** The engine that built it (`fieldprop derive <command>`), set by `derive`. */
  command?: string;
  title: string;
  /** A paragraph of prose (LaTeX-safe) saying how the equations were obtained. */
  intro: string;
  act: string;
  equations: Equation[];
  checks: Check[];
}

/** Plain text of indexed expressions: lay(K, l - 1) -> K^(l - 1), lay2(R, k, j) -> R^(k,j), kdelta(l, j) -> delta(l,j). */
export function plainIndexed(t: string): string {
  return t
    .replace(/\blay\((\w+), ([^(),]*)\)/g, '$1^($2)')
    .replace(/\blay2\((\w+), ([^(),]*), ([^(),]*)\)/g, '$1^($2,$3)')
    .replace(/\bkdelta\(/g, 'delta(')
    .replace(/\bmfmap\(/g, 'm(')
    .replace(/\bvv0\(/g, 'v0(')
    .replace(/\bvv\(/g, 'v(')
    .replace(/\bbb\(/g, 'b(')
    .replace(/\bpp\(/g, 'p(');
}

export function equation(label: string, lhs: string, lhsText: string, expr: Expr, scaling: 'amplitude' | 'variance' = 'amplitude', note?: string): Equation {
  const rhs = latex(expr, scaling);
  return { label, lhs, lhsText, expr, latex: `${lhs} = ${rhs}`, text: `${lhsText} = ${plainIndexed(toString(expr))}`, note };
}

export function check(what: string, maxError: number, tol: number, tex?: string): Check {
  return { what, maxError, tol, ok: Number.isFinite(maxError) && maxError <= tol, ...(tex !== undefined ? { tex } : {}) };
}

export const L_ = sym('l');
