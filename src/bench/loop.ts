/**
 * Benchmarks of the one-input one-loop table at depth 1000: `fieldprop loop` for relu (the
 * closed-form pairs, checked by the angular Gauss-Legendre pairs) next to the algorithm alone.
 */
import { spawnSync } from 'child_process';
import * as path from 'path';
import { network } from '../model/network';
import { oneLoop64 } from '../quantities/loop';
import { loopCommand } from '../cli/loop';

interface LoopBench {
  name: string;
  description: string;
  target: number;
  run(): string;
  judge?: (value: string) => boolean;
}

const RELU = { act: 'relu', alpha: '0.3', sw2: '1.6', sb2: '0.1', q0: '1', depth: 1000 };
const ARGV = ['--act', 'relu', '--alpha', '0.3', '--sw2', '1.6', '--sb2', '0.1', '--q0', '1', '--depth', '1000'];

/** The best of `n` timed runs (after one warm-up run), in seconds. */
function best(n: number, f: () => void): number {
  f();
  let b = Infinity;
  for (let k = 0; k < n; k++) {
    const t = process.hrtime.bigint();
    f();
    b = Math.min(b, Number(process.hrtime.bigint() - t) / 1e9);
  }
  return b;
}

export function loopBenches(): LoopBench[] {
  return [
    {
      name: 'loop-relu-depth1000',
      description:
        '`fieldprop loop --act relu --alpha 0.3 --sw2 1.6 --sb2 0.1 --q0 1 --depth 1000` (closed-form pairs, checked by angular Gauss-Legendre pairs) next to oneLoop64 alone; target: the command within 5x the algorithm (in-process, best of 3) and under 10 s as a fresh process',
      target: 60,
      run: () => {
        const alone = best(3, () => oneLoop64(network(RELU)));
        let out = '';
        const io = { out: (s: string) => (out += s), err: () => undefined };
        // the command's work is synchronous (the returned promise settles after it)
        const command = best(3, () => {
          out = '';
          void loopCommand.run([...ARGV, '--json'], io);
        });
        const k1 = JSON.parse(out).k1[1000] as string;
        const t = process.hrtime.bigint();
        const r = spawnSync(process.execPath, [path.join(__dirname, '..', '..', 'bin', 'fieldprop.js'), 'loop', ...ARGV], { encoding: 'utf8', timeout: 600_000 });
        const fresh = Number(process.hrtime.bigint() - t) / 1e9;
        if (r.status !== 0) throw new Error(`fieldprop loop failed: ${(r.stderr || r.error?.message || '').trim()}`);
        return `ratio ${(command / alone).toFixed(1)} (command ${command.toFixed(3)} s, oneLoop64 alone ${alone.toFixed(3)} s); fresh process ${fresh.toFixed(2)} s; k1[1000] = ${k1}`;
      },
      judge: (v) => {
        const ratio = Number(/ratio ([\d.]+)/.exec(v)?.[1]);
        const fresh = Number(/fresh process ([\d.]+)/.exec(v)?.[1]);
        return ratio <= 5 && fresh < 10;
      },
    },
  ];
}
