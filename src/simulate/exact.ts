/**
 * Exact finite-width moments where they are known in closed form: references for testing the
 * simulators and the statistics (not approximations; valid at every N).
 *
 * Linear activation, one input. X_l = K_hat^l, C_l = C_hat^l = sb2 + sw2 X_(l-1) exactly. Given
 * h^(l-1), the branch entries g_i are i.i.d. N(0, C_l), so with a = s^2 (s the branch factor):
 *   residual:  E[X_l | X] = X + a C,  Var[X_l | X] = (4 a C X + 2 a^2 C^2) / N
 *   no skip:   E[X_l | X] = C,        Var[X_l | X] = 2 C^2 / N
 * and X_0 = q0 chi^2_N / N: E[X_0] = q0, E[X_0^2] = q0^2 (1 + 2/N). The first two moments of X
 * therefore follow a closed two-term recursion.
 */
export interface ExactMoments {
  meanK: number[];
  varK: number[];
  /** Index 0 unused (NaN). */
  meanC: number[];
  varC: number[];
}

export function linearNetworkMoments(p: { width: number; depth: number; sw2: number; sb2: number; branch: number; skip: 'residual' | 'none'; q0: number }): ExactMoments {
  const N = p.width;
  const a = p.branch * p.branch;
  const { sw2, sb2 } = p;
  let m1 = p.q0;
  let m2 = p.q0 * p.q0 * (1 + 2 / N);
  const out: ExactMoments = { meanK: [m1], varK: [m2 - m1 * m1], meanC: [NaN], varC: [NaN] };
  for (let l = 1; l <= p.depth; l++) {
    const EC = sb2 + sw2 * m1;
    const EC2 = sb2 * sb2 + 2 * sb2 * sw2 * m1 + sw2 * sw2 * m2;
    const ECX = sb2 * m1 + sw2 * m2;
    out.meanC.push(EC);
    out.varC.push(sw2 * sw2 * (m2 - m1 * m1));
    let n1: number;
    let n2: number;
    if (p.skip === 'none') {
      n1 = EC;
      n2 = EC2 * (1 + 2 / N);
    } else {
      n1 = m1 + a * EC;
      n2 = m2 + 2 * a * ECX + a * a * EC2 + (4 * a * ECX + 2 * a * a * EC2) / N;
    }
    m1 = n1;
    m2 = n2;
    out.meanK.push(m1);
    out.varK.push(m2 - m1 * m1);
  }
  return out;
}
