import { TOPICS, touchSchema, userSourcesSchema, type Touch, type UserSources } from '@touchstream/contracts';
import { jsonDecoder, type BatchConsumer, type ConsumedMessage, type KafkaRuntime } from '@touchstream/kafka';
import type { Logger } from '@touchstream/logging';
import { decideIdentify } from '@touchstream/segment-delivery';
import type { SinkSettings } from '../sink-settings';
import type { BackfillFlusher } from './backfill-flusher';
import type { StreamHandler } from './stream-handler';

export type SinkMessage = { kind: 'facts'; envelope: UserSources } | { kind: 'touch'; envelope: Touch };

/**
 * The consumer group over attribution.user-sources.v1 and attribution.touches.v1. Its handler
 * resolves only after Segment answered 2xx for the batch's calls (or they were dead-lettered), and
 * libs/kafka commits a partition's offset only after that: a crash means a re-send with the same
 * messageIds, never a loss. Delivery problems are retriable errors: the batch is retried, never
 * dead-lettered because Segment is down.
 */
export class SinkConsumer {
  private consumer: BatchConsumer<SinkMessage> | null = null;

  constructor(
    private readonly runtime: KafkaRuntime,
    private readonly handler: StreamHandler,
    private readonly flusher: BackfillFlusher | null,
    private readonly settings: SinkSettings,
    private readonly logger: Logger,
  ) {}

  /** The topics of the group, facts first. */
  topics(): string[] {
    return [this.runtime.topic(TOPICS.userSources), this.runtime.topic(TOPICS.touches)];
  }

  async start(): Promise<void> {
    await this.resume();
    this.flusher?.start();
    this.logger.info('segment sink consuming', {
      groupId: this.settings.consumerGroup,
      mode: this.settings.decisions.mode,
      dryRun: this.settings.dryRun,
      topics: this.topics(),
    });
  }

  /** Stops consuming (a replay rewinds the group meanwhile); deliveries in flight finish first. */
  async pause(): Promise<void> {
    const consumer = this.consumer;
    this.consumer = null;
    if (consumer) await this.runtime.stopConsumer(consumer as BatchConsumer<unknown>);
  }

  async resume(): Promise<void> {
    if (this.consumer) return;
    const [factsTopic, touchesTopic] = this.topics() as [string, string];
    const decodeTouch = jsonDecoder(touchSchema);
    const decodeFacts = jsonDecoder(userSourcesSchema);
    this.consumer = await this.runtime.startConsumer<SinkMessage>({
      groupId: this.settings.consumerGroup,
      topics: [factsTopic, touchesTopic],
      decode: (value, topic) =>
        topic === touchesTopic ? { kind: 'touch', envelope: decodeTouch(value) } : { kind: 'facts', envelope: decodeFacts(value) },
      handle: (messages) => this.handle(messages),
      fromBeginning: true,
      // Every partition of both topics at once: their calls share requests to Segment.
      partitionsConsumedConcurrently:
        2 * Math.max(TOPICS.touches.partitions, TOPICS.userSources.partitions, this.runtime.settings.partitions ?? 0),
      // Segment being down is never a reason to give up a batch: it waits (redelivery is the same).
      maxRetriableAttempts: Number.MAX_SAFE_INTEGER,
      backoff: { initialMs: 500, maxMs: this.settings.consumerBackoffMaxMs, factor: 2 },
      // Heartbeats come only between batches and attempts: the settings keep both inside this.
      sessionTimeoutMs: this.settings.consumerSessionTimeoutMs,
      onBatchCommitted: (info) => this.flusher?.batchCommitted(info),
    });
  }

  private async handle(messages: ConsumedMessage<SinkMessage>[]): Promise<void> {
    const facts: ConsumedMessage<UserSources>[] = [];
    const touches: ConsumedMessage<Touch>[] = [];
    for (const message of messages) {
      if (message.value.kind === 'facts') facts.push({ ...message, value: message.value.envelope });
      else touches.push({ ...message, value: message.value.envelope });
    }
    await Promise.all([
      facts.length > 0 ? this.handler.handleFacts(facts, decideIdentify) : undefined,
      touches.length > 0 ? this.handler.handleTouches(touches) : undefined,
    ]);
  }
}
