import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { deterministicId } from '../ids';
import { identityLinkId, identityLinkSchema } from './identity-links';
import { rawEventKey, rawEventSchema } from './raw-events';
import { rejectedEventSchema } from './rejected-events';
import { sessionIdOf, touchDataSchema, touchEventId, touchIdOf, touchSchema, type TouchData } from './touches';
import { userSourcesEventId, userSourcesSchema } from './user-sources';
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
  status: 'recorded',
  revision: 1,
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
      id: identityLinkId('anon-1', 'u-1', 1),
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
        userIds: ['u-1'],
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

  it('gives each revision of an identity link its own deterministic id', () => {
    expect(identityLinkId('anon-1', 'u-1', 1)).toBe(deterministicId('identity.link', 'anon-1', 'u-1', '1'));
    expect(identityLinkId('anon-1', 'u-1', 1)).toBe(identityLinkId('anon-1', 'u-1', 1));
    expect(identityLinkId('anon-1', 'u-1', 2)).not.toBe(identityLinkId('anon-1', 'u-1', 1));
    expect(identityLinkId('anon-1', 'u-12', 1)).not.toBe(identityLinkId('anon-1u', '-12', 1));
  });

  it('reads a touch of the first contract version (no status, no revision) as revision 1, recorded', () => {
    const { status: _status, revision: _revision, ...first } = touch;
    expect(touchDataSchema.parse(first)).toEqual({ ...first, status: 'recorded', revision: 1 });
  });

  it('gives a touch, its session and each of its revisions deterministic ids; revision 1 is the touch id', () => {
    expect(touchIdOf('m-1')).toBe(deterministicId('attribution.touch', 'm-1'));
    expect(sessionIdOf('m-1')).not.toBe(touchIdOf('m-1'));
    expect(touchEventId(touch.touchId, 1)).toBe(touch.touchId);
    expect(touchEventId(touch.touchId, 2)).toBe(touchEventId(touch.touchId, 2));
    expect(touchEventId(touch.touchId, 2)).not.toBe(touchEventId(touch.touchId, 3));
  });

  it('accepts a user-sources fact that clears a subject (no touch left) and refuses half-cleared ones', () => {
    const cleared = {
      subjectType: 'anonymous',
      subjectId: 'anon-1',
      version: 2,
      firstTouch: null,
      lastTouch: null,
      lastTouchModel: 'last-touch',
    };
    const envelope = { ...meta, id: userSourcesEventId('anonymous', 'anon-1', 2), type: 'attribution.user-sources.changed' };
    expect(userSourcesSchema.parse({ ...envelope, data: { ...cleared, touchCount: 0 } }).data.userIds).toEqual([]);
    expect(userSourcesSchema.safeParse({ ...envelope, data: { ...cleared, touchCount: 1 } }).success).toBe(false);
    expect(userSourcesSchema.safeParse({ ...envelope, data: { ...cleared, firstTouch: touch, touchCount: 0 } }).success).toBe(false);
    expect(userSourcesEventId('user', 'u-1', 1)).not.toBe(userSourcesEventId('anonymous', 'u-1', 1));
  });

  it('keys raw events by anonymousId, else userId', () => {
    expect(rawEventKey({ anonymousId: 'a', userId: 'u' })).toBe('a');
    expect(rawEventKey({ anonymousId: null, userId: 'u' })).toBe('u');
  });
});
