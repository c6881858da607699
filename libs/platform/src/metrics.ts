import { Controller, Get, Header, Injectable } from '@nestjs/common';
import { Registry, collectDefaultMetrics } from 'prom-client';

/** One Prometheus registry per service process (not the global one, so tests can boot several). */
@Injectable()
export class MetricsRegistry {
  readonly registry = new Registry();

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'touchstream_' });
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
