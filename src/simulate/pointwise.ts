/**
 * Elementwise phi and phi' over Float64Arrays, with monomorphic loops for the common
 * activations (the generic path calls the activation's own float64 evaluator).
 */
import { Activation } from '../model/activation';
import { erf64 } from '../numeric/special';

// Math functions bound once: under jest 30 the global Math is a proxy, and a call through it
// costs a microsecond (200x slower); a local binding is a plain function call everywhere.
const { tanh, exp, sqrt } = Math;

/** dst[do + i] = f(src[so + i]), i < n. */
export type Pointwise = (src: Float64Array, so: number, dst: Float64Array, dOff: number, n: number) => void;

const TWO_OVER_SQRT_PI = 2 / sqrt(Math.PI);

function generic(f: (x: number) => number): Pointwise {
  return (src, so, dst, dOff, n) => {
    for (let i = 0; i < n; i++) dst[dOff + i] = f(src[so + i]);
  };
}

/** phi, elementwise. */
export function phiKernel(act: Activation): Pointwise {
  switch (act.name) {
    case 'tanh':
      return (src, so, dst, dOff, n) => {
        for (let i = 0; i < n; i++) dst[dOff + i] = tanh(src[so + i]);
      };
    case 'relu':
      return (src, so, dst, dOff, n) => {
        for (let i = 0; i < n; i++) {
          const x = src[so + i];
          dst[dOff + i] = x > 0 ? x : 0;
        }
      };
    case 'linear':
      return (src, so, dst, dOff, n) => {
        for (let i = 0; i < n; i++) dst[dOff + i] = src[so + i];
      };
    case 'erf':
      return (src, so, dst, dOff, n) => {
        for (let i = 0; i < n; i++) dst[dOff + i] = erf64(src[so + i]);
      };
    default:
      return generic((x) => act.f64(x));
  }
}

/** phi' (almost everywhere), elementwise. */
export function dphiKernel(act: Activation): Pointwise {
  switch (act.name) {
    case 'tanh':
      return (src, so, dst, dOff, n) => {
        for (let i = 0; i < n; i++) {
          const t = tanh(src[so + i]);
          dst[dOff + i] = 1 - t * t;
        }
      };
    case 'relu':
      return (src, so, dst, dOff, n) => {
        for (let i = 0; i < n; i++) dst[dOff + i] = src[so + i] > 0 ? 1 : 0;
      };
    case 'linear':
      return (_src, _so, dst, dOff, n) => {
        dst.fill(1, dOff, dOff + n);
      };
    case 'erf':
      return (src, so, dst, dOff, n) => {
        for (let i = 0; i < n; i++) {
          const x = src[so + i];
          dst[dOff + i] = TWO_OVER_SQRT_PI * exp(-x * x);
        }
      };
    default: {
      const d = act.derivative();
      return generic((x) => d.f64(x));
    }
  }
}
