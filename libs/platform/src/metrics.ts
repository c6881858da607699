import { Controller, Get, Header, Injectable } from '@nestjs/common';
import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';

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
