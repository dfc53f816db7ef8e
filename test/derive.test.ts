/**
 * The symbolic derivations (src/derivations): their numerical checks pass, they would fail on a
 * wrong formula, every LaTeX fragment parses with KaTeX, the committed docs/derivations/*.tex equal a
 * fresh regeneration, the standalone document compiles (when pdflatex is installed), bad input.
 */
import * as fs from 'fs';
import * as path from 'path';
import { execFileSync } from 'child_process';
import {
  derive, allDerivations, derivationFiles, defaultOutDir, STANDALONE, theoryMarkdown, THEORY_PAGE, fragment, DOC_ACTIVATIONS, DERIVATION_NAMES,
  loadLiterate, withoutCheckTables, standalone,
} from '../src/derivations';
import { GENERAL_ACT } from '../src/derivations/literate';
import { coefficients, runRecursion, compareTables, actionOneLoop, CHECK_POINTS } from '../src/derivations/oneLoop';
import { postActivation, postActivationTheory, actionOneLoopPA, runGeneral, PA_POINT } from '../src/derivations/composedLoop';
import { netOneLoop64 } from '../src/quantities/loop/netOneLoop';
import { parseNetwork } from '../src/model/net/json';
import { activation } from '../src/model/activation';
import { network } from '../src/model/network';
import { oneLoop64 } from '../src/quantities/loop';
import { InputError } from '../src/model/errors';
import { mul, num, toString } from '../src/symbolic';
import { main } from '../src/cli/main';
// eslint-disable-next-line @typescript-eslint/no-var-requires
const katex = require('katex');

function render(tex: string): void {
  katex.renderToString(tex, { throwOnError: true, displayMode: true });
}

/** A fragment without its comment lines. */
function mathOf(file: string): string {
  return file.split('\n').filter((l) => !l.startsWith('%')).join('\n');
}

function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  return main(argv, { out: (s) => { out += s; }, err: (s) => { err += s; } }).then((code) => ({ code, out, err }));
}

describe('derivations verify themselves', () => {
  const cases: [string, string, string][] = [
    ['loop', 'relu', 'residual'], ['loop', 'linear', 'residual'], ['loop', 'tanh', 'residual'], ['response', 'erf', 'residual'],
    ['response', 'relu', 'none'], ['kernel', 'relu', 'residual'], ['optimal-alpha', 'erf', 'residual'], ['net-loop', 'relu', 'residual'],
  ];
  test.each(cases)('%s --act %s --skip %s: every check passes', (name, act, skip) => {
    const d = derive(name, act, { skip });
    expect(d.checks.length).toBeGreaterThanOrEqual(3);
    for (const c of d.checks) {
      if (!c.ok) throw new Error(`${name} ${act}: ${c.what}: ${c.maxError} > ${c.tol}`);
    }
  });

  test('relu: the curvature term vanishes identically, the one-loop mean is all memory term', () => {
    const c = coefficients(activation('relu'));
    expect(toString(c.kappa)).toBe('0');
    const t = runRecursion(c, { act: 'relu', ...CHECK_POINTS[0] });
    expect(t.c1_curvature.slice(1).every((x) => x === 0)).toBe(true);
    expect(t.c1[6]).toBeGreaterThan(0.5);
  });

  test('the checks can fail: a wrong response coefficient or a dropped memory vertex is caught', () => {
    const act = activation('erf');
    const c = coefficients(act);
    const p = { act: 'erf', ...CHECK_POINTS[0] };
    const ref = oneLoop64(network({ act: 'erf', alpha: String(p.alpha), sw2: String(p.sw2), sb2: String(p.sb2), q0: String(p.q0), depth: p.depth, c0: '0' }));
    expect(compareTables(runRecursion(c, p), ref, p.depth)).toBeLessThan(1e-7);
    expect(compareTables(runRecursion({ ...c, mu: mul(num('1.01'), c.mu) }, p), ref, p.depth)).toBeGreaterThan(1e-4);
    expect(compareTables(runRecursion({ ...c, vD: num(0) }, p), ref, p.depth)).toBeGreaterThan(1e-2);
  });

  test('composed networks: a dropped memory vertex or a wrong response coefficient is caught by the action and by netOneLoop64', () => {
    const act = activation('relu');
    const pa = postActivation(act);
    const th = postActivationTheory(act, pa, PA_POINT);
    const action = actionOneLoopPA(act, PA_POINT, th.G);
    const net = netOneLoop64(parseNetwork({ inputs: { kernel: [[PA_POINT.q0]] }, layers: [{ repeat: PA_POINT.L, layers: [{ residual: { alpha: PA_POINT.alpha, branch: [{ dense: { sw2: PA_POINT.sw2, sb2: PA_POINT.sb2 } }, { act: 'relu' }] } }] }] }));
    const last = th.n;
    const err = (t: typeof th) => {
      const r = runGeneral(t);
      return Math.max(Math.abs(r.c1[last] - action.c1[last]), Math.abs(r.c1[last] - net.rows[PA_POINT.L].k1[0])) / Math.abs(action.c1[last]);
    };
    expect(err(th)).toBeLessThan(1e-7);
    expect(err({ ...th, dV: () => 0 })).toBeGreaterThan(0.1);
    expect(err({ ...th, M: th.M.map((r) => r.map((x) => 1.01 * x)) })).toBeGreaterThan(1e-4);
    // the memory part is most of k1 here: the curvature part alone is far off
    expect(Math.abs(net.rows[PA_POINT.L].k1Curvature[0] - net.rows[PA_POINT.L].k1[0])).toBeGreaterThan(0.5 * Math.abs(net.rows[PA_POINT.L].k1[0]));
  });

  test('the generic one-loop expansion of the action (depth 3) reproduces oneLoop64 directly', () => {
    const p = { act: 'tanh', ...CHECK_POINTS[1], depth: 3 };
    const a = actionOneLoop(activation('tanh'), p);
    const ref = oneLoop64(network({ act: 'tanh', alpha: String(p.alpha), sw2: String(p.sw2), sb2: String(p.sb2), q0: String(p.q0), depth: 3, c0: '0' }));
    for (let l = 2; l <= 3; l++) {
      expect(Math.abs(a.c1[l] - (ref.c1[l] as number))).toBeLessThan(1e-8 * Math.abs(ref.c1[l] as number));
      expect(Math.abs(a.varC[l] - (ref.varC[l] as number))).toBeLessThan(1e-8 * (ref.varC[l] as number));
    }
  });
});

describe('LaTeX', () => {
  const fresh = derivationFiles(allDerivations({ checks: false }));
  const dir = defaultOutDir();

  test('every fragment of a fresh regeneration parses with KaTeX', () => {
    expect(fresh.size).toBe(DERIVATION_NAMES.length * DOC_ACTIVATIONS.length + 1);
    for (const [name, content] of fresh) {
      if (name === STANDALONE) continue;
      expect(() => render(mathOf(content))).not.toThrow();
    }
  });

  test('the standalone document: a complete article whose every formula parses with KaTeX', () => {
    const doc = fresh.get(STANDALONE)!;
    expect(doc).toMatch(/\\documentclass(\[[^\]]*\])?\{article\}[\s\S]*\\usepackage\{amsmath[\s\S]*\\begin\{document\}[\s\S]*\\end\{document\}\n$/);
    expect(doc).toContain('\\usepackage[T1]{fontenc}');
    const blocks = doc.match(/\\begin\{align\*\}[\s\S]*?\\end\{align\*\}/g) ?? [];
    // the steps of each literate file (general activation) and the closed forms of the others
    const steps = loadLiterate().reduce((n, l) => n + l.doc.steps.filter((s) => s.equations?.length).length, 0);
    expect(blocks.length).toBe(steps + DERIVATION_NAMES.length * (DOC_ACTIVATIONS.length - 1));
    for (const b of blocks) render(b);
    const inline = doc.replace(/\\begin\{align\*\}[\s\S]*?\\end\{align\*\}/g, '').match(/\$[^$]+\$/g) ?? [];
    expect(inline.length).toBeGreaterThan(10);
    for (const m of inline) render(m.slice(1, -1));
    // text outside math and \\texttt has no ASCII stand-ins for math (d<phi phi>, k < l, x ~ N(0,K))
    const text = doc.replace(/\\begin\{align\*\}[\s\S]*?\\end\{align\*\}/g, '').replace(/\$[^$]+\$/g, '').replace(/\\texttt\{[^}]*\}/g, '').replace(/^%.*$/gm, '');
    expect(text).not.toMatch(/[<>|]|\\textasciitilde|\\textasciicircum/);
    // braces balance outside escapes
    const stripped = doc.replace(/\\[{}]/g, '');
    expect((stripped.match(/\{/g) ?? []).length).toBe((stripped.match(/\}/g) ?? []).length);
  });

  test('the committed docs/derivations/*.tex equal a fresh regeneration (npm run derive; the measured check errors apart)', () => {
    for (const [name, content] of fresh) {
      const file = path.join(dir, name);
      expect(fs.existsSync(file)).toBe(true);
      expect(withoutCheckTables(fs.readFileSync(file, 'utf8'))).toBe(content);
    }
    const committed = fs.readdirSync(dir).filter((f) => f.endsWith('.tex'));
    expect(committed.sort()).toEqual([...fresh.keys()].sort());
  });

  test('the theory page docs/derivations/theory.md equals a fresh regeneration, and every $$ block parses with KaTeX', () => {
    const ds = allDerivations({ checks: false });
    const md = theoryMarkdown(ds);
    expect(withoutCheckTables(fs.readFileSync(path.join(dir, THEORY_PAGE), 'utf8'))).toBe(md);
    const blocks = md.match(/\$\$\n[\s\S]*?\n\$\$/g) ?? [];
    // an equation that is the same for every activation is shown once, in the steps (general activation)
    expect(blocks.length).toBe(ds.reduce((n, d) => n + d.equations.filter((e) => d.act === GENERAL_ACT || !e.general).length, 0));
    for (const b of blocks) render(b.slice(3, -3));
  });

  test('LaTeX a physicist would accept: named symbols, no \\cdot 1, no x^{-1}, no double superscripts', () => {
    // the fragments (the standalone document's prose writes the matrix inverse (1 - M)^{-1})
    const all = [...fresh.entries()].filter(([n]) => n !== STANDALONE).map(([, c]) => mathOf(c)).join('\n');
    expect(all).toContain('\\sigma_w^2');
    expect(all).toContain('\\alpha^2');
    expect(all).toContain('\\mathcal{K}^{(\\ell - 1)}');
    expect(all).toMatch(/\\sum_\{j=1\}\^\{\\ell\}/);
    expect(all).toMatch(/\\prod_\{\\ell=1\}\^\{L\}/);
    expect(all).not.toMatch(/\\cdot 1\b/);
    expect(all).not.toMatch(/\^\{-1\}/);
    expect(all).not.toMatch(/\(\\sigma_w\^2\)\^/);
    expect(all).not.toMatch(/\\cos\\left\(\\arccos/);
    expect(all).not.toMatch(/\}\^\{?\(\\ell[^}]*\}\^/);
  });

  test('the committed tables of checks are what the checks measure (kernel, relu)', () => {
    const ds = allDerivations({ checks: false }).map((d) => (d.name === 'mean-field' && d.act === 'relu' ? derive('kernel', 'relu') : d));
    const table = (doc: string) => doc.split('\n').filter((l) => l.startsWith('relu & '));
    const rows = table(standalone(ds));
    expect(rows.length).toBe(4);
    // a check the documents cannot describe in LaTeX is refused
    const bare = ds.map((d) => (d.name === 'mean-field' && d.act === 'relu' ? { ...d, checks: [{ ...d.checks[0], tex: 'd<phi phi>/dK12' }] } : d));
    expect(() => standalone(bare)).toThrow(/special character outside math/);
    const committed = fs.readFileSync(path.join(dir, STANDALONE), 'utf8');
    for (const r of rows) expect(committed).toContain(r);
    const mdRows = theoryMarkdown(ds).split('\n').filter((l) => l.startsWith('| relu |'));
    const md = fs.readFileSync(path.join(dir, THEORY_PAGE), 'utf8');
    for (const r of mdRows) expect(md).toContain(r);
  });

  test('derivations/: one literate file per derivation, each placing every equation once in prose valid as LaTeX and Markdown', () => {
    const lit = loadLiterate();
    expect(lit.map((l) => l.file)).toEqual(['01-mean-field', '02-response', '03-one-loop', '04-optimal-alpha', '05-composed-one-loop']);
    expect(lit.map((l) => l.doc.command).sort()).toEqual([...DERIVATION_NAMES].sort());
    const ds = allDerivations({ checks: false });
    const dropped = lit.map((l) => (l.file === '02-response' ? { ...l, doc: { ...l.doc, steps: l.doc.steps.slice(1) } } : l));
    expect(() => standalone(ds, dropped)).toThrow(/02-response.ts: equation "q-map" is placed 0 times/);
    const bad = lit.map((l) => (l.file === '01-mean-field' ? { ...l, doc: { ...l.doc, checks: 'k < l, x ~ N(0,K)' } } : l));
    expect(() => standalone(ds, bad)).toThrow(/01-mean-field.ts: special character outside math/);
  });

  test('a changed formula shows up as a changed fragment', () => {
    const d = derive('kernel', 'erf', { checks: false });
    const changed = { ...d, equations: d.equations.map((e, i) => (i === 3 ? { ...e, latex: e.latex.replace('2 \\sigma_w^2', '3 \\sigma_w^2') } : e)) };
    expect(fragment(changed)).not.toBe(fragment(d));
  });

  const hasPdflatex = (() => {
    try {
      execFileSync('pdflatex', ['--version'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();
  (hasPdflatex ? test : test.skip)('the standalone document compiles with pdflatex', () => {
    const tmp = fs.mkdtempSync(path.join(require('os').tmpdir(), 'fieldprop-tex-'));
    // the committed document, with its tables of checks
    fs.writeFileSync(path.join(tmp, STANDALONE), fs.readFileSync(path.join(dir, STANDALONE), 'utf8'));
    execFileSync('pdflatex', ['-interaction=nonstopmode', '-halt-on-error', STANDALONE], { cwd: tmp, stdio: 'ignore', timeout: 60000 });
    expect(fs.existsSync(path.join(tmp, STANDALONE.replace(/\.tex$/, '.pdf')))).toBe(true);
  });
  if (!hasPdflatex) {
    test('note: pdflatex is not installed here, the compile test is skipped (KaTeX parsing above always runs)', () => {
      expect(hasPdflatex).toBe(false);
    });
  }
});

describe('bad input', () => {
  test('unknown derivation and unsuitable activations are InputErrors naming the parameter', () => {
    expect(() => derive('nope', 'erf')).toThrow(InputError);
    expect(() => derive('nope', 'erf')).toThrow(/--derivation: must be one of kernel, response, loop, optimal-alpha/);
    expect(() => derive('loop', 'sign')).toThrow(/--act: .*closed-form moments/);
    expect(() => derive('loop', 'relu-power:1.5')).toThrow(InputError);
    expect(() => derive('loop', 'y+1')).toThrow(/--act/);
    expect(() => derive('loop', 'erf', { skip: 'none' })).toThrow(/--skip: "none" \(feed-forward\) is derived for the response only/);
    expect(() => derive('response', 'erf', { skip: 'both' })).toThrow(/--skip: must be "residual" or "none"/);
  });

  test('CLI: exit code 2 with one line naming the parameter', async () => {
    const r1 = await run(['derive']);
    expect(r1.code).toBe(2);
    expect(r1.err).toMatch(/--derivation/);
    const r2 = await run(['derive', 'loop', '--act', 'sign']);
    expect(r2.code).toBe(2);
    expect(r2.err).toMatch(/--act/);
    const r3 = await run(['derive', 'loop', '--bogus']);
    expect(r3.code).toBe(2);
  });

  test('CLI: derive kernel --act relu --latex --json', async () => {
    const r = await run(['derive', 'kernel', '--act', 'relu', '--latex', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.verified).toBe(true);
    expect(j.equations.find((e: { label: string }) => e.label === 'map').latex).toBe('\\mathcal{C}_{aa}^{(\\ell)} = m(\\mathcal{K}) = \\sigma_b^2 + \\frac{\\sigma_w^2 \\mathcal{K}}{2}');
    const t = await run(['derive', 'kernel', '--act', 'relu']);
    expect(t.code).toBe(0);
    expect(t.out).toMatch(/Verified: 4 of 4 numerical checks pass/);
  });
});
