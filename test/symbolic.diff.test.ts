/**
 * Differentiation: every rule is checked with the verification harness against an
 * independent high-precision numerical derivative (never our diff).
 */
import {
  parse, diff, simplify, nthDiff, toString, verifyDerivative, verifyIdentity, Expr, size, toLatex, SymbolicError, sym,
} from '../src/symbolic';

const opts = (domain: Record<string, [number, number]>, points = 4) => ({ domain, points, digits: 25 });

function checkDiff(src: string, v: string, domain: Record<string, [number, number]>, points = 4): Expr {
  const f = parse(src);
  const d = diff(f, v);
  const r = verifyDerivative(f, v, d, opts(domain, points));
  expect({ src, ok: r.ok, reason: r.reason }).toEqual({ src, ok: true, reason: undefined });
  // simplification keeps the value
  const sd = simplify(d);
  const r2 = verifyIdentity(d, sd, opts(domain, points));
  expect({ src, simplifiedOk: r2.ok }).toEqual({ src, simplifiedOk: true });
  return sd;
}

describe('derivative of every supported function (chain rule through u = 2x^2 - x/3 + 1/5)', () => {
  const u = '(2*x^2 - x/3 + 1/5)';
  const cases: Array<[string, [number, number]]> = [
    ['exp', [-1.5, 1.5]], ['log', [0.3, 2]], ['sin', [-2, 2]], ['cos', [-2, 2]], ['tan', [-0.6, 0.6]],
    ['sinh', [-1.5, 1.5]], ['cosh', [-1.5, 1.5]], ['tanh', [-2, 2]], ['erf', [-1.5, 1.5]], ['erfc', [-1.5, 1.5]],
    ['abs', [-2, 2]], ['sign', [-2, 2]], ['heaviside', [-2, 2]], ['gamma', [0.3, 1.5]], ['sqrt', [0.3, 2]],
  ];
  test.each(cases)('%s', (name, dom) => {
    checkDiff(`${name}(${u})`, 'x', { x: dom }, 3);
  });
  test.each([['asin'], ['acos'], ['atan']])('%s', (name) => {
    checkDiff(`${name}(x/2 - x^2/5)`, 'x', { x: [-1.2, 1.2] }, 3);
  });
  test('max and min in either argument', () => {
    checkDiff('max(x^2, 1 - x)', 'x', { x: [-3, 3] }, 6);
    checkDiff('min(x^2, 1 - x)', 'x', { x: [-3, 3] }, 6);
    checkDiff('max(0, x)^2', 'x', { x: [-3, 3] }, 6);
  });
  test('rules in closed form', () => {
    const d = (s: string) => toString(simplify(diff(parse(s), 'x')));
    expect(d('abs(x)')).toBe('sign(x)');
    expect(d('sign(x)')).toBe('0'); // almost everywhere: the delta is dropped
    expect(d('heaviside(x)')).toBe('0');
    expect(d('relu(x)')).toBe('heaviside(x)');
    expect(d('erf(x)')).toBe('2*exp(-x^2)/sqrt(pi)');
    expect(d('erfc(x)')).toBe('-2*exp(-x^2)/sqrt(pi)');
    expect(d('tanh(x)')).toBe('1 - tanh(x)^2');
    expect(d('tan(x)')).toBe('1 + tan(x)^2');
    expect(d('asin(x)')).toBe('1/sqrt(1 - x^2)');
    expect(d('acos(x)')).toBe('-1/sqrt(1 - x^2)');
    expect(d('-acos(x)')).toBe('1/sqrt(1 - x^2)');
    expect(d('atan(x)')).toBe('1/(1 + x^2)');
    expect(d('log(x)')).toBe('1/x');
    expect(d('gamma(x)')).toBe('gamma(x)*polygamma(0, x)');
    expect(d('max(x, y)')).toBe('heaviside(x - y)');
  });
});

describe('higher derivatives stay compact', () => {
  test('4th derivative of erf(x/sqrt(2)), verified step by step', () => {
    const f = parse('erf(x/sqrt(2))');
    let prev = f;
    for (let n = 1; n <= 4; n++) {
      const d = nthDiff(f, 'x', n);
      const r = verifyDerivative(prev, 'x', d, opts({ x: [-3, 3] }, 3));
      expect(r.ok).toBe(true);
      prev = d;
    }
    expect(toString(prev)).toBe('sqrt(2)*x*(3 - x^2)*exp(-x^2/2)/sqrt(pi)');
    expect(toLatex(prev)).toBe('\\frac{\\sqrt{2} x}{\\sqrt{\\pi}} (3 - x^2) e^{-\\frac{x^2}{2}}');
    expect(size(prev)).toBeLessThanOrEqual(25);
  });
  test('derivatives of tanh are polynomials in tanh', () => {
    const f = parse('tanh(x)');
    const expected = [
      '1 - tanh(x)^2',
      '2*(tanh(x)^2 - 1)*tanh(x)',
      '8*tanh(x)^2 - 6*tanh(x)^4 - 2',
      '16*tanh(x) - 40*tanh(x)^3 + 24*tanh(x)^5',
    ];
    let prev = f;
    expected.forEach((want, i) => {
      const d = nthDiff(f, 'x', i + 1);
      expect(toString(d)).toBe(want);
      expect(verifyDerivative(prev, 'x', d, opts({ x: [-2, 2] }, 3)).ok).toBe(true);
      prev = d;
    });
    expect(toLatex(prev)).toBe('16 \\tanh(x) - 40 \\tanh^3(x) + 24 \\tanh^5(x)');
  });
  test('x/(1+|x|): derivatives in closed form', () => {
    const f = parse('x/(1+abs(x))');
    expect(toString(nthDiff(f, 'x', 1))).toBe('1/(1 + abs(x))^2');
    expect(toString(nthDiff(f, 'x', 2))).toBe('-2*sign(x)/(1 + abs(x))^3');
    expect(verifyDerivative(nthDiff(f, 'x', 1), 'x', nthDiff(f, 'x', 2), opts({ x: [-3, 3] }, 6)).ok).toBe(true);
  });
});

test('errors: non-integer order, opaque function', () => {
  expect(() => nthDiff(sym('x'), 'x', 1.5)).toThrow(SymbolicError);
  expect(() => diff(parse('polygamma(n, x)'), 'n')).toThrow(/order n/);
});
