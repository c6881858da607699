import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEAD_LETTER_HEADERS, TOPICS } from '@touchstream/contracts';
import { trackMessageId } from '@touchstream/segment-delivery';
import { dropSchema, testInfrastructure, testNamespace, waitFor } from '@touchstream/testing';
import { SINK_DEAD_LETTER_HEADERS } from './delivery/dead-letters';
import { debugHeaders, startSink, TestTopics, touchData, touchSource, type RunningSink } from './testing/harness';

/** The receiver refuses events over 4 KB (the sink allows 32 KB): a 400 the sink cannot foresee. */
const RECEIVER_MAX_EVENT_BYTES = 4_000;

describe('segment-sink when Segment fails or refuses', () => {
  const namespace = testNamespace('sink-failures');
  const topics = new TestTopics(namespace);
  let sink: RunningSink;

  beforeAll(async () => {
    await topics.start();
    sink = await startSink(namespace, {
      env: { SINK_REQUEST_TIMEOUT_MS: '1000', SINK_MAX_RETRY_DELAY_MS: '1000', SINK_MAX_IN_FLIGHT: '1' },
      receiver: { maxEventBytes: RECEIVER_MAX_EVENT_BYTES },
    });
  });

  afterAll(async () => {
    await sink?.close();
    await topics.stop();
    await dropSchema(testInfrastructure().databaseUrl, namespace.schema);
  });

  const acceptedCount = (messageId: string) => sink.receiver.acceptedMessageIds().filter((id) => id === messageId).length;
  const requestsWith = (messageId: string) =>
    sink.receiver.requests().filter((request) => request.events.some((event) => event.messageId === messageId));
  const groupId = () => sink.env.SINK_CONSUMER_GROUP as string;

  it('waits as long as Retry-After says after a 429, then sends the same messageIds', async () => {
    sink.receiver.failNext({ kind: 'status', status: 429, headers: { 'retry-after': '1' }, body: '{"error":"too many requests"}' });
    await topics.publishTouches([
      touchData({ touchId: 'rate-1', anonymousId: 'rate-anon' }),
      touchData({ touchId: 'rate-2', anonymousId: 'rate-anon' }),
    ]);
    await waitFor(() => acceptedCount(trackMessageId('rate-1')) === 1 && acceptedCount(trackMessageId('rate-2')) === 1, {
      description: 'delivery after the 429',
    });

    const [limited, accepted] = requestsWith(trackMessageId('rate-1'));
    expect(limited?.status).toBe(429);
    expect(accepted?.status).toBe(200);
    expect(accepted?.events.map((event) => event.messageId)).toEqual(limited?.events.map((event) => event.messageId));
    // The sink waited at least the second Segment asked for (a lower bound: never sooner).
    expect((accepted?.receivedAt ?? 0) - (limited?.answeredAt ?? 0)).toBeGreaterThanOrEqual(990);
  });

  it('retries a 500, a reset connection and a request that never answers (timeout), losing and duplicating nothing', async () => {
    sink.receiver.failNext({ kind: 'status', status: 500 }, { kind: 'reset' }, { kind: 'hang' });
    await topics.publishTouches([touchData({ touchId: 'flaky-1', anonymousId: 'flaky-anon' })]);
    await waitFor(() => acceptedCount(trackMessageId('flaky-1')) === 1, {
      timeoutMs: 30_000,
      description: 'delivery after three failures',
    });

    expect(requestsWith(trackMessageId('flaky-1')).map((request) => request.outcome)).toEqual(['faulted', 'reset', 'aborted', 'accepted']);
    const status = (await (await fetch(`${sink.url}/segment/status`, { headers: debugHeaders() })).json()) as {
      retried: number;
      lastError: { message: string };
    };
    expect(status.retried).toBeGreaterThanOrEqual(4);
    const metrics = await (await fetch(`${sink.url}/metrics`)).text();
    expect(metrics).toMatch(/touchstream_sink_retries_total\{reason="rate-limited"\} 1/);
    expect(metrics).toMatch(/touchstream_sink_retries_total\{reason="server-error"\} 1/);
    expect(metrics).toMatch(/touchstream_sink_retries_total\{reason="connection"\} 1/);
    expect(metrics).toMatch(/touchstream_sink_retries_total\{reason="timeout"\} 1/);
  });

  it('splits a batch Segment refuses with 400, dead-letters the refused event with the reason and delivers the rest', async () => {
    const good = [1, 2, 3, 4].map((n) => touchData({ touchId: `split-${n}`, anonymousId: 'split-anon' }));
    const bad = touchData({ touchId: 'split-bad', anonymousId: 'split-anon', referrer: `https://r.example/?q=${'x'.repeat(6_000)}` });
    await topics.publishTouches([good[0], good[1], bad, good[2], good[3]].filter((touch) => touch !== undefined));
    const [letter] = await topics.deadLetters(groupId(), 1);
    await waitFor(() => good.every((touch) => acceptedCount(trackMessageId(touch.touchId)) === 1), {
      description: 'the good events delivered',
    });

    const refused = sink.receiver.requests().filter((request) => request.status === 400);
    expect(refused.length).toBeGreaterThanOrEqual(2);
    expect(refused.every((request) => request.events.some((event) => event.messageId === trackMessageId('split-bad')))).toBe(true);
    expect(sink.receiver.acceptedMessageIds()).not.toContain(trackMessageId('split-bad'));

    expect(letter?.headers[DEAD_LETTER_HEADERS.reason]).toMatch(/^Segment refused the event: HTTP 400: .*over the 4000-byte limit/);
    expect(letter?.headers[SINK_DEAD_LETTER_HEADERS.messageId]).toBe(trackMessageId('split-bad'));
    expect(letter?.headers[SINK_DEAD_LETTER_HEADERS.call]).toBe('track');
    expect(letter?.headers[DEAD_LETTER_HEADERS.sourceTopic]).toBe(topics.runtime.topic(TOPICS.touches));
    expect(letter?.key).toBe('split-anon');
    expect(JSON.parse(letter?.value?.toString() ?? '{}')).toMatchObject({
      type: 'attribution.touch.recorded',
      data: { touchId: 'split-bad' },
    });
  });

  it('trims an event over 32 KB of its referrer and URL, and dead-letters one that stays too large', async () => {
    const huge = 'y'.repeat(40_000);
    await topics.publishTouches(
      [
        touchData({
          touchId: 'big-trimmed',
          anonymousId: 'big-anon',
          referrer: `https://r.example/${huge}`,
          url: `https://a.example/${huge}`,
        }),
        touchData({ touchId: 'big-hopeless', anonymousId: 'big-anon', userId: `user-${huge}` }),
        touchData({ touchId: 'big-fine', anonymousId: 'big-anon', source: touchSource({ campaign: 'fine' }) }),
      ],
      'big-anon',
    );
    // The dead-letter topic already holds the refused event of the test before.
    const letters = await topics.deadLetters(groupId(), 2);
    await waitFor(() => acceptedCount(trackMessageId('big-fine')) === 1 && acceptedCount(trackMessageId('big-trimmed')) === 1, {
      description: 'the normal and the trimmed event delivered',
    });

    const hopeless = letters.find((letter) => letter.headers[SINK_DEAD_LETTER_HEADERS.messageId] === trackMessageId('big-hopeless'));
    expect(hopeless?.headers[DEAD_LETTER_HEADERS.reason]).toMatch(/^track event is \d+ bytes, over the 32000-byte limit per event$/);
    expect(sink.receiver.requests().flatMap((request) => request.events.map((event) => event.messageId))).not.toContain(
      trackMessageId('big-hopeless'),
    );
    const trimmed = sink.receiver.accepted().find((event) => event.messageId === trackMessageId('big-trimmed'));
    expect(trimmed?.properties).toEqual({ timestamp: '2024-03-01T10:00:00.000Z', channel: 'Direct', source: '(direct)', medium: '(none)' });
    const metrics = await (await fetch(`${sink.url}/metrics`)).text();
    expect(metrics).toMatch(/touchstream_sink_events_trimmed_total\{call="track"\} 1/);
    expect(metrics).toMatch(/touchstream_sink_dead_letters_total\{call="track",cause="unsendable"\} 1/);
  });
});
