/**
 * Monte Carlo scale-out: `validate --shard i/n --out FILE` and `validate --merge FILE...` give the
 * statistics and verdict of the unsharded run with the same seed, bit for bit; the merge refuses
 * files that are not exactly the n shards of one run.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runCli } from './runCli';
import { network } from '../src/model/network';
import { runMonteCarlo, chunkSize, mergeBlocks } from '../src/simulate/montecarlo';
import { validationJob } from '../src/simulate/validate';

const run = runCli;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fieldprop-vshard-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The report without timings (and thread counts), which are all that may differ. */
function stats(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(stats);
  if (x && typeof x === 'object') {
    return Object.fromEntries(Object.entries(x).filter(([k]) => !['seconds', 'threads', 'merged_shards'].includes(k)).map(([k, v]) => [k, stats(v)]));
  }
  return x;
}

// The full sampler at width 128 makes chunks of a few dozen networks: several blocks per width.
const RUN = ['--act', 'tanh', '--depth', '3', '--c0', '0.5', '--widths', '4,128', '--sampler', 'full', '--samples', '150', '--seed', '11'];

describe('validate --shard / --merge', () => {
  const shardFiles = [1, 2, 3].map((i) => path.join(dir, `s${i}.json`));

  test('three shards merged = the unsharded run (every statistic and the verdict identical)', async () => {
    const whole = await run(['validate', ...RUN, '--threads', '1', '--json']);
    expect(whole.code).toBe(0);
    for (const [i, f] of shardFiles.entries()) {
      const r = await run(['validate', ...RUN, '--threads', i === 1 ? '2' : '1', '--shard', `${i + 1}/3`, '--out', f]);
      expect(r.code).toBe(0);
      expect(r.out).toMatch(new RegExp(`validate shard ${i + 1}/3: N = 4: .*; written to`));
    }
    // Every shard simulated part of the width-32 run.
    const counts = shardFiles.map((f) => JSON.parse(fs.readFileSync(f, 'utf8')).widths[1].networks);
    expect(counts.reduce((a: number, b: number) => a + b, 0)).toBe(150);
    for (const c of counts) expect(c).toBeGreaterThan(0);
    const merged = await run(['validate', '--merge', shardFiles[2], shardFiles[0], shardFiles[1], '--json']);
    expect(merged.code).toBe(0);
    const a = JSON.parse(whole.out);
    const b = JSON.parse(merged.out);
    expect(b.merged_shards).toBe(3);
    expect(stats(b)).toEqual(stats(a));
    expect(b.runs[1].quantities.K_hat_11.layers[3].mc_mean).toBe(a.runs[1].quantities.K_hat_11.layers[3].mc_mean);
    const text = await run(['validate', '--merge', ...shardFiles]);
    expect(text.out).toMatch(/^Merged from 3 shard files/);
    expect(text.out.match(/Verdict: .*/)?.[0]).toBe(`Verdict: ${a.pass ? 'PASS' : 'FAIL'} (${a.rule.tests} checked values, |z| <= ${a.rule.z_threshold.toFixed(3)})`);
  });

  test('blocks of several chunks: shards of the blocks merged in order = the whole run, bit for bit', async () => {
    const net = network({ act: 'tanh', alpha: '0.3', sw2: '1.5', sb2: '0.05', depth: '2', q0: '1', c0: '0.5', skip: 'residual', scaling: 'amplitude' });
    const job = validationJob({ net, widths: [128], samples: 300, seed: 3, sampler: 'full', twoInputs: true, delta: null, fwer: 0.01 }, 128);
    expect(Math.ceil(300 / chunkSize(job))).toBeGreaterThanOrEqual(5); // 3 blocks, some of 2 or more chunks
    const whole = await runMonteCarlo(job, { threads: 1, maxBlocks: 3 });
    const parts = [0, 1].map((i) => runMonteCarlo(job, { threads: 1, maxBlocks: 3, blocks: (b) => b % 2 === i }));
    const blocks = (await Promise.all(parts)).flatMap((p) => p.blocks ?? []).sort((x, y) => x.index - y.index);
    expect(blocks.map((b) => b.index)).toEqual([0, 1, 2]);
    expect(Array.from(mergeBlocks(whole.layout, blocks.map((b) => b.data)))).toEqual(Array.from(whole.data));
  });

  test('the merge refuses missing, duplicate and foreign shards with one line (exit 2)', async () => {
    const other = path.join(dir, 'other.json');
    expect((await run(['validate', ...RUN.map((x) => (x === '11' ? '12' : x)), '--threads', '1', '--shard', '2/3', '--out', other])).code).toBe(0);
    const broken = path.join(dir, 'broken.json');
    fs.writeFileSync(broken, '{"format": "something else"}');
    const cases: [string[], RegExp][] = [
      [['validate', '--merge', shardFiles[0], shardFiles[2]], /--merge: shard 2 of 3 missing/],
      [['validate', '--merge', shardFiles[0], shardFiles[1], shardFiles[1], shardFiles[2]], /--merge: shard 2\/3 given twice/],
      [['validate', '--merge', shardFiles[0], other, shardFiles[2]], /--merge: .*other\.json is a shard of a different run .*\(seed differs\)/],
      [['validate', '--merge', shardFiles[0], broken], /--merge: .*broken\.json: not a validate shard file/],
      [['validate', '--merge', path.join(dir, 'nope.json')], /--merge: .*no such file/],
      [['validate', '--merge'], /--merge: needs the shard files/],
      [['validate', '--merge', shardFiles[0], '--samples', '10'], /--samples: not with --merge/],
      [['validate', ...RUN, '--shard', '1/3'], /--shard: needs --out/],
      [['validate', ...RUN, '--shard', '4/3', '--out', path.join(dir, 'x.json')], /--shard: expected i\/n/],
      [['validate', ...RUN, '--shard', '1/3', '--out', path.join(dir, 'x.json'), '--plot', path.join(dir, 'p.svg')], /--plot: not with --shard/],
    ];
    for (const [argv, re] of cases) {
      const r = await run(argv);
      expect(r.err).toMatch(re);
      expect(r.code).toBe(2);
      expect(r.err.trim().split('\n')).toHaveLength(1);
    }
    expect(fs.existsSync(path.join(dir, 'x.json'))).toBe(false);
  });
});
