import { describe, expect, it } from 'vitest';
import { freePort, testKafkaSettings, testLogger, testNamespace } from '@touchstream/testing';
import { KafkaRuntime } from './runtime';

describe('KafkaRuntime.brokerReachable', () => {
  const logger = testLogger();

  it('is true while a broker answers', async () => {
    const runtime = new KafkaRuntime(testKafkaSettings(testNamespace('reachable').topicPrefix), logger);
    await expect(runtime.brokerReachable(5_000)).resolves.toBe(true);
  });

  it('is false, without retrying, where no broker listens', async () => {
    const runtime = new KafkaRuntime({ brokers: [`127.0.0.1:${await freePort()}`], clientId: 'unreachable' }, logger);
    await expect(runtime.brokerReachable(5_000)).resolves.toBe(false);
  });
});
