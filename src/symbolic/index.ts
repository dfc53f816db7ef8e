/**
 * The symbolic core: one immutable expression type for the whole engine, with our own
 * differentiation, series, simplification, printing and float64 / Decimal evaluation.
 * nerdamer-prime is not used for any of these (its known bugs are pinned by regression tests).
 */
import './functions'; // registers the built-in functions

export {
  Expr, Num, Sym, Add, Mul, Pow, Call, FunctionDef, SymbolicError,
  num, sym, add, sub, mul, div, neg, pow, sqrt, fn, call, rebuild, children,
  PI, E_CONST, ZERO, ONE, TWO, HALF, MINUS_ONE,
  registerFunction, getFunction, registeredFunctionNames,
  freeSymbols, dependsOn, equals, isConstant, size, substitute, isNegativeForm, degree, compareExpr, negateSum,
} from './expr';
export { relu, BUILTIN_FUNCTIONS } from './functions';
export { diff, nthDiff } from './diff';
export { simplify, expand, expandPoly, factorTerms, together } from './simplify';
export { series, seriesCoefficients } from './series';
export { toString, toLatex, symbolLatex, LatexOptions } from './print';
export { parse, ParseError, ParseOptions, fromNerdamer, parseViaNerdamer } from './parse';
export { compileF64, compileDecimal, evalDecimal, evalDecimalAt, f64Source } from './compile';
export {
  verifyIdentity, verifyDerivative, numericalTaylorCoefficients, assertVerified, assertIdentity, assertDerivative,
  VerifyOptions, VerifyResult, VerificationError,
} from './verify';
