import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DEAD_LETTER_HEADERS, TOPICS } from '@touchstream/contracts';
import { testKafkaSettings, testLogger, testNamespace, waitFor } from '@touchstream/testing';
import { describeRetention } from './admin';
import { createKafka } from './client';
import { jsonDecoder } from './codec';
import { FatalError, RetriableError } from './errors';
import type { ConsumedMessage } from './messages';
import { KafkaRuntime } from './runtime';
import type { BatchConsumer } from './consumer';

const valueSchema = z.object({ n: z.number().int() });
type Value = z.infer<typeof valueSchema>;

describe('libs/kafka on a real broker', () => {
  const namespace = testNamespace('kafka');
  const settings = testKafkaSettings(namespace.topicPrefix);
  const logger = testLogger();
  let runtime: KafkaRuntime;

  beforeAll(async () => {
    runtime = new KafkaRuntime(settings, logger, { maxBatchMessages: 50 });
    await runtime.provision([TOPICS.rawEvents], ['lib-test-dlq', 'lib-test-retry']);
    await runtime.connectProducer();
  });

  afterAll(async () => {
    await runtime.shutdown();
  });

  it('provisions idempotently, keeping the raw topic forever', async () => {
    await expect(runtime.provision([TOPICS.rawEvents])).resolves.toEqual([runtime.topic(TOPICS.rawEvents)]);
    await expect(describeRetention(createKafka(settings, logger), runtime.topic(TOPICS.rawEvents))).resolves.toBe('-1');
  });

  it('produces concurrent sends with acks=all and consumes every message once, in order per key', async () => {
    const topic = runtime.topic('roundtrip.v1');
    await runtime.provision([{ name: 'roundtrip.v1', partitions: 3, retentionMs: 3_600_000, cleanupPolicy: 'delete' }]);
    // 20 callers at once, 10 messages each: the producer coalesces them into few requests.
    await Promise.all(
      Array.from({ length: 20 }, (_, caller) =>
        runtime.producer.send(
          topic,
          Array.from({ length: 10 }, (_, i) => ({ key: `key-${caller % 4}`, value: JSON.stringify({ n: caller * 10 + i }) })),
        ),
      ),
    );
    const seen: ConsumedMessage<Value>[] = [];
    await runtime.startConsumer<Value>({
      groupId: `${namespace.id}-roundtrip`,
      topics: [topic],
      decode: jsonDecoder(valueSchema),
      handle: async (messages) => void seen.push(...messages),
    });
    await waitFor(() => seen.length >= 200, { description: '200 messages consumed' });
    expect(seen.map((message) => message.value.n).sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, n) => n));
    for (const key of ['key-0', 'key-1', 'key-2', 'key-3']) {
      const values = seen.filter((message) => message.key === key).map((message) => message.value.n);
      const perCaller = new Map<number, number[]>();
      for (const n of values) perCaller.set(Math.floor(n / 10), [...(perCaller.get(Math.floor(n / 10)) ?? []), n]);
      for (const list of perCaller.values()) expect(list).toEqual([...list].sort((a, b) => a - b));
    }
  });

  it('delivers one send larger than the broker takes in one partition batch (message.max.bytes), all on one key', async () => {
    const topic = runtime.topic('oversize.v1');
    await runtime.provision([{ name: 'oversize.v1', partitions: 2, retentionMs: 3_600_000, cleanupPolicy: 'delete' }]);
    // 2,400 messages of ~1.2 KB on one key: ~2.9 MB in one partition, past the broker's 1 MB default.
    const messages = Array.from({ length: 2_400 }, (_, n) => ({
      key: 'one-subject',
      value: JSON.stringify({ n, pad: 'p'.repeat(1_200) }),
    }));
    await runtime.producer.send(topic, messages);
    const seen: number[] = [];
    await runtime.startConsumer<Value>({
      groupId: `${namespace.id}-oversize`,
      topics: [topic],
      decode: jsonDecoder(valueSchema),
      handle: async (batch) => void seen.push(...batch.map((message) => message.value.n)),
    });
    await waitFor(() => seen.length >= 2_400, { description: '2,400 messages consumed' });
    expect(seen).toEqual(Array.from({ length: 2_400 }, (_, n) => n));
  });

  it('counts headers and record framing against message.max.bytes: many small messages with trace headers on one key', async () => {
    // The producer's default request size (900 KB, 5,000 messages), unlike this suite's runtime.
    const own = new KafkaRuntime(settings, logger);
    await own.provision([{ name: 'headers.v1', partitions: 1, retentionMs: 3_600_000, cleanupPolicy: 'delete' }]);
    await own.connectProducer();
    try {
      // ~1 KB values with ~240 bytes of headers each, as an outbox relay sends facts: counting the
      // values alone, 890 of them fill a request, which is ~1.12 MB on the wire and refused.
      const headers = (n: number) => ({
        'ts-event-id': `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
        'ts-event-type': 'attribution.touch.recorded.v1',
        'ts-correlation-id': `11111111-1111-4111-8111-${String(n).padStart(12, '0')}`,
        'ts-causation-id': `22222222-2222-4222-8222-${String(n).padStart(12, '0')}`,
      });
      const messages = Array.from({ length: 2_400 }, (_, n) => ({
        key: 'one-visitor',
        value: JSON.stringify({ n, pad: 'p'.repeat(1_000) }),
        headers: headers(n),
      }));
      await own.producer.send(own.topic('headers.v1'), messages);
      const seen: number[] = [];
      await own.startConsumer<Value>({
        groupId: `${namespace.id}-headers`,
        topics: [own.topic('headers.v1')],
        decode: jsonDecoder(valueSchema),
        handle: async (batch) => void seen.push(...batch.map((message) => message.value.n)),
      });
      await waitFor(() => seen.length >= 2_400, { description: '2,400 messages consumed' });
      expect(seen).toEqual(Array.from({ length: 2_400 }, (_, n) => n));
    } finally {
      await own.shutdown();
    }
  });

  it('dead-letters a poison message with its reason and handles the rest of the batch', async () => {
    const topic = runtime.topic('poison.v1');
    await runtime.provision([{ name: 'poison.v1', partitions: 1, retentionMs: 3_600_000, cleanupPolicy: 'delete' }]);
    await runtime.producer.send(topic, [
      { key: 'a', value: JSON.stringify({ n: 1 }) },
      { key: 'b', value: 'not json' },
      { key: 'c', value: JSON.stringify({ n: 13 }) },
      { key: 'd', value: JSON.stringify({ n: 4 }) },
    ]);
    const handled: number[] = [];
    await runtime.startConsumer<Value>({
      groupId: 'lib-test-dlq',
      topics: [topic],
      decode: jsonDecoder(valueSchema),
      handle: async (messages) => {
        if (messages.some((message) => message.value.n === 13)) throw new FatalError('13 is unlucky');
        handled.push(...messages.map((message) => message.value.n));
      },
    });
    const reader = runtime.reader(runtime.topic('lib-test-dlq.dead-letter.v1'));
    await reader.start();
    const letters = await waitFor(() => reader.received().length >= 2 && reader.received(), { description: 'two dead letters' });
    await reader.stop();
    expect(handled.sort()).toEqual([1, 4]);
    const byKey = new Map(letters.map((letter) => [letter.key, letter]));
    expect([...byKey.keys()].sort()).toEqual(['b', 'c']);
    expect(byKey.get('b')?.headers[DEAD_LETTER_HEADERS.reason]).toMatch(/not JSON/);
    expect(byKey.get('b')?.value?.toString()).toBe('not json');
    expect(byKey.get('c')?.headers[DEAD_LETTER_HEADERS.reason]).toBe('13 is unlucky');
    expect(byKey.get('c')?.headers[DEAD_LETTER_HEADERS.sourceTopic]).toBe(topic);
    expect(JSON.parse(byKey.get('c')?.value?.toString() ?? '')).toEqual({ n: 13 });
  });

  it('retries a retriable failure and commits only after the handler succeeded (no loss, no skip)', async () => {
    const topic = runtime.topic('retry.v1');
    await runtime.provision([{ name: 'retry.v1', partitions: 1, retentionMs: 3_600_000, cleanupPolicy: 'delete' }]);
    await runtime.producer.send(
      topic,
      [1, 2, 3].map((n) => ({ key: 'k', value: JSON.stringify({ n }) })),
    );
    let attempts = 0;
    const handled: number[] = [];
    const consumer = await runtime.startConsumer<Value>({
      groupId: 'lib-test-retry',
      topics: [topic],
      decode: jsonDecoder(valueSchema),
      backoff: { initialMs: 10, maxMs: 50, factor: 2 },
      handle: async (messages) => {
        attempts += 1;
        if (attempts <= 2) throw new RetriableError('database briefly unavailable');
        handled.push(...messages.map((message) => message.value.n));
      },
    });
    await waitFor(() => handled.length >= 3, { description: 'the batch handled after retries' });
    expect(handled).toEqual([1, 2, 3]);
    expect(attempts).toBe(3);
    await consumer.stop();

    // A new member of the same group starts after the committed offset: nothing is redelivered.
    await runtime.producer.send(topic, [{ key: 'k', value: JSON.stringify({ n: 4 }) }]);
    const after: number[] = [];
    await runtime.startConsumer<Value>({
      groupId: 'lib-test-retry',
      topics: [topic],
      decode: jsonDecoder(valueSchema),
      handle: async (messages) => void after.push(...messages.map((message) => message.value.n)),
    });
    await waitFor(() => after.length >= 1, { description: 'the message sent after the commit' });
    expect(after).toEqual([4]);
  });

  it('redelivers a batch whose handler never succeeded before the consumer stopped', async () => {
    const topic = runtime.topic('redeliver.v1');
    const groupId = `${namespace.id}-redeliver`;
    await runtime.provision([{ name: 'redeliver.v1', partitions: 1, retentionMs: 3_600_000, cleanupPolicy: 'delete' }]);
    await runtime.producer.send(topic, [{ key: 'k', value: JSON.stringify({ n: 7 }) }]);
    let failing = 0;
    const crashing = await runtime.startConsumer<Value>({
      groupId,
      topics: [topic],
      decode: jsonDecoder(valueSchema),
      backoff: { initialMs: 5_000, maxMs: 5_000, factor: 1 },
      handle: async () => {
        failing += 1;
        throw new RetriableError('effect never became durable');
      },
    });
    await waitFor(() => failing >= 1, { description: 'the first attempt' });
    await crashing.stop();

    const redelivered: number[] = [];
    await runtime.startConsumer<Value>({
      groupId,
      topics: [topic],
      decode: jsonDecoder(valueSchema),
      handle: async (messages) => void redelivered.push(...messages.map((message) => message.value.n)),
    });
    await waitFor(() => redelivered.length >= 1, { description: 'redelivery to the next member' });
    expect(redelivered).toEqual([7]);
  });

  it('reports a group lag and rewinds a stopped group to the earliest offset or a timestamp', async () => {
    const topic = runtime.topic('rewind.v1');
    const groupId = `${namespace.id}-rewind`;
    await runtime.provision([{ name: 'rewind.v1', partitions: 1, retentionMs: 3_600_000, cleanupPolicy: 'delete' }]);
    const base = Date.now();
    await runtime.producer.send(
      topic,
      [1, 2, 3].map((n) => ({ key: 'k', value: JSON.stringify({ n }), timestamp: base + n * 60_000 })),
    );
    expect(await runtime.lag(groupId, [topic])).toEqual([{ topic, partition: 0, committed: 0, end: 3, lag: 3 }]);

    const seen: number[] = [];
    const consume = () =>
      runtime.startConsumer<Value>({
        groupId,
        topics: [topic],
        decode: jsonDecoder(valueSchema),
        handle: async (messages) => void seen.push(...messages.map((message) => message.value.n)),
      });
    let consumer = await consume();
    await waitFor(async () => (await runtime.lag(groupId, [topic]))[0]?.lag === 0, { description: 'lag 0' });
    await runtime.stopConsumer(consumer as BatchConsumer<unknown>);

    await runtime.resetGroup(groupId, [topic], new Date(base + 2 * 60_000));
    expect((await runtime.lag(groupId, [topic]))[0]?.lag).toBe(2);
    await runtime.resetGroup(groupId, [topic], 'earliest');
    consumer = await consume();
    await waitFor(() => seen.length >= 6, { description: 'replayed from the start' });
    expect(seen).toEqual([1, 2, 3, 1, 2, 3]);
  });

  it('refuses at once, naming KAFKA_SSL, a TLS client pointed at this plaintext listener', async () => {
    const tlsClient = new KafkaRuntime({ ...settings, tls: {} }, logger);
    const refused = await tlsClient.checkAccess(10_000).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toMatchObject({ name: 'KafkaAccessError', setting: 'KAFKA_SSL' });
    expect((refused as Error).message).toContain('does not speak TLS');
  });

  it('runs a consumer again that kafkajs abandoned after a crash it does not retry, and loses nothing', { timeout: 60_000 }, async () => {
    const topic = runtime.topic('abandoned.v1');
    await runtime.provision([{ name: 'abandoned.v1', partitions: 1, retentionMs: 3_600_000, cleanupPolicy: 'delete' }]);
    const own = new KafkaRuntime(settings, logger);
    let crashes = 0;
    // A TypeError escaping a batch is what kafkajs deems unrecoverable: it stops the consumer for good.
    own.observeConsumers(() => {
      if (crashes++ === 0) throw new TypeError('an observer bug');
    });
    const seen: number[] = [];
    try {
      await runtime.producer.send(topic, [{ key: 'k', value: JSON.stringify({ n: 1 }) }]);
      await own.startConsumer<Value>({
        groupId: `${namespace.id}-abandoned`,
        topics: [topic],
        decode: jsonDecoder(valueSchema),
        handle: async (messages) => void seen.push(...messages.map((message) => message.value.n)),
      });
      await waitFor(() => crashes >= 1, { description: 'the observer threw after the first batch' });
      await runtime.producer.send(topic, [{ key: 'k', value: JSON.stringify({ n: 2 }) }]);
      await waitFor(() => seen.includes(2), { timeoutMs: 30_000, description: 'the message after the crash consumed' });
      expect(seen.filter((n) => n === 1)).toHaveLength(1);
    } finally {
      await own.shutdown();
    }
  });

  it('stops each consumer once: stopping one after the runtime shut down is a no-op', async () => {
    const own = new KafkaRuntime(settings, logger);
    const consumer = await own.startConsumer<Value>({
      groupId: `${namespace.id}-stop-once`,
      topics: [runtime.topic(TOPICS.rawEvents)],
      decode: jsonDecoder(valueSchema),
      handle: async () => {},
    });
    let stops = 0;
    const stop = consumer.stop.bind(consumer);
    consumer.stop = () => {
      stops += 1;
      return stop();
    };
    await own.shutdown();
    await own.stopConsumer(consumer as BatchConsumer<unknown>);
    expect(stops).toBe(1);
    expect(consumer.isRunning()).toBe(false);
  });

  it('keeps two deployments with different prefixes and the same group name apart on one broker', async () => {
    // Each service's group name defaults to the same value everywhere ("attribution", ...). Were the
    // broker's group ids unprefixed, both deployments' members would join one group and its
    // assignment would hand each member partitions of the other's topic, which it never reads.
    const tenants = ['a', 'b'].map((tenant) => {
      const tenantSettings = testKafkaSettings(`${namespace.topicPrefix}.${tenant}`);
      return { tenant, runtime: new KafkaRuntime(tenantSettings, logger), seen: [] as ConsumedMessage<Value>[] };
    });
    const group = `${namespace.id}-shared-name`;
    try {
      for (const { runtime: tenantRuntime, seen } of tenants) {
        await tenantRuntime.provision([{ name: 'tenant.v1', partitions: 4, retentionMs: 3_600_000, cleanupPolicy: 'delete' }], [group]);
        await tenantRuntime.connectProducer();
        await tenantRuntime.startConsumer<Value>({
          groupId: group,
          topics: [tenantRuntime.topic('tenant.v1')],
          decode: jsonDecoder(valueSchema),
          handle: async (messages) => void seen.push(...messages),
        });
      }
      for (const [index, { runtime: tenantRuntime }] of tenants.entries()) {
        const values = Array.from({ length: 40 }, (_, n) => ({ key: `key-${n}`, value: JSON.stringify({ n: index * 1_000 + n }) }));
        await tenantRuntime.producer.send(tenantRuntime.topic('tenant.v1'), values);
      }
      await waitFor(() => tenants.every(({ seen }) => seen.length >= 40), { description: 'each tenant consumed its 40 messages' });
      for (const [index, { runtime: tenantRuntime, seen }] of tenants.entries()) {
        expect(new Set(seen.map((message) => message.topic))).toEqual(new Set([tenantRuntime.topic('tenant.v1')]));
        expect(seen.map((message) => message.value.n).sort((x, y) => x - y)).toEqual(
          Array.from({ length: 40 }, (_, n) => index * 1_000 + n),
        );
        expect(tenantRuntime.group(group)).toBe(`${namespace.topicPrefix}.${tenants[index]?.tenant}.${group}`);
        // The broker keeps each tenant's commits under its own prefixed group.
        const committed = async () =>
          (await tenantRuntime.lag(group, [tenantRuntime.topic('tenant.v1')])).reduce((sum, partition) => sum + partition.committed, 0);
        await waitFor(async () => (await committed()) === 40, { description: `tenant ${index}: 40 offsets committed` });
      }
    } finally {
      for (const { runtime: tenantRuntime } of tenants) await tenantRuntime.shutdown();
    }
  });
});
