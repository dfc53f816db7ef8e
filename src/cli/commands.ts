/**
 * The commands. Each one: options -> network description -> quantity, evaluated with verified
 * digits -> JSON (`--json`) or a readable table.
 */
import { kernel, fixedPointAnalysis, critical, response, optimalAlphaAnalysis } from '../api';
import { validateCommand } from './validate';
import { loopCommand } from './loop';
import { exponentsCommand } from './exponents';
import { ntkCommand } from './ntk';
import { phaseCommand } from './phase';
import { reportCommand } from './report';
import { notebookCommand } from './notebook';
import { CNN_COMMANDS } from './cnn';
import { batchNormCommand } from './batchnorm';
import { deriveCommand } from './derive';
import { makeSweepCommand } from './sweep';
import { CSV_OPT, recordTable } from './csv';
import { runKernelNet, runResponseNet, runOptimalAlphaNet } from './net';
import { NET_OPTION, feedForwardFromNet, residualOnly } from './netForm';
import { readNetworkFile } from '../model/net/json';
import { standardNetwork } from '../model/net/standard';
import { OptionSpec } from './args';
import { checkPlotPath, writeSensitivityPlot } from './sensitivityPlot';
import { checkLayers, checkLoopLayers } from './cost';
import {
  Command, NETWORK_OPTIONS, ACT, DIGITS, JSON_OPT, HELP, SW2, SB2, networkFrom, digitsFrom, widthFrom, parse, table, describe, networkJson,
} from './options';

export { Command, NETWORK_OPTIONS } from './options';

const kernelCommand: Command = {
  name: 'kernel',
  summary: 'infinite-width kernels K^l_11, K^l_12 and the correlation c^l for every layer',
  options: [...NETWORK_OPTIONS, DIGITS, JSON_OPT, CSV_OPT, HELP],
  async run(argv, io) {
    const opts = parse(kernelCommand, argv, io);
    if (!opts) return 0;
    if (opts.net !== undefined) return runKernelNet(opts, io);
    const net = networkFrom(opts);
    const digits = digitsFrom(opts);
    checkLayers('kernel', net, digits);
    const v = kernel(net, { digits });
    if (opts.json) {
      io.out(JSON.stringify({ network: networkJson(net), digits, q: v.q, k12: v.k12, c: v.c }) + '\n');
      return 0;
    }
    io.out(`Mean-field kernels: ${describe(net)}\n`);
    io.out(`Every entry verified to ${digits} significant digits (two runs at different working precision agree).\n\n`);
    const rows = v.q.map((q, l) => [String(l), q, v.k12[l], v.c[l]]);
    io.out(table(['layer', 'K_11 = K_22', 'K_12', 'c'], rows));
    return 0;
  },
};

const fixedPointCommand: Command = {
  name: 'fixed-point',
  summary: 'feed-forward fixed point q*, c*, slopes chi_1, chi_c and depth scales xi_q, xi_c',
  options: [{ ...ACT, default: 'tanh' }, { ...SW2, default: '1.5' }, { ...SB2, default: '0.05' }, NET_OPTION, DIGITS, JSON_OPT, CSV_OPT, HELP],
  async run(argv, io) {
    const opts = parse(fixedPointCommand, argv, io);
    if (!opts) return 0;
    const ff = opts.net !== undefined ? feedForwardFromNet(readNetworkFile(String(opts.net)), 'fixed-point') : undefined;
    const v = ff ? fixedPointAnalysis(ff.act, ff.sw2, ff.sb2, { digits: digitsFrom(opts) }) : fixedPointAnalysis(opts.act as string, opts.sw2 as string, opts.sb2 as string, { digits: digitsFrom(opts) });
    if (opts.json) {
      io.out(JSON.stringify(v) + '\n');
      return 0;
    }
    io.out(`Feed-forward fixed point: act = ${v.act}, sw2 = ${v.sw2}, sb2 = ${v.sb2} (${v.digits} verified digits)\n\n`);
    const phase = Number(v.chi1) > 1 ? 'chaotic (chi_1 > 1)' : Number(v.chi1) < 1 ? 'ordered (chi_1 < 1)' : 'critical';
    const rows: [string, string, string][] = [
      ['q*', v.q_star ?? 'any', v.q_star === null ? 'every q is a fixed point (the length map is the identity)' : 'length fixed point'],
      ['c*', v.c_star, 'correlation fixed point'],
      ['chi_1', v.chi1, `sw2 <phi'(u)^2>: ${phase}`],
      ['chi_c', v.chi_c, "sw2 <phi'(u) phi'(v)> at c*"],
      ['xi_q', v.xi_q, 'length depth scale'],
      ['xi_c', v.xi_c, 'correlation depth scale'],
    ];
    recordTable(['quantity', 'value', 'meaning'], rows.map((r) => [...r]));
    io.out(rows.map(([k, x, d]) => `  ${k.padEnd(6)} ${x.padEnd(v.digits + 8)} ${d}`).join('\n') + '\n');
    return 0;
  },
};

const criticalCommand: Command = {
  name: 'critical',
  summary: 'the critical line: sw2 at which chi_1 = 1 for a given sb2 (feed-forward)',
  options: [{ ...ACT, default: 'tanh' }, { ...SB2, default: '0.05' }, DIGITS, JSON_OPT, CSV_OPT, HELP],
  async run(argv, io) {
    const opts = parse(criticalCommand, argv, io);
    if (!opts) return 0;
    const v = critical(opts.act as string, opts.sb2 as string, { digits: digitsFrom(opts) });
    if (opts.json) {
      io.out(JSON.stringify(v) + '\n');
      return 0;
    }
    io.out(`Critical line (chi_1 = 1): act = ${v.act}, sb2 = ${v.sb2} (${v.digits} verified digits)\n\n`);
    recordTable(['quantity', 'value'], [['sw2', v.sw2], ['q_star', v.q_star ?? '']]);
    io.out(`  sw2 = ${v.sw2}\n  q*  = ${v.q_star ?? 'any (the length map is linear in q)'}\n`);
    return 0;
  },
};

const WIDTH: OptionSpec = { name: 'width', value: '<integer 1..10^9>', help: 'also the finite-width (1/N, one-loop) numbers at this width' };

const responseCommand: Command = {
  name: 'response',
  summary: 'response functions: chi = dK^L_11/dK^0_11, chi12 = dK^L_12/dK^0_12, sensitivity S = dc^L/dc^0 (and at width N)',
  options: [...NETWORK_OPTIONS, WIDTH, DIGITS, JSON_OPT, CSV_OPT, HELP],
  async run(argv, io) {
    const opts = parse(responseCommand, argv, io);
    if (!opts) return 0;
    // a --net file: the description's mean field, and at a width its composed one-loop theory; today's form at a width: the flag route
    const d = opts.net !== undefined ? readNetworkFile(String(opts.net)) : undefined;
    const standard = d ? standardNetwork(d) : undefined;
    if (d && (opts.width === undefined || !standard)) return runResponseNet(d, opts, io);
    const width = widthFrom(opts);
    const rnet = standard ?? networkFrom(opts, 'response --width (the one-loop theory)');
    checkLayers('response', rnet, digitsFrom(opts), 3);
    if (width !== undefined) checkLoopLayers(rnet.depth);
    const r = response(rnet, { digits: digitsFrom(opts), width });
    for (const w of r.warnings ?? []) io.err(`fieldprop response: warning: ${w}\n`);
    if (opts.json) {
      const fw = width === undefined ? {} : { width, sensitivity_N: r.sensitivity_N, sensitivity_1: r.sensitivity_1, sensitivity_1_error: r.sensitivity_1_error, ...(r.warnings?.length ? { warnings: r.warnings } : {}) };
      io.out(JSON.stringify({ network: networkJson(r.network), digits: r.digits, chi: r.chi, chi12: r.chi12, sensitivity: r.sensitivity, ...fw }) + '\n');
      return 0;
    }
    io.out(`Response functions: ${describe(r.network)} (mean field: ${r.digits} verified digits)\n\n`);
    const finite = width === undefined ? [] : [['sensitivity_N', r.sensitivity_N], ['sensitivity_1', r.sensitivity_1], ['sensitivity_1_error', r.sensitivity_1_error]];
    recordTable(['quantity', 'value'], [['chi', r.chi], ['chi12', r.chi12], ['sensitivity', r.sensitivity], ...finite].map(([k, x]) => [String(k), x ?? '']));
    io.out(`  chi            ${r.chi}    dK^L_11 / dK^0_11\n  chi12          ${r.chi12}    dK^L_12 / dK^0_12 (fixed diagonal)\n  sensitivity    ${r.sensitivity}    dc^L / dc^0 (fixed q0)\n`);
    if (width !== undefined) {
      io.out(`  sensitivity_N  ${r.sensitivity_N}    d E[c_hat^L] / dc^0 at width ${width}, through order 1/N\n`);
      io.out(`  sensitivity_1  ${r.sensitivity_1}    its 1/N coefficient (+- ${r.sensitivity_1_error}; float64, two-input one-loop grid)\n`);
    }
    return 0;
  },
};

const optimalAlphaCommand: Command = {
  name: 'optimal-alpha',
  summary: 'the residual scaling alpha* maximising the correlation sensitivity dc^L/dc^0, with its large-depth formula',
  options: [
    ...NETWORK_OPTIONS.filter((o) => o.name !== 'alpha' && o.name !== 'skip'),
    { ...WIDTH, help: 'also alpha*_N, the maximiser of d E[c_hat^L]/dc^0 at this width through order 1/N' },
    { name: 'plot', value: '<file.svg>', help: 'draw S(alpha) for this depth and L/4, L/2, 2L, 4L, marking alpha*' },
    DIGITS,
    JSON_OPT,
    CSV_OPT,
    HELP,
  ],
  async run(argv, io) {
    const opts = parse(optimalAlphaCommand, argv, io);
    if (!opts) return 0;
    const d = opts.net !== undefined ? readNetworkFile(String(opts.net)) : undefined;
    const standard = d ? standardNetwork(d) : undefined;
    if (d && opts.plot === undefined && (opts.width === undefined || !standard)) return runOptimalAlphaNet(d, opts, io);
    const width = widthFrom(opts);
    const plot = opts.plot !== undefined ? String(opts.plot) : undefined;
    if (plot !== undefined) checkPlotPath(plot);
    const onet = residualOnly(networkFrom({ ...opts, alpha: '1', skip: 'residual' }, 'optimal-alpha --width/--plot'));
    checkLayers('optimal-alpha', onet, digitsFrom(opts), 20);
    if (width !== undefined) checkLoopLayers(onet.depth);
    const r = optimalAlphaAnalysis(onet, { digits: digitsFrom(opts), width });
    for (const w of r.warnings ?? []) io.err(`fieldprop optimal-alpha: warning: ${w}\n`);
    if (plot !== undefined) await writeSensitivityPlot(r.network, { alpha: r.alpha === null ? null : Number(r.alpha), s: r.sensitivity === null ? null : Number(r.sensitivity) }, plot);
    const out = {
      network: { ...networkJson(r.network), alpha: undefined },
      digits: r.digits,
      interior: r.interior,
      alpha: r.alpha,
      sensitivity: r.sensitivity,
      ...(r.note ? { note: r.note } : {}),
      formula_latex: r.formula_latex,
      formula_validity: r.formula_validity,
      alpha_formula: r.alpha_formula,
      ...(width !== undefined ? { width, alpha_N: r.alpha_N, alpha_1: r.alpha_1, sensitivity_N: r.sensitivity_N, ...(r.warnings?.length ? { warnings: r.warnings } : {}) } : {}),
      ...(plot !== undefined ? { plot } : {}),
    };
    if (opts.json) {
      io.out(JSON.stringify(out) + '\n');
      return 0;
    }
    const net = r.network;
    io.out(`Optimal residual scaling: act = ${net.act.name}, sw2 = ${net.sw2}, sb2 = ${net.sb2}, depth = ${net.depth}, q0 = ${net.q0}, c0 = ${net.c0} (${net.scaling} scaling)\n\n`);
    recordTable(['quantity', 'value'], ([['interior', String(r.interior)], ['alpha', r.alpha], ['sensitivity', r.sensitivity], ...(width !== undefined ? [['alpha_N', r.alpha_N], ['alpha_1', r.alpha_1], ['sensitivity_N', r.sensitivity_N]] : []), ['alpha_formula', r.alpha_formula]] as [string, string | null | undefined][]).map(([k, x]) => [k, x ?? '']));
    if (r.interior) io.out(`  alpha*       ${r.alpha}   (${r.digits} verified digits)\n  S(alpha*)    ${r.sensitivity}\n`);
    else io.out(`  ${r.note}\n`);
    if (width !== undefined && r.interior) {
      io.out(`  alpha*_N     ${r.alpha_N}   (width ${width}: alpha* + alpha_1/N, alpha_1 = ${r.alpha_1})\n  S_N          ${r.sensitivity_N}   (d E[c_hat^L]/dc^0 there, through order 1/N)\n`);
    }
    io.out(`  formula      ${r.alpha_formula ?? 'no interior maximum of the continuum limit'}   (large-depth asymptotics)\n\n  ${r.formula_latex}\n  valid for: ${r.formula_validity}\n`);
    if (plot !== undefined) io.out(`\n  plot written to ${plot}\n`);
    return 0;
  },
};

export const COMMANDS: Command[] = [kernelCommand, fixedPointCommand, criticalCommand, responseCommand, optimalAlphaCommand, loopCommand, validateCommand, reportCommand, notebookCommand, ntkCommand, phaseCommand, batchNormCommand, exponentsCommand, deriveCommand, ...CNN_COMMANDS];
COMMANDS.push(makeSweepCommand(() => COMMANDS));
