/**
 * `npm run derive`: run every derivation with its numerical checks and, when all pass, write
 * docs/derivations/<derivation>-<act>.tex (fragments) and docs/derivations/fieldprop-derivations.tex
 * (standalone) and docs/derivations/theory.md from the literate files of derivations/. Exit code 1
 * (nothing written) when a check fails. Options: --out <dir>; --print <file> (e.g. 03-one-loop) runs
 * that file's derivation with its checks and prints the section as Markdown instead of writing.
 */
import * as fs from 'fs';
import * as path from 'path';
import { allDerivations, derivationFiles, writeAtomic, defaultOutDir, theoryMarkdown, THEORY_PAGE, derive, DOC_ACTIVATIONS, loadLiterate } from './index';

export function runDeriveAll(argv: string[], log: (s: string) => void = (s) => process.stdout.write(s)): number {
  let out = defaultOutDir();
  let print: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--out' && argv[i + 1]) out = path.resolve(argv[++i]);
    else if (argv[i] === '--print' && argv[i + 1]) print = path.basename(argv[++i]).replace(/\.ts$/, '');
    else {
      log(`derive-all: unknown argument "${argv[i]}" (takes --out <dir>, --print <file of derivations/>)\n`);
      return 2;
    }
  }
  if (print !== undefined) return printOne(print, log);
  let failed = 0;
  const ds = allDerivations({ checks: true }, (d, s) => {
    const bad = d.checks.filter((c) => !c.ok);
    failed += bad.length;
    log(`${bad.length ? 'FAIL' : 'ok  '} ${d.name.padEnd(13)} ${d.act.padEnd(7)} ${d.checks.length} checks, ${s.toFixed(1)} s\n`);
    for (const c of bad) log(`       ${c.what}: ${c.maxError.toExponential(2)} > ${c.tol.toExponential(0)}\n`);
  });
  if (failed > 0) {
    log(`derive-all: ${failed} check(s) failed; nothing written\n`);
    return 1;
  }
  const files = derivationFiles(ds);
  files.set(THEORY_PAGE, theoryMarkdown(ds));
  let changed = 0;
  for (const [name, content] of files) {
    const file = path.join(out, name);
    const old = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
    if (old !== content) {
      writeAtomic(file, content);
      changed++;
      log(`wrote ${path.relative(process.cwd(), file)}\n`);
    }
  }
  log(`derive-all: ${files.size} files in ${path.relative(process.cwd(), out) || '.'}, ${changed} changed\n`);
  return 0;
}

/** One literate file, run with its checks, as Markdown on stdout. */
function printOne(name: string, log: (s: string) => void): number {
  const lit = loadLiterate();
  const one = lit.filter((l) => l.file === name || l.file.startsWith(`${name}-`));
  if (one.length !== 1) {
    log(`derive-all: --print: must be one of ${lit.map((l) => l.file).join(', ')}, got "${name}"\n`);
    return 2;
  }
  const ds = DOC_ACTIVATIONS.map((act) => derive(one[0].doc.command, act));
  log(theoryMarkdown(ds, one));
  return ds.every((d) => d.checks.every((c) => c.ok)) ? 0 : 1;
}

if (require.main === module) {
  process.exitCode = runDeriveAll(process.argv.slice(2));
}
