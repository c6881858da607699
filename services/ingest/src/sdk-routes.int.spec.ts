import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testInfrastructure, testNamespace, waitFor } from '@touchstream/testing';
import { TopicWatch, basicAuth, pageEvent, post, startIngest, type RunningIngest } from './testing/harness';

const WRITE_KEY = 'sdk-write-key-1';
const PAGE_ORIGIN = 'http://127.0.0.2:8080';

/** The routes and conventions of Segment's browser and mobile SDKs, over HTTP on the real broker. */
describe('ingest: the SDKs short routes and CORS', () => {
  const namespace = testNamespace('ingest-sdk');
  let ingest: RunningIngest;
  let topics: TopicWatch;
  const api = (path: string) => `${ingest.url}${path}`;
  const id = (name: string) => `${namespace.id}-${name}`;
  // What analytics-next sends: a text/plain JSON body and the write key as HTTP Basic.
  const asBrowser = { 'content-type': 'text/plain', authorization: basicAuth(WRITE_KEY) };

  beforeAll(async () => {
    ingest = await startIngest({
      KAFKA_BROKERS: testInfrastructure().kafkaBrokers,
      KAFKA_TOPIC_PREFIX: namespace.topicPrefix,
      INGEST_WRITE_KEYS: WRITE_KEY,
      INGEST_CORS_ORIGINS: `${PAGE_ORIGIN}, https://*.example.com`,
      INGEST_MAX_EVENT_BYTES: '4096',
    });
    topics = TopicWatch.forPrefix(testInfrastructure().kafkaBrokers.split(','), namespace.topicPrefix);
    await topics.start();
  });

  afterAll(async () => {
    await topics?.stop();
    await ingest?.close();
  });

  it('stores one event per short route, typed by the route, as the long route would', async () => {
    const routes = { t: 'track', p: 'page', i: 'identify', a: 'alias', g: 'group', s: 'screen' } as const;
    for (const [letter, type] of Object.entries(routes)) {
      const event: Record<string, unknown> = {
        messageId: id(`short-${letter}`),
        anonymousId: id('anon'),
        timestamp: new Date().toISOString(),
      };
      if (type === 'track') event.event = 'Signed Up';
      if (type === 'group') event.groupId = 'g-1';
      if (type === 'alias') Object.assign(event, { userId: 'u-1', previousId: id('anon') });
      const answer = await post(api(`/v1/${letter}`), JSON.stringify(event), asBrowser);
      expect(answer.status, `/v1/${letter}: ${JSON.stringify(answer.body)}`).toBe(200);
      expect(answer.body).toEqual({ success: true, accepted: 1, rejected: [] });
    }
    const stored = await topics.waitForRaw((message) => message.value.data.event.messageId.startsWith(id('short-')), 6, 'six events');
    const types = Object.fromEntries(stored.map((message) => [message.value.data.event.messageId, message.value.data.event.type]));
    expect(types).toEqual(Object.fromEntries(Object.entries(routes).map(([letter, type]) => [id(`short-${letter}`), type])));
    expect(stored.every((message) => message.value.source === 'api')).toBe(true);
  });

  it('takes /v1/b batches with the write key in the body and applies the batch sentAt clock-skew correction', async () => {
    // A device clock one hour ahead: the events happened 2 s and 1 s before the batch was sent.
    const skew = 60 * 60 * 1000;
    const deviceNow = Date.now() + skew;
    const body = {
      writeKey: WRITE_KEY,
      sentAt: new Date(deviceNow).toISOString(),
      batch: [
        pageEvent(id('b-1'), id('anon-b'), { timestamp: new Date(deviceNow - 2_000).toISOString() }),
        {
          type: 'track',
          event: 'Clicked',
          messageId: id('b-2'),
          anonymousId: id('anon-b'),
          timestamp: new Date(deviceNow - 1_000).toISOString(),
        },
      ],
    };
    const answer = await post(api('/v1/b'), JSON.stringify(body), { 'content-type': 'text/plain' });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ accepted: 2 });
    const stored = await topics.waitForRaw((message) => message.value.data.event.messageId.startsWith(id('b-')), 2, 'the batch');
    for (const message of stored) {
      const event = message.value.data.event;
      const expectedLag = event.messageId === id('b-1') ? 2_000 : 1_000;
      expect(Date.parse(event.receivedAt) - Date.parse(event.timestamp)).toBe(expectedLag);
      expect(JSON.stringify(message.value)).not.toContain(WRITE_KEY);
    }
  });

  it('takes a gzipped text/plain batch on /v1/b, as analytics-kotlin sends it', async () => {
    const body = gzipSync(JSON.stringify({ writeKey: WRITE_KEY, batch: [pageEvent(id('gzip'), id('anon-g'))] }));
    const answer = await post(api('/v1/b'), body, { 'content-type': 'text/plain', 'content-encoding': 'gzip' });
    expect(answer.status).toBe(200);
    await topics.waitForRaw((message) => message.value.data.event.messageId === id('gzip'), 1, 'the gzipped event');
  });

  it('applies the per-event sentAt of a single call, as analytics-next sends it', async () => {
    const deviceNow = Date.now() - 10 * 60 * 1000; // ten minutes behind
    const event = {
      ...pageEvent(id('skew-p'), id('anon-s')),
      timestamp: new Date(deviceNow - 500).toISOString(),
      sentAt: new Date(deviceNow).toISOString(),
    };
    expect((await post(api('/v1/p'), JSON.stringify(event), asBrowser)).status).toBe(200);
    const [stored] = await topics.waitForRaw((message) => message.value.data.event.messageId === id('skew-p'), 1, 'the page');
    const accepted = stored!.value.data.event;
    expect(Date.parse(accepted.receivedAt) - Date.parse(accepted.timestamp)).toBe(500);
  });

  it('has the same limits, rejections and answers as the long routes', async () => {
    const invalid = await post(api('/v1/t'), JSON.stringify({ messageId: id('no-event-name'), anonymousId: 'a' }), asBrowser);
    expect(invalid.status).toBe(400);
    expect(invalid.body).toMatchObject({ success: false, error: 'invalid_event' });

    const batch = await post(
      api('/v1/b'),
      JSON.stringify({ batch: [pageEvent(id('ok'), 'a'), pageEvent(id('huge'), 'a', { properties: { blob: 'x'.repeat(5_000) } })] }),
      asBrowser,
    );
    expect(batch.status).toBe(200);
    expect(batch.body).toMatchObject({ accepted: 1, rejected: [{ index: 1, messageId: id('huge') }] });
    await topics.waitForRejected((message) => message.value.data.messageId === id('huge'), 1, 'the oversized event');

    const oversized = await post(
      api('/v1/b'),
      JSON.stringify({ batch: [pageEvent(id('big'), 'a', { blob: 'x'.repeat(600_000) })] }),
      asBrowser,
    );
    expect(oversized.status).toBe(413);
    expect(oversized.body).toMatchObject({ error: 'request_too_large' });

    const unauthenticated = await post(api('/v1/p'), JSON.stringify(pageEvent(id('nokey'), 'a')), { 'content-type': 'text/plain' });
    expect(unauthenticated.status).toBe(401);
    const wrongKey = await post(api('/v1/p'), JSON.stringify(pageEvent(id('badkey'), 'a')), { authorization: basicAuth('nope') });
    expect(wrongKey.status).toBe(401);
  });

  it('answers the SDK telemetry on /v1/m with 200 without storing it, and counts it', async () => {
    const series = { series: [{ type: 'Counter', metric: 'analytics_js.invoke', value: 1, tags: { method: 'page' } }] };
    const answer = await post(api('/v1/m'), JSON.stringify(series), { 'content-type': 'text/plain', origin: PAGE_ORIGIN });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('access-control-allow-origin')).toBe(PAGE_ORIGIN);
    const metrics = await (await fetch(api('/metrics'))).text();
    expect(metrics).toMatch(/touchstream_ingest_sdk_telemetry_requests_total [1-9]/);
  });

  it('answers a preflight from an allowed origin with the methods and headers the SDKs send, without credentials', async () => {
    for (const origin of [PAGE_ORIGIN, 'https://shop.example.com']) {
      const response = await fetch(api('/v1/p'), {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization,content-type,x-retry-count',
        },
      });
      expect(response.status).toBe(204);
      expect(response.headers.get('access-control-allow-origin')).toBe(origin);
      expect(response.headers.get('access-control-allow-methods')).toBe('POST, OPTIONS');
      expect(response.headers.get('access-control-allow-headers')?.toLowerCase().split(', ').sort()).toEqual([
        'authorization',
        'content-type',
        'x-retry-count',
      ]);
      expect(response.headers.get('access-control-allow-credentials')).toBeNull();
      expect(response.headers.get('vary')).toMatch(/Origin/);
    }
  });

  it('lets an allowed page read the answer, Retry-After included', async () => {
    const answer = await post(api('/v1/p'), JSON.stringify(pageEvent(id('cors-ok'), 'a')), { ...asBrowser, origin: PAGE_ORIGIN });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('access-control-allow-origin')).toBe(PAGE_ORIGIN);
    expect(answer.headers.get('access-control-expose-headers')).toBe('Retry-After');
    expect(answer.headers.get('access-control-allow-credentials')).toBeNull();
  });

  it('refuses an origin that is not allowed with a 403 that says so, and stores nothing it sent', async () => {
    const origin = 'https://evil.example.org';
    const preflight = await fetch(api('/v1/p'), { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST' } });
    expect(preflight.status).toBe(403);
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    expect(await preflight.json()).toMatchObject({
      success: false,
      error: 'origin_not_allowed',
      message: expect.stringContaining('INGEST_CORS_ORIGINS'),
    });

    const refused = await post(api('/v1/p'), JSON.stringify(pageEvent(id('cors-refused'), 'a')), { ...asBrowser, origin });
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ error: 'origin_not_allowed' });
    // A later event proves the topic was read past the point where the refused one would be.
    expect((await post(api('/v1/p'), JSON.stringify(pageEvent(id('cors-after'), 'a')), asBrowser)).status).toBe(200);
    await topics.waitForRaw((message) => message.value.data.event.messageId === id('cors-after'), 1, 'the later event');
    expect(topics.raw().some((message) => message.value.data.event.messageId === id('cors-refused'))).toBe(false);
    const metrics = await (await fetch(api('/metrics'))).text();
    expect(metrics).toMatch(/touchstream_ingest_origins_refused_total\{kind="preflight"\} [1-9]/);
    expect(metrics).toMatch(/touchstream_ingest_origins_refused_total\{kind="request"\} [1-9]/);
  });

  it('gives the webhook and the operational routes no CORS headers, whatever the origin', async () => {
    const health = await fetch(api('/health'), { headers: { origin: PAGE_ORIGIN } });
    expect(health.headers.get('access-control-allow-origin')).toBeNull();
    const webhook = await post(api('/v1/webhook'), JSON.stringify(pageEvent(id('hook'), 'a')), { origin: 'https://evil.example.org' });
    expect(webhook.status).toBe(200);
    expect(webhook.headers.get('access-control-allow-origin')).toBeNull();
    await waitFor(() => topics.raw().some((message) => message.value.data.event.messageId === id('hook')), {
      description: 'the webhook event',
    });
  });
});
