/** series / seriesCoefficients against numerical Taylor coefficients (independent of diff). */
import Decimal from 'decimal.js';
import {
  parse, series, seriesCoefficients, toString, toLatex, numericalTaylorCoefficients, evalDecimal, num, sym, substitute,
  SymbolicError, Expr, evalDecimalAt,
} from '../src/symbolic';

function expectCoefficientsMatch(src: string, order: number, at: number | string, fixed: Record<string, string> = {}, digits = 25): Expr[] {
  const e = parse(src);
  const cs = seriesCoefficients(e, 'x', order, num(String(at)));
  const ref = numericalTaylorCoefficients(e, 'x', order, at, fixed, 30);
  cs.forEach((c, k) => {
    const sub: Record<string, Expr> = {};
    for (const [name, val] of Object.entries(fixed)) sub[name] = num(val);
    const got = evalDecimal(substitute(c, sub), 40);
    const want = ref[k];
    const scale = Decimal.max(want.abs(), new Decimal(1e-20));
    const rel = got.minus(want).abs().div(scale).toNumber();
    expect({ src, k, ok: rel < Math.pow(10, -digits) }).toEqual({ src, k, ok: true });
  });
  return cs;
}

describe('series coefficients vs numerical Taylor coefficients', () => {
  test('tanh, erf-GELU, silu at 0', () => {
    expectCoefficientsMatch('tanh(x)', 6, 0);
    expectCoefficientsMatch('0.5*x*(1+erf(x/sqrt(2)))', 6, 0);
    expectCoefficientsMatch('x/(1+exp(-x))', 6, 0);
  });
  test('around other points, with parameters', () => {
    expectCoefficientsMatch('exp(x)*sin(3*x)', 5, '0.7');
    expectCoefficientsMatch('(1+a*x)^(3/2)', 4, 0, { a: '0.37' });
    expectCoefficientsMatch('asin(2*x/(1+x^2+b))', 3, '0.2', { b: '1.5' });
    expectCoefficientsMatch('gamma(x)', 3, '1.5');
  });
  test('x/(1+|x|) away from the kink', () => {
    expectCoefficientsMatch('x/(1+abs(x))', 4, '0.8');
  });
});

describe('series in closed form', () => {
  test('tanh, silu, exp at 1, sqrt(1 + k x)', () => {
    expect(toString(series(parse('tanh(x)'), 'x', 9))).toBe('x - x^3/3 + 2*x^5/15 - 17*x^7/315 + 62*x^9/2835');
    expect(toString(series(parse('x/(1+exp(-x))'), 'x', 6))).toBe('x/2 + x^2/4 - x^4/48 + x^6/480');
    expect(toString(series(parse('exp(x)'), 'x', 3, num(1)))).toBe('e + e*(x - 1) + e*(x - 1)^2/2 + e*(x - 1)^3/6');
    expect(toString(series(parse('sqrt(1+k*x)'), 'x', 3))).toBe('1 + k*x/2 - k^2*x^2/8 + k^3*x^3/16');
    expect(toString(series(parse('x*erf(x/sqrt(2))'), 'x', 4))).toBe('sqrt(2)*x^2/sqrt(pi) - x^4/(3*sqrt(2)*sqrt(pi))');
    expect(toLatex(series(parse('tanh(x)'), 'x', 5))).toBe('x - \\frac{x^3}{3} + \\frac{2 x^5}{15}');
  });
  test('symbolic expansion point', () => {
    const cs = seriesCoefficients(parse('x^3'), 'x', 4, sym('a'));
    expect(cs.map(toString)).toEqual(['a^3', '3*a^2', '3*a', '1', '0']);
  });
  test('coefficients are exact rationals where they should be', () => {
    const cs = seriesCoefficients(parse('1/(1-x)^2'), 'x', 5);
    expect(cs.map(toString)).toEqual(['1', '2', '3', '4', '5', '6']);
    const D = evalDecimalAt(series(parse('1/(1-x)'), 'x', 30), { x: '0.5' }, 30);
    expect(D.toNumber()).toBeCloseTo(2 - Math.pow(0.5, 30), 12);
  });
  test('heaviside at the expansion point uses H(0) = 1/2 (non-analytic input)', () => {
    expect(seriesCoefficients(parse('relu(x)'), 'x', 2).map(toString)).toEqual(['0', '1/2', '0']);
  });
  test('singular points and bad orders throw clearly', () => {
    expect(() => seriesCoefficients(parse('log(x)'), 'x', 2)).toThrow(/singular at x = 0/);
    expect(() => seriesCoefficients(parse('1/x'), 'x', 1)).toThrow(SymbolicError);
    expect(() => seriesCoefficients(parse('x'), 'x', -1)).toThrow(/order/);
  });
});
