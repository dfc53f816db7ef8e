/**
 * The expression tree shared by the whole engine, and its builders.
 *
 * Nodes are hash-consed: structurally equal live trees are the same object, and every node
 * has a small integer `id` and a short `key` (its kind and its children's ids) — equal keys
 * mean equal trees. Keys are valid within one process only (do not persist them).
 *
 * Node kinds (all immutable):
 *   num  — exact rational n/d (bigint, d > 0, gcd 1)
 *   sym  — a symbol; the names `pi` and `e` are the constants π and Euler's e
 *   add  — n-ary sum, ≥ 2 terms, at most one numeric term (first), no nested adds
 *   mul  — n-ary product, ≥ 2 factors, at most one numeric coefficient (first, ≠ 0, 1),
 *          no nested muls, at most one factor per base (x*x is x^2)
 *   pow  — base^exp, never with exp 0 or 1 (sqrt(u) is u^(1/2); numeric radicals are kept
 *          as R^(±1/Q) with an integer R > 1 free of Q-th powers)
 *   call — a named function applied to arguments: the elementary functions and every name
 *          registered through `registerFunction` (opaque functions such as E_phiphi too)
 *
 * Semantics are real: a negative base with a non-integer exponent is NaN (as Math.pow),
 * log of a negative number is NaN. The builders canonicalise lightly — flatten, fold exact
 * numbers, collect like terms and like bases, drop 0 and 1 identities, merge exponentials —
 * using only rewrites that keep the value (at most they extend a removable singularity or
 * the domain, e.g. sqrt(x)^2 -> x).
 */
import Decimal from 'decimal.js';
import {
  Rat, rat, rAdd, rMul, rNeg, rCmp, rIsInt, rTrunc, bpow, bgcd, factorize, ratFromDecimalString, babs,
} from './rational';

export interface Num {
  readonly kind: 'num';
  readonly n: bigint;
  readonly d: bigint;
  readonly key: string;
  readonly id: number;
}
export interface Sym {
  readonly kind: 'sym';
  readonly name: string;
  readonly key: string;
  readonly id: number;
}
export interface Add {
  readonly kind: 'add';
  readonly terms: readonly Expr[];
  readonly key: string;
  readonly id: number;
}
export interface Mul {
  readonly kind: 'mul';
  readonly factors: readonly Expr[];
  readonly key: string;
  readonly id: number;
}
export interface Pow {
  readonly kind: 'pow';
  readonly base: Expr;
  readonly exp: Expr;
  readonly key: string;
  readonly id: number;
}
export interface Call {
  readonly kind: 'call';
  readonly name: string;
  readonly args: readonly Expr[];
  readonly key: string;
  readonly id: number;
}
export type Expr = Num | Sym | Add | Mul | Pow | Call;

/** Errors of symbolic manipulation (division by zero, missing derivative rules, ...). */
export class SymbolicError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SymbolicError';
  }
}

// ---------------------------------------------------------------------------------------
// Function registry
// ---------------------------------------------------------------------------------------

export interface FunctionDef {
  /** Number of arguments. */
  arity: number;
  /** Partial derivative with respect to argument i (0-based), as an expression in args. */
  diff?: (args: Expr[], i: number) => Expr;
  /** float64 implementation. */
  f64?: (...xs: number[]) => number;
  /** decimal.js implementation; precision from the arguments' constructor. */
  dec?: (...xs: Decimal[]) => Decimal;
  /** LaTeX of a call, given the LaTeX of its arguments. */
  latex?: (args: string[]) => string;
  /** Exact rewrite at construction time (e.g. f(0) = 0, parity); undefined for none. */
  simplify?: (args: Expr[]) => Expr | undefined;
}

const registry = new Map<string, FunctionDef>();

/**
 * Register (or replace) a named function: its arity, partial derivatives and numeric
 * implementations. Names must be identifiers; registered names are accepted by `parse`.
 */
export function registerFunction(name: string, def: FunctionDef): void {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new SymbolicError(`invalid function name '${name}'`);
  if (name === 'pi' || name === 'e') throw new SymbolicError(`'${name}' is a constant, not a function name`);
  if (!Number.isInteger(def.arity) || def.arity < 0) throw new SymbolicError(`invalid arity for '${name}'`);
  registry.set(name, def);
}

export function getFunction(name: string): FunctionDef | undefined {
  return registry.get(name);
}

export function registeredFunctionNames(): string[] {
  return [...registry.keys()];
}

// ---------------------------------------------------------------------------------------
// Atoms
// ---------------------------------------------------------------------------------------

// ---------------------------------------------------------------------------------------
// Hash-consing: structurally equal live nodes are one object. A node's key names its kind
// and its children's ids, so keys are short and equal keys mean equal trees.
// ---------------------------------------------------------------------------------------

let nextId = 1;
const table = new Map<string, WeakRef<Expr>>();
const finalizer = new FinalizationRegistry<string>((key) => {
  const ref = table.get(key);
  if (ref && ref.deref() === undefined) table.delete(key);
});

function intern<T extends Expr>(key: string, make: (id: number) => T): T {
  const hit = table.get(key)?.deref();
  if (hit) return hit as T;
  const node = make(nextId++);
  table.set(key, new WeakRef(node));
  finalizer.register(node, key);
  return node;
}

function mkNum(r: Rat): Num {
  const key = r.d === 1n ? r.n.toString() : `${r.n}/${r.d}`;
  return intern(key, (id) => ({ kind: 'num', n: r.n, d: r.d, key, id }));
}

/**
 * An exact number. Strings are decimals or fractions ('0.05' -> 1/20, '3/4', '1e-3');
 * JS numbers are converted through their shortest decimal string (0.1 -> 1/10).
 */
export function num(x: number | string | bigint): Num {
  if (typeof x === 'bigint') return mkNum(rat(x));
  if (typeof x === 'number') {
    if (!Number.isFinite(x)) throw new SymbolicError(`num(): not a finite number: ${x}`);
    if (Number.isInteger(x) && Math.abs(x) <= Number.MAX_SAFE_INTEGER) return mkNum(rat(BigInt(x)));
    const r = ratFromDecimalString(String(x));
    if (!r) throw new SymbolicError(`num(): cannot convert ${x}`);
    return mkNum(r);
  }
  const s = x.trim();
  const frac = /^([+-]?\d+)\s*\/\s*([+-]?\d+)$/.exec(s);
  if (frac) {
    const d = BigInt(frac[2]);
    if (d === 0n) throw new SymbolicError(`num(): zero denominator in '${x}'`);
    return mkNum(rat(BigInt(frac[1]), d));
  }
  const r = ratFromDecimalString(s);
  if (!r) throw new SymbolicError(`num(): not a number: '${x}'`);
  return mkNum(r);
}

export function numRat(r: Rat): Num {
  return mkNum(rat(r.n, r.d));
}

const symCache = new Map<string, Sym>();
export function sym(name: string): Sym {
  let s = symCache.get(name);
  if (!s) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new SymbolicError(`invalid symbol name '${name}'`);
    s = { kind: 'sym', name, key: name, id: nextId++ };
    symCache.set(name, s);
  }
  return s;
}

export const ZERO = num(0);
export const ONE = num(1);
export const TWO = num(2);
export const MINUS_ONE = num(-1);
export const HALF = num('1/2');
export const PI = sym('pi');
export const E_CONST = sym('e');

export const isZero = (e: Expr): boolean => e.kind === 'num' && e.n === 0n;
export const isOne = (e: Expr): boolean => e.kind === 'num' && e.n === 1n && e.d === 1n;
export const isInteger = (e: Expr): e is Num => e.kind === 'num' && e.d === 1n;
export const isConstantSymbol = (name: string): boolean => name === 'pi' || name === 'e';

// ---------------------------------------------------------------------------------------
// Ordering
// ---------------------------------------------------------------------------------------

/** A rough polynomial degree, used to order terms (constants first, then ascending). */
const degreeCache = new WeakMap<Expr, number>();
export function degree(e: Expr): number {
  if (e.kind === 'num') return 0;
  let d = degreeCache.get(e);
  if (d === undefined) {
    d = degreeRaw(e);
    degreeCache.set(e, d);
  }
  return d;
}

function degreeRaw(e: Expr): number {
  switch (e.kind) {
    case 'num':
      return 0;
    case 'sym':
      return isConstantSymbol(e.name) ? 0 : 1;
    case 'pow':
      return e.exp.kind === 'num' ? degree(e.base) * (Number(e.exp.n) / Number(e.exp.d)) : degree(e.base) + 1;
    case 'mul':
      return e.factors.reduce((s, f) => s + degree(f), 0);
    case 'add':
      return Math.max(...e.terms.map(degree));
    case 'call':
      return 1;
  }
}

const cmpStr = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

const KIND_RANK: Record<Expr['kind'], number> = { num: 0, sym: 1, call: 1, pow: 2, mul: 3, add: 4 };

/**
 * A deterministic total order on expressions (independent of creation order): numbers by
 * value, then symbols and calls by name, then powers, products, sums; children lexicographically.
 */
export function compareExpr(a: Expr, b: Expr): number {
  if (a === b) return 0;
  const ra = KIND_RANK[a.kind];
  const rb = KIND_RANK[b.kind];
  if (ra !== rb) return ra - rb;
  switch (a.kind) {
    case 'num': {
      const bb = b as Num;
      const l = a.n * bb.d;
      const r = bb.n * a.d;
      return l < r ? -1 : l > r ? 1 : 0;
    }
    case 'sym':
    case 'call': {
      const na = a.name;
      const nb = (b as Sym | Call).name;
      if (na !== nb) return cmpStr(na, nb);
      if (a.kind !== b.kind) return a.kind === 'sym' ? -1 : 1;
      if (a.kind === 'sym') return 0;
      return compareLists(a.args, (b as Call).args);
    }
    case 'pow': {
      const bb = b as Pow;
      return compareExpr(a.base, bb.base) || compareExpr(a.exp, bb.exp);
    }
    case 'mul':
      return compareLists(a.factors, (b as Mul).factors);
    case 'add':
      return compareLists(a.terms, (b as Add).terms);
  }
}

function compareLists(xs: readonly Expr[], ys: readonly Expr[]): number {
  const n = Math.min(xs.length, ys.length);
  for (let i = 0; i < n; i++) {
    const c = compareExpr(xs[i], ys[i]);
    if (c) return c;
  }
  return xs.length - ys.length;
}

/** Split a term into numeric coefficient and the rest (the monomial). */
export function splitCoef(t: Expr): [Rat, Expr] {
  if (t.kind === 'num') return [t, ONE];
  if (t.kind === 'mul' && t.factors[0].kind === 'num') {
    const rest = t.factors.slice(1);
    return [t.factors[0], rest.length === 1 ? rest[0] : mkMulNode(rest)];
  }
  return [{ n: 1n, d: 1n }, t];
}

function termCompare(a: Expr, b: Expr): number {
  if (a.kind === 'num') return b.kind === 'num' ? 0 : -1;
  if (b.kind === 'num') return 1;
  const ma = splitCoef(a)[1];
  const mb = splitCoef(b)[1];
  const da = degree(ma);
  const db = degree(mb);
  if (da !== db) return da - db;
  return compareExpr(ma, mb) || compareExpr(a, b);
}

function factorRank(f: Expr): number {
  const b = f.kind === 'pow' ? f.base : f;
  switch (b.kind) {
    case 'num':
      return 0;
    case 'sym':
      return isConstantSymbol(b.name) ? 1 : 2;
    case 'add':
      return 3;
    case 'call':
      return 4;
    default:
      return 5;
  }
}

function factorCompare(a: Expr, b: Expr): number {
  const ra = factorRank(a);
  const rb = factorRank(b);
  if (ra !== rb) return ra - rb;
  const ba = a.kind === 'pow' ? a.base : a;
  const bb = b.kind === 'pow' ? b.base : b;
  return compareExpr(ba, bb) || compareExpr(a, b);
}

// Raw node constructors (no canonicalisation; callers guarantee invariants).
function mkAddNode(terms: Expr[]): Add {
  const key = `+${terms.map((t) => t.id).join(',')}`;
  return intern(key, (id) => ({ kind: 'add', terms, key, id }));
}
function mkMulNode(factors: Expr[]): Mul {
  const key = `*${factors.map((t) => t.id).join(',')}`;
  return intern(key, (id) => ({ kind: 'mul', factors, key, id }));
}
function mkPowNode(base: Expr, exp: Expr): Pow {
  const key = `^${base.id},${exp.id}`;
  return intern(key, (id) => ({ kind: 'pow', base, exp, key, id }));
}
function mkCallNode(name: string, args: Expr[]): Call {
  const key = `${name}(${args.map((t) => t.id).join(',')})`;
  return intern(key, (id) => ({ kind: 'call', name, args, key, id }));
}

// ---------------------------------------------------------------------------------------
// Builders
// ---------------------------------------------------------------------------------------

/** Sum with flattening, exact folding and collection of like terms. */
export function add(...xs: Expr[]): Expr {
  let c: Rat = { n: 0n, d: 1n };
  const groups = new Map<string, { mono: Expr; coef: Rat }>();
  const order: string[] = [];
  const visit = (t: Expr) => {
    if (t.kind === 'add') {
      for (const u of t.terms) visit(u);
      return;
    }
    if (t.kind === 'num') {
      c = rAdd(c, t);
      return;
    }
    // Inside a sum, a numeric multiple of a sum distributes: a - (b + c) -> a - b - c.
    if (t.kind === 'mul' && t.factors.length === 2 && t.factors[0].kind === 'num' && t.factors[1].kind === 'add') {
      const k = t.factors[0];
      for (const u of t.factors[1].terms) visit(mul(k, u));
      return;
    }
    const [k, m] = splitCoef(t);
    const g = groups.get(m.key);
    if (g) g.coef = rAdd(g.coef, k);
    else {
      groups.set(m.key, { mono: m, coef: k });
      order.push(m.key);
    }
  };
  for (const x of xs) visit(x);
  const terms: Expr[] = [];
  for (const key of order) {
    const g = groups.get(key)!;
    if (g.coef.n === 0n) continue;
    terms.push(g.coef.n === 1n && g.coef.d === 1n ? g.mono : mulCoef(g.coef, g.mono));
  }
  // Collected terms may have become numbers (never in practice) — keep them numeric.
  const rest: Expr[] = [];
  for (const t of terms) {
    if (t.kind === 'num') c = rAdd(c, t);
    else rest.push(t);
  }
  rest.sort(termCompare);
  if (c.n !== 0n) rest.unshift(numRat(c));
  if (rest.length === 0) return ZERO;
  if (rest.length === 1) return rest[0];
  return mkAddNode(rest);
}

/** coef * monomial, where the monomial is already canonical and has no numeric factor. */
function mulCoef(k: Rat, m: Expr): Expr {
  return mul(numRat(k), m);
}

/** -(a + b + ...) as a sum. */
export function negateSum(a: Add): Expr {
  return add(...a.terms.map((t) => mul(MINUS_ONE, t)));
}

export function neg(a: Expr): Expr {
  return mul(MINUS_ONE, a);
}

export function sub(a: Expr, b: Expr): Expr {
  return add(a, neg(b));
}

export function div(a: Expr, b: Expr): Expr {
  if (isZero(b)) throw new SymbolicError('division by zero');
  return mul(a, pow(b, MINUS_ONE));
}

export function sqrt(a: Expr): Expr {
  return pow(a, HALF);
}

/** Product with flattening, exact folding, collection of like bases and merged exponentials. */
export function mul(...xs: Expr[]): Expr {
  let items: Expr[] = xs;
  for (let pass = 0; pass < 16; pass++) {
    let coef: Rat = { n: 1n, d: 1n };
    const groups = new Map<string, { base: Expr; exps: Expr[]; orig: Expr }>();
    const order: string[] = [];
    const expArgs: Expr[] = [];
    let sawExp = 0;
    const visit = (f: Expr) => {
      if (f.kind === 'mul') {
        for (const g of f.factors) visit(g);
        return;
      }
      if (f.kind === 'num') {
        coef = rMul(coef, f);
        return;
      }
      if (f.kind === 'call' && f.name === 'exp') {
        expArgs.push(f.args[0]);
        sawExp++;
        return;
      }
      const [b, e] = f.kind === 'pow' ? [f.base, f.exp] : [f, ONE];
      const g = groups.get(b.key);
      if (g) g.exps.push(e);
      else {
        groups.set(b.key, { base: b, exps: [e], orig: f });
        order.push(b.key);
      }
    };
    for (const x of items) visit(x);
    if (coef.n === 0n) return ZERO;
    // B^a * (-B)^b = (-1)^b B^(a+b) for sums B and integer b.
    if (order.length > 1) {
      const sums = order.filter((k) => groups.get(k)!.base.kind === 'add');
      if (sums.length > 1) {
        for (const k of sums) {
          const g = groups.get(k);
          if (!g) continue;
          const negB = negateSum(g.base as Add);
          const h = groups.get(negB.key);
          if (!h || h === g || !h.exps.every(isInteger)) continue;
          const b = add(...h.exps) as Num;
          if (b.n % 2n !== 0n) coef = rNeg(coef);
          g.exps.push(...h.exps);
          groups.delete(negB.key);
          order.splice(order.indexOf(negB.key), 1);
        }
      }
    }
    const out: Expr[] = [];
    let again = false;
    for (const key of order) {
      const g = groups.get(key)!;
      const p = g.exps.length === 1 ? g.orig : pow(g.base, add(...g.exps));
      if (isOne(p)) continue;
      if (p.kind === 'num' || p.kind === 'mul' || (g.exps.length > 1 && p.kind === 'call' && p.name === 'exp')) again = true;
      out.push(p);
    }
    if (sawExp > 0) {
      const ex = sawExp === 1 ? call('exp', [expArgs[0]]) : call('exp', [add(...expArgs)]);
      if (sawExp > 1 && (ex.kind !== 'call' || ex.name !== 'exp')) again = true;
      if (!isOne(ex)) out.push(ex);
    }
    // Numeric radicals with the same exponent multiply: 2^(1/2) * 3^(1/2) -> 6^(1/2).
    const radByExp = new Map<string, number[]>();
    out.forEach((f, i) => {
      if (f.kind === 'pow' && f.base.kind === 'num' && f.base.d === 1n && f.base.n > 1n && f.exp.kind === 'num') {
        const k = f.exp.key;
        const l = radByExp.get(k);
        if (l) l.push(i);
        else radByExp.set(k, [i]);
      }
    });
    for (const idx of radByExp.values()) {
      if (idx.length < 2) continue;
      let R = 1n;
      for (const i of idx) R *= ((out[i] as Pow).base as Num).n;
      const ex = (out[idx[0]] as Pow).exp;
      for (const i of idx) out[i] = ONE;
      out.push(pow(mkNum(rat(R)), ex));
      again = true;
    }
    if (again) {
      items = [numRat(coef), ...out.filter((f) => !isOne(f))];
      continue;
    }
    // sign(u) * u -> |u|,  |u| * sign(u) -> u
    let changed = false;
    for (let i = 0; i < out.length; i++) {
      const f = out[i];
      if (f.kind !== 'call' || f.name !== 'sign') continue;
      const u = f.args[0];
      const j = out.findIndex((g) => g.key === u.key);
      if (j >= 0) {
        out[i] = call('abs', [u]);
        out.splice(j, 1);
        changed = true;
        break;
      }
      const k = out.findIndex((g) => g.kind === 'call' && g.name === 'abs' && g.args[0].key === u.key);
      if (k >= 0) {
        out[i] = u;
        out.splice(k, 1);
        changed = true;
        break;
      }
    }
    if (changed) {
      items = [numRat(coef), ...out];
      continue;
    }
    // Numeric radicals absorb powers of their radicand from the coefficient:
    // 2 * 2^(-1/2) -> 2^(1/2), 2^(1/2) / 2 -> 2^(-1/2).
    for (let i = 0; i < out.length; i++) {
      const f = out[i];
      if (f.kind !== 'pow' || f.base.kind !== 'num' || f.base.d !== 1n || f.base.n <= 1n || f.exp.kind !== 'num') continue;
      const R = f.base.n;
      let r: Rat = f.exp;
      let moved = false;
      while (r.n < 0n && coef.n % R === 0n) {
        coef = rat(coef.n / R, coef.d);
        r = rAdd(r, { n: 1n, d: 1n });
        moved = true;
      }
      while (r.n > 0n && coef.d % R === 0n) {
        coef = rat(coef.n, coef.d / R);
        r = rAdd(r, { n: -1n, d: 1n });
        moved = true;
      }
      if (moved) out[i] = r.n === 0n ? ONE : mkPowNode(f.base, numRat(r));
    }
    const factors = out.filter((f) => !isOne(f));
    factors.sort(factorCompare);
    if (factors.length === 0) return numRat(coef);
    if (coef.n === 1n && coef.d === 1n) return factors.length === 1 ? factors[0] : mkMulNode(factors);
    return mkMulNode([numRat(coef), ...factors]);
  }
  throw new SymbolicError('mul(): canonicalisation did not settle');
}

const MAX_POW_BITS = 200000;

/** base^exp with exact numeric powers, radical normalisation and safe power-of-power rules. */
export function pow(base: Expr, exp: Expr): Expr {
  if (exp.kind === 'num') {
    if (exp.n === 0n) return ONE; // including 0^0 = 1
    if (exp.n === 1n && exp.d === 1n) return base;
  }
  if (base.kind === 'num') {
    if (base.n === 1n && base.d === 1n) return ONE;
    if (base.n === 0n) {
      if (exp.kind === 'num') {
        if (exp.n > 0n) return ZERO;
        throw new SymbolicError('division by zero: 0 raised to a negative power');
      }
      return mkPowNode(base, exp);
    }
    if (exp.kind === 'num') return numPow(base, exp);
  }
  if (base.kind === 'sym' && base.name === 'e') return call('exp', [exp]);
  if (base.kind === 'call' && base.name === 'exp') return call('exp', [mul(base.args[0], exp)]);
  if (base.kind === 'pow') {
    const a = base.exp;
    if (isInteger(exp)) return pow(base.base, mul(a, exp));
    if (a.kind === 'num') {
      if (a.d !== 1n || a.n % 2n !== 0n) return pow(base.base, mul(a, exp));
      return pow(call('abs', [base.base]), mul(a, exp));
    }
  }
  if (base.kind === 'call' && base.name === 'abs' && isInteger(exp) && exp.n % 2n === 0n) {
    return pow(base.args[0], exp);
  }
  if (base.kind === 'call' && base.name === 'sign' && isInteger(exp) && exp.n > 2n) {
    // sign^3 = sign, sign^4 = sign^2 (also at 0)
    return exp.n % 2n === 1n ? base : mkPowNode(base, TWO);
  }
  if (base.kind === 'mul' && isInteger(exp)) return mul(...base.factors.map((f) => pow(f, exp)));
  if (base.kind === 'mul' && exp.kind === 'num' && base.factors[0].kind === 'num' && base.factors[0].n > 0n) {
    // (c*u)^r = c^r * u^r for c > 0.
    const [c, rest] = splitCoef(base);
    return mul(numPow(numRat(c), exp), pow(rest, exp));
  }
  return mkPowNode(base, exp);
}

function numPow(b: Num, e: Num): Expr {
  if (e.d === 1n) {
    const p = e.n;
    const bits = (babs(b.n).toString(2).length + b.d.toString(2).length) * Number(babs(p));
    if (bits > MAX_POW_BITS) return mkPowNode(b, e);
    if (p >= 0n) return mkNum(rat(bpow(b.n, p), bpow(b.d, p)));
    if (b.n === 0n) throw new SymbolicError('division by zero');
    return mkNum(rat(bpow(b.d, -p), bpow(b.n, -p)));
  }
  if (b.n < 0n) return mkPowNode(b, e); // NaN in real arithmetic; kept unevaluated
  const parts: Expr[] = [];
  if (b.n !== 1n) parts.push(...intRadical(b.n, e));
  if (b.d !== 1n) parts.push(...intRadical(b.d, mkNum(rNeg(e))));
  return mul(...parts);
}

/** m^e for an integer m > 1 and a non-integer rational e: integer parts extracted. */
function intRadical(m: bigint, e: Rat): Expr[] {
  const fs = factorize(m);
  let coefN = 1n;
  let coefD = 1n;
  // For each prime: exponent k*e = integer part + fractional part (truncated toward zero).
  const fracs: Array<[bigint, Rat]> = [];
  for (const [p, k] of fs) {
    const t = rMul({ n: k, d: 1n }, e);
    const ip = rTrunc(t);
    const fp = rAdd(t, { n: -ip, d: 1n });
    if (ip > 0n) coefN *= bpow(p, ip);
    else if (ip < 0n) coefD *= bpow(p, -ip);
    if (fp.n !== 0n) fracs.push([p, fp]);
  }
  const out: Expr[] = [mkNum(rat(coefN, coefD))];
  if (fracs.length) {
    let Q = 1n;
    for (const [, f] of fracs) Q = (Q * f.d) / bgcd(Q, f.d);
    const sign = fracs[0][1].n < 0n ? -1n : 1n;
    let R = 1n;
    for (const [p, f] of fracs) R *= bpow(p, (babs(f.n) * Q) / f.d);
    out.push(mkPowNode(mkNum(rat(R)), mkNum(rat(sign, Q))));
  }
  return out;
}

/**
 * A function call. Registered functions check their arity and apply their exact rewrites
 * (f(0), parity, ...); unregistered names give an opaque function (not differentiable,
 * not evaluable) — see `fn`.
 */
export function call(name: string, args: Expr[]): Expr {
  const def = registry.get(name);
  if (def) {
    if (args.length !== def.arity) {
      throw new SymbolicError(`${name}() takes ${def.arity} argument${def.arity === 1 ? '' : 's'}, got ${args.length}`);
    }
    if (def.simplify) {
      const r = def.simplify(args);
      if (r) return r;
    }
  }
  return mkCallNode(name, [...args]);
}

/** A named (possibly opaque) function, e.g. fn('E_phiphi', K11, K12, K22). */
export function fn(name: string, ...args: Expr[]): Expr {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new SymbolicError(`invalid function name '${name}'`);
  return call(name, args);
}

/** Rebuild a node from new children with the builders (canonicalising again). */
export function rebuild(e: Expr, kids: Expr[]): Expr {
  switch (e.kind) {
    case 'num':
    case 'sym':
      return e;
    case 'add':
      return add(...kids);
    case 'mul':
      return mul(...kids);
    case 'pow':
      return pow(kids[0], kids[1]);
    case 'call':
      return call(e.name, kids);
  }
}

export function children(e: Expr): readonly Expr[] {
  switch (e.kind) {
    case 'num':
    case 'sym':
      return [];
    case 'add':
      return e.terms;
    case 'mul':
      return e.factors;
    case 'pow':
      return [e.base, e.exp];
    case 'call':
      return e.args;
  }
}

// ---------------------------------------------------------------------------------------
// Queries
// ---------------------------------------------------------------------------------------

const freeCache = new WeakMap<Expr, ReadonlySet<string>>();
const EMPTY: ReadonlySet<string> = new Set();

function freeOf(e: Expr): ReadonlySet<string> {
  const hit = freeCache.get(e);
  if (hit) return hit;
  let r: ReadonlySet<string>;
  if (e.kind === 'num') r = EMPTY;
  else if (e.kind === 'sym') r = isConstantSymbol(e.name) ? EMPTY : new Set([e.name]);
  else {
    const s = new Set<string>();
    for (const c of children(e)) for (const n of freeOf(c)) s.add(n);
    r = s.size ? s : EMPTY;
  }
  freeCache.set(e, r);
  return r;
}

/** Names of the free symbols (the constants pi and e are not free). */
export function freeSymbols(e: Expr): Set<string> {
  return new Set(freeOf(e));
}

export function dependsOn(e: Expr, v: string): boolean {
  return freeOf(e).has(v);
}

/** Structural equality (of canonical trees). */
export function equals(a: Expr, b: Expr): boolean {
  return a === b || a.key === b.key;
}

/** True when the expression has no free symbols (it may contain pi, e). */
export function isConstant(e: Expr): boolean {
  return freeOf(e).size === 0;
}

/** Number of nodes. */
const sizeCache = new WeakMap<Expr, number>();
export function size(e: Expr): number {
  if (e.kind === 'num' || e.kind === 'sym') return 1;
  let n = sizeCache.get(e);
  if (n === undefined) {
    n = 1;
    for (const c of children(e)) n += size(c);
    sizeCache.set(e, n);
  }
  return n;
}

/** Replace symbols by expressions (simultaneously), rebuilding with the builders. */
export function substitute(e: Expr, map: Record<string, Expr>): Expr {
  const names = Object.keys(map).filter((k) => !isConstantSymbol(k));
  if (names.length === 0) return e;
  const memo = new Map<Expr, Expr>();
  const go = (x: Expr): Expr => {
    if (x.kind === 'num') return x;
    if (x.kind === 'sym') return Object.prototype.hasOwnProperty.call(map, x.name) && !isConstantSymbol(x.name) ? map[x.name] : x;
    const fs = freeOf(x);
    if (!names.some((n) => fs.has(n))) return x;
    const hit = memo.get(x);
    if (hit) return hit;
    const r = rebuild(x, children(x).map(go));
    memo.set(x, r);
    return r;
  };
  return go(e);
}

/** Is the expression syntactically negative (negative number or negative coefficient)? */
export function isNegativeForm(e: Expr): boolean {
  if (e.kind === 'num') return e.n < 0n;
  if (e.kind === 'mul') return e.factors[0].kind === 'num' && e.factors[0].n < 0n;
  return false;
}

export { rCmp, rIsInt };
