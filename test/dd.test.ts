/**
 * Double-double arithmetic (src/numeric/dd.ts) against mpmath (test/fixtures/make_dd.py), and
 * the double-double Gaussian quadratures against the decimal.js ones.
 */
import Decimal from 'decimal.js';
import * as fs from 'fs';
import * as path from 'path';
import { DD, ddFromDecimal, ddToDecimal, ddExp, ddExpm1, ddLog, ddTanh, ddSinh, ddCosh, ddSqrt } from '../src/numeric/dd';
import { compileDD } from '../src/numeric/ddCompile';
import { expect2Dec, expect2DD, expect1Dec, expect1DD } from '../src/numeric/gaussian';
import { activation } from '../src/model/activation';

const D = Decimal.clone({ precision: 50 });
const REF = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'dd.json'), 'utf8')) as Record<string, Record<string, string | null>>;
const FNS: Record<string, (x: DD) => DD> = { exp: ddExp, expm1: ddExpm1, log: ddLog, tanh: ddTanh, sinh: ddSinh, cosh: ddCosh, sqrt: ddSqrt };

describe('double-double elementary functions', () => {
  for (const [name, f] of Object.entries(FNS)) {
    test(`${name} to 1e-30 relative`, () => {
      for (const [x, r] of Object.entries(REF)) {
        const want = r[name];
        if (want === null) continue;
        const got = ddToDecimal(f(ddFromDecimal(x)), D);
        const w = new D(want);
        const err = w.isZero() ? got.abs().toNumber() : got.minus(w).div(w).abs().toNumber();
        expect({ x, err: err < 1e-30 }).toEqual({ x, err: true });
      }
    });
  }
  test('conversions round-trip to ~1e-32', () => {
    const x = new D('0.1234567890123456789012345678901');
    const back = ddToDecimal(ddFromDecimal(x), D);
    expect(back.minus(x).div(x).abs().toNumber()).toBeLessThan(1e-31);
  });
});

describe('double-double quadratures agree with decimal.js', () => {
  const act = activation('tanh');
  const f = compileDD(act.expr)!;
  const d2 = compileDD(act.derivative().expr)!;
  test('compiled expressions', () => {
    expect(f).toBeDefined();
    expect(compileDD(activation('gelu').expr)).toBeUndefined(); // erf has no double-double evaluator
    const x = ddFromDecimal('0.75');
    expect(ddToDecimal(d2(x), D).minus(new D(1).minus(new D('0.75').tanh().pow(2))).abs().toNumber()).toBeLessThan(1e-30);
  });
  test.each([
    ['1.5', '0.9', '1.5'],
    ['4', '3.9', '4'],
    ['2', '2', '2'],
  ])('E[tanh tanh] at K11 = %s, K12 = %s, K22 = %s, 20 digits', (a, b, c) => {
    const dd = expect2DD(f, f, a, b, c, { digits: 20 });
    const dec = expect2Dec((x) => x.tanh(), (x) => x.tanh(), a, b, c, { digits: 20 });
    expect(dd.value.minus(dec.value).div(dec.value).abs().toNumber()).toBeLessThan(1e-21);
    expect(dd.error / Math.abs(dd.value.toNumber())).toBeLessThan(1e-21);
  });
  test('E[tanh^2] at K = 30, 22 digits', () => {
    const sq = (x: DD) => {
      const t = f(x);
      return ddFromDecimal(ddToDecimal(t, D).pow(2));
    };
    const dd = expect1DD(sq, '30', { digits: 22 });
    const dec = expect1Dec((x) => x.tanh().pow(2), '30', { digits: 22 });
    expect(dd.value.minus(dec.value).div(dec.value).abs().toNumber()).toBeLessThan(1e-23);
  });
});
