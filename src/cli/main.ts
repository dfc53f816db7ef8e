/**
 * The `fieldprop` command line. Each command parses its options into the one network
 * description (src/model) and evaluates quantities (src/quantities) with an interpretation.
 * Bad input: one line on stderr naming the parameter and its allowed range, exit code 2.
 */
import { InputError, NumericalError } from '../model/errors';
import { COMMANDS, Command } from './commands';
import { runWithCsv } from './csv';
import { withProgress } from '../io/progress';

export const VERSION = '0.1.0';

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}

const defaultIo: Io = {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
};

export function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 2;
  const lines = [
    `fieldprop ${VERSION} — field theory of signal propagation in deep networks`,
    '',
    'Usage: fieldprop <command> [options]      fieldprop <command> --help for its options',
    '',
    'Commands:',
    ...COMMANDS.map((c: Command) => `  ${c.name.padEnd(width)}${c.summary}`),
    `  ${'help'.padEnd(width)}this list`,
    '',
    'Documentation: docs/ (user guide, conventions, API).',
  ];
  return lines.join('\n') + '\n';
}

export async function main(argv: string[], io: Io = defaultIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    io.out(usage());
    return 0;
  }
  if (name === '--version') {
    io.out(VERSION + '\n');
    return 0;
  }
  const cmd = COMMANDS.find((c) => c.name === name);
  if (!cmd) {
    io.err(`fieldprop: unknown command "${name}" (commands: ${COMMANDS.map((c) => c.name).join(', ')}, help)\n`);
    return 2;
  }
  try {
    // progress on stderr (TTY only) for long loops that report through progressTick
    return await withProgress(io.err, () => runWithCsv(cmd, rest, io), 'layers (this pass)', io === defaultIo && process.stderr.isTTY === true);
  } catch (e) {
    if (e instanceof InputError) {
      io.err(`fieldprop ${name}: ${e.message}\n`);
      return 2;
    }
    if (e instanceof NumericalError) {
      io.err(`fieldprop ${name}: ${e.message}\n`);
      return 3;
    }
    // a quadrature that met a non-finite integrand outside the checked interpretations
    if (e instanceof RangeError && /integrand not finite/.test(e.message)) {
      io.err(`fieldprop ${name}: a Gaussian expectation met a non-finite integrand (${e.message.replace(/^.*integrand not finite/, 'not finite')}): the activation overflows or is singular there\n`);
      return 3;
    }
    throw e;
  }
}
