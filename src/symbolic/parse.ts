/**
 * Parsing user-typed expressions.
 *
 * `parse` is our own exact recursive-descent parser. It does not go through nerdamer-prime,
 * whose parser (1.5.0) silently changes what was typed (see test/symbolic.nerdamer.test.ts):
 *   - unknown function names become products: heaviside(x) -> heaviside*x, gamma(x) -> gamma*x,
 *     erfc(x) -> erfc*x, ln(x) -> ln*x;
 *   - decimals are rounded to float64: 1.000000000000000000001 -> 1;
 *   - it rewrites with non-identities for negative arguments: sqrt(x*y) -> sqrt(x)*sqrt(y);
 *   - `x==y` parses as 0 and the empty string as 0.
 * `fromNerdamer` converts a nerdamer-prime symbol tree exactly (multipliers and powers stay
 * rational) for code that holds nerdamer objects; `parseViaNerdamer` combines it with a
 * guard against the silent function-to-product rewrite.
 *
 * Grammar: numbers (12, 0.05, 1e-3: exact), identifiers, + - * / ^ (also **), parentheses,
 * calls f(a, b). `pi` and `e` are the constants. A number directly followed by a name or a
 * parenthesis multiplies (2x, 3(x+1)). Unary minus binds looser than ^ (-x^2 = -(x^2)),
 * ^ is right-associative. Aliases: ln -> log, arcsin/arccos/arctan, sgn -> sign,
 * step/Heaviside/theta_step -> heaviside, relu(u) -> u*heaviside(u).
 */
import {
  Expr, add, sub, mul, div, neg, pow, call, num, sym, PI, E_CONST, HALF, getFunction, SymbolicError, numRat,
} from './expr';
import { relu } from './functions';
import { ratFromDecimalString, rat } from './rational';

/** A user expression that does not parse (message: one line naming the problem). */
export class ParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ParseError';
  }
}

export interface ParseOptions {
  /** Accept calls of unregistered function names as opaque functions (default false). */
  allowUnknownFunctions?: boolean;
}

const ALIASES: Record<string, string> = {
  ln: 'log',
  arcsin: 'asin',
  arccos: 'acos',
  arctan: 'atan',
  sgn: 'sign',
  step: 'heaviside',
  Heaviside: 'heaviside',
  theta_step: 'heaviside',
};

/** Elementary function names that may not be used as plain symbols. */
const RESERVED = new Set(['exp', 'log', 'ln', 'sqrt', 'sin', 'cos', 'tan', 'asin', 'acos', 'atan', 'sinh', 'cosh', 'tanh', 'erf', 'erfc', 'abs', 'sign', 'heaviside', 'relu', 'max', 'min']);

type Tok =
  | { t: 'num'; v: string; pos: number }
  | { t: 'id'; v: string; pos: number }
  | { t: 'op'; v: string; pos: number }
  | { t: 'end'; pos: number };

function tokenize(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const rest = src.slice(i);
    const mNum = /^(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/.exec(rest);
    if (mNum) {
      out.push({ t: 'num', v: mNum[0], pos: i });
      i += mNum[0].length;
      continue;
    }
    const mId = /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest);
    if (mId) {
      out.push({ t: 'id', v: mId[0], pos: i });
      i += mId[0].length;
      continue;
    }
    if (rest.startsWith('**')) {
      out.push({ t: 'op', v: '^', pos: i });
      i += 2;
      continue;
    }
    if ('+-*/^(),'.includes(c)) {
      out.push({ t: 'op', v: c, pos: i });
      i++;
      continue;
    }
    throw new ParseError(`unexpected character '${c}' at column ${i + 1} in "${src}"`);
  }
  out.push({ t: 'end', pos: src.length });
  return out;
}

class Parser {
  private i = 0;
  constructor(private readonly src: string, private readonly toks: Tok[], private readonly opts: ParseOptions) {}

  private peek(): Tok {
    return this.toks[this.i];
  }
  private next(): Tok {
    return this.toks[this.i++];
  }
  private isOp(v: string): boolean {
    const t = this.peek();
    return t.t === 'op' && t.v === v;
  }
  private fail(msg: string, tok: Tok = this.peek()): never {
    throw new ParseError(`${msg} at column ${tok.pos + 1} in "${this.src}"`);
  }
  private describe(t: Tok): string {
    return t.t === 'end' ? 'end of input' : `'${t.v}'`;
  }
  private expectOp(v: string): void {
    if (!this.isOp(v)) this.fail(`expected '${v}' but found ${this.describe(this.peek())}`);
    this.i++;
  }

  parseAll(): Expr {
    if (this.peek().t === 'end') throw new ParseError(`empty expression`);
    const e = this.sum();
    if (this.peek().t !== 'end') this.fail(`unexpected ${this.describe(this.peek())}`);
    return e;
  }

  private sum(): Expr {
    let e = this.product();
    for (;;) {
      if (this.isOp('+')) {
        this.i++;
        e = add(e, this.product());
      } else if (this.isOp('-')) {
        this.i++;
        e = sub(e, this.product());
      } else return e;
    }
  }

  private product(): Expr {
    let e = this.unary();
    for (;;) {
      if (this.isOp('*')) {
        this.i++;
        e = mul(e, this.unary());
      } else if (this.isOp('/')) {
        const tok = this.next();
        const d = this.unary();
        if (d.kind === 'num' && d.n === 0n) this.fail('division by zero', tok);
        e = div(e, d);
      } else return e;
    }
  }

  private unary(): Expr {
    if (this.isOp('-')) {
      this.i++;
      return neg(this.unary());
    }
    if (this.isOp('+')) {
      this.i++;
      return this.unary();
    }
    return this.power();
  }

  private power(): Expr {
    const base = this.implicit();
    if (this.isOp('^')) {
      const tok = this.next();
      const ex = this.unary();
      try {
        return pow(base, ex);
      } catch (err) {
        this.fail(err instanceof Error ? err.message : String(err), tok);
      }
    }
    return base;
  }

  /** atom, with implicit multiplication after a number literal: 2x, 3(x+1), 2 pi. */
  private implicit(): Expr {
    const wasNumber = this.peek().t === 'num';
    let e = this.atom();
    if (wasNumber) {
      const t = this.peek();
      if (t.t === 'id' || (t.t === 'op' && t.v === '(')) {
        const f = this.power();
        e = mul(e, f);
      }
    }
    return e;
  }

  private atom(): Expr {
    const t = this.next();
    if (t.t === 'num') {
      const r = ratFromDecimalString(t.v);
      if (!r) this.fail(`bad number '${t.v}'`, t);
      return numRat(r);
    }
    if (t.t === 'op' && t.v === '(') {
      if (this.isOp(')')) this.fail('empty parentheses');
      const e = this.sum();
      this.expectOp(')');
      return e;
    }
    if (t.t === 'id') {
      if (this.isOp('(')) return this.callOf(t);
      if (t.v === 'pi') return PI;
      if (t.v === 'e') return E_CONST;
      if (RESERVED.has(t.v)) this.fail(`function '${t.v}' needs parentheses`, t);
      return sym(t.v);
    }
    if (t.t === 'end') this.fail('unexpected end of input', t);
    this.fail(`unexpected '${t.v}'`, t);
  }

  private callOf(t: Tok & { v: string }): Expr {
    this.expectOp('(');
    const args: Expr[] = [];
    if (!this.isOp(')')) {
      args.push(this.sum());
      while (this.isOp(',')) {
        this.i++;
        args.push(this.sum());
      }
    }
    this.expectOp(')');
    const name = ALIASES[t.v] ?? t.v;
    const arity = (n: number) => {
      if (args.length !== n) this.fail(`${t.v}() takes ${n} argument${n === 1 ? '' : 's'}, got ${args.length}`, t);
    };
    try {
      if (name === 'sqrt') {
        arity(1);
        return pow(args[0], HALF);
      }
      if (name === 'relu') {
        arity(1);
        return relu(args[0]);
      }
      if (name === 'pi' || name === 'e') this.fail(`'${name}' is a constant, not a function (use '*' to multiply)`, t);
      const def = getFunction(name);
      if (!def) {
        if (this.opts.allowUnknownFunctions) return call(name, args);
        this.fail(`unknown function '${t.v}' (use '*' for multiplication)`, t);
      }
      arity(def.arity);
      return call(name, args);
    } catch (err) {
      if (err instanceof ParseError) throw err;
      this.fail(err instanceof Error ? err.message : String(err), t);
    }
  }
}

/**
 * Parse a user expression into an exact Expr. Throws ParseError (one-line message) for
 * syntax errors, unknown functions, wrong argument counts and literal division by zero.
 */
export function parse(src: string, opts: ParseOptions = {}): Expr {
  if (typeof src !== 'string') throw new ParseError('expression must be a string');
  return new Parser(src, tokenize(src), opts).parseAll();
}

// ---------------------------------------------------------------------------------------
// nerdamer-prime trees
// ---------------------------------------------------------------------------------------

/** Minimal shape of a nerdamer-prime Symbol (internal API of 1.5.x). */
export interface NerdamerSymbolLike {
  group: number;
  value: string;
  multiplier: { num: { toString(): string }; den: { toString(): string } };
  power: { num: { toString(): string }; den: { toString(): string } } | NerdamerSymbolLike;
  fname?: string;
  args?: NerdamerSymbolLike[];
  symbols?: Record<string, NerdamerSymbolLike>;
  previousGroup?: number;
  imaginary?: boolean;
}

const N = 1, P = 2, S = 3, EX = 4, FN = 5, PL = 6, CB = 7, CP = 8;

const NERDAMER_NAMES: Record<string, string> = { step: 'heaviside', ln: 'log' };

function fracOf(f: { num: { toString(): string }; den: { toString(): string } }): Expr {
  return numRat(rat(BigInt(f.num.toString()), BigInt(f.den.toString())));
}

function isSymbolLike(x: unknown): x is NerdamerSymbolLike {
  return typeof x === 'object' && x !== null && typeof (x as { group?: unknown }).group === 'number';
}

/**
 * Convert a nerdamer-prime symbol tree to an Expr, exactly: multipliers and rational powers
 * stay rational. Throws ParseError for imaginary numbers, vectors and unknown functions.
 */
export function fromNerdamer(s: NerdamerSymbolLike, opts: ParseOptions = {}): Expr {
  if (!isSymbolLike(s)) throw new ParseError('not a nerdamer expression (vectors, matrices and equations are not supported)');
  if (s.imaginary || s.value === 'i') throw new ParseError('imaginary numbers are not supported');
  const mult = fracOf(s.multiplier);
  const power: Expr = isSymbolLike(s.power) ? fromNerdamer(s.power, opts) : fracOf(s.power);
  const kids = () => Object.values(s.symbols ?? {}).map((c) => fromNerdamer(c, opts));
  const fnCall = (): Expr => {
    const name0 = s.fname ?? '';
    const args = (s.args ?? []).map((a) => fromNerdamer(a, opts));
    if (name0 === '') return args[0]; // parens
    if (name0 === 'sqrt') return pow(args[0], HALF);
    const name = NERDAMER_NAMES[name0] ?? name0;
    if (!getFunction(name) && !opts.allowUnknownFunctions) throw new ParseError(`unknown function '${name0}'`);
    try {
      return call(name, args);
    } catch (err) {
      throw new ParseError(err instanceof Error ? err.message : String(err));
    }
  };
  const atomOf = (value: string): Expr => {
    if (value === 'pi') return PI;
    if (value === 'e') return E_CONST;
    if (/^-?\d/.test(value)) return num(value);
    return sym(value);
  };
  let base: Expr;
  let g = s.group;
  if (g === EX) g = s.previousGroup === N || s.previousGroup === undefined ? (/^-?\d/.test(s.value) ? P : S) : s.previousGroup;
  switch (g) {
    case N:
      return mult;
    case P:
      base = num(s.value);
      break;
    case S:
      base = atomOf(s.value);
      break;
    case FN:
      base = fnCall();
      break;
    case PL:
    case CP:
      base = add(...kids());
      break;
    case CB:
      base = mul(...kids());
      break;
    default:
      throw new ParseError(`unsupported nerdamer group ${s.group}`);
  }
  return mul(mult, pow(base, power));
}

/**
 * Parse with nerdamer-prime and convert its tree. Guarded: calls of names nerdamer does not
 * know (which it would turn into products) are rejected. Prefer `parse` — nerdamer's own
 * rewrites (sqrt(x*y) -> sqrt(x)*sqrt(y), float64 decimals) still apply here.
 */
export function parseViaNerdamer(src: string, opts: ParseOptions = {}): Expr {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const nerdamer = require('nerdamer-prime');
  const known = new Set<string>(Object.keys(nerdamer.getCore().PARSER.functions));
  for (const m of src.matchAll(/([A-Za-z_][A-Za-z0-9_]*)\s*\(/g)) {
    if (!known.has(m[1])) throw new ParseError(`unknown function '${m[1]}' (nerdamer-prime would read it as a product)`);
  }
  let s: unknown;
  try {
    s = nerdamer(src).symbol;
  } catch (err) {
    throw new ParseError(`nerdamer: ${err instanceof Error ? err.message : String(err)}`);
  }
  return fromNerdamer(s as NerdamerSymbolLike, opts);
}

export { SymbolicError };
