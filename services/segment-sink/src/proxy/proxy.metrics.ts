import { MetricSet } from '@touchstream/platform';
import { Counter, Histogram } from 'prom-client';
import type { RetryReason } from '@touchstream/segment-delivery';
import type { DeliveryItem } from '../domain/delivery-item';
import type { DispatcherObserver } from '../delivery/dispatcher';

/** The first-party proxy's own series: what it forwarded, skipped, retried and dead-lettered. */
export class ProxyMetrics extends MetricSet implements DispatcherObserver {
  private readonly forwarded = new Counter({
    name: 'touchstream_proxy_events_forwarded_total',
    help: 'SDK events Segment answered 2xx for, by call',
    labelNames: ['call'],
    registers: [],
  });
  private readonly skipped = new Counter({
    name: 'touchstream_proxy_events_skipped_total',
    help: 'Raw events not forwarded, by source (webhook and import events came from Segment)',
    labelNames: ['source'],
    registers: [],
  });
  private readonly retries = new Counter({
    name: 'touchstream_proxy_retries_total',
    help: 'Forwarding requests retried, by reason',
    labelNames: ['reason'],
    registers: [],
  });
  private readonly deadLetters = new Counter({
    name: 'touchstream_proxy_dead_letters_total',
    help: 'SDK events dead-lettered, by call and cause (refused by Segment, or over its size limit)',
    labelNames: ['call', 'cause'],
    registers: [],
  });
  private readonly requestDuration = new Histogram({
    name: 'touchstream_proxy_request_duration_seconds',
    help: 'Duration of each forwarding request to Segment, by outcome',
    labelNames: ['outcome'],
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [],
  });

  skippedEvents(source: string, count: number): void {
    this.skipped.inc({ source }, count);
  }

  requestAnswered(outcome: 'delivered' | 'rejected' | 'retry', seconds: number): void {
    this.requestDuration.observe({ outcome }, seconds);
  }

  batchDelivered(items: readonly DeliveryItem[]): void {
    const counts = new Map<string, number>();
    for (const item of items) counts.set(item.call, (counts.get(item.call) ?? 0) + 1);
    for (const [call, count] of counts) this.forwarded.inc({ call }, count);
  }

  retried(reason: RetryReason): void {
    this.retries.inc({ reason });
  }

  deadLettered(call: DeliveryItem['call'], cause: 'refused' | 'unsendable'): void {
    this.deadLetters.inc({ call, cause });
  }

  coalesced(): void {
    // Forwarded events never coalesce (no subject key).
  }
}
