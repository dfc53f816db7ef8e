/**
 * "A numeric result at D digits is verified when a run at more digits agrees to D digits"
 * (THEORY.md section 5). `verifiedDecimal` runs a computation twice in decimal.js with different
 * working precisions and quadrature accuracies, compares every number, and returns decimal
 * strings rounded to D significant digits — or throws, naming the entry that did not agree.
 */
import Decimal from 'decimal.js';
import { decimalInterp, Interpretation } from '../interpret/numeric';
import { NumericalError } from '../model/errors';
import { significant } from '../numeric/field';

export type DecValue = Decimal | null | DecValue[];
export type DecRecord = Record<string, DecValue>;
export type StrValue = string | null | StrValue[];

export interface VerifiedResult {
  values: Record<string, StrValue>;
  digits: number;
  /** Smallest number of significant digits on which the two runs agreed (>= digits). */
  agreedDigits: number;
}

interface Pass {
  precision: number;
  quadDigits: number;
}

/** The two passes used for D requested digits; a third, finer pass if the first two disagree. */
export function passesFor(digits: number): Pass[] {
  return [
    { precision: digits + 8, quadDigits: digits + 3 },
    { precision: digits + 14, quadDigits: digits + 6 },
    { precision: digits + 30, quadDigits: digits + 16 },
  ];
}

export function verifiedDecimal(digits: number, compute: (I: Interpretation<Decimal>) => DecRecord): VerifiedResult {
  const passes = passesFor(digits);
  let prev = compute(decimalInterp(passes[0].precision, passes[0].quadDigits));
  let lastFailure = '';
  for (let p = 1; p < passes.length; p++) {
    const next = compute(decimalInterp(passes[p].precision, passes[p].quadDigits));
    const cmp = compareRecords(prev, next, digits);
    if (cmp.ok) {
      return { values: formatRecord(next, digits), digits, agreedDigits: cmp.agreed };
    }
    lastFailure = cmp.where;
    prev = next;
  }
  throw new NumericalError(`could not verify ${digits} significant digits: ${lastFailure} changed between working precisions`);
}

function compareRecords(a: DecRecord, b: DecRecord, digits: number): { ok: boolean; agreed: number; where: string } {
  let agreed = Infinity;
  for (const key of Object.keys(b)) {
    const r = compareValues(a[key], b[key], digits, key);
    if (!r.ok) return { ok: false, agreed: 0, where: r.where };
    agreed = Math.min(agreed, r.agreed);
  }
  return { ok: true, agreed: Number.isFinite(agreed) ? agreed : digits, where: '' };
}

function compareValues(a: DecValue | undefined, b: DecValue, digits: number, where: string): { ok: boolean; agreed: number; where: string } {
  if (Array.isArray(b)) {
    if (!Array.isArray(a) || a.length !== b.length) return { ok: false, agreed: 0, where };
    let agreed = Infinity;
    for (let i = 0; i < b.length; i++) {
      const r = compareValues(a[i], b[i], digits, `${where}[${i}]`);
      if (!r.ok) return r;
      agreed = Math.min(agreed, r.agreed);
    }
    return { ok: true, agreed, where };
  }
  if (b === null || a === null || a === undefined || Array.isArray(a)) {
    return { ok: a === b, agreed: Infinity, where };
  }
  if (!a.isFinite() || !b.isFinite()) return { ok: false, agreed: 0, where: `${where} (not finite)` };
  const diff = a.minus(b).abs();
  if (diff.isZero()) return { ok: true, agreed: Infinity, where };
  if (b.isZero()) return { ok: false, agreed: 0, where };
  const agreed = -Math.log10(diff.div(b.abs()).toNumber() || Number.MIN_VALUE);
  // Relative agreement to one digit beyond those printed, so that rounding to `digits` is safe.
  return { ok: agreed >= digits + 1, agreed: Math.floor(agreed), where };
}

function formatRecord(r: DecRecord, digits: number): Record<string, StrValue> {
  const out: Record<string, StrValue> = {};
  for (const [k, v] of Object.entries(r)) out[k] = formatValue(v, digits);
  return out;
}

function formatValue(v: DecValue, digits: number): StrValue {
  if (v === null) return null;
  if (Array.isArray(v)) return v.map((x) => formatValue(x, digits));
  return significant(v, digits);
}
