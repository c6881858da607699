import { gzipSync } from 'node:zlib';
import { Analytics } from '@segment/analytics-node';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testInfrastructure, testNamespace, waitFor } from '@touchstream/testing';
import type { RejectedItem } from './core/answers';
import { TopicWatch, basicAuth, pageEvent, post, sign, startIngest, type RunningIngest } from './testing/harness';

const WRITE_KEY = 'test-write-key-1';
const SECRET = 'webhook-shared-secret';

describe('ingest on the real broker', () => {
  const namespace = testNamespace('ingest');
  const brokers = () => testInfrastructure().kafkaBrokers.split(',');
  let ingest: RunningIngest;
  let topics: TopicWatch;
  const api = (path: string) => `${ingest.url}${path}`;
  /** A snapshot of /metrics: the first number a pattern captures, 0 for a series not there yet. */
  const metricValues = async () => {
    const text = await (await fetch(api('/metrics'))).text();
    return (pattern: RegExp) => Number(pattern.exec(text)?.[1] ?? 0);
  };
  const withKey = { authorization: basicAuth(WRITE_KEY) };

  beforeAll(async () => {
    ingest = await startIngest({
      KAFKA_BROKERS: testInfrastructure().kafkaBrokers,
      KAFKA_TOPIC_PREFIX: namespace.topicPrefix,
      INGEST_WRITE_KEYS: `other-key, ${WRITE_KEY}`,
      SEGMENT_SHARED_SECRET: SECRET,
      INGEST_MAX_BATCH_EVENTS: '5',
    });
    topics = TopicWatch.forPrefix(brokers(), namespace.topicPrefix);
    await topics.start();
  });

  afterAll(async () => {
    await topics?.stop();
    await ingest?.close();
  });

  it('stores exactly the identify, page and track calls the official Segment SDK sends, with every field intact', async () => {
    const errors: unknown[] = [];
    const analytics = new Analytics({
      writeKey: WRITE_KEY,
      host: ingest.url,
      path: '/v1/batch',
      flushAt: 3,
      flushInterval: 60_000,
      maxRetries: 0,
    });
    analytics.on('error', (error) => errors.push(error));
    const anonymousId = `sdk-anon-${namespace.id}`;
    analytics.identify({
      userId: 'user-42',
      anonymousId,
      traits: { plan: 'pro', company: { name: 'Acme' } },
      messageId: `${namespace.id}-identify`,
    });
    analytics.page({
      anonymousId,
      name: 'Pricing',
      category: 'Docs',
      properties: { url: 'https://www.example.com/pricing?utm_source=ads', referrer: 'https://www.google.com/' },
      context: { campaign: { source: 'ads', medium: 'cpc', name: 'launch' } },
      messageId: `${namespace.id}-page`,
    });
    analytics.track({
      anonymousId,
      userId: 'user-42',
      event: 'Signed Up',
      properties: { plan: 'pro', seats: 3, tags: ['a', 'b'] },
      messageId: `${namespace.id}-track`,
    });
    await analytics.closeAndFlush();
    expect(errors).toEqual([]);

    const stored = await topics.waitForRaw((message) => message.key === anonymousId, 3, 'the three SDK events');
    expect(stored).toHaveLength(3);
    const events = stored.map((message) => message.value);
    const byType = Object.fromEntries(events.map((raw) => [raw.data.event.type, raw]));
    expect(Object.keys(byType).sort()).toEqual(['identify', 'page', 'track']);
    for (const raw of events) {
      expect(raw.source).toBe('api');
      expect(raw.correlationId).toBe(raw.data.event.messageId);
      expect(raw.data.event.context).toMatchObject({ library: { name: '@segment/analytics-node' } });
      // Server time beside the event's own (clock-corrected) time.
      expect(Date.parse(raw.data.event.receivedAt)).toBeGreaterThan(0);
      expect(raw.data.event.sentAt).toEqual(expect.any(String));
    }
    expect(byType.identify?.data.event).toMatchObject({
      messageId: `${namespace.id}-identify`,
      userId: 'user-42',
      anonymousId,
      traits: { plan: 'pro', company: { name: 'Acme' } },
    });
    expect(byType.page?.data.event).toMatchObject({
      messageId: `${namespace.id}-page`,
      name: 'Pricing',
      category: 'Docs',
      properties: { url: 'https://www.example.com/pricing?utm_source=ads', referrer: 'https://www.google.com/' },
      context: { campaign: { source: 'ads', medium: 'cpc', name: 'launch' } },
    });
    expect(byType.track?.data.event).toMatchObject({
      messageId: `${namespace.id}-track`,
      event: 'Signed Up',
      properties: { plan: 'pro', seats: 3, tags: ['a', 'b'] },
    });
    expect(stored.every((message) => message.headers['x-event-id'] === message.value.id)).toBe(true);
  });

  it('accepts a signed webhook and refuses an unsigned or tampered one with 401', async () => {
    const event = pageEvent(`${namespace.id}-wh-1`, 'wh-anon-1', { receivedAt: '2026-03-01T10:00:01.000Z' });
    const body = JSON.stringify(event);
    const signed = await post(api('/v1/webhook'), body, { 'x-signature': sign(SECRET, body), 'user-agent': 'Segment.io/1.0' });
    expect(signed).toMatchObject({ status: 200, body: { success: true, accepted: 1, rejected: [] } });

    const unsigned = await post(api('/v1/webhook'), JSON.stringify(pageEvent(`${namespace.id}-wh-2`, 'wh-anon-2')));
    expect(unsigned).toMatchObject({ status: 401, body: { error: 'unauthorized', message: 'X-Signature header is missing' } });
    const tampered = body.replace('Pricing', 'Pricinh');
    const forged = await post(api('/v1/webhook'), tampered, { 'x-signature': sign(SECRET, body) });
    expect(forged).toMatchObject({ status: 401, body: { message: 'X-Signature does not match the request body' } });
    const wrongSecret = await post(api('/v1/webhook'), body, { 'x-signature': sign('another-secret', body) });
    expect(wrongSecret.status).toBe(401);

    const [stored] = await topics.waitForRaw((message) => message.key === 'wh-anon-1', 1, 'the signed webhook event');
    // Segment already corrected the webhook event's clock and stamped its receivedAt: both kept.
    expect(stored?.value).toMatchObject({
      source: 'webhook',
      data: { event: { timestamp: '2026-03-01T10:00:00.000Z', receivedAt: '2026-03-01T10:00:01.000Z' } },
    });
    expect(topics.raw().filter((message) => ['wh-anon-2'].includes(message.key ?? ''))).toEqual([]);
  });

  it('refuses a webhook array signed over its first event only (anyone could append events), and accepts it signed whole', async () => {
    const first = pageEvent(`${namespace.id}-wha-1`, 'wha-anon');
    const appended = pageEvent(`${namespace.id}-wha-2`, 'wha-forged');
    const body = JSON.stringify([first, appended]);
    const firstOnly = await post(api('/v1/webhook'), body, { 'x-signature': sign(SECRET, JSON.stringify(first)) });
    expect(firstOnly).toMatchObject({
      status: 401,
      body: { error: 'unauthorized', message: 'X-Signature does not match the request body' },
    });
    const whole = await post(api('/v1/webhook'), body, { 'x-signature': sign(SECRET, body) });
    expect(whole).toMatchObject({ status: 200, body: { accepted: 2, rejected: [] } });
    await topics.waitForRaw((message) => message.key === 'wha-anon' || message.key === 'wha-forged', 2, 'both events of the signed body');
  });

  it('refuses what the pipeline cannot store: NUL, oversize ids, timestamps out of range, each with its reason', async () => {
    const anonymousId = `limits-${namespace.id}`;
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ anonymousId: `${anonymousId}\u0000` }, 'anonymousId: must not contain the NUL character (U+0000)'],
      [{ userId: 'u\u0000' }, 'userId: must not contain the NUL character (U+0000)'],
      [{ properties: { url: 'https://www.example.com/\u0000' } }, 'properties.url: must not contain the NUL character'],
      [{ anonymousId: 'a'.repeat(10_240) }, 'anonymousId: is 10240 characters, over the limit of 255'],
      [{ userId: 'u'.repeat(10_240) }, 'userId: is 10240 characters, over the limit of 255'],
      [{ timestamp: '0000-01-01T00:00:00.000Z' }, 'timestamp: must be a timestamp between'],
      [{ timestamp: '-000001-01-01T00:00:00.000Z' }, 'timestamp: must be a timestamp between'],
      [{ timestamp: '9999-12-31T23:00:00.000Z' }, 'timestamp: must be a timestamp between'],
      [{ timestamp: '+010000-01-01T00:00:00.000Z' }, 'timestamp: must be a timestamp between'],
    ];
    for (const [index, [fields, reason]] of cases.entries()) {
      const event = pageEvent(`${namespace.id}-lim-${index}`, anonymousId, fields);
      const single = await post(api('/v1/page'), JSON.stringify(event), withKey);
      expect(single, reason).toMatchObject({ status: 400, body: { error: 'invalid_event', message: expect.stringContaining(reason) } });
    }
    const batch = cases.map(([fields], index) => pageEvent(`${namespace.id}-limb-${index}`, anonymousId, fields)).slice(0, 5);
    // Through the webhook (a signed array): the rejections of the /v1/batch spec below stay its own.
    const body = JSON.stringify(batch);
    const answer = await post(api('/v1/webhook'), body, { 'x-signature': sign(SECRET, body) });
    expect(answer).toMatchObject({ status: 200, body: { accepted: 0 } });
    expect((answer.body.rejected as RejectedItem[]).map((item) => item.index)).toEqual([0, 1, 2, 3, 4]);
    await topics.waitForRejected(
      (message) => message.value.data.messageId?.startsWith(`${namespace.id}-limb-`) ?? false,
      5,
      'the batch rejections',
    );
    expect(topics.raw().filter((message) => (message.value.data.event.messageId ?? '').includes('-lim'))).toEqual([]);
  });

  it('answers malformed input from a client 400, never 500: deep nesting, dates at the limits of JavaScript, escaped __proto__', async () => {
    const deep = `{"batch":[{"type":"page","anonymousId":"d","properties":${'{"p":'.repeat(10_000)}1${'}'.repeat(10_000)}}]}`;
    expect(await post(api('/v1/batch'), deep, withKey)).toMatchObject({
      status: 400,
      body: { error: 'invalid_json', message: 'request body is not accepted: it is nested deeper than 66 levels' },
    });
    const extremes = pageEvent(`${namespace.id}-dates`, 'dates-anon', {
      timestamp: undefined,
      originalTimestamp: '-271821-04-20T00:00:00.000Z',
      sentAt: '+275760-09-13T00:00:00.000Z',
    });
    expect(await post(api('/v1/page'), JSON.stringify(extremes), withKey)).toMatchObject({
      status: 400,
      body: { error: 'invalid_event', message: expect.stringContaining('originalTimestamp: must be a timestamp between') },
    });
    const skewed = pageEvent(`${namespace.id}-skew`, 'dates-anon', {
      timestamp: undefined,
      originalTimestamp: '2999-01-01T00:00:00.000Z',
      sentAt: '1970-01-01T00:00:00.000Z',
    });
    expect(await post(api('/v1/page'), JSON.stringify(skewed), withKey)).toMatchObject({
      status: 400,
      body: { error: 'invalid_event', message: expect.stringContaining('timestamp: corrected for clock skew') },
    });
    const poisoned = `{"type":"page","anonymousId":"p","properties":{"\\u005f_proto__":{"admin":true}}}`;
    expect(await post(api('/v1/page'), poisoned, withKey)).toMatchObject({
      status: 400,
      body: { error: 'invalid_json', message: 'request body is not accepted: the key "__proto__" is not allowed' },
    });
  });

  it('accepts the valid events of a partial batch and publishes each rejected one with its reason', async () => {
    const anonymousId = `partial-${namespace.id}`;
    const batch = [
      pageEvent(`${namespace.id}-p0`, anonymousId),
      { type: 'track', messageId: `${namespace.id}-p1`, anonymousId },
      pageEvent(`${namespace.id}-p2`, anonymousId),
      { type: 'page', messageId: `${namespace.id}-p3` },
      { type: 'alias', userId: 'u-1' },
      pageEvent(`${namespace.id}-p5`, anonymousId),
    ];
    const answer = await post(api('/v1/batch'), JSON.stringify({ batch, writeKey: WRITE_KEY }));
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      success: true,
      accepted: 2,
      rejected: [
        { index: 1, messageId: `${namespace.id}-p1`, reason: expect.stringContaining('invalid track: event:') },
        { index: 3, messageId: `${namespace.id}-p3`, reason: 'invalid page: userId: userId or anonymousId is required' },
        { index: 4, messageId: null, reason: expect.stringContaining('invalid alias: previousId') },
        { index: 5, messageId: `${namespace.id}-p5`, reason: expect.stringContaining('past the limit of 5 events per batch') },
      ],
    });
    const accepted = await topics.waitForRaw((message) => message.key === anonymousId, 2, 'the two valid events');
    expect(accepted.map((message) => message.value.data.event.messageId).sort()).toEqual([`${namespace.id}-p0`, `${namespace.id}-p2`]);

    const rejected = await topics.waitForRejected(
      (message) => message.value.data.origin.channel === '/v1/batch' && [1, 3, 4, 5].includes(message.value.data.origin.index ?? -1),
      4,
      'the four rejected events',
    );
    for (const message of rejected) {
      const value = message.value;
      const item = (answer.body.rejected as RejectedItem[]).find((entry) => entry.index === value.data.origin.index);
      expect(value.data).toMatchObject({ reason: item?.reason, messageId: item?.messageId, payload: batch[item?.index ?? -1] });
      expect(message.key).toBe(item?.messageId ?? value.id);
    }
    // The write key in the body is a credential: it never reaches a topic.
    expect(JSON.stringify(rejected.map((message) => message.value))).not.toContain(WRITE_KEY);
  });

  it('answers an oversized request 413 and invalid JSON 400, each saying what was wrong', async () => {
    const huge = JSON.stringify({ batch: Array.from({ length: 1_000 }, (_, i) => pageEvent(`${namespace.id}-big-${i}`, 'big')) });
    expect(Buffer.byteLength(huge)).toBeGreaterThan(512_000);
    const oversize = await post(api('/v1/batch'), huge, withKey);
    expect(oversize).toMatchObject({
      status: 413,
      body: {
        success: false,
        error: 'request_too_large',
        limit: 512_000,
        message: expect.stringContaining('over the limit of 512000 bytes per request'),
      },
    });
    const gzipped = await post(api('/v1/batch'), gzipSync(huge), { ...withKey, 'content-encoding': 'gzip' });
    expect(gzipped).toMatchObject({
      status: 413,
      body: { error: 'request_too_large', message: expect.stringContaining('gzip request body, inflated') },
    });

    const malformed = await post(api('/v1/batch'), '{"batch": [{"type": "page",}]}', withKey);
    expect(malformed).toMatchObject({
      status: 400,
      body: { success: false, error: 'invalid_json', message: expect.stringContaining('request body is not valid JSON') },
    });
    const [kept] = await topics.waitForRejected(
      (message) => message.value.data.payload === '{"batch": [{"type": "page",}]}',
      1,
      'the malformed body',
    );
    expect(kept?.value.data.reason).toBe(malformed.body.message);

    const wrongShape = await post(api('/v1/batch'), JSON.stringify([pageEvent('x', 'y')]), withKey);
    expect(wrongShape).toMatchObject({
      status: 400,
      body: { error: 'invalid_request', message: '/v1/batch expects a JSON object {"batch": [events]}' },
    });

    const bigEvent = pageEvent(`${namespace.id}-fat`, 'fat', { properties: { blob: 'x'.repeat(40_000) } });
    const fat = await post(api('/v1/batch'), JSON.stringify({ batch: [bigEvent, pageEvent(`${namespace.id}-thin`, 'fat')] }), withKey);
    expect(fat).toMatchObject({
      status: 200,
      body: { accepted: 1, rejected: [{ index: 0, reason: expect.stringContaining('over the limit of 32768 bytes per event') }] },
    });
  });

  it('answers a single invalid event 400 and keeps it in the rejected topic', async () => {
    const answer = await post(
      api('/v1/track'),
      JSON.stringify({ anonymousId: 'single-anon', messageId: `${namespace.id}-single` }),
      withKey,
    );
    expect(answer).toMatchObject({
      status: 400,
      body: {
        error: 'invalid_event',
        accepted: 0,
        rejected: [{ index: 0, messageId: `${namespace.id}-single`, reason: expect.stringContaining('invalid track: event') }],
      },
    });
    await topics.waitForRejected((message) => message.value.data.messageId === `${namespace.id}-single`, 1, 'the invalid single event');
  });

  it('authenticates the Tracking API by Basic auth or body writeKey and refuses anything else with 401', async () => {
    const event = JSON.stringify({ anonymousId: 'auth-anon', event: 'Clicked', messageId: `${namespace.id}-auth` });
    expect((await post(api('/v1/track'), event, withKey)).status).toBe(200);
    expect((await post(api('/v1/track'), event, { authorization: basicAuth('wrong') })).body).toMatchObject({
      error: 'unauthorized',
      message: 'unknown write key',
    });
    expect((await post(api('/v1/track'), event)).status).toBe(401);
    expect((await post(api('/v1/track'), event, { authorization: 'Bearer x' })).status).toBe(401);
    const inBody = JSON.stringify({ anonymousId: 'auth-anon', event: 'Clicked', messageId: `${namespace.id}-auth-2`, writeKey: WRITE_KEY });
    expect((await post(api('/v1/track'), inBody)).status).toBe(200);
    const stored = await topics.waitForRaw((message) => message.key === 'auth-anon', 2, 'the two authenticated events');
    expect(stored.map((message) => message.value.data.event.type)).toEqual(['track', 'track']);
    expect(JSON.stringify(stored.map((message) => message.value))).not.toContain(WRITE_KEY);
  });

  it('keys by anonymousId else userId, derives a stable messageId, and corrects client clocks from sentAt', async () => {
    const now = Date.now();
    // The client clock runs an hour slow: it stamped the event 2 s before sending it.
    const skewed = {
      type: 'identify',
      userId: `only-user-${namespace.id}`,
      traits: { plan: 'free' },
      timestamp: new Date(now - 3_600_000 - 2_000).toISOString(),
    };
    const body = JSON.stringify({ batch: [skewed], sentAt: new Date(now - 3_600_000).toISOString() });
    expect((await post(api('/v1/batch'), body, withKey)).status).toBe(200);
    // A retried delivery (new sentAt) of the same event without a messageId.
    const retry = JSON.stringify({ batch: [skewed], sentAt: new Date(now - 3_590_000).toISOString() });
    expect((await post(api('/v1/batch'), retry, withKey)).status).toBe(200);
    const stored = await topics.waitForRaw((message) => message.key === `only-user-${namespace.id}`, 2, 'the identify and its retry');
    const [first, second] = stored.map((message) => message.value.data.event);
    expect(first?.messageId).toMatch(/^ts-/);
    expect(second?.messageId).toBe(first?.messageId);
    expect(Date.parse(first?.receivedAt ?? '') - Date.parse(first?.timestamp ?? '')).toBe(2_000);
  });

  it('coalesces concurrent requests into fewer produce requests', async () => {
    const concurrent = 40;
    const bodies = Array.from({ length: concurrent }, (_, i) =>
      JSON.stringify({ batch: Array.from({ length: 5 }, (_, j) => pageEvent(`${namespace.id}-c${i}-${j}`, `c-${i}`)) }),
    );
    // One open connection per request, so the requests really arrive together.
    const agent = new Agent({ connections: concurrent });
    const call = async (path: string, method: 'GET' | 'POST', body?: string) => {
      const response = await agent.request({
        origin: ingest.url,
        path,
        method,
        body,
        headers: { ...withKey, 'content-type': 'application/json' },
      });
      await response.body.text();
      return response.statusCode;
    };
    const before = await metricValues();
    try {
      await Promise.all(Array.from({ length: concurrent }, () => call('/health', 'GET')));
      expect(await Promise.all(bodies.map((body) => call('/v1/batch', 'POST', body)))).toEqual(bodies.map(() => 200));
    } finally {
      await agent.close();
    }
    const after = await metricValues();
    const delta = (pattern: RegExp) => after(pattern) - before(pattern);
    expect(delta(/^touchstream_ingest_request_duration_seconds_count\{route="\/v1\/batch",status="200"\} (\d+)/m)).toBe(concurrent);
    expect(delta(/^touchstream_ingest_events_accepted_total\{source="api"\} (\d+)/m)).toBe(concurrent * 5);
    // Each request waited for its own acks, yet they shared produce requests.
    expect(delta(/^touchstream_ingest_produce_request_messages_count (\d+)/m)).toBeLessThan(concurrent);
  });

  it('counts accepted, rejected and refused events and times requests and acks in /metrics', async () => {
    const before = await metricValues();
    const batch = { batch: [pageEvent(`${namespace.id}-mt-1`, 'mt'), { type: 'track', anonymousId: 'mt' }, { type: 'page' }] };
    expect((await post(api('/v1/batch'), JSON.stringify(batch), withKey)).status).toBe(200);
    expect((await post(api('/v1/webhook'), JSON.stringify(pageEvent(`${namespace.id}-mt-2`, 'mt')))).status).toBe(401);
    const after = await metricValues();
    const delta = (pattern: RegExp) => after(pattern) - before(pattern);
    expect(delta(/^touchstream_ingest_events_accepted_total\{source="api"\} (\d+)/m)).toBe(1);
    expect(delta(/^touchstream_ingest_events_rejected_total\{source="api",reason="invalid_event"\} (\d+)/m)).toBe(2);
    expect(delta(/^touchstream_ingest_requests_refused_total\{source="webhook",reason="unauthorized"\} (\d+)/m)).toBe(1);
    expect(delta(/^touchstream_ingest_ack_wait_seconds_count\{outcome="acked"\} (\d+)/m)).toBe(1);
    expect(delta(/^touchstream_ingest_request_duration_seconds_count\{route="\/v1\/webhook",status="401"\} (\d+)/m)).toBe(1);
    expect(after(/^touchstream_ingest_produce_request_duration_seconds_count (\d+)/m)).toBeGreaterThan(0);
  });

  it('is ready while the broker acknowledges', async () => {
    const ready = await waitFor(async () => {
      const response = await fetch(api('/ready'));
      return response.status === 200 ? response.json() : undefined;
    });
    expect(ready).toEqual({ status: 'ready', checks: { kafka: true, 'broker-acks': true, 'consumer-progress': true } });
    expect(await (await fetch(api('/health'))).json()).toEqual({ status: 'ok' });
  });
});
