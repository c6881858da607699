import { afterAll, describe, it } from 'vitest';
import { dropSchema, expectServiceBootsAndStops, testInfrastructure, testNamespace } from '@touchstream/testing';

describe('identity process', () => {
  const namespace = testNamespace('identity-boot');

  afterAll(async () => {
    await dropSchema(testInfrastructure().databaseUrl, namespace.schema);
  });

  it('boots on the real broker, answers /health, /ready and /metrics, and exits 0 on SIGTERM', async () => {
    const { kafkaBrokers, databaseUrl } = testInfrastructure();
    await expectServiceBootsAndStops(
      'identity',
      {
        KAFKA_BROKERS: kafkaBrokers,
        KAFKA_TOPIC_PREFIX: namespace.topicPrefix,
        DATABASE_URL: databaseUrl,
        IDENTITY_DB_SCHEMA: namespace.schema,
        LOG_LEVEL: 'warn',
      },
      'IDENTITY_PORT',
    );
  });
});
