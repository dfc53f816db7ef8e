/**
 * The Monte Carlo validator: simulate finite-width networks, measure their kernels layer by
 * layer, and test the theory against them with a rule fixed before sampling.
 *
 * Rule. Every checked theory value v (a quantity at one layer, at one width; or an intercept of
 * the 1/N fit across widths) gets z = (estimate - v) / SE(estimate). With m checked values in the
 * run, each passes when |z| <= z* = Phi^{-1}(1 - fwer / (2 m)) (Bonferroni): if the theory is
 * right, the chance that anything in the run fails is at most fwer (default 0.01). m and z*
 * depend only on the options, so they are fixed before the first network is drawn.
 *
 * Checked: the means of K_hat_11 and C_hat_11 (and of K_hat_12, C_hat_12 with two inputs)
 * against the one-loop theory (mean field + k1/N) where src/quantities/loop/ provides it, else
 * against mean field. Their variances: the one-loop table gives lim N Var (varK, varC), whose
 * O(1/N) relative correction is not predicted, so at one width Var is reported with z against
 * varK/N but not checked; with several widths the intercept of N Var = a + b/N is checked
 * against varK (mean field has no fluctuations: without one-loop values nothing to check).
 * Reported, not checked: the empirical correlation c_hat, the sensitivity dc^l/dc^0, the
 * Jacobian norm (1/N)|J^l v|^2 and the excess kurtosis of a neuron (mean field: 0; leading order
 * 3 (varK - 2 K^2) / (N K^2) from the Gaussian-walk picture, when the one-loop table is there).
 */
import { Network } from '../model/network';
import { InputError } from '../model/errors';
import { circleKernel, twoInputKernel } from './linalg';
import { MonteCarloJob, MonteCarloResult, costPerNetwork, networksIn, runMonteCarlo } from './montecarlo';
import { CROSS_LAYER_MAX_DEPTH, ObservationPlan, crossPairIndex, seriesIndex } from './observe';
import { WorkerPool } from './pool';
import { Sampler, SimSpec, simSpec } from './spec';
import {
  LineFit, bonferroniThreshold, pairCovariance, scalarStats, weightedLineFit, zScore,
} from './stats';
import { MeanFieldTable, OneLoopTable, meanFieldTheory, oneLoopTheory } from './theory';

export interface ValidateOptions {
  net: Network;
  /** One or more widths (several: also the fit of N (MC - mean field) against 1/N). */
  widths: number[];
  samples: number;
  seed: number;
  sampler: Sampler;
  /** Two inputs at correlation net.c0 (otherwise one input, variance q0). */
  twoInputs: boolean;
  /** Central-difference step of the sensitivity dc/dc0 (two extra inputs); null: not measured. */
  delta: number | null;
  /** Family-wise false-alarm rate of the verdict. */
  fwer: number;
  threads?: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
  /**
   * The one-loop table to test (default: oneLoop64 of src/quantities/loop/ when present).
   * `null` tests mean field alone. For tests of the validator itself.
   */
  oneLoop?: OneLoopTable | null;
}

export interface LayerRow {
  layer: number;
  mc_mean: number;
  mc_se: number;
  theory_mf: number | null;
  theory_1loop: number | null;
  /** z against the theory the quantity is checked against (null when unchecked). */
  z: number | null;
  z_mf: number | null;
  z_1loop: number | null;
  pass: boolean | null;
}

export interface QuantityReport {
  name: string;
  description: string;
  /** 'one_loop' | 'mean_field' | null (reported only). */
  checked_against: 'one_loop' | 'mean_field' | null;
  layers: LayerRow[];
  max_abs_z: number | null;
  pass: boolean | null;
  /** Whether mean field alone would pass the same rule (null when there is no mean-field value). */
  mean_field_pass: boolean | null;
}

export interface WidthRun {
  width: number;
  samples: number;
  requested_samples: number;
  interrupted: boolean;
  seconds: number;
  threads: number;
  quantities: Record<string, QuantityReport>;
  /** N Cov(X^l, X^l') across layers (MC), for K_hat_11 and C_hat_11, when depth <= 200. */
  covariance?: { K_hat_11: (number | null)[][]; C_hat_11: (number | null)[][] };
}

export interface FitRow {
  layer: number;
  /** Intercept of y = N (MC - mean field) = a + b/N: the measured 1/N coefficient, with its SE and 95% CI. */
  slope: number;
  slope_se: number;
  ci95: [number, number];
  /** Next-order term b (coefficient of 1/N^2 in MC - mean field). */
  next_order: number;
  chi2: number;
  dof: number;
  theory_1loop: number | null;
  /** z of the intercept against the one-loop coefficient and against mean field (0). */
  z: number | null;
  z_mf: number;
  pass: boolean | null;
}

export interface FitReport {
  name: string;
  description: string;
  checked_against: 'one_loop' | 'mean_field' | null;
  widths: number[];
  layers: FitRow[];
  pass: boolean | null;
  /** Whether mean field (intercept 0) would pass; null for variances (no mean-field value). */
  mean_field_pass: boolean | null;
}

export interface ValidationReport {
  network: Record<string, unknown>;
  inputs: { P: number; K0: number[]; description: string };
  sampler: Sampler;
  seed: number;
  samples: number;
  widths: number[];
  theory: { mean_field: string; one_loop: string; one_loop_available: boolean; seconds: number };
  rule: { fwer: number; tests: number; z_threshold: number; statement: string };
  runs: WidthRun[];
  fits: Record<string, FitReport>;
  interrupted: boolean;
  pass: boolean;
  seconds: number;
}

interface QuantityDef {
  name: string;
  series: string;
  kind: 'mean' | 'variance';
  description: string;
  firstLayer: number;
  mf: (l: number) => number | null;
  /** lim N (E - mean field) for means; lim N Var for variances. */
  coeff: (l: number) => number | null;
}

function at(arr: (number | null)[] | undefined, l: number): number | null {
  if (!arr) return null;
  const v = arr[l];
  return v === null || v === undefined || !Number.isFinite(v) ? null : v;
}

/** The checked quantities of a run (fixed by the options and the theory, before sampling). */
function quantityDefs(mf: MeanFieldTable, loop: OneLoopTable | null, twoInputs: boolean): QuantityDef[] {
  const defs: QuantityDef[] = [
    { name: 'K_hat_11', series: 'K_0_0', kind: 'mean', description: 'E[K_hat^l_11], K_hat_11 = (1/N) sum_i h_i1^2', firstLayer: 0, mf: (l) => mf.q[l], coeff: (l) => at(loop?.k1, l) },
    { name: 'C_hat_11', series: 'C_0_0', kind: 'mean', description: 'E[C_hat^l_11], C_hat_11 = sb2 + (sw2/N) sum_j phi(h^(l-1)_j1)^2', firstLayer: 1, mf: (l) => mf.C11[l], coeff: (l) => at(loop?.c1, l) },
    { name: 'var_K_hat_11', series: 'K_0_0', kind: 'variance', description: 'Var(K_hat^l_11)', firstLayer: 0, mf: () => null, coeff: (l) => at(loop?.varK, l) },
    { name: 'var_C_hat_11', series: 'C_0_0', kind: 'variance', description: 'Var(C_hat^l_11)', firstLayer: 1, mf: () => null, coeff: (l) => at(loop?.varC, l) },
  ];
  if (twoInputs) {
    defs.push(
      { name: 'K_hat_12', series: 'K_0_1', kind: 'mean', description: 'E[K_hat^l_12], K_hat_12 = (1/N) sum_i h_i1 h_i2', firstLayer: 0, mf: (l) => mf.k12![l], coeff: (l) => at(loop?.k1_12, l) },
      { name: 'C_hat_12', series: 'C_0_1', kind: 'mean', description: 'E[C_hat^l_12]', firstLayer: 1, mf: (l) => mf.C12![l], coeff: (l) => at(loop?.c1_12, l) },
      { name: 'var_K_hat_12', series: 'K_0_1', kind: 'variance', description: 'Var(K_hat^l_12)', firstLayer: 0, mf: () => null, coeff: (l) => at(loop?.varK_12, l) },
      { name: 'var_C_hat_12', series: 'C_0_1', kind: 'variance', description: 'Var(C_hat^l_12)', firstLayer: 1, mf: () => null, coeff: (l) => at(loop?.varC_12, l) },
    );
  }
  return defs;
}

/**
 * What a quantity is checked against: one-loop when every layer has a value, else mean field for
 * means. Variances: the one-loop table holds only their leading order, lim N Var; at one width
 * the O(1/N) relative correction is not predicted (and is resolvable with enough samples), so a
 * variance is checked only through the fit across widths, whose intercept is lim N Var.
 */
function checkedAgainst(def: QuantityDef, depth: number, where: 'width' | 'fit'): 'one_loop' | 'mean_field' | null {
  if (def.kind === 'variance' && where === 'width') return null;
  let all = true;
  for (let l = def.firstLayer; l <= depth; l++) if (def.coeff(l) === null) all = false;
  if (all) return 'one_loop';
  return def.kind === 'mean' ? 'mean_field' : null;
}

export function inputsFor(net: Network, twoInputs: boolean, delta: number | null): { K0: number[]; description: string } {
  const q0 = Number(net.q0);
  if (!twoInputs) return { K0: [q0], description: `one input, K^0 = q0 = ${net.q0}` };
  const c0 = Number(net.c0);
  if (delta === null) return { K0: twoInputKernel(q0, c0), description: `two inputs, K^0 = q0 [[1, c0], [c0, 1]], q0 = ${net.q0}, c0 = ${net.c0}` };
  return {
    K0: circleKernel(q0, [c0, c0 + delta, c0 - delta]),
    description: `two inputs (q0 = ${net.q0}, c0 = ${net.c0}) and, for dc/dc0, two more at correlation c0 +- ${delta} with input 1 (same weights)`,
  };
}

export function observationPlan(net: Network, twoInputs: boolean, delta: number | null): ObservationPlan {
  return {
    depth: net.depth,
    P: !twoInputs ? 1 : delta === null ? 2 : 4,
    pairs: twoInputs ? [[0, 0], [0, 1]] : [[0, 0]],
    corr: twoInputs,
    sensitivityDelta: twoInputs ? delta : null,
    jvp: true,
    kurtosis: true,
    crossLayer: net.depth <= CROSS_LAYER_MAX_DEPTH,
  };
}

/** Number of checked values (per-width layers plus fit intercepts): the m of the Bonferroni rule. */
function countTests(defs: QuantityDef[], depth: number, nWidths: number): number {
  let m = 0;
  for (const d of defs) {
    const layers = depth - d.firstLayer + 1;
    if (checkedAgainst(d, depth, 'width') !== null) m += layers * nWidths;
    if (nWidths >= 2 && checkedAgainst(d, depth, 'fit') !== null) m += layers;
  }
  return m;
}

function checkDelta(o: ValidateOptions): void {
  if (o.twoInputs && o.delta !== null) {
    const c0 = Number(o.net.c0);
    if (!(o.delta > 0) || c0 + o.delta > 1 || c0 - o.delta < -1) {
      throw new InputError('delta', `needs 0 < delta and c0 +- delta inside [-1, 1] (c0 = ${o.net.c0}, delta = ${o.delta})`);
    }
  }
}

/** Theory and rule of a run: fixed before the first network is drawn. */
function prepare(o: ValidateOptions) {
  const net = o.net;
  const tTheory = Date.now();
  const mf = meanFieldTheory(net, { twoInputs: o.twoInputs, delta: o.twoInputs ? o.delta : null });
  const loopSrc = o.oneLoop !== undefined ? { table: o.oneLoop, note: o.oneLoop ? 'one-loop theory: supplied by the caller' : 'one-loop theory: not used (mean field only)' } : oneLoopTheory(net);
  const loop = loopSrc.table;
  const defs = quantityDefs(mf, loop, o.twoInputs);
  const theorySeconds = (Date.now() - tTheory) / 1000;
  const m = countTests(defs, net.depth, o.widths.length);
  const zStar = bonferroniThreshold(o.fwer, m);
  return { mf, loopSrc, loop, defs, theorySeconds, m, zStar };
}

/** The Monte Carlo job of one width. */
export function validationJob(o: ValidateOptions, N: number): MonteCarloJob {
  const inputs = inputsFor(o.net, o.twoInputs, o.twoInputs ? o.delta : null);
  const spec: SimSpec = simSpec(o.net, N, { K0: inputs.K0, tangents: 1, tangentInput: 0 });
  return { spec, sampler: o.sampler, plan: observationPlan(o.net, o.twoInputs, o.delta), seed: o.seed, samples: o.samples };
}

/** Simulate every width (only the blocks `blocks` selects, when given); stops at an interruption. */
async function simulateWidths(o: ValidateOptions, blocks?: (b: number) => boolean): Promise<{ results: MonteCarloResult[]; interrupted: boolean }> {
  const results: MonteCarloResult[] = [];
  const jobs = o.widths.map((N) => validationJob(o, N));
  const todo = jobs.map((job) => networksIn(job, blocks));
  const totalSamples = todo.reduce((a, x) => a + x, 0);
  let interrupted = false;
  const threadsWanted = o.threads;
  let pool: WorkerPool | undefined;
  let base = 0;
  try {
    for (const [wi, job] of jobs.entries()) {
      if (o.signal?.aborted) {
        interrupted = true;
        break;
      }
      if (!pool && threadsWanted !== 1) {
        // Decide threading once for the whole run (a pool is reused across widths).
        const est = (costPerNetwork(job.spec, o.sampler, job.plan) * totalSamples) / 1e9;
        const nThreads = threadsWanted ?? (est > 0.75 ? WorkerPool.defaultSize() : 1);
        if (nThreads > 1) pool = new WorkerPool(nThreads);
      }
      const from = base;
      const res = await runMonteCarlo(job, {
        threads: pool ? undefined : 1,
        pool,
        signal: o.signal,
        blocks,
        onProgress: o.onProgress ? (done) => o.onProgress!(from + done, totalSamples) : undefined,
      });
      base += todo[wi];
      results.push(res);
      if (res.interrupted) {
        interrupted = true;
        break;
      }
    }
  } finally {
    if (pool) await pool.close();
  }
  return { results, interrupted };
}

export async function validate(o: ValidateOptions): Promise<ValidationReport> {
  const t0 = Date.now();
  checkDelta(o);
  const setup = prepare(o);
  const { results, interrupted } = await simulateWidths(o);
  return assemble(o, setup, results, interrupted, t0);
}

/**
 * One shard of a run: the blocks b with b mod count = index - 1 of every width (see MAX_BLOCKS in
 * montecarlo.ts), as raw moment sums. validateMerged of all the shards' blocks gives the report
 * of validate() with the same options, bit for bit (timings aside).
 */
export async function validateShard(o: ValidateOptions, shard: { index: number; count: number }): Promise<{ results: MonteCarloResult[]; interrupted: boolean }> {
  checkDelta(o);
  return simulateWidths(o, (b) => b % shard.count === shard.index - 1);
}

/** The report of a run whose sums were computed elsewhere (merged shards): one result per width. */
export function validateMerged(o: ValidateOptions, results: MonteCarloResult[]): ValidationReport {
  const t0 = Date.now();
  checkDelta(o);
  return assemble(o, prepare(o), results, false, t0);
}

function assemble(o: ValidateOptions, setup: ReturnType<typeof prepare>, results: MonteCarloResult[], interruptedRun: boolean, t0: number): ValidationReport {
  const net = o.net;
  const L = net.depth;
  const { mf, loopSrc, loop, defs, theorySeconds, m, zStar } = setup;
  const inputs = inputsFor(net, o.twoInputs, o.twoInputs ? o.delta : null);
  const plan = observationPlan(net, o.twoInputs, o.delta);
  const runs: WidthRun[] = results.map((res, wi) => widthRun(res, o.widths[wi], o.samples, defs, mf, loop, plan, zStar, L));
  const interrupted = interruptedRun || results.length < o.widths.length || results.some((r) => r.interrupted);
  const fits: Record<string, FitReport> = {};
  const complete = runs.filter((r) => r.samples >= 2);
  if (complete.length >= 2) {
    for (const d of defs) fits[d.name] = fitAcrossWidths(d, complete, L, zStar, checkedAgainst(d, L, 'fit'));
  }
  const checks: (boolean | null)[] = [];
  for (const r of runs) for (const q of Object.values(r.quantities)) if (q.checked_against) checks.push(q.pass);
  for (const f of Object.values(fits)) if (f.checked_against) checks.push(f.pass);
  const pass = !interrupted && checks.length > 0 && checks.every((c) => c === true);
  return {
    network: {
      act: net.act.name, alpha: net.alpha, sw2: net.sw2, sb2: net.sb2, depth: net.depth, q0: net.q0,
      c0: o.twoInputs ? net.c0 : null, skip: net.skip, scaling: net.scaling,
    },
    inputs: { P: plan.P, K0: inputs.K0, description: inputs.description },
    sampler: o.sampler,
    seed: o.seed,
    samples: o.samples,
    widths: o.widths,
    theory: { mean_field: 'mean-field kernels (src/quantities/kernel.ts, float64 quadrature)', one_loop: loopSrc.note, one_loop_available: loop !== null, seconds: theorySeconds },
    rule: {
      fwer: o.fwer,
      tests: m,
      z_threshold: zStar,
      statement:
        `Fixed before sampling: ${m} checked theory values; each passes if |z| <= ${zStar.toFixed(3)} = Phi^-1(1 - ${o.fwer}/(2*${m})) ` +
        `(Bonferroni, family-wise false-alarm rate ${o.fwer}). z = (MC - theory)/SE(MC); SE of a mean = s/sqrt(n), of a variance from the fourth moment; ` +
        `fit intercepts use weighted least squares of N(MC - mean field) = a + b/N with the MC standard errors.`,
    },
    runs,
    fits,
    interrupted,
    pass,
    seconds: (Date.now() - t0) / 1000,
  };
}

function widthRun(
  res: MonteCarloResult, N: number, requested: number, defs: QuantityDef[], mf: MeanFieldTable, loop: OneLoopTable | null,
  plan: ObservationPlan, zStar: number, L: number,
): WidthRun {
  const idx = seriesIndex(plan);
  const st = (series: string, l: number) => scalarStats(res.layout, res.data, idx.offset[series] + l);
  const quantities: Record<string, QuantityReport> = {};
  const n = res.data[0];
  for (const d of defs) {
    const against = checkedAgainst(d, L, 'width');
    const layers: LayerRow[] = [];
    for (let l = d.firstLayer; l <= L; l++) {
      const s = n >= 2 ? st(d.series, l) : null;
      const est = s ? (d.kind === 'mean' ? s.mean : s.variance) : NaN;
      const se = s ? (d.kind === 'mean' ? s.se : s.varianceSe) : NaN;
      const tMf = d.mf(l);
      const c = d.coeff(l);
      const t1 = c === null ? null : d.kind === 'mean' ? (tMf as number) + c / N : c / N;
      const zMf = zScore(est, se, tMf);
      const z1 = zScore(est, se, t1);
      const z = against === 'one_loop' ? z1 : against === 'mean_field' ? zMf : d.kind === 'variance' ? z1 : null;
      layers.push({ layer: l, mc_mean: est, mc_se: se, theory_mf: tMf, theory_1loop: t1, z, z_mf: zMf, z_1loop: z1, pass: against === null || z === null ? null : Math.abs(z) <= zStar });
    }
    quantities[d.name] = summarise(d.name, d.description, against, layers, zStar);
  }
  // Reported, not checked.
  if (plan.corr && mf.c) {
    quantities['c_hat_12'] = reported('c_hat_12', 'E[c_hat^l], c_hat = K_hat_12 / sqrt(K_hat_11 K_hat_22)', L, 0, (l) => st('corr', l), (l) => mf.c![l], () => null, zStar);
  }
  if (plan.sensitivityDelta !== null && mf.sens) {
    quantities['sensitivity'] = reported(
      'sensitivity', `E[dc_hat^l/dc^0] by central differences (delta = ${plan.sensitivityDelta}, same weights)`, L, 0,
      (l) => st('sens', l), (l) => mf.sens![l], () => null, zStar,
    );
  }
  if (plan.jvp) {
    quantities['jvp'] = reported('jvp', 'E[(1/N) |J^l v|^2], v ~ N(0, I_N): the mean squared Jacobian singular value', L, 0, (l) => st('jvp', l), (l) => mf.jvp[l], () => null, zStar);
  }
  if (plan.kurtosis && n >= 2) quantities['kurtosis'] = kurtosisReport(res, plan, idx, mf, loop, N, L, zStar);
  const run: WidthRun = {
    width: N, samples: n, requested_samples: requested, interrupted: res.interrupted, seconds: res.seconds, threads: res.threads, quantities,
  };
  if (plan.crossLayer && n >= 2) run.covariance = covariances(res, plan, idx, N, L);
  return run;
}

function summarise(name: string, description: string, against: QuantityReport['checked_against'], layers: LayerRow[], zStar: number): QuantityReport {
  const zs = layers.map((r) => r.z).filter((z): z is number => z !== null && !Number.isNaN(z));
  const zMf = layers.map((r) => r.z_mf).filter((z): z is number => z !== null && !Number.isNaN(z));
  const maxAbs = zs.length ? Math.max(...zs.map(Math.abs)) : null;
  return {
    name,
    description,
    checked_against: against,
    layers,
    max_abs_z: maxAbs,
    pass: against === null ? null : layers.every((r) => r.pass === true),
    mean_field_pass: zMf.length === layers.length && layers.length > 0 ? zMf.every((z) => Math.abs(z) <= zStar) : null,
  };
}

function reported(
  name: string, description: string, L: number, first: number, st: (l: number) => { mean: number; se: number },
  tMf: (l: number) => number | null, t1: (l: number) => number | null, zStar: number,
): QuantityReport {
  const layers: LayerRow[] = [];
  for (let l = first; l <= L; l++) {
    const s = st(l);
    const mfv = tMf(l);
    const onel = t1(l);
    layers.push({ layer: l, mc_mean: s.mean, mc_se: s.se, theory_mf: mfv, theory_1loop: onel, z: null, z_mf: zScore(s.mean, s.se, mfv), z_1loop: zScore(s.mean, s.se, onel), pass: null });
  }
  return summarise(name, description, null, layers, zStar);
}

/**
 * Excess kurtosis of one neuron h^l_i1 (pooled over neurons and networks): kappa = E[h^4] / E[h^2]^2 - 3
 * (E[h] = 0 exactly: W^l is independent of h^(l-1) and symmetric). Ratio of two network means,
 * standard error by the delta method from their covariance across networks.
 */
function kurtosisReport(
  res: MonteCarloResult, plan: ObservationPlan, idx: ReturnType<typeof seriesIndex>, mf: MeanFieldTable, loop: OneLoopTable | null,
  N: number, L: number, zStar: number,
): QuantityReport {
  const layers: LayerRow[] = [];
  const n = res.data[0];
  for (let l = 0; l <= L; l++) {
    const sK = scalarStats(res.layout, res.data, idx.offset['K_0_0'] + l);
    const s4 = scalarStats(res.layout, res.data, idx.offset['m4'] + l);
    const A = s4.mean;
    const B = sK.mean;
    const q = crossPairIndex(plan, 'kurt', l, l);
    const cov = pairCovariance(res.layout, res.data, q);
    const gA = 1 / (B * B);
    const gB = (-2 * A) / (B * B * B);
    const v = (gA * gA * s4.variance + gB * gB * sK.variance + 2 * gA * gB * cov) / n;
    const kappa = A / (B * B) - 3;
    const se = Math.sqrt(Math.max(0, v));
    const K = mf.q[l];
    const varK = at(loop?.varK, l);
    const t1 = varK === null ? null : (3 * (varK - 2 * K * K)) / (N * K * K);
    layers.push({ layer: l, mc_mean: kappa, mc_se: se, theory_mf: 0, theory_1loop: t1, z: null, z_mf: zScore(kappa, se, 0), z_1loop: zScore(kappa, se, t1), pass: null });
  }
  return summarise('kurtosis', 'excess kurtosis E[h^4]/E[h^2]^2 - 3 of a neuron h^l_i1 (0 for a Gaussian)', null, layers, zStar);
}

function covariances(res: MonteCarloResult, plan: ObservationPlan, idx: ReturnType<typeof seriesIndex>, N: number, L: number): WidthRun['covariance'] {
  const mk = (series: 'K_0_0' | 'C_0_0', first: number): (number | null)[][] => {
    const M: (number | null)[][] = [];
    for (let l = 0; l <= L; l++) {
      const row: (number | null)[] = [];
      for (let m = 0; m <= L; m++) {
        if (l < first || m < first) row.push(null);
        else if (l === m) row.push(N * scalarStats(res.layout, res.data, idx.offset[series] + l).variance);
        else row.push(N * pairCovariance(res.layout, res.data, crossPairIndex(plan, series, Math.min(l, m), Math.max(l, m))));
      }
      M.push(row);
    }
    return M;
  };
  return { K_hat_11: mk('K_0_0', 0), C_hat_11: mk('C_0_0', 1) };
}

/**
 * Across widths: y_N = N (MC_N - mean field) (means) or N Var_N (variances), fitted by weighted
 * least squares to a + b/N. The intercept a is the measured 1/N coefficient (k1, c1, varK, ...),
 * compared with the one-loop value (and with 0, mean field's, for means).
 */
function fitAcrossWidths(def: QuantityDef, runs: WidthRun[], L: number, zStar: number, against: QuantityReport['checked_against']): FitReport {
  const rows: FitRow[] = [];
  const widths = runs.map((r) => r.width);
  for (let l = def.firstLayer; l <= L; l++) {
    const xs: number[] = [];
    const ys: number[] = [];
    const ses: number[] = [];
    for (const r of runs) {
      const row = r.quantities[def.name].layers[l - def.firstLayer];
      const mfv = def.kind === 'mean' ? (row.theory_mf as number) : 0;
      xs.push(1 / r.width);
      ys.push(r.width * (row.mc_mean - mfv));
      ses.push(r.width * row.mc_se);
    }
    let fit: LineFit;
    try {
      fit = weightedLineFit(xs, ys, ses);
    } catch {
      fit = { a: NaN, aSe: NaN, b: NaN, bSe: NaN, covAB: NaN, chi2: NaN, dof: xs.length - 2, chi2P: null };
    }
    const c = def.coeff(l);
    const z = against === 'one_loop' ? zScore(fit.a, fit.aSe, c) : against === 'mean_field' ? zScore(fit.a, fit.aSe, 0) : null;
    const zMf = zScore(fit.a, fit.aSe, 0) ?? NaN;
    rows.push({
      layer: l, slope: fit.a, slope_se: fit.aSe, ci95: [fit.a - 1.959964 * fit.aSe, fit.a + 1.959964 * fit.aSe], next_order: fit.b,
      chi2: fit.chi2, dof: fit.dof, theory_1loop: c, z, z_mf: zMf, pass: z === null ? null : Math.abs(z) <= zStar,
    });
  }
  return {
    name: def.name,
    description: def.kind === 'mean' ? `N (E[${def.name}] - mean field) = a + b/N: a is the 1/N coefficient` : `N ${def.description} = a + b/N: a is lim N Var`,
    checked_against: against,
    widths,
    layers: rows,
    pass: against === null ? null : rows.every((r) => r.pass === true),
    mean_field_pass: def.kind === 'mean' ? rows.every((r) => Math.abs(r.z_mf) <= zStar) : null,
  };
}
