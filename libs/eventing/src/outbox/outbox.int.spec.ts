import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DataSource } from 'typeorm';
import { DEAD_LETTER_HEADERS, deadLetterTopic } from '@touchstream/contracts';
import { createDataSource, migrate } from '@touchstream/database';
import { KafkaRuntime } from '@touchstream/kafka';
import {
  EventingTestSchema,
  dropSchema,
  readOutboxEvents,
  testInfrastructure,
  testKafkaSettings,
  testLogger,
  testNamespace,
  waitFor,
} from '@touchstream/testing';
import { OutboxRelay } from './outbox-relay';
import { outboxDeadLetters } from './outbox-dead-letters';
import {
  OutboxBatches1769000000000,
  OutboxDeadLetters1767000000000,
  OutboxUncompressed1768000000000,
  OutboxPayloadText1766200000000,
  PlatformTables1764370000000,
  appendToOutbox,
  applyOncePerOffset,
} from '..';

/** Thrown to roll a test's transaction back. */
class Rollback extends Error {}

describe('transactional outbox and once-per-offset effects on the real Postgres and broker', () => {
  const eventing = new EventingTestSchema('outbox', 4);
  const { namespace } = eventing;
  const logger = testLogger();
  let dataSource: DataSource;
  let runtime: KafkaRuntime;
  let relay: OutboxRelay;
  const topicSpec = { name: 'outbox-test.v1', partitions: 1, retentionMs: 3_600_000, cleanupPolicy: 'delete' as const };

  beforeAll(async () => {
    dataSource = await eventing.open();
    runtime = new KafkaRuntime(testKafkaSettings(namespace.topicPrefix), logger);
    await runtime.provision([topicSpec]);
    await runtime.connectProducer();
    relay = new OutboxRelay(dataSource, runtime.producer, logger, {
      schema: namespace.schema,
      idlePollMs: 50,
      publishDeadLetter: outboxDeadLetters(runtime, namespace.schema),
    });
  });

  /** The events in the outbox (pending, or sent and kept) whose ids start with `prefix`. */
  const eventsIn = (prefix: string) => eventing.outboxEvents(prefix);

  afterAll(async () => {
    await relay.stop();
    await runtime.shutdown();
    await eventing.close();
  });

  it("connects with Postgres's JIT off (createDataSource: short lookups must not pay for compiling)", async () => {
    const rows: Array<{ jit: string }> = await dataSource.query('SHOW jit');
    expect(rows[0]?.jit).toBe('off');
  });

  it("stores a transaction's events as one row, in order, its payloads compressed with lz4 (uncompressed where the server lacks lz4)", async () => {
    const topic = runtime.topic(topicSpec);
    const text = (bytes: number) => Array.from({ length: bytes / 32 }, () => 'utm_source=newsletter&utm_medium=').join('');
    const rows = [
      { eventId: 'size-3k', topic, key: 'k', payload: { text: text(3_000) }, headers: { 'x-event-id': 'size-3k' } },
      { eventId: 'size-20k', topic, key: null, payload: { text: text(20_000), line: 'a\nb' } },
    ];
    await dataSource
      .transaction(async (tx) => {
        expect(await appendToOutbox(tx, namespace.schema, rows)).toBe(2);
        const stored: Array<{ event_count: number; compression: string | null; stored: number; length: number }> = await tx.query(
          `SELECT event_count, pg_column_compression(payloads) AS compression, pg_column_size(payloads) AS stored,
                  octet_length(payloads) AS length FROM ${namespace.schema}.outbox`,
        );
        const [server] = await tx.query<Array<{ lz4: boolean }>>(
          `SELECT 'lz4' = ANY(enumvals) AS lz4 FROM pg_settings WHERE name = 'default_toast_compression'`,
        );
        expect(stored).toHaveLength(1);
        if (server?.lz4) {
          expect(stored[0]).toMatchObject({ event_count: 2, compression: 'lz4' });
          expect(stored[0]?.stored).toBeLessThan((stored[0]?.length ?? 0) / 4);
        } else {
          expect(stored[0]).toMatchObject({ event_count: 2, compression: null });
          expect(stored[0]?.stored).toBeGreaterThanOrEqual(stored[0]?.length ?? 0);
        }
        const events = await readOutboxEvents((sql) => tx.query(sql), namespace.schema);
        expect(events.map(({ eventId, topic, key, headers, payload }) => ({ eventId, topic, key, headers, payload }))).toEqual(
          rows.map((row) => ({
            eventId: row.eventId,
            topic,
            key: row.key,
            headers: row.headers ?? {},
            payload: JSON.stringify(row.payload),
          })),
        );
        throw new Rollback();
      })
      .catch((error: unknown) => {
        if (!(error instanceof Rollback)) throw error;
      });
  });

  it('publishes committed events once, in order, and drops rolled-back ones', async () => {
    const topic = runtime.topic(topicSpec);
    const row = (n: number) => ({ eventId: `event-${n}`, topic, key: 'k', payload: { n } });
    await dataSource.transaction(async (tx) => {
      expect(await appendToOutbox(tx, namespace.schema, [row(1), row(2)])).toBe(2);
    });
    await dataSource.transaction(async (tx) => {
      expect(await appendToOutbox(tx, namespace.schema, [row(3)])).toBe(1);
    });
    await expect(
      dataSource.transaction(async (tx) => {
        await appendToOutbox(tx, namespace.schema, [row(4)]);
        throw new Error('the effect failed');
      }),
    ).rejects.toThrow('the effect failed');
    expect(await relay.pending()).toBe(3);

    const reader = runtime.reader(topic);
    await reader.start();
    relay.start();
    relay.notify();
    const values = await waitFor(() => reader.received().length >= 3 && reader.json<{ n: number }>(), { description: '3 published rows' });
    expect(values.map((value) => value.n)).toEqual([1, 2, 3]);
    await waitFor(async () => (await relay.pending()) === 0, { description: 'rows marked sent' });
    expect(await relay.drain()).toBe(0);
    expect(reader.received()).toHaveLength(3);
    await reader.stop();
  });

  it('publishes each payload as the exact text it was written with (key order, no added spaces)', async () => {
    const topic = runtime.topic(topicSpec);
    const reader = runtime.reader(topic);
    await reader.start();
    const payload = { zebra: 1, apple: 'x y', nested: { b: [1, 2], a: null }, text: 'caf\u00e9 "quoted"' };
    await dataSource.transaction((tx) =>
      appendToOutbox(tx, namespace.schema, [{ eventId: 'exact-text', topic, key: 'k', payload }]).then(() => undefined),
    );
    relay.start();
    relay.notify();
    const published = await waitFor(
      () =>
        reader
          .received()
          .find((message) => message.value?.toString('utf8').includes('zebra'))
          ?.value?.toString('utf8'),
      { description: 'the row published' },
    );
    expect(published).toBe(JSON.stringify(payload));
    await reader.stop();
  });

  it('publishes a batch in seq order even where the seqs cross a power of ten ("9" sorts after "10" as text)', async () => {
    const topic = runtime.topic(topicSpec);
    const reader = runtime.reader(topic);
    await reader.start();
    // Twelve transactions of one event: the relay takes their rows in one batch, and their seqs
    // include one- and two-digit numbers (the tests above used fewer than nine). The running
    // relay would publish the first rows while the later ones are written: stopped here.
    await relay.stop();
    const rows = Array.from({ length: 12 }, (_, i) => ({ eventId: `ordered-${i}`, topic, key: 'k', payload: { i } }));
    for (const row of rows) await dataSource.transaction((tx) => appendToOutbox(tx, namespace.schema, [row]).then(() => undefined));
    const seqs = (await eventsIn('ordered-')).map((event) => event.seq);
    expect(new Set(seqs.map((seq) => seq.length))).toEqual(new Set([1, 2]));
    expect(await relay.drain()).toBe(12);
    // The reader reads the topic from the start: the earlier test's rows carry `n`, these `i`.
    const ordered = () => reader.json<{ i?: number }>().filter((value) => value.i !== undefined);
    const values = await waitFor(() => ordered().length >= 12 && ordered(), { description: '12 rows published' });
    expect(values.map((value) => value.i)).toEqual(rows.map((row) => row.payload.i));
    await reader.stop();
  });

  it('deletes each row once the broker acknowledged it (by default), and with keepSentMs marks it sent and keeps it instead', async () => {
    const topic = runtime.topic(topicSpec);
    const rowsOf = async (prefix: string) => (await eventsIn(`${prefix}-`)).map(({ eventId, sent }) => ({ event_id: eventId, sent }));
    const write = (prefix: string) =>
      dataSource.transaction((tx) =>
        appendToOutbox(
          tx,
          namespace.schema,
          [1, 2].map((n) => ({ eventId: `${prefix}-${n}`, topic, key: 'k', payload: { prefix, n } })),
        ).then(() => undefined),
      );

    await write('deleted');
    expect(await rowsOf('deleted')).toHaveLength(2);
    expect(await relay.drain()).toBe(2);
    expect(await rowsOf('deleted')).toEqual([]);

    const keeping = new OutboxRelay(dataSource, runtime.producer, logger, {
      schema: namespace.schema,
      keepSentMs: 60_000,
      publishDeadLetter: outboxDeadLetters(runtime, namespace.schema),
    });
    await write('kept');
    expect(await keeping.drain()).toBe(2);
    expect(await rowsOf('kept')).toEqual([
      { event_id: 'kept-1', sent: true },
      { event_id: 'kept-2', sent: true },
    ]);
    expect(await keeping.pending()).toBe(0);
    // Both modes published both pairs, once each.
    const reader = runtime.reader(topic);
    await reader.start();
    const published = () => reader.json<{ prefix?: string; n?: number }>().filter((value) => value.prefix !== undefined);
    const values = await waitFor(() => published().length >= 4 && published(), { description: '4 rows published' });
    expect(values).toEqual([
      { prefix: 'deleted', n: 1 },
      { prefix: 'deleted', n: 2 },
      { prefix: 'kept', n: 1 },
      { prefix: 'kept', n: 2 },
    ]);
    await reader.stop();
  });

  it('copies an event the broker refuses to outbox_dead_letters with a dead-letter record, and publishes the events around it', async () => {
    const topic = runtime.topic(topicSpec);
    // The earlier tests' relay would race this drain for the rows: make sure it is stopped.
    await relay.stop();
    // Over the broker's message.max.bytes (1 MB by default): refused however often it is sent.
    const oversize = { part: 'refused', pad: 'x'.repeat(1_200_000) };
    await dataSource.transaction((tx) =>
      appendToOutbox(tx, namespace.schema, [
        { eventId: 'around-1', topic, key: 'k', payload: { part: 'before' } },
        { eventId: 'refused', topic, key: 'k', payload: oversize },
        { eventId: 'around-2', topic, key: 'k', payload: { part: 'after' } },
      ]).then(() => undefined),
    );
    const [refusedRow] = await eventsIn('refused');

    expect(await relay.drain()).toBe(3);
    expect(await relay.pending()).toBe(0);
    const kept = await dataSource.query<Array<{ event_id: string; seq: string; event_index: number; reason: string; bytes: number }>>(
      `SELECT event_id, seq::text AS seq, event_index, reason, octet_length(payload::text) AS bytes FROM ${namespace.schema}.outbox_dead_letters`,
    );
    expect(kept).toEqual([
      {
        event_id: 'refused',
        seq: refusedRow?.seq,
        event_index: 1,
        reason: expect.stringContaining('larger than the max message size'),
        bytes: JSON.stringify(oversize).length,
      },
    ]);

    const reader = runtime.reader(topic);
    await reader.start();
    const parts = () => reader.json<{ part?: string }>().filter((value) => value.part !== undefined);
    const published = await waitFor(() => parts().length >= 2 && parts(), { description: 'the two rows around the refused one' });
    expect(published.map((value) => value.part)).toEqual(['before', 'after']);
    await reader.stop();

    const deadLetters = runtime.reader(runtime.topic(deadLetterTopic(`outbox-relay.${namespace.schema}`)));
    await deadLetters.start();
    const [record] = await waitFor(() => deadLetters.received().length >= 1 && deadLetters.received(), {
      description: 'the dead-letter record',
    });
    expect(record?.key).toBe('k');
    expect(record?.headers[DEAD_LETTER_HEADERS.outboxSeq]).toBe(refusedRow?.seq);
    expect(record?.headers[DEAD_LETTER_HEADERS.outboxEventIndex]).toBe('1');
    expect(record?.headers[DEAD_LETTER_HEADERS.sourceTopic]).toBe(topic);
    expect(record?.headers[DEAD_LETTER_HEADERS.errorName]).toBe('RecordRefusedError');
    expect(record?.headers[DEAD_LETTER_HEADERS.reason]).toContain('larger than the max message size');
    await deadLetters.stop();
  });

  it('reads whole rows up to batchSize events a round: a row larger than the batch goes out whole, the next waits', async () => {
    const topic = runtime.topic(topicSpec);
    await relay.stop();
    const rounds: number[] = [];
    const small = new OutboxRelay(dataSource, runtime.producer, logger, {
      schema: namespace.schema,
      batchSize: 2,
      publishDeadLetter: outboxDeadLetters(runtime, namespace.schema),
      onPublished: (count) => rounds.push(count),
    });
    const write = (ids: number[]) =>
      dataSource.transaction((tx) =>
        appendToOutbox(
          tx,
          namespace.schema,
          ids.map((w) => ({ eventId: `whole-${w}`, topic, key: 'k', payload: { w } })),
        ).then(() => undefined),
      );
    await write([1, 2, 3]);
    await write([4]);
    await write([5]);
    expect(await small.pending()).toBe(5);
    expect(await small.drain()).toBe(5);
    expect(rounds).toEqual([3, 2]);
    const reader = runtime.reader(topic);
    await reader.start();
    const whole = () => reader.json<{ w?: number }>().filter((value) => value.w !== undefined);
    const values = await waitFor(() => whole().length >= 5 && whole(), { description: '5 events published' });
    expect(values.map((value) => value.w)).toEqual([1, 2, 3, 4, 5]);
    await reader.stop();
  });

  it('publishes an event pending from before the batched layout, after the upgrade, as it was written', async () => {
    const old = testNamespace('outbox-upgrade');
    const before = [
      PlatformTables1764370000000,
      OutboxPayloadText1766200000000,
      OutboxDeadLetters1767000000000,
      OutboxUncompressed1768000000000,
    ];
    const settings = { url: testInfrastructure().databaseUrl, schema: old.schema, poolSize: 2 };
    const legacy = createDataSource(settings, before);
    await legacy.initialize();
    try {
      await migrate(legacy);
      await legacy.query(
        `INSERT INTO ${old.schema}.outbox (event_id, topic, message_key, payload, headers) VALUES
           ('legacy-1', 'legacy-topic', 'k1', '{"b": 1, "a": "x"}', '{"x-event-id": "legacy-1"}'),
           ('legacy-2', 'legacy-topic', NULL, '{"n":2}', '{}')`,
      );
    } finally {
      await legacy.destroy();
    }
    const upgraded = createDataSource(settings, [...before, OutboxBatches1769000000000]);
    await upgraded.initialize();
    try {
      await migrate(upgraded);
      const events = await readOutboxEvents((sql) => upgraded.query(sql), old.schema);
      expect(events.map(({ eventId, topic, key, payload, headers }) => ({ eventId, topic, key, payload, headers }))).toEqual([
        { eventId: 'legacy-1', topic: 'legacy-topic', key: 'k1', payload: '{"b": 1, "a": "x"}', headers: { 'x-event-id': 'legacy-1' } },
        { eventId: 'legacy-2', topic: 'legacy-topic', key: null, payload: '{"n":2}', headers: {} },
      ]);
      await upgraded.undoLastMigration();
      const reverted: Array<{ event_id: string; payload: unknown }> = await upgraded.query(
        `SELECT event_id, payload FROM ${old.schema}.outbox ORDER BY seq`,
      );
      expect(reverted).toEqual([
        { event_id: 'legacy-1', payload: { b: 1, a: 'x' } },
        { event_id: 'legacy-2', payload: { n: 2 } },
      ]);
    } finally {
      await upgraded.destroy();
      await dropSchema(testInfrastructure().databaseUrl, old.schema);
    }
  });

  it('applies a redelivered batch once: offsets already applied are skipped, in the same transaction as the effect', async () => {
    const applied: string[] = [];
    const batch = [0, 1, 2].map((offset) => ({ topic: 't', partition: 0, offset: String(offset), id: `m${offset}` }));
    const effect = async (fresh: typeof batch) => void applied.push(...fresh.map((message) => message.id));
    await applyOncePerOffset(dataSource.manager, namespace.schema, 'group-a', batch, effect);
    // Kafka's commit was lost: the same batch plus one new message comes again.
    const again = await applyOncePerOffset(
      dataSource.manager,
      namespace.schema,
      'group-a',
      [...batch, { topic: 't', partition: 0, offset: '3', id: 'm3' }],
      effect,
    );
    expect(again.map((message) => message.id)).toEqual(['m3']);
    expect(applied).toEqual(['m0', 'm1', 'm2', 'm3']);
    // Another group keeps its own positions.
    await applyOncePerOffset(dataSource.manager, namespace.schema, 'group-b', batch.slice(0, 1), effect);
    expect(applied).toEqual(['m0', 'm1', 'm2', 'm3', 'm0']);
  });

  it('stores no position when the effect fails, so the batch is applied when it comes again', async () => {
    const batch = [{ topic: 't', partition: 1, offset: '10', id: 'x' }];
    await expect(
      applyOncePerOffset(dataSource.manager, namespace.schema, 'group-c', batch, async () => {
        throw new Error('constraint violated');
      }),
    ).rejects.toThrow('constraint violated');
    const applied = await applyOncePerOffset(dataSource.manager, namespace.schema, 'group-c', batch, async () => undefined);
    expect(applied).toHaveLength(1);
  });
});
