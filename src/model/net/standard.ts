/**
 * Today's command-line network (src/model/network.ts) as a layer description, and back:
 *
 *   default (--skip residual)   repeat(L, residual(alpha, [act(phi), dense(sw2, sb2)]))
 *   --skip none                 repeat(L, [act(phi), dense(sw2, sb2)])
 *
 * `standardNetwork` recognises these forms in a description (however it was written: nested
 * serials are flattened), so that the specialised code written for today's form (one-loop theory,
 * NTK, simulators, exponents) runs on a `--net` file that has that form.
 */
import { Network, network } from '../network';
import { Layer, NetDescription, Residual, mulDecimalStrings as exactProduct } from './layers';

export function describeStandard(n: Network): NetDescription {
  const body: Layer[] = [{ kind: 'act', phi: n.act }, { kind: 'dense', sw2: n.sw2, sb2: n.sb2 }];
  const block: Layer[] = n.skip === 'none' ? body : [{ kind: 'residual', alpha: n.alpha, scaling: n.scaling, branch: body }];
  return {
    kind: 'net',
    inputs: { kernel: [[n.q0, mulQ(n)], [mulQ(n), n.q0]], q0: n.q0, c0: n.c0 },
    layers: [{ kind: 'repeat', n: n.depth, layers: block }],
  };
}

function mulQ(n: Network): string {
  // the exact product q0 * c0 as a decimal string
  return exactProduct(n.q0, n.c0);
}

/** The layers with serials spliced in (a serial is only grouping). */
function flatten(layers: readonly Layer[]): Layer[] {
  return layers.flatMap((l) => (l.kind === 'serial' ? flatten(l.layers) : [l]));
}

/** The Network record of today's form, when the description has it; undefined otherwise. */
export function standardNetwork(d: NetDescription): Network | undefined {
  if (d.inputs.q0 === undefined || d.inputs.c0 === undefined) return undefined;
  const top = flatten(d.layers);
  if (top.length !== 1 || top[0].kind !== 'repeat' || top[0].n < 1) return undefined;
  const body = flatten(top[0].layers);
  let scaling: Network['scaling'] = 'amplitude';
  let alpha = '1';
  let branch = body;
  let skip: Network['skip'] = 'none';
  if (body.length === 1 && body[0].kind === 'residual') {
    const r: Residual = body[0];
    if (r.schedule) return undefined;
    scaling = r.scaling;
    alpha = r.alpha;
    branch = flatten(r.branch);
    skip = 'residual';
  }
  if (branch.length !== 2 || branch[0].kind !== 'act' || branch[1].kind !== 'dense') return undefined;
  return network({
    act: branch[0].phi, alpha, sw2: branch[1].sw2, sb2: branch[1].sb2, depth: top[0].n,
    q0: d.inputs.q0, c0: d.inputs.c0, skip, scaling,
  });
}
