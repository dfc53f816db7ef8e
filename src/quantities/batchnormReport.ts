/**
 * The batch-norm analysis behind `fieldprop batchnorm`, computed here once for every front end:
 * the symmetric fixed point with its digit count (two quadrature node counts) checked against the
 * J_phi route, the forward eigenvalues by irrep with their depth scales, the general B x B map from
 * a perturbed start, and the Monte Carlo checks with their z-scores.
 */
import { InputError, NumericalError } from '../model/errors';
import {
  batchNormSpec, sphereMoments, sphereMomentsVerified, assemble, batchNormJphi, batchNormJphiFixedPoint, homogeneousForm, depthScale,
  irrepDirections, fixedPointMatrix, isPlainBatchNorm, BatchNormResult, BatchNormOptions, JphiResult,
} from './batchnorm';
import { batchNormEps, EpsResult } from './batchnormEps';
import { iterateGeneral, perturbedStart, GeneralFixedPoint } from './batchnormGeneral';
import { simulateBatchNorm, mapMonteCarlo, simulateLinearisation, Estimate, BatchNormSimResult, MapMonteCarloResult } from '../simulate/batchnorm';

/** Largest batch for which the J_phi route also computes the eigenvalues (cost ~ B^3 per node). */
export const JPHI_EIGEN_MAX_BATCH = 24;

/** Memory cap of --simulate: weights and BN states of all layers (float64 numbers, 400 MB). */
export const MAX_SIM_DOUBLES = 5e7;

type Key = 'q_star' | 'c_star' | 'grad_rate' | 'lambda_std' | 'lambda_2';
const KEYS: Key[] = ['q_star', 'c_star', 'grad_rate', 'lambda_std', 'lambda_2'];

export interface BatchNormReport {
  act: string;
  batch: number;
  sw2: number;
  sb2: number;
  digits: number;
  result: BatchNormResult;
  quad: { error: number; nodes: number };
  jphi: (Partial<JphiResult> & { eigen: boolean }) | null;
  route_difference: number | null;
  /** With eps, gamma or beta away from 0, 1, 0: the radial x sphere quadrature and the symmetric iteration. */
  affine: EpsResult | null;
}

/** Quadrature route with a digit count from the difference of two node counts, plus the J_phi route. */
export function batchNormReport(o: BatchNormOptions): BatchNormReport {
  const spec = batchNormSpec(o);
  if (!isPlainBatchNorm(spec)) {
    const r = batchNormEps(spec);
    // the two rules agree to quad_error <= 1e-7: print 6 significant digits
    return {
      act: spec.act.name, batch: spec.batch, sw2: spec.sw2, sb2: spec.sb2, digits: 6, result: r,
      quad: { error: r.quad_error, nodes: r.nodes.sphere }, jphi: null, route_difference: null, affine: r,
    };
  }
  const { moments, error, nodes } = sphereMomentsVerified(spec.act, spec.batch);
  const result = assemble(spec, moments);
  const coarse = assemble(spec, sphereMoments(spec.act, spec.batch, nodes / 2));
  let rel = 0;
  for (const k of KEYS) {
    const a = result[k];
    const b = coarse[k];
    if (a === null || b === null) continue;
    rel = Math.max(rel, Math.abs(a - b) / Math.max(Math.abs(a), 1e-300));
  }
  const digits = Math.max(3, Math.min(12, Math.floor(-Math.log10(Math.max(rel, 1e-16))) - 1));
  let jphi: BatchNormReport['jphi'] = null;
  let diff: number | null = null;
  if (homogeneousForm(spec.act)) {
    const eigen = spec.batch <= JPHI_EIGEN_MAX_BATCH;
    jphi = eigen ? { ...batchNormJphi(spec), eigen } : { ...batchNormJphiFixedPoint(spec), eigen };
    diff = 0;
    for (const k of KEYS) {
      const a = result[k];
      const b = jphi[k];
      if (a === null || b === null || b === undefined) continue;
      diff = Math.max(diff, Math.abs(a - b) / Math.max(Math.abs(a), 1e-300));
    }
    if (diff > Math.pow(10, -digits + 1)) {
      throw new NumericalError(`batchnorm: the quadrature and J_phi routes disagree (relative ${diff.toExponential(2)}) for ${spec.act.name} at B = ${spec.batch}`);
    }
  }
  return { act: spec.act.name, batch: spec.batch, sw2: spec.sw2, sb2: spec.sb2, digits, result, quad: { error, nodes }, jphi, route_difference: diff, affine: null };
}

export interface BatchNormEigenvalue {
  irrep: string;
  multiplicity: number;
  value: number;
  /** Layers per e-fold, 1/|ln|value||; null at 0 or |value| = 1. */
  depth_scale: number | null;
  note: string;
}

export interface BatchNormSpectrum {
  /** The forward eigenvalues at the symmetric fixed point, one per irrep of the batch permutations. */
  eigenvalues: BatchNormEigenvalue[];
  /** The largest |eigenvalue|: below 1 the symmetric fixed point is stable. */
  lambda_max: number;
  forward_depth_scale: number | null;
  grad_depth_scale: number | null;
  /** Why the gradient rate is absent (B <= 3: infinite), or null. */
  grad_note: string | null;
}

/** The forward eigenvalues by irrep (trivial, standard, [B-2,2]), their depth scales and the gradient's. */
export function batchNormSpectrum(rep: BatchNormReport): BatchNormSpectrum {
  const B = rep.batch;
  const r = rep.result;
  const aff = rep.affine;
  const eig = [
    aff ? { irrep: 'trivial', multiplicity: 1, value: aff.lambda_triv, note: 'scale direction q(1-c)' }
      : { irrep: 'trivial', multiplicity: 1, value: 0, note: 'scale direction (BN is scale invariant)' },
    ...(B >= 3 ? [{ irrep: 'standard [B-1,1]', multiplicity: B - 1, value: r.lambda_std as number, note: '' }] : []),
    ...(B >= 4 ? [{ irrep: '[B-2,2]', multiplicity: (B * (B - 3)) / 2, value: r.lambda_2 as number, note: '' }] : []),
  ];
  const lamMax = Math.max(...eig.map((e) => Math.abs(e.value)));
  return {
    eigenvalues: eig.map((e) => ({ ...e, depth_scale: depthScale(e.value) })),
    lambda_max: lamMax,
    forward_depth_scale: depthScale(lamMax),
    grad_depth_scale: depthScale(r.grad_rate),
    grad_note: B <= 3 && r.grad_rate === null ? 'infinite: E[1/chi^2_(B-1)] diverges for B <= 3' : null,
  };
}

/** The general B x B map iterated from Sigma* + 1e-3 q* E (E seeded): back to Sigma*, or a symmetry-broken fixed point. */
export function batchNormGeneral(o: BatchNormOptions, rep: BatchNormReport, seed: number): GeneralFixedPoint {
  return iterateGeneral(batchNormSpec(o), perturbedStart(rep.batch, rep.result.q_star, rep.result.c_star, 1e-3, seed));
}

export interface BatchNormSimulationOptions {
  width: number;
  depth: number;
  networks: number;
  samples: number;
  seed: number;
}

/**
 * Monte Carlo checks of a report: finite-width networks, the sampled B x B map (common random
 * numbers) and one finite-width layer on Sigma* +- 0.1 q* D, each with its z-score against the
 * mean field. Refuses (--width) a network that would store more than MAX_SIM_DOUBLES numbers.
 */
export interface BatchNormSimulation {
  options: BatchNormSimulationOptions;
  net: BatchNormSimResult;
  map: MapMonteCarloResult;
  /** The forward eigenvalues (standard, then [B-2,2]) of one finite-width layer. */
  lin: Estimate[];
  /** (estimate - mean field) / se for q_star, c_star, grad_rate, lambda_std, lambda_2, net_lambda_std, net_lambda_2 (null without a value). */
  z: Record<string, number | null>;
}

export function batchNormSimulation(rep: BatchNormReport, o: BatchNormSimulationOptions): BatchNormSimulation {
  const doubles = o.depth * o.width * (o.width + 2 * rep.batch);
  if (doubles > MAX_SIM_DOUBLES) {
    throw new InputError('width', `the simulation stores depth x width x (width + 2 batch) = ${doubles} numbers, more than ${MAX_SIM_DOUBLES}; reduce --width, --depth or --batch`);
  }
  const bn = rep.affine ? { eps: rep.affine.eps, gamma: rep.affine.gamma, beta: rep.affine.beta } : undefined;
  const spec = batchNormSpec({ act: rep.act, batch: rep.batch, sw2: rep.sw2, sb2: rep.sb2, ...bn });
  const B = rep.batch;
  const net = simulateBatchNorm({ act: spec.act, batch: B, width: o.width, depth: o.depth, sw2: spec.sw2, sb2: spec.sb2, networks: o.networks, seed: o.seed, ...bn });
  const dirs = irrepDirections(B);
  const directions = [dirs.std, dirs.pair].filter((x): x is number[][] => x !== null);
  const map = mapMonteCarlo({
    act: spec.act, batch: B, sw2: spec.sw2, sb2: spec.sb2, sigma: fixedPointMatrix(B, rep.result.q_star, rep.result.c_star),
    directions, samples: o.samples, seed: o.seed, bn,
  });
  // forward eigenvalues on finite-width layers: 5x as many (cheap, one-layer) networks
  const lin = directions.map((D, k) => simulateLinearisation({
    act: spec.act, batch: B, width: o.width, sw2: spec.sw2, sb2: spec.sb2, sigma: fixedPointMatrix(B, rep.result.q_star, rep.result.c_star),
    direction: D, eps: 0.1, networks: 5 * o.networks, seed: o.seed + 1 + k, bn,
  }));
  const z = (e: Estimate | undefined, t: number | null): number | null => (e && t !== null && e.se > 0 ? (e.mean - t) / e.se : null);
  return {
    options: o,
    net,
    map,
    lin,
    z: {
      q_star: z(net.q, rep.result.q_star), c_star: z(net.c, rep.result.c_star), grad_rate: z(net.grad_rate, rep.result.grad_rate),
      lambda_std: z(map.lambda[0], rep.result.lambda_std), lambda_2: z(map.lambda[1], rep.result.lambda_2),
      net_lambda_std: z(lin[0], rep.result.lambda_std), net_lambda_2: z(lin[1], rep.result.lambda_2),
    } as Record<string, number | null>,
  };
}
