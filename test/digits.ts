/** Test helper: is `got` (printed to `digits` significant digits) correct against a longer reference? */
import Decimal from 'decimal.js';

/**
 * True when |got - ref| <= 1 unit in the last printed place (`digits` significant digits):
 * a correctly rounded value is within half a unit, and one unit allows for a reference that sits
 * on a rounding boundary.
 */
export function correctToDigits(got: string, ref: string, digits: number): boolean {
  const g = new Decimal(got);
  const r = new Decimal(ref);
  if (r.isZero()) return g.isZero();
  const ulp = new Decimal(10).pow(r.abs().log(10).floor().toNumber() - digits + 1);
  return g.minus(r).abs().lte(ulp);
}
