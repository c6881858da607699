import { TOPICS } from '@touchstream/contracts';
import { jsonDecoder, type ConsumedMessage, type KafkaRuntime } from '@touchstream/kafka';
import type { Logger } from '@touchstream/logging';
import type { BatchSubscription, MetricsRegistry } from '@touchstream/platform';
import { originOf } from '../projection/stream-handler';
import { DeadLetterWriter } from '../delivery/dead-letters';
import type { DeliveryItem } from '../domain/delivery-item';
import { Dispatcher } from '../delivery/dispatcher';
import { HttpSegmentTransport } from '../segment/http-transport';
import type { SegmentTransport } from '../segment/segment-transport';
import { SERVICE_VERSION, type ProxySettings, type SinkSettings } from '../config';
import { forwardCall, forwardableSchema, shouldForward, type Forwardable } from '../domain/forwarding';
import { ProxyMetrics } from './proxy.metrics';

/** The proxy consumer group's `@ConsumeBatches` pattern (sink.events.ts). */
export const PROXY_EVENTS = 'segment-sink.proxy-raw-events';

/**
 * First-party proxy mode: every event an SDK sent to ingest's Tracking API routes goes on to
 * Segment, as it was sent, so that pointing the SDKs at touchstream does not take their events
 * away from Segment. Its own consumer group over the raw topic, its own dispatcher (the sink's
 * batching, pacing, retries and Retry-After handling), its own write key: a batch's offsets are
 * committed only once Segment answered 2xx for every forwarded event of it (or refused one alone,
 * which is dead-lettered to `<group>.dead-letter.v1`). At least once: a crash re-sends with the
 * same messageIds, which Segment deduplicates.
 */
export class SegmentProxy {
  readonly dispatcher: Dispatcher;
  private readonly metrics = new ProxyMetrics();
  private readonly log: Logger;

  constructor(
    private readonly runtime: KafkaRuntime,
    private readonly sink: SinkSettings,
    private readonly proxy: ProxySettings & { enabled: true },
    registry: MetricsRegistry,
    logger: Logger,
    readonly transport: SegmentTransport = new HttpSegmentTransport({
      apiHost: sink.apiHost,
      writeKey: proxy.writeKey,
      connections: sink.maxInFlight,
      timeoutMs: sink.requestTimeoutMs,
      userAgent: `touchstream-proxy/${SERVICE_VERSION}`,
    }),
  ) {
    this.log = logger.child({ component: 'segment-proxy' });
    this.metrics.registerIn(registry.registry);
    const deadLetters = new DeadLetterWriter(runtime, proxy.consumerGroup);
    this.dispatcher = new Dispatcher(
      this.transport,
      sink,
      { delivered: () => Promise.resolve(), rejected: (item: DeliveryItem, reason: string) => deadLetters.write(item, reason) },
      this.metrics,
      this.log,
    );
  }

  /** The proxy's consumer group (its `@ConsumeBatches` handler calls `forward`). */
  subscription(): BatchSubscription<Forwardable> {
    return {
      pattern: PROXY_EVENTS,
      groupId: this.proxy.consumerGroup,
      topics: [this.runtime.topic(TOPICS.rawEvents)],
      decode: jsonDecoder(forwardableSchema),
      // A new group forwards what the raw topic already holds from SDKs (docs/operations.md says how to start from now).
      fromBeginning: true,
      partitionsConsumedConcurrently: Math.max(TOPICS.rawEvents.partitions, this.runtime.settings.partitions ?? 0),
      // Segment being down is never a reason to give up a batch.
      maxRetriableAttempts: Number.MAX_SAFE_INTEGER,
      backoff: { initialMs: 500, maxMs: this.sink.consumerBackoffMaxMs, factor: 2 },
      sessionTimeoutMs: this.sink.consumerSessionTimeoutMs,
    };
  }

  /** Once the group consumes. */
  started(): void {
    this.log.info('segment proxy forwarding SDK events', {
      groupId: this.proxy.consumerGroup,
      topic: this.runtime.topic(TOPICS.rawEvents),
      to: this.transport.description,
    });
  }

  /** Resolves once Segment took every forwardable event of the batch (or it was dead-lettered). */
  async forward(messages: readonly ConsumedMessage<Forwardable>[]): Promise<void> {
    const items: DeliveryItem[] = [];
    const skipped = new Map<string, number>();
    for (const message of messages) {
      if (!shouldForward(message.value)) {
        skipped.set(message.value.source, (skipped.get(message.value.source) ?? 0) + 1);
        continue;
      }
      const call = forwardCall(message.value, originOf(message), this.sink.limits.maxEventBytes);
      if (call.sendable) items.push(call.item);
      else await this.dispatcher.reject(call.item, call.reason);
    }
    for (const [source, count] of skipped) this.metrics.skippedEvents(source, count);
    if (items.length > 0) await this.dispatcher.submit(items, this.sink.deliveryBudgetMs);
  }

  /** Lets requests in flight finish (bounded), then closes the connections. */
  async close(drainMs: number): Promise<void> {
    await this.dispatcher.close(drainMs);
    await this.transport.close();
  }
}
