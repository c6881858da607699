import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { Counter, Histogram } from 'prom-client';
import { DataSource } from 'typeorm';
import { TOPICS } from '@touchstream/contracts';
import { applyOncePerOffset } from '@touchstream/database';
import { KafkaRuntime, type BatchConsumer, type ConsumedMessage } from '@touchstream/kafka';
import { Logger } from '@touchstream/logging';
import { MetricsRegistry, OutboxRelay, ReadinessRegistry } from '@touchstream/platform';
import { ATTRIBUTION_OPTIONS, type AttributionOptions } from '../attribution-options';
import { applyAttributionBatch, type BatchContext, type BatchOutcome } from '../core/attribution-batch';
import { attributionDecoder, type AttributionMessage } from '../core/messages';
import { PageClassifier } from '../core/page-classifier';
import { AttributionStore } from '../store/attribution-store';

/**
 * Consumes segment.events.raw.v1 (page views) and identity.links.v1 in one group, so a visitor's
 * page views and links go through one ledger, and applies each batch exactly once per offset:
 * state, new facts (outbox) and consumed positions commit in one transaction.
 */
@Injectable()
export class AttributionConsumer implements OnApplicationBootstrap {
  private consumer: BatchConsumer<AttributionMessage> | null = null;
  private readonly context: BatchContext;
  private readonly consumed: Counter<'kind'>;
  private readonly published: Counter<'topic'>;
  private readonly batchSeconds: Histogram;
  private readonly batchMessages: Histogram;
  private readonly phaseSeconds: Counter<'phase'>;

  constructor(
    @Inject(KafkaRuntime) private readonly kafka: KafkaRuntime,
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(OutboxRelay) private readonly relay: OutboxRelay,
    @Inject(Logger) private readonly logger: Logger,
    @Inject(ReadinessRegistry) private readonly readiness: ReadinessRegistry,
    @Inject(MetricsRegistry) metrics: MetricsRegistry,
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
      observe: (phase, ms) => this.phaseSeconds.inc({ phase }, ms / 1000),
    };
    this.consumed = new Counter({
      name: 'touchstream_attribution_consumed_total',
      help: 'Messages applied by the attribution consumer, by kind (page_view, link)',
      labelNames: ['kind'],
      registers: [metrics.registry],
    });
    this.published = new Counter({
      name: 'touchstream_attribution_facts_total',
      help: 'Facts written to the outbox, by topic (touches, user_sources)',
      labelNames: ['topic'],
      registers: [metrics.registry],
    });
    this.batchSeconds = new Histogram({
      name: 'touchstream_attribution_batch_seconds',
      help: 'Time to apply one consumed batch (one transaction: state, outbox, positions)',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [metrics.registry],
    });
    this.phaseSeconds = new Counter({
      name: 'touchstream_attribution_batch_phase_seconds_total',
      help: 'Time spent in each phase of batch transactions: load (locks, reads), apply (ledger), store (state writes), outbox',
      labelNames: ['phase'],
      registers: [metrics.registry],
    });
    this.batchMessages = new Histogram({
      name: 'touchstream_attribution_batch_messages',
      help: 'Messages per consumed batch',
      buckets: [1, 10, 50, 100, 250, 500, 1000, 2500, 5000],
      registers: [metrics.registry],
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    const topics = { rawEvents: this.kafka.topic(TOPICS.rawEvents), identityLinks: this.kafka.topic(TOPICS.identityLinks) };
    this.consumer = await this.kafka.startConsumer({
      groupId: this.options.consumerGroup,
      topics: [topics.rawEvents, topics.identityLinks],
      decode: attributionDecoder(topics, this.classifier),
      handle: (messages) => this.handle(messages),
      sessionTimeoutMs: this.options.consumerSessionTimeoutMs,
      partitionsConsumedConcurrently: this.options.consumerConcurrency,
    });
    this.readiness.register('attribution-consumer', () => this.consumer?.isRunning() ?? false);
    this.logger.info('attribution consumer started', { groupId: this.options.consumerGroup, topics: Object.values(topics) });
  }

  private async handle(messages: ConsumedMessage<AttributionMessage>[]): Promise<void> {
    const stopTimer = this.batchSeconds.startTimer();
    this.batchMessages.observe(messages.length);
    let outcome: BatchOutcome | null = null;
    await applyOncePerOffset(this.dataSource.manager, this.options.schema, this.options.consumerGroup, messages, async (fresh, tx) => {
      const partition = (fresh[0] as ConsumedMessage<AttributionMessage>).partition;
      outcome = await applyAttributionBatch({ partition, messages: fresh.map((message) => message.value) }, tx, this.context);
    });
    stopTimer();
    const applied = outcome as BatchOutcome | null;
    if (applied === null) return;
    this.consumed.inc({ kind: 'page_view' }, applied.pageViews);
    this.consumed.inc({ kind: 'link' }, applied.links);
    this.published.inc({ topic: 'touches' }, applied.touchesPublished);
    this.published.inc({ topic: 'user_sources' }, applied.userSourcesPublished);
    if (applied.touchesPublished + applied.userSourcesPublished > 0) this.relay.notify();
  }
}
