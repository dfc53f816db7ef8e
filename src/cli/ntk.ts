/**
 * `fieldprop ntk`: the infinite-width neural tangent kernel Theta^l_11, Theta^l_12 of every layer
 * (src/quantities/ntk.ts) with verified digits, its normalised form and large-depth limits;
 * `--sw2 eoc` puts a feed-forward network on the edge of chaos for the given sb2.
 */
import { InputError } from '../model/errors';
import { Command, NETWORK_OPTIONS, DIGITS, JSON_OPT, HELP, networkFrom, digitsFrom, parse, describe, networkJson, table } from './options';
import { CSV_OPT } from './csv';
import { ntkAnalysis } from '../quantities/ntk';
import { critical } from '../api';
import { intParam } from '../model/network';
import { empiricalNtkStats, EmpiricalNtkStats, NtkSimSpec, checkNtkSpec } from '../simulate/ntk';
import { formatNumber, formatMaybe } from '../io/format';
import { readNetworkFile } from '../model/net/json';
import { describeStandard, standardNetwork } from '../model/net/standard';
import { runNtkNet, ntkWidths, empiricalNetEntries, empiricalNetText } from './ntkNet';
import { checkLayers } from './cost';

/** z = (Monte Carlo mean - theory) / standard error. */
function z(mean: number, se: number, theory: number): number | null {
  return se > 0 ? (mean - theory) / se : null;
}

export interface EmpiricalBlock {
  width: number;
  samples: number;
  seed: number;
  layer: number;
  ntk_mean: string;
  ntk_se: string;
  ntk_z: string | null;
  ntk12_mean: string;
  ntk12_se: string;
  ntk12_z: string | null;
}

export function empiricalBlock(s: EmpiricalNtkStats, layer: number, ntk: number, ntk12: number): EmpiricalBlock {
  const f = (x: number): string => formatNumber(x, 6);
  const zf = (x: number | null): string | null => formatMaybe(x, 3);
  return {
    width: s.width, samples: s.samples, seed: s.seed, layer,
    ntk_mean: f(s.ntk_mean), ntk_se: f(s.ntk_se), ntk_z: zf(z(s.ntk_mean, s.ntk_se, ntk)),
    ntk12_mean: f(s.ntk12_mean), ntk12_se: f(s.ntk12_se), ntk12_z: zf(z(s.ntk12_mean, s.ntk12_se, ntk12)),
  };
}

/** Significant digits of the critical sw2 used by `--sw2 eoc`: the requested digits + 6, at least 18 (so |chi_1 - 1| < 1e-12). */
export function eocDigits(digits: number): number {
  return Math.max(digits + 6, 18);
}

export const ntkCommand: Command = {
  name: 'ntk',
  summary: 'infinite-width neural tangent kernel Theta^l_11, Theta^l_12 per layer, normalised NTK and its large-depth limit',
  options: [
    ...NETWORK_OPTIONS.map((o) => (o.name === 'sw2' ? { ...o, value: '<real >= 0|eoc>', help: `${o.help}; "eoc": the edge of chaos chi_1 = 1 for the given sb2 (critical sw2 to max(digits + 6, 18) verified digits)` } : o)),
    { name: 'biases', value: '<trained|frozen>', help: 'are the biases trained (their gradients add sb2 to each layer\'s direct term)?', default: 'trained' },
    { name: 'input-layer', value: '<trained|frozen>', help: 'is the input layer trained (Theta^0 = K^0) or frozen (Theta^0 = 0)?', default: 'trained' },
    { name: 'width', value: '<1..1024>', help: 'also the empirical NTK of explicit networks of this width (mean over --samples networks, z-scores against the theory at the last layer)' },
    { name: 'widths', value: '<N1,N2,...>', help: 'the empirical NTK at several widths (replaces --width): each entry fitted by A + B/N, the intercept A tested against the theory' },
    { name: 'samples', value: '<2..100000>', help: 'networks in the empirical average', default: '100' },
    { name: 'seed', value: '<integer 0..2^53-1>', help: 'random seed of the empirical networks', default: '1' },
    DIGITS,
    JSON_OPT,
    CSV_OPT,
    HELP,
  ],
  async run(argv, io) {
    const opts = parse(ntkCommand, argv, io);
    if (!opts) return 0;
    const desc = opts.net !== undefined ? readNetworkFile(String(opts.net)) : undefined;
    if (desc && standardNetwork(desc) === undefined) return runNtkNet(desc, opts, io);
    const widths = ntkWidths(opts);
    const digits = digitsFrom(opts);
    let sw2 = opts.sw2 as string;
    let eoc: string | undefined;
    if (sw2 === 'eoc') {
      eoc = critical(opts.act as string, opts.sb2 as string, { digits: eocDigits(digits) }).sw2;
      sw2 = eoc;
    }
    const net = networkFrom({ ...opts, sw2 }, 'the NTK recursion');
    let spec: NtkSimSpec | undefined;
    let samples = 0;
    let seed = 0;
    if (opts.width !== undefined) {
      const width = intParam('width', opts.width as string, 1, 1024);
      samples = intParam('samples', opts.samples as string, 2, 100_000);
      seed = intParam('seed', opts.seed as string, 0, Number.MAX_SAFE_INTEGER);
      if (net.depth > 1000) throw new InputError('depth', `the empirical NTK stores every weight matrix: depth must be <= 1000 with --width, got ${net.depth}`);
      const alpha = Number(net.alpha);
      spec = {
        width, depth: net.depth, act: net.act.name, sw2: Number(net.sw2), sb2: Number(net.sb2), skip: net.skip,
        branch: net.scaling === 'amplitude' ? alpha : Math.sqrt(alpha), q0: Number(net.q0), c0: Number(net.c0),
      };
      checkNtkSpec(spec); // before the (possibly long) verified theory
    }
    checkLayers('ntk', net, digits);
    const r = ntkAnalysis(net, { digits, biases: opts.biases as string, inputLayer: opts['input-layer'] as string });
    const empWidths = widths && widths.length >= 2 ? empiricalNetEntries(describeStandard(net), widths, intParam('samples', opts.samples as string, 2, 100_000), intParam('seed', opts.seed as string, 0, Number.MAX_SAFE_INTEGER), { biases: r.biases, inputLayer: r.input_layer }, [[Number(r.ntk[net.depth]), Number(r.ntk12[net.depth])], [Number(r.ntk12[net.depth]), Number(r.ntk[net.depth])]]) : undefined;
    let emp: EmpiricalBlock | undefined;
    if (spec) {
      const st = empiricalNtkStats({ ...spec, biases: r.biases, inputLayer: r.input_layer }, samples, seed);
      emp = empiricalBlock(st, net.depth, Number(r.ntk[net.depth]), Number(r.ntk12[net.depth]));
    }
    if (opts.json) {
      io.out(JSON.stringify({
        network: networkJson(net), digits, biases: r.biases, input_layer: r.input_layer, ...(eoc ? { eoc: true } : {}),
        ntk: r.ntk, ntk12: r.ntk12, ratio: r.ratio, limits: r.limits, ...(emp ? { empirical: emp } : {}), ...(empWidths ? { empirical_widths: empWidths } : {}),
      }) + '\n');
      return 0;
    }
    io.out(`Neural tangent kernel (NTK parameterisation; biases ${r.biases}, input layer ${r.input_layer}): ${describe(net)}\n`);
    if (eoc) io.out(`sw2 = ${eoc}: the edge of chaos for sb2 = ${net.sb2} (chi_1 = 1, ${eocDigits(digits)} verified digits).\n`);
    io.out(`Every entry verified to ${digits} significant digits (two runs at different working precision agree).\n\n`);
    const rows = r.ntk.map((t, l) => [String(l), t, r.ntk12[l], r.ratio[l] ?? '-']);
    io.out(table(['layer', 'Theta_11', 'Theta_12', 'Theta_12/Theta_11'], rows, 'theory'));
    const L = r.limits;
    io.out(`\nLarge depth: ${L.regime}. ${L.note}.\n`);
    const lines: [string, string | null][] = [
      ['chi_1', L.chi1], ['q*', L.q_star], ['c*', L.c_star], ['chi_c', L.chi_c],
      ['lim Theta_12/Theta_11', L.normalised],
      [L.regime === 'critical' ? 'lim Theta_11/L' : L.regime === 'chaotic' ? 'lim Theta_12' : 'lim Theta_11 = lim Theta_12', L.theta],
      ['lim Theta_12/L', L.theta12], ['lim Theta^(L+1)_11/Theta^L_11', L.growth],
    ];
    for (const [k, x] of lines) if (x !== null) io.out(`  ${k.padEnd(30)} ${x}\n`);
    if (emp) {
      io.out(`\nEmpirical NTK at layer ${emp.layer}: ${emp.samples} explicit networks of width ${emp.width} (seed ${emp.seed}), (1/N) tr Theta^L, mean +- standard error; z = (mean - theory)/se includes the O(1/N) finite-width bias.\n`);
      io.out(table(['quantity', 'theory', 'empirical', 'se', 'z'], [
        ['Theta_11', r.ntk[net.depth], emp.ntk_mean, emp.ntk_se, emp.ntk_z ?? '-'],
        ['Theta_12', r.ntk12[net.depth], emp.ntk12_mean, emp.ntk12_se, emp.ntk12_z ?? '-'],
      ], 'empirical'));
    }
    if (empWidths) io.out(empiricalNetText(empWidths, Number(opts.samples), Number(opts.seed)));
    return 0;
  },
};
