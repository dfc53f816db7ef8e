/**
 * Forward-mode differentiation as a fourth interpretation: the dual numbers over any field.
 * A quantity written over Field<T> run with `dualField(F)` returns its value and its derivative
 * with respect to whichever input was seeded with derivative 1 — exactly, in F's arithmetic
 * (float64 or Decimal), with no finite-difference step.
 */
import { Field } from './field';

export interface Dual<T> {
  v: T;
  d: T;
}

export function dualField<T>(F: Field<T>): Field<Dual<T>> & { variable(x: T): Dual<T>; constant(x: T): Dual<T> } {
  const zero = F.of(0);
  const one = F.of(1);
  const two = F.of(2);
  const c = (v: T): Dual<T> => ({ v, d: zero });
  const chain = (a: Dual<T>, v: T, dv: T): Dual<T> => ({ v, d: F.mul(dv, a.d) });
  return {
    kind: F.kind,
    digits: F.digits,
    variable: (x) => ({ v: x, d: one }),
    constant: c,
    of: (x) => c(F.of(x)),
    add: (a, b) => ({ v: F.add(a.v, b.v), d: F.add(a.d, b.d) }),
    sub: (a, b) => ({ v: F.sub(a.v, b.v), d: F.sub(a.d, b.d) }),
    mul: (a, b) => ({ v: F.mul(a.v, b.v), d: F.add(F.mul(a.d, b.v), F.mul(a.v, b.d)) }),
    div: (a, b) => {
      const v = F.div(a.v, b.v);
      return { v, d: F.div(F.sub(a.d, F.mul(v, b.d)), b.v) };
    },
    neg: (a) => ({ v: F.neg(a.v), d: F.neg(a.d) }),
    pow: (a, b) => {
      const v = F.pow(a.v, b.v);
      // d(a^b) = b a^(b-1) da + a^b ln(a) db  (the second term only when b varies)
      const da = F.mul(F.mul(b.v, F.pow(a.v, F.sub(b.v, one))), a.d);
      const bVaries = F.kind === 'symbolic' || F.toNumber(b.d) !== 0;
      return { v, d: bVaries ? F.add(da, F.mul(F.mul(v, F.log(a.v)), b.d)) : da };
    },
    sqrt: (a) => {
      const v = F.sqrt(a.v);
      return chain(a, v, F.div(one, F.mul(two, v)));
    },
    exp: (a) => {
      const v = F.exp(a.v);
      return chain(a, v, v);
    },
    log: (a) => chain(a, F.log(a.v), F.div(one, a.v)),
    sin: (a) => chain(a, F.sin(a.v), F.cos(a.v)),
    cos: (a) => chain(a, F.cos(a.v), F.neg(F.sin(a.v))),
    asin: (a) => chain(a, F.asin(a.v), F.div(one, F.sqrt(F.sub(one, F.mul(a.v, a.v))))),
    acos: (a) => chain(a, F.acos(a.v), F.neg(F.div(one, F.sqrt(F.sub(one, F.mul(a.v, a.v)))))),
    atan: (a) => chain(a, F.atan(a.v), F.div(one, F.add(one, F.mul(a.v, a.v)))),
    pi: () => c(F.pi()),
    isFinite: (a) => F.isFinite(a.v) && F.isFinite(a.d),
    toNumber: (a) => F.toNumber(a.v),
    format: (a, digits) => F.format(a.v, digits),
  };
}
