import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acceptedRawEvent } from '@touchstream/identity-graph';
import { get, IdentityTestbed, TEST_DEBUG_TOKEN, type RunningIdentity } from '../testing/harness';
import type { AnonymousView, TimelinePage, UserView } from './identity-queries';

const t = (hour: number, minute = 0) => new Date(Date.UTC(2026, 2, 1, hour, minute)).toISOString();

/**
 * A shared laptop: Ada browses anonymously, signs up, logs out; Bob logs in on the same laptop
 * later. Ada also has a phone, joined by an alias call.
 */
const story = [
  acceptedRawEvent({
    type: 'page',
    messageId: 'p1',
    anonymousId: 'laptop',
    name: 'Home',
    context: { page: { url: 'https://x.example/?utm_source=news', referrer: 'https://news.example.org/' } },
    timestamp: t(8),
  }),
  acceptedRawEvent({ type: 'page', messageId: 'p2', anonymousId: 'laptop', name: 'Pricing', timestamp: t(9) }),
  acceptedRawEvent({
    type: 'identify',
    messageId: 'i-ada',
    anonymousId: 'laptop',
    userId: 'ada',
    traits: { email: 'ada@example.com', plan: 'trial' },
    timestamp: t(10),
  }),
  acceptedRawEvent({ type: 'track', event: 'Signed Up', messageId: 'e-ada', anonymousId: 'laptop', userId: 'ada', timestamp: t(10, 5) }),
  acceptedRawEvent({ type: 'page', messageId: 'p3', anonymousId: 'laptop', name: 'Blog', timestamp: t(11) }),
  acceptedRawEvent({ type: 'identify', messageId: 'i-bob', anonymousId: 'laptop', userId: 'bob', timestamp: t(14) }),
  acceptedRawEvent({ type: 'page', messageId: 'p4', anonymousId: 'laptop', name: 'Docs', timestamp: t(15) }),
  acceptedRawEvent({ type: 'page', messageId: 'p5', anonymousId: 'phone', name: 'Home', timestamp: t(12) }),
  acceptedRawEvent({ type: 'alias', messageId: 'al-ada', previousId: 'phone', userId: 'ada', timestamp: t(13) }),
  acceptedRawEvent({ type: 'identify', messageId: 'i-ada-2', userId: 'ada', traits: { plan: 'pro' }, timestamp: t(16) }),
];

describe('identity debug endpoints', () => {
  const bed = new IdentityTestbed('identity-debug');
  let app: RunningIdentity;

  beforeAll(async () => {
    await bed.start();
    app = await bed.startApp();
    await bed.produce(story);
    await bed.settled();
  });

  afterAll(async () => {
    await bed.stop();
  });

  it('shows a user: anonymousIds with link and activity times, merged traits, and the shared-device conflict', async () => {
    const { status, body } = await get<UserView>(`${app.url}/identity/users/ada`);
    expect(status).toBe(200);
    expect(body).toEqual({
      userId: 'ada',
      firstSeenAt: t(10),
      lastSeenAt: t(16),
      anonymousIds: [
        {
          anonymousId: 'laptop',
          linkedAt: t(10),
          via: 'identify',
          messageId: 'i-ada',
          revision: 1,
          firstSeenAt: t(8),
          lastSeenAt: t(15),
          sharedWith: ['bob'],
        },
        {
          anonymousId: 'phone',
          linkedAt: t(13),
          via: 'alias',
          messageId: 'al-ada',
          revision: 1,
          firstSeenAt: t(12),
          lastSeenAt: t(13),
          sharedWith: [],
        },
      ],
      truncated: false,
      traits: { email: { value: 'ada@example.com', observedAt: t(10) }, plan: { value: 'pro', observedAt: t(16) } },
      conflicts: [
        {
          anonymousId: 'laptop',
          users: [
            {
              anonymousId: 'laptop',
              userId: 'ada',
              firstSeenAt: t(10),
              via: 'identify',
              messageId: 'i-ada',
              owns: { userId: 'ada', from: null, to: t(14) },
            },
            {
              anonymousId: 'laptop',
              userId: 'bob',
              firstSeenAt: t(14),
              via: 'identify',
              messageId: 'i-bob',
              owns: { userId: 'bob', from: t(14), to: null },
            },
          ],
        },
      ],
    });
  });

  it('records the conflict where operators look with SQL: the conflicts view', async () => {
    const { rows } = await bed.pool.query(`SELECT anonymous_id, user_count, user_ids FROM "${bed.namespace.schema}".conflicts`);
    expect(rows).toEqual([{ anonymous_id: 'laptop', user_count: 2, user_ids: ['ada', 'bob'] }]);
  });

  it('shows an anonymousId: its userIds with link times and what each owns', async () => {
    const { status, body } = await get<AnonymousView>(`${app.url}/identity/anonymous/laptop`);
    expect(status).toBe(200);
    expect(body).toEqual({
      anonymousId: 'laptop',
      firstSeenAt: t(8),
      lastSeenAt: t(15),
      userIds: [
        {
          userId: 'ada',
          linkedAt: t(10),
          via: 'identify',
          messageId: 'i-ada',
          revision: 1,
          owns: { userId: 'ada', from: null, to: t(14) },
        },
        {
          userId: 'bob',
          linkedAt: t(14),
          via: 'identify',
          messageId: 'i-bob',
          revision: 1,
          owns: { userId: 'bob', from: t(14), to: null },
        },
      ],
      conflict: true,
    });
    const phone = await get<AnonymousView>(`${app.url}/identity/anonymous/phone`);
    expect(phone.body).toMatchObject({ conflict: false, userIds: [{ userId: 'ada', via: 'alias' }] });
  });

  it("pages through a user's timeline: its own events and the anonymous touches its links give it, newest first", async () => {
    const first = await get<TimelinePage>(`${app.url}/identity/timeline?userId=ada&limit=3`);
    expect(first.status).toBe(200);
    expect(first.body.events.map((event) => event.messageId)).toEqual(['i-ada-2', 'al-ada', 'p5']);
    expect(first.body.events[2]).toEqual({
      messageId: 'p5',
      type: 'page',
      name: 'Home',
      timestamp: t(12),
      url: null,
      referrer: null,
      anonymousId: 'phone',
      userId: null,
      attributedBy: 'link',
    });
    const second = await get<TimelinePage>(`${app.url}/identity/timeline?userId=ada&limit=3&before=${first.body.nextBefore ?? ''}`);
    expect(second.body.events.map((event) => event.messageId)).toEqual(['p3', 'e-ada', 'i-ada']);
    const third = await get<TimelinePage>(`${app.url}/identity/timeline?userId=ada&limit=3&before=${second.body.nextBefore ?? ''}`);
    expect(third.body).toMatchObject({ nextBefore: null });
    expect(third.body.events.map((event) => [event.messageId, event.attributedBy])).toEqual([
      ['p2', 'link'],
      ['p1', 'link'],
    ]);
    // Bob owns the laptop's anonymous touches from his link on: p4 only.
    const bob = await get<TimelinePage>(`${app.url}/identity/timeline?userId=bob`);
    expect(bob.body.events.map((event) => event.messageId)).toEqual(['p4', 'i-bob']);
  });

  it("pages through an anonymousId's timeline, also from a plain timestamp", async () => {
    const { body } = await get<TimelinePage>(`${app.url}/identity/timeline?anonymousId=laptop&before=${encodeURIComponent(t(11))}`);
    expect(body.events.map((event) => event.messageId)).toEqual(['e-ada', 'i-ada', 'p2', 'p1']);
    expect(body.events[3]).toMatchObject({
      url: 'https://x.example/?utm_source=news',
      referrer: 'https://news.example.org/',
      attributedBy: 'anonymousId',
    });
    expect(body.nextBefore).toBeNull();
  });

  it('answers 404 with a clear message for ids nothing mentions', async () => {
    for (const path of ['users/nobody', 'anonymous/nobody', 'timeline?userId=nobody', 'timeline?anonymousId=nobody']) {
      const { status, body } = await get(`${app.url}/identity/${path}`);
      expect(status, path).toBe(404);
      expect(body.error).toMatch(/^unknown (userId|anonymousId): no event or link mentions it$/);
    }
  });

  it('answers 400 for a malformed query', async () => {
    for (const query of [
      '',
      'userId=ada&anonymousId=laptop',
      'userId=ada&limit=0',
      'userId=ada&limit=x',
      'userId=ada&before=soon',
      'userId=ada&limit=1&limit=2',
      'user=ada',
    ]) {
      const { status, body } = await get(`${app.url}/identity/timeline?${query}`);
      expect(status, query).toBe(400);
      expect(typeof body.error).toBe('string');
    }
    expect((await get(`${app.url}/identity/users/${'x'.repeat(600)}`)).status).toBe(400);
    expect((await get(`${app.url}/identity/timeline?anonymousId=${'x'.repeat(600)}`)).status).toBe(400);
    expect((await get(`${app.url}/identity/anonymous/${'x'.repeat(500)}`)).status).toBe(404);
  });

  it('answers 400, not 500, for an id or cursor Postgres cannot hold (%00, a lone surrogate, year 0)', async () => {
    const cursor = Buffer.from(JSON.stringify(['2026-01-01T00:00:00.000Z', 'm\u0000'])).toString('base64url');
    for (const path of [
      'users/ada%00',
      'anonymous/%00laptop',
      'anonymous/a%ED%A0%80b',
      'timeline?userId=ada%00',
      'timeline?anonymousId=%00',
      'timeline?userId=ada&before=0000-01-01T00:00:00Z',
      `timeline?userId=ada&before=${cursor}`,
    ]) {
      const { status, body } = await get(`${app.url}/identity/${path}`);
      expect(status, path).toBe(400);
      expect(typeof body.error, path).toBe('string');
    }
  });

  it('answers 401 without a token or with a wrong one, on every route', async () => {
    for (const path of ['users/ada', 'anonymous/laptop', 'timeline?userId=ada']) {
      expect((await get(`${app.url}/identity/${path}`, null)).status, path).toBe(401);
      expect((await get(`${app.url}/identity/${path}`, `${TEST_DEBUG_TOKEN}x`)).status, path).toBe(401);
      const basic = await fetch(`${app.url}/identity/${path}`, { headers: { authorization: `Basic ${TEST_DEBUG_TOKEN}` } });
      expect(basic.status, path).toBe(401);
    }
  });

  it('answers 503 on every route when DEBUG_TOKEN is not set', async () => {
    const closed = await bed.startApp({ DEBUG_TOKEN: '', IDENTITY_CONSUMER_GROUP: `${bed.group}-no-token` });
    try {
      for (const path of ['users/ada', 'anonymous/laptop', 'timeline?userId=ada']) {
        const { status, body } = await get(`${closed.url}/identity/${path}`, TEST_DEBUG_TOKEN);
        expect(status, path).toBe(503);
        expect(body.error).toMatch(/DEBUG_TOKEN/);
      }
    } finally {
      await closed.close();
    }
  });
});
