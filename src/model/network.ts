/**
 * The network, described once. Every interpretation (symbolic, float64, Decimal, simulation)
 * reads this one description. Numeric parameters are kept as the exact decimal strings the user
 * typed, so that Decimal and symbolic interpretations see 0.05 as 1/20, not as a float64.
 */
import { Activation, activation } from './activation';
import { InputError } from './errors';
import { realParam, intParam } from './params';
import { Field } from '../numeric/field';

export type Skip = 'residual' | 'none';
export type Scaling = 'amplitude' | 'variance';

export interface Network {
  /** Brand: produced (and validated) by `network()`. */
  readonly kind: 'network';
  readonly act: Activation;
  /** Residual-branch scale: amplitude (branch times alpha) or variance (branch times sqrt(alpha)). */
  readonly alpha: string;
  readonly sw2: string;
  readonly sb2: string;
  readonly depth: number;
  /** Input kernel K^0 = q0 [[1, c0], [c0, 1]]. */
  readonly q0: string;
  readonly c0: string;
  readonly skip: Skip;
  readonly scaling: Scaling;
}

export interface NetworkOptions {
  act: string | Activation;
  alpha: string | number;
  sw2: string | number;
  sb2: string | number;
  depth: string | number;
  q0: string | number;
  c0: string | number;
  skip: string;
  scaling: string;
}

/** The defaults of `fieldprop kernel` and `npm start`: a deep erf ResNet. */
export const DEFAULT_NETWORK: NetworkOptions = {
  act: 'erf',
  alpha: '0.3',
  sw2: '1.5',
  sb2: '0.05',
  depth: 50,
  q0: '1',
  c0: '0.6',
  skip: 'residual',
  scaling: 'amplitude',
};

export const MAX_DEPTH = 10_000_000;

export { realParam, intParam } from './params';

export function network(options: Partial<NetworkOptions> | Network = {}): Network {
  if ((options as Network).kind === 'network') return options as Network;
  const o = { ...DEFAULT_NETWORK, ...(options as Partial<NetworkOptions>) };
  const skip = String(o.skip);
  if (skip !== 'residual' && skip !== 'none') throw new InputError('skip', `must be "residual" or "none", got "${skip}"`);
  const scaling = String(o.scaling);
  if (scaling !== 'amplitude' && scaling !== 'variance') throw new InputError('scaling', `must be "amplitude" or "variance", got "${scaling}"`);
  return {
    kind: 'network',
    act: typeof o.act === 'string' ? activation(o.act) : o.act,
    alpha: realParam('alpha', o.alpha, { min: 0, what: '>= 0' }),
    sw2: realParam('sw2', o.sw2, { min: 0, what: '>= 0 (a variance)' }),
    sb2: realParam('sb2', o.sb2, { min: 0, what: '>= 0 (a variance)' }),
    depth: intParam('depth', o.depth, 1, MAX_DEPTH),
    q0: realParam('q0', o.q0, { min: 0, minExclusive: true, what: '> 0 (the input variance)' }),
    c0: realParam('c0', o.c0, { min: -1, max: 1, what: 'in [-1, 1] (a correlation)' }),
    skip,
    scaling,
  };
}

/** The same network with some parameters changed (validated like any other description). */
export function withChanges(net: Network, changes: Partial<NetworkOptions>): Network {
  return network({
    act: net.act, alpha: net.alpha, sw2: net.sw2, sb2: net.sb2, depth: net.depth, q0: net.q0, c0: net.c0, skip: net.skip, scaling: net.scaling,
    ...changes,
  });
}

/** The factor a multiplying C^l in K^l = K^(l-1) + a C^l: alpha^2 (amplitude) or alpha (variance). */
export function branchFactor<T>(F: Field<T>, net: Network): T {
  const alpha = F.of(net.alpha);
  return net.scaling === 'amplitude' ? F.mul(alpha, alpha) : alpha;
}
