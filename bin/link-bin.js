#!/usr/bin/env node
'use strict';
// Run by `npm ci` / `npm install` (prepare) and after a rebuild: npm links the bins of
// dependencies into node_modules/.bin but not the project's own, so `npx fieldprop` inside the
// repository would look for a package of that name on the registry. Link ours there too.
// Also link the package itself as node_modules/fieldprop (as `npm link` would): Node resolves
// `require('fieldprop')` inside the repository through the package's "exports" anyway, but
// TypeScript's classic node resolution (the one tslab, the Jupyter kernel, type-checks notebook
// cells with) only looks in node_modules.
const fs = require('fs');
const path = require('path');
const root = path.join(__dirname, '..');
const nodeModules = path.join(root, 'node_modules');

function relink(link, target) {
  fs.mkdirSync(path.dirname(link), { recursive: true });
  try {
    fs.unlinkSync(link);
  } catch (e) {
    if (e.code !== 'ENOENT') throw e;
  }
  fs.symlinkSync(path.relative(path.dirname(link), target), link);
}
relink(path.join(nodeModules, '.bin', 'fieldprop'), path.join(root, 'bin', 'fieldprop.js'));
// Never replace a real installed directory of that name (only a link of ours, or nothing).
const self = path.join(nodeModules, 'fieldprop');
let stat = null;
try {
  stat = fs.lstatSync(self);
} catch (e) {
  if (e.code !== 'ENOENT') throw e;
}
if (stat === null || stat.isSymbolicLink()) relink(self, root);
