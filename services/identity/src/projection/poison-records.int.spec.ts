import { describe, expect, it } from 'vitest';
import { DEAD_LETTER_HEADERS, type RawEvent, envelopeMessage } from '@touchstream/contracts';
import { acceptedRawEvent } from '../domain';
import { POISON_KINDS, mixPoisonIn, poisonEvent, watchConsumer, type PoisonKind } from '@touchstream/testing';
import { IdentityTestbed } from '../testing/harness';

const AT = '2026-03-02T10:00:00.000Z';

/**
 * What the identity graph does with each kind. Dead-lettered: what Postgres refuses (a year 0
 * timestamp) and ids too long to be ids (which must not vanish silently). Applied:
 * a NUL is removed from what is stored (the graph's rule, its unit tests), and a timestamp no ISO
 * string or timestamptz can hold is replaced by the time the event was received.
 */
const OUTCOME: Record<PoisonKind, { deadLetter: RegExp } | 'applied'> = {
  'timestamp in year 0': { deadLetter: /^Postgres refused the record: SQLSTATE 22\w{3}/ },
  'timestamp in year -1': 'applied',
  'timestamp in year 9999': 'applied',
  'timestamp in year 10000': 'applied',
  'NUL in anonymousId': 'applied',
  'NUL in userId': 'applied',
  'NUL in URL': 'applied',
  '10 KB anonymousId': { deadLetter: /^anonymousId is 10240 characters long; the identity graph keeps ids of up to 512$/ },
  '10 KB userId': { deadLetter: /^userId is 10240 characters long; the identity graph keeps ids of up to 512$/ },
};

/** A page view carrying both ids (a link, two sightings, a timeline entry with its URL), poisoned. */
function poisonView(kind: PoisonKind, index: number): RawEvent {
  const raw = acceptedRawEvent({
    type: 'page',
    messageId: `poison-${index}`,
    anonymousId: `poison-anon-${index}`,
    userId: `poison-user-${index}`,
    timestamp: AT,
    context: { page: { url: `https://shop.example/poison-${index}` } },
  });
  poisonEvent(raw.data.event, kind);
  return raw;
}

describe('identity consumer: records Postgres refuses or the graph cannot hold, mixed in a batch with good ones', () => {
  const bed = new IdentityTestbed('identity-poison');
  const consumer = watchConsumer(bed, () => bed.stop());

  it('applies every good event, dead-letters each record it cannot apply with its reason, and drops none silently', async () => {
    const good = Array.from({ length: 40 }, (_, n) =>
      acceptedRawEvent({
        type: 'identify',
        messageId: `good-${n}`,
        anonymousId: `good-anon-${n}`,
        userId: `good-user-${n % 8}`,
        timestamp: `2026-03-02T10:${String(n).padStart(2, '0')}:00.000Z`,
      }),
    );
    const poison = POISON_KINDS.map((kind, index) => ({ kind, event: poisonView(kind, index) }));
    // All under one key: one partition, so good and poison arrive in one batch.
    const mixed = mixPoisonIn(good, poison);
    await bed.runtime.producer.send(
      bed.rawTopic,
      mixed.map((event) => envelopeMessage(event, 'one-partition')),
    );
    await consumer.waitForZeroLag(bed.rawTopic, 'the identity group to commit past every record');
    const timeline = new Set(
      (await bed.sql<{ message_id: string }>('SELECT message_id FROM $schema.timeline')).map((row) => row.message_id),
    );
    expect(good.map((event) => event.data.event.messageId).filter((id) => !timeline.has(id))).toEqual([]);
    const links = new Set((await bed.sql<{ user_id: string }>('SELECT user_id FROM $schema.links')).map((row) => row.user_id));
    for (let n = 0; n < 8; n += 1) expect(links.has(`good-user-${n}`)).toBe(true);

    const expectedLetters = poison.filter(({ kind }) => OUTCOME[kind] !== 'applied');
    const { letters, byMessageId } = await consumer.waitForDeadLetters(expectedLetters.length);
    for (const { kind, event } of poison) {
      const messageId = event.data.event.messageId;
      const outcome = OUTCOME[kind];
      if (outcome === 'applied') {
        expect(timeline.has(messageId), kind).toBe(true);
        expect(byMessageId.has(messageId), kind).toBe(false);
        continue;
      }
      const reason = byMessageId.get(messageId)?.headers[DEAD_LETTER_HEADERS.reason];
      expect(reason, kind).toMatch(outcome.deadLetter);
      expect(timeline.has(messageId), kind).toBe(false);
    }
    expect(letters).toHaveLength(expectedLetters.length);
    // The NUL kinds were stored without the NUL.
    const withNul = poison.filter(({ kind }) => kind.startsWith('NUL')).map(({ event }) => event.data.event);
    const rows = await bed.sql<{ message_id: string; anonymous_id: string; user_id: string; url: string }>(
      'SELECT message_id, anonymous_id, user_id, url FROM $schema.timeline WHERE message_id = ANY($1) ORDER BY message_id',
      [withNul.map((event) => event.messageId)],
    );
    const clean = (value: unknown) => String(value).replaceAll('\u0000', '');
    expect(rows).toEqual(
      withNul.map((event) => ({
        message_id: event.messageId,
        anonymous_id: clean(event.anonymousId),
        user_id: clean(event.userId),
        url: clean((event.context as { page: { url: string } }).page.url),
      })),
    );
  });
});
