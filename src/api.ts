/**
 * The high-level API: the same functions the CLI commands call, returning verified decimal
 * strings (`digits` significant digits, each checked by a second run at higher precision).
 */
import { network, Network, NetworkOptions, realParam, intParam, withChanges } from './model/network';
import { activation, Activation } from './model/activation';
import { float64Interp } from './interpret/numeric';
import { meanFieldKernels, KernelTable } from './quantities/kernel';
import { fixedPoint, criticalPoint, lengthMapIsIdentity } from './quantities/fixedpoint';
import { verifiedDecimal, verifiedBinary } from './quantities/verified';
import { Interpretation } from './interpret/numeric';
import { meanFieldResponse } from './quantities/response';
import { locateMaximum, optimalAlpha, asymptoticOptimum, asymptoticFormulaLatex, finiteWidthOptimum, FINITE_WIDTH_ALPHA_STEP } from './quantities/optimal';
import { NumericalError } from './model/errors';
import { sensitivityOneLoop64, sensitivityC0Step, widthWarnings, Grid2, twoInputGridFor, oneLoop64, oneLoopExpansionParameter, OneLoopTable, comparisonGrid2 } from './quantities/loop';
import { agreedArray, agreedArrayOrNull } from './numeric/agreed';
import { CnnSpec, CnnFixedPoint, CnnModes, cnnModes, displacementSet, inputCovariance, randomImage, CnnCovarianceMap, CovariancePlanes } from './quantities/cnn';
import { rms } from './simulate/cnn';
import { formatNumber } from './io/format';
import { depthScale as cnnDepthScale, cnnFixedPoint } from './quantities/cnn';
import { jacobianSpectrum, JacobianOptions, JacobianSpectrum } from './simulate/cnnJacobian';
import { zeroPadFixedPoint, ZeroPadFixedPoint, landmarkPositions, propagateZeroPad, zeroPadInputCovariance, zeroPadPlanes } from './quantities/cnnZeroPad';

export interface KernelResult {
  network: Network;
  digits: number;
  /** K^l_11, l = 0..depth. */
  q: string[];
  /** K^l_12. */
  k12: string[];
  /** Correlation c^l. */
  c: string[];
}

function checkDigits(digits: number | undefined, def = 16): number {
  return intParam('digits', digits ?? def, 1, 200);
}

/** Mean-field kernels of every layer to `digits` verified significant digits (default 16). */
export function kernel(options: Partial<NetworkOptions> | Network, opts: { digits?: number } = {}): KernelResult {
  const net = network(options);
  const digits = checkDigits(opts.digits);
  const compute = <T>(I: Interpretation<T>) => {
    const t = meanFieldKernels(I, net);
    return { q: t.q, k12: t.k12, c: t.c };
  };
  // closed forms need no quadrature: binary floating point on BigInt, several times faster
  const res = net.act.closedForm ? verifiedBinary(digits, compute) : verifiedDecimal(digits, compute);
  const v = res.values as Record<string, string[]>;
  return { network: net, digits, q: v.q, k12: v.k12, c: v.c };
}

/** Mean-field kernels in float64 (fast, unverified: about 13-15 correct digits for closed forms). */
export function kernel64(options: Partial<NetworkOptions> | Network): KernelTable<number> {
  return meanFieldKernels(float64Interp, network(options));
}

export interface FixedPointResult {
  act: string;
  sw2: string;
  sb2: string;
  digits: number;
  /** null when every q is a fixed point (relu or linear at sb2 = 0 on the critical line). */
  q_star: string | null;
  c_star: string;
  chi1: string;
  chi_c: string;
  /** "Infinity" at a marginal fixed point. */
  xi_q: string;
  xi_c: string;
}

function act(a: string | Activation): Activation {
  return typeof a === 'string' ? activation(a) : a;
}

/** Feed-forward fixed point and depth scales to `digits` verified digits. */
export function fixedPointAnalysis(a: string | Activation, sw2: string | number, sb2: string | number, opts: { digits?: number } = {}): FixedPointResult {
  const phi = act(a);
  const w = realParam('sw2', sw2, { min: 0, what: '>= 0 (a variance)' });
  const b = realParam('sb2', sb2, { min: 0, what: '>= 0 (a variance)' });
  const digits = checkDigits(opts.digits);
  const v = verifiedDecimal(digits, (I) => {
    const fp = fixedPoint(I, phi, w, b);
    return { q_star: fp.q_star, c_star: fp.c_star, chi1: fp.chi1, chi_c: fp.chi_c, xi_q: fp.xi_q, xi_c: fp.xi_c };
  }).values as Record<string, string | null>;
  return {
    act: phi.name, sw2: w, sb2: b, digits,
    q_star: lengthMapIsIdentity(phi, w, b) ? null : (v.q_star as string), c_star: v.c_star as string, chi1: v.chi1 as string, chi_c: v.chi_c as string,
    xi_q: v.xi_q ?? 'Infinity', xi_c: v.xi_c ?? 'Infinity',
  };
}

export interface CriticalResult {
  act: string;
  sb2: string;
  digits: number;
  sw2: string;
  /** null when every q is a fixed point (positively homogeneous activations at sb2 = 0). */
  q_star: string | null;
}

/** The critical line: sw2 with chi_1 = 1 at the length fixed point, for given sb2. */
export function critical(a: string | Activation, sb2: string | number, opts: { digits?: number } = {}): CriticalResult {
  const phi = act(a);
  const b = realParam('sb2', sb2, { min: 0, what: '>= 0 (a variance)' });
  const digits = checkDigits(opts.digits);
  const v = verifiedDecimal(digits, (I) => {
    const cp = criticalPoint(I, phi, b);
    return { sw2: cp.sw2, q_star: cp.q_star };
  }).values as Record<string, string | null>;
  return { act: phi.name, sb2: b, digits, sw2: v.sw2 as string, q_star: v.q_star };
}

export interface ResponseResult {
  network: Network;
  digits: number;
  /** dK^L_11 / dK^0_11 */
  chi: string;
  /** dK^L_12 / dK^0_12 at fixed diagonal */
  chi12: string;
  /** dc^L / dc^0 at fixed q0 (mean field) */
  sensitivity: string;
  /** With a width N: d E[c_hat^L] / dc^0 through order 1/N, = sensitivity + sensitivity_1 / N. */
  width?: number;
  sensitivity_N?: string;
  /** lim N (d E[c_hat^L]/dc^0 - S), float64, digits limited by its error estimate. */
  sensitivity_1?: string;
  sensitivity_1_error?: string;
  /** Why the 1/N numbers may not mean much at this width. */
  warnings?: string[];
}

/** x with as many significant digits as its absolute error `err` allows (1..max). */
export function formatWithError(x: number, err: number, max = 12): string {
  const d = err > 0 && x !== 0 ? Math.floor(Math.log10(Math.abs(x) / err)) : max;
  return formatNumber(x, Math.max(1, Math.min(max, d)));
}

/** Mean-field response functions to `digits` verified digits. */
export function response(options: Partial<NetworkOptions> | Network, opts: { digits?: number; width?: number } = {}): ResponseResult {
  const net = network(options);
  const digits = checkDigits(opts.digits);
  const width = opts.width === undefined ? undefined : intParam('width', opts.width, 1, 1_000_000_000);
  const v = verifiedDecimal(digits, (I) => {
    const r = meanFieldResponse(I, net);
    return { chi: r.chi, chi12: r.chi12, sensitivity: r.sensitivity };
  }).values as Record<string, string>;
  const out: ResponseResult = { network: net, digits, chi: v.chi, chi12: v.chi12, sensitivity: v.sensitivity };
  if (width === undefined) return out;
  const s = sensitivityOneLoop64(net);
  const S = Number(v.sensitivity);
  const errS = Math.abs(S) * 10 ** -digits;
  return {
    ...out,
    width,
    sensitivity_N: formatWithError(S + s.sensitivity1 / width, s.error / width + errS, digits),
    sensitivity_1: formatWithError(s.sensitivity1, s.error),
    sensitivity_1_error: formatNumber(s.error, 2),
    warnings: widthWarnings(net, width),
  };
}

export interface OptimalAlphaResult {
  network: Network;
  digits: number;
  /** false when S(alpha) has no interior maximum (then alpha and sensitivity are null). */
  interior: boolean;
  alpha: string | null;
  sensitivity: string | null;
  /** Why there is no interior maximum, when there is none. */
  note?: string;
  formula_latex: string;
  formula_validity: string;
  /** The asymptotic formula's value (float64 ODE solution; digits limited by its error estimate). */
  alpha_formula: string | null;
  /** The float64 scan of S(alpha), for plots. */
  scan: { alpha: number; s: number }[];
  /** With a width N: the maximiser of d E[c_hat^L]/dc^0 through order 1/N, alpha_N = alpha + alpha_1 / N. */
  width?: number;
  alpha_N?: string | null;
  alpha_1?: string | null;
  sensitivity_N?: string | null;
  warnings?: string[];
}

/** The alpha > 0 maximising the mean-field correlation sensitivity, to `digits` verified digits. */
export function optimalAlphaAnalysis(options: Partial<NetworkOptions> | Network, opts: { digits?: number; width?: number } = {}): OptimalAlphaResult {
  const net = network(options);
  const digits = checkDigits(opts.digits);
  const width = opts.width === undefined ? undefined : intParam('width', opts.width, 1, 1_000_000_000);
  const r = optimalAlphaMeanField(net, digits);
  if (width === undefined) return r;
  const atWidth = { width, warnings: [] as string[] };
  if (!r.interior) return { ...r, ...atWidth, alpha_N: null, alpha_1: null, sensitivity_N: null, note: `${r.note}; the 1/N shift of an interior maximum is not defined` };
  const aStar = Number(r.alpha);
  const netStar = withChanges(net, { alpha: r.alpha as string, skip: 'residual' });
  atWidth.warnings = widthWarnings(netStar, width);
  // one two-input grid for every alpha and c0 of the stencils (finite differences on one grid)
  const c0 = Number(net.c0);
  const dc = sensitivityC0Step(c0);
  const corners: Network[] = [];
  for (const f of [1 - FINITE_WIDTH_ALPHA_STEP, 1 + FINITE_WIDTH_ALPHA_STEP])
    for (const c of [c0 - dc, c0 + dc]) corners.push(withChanges(net, { alpha: String(aStar * f), skip: 'residual', c0: String(c) }));
  const grid12: Grid2 = twoInputGridFor(corners);
  const fw = finiteWidthOptimum(
    net,
    aStar,
    (n, step) => (step !== undefined ? sensitivityOneLoop64(n, { gridCheck: false, richardson: false, grid12, step }) : sensitivityOneLoop64(n, { grid12 })),
    dc,
  );
  const S = Number(r.sensitivity);
  return {
    ...r,
    ...atWidth,
    alpha_N: formatWithError(aStar + fw.alpha1 / width, fw.alpha1Error / width + aStar * 10 ** -digits, digits),
    alpha_1: formatWithError(fw.alpha1, fw.alpha1Error),
    sensitivity_N: formatWithError(S + fw.s1 / width, fw.s1Error / width + Math.abs(S) * 10 ** -digits, digits),
  };
}

function optimalAlphaMeanField(net: Network, digits: number): OptimalAlphaResult {
  const loc = locateMaximum(net, 1e-3, 20, net.act.closedForm ? 161 : 41);
  const f = asymptoticFormulaLatex(net);
  let alphaFormula: string | null = null;
  try {
    const asy = asymptoticOptimum(net);
    const rel = asy.tauError / asy.tau;
    const good = Math.max(1, Math.min(12, Math.floor(-Math.log10(Math.max(rel, 1e-16))) - 1));
    alphaFormula = formatNumber(asy.alpha, good);
  } catch (e) {
    if (!(e instanceof NumericalError)) throw e;
  }
  const base = { network: net, digits, formula_latex: f.latex, formula_validity: f.validity, alpha_formula: alphaFormula, scan: loc.scan };
  if (!loc.interior) {
    const atZero = loc.alpha0 === loc.scan[0].alpha;
    return {
      ...base, interior: false, alpha: null, sensitivity: null,
      note: atZero
        ? `no interior maximum: S(alpha) decreases from S(0) = 1 over the whole scanned range alpha in [${loc.scan[0].alpha}, ${loc.scan[loc.scan.length - 1].alpha}]${net.act.homogeneousDegree === 1 ? " (every layer's factor is at most 1)" : ''}`
        : `no interior maximum in the scanned range alpha in [${loc.scan[0].alpha}, ${loc.scan[loc.scan.length - 1].alpha}]: S(alpha) still increases at its upper end`,
    };
  }
  // float64 secant first: the Decimal passes then start within ~1e-15
  // (only a starting point: if the float64 polish fails or wanders, start from the scan's estimate)
  let polished = loc.alpha0;
  try {
    const p = optimalAlpha(float64Interp, net, loc.alpha0).alpha;
    if (Number.isFinite(p) && Math.abs(p - loc.alpha0) < 1e-3 * loc.alpha0) polished = p;
  } catch (e) {
    if (!(e instanceof NumericalError)) throw e;
  }
  let warm: { alpha: string; spread: number } | undefined;
  const compute = <T>(I: Interpretation<T>) => {
    // the first pass starts from the float64 estimate, later ones from the previous pass
    // the passes are compared to digits + 1: a secant step below 10^-(digits + 6) ends the iteration
    const relTol = 10 ** -(digits + 6);
    const r = warm === undefined ? optimalAlpha(I, net, polished, undefined, relTol) : optimalAlpha(I, net, warm.alpha, warm.spread, relTol);
    warm = { alpha: String(r.alpha), spread: 10 ** -(I.F.digits - 6) };
    return { alpha: r.alpha, sensitivity: r.sensitivity };
  };
  // closed forms (and their derivatives) need no quadrature: binary floating point on BigInt
  const v = (net.act.closedForm ? verifiedBinary(digits, compute) : verifiedDecimal(digits, compute)).values as Record<string, string>;
  return { ...base, interior: true, alpha: v.alpha, sensitivity: v.sensitivity };
}

/** The one-loop arrays that `loopTable` verifies: one input, and with two inputs their 12 entries and chat1. */
export const LOOP_KEYS = ['k1', 'c1', 'varC', 'varK', 'c1_curvature'] as const;
export const LOOP_KEYS12 = ['k1_12', 'c1_12', 'varC_12', 'varK_12', 'chat1'] as const;
export type LoopKey = (typeof LOOP_KEYS)[number] | (typeof LOOP_KEYS12)[number];

export interface LoopTableResult {
  /** Every array, each entry printed with the digits on which two evaluations agree (null: none). */
  arrays: Partial<Record<LoopKey, (string | null)[]>>;
  keys: LoopKey[];
  /** The algorithm and the independent check it was compared with. */
  method?: string;
  check?: string;
  /** With a width: q_N = K + k1/N (and k12_N), the expansion parameter and the warnings. */
  width?: number;
  q_N?: string[];
  k12_N?: string[];
  expansion_parameter?: string;
  warnings: string[];
}

/**
 * The one-loop coefficients of every layer, each entry with the digits on which two evaluations
 * agree: the default grid against a grid of half the step (the two-input arrays on the comparison
 * grid of the first run's two-input grid), or for relu/linear the closed forms against the angular
 * Gauss-Legendre pairs. Each entry's scale is the largest |entry| of its array up to its layer
 * (for the curvature share, c1 at the same layer: it is a part of c1).
 */
export function loopTable(options: Partial<NetworkOptions> | Network, opts: { twoInputs?: boolean; width?: number } = {}): LoopTableResult {
  const net = network(options);
  const two = opts.twoInputs ?? false;
  // a growing activation: the (checked) mean-field pass first, so that a diverging expectation is named
  if (net.act.growth) meanFieldKernels(float64Interp, net);
  const a = oneLoop64(net, { twoInputs: two });
  const info = a.info;
  const grid12 = info?.grid12 !== undefined ? comparisonGrid2(info.grid12, net.depth) : undefined;
  const b: OneLoopTable = info?.gridStep !== undefined
    ? oneLoop64(net, { twoInputs: two, gridStep: info.gridStep / 2, grid12 })
    : oneLoop64(net, { twoInputs: two, method: 'pairwise', grid12 });
  const keys: LoopKey[] = two ? [...LOOP_KEYS, ...LOOP_KEYS12] : [...LOOP_KEYS];
  const arrays: LoopTableResult['arrays'] = {};
  let unresolvedChat1: number[] = [];
  for (const k of keys) {
    const xs = a[k] as (number | null)[] | undefined;
    const ys = b[k] as (number | null)[] | undefined;
    if (!xs) throw new NumericalError(`one-loop: ${k} is not available (${info?.note12 ?? 'not computed'})`);
    if (k === 'chat1') {
      // chat1 is a small difference of large numbers as the correlation nears 1: where the two grids
      // do not resolve it, it is not printed (the other arrays are)
      const r = agreedArrayOrNull(xs, ys, k);
      arrays[k] = r.values;
      if (r.unresolved.length) unresolvedChat1 = r.unresolved;
    } else arrays[k] = agreedArray(xs, ys, k, k === 'c1_curvature' ? a.c1.map((c) => Math.abs(c ?? 0)) : undefined);
  }
  const out: LoopTableResult = { arrays, keys, method: info?.method, check: b.info?.method, warnings: [] };
  if (unresolvedChat1.length) {
    out.warnings.push(`chat1 is not printed at ${unresolvedChat1.length} layers from layer ${unresolvedChat1[0]} on: the two grid resolutions agree on it to fewer than 3 digits there (the correlation is close to 1 and chat1 a small difference of large numbers)`);
  }
  if (opts.width !== undefined) {
    const width = opts.width;
    const mf = meanFieldKernels(float64Interp, net);
    out.warnings.push(...widthWarnings(net, width));
    out.width = width;
    out.q_N = mf.q.map((q, l) => formatNumber(q + (a.k1[l] ?? 0) / width, 10));
    if (two) out.k12_N = mf.k12.map((k, l) => formatNumber(k + ((a.k1_12 ?? [])[l] ?? 0) / width, 10));
    out.expansion_parameter = formatNumber(oneLoopExpansionParameter(net, width), 4);
  }
  return out;
}

/**
 * The fixed point a CNN's linearisation is taken at (the fully connected one: the map preserves
 * translation invariance), its q*, c*, chi_1, chi_c verified to `digits + 2` digits by two
 * Decimal runs, and chi_q = exp(-1/xi_q).
 */
export function cnnFixedPointVerified(spec: CnnSpec, digits: number): CnnFixedPoint {
  const v = fixedPointAnalysis(spec.act, spec.sw2, spec.sb2, { digits: digits + 2 });
  const xiQ = v.xi_q === 'Infinity' ? Infinity : Number(v.xi_q);
  return {
    q_star: Number(v.q_star),
    c_star: Number(v.c_star),
    chi1: Number(v.chi1),
    chi_c: Number(v.chi_c),
    chi_q: xiQ === Infinity ? 1 : Math.exp(-1 / xiQ),
  };
}

/**
 * Degree-one homogeneous activations (relu, linear) at sb2 = 0 with chi_q = 1: every q is a fixed
 * point (the length map is linear in q); the slopes do not depend on q.
 */
export function lengthMapLinear(spec: CnnSpec, fp: CnnFixedPoint): boolean {
  return spec.act.homogeneousDegree === 1 && Number(spec.sb2) === 0 && fp.chi_q === 1;
}

export interface CnnPropagation {
  layers: number[];
  mean_q: number[];
  mean_c: number[][];
  structure_q: number[];
  structure_c: number[][];
}

export interface CnnAnalysis {
  modes: CnnModes;
  /** Re and Im of Ahat(f) (exact zeros snapped), whether any Im is non-zero. */
  A: number[];
  Aim: number[];
  /** |Ahat(f)|. */
  Aabs: number[];
  complex: boolean;
  /** lambda_c(f) = chi_c Ahat(f), lambda_q(f) = chi_q Ahat(f) (real parts) and the depth scales -1/ln|lambda(f)|. */
  lc: number[];
  lq: number[];
  xic: number[];
  xiq: number[];
  /** With depth > 0: a random image's covariance (variance and nearest-neighbour planes) at log-spaced layers. */
  propagation?: CnnPropagation;
  /** The FFT route checked against the dense-matrix route on the first layers. */
  denseCheck?: { layers: number; max_rel_diff: number };
}

/** Layers 0, 1, 2, 5, 10, 20, 50, ... and the last. */
export function logLayers(depth: number): number[] {
  const out = new Set<number>([0]);
  for (let d = 1; d <= depth; d *= 10) for (const m of [1, 2, 5]) if (m * d <= depth) out.add(m * d);
  out.add(depth);
  return [...out].sort((a, b) => a - b);
}

/** The mean of a plane over positions. */
export function spatialMean(x: Float64Array): number {
  let m = 0;
  for (const v of x) m += v;
  return m / x.length;
}

/**
 * A circular-padded CNN's linearised dynamics at the fixed point (diagonal in Fourier modes) and,
 * with depth > 0, the covariance of a random image propagated by the FFT route, checked against the
 * dense-matrix route on the first layers (up to 4096 positions).
 */
export function cnnAnalysis(spec: CnnSpec, fp: CnnFixedPoint, o: { depth: number; channels: number; inputSeed: number }): CnnAnalysis {
  const { depth, channels, inputSeed } = o;
  const modes = cnnModes(spec, fp);
  // Exact zeros of Ahat (e.g. f/n = 1/3 for k = 3) come out of the FFT as ~1e-17.
  const snap = (x: number) => (Math.abs(x) < 1e-13 ? 0 : x);
  const A = Array.from(modes.A, snap);
  const lc = A.map((a) => a * fp.chi_c);
  const lq = A.map((a) => a * fp.chi_q);
  // Asymmetric profiles have a complex Ahat: the depth scales use |lambda| = |chi| |Ahat|.
  const Aim = Array.from(modes.A_im, snap);
  const complex = Aim.some((x) => x !== 0);
  const xic = A.map((a, i) => cnnDepthScale(Math.hypot(a * fp.chi_c, Aim[i] * fp.chi_c)));
  const xiq = A.map((a, i) => cnnDepthScale(Math.hypot(a * fp.chi_q, Aim[i] * fp.chi_q)));

  // Optional propagation of a random image's covariance (variance plane + nearest neighbours).
  let propagation: CnnPropagation | undefined;
  let denseCheck: CnnAnalysis['denseCheck'];
  if (depth > 0) {
    const nn = displacementSet(spec.shape, 'nn');
    const image = randomImage(spec.shape, channels, inputSeed);
    const s0 = inputCovariance(spec, image, nn);
    const rec = logLayers(depth);
    const recSet = new Set(rec);
    propagation = { layers: [], mean_q: [], mean_c: nn.slice(1).map(() => []), structure_q: [], structure_c: nn.slice(1).map(() => []) };
    const take = (l: number, c: CovariancePlanes) => {
      if (!recSet.has(l)) return;
      const P = propagation!;
      P.layers.push(l);
      const q = c.planes[0];
      P.mean_q.push(spatialMean(q));
      P.structure_q.push(rms(q));
      for (let p = 1; p < c.planes.length; p++) {
        P.mean_c[p - 1].push(spatialMean(c.planes[p]) / spatialMean(q));
        P.structure_c[p - 1].push(rms(c.planes[p]));
      }
    };
    const fftMap = new CnnCovarianceMap(spec, 'fft');
    let c = s0;
    take(0, c);
    // The FFT route, checked against the dense-matrix route on the first layers.
    const checkLayers = spec.shape.reduce((a, b) => a * b, 1) <= 4096 ? Math.min(depth, 5) : 0;
    let dc = s0;
    const denseMap = checkLayers > 0 ? new CnnCovarianceMap(spec, 'dense') : undefined;
    let worst = 0;
    for (let l = 1; l <= depth; l++) {
      c = fftMap.step(c);
      if (denseMap && l <= checkLayers) {
        dc = denseMap.step(dc);
        for (let p = 0; p < c.planes.length; p++)
          for (let a = 0; a < c.planes[p].length; a++) worst = Math.max(worst, Math.abs(c.planes[p][a] - dc.planes[p][a]) / Math.abs(dc.planes[0][a]));
        if (worst > 1e-10) throw new NumericalError(`FFT and dense routes disagree at layer ${l} (relative ${worst})`);
      }
      take(l, c);
    }
    if (checkLayers > 0) denseCheck = { layers: checkLayers, max_rel_diff: worst };
  }
  const Aabs = A.map((a, i) => Math.hypot(a, Aim[i]));
  return { modes, A, Aim, Aabs, complex, lc, lq, xic, xiq, propagation, denseCheck };
}

export interface CnnZeroPadAnalysis {
  /** q*(alpha) of the zero-padded network, the full Sigma*, and the Perron roots and depth scales of its blocks. */
  fixedPoint: ZeroPadFixedPoint;
  /** Landmark positions (centre, edge midpoint, corner): q*(alpha) there and its ratio to the circular q*. */
  landmarks: { name: string; index: number; q: number; ratio: number }[];
  /** Depth scales of the circular network's variance and correlation maps (f = 0), for comparison. */
  xi_circular: { q: number; c: number };
  /** With depth > 0: a random image's full zero-padded covariance at log-spaced layers, and q at each landmark. */
  propagation?: CnnPropagation & { q_at: number[][] };
}

/**
 * A zero-padded CNN (not translation invariant): the fixed-point variance map over positions, the
 * depth scales of its linearisation beside the circular ones and, with depth > 0, the full
 * covariance of a random image propagated layer by layer (means and structure over the positions
 * whose partner lies inside the image).
 */
export function cnnZeroPadAnalysis(spec: CnnSpec, fp: CnnFixedPoint, o: { depth: number; channels: number; inputSeed: number }): CnnZeroPadAnalysis {
  const z = zeroPadFixedPoint(spec, fp.q_star, fp.c_star);
  const marks = landmarkPositions(spec.shape);
  let propagation: CnnZeroPadAnalysis['propagation'];
  if (o.depth > 0) {
    const nn = displacementSet(spec.shape, 'nn');
    const rec = new Set(logLayers(o.depth));
    const P = { layers: [] as number[], mean_q: [] as number[], mean_c: nn.slice(1).map(() => [] as number[]), structure_q: [] as number[], structure_c: nn.slice(1).map(() => [] as number[]), q_at: marks.map(() => [] as number[]) };
    const N = spec.shape.reduce((a, b) => a * b, 1);
    propagateZeroPad(spec, zeroPadInputCovariance(spec, randomImage(spec.shape, o.channels, o.inputSeed)), o.depth, (l, S) => {
      if (!rec.has(l)) return;
      const planes = zeroPadPlanes(spec.shape, S, nn);
      P.layers.push(l);
      P.mean_q.push(spatialMean(planes[0]));
      P.structure_q.push(rms(planes[0]));
      for (let p = 1; p < planes.length; p++) {
        P.mean_c[p - 1].push(spatialMean(planes[p]) / spatialMean(planes[0]));
        P.structure_c[p - 1].push(rms(planes[p]));
      }
      marks.forEach((m, i) => P.q_at[i].push(S[m.index * N + m.index]));
    });
    propagation = P;
  }
  return {
    fixedPoint: z,
    landmarks: marks.map((m) => ({ ...m, q: z.q[m.index], ratio: z.q[m.index] / fp.q_star })),
    xi_circular: { q: cnnDepthScale(fp.chi_q), c: cnnDepthScale(fp.chi_c) },
    propagation,
  };
}

/**
 * The input-output Jacobian spectra of seeded deep CNNs, one run per spec (initialisation), beside
 * the mean field: chi_1 at the first spec's fixed point and chi_1^L.
 */
export function cnnJacobianAnalysis(specs: CnnSpec[], o: Omit<JacobianOptions, 'spec'>): { fp: CnnFixedPoint; chi1_pow_depth: number; runs: { spec: CnnSpec; r: JacobianSpectrum }[] } {
  const runs = specs.map((spec) => ({ spec, r: jacobianSpectrum({ ...o, spec }) }));
  const fp = cnnFixedPoint(specs[0]);
  return { fp, chi1_pow_depth: fp.chi1 ** o.depth, runs };
}
