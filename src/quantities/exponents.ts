/**
 * The polynomial (and, at k = 1, exponential) laws of mean-field residual networks: each law's
 * exponent derived in closed form from the recursion's leading behaviour (continuum limit of the
 * difference equation; see docs/resnet-meanfield.md for the derivations), written as a symbolic
 * expression (src/symbolic: LaTeX, float64 evaluation, and the Gamma-function simplifications
 * verified by verifyIdentity), next to the exponent fitted to the iterated recursion.
 *
 *   length    p^l ~ C l^a            tanh: a = 1, C = sv2 + sa2;  relu-power k < 1: a = 1/(1-k),
 *                                     C = ((1-k) sv2 c_k sw2^k)^(1/(1-k)), c_k = W_k(1);  relu: ln p ~ l ln(1 + sv2 sw2/2)
 *   distance  |e^l - e*| ~ l^(-mu)    mu = min(mu_lin, forcing exponents), mu_lin = (1 - g'(e*)) / (1 - k)
 *                                     (tanh: k = 0 and g the sign kernel mixed with sa2); relu: 1 - e^l ~ C l^-2
 *   gradient  G^l = ln(chi^0/chi^l)   tanh: G ~ K l^(1/2), K = (8/3) sv2 sqrt(sw2) / sqrt(2 pi (sv2 + sa2));
 *                                     relu-power 1/2 < k < 1: G ~ R ln l, R = k^2 / ((1-k)(2k-1));  relu: G = l ln(1 + sv2 sw2/2)
 */
import { Expr, parse, compileF64, toLatex, simplify, verifyIdentity } from '../symbolic';
import { InputError, NumericalError } from '../model/errors';
import { isActivation } from '../model/activation';
import { ResidualSpec, iterate64, powerOf, Samples64, tanhMoments, carriesMean } from './residualMF';
import { angularW64, rectifiedPowerTable } from './rectifiedPower';
import { plainMath } from '../numeric/plainMath';
const Math = plainMath();

export type LawName = 'length' | 'distance' | 'gradient';
/** How the fitted quantity depends on the layer: y ~ l^x (power), y ~ exp(x l) (exponential), y ~ x ln l (logarithmic). */
export type LawForm = 'power' | 'exponential' | 'logarithmic';

export interface Law {
  law: LawName;
  /** What is fitted against what. */
  fitted_quantity: string;
  form: LawForm;
  /** The derived exponent (null when the law does not exist, e.g. the gradient of relu-power:k, k <= 1/2). */
  derived: number | null;
  derived_latex: string | null;
  /** Leading coefficient (C, K or R above), when derived. */
  coefficient?: number;
  coefficient_latex?: string;
  /** Least-squares slope over the last decade of layers [L/10, L]. */
  fitted: number | null;
  /** Slopes over the two previous decades [L/100, L/10] and [L/1000, L/100]. */
  previous: number | null;
  previous2: number | null;
  /**
   * Aitken extrapolation of the three decade slopes s1, s2, s3 (ratio rho = (s3-s2)/(s2-s1), used
   * when 0 < rho < 0.9: s3 + (s3-s2) rho/(1-rho)); otherwise the last-decade slope.
   */
  extrapolated: number | null;
  /** max(|s3 - s2|, |extrapolated - s3|), or 3 |s3 - s2| when the decade slopes do not converge geometrically. */
  error: number | null;
  /** Statistical standard error of the last-decade slope (the recursion is deterministic: only the misfit of the law). */
  stderr: number | null;
  note?: string;
}

export interface ExponentAnalysis {
  spec: ResidualSpec;
  /** Asymptotic cosine e* and, for the distance law, the slope of the asymptotic map there. */
  eStar: number;
  /** Error bound of e* when it comes from the interpolation table of relu-power:k (its checked error / |1 - slope|). */
  eStarError?: number;
  slopeAtEStar: number | null;
  /** Competing exponents of the distance law: linearisation and forcing by subleading terms. */
  distanceCandidates: { source: string; exponent: number }[];
  laws: Law[];
  windows: [number, number][];
  samples: Samples64;
  final: { layer: number; logP: number; cosine: number; G: number | null };
  /** Where the fitted depths do not reach the regime the laws are derived for. */
  warnings: string[];
  seconds: number;
}

const r10 = (x: number): string => x.toPrecision(10);

// ---------------------------------------------------------------------------------------
// Fits.

export function linearFit(x: number[], y: number[]): { slope: number; intercept: number; stderr: number } {
  const n = x.length;
  if (n < 3) throw new NumericalError(`a fit needs at least 3 points, got ${n}`);
  let mx = 0, my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i];
    my += y[i];
  }
  mx /= n;
  my /= n;
  let sxx = 0, sxy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (x[i] - mx) ** 2;
    sxy += (x[i] - mx) * (y[i] - my);
  }
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (y[i] - intercept - slope * x[i]) ** 2;
  return { slope, intercept, stderr: Math.sqrt(ss / (n - 2) / sxx) };
}

function windowFit(s: Samples64, lo: number, hi: number, fx: (l: number) => number, fy: (i: number) => number | null) {
  const xs: number[] = [], ys: number[] = [];
  for (let i = 0; i < s.layer.length; i++) {
    const l = s.layer[i];
    if (l < lo || l > hi) continue;
    const y = fy(i);
    if (y === null || !Number.isFinite(y)) continue;
    xs.push(fx(l));
    ys.push(y);
  }
  return linearFit(xs, ys);
}

/**
 * Fit of an accumulated quantity Y (ln Y given) through its increments: the secant slope
 * dY/dl between consecutive samples, against the geometric mid-layer, in log-log. For Y ~ C l^a + B
 * the constant B (which biases a log-log fit of Y itself by B / Y) drops out; returns the slope a - 1.
 */
function incrementFit(s: Samples64, lo: number, hi: number, lnY: (i: number) => number | null) {
  const xs: number[] = [], ys: number[] = [];
  for (let i = 0; i + 1 < s.layer.length; i++) {
    const l0 = s.layer[i], l1 = s.layer[i + 1];
    if (l0 < lo || l1 > hi) continue;
    const a = lnY(i), b = lnY(i + 1);
    if (a === null || b === null || !(b > a)) continue;
    xs.push(0.5 * (Math.log(l0) + Math.log(l1)));
    ys.push(a + Math.log(Math.expm1(b - a)) - Math.log(l1 - l0));
  }
  return linearFit(xs, ys);
}

// ---------------------------------------------------------------------------------------
// Derived laws, as symbolic expressions in k, sv2, sw2, sa2.

const CK = '(2^(k-1)*gamma(k+1/2)/sqrt(pi))'; // W_k(1) = E[max(0,z)^(2k)]
const CKM1 = '(2^(k-2)*gamma(k-1/2)/sqrt(pi))'; // W_(k-1)(1)
const MK = '(2^(k/2)*gamma((k+1)/2)/(2*sqrt(pi)))'; // M_k = E[max(0,z)^k]

interface Formula {
  expr: Expr;
  latex: string;
  value: (env: Record<string, number>) => number;
}

const formulaCache = new Map<string, Formula>();

function formula(src: string, simplified?: string): Formula {
  const hit = formulaCache.get(src);
  if (hit) return hit;
  let expr = simplify(parse(src));
  if (simplified !== undefined) {
    // The Gamma-function form simplifies to a rational one: verified at random points, then used.
    const s = parse(simplified);
    const vars = ['k', 'sv2', 'sw2', 'sa2'];
    const domain: Record<string, [number, number]> = { k: [0.55, 0.95], sv2: [0.2, 3], sw2: [0.2, 3], sa2: [0, 2] };
    const r = verifyIdentity(expr, s, { domain: Object.fromEntries(vars.map((v) => [v, domain[v]])), digits: 30 });
    if (!r.ok) throw new NumericalError(`derived formula ${src} = ${simplified} failed verification: ${r.reason}`);
    expr = s;
  }
  const vars = ['k', 'sv2', 'sw2', 'sa2'];
  const f = compileF64(expr, vars);
  const out: Formula = { expr, latex: toLatex(expr), value: (env) => f(...vars.map((v) => env[v] ?? 0)) };
  formulaCache.set(src, out);
  return out;
}

/** The derived formulas, keyed by law and activation family (also printed in the docs). */
export const FORMULAS = {
  tanhLengthExponent: () => formula('1'),
  tanhLengthCoefficient: () => formula('sv2 + sa2'),
  powLengthExponent: () => formula('1/(1-k)'),
  powLengthCoefficient: () => formula(`((1-k)*sv2*${CK}*sw2^k)^(1/(1-k))`),
  reluLengthRate: () => formula('log(1 + sv2*sw2/2)'),
  tanhGradientExponent: () => formula('1/2'),
  // K = 2 sv2 sw2 int sech^4 / sqrt(2 pi sw2 (sv2 + sa2)), int sech^4 = 4/3 (tanhMoments().S4[0]).
  tanhGradientCoefficient: () => formula('(8/3)*sv2*sqrt(sw2)/sqrt(2*pi*(sv2+sa2))'),
  // R = sv2 sw2 k^2 W_(k-1)(1) q^(k-1) * l, with q^(1-k) = sw2^(1-k) (1-k) sv2 W_k(1) sw2^k l:
  powGradientExponent: () => formula(`k^2*${CKM1}/((1-k)*${CK})`, 'k^2/((1-k)*(2*k-1))'),
  reluGradientRate: () => formula('log(1 + sv2*sw2/2)'),
  reluDistanceExponent: () => formula('2'),
  // 1 - e ~ 4 / (K^2 l^2), K = (a/(1+a)) 2 sqrt(2) / (3 pi), a = sv2 sw2 / 2.
  reluDistanceCoefficient: () => formula('4/((sv2*sw2/2)/(1+sv2*sw2/2)*2*sqrt(2)/(3*pi))^2'),
  // Reduced network with a non-odd phi: the neurons' common mean m grows with them.
  // m' = M_k q^(k/2), p' = 2 m M_k q^(k/2) + W_k(1) q^k with q ~ sw2 p: p ~ m^2 ~ C l^(2/(1-k)).
  meanLengthExponent: () => formula('2/(1-k)'),
  meanLengthCoefficient: () => formula(`((1-k)*${MK}*sw2^(k/2))^(2/(1-k))`),
  // d = p - lambda is untouched by the mean and converges (d' ~ l^-2 d, or l^(-1/(1-k)) d^(k+1/2) for k < 1/2): 1 - e = d/p ~ l^(-2/(1-k)).
  meanDistanceExponent: () => formula('2/(1-k)'),
  // dG/dl = sw2 k^2 W_(k-1)(1) q^(k-1) ~ B l^-2 with q^(1-k) = sw2^(1-k) C^(1-k): G converges, G_inf - G^l ~ B / l.
  meanGradientExponent: () => formula('-1'),
  meanGradientCoefficient: () => formula(`k^2*${CKM1}/((1-k)^2*${MK}^2)`),
};

/**
 * The reduced relu network with its mean: per layer p <- p (1 + 2 beta r + sw2/2) and
 * r = m / sqrt(p) <- (r + beta) / sqrt(1 + 2 beta r + sw2/2), beta = sqrt(sw2 / (2 pi)) (sb2 drops
 * out as p grows). r tends to r*, the one positive root of 2 beta r^3 + (sw2/2) r^2 - 2 beta r - beta^2
 * (one sign change: Descartes), so ln p grows by ln(1 + 2 beta r* + sw2/2) per layer, and the
 * distance d by ln(1 + sw2/2) (as without the mean).
 */
export function reluMeanRates(sw2: number): { rStar: number; lengthRate: number; distanceRate: number } {
  const beta = Math.sqrt(sw2 / (2 * Math.PI));
  const h = (r: number) => ((2 * beta * r + sw2 / 2) * r - 2 * beta) * r - beta * beta;
  let hi = 1;
  while (h(hi) <= 0) hi *= 2;
  const rStar = bisect(h, 0, hi);
  const lengthRate = Math.log1p(2 * beta * rStar + sw2 / 2);
  return { rStar, lengthRate, distanceRate: lengthRate - Math.log1p(sw2 / 2) };
}

function env(spec: ResidualSpec): Record<string, number> {
  return { k: powerOf(spec.act) ?? 0, sv2: Number(spec.sv2), sw2: Number(spec.sw2), sa2: Number(spec.sa2) };
}

/** Bisection for a sign change of h on [a, b] (h(a) h(b) < 0). */
function bisect(h: (x: number) => number, a: number, b: number): number {
  let ha = h(a);
  for (let it = 0; it < 200 && b - a > 1e-16 * Math.max(1, Math.abs(a)); it++) {
    const m = 0.5 * (a + b);
    const hm = h(m);
    if (hm === 0) return m;
    if (Math.sign(hm) === Math.sign(ha)) {
      a = m;
      ha = hm;
    } else b = m;
  }
  return 0.5 * (a + b);
}

/**
 * The asymptotic cosine e* and the slope of the asymptotic map there:
 *  tanh: g(e) = (sv2 (2/pi) asin e + sa2) / (sv2 + sa2) (the sign kernel: q -> inf), slope g'(e*);
 *  relu-power k < 1: f(e) = W_k(e)/W_k(1), slope f'(e*) = k^2 W_(k-1)(e*) / W_k(1) (derivative identity);
 *  relu: e* = 1.
 */
export function asymptoticCosine(spec: ResidualSpec): { eStar: number; slope: number | null; eStarError?: number } {
  const k = powerOf(spec.act);
  const sv2 = Number(spec.sv2), sa2 = Number(spec.sa2);
  // The common mean dominates both inputs' representations: the cosine tends to 1.
  if (carriesMean(spec)) return { eStar: 1, slope: null };
  if (k === undefined) {
    const g = (e: number) => (sv2 * (2 / Math.PI) * Math.asin(e) + sa2) / (sv2 + sa2);
    let eStar = 0;
    if (sa2 > 0) {
      // g(e) - e: positive at 0, negative just below 1 (asin has infinite slope there).
      let b = 1 - 1e-3;
      while (g(b) - b >= 0 && b < 1 - 1e-15) b = 1 - (1 - b) / 10;
      eStar = bisect((e) => g(e) - e, 0, b);
    }
    return { eStar, slope: (sv2 * (2 / Math.PI)) / ((sv2 + sa2) * Math.sqrt(1 - eStar * eStar)) };
  }
  if (k === 1) return { eStar: 1, slope: 1 };
  const T = rectifiedPowerTable(k);
  // f(e) - e on (-1, 1): f(-1) = 0 > -1, and f(e) < e just below 1 (f'(1) = k^2/(2k-1) > 1, or infinite for k <= 1/2).
  const h = (e: number) => T.f(Math.acos(e)) - e;
  let b = 1 - 1e-3;
  while (h(b) >= 0 && b < 1 - 1e-12) b = 1 - (1 - b) / 10;
  if (h(b) >= 0) throw new NumericalError(`no fixed point of the relu-power:${k} correlation map below 1`);
  const eStar = bisect(h, -1, b);
  const slope = (k * k * angularW64(k - 1, Math.acos(eStar))) / T.diag;
  return { eStar, slope, eStarError: T.checkedError / Math.max(Math.abs(1 - slope), 1e-3) };
}

export function analyseExponents(spec: ResidualSpec, opts: { perDecade?: number } = {}): ExponentAnalysis {
  const t0 = Date.now();
  const L = spec.depth;
  if (L < 10000) throw new InputError('depth', `must be >= 10000 to fit exponents over three decades [L/1000, L], got ${L}`);
  const k = powerOf(spec.act);
  const E = env(spec);
  const samples = iterate64(spec, { perDecade: opts.perDecade ?? 40 });
  const windows: [number, number][] = [[Math.ceil(L / 1000), Math.ceil(L / 100)], [Math.ceil(L / 100), Math.ceil(L / 10)], [Math.ceil(L / 10), L]];
  const ln = Math.log;
  const fitBoth = (fx: ((l: number) => number) | 'increments', fy: (i: number) => number | null, sign = 1, wins = windows) => {
    const [s1, s2, s3] = wins.map((w) => (fx === 'increments' ? incrementFit(samples, w[0], w[1], fy) : windowFit(samples, w[0], w[1], fx, fy)));
    const shift = fx === 'increments' ? 1 : 0;
    const a = sign * s3.slope + shift, b = sign * s2.slope + shift, c = sign * s1.slope + shift;
    const rho = (a - b) / (b - c);
    let extrapolated = a;
    let error = Math.abs(a - b);
    if (rho > 0 && rho < 0.9) {
      extrapolated = a + ((a - b) * rho) / (1 - rho);
      error = Math.max(error, Math.abs(extrapolated - a));
    } else if (rho >= 0.9) error = 3 * Math.abs(a - b);
    return { fitted: a, previous: b, previous2: c, extrapolated, error, stderr: s3.stderr };
  };
  const laws: Law[] = [];
  const { eStar, slope, eStarError } = asymptoticCosine(spec);
  const candidates: { source: string; exponent: number }[] = [];

  const mean = carriesMean(spec);
  const reluMean = mean && k === 1 ? reluMeanRates(Number(spec.sw2)) : undefined;
  // --- length
  if (reluMean) {
    laws.push({
      law: 'length', fitted_quantity: 'ln p^l against l', form: 'exponential',
      derived: reluMean.lengthRate, derived_latex: '\\ln\\left(1 + 2\\beta r^* + \\sigma_w^2/2\\right)',
      ...fitBoth((l) => l, (i) => samples.logP[i]),
      note: `the neurons' common mean m grows with them: beta = sqrt(sw2/(2 pi)), r* = lim m/sqrt(p) = ${r10(reluMean.rStar)}, the positive root of 2 beta r^3 + (sw2/2) r^2 - 2 beta r - beta^2`,
    });
  } else if (mean) {
    const a = FORMULAS.meanLengthExponent();
    const c = FORMULAS.meanLengthCoefficient();
    laws.push({
      law: 'length', fitted_quantity: 'p^l ~ C l^a: 1 + slope of ln(dp/dl) against ln l', form: 'power',
      derived: a.value(E), derived_latex: a.latex, coefficient: c.value(E), coefficient_latex: c.latex,
      ...fitBoth('increments', (i) => samples.logP[i]),
      note: `the neurons' common mean m^l = m^(l-1) + E[phi(h^l)] dominates: p ~ m^2 (without it the exponent would be 1/(1-k) = ${r10(1 / (1 - (k as number)))})`,
    });
  } else if (k === 1) {
    const r = FORMULAS.reluLengthRate();
    laws.push({
      law: 'length', fitted_quantity: 'ln p^l against l', form: 'exponential',
      derived: r.value(E), derived_latex: r.latex,
      ...fitBoth((l) => l, (i) => samples.logP[i]),
    });
  } else {
    const a = k === undefined ? FORMULAS.tanhLengthExponent() : FORMULAS.powLengthExponent();
    const c = k === undefined ? FORMULAS.tanhLengthCoefficient() : FORMULAS.powLengthCoefficient();
    laws.push({
      law: 'length', fitted_quantity: 'p^l ~ C l^a: 1 + slope of ln(dp/dl) against ln l', form: 'power',
      derived: a.value(E), derived_latex: a.latex, coefficient: c.value(E), coefficient_latex: c.latex,
      ...fitBoth('increments', (i) => samples.logP[i]),
    });
  }

  // --- distance
  const dev = (i: number): number | null => {
    const d = k === 1 || mean ? samples.oneMinusE[i] : Math.abs(1 - samples.oneMinusE[i] - eStar);
    return d > 0 ? ln(d) : null;
  };
  if (reluMean) {
    candidates.push({ source: 'd grows by 1 + sw2/2 per layer, p by 1 + 2 beta r* + sw2/2', exponent: reluMean.distanceRate });
    // 1 - e^l falls exponentially and leaves float64 (below 1e-300) long before a deep L: fit the
    // decades below the last layer where it is still a normal number.
    let last = 0;
    for (let i = 0; i < samples.layer.length; i++) if (samples.oneMinusE[i] > 1e-300) last = samples.layer[i];
    const wins: [number, number][] = last >= L ? windows : [[Math.ceil(last / 1000), Math.ceil(last / 100)], [Math.ceil(last / 100), Math.ceil(last / 10)], [Math.ceil(last / 10), last]];
    laws.push({
      law: 'distance', fitted_quantity: `ln(1 - e^l) against l${last < L ? ` over [${wins[0][0]}, ${last}] (below 1e-300 after layer ${last})` : ''}`, form: 'exponential',
      derived: reluMean.distanceRate, derived_latex: '\\ln\\frac{1 + 2\\beta r^* + \\sigma_w^2/2}{1 + \\sigma_w^2/2}',
      ...fitBoth((l) => l, dev, -1, wins),
    });
  } else if (mean) {
    const m = FORMULAS.meanDistanceExponent();
    candidates.push({ source: '1 - e = d/p: d = p - lambda converges while p ~ l^(2/(1-k))', exponent: m.value(E) });
    laws.push({
      law: 'distance', fitted_quantity: 'ln(1 - e^l) against ln l (e* = 1)', form: 'power',
      derived: m.value(E), derived_latex: m.latex,
      ...fitBoth(ln, dev, -1),
      note: 'the coefficient d^inf / C depends on the whole trajectory (d^l converges to d^inf): no closed form',
    });
  } else if (k === 1) {
    const m = FORMULAS.reluDistanceExponent();
    const c = FORMULAS.reluDistanceCoefficient();
    candidates.push({ source: 'nonlinear: 1 - f(1 - x) = x - (2 sqrt 2 / (3 pi)) x^(3/2)', exponent: 2 });
    laws.push({
      law: 'distance', fitted_quantity: 'ln(1 - e^l) against ln l', form: 'power',
      derived: m.value(E), derived_latex: m.latex, coefficient: c.value(E), coefficient_latex: c.latex,
      ...fitBoth(ln, dev, -1),
    });
  } else {
    const kk = k ?? 0;
    const lin = (1 - (slope as number)) / (1 - kk);
    candidates.push({ source: k === undefined ? "linearisation: 1 - g'(e*)" : "linearisation: (1 - f'(e*)) / (1 - k)", exponent: lin });
    if (Number(spec.sa2) > 0) {
      candidates.push(k === undefined
        ? { source: 'forcing by V(q) = 1 - O(q^-1/2) (e* != 0)', exponent: 0.5 }
        : { source: 'forcing by sa2 / p^l', exponent: kk / (1 - kk) });
    }
    if (Number(spec.sb2) > 0) {
      candidates.push(k === undefined
        ? { source: 'forcing by sb2: c^l - e^l = O(1/q)', exponent: 1 }
        : { source: 'forcing by sb2: c^l - e^l = O(1/q)', exponent: 1 / (1 - kk) });
    }
    const mu = Math.min(...candidates.map((c) => c.exponent));
    // Inputs that start (and stay) at e* to rounding, e.g. tanh with c0 = 0 and sa2 = sb2 = 0: nothing to fit.
    let maxDev = 0;
    for (let i = 0; i < samples.layer.length; i++) {
      if (samples.layer[i] >= windows[0][0]) maxDev = Math.max(maxDev, Math.abs(1 - samples.oneMinusE[i] - eStar));
    }
    if (maxDev < 1e-12) {
      laws.push({
        law: 'distance', fitted_quantity: `ln|e^l - e*| against ln l (e* = ${eStar.toPrecision(10)})`, form: 'power',
        derived: mu, derived_latex: null, fitted: null, previous: null, previous2: null, extrapolated: null, error: null, stderr: null,
        note: `e^l = e* to rounding (|e^l - e*| < 1e-12): the inputs start at the fixed point, there is no distance dynamics to fit`,
      });
    } else laws.push({
      law: 'distance', fitted_quantity: `ln|e^l - e*| against ln l (e* = ${eStar.toPrecision(10)})`, form: 'power',
      derived: mu,
      derived_latex: k === undefined ? "\\min\\left(1 - g'(e^*),\\ \\text{forcing}\\right)" : "\\min\\left(\\frac{1 - f'(e^*)}{1-k},\\ \\text{forcing}\\right)",
      ...fitBoth(ln, dev, -1),
      note: `slope of the asymptotic map at e*: ${(slope as number).toPrecision(10)}; candidates: ${candidates.map((c) => `${c.exponent.toPrecision(6)} (${c.source})`).join(', ')}`,
    });
  }

  // --- gradient
  const Gs = samples.G;
  if (k !== undefined && k <= 0.5) {
    laws.push({
      law: 'gradient', fitted_quantity: 'G^l = ln(chi^0/chi^l)', form: 'power', derived: null, derived_latex: null,
      fitted: null, previous: null, previous2: null, extrapolated: null, error: null, stderr: null,
      note: `E[phi'(u)^2] = k^2 E[max(0,u)^(2k-2)] diverges for k <= 1/2: the gradient is infinite`,
    });
  } else if (mean && k !== 1) {
    const a = FORMULAS.meanGradientExponent();
    const c = FORMULAS.meanGradientCoefficient();
    laws.push({
      law: 'gradient', fitted_quantity: 'G^l -> G^inf, G^inf - G^l ~ B l^a: 1 + slope of ln(dG/dl) against ln l', form: 'power',
      derived: a.value(E), derived_latex: a.latex, coefficient: c.value(E), coefficient_latex: c.latex,
      ...fitBoth('increments', (i) => (Gs[i] !== null && (Gs[i] as number) > 0 ? ln(Gs[i] as number) : null)),
      note: 'q grows like l^(2/(1-k)) (the mean), so E[phi\'^2] ~ q^(k-1) ~ l^-2 and the gradient explosion converges',
    });
  } else if (k === 1) {
    const r = FORMULAS.reluGradientRate();
    laws.push({
      law: 'gradient', fitted_quantity: 'G^l = ln(chi^0/chi^l) against l', form: 'exponential',
      derived: r.value(E), derived_latex: r.latex,
      ...fitBoth((l) => l, (i) => Gs[i]),
    });
  } else if (k === undefined) {
    const a = FORMULAS.tanhGradientExponent();
    const c = FORMULAS.tanhGradientCoefficient();
    if (Math.abs(tanhMoments().S4[0] - 4 / 3) > 1e-15) throw new NumericalError('int sech^4 != 4/3');
    laws.push({
      law: 'gradient', fitted_quantity: 'G^l = ln(chi^0/chi^l) ~ K l^a: 1 + slope of ln(dG/dl) against ln l', form: 'power',
      derived: a.value(E), derived_latex: a.latex, coefficient: c.value(E), coefficient_latex: c.latex,
      ...fitBoth('increments', (i) => (Gs[i] !== null && (Gs[i] as number) > 0 ? ln(Gs[i] as number) : null)),
    });
  } else {
    const r = FORMULAS.powGradientExponent();
    laws.push({
      law: 'gradient', fitted_quantity: 'G^l = ln(chi^0/chi^l) against ln l (chi^0/chi^l ~ l^R)', form: 'logarithmic',
      derived: r.value(E), derived_latex: r.latex,
      ...fitBoth(ln, (i) => Gs[i]),
    });
  }
  const last = samples.layer.length - 1;
  const warnings: string[] = [];
  if (k === undefined) {
    const qL = Number(spec.sw2) * Math.exp(samples.logP[last]) + Number(spec.sb2);
    if (qL < 1000) {
      warnings.push(`q^L = ${qL.toPrecision(3)}: the tanh laws are derived for q >> 1 (tanh -> sign), reached after l >> 1/(sw2 (sv2 + sa2)) layers; the fits below are pre-asymptotic`);
    }
  } else if (k < 1) {
    const p0 = Number(spec.q0);
    if (Math.exp(samples.logP[last]) < 100 * p0) {
      warnings.push(`p^L = ${Math.exp(samples.logP[last]).toPrecision(3)} has not grown far beyond p^0 = ${p0}: the fits below are pre-asymptotic`);
    }
  }
  return {
    warnings,
    spec,
    eStar,
    eStarError,
    slopeAtEStar: slope,
    distanceCandidates: candidates,
    laws,
    windows,
    samples,
    final: { layer: samples.layer[last], logP: samples.logP[last], cosine: 1 - samples.oneMinusE[last], G: samples.G[last] },
    seconds: (Date.now() - t0) / 1000,
  };
}

// ---------------------------------------------------------------------------------------
// The depth-dependent initialisation variance.

export interface OptimalVariance {
  /** Target gradient explosion tau = ln(chi^0/chi^L). */
  target: number;
  depths: number[];
  /** sw2*(L): the sw2 at which ln(chi^0/chi^L) = tau, per depth. */
  sw2: number[];
  /** L sw2*(L), which tends to a constant u*(tau) (the continuum limit). */
  scaled: number[];
  derived: number;
  /** Slope of ln sw2* against ln L over the last two depths, and over the first two. */
  fitted: number;
  previous: number;
  error: number;
}

/**
 * sw2*(L) for tanh: the weight variance at which the mean-field gradient explosion
 * ln(chi^0/chi^L) equals `target`. Derived law: with sw2 = u/L, q^l = u p^l / L + sb2 stays O(1),
 * p^(sL) / L -> P(s) with P' = sv2 V(u P + sb2) + sa2, P(0) = 0, and
 * ln(chi^0/chi^L) -> sv2 u int_0^1 V'(u P(s) + sb2) ds, a function of u alone: sw2* ~ u*(tau) / L,
 * exponent -1 (V and V' are smooth at q = sb2 for tanh). Fitted by bisection on the iterated recursion.
 */
export function optimalVariance(spec: ResidualSpec, target: number, depths?: number[]): OptimalVariance {
  if (!isActivation(spec.act, 'tanh')) throw new InputError('target', `the depth-dependent variance law is derived for tanh only, got act = ${spec.act.name}`);
  if (!(target > 0 && Number.isFinite(target))) throw new InputError('target', `must be a real number > 0 (the gradient explosion ln(chi^0/chi^L)), got ${target}`);
  const L = spec.depth;
  const ds = depths ?? [Math.ceil(L / 100), Math.ceil(L / 10), L];
  if (ds[0] < 10) throw new InputError('depth', `must be >= 1000 for the optimal-variance fit over [L/100, L], got ${L}`);
  const G = (sw2: number, depth: number): number => {
    const s = iterate64(spec, { depth, sw2, perDecade: 1, lengthOnly: true });
    return s.G[s.G.length - 1] as number;
  };
  const sw2s = ds.map((depth) => {
    let lo = Math.log(1e-10), hi = Math.log(1e4);
    if (!(G(Math.exp(lo), depth) < target) || !(G(Math.exp(hi), depth) > target)) {
      throw new InputError('target', `no sw2 in [1e-10, 1e4] gives ln(chi^0/chi^L) = ${target} at depth ${depth}`);
    }
    while (hi - lo > 1e-11) {
      const m = 0.5 * (lo + hi);
      if (G(Math.exp(m), depth) < target) lo = m;
      else hi = m;
    }
    return Math.exp(0.5 * (lo + hi));
  });
  const slope = (i: number) => Math.log(sw2s[i + 1] / sw2s[i]) / Math.log(ds[i + 1] / ds[i]);
  const fitted = slope(ds.length - 2), previous = slope(0);
  return { target, depths: ds, sw2: sw2s, scaled: sw2s.map((w, i) => w * ds[i]), derived: -1, fitted, previous, error: Math.abs(fitted - previous) };
}
