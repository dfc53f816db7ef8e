/**
 * compileIn (src/interpret/compiled.ts): a compiled expression gives exactly what evaluateIn gives,
 * in float64 and in Decimal, for the closed-form derivative formulas it serves.
 */
import { compileIn } from '../src/interpret/compiled';
import { evaluateIn } from '../src/interpret/symbolic';
import { closedFormDerivatives } from '../src/quantities/response';
import { activation } from '../src/model/activation';
import { float64, decimalField } from '../src/numeric/field';
import { parse } from '../src/symbolic';

describe('compileIn', () => {
  const D = decimalField(40);
  for (const act of ['erf', 'relu', 'linear']) {
    test(`${act}: the derivative formulas, compiled = evaluateIn`, () => {
      const cd = closedFormDerivatives(activation(act))!;
      for (const [name, e] of [['dPairdK12', cd.dPairdK12], ['dPairdDiag', cd.dPairdDiag]] as const) {
        const c = compileIn(e, ['K11', 'K12', 'K22'])!;
        expect(c).not.toBeNull();
        const args = ['1.3', '0.7', '1.3'];
        const env64 = { K11: 1.3, K12: 0.7, K22: 1.3 };
        expect([name, c(float64, args.map(Number))]).toEqual([name, evaluateIn(float64, e, env64)]);
        const envD = { K11: D.of(args[0]), K12: D.of(args[1]), K22: D.of(args[2]) };
        expect(c(D, args.map((a) => D.of(a))).toString()).toBe(evaluateIn(D, e, envD).toString());
      }
      const s = compileIn(cd.dSquaredK, ['K'])!;
      expect(s(D, [D.of('2.5')]).toString()).toBe(evaluateIn(D, cd.dSquaredK, { K: D.of('2.5') }).toString());
    });
  }
  test('rationals, pi, e, powers and calls', () => {
    const e = parse('3/7*x^(3/2) + pi*exp(x) - e/sqrt(x) + atan(x)^2 + x^(-1/2)');
    const c = compileIn(e, ['x'])!;
    expect(c(D, [D.of('0.8')]).toString()).toBe(evaluateIn(D, e, { x: D.of('0.8') }).toString());
    expect(c(float64, [0.8])).toBe(evaluateIn(float64, e, { x: 0.8 }));
  });
  test('a function that is not a field operation: null (evaluateIn handles it)', () => {
    expect(compileIn(parse('erf(x) + x'), ['x'])).toBeNull();
  });
});
