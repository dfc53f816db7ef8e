/**
 * The package as a user gets it: `npm pack`, then `npm i <tarball>` in a clean temporary
 * project. The install holds the runtime dependencies only (no TypeScript, jest, ts-jest), and
 * `require('fieldprop')`, `require('fieldprop/notebook')`, `npx fieldprop kernel` and a
 * TypeScript consumer compiled with --strict (classic and node16 module resolution) all work.
 *
 * The install reads package tarballs from npm's local cache (--prefer-offline): fast, but the
 * registry must be reachable for the package metadata. About a minute.
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.join(__dirname, '..');
const TSC = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const npm = (args: string[], cwd: string): string =>
  execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, npm_config_update_notifier: 'false' } });

describe('npm pack + npm i of the tarball in a clean project', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fieldprop-pkg-'));
  const app = path.join(tmp, 'app');
  let files: string[] = [];
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  beforeAll(() => {
    // dist/ current with src/; then pack it as is (the prepare script would only rebuild it)
    execFileSync(process.execPath, [path.join(ROOT, 'bin', 'ensure-ready.js')], { cwd: ROOT, stdio: 'ignore' });
    const packed = JSON.parse(npm(['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], ROOT)) as { filename: string; files: { path: string }[] }[];
    files = packed[0].files.map((f) => f.path);
    fs.mkdirSync(app);
    fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }));
    npm(['i', '--prefer-offline', '--no-audit', '--no-fund', path.join(tmp, packed[0].filename)], app);
  }, 180_000);

  test('the tarball: the build, the launcher, the docs; no sources, tests, benchmarks or source maps', () => {
    for (const f of ['package.json', 'README.md', 'bin/fieldprop.js', 'dist/index.js', 'dist/index.d.ts', 'dist/cli/main.js', 'dist/notebook/runtime.js', 'dist/notebook/runtime.d.ts']) {
      expect(files).toContain(f);
    }
    expect(files.filter((f) => /^(src|test|notebooks|bench)\/|^dist\/bench\/|\.map$/.test(f))).toEqual([]);
  });

  test('runtime dependencies only', () => {
    const installed = fs.readdirSync(path.join(app, 'node_modules'));
    expect(installed).toEqual(expect.arrayContaining(['fieldprop', 'decimal.js', 'katex', 'vega', 'vega-lite', 'nerdamer-prime']));
    for (const dev of ['typescript', 'jest', 'ts-jest', 'playwright-core']) expect(installed).not.toContain(dev);
  });

  test("require('fieldprop') and require('fieldprop/notebook')", () => {
    const out = execFileSync(process.execPath, ['-e', `
      const fp = require('fieldprop');
      const { display, check, SMALL } = require('fieldprop/notebook');
      const k = fp.kernel({ depth: 3 }, { digits: 12 });
      check(k.c.length === 4, 'four layers');
      display.text('c3 = ' + k.c[3]);
      console.log(typeof SMALL);`], { cwd: app, encoding: 'utf8' });
    expect(out).toMatch(/^c3 = 0\.\d{11,}\nboolean\n$/);
  });

  test('npx fieldprop kernel --depth 3', () => {
    const r = spawnSync('npx', ['--offline', 'fieldprop', 'kernel', '--depth', '3'], { cwd: app, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/Mean-field kernels:/);
    expect(r.stdout.trim().split('\n').pop()).toMatch(/^\s*3\s+\d\.\d+\s+\d\.\d+\s+0\.\d+$/);
  });

  test('notebook run says what it needs instead of a stack trace (typescript is an optional peer)', () => {
    fs.writeFileSync(path.join(app, 'n.ipynb'), JSON.stringify({ nbformat: 4, nbformat_minor: 5, metadata: {}, cells: [{ cell_type: 'code', metadata: {}, source: '1', outputs: [], execution_count: null }] }));
    const r = spawnSync(process.execPath, [path.join(app, 'node_modules', '.bin', 'fieldprop'), 'notebook', 'run', 'n.ipynb'], { cwd: app, encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('fieldprop notebook: --notebook: running notebooks needs the typescript package (npm i typescript)\n');
  });

  test('the prepare script does nothing in the installed copy', () => {
    const pkg = path.join(app, 'node_modules', 'fieldprop');
    const before = fs.readdirSync(pkg).sort();
    execFileSync(process.execPath, [path.join(pkg, 'bin', 'prepare.js')], { cwd: pkg });
    expect(fs.readdirSync(pkg).sort()).toEqual(before);
  });

  // node16 (package "exports") also checks our declaration files themselves (skipLibCheck off);
  // node10 (main/types/typesVersions, as tslab resolves) only the use of them.
  test.each(['node10', 'node16'])('the types check under --strict (moduleResolution %s)', (resolution) => {
    const src = path.join(app, `use-${resolution}.ts`);
    fs.writeFileSync(src, [
      "import * as fp from 'fieldprop';",
      "import { display, check, SMALL } from 'fieldprop/notebook';",
      'const k: fp.KernelResult = fp.kernel({ depth: 3 }, { digits: 12 });',
      "check(k.c.length === 4, 'layers');",
      'display.table([\'l\', \'c\'], k.c.map((c, l) => [l, c]));',
      'const small: boolean = SMALL;',
      'export { small };',
    ].join('\n'));
    const r = spawnSync(process.execPath, [TSC, '--strict', '--noEmit', '--skipLibCheck', String(resolution === 'node10'), '--module', resolution === 'node16' ? 'node16' : 'commonjs',
      '--moduleResolution', resolution, '--target', 'ES2022', '--types', 'node', '--typeRoots', path.join(ROOT, 'node_modules', '@types'), src], { cwd: app, encoding: 'utf8' });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
