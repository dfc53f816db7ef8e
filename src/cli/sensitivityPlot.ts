/**
 * `optimal-alpha --plot s.svg`: the mean-field sensitivity S(alpha) = dc^L/dc^0 against alpha
 * (log axis fitted to the scan) for the given depth and a few others (L/4, L/2, 2L, 4L), each curve's interior
 * maximum alpha* marked. Curves are float64 scans (the same scan `optimal-alpha` uses to locate
 * the maximum); the mark of the requested depth is the verified alpha*.
 */
import { Network, withChanges } from '../model/network';
import { locateMaximum } from '../quantities/optimal';
import { renderSvg, fittedLog } from '../simulate/plot';
import { writeFileAtomic } from '../io/files';
import { checkOutputFile } from '../io/files';

export interface SensitivityCurve {
  depth: number;
  scan: { alpha: number; s: number }[];
  alphaStar: number | null;
  sStar: number | null;
}

/** Fail early (before any computation) when the plot file cannot be written. */
export function checkPlotPath(file: string): void {
  checkOutputFile('plot', file, '.svg');
}

export function plotDepths(L: number): number[] {
  const ds = [Math.round(L / 4), Math.round(L / 2), L, 2 * L, 4 * L].filter((d) => d >= 1);
  return [...new Set(ds)];
}

export function sensitivityCurves(net: Network, main: { alpha: number | null; s: number | null }): SensitivityCurve[] {
  const points = net.act.closedForm ? 121 : 41;
  return plotDepths(net.depth).map((depth) => {
    const n = depth === net.depth ? net : withChanges(net, { depth, skip: 'residual' });
    const loc = locateMaximum(n, 1e-3, 20, points);
    const scan = loc.scan.filter((p) => Number.isFinite(p.s));
    if (depth === net.depth) return { depth, scan, alphaStar: main.alpha, sStar: main.s };
    return { depth, scan, alphaStar: loc.interior ? loc.alpha0 : null, sStar: loc.interior ? loc.s0 : null };
  });
}

export function sensitivityPlotSpec(net: Network, curves: SensitivityCurve[]): object {
  // each depth's legend entry carries its alpha* (labels at the maxima would overlap: the maxima
  // of deep networks have nearly the same height)
  const label = (c: SensitivityCurve) => `L = ${c.depth}: ` + (c.alphaStar === null ? 'no interior maximum' : `α* = ${c.alphaStar.toPrecision(4)}`);
  const lines = curves.flatMap((c) => c.scan.map((p) => ({ alpha: p.alpha, S: p.s, depth: label(c) })));
  const marks = curves.filter((c) => c.alphaStar !== null).map((c) => ({ alpha: c.alphaStar, S: c.sStar, depth: label(c), label: label(c) }));
  const order = curves.map(label);
  const color = { field: 'depth', type: 'nominal', sort: order, title: 'depth and its α*' };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: {
      text: `Sensitivity S = ∂cᴸ/∂c⁰ against the residual scaling α (${net.act.name}, σw² = ${net.sw2}, σb² = ${net.sb2}, q₀ = ${net.q0}, c₀ = ${net.c0})`,
      subtitle: `mean field, ${net.scaling} scaling; dots: the interior maxima α* of each depth`,
    },
    width: 560,
    height: 340,
    layer: [
      { data: { values: lines }, mark: { type: 'line', clip: true }, encoding: { x: { field: 'alpha', type: 'quantitative', ...fittedLog(lines.map((p) => p.alpha)), title: 'α' }, y: { field: 'S', type: 'quantitative', title: 'S(α)' }, color } },
      { data: { values: marks }, mark: { type: 'point', filled: true, size: 70 }, encoding: { x: { field: 'alpha', type: 'quantitative' }, y: { field: 'S', type: 'quantitative' }, color, tooltip: { field: 'label' } } },
    ],
    config: { font: 'sans-serif' },
  };
}

export async function writeSensitivityPlot(net: Network, main: { alpha: number | null; s: number | null }, file: string): Promise<SensitivityCurve[]> {
  const curves = sensitivityCurves(net, main);
  const svg = await renderSvg(sensitivityPlotSpec(net, curves));
  writeFileAtomic(file, svg);
  return curves;
}
