/**
 * `fieldprop notebook run <file.ipynb...> [--small]`: execute notebooks (src/notebook) in order,
 * storing their outputs back into each file. A cell that throws or a failed check: one line
 * "fieldprop notebook: FILE: cell N: message" and exit code 2, the file left unchanged.
 */
import type { Command } from './options';
import { parseArgs, helpText, OptionSpec } from './args';
import { InputError } from '../model/errors';
import { runNotebook } from '../notebook/notebook';
import * as fs from 'fs';
import { checkOutputFile } from '../io/files';

const OPTIONS: OptionSpec[] = [
  { name: 'small', flag: true, help: 'small sizes for CI (the notebooks read SMALL; also env FIELDPROP_NOTEBOOK_SMALL=1)' },
  { name: 'help', flag: true, help: 'this help' },
];

const SUMMARY = 'run Jupyter notebooks (TypeScript cells calling the engine) and store their outputs: notebook run <file.ipynb...> [--small]';

export function smallFromEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  const v = env.FIELDPROP_NOTEBOOK_SMALL;
  return v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
}

export const notebookCommand: Command = {
  name: 'notebook',
  summary: SUMMARY,
  options: OPTIONS,
  async run(argv, io) {
    const [sub, ...rest] = argv;
    if (sub === '--help' || sub === 'help' || (sub === 'run' && rest.includes('--help'))) {
      io.out(helpText('notebook run <file.ipynb...>', SUMMARY, OPTIONS));
      return 0;
    }
    if (sub !== 'run') throw new InputError('notebook', `expected the subcommand "run" (fieldprop notebook run <file.ipynb...> [--small]), got ${sub === undefined ? 'nothing' : `"${sub}"`}`);
    const { opts, positional } = parseArgs(rest, OPTIONS);
    if (positional.length === 0) throw new InputError('notebook', 'needs at least one notebook file: fieldprop notebook run <file.ipynb...>');
    const small = opts.small === true || smallFromEnv();
    // each notebook is written back: refuse one that cannot be before running any
    for (const file of positional) if (fs.existsSync(file)) checkOutputFile('notebook', file);
    for (const file of positional) {
      const r = await runNotebook(file, {
        small,
        onCell: (n, _c, s) => io.err(`fieldprop notebook: ${file}: cell ${n} done (${s.toFixed(1)} s)\n`),
      });
      io.out(`${file}: ${r.cells} code cells ok${small ? ' (small sizes)' : ''}, outputs stored (${r.seconds.toFixed(1)} s)\n`);
    }
    return 0;
  },
};
