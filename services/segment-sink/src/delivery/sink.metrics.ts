import { MetricSet } from '@touchstream/platform';
import { Counter, Gauge, Histogram } from 'prom-client';
import type { RetryReason } from '@touchstream/segment-delivery';
import type { DeliveryItem } from '../domain/delivery-item';
import type { DispatcherObserver, DispatcherStatus } from './dispatcher';
import type { MarkCall, MarkLoss, MarkObserver } from '../projection/mark-writer';

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const BYTES_BUCKETS = [1_000, 10_000, 50_000, 100_000, 200_000, 300_000, 400_000, 450_000, 500_000];
const EVENTS_BUCKETS = [1, 10, 50, 100, 250, 500, 1_000, 2_500];

/** The sink's Prometheus metrics (/metrics), registered in the service's own registry. */
export class SinkMetrics extends MetricSet implements DispatcherObserver, MarkObserver {
  private readonly sentEvents = new Counter({
    name: 'touchstream_sink_events_sent_total',
    help: 'Events Segment answered 2xx for, by call',
    labelNames: ['call'],
    registers: [],
  });
  private readonly sentBatches = new Counter({
    name: 'touchstream_sink_batches_sent_total',
    help: 'Requests Segment answered 2xx',
    registers: [],
  });
  private readonly sentBytes = new Counter({
    name: 'touchstream_sink_bytes_sent_total',
    help: 'Request body bytes Segment answered 2xx for',
    registers: [],
  });
  private readonly batchBytes = new Histogram({
    name: 'touchstream_sink_batch_bytes',
    help: 'Body bytes per delivered request',
    buckets: BYTES_BUCKETS,
    registers: [],
  });
  private readonly batchEvents = new Histogram({
    name: 'touchstream_sink_batch_events',
    help: 'Events per delivered request',
    buckets: EVENTS_BUCKETS,
    registers: [],
  });
  private readonly retries = new Counter({
    name: 'touchstream_sink_retries_total',
    help: 'Requests retried, by reason (rate-limited, server-error, timeout, connection, refused-credentials, unexpected-status)',
    labelNames: ['reason'],
    registers: [],
  });
  private readonly deadLetters = new Counter({
    name: 'touchstream_sink_dead_letters_total',
    help: 'Events dead-lettered, by call and cause (refused by Segment, or unsendable: over the size limit or without ids)',
    labelNames: ['call', 'cause'],
    registers: [],
  });
  private readonly requestDuration = new Histogram({
    name: 'touchstream_sink_request_duration_seconds',
    help: 'Duration of each request to Segment, by outcome (delivered, rejected, retry)',
    labelNames: ['outcome'],
    buckets: LATENCY_BUCKETS,
    registers: [],
  });
  private readonly skipped = new Counter({
    name: 'touchstream_sink_events_skipped_total',
    help: 'Facts and touches that became no call, by call and reason (stale, already-handled, unchanged, withdrawn, ...)',
    labelNames: ['call', 'reason'],
    registers: [],
  });
  private readonly coalescedEvents = new Counter({
    name: 'touchstream_sink_events_coalesced_total',
    help: 'Identifies not sent because a newer version for the same subject went instead',
    registers: [],
  });
  private readonly trimmedEvents = new Counter({
    name: 'touchstream_sink_events_trimmed_total',
    help: 'Events sent without some optional fields to fit the per-event limit',
    labelNames: ['call'],
    registers: [],
  });
  private readonly lostMarks = new Counter({
    name: 'touchstream_sink_marks_lost_total',
    help: 'Handled marks never recorded in Postgres, by call and reason (no-row: an identify whose fact row is missing; write-failed: dropped at shutdown after failed writes); each may cost a duplicate request',
    labelNames: ['call', 'reason'],
    registers: [],
  });
  private readonly queued = new Gauge({ name: 'touchstream_sink_queued_events', help: 'Events waiting for a request', registers: [] });
  private readonly inFlight = new Gauge({
    name: 'touchstream_sink_in_flight_events',
    help: 'Events in requests not answered yet (retries included)',
    registers: [],
  });

  private readonly requestsInFlight = new Gauge({
    name: 'touchstream_sink_requests_in_flight',
    help: 'Requests to Segment not answered yet',
    registers: [],
    collect: () => {
      const current = this.status?.();
      if (!current) return;
      this.requestsInFlight.set(current.inFlightRequests);
      this.queued.set(current.queuedEvents);
      this.inFlight.set(current.inFlightEvents);
    },
  });
  private status: (() => DispatcherStatus) | undefined;

  constructor() {
    super();
    // Shown at 0 from the start (a loss is what an alert would watch for); a track mark is a row
    // of its own, so it has no no-row case.
    for (const [call, reason] of [
      ['identify', 'no-row'],
      ['identify', 'write-failed'],
      ['track', 'write-failed'],
    ] as const)
      this.lostMarks.inc({ call, reason }, 0);
  }

  /** Where the in-flight gauges read the dispatcher's state when /metrics is scraped. */
  reportStatusOf(status: () => DispatcherStatus): this {
    this.status = status;
    return this;
  }

  requestAnswered(outcome: 'delivered' | 'rejected' | 'retry', seconds: number): void {
    this.requestDuration.observe({ outcome }, seconds);
  }

  batchDelivered(items: readonly DeliveryItem[], bytes: number): void {
    let identifies = 0;
    for (const item of items) if (item.call === 'identify') identifies += 1;
    if (identifies > 0) this.sentEvents.inc({ call: 'identify' }, identifies);
    if (items.length > identifies) this.sentEvents.inc({ call: 'track' }, items.length - identifies);
    this.sentBatches.inc();
    this.sentBytes.inc(bytes);
    this.batchBytes.observe(bytes);
    this.batchEvents.observe(items.length);
  }

  retried(reason: RetryReason): void {
    this.retries.inc({ reason });
  }

  deadLettered(call: DeliveryItem['call'], cause: 'refused' | 'unsendable'): void {
    this.deadLetters.inc({ call, cause });
  }

  coalesced(count: number): void {
    this.coalescedEvents.inc(count);
  }

  skippedEvents(call: DeliveryItem['call'], reason: string, count = 1): void {
    this.skipped.inc({ call, reason }, count);
  }

  trimmed(call: DeliveryItem['call']): void {
    this.trimmedEvents.inc({ call });
  }

  marksLost(call: MarkCall, reason: MarkLoss, count: number): void {
    this.lostMarks.inc({ call, reason }, count);
  }
}
