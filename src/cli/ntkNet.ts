/**
 * `fieldprop ntk --net FILE` for a description outside today's form (src/quantities/netNtk.ts),
 * and the empirical NTK of explicit networks of a description across several widths, with the
 * 1/N extrapolation of each entry checked against the recursion (`--widths`, any form).
 */
import type { Io } from './main';
import type { ParsedArgs } from './args';
import { InputError } from '../model/errors';
import { intParam } from '../model/network';
import { NetDescription } from '../model/net/layers';
import { netNtkAnalysis } from '../quantities/netNtk';
import { NtkOptions } from '../quantities/ntk';
import { compileNet } from '../simulate/netForward';
import { NetNtkStats, empiricalNetNtkStats } from '../simulate/netNtk';
import { weightedLineFit, zScore } from '../simulate/stats';
import { formatNumber, formatMaybe } from '../io/format';
import { digitsFrom, table } from './options';

/** The widest explicit network of the empirical NTK. */
const MAX_NTK_WIDTH = 1024;

/** The widths of `--width N` or `--widths N1,N2,...` (InputError naming the option). */
export function ntkWidths(opts: ParsedArgs): number[] | undefined {
  if (opts.widths !== undefined && opts.width !== undefined) throw new InputError('widths', 'replaces --width; give one or the other');
  if (opts.width !== undefined) return [intParam('width', opts.width as string, 1, MAX_NTK_WIDTH)];
  if (opts.widths === undefined) return undefined;
  const text = String(opts.widths).trim();
  if (!/^[+]?\d+(\s*,\s*[+]?\d+)+$/.test(text)) throw new InputError('widths', `expected a comma-separated list of at least two integers such as 8,16,32, got "${text}"`);
  const ws = text.split(',').map((w) => intParam('widths', w.trim(), 1, MAX_NTK_WIDTH));
  if (new Set(ws).size !== ws.length) throw new InputError('widths', `lists a width twice: "${text}"`);
  return ws;
}

export interface EmpiricalNetEntry {
  pair: string;
  theory: number;
  /** Mean and standard error at each width. */
  widths: { width: number; mean: number; se: number; z: number | null }[];
  /** With two widths or more: the intercept A of E = A + B/N and its z against the theory (the slope B is reported). */
  fit: { intercept: number; intercept_se: number; slope: number; slope_se: number; z: number | null } | null;
}

/** The empirical NTK of a description at the last row, per width, against the recursion's values theory[a][b]. */
export function empiricalNetEntries(d: NetDescription, widths: number[], samples: number, seed: number, o: NtkOptions, theory: number[][]): EmpiricalNetEntry[] {
  const program = compileNet(d);
  const P = program.P;
  const stats: NetNtkStats[] = widths.map((w) => empiricalNetNtkStats(program, w, samples, seed, o));
  const out: EmpiricalNetEntry[] = [];
  for (let a = 0; a < P; a++) {
    for (let b = a; b < P; b++) {
      const q = a * P + b;
      const t = theory[a][b];
      const ws = stats.map((s) => ({ width: s.width, mean: s.mean[q], se: s.se[q], z: zScore(s.mean[q], s.se[q], t) }));
      let fit: EmpiricalNetEntry['fit'] = null;
      if (ws.length >= 2 && ws.every((w) => w.se > 0)) {
        const f = weightedLineFit(ws.map((w) => 1 / w.width), ws.map((w) => w.mean), ws.map((w) => w.se));
        fit = { intercept: f.a, intercept_se: f.aSe, slope: f.b, slope_se: f.bSe, z: zScore(f.a, f.aSe, t) };
      }
      out.push({ pair: `Theta_${a + 1}${b + 1}`, theory: t, widths: ws, fit });
    }
  }
  return out;
}

export function empiricalNetText(entries: EmpiricalNetEntry[], samples: number, seed: number): string {
  const f = (x: number, d = 6) => formatNumber(x, d);
  const zt = (z: number | null) => formatMaybe(z, 3) ?? '-';
  const widths = entries[0].widths.map((w) => w.width);
  const several = widths.length >= 2;
  let s = `\nEmpirical NTK at the output: ${samples} explicit networks per width (seed ${seed}), (1/N) tr Theta, mean +- standard error; ` +
    (several
      ? 'each entry fitted by A + B/N across the widths: z = (A - theory)/SE(A) tests the infinite-width extrapolation (B is reported, not judged: no 1/N theory exists for it).\n'
      : 'z = (mean - theory)/se includes the O(1/N) finite-width bias (give --widths to extrapolate).\n');
  const header = ['', 'theory', ...widths.map((w) => `N = ${w}`), ...(several ? ['A (N -> inf)', 'B'] : []), 'z'];
  const rows = entries.map((e) => [
    e.pair, f(e.theory), ...e.widths.map((w) => `${f(w.mean)} ± ${f(w.se, 2)}`),
    ...(several ? [e.fit ? `${f(e.fit.intercept)} ± ${f(e.fit.intercept_se, 2)}` : '-', e.fit ? `${f(e.fit.slope, 4)} ± ${f(e.fit.slope_se, 2)}` : '-'] : []),
    zt(several ? e.fit?.z ?? null : e.widths[0].z),
  ]);
  s += table(header, rows);
  return s;
}

export async function runNtkNet(d: NetDescription, opts: ParsedArgs, io: Io): Promise<number> {
  const digits = digitsFrom(opts);
  const widths = ntkWidths(opts);
  const samples = widths ? intParam('samples', opts.samples as string, 2, 100_000) : 0;
  const seed = widths ? intParam('seed', opts.seed as string, 0, Number.MAX_SAFE_INTEGER) : 0;
  if (widths) compileNet(d); // refusals of the simulation before the verified theory
  const r = netNtkAnalysis(d, { digits, biases: opts.biases as string, inputLayer: opts['input-layer'] as string });
  const last = r.theta[r.theta.length - 1];
  const o: NtkOptions = { biases: r.biases, inputLayer: r.input_layer };
  const emp = widths ? empiricalNetEntries(d, widths, samples, seed, o, last.map((row) => row.map(Number))) : undefined;
  const P = r.P;
  const pairs: [number, number][] = [];
  for (let a = 0; a < P; a++) for (let b = a; b < P; b++) pairs.push([a, b]);
  if (opts.json) {
    io.out(JSON.stringify({
      net: d.source ?? null, digits, biases: r.biases, input_layer: r.input_layer, P, rows: r.labels, theta: r.theta, ratio: r.ratio, K: r.K,
      ...(emp ? { empirical: { samples, seed, entries: emp } } : {}),
    }, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v)) + '\n');
    return 0;
  }
  io.out(`Neural tangent kernel (NTK parameterisation; biases ${r.biases}, input layer ${r.input_layer}) of the description ${d.source ?? ''}, P = ${P} inputs\n`);
  io.out(`Every entry verified to ${digits} significant digits (two runs at different working precision agree). Rows: the input, each dense layer and residual block outside residual branches.\n\n`);
  const header = ['row', 'layer', ...pairs.map(([a, b]) => `Theta_${a + 1}${b + 1}`), ...(P >= 2 ? ['Theta_12/Theta_11'] : [])];
  const rows = r.theta.map((t, k) => [
    String(k), r.labels[k], ...pairs.map(([a, b]) => t[a][b]),
    ...(r.ratio ? [r.ratio[k] ?? '-'] : []),
  ]);
  io.out(table(header, rows));
  if (emp) io.out(empiricalNetText(emp, samples, seed));
  return 0;
}
