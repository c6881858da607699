#!/usr/bin/env node
// The declared bin is this committed file, not dist/generate.cli.js: npm links a workspace's bins when it
// installs, before the first build has written dist/, and it leaves out a bin whose file is missing.
'use strict';
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const cli = join(__dirname, '..', 'dist', 'generate.cli.js');
if (!existsSync(cli)) {
  process.stderr.write('touchstream-generate: ' + cli + ' is not built yet: run npm run build in the touchstream checkout\n');
  process.exit(70);
}
require(cli);
