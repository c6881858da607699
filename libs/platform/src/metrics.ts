import { Controller, Get, Header, Injectable, type FactoryProvider } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry, Summary, collectDefaultMetrics, type Metric } from 'prom-client';

/**
 * One Prometheus registry per service process (not the global one, so tests can boot several).
 * Node's default metrics keep their standard names (process_cpu_seconds_total,
 * nodejs_heap_size_used_bytes, ...) so stock dashboards and alerts work unchanged; the services'
 * own metrics are touchstream_*, each named with its unit.
 */
@Injectable()
export class MetricsRegistry {
  readonly registry = new Registry();
  /** Every consuming service's lag, per group and partition (docs/operations.md, "Health and metrics"). */
  readonly consumerLag = new Gauge({
    name: 'touchstream_consumer_lag_messages',
    help: 'Messages between the last committed offset and the partition end, as of the last committed batch',
    labelNames: ['group', 'topic', 'partition'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }
}

@Controller()
export class MetricsController {
  constructor(private readonly metrics: MetricsRegistry) {}

  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  async metricsText(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}

/**
 * The metrics one component exposes, defined the same way in every service: each is a field
 * created with `registers: []`, and `registerIn` adds every such field to the service's own
 * registry (a field cannot be forgotten, nor registered twice). No label carries an id (ids can be PII).
 */
export abstract class MetricSet {
  registerIn(registry: Registry): this {
    for (const value of Object.values(this)) if (isMetric(value)) registry.registerMetric(value);
    return this;
  }
}

function isMetric(value: unknown): value is Metric {
  return value instanceof Counter || value instanceof Gauge || value instanceof Histogram || value instanceof Summary;
}

/** The provider of a MetricSet, registered in the service's registry (`instance` when it had to exist before the container). */
export function metricsProvider<T extends MetricSet>(type: new () => T, instance?: T): FactoryProvider<T> {
  return {
    provide: type,
    inject: [MetricsRegistry],
    useFactory: (metrics: MetricsRegistry) => (instance ?? new type()).registerIn(metrics.registry),
  };
}
