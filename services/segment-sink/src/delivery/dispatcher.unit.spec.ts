import { describe, expect, it } from 'vitest';
import { RetriableError } from '@touchstream/kafka';
import { Logger } from '@touchstream/logging';
import { DEFAULT_BATCH_LIMITS } from '@touchstream/segment-delivery';
import type { SegmentTransport, TransportResult } from '../segment/segment-transport';
import type { DeliveryItem } from '../domain/delivery-item';
import { Dispatcher, type DispatcherObserver } from './dispatcher';

/** A Segment stand-in at the transport seam: answers come from a script, requests are recorded. */
class ScriptedTransport implements SegmentTransport {
  readonly description = 'scripted';
  readonly requests: string[][] = [];
  private gates: Array<() => void> = [];

  constructor(private readonly answer: (messageIds: string[]) => TransportResult | Promise<TransportResult> = () => ok) {}

  async post(body: Buffer): Promise<TransportResult> {
    const ids = (JSON.parse(body.toString('utf8')) as { batch: Array<{ messageId: string }> }).batch.map((event) => event.messageId);
    this.requests.push(ids);
    return this.answer(ids);
  }

  /** An answer that waits until open() is called. */
  gate(result: TransportResult): Promise<TransportResult> {
    return new Promise((resolve) => this.gates.push(() => resolve(result)));
  }

  open(): void {
    for (const release of this.gates.splice(0)) release();
  }

  async close(): Promise<void> {}
}

const ok: TransportResult = { kind: 'answer', status: 200, retryAfter: null, rateLimitReset: null, body: '' };
const noop: DispatcherObserver = { requestAnswered() {}, batchDelivered() {}, retried() {}, deadLettered() {}, coalesced() {} };
const quiet = new Logger({ service: 'test', level: 'error' });

function item(messageId: string, options: { subject?: string; version?: number } = {}): DeliveryItem {
  const json = JSON.stringify({ type: options.subject ? 'identify' : 'track', messageId });
  return {
    messageId,
    call: options.subject ? 'identify' : 'track',
    subjectKey: options.subject ?? null,
    version: options.version ?? 1,
    json,
    bytes: Buffer.byteLength(json),
    mark: { call: 'track', touchId: messageId },
    origin: { topic: 't', partition: 0, offset: '0', key: null, headers: {}, value: () => '{}' },
  };
}

function dispatcher(transport: SegmentTransport, options: { flushIntervalMs?: number; maxInFlight?: number } = {}) {
  const delivered: string[] = [];
  const rejected: Array<[string, string]> = [];
  const instance = new Dispatcher(
    transport,
    {
      limits: DEFAULT_BATCH_LIMITS,
      flushIntervalMs: options.flushIntervalMs ?? 0,
      rateLimitRps: 1_000,
      maxInFlight: options.maxInFlight ?? 4,
      retry: { initialDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 1_000 },
    },
    {
      delivered: async (items) => void delivered.push(...items.map((entry) => entry.messageId)),
      rejected: async (entry, reason) => void rejected.push([entry.messageId, reason]),
    },
    noop,
    quiet,
  );
  return { instance, delivered, rejected };
}

describe('dispatcher', () => {
  it('sends what is submitted together in one request and answers when Segment did', async () => {
    const transport = new ScriptedTransport();
    const { instance, delivered } = dispatcher(transport);
    await expect(instance.submit([item('a'), item('b'), item('c')])).resolves.toEqual({ delivered: 3, deadLettered: 0, coalesced: 0 });
    expect(transport.requests).toEqual([['a', 'b', 'c']]);
    expect(delivered).toEqual(['a', 'b', 'c']);
  });

  it('replaces a waiting identify with a newer version of the same subject; both callers are answered', async () => {
    const transport: ScriptedTransport = new ScriptedTransport((ids) => (ids.includes('busy') ? transport.gate(ok) : ok));
    const { instance } = dispatcher(transport, { flushIntervalMs: 60_000 });
    // A request out keeps the next ones waiting in the queue, where coalescing happens.
    const busy = instance.submit([item('busy')]);
    await expect.poll(() => transport.requests.length).toBe(1);
    const older = instance.submit([item('v1', { subject: 's', version: 1 })]);
    const newer = instance.submit([item('v2', { subject: 's', version: 2 })]);
    const stale = instance.submit([item('v0', { subject: 's', version: 0 })]);
    transport.open();
    await busy;
    expect(await older).toEqual({ delivered: 1, deadLettered: 0, coalesced: 0 });
    expect(await newer).toEqual({ delivered: 1, deadLettered: 0, coalesced: 1 });
    expect(await stale).toEqual({ delivered: 1, deadLettered: 0, coalesced: 1 });
    expect(transport.requests).toEqual([['busy'], ['v2']]);
  });

  it('never has two identifies of one subject in flight: the later waits for the earlier', async () => {
    const transport: ScriptedTransport = new ScriptedTransport((ids) => (ids.includes('v1') ? transport.gate(ok) : ok));
    const { instance } = dispatcher(transport);
    const first = instance.submit([item('v1', { subject: 's', version: 1 })]);
    await expect.poll(() => transport.requests.length).toBe(1);
    const second = instance.submit([item('v2', { subject: 's', version: 2 }), item('other')]);
    await expect.poll(() => transport.requests.length).toBe(2);
    expect(transport.requests[1]).toEqual(['other']);
    transport.open();
    await Promise.all([first, second]);
    expect(transport.requests).toEqual([['v1'], ['other'], ['v2']]);
  });

  it('joins a messageId submitted again (a redelivered batch) to the event in flight instead of sending it twice', async () => {
    const transport: ScriptedTransport = new ScriptedTransport((ids) => (ids.includes('a') ? transport.gate(ok) : ok));
    const { instance } = dispatcher(transport);
    const first = instance.submit([item('a')]);
    await expect.poll(() => transport.requests.length).toBe(1);
    const again = instance.submit([item('a')]);
    transport.open();
    expect(await again).toMatchObject({ delivered: 1 });
    expect(await first).toMatchObject({ delivered: 1 });
    expect(transport.requests).toEqual([['a']]);
  });

  it("gives up waiting after the caller's budget with a retriable error while the request keeps retrying", async () => {
    let failures = 0;
    const transport = new ScriptedTransport(() =>
      failures++ < 8 ? { kind: 'failure', failure: 'connection', message: 'ECONNREFUSED' } : ok,
    );
    const { instance } = dispatcher(transport);
    await expect(instance.submit([item('slow')], 20)).rejects.toBeInstanceOf(RetriableError);
    // The redelivered batch waits for the same event: it is delivered once, by the retries still going.
    await expect(instance.submit([item('slow')])).resolves.toMatchObject({ delivered: 1 });
    expect(transport.requests.filter((ids) => ids.includes('slow'))).toHaveLength(9);
    expect(instance.status()).toMatchObject({ retriedRequests: 8, sentEvents: 1, lastError: { message: 'connection: ECONNREFUSED' } });
  });

  it('isolates the event Segment refuses with 400, dead-letters it with the reason and delivers the others', async () => {
    const transport = new ScriptedTransport((ids) =>
      ids.includes('bad') ? { kind: 'answer', status: 400, retryAfter: null, rateLimitReset: null, body: '{"error":"bad event"}' } : ok,
    );
    const { instance, delivered, rejected } = dispatcher(transport);
    const report = await instance.submit(['a', 'b', 'bad', 'c', 'd'].map((id) => item(id)));
    expect(report).toEqual({ delivered: 4, deadLettered: 1, coalesced: 0 });
    expect(delivered.sort()).toEqual(['a', 'b', 'c', 'd']);
    expect(rejected).toEqual([['bad', 'Segment refused the event: HTTP 400: {"error":"bad event"}']]);
  });

  it('sends a partial batch at once when idle, and gathers events while a request is out, up to the flush interval', async () => {
    const transport: ScriptedTransport = new ScriptedTransport((ids) => (ids.includes('first') ? transport.gate(ok) : ok));
    const { instance } = dispatcher(transport, { flushIntervalMs: 60_000 });
    const first = instance.submit([item('first')]);
    await expect.poll(() => transport.requests.length).toBe(1);
    const later = [instance.submit([item('second')]), instance.submit([item('third')])];
    await new Promise((resolve) => setImmediate(resolve));
    expect(instance.status().queuedEvents).toBe(2);
    transport.open();
    await Promise.all([first, ...later]);
    expect(transport.requests).toEqual([['first'], ['second', 'third']]);
  });

  it('flushes a waiting partial batch once its oldest event waited the flush interval', async () => {
    const transport: ScriptedTransport = new ScriptedTransport((ids) => (ids.includes('slow') ? transport.gate(ok) : ok));
    const { instance } = dispatcher(transport, { flushIntervalMs: 30 });
    const slow = instance.submit([item('slow')]);
    await expect.poll(() => transport.requests.length).toBe(1);
    // 'slow' is still out: 'waiting' goes when the interval is over, not when 'slow' returns.
    await instance.submit([item('waiting')]);
    expect(transport.requests).toEqual([['slow'], ['waiting']]);
    transport.open();
    await slow;
  });

  it('flushes what is queued when closing', async () => {
    const transport: ScriptedTransport = new ScriptedTransport((ids) => (ids.includes('out') ? transport.gate(ok) : ok));
    const { instance } = dispatcher(transport, { flushIntervalMs: 60_000 });
    void instance.submit([item('out')]).catch(() => undefined);
    await expect.poll(() => transport.requests.length).toBe(1);
    const queued = instance.submit([item('queued')]);
    const closing = instance.close(1_000);
    await expect(queued).resolves.toMatchObject({ delivered: 1 });
    transport.open();
    await closing;
    expect(transport.requests).toEqual([['out'], ['queued']]);
  });

  it('refuses new work once closing, with a retriable error', async () => {
    const { instance } = dispatcher(new ScriptedTransport());
    await instance.close(10);
    await expect(instance.submit([item('late')])).rejects.toBeInstanceOf(RetriableError);
  });
});
