#!/usr/bin/env node
// Installs touchstream for production into a folder of its own, as the image does: the files
// each deployable workspace and each workspace they depend on ships (its package.json "files", as
// npm publishes them; dist/ and bin/ when it has none) and package.json, and their production dependencies from the lockfile (npm ci --omit=dev). Nothing
// else: no sources, no devDependencies, and no tooling or test workspace (they are never a
// production dependency of a deployable one, so they are left out by their package.json alone).
//
//   node scripts/production-install.mjs <built checkout> <target folder>
//
// A deployable workspace says so in its package.json: "touchstream": { "deploy": true }.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const [sourceArgument, targetArgument] = process.argv.slice(2);
if (!sourceArgument || !targetArgument) {
  process.stderr.write('usage: node scripts/production-install.mjs <built checkout> <target folder>\n');
  process.exit(2);
}
const source = resolve(sourceArgument);
const target = resolve(targetArgument);
const readJson = (file) => JSON.parse(readFileSync(file, 'utf8'));
const root = readJson(join(source, 'package.json'));

/** Workspace folders of the root package.json ("dir/*" patterns or plain folders). */
function workspaceFolders() {
  return root.workspaces.flatMap((pattern) => {
    if (!pattern.endsWith('/*')) return [pattern];
    const parent = pattern.slice(0, -2);
    if (!existsSync(join(source, parent))) return [];
    return readdirSync(join(source, parent), { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && existsSync(join(source, parent, entry.name, 'package.json')))
      .map((entry) => `${parent}/${entry.name}`);
  });
}

const workspaces = new Map(
  workspaceFolders().map((folder) => {
    const manifest = readJson(join(source, folder, 'package.json'));
    return [manifest.name, { folder, manifest }];
  }),
);
const deployable = [...workspaces.values()].filter(({ manifest }) => manifest.touchstream?.deploy === true);
if (deployable.length === 0) throw new Error('no workspace says "touchstream": { "deploy": true } in its package.json');

// The deployable workspaces and every workspace they need at run time (dependencies, not devDependencies).
const needed = new Map();
const visit = (name) => {
  const workspace = workspaces.get(name);
  if (!workspace || needed.has(name)) return;
  needed.set(name, workspace);
  for (const dependency of Object.keys(workspace.manifest.dependencies ?? {})) visit(dependency);
};
for (const { manifest } of deployable) visit(manifest.name);

rmSync(target, { recursive: true, force: true });
mkdirSync(target, { recursive: true });
// The root manifest and lockfile unchanged: npm ci checks they agree.
for (const file of ['package.json', 'package-lock.json']) cpSync(join(source, file), join(target, file));
for (const { folder, manifest } of needed.values()) {
  const from = join(source, folder);
  const to = join(target, folder);
  mkdirSync(to, { recursive: true });
  writeFileSync(join(to, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  for (const output of manifest.files ?? ['dist', 'bin']) {
    if (existsSync(join(from, output))) {
      cpSync(join(from, output), join(to, output), {
        recursive: true,
        // Compiled tests and build bookkeeping are not part of the product.
        filter: (path) => !/\.(spec|test)\.(js|d\.ts|js\.map)$/.test(path) && !path.endsWith('.tsbuildinfo'),
      });
    }
  }
  if (!existsSync(join(to, 'dist'))) throw new Error(`${folder}/dist is missing: build first (npm run build)`);
}

const workspaceFlags = deployable.flatMap(({ manifest }) => ['--workspace', manifest.name]);
execFileSync('npm', ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--include-workspace-root', ...workspaceFlags], {
  cwd: target,
  stdio: 'inherit',
});
process.stdout.write(`production install in ${target}: ${[...needed.values()].map(({ folder }) => folder).join(', ')}\n`);
