/**
 * Regression tests pinning known nerdamer-prime 1.5.0 bugs (so we notice if they are fixed)
 * and showing that our own operations are right. nerdamer is used only to parse, and even
 * that only through `parseViaNerdamer` / `fromNerdamer`; `parse` is our own.
 */
import Decimal from 'decimal.js';
import {
  parse, diff, simplify, evalDecimal, compileDecimal, verifyDerivative, verifyIdentity, fromNerdamer,
  parseViaNerdamer, ParseError, toString, sym, mul, sqrt,
} from '../src/symbolic';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const nerdamer = require('nerdamer-prime');
require('nerdamer-prime/Calculus');

const D60 = Decimal.clone({ precision: 60 });

describe('nerdamer-prime differentiation bug: sqrt of another variable as a factor', () => {
  test('nerdamer.diff(y^(1/2)*x, x) is sqrt(y^(1/2)) = y^(1/4) (wrong)', () => {
    const r = nerdamer.diff('y^(1/2)*x', 'x');
    expect(r.toString()).toBe('sqrt(y^(1/2))');
    // at y = 16 nerdamer gives 2; the right answer sqrt(16) = 4
    expect(Number(nerdamer(r.toString(), { y: 16 }).evaluate().text('decimals'))).toBe(2);
  });
  test('our diff gives sqrt(y) (4 at y = 16), verified numerically', () => {
    const f = parse('y^(1/2)*x');
    const d = diff(f, 'x');
    expect(toString(d)).toBe('sqrt(y)');
    expect(compileDecimal(d, ['y'])(new D60(16)).toString()).toBe('4');
    expect(verifyDerivative(f, 'x', d, { domain: { x: [-3, 3], y: [0.1, 20] } }).ok).toBe(true);
    // and the harness rejects nerdamer's answer
    expect(verifyDerivative(f, 'x', parse('y^(1/4)'), { domain: { x: [-3, 3], y: [0.1, 20] } }).ok).toBe(false);
  });
  test('same bug through a product with more factors is also avoided', () => {
    const f = mul(sym('a'), sqrt(sym('y')), sym('x'), sym('x'));
    const d = simplify(diff(f, 'x'));
    expect(toString(d)).toBe('2*a*x*sqrt(y)');
  });
});

describe('d(-acos x)/dx (sign flipped by nerdamer 1.1.13)', () => {
  test('ours is 1/sqrt(1-x^2), verified numerically', () => {
    const f = parse('-acos(x)');
    const d = simplify(diff(f, 'x'));
    expect(toString(d)).toBe('1/sqrt(1 - x^2)');
    expect(verifyDerivative(f, 'x', d, { domain: { x: [-0.95, 0.95] }, points: 5 }).ok).toBe(true);
    expect(verifyIdentity(d, parse('1/sqrt(1-x^2)'), { domain: { x: [-0.95, 0.95] } }).ok).toBe(true);
    // the flipped sign is rejected by the harness
    expect(verifyDerivative(f, 'x', parse('-1/sqrt(1-x^2)'), { domain: { x: [-0.95, 0.95] }, points: 3 }).ok).toBe(false);
  });
  test('nerdamer-prime 1.5.0 itself gets this one right', () => {
    expect(nerdamer.diff('-acos(x)', 'x').toString()).toBe('sqrt(-x^2+1)^(-1)');
  });
});

describe("nerdamer's 40-decimal evaluation is float64 underneath", () => {
  const sqrt2 = '1.414213562373095048801688724209698078570';
  const asin13 = '0.3398369094541219370963925133917640663882';
  test('nerdamer: right to ~16 digits only', () => {
    const n1 = nerdamer('sqrt(2)').evaluate().text('decimals', 40);
    const n2 = nerdamer('asin(1/3)').evaluate().text('decimals', 40);
    expect(n1.slice(0, 17)).toBe(sqrt2.slice(0, 17));
    expect(n1.slice(0, 30)).not.toBe(sqrt2.slice(0, 30));
    expect(n2.slice(0, 17)).toBe(asin13.slice(0, 17));
    expect(n2.slice(0, 30)).not.toBe(asin13.slice(0, 30));
  });
  test('ours matches the 40-digit references', () => {
    expect(evalDecimal(parse('sqrt(2)'), 40).toFixed(39)).toBe(sqrt2);
    expect(evalDecimal(parse('asin(1/3)'), 40).toFixed(40)).toBe(asin13);
  });
});

describe("nerdamer's parser changes what was typed (why `parse` is our own)", () => {
  test('unknown functions become products', () => {
    expect(nerdamer('heaviside(x)').toString()).toBe('heaviside*x');
    expect(nerdamer('erfc(x)').toString()).toBe('erfc*x');
    expect(toString(parse('heaviside(x)'))).toBe('heaviside(x)');
    expect(toString(parse('erfc(x)'))).toBe('erfc(x)');
    expect(() => parseViaNerdamer('heaviside(x)')).toThrow(ParseError);
    expect(() => parse('foo(x)')).toThrow(/unknown function 'foo'/);
  });
  test('decimals are rounded to float64', () => {
    expect(nerdamer('1.000000000000000000001').toString()).toBe('1');
    expect(toString(parse('1.000000000000000000001'))).toBe('1000000000000000000001/1000000000000000000000');
  });
  test('sqrt(x*y) is split (wrong when x, y < 0)', () => {
    expect(nerdamer('sqrt(x*y)').toString()).toBe('sqrt(x)*sqrt(y)');
    const ours = parse('sqrt(x*y)');
    const split = parse('sqrt(x)*sqrt(y)');
    const D = Decimal.clone({ precision: 30 });
    const f = compileDecimal(ours, ['x', 'y']);
    const g = compileDecimal(split, ['x', 'y']);
    expect(f(new D(-2), new D(-8)).toString()).toBe('4');
    expect(g(new D(-2), new D(-8)).isNaN()).toBe(true);
  });
  test('fromNerdamer converts its trees exactly', () => {
    const cases = ['x/(1+abs(x))', 'x*erf(x/sqrt(2))', 'x/(1+exp(-x))', 'tanh(x)', '0.5*x*(1+erf(x/sqrt(2)))', '2^x', 'x^(3/2)',
      'e^x', 'pi*x', '(x+1)^y', '(2/3)^x', '3^(2/3)*x', 'max(0,x)^2', 'x^2+x+1', 'sqrt(3)/2', '-acos(x)'];
    for (const c of cases) {
      const a = fromNerdamer(nerdamer(c).symbol);
      const b = parse(c);
      const r = verifyIdentity(a, b, { domain: { x: [0.1, 0.9], y: [0.1, 3] }, points: 4 });
      expect({ c, ok: r.ok }).toEqual({ c, ok: true });
    }
    expect(toString(fromNerdamer(nerdamer('0.05*x').symbol))).toBe('x/20');
  });
});
