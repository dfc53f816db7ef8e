/**
 * Cost estimates before long work: a job whose estimated time exceeds MAX_SECONDS is refused with
 * one line (InputError, exit code 2) naming the estimate, the limit and what to change, instead of
 * running for hours. The per-unit costs were measured on the development machine (2 shared cores,
 * under load) and are kept on the optimistic side, so that only clearly hopeless jobs are refused;
 * they live here, in one place, to be lowered as the numerics get faster.
 */
import { InputError } from '../model/errors';
import type { Network } from '../model/network';

/** Jobs estimated to take longer than this are refused. */
export const MAX_SECONDS = 600;

/** Measured seconds per unit of work. */
export const UNIT_COST = {
  /** One verified layer (both passes) of a closed-form kernel at 16 digits; times (digits/16)^CLOSED_DIGITS_EXP. */
  closedFormLayer: 5e-3,
  closedFormDigitsExp: 1.3,
  /** One verified layer of a quadrature kernel at 16 digits; times (digits/16)^QUAD_DIGITS_EXP. */
  quadratureLayer: 0.05,
  quadratureDigitsExp: 2.3,
  /** One layer of the float64 one-loop table (both grid resolutions). */
  loopLayer: 3.5e-3,
  /** Monte Carlo, fast sampler: one network x one unit of width x one layer. */
  mcFast: 3e-7,
  /** Monte Carlo, full sampler: one network x width^2 x one layer. */
  mcFull: 3e-8,
  /** Orthogonal-kernel singular values: channels^3 per frequency. */
  cnnOrthogonal: 1.3e-6,
  /** CNN mean field: covariance propagation, one layer x one position. */
  cnnLayerPosition: 1e-5,
  /** CNN simulation: one network x layer x channel^2 x position x tap. */
  cnnSimulate: 5e-8,
};

/** Seconds per verified layer of the mean-field kernel of `net` at `digits`. */
export function kernelLayerSeconds(net: Network, digits: number): number {
  const d = Math.max(digits, 6) / 16;
  return net.act.closedForm
    ? UNIT_COST.closedFormLayer * Math.pow(d, UNIT_COST.closedFormDigitsExp)
    : UNIT_COST.quadratureLayer * Math.pow(d, UNIT_COST.quadratureDigitsExp);
}

function duration(s: number): string {
  if (s < 120) return `${Math.round(s)} s`;
  if (s < 7200) return `${Math.round(s / 60)} minutes`;
  if (s < 2 * 86400) return `${Math.round(s / 3600)} hours`;
  return `${Math.round(s / 86400)} days`;
}

/**
 * Refuse a job estimated at `seconds` (> MAX_SECONDS). `option` is the parameter to change,
 * `what` describes the job, `advice` says what to change (e.g. "reduce --depth to at most 1000").
 */
export function checkCost(option: string, what: string, seconds: number, advice: string): void {
  if (!(seconds > MAX_SECONDS)) return;
  throw new InputError(option, `${what} would take about ${duration(seconds)} (estimate), more than the ${MAX_SECONDS / 60}-minute limit: ${advice}`);
}

/**
 * A verified per-layer computation over `net` (kernel, ntk, response: `factor` kernel-equivalents
 * per layer). Refused when hopeless, naming the largest depth that fits.
 */
export function checkLayers(cmd: string, net: Network, digits: number, factor = 1): void {
  const perLayer = kernelLayerSeconds(net, digits) * factor;
  const maxDepth = Math.max(1, Math.floor(MAX_SECONDS / perLayer));
  checkCost('depth', `${cmd} at depth ${net.depth} with ${digits} digits (${net.act.closedForm ? 'closed-form' : 'quadrature'} activation ${net.act.name})`, perLayer * net.depth,
    `reduce --depth to at most ${maxDepth}${digits > 16 ? ' or lower --digits' : ''}`);
}

/** The one-loop table over `depth` layers (loop, validate's theory, response --width). */
export function checkLoopLayers(depth: number): void {
  const maxDepth = Math.floor(MAX_SECONDS / UNIT_COST.loopLayer);
  checkCost('depth', `the one-loop table over ${depth} layers`, depth * UNIT_COST.loopLayer, `reduce --depth to at most ${maxDepth}`);
}

/** Monte Carlo of `samples` networks per width over `depth` layers. */
export function checkMonteCarlo(samples: number, widths: number[], depth: number, sampler: 'fast' | 'full'): void {
  const units = widths.reduce((a, N) => a + (sampler === 'full' ? N * N * UNIT_COST.mcFull : N * UNIT_COST.mcFast), 0);
  checkCost('samples', `the Monte Carlo of ${samples} networks per width (widths ${widths.join(', ')}, depth ${depth}, ${sampler} sampler)`, samples * depth * units,
    'reduce --samples, --width(s) or --depth');
}
