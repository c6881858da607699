import { Partitioners, type Kafka, type Producer } from 'kafkajs';
import type { Logger } from '@touchstream/logging';
import { asRecordRefusal, RecordRefusedError, RetriableError } from './errors';
import { byteLength, type OutgoingMessage } from './messages';

export interface EventProducerOptions {
  /** Most messages in one produce request. */
  maxBatchMessages?: number;
  /**
   * Most bytes in one produce request. Kept under the broker's default message.max.bytes
   * (about 1 MB per partition batch) so a full batch can never be refused as too large.
   */
  maxBatchBytes?: number;
  /** Broker-side wait for acks=all before the request fails. */
  ackTimeoutMs?: number;
  /**
   * How long one produce request (kafkajs's own retries included) may take before it counts as
   * failed: its callers' sends reject with a RetriableError and the next request goes through a
   * new producer. Without it, a request kafkajs never settles holds every later send behind it:
   * an outbox relay stopped publishing for 13 minutes in one benchmark run while its consumer
   * went on (docs/benchmarks-attribution.md).
   */
  requestDeadlineMs?: number;
  /** Called after each produce request, for metrics. */
  onBatchSent?: (info: { messages: number; bytes: number; durationMs: number }) => void;
}

interface Ticket {
  topic: string;
  messages: OutgoingMessage[];
  bytes: number;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Sends with acks=all and an idempotent producer. Callers' sends are coalesced: while one
 * produce request is in flight, new sends queue up and go together in the next one. Only one
 * request is ever in flight, which is what keeps kafkajs's idempotent producer safe (its
 * sequence numbers break under concurrent sends) and what makes batching automatic under load.
 * A caller's promise resolves only when the broker acknowledged all of its messages.
 */
export class EventProducer {
  private producer: Producer;
  private readonly maxBatchMessages: number;
  private readonly maxBatchBytes: number;
  private queue: Ticket[] = [];
  private flushing: Promise<void> | null = null;
  private connected = false;
  /** Set after a failed produce request: the next one goes through a new producer id. */
  private renewBeforeNextSend = false;

  constructor(
    private readonly kafka: Kafka,
    private readonly logger: Logger,
    private readonly options: EventProducerOptions = {},
  ) {
    this.producer = this.createProducer();
    this.maxBatchMessages = options.maxBatchMessages ?? 5_000;
    this.maxBatchBytes = options.maxBatchBytes ?? 900_000;
  }

  private createProducer(): Producer {
    // The Java client's murmur2 partitioner, named explicitly: keys land where any other Kafka
    // client would put them, and kafkajs stops warning about its changed default.
    const producer = this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    // Only the current producer speaks for the connection state (a renewed one is being retired).
    producer.on(producer.events.DISCONNECT, () => {
      if (producer === this.producer) this.connected = false;
    });
    producer.on(producer.events.CONNECT, () => {
      if (producer === this.producer) this.connected = true;
    });
    return producer;
  }

  /**
   * After kafkajs gives up on a produce request, the broker may still have written it (the
   * response was lost, or came after the timeout), but kafkajs rolls the partitions' sequence
   * numbers back and would number the next, different messages the same way: the broker would
   * then acknowledge them as duplicates of the written batch without storing them (a lost write
   * answered as a success), or refuse every later request as out of sequence. A new producer
   * gets a new producer id from the broker, and its numbering starts afresh.
   */
  private async renewProducer(): Promise<void> {
    const retired = this.producer;
    this.producer = this.createProducer();
    await retired.disconnect().catch((error: unknown) => {
      this.logger.debug('retired producer did not disconnect cleanly', { errorMessage: (error as Error).message });
    });
    await this.producer.connect();
    this.renewBeforeNextSend = false;
    this.logger.info('producer renewed after a failed produce request');
  }

  async connect(): Promise<void> {
    await this.producer.connect();
    this.connected = true;
  }

  isConnected(): boolean {
    return this.connected;
  }

  /**
   * Resolves when every message is acknowledged by all in-sync replicas; rejects otherwise, with a
   * RecordRefusedError when the broker refused the records themselves, naming the messages of
   * the refused requests (which of a request's messages was at fault, the broker does not say:
   * send them one at a time to find out). It settles once every part has.
   * A send larger than one produce request (maxBatchBytes, maxBatchMessages) goes out in parts,
   * in order; if a later part fails, earlier parts are already on the broker, so a caller that
   * retries re-sends them (every caller's events carry deterministic ids for that reason).
   * Aborting `signal` withdraws the parts still queued (they are then never sent, and the
   * promise rejects); a part whose produce request is in flight cannot be recalled.
   */
  send(topic: string, messages: readonly OutgoingMessage[], options: { signal?: AbortSignal } = {}): Promise<void> {
    if (messages.length === 0) return Promise.resolve();
    if (!this.connected) return Promise.reject(new RetriableError('Kafka producer is not connected'));
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(new RetriableError('send withdrawn before it was sent'));
    const parts = splitIntoRequests(messages, this.maxBatchMessages, this.maxBatchBytes);
    const tickets: Ticket[] = [];
    const sent = parts.map(
      (part) =>
        new Promise<void>((resolve, reject) => {
          tickets.push({
            topic,
            messages: part.messages,
            bytes: part.bytes,
            resolve,
            reject: (error) => reject(error instanceof Error ? error : new Error(String(error))),
          });
        }),
    );
    const withdraw = () => {
      for (const ticket of tickets) {
        const index = this.queue.indexOf(ticket);
        if (index === -1) continue;
        this.queue.splice(index, 1);
        ticket.reject(new RetriableError('send withdrawn before it was sent'));
      }
    };
    signal?.addEventListener('abort', withdraw, { once: true });
    this.queue.push(...tickets);
    this.scheduleFlush();
    return Promise.allSettled(sent).then((outcomes) => {
      signal?.removeEventListener('abort', withdraw);
      const failed = outcomes.flatMap((outcome, index) =>
        outcome.status === 'rejected' ? [{ error: outcome.reason as unknown, part: parts[index] }] : [],
      );
      if (failed.length === 0) return;
      const other = failed.find(({ error }) => !(error instanceof RecordRefusedError));
      if (other) throw other.error;
      const first = failed[0]?.error as RecordRefusedError;
      throw new RecordRefusedError(first.message, { cause: first.cause, messages: failed.flatMap(({ part }) => part?.messages ?? []) });
    });
  }

  /** Waits for queued sends, then disconnects. */
  async disconnect(): Promise<void> {
    while (this.flushing) await this.flushing;
    this.connected = false;
    await this.producer.disconnect();
  }

  private scheduleFlush(): void {
    if (this.flushing) return;
    this.flushing = this.flushLoop().finally(() => {
      this.flushing = null;
      if (this.queue.length > 0) this.scheduleFlush();
    });
  }

  private async flushLoop(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.takeBatch();
      const started = performance.now();
      try {
        if (this.renewBeforeNextSend) await this.renewProducer();
        await withinDeadline(
          this.producer.sendBatch({
            acks: -1,
            timeout: this.options.ackTimeoutMs ?? 10_000,
            topicMessages: groupByTopic(batch),
          }),
          this.options.requestDeadlineMs ?? 120_000,
        );
        for (const ticket of batch) ticket.resolve();
        this.options.onBatchSent?.({
          messages: batch.reduce((sum, ticket) => sum + ticket.messages.length, 0),
          bytes: batch.reduce((sum, ticket) => sum + ticket.bytes, 0),
          durationMs: performance.now() - started,
        });
      } catch (error) {
        this.renewBeforeNextSend = true;
        this.logger.warn('produce request failed', { tickets: batch.length, errorMessage: (error as Error).message });
        const outcome = asRecordRefusal(error);
        for (const ticket of batch) ticket.reject(outcome);
      }
    }
  }

  /** Whole tickets only (each fits one request on its own: send splits them). */
  private takeBatch(): Ticket[] {
    const batch: Ticket[] = [];
    let messages = 0;
    let bytes = 0;
    while (this.queue.length > 0) {
      const next = this.queue[0] as Ticket;
      const fits = messages + next.messages.length <= this.maxBatchMessages && bytes + next.bytes <= this.maxBatchBytes;
      if (batch.length > 0 && !fits) break;
      batch.push(next);
      this.queue.shift();
      messages += next.messages.length;
      bytes += next.bytes;
    }
    return batch;
  }
}

/** The request's outcome, or a RetriableError once `deadlineMs` passed without one (the request itself is abandoned). */
function withinDeadline(request: Promise<unknown>, deadlineMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new RetriableError(`produce request did not settle within ${deadlineMs} ms; abandoned`)), deadlineMs);
  });
  // An abandoned request may still reject later: that outcome has no caller left to tell.
  request.catch(() => undefined);
  return Promise.race([request, deadline]).then(
    () => clearTimeout(timer),
    (error: unknown) => {
      clearTimeout(timer);
      throw error;
    },
  );
}

/**
 * Cuts one send into parts that each fit a produce request. Kafka limits each partition's record
 * batch (message.max.bytes, 1 MB by default), and one send can land mostly on one partition (an
 * outbox batch written by one partition's consumer is keyed to that partition), so the whole
 * request is kept under the limit. A single message over it still goes alone, and the broker's
 * refusal reaches the caller.
 */
export function splitIntoRequests(
  messages: readonly OutgoingMessage[],
  maxMessages: number,
  maxBytes: number,
): Array<{ messages: OutgoingMessage[]; bytes: number }> {
  const parts: Array<{ messages: OutgoingMessage[]; bytes: number }> = [];
  let current: { messages: OutgoingMessage[]; bytes: number } = { messages: [], bytes: 0 };
  for (const message of messages) {
    const size = byteLength(message);
    if (current.messages.length > 0 && (current.messages.length >= maxMessages || current.bytes + size > maxBytes)) {
      parts.push(current);
      current = { messages: [], bytes: 0 };
    }
    current.messages.push(message);
    current.bytes += size;
  }
  parts.push(current);
  return parts;
}

function groupByTopic(batch: readonly Ticket[]) {
  const byTopic = new Map<string, OutgoingMessage[]>();
  for (const ticket of batch) {
    const list = byTopic.get(ticket.topic) ?? [];
    list.push(...ticket.messages);
    byTopic.set(ticket.topic, list);
  }
  return [...byTopic].map(([topic, messages]) => ({
    topic,
    messages: messages.map((message) => ({
      key: message.key,
      value: message.value,
      headers: message.headers,
      timestamp: message.timestamp === undefined ? undefined : String(message.timestamp),
    })),
  }));
}
