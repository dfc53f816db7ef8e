/**
 * Binary floating point on BigInt (src/numeric/binary.ts) and the verified closed-form route that
 * runs in it: every field operation agrees with the correctly rounded Decimal functions to the
 * field's precision, and kernel / optimal-alpha print the same digits as the Decimal route.
 */
import Decimal from 'decimal.js';
import { binaryField, toDecimal, formatBF, fromDecimal } from '../src/numeric/binary';
import { decimalField } from '../src/numeric/field';
import { verifiedBinary, verifiedDecimal } from '../src/quantities/verified';
import { meanFieldKernels } from '../src/quantities/kernel';
import { Interpretation } from '../src/interpret/numeric';
import { network } from '../src/model/network';
import { optimalAlpha } from '../src/quantities/optimal';

const P = 50;
const B = binaryField(P);
// the reference evaluates at the binary arguments' exact values (their first 150 digits)
const Dref = decimalField(150);
const R = Dref.D;

/** -log10 of the relative difference of a binary value and a Decimal reference. */
function agreement(x: ReturnType<typeof B.of>, ref: Decimal): number {
  const v = toDecimal(x, R);
  if (v.eq(ref)) return Infinity;
  return -Math.log10(v.minus(ref).div(ref).abs().toNumber());
}

describe('binaryField', () => {
  const xs = ['0.3', '-0.7', '1e-30', '12.5', '0.999999999999999999999999999999', '-0.999', '1.0000000000000000000000000000000001', '3', '250'];
  test('arithmetic and elementary functions agree with Decimal to ~P digits', () => {
    const bad: string[] = [];
    const check = (what: string, x: ReturnType<typeof B.of>, ref: Decimal) => {
      if (!ref.isFinite()) {
        if (B.isFinite(x)) bad.push(`${what}: expected NaN, got ${B.format(x)}`);
        return;
      }
      if (ref.isZero()) {
        if (B.toNumber(x) !== 0) bad.push(`${what}: expected 0`);
        return;
      }
      const a = agreement(x, ref);
      if (!(a >= P)) bad.push(`${what}: ${B.format(x)} vs ${ref.toSignificantDigits(P + 2).toString()} (${a.toFixed(1)} digits)`);
    };
    for (const s of xs) {
      const x = B.of(s);
      const d = toDecimal(x, R);
      const y = B.of('0.37');
      const dy = toDecimal(y, R);
      check(`add ${s}`, B.add(x, y), Dref.add(d, dy));
      check(`mul ${s}`, B.mul(x, y), Dref.mul(d, dy));
      check(`div ${s}`, B.div(y, x), Dref.div(dy, d));
      check(`exp ${s}`, B.exp(x), Dref.exp(d));
      check(`sin ${s}`, B.sin(x), Dref.sin(d));
      check(`cos ${s}`, B.cos(x), Dref.cos(d));
      check(`atan ${s}`, B.atan(x), Dref.atan(d));
      check(`pow ${s}^3`, B.pow(x, B.of(3)), Dref.pow(d, Dref.of(3)));
      if (d.gt(0)) {
        check(`sqrt ${s}`, B.sqrt(x), Dref.sqrt(d));
        check(`log ${s}`, B.log(x), Dref.log(d));
        check(`pow ${s}^0.3`, B.pow(x, B.of('0.3')), Dref.exp(Dref.mul(toDecimal(B.of('0.3'), R), Dref.log(d))));
      }
      if (d.abs().lte(1)) {
        check(`asin ${s}`, B.asin(x), Dref.asin(d));
        check(`acos ${s}`, B.acos(x), Dref.acos(d));
      }
    }
    check('pi', B.pi(), Dref.pi());
    expect(bad).toEqual([]);
  });
  test('NaN where Decimal has NaN; asin clamps rounding excess only', () => {
    expect(B.isFinite(B.sqrt(B.of(-1)))).toBe(false);
    expect(B.isFinite(B.log(B.of(0)))).toBe(false);
    expect(B.isFinite(B.asin(B.of('1.001')))).toBe(false);
    expect(B.format(B.asin(B.add(B.of(1), B.of('1e-60'))), 20)).toBe('1.5707963267948966192');
    expect(B.isFinite(B.div(B.of(1), B.of(0)))).toBe(false);
  });
  test('overflow to infinity and underflow to 0 at the Decimal exponent range', () => {
    const F = binaryField(30);
    let x = F.of('1e100000');
    expect(F.format(x, 5)).toBe('1e+100000');
    for (let i = 0; i < 40 && F.isFinite(x); i++) x = F.mul(x, x);
    expect(F.isFinite(x)).toBe(false);
    expect(F.format(x, 5)).toBe('Infinity');
    expect(F.format(F.add(x, F.of(1)), 5)).toBe('Infinity');
    expect(F.format(F.div(F.of(1), x), 5)).toBe('0');
    expect(F.toNumber(F.neg(x))).toBe(-Infinity);
    expect(F.isFinite(F.sub(x, x))).toBe(false);
    expect(F.format(F.exp(F.of('1e20')), 5)).toBe('Infinity');
    expect(F.toNumber(F.exp(F.of('-1e20')))).toBe(0);
  });
  test('formatBF rounds correctly (half even) and prints like decimal.js', () => {
    const F = binaryField(30);
    expect(formatBF(F.of('0.125'), 2)).toBe('0.12');
    expect(formatBF(F.of('0.375'), 2)).toBe('0.38');
    expect(formatBF(F.of('-2.5'), 1)).toBe('-2');
    expect(formatBF(F.of('1e-9'), 5)).toBe('1e-9');
    expect(formatBF(F.of('123456789012345678901234'), 3)).toBe('1.23e+23');
    expect(formatBF(F.div(F.of(1), F.of(3)), 10)).toBe('0.3333333333');
    expect(formatBF(fromDecimal(new Decimal('7'), 60), 5)).toBe('7');
  });
});

describe('verified closed-form route in binary floating point', () => {
  const compute = (act: string) => <T,>(I: Interpretation<T>) => {
    const t = meanFieldKernels(I, network({ act, depth: 20, c0: '0.3' }));
    return { q: t.q, c: t.c };
  };
  for (const act of ['erf', 'relu', 'linear']) {
    test(`${act} kernel: the same printed digits as the Decimal route`, () => {
      const a = verifiedBinary(30, compute(act)).values;
      const b = verifiedDecimal(30, compute(act)).values;
      expect(a).toEqual(b);
    });
  }
  test('optimal alpha of erf (dual numbers over the binary field) agrees with Decimal', () => {
    const net = network({ act: 'erf', sw2: '1', sb2: '0', depth: 10, q0: '1', c0: '0.99' });
    const run = <T,>(I: Interpretation<T>) => ({ alpha: optimalAlpha(I, net, 4.65).alpha });
    expect(verifiedBinary(16, run).values).toEqual(verifiedDecimal(16, run).values);
  });
});
