/**
 * Truncated Taylor series, computed with our own diff and substitute:
 * coefficient k = (d^k e / dv^k)(at) / k!, simplified.
 */
import { Expr, add, mul, pow, sub, sym, num, ZERO, substitute, SymbolicError, isZero } from './expr';
import { diff } from './diff';
import { simplify } from './simplify';
import { toString } from './print';

/** Taylor coefficients c_0..c_order of e in v around `at` (default 0). */
export function seriesCoefficients(e: Expr, v: string, order: number, at: Expr = ZERO): Expr[] {
  if (!Number.isInteger(order) || order < 0) throw new SymbolicError(`series: order must be a non-negative integer, got ${order}`);
  const out: Expr[] = [];
  let d = simplify(e);
  let fact = 1n;
  for (let k = 0; k <= order; k++) {
    if (k > 0) {
      d = simplify(diff(d, v));
      fact *= BigInt(k);
    }
    let value: Expr;
    try {
      value = substitute(d, { [v]: at });
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      throw new SymbolicError(`series of order ${order} in ${v}: the ${k}-th derivative is singular at ${v} = ${toString(at)} (${why})`);
    }
    out.push(simplify(mul(value, num(`1/${fact}`))));
  }
  return out;
}

/** The truncated Taylor polynomial sum_k c_k (v - at)^k, k = 0..order. */
export function series(e: Expr, v: string, order: number, at: Expr = ZERO): Expr {
  const cs = seriesCoefficients(e, v, order, at);
  const x = isZero(at) ? sym(v) : sub(sym(v), at);
  return add(...cs.map((c, k) => mul(c, pow(x, num(k)))));
}
