/**
 * The arc-cosine kernels of Cho & Saul (2009), derived by the symbolic core:
 *
 *   E[max(0,u)^n max(0,v)^n] = (K11 K22)^(n/2) J_n(theta) / (2 pi),   cos theta = rho,
 *   J_n(theta) = (-1)^n (sin theta)^(2n+1) ((1/sin theta) d/dtheta)^n ((pi - theta) / sin theta).
 *
 * J_n is built by repeated symbolic differentiation and simplification (no formula typed in),
 * then evaluated in any field with theta = acos(rho). Tests check J_n against quadrature and the
 * known J_0 = pi - theta, J_1 = sin theta + (pi - theta) cos theta.
 */
import { Field } from '../numeric/field';
import { Expr, sym, num, sub, mul, div, pow, call, diff, simplify, PI } from '../symbolic';
import { evaluateIn } from '../interpret/symbolic';

export interface ArcCosineJ {
  n: number;
  /** J_n as an expression in theta. */
  expr: Expr;
  /** J_n(acos(rho)) in field F. */
  evaluate<T>(F: Field<T>, rho: T): T;
}

const cache = new Map<number, ArcCosineJ>();

export function arcCosineJ(n: number): ArcCosineJ {
  if (!Number.isInteger(n) || n < 0) throw new Error(`arcCosineJ: n must be a non-negative integer, got ${n}`);
  const hit = cache.get(n);
  if (hit) return hit;
  const theta = sym('theta');
  const s = call('sin', [theta]);
  let g: Expr = div(sub(PI, theta), s);
  for (let i = 0; i < n; i++) g = simplify(div(diff(g, 'theta'), s));
  const expr = simplify(mul(num(n % 2 === 0 ? 1 : -1), pow(s, num(2 * n + 1)), g));
  const J: ArcCosineJ = {
    n,
    expr,
    evaluate: (F, rho) => evaluateIn(F, expr, { theta: F.acos(rho) }),
  };
  cache.set(n, J);
  return J;
}
