/**
 * `fieldprop exponents`: the power laws of mean-field residual networks (Yang & Schoenholz):
 * length, cosine distance and gradient explosion, each exponent derived in closed form next to
 * the exponent fitted to the recursion iterated over --depth layers (src/quantities/exponents.ts).
 */
import { Command, ACT, JSON_OPT, HELP, SW2, SB2, parse, table } from './options';
import { CSV_OPT } from './csv';
import { OptionSpec } from './args';
import { residualSpec, RESIDUAL_DEFAULTS, ResidualSpec } from '../quantities/residualMF';
import { analyseExponents, ExponentAnalysis, Law, optimalVariance, OptimalVariance } from '../quantities/exponents';
import { realParam } from '../model/network';
import { NET_OPTION, residualFromNet, checkNetFlags } from './netForm';
import { readNetworkFile } from '../model/net/json';
import { formatMaybe } from '../io/format';

export const RESIDUAL_OPTIONS: OptionSpec[] = [
  { ...ACT, help: 'activation: tanh or relu-power:k with 0 < k <= 1 (relu = relu-power:1)', default: RESIDUAL_DEFAULTS.act },
  { name: 'arch', value: '<reduced|full>', help: 'residual branch of one layer (x + phi(Wx+b)) or two (x + V phi(Wx+b) + a)', default: RESIDUAL_DEFAULTS.arch },
  { name: 'sv2', value: '<real > 0>', help: 'variance sigma_v^2 of the second branch layer V (full only)', default: RESIDUAL_DEFAULTS.sv2 },
  { ...SW2, value: '<real > 0>', default: RESIDUAL_DEFAULTS.sw2 },
  { name: 'sa2', value: '<real >= 0>', help: 'variance sigma_a^2 of the second bias a (full only)', default: RESIDUAL_DEFAULTS.sa2 },
  { ...SB2, default: RESIDUAL_DEFAULTS.sb2 },
  { name: 'q0', value: '<real > 0>', help: 'input length p^0 = |x|^2/N of both inputs', default: RESIDUAL_DEFAULTS.q0 },
  { name: 'c0', value: '<real in [-1,1)>', help: 'cosine e^0 of the two inputs', default: RESIDUAL_DEFAULTS.c0 },
  { name: 'depth', value: '<integer 10^4..10^7>', help: 'number of layers L iterated; exponents are fitted over [L/1000, L]', default: String(RESIDUAL_DEFAULTS.depth) },
];

/** The flags a `--net` file replaces here (the residual network's own as well as the shared ones). */
const EXPONENTS_NET_REPLACES = ['act', 'arch', 'sv2', 'sw2', 'sa2', 'sb2', 'q0', 'c0', 'depth'];

export function residualSpecFrom(opts: Record<string, string | boolean | undefined>, argv: string[] = []): ResidualSpec {
  if (opts.net !== undefined) {
    checkNetFlags(argv, opts, EXPONENTS_NET_REPLACES);
    const r = residualFromNet(readNetworkFile(String(opts.net)), 'exponents');
    return residualSpec({ ...r, depth: String(r.depth) });
  }
  const s = (k: string) => opts[k] as string | undefined;
  return residualSpec({ arch: s('arch'), act: s('act'), sv2: s('sv2'), sw2: s('sw2'), sa2: s('sa2'), sb2: s('sb2'), q0: s('q0'), c0: s('c0'), depth: s('depth') });
}

export function specJson(spec: ResidualSpec): Record<string, unknown> {
  return { arch: spec.arch, act: spec.act.name, sv2: spec.sv2, sw2: spec.sw2, sa2: spec.sa2, sb2: spec.sb2, q0: spec.q0, c0: spec.c0, depth: spec.depth };
}

const fmt = (x: number | null | undefined, d = 8): string | null => formatMaybe(x, d);

/** |extrapolated - derived| / error: the deviation in units of the fit's error. */
export function deviation(l: Law): number | null {
  if (l.derived === null || l.extrapolated === null || l.error === null) return null;
  const dev = Math.abs(l.extrapolated - l.derived);
  return l.error > 0 ? dev / l.error : dev === 0 ? 0 : Infinity;
}

/** Significant digits of e* that its source supports: 12, or fewer from the relu-power:k table's error. */
export function eStarDigits(a: ExponentAnalysis): number {
  if (a.eStarError === undefined) return 12;
  const rel = a.eStarError / Math.max(Math.abs(a.eStar), 1e-300);
  return Math.max(2, Math.min(12, Math.floor(-Math.log10(Math.max(rel, 1e-16)))));
}

function eStarNote(a: ExponentAnalysis): string {
  return `${eStarDigits(a)} significant digits: e* solves f(e) = e on the relu-power interpolation table, accurate to ${(a.eStarError ?? 0).toExponential(1)} in e*`;
}

export function exponentsJson(a: ExponentAnalysis): Record<string, unknown> {
  return {
    network: specJson(a.spec),
    seconds: fmt(a.seconds, 3),
    fit_windows: a.windows,
    e_star: fmt(a.eStar, eStarDigits(a)),
    ...(a.eStarError !== undefined ? { e_star_note: eStarNote(a) } : {}),
    slope_at_e_star: fmt(a.slopeAtEStar, 12),
    distance_candidates: a.distanceCandidates.map((c) => ({ source: c.source, exponent: fmt(c.exponent, 12) })),
    laws: a.laws.map((l) => ({
      law: l.law,
      fitted_quantity: l.fitted_quantity,
      form: l.form,
      derived: fmt(l.derived, 12),
      derived_latex: l.derived_latex,
      ...(l.coefficient !== undefined ? { coefficient: fmt(l.coefficient, 12), coefficient_latex: l.coefficient_latex } : {}),
      fitted: fmt(l.fitted),
      previous: fmt(l.previous),
      previous2: fmt(l.previous2),
      extrapolated: fmt(l.extrapolated),
      error: fmt(l.error, 3),
      stderr: fmt(l.stderr, 3),
      deviation_in_errors: deviation(l) === Infinity ? null : fmt(deviation(l), 3),
      ...(deviation(l) === Infinity ? { deviation_note: 'the fit\'s error estimate is 0, so the deviation cannot be measured in errors: compare extrapolated with derived' } : {}),
      ...(l.note ? { note: l.note } : {}),
    })),
    ...(a.warnings.length ? { warnings: a.warnings } : {}),
    final: { layer: a.final.layer, ln_p: fmt(a.final.logP, 12), cosine: fmt(a.final.cosine, 12), G: fmt(a.final.G, 12) },
  };
}

/** The sampled layers of the iterated recursion, 12 significant digits (float64 recursion). */
export function trajectoryJson(a: ExponentAnalysis): { layer: number[]; ln_p: string[]; cosine: string[]; one_minus_e: string[]; G: (string | null)[]; ln_m: (string | null)[] } {
  const s = a.samples;
  return {
    layer: s.layer,
    ln_p: s.logP.map((x) => fmt(x, 12) as string),
    cosine: s.oneMinusE.map((x) => fmt(1 - x, 12) as string),
    one_minus_e: s.oneMinusE.map((x) => fmt(x, 12) as string),
    G: s.G.map((x) => fmt(x, 12)),
    ln_m: s.logM.map((x) => fmt(x, 12)),
  };
}

export function optimalVarianceJson(ov: OptimalVariance): Record<string, unknown> {
  return {
    target: fmt(ov.target, 12),
    depths: ov.depths,
    sw2: ov.sw2.map((x) => fmt(x, 10)),
    L_sw2: ov.scaled.map((x) => fmt(x, 10)),
    derived: '-1',
    fitted: fmt(ov.fitted),
    previous: fmt(ov.previous),
    error: fmt(ov.error, 3),
  };
}

export const exponentsCommand: Command = {
  name: 'exponents',
  summary: 'power laws of mean-field residual networks (length, cosine distance, gradient): derived exponents next to fits of the recursion iterated over --depth layers',
  options: [
    ...RESIDUAL_OPTIONS,
    { name: 'target', value: '<real > 0>', help: 'tanh only: also the depth-dependent sw2*(L) at which the gradient explosion ln(chi^0/chi^L) equals this target, at L/100, L/10 and L' },
    { ...NET_OPTION, help: 'the network as a layer description (docs/networks.md): repeat(L, residual(1, [dense, act])) (reduced) or repeat(L, residual(1, [dense, act, dense])) (full); replaces the network flags' },
    { name: 'trajectory', flag: true, help: 'also the per-layer trajectory (every layer up to 100, then 40 per decade): ln p^l, the cosine e^l, 1 - e^l, G^l and the mean m^l' },
    JSON_OPT,
    CSV_OPT,
    HELP,
  ],
  async run(argv, io) {
    const opts = parse(exponentsCommand, argv, io);
    if (!opts) return 0;
    const spec = residualSpecFrom(opts, argv);
    const target = opts.target !== undefined ? Number(realParam('target', opts.target as string, { min: 0, minExclusive: true, what: '> 0 (a gradient explosion ln(chi^0/chi^L))' })) : undefined;
    const ov = target !== undefined ? optimalVariance(spec, target) : undefined;
    const a = analyseExponents(spec);
    for (const w of a.warnings) io.err(`fieldprop exponents: warning: ${w}\n`);
    if (opts.json) {
      io.out(JSON.stringify({ ...exponentsJson(a), ...(ov ? { optimal_variance: optimalVarianceJson(ov) } : {}), ...(opts.trajectory ? { trajectory: trajectoryJson(a) } : {}) }) + '\n');
      return 0;
    }
    const s = spec;
    io.out(`Mean-field ${s.arch} residual network: act = ${s.act.name}, sv2 = ${s.sv2}, sw2 = ${s.sw2}, sa2 = ${s.sa2}, sb2 = ${s.sb2}, q0 = ${s.q0}, c0 = ${s.c0}, depth = ${s.depth}\n`);
    io.out(`Recursion iterated in float64 in ${a.seconds.toFixed(2)} s; slopes fitted over the decades ${a.windows.map((w) => `[${w[0]}, ${w[1]}]`).join(', ')}.\n`);
    io.out(`Asymptotic cosine e* = ${fmt(a.eStar, Math.min(10, eStarDigits(a)))}${a.eStarError !== undefined ? ` (${eStarNote(a)})` : ''}, slope of the asymptotic correlation map there ${fmt(a.slopeAtEStar, 10)}.\n\n`);
    const rows = a.laws.map((l) => [
      l.law,
      l.form,
      fmt(l.derived, 8) ?? 'none',
      fmt(l.fitted, 6) ?? '-',
      fmt(l.extrapolated, 6) ?? '-',
      fmt(l.error, 2) ?? '-',
      deviation(l) === Infinity ? 'n/a (error 0)' : fmt(deviation(l), 2) ?? '-',
    ]);
    io.out(table(['law', 'form', 'derived', 'fit (last decade)', 'extrapolated', 'error', '|dev|/error'], rows, 'exponents'));
    io.out('\n');
    for (const l of a.laws) {
      io.out(`  ${l.law}: ${l.fitted_quantity}`);
      if (l.derived_latex) io.out(`; exponent ${l.derived_latex}`);
      if (l.coefficient !== undefined) io.out(`; coefficient ${l.coefficient_latex} = ${fmt(l.coefficient, 8)}`);
      io.out('\n');
      if (l.note) io.out(`    ${l.note}\n`);
    }
    if (ov) {
      io.out(`\nDepth-dependent variance: sw2*(L) with ln(chi^0/chi^L) = ${ov.target} (derived: sw2* ~ u*/L, exponent -1)\n`);
      io.out(table(['L', 'sw2*(L)', 'L sw2*(L)'], ov.depths.map((L, i) => [String(L), fmt(ov.sw2[i], 10) as string, fmt(ov.scaled[i], 8) as string]), 'sw2*(L)'));
      io.out(`  fitted exponent ${fmt(ov.fitted, 6)} (previous decade ${fmt(ov.previous, 6)}, error ${fmt(ov.error, 2)}), derived -1\n`);
    }
    if (opts.trajectory) {
      const t = trajectoryJson(a);
      io.out('\nTrajectory of the iterated recursion:\n');
      io.out(table(['layer', 'ln p', 'e', '1 - e', 'G', 'ln m'], t.layer.map((l, i) => [String(l), t.ln_p[i], t.cosine[i], t.one_minus_e[i], t.G[i] ?? '-', t.ln_m[i] ?? '-'])));
    }
    io.out(`\nAt layer ${a.final.layer}: ln p = ${fmt(a.final.logP, 10)}, cosine e = ${fmt(a.final.cosine, 10)}, ln(chi^0/chi^L) = ${fmt(a.final.G, 10) ?? 'infinite'}\n`);
    return 0;
  },
};
