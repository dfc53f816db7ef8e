/**
 * Lazy loading: `require('fieldprop')` (dist/index.js) and `fieldprop kernel` load none of the
 * heavy modules (Vega, Vega-Lite, KaTeX, nerdamer, the TypeScript compiler); the commands that
 * need one load it. Checked in a fresh node process through require.cache, on the built dist/.
 */
import { execFileSync } from 'child_process';
import * as path from 'path';

const ROOT = path.join(__dirname, '..');
const HEAVY = ['vega', 'vega-lite', 'katex', 'nerdamer-prime', 'typescript'];

/** The packages under node_modules that a node process has loaded after running SCRIPT. */
function loadedAfter(script: string): string[] {
  const probe = `
    (async () => {
      ${script}
      const names = Object.keys(require.cache).map((k) => /node_modules[\\\\/]((@[^\\\\/]+[\\\\/])?[^\\\\/]+)/.exec(k)).filter(Boolean).map((m) => m[1]);
      process.stdout.write(JSON.stringify([...new Set(names)].sort()));
    })();`;
  return JSON.parse(execFileSync(process.execPath, ['-e', probe], { cwd: ROOT, encoding: 'utf8' }));
}
const quiet = '{ out: () => {}, err: () => {} }';

beforeAll(() => {
  // dist/ current with src/ (builds only when a source is newer)
  execFileSync(process.execPath, [path.join(ROOT, 'bin', 'ensure-ready.js')], { cwd: ROOT, stdio: 'ignore' });
}, 120_000);

test('require(fieldprop) loads none of the heavy modules', () => {
  const loaded = loadedAfter("require('./dist/index.js');");
  for (const m of HEAVY) expect(loaded).not.toContain(m);
  expect(loaded).toContain('decimal.js');
});

test('fieldprop kernel --depth 3 loads none of them', () => {
  const loaded = loadedAfter(`const code = await require('./dist/cli/main.js').main(['kernel', '--depth', '3'], ${quiet}); if (code !== 0) throw new Error('exit ' + code);`);
  for (const m of HEAVY) expect(loaded).not.toContain(m);
});

test('the modules are loaded where used: KaTeX by tex(), nerdamer by the parser, TypeScript by a notebook cell', () => {
  expect(loadedAfter("require('./dist/report/html.js').tex('x^2');")).toContain('katex');
  expect(loadedAfter("require('./dist/symbolic/parse.js').parseViaNerdamer('x^2');")).toContain('nerdamer-prime');
  expect(loadedAfter("require('./dist/notebook/notebook.js').compileCell('const a: number = 1;');")).toContain('typescript');
});
