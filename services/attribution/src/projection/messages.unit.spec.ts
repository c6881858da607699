import { describe, expect, it } from 'vitest';
import { identityLinkId, toRawEvent, type SegmentEventInput, type SegmentEvent } from '@touchstream/contracts';
import { DecodeError } from '@touchstream/kafka';
import { attributionDecoder } from './messages';
import { PageClassifier } from '../domain';

const topics = { rawEvents: 'p.segment.events.raw.v1', identityLinks: 'p.identity.links.v1' };
const decode = attributionDecoder(topics, new PageClassifier({ siteDomains: ['shop.example'], extraUnwantedReferrals: [] }));
const at = '2026-03-01T10:00:00.000Z';

function raw(event: Record<string, unknown>): Buffer {
  const accepted = toRawEvent({ messageId: 'm-1', timestamp: at, ...event } as SegmentEventInput as SegmentEvent, {
    source: 'webhook',
    receivedAt: new Date(at),
  });
  return Buffer.from(JSON.stringify(accepted));
}

describe('attribution decoder', () => {
  it('reads a page call: visitor, time, url and referrer from context.page, classification', () => {
    const message = decode(
      raw({
        type: 'page',
        anonymousId: 'a-1',
        context: { page: { url: 'https://www.shop.example/?utm_source=news&utm_medium=email', referrer: 'https://mail.google.com/' } },
      }),
      topics.rawEvents,
    );
    expect(message).toMatchObject({
      kind: 'page-view',
      cause: { correlationId: 'm-1', source: 'webhook', occurredAt: at },
      view: {
        visitor: { kind: 'anonymous', id: 'a-1' },
        messageId: 'm-1',
        at: Date.parse(at),
        internal: false,
        source: { channel: 'Email' },
      },
    });
    expect(message.kind === 'page-view' && message.view.signature).toEqual(expect.any(String));
  });

  it('takes properties.url and properties.referrer when there is no context.page (server-side page calls)', () => {
    const message = decode(
      raw({ type: 'page', userId: 'u-1', properties: { url: 'https://www.shop.example/docs', referrer: 'https://blog.partner.example/' } }),
      topics.rawEvents,
    );
    expect(message).toMatchObject({
      kind: 'page-view',
      view: { visitor: { kind: 'user', id: 'u-1' }, referrer: 'https://blog.partner.example/', source: { channel: 'Referral' } },
    });
  });

  it('reads a track or screen call that carries a page URL, whatever else its properties hold', () => {
    const track = raw({
      type: 'track',
      event: 'CTA Clicked',
      anonymousId: 'a-1',
      properties: { cta: 'demo' },
      context: { page: { url: 'https://www.shop.example/' } },
    });
    expect(decode(track, topics.rawEvents).kind).toBe('page-view');
    const screen = raw({ type: 'screen', name: 'Home', anonymousId: 'a-1', properties: { url: 'https://www.shop.example/app' } });
    expect(decode(screen, topics.rawEvents).kind).toBe('page-view');
  });

  it('ignores events that are no page views: identify, a track without a page URL', () => {
    expect(
      decode(
        raw({ type: 'identify', anonymousId: 'a-1', userId: 'u-1', context: { page: { url: 'https://www.shop.example/' } } }),
        topics.rawEvents,
      ),
    ).toEqual({ kind: 'ignored' });
    expect(decode(raw({ type: 'track', event: 'Signed Up', userId: 'u-1', properties: { plan: 'pro' } }), topics.rawEvents)).toEqual({
      kind: 'ignored',
    });
  });

  it('keeps a partial Segment campaign (context.campaign) and classifies from it when the URL has no UTM', () => {
    const message = decode(
      raw({
        type: 'page',
        anonymousId: 'a-1',
        context: { campaign: { source: 'chatgpt.com' }, page: { url: 'https://www.shop.example/' } },
      }),
      topics.rawEvents,
    );
    expect(message).toMatchObject({
      kind: 'page-view',
      view: { campaign: { source: 'chatgpt.com', medium: null }, source: { source: 'chatgpt.com' } },
    });
  });

  it('decodes an identity link', () => {
    const link = {
      id: identityLinkId('a-1', 'u-1', 2),
      type: 'identity.link.observed',
      occurredAt: at,
      recordedAt: at,
      correlationId: 'c-1',
      causationId: 'e-1',
      source: 'import',
      data: { anonymousId: 'a-1', userId: 'u-1', firstSeenAt: at, via: 'identify', messageId: 'm-9', revision: 2 },
    };
    expect(decode(Buffer.from(JSON.stringify(link)), topics.identityLinks)).toEqual({
      kind: 'link',
      cause: { id: link.id, correlationId: 'c-1', source: 'import', occurredAt: at },
      link: { anonymousId: 'a-1', userId: 'u-1', firstSeenAt: Date.parse(at), revision: 2 },
    });
  });

  it('refuses (DecodeError: dead letter) what breaks the contract, on either topic', () => {
    expect(() => decode(Buffer.from('{"not":"an envelope"}'), topics.rawEvents)).toThrow(DecodeError);
    expect(() => decode(Buffer.from('nope'), topics.identityLinks)).toThrow(DecodeError);
    expect(() => decode(null, topics.rawEvents)).toThrow(DecodeError);
    expect(() => decode(raw({ type: 'page', anonymousId: 'a-1' }), 'p.some.other.topic')).toThrow(DecodeError);
  });
});
