#!/usr/bin/env node
/**
 * API reference generator: walks the exports of src/index.ts with the TypeScript compiler API and
 * writes docs/api-reference.md — every exported function, class, interface, type, enum and
 * constant with its signature and its leading JSDoc comment, grouped by the source module that
 * declares it. Namespace re-exports (`export * as simulate from './simulate'`) are listed member by
 * member as `simulate.name`; renamed exports show the declared name.
 *
 *   npm run docs:api            write docs/api-reference.md
 *   node scripts/apiref.js --check   exit 1 if the committed file is not current
 *
 * `generateApiReference()` returns the Markdown (test/apiref.test.ts compares it with the file).
 * The output depends only on the sources: no dates, no absolute paths; modules sorted by path,
 * entries by position in their module.
 */
'use strict';
const fs = require('fs');
const path = require('path');
const ts = require('typescript');

const ROOT = path.join(__dirname, '..');
const ENTRY = path.join(ROOT, 'src', 'index.ts');
const OUT = path.join(ROOT, 'docs', 'api-reference.md');

function compilerOptions() {
  const cfgPath = path.join(ROOT, 'tsconfig.json');
  const cfg = ts.readConfigFile(cfgPath, ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(cfg.config || {}, ts.sys, ROOT);
  return { ...parsed.options, noEmit: true, skipLibCheck: true };
}

/** Raw text of the closest JSDoc block of a declaration, without the comment markers. */
function jsDocText(node) {
  let host = node;
  if (ts.isVariableDeclaration(node) && node.parent && node.parent.parent && ts.isVariableStatement(node.parent.parent)) host = node.parent.parent;
  const docs = ts.getJSDocCommentsAndTags(host).filter((d) => d.kind === ts.SyntaxKind.JSDoc);
  if (!docs.length) return '';
  const raw = docs[docs.length - 1].getText();
  const lines = raw
    .replace(/^\/\*\*/, '')
    .replace(/\*\/$/, '')
    .split('\n')
    .map((l) => l.replace(/^\s*\* ?/, '').replace(/\s+$/, ''));
  if (lines.length) lines[0] = lines[0].replace(/^\s+/, '');
  while (lines.length && !lines[0].trim()) lines.shift();
  while (lines.length && !lines[lines.length - 1].trim()) lines.pop();
  return lines.join('\n');
}

const printer = ts.createPrinter({ removeComments: true, newLine: ts.NewLineKind.LineFeed });

function withoutExport(mods) {
  if (!mods) return undefined;
  const kept = mods.filter((m) => m.kind !== ts.SyntaxKind.ExportKeyword && m.kind !== ts.SyntaxKind.DefaultKeyword && m.kind !== ts.SyntaxKind.DeclareKeyword);
  return kept.length ? kept : undefined;
}

function isPrivate(member) {
  const mods = ts.canHaveModifiers(member) ? ts.getModifiers(member) || [] : [];
  if (mods.some((m) => m.kind === ts.SyntaxKind.PrivateKeyword || m.kind === ts.SyntaxKind.ProtectedKeyword)) return true;
  return !!(member.name && ts.isPrivateIdentifier(member.name));
}

function print(node, sf) {
  return printer.printNode(ts.EmitHint.Unspecified, node, sf).trim();
}

/** Source text of a node (without its leading JSDoc), the `export` keyword dropped, dedented. */
function sourceText(node) {
  const text = node.getText().replace(/^export\s+(declare\s+)?/, '');
  const lines = text.split('\n');
  const indent = Math.min(...lines.slice(1).filter((l) => l.trim()).map((l) => l.match(/^\s*/)[0].length), Infinity);
  // continuation lines are indented relative to the declaration's own column
  const col = node.getSourceFile().getLineAndCharacterOfPosition(node.getStart()).character;
  const cut = Number.isFinite(indent) ? Math.min(indent, col) : 0;
  return [lines[0], ...lines.slice(1).map((l) => l.slice(Math.min(cut, l.match(/^\s*/)[0].length)))].join('\n');
}

const f = ts.factory;

/** [kind, signature] of one declaration, or null for declarations that are not documented. */
function render(decl, checker) {
  const sf = decl.getSourceFile();
  if (ts.isFunctionDeclaration(decl)) {
    const d = f.updateFunctionDeclaration(decl, withoutExport(ts.getModifiers(decl)), decl.asteriskToken, decl.name, decl.typeParameters, decl.parameters, decl.type, undefined);
    return ['function', print(d, sf)];
  }
  if (ts.isClassDeclaration(decl)) {
    const members = [];
    for (const m of decl.members) {
      if (isPrivate(m)) continue;
      if (ts.isMethodDeclaration(m)) members.push(f.updateMethodDeclaration(m, ts.getModifiers(m), m.asteriskToken, m.name, m.questionToken, m.typeParameters, m.parameters, m.type, undefined));
      else if (ts.isConstructorDeclaration(m)) members.push(f.updateConstructorDeclaration(m, ts.getModifiers(m), m.parameters, undefined));
      else if (ts.isPropertyDeclaration(m)) {
        const type = m.type || (m.initializer ? f.createTypeReferenceNode(checker.typeToString(checker.getTypeAtLocation(m)), undefined) : undefined);
        members.push(f.updatePropertyDeclaration(m, ts.getModifiers(m), m.name, m.questionToken || m.exclamationToken, type, undefined));
      } else if (ts.isGetAccessorDeclaration(m)) members.push(f.updateGetAccessorDeclaration(m, ts.getModifiers(m), m.name, m.parameters, m.type, undefined));
      else if (ts.isSetAccessorDeclaration(m)) members.push(f.updateSetAccessorDeclaration(m, ts.getModifiers(m), m.name, m.parameters, undefined));
      else if (ts.isIndexSignatureDeclaration(m)) members.push(m);
    }
    const d = f.updateClassDeclaration(decl, withoutExport(ts.getModifiers(decl)), decl.name, decl.typeParameters, decl.heritageClauses, members);
    return ['class', print(d, sf)];
  }
  if (ts.isInterfaceDeclaration(decl)) return ['interface', sourceText(decl)];
  if (ts.isTypeAliasDeclaration(decl)) return ['type', sourceText(decl)];
  if (ts.isEnumDeclaration(decl)) return ['enum', sourceText(decl)];
  if (ts.isVariableDeclaration(decl)) {
    const list = decl.parent;
    const kw = list.flags & ts.NodeFlags.Const ? 'const' : list.flags & ts.NodeFlags.Let ? 'let' : 'var';
    const type = decl.type ? decl.type.getText() : checker.typeToString(checker.getTypeAtLocation(decl), decl);
    return ['const', `${kw} ${decl.name.getText()}: ${type}`];
  }
  if (ts.isModuleDeclaration(decl)) return ['namespace', `namespace ${decl.name.getText()}`];
  return null;
}

function rel(file) {
  return path.relative(ROOT, file).split(path.sep).join('/');
}

/** Markdown of the API reference of src/index.ts as it is now. */
function generateApiReference() {
  const program = ts.createProgram([ENTRY], compilerOptions());
  const checker = program.getTypeChecker();
  const entry = program.getSourceFile(ENTRY);
  if (!entry) throw new Error(`apiref: cannot read ${ENTRY}`);
  const modules = new Map(); // file -> entries
  const seen = new Set();

  const resolve = (sym) => (sym.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(sym) : sym);
  const walk = (moduleSymbol, prefix, depth) => {
    for (const exp of checker.getExportsOfModule(moduleSymbol)) {
      const name = prefix + exp.getName();
      const target = resolve(exp);
      const decls = target.getDeclarations() || [];
      if (decls.length && decls.every((d) => ts.isSourceFile(d))) {
        // a namespace re-export of a whole module
        if (depth < 3) walk(target, name + '.', depth + 1);
        continue;
      }
      const declaredName = target.getName();
      // implementations of overloaded functions are not documented when overload signatures exist
      const fnDecls = decls.filter(ts.isFunctionDeclaration);
      const useDecls = fnDecls.length > 1 ? decls.filter((d) => !(ts.isFunctionDeclaration(d) && d.body)) : decls;
      for (const decl of useDecls) {
        const r = render(decl, checker);
        if (!r) continue;
        const file = rel(decl.getSourceFile().fileName);
        const key = `${name}@${file}@${decl.getStart()}`;
        if (seen.has(key)) continue;
        seen.add(key);
        if (!modules.has(file)) modules.set(file, []);
        modules.get(file).push({ name, declaredName, kind: r[0], signature: r[1], doc: jsDocText(decl), pos: decl.getStart() });
      }
    }
  };
  walk(checker.getSymbolAtLocation(entry), '', 0);

  const files = [...modules.keys()].sort();
  const anchor = (s) => s.toLowerCase().replace(/[^a-z0-9 _-]/g, '').replace(/ /g, '-');
  const out = [
    '# API reference',
    '',
    'Generated from the TypeScript sources by `npm run docs:api` (`scripts/apiref.js`, TypeScript compiler API): every export of',
    '`src/index.ts` with its signature and its leading doc comment, grouped by the module that declares it. Members of',
    'namespace exports (`export * as simulate from ...`) appear as `simulate.name`. Do not edit by hand: `test/apiref.test.ts`',
    'checks that this file is current.',
    '',
    `${files.length} modules, ${[...modules.values()].reduce((n, l) => n + l.length, 0)} entries.`,
    '',
    '## Modules',
    '',
    ...files.map((file) => `- [\`${file}\`](#${anchor(file)}) (${modules.get(file).length})`),
  ];
  for (const file of files) {
    const entries = modules.get(file).sort((a, b) => a.pos - b.pos || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    out.push('', `## ${file}`);
    for (const e of entries) {
      const shown = e.name.split('.').pop();
      const alias = shown !== e.declaredName && e.declaredName !== 'default' ? ` (declared as \`${e.declaredName}\`)` : '';
      out.push('', `### \`${e.name}\` — ${e.kind}${alias}`, '', '```ts', e.signature, '```');
      if (e.doc) out.push('', e.doc);
    }
  }
  return out.join('\n') + '\n';
}

module.exports = { generateApiReference, OUT };

if (require.main === module) {
  const md = generateApiReference();
  if (process.argv.includes('--check')) {
    const cur = fs.existsSync(OUT) ? fs.readFileSync(OUT, 'utf8') : '';
    if (cur !== md) {
      process.stderr.write(`${path.relative(process.cwd(), OUT)} is not current: run npm run docs:api\n`);
      process.exitCode = 1;
    }
  } else {
    fs.writeFileSync(OUT, md);
    process.stdout.write(`wrote ${path.relative(process.cwd(), OUT)}\n`);
  }
}
