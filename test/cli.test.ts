/** The command line: output formats, help, and bad input (one line, exit code 2). */
import { execFileSync, spawnSync } from 'child_process';
import * as path from 'path';
import { main } from '../src/cli/main';

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

describe('fieldprop kernel', () => {
  test('--json: arrays of length depth+1 with decimal strings of the requested digits', async () => {
    const r = await run(['kernel', '--act', 'erf', '--depth', '5', '--digits', '25', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    for (const k of ['q', 'k12', 'c']) {
      expect(j[k]).toHaveLength(6);
      for (const s of j[k]) expect(typeof s).toBe('string');
    }
    expect(j.q[0]).toBe('1');
    expect(j.c[0]).toBe('0.6');
    expect(j.q[5].replace(/^-?0\.0*|\.|e.*$/g, '').replace(/^0+/, '').length).toBeLessThanOrEqual(25);
  });
  test('readable table by default', async () => {
    const r = await run(['kernel', '--depth', '3']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/layer\s+K_11/);
    expect(r.out.split('\n').filter((l) => /^\s*\d+\s/.test(l))).toHaveLength(4);
  });
  test('--skip none reproduces the feed-forward map', async () => {
    const r = await run(['kernel', '--act', 'linear', '--skip', 'none', '--sw2', '2', '--sb2', '0', '--depth', '3', '--json']);
    expect(JSON.parse(r.out).q).toEqual(['1', '2', '4', '8']);
  });
});

describe('bad input: one line naming the parameter and its range, exit code 2', () => {
  const cases: [string[], RegExp][] = [
    [['kernel', '--sw2', '-1'], /--sw2: .*>= 0/],
    [['kernel', '--sb2', '-0.1'], /--sb2: .*>= 0/],
    [['kernel', '--depth', '0'], /--depth: .*1\.\./],
    [['kernel', '--depth', '2.5'], /--depth: .*integer/],
    [['kernel', '--c0', '1.5'], /--c0: .*\[-1, 1\]/],
    [['kernel', '--q0', '0'], /--q0: .*> 0/],
    [['kernel', '--q0', '-2'], /--q0: .*> 0/],
    [['kernel', '--act', 'nonsense_fn(x'], /--act: /],
    [['kernel', '--act', 'foo'], /--act: /],
    [['kernel', '--act', 'x+y'], /--act: .*only the variable x/],
    [['kernel', '--digits', '0'], /--digits: .*1\.\.200/],
    [['kernel', '--digits', '201'], /--digits: .*1\.\.200/],
    [['kernel', '--alpha', 'abc'], /--alpha: .*real number/],
    [['kernel', '--skip', 'maybe'], /--skip: /],
    [['kernel', '--scaling', 'log'], /--scaling: /],
    [['kernel', '--bogus', '1'], /--bogus: unknown option/],
    [['kernel', '--depth'], /--depth: needs a value/],
    [['fixed-point', '--sw2', '-3'], /--sw2: /],
    [['critical', '--act', 'sign'], /--act: .*continuous/],
  ];
  for (const [argv, re] of cases) {
    test(argv.join(' '), async () => {
      const r = await run(argv);
      expect(r.code).toBe(2);
      expect(r.out).toBe('');
      expect(r.err).toMatch(re);
      expect(r.err.trim().split('\n')).toHaveLength(1);
      expect(r.err).not.toMatch(/at .*\.ts:\d+/);
    });
  }
  test('unknown command', async () => {
    const r = await run(['frobnicate']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/unknown command/);
  });
  test('an overflowing kernel is reported with its layer, exit code 3, nothing on stdout', async () => {
    const r = await run(['kernel', '--act', 'relu-power:3', '--skip', 'none', '--sw2', '100', '--sb2', '0', '--q0', '10', '--depth', '40', '--json']);
    expect(r.code).toBe(3);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/layer \d+/);
  });
});

describe('the installed command', () => {
  const bin = path.join(__dirname, '..', 'bin', 'fieldprop.js');
  test('--help lists every command', () => {
    const out = execFileSync('node', [bin, '--help'], { encoding: 'utf8' });
    for (const c of ['kernel', 'fixed-point', 'critical']) expect(out).toContain(c);
  });
  test('bad input through the real process: exit code 2, one line on stderr', () => {
    const r = spawnSync('node', [bin, 'kernel', '--c0', '2'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});
