import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { TOPICS, type RawEvent, envelopeMessage } from '@touchstream/contracts';
import { linkEvent, projectEvents } from '../domain';
import { KafkaRuntime, type ConsumedMessage } from '@touchstream/kafka';
import { IDENTITY_CONFIG, type IdentityConfig } from '../config';
import { writeGraph, type GraphWriteResult } from './graph.store';
import { IdentityMetrics } from './identity.metrics';
import {
  appendToOutbox,
  applyProjectedBatch,
  type AppliedBatch,
  FencedRebuild,
  type OutboxRow,
  type ProjectedBatchOutcome,
  OutboxRelay,
} from '@touchstream/eventing';

/** The identity consumer group's `@EventPattern` (identity.events.ts). */
export const RAW_EVENTS = 'identity.raw-events';

const DAY_MS = 24 * 60 * 60 * 1000;

export interface BatchOutcome {
  applied: number;
  skipped: number;
  linksPublished: number;
}

/**
 * Consumes segment.events.raw.v1 and applies each batch to the identity graph in ONE transaction:
 * the graph merge, the link events (outbox) and the consumed positions commit together, so a
 * redelivered batch (lost Kafka commit, crash, rebalance) changes nothing, and a replay under
 * a new group re-applies merges that are idempotent by content (no new link events). Under a
 * replay from earliest (`rebuild`), batches rebuild the graph and hold their link events back.
 */
@Injectable()
export class IdentityProjector implements OnModuleDestroy {
  private readonly linksTopic: string;
  /** Injected time: link events' recordedAt and the timeline retention cutoff. */
  now: () => Date = () => new Date();

  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(KafkaRuntime) kafka: KafkaRuntime,
    @Inject(OutboxRelay) private readonly relay: OutboxRelay,
    /** The replay target of the identity consumer group (identity.events.ts). */
    @Inject(FencedRebuild) readonly rebuild: FencedRebuild,
    @Inject(IdentityMetrics) private readonly metrics: IdentityMetrics,
    @Inject(IDENTITY_CONFIG) private readonly config: IdentityConfig,
  ) {
    this.linksTopic = kafka.topic(TOPICS.identityLinks);
  }

  async onModuleDestroy(): Promise<void> {
    await this.rebuild.close();
  }

  async handle(messages: readonly ConsumedMessage<RawEvent>[]): Promise<BatchOutcome> {
    const stopTimer = this.metrics.batchSeconds.startTimer();
    let batch: ProjectedBatchOutcome<ConsumedMessage<RawEvent>, GraphWriteResult>;
    try {
      batch = await applyProjectedBatch({
        manager: this.dataSource.manager,
        schema: this.config.IDENTITY_DB_SCHEMA,
        consumerGroup: this.config.IDENTITY_CONSUMER_GROUP,
        messages,
        hold: this.rebuild,
        relay: this.relay,
        apply: (fresh, transaction, { held }) => this.applyBatch(fresh, transaction, held),
      });
    } finally {
      stopTimer();
    }
    const written = batch.applied?.result;
    const outcome: BatchOutcome = {
      applied: batch.fresh.length,
      skipped: messages.length - batch.fresh.length,
      linksPublished: batch.applied?.published ?? 0,
    };
    for (const { revision } of written?.changedLinks ?? []) this.metrics.links.inc({ kind: revision === 1 ? 'new' : 'earlier' });
    this.metrics.conflicts.inc(written?.conflictingLinks ?? 0);
    this.metrics.events.inc(outcome.applied);
    this.metrics.skipped.inc(outcome.skipped);
    return outcome;
  }

  /** Merges the batch into the graph and, unless held, appends the link events it changed. */
  private async applyBatch(
    fresh: ConsumedMessage<RawEvent>[],
    transaction: EntityManager,
    held: boolean,
  ): Promise<AppliedBatch<GraphWriteResult>> {
    const now = this.now();
    const cutoff = new Date(now.getTime() - this.config.IDENTITY_TIMELINE_RETENTION_DAYS * DAY_MS);
    const written = await writeGraph(transaction, this.config.IDENTITY_DB_SCHEMA, projectEvents(fresh.map((m) => m.value)), cutoff);
    // A rebuild's revisions are provisional: the settle publishes what differs from before.
    if (held) return { result: written, published: 0 };
    const rows: OutboxRow[] = written.changedLinks.map(({ link, revision }) => {
      const event = linkEvent(link, revision, now);
      return {
        eventId: event.id,
        topic: this.linksTopic,
        key: link.anonymousId,
        payload: event,
        headers: envelopeMessage(event, null).headers,
      };
    });
    return { result: written, published: await appendToOutbox(transaction, this.config.IDENTITY_DB_SCHEMA, rows) };
  }
}
