/**
 * The symbolic interpretation: the Field of expressions, and the bridge back — evaluating any
 * expression in any field. A quantity written over Field<T> run with `symbolicField` returns
 * its formula; `evaluateIn(F, formula, env)` turns a formula into numbers of any field.
 */
import Decimal from 'decimal.js';
import { Field, float64 } from '../numeric/field';
import {
  Expr, num, add, sub, mul, div, neg, pow, sqrt, call, PI, getFunction, compileF64, freeSymbols, evalDecimal,
} from '../symbolic';

export const symbolicField: Field<Expr> = {
  kind: 'symbolic',
  digits: Infinity,
  of: (x) => num(x),
  add: (a, b) => add(a, b),
  sub: (a, b) => sub(a, b),
  mul: (a, b) => mul(a, b),
  div: (a, b) => div(a, b),
  neg: (a) => neg(a),
  pow: (a, b) => pow(a, b),
  sqrt: (a) => sqrt(a),
  exp: (a) => call('exp', [a]),
  log: (a) => call('log', [a]),
  sin: (a) => call('sin', [a]),
  cos: (a) => call('cos', [a]),
  asin: (a) => call('asin', [a]),
  acos: (a) => call('acos', [a]),
  atan: (a) => call('atan', [a]),
  pi: () => PI,
  isFinite: () => true,
  toNumber: (a) => {
    const free = freeSymbols(a);
    if (free.size > 0) throw new Error(`expression has free symbols (${[...free].join(', ')}): no numeric value`);
    return compileF64(a, [])();
  },
  format: (a, digits = 16) => evalDecimal(a, digits + 5).toSignificantDigits(digits).toString(),
};

const FIELD_OPS: Record<string, keyof Field<unknown>> = {
  exp: 'exp', log: 'log', sqrt: 'sqrt', sin: 'sin', cos: 'cos', asin: 'asin', acos: 'acos', atan: 'atan',
};

/**
 * Evaluate an expression in a field: symbols from `env` (pi and e built in), functions through
 * the field where it has them, otherwise through the registered float64/Decimal implementations.
 */
export function evaluateIn<T>(F: Field<T>, e: Expr, env: Record<string, T>): T {
  const memo = new Map<string, T>();
  const ev = (x: Expr): T => {
    const hit = memo.get(x.key);
    if (hit !== undefined) return hit;
    let r: T;
    switch (x.kind) {
      case 'num':
        r = x.d === 1n ? F.of(x.n.toString()) : F.div(F.of(x.n.toString()), F.of(x.d.toString()));
        break;
      case 'sym':
        if (x.name in env) r = env[x.name];
        else if (x.name === 'pi') r = F.pi();
        else if (x.name === 'e') r = F.exp(F.of(1));
        else throw new Error(`evaluateIn: no value for symbol ${x.name}`);
        break;
      case 'add':
        r = x.terms.slice(1).reduce((s, t) => F.add(s, ev(t)), ev(x.terms[0]));
        break;
      case 'mul':
        r = x.factors.slice(1).reduce((s, t) => F.mul(s, ev(t)), ev(x.factors[0]));
        break;
      case 'pow':
        if (x.exp.kind === 'num' && x.exp.n === 1n && x.exp.d === 2n) r = F.sqrt(ev(x.base));
        else if (x.exp.kind === 'num' && x.exp.n === -1n && x.exp.d === 2n) r = F.div(F.of(1), F.sqrt(ev(x.base)));
        else r = F.pow(ev(x.base), ev(x.exp));
        break;
      case 'call': {
        const args = x.args.map(ev);
        const op = FIELD_OPS[x.name];
        if (op && args.length === 1) {
          r = (F[op] as (a: T) => T)(args[0]);
          break;
        }
        if (F.kind === 'symbolic') {
          r = call(x.name, args as unknown as Expr[]) as unknown as T;
          break;
        }
        const def = getFunction(x.name);
        if (F.kind === 'float64') {
          if (!def?.f64) throw new Error(`evaluateIn: no float64 implementation of ${x.name}`);
          r = F.of(def.f64(...(args as unknown as number[])));
        } else {
          if (!def?.dec) throw new Error(`evaluateIn: no Decimal implementation of ${x.name}`);
          r = def.dec(...(args as unknown as Decimal[])) as unknown as T;
        }
        break;
      }
    }
    memo.set(x.key, r);
    return r;
  };
  return ev(e);
}

/** Convenience: float64 value of an expression. */
export function evaluate64(e: Expr, env: Record<string, number>): number {
  return evaluateIn(float64, e, env);
}
