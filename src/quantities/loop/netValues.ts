/**
 * One neuron of a described network as the one-loop theory sees it: every value it holds is a sum
 * of independent terms, one per "base" Gaussian, each passed through its own function.
 *
 * Bases: base 0 is the neuron's input h^0 ~ N(0, K^0); base d (d = 1..D) is the neuron's row of the
 * d-th dense layer in execution order, u_d ~ N(0, Sigma_d), Sigma_d = sw2_d G_d + sb2_d, where the
 * auxiliary field G_d is the empirical kernel of that layer's input. Given all fields, the bases are
 * independent Gaussians (the weights are fresh per layer), so a value x = sum_c F_c(u_c) is a sum
 * of independent P-vectors (F_c applied to each input's component).
 *
 *   dense            x <- u_d                         (a new base; the field G_d = E[x x^T] before it)
 *   act(phi)         x <- phi(F_c(u_c))               (x must hold one base: its function is composed;
 *                                                      a linear phi distributes over a sum)
 *   residual(br)     x <- x + g br(x)                 (the bases' functions add: g F_c, and F_c + g H_c
 *                                                      when the branch returns a function of x's own base)
 *
 * An activation applied to a sum of several bases is outside this representation (its fields would
 * need Gaussian integrals over several layers at once): such a description is refused naming the layer.
 */
import { Activation } from '../../model/activation';
import { InputError } from '../../model/errors';
import { Layer, NetDescription, netError } from '../../model/net/layers';
import { countResidualBlocks } from '../netMeanField';
import { evaluate64 } from '../../interpret/symbolic';
import { plainMath } from '../../numeric/plainMath';
// A plain-object copy of Math: under jest the global Math is a proxy and each Math.* access costs ~1 us.
const Math = plainMath();

/** A scalar function of one base's value (applied to every input's component alike). */
export interface Fn {
  /** Identity for caching the base's moments: equal ids mean the same function. */
  readonly id: number;
  readonly f: (x: number) => number;
  /** Points where f (or a derivative) jumps, for the quadrature; undefined when not known. */
  readonly kinks?: number[];
  /** f(x) = slope * x exactly. */
  readonly slope?: number;
  readonly text: string;
}

let nextId = 0;
function fn(f: (x: number) => number, text: string, kinks?: number[], slope?: number): Fn {
  return { id: nextId++, f, kinks, slope, text };
}

export const IDENTITY: Fn = fn((x) => x, 'u', [], 1);

export function scaleFn(F: Fn, g: number): Fn {
  if (g === 1) return F;
  const h = F.f;
  return fn((x) => g * h(x), `${g}*(${F.text})`, F.kinks, F.slope === undefined ? undefined : g * F.slope);
}

export function addFn(F: Fn, G: Fn): Fn {
  const f = F.f;
  const g = G.f;
  const kinks = F.kinks && G.kinks ? [...new Set([...F.kinks, ...G.kinks])].sort((a, b) => a - b) : undefined;
  const slope = F.slope !== undefined && G.slope !== undefined ? F.slope + G.slope : undefined;
  return fn((x) => f(x) + g(x), `${F.text} + ${G.text}`, kinks, slope);
}

export function composeFn(phi: Activation, F: Fn): Fn {
  const p = phi.f64;
  const h = F.f;
  let kinks: number[] | undefined;
  if (F.slope !== undefined && F.slope !== 0) kinks = [...F.kinks ?? [], ...phi.kinks.map((k) => k / (F.slope as number))].sort((a, b) => a - b);
  else if (phi.kinks.length === 0) kinks = F.kinks;
  const slope = phi.linear && phi.parity === 'odd' && F.slope !== undefined ? p(1) * F.slope : undefined;
  return fn((x) => p(h(x)), `${phi.name}(${F.text})`, kinks, slope);
}

/** A value: base index -> its function (bases absent contribute nothing). */
export type Value = Map<number, Fn>;

export interface FieldSpec {
  /** 1-based index d of the dense layer (its output is base d). */
  index: number;
  path: string;
  sw2: number;
  sb2: number;
  /** The dense layer's input. */
  value: Value;
}

export interface RowSpec {
  label: string;
  kind: Layer['kind'] | 'input';
  value: Value;
  /** Dense layers executed before this row (their fields lie before it). */
  densesBefore: number;
}

export interface NetValues {
  P: number;
  K0: number[][];
  fields: FieldSpec[];
  rows: RowSpec[];
}

/**
 * The representation of a description, or an InputError naming the first layer the one-loop theory
 * does not cover. Rows are netMeanField's rows (the input; every top-level dense layer and residual block).
 */
export function netValues(d: NetDescription, opts: { alpha?: number; input?: number[][] } = {}): NetValues {
  const where = (path: string) => ({ source: d.source, path });
  const P = d.inputs.kernel.length;
  const K0 = opts.input ?? d.inputs.kernel.map((r) => r.map(Number));
  const L = countResidualBlocks(d.layers);
  const fields: FieldSpec[] = [];
  const rows: RowSpec[] = [{ label: 'input', kind: 'input', value: new Map([[0, IDENTITY]]), densesBefore: 0 }];
  let blockIndex = 0;
  const refuse = (path: string, l: Layer, why: string): InputError => netError(where(`${path} (${l.kind})`), `the one-loop theory ${why}`);

  const run = (layers: readonly Layer[], x0: Value, prefix: string, iter: string, top: boolean): Value => {
    let x = x0;
    layers.forEach((l, i) => {
      const path = `${prefix}[${i}]`;
      const label = `${iter}${path}`;
      switch (l.kind) {
        case 'dense':
        case 'readout': {
          const index = fields.length + 1;
          fields.push({ index, path: label, sw2: Number(l.sw2), sb2: Number(l.sb2), value: x });
          x = new Map([[index, IDENTITY]]);
          if (top) rows.push({ label, kind: l.kind, value: x, densesBefore: fields.length });
          break;
        }
        case 'act': {
          if (x.size !== 1 && l.phi.linear && l.phi.parity === 'odd') {
            // a linear activation distributes over the sum
            x = new Map([...x].map(([base, F]) => [base, composeFn(l.phi, F)]));
            break;
          }
          if (x.size !== 1) {
            throw refuse(
              label,
              l,
              'covers an activation applied to one dense layer\'s output (or the input), possibly after other activations and residual sums of functions of it; here it acts on a sum over several layers (a residual stream): the standard form [act, dense] is covered by loop\'s own flags, or put a dense layer before the activation',
            );
          }
          const [[base, F]] = [...x];
          x = new Map([[base, composeFn(l.phi, F)]]);
          break;
        }
        case 'residual': {
          blockIndex++;
          let alpha = opts.alpha ?? Number(l.alpha);
          if (l.schedule) alpha *= evaluate64(l.schedule.expr, { l: blockIndex, L });
          const g = l.scaling === 'amplitude' ? alpha : Math.sqrt(alpha);
          if (!(Number.isFinite(g) && g >= 0)) throw refuse(label, l, `needs a finite alpha_l >= 0 (got ${g} at block ${blockIndex})`);
          const y = run(l.branch, x, `${path}.residual.branch`, iter, false);
          const out: Value = new Map(x);
          for (const [base, H] of y) {
            const gH = scaleFn(H, g);
            const F = out.get(base);
            out.set(base, F ? addFn(F, gH) : gH);
          }
          x = out;
          if (top) rows.push({ label, kind: l.kind, value: x, densesBefore: fields.length });
          break;
        }
        case 'serial':
          x = run(l.layers, x, `${path}.serial`, iter, top);
          break;
        case 'repeat':
          for (let k = 1; k <= l.n; k++) x = run(l.layers, x, '.layers', `${iter}${path}.repeat(${k})`, top);
          break;
        case 'batchnorm':
        case 'conv':
          throw refuse(label, l, `covers dense, act, residual, serial, repeat and readout layers only (not ${l.kind === 'conv' ? 'convolutions' : 'batch norm'})`);
      }
    });
    return x;
  };
  run(d.layers, rows[0].value, 'layers', '', true);
  return { P, K0, fields, rows };
}
