/**
 * Start-up benchmark for `npm run bench`: `fieldprop kernel --depth 3` as a fresh process against
 * a bare `node -e 0` start measured in the same run (best of several alternating runs, wall
 * time). Target: the CLI under 3x the bare start plus 0.1 s, which holds only while the heavy
 * modules (Vega, KaTeX, nerdamer, the TypeScript compiler) are loaded when a command needs them.
 */
import { spawnSync } from 'child_process';
import * as path from 'path';

const BIN = path.join(__dirname, '..', '..', 'bin', 'fieldprop.js');

/** Wall time of one run of `node ARGS` (seconds); throws when it fails. */
function timeRun(args: string[]): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 60_000 });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} failed: ${(r.stderr || r.error?.message || '').trim()}`);
  return seconds;
}

/** Best-of-`runs` start-up times of the CLI and of bare node, alternating so both see the same load. */
export function startupTimes(runs = 10): { cli: number; node: number } {
  let cli = Infinity;
  let node = Infinity;
  for (let i = 0; i < runs; i++) {
    node = Math.min(node, timeRun(['-e', '0']));
    cli = Math.min(cli, timeRun([BIN, 'kernel', '--depth', '3']));
  }
  return { cli, node };
}

const parse = (v: string): { cli: number; node: number } => {
  const m = /^cli ([\d.]+) s, node -e 0 ([\d.]+) s/.exec(v);
  return m ? { cli: Number(m[1]), node: Number(m[2]) } : { cli: NaN, node: NaN };
};

/** The bench entries (same shape as BENCHES in run.ts). */
export function startupBenches() {
  return [
    {
      name: 'cli-startup-kernel-depth3',
      description: '`fieldprop kernel --depth 3` as a new process against a bare `node -e 0` in the same run (best of 10 each, wall time). Target: under 3x the bare start + 0.1 s',
      target: 60,
      run: () => {
        const t = startupTimes();
        return `cli ${t.cli.toFixed(3)} s, node -e 0 ${t.node.toFixed(3)} s, limit ${(3 * t.node + 0.1).toFixed(3)} s`;
      },
      judge: (v: string) => {
        const t = parse(v);
        return t.cli < 3 * t.node + 0.1;
      },
    },
  ];
}
