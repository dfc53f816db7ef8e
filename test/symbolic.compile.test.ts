/** compileF64 / compileDecimal / evalDecimal. */
import Decimal from 'decimal.js';
import { erf64, gamma64 } from '../src/numeric/special';
import {
  parse, compileF64, compileDecimal, evalDecimal, evalDecimalAt, f64Source, diff, nthDiff, SymbolicError, num, registerFunction, fn, sym,
} from '../src/symbolic';

describe('compileF64', () => {
  test('matches hand-written float64 code', () => {
    const cases: Array<[string, (x: number, y: number) => number]> = [
      ['x/(1+abs(x))', (x) => x / (1 + Math.abs(x))],
      ['x*erf(x/sqrt(2))', (x) => x * erf64(x / Math.SQRT2)],
      ['x/(1+exp(-x))', (x) => x / (1 + Math.exp(-x))],
      ['tanh(x)*y^3 - 2^x', (x, y) => Math.tanh(x) * y ** 3 - 2 ** x],
      ['max(0,x)^2 + min(x, y)', (x, y) => Math.max(0, x) ** 2 + Math.min(x, y)],
      ['heaviside(x) + sign(y)', (x, y) => (x > 0 ? 1 : x < 0 ? 0 : 0.5) + Math.sign(y)],
      ['gamma(x+3)*log(y+4)', (x, y) => gamma64(x + 3) * Math.log(y + 4)],
      ['asin(x/4)+acos(y/4)+atan(x*y)', (x, y) => Math.asin(x / 4) + Math.acos(y / 4) + Math.atan(x * y)],
      ['sinh(x)+cosh(y)-tan(x/3)+sin(x)*cos(y)', (x, y) => Math.sinh(x) + Math.cosh(y) - Math.tan(x / 3) + Math.sin(x) * Math.cos(y)],
      ['x^(3/2)*y^(-1/2)', (x, y) => x ** 1.5 / Math.sqrt(y)],
      ['e^x*pi', (x) => Math.exp(x) * Math.PI],
    ];
    for (const [src, ref] of cases) {
      const f = compileF64(parse(src), ['x', 'y']);
      for (const [x, y] of [[0.3, 0.7], [1.9, 2.2], [-1.1, 0.4], [0, 1]]) {
        const a = f(x, y);
        const b = ref(x, y);
        if (Number.isNaN(b)) expect(a).toBeNaN();
        else expect(Math.abs(a - b)).toBeLessThanOrEqual(1e-13 * Math.max(1, Math.abs(b)));
      }
    }
  });
  test('real semantics: NaN for negative bases with fractional exponents', () => {
    expect(compileF64(parse('x^(1/2)'), ['x'])(-4)).toBeNaN();
    expect(compileF64(parse('x^(1/3)'), ['x'])(-8)).toBeNaN();
    expect(compileF64(parse('x^3'), ['x'])(-2)).toBe(-8);
    expect(compileF64(parse('1/x'), ['x'])(0)).toBe(Infinity);
  });
  test('common subexpressions are computed once', () => {
    const src = f64Source(diff(parse('exp(sin(x)^2)'), 'x'), ['x']);
    expect(src.match(/Math\.sin/g)!.length).toBe(1);
    expect(src.match(/Math\.exp/g)!.length).toBe(1);
  });
  test('unbound symbols and unknown functions are refused at compile time', () => {
    expect(() => compileF64(parse('x + y'), ['x'])).toThrow(/symbol 'y' is not among the variables/);
    expect(() => compileF64(fn('Opaque', sym('x')), ['x'])).toThrow(SymbolicError);
    registerFunction('NoF64', { arity: 1, dec: (x) => x });
    expect(() => compileF64(fn('NoF64', sym('x')), ['x'])).toThrow(/no f64 implementation/);
    expect(compileDecimal(fn('NoF64', sym('x')), ['x'])(new Decimal(2)).toString()).toBe('2');
  });
});

describe('compileDecimal', () => {
  test('precision follows the first argument constructor', () => {
    const f = compileDecimal(parse('sqrt(x) + pi/x'), ['x']);
    const D20 = Decimal.clone({ precision: 20 });
    const D60 = Decimal.clone({ precision: 60 });
    const a = f(new D20(2));
    const b = f(new D60(2));
    expect(a.constructor).toBe(D20);
    expect(b.constructor).toBe(D60);
    // sqrt(2) + pi/2 from mpmath (70 digits): 2.98500988916799166803301041584944952066825657506450098366415203414
    expect(a.toSignificantDigits(19).toString()).toBe('2.985009889167991668'); // working precision, no guard digits
    expect(b.toSignificantDigits(58).toString()).toBe('2.985009889167991668033010415849449520668256575064500983664');
  });
  test('exact rationals are divided at working precision, not via float64', () => {
    const D = Decimal.clone({ precision: 50 });
    const f = compileDecimal(parse('x/3 + 0.1'), ['x']);
    expect(f(new D(1)).toString()).toBe('0.43333333333333333333333333333333333333333333333333');
  });
  test('special functions and derivatives agree with float64 to ~1e-14', () => {
    const D = Decimal.clone({ precision: 40 });
    for (const src of ['x*erf(x/sqrt(2))', 'gamma(x+2)', 'erfc(x)*tanh(x)']) {
      for (const n of [0, 1, 2]) {
        const e = nthDiff(parse(src), 'x', n);
        const f = compileF64(e, ['x']);
        const g = compileDecimal(e, ['x']);
        for (const x of [-1.3, 0.2, 2.7]) {
          const a = f(x);
          const b = g(new D(x)).toNumber();
          expect(Math.abs(a - b)).toBeLessThanOrEqual(1e-13 * Math.max(1, Math.abs(b)));
        }
      }
    }
  });
  test('argument count is checked', () => {
    expect(() => compileDecimal(parse('x*y'), ['x', 'y'])(new Decimal(1))).toThrow(/expects 2 argument/);
  });
});

describe('evalDecimal / evalDecimalAt', () => {
  test('constants to 40 digits', () => {
    expect(evalDecimal(parse('sqrt(2)'), 40).toFixed(39)).toBe('1.414213562373095048801688724209698078570');
    expect(evalDecimal(parse('exp(1)'), 40).toFixed(39)).toBe('2.718281828459045235360287471352662497757');
    expect(evalDecimal(parse('gamma(1/3)'), 40).toFixed(39)).toBe('2.678938534707747633655692940974677644129');
    expect(evalDecimal(num('1/7'), 10).toString()).toBe('0.1428571429');
  });
  test('at a point given as typed numbers', () => {
    expect(evalDecimalAt(parse('x*y'), { x: 0.1, y: '0.2' }, 30).toString()).toBe('0.02');
  });
});
