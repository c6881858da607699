import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DEAD_LETTER_HEADERS } from '@touchstream/contracts';
import { testKafkaSettings, testLogger, testNamespace, waitFor } from '@touchstream/testing';
import { jsonDecoder } from './codec';
import { KafkaRuntime } from './runtime';

const valueSchema = z.object({ n: z.number().int() });
type Value = z.infer<typeof valueSchema>;

/** An error as node-postgres raises it for a value Postgres refuses (its text quotes the value). */
const refused = (n: number) => Object.assign(new Error(`invalid input syntax for type timestamp: "${n}"`), { code: '22007' });

describe('BatchConsumer isolating failures on a real broker', () => {
  const namespace = testNamespace('kafka-isolation');
  const runtime = new KafkaRuntime(testKafkaSettings(namespace.topicPrefix), testLogger());
  const groups = { poison: `${namespace.id}-poison`, unknown: `${namespace.id}-unknown` };

  beforeAll(async () => {
    await runtime.provision([], Object.values(groups));
    await runtime.connectProducer();
  });

  afterAll(async () => {
    await runtime.shutdown();
  });

  async function topicWith(name: string, values: number[]): Promise<string> {
    await runtime.provision([{ name, partitions: 1, retentionMs: 3_600_000, cleanupPolicy: 'delete' }]);
    const topic = runtime.topic(name);
    await runtime.producer.send(
      topic,
      values.map((n) => ({ key: 'one', value: JSON.stringify({ n }) })),
    );
    return topic;
  }

  it('dead-letters the records Postgres refuses, applies the rest in order, and never dead-letters a transient failure met while isolating', async () => {
    const topic = await topicWith('isolate.v1', [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const applied: number[] = [];
    let transientLeft = 3;
    await runtime.startConsumer<Value>({
      groupId: groups.poison,
      topics: [topic],
      decode: jsonDecoder(valueSchema),
      backoff: { initialMs: 10, maxMs: 50, factor: 2 },
      // All or nothing, like a transaction: a refused record fails its whole part.
      handle: async (messages) => {
        const values = messages.map((message) => message.value.n);
        const poison = values.find((n) => n === 3 || n === 8);
        if (poison !== undefined) throw refused(poison);
        if (values.includes(6) && transientLeft > 0) {
          transientLeft -= 1;
          throw Object.assign(new Error('could not serialize access'), { code: '40001' });
        }
        applied.push(...values);
      },
    });
    await waitFor(() => applied.length >= 8, { description: 'the eight good records applied' });
    expect(applied).toEqual([1, 2, 4, 5, 6, 7, 9, 10]);
    expect(transientLeft).toBe(0);
    const reader = runtime.reader(runtime.topic(`${groups.poison}.dead-letter.v1`));
    await reader.start();
    const letters = await waitFor(() => reader.received().length >= 2 && reader.received(), { description: 'two dead letters' });
    await reader.stop();
    expect(letters.map((letter) => JSON.parse(letter.value?.toString('utf8') ?? '') as Value)).toEqual([{ n: 3 }, { n: 8 }]);
    for (const letter of letters) {
      expect(letter.headers[DEAD_LETTER_HEADERS.reason]).toBe('Postgres refused the record: SQLSTATE 22007 (invalid_datetime_format)');
      expect(letter.headers[DEAD_LETTER_HEADERS.errorName]).toBe('PostgresDataError');
    }
    expect(await runtime.lag(groups.poison, [topic])).toEqual([{ topic, partition: 0, committed: 10, end: 10, lag: 0 }]);
  });

  it('applies what precedes a record failing with an unknown error, never dead-letters it, reports the partition stuck until it succeeds', async () => {
    const topic = await topicWith('unknown.v1', [1, 2, 3, 4, 5]);
    const applied: number[] = [];
    let broken = true;
    const consumer = await runtime.startConsumer<Value>({
      groupId: groups.unknown,
      topics: [topic],
      decode: jsonDecoder(valueSchema),
      maxRetriableAttempts: 2,
      backoff: { initialMs: 10, maxMs: 50, factor: 2 },
      stuckAfterMs: 500,
      handle: async (messages) => {
        const values = messages.map((message) => message.value.n);
        if (broken && values.includes(3)) throw new TypeError('a bug meets record 3');
        applied.push(...values);
      },
    });
    const [stuck] = await waitFor(() => consumer.stuckPartitions().length > 0 && consumer.stuckPartitions(), {
      description: 'the partition reported stuck',
    });
    expect(stuck).toMatchObject({ groupId: groups.unknown, topic, partition: 0, offset: '2', lastError: 'TypeError' });
    expect(applied).toEqual([1, 2]);
    expect(await runtime.lag(groups.unknown, [topic])).toEqual([{ topic, partition: 0, committed: 2, end: 5, lag: 3 }]);

    broken = false;
    await waitFor(() => applied.length >= 5, { description: 'the rest applied once the bug is gone' });
    expect(applied).toEqual([1, 2, 3, 4, 5]);
    await waitFor(() => consumer.stuckPartitions().length === 0, { description: 'the partition no longer stuck' });
    const deadLetters = await runtime.lag(`${namespace.id}-dead-letter-count`, [runtime.topic(`${groups.unknown}.dead-letter.v1`)]);
    expect(deadLetters.reduce((sum, partition) => sum + partition.end, 0)).toBe(0);
  });
});
