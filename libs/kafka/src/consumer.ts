import type { Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import { describeError, runWithLogContext, type Logger } from '@touchstream/logging';
import { TRACE_HEADERS } from '@touchstream/contracts';
import { backoffDelay, type BackoffPolicy } from '@touchstream/contracts';
import { delay, DEFAULT_BACKOFF } from './backoff';
import { watchCrashes } from './crash-restart';
import { classifyFailure, deadLetterError, DecodeError, RetriableError } from './errors';
import type { DeadLetterPublisher } from './dead-letter';
import type { ConsumedMessage, PartitionLog, PositionIncarnationChange } from './messages';
import { PartitionProgress, type StuckPartition } from './partition-progress';

export type BatchHandler<T> = (messages: ConsumedMessage<T>[]) => Promise<void>;

/** One handler call's messages, as a wrapper around it sees them (all of one topic and partition). */
export interface HandledBatch {
  groupId: string;
  topic: string;
  partition: number;
  messages: readonly Pick<ConsumedMessage<unknown>, 'offset' | 'headers'>[];
}

/** Runs around every handler call (tracing): calls `apply` once and settles as it does. */
export type AroundBatch = (batch: HandledBatch, apply: () => Promise<void>) => Promise<void>;

export interface BatchConsumerOptions<T> {
  /** The group's name: dead letters, logs and stored positions use it. */
  groupId: string;
  /** The id the broker knows the group by, when it differs (KafkaRuntime prefixes it: groupName). */
  kafkaGroupId?: string;
  topics: string[];
  /** Turns bytes into a typed value; throws DecodeError for a message that breaks the contract. */
  decode: (value: Buffer | null, topic: string) => T;
  /**
   * Must make its effect durable (and record the consumed position or message ids with it)
   * before it resolves: the offset is committed only after that.
   */
  handle: BatchHandler<T>;
  deadLetters: DeadLetterPublisher;
  fromBeginning?: boolean;
  /**
   * Attempts at a batch failing transiently (or with an unknown error) before it is given up for
   * redelivery. Inside an isolation an unknown error gets one attempt per part: the whole batch
   * had its attempts already.
   */
  maxRetriableAttempts?: number;
  backoff?: BackoffPolicy;
  partitionsConsumedConcurrently?: number;
  sessionTimeoutMs?: number;
  maxBytesPerPartition?: number;
  /**
   * A fetch returns once this much data is there or maxFetchWaitMs has passed. kafkajs's default
   * (1 byte) returns it as soon as one message is there, so light live traffic is applied in many
   * small batches, each with its transaction, offset commit and produce. 64 kB / 200 ms gathers
   * live traffic into fewer batches, at most 200 ms later per stage; a backfill fills the fetch at
   * once. In 300 k pipeline runs on a slow host the live p99 fell from 4.4-10 s to 1.3-2.7 s
   * (docs/benchmarks-history.md).
   */
  minFetchBytes?: number;
  maxFetchWaitMs?: number;
  /**
   * A partition holding messages it has not applied for this long (failing and retrying, or
   * hanging) is stuck: stuckPartitions() names it and the service is not ready. Default 3 minutes.
   */
  stuckAfterMs?: number;
  /**
   * Reads the subscribed topics' Kafka ids (KafkaRuntime: describeTopicIds). Each batch's messages
   * carry their topic's id (`log`) so that a stored position can be checked against the topic
   * incarnation it was stored under; without it only the end offset is there to check against.
   */
  topicIds?: (topics: readonly string[]) => Promise<Map<string, string>>;
  /** How often the topic ids are read again while consuming (also on every group join). */
  topicIdRefreshMs?: number;
  /** A stored position was found to belong to an earlier incarnation of its topic (logged here; counted by the caller). */
  onNewIncarnation?: (change: PositionIncarnationChange) => void;
  /** Wraps every handler call, retries included (a span per attempt); none by default. */
  aroundBatch?: AroundBatch;
  /** Called after each committed batch, for metrics and lag. */
  onBatchCommitted?: (info: { topic: string; partition: number; messages: number; lastOffset: string; highWatermark: string }) => void;
}

/**
 * A consumer group member that hands whole batches to a handler and commits a partition's
 * offset only after the handler resolved (its effect is durable), so a crash means redelivery,
 * never loss. Failures (classifyFailure): transient and unknown ones are retried with jittered
 * backoff; a permanent one is isolated by splitting the batch in halves, each re-run in its own
 * handler call (a failed transaction rolled back all of its part), until the message at fault is
 * alone: it goes to the dead-letter topic with its reason, and the rest is applied in order. An
 * unknown error is isolated the same way once its retries are spent, but the message it sits on
 * is never dead-lettered: the messages before it are applied, and it is redelivered (the
 * partition is then reported stuck). A transient failure met while isolating is retried, then
 * given up for redelivery: it never turns into a dead letter.
 */
export class BatchConsumer<T> {
  private readonly consumer: Consumer;
  private readonly abort = new AbortController();
  private running = false;
  private readonly progress: PartitionProgress;
  /** topic -> its Kafka id, as last read. */
  private readonly topicIds = new Map<string, string>();
  /** partition -> the offset after the last batch handed over, to notice a partition read again from earlier. */
  private readonly nextOffsets = new Map<string, bigint>();
  private refreshTimer: NodeJS.Timeout | null = null;
  private refreshing: Promise<void> | null = null;

  constructor(
    kafka: Kafka,
    private readonly logger: Logger,
    private readonly options: BatchConsumerOptions<T>,
  ) {
    this.consumer = kafka.consumer({
      groupId: options.kafkaGroupId ?? options.groupId,
      allowAutoTopicCreation: false,
      sessionTimeout: options.sessionTimeoutMs ?? 30_000,
      maxBytesPerPartition: options.maxBytesPerPartition ?? 2 * 1024 * 1024,
      minBytes: options.minFetchBytes ?? 64 * 1024,
      maxWaitTimeInMs: options.maxFetchWaitMs ?? 200,
      retry: { retries: 10 },
    });
    this.progress = new PartitionProgress(options.groupId, options.stuckAfterMs ?? DEFAULT_STUCK_AFTER_MS);
    this.consumer.on(this.consumer.events.GROUP_JOIN, (event) => this.progress.assigned(event.payload.memberAssignment));
  }

  async start(): Promise<void> {
    await this.refreshTopicIds();
    this.consumer.on(this.consumer.events.GROUP_JOIN, () => void this.refreshTopicIds());
    if (this.options.topicIds) {
      this.refreshTimer = setInterval(() => void this.refreshTopicIds(), this.options.topicIdRefreshMs ?? 30_000);
      this.refreshTimer.unref();
    }
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: this.options.topics, fromBeginning: this.options.fromBeginning ?? true });
    const run = () =>
      this.consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 1,
        eachBatch: (payload) => this.onBatch(payload),
      });
    watchCrashes(this.consumer, run, this.logger.child({ groupId: this.options.groupId }), this.abort.signal);
    await run();
    this.running = true;
  }

  isRunning(): boolean {
    return this.running;
  }

  async stop(): Promise<void> {
    this.abort.abort();
    this.running = false;
    if (this.refreshTimer) clearInterval(this.refreshTimer);
    this.refreshTimer = null;
    await this.consumer.disconnect();
    this.progress.clear();
    await this.refreshing;
  }

  /** Partitions holding messages they have not applied for longer than stuckAfterMs. */
  stuckPartitions(): StuckPartition[] {
    return this.running ? this.progress.stuck() : [];
  }

  /**
   * Reads the topic ids again; keeps the ones it had when the broker does not answer (the end
   * offset check still applies). One read at a time: callers share the one in flight.
   */
  private refreshTopicIds(): Promise<void> {
    const read = this.options.topicIds;
    if (!read || this.abort.signal.aborted) return Promise.resolve();
    this.refreshing ??= read(this.options.topics)
      .then((ids) => {
        for (const [topic, id] of ids) {
          const before = this.topicIds.get(topic);
          if (before !== undefined && before !== id)
            this.logger.warn('topic was created anew (its topic id changed)', { topic, topicIdBefore: before, topicId: id });
          this.topicIds.set(topic, id);
        }
      })
      .catch((error: unknown) =>
        this.logger.warn(
          'could not read topic ids; stored positions are checked against end offsets only until they are read',
          describeError(error, { stack: false }),
        ),
      )
      .finally(() => {
        this.refreshing = null;
      });
    return this.refreshing;
  }

  /** A stored position was set aside: said loudly (error), and counted by the caller (KafkaRuntime's listeners). */
  private newIncarnation(change: PositionIncarnationChange): void {
    this.logger.error(
      'stored consumer position belongs to an earlier incarnation of the topic; the partition is applied again from the batch on',
      {
        ...change,
        groupId: this.options.groupId,
      },
    );
    this.options.onNewIncarnation?.(change);
  }

  /** The broker's description of a batch's partition; read again first when the partition went back to an earlier offset. */
  private async partitionLog(topic: string, partition: number, firstOffset: string, highWatermark: string): Promise<PartitionLog> {
    const seen = this.nextOffsets.get(`${topic}\u0000${partition}`);
    if (seen !== undefined && BigInt(firstOffset) < seen) await this.refreshTopicIds();
    return { topicId: this.topicIds.get(topic) ?? null, highWatermark, newIncarnation: (change) => this.newIncarnation(change) };
  }

  private async onBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    if (batch.messages.length === 0) return;
    const first = batch.messages[0] as KafkaMessage;
    this.progress.batchStarted(batch.topic, batch.partition, first.offset, batch.highWatermark);
    try {
      const log = await this.partitionLog(batch.topic, batch.partition, first.offset, batch.highWatermark);
      const messages = await this.decodeAll(batch.topic, batch.partition, batch.messages, log);
      await this.applyIsolating(messages, payload, 'whole');
    } catch (error) {
      // Whatever reaches kafkajs means "not applied: redeliver". kafkajs stops a consumer for good
      // (no restart) on an error it deems unrecoverable (a TypeError, retriable: false), which
      // would leave the partitions unconsumed; so it gets an error it retries.
      if (error instanceof RetriableError) throw error;
      throw new RetriableError(`batch not applied, to be redelivered: ${error instanceof Error ? error.message : 'non-Error failure'}`, {
        cause: error,
      });
    }
    const last = batch.messages[batch.messages.length - 1] as KafkaMessage;
    this.nextOffsets.set(`${batch.topic}\u0000${batch.partition}`, BigInt(last.offset) + 1n);
    await this.commit(payload, last.offset);
    this.progress.batchDone(batch.topic, batch.partition);
    this.options.onBatchCommitted?.({
      topic: batch.topic,
      partition: batch.partition,
      messages: batch.messages.length,
      lastOffset: last.offset,
      highWatermark: batch.highWatermark,
    });
  }

  /** Marks everything up to `offset` consumed, and commits it. */
  private async commit(payload: EachBatchPayload, offset: string): Promise<void> {
    const { topic, partition } = payload.batch;
    payload.resolveOffset(offset);
    const next = (BigInt(offset) + 1n).toString();
    await this.consumer.commitOffsets([{ topic, partition, offset: next }]);
    this.progress.advanced(topic, partition, next);
  }

  /** Poison messages (bytes that break the contract) are dead-lettered before the handler runs. */
  private async decodeAll(topic: string, partition: number, raw: KafkaMessage[], log: PartitionLog): Promise<ConsumedMessage<T>[]> {
    const decoded: ConsumedMessage<T>[] = [];
    for (const message of raw) {
      const headers = stringHeaders(message.headers);
      const base = {
        topic,
        partition,
        offset: message.offset,
        key: message.key?.toString('utf8') ?? null,
        headers,
        timestamp: message.timestamp,
      };
      try {
        decoded.push({ ...base, value: this.options.decode(message.value, topic), raw: message.value, log });
      } catch (error) {
        if (!(error instanceof DecodeError)) throw error;
        await this.deadLetter(base, message.value, error);
      }
    }
    return decoded;
  }

  /**
   * Applies the messages in offset order, or throws for redelivery. On a permanent failure (or an
   * unknown one whose retries are spent) the messages are split in halves, each applied (and its
   * position committed) before the next, down to the one at fault. A message is dead-lettered
   * before any later one is applied, so no stored position ever passes a message that was neither
   * applied nor dead-lettered.
   */
  private async applyIsolating(messages: ConsumedMessage<T>[], payload: EachBatchPayload, part: 'whole' | 'part'): Promise<void> {
    if (messages.length === 0) return;
    const failure = await this.retrying(messages, payload, part);
    if (failure === null) return;
    const kind = classifyFailure(failure);
    if (messages.length === 1) {
      const message = messages[0] as ConsumedMessage<T>;
      if (kind !== 'permanent') {
        // An unknown error on one message: most likely a bug or an unclassified outage, which a
        // fix or time repairs. Dead-lettering it could lose it; it is redelivered instead.
        this.logger.error('a message keeps failing with an unclassified error; it is retried, never dead-lettered', {
          topic: message.topic,
          partition: message.partition,
          offset: message.offset,
          ...describeError(failure, { stack: true }),
        });
        throw failure instanceof Error ? failure : new Error('the handler failed with a value that is not an Error', { cause: failure });
      }
      await this.deadLetter(message, null, deadLetterError(failure));
      await this.commit(payload, message.offset);
      return;
    }
    this.logger.warn('batch failed; isolating the message that causes it', {
      size: messages.length,
      failure: kind,
      firstOffset: messages[0]?.offset,
      ...describeError(failure, { stack: false }),
    });
    const middle = Math.ceil(messages.length / 2);
    await this.applyIsolating(messages.slice(0, middle), payload, 'part');
    await payload.heartbeat();
    await this.applyIsolating(messages.slice(middle), payload, 'part');
  }

  /**
   * Runs the handler; retries transient failures with backoff, and unknown ones too when the
   * messages are a whole batch. Resolves with null once applied (their position committed), or
   * with the permanent or unknown failure to isolate; throws a transient failure that outlasted
   * its attempts, and any failure while the consumer stops or lost the partition.
   */
  private async retrying(messages: ConsumedMessage<T>[], payload: EachBatchPayload, part: 'whole' | 'part'): Promise<unknown> {
    const maxAttempts = this.options.maxRetriableAttempts ?? 20;
    const last = messages[messages.length - 1] as ConsumedMessage<T>;
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.traced(messages, () => this.options.handle(messages));
        if (part === 'part') await this.commit(payload, last.offset);
        return null;
      } catch (error) {
        this.progress.failed(last.topic, last.partition, error);
        // A handler that rejects with nothing still failed (null would read as "applied").
        if (error === null || error === undefined) return new Error('the handler failed without an error');
        const kind = classifyFailure(error);
        const stopping = this.abort.signal.aborted || !payload.isRunning() || payload.isStale();
        if (stopping) throw error;
        if (kind === 'permanent' || (kind === 'unknown' && part === 'part')) return error;
        if (attempt >= maxAttempts) {
          if (kind === 'unknown') return error;
          throw error;
        }
        const wait = backoffDelay(attempt, this.options.backoff ?? DEFAULT_BACKOFF);
        this.logger.warn('handler failed; retrying', {
          groupId: this.options.groupId,
          attempt,
          failure: kind,
          waitMs: wait,
          ...describeError(error, { stack: false }),
        });
        await delay(wait, this.abort.signal);
        await payload.heartbeat();
      }
    }
  }

  private traced(messages: ConsumedMessage<T>[], run: () => Promise<void>): Promise<void> {
    const first = messages[0];
    const correlationId = first?.headers[TRACE_HEADERS.correlationId];
    const around = this.options.aroundBatch;
    if (around === undefined || first === undefined) return runWithLogContext({ correlationId, consumerGroup: this.options.groupId }, run);
    const batch: HandledBatch = { groupId: this.options.groupId, topic: first.topic, partition: first.partition, messages };
    return runWithLogContext({ correlationId, consumerGroup: this.options.groupId }, () => around(batch, run));
  }

  private async deadLetter(
    message: Omit<ConsumedMessage<T>, 'value'> & { value?: T },
    rawValue: Buffer | null,
    error: unknown,
  ): Promise<void> {
    // The bytes that arrived, so a dead letter can be copied back once its cause is fixed (the
    // decoded value may be a service's own reading of it, not the event).
    const value = rawValue ?? message.raw ?? (message.value === undefined ? null : Buffer.from(JSON.stringify(message.value)));
    await this.options.deadLetters.publish({ ...message, value, groupId: this.options.groupId }, error);
    this.logger.warn('message dead-lettered', {
      topic: message.topic,
      partition: message.partition,
      offset: message.offset,
      ...describeError(error, { stack: false }),
    });
  }
}

/**
 * Longer than a database failover or a broker's leader election (tens of seconds) and than any
 * batch measured (seconds), shorter than what an operator should wait to hear of a stall.
 */
export const DEFAULT_STUCK_AFTER_MS = 180_000;

function stringHeaders(headers: KafkaMessage['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue;
    out[key] = Array.isArray(value) ? String(value[0] ?? '') : value.toString();
  }
  return out;
}
