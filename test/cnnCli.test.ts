import { main } from '../src/cli/main';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

describe('fieldprop cnn commands', () => {
  it('cnn --json: depth scales per frequency, consistent with the fixed point, and a propagation checked against the dense route', async () => {
    const r = await run(['cnn', '--act', 'erf', '--sw2', '1.5', '--sb2', '0.05', '--kernel-size', '3', '--image', '6', '--dims', '2', '--depth', '30', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.frequencies.length).toBe(36);
    expect(j.depth_scales.length).toBe(36);
    // f = 0: the fully connected correlation depth scale -1/ln chi_c
    expect(Number(j.depth_scales[0])).toBeCloseTo(-1 / Math.log(Number(j.chi_c)), 9);
    // f = (1, 0): Ahat = (1 + 2 cos(2 pi / 6)) / 3 = 2/3
    expect(Number(j.A[6])).toBeCloseTo(2 / 3, 11);
    expect(Number(j.lambda_c[6])).toBeCloseTo((2 / 3) * Number(j.chi_c), 11);
    expect(j.propagation.layers).toEqual([0, 1, 2, 5, 10, 20, 30]);
    expect(Number(j.propagation.dense_check.max_rel_diff)).toBeLessThan(1e-12);
    expect(Number(j.propagation.mean_q[6])).toBeCloseTo(Number(j.q_star), 8);
    expect(r.out).not.toMatch(/NaN/);
  });

  it('bad input exits with code 2 and one line naming the parameter', async () => {
    for (const [args, re] of [
      [['cnn', '--kernel-size', '4'], /--kernel-size: must be odd/],
      [['cnn', '--kernel-size', '7', '--image', '5'], /--kernel-size: must be at most the image size 5/],
      [['cnn', '--dims', '3'], /--dims/],
      [['cnn', '--init', 'xavier'], /--init/],
      [['cnn-simulate', '--init', 'gaussian,foo'], /--init/],
      [['cnn-orthogonal', '--kernel', 'foo'], /--kernel/],
    ] as [string[], RegExp][]) {
      const r = await run(args);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(re);
      expect(r.err.trim().split('\n').length).toBe(1);
    }
  });

  it('cnn-orthogonal reports unit singular values; cnn-simulate writes its plot', async () => {
    const o = JSON.parse((await run(['cnn-orthogonal', '--channels', '4', '--image', '7', '--dims', '2', '--json'])).out);
    expect(o.orthogonal).toBe(true);
    expect(Number(o.max_abs_deviation_from_1)).toBeLessThan(1e-12);
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cnn-')), 'sim.svg');
    const r = await run(['cnn-simulate', '--width', '8', '--depth', '6', '--networks', '4', '--image', '8', '--plot', file, '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.runs.map((x: { init: string }) => x.init)).toEqual(['gaussian', 'delta-orthogonal']);
    expect(fs.readFileSync(file, 'utf8')).toMatch(/^<svg/);
  });
});
