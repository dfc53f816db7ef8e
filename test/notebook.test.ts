/**
 * Notebooks (src/notebook, `fieldprop notebook run`): the runner's semantics on small
 * notebooks and its failure modes (one line, exit code 2, the file untouched).
 * The CI hook (every notebook in notebooks/ at --small sizes) is test/notebooks.ci.test.ts.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { main } from '../src/cli/main';
import { compileCell, runNotebook, readNotebook, Notebook, lines } from '../src/notebook/notebook';
import { smallFromEnv } from '../src/cli/notebook';

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fieldprop-nb-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function makeNotebook(name: string, cells: (string | { md: string })[]): string {
  const nb: Notebook = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: 'tslab', language: 'typescript', display_name: 'TypeScript' } },
    cells: cells.map((c) => (typeof c === 'string'
      ? { cell_type: 'code', metadata: {}, source: lines(c), outputs: [], execution_count: null }
      : { cell_type: 'markdown', metadata: {}, source: lines(c.md) })),
  };
  const file = path.join(tmp, name);
  fs.writeFileSync(file, JSON.stringify(nb, null, 1) + '\n');
  return file;
}

const text = (o: { [k: string]: unknown }, mime = 'text/plain'): string => {
  const v = o.data ? (o.data as Record<string, unknown>)[mime] : o.text;
  return Array.isArray(v) ? v.join('') : String(v);
};

describe('running cells', () => {
  test('shared declarations, imports, functions, destructuring, top-level await, results and displays', async () => {
    const file = makeNotebook('ok.ipynb', [
      { md: '# a notebook' },
      "import * as fp from 'fieldprop';\nimport { response } from 'fieldprop';\nconst x: number = 2;\nlet y = 3;\nfunction sq(a: number): number { return a * a; }\nclass Box { constructor(readonly v: number) {} }\nconst { a, b: [c] } = { a: 1, b: [5] };\nconsole.log('x is', x);\nx + y",
      "y = sq(x) + c;\nconst r = response({ depth: 3 });\nawait new Promise((res) => setTimeout(res, 5));\ndisplay.latex('S = ' + r.sensitivity);\ndisplay.table(['k', 'v'], [['S', r.sensitivity]]);\ndisplay.json({ y });\ncheck(new Box(a).v === 1, 'class');\nconsole.error('to stderr');\nfp.network({ depth: 3 }).depth",
      "await display.plot({ data: { values: [{ x: 1, y: 2 }, { x: 2, y: 3 }] }, mark: 'line', encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' } } });\ncheck.close(y, 9, 0, 'y');\nSMALL",
    ]);
    const r = await runNotebook(file, { small: true });
    expect(r.cells).toBe(3);
    const nb = readNotebook(file);
    const code = nb.cells.filter((c) => c.cell_type === 'code');
    expect(code.map((c) => c.execution_count)).toEqual([1, 2, 3]);
    const [o1, o2, o3] = code.map((c) => c.outputs!);
    expect(o1[0]).toMatchObject({ output_type: 'stream', name: 'stdout' });
    expect(text(o1[0])).toBe('x is 2\n');
    expect(o1[1]).toMatchObject({ output_type: 'execute_result', execution_count: 1 });
    expect(text(o1[1])).toBe('5');
    expect(text(o2[0], 'text/latex')).toMatch(/^\$\$S = 0\.\d+\$\$$/);
    expect(text(o2[1], 'text/html')).toMatch(/<table>.*<td>S<\/td>/);
    expect(o2[2].data).toMatchObject({ 'application/json': { y: 9 } });
    expect(o2[3]).toMatchObject({ output_type: 'stream', name: 'stderr' });
    expect(text(o2[4])).toBe('3');
    expect(text(o3[0], 'image/svg+xml')).toMatch(/^<svg[\s\S]*<\/svg>$/);
    expect(text(o3[1])).toBe('true');
    expect(nb.metadata.kernelspec).toMatchObject({ language: 'typescript' });
    expect(nb.cells[0].cell_type).toBe('markdown');
  });

  test('compileCell: declarations become shared names, the last expression the result', () => {
    const c = compileCell('const a = 1;\nlet [b, , d] = [2, 3, 4];\nfunction f() { return a; }\na + b');
    expect(c.names.sort()).toEqual(['a', 'b', 'd', 'f']);
    expect(c.code).toMatch(/return \(a \+ b\);/);
    expect(() => compileCell('const = ;')).toThrow(SyntaxError);
  });

  test('FIELDPROP_NOTEBOOK_SMALL', () => {
    expect(smallFromEnv({ FIELDPROP_NOTEBOOK_SMALL: '1' })).toBe(true);
    expect(smallFromEnv({ FIELDPROP_NOTEBOOK_SMALL: '0' })).toBe(false);
    expect(smallFromEnv({})).toBe(false);
  });
});

describe('failures: one line, exit code 2, the file left as it was', () => {
  const cases: [string, string[], RegExp][] = [
    ['a cell that throws', ['const z = 1;', "throw new Error('boom');", 'z'], /cell 2: Error: boom$/],
    ['a failed check', ['const z = 1;', 'const w = z + 1;', "check(w === 3, 'w is 3');"], /cell 3: check failed: w is 3$/],
    ['an engine input error', ["import { kernel } from 'fieldprop';\nkernel({ sw2: -1 });"], /cell 1: InputError: --sw2: .*>= 0/],
    ['a syntax error', ['const ok = 1;', 'const = 2;'], /cell 2: SyntaxError: .*\(line 1\)$/],
    ['an undefined name', ['nope + 1'], /cell 1: ReferenceError: nope is not defined$/],
  ];
  test.each(cases)('%s', async (_name, cells, pattern) => {
    const file = makeNotebook('bad.ipynb', cells);
    const before = fs.readFileSync(file);
    const r = await run(['notebook', 'run', file]);
    expect(r.code).toBe(2);
    const errLines = r.err.trim().split('\n').filter((l) => !/ done \(/.test(l));
    expect(errLines).toHaveLength(1);
    expect(errLines[0]).toMatch(new RegExp(`^fieldprop notebook: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `));
    expect(errLines[0]).toMatch(pattern);
    expect(fs.readFileSync(file).equals(before)).toBe(true);
    expect(fs.readdirSync(tmp).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  test('a missing file, a non-notebook, a bad subcommand, no files', async () => {
    const missing = await run(['notebook', 'run', path.join(tmp, 'missing.ipynb')]);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/missing\.ipynb: no such notebook file\n$/);
    const junk = path.join(tmp, 'junk.ipynb');
    fs.writeFileSync(junk, '{"cells": [');
    const j = await run(['notebook', 'run', junk]);
    expect(j.code).toBe(2);
    expect(j.err).toMatch(/junk\.ipynb: not a notebook: invalid JSON/);
    fs.writeFileSync(junk, '{"nbformat": 3, "worksheets": []}');
    expect((await run(['notebook', 'run', junk])).err).toMatch(/nbformat 4/);
    const sub = await run(['notebook', 'exec', junk]);
    expect(sub.code).toBe(2);
    expect(sub.err).toMatch(/--notebook: expected the subcommand "run"/);
    expect((await run(['notebook', 'run'])).code).toBe(2);
    expect((await run(['notebook', 'run', '--bogus', junk])).code).toBe(2);
  });

  test('several files: stops at the first failure; earlier files are written, later ones untouched', async () => {
    const good = makeNotebook('good.ipynb', ['1 + 1']);
    const bad = makeNotebook('bad2.ipynb', ["check(false, 'no')"]);
    const later = makeNotebook('later.ipynb', ['2 + 2']);
    const laterBefore = fs.readFileSync(later, 'utf8');
    const r = await run(['notebook', 'run', good, bad, later]);
    expect(r.code).toBe(2);
    expect(readNotebook(good).cells[0].execution_count).toBe(1);
    expect(fs.readFileSync(later, 'utf8')).toBe(laterBefore);
  });
});

describe('where the executed notebook goes', () => {
  const runIn = async (cwd: string, argv: string[]) => {
    const prev = process.cwd();
    process.chdir(cwd);
    try {
      return await run(argv);
    } finally {
      process.chdir(prev);
    }
  };

  test('--small writes to notebook-runs/ (or --out DIR), never over the input; --in-place rewrites it', async () => {
    const file = makeNotebook('where.ipynb', ["import { display, check, SMALL } from 'fieldprop/notebook';\ncheck(SMALL, 'small');\ndisplay.text('hi');\nSMALL"]);
    const before = fs.readFileSync(file, 'utf8');
    const cwd = fs.mkdtempSync(path.join(tmp, 'cwd-'));
    const r = await runIn(cwd, ['notebook', 'run', '--small', file]);
    expect(r.code).toBe(0);
    expect(fs.readFileSync(file, 'utf8')).toBe(before);
    const written = path.join(cwd, 'notebook-runs', 'where.ipynb');
    expect(r.out).toContain(`outputs stored in ${path.join('notebook-runs', 'where.ipynb')}`);
    const out = readNotebook(written).cells[0].outputs!;
    expect(text(out[0])).toBe('hi');
    expect(text(out[1])).toBe('true');

    const dir = path.join(tmp, 'out', 'nested');
    expect((await run(['notebook', 'run', '--small', '--out', dir, file])).code).toBe(0);
    expect(readNotebook(path.join(dir, 'where.ipynb')).cells[0].execution_count).toBe(1);
    expect(fs.readFileSync(file, 'utf8')).toBe(before);

    expect((await run(['notebook', 'run', '--small', '--in-place', file])).code).toBe(0);
    expect(readNotebook(file).cells[0].execution_count).toBe(1);
  });

  test('--out and --in-place together, an empty --out, two inputs of the same name: exit code 2', async () => {
    const file = makeNotebook('x.ipynb', ['1']);
    const both = await run(['notebook', 'run', '--out', tmp, '--in-place', file]);
    expect(both.code).toBe(2);
    expect(both.err).toMatch(/--out: give either --out <dir> or --in-place/);
    expect((await run(['notebook', 'run', '--out', '', file])).err).toMatch(/--out: needs a directory name/);
    const sub = fs.mkdtempSync(path.join(tmp, 'sub-'));
    const other = path.join(sub, 'x.ipynb');
    fs.copyFileSync(file, other);
    const twice = await run(['notebook', 'run', '--out', path.join(tmp, 'o2'), file, other]);
    expect(twice.code).toBe(2);
    expect(twice.err).toMatch(/two notebooks named "x\.ipynb"/);
  });
});
