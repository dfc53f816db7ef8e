/**
 * Independent reference values: sympy + mpmath (test/fixtures/symbolic_reference.py) for
 * values, first and second derivatives and Taylor coefficients, compared with our parse,
 * diff, series and Decimal evaluation at 40 digits.
 */
import Decimal from 'decimal.js';
import * as fs from 'fs';
import * as path from 'path';
import {
  parse, diff, simplify, nthDiff, seriesCoefficients, compileDecimal, evalDecimal, toString,
} from '../src/symbolic';

interface Point { x: string; y: string; f: string; d1: string; d2: string }
interface Case { expr: string; points: Point[]; taylor?: Array<{ exact: string | null; value: string }> }
const ref: { digits: number; cases: Case[]; constants: Record<string, string> } = JSON.parse(
  fs.readFileSync(path.join(__dirname, 'fixtures', 'symbolic_reference.json'), 'utf8'),
);

const D = Decimal.clone({ precision: 50 });

function close(got: Decimal, want: string, digits = 36): void {
  const w = new D(want);
  const scale = Decimal.max(w.abs(), new D('1e-30'));
  const rel = got.minus(w).abs().div(scale);
  if (!rel.lte(new D(10).pow(-digits))) {
    throw new Error(`got ${got.toSignificantDigits(42).toString()} want ${want} (rel ${rel.toExponential(3)})`);
  }
}

describe('sympy/mpmath reference values', () => {
  for (const c of ref.cases) {
    test(`value, d/dx and d2/dx2 of ${c.expr}`, () => {
      const e = parse(c.expr);
      const d1 = simplify(diff(e, 'x'));
      const d2 = nthDiff(e, 'x', 2);
      const f0 = compileDecimal(e, ['x', 'y']);
      const f1 = compileDecimal(d1, ['x', 'y']);
      const f2 = compileDecimal(d2, ['x', 'y']);
      for (const p of c.points) {
        const args = [new D(p.x), new D(p.y)];
        close(f0(...args), p.f);
        close(f1(...args), p.d1);
        close(f2(...args), p.d2);
      }
    });
    if (c.taylor) {
      const taylor = c.taylor;
      test(`Taylor coefficients of ${c.expr} at 0`, () => {
        const cs = seriesCoefficients(parse(c.expr), 'x', taylor.length - 1);
        cs.forEach((ck, k) => {
          const want = taylor[k];
          if (want.exact !== null) expect(toString(ck)).toBe(want.exact);
          close(evalDecimal(ck, 45), want.value, 36);
        });
      });
    }
  }

  test('40-digit constants', () => {
    for (const [src, want] of Object.entries(ref.constants)) {
      const got = evalDecimal(parse(src), 40);
      expect(got.toSignificantDigits(40).toFixed(39 - Math.floor(Math.log10(Math.abs(Number(want)))))).toBe(
        new Decimal(want).toFixed(39 - Math.floor(Math.log10(Math.abs(Number(want))))),
      );
    }
  });
});
