/**
 * The literate derivations of derivations/ (top level): one file per result, a paper section in
 * order — prose, the equations the engine derived (by label), the numerical checks. This module is
 * their machinery: the types a file fills in, the loader (plain `require` under ts-jest; from the
 * compiled build the TypeScript compiler, a devDependency, transpiles the files on load) and the
 * writers of the standalone LaTeX document and the Markdown theory page.
 *
 * Prose is text with inline math in $...$ that is valid both as LaTeX and as Markdown with KaTeX:
 * outside math no LaTeX or Markdown specials (checked by `proseErrors`).
 */
import * as fs from 'fs';
import * as path from 'path';
import { Derivation, Check } from './notation';

/** One step of a derivation: a paragraph and the equations (labels of the engine's derivation) it introduces. */
export interface Step {
  prose: string;
  equations?: string[];
}

export interface LiterateDerivation {
  /** The engine that builds the equations and runs the checks: `fieldprop derive <command>`. */
  command: string;
  /** Section title. */
  title: string;
  steps: Step[];
  /** What the numerical checks compare, in prose (the table of measured errors follows). */
  checks: string;
}

/** Identity, for type checking a file's default export. */
export function literate(d: LiterateDerivation): LiterateDerivation {
  return d;
}

/** A loaded file: its name (e.g. 01-mean-field) and content. */
export interface LiterateFile {
  file: string;
  doc: LiterateDerivation;
}

/** derivations/ of this checkout (from src/derivations under ts-jest and from dist/derivations). */
export function literateDir(): string {
  return path.resolve(__dirname, '..', '..', 'derivations');
}

/** The activation whose equations the steps show: its moments stay Gaussian expectations of a general phi. */
export const GENERAL_ACT = 'tanh';

/**
 * Load every NN-name.ts of `dir`, in file-name order. From compiled JavaScript the files are
 * transpiled on load and their imports of ../src/X resolve to the compiled X next to this module,
 * so they share its module instances.
 */
export function loadLiterate(dir: string = literateDir()): LiterateFile[] {
  const files = fs.readdirSync(dir).filter((f) => /^\d\d-[a-z0-9-]+\.ts$/.test(f)).sort();
  const fromTs = path.extname(__filename) === '.ts';
  const ext = require.extensions as Record<string, (m: NodeModule, filename: string) => void>;
  const previous = ext['.ts'];
  if (!fromTs) {
    let ts: typeof import('typescript');
    try {
      ts = require('typescript');
    } catch {
      throw new Error('the literate derivations (derivations/*.ts) need the TypeScript compiler: run `npm ci` in the repository');
    }
    const built = path.resolve(__dirname, '..');
    ext['.ts'] = (m, filename) => {
      const js = ts.transpileModule(fs.readFileSync(filename, 'utf8'), {
        fileName: filename,
        compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
      }).outputText.replace(/require\("\.\.\/src\/([^"]+)"\)/g, (_, p: string) => `require(${JSON.stringify(path.join(built, p))})`);
      (m as unknown as { _compile(code: string, file: string): void })._compile(js, filename);
    };
  }
  try {
    return files.map((f) => {
      // eslint-disable-next-line @typescript-eslint/no-var-requires
      const mod = require(path.join(dir, f));
      const doc = (mod.default ?? mod) as LiterateDerivation;
      if (!doc || typeof doc.command !== 'string' || !Array.isArray(doc.steps)) throw new Error(`${f}: the default export is not a literate derivation`);
      return { file: f.replace(/\.ts$/, ''), doc };
    });
  } finally {
    if (!fromTs) {
      if (previous) ext['.ts'] = previous;
      else delete ext['.ts'];
    }
  }
}

/** Problems of a literate file: prose that is not valid in both LaTeX and Markdown, equations placed twice, missing or unknown. */
export function literateErrors(doc: LiterateDerivation, general: Derivation): string[] {
  const errs: string[] = [];
  const paras = [...doc.steps.map((s) => s.prose), doc.checks];
  for (const p of paras) errs.push(...proseErrors(p));
  const labels = general.equations.map((e) => e.label);
  const placed = doc.steps.flatMap((s) => s.equations ?? []);
  for (const l of placed) if (!labels.includes(l)) errs.push(`equation "${l}" is not derived by \`fieldprop derive ${doc.command}\``);
  for (const l of labels) {
    const n = placed.filter((x) => x === l).length;
    if (n !== 1) errs.push(`equation "${l}" is placed ${n} times (once expected)`);
  }
  return errs;
}

/** Prose outside $...$ must be plain text: no LaTeX specials (\ & % # _ ^ ~ { }), no Markdown emphasis or table bars (* _ |). */
export function proseErrors(p: string): string[] {
  const parts = p.split('$');
  if (parts.length % 2 === 0) return [`unbalanced $ in "${p.slice(0, 60)}..."`];
  const errs: string[] = [];
  parts.forEach((t, i) => {
    if (i % 2 === 0 && /[\\&%#_^~{}*<>|]/.test(t)) errs.push(`special character outside math in "${t.slice(0, 60)}..."`);
  });
  return errs;
}

// ---------------------------------------------------------------------------------------
// Writers

/** Derivations per engine command and activation. */
export type DerivationTable = Map<string, Map<string, Derivation>>;

const CHECKS_BEGIN_TEX = '% checks: begin (measured by npm run derive)';
const CHECKS_END_TEX = '% checks: end';
const CHECKS_BEGIN_MD = '<!-- checks: begin (measured by npm run derive) -->';
const CHECKS_END_MD = '<!-- checks: end -->';

/** A document with its tables of measured check errors emptied (what a run without checks writes). */
export function withoutCheckTables(doc: string): string {
  const strip = (s: string, a: string, b: string) => s.split(a).map((part, i) => (i === 0 ? part : `\n${part.slice(part.indexOf(b))}`)).join(a);
  return strip(strip(doc, CHECKS_BEGIN_TEX, CHECKS_END_TEX), CHECKS_BEGIN_MD, CHECKS_END_MD);
}

function escapeTex(s: string): string {
  return s.replace(/\\/g, '\\textbackslash{}').replace(/([&%$#_{}])/g, '\\$1').replace(/~/g, '\\textasciitilde{}').replace(/\^/g, '\\textasciicircum{}');
}

/** Equations as one align* environment, aligned at the '=' between the printed lhs and the rhs. */
export function alignBlock(eqs: { lhs: string; latex: string }[]): string {
  const rows = eqs.map((e) => `  ${e.lhs} &= ${e.latex.slice(e.lhs.length + 3)}`);
  return `\\begin{align*}\n${rows.join(' \\\\\n')}\n\\end{align*}`;
}

function pick(d: Derivation, labels: string[]) {
  return labels.map((l) => {
    const e = d.equations.find((x) => x.label === l);
    if (!e) throw new Error(`${d.name} ${d.act}: no equation "${l}"`);
    return e;
  });
}

/** The checks of the derivations, each described in prose with math (its `tex`; a check without one is refused). */
function checkRows(ds: Derivation[]): { act: string; c: Check; text: string }[] {
  return ds.flatMap((d) => d.checks.map((c) => {
    const errs = c.tex === undefined ? ['no LaTeX description'] : proseErrors(c.tex);
    if (errs.length) throw new Error(`${d.name} ${d.act}: check "${c.what}": ${errs.join('; ')}`);
    return { act: d.act, c, text: c.tex as string };
  }));
}

/** The equations of a particular activation that the documents show: those that are not the same for every activation. */
export function closedForms(d: Derivation): Derivation['equations'] {
  return d.equations.filter((e) => !e.general);
}

const fmt = (x: number) => (x === 0 ? '0' : x.toExponential(1));

export const PREAMBLE_NOTE =
  'Every equation below was built by the symbolic core of fieldprop (differentiation of the closed forms or of named Gaussian expectations, ' +
  'the action and its saddle point, Hessian and cubic vertices), not typed in. ' +
  'Each section is one file of derivations/ in the repository, read top to bottom: the steps of the derivation, written for a general activation $\\phi$ ' +
  `(the form the engine derives for ${GENERAL_ACT}, whose Gaussian expectations have no closed form), the closed forms for particular activations, ` +
  'and the numerical checks against independent numerics (finite differences, quadrature and the numerical engine), with the errors measured when this document was written. ' +
  'The document is written only when every check passes.';

/** The standalone LaTeX document. */
export function standaloneTex(lit: LiterateFile[], table: DerivationTable, acts: string[], notation: string, header: string): string {
  const out: string[] = [];
  out.push(header.trimEnd());
  out.push('\\documentclass[10pt]{article}');
  out.push('\\usepackage[T1]{fontenc}');
  out.push('\\usepackage{lmodern}');
  out.push('\\usepackage[margin=2cm]{geometry}');
  out.push('\\usepackage{amsmath,amssymb}');
  out.push('\\usepackage{longtable}');
  out.push('\\allowdisplaybreaks');
  out.push('\\title{fieldprop: derivations}');
  out.push('\\author{generated by the fieldprop symbolic engine}');
  out.push('\\date{}');
  out.push('\\begin{document}');
  out.push('\\maketitle');
  out.push(PREAMBLE_NOTE);
  out.push('');
  out.push(`\\paragraph{Notation.} ${notation}`);
  for (const { file, doc } of lit) {
    const byAct = table.get(doc.command)!;
    const general = byAct.get(GENERAL_ACT)!;
    out.push('');
    out.push(`\\section{${escapeTex(doc.title)}}`);
    out.push(`\\label{sec:${file}}`);
    out.push(`Source: \\texttt{derivations/${escapeTex(file)}.ts}; engine: \\texttt{fieldprop derive ${escapeTex(doc.command)}}.`);
    for (const s of doc.steps) {
      out.push('');
      out.push(s.prose);
      if (s.equations?.length) out.push(alignBlock(pick(general, s.equations)));
    }
    for (const act of acts) {
      if (act === GENERAL_ACT) continue;
      out.push('');
      out.push(`\\subsection{Closed forms: ${escapeTex(act)}}`);
      out.push(alignBlock(closedForms(byAct.get(act)!)));
    }
    out.push('');
    out.push('\\subsection{Checks}');
    out.push(doc.checks);
    out.push(CHECKS_BEGIN_TEX);
    const rows = checkRows(acts.map((a) => byAct.get(a)!));
    if (rows.length) {
      out.push('\\begin{longtable}{l p{11cm} r r}');
      out.push('activation & check & error & tolerance \\\\ \\hline');
      for (const { act, c, text } of rows) out.push(`${escapeTex(act)} & ${text} & ${fmt(c.maxError)} & ${fmt(c.tol)} \\\\`);
      out.push('\\end{longtable}');
    }
    out.push(CHECKS_END_TEX);
  }
  out.push('');
  out.push('\\end{document}');
  return out.join('\n') + '\n';
}

function anchor(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
}

/** The Markdown theory page (display math in $$ blocks, inline math in $...$). */
export function theoryMd(lit: LiterateFile[], table: DerivationTable, acts: string[], notation: string, header: string, intro: string): string {
  const out: string[] = [header, '# Theory: the derivations of fieldprop', '', intro, '', PREAMBLE_NOTE, '', `Notation: ${notation}`, ''];
  for (const { doc } of lit) out.push(`- [${doc.title}](#${anchor(doc.title)})`);
  const eqMd = (e: { label: string; latex: string }) => ['$$', e.latex, '$$', ''];
  for (const { file, doc } of lit) {
    const byAct = table.get(doc.command)!;
    const general = byAct.get(GENERAL_ACT)!;
    out.push('', `## ${doc.title}`, '', `Source: [derivations/${file}.ts](../../derivations/${file}.ts); engine: \`fieldprop derive ${doc.command}\`.`, '');
    for (const s of doc.steps) {
      out.push(s.prose, '');
      for (const e of pick(general, s.equations ?? [])) out.push(...eqMd(e));
    }
    for (const act of acts) {
      if (act === GENERAL_ACT) continue;
      out.push(`### Closed forms: ${act}`, '');
      for (const e of closedForms(byAct.get(act)!)) out.push(...eqMd(e));
    }
    out.push('### Checks', '', doc.checks, '', CHECKS_BEGIN_MD);
    const rows = checkRows(acts.map((a) => byAct.get(a)!));
    if (rows.length) {
      out.push('', '| activation | check | max error | tolerance |', '|---|---|---:|---:|');
      for (const { act, c, text } of rows) out.push(`| ${act} | ${text.replace(/\|/g, '\\vert ')} | ${fmt(c.maxError)} | ${fmt(c.tol)} |`);
      out.push('');
    }
    out.push(CHECKS_END_MD);
  }
  return out.join('\n') + '\n';
}
