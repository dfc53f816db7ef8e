/**
 * Benchmarks of the two-input one-loop tables at depth 1000: `fieldprop loop ... --c0 0.6
 * --depth 1000` for relu, erf and tanh as fresh processes (the whole command: the table on the
 * staged grid, its check on a second grid, the printed digits). The reference is the route a user
 * would otherwise take, the NumPy two-input table of test/fixtures/loop_theory.py on one fixed
 * grid, timed over two layers on the grid depth 1000 needs and extrapolated to 1000 layers
 * (bench/reference/deep_loop_reference.py; for relu that grid cannot exist: the kernel grows to
 * 1e30). Before the scale-free relu grid and the symmetric kernel, `loop` refused relu here (a grid
 * of 2^30 points from layer 434) and ran erf and tanh for about 3 minutes of CPU each.
 */
import { spawnSync } from 'child_process';
import * as path from 'path';

interface DeepLoopBench {
  name: string;
  description: string;
  target: number;
  run(): string;
  reference: { implementation: string; script: string; args: string[] };
  judge: (value: string) => boolean;
}

const NET = ['--alpha', '0.3', '--sw2', '1.6', '--sb2', '0.1', '--q0', '1', '--c0', '0.6', '--depth', '1000'];

/** `fieldprop loop --act ACT ... --json` as a fresh process: the last layer's two-input entries. */
function runLoop(act: string): string {
  const r = spawnSync(process.execPath, [path.join(__dirname, '..', '..', 'bin', 'fieldprop.js'), 'loop', '--act', act, ...NET, '--json'], {
    encoding: 'utf8',
    timeout: 1_800_000,
    maxBuffer: 1 << 28,
  });
  // a command that stops (exit 3: digits that two grids do not confirm) is a failed benchmark, not a crash of the run
  if (r.status !== 0) return `exit ${r.status}: ${(r.stderr || r.error?.message || '').trim().split('\n').pop()}`;
  const j = JSON.parse(r.stdout) as Record<string, unknown>;
  const at = (k: string) => (j[k] as (string | null)[])[1000];
  return `layer 1000: chat1 = ${at('chat1')}, k1_12 = ${at('k1_12')}, c1_12 = ${at('c1_12')}, varC_12 = ${at('varC_12')}, varK_12 = ${at('varK_12')}`;
}

export function deepLoopBenches(): DeepLoopBench[] {
  return ['relu', 'erf', 'tanh'].map((act) => ({
    name: `loop-two-input-${act}-depth1000`,
    description: `\`fieldprop loop --act ${act} --alpha 0.3 --sw2 1.6 --sb2 0.1 --q0 1 --c0 0.6 --depth 1000\` as a fresh process: the two-input table (k1_12, c1_12, varC_12, varK_12, chat1) with its check on a second grid; target: under a minute on a quiet core`,
    target: 60,
    run: () => {
      const t = process.hrtime.bigint();
      const v = runLoop(act);
      return `${v}; ${(Number(process.hrtime.bigint() - t) / 1e9).toFixed(1)} s`;
    },
    judge: (v: string) => !v.startsWith('exit') && Number(/; ([\d.]+) s$/.exec(v)?.[1]) < 60,
    reference: {
      implementation: 'NumPy two-input heat flow on one fixed grid (test/fixtures/loop_theory.py), 2 layers on the depth-1000 grid, extrapolated to 1000 layers',
      script: 'deep_loop_reference.py',
      args: [act, '1000', '2'],
    },
  }));
}
