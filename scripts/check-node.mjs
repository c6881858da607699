// Runs `npm start`, `npm test` and the other entry points on a Node.js the project supports:
//
//   node scripts/check-node.mjs <npm script> [args...]
//
// On Node 24 or 22.22+ it runs `npm run <npm script> -- [args...]` as it is. On an older Node (this
// project's reference machines ship Node 20) it says so, fetches Node.js 24 from the npm registry
// into .cache/node/ (scripts/use-node) and runs the same script on it, so the README's two
// commands work on a fresh machine. TOUCHSTREAM_NODE_FETCH=0 stops with the message instead.
// Written for any Node.js (no newer syntax or APIs), since the whole point is to run on old ones.
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// The floor: Node 22.22 (testcontainers 12; undici 8 needs 22.19). Node 24 is what the project
// is developed, tested and shipped on.
const MINIMUM = [22, 22, 0];
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function atLeast(version, minimum) {
  for (let i = 0; i < minimum.length; i += 1) {
    if (version[i] !== minimum[i]) return version[i] > minimum[i];
  }
  return true;
}

/** Runs a command with the terminal, forwarding SIGTERM, and exits as it did. */
function runAndExit(command, args) {
  const child = spawn(command, args, { cwd: process.cwd(), stdio: 'inherit' });
  // Ctrl-C reaches the child through the terminal's process group: wait for it to finish.
  process.on('SIGINT', () => undefined);
  process.on('SIGTERM', () => child.kill('SIGTERM'));
  child.on('error', (error) => {
    process.stderr.write(`could not run ${command}: ${error.message}\n`);
    process.exit(1);
  });
  // A child ended by a signal exits as a shell reports it: 128 + the signal's number.
  child.on('exit', (code, signal) => process.exit(code ?? 128 + (constants.signals[signal] ?? 0)));
}

const [script, ...args] = process.argv.slice(2);
if (!script) {
  process.stderr.write('usage: node scripts/check-node.mjs <npm script> [args...]\n');
  process.exit(2);
}
const npmArgs = ['run', script, ...(args.length > 0 ? ['--', ...args] : [])];
const current = process.versions.node.split('.').map(Number);

if (atLeast(current, MINIMUM)) {
  runAndExit('npm', npmArgs);
} else {
  const fetchAllowed = process.env.TOUCHSTREAM_NODE_FETCH !== '0';
  const lines = [
    `touchstream needs Node.js 24 LTS (or 22 LTS from ${MINIMUM.join('.')}); this is Node.js ${process.version}.`,
    current[0] <= 20 ? 'Node.js 20 and older are no longer supported.' : 'This Node.js 22 is too old a patch release.',
    fetchAllowed
      ? 'Running it on Node.js 24 from the npm registry (cached in .cache/node/; TOUCHSTREAM_NODE_FETCH=0 turns this off).'
      : 'Get Node.js 24:',
    '  with nvm:              nvm install 24 && nvm use 24     (the repository has an .nvmrc)',
    '  without installing it: bash scripts/use-node 24 npm test   (also npm start)',
    '',
  ];
  process.stderr.write(`${lines.join('\n')}\n`);
  if (!fetchAllowed) process.exit(1);
  runAndExit('bash', [resolve(ROOT, 'scripts/use-node'), '24', 'npm', ...npmArgs]);
}
