/**
 * Seeded random expressions: simplify/expand keep values, diff matches the numerical
 * derivative, toString round-trips, float64 and Decimal evaluation agree.
 */
import Decimal from 'decimal.js';
import {
  Expr, add, sub, mul, div, pow, num, sym, call, simplify, expand, diff, toString, parse, equals,
  verifyIdentity, verifyDerivative, compileF64, compileDecimal, toLatex, together, factorTerms,
} from '../src/symbolic';
import { rng } from '../src/symbolic/verify';

function randomExpr(next: () => number, depth: number): Expr {
  const pick = <T>(xs: T[]): T => xs[Math.floor(next() * xs.length)];
  if (depth <= 0 || next() < 0.2) {
    return pick([sym('x'), sym('y'), num(Math.floor(next() * 7) - 3), num(`${Math.floor(next() * 9) + 1}/${Math.floor(next() * 4) + 2}`), sym('x')]);
  }
  const a = () => randomExpr(next, depth - 1);
  switch (Math.floor(next() * 10)) {
    case 0:
      return add(a(), a());
    case 1:
      return sub(a(), a());
    case 2:
      return mul(a(), a());
    case 3:
      return div(a(), add(num(2), pow(a(), num(2)))); // denominator >= 2
    case 4:
      return pow(a(), num(Math.floor(next() * 4) + 1));
    case 5:
      return pow(add(num(1), pow(a(), num(2))), num(pick(['1/2', '-1/2', '3/2', '-1']))); // base >= 1
    case 6:
      return call(pick(['sin', 'cos', 'tanh', 'atan', 'erf', 'abs']), [a()]);
    case 7:
      return call('exp', [div(a(), add(num(3), pow(a(), num(2))))]);
    case 8:
      return call('log', [add(num(1), pow(a(), num(2)))]);
    default:
      return mul(num(pick(['2', '-1', '1/3'])), a(), add(a(), num(1)));
  }
}

const next = rng(20240611);
const exprs: Expr[] = [];
while (exprs.length < 40) {
  const e = randomExpr(next, 4);
  if (e.kind !== 'num') exprs.push(e);
}
const domain = { x: [-2, 2] as [number, number], y: [-1.5, 1.5] as [number, number] };
const o = { domain, points: 3, digits: 25 };

describe('fuzz', () => {
  test('simplify, expand, together, factorTerms keep the value', () => {
    for (const e of exprs) {
      for (const [name, f] of [['simplify', simplify], ['expand', expand], ['together', together], ['factorTerms', factorTerms]] as const) {
        const r = verifyIdentity(e, f(e), o);
        expect({ e: toString(e), name, ok: r.ok }).toEqual({ e: toString(e), name, ok: true });
      }
    }
  });
  test('diff matches the numerical derivative (and simplified diff too)', () => {
    for (const e of exprs.slice(0, 25)) {
      const d = diff(e, 'x');
      const r = verifyDerivative(e, 'x', d, { ...o, points: 2 });
      expect({ e: toString(e), ok: r.ok }).toEqual({ e: toString(e), ok: true });
      const r2 = verifyIdentity(d, simplify(d), o);
      expect({ e: toString(e), simplified: r2.ok }).toEqual({ e: toString(e), simplified: true });
    }
  });
  test('toString round-trips and LaTeX is produced', () => {
    for (const e of exprs) {
      expect(equals(parse(toString(e)), e)).toBe(true);
      expect(toLatex(e).length).toBeGreaterThan(0);
    }
  });
  test('float64 and Decimal evaluation agree', () => {
    const D = Decimal.clone({ precision: 30 });
    for (const e of exprs) {
      const f = compileF64(e, ['x', 'y']);
      const g = compileDecimal(e, ['x', 'y']);
      for (const [x, y] of [[0.37, -0.81], [-1.3, 1.1]]) {
        const a = f(x, y);
        const b = g(new D(x), new D(y)).toNumber();
        expect(Math.abs(a - b)).toBeLessThanOrEqual(1e-10 * Math.max(1, Math.abs(b)));
      }
    }
  });
});
