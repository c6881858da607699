import type { TestProject } from 'vitest/node' with { 'resolution-mode': 'import' };
import { dockerAnswers, provideKafka, providePostgres, stopAll, type Started } from '@touchstream/local-infra';
import { claimTestDatabase, type ClaimedTestDatabase } from './orphan-schemas';

declare module 'vitest' {
  export interface ProvidedContext {
    kafkaBrokers: string;
    databaseUrl: string;
  }
}

export const TEST_DATABASE = 'touchstream_test';

/** Where a Docker engine answers, tests may run on testcontainers instead of local processes. */
async function kafkaContainer() {
  if (!dockerAnswers()) return undefined;
  const { KafkaContainer } = await import('@testcontainers/kafka');
  const container = await new KafkaContainer('confluentinc/cp-kafka:7.9.0').withKraft().start();
  return {
    value: `${container.getHost()}:${container.getMappedPort(9093)}`,
    started: { description: 'Kafka container', stop: async () => void (await container.stop()) },
  };
}

async function postgresContainer() {
  if (!dockerAnswers()) return undefined;
  const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
  const container = await new PostgreSqlContainer('postgres:17-alpine').start();
  return {
    value: container.getConnectionUri(),
    started: { description: 'Postgres container', stop: async () => void (await container.stop()) },
  };
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
    const kafka = await provideKafka(log, kafkaContainer);
    if (kafka.started) started.push(kafka.started);
    const postgres = await providePostgres(TEST_DATABASE, log, postgresContainer);
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
