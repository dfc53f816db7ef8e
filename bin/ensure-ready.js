#!/usr/bin/env node
'use strict';
// Run before `npm start` and `npm test`: on a fresh clone, install the locked dependencies
// (npm ci) and build the CLI; afterwards, rebuild only when a source file is newer than dist/.
const { execSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const root = path.join(__dirname, '..');
const run = (cmd) => execSync(cmd, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });

if (!fs.existsSync(path.join(root, 'node_modules', '.package-lock.json'))) {
  process.stderr.write('fieldprop: installing dependencies (npm ci)...\n');
  run('npm ci --no-audit --no-fund');
}
function newest(dir) {
  let t = 0;
  if (!fs.existsSync(dir)) return t;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : fs.statSync(p).mtimeMs);
  }
  return t;
}
const entry = path.join(root, 'dist', 'cli', 'main.js');
if (!fs.existsSync(entry) || newest(path.join(root, 'src')) > fs.statSync(entry).mtimeMs) {
  process.stderr.write('fieldprop: building (tsc)...\n');
  run('npx tsc -p tsconfig.build.json');
  run('node bin/link-bin.js');
  fs.utimesSync(entry, new Date(), new Date());
} else if (!fs.existsSync(path.join(root, 'node_modules', 'fieldprop'))) {
  // a later `npm install` prunes the self-link (bin/link-bin.js): restore it
  run('node bin/link-bin.js');
}
