import { describe, it } from 'vitest';
import { expectServiceBootsAndStops, testInfrastructure, testNamespace } from '@touchstream/testing';

describe('ingest process', () => {
  const namespace = testNamespace('ingest-boot');

  it('boots on the real broker, answers /health, /ready and /metrics, and exits 0 on SIGTERM', async () => {
    const { kafkaBrokers } = testInfrastructure();
    await expectServiceBootsAndStops(
      'ingest',
      {
        KAFKA_BROKERS: kafkaBrokers,
        KAFKA_TOPIC_PREFIX: namespace.topicPrefix,
        LOG_LEVEL: 'warn',
      },
      'INGEST_PORT',
    );
  });
});
