import { describe, expect, it } from 'vitest';
import { rawEventSchema } from '../topics/raw-events';
import { canonicalJson, correctedTimestamp, messageIdOf, toRawEvent } from './normalize';
import type { SegmentEvent } from './spec';

const page = (extra: Partial<SegmentEvent> = {}) =>
  ({ type: 'page', anonymousId: 'a-1', properties: { url: 'https://x.example/' }, ...extra }) as SegmentEvent;

describe('messageIdOf', () => {
  it("keeps the sender's messageId", () => {
    expect(messageIdOf(page({ messageId: 'sender-1' }))).toBe('sender-1');
  });

  it('derives the same id for a retried delivery (sentAt differs) and a different one for other content', () => {
    const first = messageIdOf(page({ sentAt: '2026-01-01T00:00:00.000Z' }));
    expect(messageIdOf(page({ sentAt: '2026-01-01T00:05:00.000Z' }))).toBe(first);
    expect(messageIdOf(page({ anonymousId: 'a-2' }))).not.toBe(first);
    expect(first).toMatch(/^ts-[0-9a-f-]{36}$/);
  });

  it('does not depend on key order', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { f: 2, e: 3 }], c: null } })).toBe('{"a":{"c":null,"d":[1,{"e":3,"f":2}]},"b":1}');
  });
});

describe('correctedTimestamp', () => {
  const receivedAt = new Date('2026-01-01T12:00:10.000Z');

  it("applies Segment's clock-skew correction to API events with sentAt", () => {
    // The client clock runs 1 h behind: it stamped the event 2 s before sending.
    const event = page({ timestamp: '2026-01-01T11:00:00.000Z', sentAt: '2026-01-01T11:00:02.000Z' });
    expect(correctedTimestamp(event, receivedAt, 'api')).toBe('2026-01-01T12:00:08.000Z');
  });

  it('keeps the stated timestamp for webhook and import events, and falls back to receivedAt', () => {
    const event = page({ timestamp: '2020-05-01T00:00:00Z', sentAt: '2026-01-01T11:00:02.000Z' });
    expect(correctedTimestamp(event, receivedAt, 'webhook')).toBe('2020-05-01T00:00:00.000Z');
    expect(correctedTimestamp(event, receivedAt, 'import')).toBe('2020-05-01T00:00:00.000Z');
    expect(correctedTimestamp(page(), receivedAt, 'api')).toBe(receivedAt.toISOString());
  });
});

describe('toRawEvent', () => {
  it('builds a raw-topic message that satisfies the contract, with a deterministic envelope id', () => {
    const receivedAt = new Date('2026-01-01T12:00:00.000Z');
    const raw = toRawEvent(page({ messageId: 'm-1', timestamp: '2026-01-01T11:59:00.000Z' }), { source: 'api', receivedAt });
    expect(rawEventSchema.parse(JSON.parse(JSON.stringify(raw)))).toEqual(raw);
    expect(raw).toMatchObject({ occurredAt: '2026-01-01T11:59:00.000Z', correlationId: 'm-1', causationId: null, source: 'api' });
    expect(raw.data.event).toMatchObject({
      messageId: 'm-1',
      receivedAt: '2026-01-01T12:00:00.000Z',
      properties: { url: 'https://x.example/' },
    });
    expect(toRawEvent(page({ messageId: 'm-1' }), { source: 'api', receivedAt: new Date() }).id).toBe(raw.id);
  });

  it("keeps Segment's receivedAt for webhook events and sets the server's for API events", () => {
    const event = page({ messageId: 'm-2', receivedAt: '2026-01-01T10:00:00.000Z' });
    const now = new Date('2026-01-01T12:00:00.000Z');
    expect(toRawEvent(event, { source: 'webhook', receivedAt: now }).data.event.receivedAt).toBe('2026-01-01T10:00:00.000Z');
    expect(toRawEvent(event, { source: 'api', receivedAt: now }).data.event.receivedAt).toBe('2026-01-01T12:00:00.000Z');
  });
});
