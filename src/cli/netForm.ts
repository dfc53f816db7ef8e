/**
 * `--net FILE` on the command line: it replaces the network flags (giving both is an error, so
 * that no flag is silently ignored), and commands whose theory is written for today's form
 * (one-loop, NTK, simulators) accept a file of that form and refuse any other in one line.
 */
import { Network } from '../model/network';
import { Activation } from '../model/activation';
import { InputError } from '../model/errors';
import { Layer, NetDescription, netError } from '../model/net/layers';
import { standardNetwork } from '../model/net/standard';
import type { ParsedArgs } from './args';

/** The option `--net FILE` (commands whose network options are not NETWORK_OPTIONS add it themselves). */
export const NET_OPTION = { name: 'net', value: '<file.json>', help: 'the network as a layer description (docs/networks.md); replaces the network flags' };

/** The flags a `--net` file replaces. */
export const NET_REPLACES = ['act', 'alpha', 'sw2', 'sb2', 'depth', 'q0', 'c0', 'skip', 'scaling'];

/** Refuse `--net` together with a flag it replaces (by default the network flags) typed on the command line. */
export function checkNetFlags(argv: string[], opts: ParsedArgs, replaces: readonly string[] = NET_REPLACES, what = 'the whole network'): void {
  if (opts.net === undefined) return;
  for (const name of replaces) {
    if (argv.some((a) => a === `--${name}` || a.startsWith(`--${name}=`))) {
      throw new InputError('net', `replaces --${name} (the file describes ${what}); give one or the other`);
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

/**
 * The layer map of a feed-forward description, repeat(L, [act(phi), dense(sw2, sb2)]) or
 * repeat(L, [dense(sw2, sb2), act(phi)]) (the same map on pre-activations): its phi, sw2 and sb2,
 * or the one-line refusal naming the first layer outside that form.
 */
export function feedForwardFromNet(d: NetDescription, what: string): { act: Activation; sw2: string; sb2: string } {
  const flat = (ls: readonly Layer[]): { l: Layer; path: string }[] =>
    ls.flatMap((l, i) => (l.kind === 'serial' ? flat(l.layers).map((x) => ({ ...x, path: `[${i}].serial${x.path}` })) : [{ l, path: `[${i}]` }]));
  const top = flat(d.layers);
  const refuse = (path: string, kind: string) =>
    netError({ source: d.source, path: `${path} (${kind})` }, `${what} covers a repeated feed-forward block, repeat(L, [act(phi), dense(sw2, sb2)]) or repeat(L, [dense, act]), only`);
  if (top.length !== 1 || top[0].l.kind !== 'repeat') throw refuse(`layers${(top[1] ?? top[0]).path}`, (top[1] ?? top[0]).l.kind);
  const rep = top[0].l;
  const body = flat(rep.layers);
  const kinds = body.map((x) => x.l.kind).join(',');
  if (kinds !== 'act,dense' && kinds !== 'dense,act') {
    const bad = body.find((x) => x.l.kind !== 'act' && x.l.kind !== 'dense') ?? body[2] ?? body[0];
    throw refuse(`layers${top[0].path}.repeat.layers${bad.path}`, bad.l.kind);
  }
  const a = body.find((x) => x.l.kind === 'act')!.l as Extract<Layer, { kind: 'act' }>;
  const w = body.find((x) => x.l.kind === 'dense')!.l as Extract<Layer, { kind: 'dense' }>;
  return { act: a.phi, sw2: w.sw2, sb2: w.sb2 };
}

/** The network, when it has residual blocks (a `--net` file of the feed-forward form has none). */
export function residualOnly(n: Network): Network {
  if (n.skip === 'none') throw new InputError('net', 'the optimal residual scale needs residual blocks; this network has none');
  return n;
}

/**
 * The residual network of the mean-field power laws (Yang & Schoenholz 2017) from a description:
 * repeat(L, residual(1, [dense(sw2, sb2), act(phi)])) is the reduced network x + phi(W x + b);
 * repeat(L, residual(1, [dense(sw2, sb2), act(phi), dense(sv2, sa2)])) the full one
 * x + V phi(W x + b) + a. Inputs {q0, c0}. Anything else: one line naming the first layer outside.
 */
export function residualFromNet(d: NetDescription, what: string): { arch: 'reduced' | 'full'; act: Activation; sw2: string; sb2: string; sv2: string; sa2: string; q0: string; c0: string; depth: number } {
  const forms = 'repeat(L, residual(1, [dense(sw2, sb2), act(phi)])) (reduced) or repeat(L, residual(1, [dense(sw2, sb2), act(phi), dense(sv2, sa2)])) (full)';
  const refuse = (path: string, why: string) => netError({ source: d.source, path }, `${what} covers ${forms} only: ${why}`);
  if (d.inputs.q0 === undefined || d.inputs.c0 === undefined) throw refuse('inputs', 'two inputs given as q0 and c0');
  if (d.layers.length !== 1 || d.layers[0].kind !== 'repeat') throw refuse(`layers[${d.layers.length === 1 ? 0 : 1}]`, 'one repeat of one residual block');
  const rep = d.layers[0];
  if (rep.layers.length !== 1 || rep.layers[0].kind !== 'residual') throw refuse('layers[0].repeat.layers', 'one residual block');
  const res = rep.layers[0];
  const at = 'layers[0].repeat.layers[0].residual';
  if (Number(res.alpha) !== 1 || res.schedule) throw refuse(at, 'alpha = 1 without a schedule (the branch variances carry the scale)');
  const b = res.branch;
  const kinds = b.map((l) => l.kind).join(',');
  if (kinds !== 'dense,act' && kinds !== 'dense,act,dense') {
    const bad = b.findIndex((l, j) => l.kind !== ['dense', 'act', 'dense'][j]);
    throw refuse(`${at}.branch${bad >= 0 ? `[${bad}]` : ''}`, 'a branch [dense, act] or [dense, act, dense]');
  }
  const w = b[0] as { sw2: string; sb2: string };
  const phi = (b[1] as { phi: Activation }).phi;
  const v = b[2] as { sw2: string; sb2: string } | undefined;
  return {
    arch: v ? 'full' : 'reduced', act: phi, sw2: w.sw2, sb2: w.sb2, sv2: v ? v.sw2 : '1', sa2: v ? v.sb2 : '0',
    q0: d.inputs.q0, c0: d.inputs.c0, depth: rep.n,
  };
}

/**
 * The CNN of the covariance-propagation theory (Xiao et al. 2018) from a description:
 * repeat(L, [act(phi), conv({...})]) or repeat(L, [conv({...}), act(phi)]) (the same map on
 * pre-activations). The conv layer gives sw2, sb2, dims, kernel size, profile (with its weights:
 * Gaussian, or the delta-orthogonal kernel) and padding; L the depth. Anything else: one line
 * naming the first layer outside that form.
 */
export function cnnFromNet(d: NetDescription, what: string): {
  act: Activation; sw2: string; sb2: string; dims: string; kernelSize: string; profile: string | string[]; padding: string; depth: number;
} {
  const refuse = (path: string, kind: string) =>
    netError({ source: d.source, path: `${path} (${kind})` }, `${what} covers repeat(L, [act(phi), conv({...})]) or repeat(L, [conv, act]) only`);
  if (d.layers.length !== 1 || d.layers[0].kind !== 'repeat') throw refuse(`layers[${d.layers.length === 1 ? 0 : 1}]`, (d.layers[1] ?? d.layers[0]).kind);
  const rep = d.layers[0];
  const kinds = rep.layers.map((l) => l.kind).join(',');
  if (kinds !== 'act,conv' && kinds !== 'conv,act') {
    const bad = rep.layers.findIndex((l) => l.kind !== 'act' && l.kind !== 'conv');
    const i = bad >= 0 ? bad : Math.min(2, rep.layers.length - 1);
    throw refuse(`layers[0].repeat.layers[${i}]`, rep.layers[i].kind);
  }
  const conv = rep.layers.find((l) => l.kind === 'conv') as Extract<Layer, { kind: 'conv' }>;
  const phi = (rep.layers.find((l) => l.kind === 'act') as Extract<Layer, { kind: 'act' }>).phi;
  // A Gaussian "delta" profile is the list of weights with all variance on the centre tap; the
  // name "delta-orthogonal" is the Haar-orthogonal centre tap (the same mean field, other simulations).
  const taps = conv.kernelSize ** conv.dims;
  const centre = (taps - 1) / 2;
  const profile = conv.profile === 'uniform' ? 'uniform'
    : conv.profile === 'delta' ? (conv.weights === 'orthogonal' ? 'delta-orthogonal' : Array.from({ length: taps }, (_, t) => (t === centre ? '1' : '0')))
    : [...conv.profile];
  return { act: phi, sw2: conv.sw2, sb2: conv.sb2, dims: String(conv.dims), kernelSize: String(conv.kernelSize), profile, padding: conv.padding, depth: rep.n };
}
