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

/** Kinked and positively homogeneous of degree 1 (relu, leaky relu): the grid follows the kernel's scale. */
export function scaleFreeGrid(act: Activation): boolean {
  return act.continuity === 'kinked' && act.homogeneousDegree === 1;
}

/**
 * The two-input grid schedule that serves every network in `nets` (the same architecture at
 * nearby c0 or alpha: finite differences must run on one grid). Rotated (principal axes) for
 * smooth activations, on the axes for other kinked ones (the kinks y1 = 0, y2 = 0 are grid lines).
 * At layer l each axis covers R_TAIL2 standard deviations of K^l (+2) and steps at most
 * STEP_SIGMAS standard deviations of K^(l-1) along it (and the activation's step); steps lie on the
 * ladder H / 2^k, so that they only double from stage to stage.
 *
 * Kinked activations that are positively homogeneous of degree 1 (relu, leaky relu) have no
 * length scale of their own: a problem with kernel s K is the problem with kernel K in the
 * coordinates y / sqrt(s). Their grid is scale-free: rotated (u, v) with steps in a power-of-2
 * ratio, so that the kink lines y1 = 0 (u = -v) and y2 = 0 (u = v) are lattice lines, and the
 * activation's step H = 1/8 counts in standard deviations sqrt(K^(l-1)_11) (steps H sqrt(q0) 2^k,
 * k of either sign). The number of points then stays bounded however wide the kernel grows (a
 * relu ResNet's kernel grows exponentially with depth); it grows only as the inputs' correlation
 * approaches 1 (the v axis resolves the narrow direction).
 */
export function twoInputGridFor(nets: Network[]): Grid2 {
  const P = params(nets[0]);
  const L = P.L;
  const scaleFree = scaleFreeGrid(P.act);
  const rotated = P.act.continuity === 'smooth' || scaleFree;
  const mfs = nets.map((n) => meanFieldKernels(float64Interp, n));
  // per layer: the variance along each axis (covering) and the narrowest variance it must resolve
  const rangeVar = [new Array<number>(L + 1).fill(0), new Array<number>(L + 1).fill(0)];
  const stepVar = [new Array<number>(L + 1).fill(Infinity), new Array<number>(L + 1).fill(Infinity)];
  // scale-free grids: the activation's step in units of sqrt(K_11) (the narrowest over the networks)
  const capVar = new Array<number>(L + 1).fill(Infinity);
  let Kmin = Infinity;
  let Kmax = 0;
  for (const mf of mfs)
    for (let l = 0; l <= L; l++) {
      const q = mf.q[l];
      const k12 = mf.k12[l];
      Kmin = Math.min(Kmin, q);
      Kmax = Math.max(Kmax, q);
      capVar[l] = Math.min(capVar[l], q);
      const r = rotated ? [q + k12, q - k12] : [q, q];
      const s = rotated ? [q + k12, q - k12] : [q - Math.abs(k12), q - Math.abs(k12)];
      for (let a = 0; a < 2; a++) {
        rangeVar[a][l] = Math.max(rangeVar[a][l], r[a]);
        stepVar[a][l] = Math.min(stepVar[a][l], s[a]);
      }
    }
  const H = activationStep2(P.act, Kmin, Kmax);
  // the top of the step ladder: H itself, or for scale-free grids H in units of sqrt(q0)
  const H0 = scaleFree ? H * Math.sqrt(capVar[0]) : H;
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
    let cap = Infinity;
    for (let l = L; l >= 1; l--) {
      s = Math.min(s, stepVar[a][l - 1], stepVar[a][l]);
      cap = scaleFree ? Math.min(cap, capVar[l - 1], capVar[l]) : 1;
      step[l] = Math.min(H * Math.sqrt(cap), STEP_SIGMAS * Math.sqrt(Math.max(s, 0)));
    }
    return { range, step };
  });
  const stages: GridStage[] = [];
  for (let l = 1; l <= L; l++) {
    const axis = need.map(({ range, step }) => {
      const top = scaleFree ? H * Math.sqrt(capVar[l - 1]) : H;
      if (!(step[l] > 1e-3 * top)) throw new NumericalError(`two-input one-loop: the kernel is too close to singular at layer ${l - 1} (grid step ${step[l].toExponential(2)} needed)`, l - 1);
      const k = scaleFree ? Math.ceil(Math.log2(H0 / step[l]) - 1e-12) : Math.max(0, Math.ceil(Math.log2(H / step[l]) - 1e-12));
      const h = H0 / 2 ** k;
      return { n: Math.max(16, nextPow2((2 * range[l]) / h)), h };
    });
    const prev = stages[stages.length - 1];
    if (!prev || prev.n1 !== axis[0].n || prev.n2 !== axis[1].n || prev.h1 !== axis[0].h || prev.h2 !== axis[1].h) {
      stages.push({ from: l, n1: axis[0].n, n2: axis[1].n, h1: axis[0].h, h2: axis[1].h });
    }
  }
  return { rotated, stages };
}
