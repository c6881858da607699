// Runs before `npm start` and `npm test`: on a Node.js the project no longer supports, one clear
// message instead of a syntax error or a failed require deep in a dependency. Written for any
// Node.js (no newer syntax or APIs), since the whole point is to run on the old ones.
// The floor: Node 22.22 (testcontainers 12; undici 8 needs 22.19). Node 24 is what the project
// is developed, tested and shipped on.
const MINIMUM = [22, 22, 0];
const current = process.versions.node.split('.').map(Number);

function atLeast(version, minimum) {
  for (let i = 0; i < minimum.length; i += 1) {
    if (version[i] !== minimum[i]) return version[i] > minimum[i];
  }
  return true;
}

if (!atLeast(current, MINIMUM)) {
  const lines = [
    `touchstream needs Node.js 24 LTS (or 22 LTS from ${MINIMUM.join('.')}); this is Node.js ${process.version}.`,
    current[0] <= 20 ? 'Node.js 20 and older are no longer supported.' : 'This Node.js 22 is too old a patch release.',
    '',
    'Get Node.js 24:',
    '  with nvm:              nvm install 24 && nvm use 24     (the repository has an .nvmrc)',
    '  without installing it: bash scripts/use-node 24 npm test   (fetches Node.js 24 from the npm',
    '                         registry into .cache/ and runs the command on it; also npm start)',
    '  one-off:               npx -y node@24 --version',
  ];
  process.stderr.write(`${lines.join('\n')}\n`);
  process.exit(1);
}
