/**
 * Simplification: expand, factor out common terms, combine over a common denominator,
 * Pythagorean identities; `simplify` picks the smallest equivalent candidate at every node.
 * Every rewrite is an identity (tests check random points), so simplify never changes values
 * (except for filling removable singularities, e.g. x/x -> 1).
 */
import {
  Expr, add, mul, pow, call, rebuild, children, size, splitCoef, numRat, ONE, TWO, isOne,
} from './expr';
import { Rat, rat, bgcd, rCmp, rNeg } from './rational';

const MAX_EXPAND_TERMS = 4000;
const MAX_EXPAND_POWER = 16;
/** Sub-trees up to this size are also tried fully expanded (polynomial normal form). */
const FULL_EXPAND_SIZE = 400;
/** Sums up to this size are also tried over a common denominator. */
const TOGETHER_SIZE = 400;

/** Number of terms the product of these factors would expand to (with integer powers). */
function termCount(f: Expr): number {
  if (f.kind === 'add') return f.terms.length;
  if (f.kind === 'pow' && f.base.kind === 'add' && f.exp.kind === 'num' && f.exp.d === 1n && f.exp.n > 1n) {
    const n = Number(f.exp.n);
    if (n > MAX_EXPAND_POWER) return Infinity;
    // multinomial count C(n + m - 1, m - 1)
    const m = f.base.terms.length;
    let c = 1;
    for (let i = 1; i < m; i++) c = (c * (n + i)) / i;
    return Math.round(c);
  }
  return 1;
}

/** Distribute a product over sums at the top level (positive integer powers of sums too). */
function distribute(factors: readonly Expr[]): Expr {
  let total = 1;
  for (const f of factors) total *= termCount(f);
  if (!Number.isFinite(total) || total > MAX_EXPAND_TERMS) return mul(...factors);
  let acc: Expr[] = [ONE];
  const times = (xs: Expr[], ys: readonly Expr[]): Expr[] => {
    const out: Expr[] = [];
    for (const x of xs) for (const y of ys) out.push(mul(x, y));
    return out;
  };
  for (const f of factors) {
    if (f.kind === 'add') acc = times(acc, f.terms);
    else if (f.kind === 'pow' && f.base.kind === 'add' && f.exp.kind === 'num' && f.exp.d === 1n && f.exp.n > 1n && termCount(f) <= MAX_EXPAND_TERMS) {
      let p: Expr[] = [...f.base.terms];
      for (let k = 1n; k < f.exp.n; k++) {
        p = termsOf(add(...times(p, f.base.terms)));
      }
      acc = times(acc, p);
    } else acc = acc.map((a) => mul(a, f));
    if (acc.length > 1) acc = termsOf(add(...acc));
  }
  return add(...acc);
}

function termsOf(e: Expr): Expr[] {
  return e.kind === 'add' ? [...e.terms] : [e];
}

/** Expand at the top node only (children are left as they are). */
export function expandTop(e: Expr): Expr {
  if (e.kind === 'mul') return distribute(e.factors);
  if (e.kind === 'pow') return distribute([e]);
  return e;
}

/** Full expansion: products of sums and positive integer powers of sums are multiplied out. */
export function expand(e: Expr): Expr {
  const memo = new Map<Expr, Expr>();
  const go = (x: Expr): Expr => {
    if (x.kind === 'num' || x.kind === 'sym') return x;
    const hit = memo.get(x);
    if (hit) return hit;
    const y = rebuild(x, children(x).map(go));
    const r = y.kind === 'mul' || y.kind === 'pow' ? expandTop(y) : y;
    memo.set(x, r);
    return r;
  };
  return go(e);
}

/** Expand products and powers of sums everywhere except inside function arguments. */
const expandPolyMemo = new WeakMap<Expr, Expr>();
export function expandPoly(e: Expr): Expr {
  const memo = expandPolyMemo;
  const go = (x: Expr): Expr => {
    if (x.kind === 'num' || x.kind === 'sym' || x.kind === 'call') return x;
    const hit = memo.get(x);
    if (hit) return hit;
    const y = rebuild(x, children(x).map(go));
    const r = y.kind === 'mul' || y.kind === 'pow' ? expandTop(y) : y;
    memo.set(x, r);
    return r;
  };
  return go(e);
}

/** A term as coefficient and (base, rational exponent) map; non-numeric exponents keep the factor whole. */
function powerMap(t: Expr): { coef: Rat; pw: Map<string, { base: Expr; e: Rat }> } {
  const [coef, mono] = splitCoef(t);
  const pw = new Map<string, { base: Expr; e: Rat }>();
  const fs = mono.kind === 'mul' ? mono.factors : isOne(mono) ? [] : [mono];
  for (const f of fs) {
    if (f.kind === 'pow' && f.exp.kind === 'num') pw.set(f.base.key, { base: f.base, e: f.exp });
    else pw.set(f.key, { base: f, e: { n: 1n, d: 1n } });
  }
  return { coef, pw };
}

/** Pull common factors (and the rational content) out of a sum: 2*x*y + 4*x -> 2*x*(y + 2). */
export function factorTerms(e: Expr): Expr {
  if (e.kind !== 'add') return e;
  const maps = e.terms.map(powerMap);
  // Rational content: gcd of numerators over lcm of denominators.
  let gn = 0n;
  let ld = 1n;
  for (const m of maps) {
    gn = bgcd(gn, m.coef.n);
    ld = (ld * m.coef.d) / bgcd(ld, m.coef.d);
  }
  if (gn === 0n) return e;
  let content = rat(gn, ld);
  if (maps.every((m) => m.coef.n < 0n)) content = rNeg(content);
  const common: Array<{ base: Expr; e: Rat }> = [];
  for (const [k, v] of maps[0].pw) {
    let emin = v.e;
    let ok = true;
    for (let i = 1; i < maps.length && ok; i++) {
      const w = maps[i].pw.get(k);
      if (!w) ok = false;
      else {
        // Only combine exponents of the same sign (x^2 and x^-1 have no useful common factor).
        if ((w.e.n > 0n) !== (emin.n > 0n)) ok = false;
        else if (emin.n > 0n ? rCmp(w.e, emin) < 0 : rCmp(w.e, emin) > 0) emin = w.e;
      }
    }
    if (ok) common.push({ base: v.base, e: emin });
  }
  const trivialContent = content.n === 1n && content.d === 1n;
  if (common.length === 0 && trivialContent) return e;
  const commonExpr = mul(numRat(content), ...common.map((c) => pow(c.base, numRat(c.e))));
  const inv = mul(numRat(rat(content.d, content.n)), ...common.map((c) => pow(c.base, numRat(rNeg(c.e)))));
  const inner = add(...e.terms.map((t) => mul(t, inv)));
  return mul(commonExpr, inner);
}

/** Combine a sum over a common denominator: 1/(1+y) - y/(1+y)^2 -> 1/(1+y)^2. */
export function together(e: Expr): Expr {
  if (e.kind !== 'add') return e;
  const den = new Map<string, { base: Expr; e: Rat }>();
  for (const t of e.terms) {
    const fs = t.kind === 'mul' ? t.factors : [t];
    for (const f of fs) {
      if (f.kind === 'pow' && f.exp.kind === 'num' && f.exp.n < 0n && f.base.kind !== 'num') {
        const m = rNeg(f.exp);
        const cur = den.get(f.base.key);
        if (!cur || rCmp(m, cur.e) > 0) den.set(f.base.key, { base: f.base, e: m });
      }
    }
  }
  if (den.size === 0) return e;
  const D = [...den.values()].map((d) => pow(d.base, numRat(d.e)));
  const numer = add(...e.terms.map((t) => expandTop(mul(t, ...D))));
  const N = factorTerms(expandPoly(numer));
  return mul(N, ...[...den.values()].map((d) => pow(d.base, numRat(rNeg(d.e)))));
}

/** sin(u)^2 + cos(u)^2 -> 1 and cosh(u)^2 - sinh(u)^2 -> 1 (with common cofactors). */
function pythagoras(e: Expr): Expr {
  if (e.kind !== 'add') return e;
  const pairs: Array<[string, string, Rat]> = [
    ['sin', 'cos', { n: 1n, d: 1n }],
    ['cosh', 'sinh', { n: -1n, d: 1n }],
  ];
  let terms = [...e.terms];
  let changed = false;
  for (const [f, g, sgn] of pairs) {
    for (let i = 0; i < terms.length; i++) {
      const t = terms[i];
      const fs = t.kind === 'mul' ? t.factors : [t];
      const idx = fs.findIndex((x) => x.kind === 'pow' && isTwo(x.exp) && x.base.kind === 'call' && x.base.name === f);
      if (idx < 0) continue;
      const u = ((fs[idx] as { base: Expr }).base as { args: readonly Expr[] }).args[0];
      const rest = mul(...fs.filter((_, j) => j !== idx));
      // the partner: sgn * rest * g(u)^2
      const partner = mul(numRat(sgn), rest, pow(call(g, [u]), TWO));
      const j = terms.findIndex((x, k) => k !== i && x.key === partner.key);
      if (j < 0) continue;
      terms = terms.filter((_, k) => k !== i && k !== j);
      terms.push(rest);
      changed = true;
      i = -1;
    }
  }
  return changed ? add(...terms) : e;
}

function isTwo(e: Expr): boolean {
  return e.kind === 'num' && e.n === 2n && e.d === 1n;
}

const simpMemo = new WeakMap<Expr, Expr>();

function pick(cands: Expr[]): Expr {
  let best = cands[0];
  let bs = size(best);
  for (let i = 1; i < cands.length; i++) {
    const s = size(cands[i]);
    if (s < bs) {
      best = cands[i];
      bs = s;
    }
  }
  return best;
}

/**
 * Canonical simplification: bottom-up, each sum or product is replaced by the smallest of
 * {as built, common factors pulled out, expanded then factored, over a common denominator}.
 */
export function simplify(e: Expr): Expr {
  const go = (x: Expr): Expr => {
    if (x.kind === 'num' || x.kind === 'sym') return x;
    const hit = simpMemo.get(x);
    if (hit) return hit;
    const y = rebuild(x, children(x).map(go));
    let r = y;
    if (y.kind === 'add' || y.kind === 'mul' || (y.kind === 'pow' && y.base.kind === 'add')) {
      const ex = pythagoras(expandTop(y));
      const cands: Expr[] = [factorTerms(ex), ex, pythagoras(y)];
      if (size(y) <= FULL_EXPAND_SIZE) {
        const full = pythagoras(expandPoly(y));
        cands.unshift(factorTerms(full), full);
      }
      if (y.kind === 'add') cands.push(factorTerms(y));
      if (ex.kind === 'add' && size(ex) <= TOGETHER_SIZE) cands.push(together(ex));
      r = pick(cands);
      if (r !== y && r.key !== y.key) {
        // One more round on the result (new sums may have appeared inside it).
        const r2 = rebuild(r, children(r).map((c) => (c === x ? c : goShallow(c))));
        if (size(r2) <= size(r)) r = r2;
      }
    }
    simpMemo.set(x, r);
    simpMemo.set(r, r);
    return r;
  };
  const goShallow = (c: Expr): Expr => {
    if (c.kind !== 'add') return c;
    const ex = c;
    return pick([factorTerms(ex), ex, pythagoras(ex)]);
  };
  return go(e);
}

