/**
 * The dual interpretation: Gaussian expectations with their derivative along the seeded
 * direction, on top of a numeric interpretation. Closed forms need nothing here (they run on the
 * dual field directly); quadrature expectations differentiate through
 *   d<F(u)>/dK = <F(u) (u^2/K - 1)> / (2K)                     (Gaussian weight; any F)
 *   d<f(u) g(v)> = <f' g'> dK12 + (1/2)<f'' g> dK11 + (1/2)<f g''> dK22     (Price; smooth f, g)
 */
import Decimal from 'decimal.js';
import { Activation } from '../model/activation';
import { Dual, dualField } from '../numeric/dual';
import { Interpretation, Integrand } from './numeric';
import { InputError } from '../model/errors';

function zeroDeep(x: unknown): boolean {
  if (typeof x === 'number') return x === 0;
  if (Decimal.isDecimal(x)) return (x as Decimal).isZero();
  const n = x as Partial<Dual<unknown>>;
  if (typeof n === 'object' && n !== null && 'v' in n && 'd' in n) return zeroDeep(n.v) && zeroDeep(n.d);
  return false;
}
import { ddFromDecimal, ddMul, ddDiv, ddAddNum } from '../numeric/dd';
import { integrandDD } from '../numeric/ddCompile';

function isActivation(f: Integrand): f is Activation & Integrand {
  return typeof (f as Partial<Activation>).derivative === 'function';
}

export function dualInterp<T>(I: Interpretation<T>): Interpretation<Dual<T>> {
  const F = I.F;
  const DF = dualField(F);
  // exactly zero, every component of a nested dual included (toNumber sees only the value part)
  const zero = (x: T): boolean => {
    if (F.kind === 'symbolic') return false;
    const n = x as unknown as Partial<Dual<unknown>>;
    if (typeof n === 'object' && n !== null && 'v' in n && 'd' in n) return zeroDeep(n.v) && zeroDeep(n.d);
    return F.toNumber(x) === 0;
  };
  return {
    F: DF,
    expect1: (f, k) => {
      const v = I.expect1(f, k.v);
      if (zero(k.d)) return { v, d: F.of(0) };
      const kn = F.toNumber(k.v);
      const kd = F.kind === 'decimal' ? (k.v as unknown as Decimal) : undefined;
      const fd = kd ? integrandDD(f) : undefined;
      const kdd = fd && kd ? ddFromDecimal(kd) : undefined;
      const weighted: Integrand = {
        dd: fd && kdd ? (x) => ddMul(fd(x), ddAddNum(ddDiv(ddMul(x, x), kdd), -1)) : undefined,
        f64: (x) => f.f64(x) * ((x * x) / kn - 1),
        dec: (x) => f.dec(x).times(x.times(x).div(kd ?? new (x.constructor as typeof Decimal)(kn)).minus(1)),
        kinks: f.kinks,
        name: `${f.name ?? 'f'}*(u^2/K-1)`,
      };
      const dEdK = F.div(I.expect1(weighted, k.v), F.mul(F.of(2), k.v));
      return { v, d: F.mul(dEdK, k.d) };
    },
    expect2: (f, g, k11, k12, k22) => {
      const v = I.expect2(f, g, k11.v, k12.v, k22.v);
      if (zero(k11.d) && zero(k12.d) && zero(k22.d)) return { v, d: F.of(0) };
      // Price's first-derivative form <f' g'> holds for continuous, almost everywhere differentiable
      // f and g; the diagonal terms need second derivatives (smooth activations)
      const diag = !zero(k11.d) || !zero(k22.d);
      const ok = (h: Integrand) => isActivation(h) && (diag ? h.continuity === 'smooth' : h.continuity !== 'discontinuous');
      if (!isActivation(f) || !isActivation(g) || !ok(f) || !ok(g)) {
        throw new InputError('act', `differentiating <${f.name ?? 'f'} ${g.name ?? 'g'}> needs ${diag ? 'smooth' : 'continuous'} activations (or a closed form)`);
      }
      let d = F.mul(I.expect2(f.derivative(), g.derivative(), k11.v, k12.v, k22.v), k12.d);
      const half = F.of('0.5');
      if (!zero(k11.d)) d = F.add(d, F.mul(F.mul(half, I.expect2(f.derivative().derivative(), g, k11.v, k12.v, k22.v)), k11.d));
      if (!zero(k22.d)) d = F.add(d, F.mul(F.mul(half, I.expect2(f, g.derivative().derivative(), k11.v, k12.v, k22.v)), k22.d));
      return { v, d };
    },
  };
}
