/**
 * What one Monte Carlo run simulates: a plain, serialisable description (it crosses to worker
 * threads), built from the one network description of src/model.
 */
import { Network } from '../model/network';
import { InputError } from '../model/errors';
import { choleskyPsd } from './linalg';

export type Sampler = 'full' | 'fast';

export interface SimSpec {
  /** Hidden width N (from the input layer h^0 on). */
  width: number;
  depth: number;
  /** Activation name, as `activation()` accepts it. */
  act: string;
  sw2: number;
  sb2: number;
  skip: 'residual' | 'none';
  /** The branch multiplier: alpha (amplitude scaling) or sqrt(alpha) (variance scaling). */
  branch: number;
  /** Number of inputs P and their P x P input kernel K^0 (row-major). */
  P: number;
  K0: number[];
  /**
   * Jacobian-vector products carried along: this many random directions v ~ N(0, I_N) in the
   * input layer of input `tangentInput` (default 0). Their images J^l v are layer state too.
   */
  tangents?: number;
  tangentInput?: number;
}

export const MAX_WIDTH = 1 << 20;

/** The simulation of `net` at width N with the given input kernel (default: one input, q0). */
export function simSpec(net: Network, width: number, opts: { K0?: number[]; tangents?: number; tangentInput?: number } = {}): SimSpec {
  const alpha = Number(net.alpha);
  const K0 = opts.K0 ?? [Number(net.q0)];
  const P = Math.round(Math.sqrt(K0.length));
  const spec: SimSpec = {
    width,
    depth: net.depth,
    act: net.act.name,
    sw2: Number(net.sw2),
    sb2: Number(net.sb2),
    skip: net.skip,
    branch: net.scaling === 'amplitude' ? alpha : Math.sqrt(alpha),
    P,
    K0,
    tangents: opts.tangents ?? 0,
    tangentInput: opts.tangentInput ?? 0,
  };
  checkSpec(spec);
  return spec;
}

/** Validate a spec (InputError for what a user could have typed, RangeError otherwise). */
export function checkSpec(spec: SimSpec): void {
  if (!Number.isInteger(spec.width) || spec.width < 1 || spec.width > MAX_WIDTH) throw new InputError('width', `must be an integer in 1..${MAX_WIDTH}, got ${spec.width}`);
  if (!Number.isInteger(spec.depth) || spec.depth < 1) throw new InputError('depth', `must be an integer >= 1, got ${spec.depth}`);
  const P = spec.P;
  if (!Number.isInteger(P) || P < 1 || spec.K0.length !== P * P) throw new RangeError(`K0 must be a P x P matrix (got ${spec.K0.length} entries)`);
  for (let a = 0; a < P; a++) {
    for (let b = 0; b < P; b++) {
      if (!Number.isFinite(spec.K0[a * P + b])) throw new RangeError('K0 must be finite');
      if (spec.K0[a * P + b] !== spec.K0[b * P + a]) throw new RangeError('K0 must be symmetric');
    }
  }
  try {
    choleskyPsd(Float64Array.from(spec.K0), P, new Float64Array(P * P));
  } catch {
    throw new RangeError('K0 must be positive semi-definite');
  }
  const T = spec.tangents ?? 0;
  if (!Number.isInteger(T) || T < 0) throw new RangeError('tangents must be an integer >= 0');
  const ti = spec.tangentInput ?? 0;
  if (!Number.isInteger(ti) || ti < 0 || ti >= P) throw new RangeError('tangentInput must name an input');
  if (!(spec.sw2 >= 0) || !(spec.sb2 >= 0) || !(spec.branch >= 0)) throw new RangeError('sw2, sb2 and the branch factor must be >= 0');
}
