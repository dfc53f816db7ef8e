/** `fieldprop sweep`: the cartesian product of option lists, shards that partition it, failing points recorded. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runCli } from './runCli';
import { splitList } from '../src/cli/sweep';

const run = runCli;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fieldprop-sweep-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const lines = (file: string) => fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));

describe('fieldprop sweep', () => {
  test('two comma lists: every point once, first option slowest, results equal to the command run alone', async () => {
    const out = path.join(dir, 'all.jsonl');
    const r = await run(['sweep', 'kernel', '--depth', '2,3', '--act', 'tanh,relu,erf', '--digits', '8', '--out', out]);
    expect(r.code).toBe(0);
    expect(fs.existsSync(out + '.partial')).toBe(false);
    const ls = lines(out);
    expect(ls.map((l) => l.index)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(ls.map((l) => `${l.point.depth}/${l.point.act}`)).toEqual(['2/tanh', '2/relu', '2/erf', '3/tanh', '3/relu', '3/erf']);
    const alone = await run(['kernel', '--depth', '3', '--act', 'relu', '--digits', '8', '--json']);
    expect(ls[4].result).toEqual(JSON.parse(alone.out));
    expect(ls[4].exit).toBeUndefined();
  });

  test('shards 1/3, 2/3, 3/3 partition the points (k mod 3 = i - 1); a failing point is a line with error and exit code', async () => {
    const files = [1, 2, 3].map((i) => path.join(dir, `shard${i}.jsonl`));
    for (const [i, f] of files.entries()) {
      const r = await run(['sweep', 'kernel', '--depth', '0,2', '--sw2', '1..1.5:0.25', '--digits', '6', '--out', f, '--shard', `${i + 1}/3`]);
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/2 points \(shard \d\/3 of 6\)/);
    }
    const all = files.flatMap(lines);
    expect(all.map((l) => l.index).sort()).toEqual([0, 1, 2, 3, 4, 5]);
    for (const [i, f] of files.entries()) for (const l of lines(f)) expect(l.index % 3).toBe(i);
    const bad = all.filter((l) => l.point.depth === '0');
    expect(bad).toHaveLength(3);
    for (const l of bad) {
      expect(l.exit).toBe(2);
      expect(l.error).toMatch(/^--depth: .*1\.\./);
      expect(l.result).toBeUndefined();
    }
    expect(all.filter((l) => l.point.depth === '2').map((l) => l.point.sw2).sort()).toEqual(['1', '1.25', '1.5']);
    for (const l of all.filter((x) => x.point.depth === '2')) expect(l.result.network.sw2).toBe(l.point.sw2);
  });

  test('--resume keeps the finished points of FILE.partial and runs the rest', async () => {
    const out = path.join(dir, 'resume.jsonl');
    const first = await run(['sweep', 'kernel', '--depth', '1,2,3', '--digits', '6', '--out', out]);
    expect(first.code).toBe(0);
    const full = fs.readFileSync(out, 'utf8').split('\n');
    // An interrupted run: the first point finished, the second cut short.
    fs.writeFileSync(out + '.partial', full[0] + '\n' + full[1].slice(0, 20));
    fs.rmSync(out);
    const r = await run(['sweep', 'kernel', '--depth', '1,2,3', '--digits', '6', '--out', out, '--resume']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/1 kept/);
    expect(fs.readFileSync(out, 'utf8').split('\n')).toEqual(full);
    fs.writeFileSync(out + '.partial', full[0] + '\n');
    const other = await run(['sweep', 'kernel', '--depth', '5,6', '--out', out, '--resume']);
    expect(other.code).toBe(2);
    expect(other.err).toMatch(/--resume: .*different sweep/);
  });

  test('lists: brackets keep commas, ranges are exact decimals', () => {
    expect(splitList('x', '1,2, 3')).toEqual(['1', '2', '3']);
    expect(splitList('act', 'max(x,0),tanh')).toEqual(['max(x,0)', 'tanh']);
    expect(splitList('widths', '[16,32],[32,64]')).toEqual(['16,32', '32,64']);
    expect(splitList('sw2', '0.1..0.3:0.1,1')).toEqual(['0.1', '0.2', '0.3', '1']);
    expect(splitList('sw2', '0.5:4:29')).toEqual(['0.5:4:29']);
  });

  test('refused before any computation: one line, exit 2', async () => {
    const out = path.join(dir, 'never.jsonl');
    const cases: [string[], RegExp][] = [
      [['sweep', 'nosuch', '--out', out], /^fieldprop sweep: cannot sweep "nosuch"/],
      [['sweep', 'kernel', '--bogus', '1,2', '--out', out], /--bogus: unknown option of kernel/],
      [['sweep', 'kernel', '--depth', '1,2'], /--out: is required/],
      [['sweep', 'kernel', '--depth', '1', '--out', out, '--shard', '0/2'], /--shard: expected i\/n/],
      [['sweep', 'kernel', '--depth', '1', '--out', out, '--shard', '3/2'], /--shard: expected i\/n/],
      [['sweep', 'kernel', '--json', '--out', out], /--json: is set by sweep/],
      [['sweep', 'optimal-alpha', '--plot', 'a.svg', '--out', out], /--plot: .*same file/],
      [['sweep', 'kernel', '--depth', '1,,2', '--out', out], /--depth: empty item/],
      [['sweep', 'kernel', '--depth', '1', '--out', path.join(dir, 'no', 'such.jsonl')], /--out: directory .* does not exist/],
    ];
    for (const [argv, re] of cases) {
      const r = await run(argv);
      expect(r.code).toBe(2);
      expect(r.err.trim().split('\n')).toHaveLength(1);
      expect(r.err).toMatch(re);
    }
    expect(fs.existsSync(out)).toBe(false);
    expect(fs.existsSync(out + '.partial')).toBe(false);
  });
});

/** RFC 4180: quoted fields may hold commas, quotes ("") and line breaks; records end in CRLF. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let i = 0;
  let quoted = false;
  while (i < text.length) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') (field += '"'), (i += 2);
      else if (ch === '"') (quoted = false), i++;
      else (field += ch), i++;
    } else if (ch === '"') (quoted = true), i++;
    else if (ch === ',') row.push(field), (field = ''), i++;
    else if (ch === '\r' && text[i + 1] === '\n') row.push(field), rows.push(row), (row = []), (field = ''), (i += 2);
    else (field += ch), i++;
  }
  expect(field).toBe(''); // the last record ends in CRLF
  return rows;
}

describe('--csv: the tables as RFC 4180 CSV', () => {
  test('kernel --csv holds the numbers of kernel --json (a header row, then one row per layer)', async () => {
    const argv = ['kernel', '--act', 'tanh', '--depth', '4', '--digits', '20'];
    const csv = await run([...argv, '--csv']);
    const json = JSON.parse((await run([...argv, '--json'])).out);
    expect(csv.code).toBe(0);
    const rows = parseCsv(csv.out);
    expect(rows[0]).toEqual(['layer', 'K_11 = K_22', 'K_12', 'c']);
    expect(rows.slice(1).map((r) => r[0])).toEqual(['0', '1', '2', '3', '4']);
    expect(rows.slice(1).map((r) => r[1])).toEqual(json.q);
    expect(rows.slice(1).map((r) => r[2])).toEqual(json.k12);
    expect(rows.slice(1).map((r) => r[3])).toEqual(json.c);
  });

  test('fixed-point, critical and loop: the same values as --json; "-" (no value) is an empty field', async () => {
    const cr = parseCsv((await run(['critical', '--csv'])).out);
    const cj = JSON.parse((await run(['critical', '--json'])).out);
    expect(cr).toEqual([['quantity', 'value'], ['sw2', cj.sw2], ['q_star', cj.q_star]]);
    const fp = parseCsv((await run(['fixed-point', '--csv'])).out);
    const fj = JSON.parse((await run(['fixed-point', '--json'])).out);
    const value = (k: string) => fp.find((r) => r[0] === k)?.[1];
    expect([value('q*'), value('c*'), value('chi_1'), value('xi_c')]).toEqual([fj.q_star, fj.c_star, fj.chi1, fj.xi_c]);
    const lp = parseCsv((await run(['loop', '--depth', '2', '--csv'])).out);
    const lj = JSON.parse((await run(['loop', '--depth', '2', '--json'])).out);
    expect(lp[0].slice(0, 3)).toEqual(['layer', 'k1', 'c1']);
    expect(lp.slice(1).map((r) => r[2])).toEqual(lj.c1.map((x: string | null) => x ?? ''));
  });

  test('several tables: one CSV with a first column "table"; fields with commas are quoted', async () => {
    const r = await run(['cnn', '--image', '4', '--depth', '2', '--csv']);
    expect(r.code).toBe(0);
    const rows = parseCsv(r.out);
    expect(rows[0][0]).toBe('table');
    for (const row of rows) expect(row).toHaveLength(rows[0].length);
    expect(new Set(rows.slice(1).map((x) => x[0]))).toEqual(new Set(['modes', 'propagation']));
    const modes = rows.filter((x) => x[0] === 'modes');
    expect(modes[0][rows[0].indexOf('f')]).toBe('0,0');
    expect(r.out).toContain('modes,"0,0",');
  });

  test('--csv with --json is refused; a command without tables does not take --csv', async () => {
    const both = await run(['kernel', '--csv', '--json']);
    expect(both.code).toBe(2);
    expect(both.err).toMatch(/--csv: give --csv or --json/);
    const none = await run(['cnn-orthogonal', '--csv']);
    expect(none.code).toBe(2);
    expect(none.err).toMatch(/--csv: unknown option/);
  });
});
