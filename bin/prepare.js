#!/usr/bin/env node
'use strict';
// The prepare script. In the repository (npm ci / npm install / npm pack): compile src/ into
// dist/ and link the project's own bin. In an installed copy of the package (which ships dist/
// and neither src/ nor the compiler), there is nothing to build: do nothing.
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const root = path.join(__dirname, '..');
if (!fs.existsSync(path.join(root, 'src')) || !fs.existsSync(path.join(root, 'tsconfig.build.json'))) process.exit(0);
execFileSync(process.execPath, [require.resolve('typescript/bin/tsc', { paths: [root] }), '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
require('./link-bin.js');
