import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '@touchstream/local-infra';
import { dropSchema, testInfrastructure, testNamespace, waitFor } from '@touchstream/testing';
import { SERVICES, type ServiceName } from './pipeline-services';

const REPO_ROOT = resolve(__dirname, '..', '..');

/** The services `npm start` runs: its children, by the service each one's entry point names. */
function servicePids(parent: number): Map<ServiceName, number> {
  const pids = new Map<ServiceName, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== parent) continue;
      const command = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      const service = (Object.keys(SERVICES) as ServiceName[]).find((name) => command.includes(`services/${name}/dist/main.js`));
      if (service) pids.set(service, Number(entry));
    } catch {
      // the process ended while being looked at
    }
  }
  return pids;
}

describe('npm start (scripts/start.mjs) restarts a service that exits instead of stopping the rest', () => {
  const namespace = testNamespace('npmstart');
  const schemas = ['identity', 'attribution', 'sink'].map((name) => `${namespace.schema}_${name}`);
  let start: ChildProcess | null = null;

  afterAll(async () => {
    if (start && start.exitCode === null) {
      const exited = new Promise((done) => start?.once('exit', done));
      start.kill('SIGINT');
      await exited;
    }
    for (const schema of schemas) await dropSchema(testInfrastructure().databaseUrl, schema);
  });

  it('starts a killed identity again, saying so, while ingest, attribution and the sink keep running', async () => {
    const { kafkaBrokers, databaseUrl } = testInfrastructure();
    const scratch = mkdtempSync(join(tmpdir(), 'npm-start-'));
    const ports = {
      INGEST_PORT: await freePort(),
      IDENTITY_PORT: await freePort(),
      ATTRIBUTION_PORT: await freePort(),
      SINK_PORT: await freePort(),
    };
    const output: string[] = [];
    start = spawn(process.execPath, [resolve(REPO_ROOT, 'scripts/start.mjs')], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        ...Object.fromEntries(Object.entries(ports).map(([name, port]) => [name, String(port)])),
        KAFKA_BROKERS: kafkaBrokers,
        KAFKA_TOPIC_PREFIX: namespace.topicPrefix,
        KAFKA_TOPIC_PARTITIONS: '2',
        DATABASE_URL: databaseUrl,
        DATABASE_POOL_SIZE: '4',
        IDENTITY_DB_SCHEMA: schemas[0],
        ATTRIBUTION_DB_SCHEMA: schemas[1],
        SINK_DB_SCHEMA: schemas[2],
        SEGMENT_WRITE_KEY: '',
        SINK_DRY_RUN: 'true',
        SINK_DRY_RUN_FILE: join(scratch, 'dry-run.ndjson'),
        TOUCHSTREAM_RUN_INFO_FILE: join(scratch, 'run.json'),
        LOG_LEVEL: 'error',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    start.stdout?.on('data', (chunk: Buffer) => output.push(...chunk.toString('utf8').split('\n').filter(Boolean)));
    const parent = start.pid as number;
    await waitFor(() => output.includes('[touchstream] ready:'), { description: 'npm start ready', timeoutMs: 150_000 });
    const before = servicePids(parent);
    expect([...before.keys()].sort()).toEqual(['attribution', 'identity', 'ingest', 'segment-sink']);

    process.kill(before.get('identity') as number, 'SIGKILL');
    await waitFor(() => output.includes('[touchstream] identity exited (signal SIGKILL); restarting it in 2.0 s (restart 1 of 5)'), {
      description: 'the restart announced',
    });
    const again = await waitFor(
      async () => {
        const pid = servicePids(parent).get('identity');
        if (pid === undefined || pid === before.get('identity')) return false;
        const ready = await fetch(`http://127.0.0.1:${ports.IDENTITY_PORT}/ready`).catch(() => null);
        return ready?.status === 200 && pid;
      },
      { description: 'identity ready again', timeoutMs: 90_000 },
    );
    expect(again).not.toBe(before.get('identity'));
    const after = servicePids(parent);
    for (const service of ['ingest', 'attribution', 'segment-sink'] as const) expect(after.get(service)).toBe(before.get(service));
    expect(output.filter((line) => line.includes('stopping'))).toEqual([]);
    expect(start.exitCode).toBeNull();
  }, 300_000);
});
