import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { touchIdOf, touchSourceSchema } from '@touchstream/contracts';
import { AttributionTestbed, SHOP, TEST_DEBUG_TOKEN, identityLink, pageEvent, type RunningAttribution } from '../testing/harness';

describe('attribution HTTP: classify and the debug endpoints', () => {
  const testbed = new AttributionTestbed('attribution-http');
  let app: RunningAttribution;
  const visits = {
    search: pageEvent({ anonymousId: 'http-anon', at: '2026-05-01T10:00:00.000Z', url: `${SHOP}/`, referrer: 'https://www.google.com/' }),
    internal: pageEvent({ anonymousId: 'http-anon', at: '2026-05-01T10:05:00.000Z', url: `${SHOP}/pricing`, referrer: `${SHOP}/` }),
    email: pageEvent({ anonymousId: 'http-anon', at: '2026-05-08T10:00:00.000Z', url: `${SHOP}/?utm_source=news&utm_medium=email` }),
    ad: pageEvent({
      anonymousId: 'http-phone',
      at: '2026-05-15T10:00:00.000Z',
      url: `${SHOP}/?gclid=abc`,
      referrer: 'https://www.google.com/',
    }),
  };

  const get = (path: string, token: string | null = TEST_DEBUG_TOKEN) =>
    fetch(`${app.url}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const classify = (body: unknown) =>
    fetch(`${app.url}/attribution/classify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  beforeAll(async () => {
    await testbed.start();
    app = await testbed.startApp({ UNWANTED_REFERRALS: 'sso.partner.example' });
    await testbed.produceRaw(Object.values(visits));
    await testbed.produceLinks([
      identityLink('http-anon', 'http-user', '2026-05-08T10:02:00.000Z'),
      identityLink('http-phone', 'http-user', '2026-05-15T10:01:00.000Z'),
    ]);
    await testbed.settled();
  });

  afterAll(async () => {
    await testbed.close();
  });

  describe('POST /attribution/classify', () => {
    it('answers the source-detection object without a token', async () => {
      const response = await classify({
        url: `${SHOP}/?utm_source=news&utm_medium=email&utm_content=footer`,
        referrer: 'https://mail.google.com/',
      });
      expect(response.status).toBe(200);
      const body = touchSourceSchema.parse(await response.json());
      expect(body).toMatchObject({ internal: false, channel: 'Email', source: 'news', medium: 'email', content: 'footer' });
    });

    it('applies the site domains and the unwanted referrals, built-in and configured', async () => {
      const internal = async (referrer: string) =>
        ((await (await classify({ url: `${SHOP}/pricing`, referrer })).json()) as { internal: boolean }).internal;
      expect(await internal('https://app.shop.example/settings')).toBe(true);
      expect(await internal('https://checkout.stripe.com/pay')).toBe(true);
      expect(await internal('https://sso.partner.example/login')).toBe(true);
      expect(await internal('https://news.ycombinator.com/')).toBe(false);
    });

    it('answers 400 with the reason for a body without a url or with the wrong types', async () => {
      for (const body of [{}, { url: 42 }, { url: '' }, { url: SHOP, referrer: 7 }, [SHOP]]) {
        const response = await classify(body);
        expect(response.status, JSON.stringify(body)).toBe(400);
        expect(((await response.json()) as { error: string }).error).toMatch(/invalid body/);
      }
    });
  });

  describe('GET /attribution/users/:userId', () => {
    it('answers first and last touch, every touch in order, the devices and the multi-touch credit by channel', async () => {
      const response = await get('/attribution/users/http-user');
      expect(response.status).toBe(200);
      const body = (await response.json()) as Record<string, unknown> & {
        touches: Array<{ messageId: string }>;
        credit: Record<string, Record<string, number>>;
      };
      expect(body.touches.map((touch) => touch.messageId)).toEqual(
        [visits.search, visits.email, visits.ad].map((visit) => visit.data.event.messageId),
      );
      expect(body).toMatchObject({
        userId: 'http-user',
        version: expect.any(Number),
        lastTouchModel: 'last-non-direct',
        firstTouch: { touchId: touchIdOf(visits.search.data.event.messageId), source: { channel: 'Organic Search' } },
        lastTouch: { touchId: touchIdOf(visits.ad.data.event.messageId), source: { channel: 'Paid Search' } },
        anonymousIds: [
          { anonymousId: 'http-anon', firstSeenAt: '2026-05-08T10:02:00.000Z' },
          { anonymousId: 'http-phone', firstSeenAt: '2026-05-15T10:01:00.000Z' },
        ],
      });
      expect(body.credit.linear).toEqual({ 'Organic Search': 0.333333, Email: 0.333333, 'Paid Search': 0.333333 });
      expect(body.credit.positionBased).toEqual({ 'Organic Search': 0.4, Email: 0.2, 'Paid Search': 0.4 });
      // 14 and 7 days before the last touch: a quarter and a half of its weight.
      expect(body.credit.timeDecay).toEqual({ 'Organic Search': 0.142857, Email: 0.285714, 'Paid Search': 0.571429 });
    });

    it('answers 401 without the bearer token or with a wrong one, 404 for an unknown userId, 400 for an overlong one', async () => {
      expect((await get('/attribution/users/http-user', null)).status).toBe(401);
      expect((await get('/attribution/users/http-user', 'wrong-token-wrong-token')).status).toBe(401);
      const unknown = await get('/attribution/users/nobody-at-all');
      expect(unknown.status).toBe(404);
      expect(await unknown.json()).toEqual({ error: expect.stringMatching(/userId/) });
      const overlong = await get(`/attribution/users/${'u'.repeat(300)}`);
      expect(overlong.status).toBe(400);
      expect(((await overlong.json()) as { error: string }).error).toMatch(/userId.*255/);
    });

    it('answers 400, not 500, for an id Postgres cannot hold (%00)', async () => {
      for (const path of ['/attribution/users/u%00', '/attribution/anonymous/%00a']) {
        const response = await get(path);
        expect(response.status, path).toBe(400);
        expect(((await response.json()) as { error: string }).error).toMatch(/NUL/);
      }
    });
  });

  describe('GET /attribution/anonymous/:anonymousId', () => {
    it("answers the visitor's sessions, touches, first and last touch and links", async () => {
      const response = await get('/attribution/anonymous/http-anon');
      expect(response.status).toBe(200);
      const body = (await response.json()) as Record<string, unknown> & { sessions: Array<{ pageViews: number; touchIds: string[] }> };
      expect(body).toMatchObject({
        anonymousId: 'http-anon',
        pageViews: 3,
        userIds: [{ userId: 'http-user', firstSeenAt: '2026-05-08T10:02:00.000Z' }],
        firstTouch: { messageId: visits.search.data.event.messageId, userId: 'http-user' },
        lastTouch: { messageId: visits.email.data.event.messageId },
      });
      expect(body.sessions.map((session) => [session.pageViews, session.touchIds])).toEqual([
        [2, [touchIdOf(visits.search.data.event.messageId)]],
        [1, [touchIdOf(visits.email.data.event.messageId)]],
      ]);
    });

    it('answers 401 without a token and 404 for an unknown anonymousId', async () => {
      expect((await get('/attribution/anonymous/http-anon', null)).status).toBe(401);
      const unknown = await get('/attribution/anonymous/never-seen');
      expect(unknown.status).toBe(404);
      expect(await unknown.json()).toEqual({ error: expect.stringMatching(/anonymousId/) });
    });
  });
});
