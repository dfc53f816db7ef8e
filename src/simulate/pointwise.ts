/**
 * Elementwise phi and phi' over Float64Arrays, taken from the Activation object itself: phi is its
 * float64 evaluator and phi' the float64 evaluator of its (almost-everywhere) derivative, so the
 * simulators know no activation by name. At a kink phi' takes the Activation's own value there
 * (relu: heaviside(0) = 1/2), which a Gaussian pre-activation reaches with probability zero.
 */
import { Activation } from '../model/activation';

/** dst[do + i] = f(src[so + i]), i < n. */
export type Pointwise = (src: Float64Array, so: number, dst: Float64Array, dOff: number, n: number) => void;

function pointwise(f: (x: number) => number): Pointwise {
  return (src, so, dst, dOff, n) => {
    for (let i = 0; i < n; i++) dst[dOff + i] = f(src[so + i]);
  };
}

/** phi, elementwise. */
export function phiKernel(act: Activation): Pointwise {
  return pointwise(act.f64);
}

/** phi' (almost everywhere), elementwise. */
export function dphiKernel(act: Activation): Pointwise {
  return pointwise(act.derivative().f64);
}
