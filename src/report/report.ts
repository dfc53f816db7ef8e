/**
 * The flagship analysis (`fieldprop report`, `npm start`): a deep erf ResNet on built-in
 * defaults, computed stage by stage from the public API —
 *
 *   1. the optimal residual scaling alpha* (verified digits) and its large-depth formula,
 *   2. alpha* against depth and against sw2 (exact maximum and formula),
 *   3. mean-field kernels of the network at alpha = alpha*,
 *   4. its response functions,
 *   5. one-loop (1/N) corrections (two grid resolutions; digits where they agree),
 *   6. a Monte Carlo check of finite-width networks against mean field and one loop,
 *   7. plots (Vega-Lite -> SVG).
 *
 * Every number in the result is computed here; nothing is copied from a table. A progress line
 * per stage goes to `onProgress` (stderr in the CLI). src/report/html.ts renders the result.
 */
import { network, Network } from '../model/network';
import { NumericalError } from '../model/errors';
import { kernel, response, optimalAlphaAnalysis } from '../api';
import { oneLoop64, oneLoopExpansionParameter, OneLoopTable } from '../quantities/loop';
import { formatNumber } from '../io/format';
import { agreedArray } from '../numeric/agreed';
import { validate, ValidationReport, QuantityReport, FitReport } from '../simulate/validate';
import { renderSvg, validationPlotSpec, fittedLog } from '../simulate/plot';

export interface ReportSettings {
  act: string;
  sw2: string;
  sb2: string;
  depth: number;
  q0: string;
  c0: string;
  /** Verified significant digits of alpha*, the kernels and the response functions. */
  digits: number;
  /** alpha* against depth (at sw2) and against sw2 (at depth). */
  sweepDepths: number[];
  sweepSw2: number[];
  /** Monte Carlo: widths, networks per width, seed, finite-difference step of dc/dc0. */
  widths: number[];
  samples: number;
  seed: number;
  delta: number;
}

/** The defaults of `npm start`: an erf ResNet of depth 50, about a minute on 2 cores. */
export const REPORT_DEFAULTS: ReportSettings = {
  act: 'erf', sw2: '1.5', sb2: '0.05', depth: 50, q0: '1', c0: '0.9', digits: 16,
  sweepDepths: [10, 20, 50, 100, 200], sweepSw2: [0.5, 1, 1.5, 2, 3, 4],
  widths: [32, 64], samples: 4000, seed: 1, delta: 0.01,
};

/** `--quick`: the same analysis at small sizes (tests, CI; a few seconds). */
export const REPORT_QUICK: ReportSettings = {
  ...REPORT_DEFAULTS, depth: 20, digits: 12,
  sweepDepths: [10, 20, 40], sweepSw2: [1, 1.5, 2],
  widths: [16], samples: 400,
};

export interface SweepPoint {
  depth: number;
  sw2: string;
  /** Exact maximum of S(alpha) (verified digits), null when S has no interior maximum. */
  alpha: string | null;
  /** Large-depth formula. */
  alpha_formula: string | null;
}

export interface ValidationRow {
  quantity: string;
  layer: number;
  mc_mean: number;
  mc_se: number;
  mean_field: number | null;
  one_loop: number | null;
  z_mf: number | null;
  z_1loop: number | null;
  pass: boolean | null;
}

export interface ValidationSummary {
  quantity: string;
  description: string;
  width: number;
  checked_against: string | null;
  max_abs_z: number | null;
  pass: boolean | null;
  mean_field_pass: boolean | null;
}

export interface FitSummary {
  quantity: string;
  description: string;
  layer: number;
  intercept: number;
  intercept_se: number;
  one_loop: number | null;
  z: number | null;
  z_mf: number;
  pass: boolean | null;
}

export interface ReportData {
  title: string;
  generated: string;
  fieldprop_version: string;
  quick: boolean;
  settings: ReportSettings;
  network: Record<string, unknown>;
  optimal: {
    alpha: string;
    sensitivity: string;
    alpha_formula: string | null;
    formula_latex: string;
    formula_validity: string;
    digits: number;
    scan: { alpha: number; s: number }[];
  };
  sweeps: { depth: SweepPoint[]; sw2: SweepPoint[] };
  kernels: { digits: number; q: string[]; k12: string[]; c: string[] };
  response: { digits: number; chi: string; chi12: string; sensitivity: string };
  one_loop: {
    method: string;
    /** lim N (E[K_hat] - K) etc. per layer, each with the digits two grids agree on; the
     *  off-diagonal k1_12, c1_12 (one 2-D grid) to 4 digits, tested by the Monte Carlo. */
    k1: (string | null)[];
    c1: (string | null)[];
    varK: (string | null)[];
    varC: (string | null)[];
    k1_12: (string | null)[];
    c1_12: (string | null)[];
    /** Corrected predictions at the Monte Carlo's largest width. */
    width: number;
    q_N: string[];
    k12_N: string[];
    expansion_parameter: string;
  };
  validation: {
    pass: boolean;
    sampler: string;
    samples: number;
    widths: number[];
    seed: number;
    seconds: number;
    rule: string;
    tests: number;
    z_threshold: number;
    summary: ValidationSummary[];
    rows: ValidationRow[];
    fits: FitSummary[];
  };
  plots: { kernels: string; sensitivity: string; sweeps: string; one_loop: string; validation: string };
  stages: { name: string; seconds: number }[];
  seconds: number;
}

export interface BuildOptions {
  settings?: ReportSettings;
  quick?: boolean;
  onProgress?: (line: string) => void;
  signal?: AbortSignal;
  threads?: number;
}

export const VERSION = '0.1.0';

const fmt = (x: number, d = 6): string => formatNumber(x, d);

function agreedTable(a: OneLoopTable, b: OneLoopTable, key: keyof OneLoopTable): (string | null)[] {
  const xs = a[key] as (number | null)[] | undefined;
  if (!xs) throw new NumericalError(`one-loop: ${String(key)} is not available (${a.info?.note12 ?? 'not computed'})`);
  return agreedArray(xs, b[key] as (number | null)[] | undefined, String(key));
}

/** An off-diagonal one-loop array (single 2-D grid): 4 significant digits. */
function offDiagonal(a: OneLoopTable, key: 'k1_12' | 'c1_12'): (string | null)[] {
  const xs = a[key];
  if (!xs) throw new NumericalError(`one-loop: ${key} is not available (${a.info?.note12 ?? 'not computed'})`);
  return xs.map((x) => (x === null ? null : formatNumber(x, 4)));
}

class Stages {
  readonly done: { name: string; seconds: number }[] = [];
  private readonly t0 = Date.now();
  constructor(private readonly total: number, private readonly write: (s: string) => void) {}
  async run<T>(name: string, f: () => T | Promise<T>, detail?: (r: T) => string): Promise<T> {
    const k = this.done.length + 1;
    const t = Date.now();
    this.write(`[${k}/${this.total}] ${name} ...\n`);
    const r = await f();
    const s = (Date.now() - t) / 1000;
    this.done.push({ name, seconds: s });
    this.write(`[${k}/${this.total}] ${name}: done in ${s.toFixed(1)} s${detail ? ` (${detail(r)})` : ''}\n`);
    return r;
  }
  seconds(): number {
    return (Date.now() - this.t0) / 1000;
  }
}

function validationSummary(report: ValidationReport): ReportData['validation'] {
  const run = report.runs[report.runs.length - 1];
  const summary: ValidationSummary[] = [];
  const rows: ValidationRow[] = [];
  for (const r of report.runs) {
    for (const q of Object.values(r.quantities) as QuantityReport[]) {
      if (q.checked_against === null && !q.name.startsWith('var_')) continue;
      summary.push({ quantity: q.name, description: q.description, width: r.width, checked_against: q.checked_against, max_abs_z: q.max_abs_z, pass: q.pass, mean_field_pass: q.mean_field_pass });
      if (r !== run) continue;
      for (const x of q.layers) {
        rows.push({ quantity: q.name, layer: x.layer, mc_mean: x.mc_mean, mc_se: x.mc_se, mean_field: x.theory_mf, one_loop: x.theory_1loop, z_mf: x.z_mf, z_1loop: x.z_1loop, pass: x.pass });
      }
    }
  }
  const fits: FitSummary[] = [];
  for (const f of Object.values(report.fits) as FitReport[]) {
    const last = f.layers[f.layers.length - 1];
    if (!last) continue;
    fits.push({ quantity: f.name, description: f.description, layer: last.layer, intercept: last.slope, intercept_se: last.slope_se, one_loop: last.theory_1loop, z: last.z, z_mf: last.z_mf, pass: last.pass });
  }
  return {
    pass: report.pass, sampler: report.sampler, samples: report.samples, widths: report.widths, seed: report.seed,
    seconds: report.seconds, rule: report.rule.statement, tests: report.rule.tests, z_threshold: report.rule.z_threshold,
    summary, rows, fits,
  };
}

// ---------------------------------------------------------------- plots (Vega-Lite specs)

const CONFIG = { font: 'sans-serif', legend: { labelLimit: 300 } };

/** Width of the report's text column in pixels (html.ts: body max-width 1000px less padding): figures are sized to it. */
export const PAGE_WIDTH = 960;

function kernelsSpec(d: { q: string[]; c: string[] }, width: number, q_N: string[]): object {
  const rows = d.q.flatMap((q, l) => [
    { layer: l, value: Number(q), series: 'mean field K₁₁' },
    { layer: l, value: Number(q_N[l]), series: `one loop K₁₁ + k₁/N, N = ${width}` },
  ]);
  const cs = d.c.map((c, l) => ({ layer: l, value: Number(c), series: 'mean field c' }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    config: CONFIG,
    hconcat: [
      { title: 'length K₁₁ˡ', width: 320, height: 200, data: { values: rows }, mark: 'line', encoding: { x: { field: 'layer', type: 'quantitative', title: 'layer l' }, y: { field: 'value', type: 'quantitative', title: 'K₁₁ˡ' }, color: { field: 'series', type: 'nominal', title: null, legend: { orient: 'bottom' } }, strokeDash: { field: 'series', type: 'nominal', title: null } } },
      { title: 'correlation cˡ', width: 320, height: 200, data: { values: cs }, mark: { type: 'line', point: true }, encoding: { x: { field: 'layer', type: 'quantitative', title: 'layer l' }, y: { field: 'value', type: 'quantitative', title: 'cˡ', scale: { zero: false } } } },
    ],
  };
}

export function sensitivitySpec(scan: { alpha: number; s: number }[], alpha: number, s: number): object {
  const pts = scan.filter((p) => Number.isFinite(p.s)).map((p) => ({ alpha: p.alpha, s: p.s }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    config: CONFIG,
    title: 'correlation sensitivity S(α) = ∂cᴸ/∂c⁰',
    width: 640, height: 240,
    layer: [
      { data: { values: pts }, mark: 'line', encoding: { x: { field: 'alpha', type: 'quantitative', ...fittedLog(pts.map((p) => p.alpha)), title: 'α' }, y: { field: 's', type: 'quantitative', title: 'S(α)' } } },
      { data: { values: [{ alpha, s, label: `α* = ${alpha.toPrecision(6)}` }] }, mark: { type: 'point', filled: true, size: 80, color: 'firebrick' }, encoding: { x: { field: 'alpha', type: 'quantitative' }, y: { field: 's', type: 'quantitative' } } },
      { data: { values: [{ alpha, s, label: `α* = ${alpha.toPrecision(6)}` }] }, mark: { type: 'text', dx: 8, dy: -10, align: 'left', color: 'firebrick' }, encoding: { x: { field: 'alpha', type: 'quantitative' }, y: { field: 's', type: 'quantitative' }, text: { field: 'label' } } },
    ],
  };
}

export function sweepsSpec(sw: ReportData['sweeps']): object {
  const panel = (pts: SweepPoint[], x: 'depth' | 'sw2', title: string) => {
    const rows = pts.flatMap((p) => [
      ...(p.alpha !== null ? [{ x: x === 'depth' ? p.depth : Number(p.sw2), y: Number(p.alpha), series: 'exact maximum of S' }] : []),
      ...(p.alpha_formula !== null ? [{ x: x === 'depth' ? p.depth : Number(p.sw2), y: Number(p.alpha_formula), series: 'large-depth formula' }] : []),
    ]);
    return {
      title, width: 320, height: 200, data: { values: rows },
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'x', type: 'quantitative', ...fittedLog(rows.map((r) => r.x)), title: x === 'depth' ? 'depth L' : 'σw²' },
        y: { field: 'y', type: 'quantitative', ...fittedLog(rows.map((r) => r.y)), title: 'α*' },
        color: { field: 'series', type: 'nominal', title: null, legend: { orient: 'bottom' } },
        strokeDash: { field: 'series', type: 'nominal', title: null },
      },
    };
  };
  const s0 = sw.depth[0]?.sw2;
  const L0 = sw.sw2[0]?.depth;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    config: CONFIG,
    hconcat: [panel(sw.depth, 'depth', `α* against depth (σw² = ${s0})`), panel(sw.sw2, 'sw2', `α* against σw² (depth ${L0})`)],
  };
}

function oneLoopSpec(o: ReportData['one_loop']): object {
  const series: [string, (string | null)[]][] = [['k₁', o.k1], ['c₁', o.c1], ['k₁,₁₂', o.k1_12], ['c₁,₁₂', o.c1_12]];
  const means = series.flatMap(([name, xs]) => xs.map((v, l) => (v === null ? null : { layer: l, value: Number(v), series: name })).filter((r) => r !== null));
  const vars: [string, (string | null)[]][] = [['var K', o.varK], ['var C', o.varC]];
  const vrows = vars.flatMap(([name, xs]) => xs.map((v, l) => (v === null ? null : { layer: l, value: Number(v), series: name })).filter((r) => r !== null));
  const p = (title: string, values: object[], y: string) => ({
    title, width: 320, height: 200, data: { values }, mark: 'line',
    encoding: { x: { field: 'layer', type: 'quantitative', title: 'layer l' }, y: { field: 'value', type: 'quantitative', title: y }, color: { field: 'series', type: 'nominal', title: null, legend: { orient: 'bottom' } } },
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    config: CONFIG,
    hconcat: [p('1/N corrections of the means', means, 'N (E − mean field), N → ∞'), p('fluctuations', vrows, 'N Var, N → ∞')],
  };
}

// ---------------------------------------------------------------- the analysis

export async function buildReport(opts: BuildOptions = {}): Promise<ReportData> {
  const quick = opts.quick === true;
  const S = opts.settings ?? (quick ? REPORT_QUICK : REPORT_DEFAULTS);
  const write = opts.onProgress ?? (() => undefined);
  const stages = new Stages(7, write);
  const base = { act: S.act, sw2: S.sw2, sb2: S.sb2, depth: S.depth, q0: S.q0, c0: S.c0, skip: 'residual', scaling: 'amplitude' };

  const opt = await stages.run('optimal residual scaling alpha*', () => {
    const r = optimalAlphaAnalysis(network({ ...base, alpha: '1' }), { digits: S.digits });
    if (!r.interior || r.alpha === null || r.sensitivity === null) {
      throw new NumericalError(`the report's network has no interior optimum of S(alpha): ${r.note ?? ''}`);
    }
    return r;
  }, (r) => `alpha* = ${r.alpha}, formula ${r.alpha_formula}`);
  const alphaStar = opt.alpha as string;

  const sweeps = await stages.run('alpha* against depth and sw2', () => {
    const point = (o: { depth: number; sw2: string }): SweepPoint => {
      const r = optimalAlphaAnalysis(network({ ...base, alpha: '1', depth: o.depth, sw2: o.sw2 }), { digits: 6 });
      return { depth: o.depth, sw2: o.sw2, alpha: r.interior ? r.alpha : null, alpha_formula: r.alpha_formula };
    };
    return {
      depth: S.sweepDepths.map((L) => point({ depth: L, sw2: S.sw2 })),
      sw2: S.sweepSw2.map((w) => point({ depth: S.depth, sw2: String(w) })),
    };
  }, (r) => `${r.depth.length + r.sw2.length} networks`);

  const net: Network = network({ ...base, alpha: alphaStar });
  const kern = await stages.run('mean-field kernels at alpha*', () => kernel(net, { digits: S.digits }), (k) => `c^L = ${k.c[k.c.length - 1]}`);
  const resp = await stages.run('response functions at alpha*', () => response(net, { digits: S.digits }), (r) => `S = ${r.sensitivity}`);

  const loop = await stages.run('one-loop (1/N) corrections', () => {
    // The two-input table (the Monte Carlo stage tests it); the single-input arrays are
    // verified against a second grid of half the step (cheap). The off-diagonal arrays come
    // from the 2-D grid alone (its refinement costs about a minute at depth 50): they are
    // shown to 4 digits and tested by the simulation of K_hat_12, C_hat_12.
    const a = oneLoop64(net, { twoInputs: true });
    const b = a.info?.gridStep !== undefined
      ? oneLoop64(net, { gridStep: a.info.gridStep / 2 })
      : oneLoop64(net, { method: 'pairwise' });
    return { a, b };
  }, (r) => `method ${r.a.info?.method ?? 'closed form'}`);
  const Nmax = Math.max(...S.widths);
  const kq = kernel(net, { digits: 12 });
  const oneLoop: ReportData['one_loop'] = {
    method: loop.a.info?.method ?? 'closed form',
    k1: agreedTable(loop.a, loop.b, 'k1'),
    c1: agreedTable(loop.a, loop.b, 'c1'),
    varK: agreedTable(loop.a, loop.b, 'varK'),
    varC: agreedTable(loop.a, loop.b, 'varC'),
    k1_12: offDiagonal(loop.a, 'k1_12'),
    c1_12: offDiagonal(loop.a, 'c1_12'),
    width: Nmax,
    q_N: kq.q.map((q, l) => fmt(Number(q) + (loop.a.k1[l] ?? 0) / Nmax, 10)),
    k12_N: kq.k12.map((k, l) => fmt(Number(k) + ((loop.a.k1_12 ?? [])[l] ?? 0) / Nmax, 10)),
    expansion_parameter: fmt(oneLoopExpansionParameter(net, Nmax), 4),
  };

  const mc = await stages.run('Monte Carlo check of finite-width networks', () => validate({
    net, widths: S.widths, samples: S.samples, seed: S.seed, sampler: 'fast', twoInputs: true, delta: S.delta,
    fwer: 0.01, threads: opts.threads, signal: opts.signal, oneLoop: loop.a,
  }), (r) => `${r.samples} networks per width, widths ${r.widths.join(', ')}: ${r.interrupted ? 'interrupted' : r.pass ? 'PASS' : 'FAIL'}`);
  if (mc.interrupted) throw new NumericalError('the Monte Carlo stage was interrupted');

  const plots = await stages.run('plots', async () => {
    const [k, s, sw, ol, v] = await Promise.all([
      renderSvg(kernelsSpec(kern, Nmax, oneLoop.q_N)),
      renderSvg(sensitivitySpec(opt.scan, Number(alphaStar), Number(opt.sensitivity))),
      renderSvg(sweepsSpec(sweeps)),
      renderSvg(oneLoopSpec(oneLoop)),
      renderSvg(validationPlotSpec(mc, { width: PAGE_WIDTH })),
    ]);
    return { kernels: k, sensitivity: s, sweeps: sw, one_loop: ol, validation: v };
  }, () => '5 SVG figures');

  return {
    title: `fieldprop report: a deep ${S.act} ResNet`,
    generated: new Date().toISOString(),
    fieldprop_version: VERSION,
    quick,
    settings: S,
    network: { act: net.act.name, alpha: net.alpha, sw2: net.sw2, sb2: net.sb2, depth: net.depth, q0: net.q0, c0: net.c0, skip: net.skip, scaling: net.scaling },
    optimal: {
      alpha: alphaStar, sensitivity: opt.sensitivity as string, alpha_formula: opt.alpha_formula,
      formula_latex: opt.formula_latex, formula_validity: opt.formula_validity, digits: opt.digits, scan: opt.scan,
    },
    sweeps,
    kernels: { digits: kern.digits, q: kern.q, k12: kern.k12, c: kern.c },
    response: { digits: resp.digits, chi: resp.chi, chi12: resp.chi12, sensitivity: resp.sensitivity },
    one_loop: oneLoop,
    validation: validationSummary(mc),
    plots,
    stages: stages.done,
    seconds: stages.seconds(),
  };
}
