import { MetricSet } from '@touchstream/platform';
import { Counter, Histogram } from 'prom-client';

/**
 * What the attribution projection exposes on /metrics,
 * registered in the service's own registry (MetricSet).
 */
export class AttributionMetrics extends MetricSet {
  readonly consumed = new Counter({
    name: 'touchstream_attribution_consumed_total',
    help: 'Messages applied by the attribution consumer, by kind (page_view, link)',
    labelNames: ['kind'] as const,
    registers: [],
  });
  readonly published = new Counter({
    name: 'touchstream_attribution_facts_total',
    help: 'Facts written to the outbox, by topic (touches, user_sources)',
    labelNames: ['topic'] as const,
    registers: [],
  });
  readonly batchSeconds = new Histogram({
    name: 'touchstream_attribution_batch_seconds',
    help: 'Time to apply one consumed batch (one transaction: state, outbox, positions)',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [],
  });
  readonly phaseSeconds = new Counter({
    name: 'touchstream_attribution_batch_phase_seconds_total',
    help: 'Time spent in each phase of batch transactions: load (locks, reads), apply (ledger), store (state writes), outbox',
    labelNames: ['phase'] as const,
    registers: [],
  });
  readonly batchMessages = new Histogram({
    name: 'touchstream_attribution_batch_messages',
    help: 'Messages per consumed batch',
    buckets: [1, 10, 50, 100, 250, 500, 1000, 2500, 5000],
    registers: [],
  });
}
