import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { TOPICS, type RawEvent, envelopeMessage } from '@touchstream/contracts';
import { linkEvent, projectEvents } from '../domain';
import { KafkaRuntime, type ConsumedMessage } from '@touchstream/kafka';
import { KafkaBatchTransport } from '@touchstream/platform';
import { Logger } from '@touchstream/logging';
import { IDENTITY_CONFIG, type IdentityConfig } from '../config';
import { IdentityRebuiltProjection } from './identity.rebuild';
import { writeGraph, type GraphWriteResult } from './graph.store';
import { IdentityMetrics } from './identity.metrics';
import { appendToOutbox, applyOncePerOffset, type OutboxRow, FencedRebuild, OutboxRelay } from '@touchstream/eventing';

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
  private readonly rawTopic: string;
  /** The replay target of the identity consumer group. */
  readonly rebuild: FencedRebuild;
  /** Injected time: link events' recordedAt and the timeline retention cutoff. */
  now: () => Date = () => new Date();

  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(KafkaRuntime) kafka: KafkaRuntime,
    @Inject(KafkaBatchTransport) transport: KafkaBatchTransport,
    @Inject(OutboxRelay) private readonly relay: OutboxRelay,
    @Inject(IdentityMetrics) private readonly metrics: IdentityMetrics,
    @Inject(IDENTITY_CONFIG) private readonly config: IdentityConfig,
    @Inject(Logger) logger: Logger,
  ) {
    this.linksTopic = kafka.topic(TOPICS.identityLinks);
    this.rawTopic = kafka.topic(TOPICS.rawEvents);
    this.rebuild = new FencedRebuild(dataSource, kafka, relay, logger.child({ component: 'replay' }), {
      schema: config.IDENTITY_DB_SCHEMA,
      groupId: config.IDENTITY_CONSUMER_GROUP,
      topics: () => [this.rawTopic],
      consumer: { start: () => transport.start(RAW_EVENTS), stop: () => transport.stop(RAW_EVENTS) },
      projection: new IdentityRebuiltProjection(config.IDENTITY_DB_SCHEMA, this.linksTopic),
    });
    transport.afterListen(() => this.rebuild.open());
  }

  async onModuleDestroy(): Promise<void> {
    await this.rebuild.close();
  }

  async handle(messages: readonly ConsumedMessage<RawEvent>[]): Promise<BatchOutcome> {
    const stopTimer = this.metrics.batchSeconds.startTimer();
    const outcome: BatchOutcome = { applied: 0, skipped: 0, linksPublished: 0 };
    let written: GraphWriteResult | undefined;
    let held = false;
    try {
      const fresh = await applyOncePerOffset(
        this.dataSource.manager,
        this.config.IDENTITY_DB_SCHEMA,
        this.config.IDENTITY_CONSUMER_GROUP,
        messages,
        async (batch, transaction) => {
          held = await this.rebuild.holdsFacts(transaction);
          const now = this.now();
          const cutoff = new Date(now.getTime() - this.config.IDENTITY_TIMELINE_RETENTION_DAYS * DAY_MS);
          written = await writeGraph(transaction, this.config.IDENTITY_DB_SCHEMA, projectEvents(batch.map((m) => m.value)), cutoff);
          // A rebuild's revisions are provisional: the settle publishes what differs from before.
          if (held) return;
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
          outcome.linksPublished = await appendToOutbox(transaction, this.config.IDENTITY_DB_SCHEMA, rows);
        },
      );
      outcome.applied = fresh.length;
      outcome.skipped = messages.length - fresh.length;
    } finally {
      stopTimer();
    }
    for (const { revision } of written?.changedLinks ?? []) this.metrics.links.inc({ kind: revision === 1 ? 'new' : 'earlier' });
    this.metrics.conflicts.inc(written?.conflictingLinks ?? 0);
    this.metrics.events.inc(outcome.applied);
    this.metrics.skipped.inc(outcome.skipped);
    if (outcome.linksPublished > 0) this.relay.notify();
    if (held) this.rebuild.batchHeld();
    return outcome;
  }
}
