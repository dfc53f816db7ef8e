/**
 * SVG plots of a validation report, drawn by Vega-Lite + Vega (`view.toSVG()`, headless).
 *
 * Vega 6 is ESM-only with top-level await, so neither `require` (our CommonJS build) nor jest's
 * module system can load it. It runs in a worker thread instead, whose code is evaluated by
 * Node itself and loads both packages with a native dynamic `import()`: the same path works from
 * dist/ and under jest. The main thread only builds the (plain JSON) Vega-Lite spec.
 *
 * Files are written atomically: a temporary file in the same directory, then rename.
 */
import { pathToFileURL } from 'url';
import { Worker } from 'worker_threads';
import type { QuantityReport, ValidationReport } from './validate';
import { writeFileAtomic } from '../io/files';

const RENDER = `
const { parentPort, workerData } = require('worker_threads');
(async () => {
  const vega = await import(workerData.vega);
  const vl = await import(workerData.vegaLite);
  const compiled = vl.compile(workerData.spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  parentPort.postMessage({ svg });
})().catch((e) => parentPort.postMessage({ error: String((e && e.stack) || e) }));
`;

/** Render a Vega-Lite spec to an SVG string. */
export function renderSvg(spec: object, timeoutMs = 60_000): Promise<string> {
  const resolveFrom = (name: string): string => pathToFileURL(require.resolve(name)).href;
  const workerData = { spec, vega: resolveFrom('vega'), vegaLite: resolveFrom('vega-lite') };
  return new Promise((resolve, reject) => {
    const w = new Worker(RENDER, { eval: true, workerData });
    const timer = setTimeout(() => {
      void w.terminate();
      reject(new Error('plot rendering timed out'));
    }, timeoutMs);
    w.once('message', (m: { svg?: string; error?: string }) => {
      clearTimeout(timer);
      void w.terminate();
      if (m.svg !== undefined) resolve(m.svg);
      else reject(new Error(`plot rendering failed: ${m.error}`));
    });
    w.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

export { writeFileAtomic };

type Row = Record<string, number | string | null>;

/**
 * A log axis fitted to the data: the scale's domain is the data's range (no extension to whole
 * decades, a few pixels of padding) and the tick values are the first of the mantissa sets
 * 1-2-5, 1-1.5-2-3-5-7, 1-1.2-...-9 that puts at least 4 ticks inside it.
 */
export function fittedLog(values: number[]): { scale: object; axis: object } {
  const xs = values.filter((x) => Number.isFinite(x) && x > 0);
  if (xs.length === 0) return { scale: { type: 'log' }, axis: {} };
  // a single value: a factor 2 around it
  const lo = Math.min(...xs) / (Math.min(...xs) === Math.max(...xs) ? Math.SQRT2 : 1);
  const hi = Math.max(...xs) * (lo < Math.min(...xs) ? Math.SQRT2 : 1);
  const sets = [[1, 2, 5], [1, 1.5, 2, 3, 5, 7], [1, 1.2, 1.4, 1.6, 1.8, 2, 2.5, 3, 3.5, 4, 5, 6, 7, 8, 9]];
  let ticks: number[] = [];
  for (const set of sets) {
    ticks = [];
    for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
      for (const m of set) {
        const t = Number((m * 10 ** e).toPrecision(6));
        if (t >= lo * (1 - 1e-9) && t <= hi * (1 + 1e-9)) ticks.push(t);
      }
    }
    if (ticks.length >= 4) break;
  }
  return { scale: { type: 'log', domain: [lo, hi], nice: false, padding: 8 }, axis: { values: ticks, format: '~g' } };
}

const SUB: Record<string, string> = { '0': '₀', '1': '₁', '2': '₂', '3': '₃', '4': '₄', '5': '₅', '6': '₆', '7': '₇', '8': '₈', '9': '₉' };

/** A quantity of the validation in the notation of the text: K_hat_11 -> K̂₁₁, var_C_hat_12 -> Var Ĉ₁₂. */
export function quantityLabel(name: string): string {
  const v = /^var_(.*)$/.exec(name);
  if (v) return `Var ${quantityLabel(v[1])}`;
  const m = /^([A-Za-z])_hat_(\d+)$/.exec(name);
  if (m) return `${m[1]}\u0302${m[2].replace(/\d/g, (d) => SUB[d])}`;
  return name;
}

/** Width of one panel when `columns` panels with their axes share `total` pixels. */
function panelWidth(total: number | undefined, columns: number, fallback: number): number {
  return total === undefined ? fallback : Math.max(160, Math.floor(total / columns) - 85);
}

/** Deviation from mean field, scaled by N, per layer: MC (with 2 SE bars) against the one-loop line. */
function layerPanel(q: QuantityReport, N: number, title: string, kind: 'mean' | 'variance', width: number): object {
  const rows: Row[] = [];
  for (const r of q.layers) {
    if (!Number.isFinite(r.mc_mean)) continue;
    const base = kind === 'mean' ? (r.theory_mf ?? 0) : 0;
    const y = N * (r.mc_mean - base);
    rows.push({ layer: r.layer, series: 'Monte Carlo', y, lo: y - 2 * N * r.mc_se, hi: y + 2 * N * r.mc_se });
    if (r.theory_1loop !== null) rows.push({ layer: r.layer, series: 'one-loop theory', y: N * (r.theory_1loop - base) });
    if (kind === 'mean') rows.push({ layer: r.layer, series: 'mean field', y: 0 });
  }
  const ylabel = kind === 'mean' ? `N (E[${quantityLabel(q.name)}] − mean field)` : `N ${quantityLabel(q.name)}`;
  return {
    title,
    width,
    height: 200,
    data: { values: rows },
    layer: [
      {
        transform: [{ filter: "datum.series !== 'Monte Carlo'" }],
        mark: { type: 'line', point: false },
        encoding: {
          x: { field: 'layer', type: 'quantitative', title: 'layer l' },
          y: { field: 'y', type: 'quantitative', title: ylabel },
          color: { field: 'series', type: 'nominal', title: null },
          strokeDash: { field: 'series', type: 'nominal', title: null },
        },
      },
      {
        transform: [{ filter: "datum.series === 'Monte Carlo'" }],
        mark: { type: 'errorbar', ticks: true },
        encoding: { x: { field: 'layer', type: 'quantitative' }, y: { field: 'lo', type: 'quantitative', title: ylabel }, y2: { field: 'hi' }, color: { field: 'series', type: 'nominal' } },
      },
      {
        transform: [{ filter: "datum.series === 'Monte Carlo'" }],
        mark: { type: 'point', filled: true, size: 25 },
        encoding: { x: { field: 'layer', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' }, color: { field: 'series', type: 'nominal' } },
      },
    ],
  };
}

/** The 1/N fit at one layer: y = N (MC - mean field) against 1/N, the WLS line, and the one-loop intercept. */
function fitPanel(report: ValidationReport, name: string, layer: number, width: number): object | null {
  const fit = report.fits[name];
  if (!fit) return null;
  const row = fit.layers.find((r) => r.layer === layer);
  if (!row) return null;
  const pts: Row[] = [];
  for (const run of report.runs) {
    const q = run.quantities[name];
    const r = q?.layers.find((x) => x.layer === layer);
    if (!r) continue;
    const base = name.startsWith('var_') ? 0 : (r.theory_mf ?? 0);
    const y = run.width * (r.mc_mean - base);
    pts.push({ x: 1 / run.width, y, lo: y - 2 * run.width * r.mc_se, hi: y + 2 * run.width * r.mc_se, series: 'Monte Carlo' });
  }
  const xmax = Math.max(...pts.map((p) => p.x as number)) * 1.1;
  const line: Row[] = [0, xmax].map((x) => ({ x, y: row.slope + row.next_order * x, series: 'weighted fit a + b/N' }));
  const theory: Row[] = row.theory_1loop !== null ? [{ x: 0, y: row.theory_1loop, series: 'one-loop coefficient' }] : [];
  if (!name.startsWith('var_')) line.push(...[0, xmax].map((x) => ({ x, y: 0, series: 'mean field (a = 0)' })));
  const ylabel = name.startsWith('var_') ? `N ${quantityLabel(name)}` : `N (E[${quantityLabel(name)}] − mean field)`;
  return {
    title: {
      text: `${quantityLabel(name)}, layer ${layer}`,
      // the intercept a and the one-loop value on short lines of their own: Vega measures text without a
      // canvas here and overestimates its width, and the limit keeps the title within the panel
      subtitle: [`a = ${fmt(row.slope)} ± ${fmt(row.slope_se)}`, ...(row.theory_1loop !== null ? [`one loop: ${fmt(row.theory_1loop)}`] : [])],
      limit: width,
    },
    width,
    height: 200,
    layer: [
      { data: { values: line }, mark: 'line', encoding: { x: { field: 'x', type: 'quantitative', title: '1/N' }, y: { field: 'y', type: 'quantitative', title: ylabel }, color: { field: 'series', type: 'nominal', title: null }, detail: { field: 'series' } } },
      { data: { values: pts }, mark: { type: 'errorbar', ticks: true }, encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'lo', type: 'quantitative', title: ylabel }, y2: { field: 'hi' }, color: { field: 'series', type: 'nominal' } } },
      { data: { values: pts }, mark: { type: 'point', filled: true, size: 30 }, encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' }, color: { field: 'series', type: 'nominal' } } },
      ...(theory.length ? [{ data: { values: theory }, mark: { type: 'point', shape: 'diamond', size: 90, filled: true }, encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' }, color: { field: 'series', type: 'nominal' } } }] : []),
    ],
  };
}

function fmt(x: number): string {
  return Number.isFinite(x) ? x.toPrecision(4) : String(x);
}

/**
 * The Vega-Lite spec of a report: theory vs simulation across layers, and the 1/N fits. With
 * `width` (pixels) the panels are sized so that each row, axes included, fits that width (a page);
 * legends go below the panels.
 */
export function validationPlotSpec(report: ValidationReport, opts: { width?: number } = {}): object {
  const run = report.runs[report.runs.length - 1];
  const N = run.width;
  const w2 = panelWidth(opts.width, 2, 300);
  const rowsOf = (names: [string, 'mean' | 'variance'][]): object[] =>
    names.filter(([n]) => run.quantities[n]).map(([n, k]) => layerPanel(run.quantities[n], N, `${quantityLabel(n)} (width ${N})`, k, w2));
  const layerRows = [
    { hconcat: rowsOf([['K_hat_11', 'mean'], ['C_hat_11', 'mean']]) },
    { hconcat: rowsOf([['var_K_hat_11', 'variance'], ['var_C_hat_11', 'variance']]) },
  ];
  if (run.quantities['K_hat_12']) {
    layerRows.push({ hconcat: rowsOf([['K_hat_12', 'mean'], ['C_hat_12', 'mean']]) });
  }
  const L = report.network.depth as number;
  const w3 = panelWidth(opts.width, 3, 300);
  const fitRow = ['K_hat_11', 'C_hat_11', 'var_K_hat_11'].map((n) => fitPanel(report, n, L, w3)).filter((p): p is object => p !== null);
  const vconcat: object[] = [...layerRows];
  if (fitRow.length) vconcat.push({ hconcat: fitRow });
  const net = report.network;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: {
      text: `fieldprop validate: ${net.act}, ${net.skip === 'none' ? 'feed-forward' : `α = ${net.alpha}`}, σw² = ${net.sw2}, σb² = ${net.sb2}, depth ${net.depth}`,
      subtitle: `${report.sampler} sampler, ${report.samples} networks per width, widths ${report.widths.join(', ')}; error bars: 2 standard errors; verdict: ${report.pass ? 'PASS' : 'FAIL'}`,
    },
    vconcat,
    config: { font: 'sans-serif', legend: { labelLimit: 400, orient: 'bottom', columns: 3 } },
  };
}

export async function writeValidationPlot(report: ValidationReport, file: string): Promise<void> {
  const svg = await renderSvg(validationPlotSpec(report));
  writeFileAtomic(file, svg);
}
