import { describe, expect, it } from 'vitest';
import { parseImportEnv } from './config';

describe('parseImportEnv', () => {
  it('applies defaults', () => {
    expect(parseImportEnv({})).toEqual({
      ok: true,
      env: { brokers: ['127.0.0.1:19092'], topicPrefix: undefined, partitions: undefined, replicationFactor: undefined, logLevel: 'warn' },
    });
  });

  it('reads every setting', () => {
    const result = parseImportEnv({
      KAFKA_BROKERS: 'a:1, b:2',
      KAFKA_TOPIC_PREFIX: 'demo.run-1',
      KAFKA_TOPIC_PARTITIONS: '3',
      KAFKA_REPLICATION_FACTOR: '1',
      LOG_LEVEL: 'debug',
    });
    expect(result).toEqual({
      ok: true,
      env: { brokers: ['a:1', 'b:2'], topicPrefix: 'demo.run-1', partitions: 3, replicationFactor: 1, logLevel: 'debug' },
    });
  });

  it('lists every problem at once', () => {
    const result = parseImportEnv({
      KAFKA_BROKERS: 'nohost',
      KAFKA_TOPIC_PREFIX: 'bad prefix!',
      KAFKA_TOPIC_PARTITIONS: 'many',
      LOG_LEVEL: 'loud',
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toHaveLength(4);
    expect(result.problems.join('\n')).toMatch(/KAFKA_BROKERS entry "nohost" is not host:port/);
    expect(result.problems.join('\n')).toMatch(/KAFKA_TOPIC_PREFIX/);
    expect(result.problems.join('\n')).toMatch(/KAFKA_TOPIC_PARTITIONS must be an integer/);
    expect(result.problems.join('\n')).toMatch(/LOG_LEVEL/);
  });
});
