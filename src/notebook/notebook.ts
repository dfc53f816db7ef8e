/**
 * Notebooks: Jupyter .ipynb files (nbformat 4) whose code cells are TypeScript calling the
 * engine. `runNotebook` executes the code cells in order and stores their outputs (text, LaTeX,
 * SVG, JSON; console output as streams) and execution counts back into the file.
 *
 * Execution. Each cell is transpiled with `typescript.transpileModule` (CommonJS, ES2022; no
 * type checking) and run in one `vm` context shared by all cells. The cell body is wrapped in an
 * async function, so top-level `await` works; its top-level declarations (const, let, var,
 * function, class, and the requires that `import` compiles to) are hoisted to the shared context
 * so later cells see them (a hoisted `const` can be reassigned by a later cell). The value of a
 * final expression statement is the cell's result.
 *
 * In a cell: `require('fieldprop')` (or `import ... from 'fieldprop'`) is the engine itself;
 * `import { display, check, SMALL } from 'fieldprop/notebook'` (src/notebook/runtime; also
 * globals here) gives `display.text/latex/svg/json/html/table/plot`, `check(cond, message)` and
 * `check.close(x, y, rel, what)`, which fail the run, and `SMALL`, true under `--small` (or env
 * FIELDPROP_NOTEBOOK_SMALL=1): notebooks choose smaller sizes for CI. The same import works
 * in Jupyter with the tslab kernel.
 *
 * The executed notebook is written back to the file, or to `out` when given.
 * Failure (a cell throws or a check fails): a NotebookError "FILE: cell N: message", N the
 * cell's execution count (its In [N] label); the file is left exactly as it was (every write is
 * atomic: temporary file + rename, and only a fully successful run writes).
 */
import * as fs from 'fs';
import * as path from 'path';
import * as util from 'util';
import * as vm from 'vm';
import type * as TS from 'typescript';
import { InputError } from '../model/errors';
import { writeFileAtomic } from '../simulate/plot';
import { createRuntime, CheckFailure } from './runtime';

/** A notebook that cannot be read or whose cell failed: one line, exit code 2. */
export class NotebookError extends InputError {
  constructor(readonly file: string, readonly cell: number | null, detail: string) {
    super('notebook', detail);
    this.message = cell === null ? `${file}: ${detail}` : `${file}: cell ${cell}: ${detail}`;
    this.name = 'NotebookError';
  }
}

export { CheckFailure } from './runtime';

type MultiLine = string | string[];
export interface Output {
  output_type: 'stream' | 'display_data' | 'execute_result' | 'error';
  [k: string]: unknown;
}
export interface Cell {
  cell_type: 'code' | 'markdown' | 'raw';
  source: MultiLine;
  metadata: Record<string, unknown>;
  outputs?: Output[];
  execution_count?: number | null;
  [k: string]: unknown;
}
export interface Notebook {
  nbformat: number;
  nbformat_minor: number;
  metadata: Record<string, unknown>;
  cells: Cell[];
}

export const KERNELSPEC = { name: 'tslab', language: 'typescript', display_name: 'TypeScript' };

const joinSource = (s: MultiLine): string => (Array.isArray(s) ? s.join('') : s);

/** "a\nb\n" -> ["a\n", "b\n"] (nbformat's multi-line strings). */
export function lines(s: string): string[] {
  const out = s.split(/(?<=\n)/);
  return out.length === 1 && out[0] === '' ? [] : out;
}

export function readNotebook(file: string): Notebook {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new NotebookError(file, null, code === 'ENOENT' ? 'no such notebook file' : `cannot read the notebook (${code ?? (e as Error).message})`);
  }
  let nb: Notebook;
  try {
    nb = JSON.parse(text);
  } catch (e) {
    throw new NotebookError(file, null, `not a notebook: invalid JSON (${(e as Error).message})`);
  }
  if (!nb || typeof nb !== 'object' || nb.nbformat !== 4 || !Array.isArray(nb.cells)) {
    throw new NotebookError(file, null, 'not a Jupyter notebook in nbformat 4 (needs "nbformat": 4 and a "cells" array)');
  }
  for (const [i, c] of nb.cells.entries()) {
    if (!c || (c.cell_type !== 'code' && c.cell_type !== 'markdown' && c.cell_type !== 'raw') || (typeof c.source !== 'string' && !Array.isArray(c.source))) {
      throw new NotebookError(file, null, `cell ${i + 1} (position in the file) is malformed: needs cell_type code|markdown|raw and a source`);
    }
  }
  return nb;
}

export function serializeNotebook(nb: Notebook): string {
  return JSON.stringify(nb, null, 1) + '\n';
}

// ---------------------------------------------------------------- compiling a cell

/**
 * The TypeScript compiler, loaded on first use (it is large, and an installed package needs it
 * only to run notebooks: an optional peer dependency).
 */
let ts: typeof TS;
function loadTypescript(): void {
  if (ts) return;
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    ts = require('typescript');
  } catch {
    throw new InputError('notebook', 'running notebooks needs the typescript package (npm i typescript)');
  }
}

/** Names bound by a binding pattern (const {a, b: [c]} = ...). */
function boundNames(name: TS.BindingName, out: string[]): void {
  if (ts.isIdentifier(name)) out.push(name.text);
  else for (const el of name.elements) if (!ts.isOmittedExpression(el)) boundNames(el.name, out);
}

export interface CompiledCell {
  /** Names to declare (`var`) in the shared context before the cell runs. */
  names: string[];
  /** An expression evaluating to the promise of the cell's result. */
  code: string;
}

/**
 * `import` declarations -> `const ... = require(...)`, so that the names they bind are plain
 * declarations (shared with later cells like any other) and none is dropped for being unused in
 * its own cell. Type-only imports go. Line numbers are kept.
 */
export function rewriteImports(source: string): string {
  loadTypescript();
  const sf = ts.createSourceFile('cell.ts', source, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const edits: { start: number; end: number; text: string }[] = [];
  for (const st of sf.statements) {
    if (!ts.isImportDeclaration(st) || !ts.isStringLiteral(st.moduleSpecifier)) continue;
    const mod = JSON.stringify(st.moduleSpecifier.text);
    const c = st.importClause;
    const parts: string[] = [];
    if (!c) parts.push(`require(${mod});`);
    else if (!c.isTypeOnly) {
      if (c.name) parts.push(`const ${c.name.text} = ((m) => (m && m.__esModule ? m.default : m))(require(${mod}));`);
      const nb = c.namedBindings;
      if (nb && ts.isNamespaceImport(nb)) parts.push(`const ${nb.name.text} = require(${mod});`);
      if (nb && ts.isNamedImports(nb)) {
        const els = nb.elements.filter((e) => !e.isTypeOnly).map((e) => (e.propertyName ? `${e.propertyName.text}: ${e.name.text}` : e.name.text));
        if (els.length) parts.push(`const { ${els.join(', ')} } = require(${mod});`);
      }
    }
    const start = st.getStart(sf);
    const end = st.getEnd();
    const newlines = source.slice(start, end).split('\n').length - 1;
    edits.push({ start, end, text: parts.join(' ') + '\n'.repeat(newlines) });
  }
  for (const e of edits.reverse()) source = source.slice(0, e.start) + e.text + source.slice(e.end);
  return source;
}

/** TypeScript cell -> an async IIFE whose top-level declarations assign shared globals. */
export function compileCell(source: string): CompiledCell {
  source = rewriteImports(source);
  const js = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true, sourceMap: false, removeComments: false },
    reportDiagnostics: true,
  });
  const syntax = (js.diagnostics ?? []).filter((d) => d.category === ts.DiagnosticCategory.Error);
  if (syntax.length) {
    const d = syntax[0];
    const where = d.file && d.start !== undefined ? ` (line ${d.file.getLineAndCharacterOfPosition(d.start).line + 1})` : '';
    throw new SyntaxError(`${ts.flattenDiagnosticMessageText(d.messageText, '\n')}${where}`);
  }
  const sf = ts.createSourceFile('cell.js', js.outputText, ts.ScriptTarget.ES2022, true, ts.ScriptKind.JS);
  const names: string[] = [];
  const head: string[] = [];
  const body: string[] = [];
  const stmts = sf.statements;
  stmts.forEach((st, i) => {
    const text = st.getText(sf);
    const last = i === stmts.length - 1;
    if (ts.isExpressionStatement(st)) {
      const e = st.expression;
      // The CommonJS preamble of an ES-module cell.
      if (ts.isStringLiteral(e) && e.text === 'use strict') return;
      if (/^Object\.defineProperty\(exports, "__esModule"/.test(text)) return;
      body.push(last ? `return (${e.getText(sf)});` : text);
      return;
    }
    if (ts.isVariableStatement(st)) {
      for (const d of st.declarationList.declarations) {
        boundNames(d.name, names);
        const init = d.initializer ? d.initializer.getText(sf) : 'undefined';
        const target = d.name.getText(sf);
        body.push(ts.isIdentifier(d.name) ? `${target} = ${init};` : `(${target} = ${init});`);
      }
      return;
    }
    if (ts.isFunctionDeclaration(st) && st.name) {
      names.push(st.name.text);
      body.push(text);
      head.push(`globalThis[${JSON.stringify(st.name.text)}] = ${st.name.text};`);
      return;
    }
    if (ts.isClassDeclaration(st) && st.name) {
      names.push(st.name.text);
      body.push(`${st.name.text} = ${text};`);
      return;
    }
    body.push(text);
  });
  return { names, code: `(async () => {\n${head.join('\n')}\n${body.join('\n')}\n})()` };
}

// ---------------------------------------------------------------- running

export interface RunOptions {
  small?: boolean;
  /** Per code cell: a line on stderr. */
  onCell?: (index: number, count: number, seconds: number) => void;
  /** The module `require('fieldprop')` returns (default: this engine, src/index). */
  engine?: unknown;
  /** Where to write the executed notebook (default: back to the file itself). */
  out?: string;
}

export interface RunResult {
  /** The file written. */
  file: string;
  cells: number;
  seconds: number;
  notebook: Notebook;
}

/** Merge consecutive stream outputs of the same name. */
function pushStream(outputs: Output[], name: 'stdout' | 'stderr', text: string): void {
  const prev = outputs[outputs.length - 1];
  if (prev && prev.output_type === 'stream' && prev.name === name) {
    prev.text = lines((prev.text as string[]).join('') + text);
  } else outputs.push({ output_type: 'stream', name, text: lines(text) });
}

function mimeBundle(data: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(data)) out[k] = typeof v === 'string' && k !== 'application/json' ? lines(v) : v;
  return out;
}

/** Execute a notebook; on success write it (atomically) back or to `opts.out`, and return it. */
export async function runNotebook(file: string, opts: RunOptions = {}): Promise<RunResult> {
  const nb = readNotebook(file);
  loadTypescript();
  const t0 = Date.now();
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const engine = opts.engine ?? require('../index');
  const baseDir = path.dirname(path.resolve(file));
  let outputs: Output[] = [];
  const fmt = (args: unknown[]) => args.map((a) => (typeof a === 'string' ? a : util.inspect(a, { depth: 4, breakLength: 100 }))).join(' ') + '\n';
  const runtime = createRuntime((bundle) => void outputs.push({ output_type: 'display_data', data: mimeBundle(bundle), metadata: {} }), opts.small === true);
  const requireIn = (name: string): unknown => {
    if (name === 'fieldprop') return engine;
    if (name === 'fieldprop/notebook') return runtime;
    if (name.startsWith('.')) return require(path.resolve(baseDir, name));
    return require(name);
  };
  const sandbox: Record<string, unknown> = {
    require: requireIn,
    exports: {},
    module: { exports: {} },
    // also as globals (here only: under tslab a cell has to import them)
    ...runtime,
    console: {
      log: (...a: unknown[]) => pushStream(outputs, 'stdout', fmt(a)),
      info: (...a: unknown[]) => pushStream(outputs, 'stdout', fmt(a)),
      warn: (...a: unknown[]) => pushStream(outputs, 'stderr', fmt(a)),
      error: (...a: unknown[]) => pushStream(outputs, 'stderr', fmt(a)),
    },
    setTimeout, clearTimeout, setInterval, clearInterval, setImmediate, clearImmediate,
    process: { env: { ...process.env }, platform: process.platform, version: process.version },
    Buffer, URL, TextEncoder, TextDecoder,
  };
  const ctx = vm.createContext(sandbox);
  let count = 0;
  for (const cell of nb.cells) {
    if (cell.cell_type !== 'code') continue;
    count++;
    outputs = [];
    const tc = Date.now();
    try {
      const { names, code } = compileCell(joinSource(cell.source));
      if (names.length) vm.runInContext(`var ${[...new Set(names)].join(', ')};`, ctx);
      const value = await (vm.runInContext(code, ctx, { filename: `${path.basename(file)} [cell ${count}]` }) as Promise<unknown>);
      cell.outputs = outputs;
      if (value !== undefined) {
        cell.outputs.push({ output_type: 'execute_result', execution_count: count, data: mimeBundle({ 'text/plain': util.inspect(value, { depth: 4, breakLength: 100 }) }), metadata: {} });
      }
      cell.execution_count = count;
    } catch (e) {
      const err = e as Error;
      const msg = err instanceof CheckFailure || (err && err.name === 'CheckFailure')
        ? err.message
        : `${err?.name ?? 'Error'}: ${(err?.message ?? String(e)).split('\n')[0]}`;
      throw new NotebookError(file, count, msg);
    }
    opts.onCell?.(count, count, (Date.now() - tc) / 1000);
  }
  nb.metadata = {
    ...nb.metadata,
    kernelspec: (nb.metadata.kernelspec as object | undefined) ?? KERNELSPEC,
    language_info: (nb.metadata.language_info as object | undefined) ?? { name: 'typescript', file_extension: '.ts', mimetype: 'text/typescript' },
    fieldprop: { executed_by: 'fieldprop notebook run', small: opts.small === true, seconds: Math.round((Date.now() - t0) / 100) / 10 },
  };
  const target = opts.out ?? file;
  try {
    writeFileAtomic(target, serializeNotebook(nb));
  } catch (e) {
    throw new NotebookError(file, null, `cannot write the notebook ${opts.out === undefined ? 'back' : `to ${target}`} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return { file: target, cells: count, seconds: (Date.now() - t0) / 1000, notebook: nb };
}
