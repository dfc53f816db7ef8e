/**
 * `fieldprop phase`: phase diagrams as data (`--json`) and as SVG plots (`--out`, Vega-Lite,
 * written atomically).
 *
 *   --plane sw2-sb2   (default) order/chaos over (sw2, sb2) of a feed-forward network: chi_1 on
 *                     the grid, the critical line chi_1 = 1, contours of the depth scale xi_c
 *   --plane alpha-sw2 the correlation sensitivity S = dc^L/dc^0 of a residual network over
 *                     (alpha, sw2) at given depth and sb2, with the optimal alpha*(sw2)
 *
 * Numbers are float64 (src/quantities/phase.ts) and printed with 6 significant digits.
 */
import { Command, ACT, JSON_OPT, HELP, parse, table } from './options';
import { CSV_OPT } from './csv';
import { parseGrid, swSbDiagram, alphaSwDiagram, SwSbDiagram, AlphaSwDiagram, Grid } from '../quantities/phase';
import { activation } from '../model/activation';
import { network, intParam, realParam, Network } from '../model/network';
import { InputError } from '../model/errors';
import { formatNumber, formatFinite } from '../io/format';
import { renderSvg } from '../simulate/plot';
import { writeFileAtomic } from '../io/files';
import { NET_OPTION, checkNetFlags, feedForwardFromNet, standardFromNet } from './netForm';
import { readNetworkFile } from '../model/net/json';
import type { ParsedArgs } from './args';

const PRINT_DIGITS = 6;

const num = (x: number | null): string | null => formatFinite(x, PRINT_DIGITS);

export const PHASE_DEFAULTS = {
  'sw2-sb2': { act: 'tanh', sw2: '0.5:4:29', sb2: '0:0.5:11' },
  'alpha-sw2': { act: 'erf', sw2: '0.5:3:11', sb2: '0.05', alpha: '0.02:1.5:38', depth: '100', q0: '1', c0: '0.99', scaling: 'amplitude' },
};

export const DEFAULT_LEVELS = '1,2,5,10,20,50,100';

export const phaseCommand: Command = {
  name: 'phase',
  summary: 'phase diagrams: order/chaos over (sw2, sb2) with the critical line and xi_c contours, or the sensitivity over (alpha, sw2)',
  // The grids stay flags beside --net (they replace the file's values); each plane refuses the rest.
  netReplaces: [],
  options: [
    { name: 'plane', value: '<sw2-sb2|alpha-sw2>', help: 'which diagram', default: 'sw2-sb2' },
    { ...ACT, help: `${ACT.help} (default tanh; alpha-sw2: erf)` },
    { name: 'sw2', value: '<from:to:points>', help: 'weight-variance grid (default 0.5:4:29; alpha-sw2: 0.5:3:11)' },
    { name: 'sb2', value: '<from:to:points|real>', help: 'bias-variance grid (default 0:0.5:11); alpha-sw2: one value (default 0.05)' },
    { name: 'alpha', value: '<from:to:points>', help: 'alpha-sw2 only: residual-scaling grid (default 0.02:1.5:38)' },
    { name: 'depth', value: '<integer 1..100000>', help: 'alpha-sw2 only: number of layers L (default 100)' },
    { name: 'q0', value: '<real > 0>', help: 'alpha-sw2 only: input variance (default 1)' },
    { name: 'c0', value: '<real in [-1,1]>', help: 'alpha-sw2 only: input correlation (default 0.99)' },
    { name: 'scaling', value: '<amplitude|variance>', help: 'alpha-sw2 only: alpha as branch amplitude or variance factor (default amplitude)' },
    { name: 'levels', value: '<xi,xi,...>', help: `sw2-sb2 only: depth-scale contour levels (default ${DEFAULT_LEVELS})` },
    { name: 'critical-points', value: '<2..401>', help: 'sw2-sb2 only: points on the critical line, evenly spaced over the sb2 range (default 21)' },
    {
      ...NET_OPTION,
      help: 'the network as a layer description (docs/networks.md), its sw2 and sb2 (sw2-sb2) or alpha and sw2 (alpha-sw2) replaced by the scanned grids: '
        + 'sw2-sb2 takes the activation of repeat(L, [act, dense]); alpha-sw2 takes act, sb2, depth, q0, c0 and scaling of repeat(L, residual(alpha, [act, dense])); replaces those flags',
    },
    { name: 'out', value: '<file.svg>', help: 'also write the diagram as an SVG plot (atomically)' },
    JSON_OPT,
    CSV_OPT,
    HELP,
  ],
  async run(argv, io) {
    const opts = parse(phaseCommand, argv, io);
    if (!opts) return 0;
    const plane = opts.plane as string;
    if (plane !== 'sw2-sb2' && plane !== 'alpha-sw2') throw new InputError('plane', `must be "sw2-sb2" or "alpha-sw2", got "${plane}"`);
    const out = opts.out as string | undefined;
    if (out !== undefined && !/\.svg$/i.test(out)) throw new InputError('out', `must name an .svg file, got "${out}"`);
    if (plane === 'sw2-sb2') {
      for (const k of ['alpha', 'depth', 'q0', 'c0', 'scaling']) {
        if (opts[k] !== undefined) throw new InputError(k, 'applies to --plane alpha-sw2 only (the sw2-sb2 plane is the feed-forward fixed-point analysis)');
      }
      const d = PHASE_DEFAULTS['sw2-sb2'];
      const act = opts.net !== undefined ? feedForwardActFromNet(argv, opts) : activation((opts.act as string | undefined) ?? d.act);
      const sw2 = parseGrid('sw2', (opts.sw2 as string | undefined) ?? d.sw2, { min: 0, minExclusive: true, what: '> 0' });
      const sb2 = parseGrid('sb2', (opts.sb2 as string | undefined) ?? d.sb2, { min: 0, what: '>= 0' });
      const levels = parseLevels((opts.levels as string | undefined) ?? DEFAULT_LEVELS);
      const nCrit = intParam('critical-points', (opts['critical-points'] as string | undefined) ?? '21', 2, 401);
      const dg = swSbDiagram(act, sw2, sb2, levels, nCrit);
      const data = swSbJson(dg);
      if (out) writeFileAtomic(out, await renderSvg(swSbSpec(dg)));
      if (opts.json) {
        io.out(JSON.stringify(data) + '\n');
        return 0;
      }
      io.out(swSbText(dg, sw2, sb2));
      if (out) io.out(`\nWrote ${out}\n`);
      return 0;
    }
    for (const k of ['levels', 'critical-points']) if (opts[k] !== undefined) throw new InputError(k, 'applies to --plane sw2-sb2 only');
    const d = PHASE_DEFAULTS['alpha-sw2'];
    const sb2Text = (opts.sb2 as string | undefined) ?? d.sb2;
    if (sb2Text.includes(':')) throw new InputError('sb2', `the alpha-sw2 plane takes one sb2 value, got the grid "${sb2Text}"`);
    const net = opts.net !== undefined ? residualFromNet(argv, opts) : network({
      act: (opts.act as string | undefined) ?? d.act, alpha: '1', sw2: '1', sb2: realParam('sb2', sb2Text, { min: 0, what: '>= 0 (a variance)' }),
      depth: intParam('depth', (opts.depth as string | undefined) ?? d.depth, 1, 100_000), q0: (opts.q0 as string | undefined) ?? d.q0, c0: (opts.c0 as string | undefined) ?? d.c0,
      skip: 'residual', scaling: (opts.scaling as string | undefined) ?? d.scaling,
    });
    const alpha = parseGrid('alpha', (opts.alpha as string | undefined) ?? d.alpha, { min: 0, minExclusive: true, what: '> 0' });
    const sw2 = parseGrid('sw2', (opts.sw2 as string | undefined) ?? d.sw2, { min: 0, minExclusive: true, what: '> 0' });
    if (alpha.n * sw2.n * net.depth > 20_000_000) throw new InputError('alpha', `grid points times depth must stay below 2e7, got ${alpha.n} x ${sw2.n} x ${net.depth}`);
    const dg = alphaSwDiagram(net, alpha, sw2);
    if (out) writeFileAtomic(out, await renderSvg(alphaSwSpec(dg)));
    if (opts.json) {
      io.out(JSON.stringify(alphaSwJson(dg)) + '\n');
      return 0;
    }
    io.out(alphaSwText(dg, alpha));
    if (out) io.out(`\nWrote ${out}\n`);
    return 0;
  },
};

/** `--plane sw2-sb2 --net FILE`: the activation of a feed-forward description (its sw2, sb2 are the scan's). */
function feedForwardActFromNet(argv: string[], opts: ParsedArgs) {
  checkNetFlags(argv, opts, ['act'], 'the activation');
  return feedForwardFromNet(readNetworkFile(String(opts.net)), 'phase --plane sw2-sb2').act;
}

/** `--plane alpha-sw2 --net FILE`: the residual network of today's form (its alpha, sw2 are the scan's). */
function residualFromNet(argv: string[], opts: ParsedArgs): Network {
  checkNetFlags(argv, opts, ['act', 'sb2', 'depth', 'q0', 'c0', 'scaling'], 'the network');
  const n = standardFromNet(readNetworkFile(String(opts.net)), 'phase --plane alpha-sw2');
  if (n.skip === 'none') throw new InputError('net', 'the alpha-sw2 plane scans the residual scale alpha: this network has no residual blocks (use --plane sw2-sb2)');
  return { ...n, alpha: '1', sw2: '1' };
}

function parseLevels(text: string): number[] {
  const parts = text.split(',').map((s) => s.trim());
  const levels = parts.map((p) => Number(p));
  if (parts.length === 0 || parts.length > 30 || parts.some((p) => !/^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(p)) || levels.some((x) => !(x > 0) || !Number.isFinite(x))) {
    throw new InputError('levels', `expected 1 to 30 comma-separated depth scales > 0 such as "${DEFAULT_LEVELS}", got "${text}"`);
  }
  return levels;
}

// ---------------------------------------------------------------------------------------
// (sw2, sb2)

export function swSbJson(dg: SwSbDiagram): Record<string, unknown> {
  return {
    plane: 'sw2-sb2',
    act: dg.act,
    skip: 'none',
    digits: PRINT_DIGITS,
    sw2: dg.sw2.map(num),
    sb2: dg.sb2.map(num),
    phase: dg.points.map((r) => r.map((p) => p.phase)),
    chi1: dg.points.map((r) => r.map((p) => num(p.chi1))),
    q_star: dg.points.map((r) => r.map((p) => num(p.q_star))),
    c_star: dg.points.map((r) => r.map((p) => num(p.c_star))),
    chi_c: dg.points.map((r) => r.map((p) => num(p.chi_c))),
    xi_c: dg.points.map((r) => r.map((p) => num(p.xi_c))),
    critical_line: { sb2: dg.critical_sb2.map(num), sw2: dg.critical_sw2.map(num) },
    contours: dg.contours.map((c) => ({ level: num(c.level), segments: c.segments.map((s) => s.map(num)) })),
  };
}

function swSbText(dg: SwSbDiagram, sw2: Grid, sb2: Grid): string {
  const lines: string[] = [];
  lines.push(`Phase diagram of the feed-forward network, act = ${dg.act}: sw2 in [${sw2.lo}, ${sw2.hi}] (${sw2.n} points), sb2 in [${sb2.lo}, ${sb2.hi}] (${sb2.n} points)`);
  lines.push('float64, 6 significant digits. Map: "." ordered (chi_1 < 1), "#" chaotic (chi_1 > 1), "|" critical, "?" no finite fixed point.');
  lines.push('');
  const sym = { ordered: '.', chaotic: '#', critical: '|', undefined: '?' } as const;
  for (let r = dg.sb2.length - 1; r >= 0; r--) {
    lines.push(`  sb2 = ${formatNumber(dg.sb2[r], 4).padEnd(8)} ${dg.points[r].map((p) => sym[p.phase]).join('')}`);
  }
  lines.push(`  ${''.padEnd(14)} sw2 from ${sw2.lo} to ${sw2.hi} ->`);
  lines.push('');
  lines.push('Critical line (chi_1 = 1):');
  const step = Math.max(1, Math.round((dg.critical_sb2.length - 1) / 10));
  const rows: string[][] = [];
  for (let i = 0; i < dg.critical_sb2.length; i += step) rows.push([num(dg.critical_sb2[i]) ?? '', num(dg.critical_sw2[i]) ?? 'none']);
  lines.push(table(['sb2', 'sw2_c'], rows).trimEnd());
  lines.push('');
  lines.push(`Depth-scale contours xi_c: ${dg.contours.map((c) => `${c.level} (${c.segments.length} segments)`).join(', ')}`);
  return lines.join('\n') + '\n';
}

function cellBounds(vs: number[], i: number): [number, number] {
  const lo = i === 0 ? vs[0] - (vs[1] - vs[0]) / 2 : (vs[i - 1] + vs[i]) / 2;
  const hi = i === vs.length - 1 ? vs[i] + (vs[i] - vs[i - 1]) / 2 : (vs[i] + vs[i + 1]) / 2;
  return [lo, hi];
}

/** A heat-map axis over grid values `vs` (cells centred on them), for the rect layer of heatMap. */
function gridAxis(field: 'x' | 'y', title: string, vs: number[]): object {
  return { field, type: 'quantitative', title, scale: { domain: [cellBounds(vs, 0)[0], cellBounds(vs, vs.length - 1)[1]], nice: false, zero: false } };
}

/** A 420 x 320 heat map (cells with x, x2, y, y2) coloured by `color`, with further layers on top. */
function heatMap(title: { text: string; subtitle: string }, cells: object[], X: object, Y: object, color: object, tooltip: string[], layers: object[]): object {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title,
    width: 420,
    height: 320,
    layer: [
      {
        data: { values: cells },
        mark: { type: 'rect' },
        encoding: {
          x: X, x2: { field: 'x2' }, y: Y, y2: { field: 'y2' },
          color,
          tooltip: tooltip.map((field) => ({ field, type: 'quantitative' })),
        },
      },
      ...layers,
    ],
    config: { font: 'sans-serif' },
  };
}

export function swSbSpec(dg: SwSbDiagram): object {
  const cells: Record<string, number | string | null>[] = [];
  dg.points.forEach((row, r) => row.forEach((p, c) => {
    const [x, x2] = cellBounds(dg.sw2, c);
    const [y, y2] = cellBounds(dg.sb2, r);
    cells.push({ x, x2, y, y2, sw2: p.sw2, sb2: p.sb2, log2_chi1: p.chi1 !== null && p.chi1 > 0 ? Math.log2(p.chi1) : null, xi_c: p.xi_c, phase: p.phase });
  }));
  const segs: Record<string, number | string>[] = [];
  const labels: Record<string, number | string>[] = [];
  for (const c of dg.contours) {
    for (const s of c.segments) segs.push({ x: s[0], y: s[1], x2: s[2], y2: s[3], level: `xi_c = ${c.level}` });
    if (c.segments.length) {
      const s = c.segments[Math.floor(c.segments.length / 2)];
      labels.push({ x: (s[0] + s[2]) / 2, y: (s[1] + s[3]) / 2, text: String(c.level) });
    }
  }
  const crit = dg.critical_sb2.map((b, i) => ({ sb2: b, sw2: dg.critical_sw2[i] })).filter((p) => p.sw2 !== null && p.sw2 >= dg.sw2[0] && p.sw2 <= dg.sw2[dg.sw2.length - 1]);
  const maxAbs = Math.max(0.1, ...cells.map((c) => Math.abs((c.log2_chi1 as number | null) ?? 0)));
  return heatMap(
    { text: `fieldprop phase: ${dg.act}, feed-forward`, subtitle: 'colour: log2 chi_1 (blue ordered, red chaotic); black: critical line chi_1 = 1; grey: contours of the depth scale xi_c' },
    cells,
    gridAxis('x', 'sigma_w^2', dg.sw2),
    gridAxis('y', 'sigma_b^2', dg.sb2),
    { field: 'log2_chi1', type: 'quantitative', title: 'log2 chi_1', scale: { scheme: 'redblue', reverse: true, domain: [-maxAbs, maxAbs], domainMid: 0 } },
    ['sw2', 'sb2', 'log2_chi1', 'xi_c'],
    [
      ...(segs.length ? [{
        data: { values: segs },
        mark: { type: 'rule', color: '#444', strokeWidth: 1 },
        encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' }, x2: { field: 'x2' }, y2: { field: 'y2' }, detail: { field: 'level' } },
      }, {
        data: { values: labels },
        mark: { type: 'text', fontSize: 10, color: '#222', dy: -4 },
        encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' }, text: { field: 'text' } },
      }] : []),
      ...(crit.length ? [{
        data: { values: crit },
        mark: crit.length > 1 ? { type: 'line', color: 'black', strokeWidth: 2.5 } : { type: 'point', color: 'black', filled: true, size: 60 },
        encoding: { x: { field: 'sw2', type: 'quantitative' }, y: { field: 'sb2', type: 'quantitative' }, order: { field: 'sb2' } },
      }] : []),
    ],
  );
}

// ---------------------------------------------------------------------------------------
// (alpha, sw2)

export function alphaSwJson(dg: AlphaSwDiagram): Record<string, unknown> {
  const n = dg.network;
  return {
    plane: 'alpha-sw2',
    network: { act: n.act.name, sb2: n.sb2, depth: n.depth, q0: n.q0, c0: n.c0, skip: n.skip, scaling: n.scaling },
    digits: PRINT_DIGITS,
    alpha: dg.alpha.map(num),
    sw2: dg.sw2.map(num),
    sensitivity: dg.sensitivity.map((r) => r.map(num)),
    alpha_star: dg.alpha_star.map(num),
    s_star: dg.s_star.map(num),
  };
}

function alphaSwText(dg: AlphaSwDiagram, alpha: Grid): string {
  const n = dg.network;
  const lines = [
    `Correlation sensitivity S = dc^L/dc^0 over (alpha, sw2): act = ${n.act.name}, residual (${n.scaling} scaling), sb2 = ${n.sb2}, depth = ${n.depth}, q0 = ${n.q0}, c0 = ${n.c0}`,
    `alpha grid [${alpha.lo}, ${alpha.hi}] (${alpha.n} points); float64, 6 significant digits; alpha* maximises S inside the grid's range.`,
    '',
  ];
  const rows = dg.sw2.map((w, i) => {
    const row = dg.sensitivity[i];
    return [num(w) ?? '', num(dg.alpha_star[i]) ?? 'none in range', num(dg.s_star[i]) ?? '-', num(row[0]) ?? '-', num(row[row.length - 1]) ?? 'overflow'];
  });
  lines.push(table(['sw2', 'alpha*', 'S(alpha*)', `S(${alpha.lo})`, `S(${alpha.hi})`], rows).trimEnd());
  return lines.join('\n') + '\n';
}

export function alphaSwSpec(dg: AlphaSwDiagram): object {
  const cells: Record<string, number | null>[] = [];
  dg.sw2.forEach((w, i) => dg.alpha.forEach((a, j) => {
    const [x, x2] = cellBounds(dg.alpha, j);
    const [y, y2] = cellBounds(dg.sw2, i);
    cells.push({ x, x2, y, y2, alpha: a, sw2: w, S: dg.sensitivity[i][j] });
  }));
  const star = dg.sw2.map((w, i) => ({ sw2: w, alpha: dg.alpha_star[i] })).filter((p) => p.alpha !== null);
  const n = dg.network;
  return heatMap(
    { text: `fieldprop phase: sensitivity dc^L/dc^0, ${n.act.name} ResNet, depth ${n.depth}, sb2 = ${n.sb2}`, subtitle: 'colour: S; white points and line: the optimal alpha*(sw2)' },
    cells,
    gridAxis('x', n.scaling === 'amplitude' ? 'alpha (branch amplitude)' : 'alpha (branch variance)', dg.alpha),
    gridAxis('y', 'sigma_w^2', dg.sw2),
    { field: 'S', type: 'quantitative', title: 'S', scale: { scheme: 'viridis' } },
    ['alpha', 'sw2', 'S'],
    star.length ? [{
      data: { values: star },
      mark: { type: 'line', color: 'white', strokeWidth: 2, point: { color: 'white', filled: true } },
      encoding: { x: { field: 'alpha', type: 'quantitative' }, y: { field: 'sw2', type: 'quantitative' }, order: { field: 'sw2' } },
    }] : [],
  );
}
