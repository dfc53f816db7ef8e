/**
 * `fieldprop validate --net FILE` for a description outside today's form: the forward pass of the
 * description against its mean field (src/simulate/netValidate.ts). Today's form keeps the
 * one-loop validator (src/cli/validate.ts).
 */
import type { Io } from './main';
import type { ParsedArgs } from './args';
import { InputError } from '../model/errors';
import { NetDescription } from '../model/net/layers';
import { checkMeanFieldCovers } from '../quantities/netMeanField';
import { compileNet } from '../simulate/netForward';
import { netReportText, validateNet } from '../simulate/netValidate';
import { checkMonteCarlo } from './cost';
import { EXIT_FAIL, EXIT_INTERRUPTED, ValidateRunHooks, validateSettings, interruptSignal, jsonSafe } from './validate';

/** Options of today's validator that this one does not have (refused when typed, never ignored). */
const NOT_HERE: [string, string][] = [
  ['delta', 'dc/dc0 is measured by the one-loop validator of today\'s form only'],
  ['plot', 'the plot is drawn for today\'s form only'],
  ['threads', 'the description validator runs in one thread'],
];

export async function runValidateNet(desc: NetDescription, argv: string[], opts: ParsedArgs, io: Io, hooks: ValidateRunHooks = {}): Promise<number> {
  for (const [name, why] of NOT_HERE) {
    if (argv.some((a) => a === `--${name}` || a.startsWith(`--${name}=`))) throw new InputError(name, `not available for this --net description: ${why}`);
  }
  // every refusal (a layer neither the simulation nor the mean field covers) before any sampling
  const program = compileNet(desc);
  checkMeanFieldCovers(desc);
  const s = validateSettings(opts);
  // the cost estimate of every Monte Carlo, with the dense layers as its depth
  checkMonteCarlo(s.samples, s.widths, program.denseLayers, s.sampler);
  const { signal, release } = interruptSignal(hooks.signal);
  try {
    const report = await validateNet({ desc, widths: s.widths, samples: s.samples, seed: s.seed, sampler: s.sampler, fwer: s.fwer, signal });
    io.out(s.json ? JSON.stringify(report, jsonSafe) + '\n' : netReportText(report));
    if (report.interrupted) return EXIT_INTERRUPTED;
    return report.pass ? 0 : EXIT_FAIL;
  } finally {
    release();
  }
}
