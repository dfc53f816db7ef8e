/** parse (our own parser), ParseError messages, toString round trip. */
import {
  parse, toString, equals, ParseError, verifyIdentity, Expr, fn, sym, num, mul, add, pow, div, sqrt, neg, PI, E_CONST,
  series, diff, simplify, nthDiff,
} from '../src/symbolic';

const s = (src: string) => toString(parse(src));

describe('parse: the required examples', () => {
  const examples: Array<[string, string]> = [
    ['x/(1+abs(x))', 'x/(1 + abs(x))'],
    ['x*erf(x/sqrt(2))', 'x*erf(x/sqrt(2))'],
    ['x/(1+exp(-x))', 'x/(1 + exp(-x))'],
    ['tanh(x)', 'tanh(x)'],
    ['max(0,x)^2', 'max(0, x)^2'],
    ['(x*heaviside(x))^2', 'x^2*heaviside(x)^2'],
    ['0.5*x*(1+erf(x/sqrt(2)))', 'x*(1 + erf(x/sqrt(2)))/2'],
    ['2^x', '2^x'],
    ['x^(3/2)', 'x^(3/2)'],
    ['e^x', 'exp(x)'],
    ['pi*x', 'pi*x'],
    ['relu(x)', 'x*heaviside(x)'],
    ['relu(x)^2', 'x^2*heaviside(x)^2'],
  ];
  test.each(examples)('%s', (src, want) => {
    expect(s(src)).toBe(want);
  });
  test('the trees are what was typed (structure)', () => {
    const x = sym('x');
    expect(equals(parse('x/(1+abs(x))'), div(x, add(num(1), fn('abs', x))))).toBe(true);
    expect(equals(parse('x*erf(x/sqrt(2))'), mul(x, fn('erf', div(x, sqrt(num(2))))))).toBe(true);
    expect(equals(parse('x/(1+exp(-x))'), div(x, add(num(1), fn('exp', neg(x)))))).toBe(true);
    expect(equals(parse('pi*x'), mul(PI, x))).toBe(true);
    expect(equals(parse('e^x'), pow(E_CONST, x))).toBe(true);
    expect(equals(parse('max(0,x)^2'), pow(fn('max', num(0), x), num(2)))).toBe(true);
  });
});

describe('parse: syntax', () => {
  test('precedence and associativity', () => {
    expect(s('-x^2')).toBe('-x^2');
    expect(s('2^3^2')).toBe('512');
    expect(s('2^-1')).toBe('1/2');
    expect(s('a-b-c')).toBe('a - b - c');
    expect(s('a/b/c')).toBe('a/(b*c)');
    expect(s('a/b*c')).toBe('a*c/b');
    expect(s('x**2')).toBe('x^2');
    expect(s('--x')).toBe('x');
    expect(s('+x')).toBe('x');
    expect(s('2x + 3(x+1)')).toBe('3 + 5*x');
    expect(s('2 pi*x')).toBe('2*pi*x');
    expect(() => parse('2 pi x')).toThrow(ParseError);
    expect(s('1e-3*x + .5')).toBe('1/2 + x/1000');
    expect(s('  x  *  y ')).toBe('x*y');
  });
  test('numbers are exact', () => {
    expect(s('0.1+0.2')).toBe('3/10');
    expect(s('123456789012345678901234567890')).toBe('123456789012345678901234567890');
    expect(s('1.5e3')).toBe('1500');
  });
  test('aliases', () => {
    expect(s('ln(x) + arcsin(x) + sgn(x) + step(x)')).toBe(toString(parse('log(x) + asin(x) + sign(x) + heaviside(x)')));
    expect(s('digamma(x)')).toBe('polygamma(0, x)');
  });
});

describe('ParseError: one clear line naming the problem', () => {
  const bad: Array<[string, RegExp]> = [
    ['', /empty expression/],
    ['x +', /unexpected end of input/],
    ['x + * y', /unexpected '\*' at column 5/],
    ['(x + 1', /expected '\)' but found end of input/],
    ['x + 1)', /unexpected '\)'/],
    ['foo(x)', /unknown function 'foo' \(use '\*' for multiplication\)/],
    ['heavyside(x)', /unknown function 'heavyside'/],
    ['x(1+x)', /unknown function 'x'/],
    ['sin(x, y)', /sin\(\) takes 1 argument, got 2/],
    ['max(x)', /max\(\) takes 2 arguments, got 1/],
    ['sqrt()', /takes 1 argument, got 0/],
    ['x $ y', /unexpected character '\$' at column 3/],
    ['1/0', /division by zero/],
    ['0^-1', /division by zero/],
    ['sin + x', /function 'sin' needs parentheses/],
    ['pi(x)', /'pi' is a constant/],
    ['log(0)', /log\(0\) is singular/],
    ['()', /empty parentheses/],
  ];
  test.each(bad)('%j', (src, re) => {
    let err: unknown;
    try {
      parse(src);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ParseError);
    const msg = (err as Error).message;
    expect(msg).toMatch(re);
    expect(msg).not.toMatch(/\n/);
  });
  test('unknown functions may be allowed explicitly (opaque)', () => {
    expect(toString(parse('f(x, y)', { allowUnknownFunctions: true }))).toBe('f(x, y)');
  });
});

describe('toString round trip: parse(toString(e)) equals e', () => {
  const corpus = [
    'x/(1+abs(x))', 'x*erf(x/sqrt(2))', 'x/(1+exp(-x))', 'tanh(x)', 'max(0,x)^2', '0.5*x*(1+erf(x/sqrt(2)))', '2^x', 'x^(3/2)',
    'e^x', 'pi*x', '-x/3', '(-2)^x', '(1/3)^x', 'x^(-1/2)', 'x^(y-1)', '(a+b)^(-2/3)', '2^(1/3)*x', 'sqrt(2)/3', '-1/(2*sqrt(pi))',
    'sw2*asin(2*K12/sqrt((1+2*K11)*(1+2*K22)))*2/pi', 'exp(-x^2/2)/sqrt(2*pi)', 'x^x', 'a - (b - c)*d', 'x^2^y',
    'gamma(x+1)*polygamma(2, x)', 'min(x, -y) - max(x^2, 1)', 'sign(x)*heaviside(1-x)', 'abs(x)^3', '1/(1/x + 1/y)',
  ];
  test.each(corpus)('%s', (src) => {
    const e = parse(src);
    const back = parse(toString(e));
    expect(toString(back)).toBe(toString(e));
    expect(equals(back, e)).toBe(true);
  });
  test('derivatives and series round-trip too', () => {
    const exprs: Expr[] = [];
    for (const src of ['x/(1+exp(-x))', 'x*erf(x/sqrt(2))', 'asin(x)/sqrt(1+x^2)', 'gamma(x)^2']) {
      const e = parse(src);
      exprs.push(diff(e, 'x'), simplify(diff(e, 'x')), nthDiff(e, 'x', 3));
    }
    exprs.push(series(parse('tanh(x)'), 'x', 9), series(parse('exp(x)'), 'x', 4, num(1)));
    for (const e of exprs) {
      const back = parse(toString(e));
      expect(equals(back, e)).toBe(true);
    }
  });
  test('parsed values agree with the typed expression evaluated independently (float64)', () => {
    const f = (x: number) => 0.5 * x * (1 + erfApprox(x / Math.SQRT2));
    const e = parse('0.5*x*(1+erf(x/sqrt(2)))');
    const r = verifyIdentity(e, parse('x*(1+erf(x/sqrt(2)))/2'), { domain: { x: [-3, 3] }, points: 5 });
    expect(r.ok).toBe(true);
    expect(Math.abs(f(1.1) - 0.9507673329589791)).toBeLessThan(1e-6); // A&S 7.1.26 sanity of the reference
  });
});

/** Abramowitz-Stegun 7.1.26 (|error| < 1.5e-7): an independent erf for a sanity check. */
function erfApprox(x: number): number {
  const t = 1 / (1 + 0.3275911 * Math.abs(x));
  const y = 1 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return x >= 0 ? y : -y;
}
