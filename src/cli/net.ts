/**
 * `kernel`, `response` and `optimal-alpha` with `--net FILE`: the mean field over any layer
 * description (src/netApi.ts), printed like the flag forms (same digits for today's form).
 */
import type { Io } from './main';
import { ParsedArgs } from './args';
import { digitsFrom, table, widthFrom } from './options';
import { readNetworkFile, networkToJson } from '../model/net/json';
import { NetDescription } from '../model/net/layers';
import { netKernel, netResponse, netOptimalAlpha } from '../netApi';
import { netResponseWidth, netOptimalAlphaWidth, NetResponseWidthResult, NetOptimalAlphaWidthResult } from '../netLoopApi';


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

export function runResponseNet(d: NetDescription, opts: ParsedArgs, io: Io): number {
  const width = widthFrom(opts);
  const r = width === undefined ? netResponse(d, { digits: digitsFrom(opts) }) : netResponseWidth(d, { digits: digitsFrom(opts), width });
  const w = r as Partial<NetResponseWidthResult>;
  const fw = width !== undefined ? { width, sensitivity_N: w.sensitivity_N, sensitivity_1: w.sensitivity_1, sensitivity_1_error: w.sensitivity_1_error } : undefined;
  if (opts.json) {
    io.out(JSON.stringify({
      network: networkToJson(d), digits: r.digits, chi: r.chi, chi12: r.chi12, sensitivity: r.sensitivity,
      labels: r.labels, chi_l: r.chi_l, chi12_l: r.chi12_l, sensitivity_l: r.sensitivity_l, ...fw,
    }) + '\n');
    return 0;
  }
  io.out(`Response functions: ${title(d)} (mean field: ${r.digits} verified digits)\n\n`);
  io.out(`  chi            ${r.chi}    dK^L_11 / dK^0_11\n  chi12          ${r.chi12}    dK^L_12 / dK^0_12 (fixed diagonal)\n  sensitivity    ${r.sensitivity}    dc^L / dc^0 (fixed diagonal)\n`);
  if (fw) {
    io.out(`  sensitivity_N  ${fw.sensitivity_N}    d E[c_hat^L] / dc^0 at width ${fw.width}, through order 1/N\n`);
    io.out(`  sensitivity_1  ${fw.sensitivity_1}    its 1/N coefficient (+- ${fw.sensitivity_1_error}; float64, the composed one-loop theory)\n`);
  }
  io.out(`\n(L: the last recorded layer, ${r.labels[r.labels.length - 1]}; --json gives every layer)\n`);
  return 0;
}

export function runOptimalAlphaNet(d: NetDescription, opts: ParsedArgs, io: Io): number {
  const width = widthFrom(opts);
  const r = width === undefined ? netOptimalAlpha(d, { digits: digitsFrom(opts) }) : netOptimalAlphaWidth(d, { digits: digitsFrom(opts), width });
  const w = r as Partial<NetOptimalAlphaWidthResult>;
  const fw = width !== undefined ? { width, alpha_N: w.alpha_N, alpha_1: w.alpha_1, alpha_1_error: w.alpha_1_error, sensitivity_N: w.sensitivity_N } : undefined;
  if (opts.json) {
    io.out(JSON.stringify({
      network: networkToJson(d), digits: r.digits, interior: r.interior, alpha: r.alpha, sensitivity: r.sensitivity, ...(r.note ? { note: r.note } : {}), ...fw,
    }) + '\n');
    return 0;
  }
  io.out(`Optimal residual scaling: ${title(d)}, one alpha shared by every residual block (the file's alphas are ignored; schedules apply)\n\n`);
  if (r.interior) io.out(`  alpha*       ${r.alpha}   (${r.digits} verified digits)\n  S(alpha*)    ${r.sensitivity}\n`);
  else io.out(`  ${r.note}\n`);
  if (fw && r.interior) {
    io.out(`  alpha*_N     ${fw.alpha_N}   (width ${fw.width}: alpha* + alpha_1/N, alpha_1 = ${fw.alpha_1} +- ${fw.alpha_1_error}; the composed one-loop theory)\n`);
    io.out(`  S_N          ${fw.sensitivity_N}   (d E[c_hat^L]/dc^0 there, through order 1/N)\n`);
  }
  return 0;
}
