/**
 * `fieldprop report [--out DIR] [--json] [--quick]` (and `npm start`): the flagship analysis
 * (src/report/report.ts) written to DIR/report.html and DIR/report.json, atomically.
 * A progress line per stage on stderr. The output directory is checked before the computation
 * starts: one that cannot be created or written is an InputError (one line, exit code 2).
 */
import * as fs from 'fs';
import * as path from 'path';
import type { Command } from './options';
import { parse, JSON_OPT, HELP } from './options';
import { InputError } from '../model/errors';
import { buildReport, ReportData } from '../report/report';
import { renderHtml } from '../report/html';
import { writeFileAtomic } from '../io/files';

/** Create DIR if needed and prove that a file can be written there (InputError otherwise). */
export function checkOutputDir(dir: string): string {
  const abs = path.resolve(dir);
  try {
    if (fs.existsSync(abs) && !fs.statSync(abs).isDirectory()) throw new Error('exists and is not a directory');
    // Create the missing levels one by one (mkdirSync's recursive mode can spin forever on
    // special file systems such as /proc).
    const missing: string[] = [];
    for (let d = abs; !fs.existsSync(d); d = path.dirname(d)) {
      if (path.dirname(d) === d) break;
      missing.unshift(d);
    }
    for (const d of missing) fs.mkdirSync(d);
    const probe = path.join(abs, `.fieldprop-write-test.${process.pid}`);
    fs.writeFileSync(probe, '');
    fs.rmSync(probe, { force: true });
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new InputError('out', `cannot write to the output directory "${dir}" (${why}); give a writable directory`);
  }
  return abs;
}

/** report.json: the data without the SVG strings (they are in report.html). */
export function reportJson(d: ReportData): string {
  const { plots: _plots, ...rest } = d;
  void _plots;
  const safe = (_k: string, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v);
  return JSON.stringify(rest, safe, 1) + '\n';
}

export const reportCommand: Command = {
  name: 'report',
  summary: 'the flagship analysis of a deep erf ResNet (alpha*, kernels, response, one loop, Monte Carlo) as report.html + report.json',
  options: [
    { name: 'out', value: '<dir>', help: 'output directory (created if needed)', default: 'report' },
    { name: 'quick', flag: true, help: 'small sizes (depth 20, one width, 400 networks): a few seconds, for tests' },
    { name: 'threads', value: '<integer 1..64>', help: 'worker threads of the Monte Carlo stage (default: both cores)' },
    { ...JSON_OPT, help: 'print report.json on stdout instead of the summary' },
    HELP,
  ],
  async run(argv, io) {
    const opts = parse(reportCommand, argv, io);
    if (!opts) return 0;
    const outDir = String(opts.out);
    if (outDir.trim() === '') throw new InputError('out', 'needs a directory name');
    let threads: number | undefined;
    if (opts.threads !== undefined) {
      threads = Number(opts.threads);
      if (!Number.isInteger(threads) || threads < 1 || threads > 64) throw new InputError('threads', `must be an integer in [1, 64], got "${opts.threads}"`);
    }
    const dir = checkOutputDir(outDir);
    const data = await buildReport({ quick: opts.quick === true, threads, onProgress: (s) => io.err(`fieldprop report: ${s}`) });
    const json = reportJson(data);
    const html = renderHtml(data);
    const jsonFile = path.join(dir, 'report.json');
    const htmlFile = path.join(dir, 'report.html');
    try {
      writeFileAtomic(jsonFile, json);
      writeFileAtomic(htmlFile, html);
    } catch (e) {
      throw new InputError('out', `cannot write to the output directory "${outDir}" (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    if (opts.json) {
      io.out(json);
      return 0;
    }
    const v = data.validation;
    io.out(
      [
        `${data.title}: ${data.network.act}, sw2 = ${data.network.sw2}, sb2 = ${data.network.sb2}, depth = ${data.network.depth}, q0 = ${data.network.q0}, c0 = ${data.network.c0}`,
        `  alpha*          ${data.optimal.alpha}   (${data.optimal.digits} verified digits; large-depth formula ${data.optimal.alpha_formula ?? '-'})`,
        `  S(alpha*)       ${data.optimal.sensitivity}`,
        `  c^L at alpha*   ${data.kernels.c[data.kernels.c.length - 1]}`,
        `  chi, chi12      ${data.response.chi}, ${data.response.chi12}`,
        `  k1^L, c1^L      ${data.one_loop.k1[data.one_loop.k1.length - 1]}, ${data.one_loop.c1[data.one_loop.c1.length - 1]}   (one loop)`,
        `  Monte Carlo     ${v.pass ? 'PASS' : 'FAIL'}: ${v.tests} checked values, widths ${v.widths.join(', ')}, ${v.samples} networks per width`,
        `Wrote ${path.relative(process.cwd(), htmlFile) || htmlFile} and ${path.relative(process.cwd(), jsonFile) || jsonFile} (${data.seconds.toFixed(1)} s).`,
      ].join('\n') + '\n',
    );
    return 0;
  },
};
