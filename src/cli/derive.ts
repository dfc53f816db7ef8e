/**
 * `fieldprop derive <kernel|response|loop|optimal-alpha|net-loop> [--act A] [--latex] [--json]`: the
 * derivations of src/derivations, printed as plain text (default) or LaTeX, each followed by the
 * numerical checks it ran. Exit code 1 if a check fails.
 */
import { parseArgs, helpText, OptionSpec } from './args';
import type { Io } from './main';
import type { Command } from './options';
import { ACT, HELP, JSON_OPT } from './options';
import { InputError } from '../model/errors';
import { derive, DERIVATION_NAMES } from '../derivations';
import { deriveNetKernel } from '../derivations/netKernel';
import { readNetworkFile } from '../model/net';

const OPTIONS: OptionSpec[] = [
  { ...ACT, default: 'erf', help: 'activation: closed forms for relu, erf, linear (explicit results); any smooth activation (tanh, gelu, silu, an expression in x) in terms of named Gaussian expectations' },
  { name: 'skip', value: '<residual|none>', help: 'network: residual, or "none" for the feed-forward network (response only)', default: 'residual' },
  { name: 'net', value: '<file.json>', help: 'kernel only: the recursion of each layer of a network description (docs/networks.md), verified against its mean field' },
  { name: 'latex', flag: true, help: 'print the equations in LaTeX' },
  { name: 'no-checks', flag: true, help: 'skip the numerical checks (print the equations only)' },
  JSON_OPT,
  HELP,
];

const SUMMARY = `symbolic derivations (${DERIVATION_NAMES.join(', ')}) from the weight-averaged action, each verified numerically`;

export const deriveCommand: Command = {
  name: 'derive',
  summary: SUMMARY,
  options: OPTIONS,
  async run(argv: string[], io: Io) {
    const { opts, positional } = parseArgs(argv, OPTIONS);
    if (opts.help) {
      io.out(helpText('derive <' + DERIVATION_NAMES.join('|') + '>', SUMMARY, OPTIONS));
      return 0;
    }
    if (positional.length !== 1) {
      throw new InputError('derivation', `give exactly one derivation: fieldprop derive <${DERIVATION_NAMES.join('|')}> [--act A] [--latex] [--json]`);
    }
    if (opts.net !== undefined && positional[0] !== 'kernel') throw new InputError('net', `a network description is derived for "kernel" only, got "${positional[0]}"`);
    const d = opts.net !== undefined
      ? { ...deriveNetKernel(readNetworkFile(String(opts.net)), { checks: !opts['no-checks'] }), command: 'kernel' }
      : derive(positional[0], opts.act as string, { checks: !opts['no-checks'], skip: opts.skip as string });
    const ok = d.checks.every((c) => c.ok);
    if (opts.json) {
      io.out(JSON.stringify({
        derivation: positional[0], name: d.name, act: d.act, title: d.title, verified: opts['no-checks'] ? null : ok,
        equations: d.equations.map((e) => ({ label: e.label, latex: e.latex, text: e.text, note: e.note })),
        checks: d.checks.map(({ what, maxError, tol, ok }) => ({ what, maxError, tol, ok })),
      }) + '\n');
      return ok ? 0 : 1;
    }
    io.out(`${d.title}\n\n`);
    for (const e of d.equations) {
      if (opts.latex) io.out(`${e.latex}\n`);
      else io.out(`  ${e.text}\n${e.note ? `      (${e.note})\n` : ''}`);
    }
    if (opts['no-checks']) {
      io.out('\nChecks skipped (--no-checks).\n');
      return 0;
    }
    io.out(`\n${ok ? 'Verified' : 'NOT verified'}: ${d.checks.filter((c) => c.ok).length} of ${d.checks.length} numerical checks pass (max error / tolerance):\n`);
    for (const c of d.checks) io.out(`  ${c.ok ? 'ok  ' : 'FAIL'} ${c.what}: ${c.maxError.toExponential(2)} / ${c.tol.toExponential(0)}\n`);
    if (!ok) io.err('fieldprop derive: a numerical check failed (see above)\n');
    return ok ? 0 : 1;
  },
};
