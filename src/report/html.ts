/**
 * report.html: one self-contained file. Formulas are rendered server-side with
 * katex.renderToString (no JavaScript in the page); KaTeX's stylesheet is inlined with its
 * fonts as data: URLs (woff2 only, which every current browser reads); the plots are inline SVG.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { ReportData, ValidationRow } from './report';
import { formatPadded, formatZ } from '../io/format';

type Katex = { renderToString(tex: string, o: object): string };
let katexModule: Katex | undefined;
/** KaTeX is loaded on first use, so that importing this module (and the CLI) stays cheap. */
// eslint-disable-next-line @typescript-eslint/no-var-requires
const katex = (): Katex => (katexModule ??= require('katex') as Katex);

let cssCache: string | undefined;

/** KaTeX's CSS with every font inlined (woff2 as a data: URL; the woff/ttf fallbacks dropped). */
export function katexCss(): string {
  if (cssCache) return cssCache;
  const dir = path.dirname(require.resolve('katex/dist/katex.min.css'));
  const css = fs.readFileSync(path.join(dir, 'katex.min.css'), 'utf8');
  cssCache = css.replace(/src:([^;}]*)/g, (_all, list: string) => {
    const m = /url\((fonts\/[^)]+\.woff2)\)/.exec(list);
    if (!m) return `src:${list}`;
    const data = fs.readFileSync(path.join(dir, m[1])).toString('base64');
    return `src:url(data:font/woff2;base64,${data}) format("woff2")`;
  });
  return cssCache;
}

/** LaTeX to HTML (throws on a malformed formula: a report never shows raw TeX). */
export function tex(s: string, display = false): string {
  return katex().renderToString(s, { displayMode: display, throwOnError: true, strict: 'ignore', output: 'htmlAndMathml' });
}

export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

// Missing values as an en dash in the HTML tables.
const num = (x: number | null | undefined, d = 6): string => formatPadded(x, d, '–');
const z = (x: number | null): string => formatZ(x, '–');

function table(head: string[], rows: string[][], cls = ''): string {
  return `<table class="${cls}"><thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('\n')}</tbody></table>`;
}

/** Layers shown in tables: all up to 20, else about 10 evenly spaced and the last. */
export function shownLayers(depth: number): number[] {
  if (depth <= 20) return Array.from({ length: depth + 1 }, (_, l) => l);
  const step = Math.ceil(depth / 10);
  const out: number[] = [];
  for (let l = 0; l <= depth; l += step) out.push(l);
  if (out[out.length - 1] !== depth) out.push(depth);
  return out;
}

/** A quantity of the validation in the notation of the text: K_hat_11 -> \hat K_{11}, var_C_hat_12 -> N Var(\hat C_{12}). */
function quantityTex(name: string): string {
  const m = /^(var_)?([A-Za-z])_hat_(\d+)$/.exec(name);
  if (!m) return esc(name);
  const q = `\\hat ${m[2]}_{${m[3]}}`;
  return tex(m[1] ? `N \\operatorname{Var}(${q})` : q);
}

/** A command line as code that wraps only between options: each option with its value is one unbreakable piece. */
export function commandHtml(argv: string[]): string {
  const pieces: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i].startsWith('--') && i + 1 < argv.length && !argv[i + 1].startsWith('--')) pieces.push(`${argv[i]} ${argv[++i]}`);
    else pieces.push(argv[i]);
  }
  return `<code class="cmd">${pieces.map((p) => `<span>${esc(p)}</span>`).join(' ')}</code>`;
}

const verdict = (p: boolean | null): string => (p === null ? 'reported' : p ? '<span class="pass">pass</span>' : '<span class="fail">FAIL</span>');

const STYLE = `
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;max-width:1000px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.7em;margin-bottom:.2em} h2{margin-top:1.8em;border-bottom:1px solid #ddd;padding-bottom:.2em}
table{border-collapse:collapse;margin:.8em 0;font-size:.9em} th,td{border:1px solid #ccc;padding:.25em .6em;text-align:right;font-variant-numeric:tabular-nums}
th{background:#f4f4f4} td:first-child,th:first-child{text-align:left}
.num{font-family:ui-monospace,Menlo,Consolas,monospace}
.pass{color:#1a7f37;font-weight:600} .fail{color:#c62828;font-weight:700}
.meta{color:#555;font-size:.9em} .formula{overflow-x:auto;margin:.6em 0}
figure{margin:1em 0;overflow-x:auto} figure svg{max-width:100%;height:auto} figcaption{color:#555;font-size:.9em}
code{background:#f4f4f4;padding:0 .25em;border-radius:3px}
code.cmd span{white-space:nowrap} ul.cmds{padding-left:1.2em} ul.cmds li{margin:.2em 0}
`;

export function renderHtml(d: ReportData): string {
  const n = d.network as Record<string, string | number>;
  const L = Number(n.depth);
  const layers = shownLayers(L);
  const o = d.optimal;
  const mono = (s: string | null) => `<span class="num">${s === null ? '–' : esc(s)}</span>`;
  const erf = n.act === 'erf';

  const kernelRows = layers.map((l) => [String(l), mono(d.kernels.q[l]), mono(d.kernels.k12[l]), mono(d.kernels.c[l]), mono(d.one_loop.q_N[l])]);
  const loopRows = layers.map((l) => [String(l), mono(d.one_loop.k1[l]), mono(d.one_loop.c1[l]), mono(d.one_loop.varK[l]), mono(d.one_loop.varC[l]), mono(d.one_loop.k1_12[l]), mono(d.one_loop.c1_12[l])]);
  // the depth sweep and the sw2 sweep share the point (depth L, sw2 of the network): one row
  const sweepPts = [...d.sweeps.depth, ...d.sweeps.sw2].filter((p, i, all) => all.findIndex((q) => q.depth === p.depth && Number(q.sw2) === Number(p.sw2)) === i);
  const sweepRows = sweepPts.map((p) => [String(p.depth), mono(p.sw2), mono(p.alpha), mono(p.alpha_formula)]);

  const v = d.validation;
  const shownSet = new Set(layers);
  const vrows = v.rows.filter((r: ValidationRow) => shownSet.has(r.layer) && !r.quantity.startsWith('var_') && ['K_hat_11', 'C_hat_11', 'K_hat_12', 'C_hat_12'].includes(r.quantity));
  const vtable = table(
    ['quantity', 'layer', 'MC ± SE', 'mean field', 'one loop', 'z (mean field)', 'z (one loop)', 'check'],
    vrows.map((r) => [quantityTex(r.quantity), String(r.layer), `${num(r.mc_mean)} ± ${num(r.mc_se, 2)}`, num(r.mean_field), num(r.one_loop), z(r.z_mf), z(r.z_1loop), verdict(r.pass)]),
  );
  const stable = table(
    ['quantity', 'width', 'checked against', 'max |z|', 'verdict', 'mean field alone'],
    v.summary.map((s) => [quantityTex(s.quantity), String(s.width), esc(s.checked_against ?? 'reported only'), s.max_abs_z === null ? '–' : s.max_abs_z.toFixed(2), verdict(s.pass), s.mean_field_pass === null ? '–' : verdict(s.mean_field_pass)]),
  );
  const ftable = v.fits.length
    ? `<p>Fit across widths ${v.widths.join(', ')} of ${tex('N\\,(\\text{MC} - \\text{mean field}) = a + b/N')} at the last layer; the intercept ${tex('a')} is the measured 1/N coefficient.</p>` +
      table(['quantity', 'layer', 'a ± SE', 'one loop', 'z', 'z (a = 0)', 'check'], v.fits.map((f) => [quantityTex(f.quantity), String(f.layer), `${num(f.intercept)} ± ${num(f.intercept_se, 2)}`, num(f.one_loop), z(f.z), z(f.z_mf), verdict(f.pass)]))
    : '';

  const parts: string[] = [];
  parts.push(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(d.title)}</title>
<style>${katexCss()}</style><style>${STYLE}</style></head><body>
<h1>${esc(d.title)}</h1>
<p class="meta">fieldprop ${esc(d.fieldprop_version)}, generated ${esc(d.generated)} in ${d.seconds.toFixed(1)} s${d.quick ? ' (<b>--quick</b>: small sizes)' : ''}.
Network: ${esc(String(n.act))}, residual, ${tex('\\sigma_w^2 = ' + n.sw2)}, ${tex('\\sigma_b^2 = ' + n.sb2)}, depth ${tex('L = ' + L)}, inputs ${tex('q_0 = ' + n.q0)}, ${tex('c_0 = ' + n.c0)}; the residual scaling is set to its optimum ${tex('\\alpha = \\alpha^*')}.
Every number is computed by the engine for this page; exact digits are verified by a second evaluation at higher precision (or on a finer grid).</p>

<h2>1. The model</h2>
<div class="formula">${tex('h^l = h^{l-1} + \\alpha\\,\\big(W^l \\phi(h^{l-1}) + b^l\\big),\\qquad W^l_{ij} \\sim \\mathcal N(0, \\sigma_w^2/N),\\quad b^l_i \\sim \\mathcal N(0, \\sigma_b^2),\\quad l = 1, \\dots, L', true)}</div>
<p>At infinite width the pre-activations are Gaussian with kernel ${tex('K^l')}:</p>
<div class="formula">${tex('C^l_{ab} = \\sigma_b^2 + \\sigma_w^2 \\,\\big\\langle \\phi(h_a) \\phi(h_b) \\big\\rangle_{h \\sim \\mathcal N(0, K^{l-1})},\\qquad K^l = K^{l-1} + \\alpha^2 C^l,\\qquad c^l = \\frac{K^l_{12}}{\\sqrt{K^l_{11} K^l_{22}}}', true)}</div>
${erf ? `<p>For ${tex('\\phi = \\operatorname{erf}')} the Gaussian average is closed-form:</p><div class="formula">${tex('\\big\\langle \\operatorname{erf}(h_a) \\operatorname{erf}(h_b) \\big\\rangle = \\frac{2}{\\pi} \\arcsin \\frac{2 K_{ab}}{\\sqrt{(1 + 2 K_{aa})(1 + 2 K_{bb})}}', true)}</div>` : ''}

<h2>2. The optimal residual scaling</h2>
<p>The network's sensitivity to its input is the response of the output correlation to the input correlation, ${tex('S(\\alpha) = \\partial c^L / \\partial c^0')}. Small ${tex('\\alpha')} leaves the input unchanged (${tex('S \\to 1')}); large ${tex('\\alpha')} drives every pair of inputs to the same fixed point (${tex('S \\to 0')}); in between it has a maximum:</p>
${table(['quantity', 'value', ''], [
    [tex('\\alpha^*'), mono(o.alpha), `${o.digits} verified digits`],
    [tex('S(\\alpha^*)'), mono(o.sensitivity), 'correlation sensitivity at the optimum'],
    [tex('\\alpha^*_{\\text{formula}}'), mono(o.alpha_formula), esc(o.formula_validity)],
  ])}
<p>The large-depth formula (the kernel flow in ${tex('\\tau = \\alpha^2 \\sigma_w^2 l')}):</p>
<div class="formula">${tex('\\begin{gathered}' + o.formula_latex + '\\end{gathered}', true)}</div>
<figure>${d.plots.sensitivity}<figcaption>${tex('S(\\alpha)')} from a scan of ${o.scan.length} values; the dot marks the maximum found by a secant iteration on ${tex('\\partial S/\\partial\\alpha')} (computed exactly with dual numbers).</figcaption></figure>
<p>Against depth and weight variance: ${tex('\\alpha^*')} falls like ${tex('1/\\sqrt{L}')} and like ${tex('1/\\sigma_w')} (exactly so when ${tex('\\sigma_b^2 = 0')}: the kernels then depend on ${tex('\\alpha^2\\sigma_w^2')} only). See docs/optimal-alpha.md.</p>
${table(['depth L', tex('\\sigma_w^2'), tex('\\alpha^*') + ' (exact)', tex('\\alpha^*') + ' (formula)'], sweepRows)}
<figure>${d.plots.sweeps}<figcaption>Exact maximum of ${tex('S(\\alpha)')} (6 verified digits) and the large-depth formula.</figcaption></figure>

<h2>3. Mean-field kernels at ${tex('\\alpha^*')}</h2>
<p>${d.kernels.digits} verified digits; the last column adds the one-loop correction at width ${tex('N = ' + d.one_loop.width)}.</p>
${table(['layer', tex('K^l_{11}'), tex('K^l_{12}'), tex('c^l'), tex('K^l_{11} + k_1^l/N')], kernelRows)}
<figure>${d.plots.kernels}</figure>

<h2>4. Response functions</h2>
${table(['quantity', 'value', 'meaning'], [
    [tex('\\chi'), mono(d.response.chi), tex('\\partial K^L_{11} / \\partial K^0_{11}')],
    [tex('\\chi_{12}'), mono(d.response.chi12), tex('\\partial K^L_{12} / \\partial K^0_{12}') + ' at fixed diagonal'],
    [tex('S'), mono(d.response.sensitivity), tex('\\partial c^L / \\partial c^0') + ' at fixed ' + tex('q_0')],
  ])}
<p class="meta">${d.response.digits} verified digits.</p>

<h2>5. One-loop (1/N) corrections</h2>
<p>At finite width ${tex('N')} the empirical kernels ${tex('\\hat K^l_{ab} = \\frac1N \\sum_i h^l_{ia} h^l_{ib}')} fluctuate around mean field:</p>
<div class="formula">${tex('\\mathbb E\\big[\\hat K^l_{ab}\\big] = K^l_{ab} + \\frac{k_{1,ab}^l}{N} + O(N^{-2}),\\qquad N \\operatorname{Var}\\big(\\hat K^l_{11}\\big) \\to \\mathrm{var}_K^l,\\qquad N \\operatorname{Var}\\big(\\hat C^l_{11}\\big) \\to \\mathrm{var}_C^l', true)}</div>
<p>Method: ${esc(d.one_loop.method)}; the single-input entries show the digits on which two grid resolutions agree; the off-diagonal ${tex('k_{1,12}')}, ${tex('c_{1,12}')} come from one 2-D grid (4 digits shown) and are tested against the simulation in section 6. Expansion parameter ${tex('\\alpha^2 \\sigma_w^2 L / N = ' + d.one_loop.expansion_parameter)} at ${tex('N = ' + d.one_loop.width)}.</p>
${table(['layer', tex('k_1'), tex('c_1'), tex('\\mathrm{var}_K'), tex('\\mathrm{var}_C'), tex('k_{1,12}'), tex('c_{1,12}')], loopRows)}
<figure>${d.plots.one_loop}</figure>

<h2>6. Monte Carlo check</h2>
<p>Verdict: <b>${v.pass ? '<span class="pass">PASS</span>' : '<span class="fail">FAIL</span>'}</b> — ${v.samples} simulated networks per width (${esc(v.sampler)} sampler, widths ${v.widths.join(', ')}, seed ${v.seed}, ${v.seconds.toFixed(1)} s). ${esc(v.rule)}</p>
${stable}
<p>Means at width ${tex('N = ' + v.widths[v.widths.length - 1])}, layer by layer (z-scores ${tex('z = (\\text{MC} - \\text{theory})/\\text{SE}')}; threshold ${tex('|z| \\le ' + v.z_threshold.toFixed(3))}):</p>
${vtable}
${ftable}
<figure>${d.plots.validation}</figure>

<h2>7. Reproduce</h2>
<p>${commandHtml(['npm', 'start'])} (this report with its built-in defaults), or ${commandHtml(['npx', 'fieldprop', 'report', '--out', 'DIR'])}; single quantities:</p>
<ul class="cmds">
<li>${commandHtml(['fieldprop', 'optimal-alpha', '--sw2', String(n.sw2), '--sb2', String(n.sb2), '--depth', String(L), '--c0', String(n.c0)])}</li>
<li>${commandHtml(['fieldprop', 'loop', '--alpha', String(n.alpha), '--c0', String(n.c0), '--depth', String(L)])}</li>
<li>${commandHtml(['fieldprop', 'validate', '--alpha', String(n.alpha), '--c0', String(n.c0), '--depth', String(L), '--widths', v.widths.join(','), '--samples', String(v.samples)])}</li>
</ul>
<p>Stage timings: ${d.stages.map((s) => `${esc(s.name)} ${s.seconds.toFixed(1)} s`).join('; ')}.</p>
</body></html>
`);
  return parts.join('');
}
