import type { Kafka } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { Logger } from '@touchstream/logging';
import { isRetriable, RecordRefusedError, RetriableError } from './errors';
import { byteLength } from './messages';
import { EventProducer, splitIntoRequests } from './producer';

type Step = 'ack' | 'fail' | 'hang' | 'refuse';

/** Stands in for a kafkajs producer: records what happens to it, fails when its script says so. */
class ScriptedProducer {
  readonly events = { CONNECT: 'producer.connect', DISCONNECT: 'producer.disconnect' };
  readonly sent: number[] = [];
  state: 'new' | 'connected' | 'disconnected' = 'new';
  private readonly listeners = new Map<string, Array<() => void>>();

  constructor(
    private readonly steps: Step[],
    private readonly connectFails = false,
  ) {}

  on(event: string, listener: () => void): () => void {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
    return () => undefined;
  }

  connect(): Promise<void> {
    if (this.connectFails) return Promise.reject(new Error('ECONNREFUSED'));
    this.state = 'connected';
    this.emit(this.events.CONNECT);
    return Promise.resolve();
  }

  disconnect(): Promise<void> {
    this.state = 'disconnected';
    this.emit(this.events.DISCONNECT);
    return Promise.resolve();
  }

  /** While set, produce requests wait for `release()`: one is "in flight". */
  hold = false;
  private held: Array<() => void> = [];

  sendBatch(request: { topicMessages: Array<{ messages: unknown[] }> }): Promise<void> {
    this.sent.push(request.topicMessages.reduce((sum, topic) => sum + topic.messages.length, 0));
    const step = this.steps.shift();
    if (step === 'hang') return new Promise<void>(() => undefined);
    const outcome =
      step === 'fail'
        ? Promise.reject(new Error('Request Produce timed out'))
        : step === 'refuse'
          ? Promise.reject(
              Object.assign(new Error('The request included a message larger than the max message size'), {
                type: 'MESSAGE_TOO_LARGE',
                retriable: false,
              }),
            )
          : Promise.resolve();
    if (!this.hold) return outcome;
    return new Promise<void>((resolve) => this.held.push(resolve)).then(() => outcome);
  }

  release(): void {
    this.hold = false;
    for (const resolve of this.held.splice(0)) resolve();
  }

  private emit(event: string): void {
    for (const listener of this.listeners.get(event) ?? []) listener();
  }
}

function kafkaWith(...producers: ScriptedProducer[]) {
  const created: ScriptedProducer[] = [];
  const kafka = {
    producer: () => {
      const next = producers.shift() ?? new ScriptedProducer([]);
      created.push(next);
      return next;
    },
  } as unknown as Kafka;
  return { kafka, created };
}

const logger = new Logger({ service: 'test', level: 'error' });
const message = (n: number) => ({ key: `k${n}`, value: String(n) });

describe('EventProducer', () => {
  it('sends later messages through a new producer (a new producer id) after a failed produce request', async () => {
    const { kafka, created } = kafkaWith(new ScriptedProducer(['fail']), new ScriptedProducer(['ack']));
    const producer = new EventProducer(kafka, logger);
    await producer.connect();

    await expect(producer.send('t', [message(1), message(2)])).rejects.toThrow('Request Produce timed out');
    // The failed request's sequence numbers may be on the broker already: they are never reused.
    await expect(producer.send('t', [message(3), message(4)])).resolves.toBeUndefined();

    expect(created).toHaveLength(2);
    expect(created[0]).toMatchObject({ state: 'disconnected', sent: [2] });
    expect(created[1]).toMatchObject({ state: 'connected', sent: [2] });
    expect(producer.isConnected()).toBe(true);
  });

  it('gives up on a produce request that never settles, so later sends are not held behind it forever', async () => {
    const { kafka, created } = kafkaWith(new ScriptedProducer(['hang']), new ScriptedProducer(['ack']));
    const producer = new EventProducer(kafka, logger, { requestDeadlineMs: 50 });
    await producer.connect();
    const stuck = producer.send('t', [message(1)]);
    const queued = producer.send('t', [message(2)]);
    await expect(stuck).rejects.toThrow(RetriableError);
    await expect(stuck).rejects.toThrow('did not settle within 50 ms');
    // The send queued behind it goes out through a new producer and is acknowledged.
    await expect(queued).resolves.toBeUndefined();
    expect(created.map((scripted) => scripted.sent)).toEqual([[1], [1]]);
    expect(created[0]?.state).toBe('disconnected');
  });

  it('keeps one producer while requests succeed', async () => {
    const { kafka, created } = kafkaWith(new ScriptedProducer(['ack', 'ack']));
    const producer = new EventProducer(kafka, logger);
    await producer.connect();
    await producer.send('t', [message(1)]);
    await producer.send('t', [message(2)]);
    expect(created).toHaveLength(1);
    expect(created[0]?.sent).toEqual([1, 1]);
  });

  it('fails the send while the new producer cannot connect, and tries again with the next one', async () => {
    const { kafka, created } = kafkaWith(new ScriptedProducer(['fail']), new ScriptedProducer([], true), new ScriptedProducer(['ack']));
    const producer = new EventProducer(kafka, logger);
    await producer.connect();
    await expect(producer.send('t', [message(1)])).rejects.toThrow('timed out');
    await expect(producer.send('t', [message(2)])).rejects.toThrow('ECONNREFUSED');
    await expect(producer.send('t', [message(3)])).resolves.toBeUndefined();
    expect(created.map((scripted) => scripted.sent)).toEqual([[1], [], [1]]);
  });

  it('withdraws a queued send whose caller gave up, but cannot recall one in flight', async () => {
    const scripted = new ScriptedProducer(['ack', 'ack']);
    const { kafka } = kafkaWith(scripted);
    const producer = new EventProducer(kafka, logger);
    await producer.connect();
    scripted.hold = true;
    const inFlight = new AbortController();
    const first = producer.send('t', [message(1)], { signal: inFlight.signal });
    const queued = new AbortController();
    const second = producer.send('t', [message(2), message(3)], { signal: queued.signal });
    const third = producer.send('t', [message(4)]);

    queued.abort();
    inFlight.abort();
    await expect(second).rejects.toThrow('send withdrawn before it was sent');
    scripted.release();
    await expect(first).resolves.toBeUndefined();
    await expect(third).resolves.toBeUndefined();
    // The first request was already in flight; the withdrawn messages never reached the broker.
    expect(scripted.sent).toEqual([1, 1]);
    await expect(producer.send('t', [message(5)], { signal: queued.signal })).rejects.toThrow('withdrawn');
  });

  it('sends one large send as several requests, each within the byte limit, and resolves once all are acknowledged', async () => {
    const scripted = new ScriptedProducer(['ack', 'ack', 'ack']);
    const { kafka } = kafkaWith(scripted);
    const producer = new EventProducer(kafka, logger, { maxBatchBytes: 210 });
    await producer.connect();
    const big = Array.from({ length: 9 }, () => ({ key: 'same-key', value: 'x'.repeat(25) })); // 69 bytes each, framing included
    await expect(producer.send('t', big)).resolves.toBeUndefined();
    expect(scripted.sent).toEqual([3, 3, 3]);
  });

  it('rejects a split send when a later part fails (the earlier parts stay sent, as they are on the broker)', async () => {
    const scripted = new ScriptedProducer(['ack', 'fail']);
    const { kafka } = kafkaWith(scripted);
    const producer = new EventProducer(kafka, logger, { maxBatchBytes: 10 });
    await producer.connect();
    await expect(producer.send('t', [message(1), { key: 'k', value: 'x'.repeat(20) }])).rejects.toThrow('timed out');
    expect(scripted.sent).toEqual([1, 1]);
  });
});

describe('EventProducer and refused records', () => {
  it('rejects with a RecordRefusedError when the broker refuses the records, and keeps other failures as they were', async () => {
    // Each failure renews the producer: the second request goes through the second one.
    const { kafka } = kafkaWith(new ScriptedProducer(['refuse']), new ScriptedProducer(['fail']));
    const producer = new EventProducer(kafka, logger);
    await producer.connect();
    const refused = await producer.send('t', [message(1)]).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(RecordRefusedError);
    expect(isRetriable(refused)).toBe(false);
    expect((refused as Error).message).toContain('larger than the max message size');
    const failed = await producer.send('t', [message(2)]).catch((error: unknown) => error);
    expect(failed).not.toBeInstanceOf(RecordRefusedError);
    expect((failed as Error).message).toBe('Request Produce timed out');
  });
});

describe('EventProducer and a split send with one part refused', () => {
  it("names the refused part's messages and waits for the other parts, which are acknowledged", async () => {
    // Three parts (the byte limit fits one message each): the second is refused, and the third
    // goes through the producer renewed after that failure.
    const first = new ScriptedProducer(['ack', 'refuse']);
    const renewed = new ScriptedProducer(['ack']);
    const { kafka } = kafkaWith(first, renewed);
    const producer = new EventProducer(kafka, logger, { maxBatchBytes: 40 });
    await producer.connect();
    const messages = [message(1), message(2), message(3)];
    const refused = await producer.send('t', messages).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(RecordRefusedError);
    expect((refused as RecordRefusedError).messages).toEqual([messages[1]]);
    expect(first.sent).toEqual([1, 1]);
    expect(renewed.sent).toEqual([1]);
  });
});

describe('splitIntoRequests', () => {
  const sized = (bytes: number) => ({ key: null, value: 'v'.repeat(bytes) });

  it('keeps order and cuts at the byte and message limits; a single oversize message goes alone', () => {
    // Each message counts its value plus 36 bytes of record framing.
    const parts = splitIntoRequests([sized(40), sized(40), sized(40), sized(150), sized(10), sized(10), sized(10)], 2, 172);
    expect(parts.map((part) => part.messages.map((m) => (m.value as string).length))).toEqual([[40, 40], [40], [150], [10, 10], [10]]);
    expect(parts.map((part) => part.bytes)).toEqual([152, 76, 186, 92, 46]);
  });

  it('counts headers against the limit, as the broker does', () => {
    const withHeaders = { key: null, value: 'v'.repeat(40), headers: { 'ts-event-id': 'x'.repeat(36) } };
    expect(splitIntoRequests([withHeaders, withHeaders], 10, 2 * 76).map((part) => part.messages.length)).toEqual([1, 1]);
  });
});

describe('byteLength', () => {
  it('is the UTF-8 bytes of value, key and headers, with each record and header framing', () => {
    expect(byteLength({ key: 'k', value: 'vv', headers: { a: 'bc' } })).toBe(36 + 2 + 1 + (10 + 1 + 2));
    expect(byteLength({ key: null, value: Buffer.from('\u00e9\u00e9') })).toBe(36 + 4);
    expect(byteLength({ key: '\u00e9', value: '\u00e9' })).toBe(36 + 2 + 2);
  });
});
