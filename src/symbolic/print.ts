/**
 * Printing: `toString` (plain text that `parse` reads back to an equal tree) and `toLatex`.
 */
import {
  Expr, Num, pow, numRat, getFunction, isNegativeForm, neg,
} from './expr';

// ---------------------------------------------------------------------------------------
// Shared: split a product into sign, numerator and denominator
// ---------------------------------------------------------------------------------------

interface Frac {
  negative: boolean;
  cn: bigint; // |coefficient numerator|
  cd: bigint; // coefficient denominator
  num: Expr[]; // numerator factors (positive exponents)
  den: Expr[]; // denominator factors (exponents made positive)
}

function splitFrac(e: Expr): Frac {
  const out: Frac = { negative: false, cn: 1n, cd: 1n, num: [], den: [] };
  const fs = e.kind === 'mul' ? e.factors : [e];
  for (const f of fs) {
    if (f.kind === 'num') {
      out.negative = f.n < 0n;
      out.cn = f.n < 0n ? -f.n : f.n;
      out.cd = f.d;
    } else if (f.kind === 'pow' && f.exp.kind === 'num' && f.exp.n < 0n) {
      out.den.push(pow(f.base, numRat({ n: -f.exp.n, d: f.exp.d })));
    } else out.num.push(f);
  }
  return out;
}

/** Order terms for display: keep canonical order but start with a positive term if any. */
function displayTerms(terms: readonly Expr[]): Expr[] {
  const ts = [...terms];
  if (ts.length > 1 && isNegativeForm(ts[0])) {
    const i = ts.findIndex((t) => !isNegativeForm(t));
    if (i > 0 && ts[0].kind === 'num') {
      // -2 + 8 t^2 - 6 t^4  ->  8 t^2 - 6 t^4 - 2
      const [c] = ts.splice(0, 1);
      ts.push(c);
    } else if (i > 0) {
      const [t] = ts.splice(i, 1);
      ts.unshift(t);
    }
  }
  return ts;
}

// ---------------------------------------------------------------------------------------
// Plain text
// ---------------------------------------------------------------------------------------

const P_ADD = 1;
const P_MUL = 2;
const P_NEG = 3;
const P_POW = 4;
const P_ATOM = 5;

function numStr(n: Num): [string, number] {
  if (n.d === 1n) return [n.n.toString(), n.n < 0n ? P_NEG : P_ATOM];
  return [`${n.n}/${n.d}`, n.n < 0n ? P_NEG : P_MUL];
}

function strP(e: Expr): [string, number] {
  switch (e.kind) {
    case 'num':
      return numStr(e);
    case 'sym':
      return [e.name, P_ATOM];
    case 'call':
      return [`${e.name}(${e.args.map((a) => strP(a)[0]).join(', ')})`, P_ATOM];
    case 'add': {
      const ts = displayTerms(e.terms);
      let s = strP(ts[0])[0];
      for (let i = 1; i < ts.length; i++) {
        const t = ts[i];
        if (isNegativeForm(t)) s += ' - ' + wrap(strP(neg(t)), P_MUL);
        else s += ' + ' + strP(t)[0];
      }
      return [s, P_ADD];
    }
    case 'pow':
    case 'mul': {
      if (e.kind === 'pow' && !(e.exp.kind === 'num' && e.exp.n < 0n)) return powStr(e.base, e.exp);
      const f = splitFrac(e);
      const numParts: string[] = [];
      if (f.cn !== 1n || f.num.length === 0) numParts.push(f.cn.toString());
      for (const x of f.num) numParts.push(wrap(strP(x), P_MUL));
      let s = numParts.join('*');
      const denParts: string[] = [];
      if (f.cd !== 1n) denParts.push(f.cd.toString());
      for (const x of f.den) denParts.push(wrap(strP(x), P_MUL));
      let prec = P_MUL;
      if (denParts.length === 1) {
        s += '/' + wrap(strP(f.den.length ? f.den[0] : numRat({ n: f.cd, d: 1n })), P_POW);
      } else if (denParts.length > 1) {
        s += '/(' + denParts.join('*') + ')';
      }
      if (f.negative) {
        s = '-' + s;
        prec = P_NEG;
      }
      return [s, numParts.length === 1 && !denParts.length && !f.negative ? strP(f.num[0] ?? numRat({ n: f.cn, d: 1n }))[1] : prec];
    }
  }
}

function powStr(b: Expr, x: Expr): [string, number] {
  if (x.kind === 'num' && x.n === 1n && x.d === 2n) return [`sqrt(${strP(b)[0]})`, P_ATOM];
  const bs = wrap(strP(b), P_ATOM);
  const xs = strP(x);
  const es = xs[1] >= P_ATOM && !(x.kind === 'num' && x.n < 0n) ? xs[0] : `(${xs[0]})`;
  return [`${bs}^${es}`, P_POW];
}

function wrap([s, p]: [string, number], min: number): string {
  return p >= min ? s : `(${s})`;
}

/** Plain text form; `parse(toString(e))` gives back an equal expression. */
export function toString(e: Expr): string {
  return strP(e)[0];
}

// ---------------------------------------------------------------------------------------
// LaTeX
// ---------------------------------------------------------------------------------------

export interface LatexOptions {
  /** LaTeX for symbol names, e.g. { sw2: '\\sigma_w^2', K11: '\\mathcal{K}_{11}' }. */
  symbols?: Record<string, string>;
  /**
   * Integer powers of a symbol whose LaTeX is itself a power combine: sw2^2 -> \sigma_w^4 instead
   * of (\sigma_w^2)^2 (default false).
   */
  combineSymbolPowers?: boolean;
  /**
   * Order of the factors of a product (the printer's one notation setting, like sympy's `order`):
   * 'natural' (default) writes the numeric coefficient, then Greek letters and parameters
   * (\\alpha, \\sigma_w), then other symbols, then calligraphic kernels, then functions and
   * brackets, e.g. \\frac{\\alpha^2 \\sigma_w^2 \\mathcal{K}}{2}; 'none' keeps the canonical order of
   * the algebra (the order in which the expression stores its factors).
   */
  order?: 'natural' | 'none';
}

const GREEK = new Set([
  'alpha', 'beta', 'gamma', 'delta', 'epsilon', 'varepsilon', 'zeta', 'eta', 'theta', 'vartheta', 'iota', 'kappa',
  'lambda', 'mu', 'nu', 'xi', 'pi', 'rho', 'varrho', 'sigma', 'tau', 'upsilon', 'phi', 'varphi', 'chi', 'psi', 'omega',
  'Gamma', 'Delta', 'Theta', 'Lambda', 'Xi', 'Pi', 'Sigma', 'Upsilon', 'Phi', 'Psi', 'Omega',
]);

function nameLatex(base: string): string {
  if (GREEK.has(base)) return '\\' + base;
  if (base.length === 1) return base;
  return `\\mathrm{${base}}`;
}

/** Default LaTeX of a symbol name: greek letters, subscripts from '_' or trailing digits. */
export function symbolLatex(name: string, map?: Record<string, string>): string {
  if (map && Object.prototype.hasOwnProperty.call(map, name)) return map[name];
  if (name === 'e') return 'e';
  const us = name.indexOf('_');
  if (us > 0 && us < name.length - 1) {
    const sub = name.slice(us + 1);
    return `${symbolLatex(name.slice(0, us))}_{${/^\d+$/.test(sub) ? sub : symbolLatex(sub)}}`;
  }
  const m = /^([A-Za-z]+?)(\d+)$/.exec(name);
  if (m) return `${nameLatex(m[1])}_{${m[2]}}`;
  const prime = /^(.*?)('+)$/.exec(name);
  if (prime && prime[1]) return symbolLatex(prime[1], map) + prime[2];
  return nameLatex(name);
}

/** Rank of a factor in the natural order (see LatexOptions.order): powers of numbers -1, Greek 0, other symbols 1, calligraphic 2, the rest 3. */
function factorRank(x: Expr, symbols?: Record<string, string>): number {
  const b = x.kind === 'pow' ? x.base : x;
  if (b.kind === 'num') return -1;
  if (b.kind !== 'sym') return 3;
  const s = symbolLatex(b.name, symbols);
  if (s.startsWith('\\mathcal')) return 2;
  const m = /^\\([A-Za-z]+)/.exec(s);
  return m && GREEK.has(m[1]) ? 0 : 1;
}

const TALL = /\\frac|\\sqrt|\\left|\\sum|\\int|\\binom|\\dfrac/;

function paren(s: string): string {
  return TALL.test(s) ? `\\left(${s}\\right)` : `(${s})`;
}

/** Functions written as operators: \sin x style with a power after the operator. */
const OPS: Record<string, string> = {
  sin: '\\sin', cos: '\\cos', tan: '\\tan', asin: '\\arcsin', acos: '\\arccos', atan: '\\arctan',
  sinh: '\\sinh', cosh: '\\cosh', tanh: '\\tanh', log: '\\log', erf: '\\operatorname{erf}',
  erfc: '\\operatorname{erfc}', sign: '\\operatorname{sgn}', heaviside: '\\Theta', gamma: '\\Gamma',
  max: '\\max', min: '\\min', digamma: '\\psi',
};

/** sqrt of a positive number or of pi / e. */
function isConstRadical(x: Expr): boolean {
  if (x.kind !== 'pow' || x.exp.kind !== 'num' || x.exp.n !== 1n || x.exp.d !== 2n) return false;
  const b = x.base;
  return (b.kind === 'num' && b.n > 0n) || (b.kind === 'sym' && (b.name === 'pi' || b.name === 'e'));
}

/** Functions whose integer powers are written on the operator: \\sin^2(x). */
const POWER_ON_OP = new Set(['sin', 'cos', 'tan', 'sinh', 'cosh', 'tanh', 'erf', 'erfc']);

class LatexPrinter {
  constructor(private readonly opts: LatexOptions) {}

  /** [latex, precedence] */
  p(e: Expr): [string, number] {
    switch (e.kind) {
      case 'num': {
        const n = e.n < 0n ? -e.n : e.n;
        const s = e.d === 1n ? n.toString() : `\\frac{${n}}{${e.d}}`;
        if (e.n < 0n) return ['-' + s, P_NEG];
        return [s, e.d === 1n ? P_ATOM : P_MUL];
      }
      case 'sym':
        return [symbolLatex(e.name, this.opts.symbols), P_ATOM];
      case 'call':
        return [this.call(e.name, e.args), P_ATOM];
      case 'add': {
        const ts = displayTerms(e.terms);
        let s = this.p(ts[0])[0];
        for (let i = 1; i < ts.length; i++) {
          const t = ts[i];
          if (isNegativeForm(t)) s += ' - ' + this.wrapMul(neg(t));
          else s += ' + ' + this.p(t)[0];
        }
        return [s, P_ADD];
      }
      case 'pow':
        if (!(e.exp.kind === 'num' && e.exp.n < 0n)) return this.pow(e.base, e.exp);
      // fall through: negative exponent prints as a fraction
      case 'mul':
        return this.product(e);
    }
  }

  private wrapMul(e: Expr): string {
    const [s, p] = this.p(e);
    return p > P_ADD ? s : paren(s);
  }

  /** A factor inside a product. */
  private factor(e: Expr): string {
    const [s, p] = this.p(e);
    return p >= P_POW ? s : paren(s);
  }

  private joinFactors(parts: string[]): string {
    let s = '';
    for (const part of parts) {
      if (!s) s = part;
      else if (/^[0-9]/.test(part)) s += ' \\cdot ' + part;
      else if (/\)$/.test(s) && /^(\(|\\left\()/.test(part)) s += part;
      else s += ' ' + part;
    }
    return s;
  }

  private product(e: Expr): [string, number] {
    const f = splitFrac(e);
    if (this.opts.order !== 'none') {
      // a stable sort: factors of one rank keep the canonical order
      const byRank = (xs: Expr[]) => xs.map((x, i) => [factorRank(x, this.opts.symbols), i, x] as const).sort((u, v) => u[0] - v[0] || u[1] - v[1]).map((t) => t[2]);
      f.num = byRank(f.num);
      f.den = byRank(f.den);
    }
    const isSimple = (x: Expr): boolean => {
      const b = x.kind === 'pow' ? x.base : x;
      return b.kind === 'sym' || b.kind === 'num';
    };
    const isBig = (x: Expr): boolean => {
      const b = x.kind === 'pow' ? x.base : x;
      return b.kind === 'add' || b.kind === 'call';
    };
    let numF = f.num;
    let trailing: Expr[] = [];
    // \frac{2 \sigma_w^2}{\pi} \arcsin(...): big factors follow a simple fraction.
    if (f.den.length + (f.cd !== 1n ? 1 : 0) > 0 && f.den.every(isSimple) && (f.cn !== 1n || numF.some((x) => !isBig(x)))) {
      trailing = numF.filter(isBig);
      numF = numF.filter((x) => !isBig(x));
    }
    const numParts: string[] = [];
    if (f.cn !== 1n || (numF.length === 0 && (trailing.length === 0 || f.den.length > 0 || f.cd !== 1n))) numParts.push(f.cn.toString());
    numParts.push(...this.radicalGroup(numF));
    for (const x of numF) if (!isConstRadical(x)) numParts.push(this.factor(x));
    let s: string;
    if (f.den.length === 0 && f.cd === 1n) {
      s = this.joinFactors([...numParts, ...trailing.map((x) => this.factor(x))]);
    } else {
      const denParts: string[] = [];
      if (f.cd !== 1n) denParts.push(f.cd.toString());
      denParts.push(...this.radicalGroup(f.den));
      for (const x of f.den) if (!isConstRadical(x)) denParts.push(this.factor(x));
      const numS = numParts.length === 1 && numF.length === 1 ? this.p(numF[0])[0] : this.joinFactors(numParts);
      const denS = denParts.length === 1 && f.den.length === 1 ? this.p(f.den[0])[0] : this.joinFactors(denParts);
      s = `\\frac{${numS}}{${denS}}`;
      if (trailing.length) s = this.joinFactors([s, ...trailing.map((x) => this.factor(x))]);
    }
    if (f.negative) return ['-' + s, P_NEG];
    const single = numParts.length + trailing.length === 1 && f.den.length === 0 && f.cd === 1n;
    return [s, single ? this.p(trailing[0] ?? numF[0] ?? numRat({ n: f.cn, d: 1n }))[1] : P_MUL];
  }

  /** Square roots of positive constants print as one radical: \sqrt{2} \sqrt{\pi} -> \sqrt{2 \pi}. */
  private radicalGroup(fs: Expr[]): string[] {
    const rs = fs.filter(isConstRadical);
    if (rs.length === 0) return [];
    if (rs.length === 1) return [this.factor(rs[0])];
    const inner = this.joinFactors(rs.map((r) => this.factor((r as { base: Expr }).base)));
    return [`\\sqrt{${inner}}`];
  }

  private pow(b: Expr, x: Expr): [string, number] {
    if (x.kind === 'num' && x.n === 1n && x.d > 1n) {
      const inner = this.p(b)[0];
      return [x.d === 2n ? `\\sqrt{${inner}}` : `\\sqrt[${x.d}]{${inner}}`, P_ATOM];
    }
    const xs = x.kind === 'num' && x.d !== 1n ? `${x.n}/${x.d}` : this.p(x)[0];
    const sup = xs.length === 1 ? `^${xs}` : `^{${xs}}`;
    // Operator-style functions take the power on the operator: \sin^{2}(x).
    if (b.kind === 'call' && POWER_ON_OP.has(b.name) && x.kind === 'num' && x.d === 1n && x.n > 0n && !getFunction(b.name)?.latex) {
      return [`${OPS[b.name]}${sup}${this.args(b.args)}`, P_POW];
    }
    const [bs, bp] = this.p(b);
    // A symbol printed as a power (sw2 -> \sigma_w^2) to an integer power: \sigma_w^4, not (\sigma_w^2)^2.
    const symPow = this.opts.combineSymbolPowers && b.kind === 'sym' && x.kind === 'num' && x.d === 1n ? /^(.*[^\s^])\^(?:(\d+)|\{(\d+)\})$/.exec(bs) : null;
    if (symPow && !/[_^]\{?[^}]*\^/.test(symPow[1])) {
      const k = BigInt(symPow[2] ?? symPow[3]) * (x as { n: bigint }).n;
      const ks = k.toString();
      return [`${symPow[1]}^${ks.length === 1 ? ks : `{${ks}}`}`, P_POW];
    }
    const needParen = bp < P_ATOM || (b.kind === 'call' && b.name === 'exp') || (b.kind !== 'call' && bs.includes('^'));
    // A registered function printed with a superscript (X^{(l)}): brace it, never a double superscript.
    const base = needParen ? paren(bs) : b.kind === 'call' && bs.includes('^') && !bs.startsWith('\\left') ? `{${bs}}` : bs;
    return [`${base}${sup}`, P_POW];
  }

  private args(args: readonly Expr[]): string {
    return paren(args.map((a) => this.p(a)[0]).join(', '));
  }

  private call(name: string, args: readonly Expr[]): string {
    const def = getFunction(name);
    if (def?.latex) return def.latex(args.map((a) => this.p(a)[0]));
    if (name === 'abs') return `\\left|${this.p(args[0])[0]}\\right|`;
    if (name === 'exp') {
      const u = this.p(args[0])[0];
      return u.length <= 40 ? `e^{${u}}` : `\\exp${paren(u)}`;
    }
    const op = OPS[name] ?? (/^[A-Za-z]+$/.test(name) && name.length > 1 ? `\\operatorname{${name}}` : symbolLatex(name, this.opts.symbols));
    return `${op}${this.args(args)}`;
  }
}

/**
 * LaTeX a physicist would accept: \frac, \sqrt, \arcsin, \operatorname{erf}, \left( \right)
 * only around tall content, minus signs folded, symbols mapped through `opts.symbols`
 * (default: greek names, trailing digits / '_x' as subscripts).
 */
export function toLatex(e: Expr, opts: LatexOptions = {}): string {
  return new LatexPrinter(opts).p(e)[0];
}
