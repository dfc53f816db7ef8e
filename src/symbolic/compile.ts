/**
 * Numeric evaluation of expressions: float64 (generated JavaScript) and decimal.js (our own
 * interpreter — nerdamer's "decimals" are float64 underneath, see the regression tests).
 * Both compile the tree into a straight-line program with common subexpressions shared.
 */
import Decimal from 'decimal.js';
import { Expr, getFunction, SymbolicError, freeSymbols } from './expr';

type Instr =
  | { op: 'var'; i: number }
  | { op: 'num'; n: bigint; d: bigint }
  | { op: 'pi' }
  | { op: 'e' }
  | { op: 'add'; a: number[] }
  | { op: 'mul'; a: number[] }
  | { op: 'pow'; b: number; x: number; xr?: { n: bigint; d: bigint } }
  | { op: 'call'; name: string; a: number[] };

interface Program {
  code: Instr[];
  out: number;
}

function linearize(e: Expr, vars: string[], need: 'f64' | 'dec'): Program {
  const free = freeSymbols(e);
  for (const s of free) if (!vars.includes(s)) throw new SymbolicError(`cannot compile: symbol '${s}' is not among the variables [${vars.join(', ')}]`);
  const code: Instr[] = [];
  const slot = new Map<string, number>();
  const go = (x: Expr): number => {
    const hit = slot.get(x.key);
    if (hit !== undefined) return hit;
    let ins: Instr;
    switch (x.kind) {
      case 'num':
        ins = { op: 'num', n: x.n, d: x.d };
        break;
      case 'sym':
        ins = x.name === 'pi' ? { op: 'pi' } : x.name === 'e' ? { op: 'e' } : { op: 'var', i: vars.indexOf(x.name) };
        break;
      case 'add':
        ins = { op: 'add', a: x.terms.map(go) };
        break;
      case 'mul':
        ins = { op: 'mul', a: x.factors.map(go) };
        break;
      case 'pow':
        ins = { op: 'pow', b: go(x.base), x: go(x.exp), xr: x.exp.kind === 'num' ? { n: x.exp.n, d: x.exp.d } : undefined };
        break;
      case 'call': {
        const def = getFunction(x.name);
        if (!def) throw new SymbolicError(`cannot evaluate ${x.name}(...): not a registered function`);
        if (need === 'f64' && !def.f64) throw new SymbolicError(`cannot evaluate ${x.name}(...) in float64: no f64 implementation registered`);
        if (need === 'dec' && !def.dec) throw new SymbolicError(`cannot evaluate ${x.name}(...) in Decimal: no dec implementation registered`);
        ins = { op: 'call', name: x.name, a: x.args.map(go) };
        break;
      }
    }
    code.push(ins);
    const k = code.length - 1;
    slot.set(x.key, k);
    return k;
  };
  const out = go(e);
  return { code, out };
}

const MATH: Record<string, string> = {
  exp: 'Math.exp', log: 'Math.log', sin: 'Math.sin', cos: 'Math.cos', tan: 'Math.tan', asin: 'Math.asin',
  acos: 'Math.acos', atan: 'Math.atan', sinh: 'Math.sinh', cosh: 'Math.cosh', tanh: 'Math.tanh', abs: 'Math.abs',
};

/** JavaScript source of the float64 program (for inspection). */
export function f64Source(e: Expr, vars: string[]): string {
  return f64Build(e, vars).src;
}

function f64Build(e: Expr, vars: string[]): { src: string; fns: Array<(...xs: number[]) => number> } {
  const prog = linearize(e, vars, 'f64');
  const fns: Array<(...xs: number[]) => number> = [];
  const fnIndex = new Map<string, number>();
  const lines: string[] = [];
  const t = (k: number) => `t${k}`;
  prog.code.forEach((ins, k) => {
    let rhs: string;
    switch (ins.op) {
      case 'var':
        rhs = `x${ins.i}`;
        break;
      case 'num':
        rhs = ins.d === 1n ? numLit(Number(ins.n)) : numLit(Number(ins.n) / Number(ins.d));
        if (ins.d !== 1n && (Math.abs(Number(ins.n)) > 2 ** 53 || Number(ins.d) > 2 ** 53)) rhs = numLit(new Decimal(ins.n.toString()).div(ins.d.toString()).toNumber());
        break;
      case 'pi':
        rhs = 'Math.PI';
        break;
      case 'e':
        rhs = 'Math.E';
        break;
      case 'add':
        rhs = ins.a.map(t).join(' + ');
        break;
      case 'mul':
        rhs = ins.a.map(t).join(' * ');
        break;
      case 'pow': {
        const b = t(ins.b);
        const r = ins.xr;
        if (r && r.d === 1n && r.n === 2n) rhs = `${b} * ${b}`;
        else if (r && r.d === 1n && r.n === 3n) rhs = `${b} * ${b} * ${b}`;
        else if (r && r.d === 1n && r.n === -1n) rhs = `1 / ${b}`;
        else if (r && r.d === 1n && r.n === -2n) rhs = `1 / (${b} * ${b})`;
        else if (r && r.d === 2n && r.n === 1n) rhs = `Math.sqrt(${b})`;
        else if (r && r.d === 2n && r.n === -1n) rhs = `1 / Math.sqrt(${b})`;
        else rhs = `Math.pow(${b}, ${t(ins.x)})`;
        break;
      }
      case 'call': {
        const args = ins.a.map(t).join(', ');
        if (MATH[ins.name] && getFunction(ins.name)?.f64 === (Math as unknown as Record<string, unknown>)[ins.name]) {
          rhs = `${MATH[ins.name]}(${args})`;
        } else {
          let fi = fnIndex.get(ins.name);
          if (fi === undefined) {
            fi = fns.length;
            fns.push(getFunction(ins.name)!.f64!);
            fnIndex.set(ins.name, fi);
          }
          rhs = `F[${fi}](${args})`;
        }
        break;
      }
    }
    lines.push(`const ${t(k)} = ${rhs};`);
  });
  lines.push(`return ${t(prog.out)};`);
  const params = vars.map((_, i) => `x${i}`).join(', ');
  const src = `return function compiled(${params}) {\n  ${lines.join('\n  ')}\n};`;
  return { src, fns };
}

function numLit(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? 'Infinity' : '-Infinity';
  return x < 0 || Object.is(x, -0) ? `(${x})` : String(x);
}

/** A fast float64 closure: compileF64(e, ['x','y'])(1, 2). */
export function compileF64(e: Expr, vars: string[]): (...xs: number[]) => number {
  const { src, fns } = f64Build(e, vars);
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  return new Function('F', src)(fns) as (...xs: number[]) => number;
}

// ---------------------------------------------------------------------------------------
// Decimal
// ---------------------------------------------------------------------------------------

export type DecimalCtor = typeof Decimal;

interface CtorConsts {
  precision: number;
  vals: Map<number, Decimal>;
}

/**
 * Evaluation in decimal.js at the precision of the first argument's constructor (the
 * global Decimal when there are no arguments). Exact rationals are divided at that precision;
 * pi = acos(-1) and e = exp(1) are computed once per constructor and precision.
 */
export function compileDecimal(e: Expr, vars: string[]): (...xs: Decimal[]) => Decimal {
  const run = compileDecimalRaw(e, vars);
  const nvars = vars.length;
  return (...xs: Decimal[]): Decimal => {
    if (xs.length !== nvars) throw new SymbolicError(`compiled expression expects ${nvars} argument(s), got ${xs.length}`);
    return run(xs.length ? (xs[0].constructor as DecimalCtor) : Decimal, xs);
  };
}

/** The Decimal program with an explicit constructor. */
export function compileDecimalRaw(e: Expr, vars: string[]): (D: DecimalCtor, xs: Decimal[]) => Decimal {
  const prog = linearize(e, vars, 'dec');
  const code = prog.code;
  const defs = code.map((ins) => (ins.op === 'call' ? getFunction(ins.name)!.dec! : undefined));
  const cache = new WeakMap<DecimalCtor, CtorConsts>();
  const constsFor = (D: DecimalCtor): Map<number, Decimal> => {
    let c = cache.get(D);
    if (!c || c.precision !== D.precision) {
      c = { precision: D.precision, vals: new Map() };
      let pi: Decimal | undefined;
      let ee: Decimal | undefined;
      code.forEach((ins, k) => {
        if (ins.op === 'num') c!.vals.set(k, ins.d === 1n ? new D(ins.n.toString()) : new D(ins.n.toString()).div(ins.d.toString()));
        else if (ins.op === 'pi') c!.vals.set(k, (pi ??= D.acos(-1)));
        else if (ins.op === 'e') c!.vals.set(k, (ee ??= new D(1).exp()));
      });
      cache.set(D, c);
    }
    return c.vals;
  };
  return (D: DecimalCtor, xs: Decimal[]): Decimal => {
    const consts = constsFor(D);
    const v: Decimal[] = new Array(code.length);
    for (let k = 0; k < code.length; k++) {
      const ins = code[k];
      switch (ins.op) {
        case 'var':
          v[k] = xs[ins.i] instanceof D ? xs[ins.i] : new D(xs[ins.i]);
          break;
        case 'num':
        case 'pi':
        case 'e':
          v[k] = consts.get(k)!;
          break;
        case 'add': {
          let s = v[ins.a[0]];
          for (let j = 1; j < ins.a.length; j++) s = s.plus(v[ins.a[j]]);
          v[k] = s;
          break;
        }
        case 'mul': {
          let s = v[ins.a[0]];
          for (let j = 1; j < ins.a.length; j++) s = s.times(v[ins.a[j]]);
          v[k] = s;
          break;
        }
        case 'pow':
          v[k] = decPow(D, v[ins.b], v[ins.x], ins.xr);
          break;
        case 'call':
          v[k] = defs[k]!(...ins.a.map((j) => v[j]));
          break;
      }
    }
    return v[prog.out];
  };
}

function decPow(D: DecimalCtor, b: Decimal, x: Decimal, xr?: { n: bigint; d: bigint }): Decimal {
  if (xr) {
    if (xr.d === 1n) {
      if (xr.n < 0n && b.isZero()) return new D(Infinity);
      return b.pow(x); // integer exponent: decimal.js uses exact repeated squaring
    }
    if (b.isNeg() && !b.isZero()) return new D(NaN);
    if (xr.d === 2n && xr.n === 1n) return b.sqrt();
    if (xr.d === 2n && xr.n === -1n) return new D(1).div(b.sqrt());
    return b.pow(x);
  }
  return b.pow(x);
}

/** Value of a constant expression (no free symbols) at `digits` significant digits. */
export function evalDecimal(e: Expr, digits: number): Decimal {
  const D = Decimal.clone({ precision: digits + 10, rounding: Decimal.ROUND_HALF_EVEN });
  const val = compileDecimalRaw(e, [])(D, []);
  const Dout = Decimal.clone({ precision: digits, rounding: Decimal.ROUND_HALF_EVEN });
  return new Dout(val.toSignificantDigits(digits));
}

/** Evaluate at a point (numbers are taken as typed: 0.1 -> "0.1"), in Decimal at `digits` digits. */
export function evalDecimalAt(e: Expr, point: Record<string, number | string | Decimal>, digits: number): Decimal {
  const vars = Object.keys(point);
  const D = Decimal.clone({ precision: digits, rounding: Decimal.ROUND_HALF_EVEN });
  return compileDecimalRaw(e, vars)(D, vars.map((v) => new D(point[v] instanceof Decimal ? (point[v] as Decimal).toString() : String(point[v]))));
}
