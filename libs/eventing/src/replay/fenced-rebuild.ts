import type { DataSource, EntityManager } from 'typeorm';
import { analyzeSchema } from '@touchstream/database';
import type { KafkaRuntime } from '@touchstream/kafka';
import { describeError, type Logger } from '@touchstream/logging';
import type { OutboxRelay } from '../outbox/outbox-relay';
import {
  deleteConsumedPositions,
  deleteReplayFence,
  partitionKey,
  readReplayFence,
  rewindConsumedPositions,
  storedPositions,
  storeReplayFence,
  type ReplayFence,
} from './replay-fence';
import type { ReplayPlan, ReplayTarget } from './replay-target';

/** Who published a fact a rebuild settled: the replay (its id is the fact's correlation and causation id). */
export interface ReplayCause {
  replayId: string;
  at: Date;
}

/** The service-specific half of a rebuild: its publication ledger and its projection. */
export interface RebuiltProjection {
  /**
   * In the transaction that starts a rebuild: keep what the service has published (its baseline:
   * ids, versions, revisions and what they said) and empty the projection.
   */
  keepBaselineAndClear(transaction: EntityManager): Promise<void>;
  /**
   * In the transaction that ends it, once the rebuild has caught up: compare the rebuilt state
   * with the baseline, keep the baseline's versions where they agree, publish (outbox) what
   * differs with the next version, and drop the baseline. Returns the facts published.
   */
  settle(transaction: EntityManager, cause: ReplayCause): Promise<number>;
}

/** Stops and starts the group's consumer in this process. */
export interface ConsumerSwitch {
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface FencedRebuildOptions {
  schema: string;
  groupId: string;
  topics: () => string[];
  consumer: ConsumerSwitch;
  projection: RebuiltProjection;
  /** How often a rebuild in progress checks whether it has caught up (besides after each batch). */
  checkIntervalMs?: number;
}

/**
 * A ReplayTarget for a service that publishes facts from a projection (docs/decisions/0009-replay.md).
 * From earliest: in one transaction, keep the baseline, clear the projection and the consumed
 * positions, and store a fence (the end offsets when the replay began). Batches under the fence
 * rebuild the projection and publish nothing (`holdsFacts`); once the stored positions reach the
 * fence, the consumer is stopped, the projection settles against the baseline in one transaction
 * that also drops the fence, and the consumer starts again. From a timestamp: the stored
 * positions are moved back to the rewound offsets and the re-read messages are applied as live
 * ones (every projection here merges idempotently by content).
 */
export class FencedRebuild implements ReplayTarget {
  readonly groupId: string;
  readonly topics: () => string[];
  private timer: NodeJS.Timeout | null = null;
  private checking: Promise<void> | null = null;
  private closed = false;
  /** pause, resume and settle never overlap. */
  private exclusive: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly dataSource: DataSource,
    private readonly kafka: KafkaRuntime,
    private readonly relay: OutboxRelay,
    private readonly logger: Logger,
    private readonly options: FencedRebuildOptions,
  ) {
    this.groupId = options.groupId;
    this.topics = options.topics;
  }

  /** At boot, after the consumer started: a rebuild interrupted by a restart goes on. */
  async open(): Promise<void> {
    if (await this.rebuilding()) this.watch();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.checking;
  }

  pause(): Promise<void> {
    return this.serially(() => this.options.consumer.stop());
  }

  resume(): Promise<void> {
    return this.serially(async () => {
      await this.options.consumer.start();
      if (await this.rebuilding()) this.watch();
    });
  }

  async rebuilding(): Promise<boolean> {
    return (await readReplayFence(this.dataSource.manager, this.options.schema, this.groupId)) !== null;
  }

  async rewind(plan: ReplayPlan): Promise<void> {
    const { schema } = this.options;
    await this.dataSource.transaction(async (transaction) => {
      if (plan.from !== 'earliest') {
        await rewindConsumedPositions(
          transaction,
          schema,
          this.groupId,
          plan.partitions.map(({ topic, partition, from }) => ({ topic, partition, offset: from })),
        );
        return;
      }
      await this.options.projection.keepBaselineAndClear(transaction);
      await deleteConsumedPositions(transaction, schema, this.groupId);
      await storeReplayFence(transaction, schema, {
        replayId: plan.id,
        consumerGroup: this.groupId,
        partitions: plan.partitions.filter(({ from, end }) => end > from).map(({ topic, partition, end }) => ({ topic, partition, end })),
      });
    });
    this.logger.info(plan.from === 'earliest' ? 'replay: projection cleared, rebuilding' : 'replay: positions rewound', {
      replayId: plan.id,
      groupId: this.groupId,
    });
  }

  /**
   * In a batch's transaction: whether a rebuild is in progress, in which case the batch must not
   * publish. Locks the fence shared, so the settle waits for this batch, and a batch that starts
   * after the settle committed finds no fence and publishes.
   */
  async holdsFacts(transaction: EntityManager): Promise<boolean> {
    return (await readReplayFence(transaction, this.options.schema, this.groupId, 'share')) !== null;
  }

  /** After a batch committed under a fence: settle now if it was the last one before the fence. */
  batchHeld(): void {
    this.check(false);
  }

  private watch(): void {
    if (this.timer || this.closed) return;
    this.timer = setInterval(() => this.check(true), this.options.checkIntervalMs ?? 2_000);
    this.timer.unref();
    this.check(true);
  }

  private check(askKafka: boolean): void {
    if (this.checking || this.closed) return;
    this.checking = this.settleIfCaughtUp(askKafka)
      .then((settled) => {
        if (settled && this.timer) {
          clearInterval(this.timer);
          this.timer = null;
        }
      })
      .catch((error: unknown) => this.logger.warn('replay: settling failed; it is tried again', describeError(error, { stack: false })))
      .finally(() => {
        this.checking = null;
      });
  }

  /** True once no fence is left. */
  private async settleIfCaughtUp(askKafka: boolean): Promise<boolean> {
    const fence = await readReplayFence(this.dataSource.manager, this.options.schema, this.groupId);
    if (fence === null) return true;
    if (!(await this.caughtUp(fence, askKafka))) return false;
    await this.serially(() => this.settle(fence));
    return true;
  }

  /**
   * Every fenced partition's stored position has reached the fence; or, for messages that never
   * reach the handler (dead-lettered as undecodable at the end of a partition), the group's Kafka
   * commit has, which is made only after a batch's effect is durable; or, for a partition whose
   * topic was created anew during the rebuild, the commit has reached its new end.
   */
  private async caughtUp(fence: ReplayFence, askKafka: boolean): Promise<boolean> {
    const stored = await storedPositions(this.dataSource.manager, this.options.schema, fence);
    const behind = fence.partitions.filter((entry) => (stored.get(partitionKey(entry.topic, entry.partition)) ?? 0) < entry.end);
    if (behind.length === 0) return true;
    if (!askKafka) return false;
    const committed = await this.kafka.lag(this.groupId, [...new Set(behind.map((entry) => entry.topic))]);
    const now = new Map(committed.map((entry) => [partitionKey(entry.topic, entry.partition), entry]));
    // A partition that now ends before its fence was created anew (or lost its log) since the
    // replay began: its fence is out of reach, and reading what it has now is the rebuild's end.
    return behind.every((entry) => {
      const partition = now.get(partitionKey(entry.topic, entry.partition));
      return partition !== undefined && partition.committed >= Math.min(entry.end, partition.end);
    });
  }

  /** With this process's consumer stopped, so that no batch of it waits on the settle's lock. */
  private async settle(fence: ReplayFence): Promise<void> {
    await this.options.consumer.stop();
    let published: number | null = null;
    try {
      published = await this.dataSource.transaction(async (transaction) => {
        const locked = await readReplayFence(transaction, this.options.schema, this.groupId, 'update');
        if (locked?.replayId !== fence.replayId) return null;
        const count = await this.options.projection.settle(transaction, { replayId: fence.replayId, at: new Date() });
        await deleteReplayFence(transaction, this.options.schema, this.groupId);
        return count;
      });
    } finally {
      if (!this.closed) await this.options.consumer.start();
    }
    if (published === null) return;
    this.logger.info('replay: rebuild caught up and settled', { replayId: fence.replayId, groupId: this.groupId, published });
    if (published > 0) this.relay.notify();
    await this.analyze();
  }

  /** Fresh planner statistics for the rebuilt tables; a failure only costs slower plans, so it is logged. */
  private async analyze(): Promise<void> {
    try {
      const tables = await analyzeSchema(this.dataSource.manager, this.options.schema);
      this.logger.info('replay: analyzed the rebuilt tables', { schema: this.options.schema, tables: tables.length });
    } catch (error) {
      this.logger.warn('replay: could not analyze the rebuilt tables', {
        schema: this.options.schema,
        ...describeError(error, { stack: false }),
      });
    }
  }

  private serially<T>(run: () => Promise<T>): Promise<T> {
    const next = this.exclusive.then(run, run);
    this.exclusive = next.catch(() => undefined);
    return next;
  }
}
