import { MetricSet } from '@touchstream/platform';
import { Counter, Histogram } from 'prom-client';

/**
 * What the identity projection exposes on /metrics,
 * registered in the service's own registry (MetricSet).
 */
export class IdentityMetrics extends MetricSet {
  readonly events = new Counter({
    name: 'touchstream_identity_events_total',
    help: 'Raw events applied to the identity graph',
    registers: [],
  });
  readonly skipped = new Counter({
    name: 'touchstream_identity_redelivered_skipped_total',
    help: 'Redelivered raw events skipped because their offset was already applied',
    registers: [],
  });
  readonly links = new Counter({
    name: 'touchstream_identity_links_published_total',
    help: 'Link events written to the outbox, by kind (new link or first sighting moved earlier)',
    labelNames: ['kind'] as const,
    registers: [],
  });
  readonly conflicts = new Counter({
    name: 'touchstream_identity_conflicting_links_total',
    help: 'AnonymousIds that gained a new link while linked to another userId (shared devices)',
    registers: [],
  });
  readonly batchSeconds = new Histogram({
    name: 'touchstream_identity_batch_seconds',
    help: 'Time to apply one raw-event batch (one transaction)',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [],
  });
  readonly purged = new Counter({
    name: 'touchstream_identity_timeline_purged_total',
    help: 'Timeline rows removed by retention',
    registers: [],
  });
}
