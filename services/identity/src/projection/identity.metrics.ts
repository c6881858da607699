import { Counter, Histogram } from 'prom-client';
import type { MetricsRegistry } from '@touchstream/platform';

/** DI token of the service's metrics (created once per app: one registry each). */
export const IDENTITY_METRICS = Symbol('IDENTITY_METRICS');

/** What the identity consumer exposes on /metrics. No label carries an id (ids can be PII). */
export function identityMetrics(metrics: MetricsRegistry) {
  const registers = [metrics.registry];
  return {
    events: new Counter({ name: 'touchstream_identity_events_total', help: 'Raw events applied to the identity graph', registers }),
    skipped: new Counter({
      name: 'touchstream_identity_redelivered_skipped_total',
      help: 'Redelivered raw events skipped because their offset was already applied',
      registers,
    }),
    links: new Counter({
      name: 'touchstream_identity_links_published_total',
      help: 'Link events written to the outbox, by kind (new link or first sighting moved earlier)',
      labelNames: ['kind'] as const,
      registers,
    }),
    conflicts: new Counter({
      name: 'touchstream_identity_conflicting_links_total',
      help: 'AnonymousIds that gained a new link while linked to another userId (shared devices)',
      registers,
    }),
    batchSeconds: new Histogram({
      name: 'touchstream_identity_batch_seconds',
      help: 'Time to apply one raw-event batch (one transaction)',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    purged: new Counter({ name: 'touchstream_identity_timeline_purged_total', help: 'Timeline rows removed by retention', registers }),
  };
}
export type IdentityMetrics = ReturnType<typeof identityMetrics>;
