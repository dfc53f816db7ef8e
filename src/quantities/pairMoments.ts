/**
 * Fast float64 Gaussian pair moments <phi(u) phi(v)> for many pairs of variables that share
 * few variances: the workload of the CNN covariance map, where every spatial position alpha has
 * its own variance q(alpha) and every pair of positions needs the moment at (q(alpha),
 * q(alpha'), Sigma(alpha, alpha')).
 *
 *   - Closed forms (relu, erf, linear, integer relu-power) are used as they are.
 *   - Other smooth activations use Mehler's expansion in the orthonormal Hermite polynomials
 *     h_k (h_0 = 1, h_1 = z, sqrt(k+1) h_(k+1) = z h_k - sqrt(k) h_(k-1)):
 *
 *         <phi(s1 z1) phi(s2 z2)> = sum_k rho^k c_k(s1) c_k(s2),   c_k(s) = E[phi(s z) h_k(z)]
 *
 *     with rho = corr(z1, z2). The coefficients are computed once per position (Gauss-Hermite
 *     rules of 100, 220, 400 nodes for 60, 150, 300 terms, tried in turn) and the series is cut
 *     where the Parseval tail E[phi^2] - sum c_k^2 is below 2e-14 E[phi^2]: since |rho| <= 1 the
 *     neglected part is at most that tail. A pair is then K multiply-adds instead of a
 *     two-dimensional quadrature.
 *   - When the tail does not fall below the bound within 300 terms (very large variances, or
 *     kinked activations whose Hermite series converge slowly) the moment falls back to the
 *     adaptive quadrature of the numeric interpretation.
 *
 * Covariances are clamped to |k12| <= sqrt(k11 k22): the exact covariance map keeps the matrix
 * positive semidefinite, and the clamp only removes rounding (at c = 1, the ordered phase's
 * fixed point, an FFT can return k12 a few ulps above sqrt(k11 k22)).
 */
import { Activation } from '../model/activation';
import { NumericalError } from '../model/errors';
import { float64 } from '../numeric/field';
import { float64Interp, productIntegrand } from '../interpret/numeric';
import { gaussHermiteProb64 } from '../numeric/gaussHermite';
import { plainMath } from '../numeric/plainMath';
const Math = plainMath();

/** Expansion stages: (terms, Gauss-Hermite nodes), tried in turn until the tail bound holds. */
const STAGES: [number, number][] = [
  [60, 100],
  [150, 220],
  [300, 400],
];
const K_MAX = 300;
const TAIL = 2e-14;

const SQRT = Float64Array.from({ length: K_MAX + 2 }, (_, k) => Math.sqrt(k));
const INV_SQRT = SQRT.map((x) => (x === 0 ? 0 : 1 / x));

export class PairMoments {
  private q = new Float64Array(0);
  private sq = new Float64Array(0);
  /** Mehler coefficients, K_MAX + 1 per position; `terms[i]` is -1 when position i falls back. */
  private coef = new Float64Array(0);
  private terms = new Int32Array(0);
  readonly mode: 'closed-form' | 'hermite' | 'quadrature';

  constructor(readonly act: Activation) {
    this.mode = act.closedForm ? 'closed-form' : act.continuity === 'smooth' ? 'hermite' : 'quadrature';
  }

  /** Set the variances of the positions; computes <phi^2> and the expansion per position. */
  prepare(q: Float64Array): void {
    const n = q.length;
    if (this.q.length !== n) {
      this.q = new Float64Array(n);
      this.sq = new Float64Array(n);
      if (this.mode === 'hermite') {
        this.coef = new Float64Array(n * (K_MAX + 1));
        this.terms = new Int32Array(n);
      }
    }
    this.q.set(q);
    const act = this.act;
    if (this.mode === 'closed-form') {
      const cf = act.closedForm!;
      for (let i = 0; i < n; i++) this.sq[i] = cf.square(float64, q[i]);
      return;
    }
    if (this.mode === 'quadrature') {
      const sqr = productIntegrand(act, act);
      for (let i = 0; i < n; i++) this.sq[i] = float64Interp.expect1(sqr, q[i]);
      return;
    }
    // Hermite: positions with equal variance share their coefficients.
    let prevQ = NaN;
    let prevI = -1;
    for (let i = 0; i < n; i++) {
      if (q[i] === prevQ) {
        this.coef.copyWithin(i * (K_MAX + 1), prevI * (K_MAX + 1), (prevI + 1) * (K_MAX + 1));
        this.terms[i] = this.terms[prevI];
        this.sq[i] = this.sq[prevI];
        continue;
      }
      this.expand(i, q[i]);
      prevQ = q[i];
      prevI = i;
    }
  }

  private expand(i: number, qi: number): void {
    for (const [terms, nodes] of STAGES) if (this.expandWith(i, qi, terms, nodes)) return;
    this.terms[i] = -1;
    this.sq[i] = float64Interp.expect1(productIntegrand(this.act, this.act), qi);
  }

  /** Coefficients c_0..c_terms with an n-node rule; true when the tail bound holds. */
  private expandWith(i: number, qi: number, terms: number, n: number): boolean {
    const { nodes, weights } = gaussHermiteProb64(n);
    const s = Math.sqrt(Math.max(qi, 0));
    const base = i * (K_MAX + 1);
    const c = this.coef;
    for (let k = 0; k <= K_MAX; k++) c[base + k] = 0;
    let e2 = 0;
    for (let m = 0; m < n; m++) {
      const z = nodes[m];
      const phi = this.act.f64(s * z);
      const fw = phi * weights[m];
      if (fw === 0) continue;
      e2 += fw * phi;
      let hPrev = 0;
      let h = 1;
      c[base] += fw;
      for (let k = 0; k < terms; k++) {
        const hNext = (z * h - SQRT[k] * hPrev) * INV_SQRT[k + 1];
        hPrev = h;
        h = hNext;
        c[base + k + 1] += fw * h;
      }
    }
    if (!Number.isFinite(e2)) return false;
    let acc = 0;
    for (let k = 0; k <= terms; k++) {
      acc += c[base + k] * c[base + k];
      if (e2 - acc <= TAIL * e2) {
        this.terms[i] = k;
        this.sq[i] = e2;
        return true;
      }
    }
    return false;
  }

  /** <phi(u)^2>, u ~ N(0, q_i). */
  square(i: number): number {
    return this.sq[i];
  }

  /** <phi(u) phi(v)> with Var u = q_i, Var v = q_j, Cov(u, v) = k12. */
  pair(i: number, j: number, k12: number): number {
    const q1 = this.q[i];
    const q2 = this.q[j];
    const lim = Math.sqrt(q1) * Math.sqrt(q2); // no underflow of q1 q2 at tiny variances
    if (k12 > lim) k12 = lim;
    else if (k12 < -lim) k12 = -lim;
    if (lim === 0) {
      // A variance is 0: that variable is 0 almost surely, so the moment is phi(0) <phi(v)>.
      const phi0 = this.act.f64(0);
      if (phi0 === 0) return 0;
      const other = q1 === 0 ? q2 : q1;
      return other === 0 ? phi0 * phi0 : phi0 * float64Interp.expect1(this.act, other);
    }
    if (this.mode === 'closed-form') {
      const deg = this.act.homogeneousDegree;
      // Positively homogeneous phi: <phi(u) phi(v)> = lim^deg <phi(u/s) phi(v/s)>, s = sqrt(lim):
      // evaluated at unit scale, so that tiny or huge variances neither underflow nor overflow.
      const m = deg !== undefined ? this.act.closedForm!.pair(float64, q1 / lim, k12 / lim, q2 / lim) * lim ** deg : this.act.closedForm!.pair(float64, q1, k12, q2);
      if (!Number.isFinite(m)) throw new NumericalError(`the pair moment left the finite numbers (q = ${q1}, ${q2}, cov = ${k12})`);
      return m;
    }
    if (this.mode === 'hermite') {
      const Ki = this.terms[i];
      const Kj = this.terms[j];
      if (Ki >= 0 && Kj >= 0) {
        const rho = k12 / lim;
        const K = Ki > Kj ? Ki : Kj;
        const a = i * (K_MAX + 1);
        const b = j * (K_MAX + 1);
        const c = this.coef;
        let sum = 0;
        let p = 1;
        for (let k = 0; k <= K; k++) {
          sum += p * c[a + k] * c[b + k];
          p *= rho;
        }
        return sum;
      }
    }
    return float64Interp.expect2(this.act, this.act, q1, k12, q2);
  }
}
