/**
 * The commands. Each one: options -> network description -> quantity, evaluated with verified
 * digits -> JSON (`--json`) or a readable table.
 */
import { parseArgs, helpText, OptionSpec, ParsedArgs } from './args';
import type { Io } from './main';
import { network, Network, DEFAULT_NETWORK, intParam } from '../model/network';
import { kernel, fixedPointAnalysis, critical, response, optimalAlphaAnalysis } from '../api';
import { validateCommand } from './validate';
import { InputError } from '../model/errors';

export interface Command {
  name: string;
  summary: string;
  options: OptionSpec[];
  run(argv: string[], io: Io): Promise<number>;
}

const ACT: OptionSpec = {
  name: 'act',
  value: '<name|expr>',
  help: 'activation: relu, erf, tanh, linear, gelu, silu, sign, relu-power:k, or an expression in x such as "x/(1+abs(x))"',
};
const DIGITS: OptionSpec = { name: 'digits', value: '<1..200>', help: 'significant digits, each verified by a second run at higher precision', default: '16' };
const JSON_OPT: OptionSpec = { name: 'json', flag: true, help: 'one JSON object on stdout, numbers as decimal strings' };
const HELP: OptionSpec = { name: 'help', flag: true, help: 'this help' };
const SW2: OptionSpec = { name: 'sw2', value: '<real >= 0>', help: 'weight variance sigma_w^2 (W_ij ~ N(0, sw2/N))' };
const SB2: OptionSpec = { name: 'sb2', value: '<real >= 0>', help: 'bias variance sigma_b^2' };

export const NETWORK_OPTIONS: OptionSpec[] = [
  { ...ACT, default: String(DEFAULT_NETWORK.act) },
  { name: 'alpha', value: '<real >= 0>', help: 'residual-branch scaling (amplitude; see --scaling)', default: String(DEFAULT_NETWORK.alpha) },
  { ...SW2, default: String(DEFAULT_NETWORK.sw2) },
  { ...SB2, default: String(DEFAULT_NETWORK.sb2) },
  { name: 'depth', value: '<integer >= 1>', help: 'number of layers L', default: String(DEFAULT_NETWORK.depth) },
  { name: 'q0', value: '<real > 0>', help: 'input variance K^0_11 = K^0_22', default: String(DEFAULT_NETWORK.q0) },
  { name: 'c0', value: '<real in [-1,1]>', help: 'input correlation K^0_12 / q0', default: String(DEFAULT_NETWORK.c0) },
  { name: 'skip', value: '<residual|none>', help: '"none" gives the plain feed-forward network K^l = C^l', default: 'residual' },
  { name: 'scaling', value: '<amplitude|variance>', help: 'read alpha as the branch amplitude (K += alpha^2 C) or variance factor (K += alpha C)', default: 'amplitude' },
];

function networkFrom(opts: ParsedArgs): Network {
  return network({
    act: opts.act as string,
    alpha: opts.alpha as string,
    sw2: opts.sw2 as string,
    sb2: opts.sb2 as string,
    depth: opts.depth as string,
    q0: opts.q0 as string,
    c0: opts.c0 as string,
    skip: opts.skip as string,
    scaling: opts.scaling as string,
  });
}

function digitsFrom(opts: ParsedArgs): number {
  return intParam('digits', opts.digits as string, 1, 200);
}


/** Parse, and handle --help; returns undefined when help was printed. */
function parse(cmd: Command, argv: string[], io: Io): ParsedArgs | undefined {
  const { opts, positional } = parseArgs(argv, cmd.options);
  if (opts.help) {
    io.out(helpText(cmd.name, cmd.summary, cmd.options));
    return undefined;
  }
  if (positional.length > 0) throw new InputError(cmd.name, `unexpected argument "${positional[0]}"`);
  return opts;
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, j) => Math.max(h.length, ...rows.map((r) => r[j].length)));
  const fmt = (r: string[]) => r.map((x, j) => (j === 0 ? x.padStart(widths[j]) : x.padEnd(widths[j]))).join('  ');
  return [fmt(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(fmt)].join('\n') + '\n';
}

function describe(net: Network): string {
  const skip = net.skip === 'none' ? 'feed-forward (no skip)' : `residual, alpha = ${net.alpha} (${net.scaling})`;
  return `act = ${net.act.name}, ${skip}, sw2 = ${net.sw2}, sb2 = ${net.sb2}, depth = ${net.depth}, q0 = ${net.q0}, c0 = ${net.c0}`;
}

const kernelCommand: Command = {
  name: 'kernel',
  summary: 'infinite-width kernels K^l_11, K^l_12 and the correlation c^l for every layer',
  options: [...NETWORK_OPTIONS, DIGITS, JSON_OPT, HELP],
  async run(argv, io) {
    const opts = parse(kernelCommand, argv, io);
    if (!opts) return 0;
    const net = networkFrom(opts);
    const digits = digitsFrom(opts);
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

function networkJson(net: Network): Record<string, unknown> {
  return { act: net.act.name, alpha: net.alpha, sw2: net.sw2, sb2: net.sb2, depth: net.depth, q0: net.q0, c0: net.c0, skip: net.skip, scaling: net.scaling };
}

const fixedPointCommand: Command = {
  name: 'fixed-point',
  summary: 'feed-forward fixed point q*, c*, slopes chi_1, chi_c and depth scales xi_q, xi_c',
  options: [{ ...ACT, default: 'tanh' }, { ...SW2, default: '1.5' }, { ...SB2, default: '0.05' }, DIGITS, JSON_OPT, HELP],
  async run(argv, io) {
    const opts = parse(fixedPointCommand, argv, io);
    if (!opts) return 0;
    const v = fixedPointAnalysis(opts.act as string, opts.sw2 as string, opts.sb2 as string, { digits: digitsFrom(opts) });
    if (opts.json) {
      io.out(JSON.stringify(v) + '\n');
      return 0;
    }
    io.out(`Feed-forward fixed point: act = ${v.act}, sw2 = ${v.sw2}, sb2 = ${v.sb2} (${v.digits} verified digits)\n\n`);
    const phase = Number(v.chi1) > 1 ? 'chaotic (chi_1 > 1)' : Number(v.chi1) < 1 ? 'ordered (chi_1 < 1)' : 'critical';
    const rows: [string, string, string][] = [
      ['q*', v.q_star, 'length fixed point'],
      ['c*', v.c_star, 'correlation fixed point'],
      ['chi_1', v.chi1, `sw2 <phi'(u)^2>: ${phase}`],
      ['chi_c', v.chi_c, "sw2 <phi'(u) phi'(v)> at c*"],
      ['xi_q', v.xi_q, 'length depth scale'],
      ['xi_c', v.xi_c, 'correlation depth scale'],
    ];
    io.out(rows.map(([k, x, d]) => `  ${k.padEnd(6)} ${x.padEnd(v.digits + 8)} ${d}`).join('\n') + '\n');
    return 0;
  },
};

const criticalCommand: Command = {
  name: 'critical',
  summary: 'the critical line: sw2 at which chi_1 = 1 for a given sb2 (feed-forward)',
  options: [{ ...ACT, default: 'tanh' }, { ...SB2, default: '0.05' }, DIGITS, JSON_OPT, HELP],
  async run(argv, io) {
    const opts = parse(criticalCommand, argv, io);
    if (!opts) return 0;
    const v = critical(opts.act as string, opts.sb2 as string, { digits: digitsFrom(opts) });
    if (opts.json) {
      io.out(JSON.stringify(v) + '\n');
      return 0;
    }
    io.out(`Critical line (chi_1 = 1): act = ${v.act}, sb2 = ${v.sb2} (${v.digits} verified digits)\n\n`);
    io.out(`  sw2 = ${v.sw2}\n  q*  = ${v.q_star ?? 'any (the length map is linear in q)'}\n`);
    return 0;
  },
};

const responseCommand: Command = {
  name: 'response',
  summary: 'mean-field response functions: chi = dK^L_11/dK^0_11, chi12 = dK^L_12/dK^0_12, sensitivity S = dc^L/dc^0',
  options: [...NETWORK_OPTIONS, DIGITS, JSON_OPT, HELP],
  async run(argv, io) {
    const opts = parse(responseCommand, argv, io);
    if (!opts) return 0;
    const r = response(networkFrom(opts), { digits: digitsFrom(opts) });
    if (opts.json) {
      io.out(JSON.stringify({ network: networkJson(r.network), digits: r.digits, chi: r.chi, chi12: r.chi12, sensitivity: r.sensitivity }) + '\n');
      return 0;
    }
    io.out(`Mean-field response: ${describe(r.network)} (${r.digits} verified digits)\n\n`);
    io.out(`  chi          ${r.chi}    dK^L_11 / dK^0_11\n  chi12        ${r.chi12}    dK^L_12 / dK^0_12 (fixed diagonal)\n  sensitivity  ${r.sensitivity}    dc^L / dc^0 (fixed q0)\n`);
    return 0;
  },
};

const optimalAlphaCommand: Command = {
  name: 'optimal-alpha',
  summary: 'the residual scaling alpha* maximising the correlation sensitivity dc^L/dc^0, with its large-depth formula',
  options: [...NETWORK_OPTIONS.filter((o) => o.name !== 'alpha' && o.name !== 'skip'), DIGITS, JSON_OPT, HELP],
  async run(argv, io) {
    const opts = parse(optimalAlphaCommand, argv, io);
    if (!opts) return 0;
    const r = optimalAlphaAnalysis(networkFrom({ ...opts, alpha: '1', skip: 'residual' }), { digits: digitsFrom(opts) });
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
    };
    if (opts.json) {
      io.out(JSON.stringify(out) + '\n');
      return 0;
    }
    const net = r.network;
    io.out(`Optimal residual scaling: act = ${net.act.name}, sw2 = ${net.sw2}, sb2 = ${net.sb2}, depth = ${net.depth}, q0 = ${net.q0}, c0 = ${net.c0} (${net.scaling} scaling)\n\n`);
    if (r.interior) io.out(`  alpha*       ${r.alpha}   (${r.digits} verified digits)\n  S(alpha*)    ${r.sensitivity}\n`);
    else io.out(`  ${r.note}\n`);
    io.out(`  formula      ${r.alpha_formula ?? 'no interior maximum of the continuum limit'}   (large-depth asymptotics)\n\n  ${r.formula_latex}\n  valid for: ${r.formula_validity}\n`);
    return 0;
  },
};

export const COMMANDS: Command[] = [kernelCommand, fixedPointCommand, criticalCommand, responseCommand, optimalAlphaCommand, validateCommand];
