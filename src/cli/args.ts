/**
 * A small, strict option parser: `--name value`, `--name=value` and boolean `--flag`.
 * Unknown options, missing values and repeated options are InputErrors (exit code 2).
 * Every given value is checked against its option's range whether or not the command goes on to
 * use it: the range is read from the `value` text that --help prints (valueCheck), so the help and
 * the parser cannot disagree; output files and directories are checked for writability.
 */
import { InputError } from '../model/errors';
import { intParam, realParam } from '../model/params';
import { checkOutputFile, checkOutputDirPath } from '../io/files';

export interface OptionSpec {
  /** Option name without dashes. */
  name: string;
  /** Boolean flags take no value. */
  flag?: boolean;
  /** Shown in help, e.g. "<real >= 0>". */
  value?: string;
  help: string;
  default?: string;
  /** Check of a given value beyond (or instead of) the range read from `value`; throws InputError. */
  check?: (value: string) => void;
  /** The value names an output file or directory (default: read from the name and `value`, see outputKind). */
  output?: 'file' | 'dir' | false;
}

export type ParsedArgs = Record<string, string | boolean | undefined>;

export function parseArgs(argv: string[], specs: OptionSpec[]): { opts: ParsedArgs; positional: string[] } {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const opts: ParsedArgs = {};
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq >= 0 ? eq : undefined);
    const spec = byName.get(name);
    if (!spec) {
      const known = specs.map((s) => `--${s.name}`).join(', ');
      throw new InputError(name, `unknown option (this command takes ${known})`);
    }
    if (opts[name] !== undefined) throw new InputError(name, 'given more than once');
    if (spec.flag) {
      if (eq >= 0) throw new InputError(name, 'is a flag and takes no value');
      opts[name] = true;
      continue;
    }
    let value: string | undefined;
    if (eq >= 0) value = arg.slice(eq + 1);
    else {
      value = argv[i + 1];
      // A negative number is a value, not an option.
      if (value === undefined || (value.startsWith('--') && !/^--?\d/.test(value))) {
        throw new InputError(name, `needs a value ${spec.value ?? ''}`.trim());
      }
      i++;
    }
    opts[name] = value;
  }
  for (const s of specs) {
    const v = opts[s.name];
    if (typeof v === 'string') checkValue(s, v);
  }
  for (const s of specs) if (opts[s.name] === undefined && s.default !== undefined) opts[s.name] = s.default;
  return { opts, positional };
}

export function helpText(command: string, summary: string, specs: OptionSpec[]): string {
  const lines = [`fieldprop ${command} — ${summary}`, '', 'Options:'];
  const width = Math.max(...specs.map((s) => s.name.length + (s.value ? s.value.length + 1 : 0))) + 4;
  for (const s of specs) {
    const left = `  --${s.name}${s.value ? ' ' + s.value : ''}`;
    const def = s.default !== undefined ? ` (default ${s.default})` : '';
    lines.push(`${left.padEnd(width + 2)}${s.help}${def}`);
  }
  return lines.join('\n') + '\n';
}

/** The error of a positional argument that no command takes. */
export function strayArgument(command: string, arg: string): InputError {
  return new InputError(command, `unexpected argument "${arg}" (options start with --; see fieldprop ${command} --help)`, true);
}

/** 10^4, 2^53-1, -1, 0.5 as numbers (the bounds written in --help). */
function bound(t: string): number {
  const m = /^(\d+)\^(\d+)(-\d+)?$/.exec(t);
  if (m) return Math.pow(Number(m[1]), Number(m[2])) + (m[3] ? Number(m[3]) : 0);
  return Number(t);
}

const B = '(-?\\d+(?:\\.\\d+)?(?:\\^\\d+(?:-\\d+)?)?)';
const INT_RANGE = new RegExp(`^(?:integer )?${B}\\.\\.${B}(?:\\s.*)?$`);
const INT_MIN = new RegExp(`^(odd )?integer >= ${B}$`);
const REAL_MIN = new RegExp(`^real (>=|>) ${B}((?:\\|[a-z-]+)*)$`);
const REAL_IN = new RegExp(`^real in ([\\[(])${B},\\s*${B}([\\])])$`);
/** Placeholders in a `<a|b>` value that stand for free text, not literal choices. */
const FREE = new Set(['name', 'expr', 'file', 'dir', 'real']);

/**
 * The check a `value` text of --help stands for, or undefined for free-form values (grids,
 * lists, activations: the command parses those). Recognised: `<integer >= a>`, `<a..b>`,
 * `<integer a..b>` (bounds such as 10^4 or 2^53-1; integers may be written 1e7), `<odd integer
 * ...>`, `<real >= a>`, `<real > a>` (optionally `|word` alternatives), `<real in [a,b]>` with any
 * of [ ] ( ), and `<word|word|...>` choices.
 */
export function valueCheck(name: string, value: string | undefined): ((v: string) => void) | undefined {
  if (!value || !value.startsWith('<') || !value.endsWith('>')) return undefined;
  const inner = value.slice(1, -1).trim();
  const what = inner;
  let m = INT_RANGE.exec(inner);
  if (m && (inner.startsWith('integer ') || /^[-\d]/.test(inner))) {
    // "1..4096 (1D), 1..1024 (2D)": the widest range here; the command checks the rest
    const pairs = [...inner.matchAll(new RegExp(`${B}\\.\\.${B}`, 'g'))];
    const lo = Math.min(...pairs.map((p) => bound(p[1])));
    const hi = Math.max(...pairs.map((p) => bound(p[2])));
    return (v) => intChecked(name, v, lo, hi, what);
  }
  m = INT_MIN.exec(inner);
  if (m) {
    const lo = bound(m[2]);
    const odd = m[1] !== undefined;
    return (v) => {
      const n = intChecked(name, v, lo, Number.MAX_SAFE_INTEGER, what);
      if (odd && n % 2 === 0) throw new InputError(name, `must be odd (an odd integer), got ${v}`);
    };
  }
  if (/^odd integer/.test(inner)) {
    return (v) => {
      const n = intChecked(name, v, 1, Number.MAX_SAFE_INTEGER, what);
      if (n % 2 === 0) throw new InputError(name, `must be odd (an odd integer), got ${v}`);
    };
  }
  m = REAL_MIN.exec(inner);
  if (m) {
    const lo = bound(m[2]);
    const words = m[3] ? m[3].split('|').filter((w) => w !== '') : [];
    return (v) => {
      if (words.includes(v.trim())) return;
      realParam(name, v, { min: lo, minExclusive: m![1] === '>', what: `${m![1]} ${m![2]}${words.length ? ` (or ${words.map((w) => `"${w}"`).join(', ')})` : ''}` });
    };
  }
  m = REAL_IN.exec(inner);
  if (m) {
    const [, open, a, b, close] = m;
    const lo = bound(a);
    const hi = bound(b);
    return (v) => {
      const x = Number(realParam(name, v, { what: `in ${open}${a}, ${b}${close}` }));
      if ((open === '(' ? x <= lo : x < lo) || (close === ')' ? x >= hi : x > hi)) throw new InputError(name, `must be in ${open}${a}, ${b}${close}, got ${v}`);
    };
  }
  if (/^[a-z0-9][a-z0-9-]*(\|[a-z0-9][a-z0-9-]*)+$/.test(inner)) {
    const words = inner.split('|');
    if (words.some((w) => FREE.has(w))) return undefined;
    return (v) => {
      const list = words.map((w) => `"${w}"`);
      const allowed = list.length === 2 ? `${list[0]} or ${list[1]}` : `one of ${list.join(', ')}`;
      if (!words.includes(v)) throw new InputError(name, `must be ${allowed}, got "${v}"`);
    };
  }
  return undefined;
}

function intChecked(name: string, v: string, lo: number, hi: number, what: string): number {
  try {
    return intParam(name, v, lo, hi);
  } catch {
    const range = what.replace(/^(odd )?integer /, '');
    throw new InputError(name, `expected ${what.startsWith('odd') ? 'an odd integer' : 'an integer'}${/^[-\d]/.test(range) ? ' in' : ''} ${range}, got "${v}"`);
  }
}

/** Whether an option's value is an output path: `--plot`, `--out`, `--*-out`, `--csv` taking `<file...>` or `<dir>`. */
export function outputKind(spec: OptionSpec): 'file' | 'dir' | undefined {
  if (spec.output !== undefined) return spec.output || undefined;
  if (spec.flag || !spec.value) return undefined;
  if (!/^(plot|out|csv|[a-z-]+-out)$/.test(spec.name)) return undefined;
  if (/^<dir/.test(spec.value)) return 'dir';
  if (/^<file/.test(spec.value)) return 'file';
  return undefined;
}

/** Check one given value: the range of its --help text, its own check, and writability of outputs. */
export function checkValue(spec: OptionSpec, v: string): void {
  spec.check?.(v);
  valueCheck(spec.name, spec.value)?.(v);
  const kind = outputKind(spec);
  if (kind === 'dir') checkOutputDirPath(spec.name, v);
  else if (kind === 'file') {
    const ext = /^<file(\.[a-z0-9]+)/i.exec(spec.value ?? '');
    checkOutputFile(spec.name, v, ext ? ext[1].toLowerCase() : undefined);
  }
}
