/**
 * Symbolic differentiation (our own; nerdamer's is not trusted — see test/symbolic.nerdamer).
 */
import {
  Expr, add, mul, pow, call, ZERO, ONE, MINUS_ONE, dependsOn, getFunction, SymbolicError, sub,
} from './expr';
import { simplify } from './simplify';

/**
 * d e / d v. Chain rule, product rule, power rule with symbolic exponents, and the
 * registered rules of every function (an argument that depends on v needs a rule).
 * Non-smooth functions are differentiated almost everywhere (delta terms dropped).
 * The result is canonical at builder level; pass it through `simplify` for a compact form.
 */
export function diff(e: Expr, v: string): Expr {
  const memo = new Map<Expr, Expr>();
  const d = (x: Expr): Expr => {
    if (!dependsOn(x, v)) return ZERO;
    if (x.kind === 'sym') return ONE; // depends on v, so it is v
    const hit = memo.get(x);
    if (hit) return hit;
    let r: Expr;
    switch (x.kind) {
      case 'add':
        r = add(...x.terms.map(d));
        break;
      case 'mul': {
        const parts: Expr[] = [];
        const fs = x.factors;
        for (let i = 0; i < fs.length; i++) {
          if (!dependsOn(fs[i], v)) continue;
          const others = fs.filter((_, j) => j !== i);
          parts.push(mul(...others, d(fs[i])));
        }
        r = add(...parts);
        break;
      }
      case 'pow': {
        const { base: b, exp: p } = x;
        const bv = dependsOn(b, v);
        const pv = dependsOn(p, v);
        if (bv && !pv) {
          // p * b^(p-1) * b'
          r = mul(p, pow(b, sub(p, ONE)), d(b));
        } else if (!bv && pv) {
          // b^p * log(b) * p'
          r = mul(x, call('log', [b]), d(p));
        } else {
          // b^p * (p' log b + p b'/b)
          r = mul(x, add(mul(d(p), call('log', [b])), mul(p, d(b), pow(b, MINUS_ONE))));
        }
        break;
      }
      case 'call': {
        const def = getFunction(x.name);
        const parts: Expr[] = [];
        for (let i = 0; i < x.args.length; i++) {
          if (!dependsOn(x.args[i], v)) continue;
          if (!def) throw new SymbolicError(`cannot differentiate ${x.name}(...): it is not a registered function`);
          if (!def.diff) throw new SymbolicError(`no derivative rule registered for ${x.name}(...) with respect to argument ${i + 1}`);
          parts.push(mul(def.diff([...x.args], i), d(x.args[i])));
        }
        r = add(...parts);
        break;
      }
      default:
        r = ZERO;
    }
    memo.set(x, r);
    return r;
  };
  return d(e);
}

/** The n-th derivative, simplified after every step (keeps repeated derivatives small). */
export function nthDiff(e: Expr, v: string, n: number): Expr {
  if (!Number.isInteger(n) || n < 0) throw new SymbolicError(`nthDiff: order must be a non-negative integer, got ${n}`);
  let r = e;
  for (let k = 0; k < n; k++) r = simplify(diff(r, v));
  return r;
}
