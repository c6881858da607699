import { describe, expect, it } from 'vitest';
import { identifyCall, identifyMessageId, trackCall, trackMessageId, traitsHash, type CallSettings } from './calls';
import { touch, touchSource, userSources } from './testing/fixtures';

const settings: CallSettings = {
  sourceIdentifiedEvent: 'Source Identified',
  library: { name: 'touchstream-segment-sink', version: '0.1.0' },
};

const referralTouch = touch({
  touchId: 'touch-9',
  anonymousId: 'anon-9',
  userId: 'user-9',
  occurredAt: '2022-06-01T12:00:00.000Z',
  url: 'https://a.example/pricing',
  referrer: 'https://news.example.org/story',
  source: touchSource({
    channel: 'Referral',
    source: 'news.example.org',
    medium: 'referral',
    referrerHost: 'news.example.org',
    referrerCategory: 'unknown',
  }),
});

describe('Segment calls', () => {
  it('identifies a user with inactive context, the fact time and deterministic messageId', () => {
    const fact = userSources({ subjectId: 'user-9', version: 4, firstTouch: referralTouch, lastTouch: referralTouch });
    expect(identifyCall(fact, '2024-05-05T05:05:05.000Z', settings)).toEqual({
      type: 'identify',
      messageId: identifyMessageId('user', 'user-9', 4),
      userId: 'user-9',
      timestamp: '2024-05-05T05:05:05.000Z',
      traits: {
        source_first_timestamp: '2022-06-01T12:00:00.000Z',
        source_first_channel: 'Referral',
        source_first_source: 'news.example.org',
        source_first_medium: 'referral',
        source_first_url: 'https://a.example/pricing',
        source_first_referrer: 'https://news.example.org/story',
        source_first_referrer_host: 'news.example.org',
        source_first_referrer_type: 'unknown',
        source_last_timestamp: '2022-06-01T12:00:00.000Z',
        source_last_channel: 'Referral',
        source_last_source: 'news.example.org',
        source_last_medium: 'referral',
        source_last_url: 'https://a.example/pricing',
        source_last_referrer: 'https://news.example.org/story',
        source_last_referrer_host: 'news.example.org',
        source_last_referrer_type: 'unknown',
      },
      context: { active: false, library: settings.library },
    });
  });

  it('identifies a visitor by anonymousId alone', () => {
    const call = identifyCall(
      userSources({ subjectType: 'anonymous', subjectId: 'anon-3', userIds: [] }),
      '2024-01-01T00:00:00.000Z',
      settings,
    );
    expect(call.anonymousId).toBe('anon-3');
    expect(call).not.toHaveProperty('userId');
  });

  it('tracks a touch at its historic time with the user, the anonymousId and unprefixed properties', () => {
    expect(trackCall(referralTouch, referralTouch.userId, settings)).toEqual({
      type: 'track',
      messageId: trackMessageId('touch-9'),
      event: 'Source Identified',
      userId: 'user-9',
      anonymousId: 'anon-9',
      timestamp: '2022-06-01T12:00:00.000Z',
      properties: {
        timestamp: '2022-06-01T12:00:00.000Z',
        channel: 'Referral',
        source: 'news.example.org',
        medium: 'referral',
        url: 'https://a.example/pricing',
        referrer: 'https://news.example.org/story',
        referrer_host: 'news.example.org',
        referrer_type: 'unknown',
      },
      context: { library: settings.library },
    });
  });

  it('leaves userId out for an anonymous touch, and makes no call for a touch without ids', () => {
    const call = trackCall(touch({ userId: null }), null, { ...settings, sourceIdentifiedEvent: 'Visit Source' });
    expect(call?.event).toBe('Visit Source');
    expect(call).not.toHaveProperty('userId');
    expect(trackCall(touch({ anonymousId: null, userId: null }), null, settings)).toBeNull();
  });

  it('derives messageIds deterministically, under 100 characters, distinct per subject, version and touch', () => {
    const ids = [
      identifyMessageId('user', 'u', 1),
      identifyMessageId('user', 'u', 2),
      identifyMessageId('anonymous', 'u', 1),
      identifyMessageId('user', 'v', 1),
      trackMessageId('u'),
      trackMessageId('t'),
      identifyMessageId('user', 'u', 1, 'resend-1'),
      trackMessageId('t', 'resend-1'),
    ];
    expect(new Set(ids).size).toBe(ids.length);
    expect(identifyMessageId('user', 'u', 1)).toBe(identifyMessageId('user', 'u', 1));
    expect(trackMessageId('t', 'resend-1')).toBe(trackMessageId('t', 'resend-1'));
    expect(trackMessageId('x'.repeat(5_000)).length).toBeLessThan(100);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('fingerprints traits by content', () => {
    expect(traitsHash({ a: '1', b: '2' })).toBe(traitsHash({ a: '1', b: '2' }));
    expect(traitsHash({ a: '1', b: '2' })).not.toBe(traitsHash({ a: '1', b: '3' }));
    expect(traitsHash({})).toHaveLength(32);
    // Stored with every identify sent: a different hash for the same traits would re-send them all.
    expect(traitsHash({ source_first_channel: 'Paid Search', source_first_url: 'https://example.com/caf\u00e9?utm_source=x' })).toBe(
      '90bbe25c1dd005ee07b308d91f68394c',
    );
    expect(traitsHash({})).toBe('e3b0c44298fc1c149afbf4c8996fb924');
  });
});
