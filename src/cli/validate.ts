/**
 * `fieldprop validate`: Monte Carlo over finite-width networks against the theory.
 * Registered in COMMANDS (src/cli/commands.ts).
 * and add `validateCommand` to the array.
 */
import { parseArgs, helpText, OptionSpec, ParsedArgs, strayArgument } from './args';
import type { Io } from './main';
import type { Command } from './options';
import * as commands from './options';
import { network, intParam, realParam } from '../model/network';
import { InputError } from '../model/errors';
import { MAX_WIDTH } from '../simulate/spec';
import { MAX_SEED } from '../simulate/rng';
import { LayerRow, QuantityReport, ValidationReport, validate, FitReport } from '../simulate/validate';
import { writeValidationPlot } from '../simulate/plot';
import { runMerge, runShard, shardOption } from './validateShard';
import { CSV_OPT, recordTable } from './csv';
import { checkNetFlags, standardFromNet } from './netForm';
import { readNetworkFile } from '../model/net/json';
import { standardNetwork } from '../model/net/standard';
import { runValidateNet } from './validateNet';
import { checkLoopLayers, checkMonteCarlo } from './cost';
import { ProgressLine } from '../io/progress';
import { formatPadded as num, formatZ as zText, textTable } from '../io/format';

const MAX_SAMPLES = 1_000_000_000;

/**
 * Fewest networks per width for a verdict. The z-scores divide by a standard error estimated from
 * the same n networks and are compared with normal quantiles at the Bonferroni level (|z| about
 * 3.3..4.5); the real tail is Student-t with n - 1 degrees of freedom, whose false-alarm rate at
 * those thresholds is 1.4..2.6 times the normal one at n = 100, 2.6..13 times at n = 30 and over
 * 10^4 times at n = 2.
 */
export const MIN_SAMPLES = 100;
const SAMPLES_RULE = (v: string): string =>
  `at least ${MIN_SAMPLES} networks per width are needed for a verdict, got ${v}: the z-scores use a standard error estimated from the samples and normal tails, which below ${MIN_SAMPLES} samples understate the false-alarm rate by more than a factor 3 (docs/validate.md, "Sample size")`;

export const VALIDATE_DEFAULTS = { width: '32', samples: '10000', seed: '1', sampler: 'fast', delta: '0.01', fwer: '0.01' };

/** The options (network options shared with every command, plus the simulation's own), built on first use. */
let optionsCache: OptionSpec[] | undefined;
export function validateOptions(): OptionSpec[] {
  if (!optionsCache) optionsCache = buildOptions();
  return optionsCache;
}

const buildOptions = (): OptionSpec[] => [
  ...commands.NETWORK_OPTIONS.map((o) =>
    o.name === 'c0'
      ? { ...o, default: undefined, help: 'input correlation: simulate two inputs (and dc/dc0 with --delta); without it, one input' }
      : o,
  ),
  { name: 'width', value: '<integer 1..2^20>', help: 'hidden width N', default: VALIDATE_DEFAULTS.width },
  { name: 'widths', value: '<N1,N2,...>', help: 'several widths (replaces --width): also fits N (MC - mean field) = a + b/N and tests the intercept' },
  {
    name: 'samples', value: `<integer ${MIN_SAMPLES}..10^9>`, help: `simulated networks per width (at least ${MIN_SAMPLES}: see docs/validate.md, "Sample size")`, default: VALIDATE_DEFAULTS.samples,
    check: (v) => {
      if (Number(v) >= 2 && Number(v) < MIN_SAMPLES) throw new InputError('samples', SAMPLES_RULE(v));
    },
  },
  { name: 'seed', value: `<integer 0..2^53-1>`, help: 'random seed (network k uses its own stream of (seed, k): same numbers on any machine and thread count)', default: VALIDATE_DEFAULTS.seed },
  { name: 'sampler', value: '<fast|full>', help: 'fast: exact conditional-Gaussian sampler, O(N) per layer; full: explicit N x N weights, O(N^2)', default: VALIDATE_DEFAULTS.sampler },
  { name: 'delta', value: '<real in [0,1]>', help: 'with --c0: central-difference step of dc^l/dc^0 (two extra inputs at c0 +- delta); 0 turns it off', default: VALIDATE_DEFAULTS.delta },
  { name: 'fwer', value: '<real in (0,0.5]>', help: 'family-wise false-alarm rate of the verdict (Bonferroni over all checked values)', default: VALIDATE_DEFAULTS.fwer },
  { name: 'threads', value: '<integer 1..64>', help: 'worker threads (default: both cores for runs longer than about a second)' },
  { name: 'plot', value: '<file.svg>', help: 'write an SVG: theory vs simulation across layers (and the 1/N fits with --widths)' },
  { name: 'shard', value: '<i/n>', help: 'simulate only shard i of n (1-based; needs --out): blocks b with b mod n = i - 1 of every width' },
  { name: 'out', value: '<file.json>', help: "write the shard's raw moment sums and the run specification (alone: the whole run as shard 1/1)" },
  { name: 'merge', flag: true, help: 'validate --merge FILE...: the report of the run the n shard files make up (identical to the unsharded run)' },
  { name: 'json', flag: true, help: 'one JSON object on stdout (numbers as JSON numbers, null where undefined)' },
  { ...CSV_OPT, help: 'CSV on stdout: every layer of every quantity (and fit), numbers in full precision; with fits a first column "table"' },
  { name: 'help', flag: true, help: 'this help' },
];

export interface ValidateSettings {
  widths: number[];
  samples: number;
  seed: number;
  sampler: 'fast' | 'full';
  twoInputs: boolean;
  delta: number | null;
  fwer: number;
  threads?: number;
  plot?: string;
  json: boolean;
}

/** Parse and check validate's own options (InputError: one line, exit code 2). */
export function validateSettings(opts: ParsedArgs): ValidateSettings {
  let widths: number[];
  if (opts.widths !== undefined) {
    const text = String(opts.widths).trim();
    if (!/^\s*[+]?\d+(\s*,\s*[+]?\d+)*\s*$/.test(text)) {
      throw new InputError('widths', `expected a comma-separated list of integers such as 16,32,64, got "${text}"`);
    }
    widths = text.split(',').map((w) => intParam('widths', w, 1, MAX_WIDTH));
    if (new Set(widths).size !== widths.length) throw new InputError('widths', `lists a width twice: "${text}"`);
    if (opts.width !== VALIDATE_DEFAULTS.width && opts.width !== undefined) throw new InputError('widths', 'replaces --width; give one or the other');
  } else {
    widths = [intParam('width', opts.width as string, 1, MAX_WIDTH)];
  }
  const samples = intParam('samples', opts.samples as string, MIN_SAMPLES, MAX_SAMPLES);
  const seed = intParam('seed', opts.seed as string, 0, MAX_SEED);
  const sampler = String(opts.sampler);
  if (sampler !== 'fast' && sampler !== 'full') throw new InputError('sampler', `must be "fast" or "full", got "${sampler}"`);
  const twoInputs = opts.c0 !== undefined || opts.net !== undefined;
  const d = Number(realParam('delta', opts.delta as string, { min: 0, max: 1, what: 'in [0, 1]' }));
  const delta = twoInputs && d > 0 ? d : null;
  const fwer = Number(realParam('fwer', opts.fwer as string, { min: 0, minExclusive: true, max: 0.5, what: 'in (0, 0.5]' }));
  const threads = opts.threads !== undefined ? intParam('threads', opts.threads as string, 1, 64) : undefined;
  const plot = opts.plot !== undefined ? String(opts.plot) : undefined;
  if (plot !== undefined && plot.trim() === '') throw new InputError('plot', 'needs a file name');
  return { widths, samples, seed, sampler, twoInputs, delta, fwer, threads, plot, json: opts.json === true };
}

/** Layers shown in the text tables: all up to 20, else about 12 evenly spaced (and the last). */
function shownLayers(rows: { layer: number }[]): Set<number> {
  if (rows.length <= 21) return new Set(rows.map((r) => r.layer));
  const first = rows[0].layer;
  const last = rows[rows.length - 1].layer;
  const step = Math.ceil((last - first) / 12);
  const s = new Set<number>();
  for (let l = first; l <= last; l += step) s.add(l);
  s.add(last);
  return s;
}

function table(header: string[], rows: string[][]): string {
  return textTable(header, rows, { indent: '  ', align: 'right' });
}

function verdictWord(p: boolean | null): string {
  return p === null ? 'reported' : p ? 'PASS' : 'FAIL';
}

function quantityText(q: QuantityReport): string {
  const against =
    q.checked_against === 'one_loop' ? 'checked against one-loop'
      : q.checked_against === 'mean_field' ? 'checked against mean field'
        : q.name.startsWith('var_') ? 'reported: one-loop gives its leading order only; checked by the fit across --widths'
          : 'not checked';
  const mfNote = q.mean_field_pass === false && q.checked_against === 'one_loop' ? '; mean field alone: FAIL' : q.mean_field_pass === true && q.checked_against === 'one_loop' ? '; mean field alone: pass' : '';
  const head = `${q.name}: ${q.description}  [${against}] ${verdictWord(q.pass)}${q.max_abs_z !== null ? ` (max |z| = ${q.max_abs_z.toFixed(2)})` : ''}${mfNote}\n`;
  const show = shownLayers(q.layers);
  const rows = q.layers.filter((r) => show.has(r.layer)).map((r: LayerRow) => [
    String(r.layer), `${num(r.mc_mean)} ± ${num(r.mc_se, 2)}`, num(r.theory_mf), num(r.theory_1loop), zText(r.z_mf), zText(r.z_1loop), r.pass === null ? '' : r.pass ? 'ok' : 'FAIL',
  ]);
  const note = show.size < q.layers.length ? `  (${show.size} of ${q.layers.length} layers shown; --json for all)\n` : '';
  return head + table(['layer', 'MC ± SE', 'mean field', 'one-loop', 'z(mf)', 'z(1-loop)', ''], rows) + note;
}

function fitText(f: FitReport): string {
  const against = f.checked_against === 'one_loop' ? 'intercept checked against the one-loop coefficient' : f.checked_against === 'mean_field' ? 'intercept checked against mean field (0)' : 'not checked';
  const head = `${f.description}  [${against}] ${verdictWord(f.pass)}${f.mean_field_pass === false ? '; mean field (a = 0): FAIL' : f.mean_field_pass === true ? '; mean field (a = 0): pass' : ''}\n`;
  const show = shownLayers(f.layers);
  const rows = f.layers.filter((r) => show.has(r.layer)).map((r) => [
    String(r.layer), `${num(r.slope)} ± ${num(r.slope_se, 2)}`, `[${num(r.ci95[0], 4)}, ${num(r.ci95[1], 4)}]`, num(r.theory_1loop), zText(r.z), zText(r.z_mf), `${num(r.chi2, 3)}/${r.dof}`,
  ]);
  return head + table(['layer', 'a ± SE', '95% CI', 'one-loop', 'z', 'z(a=0)', 'chi2/dof'], rows);
}

/** Under --csv: every layer of every quantity and fit (not only the layers the text shows), numbers in full precision. */
function recordValidationTables(r: ValidationReport): void {
  const v = (x: number | null | undefined) => (x === null || x === undefined || Number.isNaN(x) ? '' : String(x));
  const p = (x: boolean | null) => (x === null ? '' : x ? 'pass' : 'FAIL');
  const rows = r.runs.flatMap((run) => Object.values(run.quantities).flatMap((q) => q.layers.map((l) => [
    String(run.width), q.name, String(l.layer), v(l.mc_mean), v(l.mc_se), v(l.theory_mf), v(l.theory_1loop), v(l.z_mf), v(l.z_1loop), q.checked_against ?? '', p(l.pass),
  ])));
  recordTable(['width', 'quantity', 'layer', 'mc', 'se', 'mean_field', 'one_loop', 'z_mf', 'z_1loop', 'checked_against', 'pass'], rows, 'widths');
  const fits = Object.values(r.fits).flatMap((f) => f.layers.map((l) => [
    f.name, String(l.layer), v(l.slope), v(l.slope_se), v(l.ci95[0]), v(l.ci95[1]), v(l.next_order), v(l.theory_1loop), v(l.z), v(l.z_mf), v(l.chi2), String(l.dof), f.checked_against ?? '', p(l.pass),
  ]));
  if (fits.length) recordTable(['quantity', 'layer', 'a', 'a_se', 'ci95_lo', 'ci95_hi', 'b', 'one_loop', 'z', 'z_mf', 'chi2', 'dof', 'checked_against', 'pass'], fits, 'fits');
}

export function reportText(r: ValidationReport): string {
  recordValidationTables(r);
  const net = r.network;
  const skip = net.skip === 'none' ? 'feed-forward (no skip)' : `residual, alpha = ${net.alpha} (${net.scaling})`;
  const out: string[] = [];
  out.push(`Monte Carlo validation: act = ${net.act}, ${skip}, sw2 = ${net.sw2}, sb2 = ${net.sb2}, depth = ${net.depth}`);
  out.push(`Inputs: ${r.inputs.description}`);
  const simSeconds = r.runs.reduce((a, x) => a + x.seconds, 0);
  out.push(`Simulation: ${r.sampler} sampler, ${r.samples} networks per width, width${r.widths.length > 1 ? 's' : ''} ${r.widths.join(', ')}, seed ${r.seed}, ${simSeconds.toFixed(1)} s`);
  out.push(`Theory (${r.theory.seconds.toFixed(1)} s): ${r.theory.mean_field}; ${r.theory.one_loop}`);
  out.push(`Rule: ${r.rule.statement}`);
  if (r.interrupted) out.push(`INTERRUPTED: statistics of the networks simulated so far (${r.runs.map((x) => `${x.samples} at N = ${x.width}`).join(', ')}); no verdict.`);
  out.push('');
  for (const run of r.runs) {
    out.push(`== width N = ${run.width}: ${run.samples} networks, ${run.seconds.toFixed(1)} s, ${run.threads} thread${run.threads > 1 ? 's' : ''}`);
    out.push('');
    for (const q of Object.values(run.quantities)) out.push(quantityText(q));
  }
  if (Object.keys(r.fits).length) {
    out.push(`== fits across widths ${r.widths.join(', ')}`);
    out.push('');
    for (const f of Object.values(r.fits)) out.push(fitText(f));
  }
  out.push(`Verdict: ${r.interrupted ? 'none (interrupted)' : r.pass ? 'PASS' : 'FAIL'} (${r.rule.tests} checked values, |z| <= ${r.rule.z_threshold.toFixed(3)})`);
  return out.join('\n') + '\n';
}

/** Replace non-finite numbers by null for JSON. */
export function jsonSafe(_key: string, v: unknown): unknown {
  return typeof v === 'number' && !Number.isFinite(v) ? null : v;
}


export interface ValidateRunHooks {
  /** Abort signal (tests); by default SIGINT aborts the run. */
  signal?: AbortSignal;
  /** Whether stderr is a terminal (progress bar); default process.stderr.isTTY. */
  isTTY?: boolean;
}

/** Exit code of a run whose verdict is FAIL (2: bad input, 3: numerical error, as everywhere). */
export const EXIT_FAIL = 4;
export const EXIT_INTERRUPTED = 130;

/** Run the command; exit code 0 (pass), 4 (fail), 130 (interrupted; partial statistics printed). */
/**
 * The abort signal of a Monte Carlo run: the caller's, or one that Ctrl-C raises (the run then
 * stops after the current chunk and reports what it has; a second Ctrl-C exits at once).
 * `release` removes the SIGINT handler.
 */
export function interruptSignal(given?: AbortSignal): { signal: AbortSignal; release: () => void } {
  if (given) return { signal: given, release: () => undefined };
  const controller = new AbortController();
  let count = 0;
  const onSigint = () => {
    count++;
    if (count > 1) process.exit(130);
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  return { signal: controller.signal, release: () => process.removeListener('SIGINT', onSigint) };
}

export async function runValidate(argv: string[], io: Io, hooks: ValidateRunHooks = {}): Promise<number> {
  if (argv.includes('--merge')) return runMerge(argv, io, network);
  const { opts, positional } = parseArgs(argv, validateOptions());
  if (opts.help) {
    io.out(helpText(validateCommand.name, validateCommand.summary, validateOptions()));
    return 0;
  }
  if (positional.length > 0) throw strayArgument('validate', positional[0]);
  checkNetFlags(argv, opts);
  const desc = opts.net !== undefined ? readNetworkFile(String(opts.net)) : undefined;
  if (desc && standardNetwork(desc) === undefined) return runValidateNet(desc, argv, opts, io, hooks);
  const net = desc ? standardFromNet(desc, 'the simulator') : network({
    act: opts.act as string, alpha: opts.alpha as string, sw2: opts.sw2 as string, sb2: opts.sb2 as string,
    depth: opts.depth as string, q0: opts.q0 as string, c0: (opts.c0 as string | undefined) ?? '0', skip: opts.skip as string, scaling: opts.scaling as string,
  });
  const s = validateSettings(opts);
  checkLoopLayers(net.depth);
  checkMonteCarlo(s.samples, s.widths, net.depth, s.sampler);
  const shard = shardOption(opts, s);
  const progress = new ProgressLine(io.err, !s.json && (hooks.isTTY ?? process.stderr.isTTY === true), 'networks', 1);
  const { signal, release } = interruptSignal(hooks.signal);
  let report: ValidationReport;
  try {
    const vo = {
      net, widths: s.widths, samples: s.samples, seed: s.seed, sampler: s.sampler, twoInputs: s.twoInputs, delta: s.delta,
      fwer: s.fwer, threads: s.threads, signal, onProgress: (d: number, t: number) => progress.update(d, t),
    };
    if (shard) return await runShard(vo, opts, shard, io);
    report = await validate(vo);
  } finally {
    progress.clear();
    release();
  }
  if (s.plot && report.runs.length > 0 && report.runs[0].samples >= 2) await writeValidationPlot(report, s.plot);
  io.out(s.json ? JSON.stringify(report, jsonSafe) + '\n' : reportText(report));
  if (report.interrupted) return EXIT_INTERRUPTED;
  return report.pass ? 0 : EXIT_FAIL;
}

export const validateCommand: Command = {
  name: 'validate',
  summary: 'Monte Carlo of finite-width networks against mean-field and one-loop theory, with a verdict',
  get options() {
    return validateOptions();
  },
  run: (argv, io) => runValidate(argv, io),
};
