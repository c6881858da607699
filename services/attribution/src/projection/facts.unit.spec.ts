import { describe, expect, it } from 'vitest';
import {
  TRACE_HEADERS,
  touchEventId,
  touchIdOf,
  touchSchema,
  userSourcesEventId,
  userSourcesSchema,
  sessionIdOf,
} from '@touchstream/contracts';
import type { SubjectFact, TouchDetails, TouchState } from '../domain';
import { touchRow, userSourcesRow, type FactContext } from './facts';
import { PageClassifier } from '../domain';

const context: FactContext = {
  touchesTopic: 'p.attribution.touches.v1',
  userSourcesTopic: 'p.attribution.user-sources.v1',
  lastTouchModel: 'last-non-direct',
  recordedAt: '2026-03-02T00:00:00.000Z',
};
const cause = { id: 'raw-1', correlationId: 'm-1', source: 'webhook' as const, occurredAt: '2026-03-01T10:00:00.000Z' };
const url = 'https://www.shop.example/?utm_source=news&utm_medium=email';
const details: TouchDetails = {
  url,
  referrer: null,
  source: new PageClassifier({ siteDomains: [], extraUnwantedReferrals: [] }).classify(url, null),
};
const touch: TouchState = {
  touchId: touchIdOf('m-1'),
  messageId: 'm-1',
  visitor: { kind: 'anonymous', id: 'a-1' },
  at: Date.parse('2026-03-01T10:00:00.000Z'),
  channel: 'Email',
  sessionId: sessionIdOf('m-1'),
  userId: 'u-1',
  status: 'recorded',
  revision: 2,
};

describe('facts', () => {
  it('builds a contract-valid touch revision, keyed by the visitor, caused by the inbound message', () => {
    const row = touchRow(touch, details, cause, context);
    const envelope = touchSchema.parse(JSON.parse(JSON.stringify(row.payload)));
    expect(row).toMatchObject({ eventId: touchEventId(touch.touchId, 2), topic: context.touchesTopic, key: 'a-1' });
    expect(envelope).toMatchObject({
      id: row.eventId,
      occurredAt: cause.occurredAt,
      causationId: 'raw-1',
      correlationId: 'm-1',
      source: 'webhook',
    });
    expect(envelope.data).toMatchObject({
      touchId: touch.touchId,
      anonymousId: 'a-1',
      userId: 'u-1',
      revision: 2,
      status: 'recorded',
      url,
    });
    expect(row.headers).toMatchObject({ [TRACE_HEADERS.eventId]: row.eventId, [TRACE_HEADERS.causationId]: 'raw-1' });
  });

  it('keys a userId-only touch by its userId, with no anonymousId', () => {
    const row = touchRow({ ...touch, visitor: { kind: 'user', id: 'u-1' } }, details, cause, context);
    expect(row.key).toBe('u-1');
    expect(touchSchema.parse(row.payload).data.anonymousId).toBeNull();
  });

  it('builds a contract-valid user-sources version, and a cleared one', () => {
    const fact: SubjectFact = { type: 'user', id: 'u-1', version: 3, first: touch, last: touch, touchCount: 4, userIds: ['u-1'] };
    const row = userSourcesRow(fact, () => details, cause, context);
    expect(row).toMatchObject({ eventId: userSourcesEventId('user', 'u-1', 3), topic: context.userSourcesTopic, key: 'u-1' });
    expect(userSourcesSchema.parse(JSON.parse(JSON.stringify(row.payload))).data).toMatchObject({
      subjectType: 'user',
      version: 3,
      touchCount: 4,
      lastTouchModel: 'last-non-direct',
      firstTouch: { touchId: touch.touchId, source: { channel: 'Email' } },
    });
    const cleared = userSourcesRow(
      { ...fact, type: 'anonymous', id: 'a-1', first: null, last: null, touchCount: 0 },
      () => details,
      cause,
      context,
    );
    expect(userSourcesSchema.parse(cleared.payload).data).toMatchObject({
      firstTouch: null,
      lastTouch: null,
      touchCount: 0,
      userIds: ['u-1'],
    });
  });
});
