/**
 * `kernel`, `response` and `optimal-alpha` with `--net FILE`: the mean field over any layer
 * description (src/netApi.ts), printed like the flag forms (same digits for today's form).
 */
import type { Io } from './main';
import { ParsedArgs } from './args';
import { digitsFrom, table } from './options';
import { readNetworkFile, networkToJson } from '../model/net/json';
import { NetDescription } from '../model/net/layers';
import { netKernel, netResponse, netOptimalAlpha } from '../netApi';

function load(opts: ParsedArgs): NetDescription {
  return readNetworkFile(String(opts.net));
}

function title(d: NetDescription): string {
  return `${d.source ?? 'network'} (${d.inputs.kernel.length} inputs)`;
}

export function runKernelNet(opts: ParsedArgs, io: Io): number {
  const d = load(opts);
  const digits = digitsFrom(opts);
  const v = netKernel(d, { digits });
  const P = v.P;
  const hasMean = v.m.some((m) => m.some((x) => x !== '0'));
  if (opts.json) {
    const two = P >= 2 ? { q: v.q, k12: v.k12, c: v.c12, ...(hasMean ? { m: v.m1 } : {}) } : {};
    io.out(JSON.stringify({ network: networkToJson(d), digits, labels: v.labels, ...two, K: v.K, means: v.m, correlations: v.c }) + '\n');
    return 0;
  }
  io.out(`Mean-field kernels: ${title(d)}\n`);
  io.out(`Every entry verified to ${digits} significant digits (two runs at different working precision agree).\n`);
  io.out('Rows: the input, then every dense layer and residual block outside residual branches; K uncentred, m the mean of a neuron.\n\n');
  let header: string[];
  let cells: (l: number) => string[];
  if (P === 2 && v.equalDiagonal) {
    header = ['K_11 = K_22', 'K_12', 'c', ...(hasMean ? ['m'] : [])];
    cells = (l) => [v.K[l][0][0], v.K[l][0][1], v.c[l][0][1], ...(hasMean ? [v.m[l][0]] : [])];
  } else {
    const pairs: [number, number][] = [];
    for (let a = 0; a < P; a++) for (let b = a; b < P; b++) pairs.push([a, b]);
    header = [...pairs.map(([a, b]) => `K_${a + 1}${b + 1}`), ...(hasMean ? Array.from({ length: P }, (_, a) => `m_${a + 1}`) : [])];
    cells = (l) => [...pairs.map(([a, b]) => v.K[l][a][b]), ...(hasMean ? v.m[l] : [])];
  }
  const rows = v.labels.map((label, l) => [String(l), ...cells(l), label]);
  io.out(table(['layer', ...header, 'after'], rows));
  return 0;
}

export function runResponseNet(opts: ParsedArgs, io: Io): number {
  const d = load(opts);
  const r = netResponse(d, { digits: digitsFrom(opts) });
  if (opts.json) {
    io.out(JSON.stringify({
      network: networkToJson(d), digits: r.digits, chi: r.chi, chi12: r.chi12, sensitivity: r.sensitivity,
      labels: r.labels, chi_l: r.chi_l, chi12_l: r.chi12_l, sensitivity_l: r.sensitivity_l,
    }) + '\n');
    return 0;
  }
  io.out(`Response functions: ${title(d)} (mean field: ${r.digits} verified digits)\n\n`);
  io.out(`  chi            ${r.chi}    dK^L_11 / dK^0_11\n  chi12          ${r.chi12}    dK^L_12 / dK^0_12 (fixed diagonal)\n  sensitivity    ${r.sensitivity}    dc^L / dc^0 (fixed diagonal)\n`);
  io.out(`\n(L: the last recorded layer, ${r.labels[r.labels.length - 1]}; --json gives every layer)\n`);
  return 0;
}

export function runOptimalAlphaNet(opts: ParsedArgs, io: Io): number {
  const d = load(opts);
  const r = netOptimalAlpha(d, { digits: digitsFrom(opts) });
  if (opts.json) {
    io.out(JSON.stringify({
      network: networkToJson(d), digits: r.digits, interior: r.interior, alpha: r.alpha, sensitivity: r.sensitivity, ...(r.note ? { note: r.note } : {}),
    }) + '\n');
    return 0;
  }
  io.out(`Optimal residual scaling: ${title(d)}, one alpha shared by every residual block (the file's alphas are ignored; schedules apply)\n\n`);
  if (r.interior) io.out(`  alpha*       ${r.alpha}   (${r.digits} verified digits)\n  S(alpha*)    ${r.sensitivity}\n`);
  else io.out(`  ${r.note}\n`);
  return 0;
}
