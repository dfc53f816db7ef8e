/**
 * `--net FILE` on the command line: it replaces the network flags (giving both is an error, so
 * that no flag is silently ignored), and commands whose theory is written for today's form
 * (one-loop, NTK, simulators) accept a file of that form and refuse any other in one line.
 */
import { Network } from '../model/network';
import { InputError } from '../model/errors';
import { Layer, NetDescription, netError } from '../model/net/layers';
import { standardNetwork } from '../model/net/standard';
import type { ParsedArgs } from './args';

/** The flags a `--net` file replaces. */
export const NET_REPLACES = ['act', 'alpha', 'sw2', 'sb2', 'depth', 'q0', 'c0', 'skip', 'scaling'];

/** Refuse `--net` together with a network flag typed on the command line. */
export function checkNetFlags(argv: string[], opts: ParsedArgs): void {
  if (opts.net === undefined) return;
  for (const name of NET_REPLACES) {
    if (argv.some((a) => a === `--${name}` || a.startsWith(`--${name}=`))) {
      throw new InputError('net', `replaces --${name} (the file describes the whole network); give one or the other`);
    }
  }
}

const STANDARD_FORMS = 'repeat(L, residual(alpha, [act(phi), dense(sw2, sb2)])) or repeat(L, [act(phi), dense(sw2, sb2)])';

/** The first layer that takes a description out of today's form (path and kind), or the whole layer list. */
function firstNonStandard(layers: readonly Layer[], prefix: string, inBranch: boolean): string | undefined {
  for (let i = 0; i < layers.length; i++) {
    const l = layers[i];
    const path = `${prefix}[${i}]`;
    if (l.kind === 'batchnorm' || l.kind === 'conv' || l.kind === 'readout') return `${path} (${l.kind})`;
    if (l.kind === 'residual') {
      if (inBranch || l.schedule) return `${path} (residual${l.schedule ? ' with a schedule' : ' inside a residual branch'})`;
      const inner = firstNonStandard(l.branch, `${path}.residual.branch`, true);
      if (inner) return inner;
      const wrong = l.branch.findIndex((b, j) => b.kind !== ['act', 'dense'][j]);
      if (wrong >= 0) return `${path}.residual.branch[${wrong}] (${l.branch[wrong].kind})`;
      if (l.branch.length < 2) return `${path}.residual.branch (a branch of ${l.branch.length} layer)`;
    }
    const sub = l.kind === 'serial' ? firstNonStandard(l.layers, `${path}.serial`, inBranch) : l.kind === 'repeat' ? firstNonStandard(l.layers, `${path}.repeat.layers`, inBranch) : undefined;
    if (sub) return sub;
  }
  return undefined;
}

/** Today's Network record from a description of that form, or the one-line refusal naming the layer. */
export function standardFromNet(d: NetDescription, what: string): Network {
  const n = standardNetwork(d);
  if (n) return n;
  if (d.inputs.q0 === undefined) throw netError({ source: d.source, path: 'inputs' }, `${what} covers two inputs given as q0 and c0 only, not a general kernel`);
  const layer = firstNonStandard(d.layers, 'layers', false);
  throw netError(
    { source: d.source, path: layer ?? 'layers' },
    `${what} does not cover ${layer ? 'this layer' : 'this arrangement of layers'}: it covers ${STANDARD_FORMS}`,
  );
}
