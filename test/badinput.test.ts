/**
 * The bad-input battery: every command (COMMANDS) x every class of bad input, built from each
 * command's own option list, so options and commands added later are exercised too. Each case
 * runs `main(argv, io)` in-process and must end with exit code 2 (input) or 3 (numerical limit),
 * at most two lines on stderr, no stack trace, no NaN, and no file left behind; a few cases run
 * the real binary. Cases that would start a long computation must be refused by the cost model.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { main } from '../src/cli/main';
import { COMMANDS } from '../src/cli/commands';
import { OptionSpec, outputKind, valueCheck } from '../src/cli/args';

interface Case {
  cls: string;
  argv: string[];
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fieldprop-badinput-'));
const missingDir = path.join(tmp, 'missing');

/** Leading arguments a command needs before its options (notebook: the subcommand and a file). */
function prefix(cmd: string): string[] {
  if (cmd === 'notebook') return ['run', path.join(missingDir, 'nb.ipynb')];
  if (cmd === 'derive') return ['kernel'];
  return [];
}

const isNumeric = (o: OptionSpec): boolean => !!o.value && /^<(odd )?(integer|real|-?\d)/.test(o.value) && valueCheck(o.name, o.value) !== undefined;
const isInteger = (o: OptionSpec): boolean => !!o.value && /^<((odd )?integer|-?\d+\.\.)/.test(o.value);
/** 0 is outside the range: "> 0", ">= 1", "1..", "(0,". */
const zeroBad = (o: OptionSpec): boolean => !!o.value && /(> 0)|(>= [1-9])|(^<(integer )?[1-9][\d^]*\.\.)|(\(0,)/.test(o.value);
/** A value above the range, when the range has a maximum. */
function aboveRange(o: OptionSpec): string | undefined {
  if (!o.value) return undefined;
  if (/\.\./.test(o.value)) return '1e17';
  if (/^<real in .*[\])]>$/.test(o.value)) return '1e6';
  return undefined;
}

function cases(): { cmd: string; c: Case }[] {
  const out: { cmd: string; c: Case }[] = [];
  for (const cmd of COMMANDS) {
    const pre = prefix(cmd.name);
    const add = (cls: string, argv: string[]) => out.push({ cmd: cmd.name, c: { cls, argv: [cmd.name, ...pre, ...argv] } });
    add('unknown flag', ['--no-such-option', '1']);
    if (cmd.name !== 'notebook' && cmd.name !== 'derive') add('stray argument', ['stray']);
    else if (cmd.name === 'derive') out.push({ cmd: cmd.name, c: { cls: 'stray argument', argv: ['derive', 'kernel', 'stray'] } });
    for (const o of cmd.options as OptionSpec[]) {
      if (o.flag) continue;
      const opt = `--${o.name}`;
      if (isNumeric(o)) {
        add('non-numeric', [opt, 'abc']);
        add('NaN', [opt, 'NaN']);
        add('+Infinity', [opt, 'Infinity']);
        add('-Infinity', [opt, '-Infinity']);
        add('1e309', [opt, '1e309']);
        add('negative', [opt, '-5']);
        if (zeroBad(o)) add('zero', [opt, '0']);
        if (isInteger(o)) add('non-integer', [opt, '2.5']);
        const above = aboveRange(o);
        if (above) add('out of range', [opt, above]);
      }
      if (o.name === 'act') {
        for (const a of ['1/x', 'x/(x-1)', 'log(x)', 'x +* 2', 'y*x']) add('bad activation', [opt, a]);
      }
      const kind = outputKind(o);
      if (kind === 'file') {
        const ext = /^<file(\.[a-z0-9]+)/i.exec(o.value ?? '');
        add('unwritable output', [opt, path.join(missingDir, `out${ext ? ext[1] : '.txt'}`)]);
        add('unwritable output', [opt, tmp]);
      } else if (kind === 'dir') {
        add('unwritable output', [opt, '/dev/null/sub']);
      }
      if (o.name === 'net') {
        const garbage = path.join(tmp, 'garbage-net.json');
        fs.writeFileSync(garbage, '{ "layers": [ not json');
        add('bad --net file', [opt, path.join(missingDir, 'net.json')]);
        add('bad --net file', [opt, garbage]);
      }
    }
  }
  return out;
}

/** Hopeless jobs: refused by the cost model at once. */
const HOPELESS: string[][] = [
  ['kernel', '--depth', '10000000'],
  ['kernel', '--depth', '100000', '--digits', '200'],
  ['kernel', '--act', 'tanh', '--depth', '1000', '--digits', '200'],
  ['loop', '--depth', '10000000'],
  ['ntk', '--depth', '10000000'],
  ['validate', '--depth', '10000000'],
  ['validate', '--width', '1000000', '--samples', '100000'],
  ['response', '--depth', '10000000'],
  ['optimal-alpha', '--depth', '10000000'],
  ['cnn-orthogonal', '--channels', '256', '--image', '256'],
  ['cnn', '--depth', '1000000'],
  ['cnn-simulate', '--networks', '100000', '--depth', '100000'],
];

async function run(argv: string[]): Promise<{ code: number; out: string; err: string; ms: number }> {
  let out = '';
  let err = '';
  const t0 = Date.now();
  let code: number;
  try {
    code = await main(argv, { out: (s) => (out += s), err: (s) => (err += s) });
  } catch (e) {
    err += `UNCAUGHT ${(e as Error).stack}`;
    code = -1;
  }
  return { code, out, err, ms: Date.now() - t0 };
}

/** What is wrong with a run's result (empty when it is a clean refusal). */
function problems(r: { code: number; out: string; err: string }): string[] {
  const lines = r.err.trim().split('\n').filter((l) => l !== '');
  const p: string[] = [];
  if (![2, 3].includes(r.code)) p.push(`exit ${r.code}`);
  if (lines.length < 1 || lines.length > 2) p.push(`${lines.length} lines on stderr`);
  if (/\n\s+at |UNCAUGHT/.test(r.err)) p.push('stack trace');
  if (/NaN/.test(r.out + r.err.replace(/"NaN"/g, ''))) p.push('NaN in the output');
  return p;
}

function expectClean(argv: string[], r: { code: number; out: string; err: string }): void {
  expect({ argv: argv.join(' '), problems: problems(r), err: r.err }).toEqual({ argv: argv.join(' '), problems: [], err: r.err });
}

describe('bad-input battery', () => {
  const all = cases();
  const cwdBefore = fs.readdirSync(process.cwd()).sort();

  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  test(`${all.length} cases over ${COMMANDS.length} commands: exit 2 or 3, one or two lines, no stack, no NaN`, async () => {
    const classes = new Set(all.map((x) => x.c.cls));
    for (const cls of ['non-numeric', 'NaN', '+Infinity', '-Infinity', '1e309', 'negative', 'zero', 'non-integer', 'out of range', 'unknown flag', 'stray argument', 'bad activation', 'unwritable output']) {
      expect(classes.has(cls)).toBe(true);
    }
    for (const cmd of COMMANDS) expect(all.some((x) => x.cmd === cmd.name)).toBe(true);
    const bad: string[] = [];
    const times: [number, string][] = [];
    for (const { c } of all) {
      const r = await run(c.argv);
      const p = problems(r);
      if (r.ms > 5000) p.push(`took ${r.ms} ms`);
      if (p.length) bad.push(`${c.argv.join(' ')}: ${p.join(', ')}: ${r.err.trim().slice(0, 300)}`);
      times.push([r.ms, c.argv.join(' ')]);
    }
    if (process.env.FIELDPROP_BATTERY_TIMES) fs.writeFileSync(process.env.FIELDPROP_BATTERY_TIMES, times.sort((a, b) => b[0] - a[0]).slice(0, 40).map(([t, l]) => `${t} ${l}`).join('\n'));
    expect(bad).toEqual([]);
    // nothing written: the temporary directory holds only the garbage --net file, cwd is unchanged
    expect(fs.existsSync(missingDir)).toBe(false);
    expect(fs.readdirSync(tmp).filter((f) => f !== 'garbage-net.json')).toEqual([]);
    expect(fs.readdirSync(process.cwd()).sort()).toEqual(cwdBefore);
  }, 60000);

  test.each(HOPELESS.map((a) => [a.join(' '), a]))('refused by the cost model at once: %s', async (_l, argv) => {
    const r = await run(argv as string[]);
    expectClean(argv as string[], r);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/would take about .* limit: /);
    expect(r.ms).toBeLessThan(5000);
  });

  test.each(['kernel', 'fixed-point', 'critical', 'response', 'optimal-alpha', 'loop', 'ntk', 'validate', 'phase'])('%s --act exp(x^2): diverging expectation in one line, at once', async (cmd) => {
    const argv = [cmd, '--act', 'exp(x^2)'];
    const r = await run(argv);
    expectClean(argv, r);
    expect(r.err).toMatch(/diverges|too close to its divergence/);
    expect(r.ms).toBeLessThan(5000);
  });

  test('validate refuses sample sizes too small for its statistics', async () => {
    const r = await run(['validate', '--width', '1000000', '--samples', '2']);
    expectClean(['validate'], r);
    expect(r.err).toMatch(/at least 100 networks per width/);
  });

  test('the real binary: exit 2/3, one line, no stack trace', () => {
    const bin = path.join(__dirname, '..', 'bin', 'fieldprop.js');
    for (const argv of [['kernel', '--depth', 'abc'], ['kernel', '--act', '1/x'], ['optimal-alpha', '--plot', path.join(missingDir, 'a.svg')], ['kernel', 'stray']]) {
      const r = spawnSync('node', [bin, ...argv], { encoding: 'utf8', timeout: 30000 });
      expectClean(argv, { code: r.status ?? -1, out: r.stdout, err: r.stderr });
    }
  }, 60000);
});
