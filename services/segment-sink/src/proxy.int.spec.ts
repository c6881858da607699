import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEAD_LETTER_HEADERS, TOPICS, rawEventKey, toRawEvent, validateSegmentEvent, type EventSource } from '@touchstream/contracts';
import { envelopeMessage } from '@touchstream/kafka';
import { dropSchema, testInfrastructure, testNamespace, waitFor } from '@touchstream/testing';
import { SINK_DEAD_LETTER_HEADERS } from './delivery/dead-letters';
import { WRITE_KEY, startSink, TestTopics, type RunningSink } from './testing/harness';

/** First-party proxy mode: SDK events from the raw topic forwarded to Segment (the local receiver). */
describe('segment-sink proxy mode', () => {
  const namespace = testNamespace('sink-proxy');
  const topics = new TestTopics(namespace);
  let sink: RunningSink;
  const proxyGroup = `${namespace.id}-proxy`;
  const id = (name: string) => `${namespace.id}-${name}`;

  async function publishRaw(source: EventSource, events: Array<Record<string, unknown>>): Promise<void> {
    const receivedAt = new Date();
    const messages = events.map((event) => {
      const validation = validateSegmentEvent(event);
      if (!validation.ok) throw new Error(validation.reason);
      const raw = toRawEvent(validation.event, { source, receivedAt });
      return envelopeMessage(raw, rawEventKey(raw.data.event));
    });
    await topics.runtime.producer.send(topics.runtime.topic(TOPICS.rawEvents), messages);
  }

  const page = (name: string, extra: Record<string, unknown> = {}) => ({
    type: 'page',
    messageId: id(name),
    anonymousId: id('anon'),
    timestamp: '2026-03-01T10:00:00.000Z',
    sentAt: '2026-03-01T10:00:01.000Z',
    properties: { url: 'https://www.example.com/?utm_source=newsletter&utm_medium=email' },
    context: { library: { name: 'analytics.js', version: 'npm:next-1.84.3' }, page: { referrer: 'https://news.example.org/' } },
    _metadata: { bundled: ['Segment.io'], unbundled: [], bundledIds: [] },
    ...extra,
  });
  const forwardedCount = (messageId: string) => sink.receiver.acceptedMessageIds().filter((found) => found === messageId).length;

  beforeAll(async () => {
    await topics.start();
    await topics.runtime.provision([TOPICS.rawEvents]);
    sink = await startSink(namespace, {
      env: { SEGMENT_PROXY: 'true', SEGMENT_PROXY_CONSUMER_GROUP: proxyGroup, SINK_MAX_RETRY_DELAY_MS: '1000' },
    });
  });

  afterAll(async () => {
    await sink?.close();
    await topics.stop();
    await dropSchema(testInfrastructure().databaseUrl, namespace.schema);
  });

  it('forwards each SDK event once, as sent, and never the events that came from Segment', async () => {
    await publishRaw('webhook', [page('from-webhook')]);
    await publishRaw('import', [page('from-archive')]);
    await publishRaw('api', [
      page('sdk-page'),
      {
        type: 'identify',
        messageId: id('sdk-identify'),
        anonymousId: id('anon'),
        userId: 'u-1',
        traits: { plan: 'pro' },
        timestamp: '2026-03-01T10:01:00.000Z',
      },
      { type: 'track', messageId: id('sdk-track'), anonymousId: id('anon'), event: 'Signed Up', timestamp: '2026-03-01T10:02:00.000Z' },
    ]);
    // The marker comes after the Segment-born events on the same partition (same key): once it is forwarded, they were read.
    await publishRaw('api', [page('marker')]);
    await waitFor(() => forwardedCount(id('marker')) === 1, { description: 'the marker forwarded' });
    for (const name of ['sdk-page', 'sdk-identify', 'sdk-track']) {
      await waitFor(() => forwardedCount(id(name)) >= 1, { description: `${name} forwarded` });
    }

    const accepted = sink.receiver.accepted();
    const forwarded = accepted.filter((event) => String(event.messageId).startsWith(`${namespace.id}-`));
    expect(forwarded.map((event) => event.messageId).sort()).toEqual(
      [id('marker'), id('sdk-identify'), id('sdk-page'), id('sdk-track')].sort(),
    );
    const forwardedPage = forwarded.find((event) => event.messageId === id('sdk-page'));
    // As the SDK sent it, except the arrival times: the timestamp carries ingest's clock-skew correction.
    const { sentAt: _sentAt, ...sent } = page('sdk-page');
    expect(forwardedPage).toEqual({ ...sent, timestamp: expect.any(String) });
    expect(forwardedPage).not.toHaveProperty('receivedAt');
    const request = sink.receiver.requests().find((found) => found.events.some((event) => event.messageId === id('sdk-page')));
    expect(request?.path).toBe('/v1/batch');
    expect(request?.headers.authorization).toBe(`Basic ${Buffer.from(`${WRITE_KEY}:`).toString('base64')}`);
  });

  it('sends an event stored twice (an SDK retry) in one batch once', async () => {
    await publishRaw('api', [page('retried'), page('retried'), page('after-retried')]);
    await waitFor(() => forwardedCount(id('after-retried')) === 1, { description: 'the batch forwarded' });
    expect(forwardedCount(id('retried'))).toBe(1);
  });

  it('retries 5xx and waits out a 429, then forwards the same messageIds', async () => {
    sink.receiver.failNext({ kind: 'status', status: 503 }, { kind: 'status', status: 429, headers: { 'retry-after': '1' } });
    await publishRaw('api', [page('through-outage')]);
    await waitFor(() => forwardedCount(id('through-outage')) === 1, { description: 'forwarded after the outage' });
    const attempts = sink.receiver.requests().filter((found) => found.events.some((event) => event.messageId === id('through-outage')));
    expect(attempts.map((attempt) => attempt.status)).toEqual([503, 429, 200]);
  });

  it('dead-letters an event Segment refuses on its own, with the reason, and forwards the rest of its batch', async () => {
    sink.receiver.failWhen((events) =>
      events.some((event) => event.messageId === id('refused'))
        ? { kind: 'status', status: 400, body: '{"error":"bad event"}' }
        : undefined,
    );
    await publishRaw('api', [page('refused'), page('beside-refused')]);
    await waitFor(() => forwardedCount(id('beside-refused')) === 1, { description: 'the valid event forwarded' });
    const [letter] = await topics.deadLetters(proxyGroup, 1);
    expect(letter?.headers[SINK_DEAD_LETTER_HEADERS.messageId]).toBe(id('refused'));
    expect(letter?.headers[DEAD_LETTER_HEADERS.consumerGroup]).toBe(proxyGroup);
    expect(letter?.headers[DEAD_LETTER_HEADERS.sourceTopic]).toBe(topics.runtime.topic(TOPICS.rawEvents));
    expect(forwardedCount(id('refused'))).toBe(0);
  });
});
