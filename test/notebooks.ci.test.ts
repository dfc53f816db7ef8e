/**
 * CI hook: every notebook in notebooks/ runs green at --small sizes (written to a temporary
 * directory with --out, so the stored full-size outputs stay), stores its outputs (SVG, LaTeX
 * that KaTeX parses), and the committed notebooks carry full-size outputs for every code cell.
 * The same notebooks under Jupyter's tslab kernel: test/notebooks.jupyter.test.ts.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { main } from '../src/cli/main';
import { readNotebook } from '../src/notebook/notebook';
import { tex } from '../src/report/html';

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fieldprop-nbci-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('CI: every notebook in notebooks/ runs green at --small sizes', () => {
  const dir = path.join(__dirname, '..', 'notebooks');
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.ipynb')).sort();
  test('there are notebooks, one per seed at least for 002', () => {
    expect(files).toContain('002-resnet-field-theory.ipynb');
  });
  test.each(files)('%s', async (name) => {
    const copy = path.join(tmp, name);
    const source = path.join(dir, name);
    const before = fs.readFileSync(source, 'utf8');
    const r = await run(['notebook', 'run', '--small', '--out', tmp, source]);
    if (r.code !== 0) throw new Error(r.err);
    expect(r.out).toMatch(/code cells ok \(small sizes\), outputs stored in /);
    expect(fs.readFileSync(source, 'utf8')).toBe(before);
    const nb = readNotebook(copy);
    const code = nb.cells.filter((c) => c.cell_type === 'code');
    expect(code.every((c, i) => c.execution_count === i + 1)).toBe(true);
    const outputs = code.flatMap((c) => c.outputs ?? []);
    expect(outputs.some((o) => o.output_type === 'error')).toBe(false);
    const mimes = new Set(outputs.flatMap((o) => Object.keys((o.data as object | undefined) ?? {})));
    expect(mimes.has('image/svg+xml')).toBe(true);
    expect(mimes.has('text/latex')).toBe(true);
    expect((nb.metadata.fieldprop as { small: boolean }).small).toBe(true);
    // Every LaTeX output is valid TeX (KaTeX parses it; Jupyter renders it with MathJax).
    for (const o of outputs) {
      const t = (o.data as Record<string, string[]> | undefined)?.['text/latex'];
      if (t) expect(() => tex(t.join('').replace(/^\$\$|\$\$$/g, ''), true)).not.toThrow();
    }
  }, 110_000);

  test('the stored notebooks carry full-size outputs (run without --small) for every code cell', () => {
    for (const name of files) {
      const nb = readNotebook(path.join(dir, name));
      const code = nb.cells.filter((c) => c.cell_type === 'code');
      expect(code.every((c, i) => c.execution_count === i + 1 && (c.outputs ?? []).length > 0)).toBe(true);
      expect((nb.metadata.fieldprop as { small: boolean } | undefined)?.small).toBe(false);
    }
  });
});
