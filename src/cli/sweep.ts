/**
 * `fieldprop sweep COMMAND [options] --out FILE.jsonl [--shard i/n] [--resume]`: run a command
 * over the cartesian product of option values and write one JSON line per point.
 *
 * Any option of COMMAND may be a list: `--depth 10,20,40`, a numeric range
 * `--sw2 1..2:0.25` (start..stop:step, stop included, decimal arithmetic), or several of these
 * `--depth 5,10..30:10`.
 * Commas inside parentheses or square brackets do not split, and square brackets around an item
 * are removed: `--act "max(x,0)"` is one value, `--widths [16,32],[32,64]` two values of
 * validate's own list option. The points are numbered k = 0, 1, ... with the first option on the
 * command line varying slowest; shard i/n runs the points k with k mod n = i - 1.
 *
 * Each point runs in this process through the command's own code path with `--json`, and gives
 *   {"index": k, "point": {option: value, ...}, "result": <the command's JSON>}
 * (with "exit" when the command's exit code is not 0, e.g. 4 for a failed validation, and
 * "warnings" for what it printed on stderr), or, when the point fails,
 *   {"index": k, "point": {...}, "error": "<one line>", "exit": 2 | 3 | 1}.
 * Lines are appended and flushed to FILE.partial as points finish; FILE appears (by rename) only
 * when the shard is complete. `--resume` keeps the finished points of an existing FILE.partial.
 */
import * as fs from 'fs';
import Decimal from 'decimal.js';
import type { Io } from './main';
import type { Command } from './options';
import { OptionSpec, helpText } from './args';
import { InputError, NumericalError } from '../model/errors';
import { Shard, checkOutPath, inShard, parseShard } from './shard';

export const MAX_POINTS = 1_000_000;

/** Options of sweep itself; every other option belongs to COMMAND. */
const SWEEP_OPTIONS: OptionSpec[] = [
  { name: 'out', value: '<file.jsonl>', help: 'output: one JSON line per point (written to FILE.partial, renamed to FILE when complete)' },
  { name: 'shard', value: '<i/n>', help: 'run only the points k with k mod n = i - 1 (1-based i; cat the n files for the whole sweep)', default: '1/1' },
  { name: 'resume', flag: true, help: 'keep the finished points of FILE.partial left by an interrupted run, and run the rest' },
  { name: 'help', flag: true, help: 'this help' },
];

/** Options of COMMAND that a sweep sets itself or that would write the same file at every point. */
const NOT_SWEEPABLE: Record<string, string> = {
  json: 'is set by sweep (every point runs with --json)',
  csv: 'is not available in a sweep (the points are written as JSON lines)',
  help: 'is not available in a sweep',
  plot: 'would write the same file at every point; not available in a sweep',
  merge: 'is not available in a sweep',
};

/** Commands a sweep refuses: this one, and report (a directory of files per run). */
const UNSWEEPABLE = ['sweep', 'report'];

/** An input error about the command line as a whole (not one option): the message without "--name: ". */
function commandError(message: string): InputError {
  const e = new InputError('sweep', message);
  e.message = message;
  return e;
}

/** Split a value list at top-level commas (not inside () or []); brackets around an item are removed. */
export function splitList(name: string, text: string): string[] {
  const items: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of text) {
    if (ch === '(' || ch === '[') depth++;
    if (ch === ')' || ch === ']') depth--;
    if (depth < 0) throw new InputError(name, `unbalanced brackets in "${text}"`);
    if (ch === ',' && depth === 0) {
      items.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (depth !== 0) throw new InputError(name, `unbalanced brackets in "${text}"`);
  items.push(cur);
  const out: string[] = [];
  for (const raw of items) {
    const item = raw.trim();
    if (item === '') throw new InputError(name, `empty item in the list "${text}"`);
    if (item.startsWith('[') && item.endsWith(']')) out.push(item.slice(1, -1));
    else out.push(...expandRange(name, item));
  }
  return out;
}

const NUM = '[-+]?(?:\\d+\\.?\\d*|\\.\\d+)(?:[eE][-+]?\\d+)?';
const RANGE = new RegExp(`^(${NUM})\\.\\.(${NUM}):(${NUM})$`);

/**
 * start..stop:step (numbers; stop included when hit exactly) in exact decimal arithmetic; anything
 * else is one value (so phase's own grids "from:to:points" pass through unchanged).
 */
function expandRange(name: string, item: string): string[] {
  const m = RANGE.exec(item);
  if (!m) return [item];
  const start = new Decimal(m[1]);
  const stop = new Decimal(m[2]);
  const step = new Decimal(m[3]);
  if (!step.gt(0)) throw new InputError(name, `range "${item}": the step must be > 0`);
  if (stop.lt(start)) throw new InputError(name, `range "${item}": stop must be >= start`);
  const count = stop.minus(start).div(step).floor().plus(1);
  if (count.gt(MAX_POINTS)) throw new InputError(name, `range "${item}" has more than ${MAX_POINTS} values`);
  const out: string[] = [];
  for (let k = 0; k < count.toNumber(); k++) out.push(start.plus(step.times(k)).toString());
  return out;
}

interface Plan {
  cmd: Command;
  /** Option names in command-line order, with their value lists (flags: one value, true). */
  axes: { name: string; values: (string | true)[] }[];
  total: number;
  out: string;
  shard: Shard;
  resume: boolean;
}

/** Parse `COMMAND [options]`; every check happens here, before any point is computed. */
export function sweepPlan(argv: string[], commands: Command[]): Plan | 'help' {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help') return 'help';
  if (name.startsWith('--')) throw commandError(`the first argument is the command to sweep, got "${name}"`);
  const cmd = commands.find((c) => c.name === name);
  const sweepable = commands.filter((c) => !UNSWEEPABLE.includes(c.name) && c.options.some((o) => o.name === 'json')).map((c) => c.name);
  if (!cmd || !sweepable.includes(cmd.name)) {
    throw commandError(`cannot sweep "${name}" (commands with --json output: ${sweepable.join(', ')})`);
  }
  const own: Record<string, string | true> = {};
  const axes: Plan['axes'] = [];
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    if (!arg.startsWith('--')) throw commandError(`unexpected argument "${arg}" (options are --name value)`);
    const eq = arg.indexOf('=');
    const opt = arg.slice(2, eq >= 0 ? eq : undefined);
    const spec = SWEEP_OPTIONS.find((s) => s.name === opt) ?? cmd.options.find((s) => s.name === opt);
    if (!spec) {
      throw new InputError(opt, `unknown option of ${cmd.name} (it takes ${cmd.options.filter((s) => !NOT_SWEEPABLE[s.name]).map((s) => `--${s.name}`).join(', ')}; sweep takes --out, --shard, --resume)`);
    }
    if (NOT_SWEEPABLE[opt] && !SWEEP_OPTIONS.includes(spec)) throw new InputError(opt, NOT_SWEEPABLE[opt]);
    if (own[opt] !== undefined || axes.some((a) => a.name === opt)) throw new InputError(opt, 'given more than once');
    let value: string | true;
    if (spec.flag) {
      if (eq >= 0) throw new InputError(opt, 'is a flag and takes no value');
      value = true;
    } else if (eq >= 0) value = arg.slice(eq + 1);
    else {
      const v = rest[i + 1];
      if (v === undefined || (v.startsWith('--') && !/^--?\d/.test(v))) throw new InputError(opt, `needs a value ${spec.value ?? ''}`.trim());
      value = v;
      i++;
    }
    if (SWEEP_OPTIONS.includes(spec)) own[opt] = value;
    else axes.push({ name: opt, values: value === true ? [true] : splitList(opt, value) });
  }
  if (own.help) return 'help';
  if (own.out === undefined) throw new InputError('out', 'is required: the JSON-lines file to write');
  const out = String(own.out);
  checkOutPath(out);
  const shard = parseShard(own.shard === undefined ? '1/1' : String(own.shard));
  let total = 1;
  for (const a of axes) {
    total *= a.values.length;
    if (total > MAX_POINTS) throw commandError(`more than ${MAX_POINTS} points`);
  }
  return { cmd, axes, total, out, shard, resume: own.resume === true };
}

/** The options of point k (first axis slowest) as a JSON object and as argv for the command. */
export function pointAt(axes: Plan['axes'], k: number): { point: Record<string, string | true>; argv: string[] } {
  const point: Record<string, string | true> = {};
  const argv: string[] = [];
  let rem = k;
  const picks: (string | true)[] = new Array(axes.length);
  for (let a = axes.length - 1; a >= 0; a--) {
    const n = axes[a].values.length;
    picks[a] = axes[a].values[rem % n];
    rem = Math.floor(rem / n);
  }
  axes.forEach((ax, a) => {
    point[ax.name] = picks[a];
    argv.push(picks[a] === true ? `--${ax.name}` : `--${ax.name}=${picks[a]}`);
  });
  return { point, argv };
}

/** Run one point through the command's --json path; never throws for a failing point. */
export async function runPoint(cmd: Command, argv: string[]): Promise<Record<string, unknown>> {
  let out = '';
  let err = '';
  const io: Io = { out: (s) => (out += s), err: (s) => (err += s) };
  let code: number;
  try {
    code = await cmd.run([...argv, '--json'], io);
  } catch (e) {
    const exit = e instanceof InputError ? 2 : e instanceof NumericalError ? 3 : 1;
    const message = e instanceof Error ? e.message : String(e);
    return { error: message.split('\n')[0], exit };
  }
  const warnings = err.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  let result: unknown;
  try {
    result = JSON.parse(out);
  } catch {
    return { error: `${cmd.name} did not print one JSON object`, exit: code === 0 ? 1 : code, ...(warnings.length ? { warnings } : {}) };
  }
  return { result, ...(code !== 0 ? { exit: code } : {}), ...(warnings.length ? { warnings } : {}) };
}

/** Finished points of a partial file from an earlier run of the same sweep (index -> line). */
function readPartial(file: string, plan: Plan): Map<number, string> {
  const done = new Map<number, string>();
  if (!fs.existsSync(file)) return done;
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    let j: { index?: unknown; point?: unknown };
    try {
      j = JSON.parse(line);
    } catch {
      continue; // a line cut short by the interruption: that point runs again
    }
    const k = j.index;
    if (typeof k !== 'number' || !Number.isInteger(k) || k < 0 || k >= plan.total || !inShard(k, plan.shard)
      || JSON.stringify(j.point) !== JSON.stringify(pointAt(plan.axes, k).point)) {
      throw new InputError('resume', `${file} was written by a different sweep or shard; remove it or run without --resume`);
    }
    done.set(k, line);
  }
  return done;
}

export interface SweepHooks {
  /** Whether stderr is a terminal (progress line); default process.stderr.isTTY. */
  isTTY?: boolean;
}

export async function runSweep(argv: string[], io: Io, commands: Command[], hooks: SweepHooks = {}): Promise<number> {
  const plan = sweepPlan(argv, commands);
  if (plan === 'help') {
    io.out(helpText('sweep COMMAND', sweepCommandSummary, SWEEP_OPTIONS) + SWEEP_HELP_TAIL);
    return 0;
  }
  const mine: number[] = [];
  for (let k = plan.shard.index - 1; k < plan.total; k += plan.shard.count) mine.push(k);
  const partial = `${plan.out}.partial`;
  const done = plan.resume ? readPartial(partial, plan) : new Map<number, string>();
  // Rewrite the kept lines (dropping a cut-short last line), then append point by point.
  const fd = fs.openSync(partial, 'w');
  let failed = 0;
  const tty = hooks.isTTY ?? process.stderr.isTTY === true;
  const t0 = Date.now();
  try {
    for (const [n, k] of mine.entries()) {
      const kept = done.get(k);
      let line: string;
      if (kept !== undefined) line = kept;
      else {
        const { point, argv: pargv } = pointAt(plan.axes, k);
        if (tty) io.err(`\rsweep ${plan.cmd.name}: point ${n + 1}/${mine.length} (index ${k}), ${((Date.now() - t0) / 1000).toFixed(0)} s  `);
        line = JSON.stringify({ index: k, point, ...(await runPoint(plan.cmd, pargv)) });
      }
      if ((JSON.parse(line) as { error?: string }).error !== undefined) failed++;
      fs.writeSync(fd, line + '\n');
      fs.fsyncSync(fd);
    }
  } finally {
    fs.closeSync(fd);
    if (tty) io.err('\r' + ' '.repeat(70) + '\r');
  }
  fs.renameSync(partial, plan.out);
  const shardText = plan.shard.count > 1 ? ` (shard ${plan.shard.index}/${plan.shard.count} of ${plan.total})` : '';
  io.out(`sweep ${plan.cmd.name}: ${mine.length} points${shardText}${done.size ? `, ${done.size} kept from ${partial}` : ''}, ${failed} failed; written to ${plan.out}\n`);
  return 0;
}

const sweepCommandSummary = 'run a command over the cartesian product of option lists (--depth 10,20,40 --sw2 1..2:0.5), one JSON line per point; --shard i/n for clusters';

const SWEEP_HELP_TAIL = `
Any option of COMMAND may be a comma list (--depth 10,20,40), a range start..stop:step (--sw2 1..2:0.25,
stop included), or both; commas inside () or [] do not split and [..] around an item is removed
(--widths [16,32],[32,64]). Points k = 0, 1, ... vary the first option slowest; shard i/n takes
k = i-1, i-1+n, ...; cat of the n shard files holds every point once. Each line:
{"index": k, "point": {...}, "result": <COMMAND --json>} or {"index", "point", "error", "exit"}.
`;

/** The command (given the command list, to find COMMAND without an import cycle). */
export function makeSweepCommand(commands: () => Command[]): Command {
  const cmd: Command = {
    name: 'sweep',
    summary: sweepCommandSummary,
    options: SWEEP_OPTIONS,
    run: (argv, io) => runSweep(argv, io, commands()),
  };
  return cmd;
}
