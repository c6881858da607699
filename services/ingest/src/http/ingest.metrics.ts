import { MetricSet } from '@touchstream/platform';
import { Counter, Histogram } from 'prom-client';
import type { EventSource } from '@touchstream/contracts';
import type { AckOutcome } from '../domain/ack';
import type { RejectionCode } from '../domain/admit';
import type { RefusalCode } from '../domain/answers';
import type { IngestObserver } from '../domain/ingestor';

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/**
 * The service's Prometheus metrics. Created before the Nest container exists (the producer's
 * callback is wired at module registration), registered in the service's registry once it does.
 */
export class IngestMetrics extends MetricSet implements IngestObserver {
  private readonly accepted = new Counter({
    name: 'touchstream_ingest_events_accepted_total',
    help: 'Events written to the raw topic and acknowledged by the broker',
    labelNames: ['source'],
    registers: [],
  });
  private readonly rejected = new Counter({
    name: 'touchstream_ingest_events_rejected_total',
    help: 'Events refused one by one and written to the rejected topic, by reason',
    labelNames: ['source', 'reason'],
    registers: [],
  });
  private readonly refused = new Counter({
    name: 'touchstream_ingest_requests_refused_total',
    help: 'Requests answered with an error status, by reason',
    labelNames: ['source', 'reason'],
    registers: [],
  });
  private readonly requestDuration = new Histogram({
    name: 'touchstream_ingest_request_duration_seconds',
    help: 'Time from request arrival to the answer, by route and status',
    labelNames: ['route', 'status'],
    buckets: LATENCY_BUCKETS,
    registers: [],
  });
  private readonly ackWait = new Histogram({
    name: 'touchstream_ingest_ack_wait_seconds',
    help: "Time a request waited for the broker's acknowledgement of its events, by outcome",
    labelNames: ['outcome'],
    buckets: LATENCY_BUCKETS,
    registers: [],
  });
  private readonly produceDuration = new Histogram({
    name: 'touchstream_ingest_produce_request_duration_seconds',
    help: 'Duration of each produce request (acks=all) the coalescing producer sent',
    buckets: LATENCY_BUCKETS,
    registers: [],
  });
  private readonly produceMessages = new Histogram({
    name: 'touchstream_ingest_produce_request_messages',
    help: 'Messages per produce request: how much concurrent requests were coalesced',
    buckets: [1, 10, 50, 100, 250, 500, 1_000, 2_500, 5_000],
    registers: [],
  });

  eventsAccepted(source: EventSource, count: number): void {
    this.accepted.inc({ source }, count);
  }

  eventsRejected(source: EventSource, code: RejectionCode, count: number): void {
    this.rejected.inc({ source, reason: code }, count);
  }

  requestRefused(source: EventSource, code: RefusalCode): void {
    this.refused.inc({ source, reason: code });
  }

  acksAwaited(seconds: number, outcome: AckOutcome['kind']): void {
    this.ackWait.observe({ outcome }, seconds);
  }

  requestAnswered(route: string, status: number, seconds: number): void {
    this.requestDuration.observe({ route, status: String(status) }, seconds);
  }

  produceRequestSent(info: { messages: number; durationMs: number }): void {
    this.produceDuration.observe(info.durationMs / 1000);
    this.produceMessages.observe(info.messages);
  }
}
