import { describe, expect, it } from 'vitest';
import { DEAD_LETTER_HEADERS, type RawEvent, envelopeMessage } from '@touchstream/contracts';
import { POISON_KINDS, mixPoisonIn, poisonEvent, watchConsumer, type PoisonKind } from '@touchstream/testing';
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
  const consumer = watchConsumer(bed, () => bed.close());

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
    // All under one key: one partition, so good and poison arrive in one batch.
    const mixed = mixPoisonIn(good, poison);
    await bed.runtime.producer.send(
      bed.topics.raw,
      mixed.map((event) => envelopeMessage(event, 'one-partition')),
    );
    await consumer.waitForZeroLag(bed.topics.raw, 'the attribution group to commit past every record');
    const stored = await bed.rows<{ message_id: string }>(`SELECT message_id FROM $schema.page_views`);
    const storedIds = new Set(stored.map((row) => row.message_id));
    expect(good.filter((event) => !storedIds.has(event.data.event.messageId))).toEqual([]);

    const { letters, byMessageId } = await consumer.waitForDeadLetters(poison.length);
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
