'use strict';
// The declared bins are committed files, not dist/*.cli.js: npm links a workspace's bins when it
// installs, before the first build has written dist/, and it leaves out a bin whose file is missing.
const { existsSync } = require('node:fs');
const { join } = require('node:path');

/** Runs the built CLI `file` of dist/, or says that the checkout is not built yet (exit 70). */
module.exports = function loadBuilt(bin, file) {
  const cli = join(__dirname, '..', 'dist', file);
  if (!existsSync(cli)) {
    process.stderr.write(`${bin}: ${cli} is not built yet: run npm run build in the touchstream checkout\n`);
    process.exit(70);
  }
  require(cli);
};
