import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { rawEventSchema, TOPICS, type RawEvent } from '@touchstream/contracts';
import { appendToOutbox, applyOncePerOffset, type OutboxRow } from '@touchstream/database';
import { linkEvent, projectEvents } from '@touchstream/identity-graph';
import { envelopeMessage, jsonDecoder, KafkaRuntime, type ConsumedMessage } from '@touchstream/kafka';
import { OutboxRelay } from '@touchstream/platform';
import type { IdentityConfig } from '../config';
import { IDENTITY_CONFIG } from '../identity-config.token';
import { writeGraph, type GraphWriteResult } from './graph-writer';
import { IDENTITY_METRICS, type IdentityMetrics } from './identity-metrics';
import { classifyDatabaseError } from './poison';

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
 * a new group re-applies merges that are idempotent by content (no new link events).
 */
@Injectable()
export class IdentityProjector implements OnApplicationBootstrap {
  private readonly linksTopic: string;
  /** Injected time: link events' recordedAt and the timeline retention cutoff. */
  now: () => Date = () => new Date();

  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(KafkaRuntime) private readonly kafka: KafkaRuntime,
    @Inject(OutboxRelay) private readonly relay: OutboxRelay,
    @Inject(IDENTITY_METRICS) private readonly metrics: IdentityMetrics,
    @Inject(IDENTITY_CONFIG) private readonly config: IdentityConfig,
  ) {
    this.linksTopic = kafka.topic(TOPICS.identityLinks);
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.kafka.startConsumer<RawEvent>({
      groupId: this.config.IDENTITY_CONSUMER_GROUP,
      topics: [this.kafka.topic(TOPICS.rawEvents)],
      decode: jsonDecoder(rawEventSchema),
      handle: (messages) => this.handle(messages).then(() => undefined),
      partitionsConsumedConcurrently: this.config.IDENTITY_CONSUMER_CONCURRENCY,
      sessionTimeoutMs: this.config.IDENTITY_CONSUMER_SESSION_TIMEOUT_MS,
      onBatchCommitted: ({ partition, lastOffset, highWatermark }) => {
        this.metrics.lag.set({ partition: String(partition) }, Math.max(0, Number(highWatermark) - Number(lastOffset) - 1));
      },
    });
  }

  async handle(messages: readonly ConsumedMessage<RawEvent>[]): Promise<BatchOutcome> {
    const stopTimer = this.metrics.batchSeconds.startTimer();
    const outcome: BatchOutcome = { applied: 0, skipped: 0, linksPublished: 0 };
    let written: GraphWriteResult | undefined;
    try {
      const fresh = await applyOncePerOffset(
        this.dataSource.manager,
        this.config.IDENTITY_DB_SCHEMA,
        this.config.IDENTITY_CONSUMER_GROUP,
        messages,
        async (batch, transaction) => {
          const now = this.now();
          const cutoff = new Date(now.getTime() - this.config.IDENTITY_TIMELINE_RETENTION_DAYS * DAY_MS);
          written = await writeGraph(transaction, this.config.IDENTITY_DB_SCHEMA, projectEvents(batch.map((m) => m.value)), cutoff);
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
    } catch (error) {
      throw classifyDatabaseError(error);
    } finally {
      stopTimer();
    }
    for (const { revision } of written?.changedLinks ?? []) this.metrics.links.inc({ kind: revision === 1 ? 'new' : 'earlier' });
    this.metrics.conflicts.inc(written?.conflictingLinks ?? 0);
    this.metrics.events.inc(outcome.applied);
    this.metrics.skipped.inc(outcome.skipped);
    if (outcome.linksPublished > 0) this.relay.notify();
    return outcome;
  }
}
