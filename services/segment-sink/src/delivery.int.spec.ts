import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { identifyMessageId, trackMessageId } from '@touchstream/segment-delivery';
import { dropSchema, testInfrastructure, testNamespace, waitFor, type ReceivedEvent } from '@touchstream/testing';
import { debugHeaders, facts, startSink, TestTopics, touchData, touchSource, WRITE_KEY, type RunningSink } from './testing/harness';

const MAX_REQUEST_BYTES = 8_000;
const LIBRARY = { name: 'touchstream-segment-sink', version: '0.1.0' };

describe('segment-sink delivering to a Segment receiver (live mode)', () => {
  const namespace = testNamespace('sink-delivery');
  const topics = new TestTopics(namespace);
  let sink: RunningSink;

  beforeAll(async () => {
    await topics.start();
    sink = await startSink(namespace, {
      // The receiver refuses anything over the sink's own request limit: a miscount shows up as a 400.
      env: { SINK_MAX_BATCH_BYTES: String(MAX_REQUEST_BYTES), SINK_MAX_EVENT_BYTES: '4000' },
      receiver: { maxRequestBytes: MAX_REQUEST_BYTES },
    });
  });

  afterAll(async () => {
    await sink?.close();
    await topics.stop();
    await dropSchema(testInfrastructure().databaseUrl, namespace.schema);
  });

  const eventsFor = (messageId: string): ReceivedEvent[] => sink.receiver.accepted().filter((event) => event.messageId === messageId);
  const arrived = (...messageIds: string[]) =>
    waitFor(() => messageIds.every((id) => eventsFor(id).length > 0), { description: `${messageIds.length} events at the receiver` });
  /** Handled events are recorded in Postgres off the delivery path: wait for that before a redelivery. */
  const marksWritten = () =>
    waitFor(
      async () =>
        ((await (await fetch(`${sink.url}/segment/status`, { headers: debugHeaders() })).json()) as { marksPending: number })
          .marksPending === 0,
      { description: 'handled events recorded' },
    );
  const allRequestedIds = () => sink.receiver.requests().flatMap((request) => request.events.map((event) => String(event.messageId)));

  const firstTouch = touchData({
    touchId: 'exact-first',
    anonymousId: 'exact-anon',
    userId: null,
    occurredAt: '2023-11-02T08:15:00.000Z',
    url: 'https://shop.example.com/?utm_source=google&utm_medium=cpc&utm_campaign=winter&utm_content=ad-2&gclid=abc',
    referrer: 'https://www.google.com/',
    source: touchSource({
      channel: 'Paid Search',
      source: 'google',
      medium: 'cpc',
      campaign: 'winter',
      content: 'ad-2',
      referrerHost: 'www.google.com',
      referrerName: 'Google',
      referrerCategory: 'search',
      clickId: 'abc',
      clickIdParam: 'gclid',
      landingUrl: 'https://shop.example.com/?utm_source=google&utm_medium=cpc&utm_campaign=winter&utm_content=ad-2&gclid=abc',
    }),
  });
  const lastTouch = touchData({
    touchId: 'exact-last',
    anonymousId: 'exact-anon',
    userId: 'exact-user',
    occurredAt: '2024-02-10T19:00:00.000Z',
    url: 'https://shop.example.com/blog',
    referrer: 'https://t.co/xyz',
    source: touchSource({
      channel: 'Organic Social',
      source: 'twitter',
      medium: 'social',
      referrerHost: 't.co',
      referrerName: 'Twitter',
      referrerCategory: 'social',
      landingUrl: 'https://shop.example.com/blog',
    }),
  });

  it("sends a user's first and last touch as exact identify traits and Source Identified tracks", async () => {
    await topics.publishTouches([firstTouch, lastTouch]);
    await topics.publishFacts([facts('exact-user', 1, firstTouch, lastTouch)]);
    const identifyId = identifyMessageId('user', 'exact-user', 1);
    await arrived(identifyId, trackMessageId('exact-first'), trackMessageId('exact-last'));

    expect(eventsFor(identifyId)).toEqual([
      {
        type: 'identify',
        messageId: identifyId,
        userId: 'exact-user',
        timestamp: '2024-06-01T00:00:00.000Z',
        traits: {
          source_first_timestamp: '2023-11-02T08:15:00.000Z',
          source_first_channel: 'Paid Search',
          source_first_source: 'google',
          source_first_medium: 'cpc',
          source_first_campaign_name: 'winter',
          source_first_campaign_source: 'google',
          source_first_campaign_medium: 'cpc',
          source_first_campaign_content: 'ad-2',
          source_first_url: 'https://shop.example.com/?utm_source=google&utm_medium=cpc&utm_campaign=winter&utm_content=ad-2&gclid=abc',
          source_first_referrer: 'https://www.google.com/',
          source_first_referrer_host: 'www.google.com',
          source_first_referrer_type: 'search',
          source_first_referrer_engine: 'Google',
          source_first_click_id: 'abc',
          source_first_click_id_type: 'gclid',
          source_last_timestamp: '2024-02-10T19:00:00.000Z',
          source_last_channel: 'Organic Social',
          source_last_source: 'twitter',
          source_last_medium: 'social',
          source_last_url: 'https://shop.example.com/blog',
          source_last_referrer: 'https://t.co/xyz',
          source_last_referrer_host: 't.co',
          source_last_referrer_type: 'social',
          source_last_referrer_network: 'Twitter',
        },
        context: { active: false, library: LIBRARY },
      },
    ]);
    expect(eventsFor(trackMessageId('exact-first'))).toEqual([
      {
        type: 'track',
        messageId: trackMessageId('exact-first'),
        event: 'Source Identified',
        anonymousId: 'exact-anon',
        timestamp: '2023-11-02T08:15:00.000Z',
        properties: {
          timestamp: '2023-11-02T08:15:00.000Z',
          channel: 'Paid Search',
          source: 'google',
          medium: 'cpc',
          campaign_name: 'winter',
          campaign_source: 'google',
          campaign_medium: 'cpc',
          campaign_content: 'ad-2',
          url: 'https://shop.example.com/?utm_source=google&utm_medium=cpc&utm_campaign=winter&utm_content=ad-2&gclid=abc',
          referrer: 'https://www.google.com/',
          referrer_host: 'www.google.com',
          referrer_type: 'search',
          referrer_engine: 'Google',
          click_id: 'abc',
          click_id_type: 'gclid',
        },
        context: { library: LIBRARY },
      },
    ]);
    expect(eventsFor(trackMessageId('exact-last'))).toEqual([
      {
        type: 'track',
        messageId: trackMessageId('exact-last'),
        event: 'Source Identified',
        userId: 'exact-user',
        anonymousId: 'exact-anon',
        timestamp: '2024-02-10T19:00:00.000Z',
        properties: {
          timestamp: '2024-02-10T19:00:00.000Z',
          channel: 'Organic Social',
          source: 'twitter',
          medium: 'social',
          url: 'https://shop.example.com/blog',
          referrer: 'https://t.co/xyz',
          referrer_host: 't.co',
          referrer_type: 'social',
          referrer_network: 'Twitter',
        },
        context: { library: LIBRARY },
      },
    ]);
    const request = sink.receiver.requests().find((candidate) => candidate.events.some((event) => event.messageId === identifyId));
    expect(request?.path).toBe('/v1/batch');
    expect(request?.headers.authorization).toBe(`Basic ${Buffer.from(`${WRITE_KEY}:`).toString('base64')}`);
    expect(request?.headers['content-type']).toBe('application/json');
    expect(Number(request?.headers['content-length'])).toBe(request?.bytes);
  });

  it('packs multi-byte events into requests by UTF-8 bytes: full, never over the limit', async () => {
    // 150 characters of CJK and emoji: about 500 bytes, three times the character count.
    const campaign = (n: number) => `${'日本語'.repeat(40)}🚀🚀🚀🚀🚀${n}`;
    const touches = Array.from({ length: 60 }, (_, n) =>
      touchData({
        touchId: `mb-${n}`,
        anonymousId: 'mb-anon',
        source: touchSource({ channel: 'Unassigned', source: 'partner', medium: 'ï', campaign: campaign(n) }),
      }),
    );
    await topics.publishTouches(touches);
    const ids = touches.map((touch) => trackMessageId(touch.touchId));
    await arrived(...ids);

    const requests = sink.receiver.requests().filter((request) => request.events.some((event) => ids.includes(String(event.messageId))));
    expect(requests.every((request) => request.outcome === 'accepted')).toBe(true);
    expect(requests.every((request) => request.bytes <= MAX_REQUEST_BYTES)).toBe(true);
    expect(requests.every((request) => Number(request.headers['content-length']) === request.bytes)).toBe(true);
    const eventJson = JSON.stringify(eventsFor(ids[0] as string)[0]);
    const eventBytes = Buffer.byteLength(eventJson);
    // 120 CJK characters (3 bytes each) and 5 emoji (4 bytes, 2 UTF-16 units): counting length would undercount by 250.
    expect(eventBytes - eventJson.length).toBeGreaterThanOrEqual(250);
    // Filled greedily: one more event would not have fitted into any request but the last.
    const totalBytes = requests.reduce((sum, request) => sum + request.bytes, 0);
    expect(requests.length).toBeLessThanOrEqual(Math.ceil(totalBytes / (MAX_REQUEST_BYTES - eventBytes - 2)) + 1);
    expect(
      ids.map((id) => eventsFor(id).length),
      'each event delivered once',
    ).toEqual(ids.map(() => 1));
    expect(eventsFor(ids[7] as string)[0]?.properties).toMatchObject({ campaign_name: campaign(7), medium: 'ï' });
  });

  it('coalesces a window to the newest identify per subject, and skips a redelivered version', async () => {
    const touch = touchData({ touchId: 'co-touch', anonymousId: 'co-anon', userId: 'co-user' });
    const versions = [1, 2, 3].map((version) =>
      facts('co-user', version, touch, { ...touch, occurredAt: `2024-03-0${version}T00:00:00.000Z` }),
    );
    await topics.publishFacts(versions);
    await arrived(identifyMessageId('user', 'co-user', 3));
    expect(eventsFor(identifyMessageId('user', 'co-user', 3))[0]?.traits).toMatchObject({
      source_last_timestamp: '2024-03-03T00:00:00.000Z',
    });

    // v3 again (a redelivery), then v4 behind it on the same partition: v4 arrives, v3 only once.
    await marksWritten();
    await topics.publishFacts([versions[2] as (typeof versions)[number]]);
    await topics.publishFacts([facts('co-user', 4, touch, { ...touch, occurredAt: '2024-03-04T00:00:00.000Z' })]);
    await arrived(identifyMessageId('user', 'co-user', 4));
    const requested = allRequestedIds();
    expect(
      requested.filter((id) => id === identifyMessageId('user', 'co-user', 1) || id === identifyMessageId('user', 'co-user', 2)),
    ).toEqual([]);
    expect(requested.filter((id) => id === identifyMessageId('user', 'co-user', 3))).toHaveLength(1);
  });

  it('identifies a visitor by anonymousId until the visitor is linked to a user', async () => {
    const touch = touchData({ touchId: 'visit-1', anonymousId: 'visitor-1' });
    await topics.publishFacts([facts('visitor-1', 1, touch, touch, { subjectType: 'anonymous', userIds: [] })]);
    await arrived(identifyMessageId('anonymous', 'visitor-1', 1));
    expect(eventsFor(identifyMessageId('anonymous', 'visitor-1', 1))[0]).toMatchObject({
      anonymousId: 'visitor-1',
      traits: { source_first_source: '(direct)' },
    });
    expect(eventsFor(identifyMessageId('anonymous', 'visitor-1', 1))[0]).not.toHaveProperty('userId');

    // Linked now: the attribution service clears the visitor's own fact (its touches are the user's).
    // No identify for v2; a sentinel behind it on the same partition proves v2 was processed.
    await topics.publishFacts([facts('visitor-1', 2, null, null, { subjectType: 'anonymous', userIds: ['user-of-visitor-1'] })]);
    await topics.publishFacts([facts('sentinel-visitor', 1, touch, touch)], 'visitor-1');
    await arrived(identifyMessageId('user', 'sentinel-visitor', 1));
    expect(allRequestedIds()).not.toContain(identifyMessageId('anonymous', 'visitor-1', 2));
  });

  it('tracks a touch once across revisions, and never a withdrawn one', async () => {
    const touch = touchData({ touchId: 'rev-touch', anonymousId: 'rev-anon' });
    await topics.publishTouches([touch]);
    await arrived(trackMessageId('rev-touch'));
    await marksWritten();
    await topics.publishTouches([
      { ...touch, userId: 'rev-user', revision: 2 },
      touchData({ touchId: 'withdrawn-touch', anonymousId: 'rev-anon', status: 'withdrawn', revision: 2 }),
      touchData({ touchId: 'rev-sentinel', anonymousId: 'rev-anon' }),
    ]);
    await arrived(trackMessageId('rev-sentinel'));
    const requested = allRequestedIds();
    expect(requested.filter((id) => id === trackMessageId('rev-touch'))).toHaveLength(1);
    expect(requested).not.toContain(trackMessageId('withdrawn-touch'));
  });

  it('re-sends current facts on demand behind the debug token, and reports status and metrics', async () => {
    const post = (path: string) => fetch(`${sink.url}${path}`, { method: 'POST', headers: debugHeaders() });
    expect((await fetch(`${sink.url}/segment/status`)).status).toBe(401);
    expect((await post('/segment/identify/user/nobody')).status).toBe(404);
    // An id Postgres cannot hold is the caller's mistake: 400, never 500 (22021).
    for (const path of [
      '/segment/identify/user/a%00',
      '/segment/track/user/%00',
      '/segment/track/anonymous/x%00y',
      '/segment/identify/user/u?resendId=r%00',
    ]) {
      expect((await post(path)).status, path).toBe(400);
    }

    const identify = await post('/segment/identify/user/exact-user');
    expect(identify.status).toBe(200);
    expect(await identify.json()).toEqual({
      found: true,
      messageIds: [identifyMessageId('user', 'exact-user', 1)],
      delivered: 1,
      deadLettered: 0,
      pending: false,
    });
    expect(eventsFor(identifyMessageId('user', 'exact-user', 1))).toHaveLength(2);

    const salted = await post('/segment/identify/user/exact-user?resendId=fix-42');
    expect(await salted.json()).toMatchObject({ messageIds: [identifyMessageId('user', 'exact-user', 1, 'fix-42')], delivered: 1 });

    // Tracks of the touches the fact describes: the first and the last.
    const tracks = await post('/segment/track/user/exact-user');
    expect(await tracks.json()).toMatchObject({ messageIds: [trackMessageId('exact-first'), trackMessageId('exact-last')], delivered: 2 });
    const visitorTouch = touchData({ touchId: 'visit-2', anonymousId: 'visitor-2' });
    await topics.publishFacts([facts('visitor-2', 1, visitorTouch, visitorTouch, { subjectType: 'anonymous', userIds: [] })]);
    await arrived(identifyMessageId('anonymous', 'visitor-2', 1));
    const anonymous = await post('/segment/track/anonymous/visitor-2');
    expect(await anonymous.json()).toMatchObject({ messageIds: [trackMessageId('visit-2')], delivered: 1 });
    // A visitor linked to a user has no attribution of its own any more: nothing to re-send.
    expect(await (await post('/segment/track/anonymous/visitor-1')).json()).toMatchObject({ found: true, messageIds: [] });
    expect((await post('/segment/track/anonymous/nobody')).status).toBe(404);
    expect(eventsFor(trackMessageId('exact-first'))).toHaveLength(2);

    await marksWritten();
    const status = await fetch(`${sink.url}/segment/status`, { headers: debugHeaders() });
    expect(status.status).toBe(200);
    const body = (await status.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      mode: 'live',
      dryRun: false,
      queued: 0,
      inFlight: { events: 0, requests: 0 },
      deadLettered: 0,
      retried: 0,
      pendingIdentifies: 0,
      marksLost: 0,
    });
    expect((body.sent as { events: number }).events).toBeGreaterThanOrEqual(70);

    const metrics = await (await fetch(`${sink.url}/metrics`)).text();
    expect(metrics).toMatch(/touchstream_sink_events_sent_total\{call="track"\} \d+/);
    expect(metrics).toMatch(/touchstream_sink_batches_sent_total \d+/);
    expect(metrics).toContain('touchstream_sink_request_duration_seconds_bucket');
    expect(metrics).toMatch(/touchstream_sink_events_skipped_total\{call="identify",reason="anonymous-identified"\} 1/);
    // Every handled mark found its row: none lost (the counter is shown at 0 all the same).
    expect(metrics).toMatch(/touchstream_sink_marks_lost_total\{call="identify",reason="no-row"\} 0/);
    expect(metrics).toMatch(/touchstream_sink_marks_lost_total\{call="track",reason="write-failed"\} 0/);
  });
});
