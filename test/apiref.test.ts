/**
 * docs/api-reference.md is generated from the TypeScript sources (scripts/apiref.js, `npm run
 * docs:api`): regenerate it in memory and require the committed file to be identical; and check
 * that the generator documents what src/index.ts exports (names, kinds, signatures, JSDoc).
 */
import * as fs from 'fs';
import * as path from 'path';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const { generateApiReference, OUT } = require('../scripts/apiref.js') as { generateApiReference: () => string; OUT: string };

describe('API reference', () => {
  let md = '';
  beforeAll(() => {
    md = generateApiReference();
  });

  test('docs/api-reference.md is current (run `npm run docs:api` after changing exports or their doc comments)', () => {
    const committed = fs.existsSync(OUT) ? fs.readFileSync(OUT, 'utf8') : '';
    // compare line by line first: a failure names the first differing line
    const a = committed.split('\n');
    const b = md.split('\n');
    const i = a.findIndex((line, k) => line !== b[k]);
    const first = i < 0 ? (a.length === b.length ? -1 : Math.min(a.length, b.length)) : i;
    expect(first < 0 ? 'current' : `line ${first + 1}: committed ${JSON.stringify(a[first])} / generated ${JSON.stringify(b[first])}`).toBe('current');
    expect(committed === md).toBe(true);
  });

  test('every export of src/index.ts has an entry, grouped by its module, with signature and doc comment', () => {
    // names exported directly from the entry point (export { a, b as c } from ...), aliases resolved
    const index = fs.readFileSync(path.join(__dirname, '..', 'src', 'index.ts'), 'utf8');
    const direct: string[] = [];
    for (const m of index.matchAll(/export\s*\{([^}]*)\}\s*from/g)) {
      for (const part of m[1].split(',')) {
        const name = part.trim().split(/\s+as\s+/).pop();
        if (name) direct.push(name);
      }
    }
    expect(direct.length).toBeGreaterThan(10);
    const missing = direct.filter((n) => !md.includes(`### \`${n}\` — `));
    expect(missing).toEqual([]);
    // namespace exports are listed member by member
    for (const ns of index.matchAll(/export \* as (\w+) from/g)) expect(md).toContain(`### \`${ns[1]}.`);
    // a known function: its module section, kind, signature and JSDoc
    const sec = md.slice(md.indexOf('\n## src/numeric/gaussian.ts\n'));
    expect(sec).toContain('### `gaussian.expect2F64` — function');
    expect(sec).toMatch(/function expect2F64\(f: \(u: number\) => number, g: \(v: number\) => number, K11: number/);
    expect(sec).toContain('E[f(u) g(v)], (u, v) ~ N(0, [[K11, K12], [K12, K22]]), in float64');
    // renamed exports name their declaration
    if (/iterate64 as residualIterate64/.test(index)) expect(md).toContain('### `residualIterate64` — function (declared as `iterate64`)');
    // no absolute paths or dates: the file is the same on every machine
    expect(md).not.toContain(path.join(__dirname, '..'));
  });
});
