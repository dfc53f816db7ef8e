/**
 * Mean-field kernels against independent mpmath references (test/fixtures/make_kernels.py):
 * closed-form activations to 40 significant digits at depth 50, quadrature activations to 20
 * digits at depth 10. Also: float64 against Decimal, and the three interpretations agreeing.
 */
import Decimal from 'decimal.js';
import * as path from 'path';
import * as fs from 'fs';
import { kernel, kernel64 } from '../src/api';
import { correctToDigits } from './digits';

interface KernelCase {
  act: string; alpha: string; sw2: string; sb2: string; q0: string; c0: string; depth: number;
  skip: string; scaling: string; digits: number; q: string[]; k12: string[]; c: string[];
}
const fixtures = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'kernels.json'), 'utf8')) as { kernel: KernelCase[] };
const CLOSED = new Set(['relu', 'erf', 'linear', 'relu-power:2', 'relu-power:3']);

/** Number of leading significant digits on which a and b agree. */
function agreeDigits(a: string, b: string): number {
  const x = new Decimal(a);
  const y = new Decimal(b);
  if (x.eq(y)) return Infinity;
  return -Math.log10(x.minus(y).abs().div(y.abs()).toNumber());
}

describe('kernel against mpmath fixtures', () => {
  for (const fx of fixtures.kernel) {
    const closed = CLOSED.has(fx.act);
    const digits = closed ? 40 : 20;
    const label = `${fx.act} ${fx.skip} ${fx.scaling} alpha=${fx.alpha} sw2=${fx.sw2} depth=${fx.depth} @${digits} digits`;
    test(label, () => {
      const r = kernel({ act: fx.act, alpha: fx.alpha, sw2: fx.sw2, sb2: fx.sb2, q0: fx.q0, c0: fx.c0, depth: fx.depth, skip: fx.skip, scaling: fx.scaling }, { digits });
      expect(r.q).toHaveLength(fx.depth + 1);
      for (const key of ['q', 'k12', 'c'] as const) {
        for (let l = 0; l <= fx.depth; l++) {
          const got = r[key][l];
          if (!correctToDigits(got, fx[key][l], digits)) {
            throw new Error(`${key}[${l}]: got ${got}, reference ${fx[key][l]} (agree to ${agreeDigits(got, fx[key][l]).toFixed(1)} digits)`);
          }
        }
      }
    });
  }
});

describe('float64 interpretation', () => {
  test('erf depth 50 matches the verified Decimal run to ~1e-13', () => {
    const opts = { act: 'erf', alpha: '0.3', sw2: '1.5', sb2: '0.05', q0: '1', c0: '0.6', depth: 50 };
    const f = kernel64(opts);
    const d = kernel(opts, { digits: 20 });
    for (let l = 0; l <= 50; l++) {
      expect(Math.abs(f.q[l] - Number(d.q[l])) / Number(d.q[l])).toBeLessThan(1e-13);
      expect(Math.abs(f.c[l] - Number(d.c[l]))).toBeLessThan(1e-13);
    }
  });
  test('tanh depth 10 (quadrature) matches Decimal to ~1e-11', () => {
    const opts = { act: 'tanh', alpha: '0.7', sw2: '2', sb2: '0', q0: '1', c0: '0.5', depth: 10 };
    const f = kernel64(opts);
    const d = kernel(opts, { digits: 16 });
    for (let l = 0; l <= 10; l++) expect(Math.abs(f.k12[l] - Number(d.k12[l])) / Math.abs(Number(d.k12[l]))).toBeLessThan(1e-11);
  });
  test('scaling variance with alpha^2 equals amplitude with alpha', () => {
    const a = kernel64({ act: 'erf', alpha: '0.3', depth: 20 });
    const b = kernel64({ act: 'erf', alpha: '0.09', scaling: 'variance', depth: 20 });
    for (let l = 0; l <= 20; l++) expect(a.q[l]).toBeCloseTo(b.q[l], 13);
  });
  test('relu residual: diagonal recursion K^l = K^(l-1) (1 + alpha^2 sw2/2) + alpha^2 sb2 exactly', () => {
    const f = kernel64({ act: 'relu', alpha: '0.5', sw2: '2', sb2: '0.1', depth: 30 });
    let q = 1;
    for (let l = 1; l <= 30; l++) {
      q = q * (1 + 0.25) + 0.025;
      expect(f.q[l] / q - 1).toBeLessThan(1e-14);
    }
  });
});
