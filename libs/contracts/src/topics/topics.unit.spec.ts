import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { deterministicId } from '../ids';
import { identityLinkSchema } from './identity-links';
import { rawEventKey, rawEventSchema } from './raw-events';
import { rejectedEventSchema } from './rejected-events';
import { touchSchema, type TouchData } from './touches';
import { userSourcesSchema } from './user-sources';
import { TOPICS, deadLetterTopic } from './catalog';

const meta = {
  occurredAt: '2026-01-02T03:04:05.000Z',
  recordedAt: '2026-01-02T03:04:06.000Z',
  correlationId: 'corr-1',
  causationId: null,
  source: 'webhook' as const,
};

const touch: TouchData = {
  touchId: deterministicId('attribution.touch', 'm-1'),
  anonymousId: 'anon-1',
  userId: null,
  sessionId: 's-1',
  messageId: 'm-1',
  occurredAt: '2026-01-02T03:04:05.000Z',
  url: 'https://shop.example/?utm_source=news&utm_medium=email',
  referrer: null,
  source: {
    internal: false,
    channel: 'Email',
    source: 'news',
    medium: 'email',
    campaign: null,
    term: null,
    content: null,
    referrerHost: null,
    referrerName: null,
    referrerCategory: null,
    searchTerm: null,
    clickId: null,
    clickIdParam: null,
    landingUrl: 'https://shop.example/?utm_source=news&utm_medium=email',
  },
};

/** A contract test per message: a valid example survives JSON, a broken one is refused. */
const cases: Array<{ name: string; schema: z.ZodType; valid: Record<string, unknown>; broken: (v: Record<string, unknown>) => unknown }> = [
  {
    name: TOPICS.rawEvents.name,
    schema: rawEventSchema,
    valid: {
      ...meta,
      id: 'e-1',
      type: 'segment.event.accepted',
      data: { event: { type: 'page', messageId: 'm-1', anonymousId: 'anon-1', timestamp: meta.occurredAt, receivedAt: meta.recordedAt } },
    },
    broken: (v) => ({ ...v, data: { event: { type: 'page', anonymousId: 'anon-1' } } }),
  },
  {
    name: TOPICS.rejectedEvents.name,
    schema: rejectedEventSchema,
    valid: {
      ...meta,
      id: 'e-2',
      type: 'segment.event.rejected',
      data: {
        reason: 'invalid track: event: required',
        issues: [],
        messageId: null,
        origin: { channel: '/v1/batch', index: 3 },
        payload: { type: 'track' },
      },
    },
    broken: (v) => ({ ...v, data: { ...(v.data as object), reason: '' } }),
  },
  {
    name: TOPICS.identityLinks.name,
    schema: identityLinkSchema,
    valid: {
      ...meta,
      id: deterministicId('identity.link', 'anon-1', 'u-1'),
      type: 'identity.link.observed',
      data: { anonymousId: 'anon-1', userId: 'u-1', firstSeenAt: meta.occurredAt, via: 'identify', messageId: 'm-1', revision: 1 },
    },
    broken: (v) => ({ ...v, data: { ...(v.data as object), via: 'guess' } }),
  },
  {
    name: TOPICS.touches.name,
    schema: touchSchema,
    valid: { ...meta, id: touch.touchId, type: 'attribution.touch.recorded', data: touch },
    broken: (v) => ({ ...v, data: { ...touch, source: { ...touch.source, channel: 'Carrier Pigeon' } } }),
  },
  {
    name: TOPICS.userSources.name,
    schema: userSourcesSchema,
    valid: {
      ...meta,
      id: 'e-5',
      type: 'attribution.user-sources.changed',
      data: {
        subjectType: 'user',
        subjectId: 'u-1',
        version: 1,
        firstTouch: touch,
        lastTouch: touch,
        lastTouchModel: 'last-non-direct',
        touchCount: 1,
      },
    },
    broken: (v) => ({ ...v, data: { ...(v.data as object), version: 0 } }),
  },
];

describe.each(cases)('contract of $name', ({ schema, valid, broken }) => {
  it('accepts a valid message after a JSON round trip, unchanged', () => {
    const wire = JSON.parse(JSON.stringify(valid)) as unknown;
    expect(schema.parse(wire)).toEqual(valid);
  });

  it('refuses a message whose data breaks the contract', () => {
    expect(schema.safeParse(broken(valid)).success).toBe(false);
  });

  it('refuses a message with a wrong type or without an envelope id', () => {
    expect(schema.safeParse({ ...valid, type: 'something.else' }).success).toBe(false);
    expect(schema.safeParse({ ...valid, id: '' }).success).toBe(false);
  });
});

describe('topic catalog', () => {
  it('names every topic with a version suffix and keeps the raw topic forever', () => {
    for (const spec of Object.values(TOPICS)) expect(spec.name).toMatch(/^[a-z-]+(\.[a-z-]+)+\.v\d+$/);
    expect(TOPICS.rawEvents.retentionMs).toBe(-1);
    expect(deadLetterTopic('identity').name).toBe('identity.dead-letter.v1');
  });

  it('keys raw events by anonymousId, else userId', () => {
    expect(rawEventKey({ anonymousId: 'a', userId: 'u' })).toBe('a');
    expect(rawEventKey({ anonymousId: null, userId: 'u' })).toBe('u');
  });
});
