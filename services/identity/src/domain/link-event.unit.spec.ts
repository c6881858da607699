import { describe, expect, it } from 'vitest';
import { identityLinkId, identityLinkSchema } from '@touchstream/contracts';
import { linkEvent } from './link-event';
import { observeEvent } from './observe';
import { acceptedRawEvent } from './raw-event';

describe('linkEvent', () => {
  it('builds a contract-valid identity.links.v1 event per revision, caused by the raw event', () => {
    const raw = acceptedRawEvent({
      type: 'identify',
      messageId: 'm1',
      anonymousId: 'a1',
      userId: 'u1',
      timestamp: '2026-03-01T10:00:00.000Z',
    });
    const [link] = observeEvent(raw).links;
    if (!link) throw new Error('no link observed');
    const event = linkEvent(link, 2, new Date('2026-03-02T00:00:00.000Z'));
    expect(identityLinkSchema.parse(JSON.parse(JSON.stringify(event)))).toEqual(event);
    expect(event).toMatchObject({
      id: identityLinkId('a1', 'u1', 2),
      occurredAt: '2026-03-01T10:00:00.000Z',
      causationId: raw.id,
      correlationId: 'm1',
      source: 'import',
      data: { anonymousId: 'a1', userId: 'u1', firstSeenAt: '2026-03-01T10:00:00.000Z', via: 'identify', messageId: 'm1', revision: 2 },
    });
  });
});
