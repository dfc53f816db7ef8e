/**
 * `fieldprop report`: the flagship analysis at --quick sizes into a temporary directory, its
 * report.json, and report.html opened in headless Chromium (formulas typeset by KaTeX, no raw
 * TeX visible, SVG plots with a size). Bad output directories: one line, exit code 2.
 *
 * Chromium: /usr/bin/chromium (or FIELDPROP_CHROMIUM). Without it the browser test is skipped
 * locally, but fails under CI=true (.ci/run installs it).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { main } from '../src/cli/main';
import { tex, katexCss, shownLayers } from '../src/report/html';
import { agreedDigits } from '../src/numeric/agreed';
import { sensitivitySpec, sweepsSpec } from '../src/report/report';
import { fittedLog } from '../src/simulate/plot';

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

function findChromium(): string {
  if (process.env.FIELDPROP_CHROMIUM) return process.env.FIELDPROP_CHROMIUM;
  for (const p of ['/usr/bin/chromium', '/usr/bin/chromium-browser']) if (fs.existsSync(p)) return p;
  const r = spawnSync('sh', ['-c', 'command -v chromium || command -v chromium-browser'], { encoding: 'utf8' });
  return r.stdout.trim() || '/usr/bin/chromium';
}
const CHROMIUM = findChromium();
const haveChromium = fs.existsSync(CHROMIUM);
const inCI = process.env.CI === 'true' || process.env.CI === '1';

describe('fieldprop report --quick', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fieldprop-report-'));
  const outDir = path.join(dir, 'out', 'nested');
  let result: { code: number; out: string; err: string };

  beforeAll(async () => {
    result = await run(['report', '--quick', '--out', outDir]);
  }, 110_000);
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('exit 0, a progress line per stage, the summary on stdout', () => {
    if (result.code !== 0) console.error(result.err);
    expect(result.code).toBe(0);
    for (let k = 1; k <= 7; k++) expect(result.err).toMatch(new RegExp(`\\[${k}/7\\] .*: done in [0-9.]+ s`));
    expect(result.out).toMatch(/alpha\*\s+\d\.\d+/);
    expect(result.out).toMatch(/Monte Carlo\s+(PASS|FAIL)/);
    expect(result.out).toMatch(/Wrote .*report\.html/);
    // Only the two reports in the directory: no temporary files left behind.
    expect(fs.readdirSync(outDir).sort()).toEqual(['report.html', 'report.json']);
  });

  test('report.json: the analysis, consistent with itself', () => {
    const j = JSON.parse(fs.readFileSync(path.join(outDir, 'report.json'), 'utf8'));
    expect(j.quick).toBe(true);
    expect(j.network).toMatchObject({ act: 'erf', depth: 20, skip: 'residual' });
    // The network of every later stage runs at alpha = alpha*.
    expect(j.network.alpha).toBe(j.optimal.alpha);
    const a = Number(j.optimal.alpha);
    expect(a).toBeGreaterThan(0.5);
    expect(a).toBeLessThan(2);
    // alpha* maximises the scanned S(alpha); the response at alpha* is that maximum.
    const smax = Math.max(...j.optimal.scan.map((p: { s: number | null }) => p.s ?? -Infinity));
    expect(Number(j.optimal.sensitivity)).toBeGreaterThanOrEqual(smax * (1 - 1e-12));
    expect(Number(j.response.sensitivity)).toBeCloseTo(Number(j.optimal.sensitivity), 9);
    expect(j.optimal.formula_latex).toMatch(/\\alpha\^\*/);
    for (const k of ['q', 'k12', 'c']) expect(j.kernels[k]).toHaveLength(21);
    expect(j.kernels.c[0]).toBe('0.9');
    for (const k of ['k1', 'c1', 'varK', 'varC', 'k1_12', 'c1_12', 'q_N']) expect(j.one_loop[k]).toHaveLength(21);
    expect(Number(j.one_loop.varK[20])).toBeGreaterThan(0);
    // alpha* falls with depth.
    const d = j.sweeps.depth.map((p: { alpha: string }) => Number(p.alpha));
    for (let i = 1; i < d.length; i++) expect(d[i]).toBeLessThan(d[i - 1]);
    // The validation: a verdict, a Bonferroni rule, z-scores per layer.
    expect(typeof j.validation.pass).toBe('boolean');
    expect(j.validation.tests).toBeGreaterThan(10);
    const rows = j.validation.rows.filter((r: { quantity: string }) => r.quantity === 'K_hat_12');
    expect(rows).toHaveLength(21);
    expect(rows.some((r: { z_1loop: number | null }) => typeof r.z_1loop === 'number')).toBe(true);
    expect(j.plots).toBeUndefined();
    expect(j.stages.map((s: { name: string }) => s.name)).toHaveLength(7);
  });

  (haveChromium || inCI ? test : test.skip)('report.html in headless Chromium: typeset formulas, drawn plots, no raw TeX', async () => {
    expect(fs.existsSync(CHROMIUM)).toBe(true);
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const { chromium } = require('playwright-core');
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
      const requests: string[] = [];
      page.on('request', (r: { url(): string }) => requests.push(r.url()));
      await page.goto('file://' + path.join(outDir, 'report.html'));
      // (Evaluated in the page: strings, since the test's TypeScript has no DOM types.)
      await page.evaluate('document.fonts.ready.then(() => true)');
      const info = await page.evaluate(`(() => {
        const box = (e) => { const r = e.getBoundingClientRect(); return [r.width, r.height]; };
        return {
          svgs: Array.from(document.querySelectorAll('figure svg')).map(box),
          katex: document.querySelectorAll('.katex').length,
          katexBoxes: Array.from(document.querySelectorAll('.katex-html')).map(box),
          text: document.body.innerText,
          mathFont: document.fonts.check('16px KaTeX_Math'),
          // intrinsic width of each figure's SVG against its width on the page
          svgScale: Array.from(document.querySelectorAll('figure svg')).map((e) => [Number(e.getAttribute('width')), e.getBoundingClientRect().width]),
          svgText: Array.from(document.querySelectorAll('figure svg text')).map((e) => e.textContent).join('\\n'),
          tables: Array.from(document.querySelectorAll('table')).map((t) => Array.from(t.querySelectorAll('tbody tr')).map((r) => r.textContent)),
          cmds: Array.from(document.querySelectorAll('code.cmd')).map((c) => Array.from(c.querySelectorAll('span')).map((s) => [s.textContent, getComputedStyle(s).whiteSpace])),
        };
      })()`);
      // Formulas: KaTeX elements, laid out, and no TeX source visible as text.
      expect(info.katex).toBeGreaterThan(20);
      expect(info.katexBoxes.every(([w, h]: number[]) => w > 0 && h > 0)).toBe(true);
      expect(info.text).not.toMatch(/\\frac|\\alpha|\\sigma|\\begin|\$\$/);
      expect(info.text).not.toMatch(/\$[^$\n]{1,80}\$/);
      expect(info.mathFont).toBe(true);
      // Five figures, each drawn with a real size.
      expect(info.svgs.length).toBe(5);
      for (const [w, h] of info.svgs) {
        expect(w).toBeGreaterThan(200);
        expect(h).toBeGreaterThan(100);
      }
      // Figures sized for the page: none scaled down to fit.
      for (const [w, shown] of info.svgScale) expect(shown).toBeGreaterThanOrEqual(w - 1);
      // Plot text in the notation of the page (Unicode), no ASCII stand-ins.
      expect(info.svgText).toMatch(/α\*/);
      expect(info.svgText).not.toMatch(/alpha|\^|_hat_|\bsw2\b|->|\binf\b/);
      // No table repeats a row.
      for (const rows of info.tables) expect(new Set(rows).size).toBe(rows.length);
      // Commands wrap only between options: each option with its value is one unbreakable piece.
      expect(info.cmds.length).toBeGreaterThanOrEqual(5);
      for (const pieces of info.cmds) {
        for (const [text, ws] of pieces) {
          expect(ws).toBe('nowrap');
          if (text.startsWith('--') && text !== '--out DIR') expect(text).toMatch(/^--[a-z0-9]+ \S+$/);
        }
      }
      // The numbers are there.
      const j = JSON.parse(fs.readFileSync(path.join(outDir, 'report.json'), 'utf8'));
      expect(info.text).toContain(j.optimal.alpha);
      expect(info.text).toContain(j.kernels.c[20]);
      expect(info.text).toMatch(/Verdict: (PASS|FAIL)/);
      // Self-contained: nothing fetched but the file itself (fonts are data: URLs).
      expect(requests.filter((u) => !u.startsWith('data:') && !u.startsWith('file://'))).toEqual([]);
      const png = process.env.FIELDPROP_REPORT_SCREENSHOT ?? path.join(dir, 'report.png');
      await page.screenshot({ path: png, fullPage: true });
      expect(fs.statSync(png).size).toBeGreaterThan(50_000);
    } finally {
      await browser.close();
    }
  }, 60_000);
});

describe('report: plots fitted to their data', () => {
  test('fittedLog: the domain is the range of the data, at least 4 ticks inside it', () => {
    for (const xs of [[0.001, 0.5, 20], [10, 20, 40], [0.6, 0.8, 1.45], [1, 1.5, 2], [0.5, 4]]) {
      const { scale, axis } = fittedLog(xs) as { scale: { domain: number[]; nice: boolean }; axis: { values: number[] } };
      expect(scale.domain).toEqual([Math.min(...xs), Math.max(...xs)]);
      expect(scale.nice).toBe(false);
      expect(axis.values.length).toBeGreaterThanOrEqual(4);
      for (const t of axis.values) {
        expect(t).toBeGreaterThanOrEqual(Math.min(...xs) * (1 - 1e-9));
        expect(t).toBeLessThanOrEqual(Math.max(...xs) * (1 + 1e-9));
      }
    }
    const one = fittedLog([3]) as { scale: { domain: number[] } };
    expect(one.scale.domain[0]).toBeLessThan(3);
    expect(one.scale.domain[1]).toBeGreaterThan(3);
  });

  test('the S(alpha) axis ends where the scan ends; the alpha* sweeps span their data, not decades', () => {
    const scan = [0.001, 0.01, 0.1, 1, 20].map((alpha) => ({ alpha, s: 1 }));
    const s = JSON.stringify(sensitivitySpec(scan, 1, 1));
    expect(s).toContain('"domain":[0.001,20]');
    const pt = (depth: number, sw2: string, alpha: string) => ({ depth, sw2, alpha, alpha_formula: alpha });
    const sw = JSON.stringify(sweepsSpec({ depth: [pt(10, '1.5', '1.4'), pt(40, '1.5', '0.6')], sw2: [pt(20, '1', '1.1'), pt(20, '2', '0.8')] }));
    expect(sw).toContain('"domain":[10,40]');
    expect(sw).toContain('"domain":[0.6,1.4]');
    expect(sw).toContain('"domain":[1,2]');
    expect(sw).toContain('"domain":[0.8,1.1]');
  });
});

describe('report: bad input and pieces', () => {
  test('an output directory that cannot be written: one line, exit code 2, before any computation', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fieldprop-report-bad-'));
    try {
      const file = path.join(dir, 'a-file');
      fs.writeFileSync(file, 'x');
      const t = Date.now();
      const r = await run(['report', '--quick', '--out', path.join(file, 'sub')]);
      expect(r.code).toBe(2);
      expect(r.err.trim().split('\n')).toHaveLength(1);
      expect(r.err).toMatch(/fieldprop report: --out: cannot write to the output directory/);
      expect(Date.now() - t).toBeLessThan(2000);
      const r2 = await run(['report', '--out', file]);
      expect(r2.code).toBe(2);
      expect(r2.err).toMatch(/--out: .*not a directory/);
      const r3 = await run(['report', '--threads', '0']);
      expect(r3.code).toBe(2);
      expect(r3.err).toMatch(/--threads: .*1\.\.64/);
      const r4 = await run(['report', '--bogus']);
      expect(r4.code).toBe(2);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('tex() renders KaTeX and refuses malformed TeX; the CSS carries its fonts inline', () => {
    expect(tex('\\frac{a}{b}')).toMatch(/class="katex"/);
    expect(() => tex('\\frac{a}{')).toThrow();
    const css = katexCss();
    expect(css).toMatch(/src:url\(data:font\/woff2;base64,/);
    expect(css).not.toMatch(/url\(fonts\//);
  });

  test('agreedDigits: digits on which two evaluations agree', () => {
    expect(agreedDigits(1.23456789, 1.23456, 1, 'x')).toBe('1.2346');
    expect(agreedDigits(2, 2, 1, 'x')).toBe('2');
    expect(agreedDigits(1e-15, -1e-15, 10, 'x')).toBe('0');
    expect(() => agreedDigits(1, 1.1, 1, 'x')).toThrow(/fewer than 3 digits/);
    expect(agreedDigits(null, null, 1, 'x')).toBeNull();
    // near a zero crossing of a larger quantity (scale 6): only the digits that agree; smaller than the disagreement: 0
    expect(agreedDigits(0.046575846738272, 0.04608691561618904, 6, 'x')).toBe('0.05');
    expect(agreedDigits(1e-5, -2e-5, 6, 'x')).toBe('0');
    expect(() => agreedDigits(0.04, 0.05, 6, 'x')).toThrow(/fewer than 3 digits/);
    expect(shownLayers(10)).toHaveLength(11);
    expect(shownLayers(50)).toEqual([0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50]);
  });
});
