/**
 * `fieldprop loop`: the one-loop (1/N) coefficients of every layer, each with the digits on
 * which two evaluations agree (computed and checked by `loopTable` in src/api.ts).
 */
import { Command, NETWORK_OPTIONS, JSON_OPT, HELP, networkFrom, parse, describe, networkJson, table } from './options';
import { CSV_OPT } from './csv';
import { loopTable } from '../api';
import { intParam } from '../model/network';
import { checkLoopLayers } from './cost';

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
    const r = loopTable(net, { twoInputs: two, width });
    const keys = r.keys;
    const out: Record<string, unknown> = { network: { ...networkJson(net), c0: two ? net.c0 : undefined }, ...r.arrays };
    if (width !== undefined) Object.assign(out, { width, q_N: r.q_N, ...(two ? { k12_N: r.k12_N } : {}), expansion_parameter: r.expansion_parameter });
    out.method = r.method;
    if (r.warnings.length) out.warnings = r.warnings;
    for (const w of r.warnings) io.err(`fieldprop loop: warning: ${w}\n`);
    if (opts.json) {
      io.out(JSON.stringify(out) + '\n');
      return 0;
    }
    io.out(`One-loop coefficients: ${describe(net)}${two ? '' : ' (one input)'}\n`);
    io.out('k1 = N (E[K_hat_11] - K_11), c1 = N (E[C_hat_11] - C_11), varC = N Var(C_hat_11), varK = N Var(K_hat_11), as N -> infinity;\n');
    if (two) io.out('_12: the same for the entries 12; chat1 = N (E[c_hat] - c) of the empirical correlation c_hat = K_hat_12 / sqrt(K_hat_11 K_hat_22);\n');
    io.out(`each printed with the digits on which two evaluations agree (method: ${r.method ?? 'closed form'}; check: ${r.check ?? '-'}).\n\n`);
    const cols = ['layer', ...keys, ...(width !== undefined ? ['q_N'] : [])];
    const rows = (out.k1 as (string | null)[]).map((_, l) => [String(l), ...keys.map((k) => (out[k] as (string | null)[])[l] ?? '-'), ...(width !== undefined ? [(out.q_N as string[])[l]] : [])]);
    io.out(table(cols, rows));
    return 0;
  },
};
