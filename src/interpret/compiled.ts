/**
 * An expression compiled once for evaluation in any numeric field: the same operations in the same
 * order as `evaluateIn` (src/interpret/symbolic.ts), without its per-call walk of the tree, memo map
 * and number formatting. The per-layer derivative formulas of the closed-form moments (evaluated
 * at every layer of every response and optimal-alpha run) go through it.
 */
import { Field } from '../numeric/field';
import { Expr } from '../symbolic';

const FIELD_OPS = new Set(['exp', 'log', 'sqrt', 'sin', 'cos', 'asin', 'acos', 'atan']);

type Op =
  | { k: 'const'; e: Expr }
  | { k: 'var'; i: number }
  | { k: 'add' | 'mul'; a: number[] }
  | { k: 'sqrt' | 'rsqrt'; a: number }
  | { k: 'pow'; a: number; b: number }
  | { k: 'call'; f: string; a: number };

export type CompiledIn = <T>(F: Field<T>, args: T[]) => T;

/**
 * Compile e over the variables `vars` (null when e calls a function that is not a field operation:
 * evaluate such an expression with evaluateIn).
 */
export function compileIn(e: Expr, vars: string[]): CompiledIn | null {
  const ops: Op[] = [];
  const index = new Map<string, number>();
  let ok = true;
  const visit = (x: Expr): number => {
    const hit = index.get(x.key);
    if (hit !== undefined) return hit;
    let op: Op;
    switch (x.kind) {
      case 'num':
        op = { k: 'const', e: x };
        break;
      case 'sym': {
        const i = vars.indexOf(x.name);
        if (i >= 0) op = { k: 'var', i };
        else if (x.name === 'pi' || x.name === 'e') op = { k: 'const', e: x };
        else throw new Error(`compileIn: no value for symbol ${x.name}`);
        break;
      }
      case 'add':
        op = { k: 'add', a: x.terms.map(visit) };
        break;
      case 'mul':
        op = { k: 'mul', a: x.factors.map(visit) };
        break;
      case 'pow':
        if (x.exp.kind === 'num' && x.exp.d === 2n && (x.exp.n === 1n || x.exp.n === -1n)) op = { k: x.exp.n === 1n ? 'sqrt' : 'rsqrt', a: visit(x.base) };
        else op = { k: 'pow', a: visit(x.base), b: visit(x.exp) };
        break;
      case 'call':
        if (!FIELD_OPS.has(x.name) || x.args.length !== 1) ok = false;
        op = { k: 'call', f: x.name, a: visit(x.args[0]) };
        break;
    }
    ops.push(op);
    index.set(x.key, ops.length - 1);
    return ops.length - 1;
  };
  visit(e);
  if (!ok) return null;
  // constants are evaluated once per field
  const constants = new WeakMap<object, unknown[]>();
  const constOf = <T>(F: Field<T>, x: Expr): T => {
    if (x.kind === 'num') return x.d === 1n ? F.of(x.n.toString()) : F.div(F.of(x.n.toString()), F.of(x.d.toString()));
    return x.kind === 'sym' && x.name === 'pi' ? F.pi() : F.exp(F.of(1));
  };
  return <T>(F: Field<T>, args: T[]): T => {
    let cs = constants.get(F) as T[] | undefined;
    if (cs === undefined) {
      cs = ops.map((o) => (o.k === 'const' ? constOf(F, o.e) : (undefined as unknown as T)));
      constants.set(F, cs);
    }
    const v: T[] = new Array(ops.length);
    for (let i = 0; i < ops.length; i++) {
      const o = ops[i];
      switch (o.k) {
        case 'const':
          v[i] = cs[i];
          break;
        case 'var':
          v[i] = args[o.i];
          break;
        case 'add': {
          let s = v[o.a[0]];
          for (let j = 1; j < o.a.length; j++) s = F.add(s, v[o.a[j]]);
          v[i] = s;
          break;
        }
        case 'mul': {
          let s = v[o.a[0]];
          for (let j = 1; j < o.a.length; j++) s = F.mul(s, v[o.a[j]]);
          v[i] = s;
          break;
        }
        case 'sqrt':
          v[i] = F.sqrt(v[o.a]);
          break;
        case 'rsqrt':
          v[i] = F.div(F.of(1), F.sqrt(v[o.a]));
          break;
        case 'pow':
          v[i] = F.pow(v[o.a], v[o.b]);
          break;
        case 'call':
          v[i] = (F[o.f as 'exp'] as (a: T) => T)(v[o.a]);
          break;
      }
    }
    return v[ops.length - 1];
  };
}
