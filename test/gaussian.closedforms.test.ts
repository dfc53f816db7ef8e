/**
 * Gaussian expectations against closed forms in the hard corners: kinks (relu), discontinuities
 * (sign), large variances (K = 400), correlations at and next to 1; the error estimate must bound
 * the true error, and a run at more digits must agree with one at fewer.
 */
import Decimal from 'decimal.js';
import { expect2Dec, expect1Dec, expect2F64 } from '../src/numeric/gaussian';
import { erf, erf64 } from '../src/numeric/special';

const D = Decimal.clone({ precision: 60 });
const relu = (x: Decimal) => (x.isPos() && !x.isZero() ? x : x.times(0));
const sign = (x: Decimal) => new (x.constructor as typeof Decimal)(x.isZero() ? 0 : x.isNeg() ? -1 : 1);

function reluPair(k11: Decimal, k12: Decimal, k22: Decimal): Decimal {
  const pi = D.acos(-1);
  const s = k11.times(k22).sqrt();
  const rho = k12.div(s);
  const det = k11.times(k22).minus(k12.times(k12));
  return det.sqrt().plus(pi.minus(rho.acos()).times(k12)).div(pi.times(2));
}
function signPair(k11: Decimal, k12: Decimal, k22: Decimal): Decimal {
  return k12.div(k11.times(k22).sqrt()).asin().times(2).div(D.acos(-1));
}
function erfPair(k11: Decimal, k12: Decimal, k22: Decimal): Decimal {
  return k12.times(2).div(k11.times(2).plus(1).times(k22.times(2).plus(1)).sqrt()).asin().times(2).div(D.acos(-1));
}

const CASES: [string, (x: Decimal) => Decimal, (a: Decimal, b: Decimal, c: Decimal) => Decimal, number[], string, string][] = [
  ['relu', relu, reluPair, [0], '400', '0.999999'],
  ['relu', relu, reluPair, [0], '1.5', '1'],
  ['relu', relu, reluPair, [0], '0.001', '-0.3'],
  ['sign', sign, signPair, [0], '2', '0.6'],
  ['sign', sign, signPair, [0], '30', '-0.999'],
  ['erf', erf, erfPair, [], '400', '0.6'],
  ['erf', erf, erfPair, [], '1.5', '0.999999'],
];

describe('expect2Dec against closed forms', () => {
  for (const [name, f, exact, kinks, K, rho] of CASES) {
    test(`${name}, K = ${K}, rho = ${rho}: 20 digits, honest error estimate, consistent at 28 digits`, () => {
      const k = new D(K);
      const k12 = k.times(rho);
      const ref = exact(k, k12, k);
      const r20 = expect2Dec(f, f, k, k12, k, { digits: 20, kinksF: kinks, kinksG: kinks });
      const err20 = r20.value.minus(ref).abs().toNumber();
      expect(err20).toBeLessThanOrEqual(Math.max(1e-20 * Math.abs(ref.toNumber()), 10 * r20.error));
      const r28 = expect2Dec(f, f, k, k12, k, { digits: 28, kinksF: kinks, kinksG: kinks });
      expect(r28.value.minus(ref).abs().toNumber()).toBeLessThanOrEqual(1e-27 * Math.abs(ref.toNumber()) + 1e-40);
      expect(r28.value.minus(r20.value).abs().toNumber()).toBeLessThanOrEqual(1e-19 * Math.abs(ref.toNumber()));
    });
  }
  test('float64: the same corners to ~1e-11', () => {
    const r = (x: number) => (x > 0 ? x : 0);
    const e = expect2F64(r, r, 400, 399.9996, 400, { kinksF: [0], kinksG: [0] }).value;
    expect(Math.abs(e - reluPair(new D(400), new D('399.9996'), new D(400)).toNumber()) / e).toBeLessThan(1e-11);
    const g = expect2F64(erf64, erf64, 1.5, 0.9, 1.5).value;
    expect(Math.abs(g - erfPair(new D('1.5'), new D('0.9'), new D('1.5')).toNumber())).toBeLessThan(1e-12);
  });
  test('expect1Dec: E[relu(u)^2] = K/2 and E[erf(u)^2] at K = 400 to 30 digits', () => {
    const k = new D(400);
    const a = expect1Dec((x) => relu(x).times(relu(x)), k, { digits: 30, kinks: [0] }).value;
    expect(a.minus(200).abs().toNumber()).toBeLessThan(1e-27);
    const b = expect1Dec((x) => erf(x).times(erf(x)), k, { digits: 30 }).value;
    const ref = erfPair(k, k, k);
    expect(b.minus(ref).abs().div(ref).toNumber()).toBeLessThan(1e-29);
  });
});
