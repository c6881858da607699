#!/usr/bin/env node
require('./load-built')('touchstream-import', 'import.cli.js');
