/**
 * Activations as first-class objects. One object knows
 *   - its formula phi(x) as a symbolic expression (for derivations and LaTeX),
 *   - fast float64 and arbitrary-precision Decimal evaluators,
 *   - where it is not smooth (kinks, for quadrature splitting),
 *   - its (almost-everywhere) derivatives, as activations again,
 *   - closed forms of its Gaussian second moments where they exist, written once over any
 *     `Field<T>` so that the same code yields float64 numbers, Decimals and expressions.
 */
import Decimal from 'decimal.js';
import { Field } from '../numeric/field';
import { erf, erf64 } from '../numeric/special';
import {
  Expr, parse, diff, simplify, compileF64, compileDecimal, toLatex, toString as exprToString,
  freeSymbols, ParseError, children, sub, substitute,
} from '../symbolic';
import { InputError } from './errors';
import { arcCosineJ } from './arccos';
import { analyseActivation } from './singularities';
import { plainMath } from '../numeric/plainMath';
import { memoDecimal } from '../numeric/memo';
import * as el from '../numeric/elementary';
// A plain-object copy of Math: under jest the global Math is a proxy and each Math.* access costs ~1 us.
const Math = plainMath();

export type Continuity = 'smooth' | 'kinked' | 'discontinuous';

/** Closed-form Gaussian second moments, generic over the arithmetic. */
export interface ClosedForm {
  /** <phi(u) phi(v)>, (u, v) ~ N(0, [[k11, k12], [k12, k22]]). */
  pair<T>(F: Field<T>, k11: T, k12: T, k22: T): T;
  /** <phi(u)^2>, u ~ N(0, k). */
  square<T>(F: Field<T>, k: T): T;
  /** <phi(u)>, u ~ N(0, k) (the mean a non-odd activation gives every neuron), when known in closed form. */
  mean?<T>(F: Field<T>, k: T): T;
  /** LaTeX of the pair moment in terms of K_{11}, K_{12}, K_{22} (for documentation). */
  latex: string;
  /**
   * True when d pair / d K12 (Price's theorem: the pair moment of phi') is finite at rho = 1 as
   * written, so the derivative pair may be taken from this closed form there too.
   */
  regularDerivative?: boolean;
}

/**
 * phi(x) = a max(0, x)^k - b max(0, -x)^k: relu is { k: 1, a: 1, b: 0 }, the identity
 * { k: 1, a: 1, b: 1 }, relu-power:k { k, a: 1, b: 0 }, abs(x) { k: 1, a: 1, b: -1 }.
 */
export interface Rectified {
  k: number;
  a: number;
  b: number;
}

export interface Activation {
  /** Canonical name, e.g. "relu", "relu-power:2", "x/(1+abs(x))". */
  readonly name: string;
  /** phi(x) in the variable x. */
  readonly expr: Expr;
  /** Points where phi or one of its derivatives is not smooth (quadrature splits there). */
  readonly kinks: number[];
  readonly continuity: Continuity;
  /** phi(lambda x) = lambda^d phi(x) for lambda > 0, when true for some d. */
  readonly homogeneousDegree?: number;
  readonly parity?: 'odd' | 'even';
  readonly closedForm?: ClosedForm;
  /** Set when phi is a rectified power a max(0,x)^k - b max(0,-x)^k (arc-cosine kernels apply). */
  readonly rectified?: Rectified;
  /** phi is affine in x (its image of a Gaussian field is Gaussian). */
  readonly linear: boolean;
  /** c when |phi(x)| grows like exp(c x^2) (user expressions; E[phi^2] diverges for variance >= 1/(4c)). */
  readonly growth?: number;
  f64(x: number): number;
  dec(x: Decimal): Decimal;
  /** The almost-everywhere derivative (distributional deltas at kinks are dropped). */
  derivative(): Activation;
  latex(): string;
}

interface ActivationInit {
  name: string;
  expr: Expr;
  kinks?: number[];
  continuity: Continuity;
  homogeneousDegree?: number;
  parity?: 'odd' | 'even';
  closedForm?: ClosedForm;
  rectified?: Rectified;
  linear?: boolean;
  growth?: number;
  f64?: (x: number) => number;
  dec?: (x: Decimal) => Decimal;
}

function makeActivation(init: ActivationInit): Activation {
  const f64 = init.f64 ?? compileF64(init.expr, ['x']);
  const decCompiled = init.dec ?? compileDecimal(init.expr, ['x']);
  let deriv: Activation | undefined;
  const act: Activation = {
    name: init.name,
    expr: init.expr,
    kinks: init.kinks ?? [],
    continuity: init.continuity,
    homogeneousDegree: init.homogeneousDegree,
    parity: init.parity,
    closedForm: init.closedForm,
    rectified: init.rectified,
    linear: init.linear ?? false,
    growth: init.growth,
    f64,
    dec: decCompiled,
    derivative() {
      if (!deriv) {
        const d = simplify(diff(init.expr, 'x'));
        deriv = makeActivation({
          name: `(${init.name})'`,
          expr: d,
          kinks: init.kinks,
          continuity: init.continuity === 'smooth' ? 'smooth' : 'discontinuous',
          homogeneousDegree: init.homogeneousDegree !== undefined && init.homogeneousDegree >= 1 ? init.homogeneousDegree - 1 : undefined,
          parity: init.parity === 'odd' ? 'even' : init.parity === 'even' ? 'odd' : undefined,
          // the derivative of an affine map is a constant, itself affine
          linear: init.linear,
          growth: init.growth,
        });
      }
      return deriv;
    },
    latex: () => toLatex(init.expr),
  };
  return act;
}

// ---------------------------------------------------------------------------------------
// Closed forms, each written once over Field<T>.

const reluClosed: ClosedForm = {
  // sqrt(k11 k22)/(2 pi) (sin t + (pi - t) cos t), t = acos(rho), written without cancellation:
  // (sqrt(k11 k22 - k12^2) + (pi - acos(rho)) k12) / (2 pi)
  pair: (F, k11, k12, k22) => {
    const s = F.sqrt(F.mul(k11, k22));
    const rho = F.div(k12, s);
    const det = F.sub(F.mul(k11, k22), F.mul(k12, k12));
    const sinPart = F.sqrt(F.kind === 'symbolic' ? det : maxZero(F, det));
    const twoPi = F.mul(F.of(2), F.pi());
    return F.div(F.add(sinPart, F.mul(F.sub(F.pi(), F.acos(rho)), k12)), twoPi);
  },
  square: (F, k) => F.div(k, F.of(2)),
  // E[max(0, u)] = sqrt(k / (2 pi))
  mean: (F, k) => F.sqrt(F.div(k, F.mul(F.of(2), F.pi()))),
  latex: '\\frac{1}{2\\pi}\\left(\\sqrt{K_{11}K_{22}-K_{12}^2} + \\left(\\pi - \\arccos\\frac{K_{12}}{\\sqrt{K_{11}K_{22}}}\\right)K_{12}\\right)',
};

function maxZero<T>(F: Field<T>, x: T): T {
  return F.toNumber(x) < 0 ? F.of(0) : x;
}

/** 2/pi of a numeric field, computed once per field (a symbolic field gets the expression). */
const twoOverPiCache = new WeakMap<object, unknown>();
function twoOverPi<T>(F: Field<T>): T {
  if (F.kind === 'symbolic') return F.div(F.of(2), F.pi());
  let v = twoOverPiCache.get(F) as T | undefined;
  if (v === undefined) {
    v = F.div(F.of(2), F.pi());
    twoOverPiCache.set(F, v);
  }
  return v;
}

const erfClosed: ClosedForm = {
  pair: (F, k11, k12, k22) => {
    const one = F.of(1);
    const two = F.of(2);
    const a11 = F.add(one, F.mul(two, k11));
    // on the diagonal of a two-input kernel (k22 the same value as k11) the root is 1 + 2 k11
    const den = k11 === k22 && F.kind !== 'symbolic' ? a11 : F.sqrt(F.mul(a11, F.add(one, F.mul(two, k22))));
    return F.mul(twoOverPi(F), F.asin(F.div(F.mul(two, k12), den)));
  },
  square: (F, k) => {
    const two = F.of(2);
    return F.mul(twoOverPi(F), F.asin(F.div(F.mul(two, k), F.add(F.of(1), F.mul(two, k)))));
  },
  latex: '\\frac{2}{\\pi}\\arcsin\\frac{2K_{12}}{\\sqrt{(1+2K_{11})(1+2K_{22})}}',
  regularDerivative: true,
};

const linearClosed: ClosedForm = {
  pair: (_F, _k11, k12) => k12,
  square: (_F, k) => k,
  latex: 'K_{12}',
  regularDerivative: true,
};

/** max(0,x)^n for integer n >= 0: (k11 k22)^(n/2) J_n(theta) / (2 pi) (Cho & Saul). */
function reluPowerClosed(n: number): ClosedForm {
  const J = arcCosineJ(n);
  return {
    pair: (F, k11, k12, k22) => {
      const s = F.sqrt(F.mul(k11, k22));
      const rho = F.div(k12, s);
      const scale = n === 0 ? F.of(1) : F.pow(s, F.of(n));
      return F.div(F.mul(scale, J.evaluate(F, rho)), F.mul(F.of(2), F.pi()));
    },
    square: (F, k) => {
      // E[max(0,u)^(2n)] = k^n (2n-1)!! / 2, with (-1)!! = 1.
      let df = 1n;
      for (let j = 2 * n - 1; j > 1; j -= 2) df *= BigInt(j);
      const kn = n === 0 ? F.of(1) : F.pow(k, F.of(n));
      return F.div(F.mul(kn, F.of(df.toString())), F.of(2));
    },
    mean: (F, k) => {
      // E[max(0,u)^n] = E|u|^n / 2: n = 2j gives k^j (2j-1)!! / 2; n = 2j+1 gives (2j)!! k^j sqrt(k / (2 pi)).
      const j = Math.floor(n / 2);
      let f = 1n;
      for (let i = n % 2 === 0 ? 2 * j - 1 : 2 * j; i > 1; i -= 2) f *= BigInt(i);
      const kj = j === 0 ? F.of(1) : F.pow(k, F.of(j));
      if (n % 2 === 0) return F.div(F.mul(kj, F.of(f.toString())), F.of(2));
      return F.mul(F.mul(kj, F.of(f.toString())), F.sqrt(F.div(k, F.mul(F.of(2), F.pi()))));
    },
    latex: `\\frac{(K_{11}K_{22})^{${n}/2}}{2\\pi} J_{${n}}(\\theta),\\quad \\theta = \\arccos\\frac{K_{12}}{\\sqrt{K_{11}K_{22}}}`,
  };
}

// ---------------------------------------------------------------------------------------
// Registry.

function decHalf(x: Decimal): Decimal {
  return new (x.constructor as typeof Decimal)(1).div(2);
}

// Decimal evaluations of the built-in activations, memoised (src/numeric/memo.ts)
const erfMemo = memoDecimal(erf);
const tanhMemo = memoDecimal((x) => x.tanh());

function builtin(name: string): Activation | undefined {
  switch (name) {
    case 'relu':
      return makeActivation({
        name, expr: parse('x*heaviside(x)'), kinks: [0], continuity: 'kinked', homogeneousDegree: 1,
        closedForm: reluClosed, rectified: { k: 1, a: 1, b: 0 }, f64: (x) => (x > 0 ? x : 0), dec: (x) => (x.isPos() && !x.isZero() ? x : x.mul(0).abs()),
      });
    case 'erf':
      return makeActivation({ name, expr: parse('erf(x)'), continuity: 'smooth', parity: 'odd', closedForm: erfClosed, f64: erf64, dec: erfMemo });
    case 'tanh':
      return makeActivation({ name, expr: parse('tanh(x)'), continuity: 'smooth', parity: 'odd', f64: Math.tanh, dec: tanhMemo });
    case 'linear':
      return makeActivation({ name, expr: parse('x'), continuity: 'smooth', parity: 'odd', homogeneousDegree: 1, closedForm: linearClosed,
        rectified: { k: 1, a: 1, b: 1 }, linear: true, f64: (x) => x, dec: (x) => x });
    case 'gelu':
      return makeActivation({
        name, expr: parse('x*(1+erf(x/sqrt(2)))/2'), continuity: 'smooth',
        f64: (x) => 0.5 * x * (1 + erf64(x / Math.SQRT2)),
        dec: memoDecimal((x) => x.times(erf(x.div((x.constructor as typeof Decimal).sqrt(2))).plus(1)).times(decHalf(x))),
      });
    case 'silu':
    case 'swish':
      return makeActivation({
        name: 'silu', expr: parse('x/(1+exp(-x))'), continuity: 'smooth',
        f64: (x) => (x >= 0 ? x / (1 + Math.exp(-x)) : (x * Math.exp(x)) / (1 + Math.exp(x))),
        dec: memoDecimal((x) => x.div(el.exp(x.neg()).plus(1))),
      });
    case 'sign':
      return makeActivation({
        name, expr: parse('sign(x)'), kinks: [0], continuity: 'discontinuous', homogeneousDegree: 0, parity: 'odd',
        f64: (x) => Math.sign(x), dec: (x) => new (x.constructor as typeof Decimal)(x.isZero() ? 0 : x.isNeg() ? -1 : 1),
      });
    default:
      return undefined;
  }
}

export const BUILTIN_ACTIVATIONS = ['relu', 'erf', 'tanh', 'linear', 'gelu', 'silu', 'swish', 'sign', 'relu-power:k'];

function reluPower(kText: string): Activation {
  const k = Number(kText);
  if (!/^\d+(\.\d+)?$/.test(kText) || !Number.isFinite(k) || k < 0 || k > 50) {
    throw new InputError('act', `relu-power:k needs a number k in [0, 50], got "${kText}"`);
  }
  const integer = Number.isInteger(k);
  const name = `relu-power:${kText}`;
  const expr = k === 0 ? parse('heaviside(x)') : parse(`(x*heaviside(x))^(${kText})`);
  return makeActivation({
    name, expr, kinks: [0], continuity: k === 0 ? 'discontinuous' : 'kinked',
    homogeneousDegree: k,
    closedForm: integer ? reluPowerClosed(k) : undefined,
    rectified: { k, a: 1, b: 0 },
    f64: (x) => (x > 0 ? Math.pow(x, k) : 0),
    dec: (x) => {
      const D = x.constructor as typeof Decimal;
      if (!x.isPos() || x.isZero()) return new D(0);
      return integer ? x.pow(k) : x.pow(new D(kText));
    },
  });
}

/** Locate kinks of a user expression: zeros of the arguments of abs/sign/heaviside. */
function locateKinks(expr: Expr): number[] {
  const kinks = new Set<number>();
  const visit = (e: Expr): void => {
    if (e.kind === 'call' && (e.name === 'abs' || e.name === 'sign' || e.name === 'heaviside' || e.name === 'max' || e.name === 'min')) {
      const arg = e.args.length === 2 ? sub(e.args[0], e.args[1]) : e.args[0];
      for (const z of realZeros(arg)) kinks.add(z);
    }
    for (const child of children(e)) visit(child);
  };
  visit(expr);
  return [...kinks].sort((a, b) => a - b);
}

/** Real zeros of g(x) on [-60, 60]: sign changes on a fine grid refined by bisection. */
function realZeros(g: Expr): number[] {
  const f = compileF64(g, ['x']);
  const zeros: number[] = [];
  const n = 24000;
  const lo = -60;
  const hi = 60;
  let xPrev = lo;
  let fPrev = f(lo);
  for (let i = 1; i <= n; i++) {
    const x = lo + ((hi - lo) * i) / n;
    const fx = f(x);
    if (fx === 0) zeros.push(x);
    else if (fPrev !== 0 && Math.sign(fx) !== Math.sign(fPrev) && Number.isFinite(fx) && Number.isFinite(fPrev)) {
      let a = xPrev;
      let b = x;
      let fa = fPrev;
      for (let it = 0; it < 200 && b - a > 1e-16 * Math.max(1, Math.abs(a)); it++) {
        const m = 0.5 * (a + b);
        const fm = f(m);
        if (fm === 0) { a = b = m; break; }
        if (Math.sign(fm) === Math.sign(fa)) { a = m; fa = fm; } else b = m;
      }
      zeros.push(0.5 * (a + b));
    }
    xPrev = x;
    fPrev = fx;
  }
  return zeros.map((z) => (Math.abs(z) < 1e-14 ? 0 : z));
}

function userExpression(src: string): Activation {
  let expr: Expr;
  try {
    expr = parse(src);
  } catch (e) {
    const why = e instanceof ParseError ? e.message : String(e);
    throw new InputError('act', `"${src}" is neither a known activation (${BUILTIN_ACTIVATIONS.join(', ')}) nor an expression in x that parses: ${why}`);
  }
  const free = [...freeSymbols(expr)].filter((s) => s !== 'x');
  if (free.length > 0) {
    throw new InputError('act', `expression "${src}" may use only the variable x, found ${free.join(', ')}`);
  }
  const known = recognised(src, expr);
  if (known) return known;
  const text = exprToString(expr);
  const kinks = locateKinks(expr);
  const usesStep = /\b(sign|heaviside)\(/.test(text);
  const continuity: Continuity = usesStep ? 'discontinuous' : kinks.length > 0 ? 'kinked' : 'smooth';
  // affine: a smooth phi whose second derivative simplifies to 0 (a kinked phi such as abs(x)
  // has phi'' = 0 almost everywhere without being affine)
  const second = continuity === 'smooth' ? simplify(diff(diff(expr, 'x'), 'x')) : undefined;
  const linear = second !== undefined && second.kind === 'num' && second.n === 0n;
  // c x (affine through 0) is odd
  const at0 = linear ? simplify(substitute(expr, { x: parse('0') })) : undefined;
  const parity = at0 !== undefined && at0.kind === 'num' && at0.n === 0n ? 'odd' as const : undefined;
  const rectified = simplify(expr) === simplify(parse('abs(x)')) ? { k: 1, a: 1, b: -1 } : undefined;
  const f64 = compileF64(expr, ['x']);
  const dec = compileDecimal(expr, ['x']);
  const growth = analyseActivation(src, expr, f64, dec);
  return makeActivation({ name: src, expr, kinks, continuity, linear, parity, rectified, homogeneousDegree: rectified ? 1 : undefined, f64, dec, growth });
}

/** Spellings of max(0, x) a user may write. */
const RELU_SPELLINGS = ['x*heaviside(x)', 'max(0,x)', 'max(x,0)'];

/** The built-ins a user expression may spell out (relu and its powers are matched separately). */
const FORMULA_BUILTINS = ['linear', 'erf', 'tanh', 'gelu', 'silu', 'sign'];

/**
 * A user expression that is structurally a built-in activation (x, erf(x), tanh(x), ...,
 * max(0,x), x*heaviside(x), max(0,x)^n for integer n) gets that activation's knowledge (closed
 * forms, parity, rectified form) under the user's name and formula.
 */
function recognised(src: string, expr: Expr): Activation | undefined {
  const e = simplify(expr);
  const spelt = (n: number): boolean =>
    RELU_SPELLINGS.some((r) => simplify(parse(n === 1 ? r : `(${r})^${n}`)) === e);
  for (const name of FORMULA_BUILTINS) if (isActivation(e, name)) return renamed(activation(name), src, expr);
  // the only candidate order: phi(2) / phi(1) = 2^n for max(0, x)^n
  const f = compileF64(expr, ['x']);
  const n = Math.round(Math.log2(f(2) / f(1)));
  if (!(n >= 1 && n <= 50) || !spelt(n)) return undefined;
  return renamed(activation(n === 1 ? 'relu' : `relu-power:${n}`), src, expr);
}

/** Whether phi's formula (an activation or an expression in x) is, after simplification, the built-in `name`'s. */
export function isActivation(phi: Activation | Expr, name: string): boolean {
  const e = 'kind' in phi ? phi : phi.expr;
  return simplify(e) === simplify(activation(name).expr);
}

function renamed(act: Activation, name: string, expr: Expr): Activation {
  return { ...act, name, expr, latex: () => toLatex(expr) };
}

const cache = new Map<string, Activation>();

/** Look up a built-in activation, `relu-power:k`, or parse a user expression in x. */
export function activation(spec: string): Activation {
  const key = spec.trim();
  const hit = cache.get(key);
  if (hit) return hit;
  if (key === '') throw new InputError('act', `an activation is required (${BUILTIN_ACTIVATIONS.join(', ')}, or an expression in x)`);
  let act = builtin(key);
  if (!act && key.startsWith('relu-power:')) act = reluPower(key.slice('relu-power:'.length));
  if (!act) act = userExpression(key);
  cache.set(key, act);
  return act;
}
