#!/usr/bin/env node
require('./load-built')('touchstream-generate', 'generate.cli.js');
