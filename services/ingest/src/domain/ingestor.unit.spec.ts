import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { OutgoingMessage } from '@touchstream/kafka';
import { Ingestor, redactWriteKey, type IngestSettings, type TargetTopic } from './ingestor';

const settings: IngestSettings = {
  limits: { maxEventBytes: 32_768, maxRequestBytes: 512_000, maxBatchEvents: 2_500 },
  writeKeys: ['key-1'],
  sharedSecret: 'secret',
  signatureScope: 'body',
  ackTimeoutMs: 3_000,
  retryAfterSeconds: 7,
  maxPendingEvents: 100,
};
const auth = `Basic ${Buffer.from('key-1:').toString('base64')}`;
const page = (messageId: string) => ({ type: 'page', messageId, anonymousId: 'a-1' });
const body = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));

/** A publisher that records what was sent and acknowledges at once, unless told otherwise. */
function broker(behaviour: (topic: TargetTopic) => Promise<void> = () => Promise.resolve()) {
  const sent: Array<{ topic: TargetTopic; values: Array<Record<string, unknown>> }> = [];
  const signals: AbortSignal[] = [];
  const publish = (topic: TargetTopic, messages: OutgoingMessage[], signal: AbortSignal) => {
    sent.push({ topic, values: messages.map((message) => JSON.parse(message.value as string) as Record<string, unknown>) });
    signals.push(signal);
    return behaviour(topic);
  };
  return { sent, signals, publish };
}

describe('Ingestor', () => {
  afterEach(() => void vi.useRealTimers());

  it('accepts a batch once the broker acknowledged it, publishing rejects to the rejected topic', async () => {
    const { sent, signals, publish } = broker();
    const observed: string[] = [];
    const ingestor = new Ingestor(publish, settings, {
      eventsAccepted: (source, count) => observed.push(`accepted ${source} ${count}`),
      eventsRejected: (source, code, count) => observed.push(`rejected ${source} ${code} ${count}`),
    });
    const answer = await ingestor.ingest({
      channel: { kind: 'api', route: 'batch' },
      body: body({ batch: [page('m1'), { type: 'alias', messageId: 'm2' }, page('m3')] }),
      authorization: auth,
    });
    expect(answer).toEqual({
      status: 200,
      headers: {},
      body: { success: true, accepted: 2, rejected: [{ index: 1, messageId: 'm2', reason: expect.stringContaining('invalid alias') }] },
    });
    expect(signals.some((signal) => signal.aborted)).toBe(false);
    expect(sent.map(({ topic, values }) => [topic, values.length])).toEqual([
      ['raw', 2],
      ['rejected', 1],
    ]);
    expect(observed).toEqual(['accepted api 2', 'rejected api invalid_event 1']);
    expect(ingestor.pending()).toBe(0);
  });

  it('verifies webhook signatures when a secret is set, and accepts unsigned webhooks when none is', async () => {
    const { sent, publish } = broker();
    const raw = body(page('w1'));
    const signed = createHmac('sha1', 'secret').update(raw).digest('hex');
    const ingestor = new Ingestor(publish, settings);
    expect((await ingestor.ingest({ channel: { kind: 'webhook' }, body: raw })).status).toBe(401);
    expect((await ingestor.ingest({ channel: { kind: 'webhook' }, body: raw, signature: signed })).status).toBe(200);
    const open = new Ingestor(publish, { ...settings, sharedSecret: undefined });
    expect((await open.ingest({ channel: { kind: 'webhook' }, body: raw })).status).toBe(200);
    expect(sent.map(({ values }) => values[0]?.source)).toEqual(['webhook', 'webhook']);
  });

  it('refuses a webhook array signed over its first element only, unless SEGMENT_SIGNATURE_SCOPE=first-event, and then takes only that event', async () => {
    const { sent, publish } = broker();
    const first = JSON.stringify(page('s1'));
    const raw = Buffer.from(`[${first},${JSON.stringify(page('unsigned-2'))},${JSON.stringify(page('unsigned-3'))}]`);
    const firstOnly = createHmac('sha1', 'secret').update(first).digest('hex');
    const strict = new Ingestor(publish, settings);
    expect(await strict.ingest({ channel: { kind: 'webhook' }, body: raw, signature: firstOnly })).toMatchObject({
      status: 401,
      body: { error: 'unauthorized', message: 'X-Signature does not match the request body' },
    });
    expect(sent).toEqual([]);

    const lenient = new Ingestor(publish, { ...settings, signatureScope: 'first-event' });
    const answer = await lenient.ingest({ channel: { kind: 'webhook' }, body: raw, signature: firstOnly });
    expect(answer).toMatchObject({ status: 200, body: { accepted: 1, rejected: [{ index: 1 }, { index: 2 }] } });
    expect(JSON.stringify(answer.body)).toContain('is not covered by X-Signature');
    const raws = sent.filter(({ topic }) => topic === 'raw').flatMap(({ values }) => values);
    expect(raws.map((value) => (value.data as { event: { messageId: string } }).event.messageId)).toEqual(['s1']);
    // A signature over the whole body still covers every event.
    const whole = createHmac('sha1', 'secret').update(raw).digest('hex');
    expect((await lenient.ingest({ channel: { kind: 'webhook' }, body: raw, signature: whole })).body).toMatchObject({
      accepted: 3,
      rejected: [],
    });
  });

  it('authenticates the Tracking API by header or body key, and refuses without publishing', async () => {
    const { sent, publish } = broker();
    const ingestor = new Ingestor(publish, settings);
    const track = { event: 'E', userId: 'u' };
    const status = async (authorization: string | undefined, value: unknown) =>
      (await ingestor.ingest({ channel: { kind: 'api', route: 'track' }, body: body(value), authorization })).status;
    expect(await status(auth, track)).toBe(200);
    expect(await status(undefined, { ...track, writeKey: 'key-1' })).toBe(200);
    expect(await status(undefined, track)).toBe(401);
    expect(await status(undefined, { ...track, writeKey: 'nope' })).toBe(401);
    expect(await status('Basic', track)).toBe(401);
    expect(sent).toHaveLength(2);
    const closed = new Ingestor(publish, { ...settings, writeKeys: [] });
    expect((await closed.ingest({ channel: { kind: 'api', route: 'track' }, body: body(track), authorization: auth })).body).toMatchObject({
      error: 'unauthorized',
      message: expect.stringContaining('set INGEST_WRITE_KEYS'),
    });
  });

  it('keeps an authenticated malformed body in the rejected topic, write key redacted, before answering 400', async () => {
    const { sent, publish } = broker();
    const ingestor = new Ingestor(publish, settings);
    const text = '{"writeKey": "key-1", "batch": [';
    const answer = await ingestor.ingest({ channel: { kind: 'api', route: 'batch' }, body: body(text), authorization: auth });
    expect(answer).toMatchObject({ status: 400, body: { error: 'invalid_json' } });
    expect(sent).toEqual([
      {
        topic: 'rejected',
        values: [expect.objectContaining({ data: expect.objectContaining({ payload: '{"writeKey": "[redacted]", "batch": [' }) })],
      },
    ]);
    // Without credentials nothing is stored.
    expect((await ingestor.ingest({ channel: { kind: 'api', route: 'batch' }, body: body(text) })).status).toBe(400);
    expect(sent).toHaveLength(1);
  });

  it('keeps a body of the wrong shape in the rejected topic without any write key in it', async () => {
    const { sent, publish } = broker();
    const wrong = [{ type: 'page', writeKey: 'key-1', context: { writeKey: 'key-1', ip: '1.2.3.4' } }];
    const answer = await new Ingestor(publish, settings).ingest({
      channel: { kind: 'api', route: 'batch' },
      body: body(wrong),
      authorization: auth,
    });
    expect(answer).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
    expect(sent).toEqual([
      {
        topic: 'rejected',
        values: [expect.objectContaining({ data: expect.objectContaining({ payload: [{ type: 'page', context: { ip: '1.2.3.4' } }] }) })],
      },
    ]);
  });

  it('answers a single invalid event 400 once it is in the rejected topic', async () => {
    const { sent, publish } = broker();
    const answer = await new Ingestor(publish, settings).ingest({
      channel: { kind: 'api', route: 'page' },
      body: body({ messageId: 'x' }),
      authorization: auth,
    });
    expect(answer).toMatchObject({ status: 400, body: { error: 'invalid_event', accepted: 0, rejected: [{ index: 0, messageId: 'x' }] } });
    expect(sent.map(({ topic }) => topic)).toEqual(['rejected']);
  });

  it('answers 503 with Retry-After when the broker fails, never a 4xx', async () => {
    const { publish } = broker((topic) => (topic === 'rejected' ? Promise.reject(new Error('NOT_LEADER')) : Promise.resolve()));
    const ingestor = new Ingestor(publish, settings);
    const batch = body({ batch: [page('m1'), { type: 'page' }] });
    const answer = await ingestor.ingest({ channel: { kind: 'api', route: 'batch' }, body: batch, authorization: auth });
    expect(answer).toEqual({
      status: 503,
      headers: { 'retry-after': '7' },
      body: { success: false, error: 'broker_unavailable', message: 'Kafka did not acknowledge the events (NOT_LEADER): retry later' },
    });
    const malformed = await ingestor.ingest({ channel: { kind: 'api', route: 'batch' }, body: body('{'), authorization: auth });
    expect(malformed.status).toBe(503);
  });

  it('answers 503 when the acknowledgement does not come within the bound, and counts the send until it settles', async () => {
    vi.useFakeTimers();
    let acknowledge: () => void = () => undefined;
    const { publish, signals } = broker(() => new Promise<void>((resolve) => (acknowledge = resolve)));
    const outcomes: string[] = [];
    const ingestor = new Ingestor(publish, settings, { acksAwaited: (_seconds, outcome) => outcomes.push(outcome) });
    const answer = ingestor.ingest({
      channel: { kind: 'api', route: 'batch' },
      body: body({ batch: [page('m1'), page('m2')] }),
      authorization: auth,
    });
    await vi.advanceTimersByTimeAsync(3_000);
    await expect(answer).resolves.toMatchObject({
      status: 503,
      headers: { 'retry-after': '7' },
      body: { message: 'Kafka did not acknowledge the events within 3000 ms: retry later' },
    });
    expect(outcomes).toEqual(['timeout']);
    // The send is withdrawn if it is still queued (the producer decides; this one was "in flight").
    expect(signals.map((signal) => signal.aborted)).toEqual([true]);
    expect(ingestor.pending()).toBe(2);
    acknowledge();
    await vi.advanceTimersByTimeAsync(0);
    expect(ingestor.pending()).toBe(0);
  });

  it('sheds load with 503 when too many events already wait for acknowledgements', async () => {
    const { sent, publish } = broker(() => new Promise<void>(() => undefined));
    const ingestor = new Ingestor(publish, { ...settings, ackTimeoutMs: 100, maxPendingEvents: 3 });
    const request = (count: number) =>
      ingestor.ingest({
        channel: { kind: 'api', route: 'batch' },
        body: body({ batch: Array.from({ length: count }, (_, i) => page(`m${i}`)) }),
        authorization: auth,
      });
    expect((await request(2)).status).toBe(503);
    const shed = await request(2);
    expect(shed).toMatchObject({ status: 503, headers: { 'retry-after': '7' }, body: { error: 'overloaded' } });
    expect(sent).toHaveLength(1);
  });
});

describe('redactWriteKey', () => {
  it('blanks writeKey values in text that is not JSON', () => {
    expect(redactWriteKey('{"writeKey" : "a\\"b", "x": "writeKey"')).toBe('{"writeKey" : "[redacted]", "x": "writeKey"');
  });
});
