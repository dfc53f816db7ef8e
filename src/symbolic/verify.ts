/**
 * Verification harness: identities and derivatives are checked numerically in decimal.js at
 * random (seeded, reproducible) points. Derivatives are checked against an independent
 * numerical derivative — central differences with Richardson extrapolation at twice the
 * working precision — that never calls our symbolic diff.
 */
import Decimal from 'decimal.js';
import { Expr, freeSymbols, SymbolicError } from './expr';
import { compileDecimalRaw, DecimalCtor } from './compile';
import { toString } from './print';

export interface VerifyOptions {
  /** Sampling interval for every free symbol. */
  domain: Record<string, [number, number]>;
  /** Number of random points (default 12). */
  points?: number;
  /** Working digits (default 40); agreement required to digits - 5 significant digits. */
  digits?: number;
  /** Seed of the point generator (default 1). */
  seed?: number;
  /** Override the tolerance (relative to the scale of the terms). */
  tol?: number;
}

export interface VerifyResult {
  ok: boolean;
  /** Largest error relative to the scale of the terms, over the checked points. */
  maxRelErr: number;
  /** The point of the largest error (decimal strings). */
  worst?: Record<string, string>;
  /** Points checked / skipped (both sides undefined there, e.g. outside a domain). */
  checked: number;
  skipped: number;
  /** Why ok is false, in one line. */
  reason?: string;
}

export class VerificationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VerificationError';
  }
}

/** Seeded PRNG (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function ctor(digits: number): DecimalCtor {
  return Decimal.clone({ precision: digits, rounding: Decimal.ROUND_HALF_EVEN, toExpNeg: -9e15, toExpPos: 9e15 });
}

function samplePoints(vars: string[], opts: VerifyOptions, D: DecimalCtor): Array<Record<string, Decimal>> {
  for (const v of vars) if (!opts.domain[v]) throw new SymbolicError(`verify: no domain given for symbol '${v}'`);
  const next = rng(opts.seed ?? 1);
  const n = opts.points ?? 12;
  const pts: Array<Record<string, Decimal>> = [];
  for (let i = 0; i < n; i++) {
    const p: Record<string, Decimal> = {};
    for (const v of vars) {
      const [lo, hi] = opts.domain[v];
      const u = next() + next() / 4294967296;
      p[v] = new D(String(lo)).plus(new D(String(hi)).minus(String(lo)).times(u.toPrecision(17))).toSignificantDigits(20);
    }
    pts.push(p);
  }
  return pts;
}

type Evaluator = (D: DecimalCtor, p: Record<string, Decimal>) => Decimal;

function evaluator(e: Expr, vars: string[]): Evaluator {
  const f = compileDecimalRaw(e, vars);
  return (D, p) => {
    try {
      return f(D, vars.map((v) => new D(p[v])));
    } catch {
      return new D(NaN);
    }
  };
}

/** max |term| over the top-level terms of a sum (|e| otherwise). */
function termScale(e: Expr, vars: string[]): Evaluator {
  const parts = e.kind === 'add' ? e.terms.map((t) => evaluator(t, vars)) : [evaluator(e, vars)];
  return (D, p) => {
    let m = new D(0);
    for (const f of parts) {
      const x = f(D, p).abs();
      if (x.isFinite() && x.gt(m)) m = x;
    }
    return m;
  };
}

const bad = (x: Decimal) => !x.isFinite();

function pointStrings(p: Record<string, Decimal>): Record<string, string> {
  const o: Record<string, string> = {};
  for (const k of Object.keys(p)) o[k] = p[k].toString();
  return o;
}

function relErrNumber(diff: Decimal, scale: Decimal): number {
  if (diff.isZero()) return 0;
  if (scale.isZero()) return Infinity;
  return diff.div(scale).toNumber();
}

/** Do lhs and rhs agree (to digits - 5 significant digits) at random points of the domain? */
export function verifyIdentity(lhs: Expr, rhs: Expr, opts: VerifyOptions): VerifyResult {
  const digits = opts.digits ?? 40;
  const D = ctor(digits + 10);
  const vars = [...new Set([...freeSymbols(lhs), ...freeSymbols(rhs)])].sort();
  const tol = opts.tol ?? Math.pow(10, -(digits - 5));
  const fl = evaluator(lhs, vars);
  const fr = evaluator(rhs, vars);
  const sl = termScale(lhs, vars);
  const sr = termScale(rhs, vars);
  const res: VerifyResult = { ok: true, maxRelErr: 0, checked: 0, skipped: 0 };
  for (const p of samplePoints(vars, opts, D)) {
    const L = fl(D, p);
    const R = fr(D, p);
    if (bad(L) && bad(R)) {
      res.skipped++;
      continue;
    }
    res.checked++;
    let err: number;
    if (bad(L) || bad(R)) err = Infinity;
    else {
      const scale = D.max(L.abs(), R.abs(), sl(D, p), sr(D, p));
      err = relErrNumber(L.minus(R).abs(), scale);
    }
    if (!(err <= res.maxRelErr)) {
      res.maxRelErr = err;
      res.worst = pointStrings(p);
    }
  }
  finish(res, tol);
  return res;
}

function finish(res: VerifyResult, tol: number): void {
  if (res.checked === 0) {
    res.ok = false;
    res.reason = 'no point of the domain could be evaluated';
  } else if (!(res.maxRelErr <= tol)) {
    res.ok = false;
    res.reason = `relative error ${res.maxRelErr.toExponential(2)} > ${tol.toExponential(0)} at ${JSON.stringify(res.worst)}`;
  }
}

export interface NumDerivResult {
  value: Decimal;
  /** Estimated absolute error. */
  error: Decimal;
}

/**
 * d f / d v at point p, by central differences with Richardson extrapolation, evaluated at
 * precision `prec` (use about twice the digits wanted). Step sizes shrink adaptively when
 * the extrapolation does not converge (a kink or a domain edge nearby).
 */
export function numericalDerivative(f: Evaluator, v: string, p: Record<string, Decimal>, D: DecimalCtor, wantDigits: number): NumDerivResult {
  const x0 = new D(p[v]);
  const levels = 20;
  let best: NumDerivResult = { value: new D(NaN), error: new D(Infinity) };
  const base = D.max(1, x0.abs());
  for (let attempt = 0; attempt < 4; attempt++) {
    const h0 = base.times(new D(2).pow(-(4 + 5 * attempt)));
    const T: Decimal[][] = [];
    let ok = true;
    for (let k = 0; k <= levels && ok; k++) {
      const h = h0.div(new D(2).pow(k));
      const q = { ...p };
      q[v] = x0.plus(h);
      const fp = f(D, q);
      q[v] = x0.minus(h);
      const fm = f(D, q);
      if (bad(fp) || bad(fm)) {
        ok = false;
        break;
      }
      T.push([fp.minus(fm).div(h.times(2))]);
    }
    if (!ok) continue;
    // Richardson: eliminate h^2, h^4, ...
    for (let j = 1; j <= levels; j++) {
      const c = new D(4).pow(j);
      for (let k = 0; k + j <= levels; k++) {
        T[k][j] = T[k + 1][j - 1].times(c).minus(T[k][j - 1]).div(c.minus(1));
      }
    }
    // Error estimate: spread of the last few diagonal entries.
    const diag = (j: number) => T[0][j];
    let err = diag(levels).minus(diag(levels - 1)).abs();
    err = D.max(err, diag(levels - 1).minus(diag(levels - 2)).abs());
    const val = diag(levels);
    if (err.lt(best.error)) best = { value: val, error: err };
    const scale = D.max(val.abs(), 1e-30);
    if (err.lte(scale.times(new D(10).pow(-(wantDigits + 3))))) break;
  }
  return best;
}

/**
 * Check a claimed derivative d f / d v against the numerical derivative of f (computed at
 * 2 x digits precision, independently of our diff) at random points.
 */
export function verifyDerivative(f: Expr, v: string, claimed: Expr, opts: VerifyOptions): VerifyResult {
  const digits = opts.digits ?? 40;
  const D = ctor(digits + 10);
  const D2 = ctor(2 * digits + 10);
  const vars = [...new Set([...freeSymbols(f), ...freeSymbols(claimed), v])].sort();
  const tol = opts.tol ?? Math.pow(10, -(digits - 5));
  const ff = evaluator(f, vars);
  const fc = evaluator(claimed, vars);
  const sc = termScale(claimed, vars);
  const sf = termScale(f, vars);
  const res: VerifyResult = { ok: true, maxRelErr: 0, checked: 0, skipped: 0 };
  for (const p of samplePoints(vars, opts, D)) {
    const C = fc(D, p);
    const p2: Record<string, Decimal> = {};
    for (const k of Object.keys(p)) p2[k] = new D2(p[k]);
    const nd = numericalDerivative(ff, v, p2, D2, digits);
    const N = new D(nd.value);
    if (bad(C) && bad(N)) {
      res.skipped++;
      continue;
    }
    res.checked++;
    let err: number;
    if (bad(C) || bad(N)) err = Infinity;
    else {
      const xs = D.max(1, p[v].abs());
      const scale = D.max(C.abs(), N.abs(), sc(D, p), sf(D, p).div(xs));
      err = relErrNumber(C.minus(N).abs(), scale);
    }
    if (!(err <= res.maxRelErr)) {
      res.maxRelErr = err;
      res.worst = pointStrings(p);
    }
  }
  finish(res, tol);
  return res;
}

/**
 * Taylor coefficients c_0..c_order of f in v around `at` (numbers, other symbols fixed at p),
 * computed numerically: central differences of order k with Richardson extrapolation, at a
 * precision high enough for the k-th difference quotient.
 */
export function numericalTaylorCoefficients(
  f: Expr, v: string, order: number, at: number | string, fixed: Record<string, number | string> = {}, digits = 40,
): Decimal[] {
  const vars = [...new Set([...freeSymbols(f), v])].sort();
  const levels = 20;
  const h0digits = 1; // h0 = 1/8
  const prec = Math.ceil(digits + 15 + order * (levels * Math.log10(2) + h0digits + 1));
  const D = ctor(prec);
  const ev = evaluator(f, vars);
  const x0 = new D(String(at));
  const p: Record<string, Decimal> = {};
  for (const k of vars) if (k !== v) {
    if (fixed[k] === undefined) throw new SymbolicError(`numericalTaylorCoefficients: no value for symbol '${k}'`);
    p[k] = new D(String(fixed[k]));
  }
  const h0 = new D(1).div(8);
  // T[k][level] for derivative order k
  const est: Decimal[][] = Array.from({ length: order + 1 }, () => []);
  for (let lv = 0; lv <= levels; lv++) {
    const h = h0.div(new D(2).pow(lv));
    // values at x0 + i*h/2, i = -order..order
    const vals = new Map<number, Decimal>();
    const at_ = (i: number): Decimal => {
      let r = vals.get(i);
      if (!r) {
        r = ev(D, { ...p, [v]: x0.plus(h.times(i).div(2)) });
        vals.set(i, r);
      }
      return r;
    };
    for (let k = 0; k <= order; k++) {
      // delta^k f(x0) = sum_j (-1)^j C(k,j) f(x0 + (k/2 - j) h)
      let s = new D(0);
      let binom = new D(1);
      for (let j = 0; j <= k; j++) {
        const term = at_(k - 2 * j).times(binom);
        s = j % 2 === 0 ? s.plus(term) : s.minus(term);
        binom = binom.times(k - j).div(j + 1);
      }
      est[k].push(s.div(h.pow(k)));
    }
  }
  const out: Decimal[] = [];
  let fact = new D(1);
  for (let k = 0; k <= order; k++) {
    if (k > 0) fact = fact.times(k);
    const T: Decimal[][] = est[k].map((x) => [x]);
    for (let j = 1; j <= levels; j++) {
      const c = new D(4).pow(j);
      for (let i = 0; i + j <= levels; i++) T[i][j] = T[i + 1][j - 1].times(c).minus(T[i][j - 1]).div(c.minus(1));
    }
    out.push(new (ctor(digits + 10))(T[0][levels].div(fact)));
  }
  return out;
}

/** Throw a VerificationError unless the result is ok. */
export function assertVerified(res: VerifyResult, what: string): VerifyResult {
  if (!res.ok) throw new VerificationError(`verification failed: ${what}: ${res.reason ?? 'not verified'}`);
  return res;
}

/** verifyIdentity that throws (for derivations). */
export function assertIdentity(lhs: Expr, rhs: Expr, opts: VerifyOptions, what?: string): VerifyResult {
  return assertVerified(verifyIdentity(lhs, rhs, opts), what ?? `${toString(lhs)} = ${toString(rhs)}`);
}

/** verifyDerivative that throws (for derivations). */
export function assertDerivative(f: Expr, v: string, claimed: Expr, opts: VerifyOptions, what?: string): VerifyResult {
  return assertVerified(verifyDerivative(f, v, claimed, opts), what ?? `d/d${v} ${toString(f)} = ${toString(claimed)}`);
}
