/**
 * `fieldprop loop`: the one-loop (1/N) coefficients of every layer, each with the digits on
 * which two evaluations agree (computed and checked by `loopTable` in src/api.ts).
 */
import { Command, NETWORK_OPTIONS, JSON_OPT, HELP, networkFrom, parse, describe, networkJson, table, widthFrom } from './options';
import { CSV_OPT } from './csv';
import { loopTable } from '../api';
import { netLoopTable, NetLoopTableResult } from '../netLoopApi';
import { readNetworkFile, standardNetwork } from '../model/net';
import type { Io } from './main';
import { checkLoopLayers } from './cost';

export const loopCommand: Command = {
  name: 'loop',
  summary: 'one-loop (1/N) corrections: k1, c1, varC, varK per layer (and their off-diagonal versions and chat1, the shift of the empirical correlation, with --c0); any described network with --net',
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
    const width = widthFrom(opts);
    // a --net file of today's form runs today's engine (the flags' digits); any other, the composed theory
    const d = opts.net !== undefined ? readNetworkFile(String(opts.net)) : undefined;
    const standard = d ? standardNetwork(d) : undefined;
    if (d && !standard) return printComposed(netLoopTable(d, { width }), String(opts.net), Boolean(opts.json), io);
    const two = opts.c0 !== undefined || opts.net !== undefined;
    const net = standard ?? networkFrom({ ...opts, c0: opts.c0 ?? '0' }, 'the one-loop theory');
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

/** Why a one-loop number at width N may not mean much: a mean shift k1 / N that is not small against the kernel. */
function composedWarnings(r: NetLoopTableResult): string[] {
  if (r.width === undefined) return [];
  const N = r.width;
  let worst = 0;
  let where = '';
  for (const row of r.rows) {
    const diag = r.entries.map((e) => Number(row.K[r.entries.indexOf(`${e[0]}${e[0]}`)]));
    r.entries.forEach((e, j) => {
      const size = Math.sqrt(Math.abs(diag[r.entries.indexOf(`${e[0]}${e[0]}`)] * diag[r.entries.indexOf(`${e[1]}${e[1]}`)]));
      const rel = Math.abs(Number(row.k1[j])) / N / size;
      if (rel > worst) [worst, where] = [rel, row.layer];
    });
  }
  return worst > 0.1 ? [`the 1/N mean shift reaches ${(100 * worst).toPrecision(2)}% of the kernel at ${where}: one-loop predictions at width ${N} are unreliable`] : [];
}

function printComposed(r: NetLoopTableResult, file: string, json: boolean, io: Io): number {
  const warnings = composedWarnings(r);
  for (const w of warnings) io.err(`fieldprop loop: warning: ${w}\n`);
  if (json) {
    io.out(JSON.stringify({ net: file, ...r, ...(warnings.length ? { warnings } : {}) }) + '\n');
    return 0;
  }
  const E = r.entries;
  io.out(`One-loop coefficients of ${file}: ${r.P === 1 ? 'one input' : 'two inputs'}, ${r.dense.length} dense layers (the composed theory)\n`);
  io.out('per recorded layer: k1 = N (E[K_hat] - K), its curvature (tadpole) part, varK = N Var(K_hat), as N -> infinity');
  io.out(r.P === 2 ? ';\nchat1 = N (E[c_hat] - c) of the empirical correlation c_hat = K_hat_12 / sqrt(K_hat_11 K_hat_22);\n' : ';\n');
  io.out('per dense layer: its output covariance C = sw2 G + sb2 (G: the empirical kernel of its input), c1 = N (E[C_hat] - C), varC = N Var(C_hat);\n');
  io.out(`each printed with the digits on which two evaluations agree (method: ${r.method}; check: ${r.check}).\n\n`);
  const sfx = (k: string, e: string) => (e === '11' ? k : `${k}_${e}`);
  // with equal input lengths the 22 entries repeat the 11 ones: shown once
  const same22 = r.P === 2 && r.rows.every((x) => x.K[2] === x.K[0] && x.k1[2] === x.k1[0] && x.varK[2] === x.varK[0]);
  const shown = E.map((e, j) => j).filter((j) => !(same22 && E[j] === '22'));
  const rowCols = [
    'row',
    'layer',
    ...shown.flatMap((j) => [sfx('K', E[j]), sfx('k1', E[j]), sfx('k1_curv', E[j]), sfx('varK', E[j])]),
    ...(r.P === 2 ? ['c', 'chat1'] : []),
    ...(r.width !== undefined ? shown.map((j) => sfx('K_N', E[j])) : []),
  ];
  const rows = r.rows.map((x, l) => [
    String(l),
    x.layer,
    ...shown.flatMap((e) => [x.K[e], x.k1[e], x.k1_curvature[e], x.varK[e]]),
    ...(r.P === 2 ? [x.c as string, x.chat1 as string] : []),
    ...(r.width !== undefined ? shown.map((e) => (x.K_N as string[])[e]) : []),
  ]);
  if (same22) io.out('(inputs of equal length: the 22 entries equal the 11 entries and are not repeated)\n\n');
  io.out(table(rowCols, rows, 'rows'));
  io.out('\n');
  const denseCols = ['dense', 'layer', ...shown.flatMap((j) => [sfx('C', E[j]), sfx('c1', E[j]), sfx('c1_curv', E[j]), sfx('varC', E[j])])];
  const dense = r.dense.map((x, j) => [String(j + 1), x.layer, ...shown.flatMap((e) => [x.C[e], x.c1[e], x.c1_curvature[e], x.varC[e]])]);
  io.out(table(denseCols, dense, 'dense'));
  return 0;
}
