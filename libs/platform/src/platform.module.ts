import { Global, Inject, Injectable, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { Logger, type LogLevel } from '@touchstream/logging';
import { ADMIN_TOKEN, AdminTokenGuard, DEBUG_TOKEN, DebugTokenGuard } from './debug-token.guard';
import { HealthController } from './health.controller';
import { MetricsController, MetricsRegistry } from './metrics';
import { ReadinessRegistry } from './readiness';
import { startTracing } from './tracing/start-tracing';
import { TRACING, type Tracing } from './tracing/tracing';
import { tracingSettingsFrom, type TracingEnv, type TracingSettings } from './tracing/tracing-config';

/** Exports the spans still queued once everything else stopped (the last batches' spans included). */
@Injectable()
class TracingShutdown implements OnApplicationShutdown {
  constructor(@Inject(TRACING) private readonly tracing: Tracing) {}

  async onApplicationShutdown(): Promise<void> {
    await this.tracing.shutdown();
  }
}

export interface PlatformOptions {
  service: string;
  logLevel?: LogLevel;
  debugToken?: string;
  /** Bearer token of the state-changing admin endpoints (POST /admin/replay); unset: they answer 503. */
  adminToken?: string;
  /** A logger to use instead of a new one (tests capture lines with it). */
  logger?: Logger;
  /** Where spans go (tracingSettingsFrom); null or absent: no tracing. */
  tracing?: TracingSettings | null;
}

/** The validated settings PlatformModule reads from a service's config (commonEnv's). */
export interface PlatformEnv extends TracingEnv {
  LOG_LEVEL?: LogLevel;
  DEBUG_TOKEN?: string | undefined;
  ADMIN_TOKEN?: string | undefined;
}

/** What every service has: JSON logger, /health, /ready, /metrics, the debug- and admin-token guards, and its Tracing. */
@Global()
@Module({})
export class PlatformModule {
  /** forService with the logging, tokens and tracing of a service's validated config. */
  static forConfig(service: string, config: PlatformEnv, logger?: Logger): DynamicModule {
    return PlatformModule.forService({
      service,
      logLevel: config.LOG_LEVEL,
      debugToken: config.DEBUG_TOKEN,
      adminToken: config.ADMIN_TOKEN,
      logger,
      tracing: tracingSettingsFrom(config, service),
    });
  }

  static forService(options: PlatformOptions): DynamicModule {
    const logger = options.logger ?? new Logger({ service: options.service, level: options.logLevel });
    return {
      module: PlatformModule,
      controllers: [HealthController, MetricsController],
      providers: [
        { provide: Logger, useValue: logger },
        { provide: DEBUG_TOKEN, useValue: options.debugToken },
        { provide: ADMIN_TOKEN, useValue: options.adminToken },
        ReadinessRegistry,
        MetricsRegistry,
        DebugTokenGuard,
        AdminTokenGuard,
        { provide: TRACING, inject: [Logger], useFactory: (log: Logger) => startTracing(options.tracing ?? null, log) },
        TracingShutdown,
      ],
      exports: [Logger, DEBUG_TOKEN, ADMIN_TOKEN, ReadinessRegistry, MetricsRegistry, DebugTokenGuard, AdminTokenGuard, TRACING],
    };
  }
}
