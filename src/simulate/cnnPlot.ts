/**
 * Vega-Lite specs of the CNN plots (rendered by renderSvg, written atomically):
 *   - per-frequency depth scales xi_c(f), xi_q(f) (1D: against f; 2D: heat map of xi_c and the
 *     profiles along (f, 0) and (f, f));
 *   - simulated against predicted signal propagation (RMS spatial structure of the covariance
 *     planes against depth, both initialisations).
 */
import { renderSvg, writeFileAtomic } from './plot';

type Row = Record<string, number | string | null>;

export interface DepthScalePlotInput {
  title: string;
  shape: number[];
  frequencies: number[][];
  xi_c: ArrayLike<number>;
  xi_q: ArrayLike<number>;
  A: ArrayLike<number>;
  /** Optional propagated signal (RMS structure of a plane) per layer. */
  propagation?: { layer: number; plane: string; signal: number }[];
}

/** Signed frequency in -n/2 .. n/2. */
function signedFreq(f: number, n: number): number {
  return f > n / 2 ? f - n : f;
}

export function depthScalePlotSpec(p: DepthScalePlotInput): object {
  const rows: Row[] = [];
  const n0 = p.shape[0];
  p.frequencies.forEach((f, i) => {
    const onAxis = f.length === 1 || f[1] === 0;
    const onDiag = f.length === 2 && f[0] === f[1];
    const fs = signedFreq(f[0], n0);
    if (fs < 0) return;
    for (const [series, xi] of [['xi_c (correlation planes)', p.xi_c[i]], ['xi_q (variance plane)', p.xi_q[i]]] as [string, number][]) {
      if (!(xi > 0) || !Number.isFinite(xi)) continue;
      if (onAxis) rows.push({ f: fs, xi, series: f.length === 1 ? series : `${series}, f = (m, 0)` });
      if (onDiag) rows.push({ f: fs, xi, series: `${series}, f = (m, m)` });
    }
  });
  const profile = {
    title: 'depth scale per frequency (log scale; Infinity and 0 not drawn)',
    width: 380,
    height: 260,
    data: { values: rows },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'f', type: 'quantitative', title: 'frequency m (cycles per image)' },
      y: { field: 'xi', type: 'quantitative', scale: { type: 'log' }, title: 'xi(f) = -1/ln|lambda(f)| (layers)' },
      color: { field: 'series', type: 'nominal', title: null },
    },
  };
  const panels: object[] = [profile];
  if (p.shape.length === 2) {
    const heat: Row[] = [];
    p.frequencies.forEach((f, i) => {
      const xi = p.xi_c[i];
      heat.push({ f0: signedFreq(f[0], p.shape[0]), f1: signedFreq(f[1], p.shape[1]), log10xi: xi > 0 && Number.isFinite(xi) ? Math.log10(xi) : null });
    });
    panels.push({
      title: 'log10 xi_c(f0, f1)',
      width: 300,
      height: 300,
      data: { values: heat },
      mark: 'rect',
      encoding: {
        x: { field: 'f0', type: 'ordinal', title: 'f0', axis: { labelAngle: 0, values: [-(p.shape[0] >> 1), 0, p.shape[0] >> 2] } },
        y: { field: 'f1', type: 'ordinal', title: 'f1', sort: 'descending', axis: { values: [-(p.shape[1] >> 1), 0, p.shape[1] >> 2] } },
        color: { field: 'log10xi', type: 'quantitative', scale: { scheme: 'viridis' }, title: 'log10 xi_c' },
      },
    });
  }
  const out: object[] = [{ hconcat: panels }];
  if (p.propagation && p.propagation.length) {
    out.push({
      title: 'propagated covariance: RMS spatial structure of each plane (deviation from its spatial mean)',
      width: 700,
      height: 220,
      data: { values: p.propagation.filter((r) => r.signal > 0) },
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'layer', type: 'quantitative', title: 'layer l' },
        y: { field: 'signal', type: 'quantitative', scale: { type: 'log' }, title: 'RMS structure' },
        color: { field: 'plane', type: 'nominal', title: null },
      },
    });
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: p.title },
    vconcat: out,
    config: { font: 'sans-serif', legend: { labelLimit: 400 } },
  };
}

export interface SignalRow {
  init: string;
  layer: number;
  plane: string;
  signal_sim: number;
  noise: number;
  signal_theory: number;
}

/** Simulated (points, +-2 noise) against predicted (lines: mean field, and with the noise floor added). */
export function signalPlotSpec(title: string, subtitle: string, rows: SignalRow[]): object {
  const pts: Row[] = [];
  const lines: Row[] = [];
  for (const r of rows) {
    const key = `${r.init}, ${r.plane}`;
    pts.push({ layer: r.layer, y: r.signal_sim, lo: Math.max(r.signal_sim - 2 * r.noise, r.signal_sim / 100), hi: r.signal_sim + 2 * r.noise, series: `simulation: ${key}` });
    if (r.signal_theory > 0) lines.push({ layer: r.layer, y: r.signal_theory, series: `mean field: ${key}`, kind: 'mean field' });
    lines.push({ layer: r.layer, y: Math.hypot(r.signal_theory, r.noise), series: `mean field + noise floor: ${key}`, kind: 'with noise' });
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: title, subtitle },
    width: 640,
    height: 360,
    layer: [
      {
        data: { values: lines },
        mark: { type: 'line' },
        encoding: {
          x: { field: 'layer', type: 'quantitative', title: 'layer l' },
          y: { field: 'y', type: 'quantitative', scale: { type: 'log' }, title: 'RMS spatial structure of the covariance plane' },
          color: { field: 'series', type: 'nominal', title: null },
          strokeDash: { field: 'kind', type: 'nominal', title: null },
        },
      },
      {
        data: { values: pts },
        mark: { type: 'errorbar', ticks: true },
        encoding: { x: { field: 'layer', type: 'quantitative' }, y: { field: 'lo', type: 'quantitative', title: 'RMS spatial structure of the covariance plane' }, y2: { field: 'hi' }, color: { field: 'series', type: 'nominal' } },
      },
      {
        data: { values: pts },
        mark: { type: 'point', filled: true, size: 30 },
        encoding: { x: { field: 'layer', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' }, color: { field: 'series', type: 'nominal' } },
      },
    ],
    config: { font: 'sans-serif', legend: { labelLimit: 400 } },
  };
}

export async function writeSvg(spec: object, file: string): Promise<void> {
  writeFileAtomic(file, await renderSvg(spec));
}
