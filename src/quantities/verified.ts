/**
 * "A numeric result at D digits is verified when a run at more digits agrees to D digits"
 * (THEORY.md section 5). `verifiedDecimal` runs a computation twice in decimal.js with different
 * working precisions and quadrature accuracies, compares every number, and returns decimal
 * strings rounded to D significant digits — or throws, naming the entry that did not agree.
 */
import Decimal from 'decimal.js';
import { decimalInterp, Interpretation } from '../interpret/numeric';
import { NumericalError } from '../model/errors';
import { binaryInterp, formatBF, BF } from '../numeric/binary';
import { significant } from '../io/format';

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
  return verifyPasses(digits, (p) => compute(decimalInterp(p.precision, p.quadDigits)), decimalOps);
}

type GenValue<T> = T | null | GenValue<T>[];
export type GenRecord<T> = Record<string, GenValue<T>>;

/** What the verification needs of a value type. */
interface ValueOps<T> {
  /** -log10 |a - b| / |b|: Infinity when a = b, -Infinity when b = 0 != a, NaN when one is not finite. */
  agreement(a: T, b: T): number;
  /** The value rounded to `digits` significant digits (ROUND_HALF_EVEN), as decimal.js prints it. */
  format(v: T, digits: number): string;
}

const decimalOps: ValueOps<Decimal> = {
  agreement: (a, b) => {
    if (!a.isFinite() || !b.isFinite()) return NaN;
    const diff = a.minus(b).abs();
    if (diff.isZero()) return Infinity;
    if (b.isZero()) return -Infinity;
    return -Math.log10(diff.div(b.abs()).toNumber() || Number.MIN_VALUE);
  },
  format: (v, digits) => significant(v, digits),
};

const binaryOps: ValueOps<BF> = {
  agreement: (a, b) => {
    if (Number.isNaN(a.e) || Number.isNaN(b.e)) return NaN;
    if (a.m === b.m && a.e === b.e) return Infinity;
    if (b.m === 0n) return -Infinity;
    if (Math.abs(a.e - b.e) > 4000) return 0;
    // the exact difference, then its size relative to b in float64
    const e = Math.min(a.e, b.e);
    const diff = (a.m << BigInt(a.e - e)) - (b.m << BigInt(b.e - e));
    if (diff === 0n) return Infinity;
    const rel = Math.abs(bigRatio(diff, b.m)) * 2 ** (e - b.e);
    return -Math.log10(rel || Number.MIN_VALUE);
  },
  // the same notation as the Decimal route: exponent form when the integer part has >= digits digits
  format: (v, digits) => significant(new Decimal(formatBF(v, digits)), digits),
};

/** x / y in float64 for BigInts of any size. */
function bigRatio(x: bigint, y: bigint): number {
  const bx = bits(x);
  const by = bits(y);
  const sx = Math.max(0, bx - 60);
  const sy = Math.max(0, by - 60);
  return (Number(x >> BigInt(sx)) / Number(y >> BigInt(sy))) * 2 ** (sx - sy);
}
function bits(x: bigint): number {
  return (x < 0n ? -x : x).toString(16).length * 4;
}

/**
 * verifiedDecimal for computations that need only field operations (closed-form activations:
 * no quadrature): the passes run in binary floating point on BigInt (src/numeric/binary.ts), several
 * times faster than decimal.js, at the same working precisions, are compared exactly and printed
 * correctly rounded, as verifiedDecimal prints.
 */
export function verifiedBinary(digits: number, compute: <T>(I: Interpretation<T>) => GenRecord<T>): VerifiedResult {
  return verifyPasses(digits, (p) => compute(binaryInterp(p.precision)), binaryOps);
}

/** Run the passes until two consecutive ones agree to digits + 1; the later one, rounded. */
function verifyPasses<T>(digits: number, run: (p: Pass) => GenRecord<T>, ops: ValueOps<T>): VerifiedResult {
  const passes = passesFor(digits);
  let prev = run(passes[0]);
  let lastFailure = '';
  for (let p = 1; p < passes.length; p++) {
    const next = run(passes[p]);
    const cmp = compareRecords(prev, next, digits, ops);
    if (cmp.ok) {
      return { values: formatRecord(next, digits, ops), digits, agreedDigits: cmp.agreed };
    }
    lastFailure = cmp.where;
    prev = next;
  }
  throw new NumericalError(`could not verify ${digits} significant digits: ${lastFailure} changed between working precisions`);
}

function compareRecords<T>(a: GenRecord<T>, b: GenRecord<T>, digits: number, ops: ValueOps<T>): { ok: boolean; agreed: number; where: string } {
  let agreed = Infinity;
  for (const key of Object.keys(b)) {
    const r = compareValues(a[key], b[key], digits, key, ops);
    if (!r.ok) return { ok: false, agreed: 0, where: r.where };
    agreed = Math.min(agreed, r.agreed);
  }
  return { ok: true, agreed: Number.isFinite(agreed) ? agreed : digits, where: '' };
}

function compareValues<T>(a: GenValue<T> | undefined, b: GenValue<T>, digits: number, where: string, ops: ValueOps<T>): { ok: boolean; agreed: number; where: string } {
  if (Array.isArray(b)) {
    if (!Array.isArray(a) || a.length !== b.length) return { ok: false, agreed: 0, where };
    let agreed = Infinity;
    for (let i = 0; i < b.length; i++) {
      const r = compareValues(a[i], b[i], digits, `${where}[${i}]`, ops);
      if (!r.ok) return r;
      agreed = Math.min(agreed, r.agreed);
    }
    return { ok: true, agreed, where };
  }
  if (b === null || a === null || a === undefined || Array.isArray(a)) {
    return { ok: a === b, agreed: Infinity, where };
  }
  const agreed = ops.agreement(a, b);
  if (Number.isNaN(agreed)) return { ok: false, agreed: 0, where: `${where} (not finite)` };
  if (agreed === Infinity) return { ok: true, agreed: Infinity, where };
  // Relative agreement to one digit beyond those printed, so that rounding to `digits` is safe.
  return { ok: agreed >= digits + 1, agreed: Math.floor(agreed), where };
}

function formatRecord<T>(r: GenRecord<T>, digits: number, ops: ValueOps<T>): Record<string, StrValue> {
  const out: Record<string, StrValue> = {};
  for (const [k, v] of Object.entries(r)) out[k] = formatValue(v, digits, ops);
  return out;
}

function formatValue<T>(v: GenValue<T>, digits: number, ops: ValueOps<T>): StrValue {
  if (v === null) return null;
  if (Array.isArray(v)) return v.map((x) => formatValue(x, digits, ops));
  return ops.format(v, digits);
}
