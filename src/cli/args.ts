/**
 * A small, strict option parser: `--name value`, `--name=value` and boolean `--flag`.
 * Unknown options, missing values and repeated options are InputErrors (exit code 2).
 */
import { InputError } from '../model/errors';

export interface OptionSpec {
  /** Option name without dashes. */
  name: string;
  /** Boolean flags take no value. */
  flag?: boolean;
  /** Shown in help, e.g. "<real >= 0>". */
  value?: string;
  help: string;
  default?: string;
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
