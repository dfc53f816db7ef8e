/**
 * What a notebook cell uses besides the engine: `display`, `check` and `SMALL`.
 *
 *   import * as fp from 'fieldprop';
 *   import { display, check, SMALL } from 'fieldprop/notebook';
 *
 * The same import works in three places:
 * - under `fieldprop notebook run` the runner hands the cell its own instance (createRuntime),
 *   whose displays become the outputs stored in the .ipynb file, and SMALL follows `--small`;
 * - in Jupyter with the tslab kernel, displays go to the kernel (rich outputs, several MIME
 *   types per output) and SMALL follows the environment variable FIELDPROP_NOTEBOOK_SMALL;
 * - in a plain Node script, displays print their text form on stdout.
 * A failed `check` throws a CheckFailure, which fails the cell in every case.
 */
/** One display output: MIME type -> content (strings, or an object for application/json). */
export type MimeBundle = Record<string, unknown>;

export interface Display {
  text(s: unknown): void;
  /** Display-mode LaTeX (stored as text/latex `$$tex$$`). */
  latex(tex: string): void;
  svg(svg: string): void;
  json(obj: unknown): void;
  html(html: string): void;
  /** A table: HTML plus an aligned plain-text form. */
  table(head: string[], rows: unknown[][]): void;
  /** Render a Vega-Lite spec to SVG (Vega in a worker thread) and display it. */
  plot(spec: object): Promise<void>;
}

export interface Check {
  (cond: unknown, message: string): void;
  /** x and y finite and within a relative `rel` of each other. */
  close(x: number, y: number, rel: number, what: string): void;
}

export interface NotebookRuntime {
  display: Display;
  check: Check;
  SMALL: boolean;
}

/** A failed `check(...)` in a cell. */
export class CheckFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckFailure';
  }
}

/** FIELDPROP_NOTEBOOK_SMALL set to anything but '', '0' or 'false'. */
export function smallFromEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  const v = env.FIELDPROP_NOTEBOOK_SMALL;
  return v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
}

function escHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Plain-text table (for text/plain next to the HTML one). */
function textTable(head: string[], rows: string[][]): string {
  const w = head.map((h, j) => Math.max(h.length, ...rows.map((r) => String(r[j] ?? '').length)));
  const f = (r: string[]) => r.map((x, j) => String(x ?? '').padStart(w[j])).join('  ');
  return [f(head), w.map((n) => '-'.repeat(n)).join('  '), ...rows.map(f)].join('\n') + '\n';
}

/** display/check/SMALL whose every display hands one MIME bundle to `emit`. */
export function createRuntime(emit: (bundle: MimeBundle) => void, small: boolean): NotebookRuntime {
  const display: Display = {
    text: (s) => emit({ 'text/plain': String(s) }),
    latex: (tex) => emit({ 'text/latex': `$$${tex}$$`, 'text/plain': tex }),
    svg: (svg) => {
      if (!/^\s*(<\?xml[^>]*>\s*)?<svg[\s>]/.test(svg)) throw new TypeError('display.svg: not an SVG document');
      emit({ 'image/svg+xml': svg, 'text/plain': '<SVG figure>' });
    },
    json: (obj) => emit({ 'application/json': JSON.parse(JSON.stringify(obj)), 'text/plain': JSON.stringify(obj, null, 1) }),
    html: (html) => emit({ 'text/html': html, 'text/plain': html.replace(/<[^>]+>/g, '') }),
    table: (head, rows) => {
      const r = rows.map((x) => x.map((c) => String(c)));
      const html = `<table><thead><tr>${head.map((h) => `<th>${escHtml(h)}</th>`).join('')}</tr></thead><tbody>${r.map((x) => `<tr>${x.map((c) => `<td>${escHtml(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
      emit({ 'text/html': html, 'text/plain': textTable(head, r) });
    },
    plot: async (spec) => {
      // The plotting module (worker thread, Vega) is loaded only by notebooks that plot.
      // eslint-disable-next-line @typescript-eslint/no-var-requires
      const { renderSvg } = require('../simulate/plot') as typeof import('../simulate/plot');
      display.svg(await renderSvg(spec));
    },
  };
  const check = Object.assign(
    (cond: unknown, message: string) => {
      if (!cond) throw new CheckFailure(`check failed: ${message}`);
    },
    {
      close: (x: number, y: number, rel: number, what: string) => {
        const ok = Number.isFinite(x) && Number.isFinite(y) && Math.abs(x - y) <= rel * Math.max(Math.abs(x), Math.abs(y));
        if (!ok) throw new CheckFailure(`check failed: ${what}: ${x} and ${y} differ by more than a relative ${rel}`);
      },
    },
  );
  return { display, check, SMALL: small };
}

type WriteDisplayData = (data: { data: MimeBundle; metadata: object; transient: object }, update: boolean) => void;

/**
 * The display channel of a running tslab kernel, when this process is one: tslab's jupyter
 * module (already loaded by the kernel) holds the writer of the cell being executed.
 */
function tslabEmitter(): ((bundle: MimeBundle) => void) | null {
  const key = Object.keys(require.cache).find((k) => /[\\/]tslab[\\/]dist[\\/]jupyter\.js$/.test(k));
  const jupyter = key === undefined ? undefined : (require.cache[key]?.exports as { lastWriteDisplayData?: WriteDisplayData | null } | undefined);
  if (!jupyter || !('lastWriteDisplayData' in jupyter)) return null;
  return (bundle) => {
    const write = jupyter.lastWriteDisplayData;
    if (!write) throw new Error('display: the tslab kernel is not executing a cell');
    write({ data: bundle, metadata: {}, transient: {} }, false);
  };
}

/** Outside a kernel and the runner: print the text form. */
const printText = (bundle: MimeBundle): void => {
  const t = bundle['text/plain'];
  process.stdout.write(String(t).endsWith('\n') ? String(t) : `${t}\n`);
};

let emitter: ((bundle: MimeBundle) => void) | null = null;
const standalone = createRuntime((bundle) => {
  emitter ??= tslabEmitter();
  (emitter ?? printText)(bundle);
}, smallFromEnv());

export const display: Display = standalone.display;
export const check: Check = standalone.check;
/** Small sizes for CI: FIELDPROP_NOTEBOOK_SMALL=1 (under `fieldprop notebook run`: `--small`). */
export const SMALL: boolean = standalone.SMALL;
