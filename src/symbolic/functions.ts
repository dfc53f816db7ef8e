/**
 * The built-in elementary functions: derivative rules, exact rewrites, float64 and Decimal
 * implementations. Importing this module registers them (index.ts does).
 *
 * Derivatives of the non-smooth functions are taken almost everywhere: d|u| = sign(u) du,
 * d sign(u) = d heaviside(u) = 0 — the distributional delta terms are dropped.
 * heaviside(0) = 1/2, sign(0) = 0. max/min: d max(a,b)/da = heaviside(a-b) (1/2 on the tie).
 */
import Decimal from 'decimal.js';
import { erf, erfc, gamma, erf64, erfc64, gamma64 } from '../numeric/special';
import { polygammaDec, polygamma64 } from './polygamma';
import { memoDecimal } from '../numeric/memo';
import * as el from '../numeric/elementary';
import {
  Expr, registerFunction, call, add, sub, mul, pow, neg, sqrt, num, ZERO, ONE, TWO, HALF, PI, MINUS_ONE,
  isNegativeForm, isZero, isOne, SymbolicError, FunctionDef, E_CONST,
} from './expr';

const c1 = (name: string, u: Expr): Expr => call(name, [u]);

function numArg(u: Expr): { n: bigint; d: bigint } | undefined {
  return u.kind === 'num' ? u : undefined;
}

type Parity = 'odd' | 'even';

function withParity(parity: Parity | undefined, name: string, at: (u: Expr) => Expr | undefined) {
  return (args: Expr[]): Expr | undefined => {
    const u = args[0];
    const r = at(u);
    if (r) return r;
    if (parity && isNegativeForm(u)) {
      const v = neg(u);
      return parity === 'odd' ? neg(call(name, [v])) : call(name, [v]);
    }
    return undefined;
  };
}

function heaviside64(x: number): number {
  return x > 0 ? 1 : x < 0 ? 0 : x === 0 ? 0.5 : NaN;
}

function heavisideDec(x: Decimal): Decimal {
  const D = x.constructor as typeof Decimal;
  if (x.isNaN()) return new D(NaN);
  if (x.isZero()) return new D(1).div(2);
  return new D(x.isNeg() ? 0 : 1);
}

function signDec(x: Decimal): Decimal {
  const D = x.constructor as typeof Decimal;
  if (x.isNaN()) return new D(NaN);
  if (x.isZero()) return new D(0);
  return new D(x.isNeg() ? -1 : 1);
}

const unary: Record<string, { parity?: Parity; at?: (u: Expr) => Expr | undefined; d: (u: Expr) => Expr; f64: (x: number) => number; dec: (x: Decimal) => Decimal }> = {
  exp: {
    at: (u) => (isZero(u) ? ONE : isOne(u) ? E_CONST : undefined),
    d: (u) => c1('exp', u),
    f64: Math.exp,
    dec: el.exp,
  },
  log: {
    at: (u) => {
      if (isOne(u)) return ZERO;
      if (isZero(u)) throw new SymbolicError('log(0) is singular');
      if (u.kind === 'sym' && u.name === 'e') return ONE;
      if (u.kind === 'call' && u.name === 'exp') return u.args[0];
      return undefined;
    },
    d: (u) => pow(u, MINUS_ONE),
    f64: Math.log,
    dec: el.ln,
  },
  sin: { parity: 'odd', at: (u) => (isZero(u) ? ZERO : undefined), d: (u) => c1('cos', u), f64: Math.sin, dec: el.sin },
  cos: { parity: 'even', at: (u) => (isZero(u) ? ONE : undefined), d: (u) => neg(c1('sin', u)), f64: Math.cos, dec: el.cos },
  tan: {
    parity: 'odd',
    at: (u) => (isZero(u) ? ZERO : undefined),
    d: (u) => add(ONE, pow(c1('tan', u), TWO)),
    f64: Math.tan,
    dec: (x) => x.tan(),
  },
  asin: {
    parity: 'odd',
    at: (u) => (isZero(u) ? ZERO : isOne(u) ? mul(HALF, PI) : undefined),
    d: (u) => pow(sub(ONE, pow(u, TWO)), num('-1/2')),
    f64: Math.asin,
    dec: el.asin,
  },
  acos: {
    at: (u) => (isOne(u) ? ZERO : isZero(u) ? mul(HALF, PI) : u.kind === 'num' && u.n === -1n && u.d === 1n ? PI : undefined),
    d: (u) => neg(pow(sub(ONE, pow(u, TWO)), num('-1/2'))),
    f64: Math.acos,
    dec: el.acos,
  },
  atan: {
    parity: 'odd',
    at: (u) => (isZero(u) ? ZERO : isOne(u) ? mul(num('1/4'), PI) : undefined),
    d: (u) => pow(add(ONE, pow(u, TWO)), MINUS_ONE),
    f64: Math.atan,
    dec: el.atan,
  },
  sinh: { parity: 'odd', at: (u) => (isZero(u) ? ZERO : undefined), d: (u) => c1('cosh', u), f64: Math.sinh, dec: (x) => x.sinh() },
  cosh: { parity: 'even', at: (u) => (isZero(u) ? ONE : undefined), d: (u) => c1('sinh', u), f64: Math.cosh, dec: (x) => x.cosh() },
  tanh: {
    parity: 'odd',
    at: (u) => (isZero(u) ? ZERO : undefined),
    d: (u) => sub(ONE, pow(c1('tanh', u), TWO)),
    f64: Math.tanh,
    dec: (x) => x.tanh(),
  },
  erf: {
    parity: 'odd',
    at: (u) => (isZero(u) ? ZERO : undefined),
    d: (u) => mul(TWO, pow(PI, num('-1/2')), c1('exp', neg(pow(u, TWO)))),
    f64: (x) => erf64(x),
    dec: (x) => erf(x),
  },
  erfc: {
    at: (u) => (isZero(u) ? ONE : undefined),
    d: (u) => mul(num(-2), pow(PI, num('-1/2')), c1('exp', neg(pow(u, TWO)))),
    f64: (x) => erfc64(x),
    dec: (x) => erfc(x),
  },
  abs: {
    parity: 'even',
    at: (u) => {
      const r = numArg(u);
      if (r) return r.n < 0n ? neg(u) : u;
      if (u.kind === 'call' && (u.name === 'abs' || u.name === 'exp' || u.name === 'cosh')) return u;
      if (u.kind === 'pow' && u.exp.kind === 'num' && u.exp.d === 1n && u.exp.n % 2n === 0n) return u;
      if (u.kind === 'sym' && (u.name === 'pi' || u.name === 'e')) return u;
      return undefined;
    },
    d: (u) => c1('sign', u),
    f64: Math.abs,
    dec: (x) => x.abs(),
  },
  sign: {
    parity: 'odd',
    at: (u) => {
      const r = numArg(u);
      if (r) return num(r.n > 0n ? 1 : r.n < 0n ? -1 : 0);
      if (u.kind === 'call' && u.name === 'sign') return u;
      return undefined;
    },
    d: () => ZERO,
    f64: (x) => (x > 0 ? 1 : x < 0 ? -1 : x === 0 ? 0 : NaN),
    dec: signDec,
  },
  heaviside: {
    at: (u) => {
      const r = numArg(u);
      if (r) return r.n > 0n ? ONE : r.n < 0n ? ZERO : HALF;
      return undefined;
    },
    d: () => ZERO,
    f64: heaviside64,
    dec: heavisideDec,
  },
  gamma: {
    at: (u) => {
      const r = numArg(u);
      if (!r) return undefined;
      if (r.d === 1n && r.n <= 0n) throw new SymbolicError(`gamma(${r.n}) is singular`);
      if (r.d === 1n && r.n <= 200n) {
        let f = 1n;
        for (let k = 2n; k < r.n; k++) f *= k;
        return num(f);
      }
      if (r.d === 2n && r.n === 1n) return sqrt(PI);
      return undefined;
    },
    d: (u) => mul(c1('gamma', u), call('polygamma', [ZERO, u])),
    f64: (x) => gamma64(x),
    dec: (x) => gamma(x),
  },
};

// Elementary functions whose Decimal evaluation costs series or quadrature: memoised (the Decimal
// quadratures evaluate an activation and its derivatives at the same nodes many times).
const CHEAP_DEC = new Set(['abs', 'sign', 'heaviside']);

for (const [name, spec] of Object.entries(unary)) {
  const def: FunctionDef = {
    arity: 1,
    diff: (args) => spec.d(args[0]),
    f64: spec.f64,
    dec: CHEAP_DEC.has(name) ? spec.dec : memoDecimal(spec.dec),
    simplify: withParity(spec.parity, name, spec.at ?? (() => undefined)),
  };
  registerFunction(name, def);
}

registerFunction('polygamma', {
  arity: 2,
  diff: (args, i) => {
    if (i === 0) throw new SymbolicError('polygamma(n, x) cannot be differentiated with respect to its order n');
    return call('polygamma', [add(args[0], ONE), args[1]]);
  },
  f64: polygamma64,
  dec: polygammaDec,
  latex: (a) => {
    const arg = /\\frac|\\sqrt|\\left/.test(a[1]) ? `\\left(${a[1]}\\right)` : `(${a[1]})`;
    return a[0] === '0' ? `\\psi${arg}` : `\\psi^{(${a[0]})}${arg}`;
  },
  simplify: (args) => {
    const [n, u] = args;
    if (n.kind === 'num' && (n.d !== 1n || n.n < 0n)) throw new SymbolicError('polygamma(n, x): n must be a non-negative integer');
    if (u.kind === 'num' && u.d === 1n && u.n <= 0n) throw new SymbolicError(`polygamma(${n.kind === 'num' ? n.n : '?'}, ${u.n}) is singular`);
    return undefined;
  },
});
/** digamma(x) = psi(x) = polygamma(0, x). */
registerFunction('digamma', {
  arity: 1,
  simplify: (args) => call('polygamma', [ZERO, args[0]]),
});

function foldMinMax(which: 'max' | 'min') {
  return (args: Expr[]): Expr | undefined => {
    const [a, b] = args;
    if (a.key === b.key) return a;
    if (a.kind === 'num' && b.kind === 'num') {
      const l = a.n * b.d;
      const r = b.n * a.d;
      return (which === 'max' ? l >= r : l <= r) ? a : b;
    }
    return undefined;
  };
}

registerFunction('max', {
  arity: 2,
  diff: (args, i) => call('heaviside', [i === 0 ? sub(args[0], args[1]) : sub(args[1], args[0])]),
  f64: (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.max(a, b)),
  dec: (a, b) => ((a.constructor as typeof Decimal).max(a, b)),
  simplify: foldMinMax('max'),
});
registerFunction('min', {
  arity: 2,
  diff: (args, i) => call('heaviside', [i === 0 ? sub(args[1], args[0]) : sub(args[0], args[1])]),
  f64: (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.min(a, b)),
  dec: (a, b) => ((a.constructor as typeof Decimal).min(a, b)),
  simplify: foldMinMax('min'),
});

/** relu(u) = u * heaviside(u) (value 0 at 0). */
export function relu(u: Expr): Expr {
  return mul(u, call('heaviside', [u]));
}

/** Names of the built-in functions (parse accepts these and every registered name). */
export const BUILTIN_FUNCTIONS = [...Object.keys(unary), 'max', 'min', 'polygamma', 'digamma'];
