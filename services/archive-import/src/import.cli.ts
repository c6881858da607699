#!/usr/bin/env node
import { EXIT } from './cli/exit-codes';
import { runImportCommand } from './cli/import-command';

void runImportCommand(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  onSignal: (handler) => {
    let received = 0;
    const listener = (signal: NodeJS.Signals) => {
      received++;
      // A second Ctrl-C means "now": the checkpoint already holds the last acknowledged batch.
      if (received > 1) process.exit(EXIT.interrupted);
      handler(signal);
    };
    process.on('SIGINT', listener);
    process.on('SIGTERM', listener);
    return () => {
      process.off('SIGINT', listener);
      process.off('SIGTERM', listener);
    };
  },
}).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`archive-import failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = EXIT.internal;
  },
);
