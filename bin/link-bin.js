#!/usr/bin/env node
'use strict';
// Run by `npm ci` / `npm install` (prepare): npm links the bins of dependencies into
// node_modules/.bin but not the project's own, so `npx fieldprop` inside the repository would
// look for a package of that name on the registry. Link ours there too.
const fs = require('fs');
const path = require('path');
const root = path.join(__dirname, '..');
const binDir = path.join(root, 'node_modules', '.bin');
const link = path.join(binDir, 'fieldprop');
fs.mkdirSync(binDir, { recursive: true });
try {
  fs.unlinkSync(link);
} catch (e) {
  if (e.code !== 'ENOENT') throw e;
}
fs.symlinkSync(path.relative(binDir, path.join(root, 'bin', 'fieldprop.js')), link);
