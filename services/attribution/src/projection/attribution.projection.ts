import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { TOPICS } from '@touchstream/contracts';
import { KafkaRuntime, type BatchConsumer, type ConsumedMessage } from '@touchstream/kafka';
import { Logger } from '@touchstream/logging';
import { ReadinessRegistry } from '@touchstream/platform';
import { ATTRIBUTION_OPTIONS, type AttributionOptions } from '../attribution-options';
import { applyAttributionBatch, type BatchContext, type BatchOutcome } from './attribution-batch';
import { attributionDecoder, type AttributionMessage } from './messages';
import { PageClassifier } from '../domain';
import { AttributionMetrics } from './attribution.metrics';
import { AttributionRebuiltProjection } from './attribution.rebuild';
import { AttributionStore } from './attribution.store';
import { applyOncePerOffset, FencedRebuild, OutboxRelay } from '@touchstream/eventing';

/**
 * Consumes segment.events.raw.v1 (page views) and identity.links.v1 in one group, so a visitor's
 * page views and links go through one ledger, and applies each batch exactly once per offset:
 * state, new facts (outbox) and consumed positions commit in one transaction. Under a replay
 * from earliest (`rebuild`), batches rebuild the state and hold their facts back.
 */
@Injectable()
export class AttributionConsumer implements OnApplicationBootstrap, OnModuleDestroy {
  private consumer: BatchConsumer<AttributionMessage> | null = null;
  private readonly context: BatchContext;
  private readonly topics: { rawEvents: string; identityLinks: string };
  /** The replay target of the attribution consumer group. */
  readonly rebuild: FencedRebuild;

  constructor(
    @Inject(KafkaRuntime) private readonly kafka: KafkaRuntime,
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(OutboxRelay) private readonly relay: OutboxRelay,
    @Inject(Logger) private readonly logger: Logger,
    @Inject(ReadinessRegistry) private readonly readiness: ReadinessRegistry,
    @Inject(AttributionMetrics) private readonly metrics: AttributionMetrics,
    @Inject(ATTRIBUTION_OPTIONS) private readonly options: AttributionOptions,
    @Inject(PageClassifier) private readonly classifier: PageClassifier,
    @Inject(AttributionStore) store: AttributionStore,
  ) {
    this.context = {
      settings: options.settings,
      store,
      classifier,
      schema: options.schema,
      topics: { touches: kafka.topic(TOPICS.touches), userSources: kafka.topic(TOPICS.userSources) },
      now: () => new Date(),
      observe: (phase, ms) => this.metrics.phaseSeconds.inc({ phase }, ms / 1000),
    };
    this.topics = { rawEvents: kafka.topic(TOPICS.rawEvents), identityLinks: kafka.topic(TOPICS.identityLinks) };
    this.rebuild = new FencedRebuild(dataSource, kafka, relay, logger.child({ component: 'replay' }), {
      schema: options.schema,
      groupId: options.consumerGroup,
      topics: () => [this.topics.rawEvents, this.topics.identityLinks],
      consumer: { start: () => this.startConsuming(), stop: () => this.stopConsuming() },
      projection: new AttributionRebuiltProjection(options.schema, this.context.topics, options.settings.lastTouchModel),
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.startConsuming();
    this.readiness.register('attribution-consumer', () => this.consumer?.isRunning() ?? false);
    this.logger.info('attribution consumer started', { groupId: this.options.consumerGroup, topics: Object.values(this.topics) });
    await this.rebuild.open();
  }

  async onModuleDestroy(): Promise<void> {
    await this.rebuild.close();
  }

  private async startConsuming(): Promise<void> {
    if (this.consumer) return;
    const topics = this.topics;
    this.consumer = await this.kafka.startConsumer({
      groupId: this.options.consumerGroup,
      topics: [topics.rawEvents, topics.identityLinks],
      decode: attributionDecoder(topics, this.classifier),
      handle: (messages) => this.handle(messages),
      sessionTimeoutMs: this.options.consumerSessionTimeoutMs,
      partitionsConsumedConcurrently: this.options.consumerConcurrency,
    });
  }

  /** A replay stops the consumer while it rewinds the group (readiness says so meanwhile). */
  private async stopConsuming(): Promise<void> {
    const consumer = this.consumer;
    this.consumer = null;
    if (consumer) await this.kafka.stopConsumer(consumer as BatchConsumer<unknown>);
  }

  private async handle(messages: ConsumedMessage<AttributionMessage>[]): Promise<void> {
    const stopTimer = this.metrics.batchSeconds.startTimer();
    this.metrics.batchMessages.observe(messages.length);
    let outcome: BatchOutcome | null = null;
    let held = false;
    await applyOncePerOffset(this.dataSource.manager, this.options.schema, this.options.consumerGroup, messages, async (fresh, tx) => {
      held = await this.rebuild.holdsFacts(tx);
      const partition = (fresh[0] as ConsumedMessage<AttributionMessage>).partition;
      const context = held ? { ...this.context, holdFacts: true } : this.context;
      outcome = await applyAttributionBatch({ partition, messages: fresh.map((message) => message.value) }, tx, context);
    });
    stopTimer();
    if (held) this.rebuild.batchHeld();
    const applied = outcome as BatchOutcome | null;
    if (applied === null) return;
    this.metrics.consumed.inc({ kind: 'page_view' }, applied.pageViews);
    this.metrics.consumed.inc({ kind: 'link' }, applied.links);
    this.metrics.published.inc({ topic: 'touches' }, applied.touchesPublished);
    this.metrics.published.inc({ topic: 'user_sources' }, applied.userSourcesPublished);
    if (applied.touchesPublished + applied.userSourcesPublished > 0) this.relay.notify();
  }
}
