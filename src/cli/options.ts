/**
 * What the commands share: the Command interface, the network options (one description of the
 * network for every command), and small helpers. Kept apart from commands.ts so that command
 * modules (validate.ts) can use them without an import cycle.
 */
import { parseArgs, helpText, OptionSpec, ParsedArgs, strayArgument } from './args';
import type { Io } from './main';
import { network, Network, DEFAULT_NETWORK, intParam } from '../model/network';
import { recordTable } from './csv';
import { textTable } from '../io/format';
import { readNetworkFile } from '../model/net/json';
import { NetDescription } from '../model/net/layers';
import { describeStandard } from '../model/net/standard';
import { NET_REPLACES, checkNetFlags, standardFromNet } from './netForm';

export interface Command {
  name: string;
  summary: string;
  options: OptionSpec[];
  /** The flags `--net` replaces (refused beside it by parse); default NET_REPLACES. */
  netReplaces?: readonly string[];
  run(argv: string[], io: Io): Promise<number>;
}

export const ACT: OptionSpec = {
  name: 'act',
  value: '<name|expr>',
  help: 'activation: relu, erf, tanh, linear, gelu, silu, sign, relu-power:k, or an expression in x such as "x/(1+abs(x))"',
};
export const DIGITS: OptionSpec = { name: 'digits', value: '<1..200>', help: 'significant digits, each verified by a second run at higher precision', default: '16' };
export const JSON_OPT: OptionSpec = { name: 'json', flag: true, help: 'one JSON object on stdout, numbers as decimal strings' };
export const HELP: OptionSpec = { name: 'help', flag: true, help: 'this help' };
export const SW2: OptionSpec = { name: 'sw2', value: '<real >= 0>', help: 'weight variance sigma_w^2 (W_ij ~ N(0, sw2/N))' };
export const SB2: OptionSpec = { name: 'sb2', value: '<real >= 0>', help: 'bias variance sigma_b^2' };

export const NETWORK_OPTIONS: OptionSpec[] = [
  { ...ACT, default: String(DEFAULT_NETWORK.act) },
  { name: 'alpha', value: '<real >= 0>', help: 'residual-branch scaling (amplitude; see --scaling)', default: String(DEFAULT_NETWORK.alpha) },
  { ...SW2, default: String(DEFAULT_NETWORK.sw2) },
  { ...SB2, default: String(DEFAULT_NETWORK.sb2) },
  { name: 'depth', value: '<integer 1..10^7>', help: 'number of layers L', default: String(DEFAULT_NETWORK.depth) },
  { name: 'q0', value: '<real > 0>', help: 'input variance K^0_11 = K^0_22', default: String(DEFAULT_NETWORK.q0) },
  { name: 'c0', value: '<real in [-1,1]>', help: 'input correlation K^0_12 / q0', default: String(DEFAULT_NETWORK.c0) },
  { name: 'skip', value: '<residual|none>', help: '"none" gives the plain feed-forward network K^l = C^l', default: 'residual' },
  { name: 'scaling', value: '<amplitude|variance>', help: 'read alpha as the branch amplitude (K += alpha^2 C) or variance factor (K += alpha C)', default: 'amplitude' },
  { name: 'net', value: '<file.json>', help: `the network as a layer description (docs/networks.md); replaces --${NET_REPLACES.join(', --')}` },
];

export function networkFrom(opts: ParsedArgs, what = 'this command'): Network {
  if (opts.net !== undefined) return standardFromNet(readNetworkFile(String(opts.net)), what);
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

/** The network as a layer description: read from --net, or today's form built from the flags. */
export function descriptionFrom(opts: ParsedArgs): NetDescription {
  return opts.net !== undefined ? readNetworkFile(String(opts.net)) : describeStandard(networkFrom(opts));
}

export function digitsFrom(opts: ParsedArgs): number {
  return intParam('digits', opts.digits as string, 1, 200);
}

/** --width of the one-loop (1/N) numbers, when given. */
export function widthFrom(opts: ParsedArgs): number | undefined {
  return opts.width !== undefined ? intParam('width', opts.width as string, 1, 1_000_000_000) : undefined;
}


/** Parse, and handle --help; returns undefined when help was printed. */
export function parse(cmd: Command, argv: string[], io: Io): ParsedArgs | undefined {
  const { opts, positional } = parseArgs(argv, cmd.options);
  if (opts.help) {
    io.out(helpText(cmd.name, cmd.summary, cmd.options));
    return undefined;
  }
  if (positional.length > 0) throw strayArgument(cmd.name, positional[0]);
  checkNetFlags(argv, opts, cmd.netReplaces);
  return opts;
}

/** A text table; under --csv the same header and rows are recorded for the CSV (name: the table column when there are several). */
export function table(header: string[], rows: string[][], name?: string): string {
  recordTable(header, rows, name);
  return textTable(header, rows);
}

export function describe(net: Network): string {
  const skip = net.skip === 'none' ? 'feed-forward (no skip)' : `residual, alpha = ${net.alpha} (${net.scaling})`;
  return `act = ${net.act.name}, ${skip}, sw2 = ${net.sw2}, sb2 = ${net.sb2}, depth = ${net.depth}, q0 = ${net.q0}, c0 = ${net.c0}`;
}

export function networkJson(net: Network): Record<string, unknown> {
  return { act: net.act.name, alpha: net.alpha, sw2: net.sw2, sb2: net.sb2, depth: net.depth, q0: net.q0, c0: net.c0, skip: net.skip, scaling: net.scaling };
}

