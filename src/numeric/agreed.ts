/**
 * Printing a number computed twice (two grid resolutions, or a closed form and a quadrature)
 * with only the digits on which the two evaluations agree.
 */
import { NumericalError } from '../model/errors';
import { formatNumber } from '../io/format';

/**
 * x printed with the digits on which it agrees with y (at most 12). `scale` is the size of the
 * quantity x belongs to (e.g. its array up to this layer): the two evaluations must agree to 1e-3
 * of it, else a NumericalError (the computation does not resolve it). An entry near a zero
 * crossing keeps only the digits that agree (at least one); one smaller than the disagreement, or
 * at the float64 noise level of `scale`, prints as 0 (zero to the accuracy of the computation).
 */
export function agreedDigits(x: number | null, y: number | null | undefined, scale: number, where: string): string | null {
  if (x === null || x === undefined) return null;
  if (y === null || y === undefined || !Number.isFinite(x) || !Number.isFinite(y)) throw new NumericalError(`one-loop ${where}: the two evaluations disagree`);
  const diff = Math.abs(x - y);
  if (diff === 0) return formatNumber(x, 12);
  const size = Math.max(scale, Math.abs(x));
  if (diff > 1e-3 * size) throw new NumericalError(`one-loop ${where}: two grid resolutions agree to fewer than 3 digits (${x} vs ${y})`);
  if (Math.abs(x) <= Math.max(1e-12 * size, diff)) return '0';
  const digits = Math.min(12, Math.floor(-Math.log10(diff / Math.abs(x))));
  return formatNumber(x, Math.max(1, digits));
}

/**
 * An array (index = layer) printed entry by entry with agreedDigits; the scale of entry l is the
 * largest |entry| up to l, or `scales[l]` when given.
 */
export function agreedArray(xs: (number | null)[], ys: (number | null)[] | undefined, name: string, scales?: number[]): (string | null)[] {
  let running = 0;
  return xs.map((x, l) => {
    running = Math.max(running, Math.abs(x ?? 0));
    return agreedDigits(x, ys?.[l], scales ? scales[l] : running, `${name}[${l}]`);
  });
}

/**
 * agreedArray, but an entry on whose digits the two evaluations do not agree (to 1e-3 of its scale)
 * is null instead of stopping the whole array; `unresolved` lists those indices.
 */
export function agreedArrayOrNull(xs: (number | null)[], ys: (number | null)[] | undefined, name: string): { values: (string | null)[]; unresolved: number[] } {
  let running = 0;
  const unresolved: number[] = [];
  const values = xs.map((x, l) => {
    running = Math.max(running, Math.abs(x ?? 0));
    try {
      return agreedDigits(x, ys?.[l], running, `${name}[${l}]`);
    } catch (e) {
      if (!(e instanceof NumericalError)) throw e;
      unresolved.push(l);
      return null;
    }
  });
  return { values, unresolved };
}
