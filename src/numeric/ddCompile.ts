/**
 * Double-double evaluators of expressions in x (activations, their derivatives, and the
 * integrands built from them), for the double-double Gaussian quadratures. Only functions with a
 * double-double implementation here compile (exp, log, tanh, sinh, cosh, abs, sign, heaviside,
 * max, min, powers); anything else (erf, gamma, ...) gives undefined and the caller keeps the
 * decimal.js route.
 */
import Decimal from 'decimal.js';
import { Expr } from '../symbolic';
import {
  DD, DD_ONE, DD_ZERO, DD_PI, ddAbs, ddAdd, ddMul, ddDiv, ddExp, ddLog, ddTanh, ddSinh, ddCosh, ddSqrt, ddPowInt,
  ddFromDecimal, ddCmp,
} from './dd';

export type DDFn = (x: DD) => DD;

const C45 = Decimal.clone({ precision: 45 });
const DD_E = ddFromDecimal(new C45(1).exp());

const UNARY: Record<string, DDFn> = {
  exp: ddExp,
  log: ddLog,
  tanh: ddTanh,
  sinh: ddSinh,
  cosh: ddCosh,
  abs: ddAbs,
  sign: (x) => new DD(x.h > 0 ? 1 : x.h < 0 ? -1 : 0, 0),
  heaviside: (x) => new DD(x.h > 0 ? 1 : x.h < 0 ? 0 : 0.5, 0),
};
const BINARY: Record<string, (a: DD, b: DD) => DD> = {
  max: (a, b) => (ddCmp(a, b) >= 0 ? a : b),
  min: (a, b) => (ddCmp(a, b) <= 0 ? a : b),
};

function ddPow(b: DD, e: Expr, ev: DD): DD {
  if (e.kind === 'num') {
    if (e.d === 1n && e.n >= -64n && e.n <= 64n) return ddPowInt(b, Number(e.n));
    if (e.d === 2n) {
      if (b.h < 0) return new DD(NaN, 0);
      const r = ddSqrt(b);
      return e.n === 1n ? r : ddPowInt(r, Number(e.n));
    }
  }
  if (b.h < 0) return new DD(NaN, 0);
  if (b.h === 0) return ev.h > 0 ? DD_ZERO : new DD(Infinity, 0);
  return ddExp(ddMul(ev, ddLog(b)));
}

const cache = new Map<string, DDFn | null>();

/** A double-double evaluator of e(x), or undefined if e uses a function without one. */
export function compileDD(e: Expr): DDFn | undefined {
  const hit = cache.get(e.key);
  if (hit !== undefined) return hit ?? undefined;
  const fn = build(e);
  cache.set(e.key, fn ?? null);
  return fn;
}

function build(root: Expr): DDFn | undefined {
  // one slot per distinct subexpression (common subexpressions evaluated once)
  type Step = (v: DD[], x: DD) => DD;
  const steps: Step[] = [];
  const slot = new Map<string, number>();
  const go = (e: Expr): number | undefined => {
    const s = slot.get(e.key);
    if (s !== undefined) return s;
    let step: Step;
    switch (e.kind) {
      case 'num': {
        const c = ddFromDecimal(new C45(e.n.toString()).div(e.d.toString()));
        step = () => c;
        break;
      }
      case 'sym':
        if (e.name === 'x') step = (_v, x) => x;
        else if (e.name === 'pi') step = () => DD_PI;
        else if (e.name === 'e') step = () => DD_E;
        else return undefined;
        break;
      case 'add':
      case 'mul': {
        const args = (e.kind === 'add' ? e.terms : e.factors).map(go);
        if (args.some((a) => a === undefined)) return undefined;
        const ix = args as number[];
        const op = e.kind === 'add' ? ddAdd : ddMul;
        step = (v) => {
          let acc = v[ix[0]];
          for (let j = 1; j < ix.length; j++) acc = op(acc, v[ix[j]]);
          return acc;
        };
        break;
      }
      case 'pow': {
        const b = go(e.base);
        const x = go(e.exp);
        if (b === undefined || x === undefined) return undefined;
        const ex = e.exp;
        step = ex.kind === 'num' && ex.d === 1n && ex.n === -1n ? (v) => ddDiv(DD_ONE, v[b]) : (v) => ddPow(v[b], ex, v[x]);
        break;
      }
      case 'call': {
        const args = e.args.map(go);
        if (args.some((a) => a === undefined)) return undefined;
        const ix = args as number[];
        if (ix.length === 1 && UNARY[e.name]) {
          const f = UNARY[e.name];
          step = (v) => f(v[ix[0]]);
        } else if (ix.length === 2 && BINARY[e.name]) {
          const f = BINARY[e.name];
          step = (v) => f(v[ix[0]], v[ix[1]]);
        } else return undefined;
        break;
      }
    }
    steps.push(step);
    const k = steps.length - 1;
    slot.set(e.key, k);
    return k;
  };
  const out = go(root);
  if (out === undefined) return undefined;
  const n = steps.length;
  return (x: DD): DD => {
    const v: DD[] = new Array(n);
    for (let k = 0; k < n; k++) v[k] = steps[k](v, x);
    return v[out];
  };
}

/** What an integrand offers for double-double evaluation: its own evaluator, or an expression in x. */
export interface DDSource {
  dd?: DDFn;
  expr?: Expr;
}

/** The double-double evaluator of an integrand, or undefined when it has none. */
export function integrandDD(f: DDSource): DDFn | undefined {
  if (f.dd) return f.dd;
  return f.expr ? compileDD(f.expr) : undefined;
}
