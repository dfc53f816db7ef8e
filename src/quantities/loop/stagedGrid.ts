/** The schedule of the staged two-input grid: per layer the range and step each axis needs. */
import { Network } from '../../model/network';
import { NumericalError } from '../../model/errors';
import { Activation } from '../../model/activation';
import { float64Interp } from '../../interpret/numeric';
import { meanFieldKernels } from '../kernel';
import { params } from './common';
import { trapezoidCheck, nextPow2, R_TAIL2, STEP_SIGMAS } from './gridCommon';
import { Grid2, GridStage } from './twoInputGrid';
import { plainMath } from '../../numeric/plainMath';
// A plain-object copy of Math: under jest the global Math is a proxy and each Math.* access costs ~1 us.
const Math = plainMath();

/**
 * The largest step the two-input grid may take where the Gaussian is wide: for kinked activations
 * 1/8 (Richardson extrapolation removes the O(h^2) kink error); for smooth ones the largest
 * 0.4 * 0.875^k at which the trapezoid rule resolves phi^2 and phi^4 at the smallest and the largest
 * variance of the network (at least 1, so that phi's own features set it).
 */
export function activationStep2(act: Activation, Kmin: number, Kmax: number): number {
  if (act.continuity !== 'smooth') return 0.125;
  const atMin = trapezoidCheck(act, Math.max(Kmin, 1));
  const atMax = trapezoidCheck(act, Math.max(Kmax, 1));
  let H = 0.4;
  for (let it = 0; it < 24; it++) {
    if (atMin(H) && atMax(H)) return H;
    H *= 0.875;
  }
  return H;
}

/**
 * The two-input grid schedule that serves every network in `nets` (the same architecture at
 * nearby c0 or alpha: finite differences must run on one grid). Rotated (principal axes) for
 * smooth activations, on the axes for kinked ones (the kinks y1 = 0, y2 = 0 are grid lines).
 * At layer l each axis covers R_TAIL2 standard deviations of K^l (+2) and steps at most
 * STEP_SIGMAS standard deviations of K^(l-1) along it (and the activation's step); steps lie on the
 * ladder H / 2^k, so that they only double from stage to stage.
 */
export function twoInputGridFor(nets: Network[]): Grid2 {
  const P = params(nets[0]);
  const L = P.L;
  const rotated = P.act.continuity === 'smooth';
  const mfs = nets.map((n) => meanFieldKernels(float64Interp, n));
  // per layer: the variance along each axis (covering) and the narrowest variance it must resolve
  const rangeVar = [new Array<number>(L + 1).fill(0), new Array<number>(L + 1).fill(0)];
  const stepVar = [new Array<number>(L + 1).fill(Infinity), new Array<number>(L + 1).fill(Infinity)];
  let Kmin = Infinity;
  let Kmax = 0;
  for (const mf of mfs)
    for (let l = 0; l <= L; l++) {
      const q = mf.q[l];
      const k12 = mf.k12[l];
      Kmin = Math.min(Kmin, q);
      Kmax = Math.max(Kmax, q);
      const r = rotated ? [q + k12, q - k12] : [q, q];
      const s = rotated ? [q + k12, q - k12] : [q - Math.abs(k12), q - Math.abs(k12)];
      for (let a = 0; a < 2; a++) {
        rangeVar[a][l] = Math.max(rangeVar[a][l], r[a]);
        stepVar[a][l] = Math.min(stepVar[a][l], s[a]);
      }
    }
  const H = activationStep2(P.act, Kmin, Kmax);
  // range: prefix maximum over layers 0..l; step: suffix minimum over layers l-1..L (monotone, so that steps only grow)
  const need = [0, 1].map((a) => {
    const range = new Array<number>(L + 1);
    const step = new Array<number>(L + 1);
    let r = 0;
    for (let l = 0; l <= L; l++) {
      r = Math.max(r, R_TAIL2 * Math.sqrt(rangeVar[a][l]) + 2);
      range[l] = r;
    }
    let s = Infinity;
    for (let l = L; l >= 1; l--) {
      s = Math.min(s, stepVar[a][l - 1], stepVar[a][l]);
      step[l] = Math.min(H, STEP_SIGMAS * Math.sqrt(Math.max(s, 0)));
    }
    return { range, step };
  });
  const stages: GridStage[] = [];
  for (let l = 1; l <= L; l++) {
    const axis = need.map(({ range, step }) => {
      if (!(step[l] > 1e-3 * H)) throw new NumericalError(`two-input one-loop: the kernel is too close to singular at layer ${l - 1} (grid step ${step[l].toExponential(2)} needed)`, l - 1);
      const k = Math.max(0, Math.ceil(Math.log2(H / step[l]) - 1e-12));
      const h = H / 2 ** k;
      return { n: Math.max(16, nextPow2((2 * range[l]) / h)), h };
    });
    const prev = stages[stages.length - 1];
    if (!prev || prev.n1 !== axis[0].n || prev.n2 !== axis[1].n || prev.h1 !== axis[0].h || prev.h2 !== axis[1].h) {
      stages.push({ from: l, n1: axis[0].n, n2: axis[1].n, h1: axis[0].h, h2: axis[1].h });
    }
  }
  return { rotated, stages };
}
