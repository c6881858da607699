import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { deadLetterTopic, type TopicSpec } from '@touchstream/contracts';
import type { Logger } from '@touchstream/logging';
import { brokerReachable, checkBrokerAccess, deleteTopics, provisionTopics } from './admin';
import { consumerGroupLag, resetConsumerGroup, type PartitionLag } from './consumer-groups';
import { retryRetriable } from './backoff';
import { transientAtBoot } from './errors';
import { createKafka, securityOptions } from './client';
import { groupName, topicName, type KafkaSettings } from './config';
import { BatchConsumer, type AroundBatch, type BatchConsumerOptions } from './consumer';
import type { StuckPartition } from './partition-progress';
import { DeadLetterPublisher } from './dead-letter';
import { EventProducer, type EventProducerOptions } from './producer';
import { TopicReader } from './topic-reader';
import { describeTopicIds } from './topic-ids';
import type { PositionIncarnationChange } from './messages';
import { asAccessFailure } from './security';

export type ConsumerOptions<T> = Omit<BatchConsumerOptions<T>, 'deadLetters'>;

/**
 * Everything a service needs from Kafka, behind one object: topic names (with the configured
 * prefix), provisioning, a shared batching producer, consumers with dead-lettering, and one
 * shutdown that stops consumers before the producer they may still be using.
 */
/** Where a consumer stands after a committed batch: messages left before the partition's end. */
export interface ConsumerProgress {
  groupId: string;
  topic: string;
  partition: number;
  lag: number;
}

export class KafkaRuntime {
  readonly producer: EventProducer;
  private readonly kafka: Kafka;
  private readonly deadLetters: DeadLetterPublisher;
  private readonly consumers: BatchConsumer<unknown>[] = [];
  private readonly incarnationListeners: Array<(change: PositionIncarnationChange) => void> = [];

  constructor(
    readonly settings: KafkaSettings,
    private readonly logger: Logger,
    producerOptions: EventProducerOptions = {},
  ) {
    this.kafka = createKafka(settings, logger);
    this.producer = new EventProducer(this.kafka, logger.child({ component: 'producer' }), producerOptions);
    this.deadLetters = new DeadLetterPublisher(this.producer, (groupId) => this.topic(deadLetterTopic(groupId)));
  }

  topic(spec: TopicSpec | string): string {
    return topicName(this.settings, spec);
  }

  /** Creates missing topics, including the dead-letter topic of every consumer group given. */
  async provision(specs: readonly TopicSpec[], consumerGroups: readonly string[] = []): Promise<string[]> {
    const all = [...specs, ...consumerGroups.map(deadLetterTopic)];
    return this.atBoot('provision topics', () => provisionTopics(this.kafka, this.settings, all, this.logger));
  }

  async connectProducer(): Promise<void> {
    await this.atBoot('connect the producer', () => this.producer.connect());
  }

  /**
   * Every consumer's stored positions that turned out to belong to an earlier incarnation of
   * their topic (the service counts them: touchstream_consumer_position_resets_total).
   */
  onNewIncarnation(listener: (change: PositionIncarnationChange) => void): void {
    this.incarnationListeners.push(listener);
  }

  /**
   * Fails at once with a KafkaAccessError (naming the setting to fix) when the broker refuses the
   * credentials or the client refuses the broker's certificate; the services call it first at boot.
   */
  checkAccess(timeoutMs = 10_000): Promise<void> {
    return checkBrokerAccess(this.settings, timeoutMs);
  }

  /**
   * A broker still starting, electing leaders or spreading a just-created topic's metadata
   * ("This server does not host this topic-partition"): retried with backoff until the boot
   * deadline (KAFKA_BOOT_TIMEOUT_MS), then the boot fails with the last error. A refused login or
   * certificate is never retried: it stops the boot at once with its KafkaAccessError.
   */
  private atBoot<T>(what: string, operation: () => Promise<T>): Promise<T> {
    const deadlineMs = this.settings.bootTimeoutMs ?? 60_000;
    const once = () =>
      operation().catch((error: unknown) => {
        throw asAccessFailure(error, this.settings) ?? error;
      });
    return retryRetriable(once, {
      deadlineMs,
      isRetriable: transientAtBoot,
      onRetry: (error, attempt, waitMs) =>
        this.logger.warn(`could not ${what} yet; retrying`, { attempt, waitMs, deadlineMs, errorMessage: (error as Error).message }),
    });
  }

  /**
   * Creates and starts a consumer; the broker knows its group as `<prefix>.<group>` (groupName),
   * its dead letters go to `<prefix>.<group>.dead-letter.v1`. Its
   * fetch waits as the settings say (KAFKA_FETCH_MIN_BYTES / KAFKA_FETCH_MAX_WAIT_MS) unless the
   * options say otherwise.
   */
  async startConsumer<T>(options: ConsumerOptions<T>): Promise<BatchConsumer<T>> {
    const observe = this.progressListener;
    // A fresh consumer per attempt: a kafkajs consumer whose join failed half-way is not reused.
    const consumer = await this.atBoot(`start consumer ${options.groupId}`, async () => {
      const candidate = new BatchConsumer<T>(this.kafka, this.logger.child({ component: 'consumer', groupId: options.groupId }), {
        ...options,
        onBatchCommitted: (info) => {
          options.onBatchCommitted?.(info);
          observe?.({
            groupId: options.groupId,
            topic: info.topic,
            partition: info.partition,
            lag: Math.max(0, Number(info.highWatermark) - Number(info.lastOffset) - 1),
          });
        },
        kafkaGroupId: this.group(options.groupId),
        minFetchBytes: options.minFetchBytes ?? this.settings.fetchMinBytes,
        maxFetchWaitMs: options.maxFetchWaitMs ?? this.settings.fetchMaxWaitMs,
        stuckAfterMs: options.stuckAfterMs ?? this.settings.consumerStuckAfterMs,
        deadLetters: this.deadLetters,
        aroundBatch: options.aroundBatch ?? this.aroundBatch,
        topicIds: options.topicIds ?? ((topics) => this.topicIds(topics)),
        onNewIncarnation: (change) => {
          for (const listener of this.incarnationListeners) listener(change);
          options.onNewIncarnation?.(change);
        },
      });
      try {
        await candidate.start();
        return candidate;
      } catch (error) {
        await candidate.stop().catch(() => undefined);
        throw error;
      }
    });
    this.consumers.push(consumer as BatchConsumer<unknown>);
    return consumer;
  }

  private progressListener: ((progress: ConsumerProgress) => void) | undefined;
  private aroundBatch: AroundBatch | undefined;

  /** Wraps every handler call of the consumers started from now on (tracing: a span per batch). */
  wrapBatches(around: AroundBatch): void {
    this.aroundBatch = around;
  }

  /** Called after every committed batch of every consumer this runtime starts (the services' lag metric). */
  observeConsumers(listener: (progress: ConsumerProgress) => void): void {
    this.progressListener = listener;
  }

  /** The topics' Kafka ids (a new one for every incarnation of a name); unknown topics are left out. */
  topicIds(topics: readonly string[]): Promise<Map<string, string>> {
    return describeTopicIds(this.settings.brokers, topics, {
      clientId: `${this.settings.clientId}-topic-ids`,
      timeoutMs: this.settings.requestTimeoutMs ?? 10_000,
      security: securityOptions(this.settings),
    });
  }

  /**
   * Stops one consumer (replay pauses a group with it); the others keep running. A consumer this
   * runtime no longer holds was stopped already (shutdown stops every consumer before Nest closes
   * the transport that started them), so it is not disconnected twice.
   */
  async stopConsumer(consumer: BatchConsumer<unknown>): Promise<void> {
    const index = this.consumers.indexOf(consumer);
    if (index < 0) return;
    this.consumers.splice(index, 1);
    await consumer.stop();
  }

  /** A throw-away reader from the beginning of a topic (tests, tools, debugging). */
  reader(topic: string): TopicReader {
    return new TopicReader(this.kafka, topic, `reader-${randomUUID()}`);
  }

  /** The group id the broker sees for a group name (prefixed like topics; see groupName). */
  group(groupId: string): string {
    return groupName(this.settings, groupId);
  }

  lag(groupId: string, topics: string[]): Promise<PartitionLag[]> {
    return consumerGroupLag(this.kafka, this.group(groupId), topics);
  }

  /** Rewinds a stopped group (replay); see resetConsumerGroup. */
  resetGroup(groupId: string, topics: string[], from: 'earliest' | Date): Promise<void> {
    return resetConsumerGroup(this.kafka, this.group(groupId), topics, from);
  }

  /** Whether a broker answers right now (within `timeoutMs`, no retries): for readiness probes. */
  brokerReachable(timeoutMs = 2_000): Promise<boolean> {
    return brokerReachable(this.settings, timeoutMs);
  }

  /** Deletes topics that exist (tests and benchmarks clean up their prefixed topics). */
  deleteTopics(topics: string[]): Promise<void> {
    return deleteTopics(this.kafka, topics);
  }

  /** Partitions of this process's consumers that hold unapplied messages and have not moved for too long. */
  stuckPartitions(): StuckPartition[] {
    return this.consumers.flatMap((consumer) => consumer.stuckPartitions());
  }

  isReady(): boolean {
    return this.producer.isConnected() && this.consumers.every((consumer) => consumer.isRunning());
  }

  async shutdown(): Promise<void> {
    for (const consumer of this.consumers.splice(0)) await consumer.stop();
    await this.producer.disconnect();
  }
}
