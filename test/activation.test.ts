/** Activations: evaluators agree with their formulas, derivatives verified, closed forms checked. */
import Decimal from 'decimal.js';
import { activation, isActivation } from '../src/model/activation';
import { arcCosineJ } from '../src/model/arccos';
import { decimalField, float64 } from '../src/numeric/field';
import { decimalInterp, float64Interp } from '../src/interpret/numeric';
import { symbolicField, evaluateIn } from '../src/interpret/symbolic';
import { parse, compileDecimal, assertDerivative, assertIdentity, toString, sym } from '../src/symbolic';
import { InputError } from '../src/model/errors';

const NAMES = ['relu', 'erf', 'tanh', 'linear', 'gelu', 'silu', 'sign', 'relu-power:2', 'relu-power:3', 'relu-power:1.5', 'x/(1+abs(x))'];

describe('activation objects', () => {
  const D = Decimal.clone({ precision: 40 });
  for (const name of NAMES) {
    test(`${name}: float64 and Decimal evaluators agree with the formula`, () => {
      const a = activation(name);
      const formula = compileDecimal(a.expr, ['x']);
      for (const x of [-3.7, -1, -0.25, 0.3, 1, 2.5, 7]) {
        const exact = formula(new D(x));
        expect(a.dec(new D(x)).minus(exact).abs().toNumber()).toBeLessThan(1e-35 * Math.max(1, exact.abs().toNumber()));
        expect(Math.abs(a.f64(x) - exact.toNumber())).toBeLessThan(1e-14 * Math.max(1, Math.abs(exact.toNumber())));
      }
    });
  }
  for (const name of ['erf', 'tanh', 'gelu', 'silu', 'x/(1+abs(x))', 'relu-power:3']) {
    test(`${name}: first and second derivatives verified against finite differences`, () => {
      const a = activation(name);
      const d1 = a.derivative();
      const domain = { x: [0.05, 3] as [number, number] };
      assertDerivative(a.expr, 'x', d1.expr, { domain, digits: 30, points: 6 });
      assertDerivative(d1.expr, 'x', d1.derivative().expr, { domain, digits: 30, points: 6 });
      assertDerivative(a.expr, 'x', d1.expr, { domain: { x: [-3, -0.05] }, digits: 30, points: 6 });
    });
  }
  test('kinks are located: relu at 0, user expression with abs(x-1) at 1', () => {
    expect(activation('relu').kinks).toEqual([0]);
    expect(activation('abs(x-1)/(1+x^2)').kinks).toEqual([1]);
    expect(activation('tanh').kinks).toEqual([]);
  });
  test('rectified form and linearity: built-ins, and user expressions recognised by structure', () => {
    expect(activation('relu').rectified).toEqual({ k: 1, a: 1, b: 0 });
    expect(activation('linear').rectified).toEqual({ k: 1, a: 1, b: 1 });
    expect(activation('relu-power:3').rectified).toEqual({ k: 3, a: 1, b: 0 });
    expect(activation('relu-power:1.5').rectified).toEqual({ k: 1.5, a: 1, b: 0 });
    expect(activation('abs(x)').rectified).toEqual({ k: 1, a: 1, b: -1 });
    for (const n of ['tanh', 'erf', 'gelu', 'x/(1+abs(x))', 'abs(x-1)']) expect(activation(n).rectified).toBeUndefined();
    for (const [src, like] of [['max(0,x)', 'relu'], ['max(x, 0)', 'relu'], ['max(0,x)^2', 'relu-power:2'], ['(x*heaviside(x))^3', 'relu-power:3'], ['x', 'linear']]) {
      const a = activation(src);
      const b = activation(like);
      expect([a.name, a.rectified, a.linear, a.closedForm]).toEqual([src, b.rectified, b.linear, b.closedForm]);
      for (const x of [-1.3, 0.7, 2]) expect(Math.abs(a.f64(x) - compileDecimal(parse(src), ['x'])(new D(x)).toNumber())).toBeLessThan(1e-15);
    }
    expect(activation('linear').linear).toBe(true);
    expect(activation('2*x + 1').linear).toBe(true);
    expect(activation('2*x + 1').parity).toBeUndefined();
    expect(activation('2*x').parity).toBe('odd');
    for (const n of ['relu', 'tanh', 'abs(x)', 'x^2', 'sign']) expect(activation(n).linear).toBe(false);
    // spelt-out built-ins: their parity and closed forms come with them
    expect(activation('tanh(x)').parity).toBe('odd');
    expect(isActivation(activation('tanh(x)'), 'tanh')).toBe(true);
    expect(isActivation(activation('x/(1+abs(x))'), 'tanh')).toBe(false);
    expect(activation('erf(x)').closedForm).toBe(activation('erf').closedForm);
    expect(activation('erf').closedForm!.regularDerivative).toBe(true);
    expect(activation('relu').closedForm!.regularDerivative).toBeFalsy();
  });
  test('unknown names and bad expressions are InputErrors naming --act', () => {
    expect(() => activation('reluu')).toThrow(InputError);
    expect(() => activation('x+')).toThrow(/--act/);
    expect(() => activation('relu-power:-1')).toThrow(/--act/);
  });
});

describe('closed forms, one definition for every field', () => {
  test('erf closed form: float64, Decimal and symbolic give the same number', () => {
    const a = activation('erf');
    const cf = a.closedForm!;
    const f = cf.pair(float64, 1.2, 0.4, 0.9);
    const F = decimalField(40);
    const d = cf.pair(F, F.of('1.2'), F.of('0.4'), F.of('0.9'));
    const e = cf.pair(symbolicField, sym('a'), sym('b'), sym('c'));
    const viaExpr = evaluateIn(F, e, { a: F.of('1.2'), b: F.of('0.4'), c: F.of('0.9') });
    expect(Math.abs(f - d.toNumber())).toBeLessThan(1e-15);
    expect(viaExpr.minus(d).abs().toNumber()).toBeLessThan(1e-38);
  });
  const quadCheck: [string, number, number, number][] = [
    ['relu', 1.3, 0.5, 0.8],
    ['erf', 0.7, -0.3, 2.0],
    ['relu-power:2', 1.1, 0.6, 0.9],
    ['relu-power:3', 0.5, 0.2, 0.6],
    ['linear', 2, 0.3, 1],
  ];
  for (const [name, k11, k12, k22] of quadCheck) {
    test(`${name}: closed form equals 2D quadrature to 25 digits`, () => {
      const a = activation(name);
      const I = decimalInterp(35, 28);
      const F = I.F;
      const closed = a.closedForm!.pair(F, F.of(k11), F.of(k12), F.of(k22));
      const quad = I.expect2(a, a, F.of(k11), F.of(k12), F.of(k22));
      expect(closed.minus(quad).abs().div(closed.abs()).toNumber()).toBeLessThan(1e-25);
      const sq = a.closedForm!.square(F, F.of(k11));
      const sqQuad = I.expect2(a, a, F.of(k11), F.of(k11), F.of(k11));
      expect(sq.minus(sqQuad).abs().div(sq.abs()).toNumber()).toBeLessThan(1e-25);
      // and float64 quadrature agrees with the float64 closed form
      expect(Math.abs(a.closedForm!.pair(float64, k11, k12, k22) - float64Interp.expect2(a, a, k11, k12, k22))).toBeLessThan(1e-11);
    });
  }
  test('arc-cosine J_n, derived symbolically: J_0, J_1, J_2 equal the textbook forms', () => {
    const dom = { domain: { theta: [0.01, 3.1] as [number, number] }, digits: 40, points: 8 };
    assertIdentity(arcCosineJ(0).expr, parse('pi - theta'), dom);
    assertIdentity(arcCosineJ(1).expr, parse('sin(theta) + (pi - theta)*cos(theta)'), dom);
    assertIdentity(arcCosineJ(2).expr, parse('3*sin(theta)*cos(theta) + (pi - theta)*(1 + 2*cos(theta)^2)'), dom);
    expect(toString(arcCosineJ(0).expr)).toBe('pi - theta');
  });
});
