/**
 * Benchmark of the float64 Gaussian expectations (src/numeric/gaussian.ts) for `npm run bench`:
 * the time per call of expect2F64 on smooth and kinked activations, next to a NumPy tensor
 * Gauss–Hermite rule (bench/reference/gaussian_reference.py), whose value also reports its own
 * accuracy (n = 64 against n = 128).
 */
import { expect2F64 } from '../numeric/gaussian';
import { erf64 } from '../numeric/special';

/** The bench entries (same shape as BENCHES in run.ts). */
export function gaussianBenches() {
  return [
    {
      name: 'gaussian-expect2-float64-per-call',
      description:
        "float64 E[f(u) g(v)] (expect2F64, relative tolerance 1e-13) per call: tanh, erf, gelu, silu (smooth) and relu (kinked), K in {0.5, 1.5, 4}, rho in {0.3, 0.6, 0.9, 0.99, 0.999}; mean over the cases of each case's best batch, CPU time. Target: under 1 ms per call for the smooth activations",
      target: 60,
      run: () => expect2PerCall(),
      reference: {
        implementation: 'NumPy tensor Gauss–Hermite, n = 64 (its accuracy: n = 64 against n = 128)',
        script: 'gaussian_reference.py',
        args: ['expect2'],
      },
      judge: (v: string) => msPerCall(v, 'smooth') < 1,
    },
  ];
}

/**
 * Mean over the cases of the best per-call time (of 3 batches of 20) of expect2F64, smooth and
 * relu. CPU time of the process (the reference measures the same way): on a shared machine wall
 * time per call mostly measures the other processes.
 */
export function expect2PerCall(): string {
  const gelu = (x: number) => 0.5 * x * (1 + erf64(x / Math.SQRT2));
  const silu = (x: number) => x / (1 + Math.exp(-x));
  const relu = (x: number) => (x > 0 ? x : 0);
  const Ks = [0.5, 1.5, 4];
  const rhos = [0.3, 0.6, 0.9, 0.99, 0.999];
  const groups: [string, [(x: number) => number, number[]][]][] = [
    ['smooth', [[Math.tanh, []], [erf64, []], [gelu, []], [silu, []]]],
    ['relu', [[relu, [0]]]],
  ];
  const out: string[] = [];
  for (const [kind, fs] of groups) {
    let sum = 0;
    let n = 0;
    let worst = 0;
    for (const [f, kinks] of fs) {
      for (const K of Ks) {
        for (const rho of rhos) {
          const call = () => expect2F64(f, f, K, rho * K, K, { kinksF: kinks, kinksG: kinks });
          for (let i = 0; i < 3; i++) call();
          let best = Infinity;
          for (let b = 0; b < 3; b++) {
            const reps = 20;
            const t0 = process.cpuUsage();
            for (let i = 0; i < reps; i++) call();
            const t = process.cpuUsage(t0);
            best = Math.min(best, (t.user + t.system) / 1e3 / reps);
          }
          sum += best;
          n++;
          worst = Math.max(worst, best);
        }
      }
    }
    out.push(`${(sum / n).toFixed(3)} ms/call ${kind} (worst case ${worst.toFixed(2)})`);
  }
  return out.join(', ');
}

/** The "<x> ms/call <kind>" figure of an expect2PerCall value. */
export function msPerCall(value: string | undefined, kind: string): number {
  const m = new RegExp(`([\\d.]+) ms/call ${kind}`).exec(value ?? '');
  return m ? Number(m[1]) : NaN;
}
