import { Global, Module, type DynamicModule } from '@nestjs/common';
import { Logger, type LogLevel } from '@touchstream/logging';
import { ADMIN_TOKEN, AdminTokenGuard, DEBUG_TOKEN, DebugTokenGuard } from './debug-token.guard';
import { HealthController } from './health.controller';
import { MetricsController, MetricsRegistry } from './metrics';
import { ReadinessRegistry } from './readiness';

export interface PlatformOptions {
  service: string;
  logLevel?: LogLevel;
  debugToken?: string;
  /** Bearer token of the state-changing admin endpoints (POST /admin/replay); unset: they answer 503. */
  adminToken?: string;
  /** A logger to use instead of a new one (tests capture lines with it). */
  logger?: Logger;
}

/** What every service has: JSON logger, /health, /ready, /metrics and the debug- and admin-token guards. */
@Global()
@Module({})
export class PlatformModule {
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
      ],
      exports: [Logger, DEBUG_TOKEN, ADMIN_TOKEN, ReadinessRegistry, MetricsRegistry, DebugTokenGuard, AdminTokenGuard],
    };
  }
}
