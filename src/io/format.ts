/**
 * Printed numbers and text tables: the one place their conventions are written down. The tests
 * compare printed digits, so each convention below is kept exactly where the commands use it.
 *
 *   formatNumber   d significant digits, rounded in Decimal, trailing zeros dropped; exponent form
 *                  (4.65664736798e16) only when plain notation would print non-significant zeros
 *   formatMaybe    formatNumber, null for a missing value (a non-finite one printed as text)
 *   formatFinite   formatNumber, null for a missing or non-finite value (JSON null, "-" in tables)
 *   formatTrimmed  toPrecision with trailing zeros dropped (JavaScript exponent form 1.5e+16),
 *                  +-Infinity as text, NaN refused (the cnn commands)
 *   formatPadded   toPrecision as it is, trailing zeros kept so columns line up, "-" (or another
 *                  mark) for a missing value (the validate tables, the HTML report)
 *   formatZ        a z-score with two decimals, "-" (or another mark) for a missing one
 *   textTable      columns padded to their widest cell
 */
import Decimal from 'decimal.js';
import { NumericalError } from '../model/errors';

/** Shortest faithful decimal string of a float64 value at `digits` significant digits. */
export function formatNumber(x: number, digits = 16): string {
  if (!Number.isFinite(x)) return String(x);
  const d = Math.min(Math.max(digits, 1), 17);
  return significant(new Decimal(x.toPrecision(d)), d);
}

/**
 * `v` rounded to `digits` significant digits, in plain decimal notation unless that would print
 * zeros that are not significant (an integer part longer than `digits`): then in exponent form,
 * e.g. 4.65664736798e16 rather than 46566473679800000.
 */
export function significant(v: Decimal, digits: number): string {
  const r = v.toSignificantDigits(digits);
  if (r.isFinite() && !r.isZero() && r.e >= digits) return r.toExponential(digits - 1).replace('e+', 'e');
  return r.toString();
}

/** formatNumber, or null when there is no value (null or undefined); Infinity and NaN as text. */
export function formatMaybe(x: number | null | undefined, digits: number): string | null {
  return x === null || x === undefined ? null : formatNumber(x, digits);
}

/** formatNumber, or null when there is no finite value. */
export function formatFinite(x: number | null | undefined, digits: number): string | null {
  return x === null || x === undefined || !Number.isFinite(x) ? null : formatNumber(x, digits);
}

/** A finite float with `digits` significant digits (toPrecision, trailing zeros dropped); Infinity as text, NaN refused. */
export function formatTrimmed(x: number, digits = 12): string {
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  if (!Number.isFinite(x)) throw new NumericalError(`a non-finite value (${x}) reached the output`);
  if (x === 0) return '0';
  const s = x.toPrecision(digits);
  const trim = (m: string) => (m.includes('.') ? m.replace(/0+$/, '').replace(/\.$/, '') : m);
  if (s.includes('e')) {
    const [m, e] = s.split('e');
    return `${trim(m)}e${e}`;
  }
  return trim(s);
}

/** toPrecision as it is (trailing zeros kept), `missing` for no value, Infinity and NaN as text. */
export function formatPadded(x: number | null | undefined, digits = 6, missing = '-'): string {
  if (x === null || x === undefined) return missing;
  if (!Number.isFinite(x)) return String(x);
  return x.toPrecision(digits);
}

/** A z-score with two decimals (toFixed(2)); `missing` for no value, Infinity and NaN as text. */
export function formatZ(z: number | null, missing = '-'): string {
  if (z === null) return missing;
  if (!Number.isFinite(z)) return String(z);
  return z.toFixed(2);
}

export interface TableLayout {
  /** Prefix of every line (default none). */
  indent?: string;
  /** "first": the first column right-aligned, the others left-aligned (default); "right": every column right-aligned. */
  align?: 'first' | 'right';
  /** With align "right": these columns left-aligned instead (e.g. a column of labels). */
  left?: number[];
}

/** A text table: a header, a rule of dashes, the rows; columns two spaces apart. */
export function textTable(header: string[], rows: string[][], layout: TableLayout = {}): string {
  const indent = layout.indent ?? '';
  const widths = header.map((h, j) => Math.max(h.length, ...rows.map((r) => r[j].length)));
  const right = layout.align === 'right';
  const leftCol = (j: number) => (right ? (layout.left ?? []).includes(j) : j !== 0);
  const line = (r: string[]) => indent + r.map((x, j) => (leftCol(j) ? x.padEnd(widths[j]) : x.padStart(widths[j]))).join('  ');
  return [line(header), indent + widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n') + '\n';
}
