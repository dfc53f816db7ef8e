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
 * No 1/N theory exists for these networks, so the mean field is the only theory value:
 *   one width:     E[X] is checked against mean field at that width (the O(1/N) finite-width bias
 *                  is part of the difference: use widths where it is below the statistical error);
 *   several widths: E[X] at width N is fitted by A + B/N (weighted least squares with the Monte
 *                  Carlo standard errors); the intercept A (the infinite-width extrapolation) is
 *                  checked against mean field. The slope B is reported, not judged.
 * Rule: as in validate.ts, Bonferroni over the m checked values, fixed before sampling.
 */
import { InputError } from '../model/errors';
import { NetDescription } from '../model/net/layers';
import { float64Interp } from '../interpret/numeric';
import { NetMeanField, netMeanField } from '../quantities/netMeanField';
import { NetForward, NetProgram, compileNet } from './netForward';
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
}

export interface NetWidthValue {
  width: number;
  samples: number;
  mean: number;
  se: number;
  /** z against mean field at this width. */
  z: number | null;
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
  widths: NetWidthValue[];
  fit: NetFitValue | null;
  /** The checked z (at the one width, or of the intercept) and its verdict. */
  z: number | null;
  pass: boolean | null;
}

export interface NetQuantity {
  name: string;
  description: string;
  rows: NetQuantityRow[];
  max_abs_z: number | null;
  pass: boolean | null;
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

function definitions(mf: NetMeanField<number>, P: number): Def[] {
  const defs: Def[] = [];
  let slot = 0;
  for (let a = 0; a < P; a++) {
    for (let b = a; b < P; b++) {
      const aa = a;
      const bb = b;
      defs.push({ name: `K_hat_${a + 1}${b + 1}`, description: `E[K_hat_${a + 1}${b + 1}], K_hat_${a + 1}${b + 1} = (1/N) sum_i h_i${a + 1} h_i${b + 1}`, slot: slot++, mf: (r) => mf.rows[r].K[aa][bb] });
    }
  }
  if (carriesMean(mf)) {
    for (let a = 0; a < P; a++) {
      const aa = a;
      defs.push({ name: `m_hat_${a + 1}`, description: `E[m_hat_${a + 1}], m_hat_${a + 1} = (1/N) sum_i h_i${a + 1} (the mean every neuron carries)`, slot: slot++, mf: (r) => mf.rows[r].m[aa] });
    }
  }
  return defs;
}

/** The per-row scalars of one network state (K_hat pairs, then m_hat when measured). */
function measure(h: Float64Array, N: number, P: number, withMean: boolean, out: Float64Array, offset: number): void {
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
}

export async function validateNet(o: NetValidateOptions): Promise<NetValidationReport> {
  const t0 = Date.now();
  const program: NetProgram = compileNet(o.desc);
  const mf = o.meanField ?? netMeanField(float64Interp, o.desc);
  if (mf.rows.length !== program.rows.length) throw new Error(`internal: the mean field records ${mf.rows.length} rows, the simulation ${program.rows.length}`);
  const P = program.P;
  const defs = definitions(mf, P);
  const withMean = defs.length > (P * (P + 1)) / 2;
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
      sim.run(o.seed, k, (row, h) => measure(h, N, P, withMean, x, row * perRow));
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
  const quantities: NetQuantity[] = defs.map((d) => {
    const rows: NetQuantityRow[] = program.rows.map((label, r) => {
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
    const zs = rows.map((r) => r.z).filter((v): v is number => v !== null);
    return {
      name: d.name, description: d.description, rows,
      max_abs_z: zs.length ? Math.max(...zs.map(Math.abs)) : null,
      pass: interrupted ? null : rows.every((r) => r.pass === true),
    };
  });
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
    theory:
      'mean-field kernels and means of the description (src/quantities/netMeanField.ts, float64); no one-loop (1/N) theory exists for this form, ' +
      (checked === 'intercept'
        ? 'so the 1/N extrapolation (intercept A of E[X] = A + B/N across the widths) is checked against mean field; the slope B is reported, not judged'
        : 'so E[X] at the one width is checked against mean field, O(1/N) finite-width bias included (give --widths to check the 1/N extrapolation instead)'),
    rule: {
      fwer: o.fwer,
      tests,
      z_threshold: zStar,
      statement:
        `Fixed before sampling: ${tests} checked values; each passes if |z| <= ${zStar.toFixed(3)} = Phi^-1(1 - ${o.fwer}/(2*${tests})) ` +
        `(Bonferroni, family-wise false-alarm rate ${o.fwer}). z = (MC - mean field)/SE(MC)${checked === 'intercept' ? ', for the intercept of the weighted fit A + B/N' : ''}.`,
    },
    quantities,
    interrupted,
    pass,
    seconds: (Date.now() - t0) / 1000,
  };
}

/** The text report of `validate --net` for a description outside today's form. */
export function netReportText(r: NetValidationReport): string {
  const num = (x: number | null | undefined, d = 6): string => (x === null || x === undefined ? '-' : Number.isFinite(x) ? x.toPrecision(d) : String(x));
  const zt = (z: number | null): string => (z === null ? '-' : Number.isFinite(z) ? z.toFixed(2) : String(z));
  const out: string[] = [];
  out.push(`Monte Carlo validation of the description ${r.source ?? '(built in code)'}: ${r.rows.length - 1} recorded layers after the input`);
  out.push(`Inputs: P = ${r.inputs.P}, K^0 = [${r.inputs.K0.join(', ')}] (row-major)`);
  out.push(`Simulation: ${r.sampler} sampler, ${r.samples} networks per width, width${r.widths.length > 1 ? 's' : ''} ${r.widths.join(', ')}, seed ${r.seed}`);
  out.push(`Theory: ${r.theory}`);
  out.push(`Rule: ${r.rule.statement}`);
  if (r.interrupted) out.push('INTERRUPTED: statistics of the networks simulated so far; no verdict.');
  out.push('');
  for (const q of r.quantities) {
    out.push(`${q.name}: ${q.description}  ${q.pass === null ? 'reported' : q.pass ? 'PASS' : 'FAIL'}${q.max_abs_z !== null ? ` (max |z| = ${q.max_abs_z.toFixed(2)})` : ''}`);
    const header = ['row', 'layer', 'mean field', ...r.widths.map((w) => `MC ± SE (N = ${w})`), ...(r.checked === 'intercept' ? ['A ± SE', 'B ± SE (reported)'] : []), 'z', ''];
    const rows = q.rows.map((x) => [
      String(x.row), x.label, num(x.mean_field),
      ...r.widths.map((w) => {
        const v = x.widths.find((u) => u.width === w);
        return v ? `${num(v.mean)} ± ${num(v.se, 2)}` : '-';
      }),
      ...(r.checked === 'intercept' ? [x.fit ? `${num(x.fit.intercept)} ± ${num(x.fit.intercept_se, 2)}` : '-', x.fit ? `${num(x.fit.slope, 4)} ± ${num(x.fit.slope_se, 2)}` : '-'] : []),
      zt(x.z), x.pass === null ? '' : x.pass ? 'ok' : 'FAIL',
    ]);
    const widths = header.map((h, j) => Math.max(h.length, ...rows.map((row) => row[j].length)));
    const fmt = (row: string[]) => '  ' + row.map((c, j) => (j === 1 ? c.padEnd(widths[j]) : c.padStart(widths[j]))).join('  ');
    out.push(fmt(header), '  ' + widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(fmt), '');
  }
  out.push(`Verdict: ${r.interrupted ? 'none (interrupted)' : r.pass ? 'PASS' : 'FAIL'} (${r.rule.tests} checked values, |z| <= ${r.rule.z_threshold.toFixed(3)})`);
  return out.join('\n') + '\n';
}
