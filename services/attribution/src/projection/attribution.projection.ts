import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { TOPICS } from '@touchstream/contracts';
import { KafkaRuntime, type ConsumedMessage } from '@touchstream/kafka';
import { ATTRIBUTION_OPTIONS, type AttributionOptions } from '../config';
import { applyAttributionBatch, type BatchContext, type BatchOutcome } from './attribution-batch';
import type { AttributionMessage } from './messages';
import { PageClassifier } from '../domain';
import { AttributionMetrics } from './attribution.metrics';
import { AttributionStore } from './attribution.store';
import { applyProjectedBatch, FencedRebuild, OutboxRelay } from '@touchstream/eventing';

/** The attribution consumer group's `@ConsumeBatches` pattern (attribution.events.ts). */
export const ATTRIBUTION_EVENTS = 'attribution.page-views-and-links';

/**
 * Consumes segment.events.raw.v1 (page views) and identity.links.v1 in one group, so a visitor's
 * page views and links go through one ledger, and applies each batch exactly once per offset:
 * state, new facts (outbox) and consumed positions commit in one transaction. Under a replay
 * from earliest (`rebuild`), batches rebuild the state and hold their facts back.
 */
@Injectable()
export class AttributionProjector implements OnModuleDestroy {
  private readonly context: BatchContext;

  constructor(
    @Inject(KafkaRuntime) kafka: KafkaRuntime,
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(OutboxRelay) private readonly relay: OutboxRelay,
    /** The replay target of the attribution consumer group (attribution.rebuild.ts). */
    @Inject(FencedRebuild) readonly rebuild: FencedRebuild,
    @Inject(AttributionMetrics) private readonly metrics: AttributionMetrics,
    @Inject(ATTRIBUTION_OPTIONS) private readonly options: AttributionOptions,
    @Inject(PageClassifier) classifier: PageClassifier,
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
  }

  async onModuleDestroy(): Promise<void> {
    await this.rebuild.close();
  }

  async handle(messages: ConsumedMessage<AttributionMessage>[]): Promise<void> {
    const stopTimer = this.metrics.batchSeconds.startTimer();
    this.metrics.batchMessages.observe(messages.length);
    const { applied } = await applyProjectedBatch({
      manager: this.dataSource.manager,
      schema: this.options.schema,
      consumerGroup: this.options.consumerGroup,
      messages,
      hold: this.rebuild,
      relay: this.relay,
      apply: async (fresh, tx, { held }) => {
        const partition = (fresh[0] as ConsumedMessage<AttributionMessage>).partition;
        const context = held ? { ...this.context, holdFacts: true } : this.context;
        const outcome = await applyAttributionBatch({ partition, messages: fresh.map((message) => message.value) }, tx, context);
        return { result: outcome, published: outcome.touchesPublished + outcome.userSourcesPublished };
      },
    });
    stopTimer();
    if (applied === null) return;
    const outcome: BatchOutcome = applied.result;
    this.metrics.consumed.inc({ kind: 'page_view' }, outcome.pageViews);
    this.metrics.consumed.inc({ kind: 'link' }, outcome.links);
    this.metrics.published.inc({ topic: 'touches' }, outcome.touchesPublished);
    this.metrics.published.inc({ topic: 'user_sources' }, outcome.userSourcesPublished);
  }
}
