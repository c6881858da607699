import { describe, expect, it } from 'vitest';
import { TOUCHSTREAM_LIBRARY_NAME } from '@touchstream/contracts';
import { observeEvent } from './observe';
import { instantOf, MAX_ID_LENGTH } from './text';
import { acceptedRawEvent as rawEvent } from './raw-event';

const at = '2026-03-01T10:00:00.000Z';

/**
 * A raw event holding values ingest now refuses (NUL characters, oversized ids) but the raw topic
 * may still carry: written before those limits, or by another producer. Built valid, then patched,
 * because the contract check would refuse it up front.
 */
function rawEventWith(input: Parameters<typeof rawEvent>[0], patch: Record<string, unknown>): ReturnType<typeof rawEvent> {
  const raw = rawEvent(input);
  Object.assign(raw.data.event, patch);
  return raw;
}

describe('observeEvent: links', () => {
  it('links an identify carrying both ids, via identify, at the event time', () => {
    const raw = rawEvent({ type: 'identify', messageId: 'm1', anonymousId: 'a1', userId: 'u1', timestamp: at });
    const { links } = observeEvent(raw);
    expect(links).toEqual([
      {
        anonymousId: 'a1',
        userId: 'u1',
        at: { iso: at, ms: Date.parse(at) },
        via: 'identify',
        messageId: 'm1',
        cause: { eventId: raw.id, source: 'import', correlationId: 'm1' },
      },
    ]);
  });

  it('links any other event carrying both ids, via event', () => {
    for (const input of [
      { type: 'page' as const, messageId: 'm2', anonymousId: 'a1', userId: 'u1', timestamp: at },
      { type: 'track' as const, event: 'Signed Up', messageId: 'm3', anonymousId: 'a1', userId: 'u1', timestamp: at },
      { type: 'screen' as const, messageId: 'm4', anonymousId: 'a1', userId: 'u1', timestamp: at },
      { type: 'group' as const, groupId: 'g1', messageId: 'm5', anonymousId: 'a1', userId: 'u1', timestamp: at },
    ]) {
      expect(observeEvent(rawEvent(input)).links.map((link) => [link.anonymousId, link.userId, link.via])).toEqual([['a1', 'u1', 'event']]);
    }
  });

  it('links nothing from an event with one id, or with the same id twice', () => {
    expect(observeEvent(rawEvent({ type: 'page', messageId: 'm', anonymousId: 'a1', timestamp: at })).links).toEqual([]);
    expect(observeEvent(rawEvent({ type: 'identify', messageId: 'm', userId: 'u1', timestamp: at })).links).toEqual([]);
    expect(
      observeEvent(rawEvent({ type: 'track', event: 'x', messageId: 'm', anonymousId: 'same', userId: 'same', timestamp: at })).links,
    ).toEqual([]);
  });

  it('links an alias previousId to its userId, whatever kind of id previousId is, and its own anonymousId too', () => {
    const fromAnonymous = observeEvent(rawEvent({ type: 'alias', messageId: 'm', previousId: 'a1', userId: 'u1', timestamp: at }));
    expect(fromAnonymous.links.map((link) => [link.anonymousId, link.userId, link.via])).toEqual([['a1', 'u1', 'alias']]);
    const fromOldUser = observeEvent(
      rawEvent({ type: 'alias', messageId: 'm', previousId: 'old-user', userId: 'u1', anonymousId: 'a9', timestamp: at }),
    );
    expect(fromOldUser.links.map((link) => [link.anonymousId, link.userId, link.via])).toEqual([
      ['old-user', 'u1', 'alias'],
      ['a9', 'u1', 'alias'],
    ]);
    const sameIds = observeEvent(
      rawEvent({ type: 'alias', messageId: 'm', previousId: 'a1', anonymousId: 'a1', userId: 'u1', timestamp: at }),
    );
    expect(sameIds.links).toHaveLength(1);
    expect(observeEvent(rawEvent({ type: 'alias', messageId: 'm', previousId: 'u1', userId: 'u1', timestamp: at })).links).toEqual([]);
  });

  it('keeps numeric ids as strings, drops NUL characters and refuses oversized ids', () => {
    const numeric = observeEvent(
      rawEventWith({ type: 'identify', messageId: 'm', anonymousId: 'a1', userId: 42, timestamp: at }, { anonymousId: 'a\u00001' }),
    );
    expect(numeric.links.map((link) => [link.anonymousId, link.userId])).toEqual([['a1', '42']]);
    const huge = observeEvent(
      rawEventWith(
        { type: 'identify', messageId: 'm', anonymousId: 'a', userId: 'u', timestamp: at },
        { anonymousId: 'a'.repeat(MAX_ID_LENGTH + 1) },
      ),
    );
    expect(huge.links).toEqual([]);
    expect(huge.ids).toEqual([{ kind: 'user', id: 'u', at: { iso: at, ms: Date.parse(at) } }]);
  });
});

describe('event time', () => {
  it('keeps a canonical timestamp, normalises others, and rolls impossible dates over as Date.parse does', () => {
    expect(instantOf('2026-03-01T10:00:00.000Z')).toEqual({ iso: '2026-03-01T10:00:00.000Z', ms: Date.parse('2026-03-01T10:00:00.000Z') });
    expect(instantOf('2026-03-01T11:00:00+01:00')?.iso).toBe('2026-03-01T10:00:00.000Z');
    expect(instantOf('2026-02-30T00:00:00.000Z')?.iso).toBe(new Date(Date.parse('2026-02-30T00:00:00.000Z')).toISOString());
    expect(instantOf('not a time')).toBeNull();
    expect(instantOf('+010000-01-01T00:00:00.000Z')).toBeNull();
  });
});

describe('observeEvent: ids, traits and timeline', () => {
  it('records the ids an event shows, an alias previousId as the anonymous side', () => {
    const alias = observeEvent(rawEvent({ type: 'alias', messageId: 'm', previousId: 'a1', userId: 'u1', timestamp: at }));
    expect(alias.ids.map((id) => [id.kind, id.id])).toEqual([
      ['anonymous', 'a1'],
      ['user', 'u1'],
    ]);
  });

  it('keeps identify traits per key as JSON, NUL removed, undefined dropped', () => {
    const { traits } = observeEvent(
      rawEventWith(
        { type: 'identify', messageId: 'm', userId: 'u1', traits: { email: 'x@example.com', plan: null }, timestamp: at },
        { traits: { email: 'x@example.com', plan: null, address: { city: 'Oslo\u0000' } } },
      ),
    );
    expect(traits.map((trait) => [trait.key, JSON.parse(trait.valueJson) as unknown])).toEqual([
      ['email', 'x@example.com'],
      ['plan', null],
      ['address', { city: 'Oslo' }],
    ]);
    expect(observeEvent(rawEvent({ type: 'track', event: 'x', messageId: 'm', userId: 'u1', timestamp: at })).traits).toEqual([]);
  });

  it('describes the event in the timeline: name, url and referrer from context.page or properties', () => {
    const page = observeEvent(
      rawEvent({
        type: 'page',
        name: 'Pricing',
        messageId: 'm1',
        anonymousId: 'a1',
        context: { page: { url: 'https://x.example/pricing', referrer: 'https://www.google.com/' } },
        timestamp: at,
      }),
    );
    expect(page.timeline).toEqual({
      messageId: 'm1',
      anonymousId: 'a1',
      userId: null,
      type: 'page',
      name: 'Pricing',
      at: { iso: at, ms: Date.parse(at) },
      url: 'https://x.example/pricing',
      referrer: 'https://www.google.com/',
    });
    const track = observeEvent(
      rawEvent({
        type: 'track',
        event: 'Signed Up',
        messageId: 'm2',
        userId: 'u1',
        properties: { url: 'https://x.example/' },
        timestamp: at,
      }),
    );
    expect([track.timeline.name, track.timeline.url, track.timeline.referrer]).toEqual(['Signed Up', 'https://x.example/', null]);
  });
});

describe("observeEvent: touchstream's own calls fed back in", () => {
  const library = { name: TOUCHSTREAM_LIBRARY_NAME, version: '0.1.0' };

  it('learns no link, id or trait from a Source Identified track or an identify the sink sent, but keeps the timeline entry', () => {
    const track = rawEvent({
      type: 'track',
      event: 'Source Identified',
      messageId: 'own-1',
      anonymousId: 'a1',
      userId: 'u1',
      timestamp: at,
      properties: { url: 'https://shop.example/?utm_source=x', channel: 'Referral' },
      context: { library },
    });
    const identify = rawEvent({
      type: 'identify',
      messageId: 'own-2',
      anonymousId: 'a2',
      userId: 'u2',
      timestamp: at,
      traits: { source_first_channel: 'Referral' },
      context: { active: false, library },
    });
    for (const raw of [track, identify]) {
      const observation = observeEvent(raw);
      expect(observation).toMatchObject({ links: [], ids: [], traits: [] });
      expect(observation.timeline.messageId).toBe(raw.data.event.messageId);
    }
  });

  it('still learns from the same event sent by any other library', () => {
    const raw = rawEvent({
      type: 'identify',
      messageId: 'm-9',
      anonymousId: 'a2',
      userId: 'u2',
      timestamp: at,
      traits: { plan: 'pro' },
      context: { library: { name: 'analytics.js', version: '2' } },
    });
    const observation = observeEvent(raw);
    expect(observation.links).toHaveLength(1);
    expect(observation.traits).toHaveLength(1);
  });
});
