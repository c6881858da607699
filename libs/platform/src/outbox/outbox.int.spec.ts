import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DataSource } from 'typeorm';
import { DEAD_LETTER_HEADERS, deadLetterTopic } from '@touchstream/contracts';
import {
  OutboxDeadLetters1767000000000,
  OutboxUncompressed1768000000000,
  OutboxPayloadText1766200000000,
  PlatformTables1764370000000,
  appendToOutbox,
  applyOncePerOffset,
  createDataSource,
  migrate,
} from '@touchstream/database';
import { KafkaRuntime } from '@touchstream/kafka';
import { dropSchema, testInfrastructure, testKafkaSettings, testLogger, testNamespace, waitFor } from '@touchstream/testing';
import { OutboxRelay } from './outbox-relay';
import { outboxDeadLetters } from './outbox.module';

/** Thrown to roll a test's transaction back. */
class Rollback extends Error {}

describe('transactional outbox and once-per-offset effects on the real Postgres and broker', () => {
  const namespace = testNamespace('outbox');
  const logger = testLogger();
  let dataSource: DataSource;
  let runtime: KafkaRuntime;
  let relay: OutboxRelay;
  const topicSpec = { name: 'outbox-test.v1', partitions: 1, retentionMs: 3_600_000, cleanupPolicy: 'delete' as const };

  beforeAll(async () => {
    dataSource = createDataSource({ url: testInfrastructure().databaseUrl, schema: namespace.schema, poolSize: 4 }, [
      PlatformTables1764370000000,
      OutboxPayloadText1766200000000,
      OutboxDeadLetters1767000000000,
      OutboxUncompressed1768000000000,
    ]);
    await dataSource.initialize();
    await migrate(dataSource);
    runtime = new KafkaRuntime(testKafkaSettings(namespace.topicPrefix), logger);
    await runtime.provision([topicSpec]);
    await runtime.connectProducer();
    relay = new OutboxRelay(dataSource, runtime.producer, logger, {
      schema: namespace.schema,
      idlePollMs: 50,
      publishDeadLetter: outboxDeadLetters(runtime, namespace.schema),
    });
  });

  afterAll(async () => {
    await relay.stop();
    await runtime.shutdown();
    await dataSource.destroy();
    await dropSchema(testInfrastructure().databaseUrl, namespace.schema);
  });

  it("connects with Postgres's JIT off (createDataSource: short lookups must not pay for compiling)", async () => {
    const rows: Array<{ jit: string }> = await dataSource.query('SHOW jit');
    expect(rows[0]?.jit).toBe('off');
  });

  it('stores a payload of a few kB as it is (no compression to undo on the relay read), and a larger one compressed', async () => {
    const topic = runtime.topic(topicSpec);
    // A user-sources fact is about 2.1 kB of JSON; Postgres compresses from about 2 kB by default.
    const text = (bytes: number) => Array.from({ length: bytes / 32 }, () => 'utm_source=newsletter&utm_medium=').join('');
    const rows = [
      { eventId: 'size-3k', topic, key: 'k', payload: { text: text(3_000) } },
      { eventId: 'size-20k', topic, key: 'k', payload: { text: text(20_000) } },
    ];
    await dataSource
      .transaction(async (tx) => {
        await appendToOutbox(tx, namespace.schema, rows);
        const sizes: Array<{ event_id: string; stored: number; length: number }> = await tx.query(
          `SELECT event_id, pg_column_size(payload) AS stored, octet_length(payload::text) AS length FROM ${namespace.schema}.outbox
         WHERE event_id LIKE 'size-%' ORDER BY event_id`,
        );
        expect(sizes.map(({ event_id, stored, length }) => [event_id, stored >= length])).toEqual([
          ['size-20k', false],
          ['size-3k', true],
        ]);
        throw new Rollback();
      })
      .catch((error: unknown) => {
        if (!(error instanceof Rollback)) throw error;
      });
  });

  it('publishes committed rows once, in order, ignores a second write of the same event id, and drops rolled-back rows', async () => {
    const topic = runtime.topic(topicSpec);
    const row = (n: number) => ({ eventId: `event-${n}`, topic, key: 'k', payload: { n } });
    await dataSource.transaction(async (tx) => {
      expect(await appendToOutbox(tx, namespace.schema, [row(1), row(2)])).toBe(2);
    });
    await dataSource.transaction(async (tx) => {
      expect(await appendToOutbox(tx, namespace.schema, [row(2), row(3)])).toBe(1);
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
    // Twelve rows in one transaction: the relay takes them in one batch, and their seqs include
    // one- and two-digit numbers whichever test ran first.
    const rows = Array.from({ length: 12 }, (_, i) => ({ eventId: `ordered-${i}`, topic, key: 'k', payload: { i } }));
    await dataSource.transaction((tx) => appendToOutbox(tx, namespace.schema, rows).then(() => undefined));
    const seqs: Array<{ seq: string }> = await dataSource.query(
      `SELECT seq::text AS seq FROM ${namespace.schema}.outbox WHERE event_id LIKE 'ordered-%' ORDER BY seq`,
    );
    expect(new Set(seqs.map((row) => row.seq.length))).toEqual(new Set([1, 2]));
    relay.start();
    relay.notify();
    // The reader reads the topic from the start: the earlier test's rows carry `n`, these `i`.
    const ordered = () => reader.json<{ i?: number }>().filter((value) => value.i !== undefined);
    const values = await waitFor(() => ordered().length >= 12 && ordered(), { description: '12 rows published' });
    expect(values.map((value) => value.i)).toEqual(rows.map((row) => row.payload.i));
    await reader.stop();
  });

  it('deletes each row once the broker acknowledged it (by default), and with keepSentMs marks it sent and keeps it instead', async () => {
    const topic = runtime.topic(topicSpec);
    const rowsOf = (prefix: string) =>
      dataSource.query<Array<{ event_id: string; sent: boolean }>>(
        `SELECT event_id, sent_at IS NOT NULL AS sent FROM ${namespace.schema}.outbox WHERE event_id LIKE $1 ORDER BY seq`,
        [`${prefix}-%`],
      );
    const write = (prefix: string) =>
      dataSource.transaction((tx) =>
        appendToOutbox(
          tx,
          namespace.schema,
          [1, 2].map((n) => ({ eventId: `${prefix}-${n}`, topic, key: 'k', payload: { prefix, n } })),
        ).then(() => undefined),
      );

    // The relay the earlier tests started would race these drains for the rows: stopped here.
    await relay.stop();
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

  it('moves a row the broker refuses to outbox_dead_letters with a dead-letter record, and publishes the rows around it', async () => {
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
    const [refusedRow] = await dataSource.query<Array<{ seq: string }>>(
      `SELECT seq::text AS seq FROM ${namespace.schema}.outbox WHERE event_id = 'refused'`,
    );

    expect(await relay.drain()).toBe(3);
    expect(await relay.pending()).toBe(0);
    const kept = await dataSource.query<Array<{ event_id: string; seq: string; reason: string; bytes: number }>>(
      `SELECT event_id, seq::text AS seq, reason, octet_length(payload::text) AS bytes FROM ${namespace.schema}.outbox_dead_letters`,
    );
    expect(kept).toEqual([
      {
        event_id: 'refused',
        seq: refusedRow?.seq,
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
    expect(record?.headers[DEAD_LETTER_HEADERS.sourceTopic]).toBe(topic);
    expect(record?.headers[DEAD_LETTER_HEADERS.errorName]).toBe('RecordRefusedError');
    expect(record?.headers[DEAD_LETTER_HEADERS.reason]).toContain('larger than the max message size');
    await deadLetters.stop();
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
