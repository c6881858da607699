import { describe, expect, it } from 'vitest';
import { expectServiceBootsAndStops, startServiceProcess, testInfrastructure, testNamespace } from '@touchstream/testing';
import { basicAuth, pageEvent, post } from './testing/harness';

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

  it('as built (no test compiler), takes a batch with its own body parser and answers 401 without a write key', async () => {
    const running = await startServiceProcess(
      'ingest',
      {
        KAFKA_BROKERS: testInfrastructure().kafkaBrokers,
        KAFKA_TOPIC_PREFIX: namespace.topicPrefix,
        LOG_LEVEL: 'error',
        INGEST_WRITE_KEYS: 'built-key',
      },
      'INGEST_PORT',
    );
    try {
      const batch = JSON.stringify({ batch: [pageEvent(`${namespace.id}-built`, 'built-anon')] });
      expect(
        await post(`${running.url}/v1/batch`, batch, { authorization: basicAuth('built-key'), 'content-type': 'text/plain' }),
      ).toMatchObject({
        status: 200,
        body: { success: true, accepted: 1, rejected: [] },
      });
      expect(await post(`${running.url}/v1/batch`, batch)).toMatchObject({ status: 401, body: { error: 'unauthorized' } });
      expect(await post(`${running.url}/v1/batch`, '{', { authorization: basicAuth('built-key') })).toMatchObject({
        status: 400,
        body: { error: 'invalid_json' },
      });
    } finally {
      expect(await running.stop('SIGTERM'), running.output()).toBe(0);
    }
  });
});
