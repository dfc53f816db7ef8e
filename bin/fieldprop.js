#!/usr/bin/env node
'use strict';
// Thin launcher: the CLI is compiled from src/cli by `npm run build` (run automatically by `npm ci` / `npm install` via the prepare script).
const path = require('path');
const fs = require('fs');
const entry = path.join(__dirname, '..', 'dist', 'cli', 'main.js');
if (!fs.existsSync(entry)) {
  process.stderr.write('fieldprop: not built yet; run `npm run build` (npm ci does this automatically)\n');
  process.exit(2);
}
// A reader that stops early (`fieldprop ... | head`) closes the pipe: stop quietly, as Unix tools do.
process.stdout.on('error', (e) => {
  if (e && e.code === 'EPIPE') process.exit(0);
  throw e;
});
require(entry).main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
