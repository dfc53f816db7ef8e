/** Exact rational arithmetic on bigint pairs (denominator > 0, gcd 1). */

export interface Rat {
  readonly n: bigint;
  readonly d: bigint;
}

export function bgcd(a: bigint, b: bigint): bigint {
  if (a < 0n) a = -a;
  if (b < 0n) b = -b;
  while (b !== 0n) {
    const t = a % b;
    a = b;
    b = t;
  }
  return a;
}

export function babs(a: bigint): bigint {
  return a < 0n ? -a : a;
}

export function rat(n: bigint, d: bigint = 1n): Rat {
  if (d === 0n) throw new RangeError('rational with zero denominator');
  if (d < 0n) {
    n = -n;
    d = -d;
  }
  const g = bgcd(n, d);
  if (g > 1n) {
    n /= g;
    d /= g;
  }
  return { n, d };
}

export const rAdd = (a: Rat, b: Rat): Rat => (a.d === b.d ? rat(a.n + b.n, a.d) : rat(a.n * b.d + b.n * a.d, a.d * b.d));
export const rMul = (a: Rat, b: Rat): Rat => rat(a.n * b.n, a.d * b.d);
export const rNeg = (a: Rat): Rat => ({ n: -a.n, d: a.d });
export const rCmp = (a: Rat, b: Rat): number => {
  const l = a.n * b.d;
  const r = b.n * a.d;
  return l < r ? -1 : l > r ? 1 : 0;
};
export const rIsInt = (a: Rat): boolean => a.d === 1n;

/** Truncation toward zero. */
export function rTrunc(a: Rat): bigint {
  return a.n / a.d; // bigint division truncates toward zero
}

export function bpow(b: bigint, e: bigint): bigint {
  let r = 1n;
  let x = b;
  let k = e;
  while (k > 0n) {
    if (k & 1n) r *= x;
    x *= x;
    k >>= 1n;
  }
  return r;
}

/** Integer k-th root if exact, else undefined (a >= 0). */
export function exactRoot(a: bigint, k: number): bigint | undefined {
  if (a < 0n) return undefined;
  if (a < 2n) return a;
  const kb = BigInt(k);
  // Newton iteration on bigints, starting from a float estimate.
  let x = BigInt(Math.floor(Math.pow(Number(a), 1 / k))) + 1n;
  if (x < 1n) x = 1n;
  // If a is huge, Number(a) is Infinity: fall back to bit-length estimate.
  if (!Number.isFinite(Math.pow(Number(a), 1 / k))) x = 1n << BigInt(Math.ceil(a.toString(2).length / k) + 1);
  for (let i = 0; i < 2000; i++) {
    const y = ((kb - 1n) * x + a / bpow(x, kb - 1n)) / kb;
    if (y >= x) break;
    x = y;
  }
  while (bpow(x, kb) > a) x -= 1n;
  while (bpow(x + 1n, kb) <= a) x += 1n;
  return bpow(x, kb) === a ? x : undefined;
}

/**
 * Factor a positive integer by trial division up to `limit`; the remaining cofactor (> 1) is
 * returned as one extra "prime" (it may be composite, but it has no factor below `limit`).
 */
export function factorize(m: bigint, limit = 10000): Array<[bigint, bigint]> {
  const out: Array<[bigint, bigint]> = [];
  let x = m;
  const push = (p: bigint) => {
    let e = 0n;
    while (x % p === 0n) {
      x /= p;
      e += 1n;
    }
    if (e > 0n) out.push([p, e]);
  };
  push(2n);
  push(3n);
  for (let p = 5n; p <= BigInt(limit) && p * p <= x; p += 6n) {
    push(p);
    push(p + 2n);
  }
  if (x > 1n) {
    // The cofactor may be a perfect power of a large prime.
    let base = x;
    let exp = 1n;
    for (let k = 2; k <= 64; k++) {
      if ((1n << BigInt(k)) > base) break;
      const r = exactRoot(base, k);
      if (r !== undefined) {
        base = r;
        exp *= BigInt(k);
        k = 1;
      }
    }
    out.push([base, exp]);
  }
  return out;
}

/** Parse a decimal string (optionally with exponent) into an exact rational. */
export function ratFromDecimalString(s: string): Rat | undefined {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(s.trim());
  if (!m) return undefined;
  const [, sign, ip, fp = '', ex] = m;
  if (ip === '' && fp === '') return undefined;
  const digits = (ip || '0') + fp;
  let n = BigInt(digits);
  let d = 10n ** BigInt(fp.length);
  const e = ex ? parseInt(ex, 10) : 0;
  if (Math.abs(e) > 100000) return undefined;
  if (e > 0) n *= 10n ** BigInt(e);
  else if (e < 0) d *= 10n ** BigInt(-e);
  if (sign === '-') n = -n;
  return rat(n, d);
}
