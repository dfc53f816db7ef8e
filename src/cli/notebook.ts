/**
 * `fieldprop notebook run <file.ipynb...> [--small] [--out DIR | --in-place]`: execute notebooks
 * (src/notebook) in order and store their outputs. Full-size runs rewrite each file (the
 * committed notebooks carry full-size outputs); `--small` runs write to DIR/<name> (default
 * notebook-runs/) unless told `--in-place`. A cell that throws or a failed check: one line
 * "fieldprop notebook: FILE: cell N: message" and exit code 2, the file left unchanged.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { Command } from './options';
import { parseArgs, helpText, OptionSpec } from './args';
import { InputError } from '../model/errors';
import { runNotebook } from '../notebook/notebook';
import { smallFromEnv } from '../notebook/runtime';
import { checkOutputFile } from '../io/files';

export { smallFromEnv } from '../notebook/runtime';

/** Where `--small` runs go when neither --out nor --in-place is given. */
export const SMALL_OUT_DIR = 'notebook-runs';

const OPTIONS: OptionSpec[] = [
  { name: 'small', flag: true, help: `small sizes for CI (the notebooks read SMALL; also env FIELDPROP_NOTEBOOK_SMALL=1); writes to --out (default ${SMALL_OUT_DIR}/) unless --in-place` },
  { name: 'out', value: '<dir>', help: 'write the executed notebooks to this directory (created if needed) instead of over the inputs' },
  { name: 'in-place', flag: true, help: 'rewrite each input notebook with its new outputs (the default without --small)' },
  { name: 'help', flag: true, help: 'this help' },
];

const SUMMARY = 'run Jupyter notebooks (TypeScript cells calling the engine) and store their outputs: notebook run <file.ipynb...> [--small] [--out DIR | --in-place]';

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
    const inPlace = opts['in-place'] === true;
    if (inPlace && opts.out !== undefined) throw new InputError('out', 'give either --out <dir> or --in-place, not both');
    if (opts.out !== undefined && String(opts.out).trim() === '') throw new InputError('out', 'needs a directory name');
    const outDir = inPlace ? undefined : (opts.out as string | undefined) ?? (small ? SMALL_OUT_DIR : undefined);
    if (outDir !== undefined) {
      const names = positional.map((f) => path.basename(f));
      const twice = names.find((n, i) => names.indexOf(n) !== i);
      if (twice) throw new InputError('out', `two notebooks named "${twice}" would be written to the same file in ${outDir}`);
      try {
        fs.mkdirSync(outDir, { recursive: true });
      } catch (e) {
        throw new InputError('out', `cannot create the output directory "${outDir}" (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
      }
    }
    // a notebook written back in place: refuse one that cannot be before running any
    if (outDir === undefined) for (const file of positional) if (fs.existsSync(file)) checkOutputFile('notebook', file);
    for (const file of positional) {
      const r = await runNotebook(file, {
        small,
        out: outDir === undefined ? undefined : path.join(outDir, path.basename(file)),
        onCell: (n, _c, s) => io.err(`fieldprop notebook: ${file}: cell ${n} done (${s.toFixed(1)} s)\n`),
      });
      io.out(`${file}: ${r.cells} code cells ok${small ? ' (small sizes)' : ''}, outputs stored${r.file === file ? '' : ` in ${r.file}`} (${r.seconds.toFixed(1)} s)\n`);
    }
    return 0;
  },
};
