import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { Client } from 'pg';
import { Logger } from '@touchstream/logging';

/** The broker and database the global setup found or started. */
export function testInfrastructure(): { kafkaBrokers: string; databaseUrl: string } {
  return { kafkaBrokers: inject('kafkaBrokers'), databaseUrl: inject('databaseUrl') };
}

/**
 * A namespace per spec file: a unique topic prefix and a unique Postgres schema, so spec files
 * run in parallel against one broker and one database without seeing each other's data.
 */
export function testNamespace(label: string): { topicPrefix: string; schema: string; id: string } {
  const id = `${label
    .replace(/[^a-z0-9]/gi, '')
    .toLowerCase()
    .slice(0, 20)}_${randomBytes(4).toString('hex')}`;
  return { id, topicPrefix: `test.${id}`, schema: `t_${id}` };
}

/** Settings in the shape libs/kafka takes (this lib does not depend on it: libs/kafka's tests use this one). */
export function testKafkaSettings(topicPrefix: string, clientId = 'touchstream-test') {
  return { brokers: testInfrastructure().kafkaBrokers.split(','), clientId, topicPrefix };
}

/** Logs only warnings and errors, so test output stays readable. */
export function testLogger(service = 'test'): Logger {
  return new Logger({ service, level: process.env.LOG_LEVEL === 'debug' ? 'debug' : 'warn' });
}

export async function dropSchema(databaseUrl: string, schema: string): Promise<void> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema.replace(/"/g, '')}" CASCADE`);
  } finally {
    await client.end();
  }
}
