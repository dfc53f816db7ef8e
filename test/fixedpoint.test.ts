/** Feed-forward fixed points and the critical line against independent mpmath references. */
import Decimal from 'decimal.js';
import * as fs from 'fs';
import * as path from 'path';
import { fixedPointAnalysis, critical } from '../src/api';
import { fixedPoint } from '../src/quantities/fixedpoint';
import { float64Interp } from '../src/interpret/numeric';
import { activation } from '../src/model/activation';
import { correctToDigits } from './digits';

interface FP { act: string; sw2: string; sb2: string; digits: number; q_star: string; c_star: string; chi1: string; chi_c: string; xi_q: string; xi_c: string }
interface CR { act: string; sb2: string; digits: number; sw2: string; q_star: string }
const fx = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'kernels.json'), 'utf8')) as { fixed_point: FP[]; critical: CR[] };

function agree(a: string, b: string): number {
  if (a === b) return Infinity;
  if (!Number.isFinite(Number(a)) || !Number.isFinite(Number(b))) return a === b ? Infinity : 0;
  const x = new Decimal(a);
  const y = new Decimal(b);
  if (x.eq(y)) return Infinity;
  return -Math.log10(x.minus(y).abs().div(y.abs()).toNumber());
}

const DIGITS = 20;
describe('fixed points against mpmath', () => {
  for (const f of fx.fixed_point) {
    test(`${f.act} sw2=${f.sw2} sb2=${f.sb2}: q*, c*, chi1, chi_c, xi_q, xi_c to ${DIGITS} digits`, () => {
      const r = fixedPointAnalysis(f.act, f.sw2, f.sb2, { digits: DIGITS });
      for (const k of ['q_star', 'c_star', 'chi1', 'chi_c', 'xi_q', 'xi_c'] as const) {
        const ref = f[k];
        if (ref === 'Infinity' || ref === null) {
          expect(r[k]).toBe('Infinity');
          continue;
        }
        expect(r[k]).not.toBeNull();
        if (!correctToDigits(r[k] as string, ref, DIGITS)) throw new Error(`${k}: got ${r[k]}, reference ${ref} (${agree(r[k] as string, ref).toFixed(1)} digits)`);
      }
    });
  }
  test('float64 interpretation agrees with the references to ~1e-12', () => {
    const f = fx.fixed_point[0];
    const r = fixedPoint(float64Interp, activation(f.act), f.sw2, f.sb2);
    expect(Math.abs(r.q_star - Number(f.q_star)) / Number(f.q_star)).toBeLessThan(1e-12);
    expect(Math.abs(r.chi1 - Number(f.chi1))).toBeLessThan(1e-12);
  });
});

describe('critical line against mpmath', () => {
  for (const c of fx.critical) {
    test(`${c.act} sb2=${c.sb2}: sw2 and q* to ${DIGITS} digits`, () => {
      const r = critical(c.act, c.sb2, { digits: DIGITS });
      expect(correctToDigits(r.sw2, c.sw2, DIGITS)).toBe(true);
      expect(correctToDigits(r.q_star!, c.q_star, DIGITS)).toBe(true);
    });
  }
  test('relu: sw2 = 2 at sb2 = 0 with every q a fixed point; at sb2 > 0 a clear error', () => {
    expect(critical('relu', 0).sw2).toBe('2');
    expect(critical('relu', 0).q_star).toBeNull();
    expect(() => critical('relu', '0.1')).toThrow(/--sb2: .*homogeneous/);
  });
  test('chaotic phase: c* < 1 solves the correlation map, and chi1 > 1', () => {
    const r = fixedPointAnalysis('erf', '4', '0.1', { digits: 16 });
    expect(Number(r.chi1)).toBeGreaterThan(1);
    expect(Number(r.c_star)).toBeLessThan(1);
  });
});

describe('edge cases of the fixed point and the critical line', () => {
  test('critical line at sb2 = 0 for odd smooth activations: q* = 0, sw2 = 1/phi\'(0)^2 (erf: pi/4, tanh: 1)', () => {
    const e = critical('erf', '0', { digits: 20 });
    expect(e.q_star).toBe('0');
    expect(e.sw2).toBe('0.78539816339744830962'); // pi/4 (mpmath)
    expect(critical('tanh', '0', { digits: 20 }).sw2).toBe('1');
  });
  test('relu at sw2 = 2: sb2 > 0 has no fixed point (q grows by sb2 per layer); sb2 = 0 makes every q a fixed point', () => {
    expect(() => fixedPointAnalysis('relu', '2', '0.1', { digits: 10 })).toThrow(/no finite length fixed point/);
    const r = fixedPointAnalysis('relu', '2', '0', { digits: 10 });
    expect(r.q_star).toBeNull();
    expect(r.chi1).toBe('1');
    expect(fixedPointAnalysis('relu', '1.5', '0.1', { digits: 10 }).q_star).toBe('0.4');
  });
});
