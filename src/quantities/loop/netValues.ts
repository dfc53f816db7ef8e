/**
 * One neuron of a described network as the one-loop theory sees it: every value it holds is a sum
 * of independent terms F_t(g_t), each a function of one composite Gaussian g_t.
 *
 * Primitives: primitive 0 is the neuron's input h^0 ~ N(0, K^0); primitive d (d = 1..D) is the
 * neuron's row of the d-th dense layer in execution order, u_d ~ N(0, Sigma_d), Sigma_d = sw2_d G_d
 * + sb2_d, where the auxiliary field G_d is the empirical kernel of that layer's input. Given all
 * fields the primitives are independent Gaussians (the weights are fresh per layer). A composite is
 * a linear combination of primitives; the terms of one value use disjoint primitives, so they are
 * independent P-vectors (F_t applied to each input's component), and their Gaussian parts are merged
 * into one linear term.
 *
 *   dense            x <- u_d                         (a new primitive; the field G_d = E[x x^T] before it)
 *   act(phi)         x <- phi(F(g))                   (x must be one term: its function is composed;
 *                                                      a linear phi distributes over a sum)
 *   residual(br)     x <- x + a br(x)                 (Gaussian parts merge; a branch term on x's own
 *                                                      composite adds to x's function there)
 *
 * An activation applied to a sum of nonlinear functions of several layers is outside this
 * representation (it is not Gaussian); with two inputs so is an activation of a composite of
 * several layers (its cross-layer moments are four-dimensional integrals). Both are refused naming
 * the layer.
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

/**
 * A Gaussian of one neuron given the fields: a linear combination of primitives (primitive 0: the
 * input h^0 ~ N(0, K^0); primitive d: the d-th dense layer's row u_d ~ N(0, Sigma_d)), independent.
 */
export interface Composite {
  readonly id: number;
  /** primitive -> coefficient */
  readonly coef: ReadonlyMap<number, number>;
}

/** One term F(g) of a value: a function of one composite Gaussian. */
export interface Term {
  readonly g: Composite;
  readonly F: Fn;
}

/**
 * A value: a sum of terms over disjoint sets of primitives (so the terms are independent), at most
 * one of them linear (the Gaussian part, F the identity).
 */
export type Value = readonly Term[];

let nextComposite = 0;
export function composite(coef: ReadonlyMap<number, number>): Composite {
  return { id: nextComposite++, coef };
}

const linear = (t: Term) => t.F.slope !== undefined;

/** A linear term with its slope moved into the composite (F the identity). */
function normal(t: Term): Term {
  if (!linear(t) || t.F === IDENTITY) return t;
  const s = t.F.slope as number;
  return { g: composite(new Map([...t.g.coef].map(([c, a]) => [c, a * s]))), F: IDENTITY };
}

const overlaps = (a: Composite, b: Composite) => [...a.coef.keys()].some((c) => b.coef.has(c));

/** The sum of two independent-or-mergeable values, or a reason it is outside the representation. */
function addValues(x: Value, y: Value): Value | string {
  let out: Term[] = x.map(normal);
  for (const t0 of y) {
    const t = normal(t0);
    const over = out.filter((o) => overlaps(o.g, t.g));
    const lin = out.find(linear);
    if (linear(t) && over.every(linear) && (over.length > 0 || lin)) {
      // the Gaussian parts merge into one composite
      const base = over[0] ?? (lin as Term);
      const coef = new Map(base.g.coef);
      for (const [c, a] of t.g.coef) coef.set(c, (coef.get(c) ?? 0) + a);
      out = out.filter((o) => o !== base);
      out.push({ g: composite(coef), F: IDENTITY });
    } else if (over.length === 0) out.push(t);
    else if (over.length === 1 && over[0].g === t.g) {
      out = out.filter((o) => o !== over[0]);
      out.push({ g: t.g, F: addFn(over[0].F, t.F) });
    } else return 'a residual sum of different nonlinear functions of overlapping Gaussians';
  }
  return out;
}

export interface FieldSpec {
  /** 1-based index d of the dense layer (its output is primitive d). */
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
 * `alpha` replaces every residual block's alpha (schedules still apply); `input` replaces K^0.
 */
export function netValues(d: NetDescription, opts: { alpha?: number; input?: number[][] } = {}): NetValues {
  const where = (path: string) => ({ source: d.source, path });
  const P = d.inputs.kernel.length;
  const K0 = opts.input ?? d.inputs.kernel.map((r) => r.map(Number));
  const L = countResidualBlocks(d.layers);
  const fields: FieldSpec[] = [];
  const input: Value = [{ g: composite(new Map([[0, 1]])), F: IDENTITY }];
  const rows: RowSpec[] = [{ label: 'input', kind: 'input', value: input, densesBefore: 0 }];
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
          x = [{ g: composite(new Map([[index, 1]])), F: IDENTITY }];
          if (top) rows.push({ label, kind: l.kind, value: x, densesBefore: fields.length });
          break;
        }
        case 'act': {
          if (l.phi.linear && l.phi.parity === 'odd') {
            // a linear activation distributes over the sum
            x = x.map((t) => normal({ g: t.g, F: composeFn(l.phi, t.F) }));
            break;
          }
          if (x.length !== 1) {
            throw refuse(
              label,
              l,
              'covers an activation applied to a Gaussian (the input, a dense output, a residual stream of Gaussian increments) or to a function of one; here it acts on a sum of nonlinear functions of different layers, which is not Gaussian: put a dense layer before the activation',
            );
          }
          const t = x[0];
          if (P === 2 && t.g.coef.size > 1) {
            throw refuse(
              label,
              l,
              "with two inputs covers activations of one layer's Gaussian only: here it acts on a residual stream summing several layers, whose cross-layer moments are four-dimensional Gaussian integrals (today's form [act, dense] has its own engine: loop's flags; one input works here)",
            );
          }
          x = [{ g: t.g, F: composeFn(l.phi, t.F) }];
          break;
        }
        case 'residual': {
          blockIndex++;
          let alpha = opts.alpha ?? Number(l.alpha);
          if (l.schedule) alpha *= evaluate64(l.schedule.expr, { l: blockIndex, L });
          const g = l.scaling === 'amplitude' ? alpha : Math.sqrt(alpha);
          if (!(Number.isFinite(g) && g >= 0)) throw refuse(label, l, `needs a finite alpha_l >= 0 (got ${g} at block ${blockIndex})`);
          const y = run(l.branch, x, `${path}.residual.branch`, iter, false);
          const sum = addValues(x, y.map((t) => ({ g: t.g, F: scaleFn(t.F, g) })));
          if (typeof sum === 'string') throw refuse(label, l, `does not cover ${sum}`);
          x = sum;
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
