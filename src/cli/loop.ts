/**
 * `fieldprop loop`: the one-loop (1/N) coefficients of every layer (src/quantities/loop/),
 * each printed with the digits on which two evaluations agree (the default grid and a grid of
 * half the step, or for relu/linear the closed form and the angular Gauss-Legendre pairs).
 */
import { Command, NETWORK_OPTIONS, JSON_OPT, HELP, networkFrom, parse, describe, networkJson, table } from './options';
import { CSV_OPT } from './csv';
import { oneLoop64, oneLoopExpansionParameter, widthWarnings, OneLoopTable, comparisonGrid2 } from '../quantities/loop';
import { meanFieldKernels } from '../quantities/kernel';
import { float64Interp } from '../interpret/numeric';
import { intParam, network } from '../model/network';
import { NumericalError } from '../model/errors';
import { formatNumber } from '../numeric/field';
import { agreedArray } from '../numeric/agreed';
import { checkLoopLayers } from './cost';

const KEYS = ['k1', 'c1', 'varC', 'varK', 'c1_curvature'] as const;
const KEYS12 = ['k1_12', 'c1_12', 'varC_12', 'varK_12', 'chat1'] as const;
type Key = (typeof KEYS)[number] | (typeof KEYS12)[number];

export const loopCommand: Command = {
  name: 'loop',
  summary: 'one-loop (1/N) corrections: k1, c1, varC, varK per layer (and their off-diagonal versions and chat1, the shift of the empirical correlation, with --c0)',
  options: [
    ...NETWORK_OPTIONS.map((o) => (o.name === 'c0' ? { ...o, default: undefined, help: 'input correlation: also the off-diagonal arrays (_12)' } : o)),
    { name: 'width', value: '<integer 1..10^9>', help: 'also the corrected predictions q_N = K + k1/N (and k12_N) at this width' },
    JSON_OPT,
    CSV_OPT,
    HELP,
  ],
  async run(argv, io) {
    const opts = parse(loopCommand, argv, io);
    if (!opts) return 0;
    const two = opts.c0 !== undefined || opts.net !== undefined;
    const net = networkFrom({ ...opts, c0: opts.c0 ?? '0' }, 'the one-loop theory');
    const width = opts.width !== undefined ? intParam('width', opts.width as string, 1, 1_000_000_000) : undefined;
    checkLoopLayers(net.depth);
    // a growing activation: the (checked) mean-field pass first, so that a diverging expectation is named
    if (net.act.growth) meanFieldKernels(float64Interp, net);
    const a = oneLoop64(net, { twoInputs: two });
    const info = a.info;
    // the check: the one-input table on half the step (or pairwise quadrature), the two-input
    // arrays on the comparison grid of the first run's two-input grid
    const grid12 = info?.grid12 !== undefined ? comparisonGrid2(info.grid12, net.depth) : undefined;
    const b: OneLoopTable = info?.gridStep !== undefined
      ? oneLoop64(net, { twoInputs: two, gridStep: info.gridStep / 2, grid12 })
      : oneLoop64(net, { twoInputs: two, method: 'pairwise', grid12 });
    const keys: Key[] = two ? [...KEYS, ...KEYS12] : [...KEYS];
    const out: Record<string, unknown> = { network: { ...networkJson(net), c0: two ? net.c0 : undefined } };
    for (const k of keys) {
      const xs = a[k] as (number | null)[] | undefined;
      const ys = b[k] as (number | null)[] | undefined;
      if (!xs) throw new NumericalError(`one-loop: ${k} is not available (${info?.note12 ?? 'not computed'})`);
      // The scale of an entry: the largest |entry| of its array up to this layer (for the
      // curvature share, c1 at the same layer: it is a part of c1).
      out[k] = agreedArray(xs, ys, k, k === 'c1_curvature' ? a.c1.map((c) => Math.abs(c ?? 0)) : undefined);
    }
    const warnings: string[] = [];
    if (width !== undefined) {
      const mf = meanFieldKernels(float64Interp, network(net));
      warnings.push(...widthWarnings(net, width));
      out.width = width;
      out.q_N = mf.q.map((q, l) => formatNumber(q + (a.k1[l] ?? 0) / width, 10));
      if (two) out.k12_N = mf.k12.map((k, l) => formatNumber(k + ((a.k1_12 ?? [])[l] ?? 0) / width, 10));
      out.expansion_parameter = formatNumber(oneLoopExpansionParameter(net, width), 4);
    }
    out.method = info?.method;
    if (warnings.length) out.warnings = warnings;
    for (const w of warnings) io.err(`fieldprop loop: warning: ${w}\n`);
    if (opts.json) {
      io.out(JSON.stringify(out) + '\n');
      return 0;
    }
    io.out(`One-loop coefficients: ${describe(net)}${two ? '' : ' (one input)'}\n`);
    io.out('k1 = N (E[K_hat_11] - K_11), c1 = N (E[C_hat_11] - C_11), varC = N Var(C_hat_11), varK = N Var(K_hat_11), as N -> infinity;\n');
    if (two) io.out('_12: the same for the entries 12; chat1 = N (E[c_hat] - c) of the empirical correlation c_hat = K_hat_12 / sqrt(K_hat_11 K_hat_22);\n');
    io.out(`each printed with the digits on which two evaluations agree (method: ${info?.method ?? 'closed form'}; check: ${b.info?.method ?? '-'}).\n\n`);
    const cols = ['layer', ...keys, ...(width !== undefined ? ['q_N'] : [])];
    const rows = (out.k1 as (string | null)[]).map((_, l) => [String(l), ...keys.map((k) => (out[k] as (string | null)[])[l] ?? '-'), ...(width !== undefined ? [(out.q_N as string[])[l]] : [])]);
    io.out(table(cols, rows));
    return 0;
  },
};
