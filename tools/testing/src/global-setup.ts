import type { TestProject } from 'vitest/node' with { 'resolution-mode': 'import' };
import { dockerAnswers, provideKafka, providePostgres, stopAll, type Provided, type Started } from '@touchstream/local-infra';
import { ApacheKafkaContainer, KAFKA_CLIENT_PORT } from './apache-kafka-container';
import { claimTestDatabase, type ClaimedTestDatabase } from './orphan-schemas';

declare module 'vitest' {
  export interface ProvidedContext {
    kafkaBrokers: string;
    databaseUrl: string;
  }
}

export const TEST_DATABASE = 'touchstream_test';

/**
 * TEST_INFRA=containers: Kafka and Postgres come from testcontainers even where a local broker or
 * server answers (scripts/containers testcontainers runs it against podman's Docker API).
 */
const CONTAINERS_ONLY = process.env.TEST_INFRA === 'containers';

/** Where a Docker engine answers, tests may run on testcontainers instead of local processes. */
async function kafkaContainer() {
  if (!CONTAINERS_ONLY && !dockerAnswers()) return undefined;
  const container = await new ApacheKafkaContainer('apache/kafka:4.4.0').start();
  return {
    value: `${container.getHost()}:${container.getMappedPort(KAFKA_CLIENT_PORT)}`,
    started: { description: 'Kafka container', stop: async () => void (await container.stop()) },
  };
}

async function postgresContainer() {
  if (!CONTAINERS_ONLY && !dockerAnswers()) return undefined;
  const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
  const container = await new PostgreSqlContainer('postgres:18').start();
  return {
    value: container.getConnectionUri(),
    started: { description: 'Postgres container', stop: async () => void (await container.stop()) },
  };
}

async function fromContainer(start: () => Promise<Provided<string> | undefined>, log: (line: string) => void) {
  const provided = await start();
  if (!provided) throw new Error('TEST_INFRA=containers, but no container was started');
  log(`using ${provided.started?.description} at ${provided.value}`);
  return provided;
}

/**
 * Runs once before the integration tests: finds or starts a real broker and a real Postgres,
 * hands their addresses to the spec files, and stops only what it started itself. It also drops
 * the schemas of killed earlier runs, unless another run is using the database (orphan-schemas.ts).
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const log = (line: string) => process.stdout.write(`[test infrastructure] ${line}\n`);
  const started: Started[] = [];
  let claim: ClaimedTestDatabase | undefined;
  const release = () => claim?.release();
  try {
    const kafka = CONTAINERS_ONLY ? await fromContainer(kafkaContainer, log) : await provideKafka(log, kafkaContainer);
    if (kafka.started) started.push(kafka.started);
    const postgres = CONTAINERS_ONLY
      ? await fromContainer(postgresContainer, log)
      : await providePostgres(TEST_DATABASE, log, postgresContainer);
    if (postgres.started) started.push(postgres.started);
    // Held until teardown: it tells later runs this one is alive.
    claim = await claimTestDatabase(postgres.value, log);
    project.provide('kafkaBrokers', kafka.value);
    project.provide('databaseUrl', postgres.value);
  } catch (error) {
    await release();
    await stopAll(started, log);
    throw error;
  }
  return async () => {
    await release();
    await stopAll(started, log);
  };
}
