/**
 * Numeric parameters typed by a user: parsed from text, checked against their range, InputError
 * (one line, exit code 2) otherwise. Kept free of heavy imports: the option parser uses it.
 */
import { InputError } from './errors';

const DECIMAL_RE = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Parse a real parameter given as text or number; returns its canonical decimal string. */
export function realParam(name: string, v: string | number, range: { min?: number; max?: number; minExclusive?: boolean; what: string }): string {
  const text = typeof v === 'number' ? String(v) : v.trim();
  if (!DECIMAL_RE.test(text)) throw new InputError(name, `expected a real number ${range.what}, got "${text}"`);
  const x = Number(text);
  if (!Number.isFinite(x)) throw new InputError(name, `expected a finite real number ${range.what}, got "${text}"`);
  if (range.min !== undefined && (range.minExclusive ? x <= range.min : x < range.min)) {
    throw new InputError(name, `must be ${range.what}, got ${text}`);
  }
  if (range.max !== undefined && x > range.max) throw new InputError(name, `must be ${range.what}, got ${text}`);
  return text.replace(/^\+/, '');
}

/** Parse an integer parameter in [min, max]. */
export function intParam(name: string, v: string | number, min: number, max: number): number {
  const text = typeof v === 'number' ? String(v) : v.trim();
  // 1e7 and 100.0 are integers too; 2.5, 1e309 and NaN are not
  const n = DECIMAL_RE.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(n)) throw new InputError(name, `expected an integer in ${min}..${max}, got "${text}"`);
  if (n < min || n > max) throw new InputError(name, `must be an integer in ${min}..${max}, got ${text}`);
  return n;
}
