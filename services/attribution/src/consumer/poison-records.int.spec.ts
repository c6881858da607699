import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEAD_LETTER_HEADERS, type RawEvent } from '@touchstream/contracts';
import { envelopeMessage, type TopicReader } from '@touchstream/kafka';
import { POISON_KINDS, poisonEvent, waitFor, type PoisonKind } from '@touchstream/testing';
import { AttributionTestbed, pageEvent, SHOP } from '../testing/harness';

const AT = '2026-03-02T10:00:00.000Z';

/** A page view of the poison's kind: the userId kinds are userId-only views (the user is the visitor). */
function poisonView(kind: PoisonKind, index: number): RawEvent {
  const userKind = kind.includes('userId');
  const raw = pageEvent({
    anonymousId: userKind ? undefined : `poison-visitor-${index}`,
    userId: userKind ? `poison-user-${index}` : undefined,
    at: AT,
    url: `${SHOP}/poison-${index}?utm_source=newsletter&utm_medium=email`,
    messageId: `poison-${index}`,
  });
  poisonEvent(raw.data.event, kind);
  return raw;
}

describe('attribution consumer: records Postgres refuses, mixed in a batch with good ones', () => {
  const bed = new AttributionTestbed('attribution-poison');
  let deadLetters: TopicReader;

  beforeAll(async () => {
    await bed.start();
    await bed.startApp();
    deadLetters = bed.runtime.reader(bed.runtime.topic(`${bed.group}.dead-letter.v1`));
    await deadLetters.start();
  });

  afterAll(async () => {
    await deadLetters.stop();
    await bed.close();
  });

  it('applies every good event, dead-letters each poison record with its reason, and retries none forever', async () => {
    const good = Array.from({ length: 40 }, (_, n) =>
      pageEvent({
        anonymousId: `good-visitor-${n % 8}`,
        at: `2026-03-02T10:${String(n).padStart(2, '0')}:00.000Z`,
        url: `${SHOP}/p${n}`,
        messageId: `good-${n}`,
      }),
    );
    const poison = POISON_KINDS.map((kind, index) => ({ kind, event: poisonView(kind, index) }));
    // Good and poison interleaved, all under one key: one partition, so they arrive in one batch.
    const mixed: RawEvent[] = [];
    good.forEach((event, n) => {
      mixed.push(event);
      const bad = poison[n];
      if (bad) mixed.push(bad.event);
    });
    await bed.runtime.producer.send(
      bed.topics.raw,
      mixed.map((event) => envelopeMessage(event, 'one-partition')),
    );

    // The group's committed offsets reach the end: every record applied or dead-lettered.
    await waitFor(async () => (await bed.runtime.lag(bed.group, [bed.topics.raw])).every((partition) => partition.lag === 0), {
      timeoutMs: 45_000,
      description: 'the attribution group to commit past every record',
    });
    const stored = await bed.rows<{ message_id: string }>(`SELECT message_id FROM $schema.page_views`);
    const storedIds = new Set(stored.map((row) => row.message_id));
    expect(good.filter((event) => !storedIds.has(event.data.event.messageId))).toEqual([]);

    const letters = await waitFor(() => deadLetters.received().length >= poison.length && deadLetters.received(), {
      description: `${poison.length} dead letters`,
    });
    const byMessageId = new Map(
      letters.map((letter) => [(JSON.parse(letter.value?.toString('utf8') ?? 'null') as RawEvent).data.event.messageId, letter]),
    );
    for (const { kind, event } of poison) {
      const letter = byMessageId.get(event.data.event.messageId);
      expect(letter, kind).toBeDefined();
      const reason = letter?.headers[DEAD_LETTER_HEADERS.reason] ?? '';
      expect(reason, kind).toMatch(/^Postgres refused the record: SQLSTATE (22|23|54)[0-9A-Z]{3}/);
      // The reason names the condition, never the refused value.
      expect(reason, kind).not.toMatch(/nul|poison/);
      for (const id of [event.data.event.anonymousId, event.data.event.userId]) if (id) expect(reason, kind).not.toContain(id.slice(0, 16));
      expect(letter?.headers[DEAD_LETTER_HEADERS.sourceTopic], kind).toBe(bed.topics.raw);
      expect(storedIds.has(event.data.event.messageId), kind).toBe(false);
    }
    expect(letters).toHaveLength(poison.length);
  });
});
