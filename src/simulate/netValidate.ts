/**
 * The Monte Carlo validator of a network description outside today's form (which keeps the
 * one-loop validator of src/simulate/validate.ts): finite-width networks built by the forward pass
 * of src/simulate/netForward.ts against the mean field of src/quantities/netMeanField.ts.
 *
 * Measured at every row the mean field records (the input, each dense layer and each residual
 * block outside residual branches): the empirical kernel K_hat_ab = (1/N) sum_i h_ia h_ib for
 * every pair of inputs a <= b, and, when the description carries a mean (a non-odd activation
 * whose output reaches the stream), the empirical mean m_hat_a = (1/N) sum_i h_ia.
 *
 * Where the composed one-loop theory covers the description (src/quantities/loop/netOneLoop.ts),
 * K_hat and, with two inputs, c_hat = K_hat_12 / sqrt(K_hat_11 K_hat_22) are checked against it:
 *   one width:      E[X] against mean field + coefficient / N (mean field alone judged beside it);
 *   several widths: y_N = N (E[X] - mean field) fitted by a + b/N; a against the coefficient (and
 *                   against 0: mean field alone).
 * Otherwise (and for the means m_hat, whose 1/N shift is not computed) the mean field is the only
 * theory value:
 *   one width:     E[X] is checked against mean field at that width (the O(1/N) finite-width bias
 *                  is part of the difference: use widths where it is below the statistical error);
 *   several widths: E[X] at width N is fitted by A + B/N (weighted least squares with the Monte
 *                  Carlo standard errors); the intercept A (the infinite-width extrapolation) is
 *                  checked against mean field. The slope B is reported, not judged.
 * Rule: as in validate.ts, Bonferroni over the m checked values, fixed before sampling.
 */
import { InputError } from '../model/errors';
import { formatPadded, formatZ, textTable } from '../io/format';
import { NetDescription } from '../model/net/layers';
import { float64Interp } from '../interpret/numeric';
import { NetMeanField, netMeanField } from '../quantities/netMeanField';
import { NetForward, NetProgram, compileNet } from './netForward';
import { NetOneLoop, checkNetOneLoopCovers, netOneLoop64 } from '../quantities/loop/netOneLoop';
import { Sampler } from './spec';
import { bonferroniThreshold, weightedLineFit, zScore } from './stats';

export interface NetValidateOptions {
  desc: NetDescription;
  widths: number[];
  samples: number;
  seed: number;
  sampler: Sampler;
  fwer: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
  /** The mean-field table to test (default: netMeanField of the description). For tests of the validator. */
  meanField?: NetMeanField<number>;
  /**
   * The one-loop table (default: the composed theory's, when it covers the description; null: mean
   * field alone). With it the K_hat entries and c_hat are checked against mean field + coefficient / N.
   */
  oneLoop?: NetOneLoop | null;
}

export interface NetWidthValue {
  width: number;
  samples: number;
  mean: number;
  se: number;
  /** z against mean field at this width. */
  z: number | null;
  /** With a one-loop coefficient: the prediction mean field + coefficient / N and z against it. */
  theory_1loop?: number;
  z_1loop?: number | null;
}

export interface NetFitValue {
  /** Intercept A of E[X] = A + B/N (the infinite-width extrapolation) and its standard error. */
  intercept: number;
  intercept_se: number;
  /** Slope B (the measured 1/N coefficient; no theory for it: reported, not judged). */
  slope: number;
  slope_se: number;
  chi2: number;
  dof: number;
  /** z of the intercept against mean field. */
  z: number | null;
}

export interface NetQuantityRow {
  row: number;
  label: string;
  mean_field: number;
  /** The one-loop coefficient lim N (E[X] - mean field), when the theory covers the quantity. */
  one_loop?: number;
  widths: NetWidthValue[];
  fit: NetFitValue | null;
  /** With a one-loop coefficient and several widths: y_N = N (MC - mean field) fitted by a + b/N; a against the coefficient. */
  fit_1loop?: { a: number; a_se: number; b: number; b_se: number; chi2: number; dof: number; z: number | null; z_mf: number | null } | null;
  /** z of the same check against mean field alone. */
  z_mf?: number | null;
  /** The checked z (at the one width, or of the intercept) and its verdict. */
  z: number | null;
  pass: boolean | null;
}

export interface NetQuantity {
  name: string;
  description: string;
  /** What the rows are checked against. */
  checked_against: 'one_loop' | 'mean_field';
  rows: NetQuantityRow[];
  max_abs_z: number | null;
  pass: boolean | null;
  /** Whether mean field alone passes the same rule (one-loop quantities only). */
  mean_field_pass?: boolean | null;
}

export interface NetValidationReport {
  source: string | null;
  inputs: { P: number; K0: number[] };
  sampler: Sampler;
  seed: number;
  samples: number;
  widths: number[];
  rows: string[];
  checked: 'width' | 'intercept';
  theory: string;
  rule: { fwer: number; tests: number; z_threshold: number; statement: string };
  quantities: NetQuantity[];
  interrupted: boolean;
  pass: boolean;
  seconds: number;
}

interface Def {
  name: string;
  description: string;
  /** Index into the per-row scalar vector. */
  slot: number;
  mf: (row: number) => number;
  /** The one-loop coefficient, when the theory gives one. */
  k1?: (row: number) => number;
}

/** Running mean and sum of squared deviations (Welford), per scalar. */
class Moments {
  n = 0;
  readonly mean: Float64Array;
  readonly m2: Float64Array;
  constructor(size: number) {
    this.mean = new Float64Array(size);
    this.m2 = new Float64Array(size);
  }
  add(x: Float64Array): void {
    this.n++;
    const n = this.n;
    for (let s = 0; s < x.length; s++) {
      const d = x[s] - this.mean[s];
      this.mean[s] += d / n;
      this.m2[s] += d * (x[s] - this.mean[s]);
    }
  }
  se(s: number): number {
    return this.n > 1 ? Math.sqrt(this.m2[s] / (this.n - 1) / this.n) : NaN;
  }
}

/** Does any recorded row of the mean field carry a non-zero mean? */
function carriesMean(mf: NetMeanField<number>): boolean {
  return mf.rows.some((r) => r.m.some((x) => x !== 0));
}

function definitions(mf: NetMeanField<number>, P: number, loop: NetOneLoop | null): Def[] {
  const defs: Def[] = [];
  let slot = 0;
  let e = 0;
  for (let a = 0; a < P; a++) {
    for (let b = a; b < P; b++) {
      const aa = a;
      const bb = b;
      const ee = e++;
      defs.push({
        name: `K_hat_${a + 1}${b + 1}`, description: `E[K_hat_${a + 1}${b + 1}], K_hat_${a + 1}${b + 1} = (1/N) sum_i h_i${a + 1} h_i${b + 1}`, slot: slot++, mf: (r) => mf.rows[r].K[aa][bb],
        ...(loop ? { k1: (r: number) => loop.rows[r].k1[ee] } : {}),
      });
    }
  }
  if (carriesMean(mf)) {
    for (let a = 0; a < P; a++) {
      const aa = a;
      defs.push({ name: `m_hat_${a + 1}`, description: `E[m_hat_${a + 1}], m_hat_${a + 1} = (1/N) sum_i h_i${a + 1} (the mean every neuron carries)`, slot: slot++, mf: (r) => mf.rows[r].m[aa] });
    }
  }
  if (loop && P === 2) {
    defs.push({
      name: 'c_hat_12', description: 'E[c_hat_12], c_hat_12 = K_hat_12 / sqrt(K_hat_11 K_hat_22) (the correlation a simulation measures)', slot: slot++,
      mf: (r) => loop.rows[r].c as number, k1: (r) => loop.rows[r].chat1 as number,
    });
  }
  return defs;
}

/** The per-row scalars of one network state (K_hat pairs, then m_hat when measured, then c_hat with two inputs and a one-loop theory). */
function measure(h: Float64Array, N: number, P: number, withMean: boolean, withChat: boolean, out: Float64Array, offset: number): void {
  let s = offset;
  for (let a = 0; a < P; a++) {
    for (let b = a; b < P; b++) {
      let acc = 0;
      for (let i = 0; i < N; i++) acc += h[a * N + i] * h[b * N + i];
      out[s++] = acc / N;
    }
  }
  if (withMean) {
    for (let a = 0; a < P; a++) {
      let acc = 0;
      for (let i = 0; i < N; i++) acc += h[a * N + i];
      out[s++] = acc / N;
    }
  }
  // entries 11, 12, 22 sit at offset, offset + 1, offset + 2
  if (withChat) out[s++] = out[offset + 1] / Math.sqrt(out[offset] * out[offset + 2]);
}

/** The composed one-loop table when it covers the description, else null (mean field alone). */
export function oneLoopIfCovered(d: NetDescription): NetOneLoop | null {
  try {
    checkNetOneLoopCovers(d);
  } catch (e) {
    if (e instanceof InputError) return null;
    throw e;
  }
  return netOneLoop64(d);
}

export async function validateNet(o: NetValidateOptions): Promise<NetValidationReport> {
  const t0 = Date.now();
  const program: NetProgram = compileNet(o.desc);
  const mf = o.meanField ?? netMeanField(float64Interp, o.desc);
  if (mf.rows.length !== program.rows.length) throw new Error(`internal: the mean field records ${mf.rows.length} rows, the simulation ${program.rows.length}`);
  const P = program.P;
  const loop = o.oneLoop === undefined ? oneLoopIfCovered(o.desc) : o.oneLoop;
  const defs = definitions(mf, P, loop);
  const withMean = carriesMean(mf);
  const withChat = defs.some((d) => d.name === 'c_hat_12');
  const perRow = defs.length;
  const R = program.rows.length;
  const checked: 'width' | 'intercept' = o.widths.length >= 2 ? 'intercept' : 'width';
  const tests = defs.length * R;
  const zStar = bonferroniThreshold(o.fwer, tests);
  const total = o.samples * o.widths.length;
  if (o.samples < 2) throw new InputError('samples', `must be >= 2, got ${o.samples}`);

  const runs: { width: number; m: Moments }[] = [];
  let interrupted = false;
  let done = 0;
  let lastYield = Date.now();
  const x = new Float64Array(perRow * R);
  outer: for (const N of o.widths) {
    const sim = new NetForward(program, N, o.sampler);
    const m = new Moments(perRow * R);
    runs.push({ width: N, m });
    for (let k = 0; k < o.samples; k++) {
      if (o.signal?.aborted) {
        interrupted = true;
        break outer;
      }
      sim.run(o.seed, k, (row, h) => measure(h, N, P, withMean, withChat, x, row * perRow));
      m.add(x);
      done++;
      // hand the event loop a turn now and then, so that Ctrl-C (the abort signal) is seen
      if (Date.now() - lastYield > 100) {
        o.onProgress?.(done, total);
        await new Promise((r) => setImmediate(r));
        lastYield = Date.now();
      }
    }
  }
  const complete = runs.filter((r) => r.m.n >= 2);
  const quantities: NetQuantity[] = defs.map((d) => (d.k1 ? oneLoopQuantity(d, d.k1, program.rows, complete, perRow, checked, zStar, interrupted) : meanFieldQuantity(d, program.rows, complete, perRow, checked, zStar, interrupted)));
  const pass = !interrupted && quantities.every((q) => q.pass === true);
  return {
    source: o.desc.source ?? null,
    inputs: { P, K0: program.K0 },
    sampler: o.sampler,
    seed: o.seed,
    samples: o.samples,
    widths: o.widths,
    rows: program.rows,
    checked,
    theory: loop
      ? 'the composed one-loop theory (src/quantities/loop/netOneLoop.ts): K_hat and c_hat against mean field + coefficient/N ' +
        (checked === 'intercept'
          ? '(y_N = N (MC - mean field) fitted by a + b/N across the widths; a checked against the coefficient, and against 0 for mean field alone)'
          : '(at the one width; mean field alone reported beside it)') +
        (withMean ? '; the means m_hat against mean field (no 1/N coefficient computed for them)' : '')
      : 'mean-field kernels and means of the description (src/quantities/netMeanField.ts, float64); the one-loop (1/N) theory does not cover this form, ' +
        (checked === 'intercept'
          ? 'so the 1/N extrapolation (intercept A of E[X] = A + B/N across the widths) is checked against mean field; the slope B is reported, not judged'
          : 'so E[X] at the one width is checked against mean field, O(1/N) finite-width bias included (give --widths to check the 1/N extrapolation instead)'),
    rule: {
      fwer: o.fwer,
      tests,
      z_threshold: zStar,
      statement:
        `Fixed before sampling: ${tests} checked values; each passes if |z| <= ${zStar.toFixed(3)} = Phi^-1(1 - ${o.fwer}/(2*${tests})) ` +
        `(Bonferroni, family-wise false-alarm rate ${o.fwer}). z = (MC - theory)/SE(MC)${checked === 'intercept' ? ', for the intercept of the weighted fit' : ''}.`,
    },
    quantities,
    interrupted,
    pass,
    seconds: (Date.now() - t0) / 1000,
  };
}


type Runs = { width: number; m: Moments }[];

/** Rows of a quantity checked against mean field (the 1/N extrapolation with several widths). */
function meanFieldQuantity(d: Def, labels: string[], complete: Runs, perRow: number, checked: 'width' | 'intercept', zStar: number, interrupted: boolean): NetQuantity {
  const rows: NetQuantityRow[] = labels.map((label, r) => {
    const mfv = d.mf(r);
    const s = r * perRow + d.slot;
    const widths: NetWidthValue[] = complete.map(({ width, m }) => ({ width, samples: m.n, mean: m.mean[s], se: m.se(s), z: zScore(m.mean[s], m.se(s), mfv) }));
    let fit: NetFitValue | null = null;
    let z: number | null = null;
    if (checked === 'intercept' && widths.length >= 2) {
      // a quantity known exactly (zero spread at every width) has nothing to fit
      if (widths.every((w) => w.se > 0)) {
        const f = weightedLineFit(widths.map((w) => 1 / w.width), widths.map((w) => w.mean), widths.map((w) => w.se));
        z = zScore(f.a, f.aSe, mfv);
        fit = { intercept: f.a, intercept_se: f.aSe, slope: f.b, slope_se: f.bSe, chi2: f.chi2, dof: f.dof, z };
      } else z = zScore(widths[0].mean, 0, mfv);
    } else if (checked === 'width' && widths.length === 1) z = widths[0].z;
    return { row: r, label, mean_field: mfv, widths, fit, z, pass: interrupted || z === null ? null : Math.abs(z) <= zStar };
  });
  return summary(d, 'mean_field', rows, interrupted);
}

/**
 * Rows of a quantity with a one-loop coefficient k1: at one width z against mean field + k1/N; with
 * several, y_N = N (MC - mean field) fitted by a + b/N and a checked against k1. Mean field alone
 * (k1 = 0) is judged by the same rule and reported.
 */
function oneLoopQuantity(d: Def, k1: (row: number) => number, labels: string[], complete: Runs, perRow: number, checked: 'width' | 'intercept', zStar: number, interrupted: boolean): NetQuantity {
  const rows: NetQuantityRow[] = labels.map((label, r) => {
    const mfv = d.mf(r);
    const raw = k1(r);
    // a coefficient at the rounding level of the mean field is an exact zero computed in float64
    const c = Math.abs(raw) <= 1e-9 * Math.max(1, Math.abs(mfv)) ? 0 : raw;
    const s = r * perRow + d.slot;
    const widths: NetWidthValue[] = complete.map(({ width, m }) => {
      const se = m.se(s);
      const t = mfv + c / width;
      return { width, samples: m.n, mean: m.mean[s], se, z: zScore(m.mean[s], se, mfv), theory_1loop: t, z_1loop: zScore(m.mean[s], se, t) };
    });
    let z: number | null = null;
    let zMf: number | null = null;
    let fit1: NetQuantityRow['fit_1loop'] = null;
    if (checked === 'intercept' && widths.length >= 2) {
      if (widths.every((w) => w.se > 0)) {
        const f = weightedLineFit(widths.map((w) => 1 / w.width), widths.map((w) => w.width * (w.mean - mfv)), widths.map((w) => w.width * w.se));
        z = zScore(f.a, f.aSe, c);
        zMf = zScore(f.a, f.aSe, 0);
        fit1 = { a: f.a, a_se: f.aSe, b: f.b, b_se: f.bSe, chi2: f.chi2, dof: f.dof, z, z_mf: zMf };
      } else {
        z = zScore(widths[0].mean, 0, mfv + c / widths[0].width);
        zMf = zScore(widths[0].mean, 0, mfv);
      }
    } else if (widths.length === 1) {
      z = widths[0].z_1loop ?? null;
      zMf = widths[0].z;
    }
    return { row: r, label, mean_field: mfv, one_loop: c, widths, fit: null, fit_1loop: fit1, z, z_mf: zMf, pass: interrupted || z === null ? null : Math.abs(z) <= zStar };
  });
  const q = summary(d, 'one_loop', rows, interrupted);
  const zm = rows.map((x) => x.z_mf).filter((v): v is number => v !== null && v !== undefined);
  q.mean_field_pass = interrupted || zm.length === 0 ? null : zm.every((z) => Math.abs(z) <= zStar);
  return q;
}

function summary(d: Def, against: 'one_loop' | 'mean_field', rows: NetQuantityRow[], interrupted: boolean): NetQuantity {
  const zs = rows.map((r) => r.z).filter((v): v is number => v !== null);
  return {
    name: d.name, description: d.description, checked_against: against, rows,
    max_abs_z: zs.length ? Math.max(...zs.map(Math.abs)) : null,
    pass: interrupted ? null : rows.every((r) => r.pass === true),
  };
}

/** The text report of `validate --net` for a description outside today's form. */
export function netReportText(r: NetValidationReport): string {
  const num = (x: number | null | undefined, d = 6): string => formatPadded(x, d);
  const zt = (z: number | null): string => formatZ(z);
  const out: string[] = [];
  out.push(`Monte Carlo validation of the description ${r.source ?? '(built in code)'}: ${r.rows.length - 1} recorded layers after the input`);
  out.push(`Inputs: P = ${r.inputs.P}, K^0 = [${r.inputs.K0.join(', ')}] (row-major)`);
  out.push(`Simulation: ${r.sampler} sampler, ${r.samples} networks per width, width${r.widths.length > 1 ? 's' : ''} ${r.widths.join(', ')}, seed ${r.seed}`);
  out.push(`Theory: ${r.theory}`);
  out.push(`Rule: ${r.rule.statement}`);
  if (r.interrupted) out.push('INTERRUPTED: statistics of the networks simulated so far; no verdict.');
  out.push('');
  for (const q of r.quantities) {
    const loop = q.checked_against === 'one_loop';
    const mfNote = loop && q.mean_field_pass !== null && q.mean_field_pass !== undefined ? `; mean field alone: ${q.mean_field_pass ? 'passes' : 'rejected'}` : '';
    out.push(`${q.name}: ${q.description}  ${q.pass === null ? 'reported' : q.pass ? 'PASS' : 'FAIL'}${q.max_abs_z !== null ? ` (max |z| = ${q.max_abs_z.toFixed(2)}${mfNote})` : ''}`);
    const fitCols = r.checked === 'intercept' ? (loop ? ['a ± SE (N (MC - MF) = a + b/N)'] : ['A ± SE', 'B ± SE (reported)']) : [];
    const header = ['row', 'layer', 'mean field', ...(loop ? ['1/N coeff.'] : []), ...r.widths.map((w) => `MC ± SE (N = ${w})`), ...fitCols, 'z', ...(loop ? ['z (MF alone)'] : []), ''];
    const rows = q.rows.map((x) => [
      String(x.row), x.label, num(x.mean_field), ...(loop ? [num(x.one_loop)] : []),
      ...r.widths.map((w) => {
        const v = x.widths.find((u) => u.width === w);
        return v ? `${num(v.mean)} ± ${num(v.se, 2)}` : '-';
      }),
      ...(r.checked === 'intercept'
        ? loop
          ? [x.fit_1loop ? `${num(x.fit_1loop.a, 4)} ± ${num(x.fit_1loop.a_se, 2)}` : '-']
          : [x.fit ? `${num(x.fit.intercept)} ± ${num(x.fit.intercept_se, 2)}` : '-', x.fit ? `${num(x.fit.slope, 4)} ± ${num(x.fit.slope_se, 2)}` : '-']
        : []),
      zt(x.z), ...(loop ? [zt(x.z_mf ?? null)] : []), x.pass === null ? '' : x.pass ? 'ok' : 'FAIL',
    ]);
    out.push(textTable(header, rows, { indent: '  ', align: 'right', left: [1] }));
  }
  out.push(`Verdict: ${r.interrupted ? 'none (interrupted)' : r.pass ? 'PASS' : 'FAIL'} (${r.rule.tests} checked values, |z| <= ${r.rule.z_threshold.toFixed(3)})`);
  return out.join('\n') + '\n';
}
